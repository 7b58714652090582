/*
 * NAME
 *	preflight 3
 * SUMMARY
 *	can optin-milter and optin-unsubd work as configured? checked as their own user
 * SYNOPSIS
 *	#include "deploy/preflight.h"
 *
 *	unsigned preflight_run(const struct preflight *pf, struct preflight_result *res)
 * DESCRIPTION
 *	preflight_run() checks what a daemon needs of the system, the way
 *	the daemon itself will meet it: a child process becomes the
 *	configured user and opens the consent store (read-only for the
 *	milter, read-write for optin-unsubd), loads the key file, and tries
 *	the journal and the socket's folder with access(2), and (for
 *	optin-unsubd) reads the page template folders; a second child
 *	becomes mta_user (Postfix's user) and walks the folders to the
 *	socket; the socket's future mode and group (socket_mode, group) are
 *	compared with mta_user's groups; and Postfix's own view, from
 *	postconf (postfix(3)), is compared with the socket: a chrooted smtpd
 *	or cleanup resolves unix:/x.sock inside its queue directory.
 *
 *	Each problem is one line saying what is wrong, then "  fix: " and
 *	the command that fixes it, with the real names and paths. A problem
 *	is fatal when the daemon cannot start past it (socket folder
 *	missing, key file, journal, a missing user or group); the others
 *	(the store, which list mail waits for; what Postfix reaches) leave
 *	the daemon running and mail deferred, which is why -n reports them
 *	all. Started by another user than root, the checks run as that user
 *	and say so. The children share nothing with the caller but the
 *	result, in memory mapped before the fork.
 * DIAGNOSTICS
 *	The result's text; the return value is the number of problems.
 * SEE ALSO
 *	optin-milter(8) (-n), optin-unsubd(8) (-n), process(3), postfix(3)
 */

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "consent/store.h"
#include "deploy/postfix.h"
#include "deploy/preflight.h"
#include "status.h"
#include "unsubscribe/token.h"
#include "util/netaddr.h"
#include "util/process.h"

#define NAME_MAX_LEN 64
#define GROUPS_MAX 256

/* What every check needs: the request, the shared result and the names used in fixes. */
struct check {
    const struct preflight *pf;
    const struct optin_config *cfg;
    struct preflight_result *res;     /* shared with the children */
    char user[NAME_MAX_LEN];          /* who the daemon runs as ("uid N" when unnamed) */
    char user_group[NAME_MAX_LEN];    /* that user's primary group */
    char mta_group[NAME_MAX_LEN];     /* mta_user's primary group ("" when no such user) */
    const char *socket_path;          /* unix socket file, or NULL */
    char socket_dir[512];
};

/* add - one problem, its fix (NULL: none known) */
__attribute__((format(printf, 4, 5)))
static void add(struct check *c, int fatal, const char *fix, const char *fmt, ...)
{
    struct preflight_result *r = c->res;
    size_t len = strlen(r->text);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->text + len, sizeof(r->text) - len, fmt, ap);
    va_end(ap);
    len = strlen(r->text);
    snprintf(r->text + len, sizeof(r->text) - len, "\n%s%s%s", fix ? "  fix: " : "", fix ? fix : "",
             fix ? "\n" : "");
    r->problems++;
    r->fatal += fatal != 0;
}

/* note - a line that is not a problem */
__attribute__((format(printf, 2, 3)))
static void note(struct check *c, const char *fmt, ...)
{
    size_t len = strlen(c->res->text);
    va_list ap;

    snprintf(c->res->text + len, sizeof(c->res->text) - len, "note: ");
    len = strlen(c->res->text);
    va_start(ap, fmt);
    vsnprintf(c->res->text + len, sizeof(c->res->text) - len, fmt, ap);
    va_end(ap);
    len = strlen(c->res->text);
    snprintf(c->res->text + len, sizeof(c->res->text) - len, "\n");
}

/* group_name - the name of gid into out ("" when it has none) */
static void group_name(gid_t gid, char *out, size_t outsz)
{
    struct group *gr = getgrgid(gid);

    snprintf(out, outsz, "%s", gr ? gr->gr_name : "");
}

