/*
 * NAME
 *	optinctl 1
 * SUMMARY
 *	manage the optin-milter consent database
 * SYNOPSIS
 *	optinctl [-c config] [-t time] [-a actor] [-s source] command [args]
 * DESCRIPTION
 *	The tool ops use to fill and inspect the consent store that
 *	optin-milter reads: init, import, export, subscribe, confirm,
 *	unsubscribe, suppress, unsuppress, check, show, forget, stats,
 *	backup, keygen and token, and for the mail system mailto, feedback
 *	and import-suppressions. It reads the same configuration file as the milter and
 *	writes through the same policy library, so every change lands in
 *	the consent history with its source, actor and time.
 *
 *	Global options come before the command; each command has its own
 *	options and --help. This file holds main(), the command table and
 *	the small commands; the others live beside it in import.c, export.c,
 *	show.c (show, stats), keys.c (keygen, token), esp.c
 *	(import-suppressions), feedback.c and mailto.c (with pipe.c, what
 *	those two Postfix pipe commands share).
 * DIAGNOSTICS
 *	"optinctl: file:line: reason" or "optinctl: what: reason" on stderr.
 *	Exit status: 0 success (check: allowed), 1 check denied (show,
 *	unsuppress: nothing found), 64 usage, 65 bad data, 66 no database
 *	or input, 70 internal error, 73 cannot create, 74 I/O error,
 *	75 temporary failure (retry), 77 permission denied, 78 bad
 *	configuration.
 * SEE ALSO
 *	optinctl(1), optin-milter.conf(5), mdb_load(1) for the shape
 */

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/addr.h"
#include "consent/consent.h"
#include "consent/decide.h"
#include "optinctl.h"
#include "util/timeutil.h"
#include "util/netaddr.h"
#include "util/text.h"


struct command {
    const char *name;
    int (*run)(struct optinctl *ctl, int argc, char **argv);
    const char *usage;
};

static const struct command *find_command(const char *name);

/* ctl_store_exit - exit status for a store or consent return code */
int ctl_store_exit(int rc)
{
    if (optin_is_caller_error(rc))
        return EX_DATAERR;
    switch (rc) {
    case 0:
        return EX_OK;
    case OPTIN_NOTFOUND:
        return EXIT_DENY;
    case -ENOENT:
        return EX_NOINPUT;
    case -EACCES:
    case -EPERM:
    case -EROFS:
        return EX_NOPERM;
    case -EAGAIN:
    case -EBUSY:
        return EX_TEMPFAIL;
    case -EIO:
    case -ENOSPC:
        return EX_IOERR;
    default:
        return optin_is_transient(rc) ? EX_TEMPFAIL : EX_SOFTWARE;
    }
}

/* ctl_open_store - open the configured consent store */
int ctl_open_store(struct optinctl *ctl, int readonly, int nosync)
{
    struct store_options opt = {
        .path = ctl->cfg->database,
        .map_size = ctl->cfg->map_size,
        .max_readers = ctl->cfg->max_readers,
        .readonly = readonly,
        .nosync = nosync,
    };
    char err[512];
    int rc;

    if ((rc = store_open(&opt, &ctl->store, err, sizeof(err))) != 0) {
        ctl_error(ctl, "%s", err);
        return rc == -ENOENT || rc == OPTIN_NOTFOUND ? EX_NOINPUT : ctl_store_exit(rc);
    }
    return EX_OK;
}

/* usage_of - print a command's usage; to stdout for --help, else to stderr with EX_USAGE */
static int usage_of(const char *name, int asked)
{
    const struct command *cmd = find_command(name);

    fprintf(asked ? stdout : stderr, "usage: optinctl [global options] %s\n",
            cmd ? cmd->usage : name);
    return asked ? EX_OK : EX_USAGE;
}

static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {0}};

/* positional_args - a command without options: check --help and the argument count */
static int positional_args(int argc, char **argv, int min, int max)
{
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", help_only, NULL)) != -1)
        return usage_of(argv[0], c == 'h');
    if (argc - optind < min || argc - optind > max)
        return usage_of(argv[0], 0);
    return -1;
}

