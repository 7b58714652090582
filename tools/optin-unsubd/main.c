/*
 * NAME
 *	optin-unsubd 8
 * SUMMARY
 *	one-click unsubscribe and double opt-in confirmation over HTTP
 * SYNOPSIS
 *	optin-unsubd [-f] [-n] [-c config] [-l ADDR:PORT] [-u user] [-P pidfile]
 *		[--trusted-proxy IP[/BITS]]... [--rate N] [--max-body BYTES]
 *		[--threads N] [--public]
 * DESCRIPTION
 *	The HTTP side of the List-Unsubscribe URL that optin-milter puts in
 *	list mail, meant to run behind the site's TLS reverse proxy. It
 *	reads the milter's configuration file (database, keys,
 *	confirm_ttl) and writes to the same consent store through the
 *	policy library, so a change is in force for the milter's next
 *	lookup. GET and HEAD of /u/TOKEN and /c/TOKEN show a page with one
 *	button and change nothing; the POST of that button (or a mailbox
 *	provider's RFC 8058 one-click POST) unsubscribes or confirms.
 *
 *	This file is the process: start-up, privileges, signals and reload.
 *	The rest is in http.c (requests and answers), pages.c (HTML),
 *	lang.c (Accept-Language), request.c (X-Forwarded-For, logged path),
 *	ratelimit.c (per-client rate) and options.c (command line).
 *
 *	Start-up: block the signals the main thread waits for, read the
 *	configuration and key file (-n stops there), bind the listening
 *	socket (-l, net_listen_parse: port 0 lets the kernel pick; not
 *	loopback only with --public), daemonize unless -f, write the
 *	pidfile, as root switch to -u (or the configuration's user), then as
 *	that user load configuration and keys again, open the store
 *	read-write (fsync on every commit) and start libmicrohttpd with a
 *	small thread pool.
 *
 *	Each loaded configuration with its keys is one generation
 *	(generation(3)): a request retains the current one for its whole
 *	life. SIGUSR1 loads configuration and keys again and makes them
 *	current; a configuration that fails to load, or that changes a store
 *	setting (database, map_size, max_readers: config_store_settings_differ),
 *	is refused and the running one kept, exactly as in optin-milter.
 *	SIGTERM, SIGINT and SIGHUP stop: MHD_stop_daemon ends the workers,
 *	then the store is closed.
 * DIAGNOSTICS
 *	"starting: version V, listening on ADDR:PORT, ..." once the server
 *	runs; "reload: configuration FILE and keys KEYS loaded", or "reload:
 *	FILE refused, keeping the running configuration" followed by each
 *	error as "FILE:LINE: reason" (a store setting: "FILE: SETTING
 *	changed: database, map_size and max_readers cannot change on reload
 *	(restart optin-unsubd)"); "stopping on signal N", "stopped".
 *	Exit status: 0 after a clean stop or a good -n check; 64 usage
 *	(also a non-loopback -l without --public); 66 no consent store;
 *	71 socket, daemon, pidfile, privileges or HTTP server; 78 bad
 *	configuration or key file.
 * SEE ALSO
 *	optin-unsubd(8), optin-milter(8), optinctl(1), generation(3), RFC 8058
 */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "config/config.h"
#include "consent/store.h"
#include "util/log.h"
#include "util/netaddr.h"
#include "util/process.h"
#include "deploy/preflight.h"
#include "unsubscribe/token.h"
#include "server.h"


/* --- configuration generations --- */

/* gen_free - release a generation's configuration and keys (the payload's free function) */
static void gen_free(void *payload)
{
    struct unsubd_gen *gen = payload;

    if (gen == NULL)
        return;
    for (size_t i = 0; gen->list_templates && i < gen->cfg->list_count; i++)
        templates_free(gen->list_templates[i]);
    free(gen->list_templates);
    templates_free(gen->templates);
    token_keys_free(gen->keys);
    config_free(gen->cfg);
    free(gen);
}