/* check_store - the consent store opens as the daemon opens it */
static void check_store(struct check *c)
{
    struct store_options so = {.path = c->cfg->database, .map_size = c->cfg->map_size,
                               .max_readers = c->cfg->max_readers,
                               .readonly = c->pf->program == PREFLIGHT_MILTER};
    int fatal = c->pf->program == PREFLIGHT_UNSUBD;
    struct store *st;
    char err[512], fix[1024], data[4096];
    int rc;

    /* LMDB opened for writing makes data.mdb in an empty folder: a check creates nothing */
    snprintf(data, sizeof(data), "%s/data.mdb", c->cfg->database);
    rc = access(data, F_OK) != 0 && errno == ENOENT ? -ENOENT : store_open(&so, &st, err, sizeof(err));
    if (rc == 0) {
        store_close(st);
        return;
    }
    if (rc == -ENOENT || rc == OPTIN_NOTFOUND) {
        snprintf(fix, sizeof(fix), "optinctl -c %s init", c->pf->config_path);
        add(c, fatal, fix, "consent store %s does not exist%s", c->cfg->database,
            fatal ? "" : ": list mail is temp-failed until it does");
    } else if (rc == -EACCES || rc == -EPERM) {
        snprintf(fix, sizeof(fix), "chown -R %s:%s %s", c->user, c->user_group, c->cfg->database);
        add(c, fatal, fix, "consent store %s: user %s cannot open it (%s)%s", c->cfg->database,
            c->user, strerror(-rc), fatal ? "" : ": list mail is temp-failed until it can");
    } else {
        add(c, fatal, NULL, "consent store: %s", err);
    }
}

/* check_keys - the key file loads (when unsubscribe links need it) */
static void check_keys(struct check *c)
{
    const char *keys = c->cfg->keys;
    struct token_keys *k = NULL;
    char err[512], fix[1024];

    if (c->pf->program == PREFLIGHT_MILTER && !config_needs_keys(c->cfg))
        return;
    if (token_keys_load(keys, &k, err, sizeof(err)) == 0) {
        token_keys_free(k);
        return;
    }
    if (access(keys, F_OK) != 0 && errno == ENOENT) {
        snprintf(fix, sizeof(fix), "optinctl -c %s keygen && chown %s %s", c->pf->config_path,
                 c->user, keys);
        add(c, 1, fix, "key file %s does not exist", keys);
    } else if (access(keys, R_OK) != 0) {
        snprintf(fix, sizeof(fix), "chown %s %s   # it stays mode 0600", c->user, keys);
        add(c, 1, fix, "key file %s: user %s cannot read it (%s)", keys, c->user, strerror(errno));
    } else {
        add(c, 1, NULL, "%s", err);
    }
}

/* check_folder_writable - path's folder exists and lets the user create files; 0 when it does */
static int check_folder_writable(struct check *c, const char *what, const char *dir,
                                 const char *group, int fatal_if_unwritable)
{
    char fix[1024];

    if (access(dir, F_OK) != 0) {
        snprintf(fix, sizeof(fix), "install -d -o %s -g %s -m 0750 %s", c->user, group, dir);
        add(c, 1, fix, "%s folder %s does not exist (%s)", what, dir, strerror(errno));
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(fix, sizeof(fix), "install -d -o %s -g %s -m 0750 %s", c->user, group, dir);
        add(c, fatal_if_unwritable, fix, "%s folder %s: user %s cannot create files in it (%s)%s",
            what, dir, c->user, strerror(errno),
            fatal_if_unwritable ? "" : ": the socket stays behind when optin-milter stops");
        return -1;
    }
    return 0;
}