/* ctl_printable - an argument fit for one diagnostic line: control bytes as \xNN, cut at 80 */
const char *ctl_printable(const char *raw, char buf[CTL_PRINTABLE_BUFSZ])
{
    return text_escape(raw, strlen(raw), 80, 0, buf, CTL_PRINTABLE_BUFSZ);
}

/* ctl_address - normalize an address argument, or print why not */
static int ctl_address(const struct optinctl *ctl, const char *raw, char out[ADDR_BUFSZ])
{
    enum addr_error err = addr_normalize(raw, strlen(raw), ctl->addr_flags, out);
    char shown[CTL_PRINTABLE_BUFSZ];

    if (err != ADDR_OK) {
        ctl_error(ctl, "%s: %s", ctl_printable(raw, shown), addr_strerror(err));
        return EX_DATAERR;
    }
    return EX_OK;
}

/* ctl_ip - validate an --ip argument and put it in canonical form */
static int ctl_ip(const struct optinctl *ctl, const char *raw, char out[NET_IP_BUFSZ])
{
    char shown[CTL_PRINTABLE_BUFSZ];

    if (net_ip_canonical(raw, out) != 0) {
        ctl_error(ctl, "--ip %s: expected an IPv4 or IPv6 address", ctl_printable(raw, shown));
        return EX_USAGE;
    }
    return EX_OK;
}

/* ctl_target - an address or "@domain" argument in canonical form */
static int ctl_target(const struct optinctl *ctl, const char *raw, char out[ADDR_BUFSZ + 1])
{
    enum addr_error err;

    if (raw[0] != '@')
        return ctl_address(ctl, raw, out);
    out[0] = '@';
    if ((err = addr_normalize_domain(raw + 1, strlen(raw + 1), out + 1)) != ADDR_OK) {
        char shown[CTL_PRINTABLE_BUFSZ];

        ctl_error(ctl, "%s: %s", ctl_printable(raw, shown), addr_strerror(err));
        return EX_DATAERR;
    }
    return EX_OK;
}

/* ctl_list - the configured list with that id, or print why not */
static const struct list_def *ctl_list(const struct optinctl *ctl, const char *id)
{
    const struct list_def *list = config_find_list(ctl->cfg, id);

    if (list == NULL)
        ctl_error(ctl, "%s: no such list in %s", id, ctl->cfg->path);
    return list;
}

/* ctl_change - the change context of this invocation */
static struct change_ctx ctl_change(const struct optinctl *ctl, const char *ip, const char *policy)
{
    struct change_ctx cc = {
        .now = ctl->now, .source = ctl->source, .ip = ip, .actor = ctl->actor,
        .policy_version = policy,
    };
    return cc;
}

/* ctl_write_result - report a failed write and map it to an exit status */
static int ctl_write_result(const struct optinctl *ctl, const char *what, int rc)
{
    if (rc == 0)
        return EX_OK;
    if (rc == OPTIN_EFIELD)
        ctl_error(ctl, "%s: a field is too long (source, ip or policy version)", what);
    else if (rc == OPTIN_ENOTPENDING)
        ctl_error(ctl, "%s: nothing pending to confirm (unsubscribed since?)", what);
    else if (rc != OPTIN_NOTFOUND)
        ctl_error(ctl, "%s: %s", what, optin_strerror(rc));
    return ctl_store_exit(rc);
}

/*
 * chown_entry - one entry of dirfd (or dirfd itself: name "") to uid:gid, never through a
 * symbolic link and never a file with another hard link (which could be anyone's file);
 * 0, or -1 with the reason printed
 */
