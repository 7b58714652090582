/*
 * NAME
 *	postfix 3
 * SUMMARY
 *	where Postfix's smtpd and cleanup services look for a unix milter socket
 * SYNOPSIS
 *	#include "deploy/postfix.h"
 *
 *	int	postfix_view_read(struct postfix_view *view)
 * DESCRIPTION
 *	postfix_view_read() asks postconf(1) (so MAIL_CONFIG chooses the
 *	instance; without a main.cf there, nothing is asked) for the queue directory, the global smtpd_milters and
 *	non_smtpd_milters (expanded), every master.cf service's command and
 *	chroot flag, and the -o overrides of those two parameters. For each
 *	smtpd service it takes its smtpd_milters, for each cleanup service
 *	its non_smtpd_milters, and keeps every unix: address with the path
 *	that service resolves it to: a chrooted service (Debian's default
 *	master.cf chroots smtpd and cleanup) sees the file system from the
 *	queue directory, and a relative path is relative to the queue
 *	directory in any case. inet: addresses need no file and are left out.
 *	Grouped addresses ("{ unix:/x.sock, default_action=accept }") count
 *	by their first element. This module knows nothing of consent: it is
 *	what optin-milter -n compares its own socket with.
 * DIAGNOSTICS
 *	-1 when postconf cannot be run or fails (no Postfix, no main.cf);
 *	the caller then has nothing to compare. Addresses beyond
 *	POSTFIX_MILTERS_MAX are left out.
 * SEE ALSO
 *	postconf(1), postconf(5) (smtpd_milters, non_smtpd_milters), master(5)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy/postfix.h"
#include "util/process.h"

#define POSTCONF_OUTPUT_MAX 65536
#define SERVICES_MAX 128
#define POSTFIX_DEFAULT_CONFIG_DIR "/etc/postfix"    /* Debian's; MAIL_CONFIG names another */
#define POSTCONF_PATH "/usr/sbin/postconf"

struct service {
    char name[96];          /* "smtp/inet" */
    char command[32];       /* first word of the command: "smtpd" */
    int chrooted;
    char *milters;          /* its -o smtpd_milters / non_smtpd_milters, or NULL */
};

struct services {
    struct service list[SERVICES_MAX];
    size_t count;
};

/* postfix_configured - is there a main.cf for postconf to read? (without one it fails after a
 * second's sleep, which a start-up must not wait for) */
static int postfix_configured(void)
{
    const char *dir = getenv("MAIL_CONFIG");
    char path[4096];

    snprintf(path, sizeof(path), "%s/main.cf", dir && *dir ? dir : POSTFIX_DEFAULT_CONFIG_DIR);
    return access(path, R_OK) == 0;
}

/* run_postconf - postconf (Debian's, else from PATH) with args into out; 0 when it answered */
static int run_postconf(char *out, size_t outsz, char *a1, char *a2, char *a3, char *a4)
{
    char *argv[] = {access(POSTCONF_PATH, X_OK) == 0 ? POSTCONF_PATH : "postconf", a1, a2, a3, a4, NULL};

    return process_capture(argv, out, outsz) == 0 ? 0 : -1;
}

/* service_of - the service called name (created on first use); NULL when the table is full */
static struct service *service_of(struct services *svc, const char *name, size_t namelen)
{
    for (size_t i = 0; i < svc->count; i++)
        if (strlen(svc->list[i].name) == namelen && strncmp(svc->list[i].name, name, namelen) == 0)
            return &svc->list[i];
    if (svc->count == SERVICES_MAX || namelen >= sizeof(svc->list[0].name))
        return NULL;
    memcpy(svc->list[svc->count].name, name, namelen);
    return &svc->list[svc->count++];
}

/* read_service_lines - "NAME/TYPE/PARAM = VALUE" lines of postconf -F or -P into the table */
static void read_service_lines(struct services *svc, char *text)
{
    char *line, *save = NULL, *eq, *slash;
    struct service *s;

    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if ((eq = strstr(line, " = ")) == NULL)
            continue;
        *eq = '\0';
        if ((slash = strrchr(line, '/')) == NULL || (s = service_of(svc, line, (size_t) (slash - line))) == NULL)
            continue;
        if (strcmp(slash + 1, "command") == 0)
            snprintf(s->command, sizeof(s->command), "%.*s", (int) strcspn(eq + 3, " \t"), eq + 3);
        else if (strcmp(slash + 1, "chroot") == 0)
            s->chrooted = strcmp(eq + 3, "y") == 0;
        else if (strcmp(slash + 1, "smtpd_milters") == 0 || strcmp(slash + 1, "non_smtpd_milters") == 0)
            s->milters = eq + 3;    /* points into text, which outlives the table */
    }
}

