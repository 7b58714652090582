/*
 * NAME
 *	optin-milter 8
 * SUMMARY
 *	opt-in consent enforcer for outbound bulk mail (libmilter daemon)
 * SYNOPSIS
 *	optin-milter [-f] [-n] [-V] [-c config] [-p socket]
 *	optin-milter --help | --version
 * DESCRIPTION
 *	Start-up and shut-down: block the signals our threads wait for, read
 *	and check the configuration and key file, run the checks of
 *	preflight(3) as the configured user and as mta_user (-n prints them
 *	and stops there; at start a fatal one stops it with 78), log to
 *	syslog or stderr (a foreground start to stderr too, until it runs),
 *	make the metrics registry, register with libmilter and open the socket, give
 *	the socket its mode and group, daemonize (unless -f), write the
 *	pidfile, drop privileges, and only then, as the configured user,
 *	make the one SPF checker (libspf2, before any thread; on the test
 *	zone named by OPTIN_SPF_ZONE_FILE when that is set), open the
 *	journal and the LMDB store (never before a fork) and run.
 *
 *	The main thread takes the signals (milter_run() in daemon.c runs
 *	libmilter in a thread of its own): SIGUSR1 reloads the configuration
 *	and reopens the journal; SIGTERM and SIGHUP drain first (a new
 *	message temp-fails with 451 4.3.2, messages already begun are served
 *	to their end, at most 30 s), then stop libmilter and wake its
 *	listener; SIGINT stops at once. The store and the SPF checker are
 *	closed only when no callback can touch them any more. At the end the
 *	socket is removed when it is still the one this process bound (same
 *	device and inode): a milter started on the path meanwhile keeps its own.
 * DIAGNOSTICS
 *	Exit status 0 after a clean stop or a good -n check; 78 (EX_CONFIG)
 *	for a bad configuration or key file, with each error as
 *	"FILE:LINE: reason" on stderr, a problem -n found (each with its fix),
 *	or at start one the milter cannot get past, or an unusable OPTIN_SPF_ZONE_FILE
 *	(logged); 71 (EX_OSERR) when the socket,
 *	daemon, pidfile, privileges or journal cannot be set up; 70 when
 *	libmilter's main loop fails; 64 for bad options. A consent store that
 *	cannot be opened is not fatal: list mail temp-fails (logged) until a
 *	reload opens it.
 * SEE ALSO
 *	optin-milter(8), optin-milter.conf(5), optinctl(1)
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <sysexits.h>
#include <unistd.h>

#include "util/log.h"
#include "util/process.h"
#include "milter.h"
#include "util/netaddr.h"
#include "deploy/preflight.h"

#define DRAIN_SECONDS 30

struct options {
    const char *config;
    const char *socket;     /* -p: overrides the configuration's socket */
    int foreground;
    int check_only;
};

/* usage - the synopsis: on stdout and exit 0 when asked (--help), else on stderr with EX_USAGE */
static int usage(int asked)
{
    fprintf(asked ? stdout : stderr,
            "usage: optin-milter [-f] [-n] [-V] [-c config] [-p socket]\n"
            "  -c FILE    configuration (default %s)\n"
            "  -f         stay in the foreground (errors on stderr as well as in the log)\n"
            "  -n         check the configuration, the files and the socket's folder as the\n"
            "             configured user, then exit (0: usable)\n"
            "  -p SOCKET  listen here instead (unix:PATH or inet:PORT@HOST)\n"
            "  -V, --version  print the version\n"
            "  --help     this text\n", OPTIN_DEFAULT_CONFIG);
    if (asked)
        exit(EX_OK);
    return EX_USAGE;
}

/* parse_options - command line */
static int parse_options(int argc, char **argv, struct options *opt)
{
    static const struct option longs[] = {
        {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0}};
    int c;

    while ((c = getopt_long(argc, argv, "c:fnp:V", longs, NULL)) != -1) {
        switch (c) {
        case 'c': opt->config = optarg; break;
        case 'f': opt->foreground = 1; break;
        case 'n': opt->check_only = 1; break;
        case 'p': opt->socket = optarg; break;
        case 'V': printf("optin-milter %s\n", OPTIN_VERSION); exit(EX_OK);
        case 'h': return usage(1);
        default: return usage(0);
        }
    }
    return optind == argc ? 0 : usage(0);
}

/* socket_path - the file of a unix-domain socket spec, or NULL */
static const char *socket_path(const char *conn, struct net_sockspec *spec)
{
    return net_sockspec_parse(conn, spec) == NULL && spec->kind == SOCKSPEC_UNIX ? spec->path : NULL;
}

/* socket_gid - the socket's group: group, else the primary group of user; 0 none, -1 unknown */
static int socket_gid(const struct optin_config *cfg, gid_t *gid)
{
    struct passwd *pw;
    struct group *gr;

    if (cfg->group != NULL) {
        if ((gr = getgrnam(cfg->group)) == NULL)
            return -1;
        *gid = gr->gr_gid;
        return 1;
    }
    if (cfg->user == NULL)
        return 0;
    if ((pw = getpwnam(cfg->user)) == NULL)
        return -1;
    *gid = pw->pw_gid;
    return 1;
}