static int chown_entry(const struct optinctl *ctl, int dirfd, const char *name, const char *shown,
                       uid_t uid, gid_t gid)
{
    int flags = *name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
    struct stat st;

    if (fstatat(dirfd, name, &st, flags) == 0 && !S_ISDIR(st.st_mode)
        && (!S_ISREG(st.st_mode) || st.st_nlink != 1)) {
        ctl_error(ctl, "%s: not given to user %s: not a plain file with one link", shown, ctl->cfg->user);
        return -1;
    }
    if (fchownat(dirfd, name, uid, gid, flags) == 0)
        return 0;
    ctl_error(ctl, "%s: cannot give it to user %s: %s", shown, ctl->cfg->user, strerror(errno));
    return -1;
}

/* ctl_give_to_user - path and the files directly in it to the configured user (as root only) */
void ctl_give_to_user(const struct optinctl *ctl, const char *path)
{
    char shown[4096];
    struct passwd *pw;
    struct dirent *de;
    DIR *dir;
    int fd, failed;

    if (geteuid() != 0 || ctl->cfg->user == NULL)
        return;
    if ((pw = getpwnam(ctl->cfg->user)) == NULL) {
        ctl_error(ctl, "%s stays root's: user %s does not exist yet (then: chown -R %s %s)", path,
                  ctl->cfg->user, ctl->cfg->user, path);
        return;
    }
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
        ctl_error(ctl, "%s: cannot give it to user %s: %s", path, ctl->cfg->user, strerror(errno));
        return;
    }
    failed = chown_entry(ctl, fd, "", path, pw->pw_uid, pw->pw_gid);
    if ((dir = fdopendir(fd)) == NULL) {
        close(fd);                  /* a file, not a folder: done */
    } else {
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            snprintf(shown, sizeof(shown), "%s/%s", path, de->d_name);
            failed |= chown_entry(ctl, dirfd(dir), de->d_name, shown, pw->pw_uid, pw->pw_gid);
        }
        closedir(dir);
    }
    if (!failed)
        printf("%s belongs to user %s (the configuration's user)\n", path, pw->pw_name);
}

/* cmd_init - create the consent store */
static int cmd_init(struct optinctl *ctl, int argc, char **argv)
{
    struct store_options opt = {
        .path = ctl->cfg->database, .map_size = ctl->cfg->map_size,
        .max_readers = ctl->cfg->max_readers, .create = 1,
    };
    char err[512];
    int rc;

    if ((rc = positional_args(argc, argv, 0, 0)) != -1)
        return rc;
    if ((rc = store_open(&opt, &ctl->store, err, sizeof(err))) != 0) {
        ctl_error(ctl, "%s", err);
        return rc == -EACCES ? EX_NOPERM : EX_CANTCREAT;
    }
    printf("initialised %s (schema %d)\n", ctl->cfg->database, STORE_SCHEMA_VERSION);
    ctl_give_to_user(ctl, ctl->cfg->database);
    return EX_OK;
}

/* ctl_warn_blocked - after a subscribe: say so when a suppression still stops the mail */
static void ctl_warn_blocked(const struct optinctl *ctl, const struct list_def *list,
                             const char *addr)
{
    struct decision d;

    if (decide_address(ctl->store, list, addr, strlen(addr), ctl->addr_flags, ctl->now, &d) == 0
        && d.reason >= REASON_SUPPRESSED_BOUNCE && d.reason <= REASON_GLOBAL_UNSUBSCRIBE)
        ctl_error(ctl, "warning: %s stays blocked: %s (see optinctl show; lift with unsuppress)",
                  addr, decision_reason_name(d.reason));
}

struct subscribe_args {
    const char *list, *addr;
    enum consent_method method;
    struct change_ctx cc;
    char code[CONFIRM_CODE_BUFSZ];
};

/* subscribe_txn - write callback of subscribe */
static int subscribe_txn(struct store_txn *txn, void *arg)
{
    struct subscribe_args *a = arg;

    return consent_subscribe(txn, a->list, a->addr, a->method, &a->cc, a->code);
}

