/*
 * NAME
 *	optinctl_export - export of consent records
 * SUMMARY
 *	CSV out of the consent store for optinctl(1)
 * SYNOPSIS
 *	#include "optinctl.h"
 *
 *	int	cmd_export(struct optinctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	cmd_export() implements "optinctl export [-l LIST] [FILE|-]": every
 *	consent record (of LIST) as CSV with the header address, list, state,
 *	method, consented_at, confirmed_at, source, ip, policy_version, from
 *	one read snapshot, written with libcsv's quoting. A cell a spreadsheet
 *	would run as a formula (= + - @ TAB CR first, or an apostrophe) gets
 *	a leading apostrophe (text(3)), which import drops. The output imports
 *	back to the same records (tools/optinctl/import.c).
 *	A FILE is written as FILE.tmp (mode 0600: it holds personal data),
 *	synced and renamed, so it is never seen half-written.
 * DIAGNOSTICS
 *	Exit status: EX_OK; EX_USAGE for bad options; EX_CANTCREAT or
 *	EX_IOERR for the output file; otherwise ctl_store_exit() of the
 *	store error. A record that cannot be decoded is counted and reported.
 * SEE ALSO
 *	optinctl(1), tools/optinctl/import.c, libcsv csv(3)
 */

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/addr.h"
#include "consent/consent.h"
#include "optinctl.h"
#include "consent/store.h"
#include "util/text.h"
#include "util/timeutil.h"

#define EXP_COLUMNS "address, list, state, method, consented_at, confirmed_at, source, ip, policy_version"

/* Export state while scanning the consent database. */
struct exp_ctx {
    struct store_txn *txn;
    FILE *fp;
    const char *list;     /* -l LIST or NULL */
    unsigned long rows;
    unsigned long bad;    /* keys or records that could not be read */
};

/* exp_usage - the synopsis of export */
static void exp_usage(FILE *fp)
{
    fputs("usage: optinctl [global options] export [-l LIST] [FILE|-]\n"
          "  -l, --list LIST  only the records of LIST\n"
          "  -h, --help       print this help\n"
          "Writes CSV with the header " EXP_COLUMNS ";\n"
          "FILE is written as FILE.tmp then renamed; without FILE or with \"-\", standard output.\n",
          fp);
}

/* exp_str - one string field, quoted by libcsv when not empty, with a leading ' when a
 * spreadsheet would run it as a formula (text_cell_guarded; import drops it again) */
static void exp_str(FILE *fp, const char *s, int sep)
{
    size_t len = strlen(s);
    char *guarded;

    if (len > 0 && text_cell_guarded(s, len) && (guarded = malloc(len + 2)) != NULL) {
        guarded[0] = '\'';
        memcpy(guarded + 1, s, len + 1);
        csv_fwrite(fp, guarded, len + 1);
        free(guarded);
    } else if (len > 0) {
        csv_fwrite(fp, s, len);
    }
    putc(sep, fp);
}

/* exp_time - one time field, RFC 3339, empty when unknown */
static void exp_time(FILE *fp, int64_t t)
{
    char buf[TIME_BUFSZ];

    if (t != 0)
        fputs(time_format(t, buf), fp);
    putc(',', fp);
}

/* exp_row - one CSV line for a consent record */
static void exp_row(FILE *fp, const char *addr, const char *list, const struct consent_record *r)
{
    exp_str(fp, addr, ',');
    exp_str(fp, list, ',');
    exp_str(fp, consent_state_name(r->state), ',');
    exp_str(fp, consent_method_name(r->method), ',');
    exp_time(fp, r->consented_at);
    exp_time(fp, r->confirmed_at);
    exp_str(fp, r->source, ',');
    exp_str(fp, r->ip, ',');
    exp_str(fp, r->policy_version, '\n');
}

/* exp_scan_row - store_scan callback: decode "address\0list" and write its record */
static int exp_scan_row(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct exp_ctx *x = arg;
    const char *k = key, *nul = memchr(k, '\0', klen);
    char addr[ADDR_BUFSZ], list[LIST_ID_BUFSZ];
    struct consent_record rec;
    size_t alen, llen;
    int rc;

    (void) val;
    (void) vlen;
    alen = nul != NULL ? (size_t) (nul - k) : klen;
    llen = nul != NULL ? klen - alen - 1 : 0;
    if (llen > 0 && k[klen - 1] == '\0')
        llen--;
    if (nul == NULL || alen >= sizeof(addr) || llen == 0 || llen >= sizeof(list)) {
        x->bad++;
        return 0;
    }
    memcpy(addr, k, alen);
    addr[alen] = '\0';
    memcpy(list, nul + 1, llen);
    list[llen] = '\0';
    if (x->list != NULL && strcmp(list, x->list) != 0)
        return 0;
    if ((rc = consent_get(x->txn, addr, list, &rec)) != 0) {
        x->bad += rc > 0;
        return rc < 0 ? rc : 0;
    }
    exp_row(x->fp, addr, list, &rec);
    x->rows++;
    return ferror(x->fp) ? OPTIN_NOTFOUND : 0;  /* stops the scan; exp_finish reports it */
}