/* setup_socket - register and open the socket, born with its mode (no moment open to others),
 * then its group; every failure stops the start (an MTA that cannot connect defers all mail) */
static int setup_socket(const struct optin_config *cfg, const char *conn, struct stat *bound)
{
    struct net_sockspec spec;
    const char *path = socket_path(conn, &spec);
    char err[256];
    mode_t old_mask;
    gid_t gid = (gid_t) -1;
    int have_gid, opened;

    if ((have_gid = socket_gid(cfg, &gid)) < 0) {
        log_error("socket group: no such %s %s", cfg->group ? "group" : "user",
                  cfg->group ? cfg->group : cfg->user);
        return -1;
    }
    if (peers_setup(cfg, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return -1;
    }
    old_mask = umask(~cfg->socket_mode & 0777);
    opened = smfi_setconn((char *) conn) == MI_SUCCESS && smfi_register(optin_filter) == MI_SUCCESS
             && smfi_opensocket(1) == MI_SUCCESS;
    umask(old_mask);
    if (!opened) {
        log_error("cannot listen on %s", conn);
        return -1;
    }
    if (path == NULL)
        return 0;
    if (lstat(path, bound) != 0)
        bound->st_ino = 0;                          /* unknown: never removed at stop */
    if (chmod(path, cfg->socket_mode) < 0 || (have_gid && chown(path, (uid_t) -1, gid) < 0)) {
        log_error("socket %s: mode %04o, group %s: %s", path, cfg->socket_mode,
                  cfg->group ? cfg->group : cfg->user ? cfg->user : "-", strerror(errno));
        return -1;
    }
    return 0;
}

/* socket_remove - remove the socket at stop only when it is still the one we bound: a milter
 * started on the same path while this one drained has bound its own there */
static void socket_remove(const char *path, const struct stat *bound)
{
    struct stat now;

    if (lstat(path, &now) != 0)
        return;
    if (bound->st_ino == 0 || now.st_dev != bound->st_dev || now.st_ino != bound->st_ino) {
        log_info("socket %s is another process's now: left in place", path);
        return;
    }
    if (unlink(path) < 0)
        log_warn("socket %s: %s", path, strerror(errno));
}

/* block_signals - USR1 goes to our reload thread; HUP/TERM/INT to libmilter's */
static void block_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* check_config - load once to report every error; 0 when usable */
static struct optin_config *check_config(const char *path)
{
    char err[16384];
    struct optin_config *cfg = config_load(path, err, sizeof(err));

    if (cfg == NULL)
        fprintf(stderr, "%soptin-milter: %s: configuration not usable\n", err, path);
    return cfg;
}

/* spf_setup - the process's one SPF checker: DNS, or the test zone of OPTIN_SPF_ZONE_FILE */
static struct spf *spf_setup(void)
{
    const char *zone = getenv("OPTIN_SPF_ZONE_FILE");
    char err[1024];
    struct spf *spf;

    if (zone && *zone == '\0')
        zone = NULL;
    if ((spf = spf_open(zone, err, sizeof(err))) == NULL) {
        log_error("SPF: %s", err);
        return NULL;
    }
    if (zone)
        log_warn("SPF: test zone %s replaces DNS (OPTIN_SPF_ZONE_FILE)", zone);
    gen_set_spf(spf);
    return spf;
}

/* spf_teardown - log the counters, close */
static void spf_teardown(struct spf *spf)
{
    struct spf_stats st;

    spf_stats(spf, &st);
    if (st.checks > 0)
        log_info("SPF: %lu checks, %lu cache hits, %lu misses, %lu DNS lookups, %lu timeouts",
                 st.checks, st.cache_hits, st.cache_misses, st.dns_lookups, st.timeouts);
    spf_close(spf);
}

/* log_target_of - where cfg sends the log */
static unsigned log_target_of(const struct optin_config *cfg)
{
    return strcmp(cfg->log_target, "stderr") == 0 ? LOG_TO_STDERR : LOG_TO_SYSLOG;
}

/* preflight_for - the checks of cfg as optin-milter will run */
static unsigned preflight_for(const struct optin_config *cfg, const struct options *opt,
                              struct preflight_result *res)
{
    struct preflight pf = {.cfg = cfg, .config_path = opt->config,
                           .socket = opt->socket ? opt->socket : cfg->socket, .user = cfg->user,
                           .program = PREFLIGHT_MILTER};

    return preflight_run(&pf, res);
}

/* check_and_exit - -n: every problem with its fix on stderr; exit 0 only when there is none */
static int check_and_exit(struct optin_config *cfg, const struct options *opt)
{
    struct preflight_result *res = malloc(sizeof(*res));
    int rc = EX_OSERR;

    if (res != NULL && preflight_for(cfg, opt, res) == 0) {
        fputs(res->text, stdout);
        printf("optin-milter: %s: configuration OK; as user %s the store, key file, journal and "
               "socket folder are usable\n", opt->config, cfg->user ? cfg->user : "(this one)");
        rc = EX_OK;
    } else if (res != NULL) {
        fputs(res->text, stderr);
        fprintf(stderr, "optin-milter: %s: %u problem%s\n", opt->config, res->problems,
                res->problems == 1 ? "" : "s");
        rc = EX_CONFIG;
    }
    free(res);
    config_free(cfg);
    return rc;
}

/* preflight_at_start - the -n checks, logged; -1 when one stops the start */
static int preflight_at_start(const struct optin_config *cfg, const struct options *opt)
{
    struct preflight_result *res = malloc(sizeof(*res));
    int rc = 0;

    if (res == NULL)
        return -1;
    if (preflight_for(cfg, opt, res) > 0) {
        log_lines(res->fatal ? LOG_SEV_ERROR : LOG_SEV_WARN, res->text);
        if (res->fatal)
            log_error("%s: not starting: %u problem%s (optin-milter -n lists them)", opt->config,
                      res->fatal, res->fatal == 1 ? "" : "s");
        rc = res->fatal ? -1 : 0;
    }
    free(res);
    return rc;
}

/* main - set up, run, drain, clean up */
int main(int argc, char **argv)
{
    struct options opt = {.config = OPTIN_DEFAULT_CONFIG};
    struct optin_config *cfg;
    struct spf *spf;
    struct metrics *metrics;
    struct net_sockspec spec;
    struct stat bound = {0};
    const char *path;
    char err[16384], *conn, *pidfile;
    int rc, left, running, facility;
    unsigned log_to;

    block_signals();    /* before anything: a SIGUSR1 must never kill us */
    if (parse_options(argc, argv, &opt) != 0)
        return EX_USAGE;
    if ((cfg = check_config(opt.config)) == NULL)
        return EX_CONFIG;
    log_to = log_target_of(cfg);
    facility = log_facility(cfg->syslog_facility);
    /* while a foreground start runs, stderr as well: whoever started it sees why it failed */
    log_open("optin-milter", opt.foreground ? log_to | LOG_TO_STDERR : log_to, facility);
    log_set_level(log_level_parse(cfg->log_level));
    if (gen_check_keys(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s", err);
        config_free(cfg);
        return EX_CONFIG;
    }
    if (opt.check_only)
        return check_and_exit(cfg, &opt);
    if (preflight_at_start(cfg, &opt) != 0) {
        config_free(cfg);
        return EX_CONFIG;
    }
    /* the configuration is read once; what start and stop need of it outlives its generation */
    conn = strdup(opt.socket ? opt.socket : cfg->socket);
    pidfile = cfg->pidfile ? strdup(cfg->pidfile) : NULL;
    if (conn == NULL || (cfg->pidfile && pidfile == NULL))
        return EX_OSERR;
    /* root's part: socket, daemon, pidfile; then the configured user opens store and journal */
    smfi_setmaxdatasize(1024 * 1024 - 1);   /* headers up to 1 MiB (Sendmail; Postfix sends 64 KiB) */
    if (setup_socket(cfg, conn, &bound) != 0 || (!opt.foreground && daemon(0, 0) < 0)
        || process_write_pidfile(cfg->pidfile) != 0
        || (cfg->user && getuid() == 0 && process_become(cfg->user) != 0))
        return EX_OSERR;
    if ((spf = spf_setup()) == NULL)
        return EX_CONFIG;
    if ((metrics = metrics_new(enforce_metric_families, enforce_metric_family_count)) == NULL)
        return EX_OSERR;
    metrics_set(metrics, "optin_milter_start_time_seconds", (double) time(NULL), NULL);
    gen_set_metrics(metrics);
    if (gen_install(cfg, GEN_RUN, err, sizeof(err)) != 0) {
        log_error("start-up failed: %s", err);
        return EX_OSERR;
    }
    log_info("starting: version %s, listening on %s", OPTIN_VERSION, conn);
    log_open("optin-milter", log_to, facility);   /* before any thread of ours logs */
    rc = milter_run(opt.config, conn, DRAIN_SECONDS);
    log_info("stopping: waiting for running lookups");
    gen_shutdown();                 /* no new message, no reload from here on */
    running = callbacks_close(DRAIN_SECONDS, &left);
    if (left > 0)
        log_info("stopping: %d sessions still open get the MTA's milter_default_action", left);
    if (running > 0) {
        /* never pull the store or the SPF checker from under a lookup: exit leaves them */
        log_warn("stopping with lookups still running after %d s", DRAIN_SECONDS);
    } else {
        store_close(gen_store_get());
        spf_teardown(spf);      /* the metrics registry is never freed: see daemon.c */
    }
    if (pidfile && unlink(pidfile) < 0 && errno != ENOENT)
        log_warn("pidfile %s: %s", pidfile, strerror(errno));
    if ((path = socket_path(conn, &spec)) != NULL)
        socket_remove(path, &bound);
    free(pidfile);
    free(conn);
    log_info("stopped");
    return rc == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}