/* gen_load_templates - the global and per-list page templates; 0, or -1 with the reasons in err */
static int gen_load_templates(struct unsubd_gen *gen, char *err, size_t errsz)
{
    const struct optin_config *cfg = gen->cfg;

    if (cfg->page_templates && templates_load(cfg->page_templates, &gen->templates, err, errsz) != 0)
        return -1;
    if (cfg->list_count == 0)
        return 0;
    if ((gen->list_templates = calloc(cfg->list_count, sizeof(*gen->list_templates))) == NULL) {
        snprintf(err, errsz, "out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < cfg->list_count; i++)
        if (cfg->lists[i].page_templates
            && templates_load(cfg->lists[i].page_templates, &gen->list_templates[i], err, errsz) != 0)
            return -1;
    return 0;
}

/* gen_load - configuration, key file and page templates; NULL with the reasons in err */
static struct unsubd_gen *gen_load(const char *path, char *err, size_t errsz)
{
    struct unsubd_gen *gen = calloc(1, sizeof(*gen));

    if (gen == NULL) {
        snprintf(err, errsz, "out of memory\n");
        return NULL;
    }
    if ((gen->cfg = config_load(path, err, errsz)) == NULL
        || token_keys_load(gen->cfg->keys, &gen->keys, err, errsz) != 0
        || gen_load_templates(gen, err, errsz) != 0) {
        size_t len = strlen(err);

        if (len > 0 && err[len - 1] != '\n' && len + 1 < errsz)
            memcpy(err + len, "\n", 2);        /* one line each, like the configuration's */
        gen_free(gen);
        return NULL;
    }
    return gen;
}

/* gen_install - make a loaded generation current (start-up); -1 (freed) when it cannot be */
static int gen_install(struct server *srv, struct unsubd_gen *gen)
{
    if (gen == NULL || generation_replace(&srv->gens, gen, gen_free) != 0) {
        gen_free(gen);
        return -1;
    }
    return 0;
}

/* store_unchanged - 0 when gen keeps the running store settings, else -1 with the reason in err */
static int store_unchanged(struct server *srv, const struct unsubd_gen *gen, char *err,
                           size_t errsz)
{
    struct unsubd_gen *cur = generation_retain(&srv->gens);
    int rc = config_reload_check(cur ? cur->cfg : NULL, gen->cfg, "optin-unsubd", err, errsz);

    generation_release(&srv->gens, cur);
    return rc;
}

/* reload - SIGUSR1: a new configuration and key file, unless they fail or change the store */
static void reload(struct server *srv)
{
    char err[8192] = "";
    struct unsubd_gen *gen = gen_load(srv->opt.config, err, sizeof(err));

    if (gen && store_unchanged(srv, gen, err, sizeof(err)) != 0) {
        gen_free(gen);
        gen = NULL;
    }
    if (gen == NULL || generation_replace(&srv->gens, gen, gen_free) != 0) {
        log_error("reload: %s refused, keeping the running configuration", srv->opt.config);
        log_lines(LOG_SEV_ERROR, err);
        gen_free(gen);
        return;
    }
    /* only this thread replaces: gen stays current at least until the next SIGUSR1 */
    log_set_level(log_level_parse(gen->cfg->log_level));
    log_info("reload: configuration %s and keys %s loaded", srv->opt.config, gen->cfg->keys);
}

/* --- start-up --- */

/* open_listener - bind and listen; the bound address in shown; -1 (logged) on failure */
static int open_listener(const struct unsubd_options *opt, char *shown, size_t shownsz)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct net_ip ip;
    char text[NET_IP_BUFSZ];
    int fd, one = 1;

    if (net_listen_parse(opt->listen, &ss, &len, &ip) != 0) {
        fprintf(stderr, "optin-unsubd: -l %s: expected ADDRESS:PORT or [IPV6]:PORT\n", opt->listen);
        return -2;
    }
    if (!net_ip_is_loopback(&ip) && !opt->public_ok) {
        fprintf(stderr, "optin-unsubd: -l %s: not a loopback address; the endpoint belongs "
                        "behind a TLS reverse proxy (add --public to listen there anyway)\n",
                opt->listen);
        return -2;
    }
    if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0
        || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0
        || bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 128) < 0
        || getsockname(fd, (struct sockaddr *) &ss, &len) < 0) {
        log_error("cannot listen on %s: %s", opt->listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    net_sockaddr_ip((struct sockaddr *) &ss, &ip);
    snprintf(shown, shownsz, net_ip_is_v4(&ip) ? "%s:%u" : "[%s]:%u", net_ip_format(&ip, text),
             ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *) (void *) &ss)->sin_port
                                           : ((struct sockaddr_in6 *) (void *) &ss)->sin6_port));
    return fd;
}