/* cmd_subscribe - record single or double opt-in */
static int cmd_subscribe(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"single", no_argument, NULL, '1'}, {"double", no_argument, NULL, '2'},
        {"ip", required_argument, NULL, 'i'}, {"policy-version", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'}, {0}};
    struct subscribe_args a = {.method = METHOD_NONE};
    const char *ip = NULL, *policy = NULL;
    const struct list_def *list;
    char addr[ADDR_BUFSZ], ipbuf[NET_IP_BUFSZ];
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == '1' || c == '2')
            a.method = c == '1' ? METHOD_SINGLE : METHOD_DOUBLE;
        else if (c == 'i' && (rc = ctl_ip(ctl, optarg, ipbuf)) != EX_OK)
            return rc;
        else if (c == 'i')
            ip = ipbuf;
        else if (c == 'p')
            policy = optarg;
        else
            return usage_of(argv[0], c == 'h');
    }
    if (argc - optind != 2)
        return usage_of(argv[0], 0);
    if ((list = ctl_list(ctl, argv[optind])) == NULL)
        return EX_DATAERR;
    if ((rc = ctl_address(ctl, argv[optind + 1], addr)) != EX_OK)
        return rc;
    if (a.method == METHOD_NONE)
        a.method = list->opt_in == OPT_IN_DOUBLE ? METHOD_DOUBLE : METHOD_SINGLE;
    if (a.method == METHOD_SINGLE && list->opt_in == OPT_IN_DOUBLE) {
        ctl_error(ctl, "list %s requires double opt-in: use --double (or import with confirmed_at)",
                  list->id);
        return EX_USAGE;
    }
    a.list = list->id;
    a.addr = addr;
    a.cc = ctl_change(ctl, ip, policy);
    if ((rc = ctl_open_store(ctl, 0, 0)) != EX_OK)
        return rc;
    if ((rc = ctl_write_result(ctl, addr, store_write(ctl->store, subscribe_txn, &a))) != EX_OK)
        return rc;
    if (a.method == METHOD_DOUBLE)
        printf("%s\n", a.code);
    else
        printf("confirmed %s list=%s\n", addr, list->id);
    ctl_warn_blocked(ctl, list, addr);
    return EX_OK;
}

/* cmd_confirm - confirm a double opt-in by its confirmation code */
static int cmd_confirm(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"ip", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'}, {0}};
    struct confirm_request a = {.ttl = ctl->cfg->confirm_ttl};
    char ipbuf[NET_IP_BUFSZ];
    const char *ip = NULL;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c != 'i')
            return usage_of(argv[0], c == 'h');
        if ((rc = ctl_ip(ctl, optarg, ipbuf)) != EX_OK)
            return rc;
        ip = ipbuf;
    }
    if (argc - optind != 1)
        return usage_of(argv[0], 0);
    a.code = argv[optind];
    a.ctx = ctl_change(ctl, ip, NULL);
    if ((rc = ctl_open_store(ctl, 0, 0)) != EX_OK)
        return rc;
    if ((rc = ctl_write_result(ctl, a.code, store_write(ctl->store, consent_confirm_write, &a)))
        != EX_OK)
        return rc;
    printf("confirmed %s list=%s\n", a.addr, a.list);
    return EX_OK;
}

struct unsubscribe_args {
    const char *list, *addr;
    struct change_ctx cc;
};

/* unsubscribe_txn - write callback of unsubscribe */
static int unsubscribe_txn(struct store_txn *txn, void *arg)
{
    struct unsubscribe_args *a = arg;

    return consent_unsubscribe(txn, a->list, a->addr, &a->cc);
}