/* check_journal - the journal and its head file can be written (or created) */
static void check_journal(struct check *c)
{
    const char *journal = c->cfg->journal;
    char copy[512], dir[512], head[600], fix[1024];
    const char *log_group = getgrnam("adm") ? "adm" : c->user_group;

    if (journal == NULL || c->pf->program != PREFLIGHT_MILTER)
        return;
    snprintf(copy, sizeof(copy), "%s", journal);
    snprintf(dir, sizeof(dir), "%s", dirname(copy));
    snprintf(head, sizeof(head), "%s.head", journal);
    if (access(journal, F_OK) == 0 && access(journal, W_OK) != 0) {
        snprintf(fix, sizeof(fix), "chown %s %s", c->user, journal);
        add(c, 1, fix, "journal %s: user %s cannot write it (%s)", journal, c->user, strerror(errno));
    }
    if (access(head, F_OK) == 0 && access(head, R_OK | W_OK) != 0) {
        snprintf(fix, sizeof(fix), "chown %s %s", c->user, head);
        add(c, 1, fix, "journal head %s: user %s cannot write it (%s)", head, c->user, strerror(errno));
    }
    if (access(journal, F_OK) != 0 || access(head, F_OK) != 0)
        check_folder_writable(c, "journal", dir, log_group, 1);
}

/* check_templates_folder - optin-unsubd can read a page template folder and its files */
static void check_templates_folder(struct check *c, const char *dir)
{
    char path[4096], fix[4200];
    struct dirent *de;
    DIR *d;

    if (dir == NULL)
        return;
    snprintf(fix, sizeof(fix), "chmod -R a+rX %s", dir);
    if ((d = opendir(dir)) == NULL) {
        add(c, 1, errno == ENOENT ? NULL : fix, "page templates %s: user %s cannot read the folder (%s)",
            dir, c->user, strerror(errno));
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strstr(de->d_name, ".html") == NULL
            || (size_t) snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
            continue;
        if (access(path, R_OK) != 0) {
            add(c, 1, fix, "page template %s: user %s cannot read it (%s)", path, c->user,
                strerror(errno));
            break;
        }
    }
    closedir(d);
}

/* as_user - the checks the daemon's user makes (run in a child that became that user) */
static int as_user(void *arg)
{
    struct check *c = arg;

    check_store(c);
    check_keys(c);
    check_journal(c);
    if (c->pf->program == PREFLIGHT_UNSUBD) {
        check_templates_folder(c, c->cfg->page_templates);
        for (size_t i = 0; i < c->cfg->list_count; i++)
            check_templates_folder(c, c->cfg->lists[i].page_templates);
    }
    if (c->socket_path != NULL)
        check_folder_writable(c, "socket", c->socket_dir,
                              c->cfg->group ? c->cfg->group : c->mta_group[0] ? c->mta_group
                                                                             : c->user_group, 0);
    return 0;
}

/* as_mta - can mta_user walk to the socket (run in a child that became mta_user) */
static int as_mta(void *arg)
{
    struct check *c = arg;
    char prefix[512], fix[1024];

    for (const char *p = c->socket_path + 1; (p = strchr(p, '/')) != NULL; p++) {
        snprintf(prefix, sizeof(prefix), "%.*s", (int) (p - c->socket_path), c->socket_path);
        if (access(prefix, X_OK) == 0)
            continue;
        if (errno == ENOENT)
            break;      /* a missing folder is the user's check's problem */
        if (strcmp(prefix, c->socket_dir) == 0)
            snprintf(fix, sizeof(fix), "install -d -o %s -g %s -m 0750 %s", c->user, c->mta_group, prefix);
        else
            snprintf(fix, sizeof(fix), "chmod o+x %s", prefix);
        add(c, 0, fix, "user %s (mta_user) cannot reach the socket: no way through %s (%s)",
            c->cfg->mta_user, prefix, strerror(errno));
        break;
    }
    return 0;
}