/* next_address - the next milter address of a list (the first element of a {...} group) */
static const char *next_address(const char **cursor, size_t *len)
{
    const char *p = *cursor, *start;

    p += strspn(p, " \t,");
    if (*p == '\0')
        return NULL;
    if (*p == '{') {
        start = p + 1 + strspn(p + 1, " \t");
        *len = strcspn(start, " \t,}");
        p = strchr(p, '}');
        *cursor = p ? p + 1 : start + *len;
        return start;
    }
    *len = strcspn(p, " \t,");
    *cursor = p + *len;
    return p;
}

/* add_milters - the unix: addresses of one service's milter list */
static void add_milters(struct postfix_view *view, const struct service *s, const char *list)
{
    const char *cursor = list, *addr;
    struct postfix_milter *m;
    char qdir[sizeof(view->queue_directory)];
    size_t len;

    memcpy(qdir, view->queue_directory, sizeof(qdir));    /* m->path is part of view too */

    while ((addr = next_address(&cursor, &len)) != NULL && view->count < POSTFIX_MILTERS_MAX) {
        if (len <= 5 || strncmp(addr, "unix:", 5) != 0)
            continue;
        m = &view->milters[view->count++];
        snprintf(m->service, sizeof(m->service), "%s", s->name);
        snprintf(m->spec, sizeof(m->spec), "%.*s", (int) len, addr);
        m->chrooted = s->chrooted;
        if (addr[5] == '/' && !s->chrooted)
            snprintf(m->path, sizeof(m->path), "%.*s", (int) len - 5, addr + 5);
        else
            snprintf(m->path, sizeof(m->path), "%s%s%.*s", qdir,
                     addr[5] == '/' ? "" : "/", (int) len - 5, addr + 5);
    }
}

/* postfix_view_read - every unix milter address of smtpd and cleanup, resolved per service */
int postfix_view_read(struct postfix_view *view)
{
    char *globals = malloc(POSTCONF_OUTPUT_MAX), *fields = malloc(POSTCONF_OUTPUT_MAX);
    char *overrides = malloc(POSTCONF_OUTPUT_MAX), *smtpd, *non_smtpd, *save = NULL;
    struct services *svc = calloc(1, sizeof(*svc));
    int rc = -1;

    memset(view, 0, sizeof(*view));
    if (!postfix_configured()
        || globals == NULL || fields == NULL || overrides == NULL || svc == NULL
        || run_postconf(globals, POSTCONF_OUTPUT_MAX, "-xh", "queue_directory", "smtpd_milters",
                        "non_smtpd_milters") != 0
        || run_postconf(fields, POSTCONF_OUTPUT_MAX, "-F", "*/*/command", "*/*/chroot", NULL) != 0
        || run_postconf(overrides, POSTCONF_OUTPUT_MAX, "-Px", "*/*/smtpd_milters",
                        "*/*/non_smtpd_milters", NULL) != 0)
        goto done;
    /* one line per parameter, an empty one for an empty value: strsep keeps it */
    save = globals;
    snprintf(view->queue_directory, sizeof(view->queue_directory), "%s", strsep(&save, "\n"));
    smtpd = save ? strsep(&save, "\n") : NULL;
    non_smtpd = save ? strsep(&save, "\n") : NULL;
    read_service_lines(svc, fields);
    read_service_lines(svc, overrides);
    for (size_t i = 0; i < svc->count; i++) {
        const struct service *s = &svc->list[i];

        if (strcmp(s->command, "smtpd") == 0 || strcmp(s->command, "cleanup") == 0)
            add_milters(view, s, s->milters ? s->milters
                                 : strcmp(s->command, "smtpd") == 0 ? (smtpd ? smtpd : "")
                                 : (non_smtpd ? non_smtpd : ""));
    }
    rc = view->queue_directory[0] == '/' ? 0 : -1;
done:
    free(globals);
    free(fields);
    free(overrides);
    free(svc);
    return rc;
}