/* cmd_unsubscribe - opt out of one list, or of all (--all) */
static int cmd_unsubscribe(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'A'}, {"help", no_argument, NULL, 'h'}, {0}};
    struct unsubscribe_args a = {0};
    char addr[ADDR_BUFSZ];
    int all = 0, c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c != 'A')
            return usage_of(argv[0], c == 'h');
        all = 1;
    }
    if (argc - optind != (all ? 1 : 2))
        return usage_of(argv[0], 0);
    if (!all) {
        const struct list_def *list = ctl_list(ctl, argv[optind++]);

        if (list == NULL)
            return EX_DATAERR;
        a.list = list->id;
    }
    if ((rc = ctl_address(ctl, argv[optind], addr)) != EX_OK)
        return rc;
    a.addr = addr;
    a.cc = ctl_change(ctl, NULL, NULL);
    if ((rc = ctl_open_store(ctl, 0, 0)) != EX_OK)
        return rc;
    if ((rc = ctl_write_result(ctl, addr, store_write(ctl->store, unsubscribe_txn, &a))) != EX_OK)
        return rc;
    printf("unsubscribed %s list=%s\n", addr, all ? "*" : a.list);
    return EX_OK;
}

struct suppress_args {
    const char *target;
    enum suppress_reason reason;   /* SUPPRESS_NONE: lift */
    struct change_ctx cc;
};

/* suppress_txn - write callback of suppress and unsuppress */
static int suppress_txn(struct store_txn *txn, void *arg)
{
    struct suppress_args *a = arg;

    if (a->reason == SUPPRESS_NONE)
        return consent_unsuppress(txn, a->target, &a->cc);
    return consent_suppress(txn, a->target, a->reason, &a->cc);
}

/* cmd_suppress - suppress (or with unsuppress, lift) an address or @domain */
static int cmd_suppress(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'}, {0}};
    int lift = strcmp(argv[0], "unsuppress") == 0;
    struct suppress_args a = {.reason = lift ? SUPPRESS_NONE : SUPPRESS_MANUAL};
    char target[ADDR_BUFSZ + 1];
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c != 'r' || lift)
            return usage_of(argv[0], c == 'h');
        if ((rc = suppress_reason_parse(optarg)) < 0) {
            ctl_error(ctl, "--reason %s: expected bounce, complaint, global-unsubscribe or manual",
                      optarg);
            return EX_USAGE;
        }
        a.reason = rc;
    }
    if (argc - optind != 1)
        return usage_of(argv[0], 0);
    if ((rc = ctl_target(ctl, argv[optind], target)) != EX_OK)
        return rc;
    a.target = target;
    a.cc = ctl_change(ctl, NULL, NULL);
    if ((rc = ctl_open_store(ctl, 0, 0)) != EX_OK)
        return rc;
    rc = store_write(ctl->store, suppress_txn, &a);
    if (rc == OPTIN_NOTFOUND)
        printf("%s was not suppressed\n", target);
    if ((rc = ctl_write_result(ctl, target, rc)) != EX_OK)
        return rc;
    printf("%s %s%s%s\n", lift ? "unsuppressed" : "suppressed", target,
           lift ? "" : " reason=", lift ? "" : suppress_reason_name(a.reason));
    return EX_OK;
}

/* cmd_check - would list mail to this address be allowed now? */
static int cmd_check(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'}, {0}};
    const struct list_def *list;
    struct decision d;
    char when[TIME_BUFSZ];
    int c, verbose = 0, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        if (c != 'v')
            return usage_of(argv[0], c == 'h');
        verbose = 1;
    }
    if (argc - optind != 2)
        return usage_of(argv[0], 0);
    if ((list = ctl_list(ctl, argv[optind])) == NULL)
        return EX_DATAERR;
    if ((rc = ctl_open_store(ctl, 1, 0)) != EX_OK)
        return rc;
    rc = decide_address(ctl->store, list, argv[optind + 1], strlen(argv[optind + 1]),
                        ctl->addr_flags, ctl->now, &d);
    if (rc != 0) {
        ctl_error(ctl, "lookup failed: %s", optin_strerror(rc));
        return EX_TEMPFAIL;
    }
    printf("%s\n", decision_reason_name(d.reason));
    if (verbose)
        printf("verdict=%s list=%s address=%s method=%s consent_time=%s%s%s\n",
               d.allow ? "allow" : "deny", list->id, d.address[0] ? d.address : "-",
               consent_method_name(d.method), d.consent_time ? time_format(d.consent_time, when) : "-",
               d.reason == REASON_INVALID_ADDRESS ? " error=" : "",
               d.reason == REASON_INVALID_ADDRESS ? addr_strerror(d.addr_error) : "");
    return d.allow ? EX_OK : EXIT_DENY;
}