/*
 * drop_privileges - as root, become user (-u, else the configuration's user). Started as
 * another user (systemd User=), stay that user; only an explicit -u naming someone else fails.
 */
static int drop_privileges(const char *user, int explicit)
{
    if (getuid() != 0 && !explicit)
        return 0;
    if (user == NULL) {
        log_warn("running as root: give -u USER (or user in the configuration)");
        return 0;
    }
    return process_become(user);
}

/* open_store - the consent store, read-write with fsync on every commit */
static int open_store(struct server *srv)
{
    struct unsubd_gen *gen = generation_retain(&srv->gens);
    const struct optin_config *cfg = gen->cfg;
    struct store_options so = {.path = cfg->database, .map_size = cfg->map_size,
                               .max_readers = cfg->max_readers};
    char err[512];
    int rc = store_open(&so, &srv->store, err, sizeof(err));

    generation_release(&srv->gens, gen);
    if (rc != 0) {
        log_error("consent store: %s", err);
        return rc == -ENOENT || rc == OPTIN_NOTFOUND ? EX_NOINPUT : EX_OSERR;
    }
    return EX_OK;
}

/* wait_for_signals - the main thread's loop: SIGUSR1 reloads, TERM/INT/HUP stop */
static void wait_for_signals(struct server *srv, const sigset_t *set)
{
    int sig;

    for (;;) {
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig != SIGUSR1) {
            log_info("stopping on signal %d", sig);
            return;
        }
        reload(srv);
    }
}

/* check_setup - configuration and key file as the starting user; the first generation */
static int check_setup(struct server *srv)
{
    char err[16384] = "";

    if (gen_install(srv, gen_load(srv->opt.config, err, sizeof(err))) != 0) {
        fprintf(stderr, "%soptin-unsubd: %s: configuration or key file not usable\n", err,
                srv->opt.config);
        return EX_CONFIG;
    }
    return EX_OK;
}

/* load_as_user - configuration and keys again as the user we run as: a reload will read as that user */
static int load_as_user(struct server *srv)
{
    char err[16384] = "";

    if (gen_install(srv, gen_load(srv->opt.config, err, sizeof(err))) != 0) {
        log_error("start-up as uid %ld: configuration or key file not usable", (long) getuid());
        log_lines(LOG_SEV_ERROR, err);
        return EX_CONFIG;
    }
    return EX_OK;
}

/* log_target_of - where cfg sends the log */
static unsigned log_target_of(const struct optin_config *cfg)
{
    return strcmp(cfg->log_target, "stderr") == 0 ? LOG_TO_STDERR : LOG_TO_SYSLOG;
}

/* become_daemon - log, socket, daemon, pidfile, user, as the first generation says; the socket */
static int become_daemon(struct server *srv, char *shown, size_t shownsz, int *fd)
{
    struct unsubd_gen *first = generation_retain(&srv->gens);
    const struct optin_config *cfg = first->cfg;
    const char *user = srv->opt.user ? srv->opt.user : cfg->user;
    int rc = EX_OK;

    /* while a foreground start runs, stderr as well (run() goes back to the target) */
    log_open("optin-unsubd", log_target_of(cfg) | (srv->opt.foreground ? LOG_TO_STDERR : 0),
             log_facility(cfg->syslog_facility));
    log_set_level(log_level_parse(cfg->log_level));
    if ((*fd = open_listener(&srv->opt, shown, shownsz)) < 0)
        rc = *fd == -2 ? EX_USAGE : EX_OSERR;
    else if ((!srv->opt.foreground && daemon(0, 0) < 0) || process_write_pidfile(srv->opt.pidfile) != 0
             || drop_privileges(user, srv->opt.user != NULL) != 0)
        rc = EX_OSERR;
    generation_release(&srv->gens, first);
    return rc;
}

/* reopen_log - the configured log target alone, once started */
static void reopen_log(struct server *srv)
{
    struct unsubd_gen *gen = generation_retain(&srv->gens);

    log_open("optin-unsubd", log_target_of(gen->cfg), log_facility(gen->cfg->syslog_facility));
    generation_release(&srv->gens, gen);
}