/* check_socket_mode - will mta_user be allowed to connect to the socket once it is made? */
static void check_socket_mode(struct check *c, const struct passwd *mta_entry)
{
    gid_t groups[GROUPS_MAX], socket_gid = getegid();
    int ngroups = GROUPS_MAX, member = 0;
    unsigned mode = c->cfg->socket_mode;
    struct passwd mta_copy = *mta_entry, *mta = &mta_copy, *pw;
    struct group *gr;
    char shown[NAME_MAX_LEN], fix[1024], mta_name[NAME_MAX_LEN];

    /* the entry lives in getpwnam's buffer, which the lookups below reuse */
    snprintf(mta_name, sizeof(mta_name), "%s", mta_entry->pw_name);
    mta_copy.pw_name = mta_name;
    if (mta->pw_uid == 0)
        return;         /* root connects whatever the mode (Sendmail's MTA) */
    if (c->cfg->group && (gr = getgrnam(c->cfg->group)) != NULL)
        socket_gid = gr->gr_gid;
    else if (c->pf->user && (pw = getpwnam(c->pf->user)) != NULL)
        socket_gid = pw->pw_gid;
    if (getgrouplist(mta->pw_name, mta->pw_gid, groups, &ngroups) < 0)
        ngroups = 0;
    for (int i = 0; i < ngroups; i++)
        member |= groups[i] == socket_gid;
    if ((mta->pw_uid == getuid() && (mode & 0200)) || (member && (mode & 0020)) || (mode & 0002))
        return;
    group_name(socket_gid, shown, sizeof(shown));
    snprintf(fix, sizeof(fix), "group = \"%s\"; and socket_mode = \"0660\"; in %s", c->mta_group,
             c->pf->config_path);
    add(c, 0, fix, "user %s (mta_user) will not be allowed to connect to %s: mode %04o, group %s",
        mta->pw_name, c->socket_path, mode, shown[0] ? shown : "?");
}

/* same_as_earlier - an earlier service of v looks for the same address at the same path */
static int same_as_earlier(const struct postfix_view *v, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(v->milters[j].spec, v->milters[i].spec) == 0
            && strcmp(v->milters[j].path, v->milters[i].path) == 0)
            return 1;
    return 0;
}

/* services_reaching - "smtp/inet, cleanup/unix": the services that look where milter i looks */
static void services_reaching(const struct postfix_view *v, size_t i, char *out, size_t outsz)
{
    size_t len = 0;

    out[0] = '\0';
    for (size_t j = i; j < v->count && len < outsz; j++)
        if (strcmp(v->milters[j].spec, v->milters[i].spec) == 0
            && strcmp(v->milters[j].path, v->milters[i].path) == 0)
            len += (size_t) snprintf(out + len, outsz - len, "%s%s", len ? ", " : "", v->milters[j].service);
}

/* check_postfix_view - does every Postfix milter address meant for us reach our socket? */
static void check_postfix_view(struct check *c)
{
    struct postfix_view *v = calloc(1, sizeof(*v));
    const char *ours = strrchr(c->socket_path, '/') + 1, *theirs;
    size_t qlen, reached = 0, missed = 0;
    char fix[1024], services[512];

    if (v == NULL || postfix_view_read(v) != 0) {
        free(v);
        return;     /* no Postfix here, or no main.cf: nothing to compare */
    }
    qlen = strlen(v->queue_directory);
    for (size_t i = 0; i < v->count; i++) {
        const struct postfix_milter *m = &v->milters[i];

        theirs = strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 : m->path;
        if (strcmp(m->path, c->socket_path) == 0) {
            reached++;
            continue;
        }
        if (strcmp(theirs, ours) != 0 || same_as_earlier(v, i))
            continue;
        missed++;
        services_reaching(v, i, services, sizeof(services));
        if (strncmp(c->socket_path, v->queue_directory, qlen) == 0 && c->socket_path[qlen] == '/')
            snprintf(fix, sizeof(fix), "write unix:%s for %s in Postfix's smtpd_milters and "
                     "non_smtpd_milters (main.cf, master.cf -o)", m->chrooted ? c->socket_path + qlen
                     : c->socket_path, m->spec);
        else
            snprintf(fix, sizeof(fix), "socket = \"unix:%s/optin-milter/%s\"; in %s (and unix:/optin-milter/%s "
                     "in main.cf)", v->queue_directory, ours, c->pf->config_path, ours);
        add(c, 0, fix, "Postfix's %s%s%s%s look%s for %s at %s, but optin-milter listens on %s",
            services, m->chrooted ? " (chrooted in " : "", m->chrooted ? v->queue_directory : "",
            m->chrooted ? ")" : "", strchr(services, ',') ? "" : "s", m->spec, m->path, c->socket_path);
    }
    if (reached == 0 && missed == 0)
        note(c, "Postfix (postconf) names %s in no smtpd_milters or non_smtpd_milters", c->socket_path);
    free(v);
}