struct forget_args {
    const char *addr;
    struct change_ctx cc;
};

/* forget_txn - write callback of forget */
static int forget_txn(struct store_txn *txn, void *arg)
{
    struct forget_args *a = arg;
    int rc = consent_forget(txn, a->addr, &a->cc);

    return rc != 0 ? rc : lastsend_forget(txn, a->addr);
}

/* forget_allowed - is the retention time of the address's consent records over? exit code */
static int forget_allowed(struct optinctl *ctl, const char *addr, int force)
{
    char when[TIME_BUFSZ], until[TIME_BUFSZ];
    struct store_txn *txn;
    unsigned long lines;
    int64_t latest = 0, keep;
    json_t *sends = json_array();
    int rc;

    if ((rc = lastsend_index(ctl, &lines)) != 0 && !force) {
        ctl_error(ctl, "forget: the journal index cannot be brought up to date (%s): the last mail to "
                  "%s is unknown; --force erases it anyway", optin_strerror(rc), addr);
        json_decref(sends);
        return EX_TEMPFAIL;
    }
    if ((rc = store_read_begin(ctl->store, &txn)) == 0) {
        rc = lastsend_of(txn, addr, sends, &latest);
        store_read_end(txn);
    }
    json_decref(sends);
    if (rc != 0)
        return ctl_write_result(ctl, addr, rc);
    keep = retention_until(latest);
    if (keep > ctl->now && !force) {
        ctl_error(ctl, "forget: %s was last mailed %s; its consent records must be kept until %s "
                  "(one month after the last mail, Japan's Specified Electronic Mail Act): "
                  "not erased; --force erases them anyway", addr, time_format(latest, when),
                  time_format(keep, until));
        return EX_NOPERM;
    }
    return EX_OK;
}

/* cmd_forget - erase an address's personal data, keep it suppressed by keyed hash */
static int cmd_forget(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"yes", no_argument, NULL, 'y'}, {"force", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'}, {0}};
    struct forget_args a = {0};
    char addr[ADDR_BUFSZ];
    size_t lines, files;
    int c, yes = 0, force = 0, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hy", opts, NULL)) != -1) {
        if (c != 'y' && c != 'F')
            return usage_of(argv[0], c == 'h');
        yes |= c == 'y';
        force |= c == 'F';
    }
    if (argc - optind != 1)
        return usage_of(argv[0], 0);
    if ((rc = ctl_address(ctl, argv[optind], addr)) != EX_OK)
        return rc;
    if (!yes) {
        ctl_error(ctl, "forget erases every record and the history of %s for good; "
                  "add --yes to do it", addr);
        return EX_USAGE;
    }
    a.addr = addr;
    a.cc = ctl_change(ctl, NULL, NULL);
    if ((rc = ctl_open_store(ctl, 0, 0)) != EX_OK)
        return rc;
    if ((rc = forget_allowed(ctl, addr, force)) != EX_OK)
        return rc;
    if ((rc = ctl_write_result(ctl, addr, store_write(ctl->store, forget_txn, &a))) != EX_OK)
        return rc;
    if ((rc = journal_forget(ctl, addr, &lines, &files)) != EX_OK) {
        ctl_error(ctl, "%s: the store is erased but journal lines still name it: run forget again",
                  addr);
        return rc;
    }
    printf("forgotten %s: records and history erased, kept suppressed by keyed hash; "
           "%zu journal line%s redacted in %zu file%s\n", addr, lines, lines == 1 ? "" : "s",
           files, files == 1 ? "" : "s");
    return EX_OK;
}