/* run - the part after the checks: socket, daemon, user, store, HTTP, signals */
static int run(struct server *srv, const sigset_t *set)
{
    struct MHD_Daemon *d;
    char shown[80];
    int fd, rc;

    if ((rc = become_daemon(srv, shown, sizeof(shown), &fd)) != EX_OK
        || (rc = load_as_user(srv)) != EX_OK || (rc = open_store(srv)) != EX_OK)
        return rc;
    reopen_log(srv);    /* before the workers: no thread reads the target while it changes */
    if ((d = unsubd_http_start(srv, fd)) == NULL) {
        log_error("cannot start the HTTP server on %s", shown);
        if (srv->opt.foreground)
            fprintf(stderr, "optin-unsubd: cannot start the HTTP server on %s\n", shown);
        close(fd);
        store_close(srv->store);
        return EX_OSERR;
    }
    log_info("starting: version %s, listening on %s, rate %u/min, max body %zu, %zu trusted proxies",
             OPTIN_VERSION, shown, srv->opt.rate, srv->opt.max_body, srv->opt.trusted_count);
    wait_for_signals(srv, set);
    unsubd_http_stop(srv, d);         /* closes the listening socket too */
    store_close(srv->store);
    return EX_OK;
}

/*
 * preflight - the store and key file as the user we will run as (preflight(3)): with -n every
 * problem and its fix on stderr; at start the same on stderr and in the log, and no start
 */
static int preflight(const struct unsubd_options *opt, const struct optin_config *cfg)
{
    struct preflight pf = {.cfg = cfg, .config_path = opt->config,
                           .user = opt->user ? opt->user : getuid() == 0 ? cfg->user : NULL,
                           .program = PREFLIGHT_UNSUBD};
    struct preflight_result *res = malloc(sizeof(*res));

    if (res == NULL)
        return EX_OSERR;
    if (preflight_run(&pf, res) == 0) {
        if (opt->check_only)
            printf("%soptin-unsubd: %s: configuration OK; as user %s the store and key file %s are "
                   "usable\n", res->text, opt->config, pf.user ? pf.user : "(this one)", cfg->keys);
        free(res);
        return EX_OK;
    }
    fprintf(stderr, "%soptin-unsubd: %s: %u problem%s\n", res->text, opt->config, res->problems,
            res->problems == 1 ? "" : "s");
    if (!opt->check_only && log_target_of(cfg) == LOG_TO_SYSLOG) {
        log_open("optin-unsubd", LOG_TO_SYSLOG, log_facility(cfg->syslog_facility));
        log_lines(LOG_SEV_ERROR, res->text);
        log_error("%s: not starting: %u problem%s (optin-unsubd -n lists them)", opt->config,
                  res->problems, res->problems == 1 ? "" : "s");
    }
    free(res);
    return EX_CONFIG;
}

/* main - options, checks, run, clean up */
int main(int argc, char **argv)
{
    static struct server srv = {
        .gens = GENERATION_SLOT_INIT,
        .rate = {.lock = PTHREAD_MUTEX_INITIALIZER},
    };
    struct unsubd_gen *gen;
    sigset_t set;
    int rc;

    sigemptyset(&set);     /* before any thread: the workers inherit the mask */
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = unsubd_options_parse(argc, argv, &srv.opt)) != 0)
        return rc == OPTIONS_DONE ? EX_OK : rc;
    srv.rate.limit = srv.opt.rate;
    if ((rc = check_setup(&srv)) != EX_OK)
        return rc;
    gen = generation_retain(&srv.gens);
    rc = preflight(&srv.opt, gen->cfg);
    generation_release(&srv.gens, gen);
    if (srv.opt.check_only || rc != EX_OK) {
        generation_shutdown(&srv.gens);
        return rc;
    }
    rc = run(&srv, &set);
    if (srv.opt.pidfile && unlink(srv.opt.pidfile) < 0 && errno != ENOENT)
        log_warn("pidfile %s: %s", srv.opt.pidfile, strerror(errno));
    generation_shutdown(&srv.gens);
    if (rc == EX_OK)
        log_info("stopped");
    return rc;
}