/* exp_write - header and every record from one read snapshot; an exit code */
static int exp_write(struct optinctl *ctl, struct exp_ctx *x)
{
    int rc;

    fputs("address,list,state,method,consented_at,confirmed_at,source,ip,policy_version\n", x->fp);
    if ((rc = store_read_begin(ctl->store, &x->txn)) != 0) {
        ctl_error(ctl, "export: %s", optin_strerror(rc));
        return ctl_store_exit(rc);
    }
    rc = store_scan(x->txn, STORE_DB_CONSENT, "", 0, exp_scan_row, x);  /* "" not NULL: memcmp */
    store_read_end(x->txn);
    x->txn = NULL;
    if (rc < 0) {
        ctl_error(ctl, "export: %s", optin_strerror(rc));
        return ctl_store_exit(rc);
    }
    if (x->bad > 0)
        ctl_error(ctl, "export: warning: %lu records could not be read", x->bad);
    return 0;
}

/* exp_finish - flush, sync and close the output, renaming tmp onto path; an exit code */
static int exp_finish(struct optinctl *ctl, FILE *fp, const char *tmp, const char *path, int rc)
{
    const char *shown = path != NULL ? path : "standard output";

    if (fflush(fp) != 0 || ferror(fp) || (tmp != NULL && fsync(fileno(fp)) != 0)) {
        ctl_error(ctl, "export: write error on %s: %s", shown, strerror(errno));
        rc = rc != 0 ? rc : EX_IOERR;
    }
    if (tmp != NULL && fclose(fp) != 0 && rc == 0) {
        ctl_error(ctl, "export: write error on %s: %s", shown, strerror(errno));
        rc = EX_IOERR;
    }
    if (tmp != NULL && rc == 0 && rename(tmp, path) != 0) {
        ctl_error(ctl, "export: cannot rename %s to %s: %s", tmp, path, strerror(errno));
        rc = EX_CANTCREAT;
    }
    if (tmp != NULL && rc != 0)
        unlink(tmp);
    return rc;
}

/* exp_parse_args - options of export; -1 after --help, else 0 or EX_USAGE */
static int exp_parse_args(struct optinctl *ctl, int argc, char **argv, const char **list,
                          const char **path)
{
    static const struct option longopts[] = {
        { "list", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    *list = NULL;
    optind = 0;  /* glibc: full re-initialisation after main's "+" option scan */
    while ((c = getopt_long(argc, argv, "l:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': *list = optarg; break;
        case 'h': exp_usage(stdout); return -1;
        default: exp_usage(stderr); return EX_USAGE;
        }
    }
    if (argc - optind > 1) {
        ctl_error(ctl, "export: one FILE only");
        exp_usage(stderr);
        return EX_USAGE;
    }
    *path = argc > optind && strcmp(argv[optind], "-") != 0 ? argv[optind] : NULL;
    if (*list != NULL && config_find_list(ctl->cfg, *list) == NULL)
        ctl_error(ctl, "export: warning: list '%s' is not in %s", *list, ctl->config_path);
    return 0;
}

/* cmd_export - optinctl export: every consent record as CSV */
int cmd_export(struct optinctl *ctl, int argc, char **argv)
{
    struct exp_ctx x;
    const char *path;
    char *tmp = NULL;
    int rc, fd;

    memset(&x, 0, sizeof(x));
    if ((rc = exp_parse_args(ctl, argc, argv, &x.list, &path)) != 0)
        return rc < 0 ? EX_OK : rc;
    if ((rc = ctl_open_store(ctl, 1, 0)) != 0)
        return rc;
    x.fp = stdout;
    if (path != NULL) {
        if ((tmp = malloc(strlen(path) + 5)) == NULL) {
            ctl_error(ctl, "export: out of memory");
            return EX_SOFTWARE;
        }
        sprintf(tmp, "%s.tmp", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (x.fp = fdopen(fd, "w")) == NULL) {
            ctl_error(ctl, "export: cannot create %s: %s", tmp, strerror(errno));
            if (fd >= 0)
                close(fd);
            rc = EX_CANTCREAT;
            goto done;
        }
    }
    rc = exp_write(ctl, &x);
    rc = exp_finish(ctl, x.fp, tmp, path, rc);
done:
    free(tmp);
    return rc;
}