/* cmd_backup - hot compacted copy of the store */
static int cmd_backup(struct optinctl *ctl, int argc, char **argv)
{
    int rc;

    if ((rc = positional_args(argc, argv, 1, 1)) != -1)
        return rc;
    if ((rc = ctl_open_store(ctl, 1, 0)) != EX_OK)
        return rc;
    if ((rc = store_backup(ctl->store, argv[optind])) != 0) {
        ctl_error(ctl, "backup to %s: %s%s", argv[optind], optin_strerror(rc),
                  rc == -EEXIST ? " (the target directory must be new or empty)" : "");
        return rc == -EEXIST || rc == -EACCES ? EX_CANTCREAT : EX_IOERR;
    }
    printf("backup written to %s\n", argv[optind]);
    return EX_OK;
}



static const struct command commands[] = {
    {"init", cmd_init, "init"},
    {"import", cmd_import,
     "import [-n|--dry-run] [--skip-invalid] [--resubscribe] [-l LIST] [-q] FILE|-"},
    {"export", cmd_export, "export [-l LIST] [FILE|-]"},
    {"subscribe", cmd_subscribe,
     "subscribe [--single|--double] [--ip IP] [--policy-version V] LIST ADDRESS"},
    {"confirm", cmd_confirm, "confirm [--ip IP] CODE"},
    {"unsubscribe", cmd_unsubscribe, "unsubscribe LIST ADDRESS | unsubscribe --all ADDRESS"},
    {"suppress", cmd_suppress,
     "suppress [--reason bounce|complaint|global-unsubscribe|manual] ADDRESS|@DOMAIN"},
    {"unsuppress", cmd_suppress, "unsuppress ADDRESS|@DOMAIN"},
    {"check", cmd_check, "check [-v] LIST ADDRESS"},
    {"show", cmd_show, "show [--json] ADDRESS|@DOMAIN"},
    {"forget", cmd_forget, "forget --yes [--force] ADDRESS"},
    {"stats", cmd_stats, "stats [--json]"},
    {"report", cmd_report, "report [--since TIME] [--until TIME] [-l LIST] [--sender ADDRESS] "
                           "[--repeat N] [--top N] [--format table|csv|json|html] [-o FILE] [FILE...]"},
    {"purge", cmd_purge, "purge [--dry-run]"},
    {"journal", cmd_journal, "journal [--json] [-a ADDRESS] [-l LIST] [-q QUEUE_ID] [-V VERDICT] "
                             "[-r REASON] [--since TIME] [--until TIME] [FILE...] | journal verify [FILE...]"},
    {"backup", cmd_backup, "backup DIRECTORY"},
    {"keygen", cmd_keygen, "keygen [FILE]"},
    {"token", cmd_keygen, "token [-k FILE] LIST ADDRESS | token [-k FILE] --decode TOKEN"},
    {"mailto", cmd_mailto, "mailto [-r RECIPIENT] < MESSAGE"},
    {"feedback", cmd_feedback,
     "feedback [--complaint-scope list|all] [--soft-limit N] [--soft-window DURATION] < REPORT"},
    {"import-suppressions", cmd_import_suppressions,
     "import-suppressions --format ses|sendgrid|mailgun|postmark [--kind KIND] [-l LIST] [-n] "
     "[--skip-invalid] [-q] FILE|-"},
};

/* find_command - the command table entry of a name */
static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* command_is_pipe - mailto and feedback run under a Postfix pipe(8) transport, where 75 retries */
static int command_is_pipe(const struct command *cmd)
{
    return strcmp(cmd->name, "mailto") == 0 || strcmp(cmd->name, "feedback") == 0;
}

/* dash_address_hint - after a usage error: an address that begins with '-' reads as options */
static void dash_address_hint(const struct optinctl *ctl, int argc, char **argv)
{
    char shown[CTL_PRINTABLE_BUFSZ];

    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (argv[i][0] == '-' && argv[i][1] != '-' && strchr(argv[i], '@') != NULL) {
            ctl_error(ctl, "%s: %s looks like an address: put it after -- (optinctl %s ... -- %s)",
                      argv[0], ctl_printable(argv[i], shown), argv[0], shown);
            return;
        }
}