/* identify - the names the checks and fixes use; 0, or -1 when the user or group does not exist */
static int identify(struct check *c)
{
    const char *user = c->pf->user;
    struct passwd *pw = user ? getpwnam(user) : getpwuid(getuid());
    char fix[256];

    if (user && pw == NULL) {
        snprintf(fix, sizeof(fix), "useradd --system --no-create-home --shell /usr/sbin/nologin %s", user);
        add(c, 1, fix, "user %s does not exist", user);
        return -1;
    }
    if (c->pf->program == PREFLIGHT_MILTER && c->cfg->group && getgrnam(c->cfg->group) == NULL) {
        snprintf(fix, sizeof(fix), "groupadd --system %s", c->cfg->group);
        add(c, 1, fix, "group %s (the socket's group) does not exist", c->cfg->group);
        return -1;
    }
    if (pw)
        snprintf(c->user, sizeof(c->user), "%s", pw->pw_name);
    else
        snprintf(c->user, sizeof(c->user), "%ld", (long) getuid());
    group_name(pw ? pw->pw_gid : getgid(), c->user_group, sizeof(c->user_group));
    if (c->user_group[0] == '\0')
        snprintf(c->user_group, sizeof(c->user_group), "%ld", (long) (pw ? pw->pw_gid : getgid()));
    if ((pw = getpwnam(c->cfg->mta_user)) != NULL)
        group_name(pw->pw_gid, c->mta_group, sizeof(c->mta_group));
    return 0;
}

/* preflight_run - identity, the user's checks, the MTA's checks, Postfix's view */
unsigned preflight_run(const struct preflight *pf, struct preflight_result *res)
{
    struct check c = {.pf = pf, .cfg = pf->cfg};
    struct net_sockspec spec;
    struct passwd *pw, *mta;
    const char *as = pf->user;

    c.res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c.res == MAP_FAILED) {
        *res = (struct preflight_result){.problems = 1};
        snprintf(res->text, sizeof(res->text), "cannot check: %s\n", strerror(errno));
        return 1;
    }
    memset(c.res, 0, sizeof(*c.res));
    if (pf->socket && net_sockspec_parse(pf->socket, &spec) == NULL && spec.kind == SOCKSPEC_UNIX
        && spec.path[0] == '/') {
        c.socket_path = spec.path;
        snprintf(c.socket_dir, sizeof(c.socket_dir), "%.*s",
                 (int) (strrchr(spec.path, '/') - spec.path), spec.path);
        if (c.socket_dir[0] == '\0')
            snprintf(c.socket_dir, sizeof(c.socket_dir), "/");
    }
    if (identify(&c) == 0) {
        pw = as ? getpwnam(as) : NULL;
        if (as && getuid() != 0 && pw && pw->pw_uid != getuid()) {
            note(&c, "not started as root: checked as uid %ld, not as %s", (long) getuid(), as);
            as = NULL;
        }
        if (process_in_child(as, as_user, &c) < 0)
            add(&c, 1, NULL, "cannot check as user %s (see the log)", c.user);
        mta = getpwnam(pf->cfg->mta_user);
        if (c.socket_path && mta == NULL)
            note(&c, "no user %s (mta_user): who reaches the socket is not checked", pf->cfg->mta_user);
        if (c.socket_path && mta && getuid() == 0 && process_in_child(mta->pw_name, as_mta, &c) < 0)
            add(&c, 0, NULL, "cannot check as user %s (see the log)", mta->pw_name);
        if (c.socket_path && (mta = getpwnam(pf->cfg->mta_user)) != NULL)
            check_socket_mode(&c, mta);
        if (c.socket_path)
            check_postfix_view(&c);
    }
    memcpy(res, c.res, sizeof(*res));
    munmap(c.res, sizeof(*res));
    return res->problems;
}