/* usage - the global usage on stderr (or stdout for -h) */
static int usage(int asked)
{
    FILE *fp = asked ? stdout : stderr;

    fprintf(fp, "usage: optinctl [-c config] [-t time] [-a actor] [-s source] command [args]\n"
                "       optinctl -V | --version | -h | --help\n"
                "global options:\n"
                "  -c FILE    configuration (default %s)\n"
                "  -t TIME    clock for this run, RFC 3339 or @epoch (default: now)\n"
                "  -a ACTOR   who makes the change, recorded in the history (default: login name)\n"
                "  -s SOURCE  where the change comes from, recorded in the history (default: cli)\n"
                "commands (each takes --help):\n", OPTIN_DEFAULT_CONFIG);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(fp, "  %s\n", commands[i].usage);
    return asked ? EX_OK : EX_USAGE;
}

/* default_actor - the invoking user, as sudo reports it or from the password file */
static const char *default_actor(void)
{
    const char *sudo = getenv("SUDO_USER");
    struct passwd *pw;

    if (sudo && *sudo)
        return sudo;
    pw = getpwuid(getuid());
    return pw ? pw->pw_name : "unknown";
}

/* parse_global - global options before the command */
static int parse_global(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0}};
    int c;

    while ((c = getopt_long(argc, argv, "+a:c:hs:t:V", longs, NULL)) != -1) {
        switch (c) {
        case 'a': ctl->actor = optarg; break;
        case 'c': ctl->config_path = optarg; break;
        case 's': ctl->source = optarg; break;
        case 'V': printf("optinctl %s\n", OPTIN_VERSION); return EX_OK;
        case 'h': return usage(1);
        case 't':
            if (time_parse(optarg, &ctl->now) == 0)
                break;
            ctl_error(ctl, "-t %s: expected RFC 3339 time or @epoch", optarg);
            return EX_USAGE;
        default: return usage(0);
        }
    }
    return optind < argc ? -1 : usage(0);
}

/* main - parse global options, load the configuration, run one command */
int main(int argc, char **argv)
{
    struct optinctl ctl = {.progname = "optinctl", .config_path = OPTIN_DEFAULT_CONFIG,
                           .source = "cli", .now = clock_now()};
    const struct command *cmd;
    char err[8192];
    int rc, first;

    log_open(ctl.progname, LOG_TO_STDERR | LOG_UNLABELLED, log_facility("mail"));
    ctl.actor = default_actor();
    if ((rc = parse_global(&ctl, argc, argv)) != -1)
        return rc;
    if ((cmd = find_command(argv[optind])) == NULL) {
        ctl_error(&ctl, "%s: unknown command", argv[optind]);
        return usage(0);
    }
    for (int i = optind + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            ctl.config_path = "/dev/null";   /* help needs no configuration: defaults */
    if ((ctl.cfg = config_load(ctl.config_path, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s", err);
        ctl_error(&ctl, "%s: configuration not usable", ctl.config_path);
        return command_is_pipe(cmd) ? EX_TEMPFAIL : EX_CONFIG;
    }
    log_set_level(log_level_parse(ctl.cfg->log_level));
    ctl.addr_flags = ctl.cfg->fold_local_part ? ADDR_FOLD_LOCAL : 0;
    first = optind;     /* the command's own getopt moves optind */
    rc = cmd->run(&ctl, argc - first, argv + first);
    if (rc == EX_USAGE)
        dash_address_hint(&ctl, argc - first, argv + first);
    if (rc == EX_USAGE && command_is_pipe(cmd))
        rc = EX_TEMPFAIL;   /* a master.cf typo must keep the mail queued, not bounce it */
    store_close(ctl.store);
    config_free(ctl.cfg);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ctl_error(&ctl, "standard output: %s", strerror(errno));
        return rc ? rc : EX_IOERR;
    }
    return rc;
}
