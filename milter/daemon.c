/*
 * NAME
 *	daemon 8
 * SUMMARY
 *	configuration generations, reload and session drain of optin-milter
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	int	gen_install(struct optin_config *cfg, int mode, char *err, size_t errsz)
 *	int	gen_check_keys(const struct optin_config *cfg, char *err, size_t errsz)
 *	void	gen_set_spf(struct spf *spf)
 *	void	gen_set_metrics(struct metrics *metrics)
 *	struct generation *gen_retain(void)
 *	void	gen_release(struct generation *gen)
 *	int	milter_run(const char *config_path, const char *conn, int seconds)
 *	int	transaction_begin(void), void transaction_end(void)
 *	void	session_begin(void), session_end(void)
 *	int	callback_enter(void), void callback_leave(void)
 *	int	callbacks_close(int seconds, int *sessions_open)
 *	int	sigwait(const sigset_t *set, int *sig)
 * DESCRIPTION
 *	A generation is one loaded configuration with its token keys and its
 *	journal file, kept by generation(3). Messages retain the current
 *	generation at MAIL and release it at their end, so a reload swaps in
 *	a new generation atomically and the old one is freed when its last
 *	message is done.
 *
 *	milter_run() runs smfi_main() in a thread of its own and takes the
 *	signals in the main thread, where Linux delivers a process-directed
 *	signal first when that thread waits for it: SIGUSR1 reloads; SIGTERM
 *	and SIGHUP drain (a new message temp-fails with 451 4.3.2, open ones
 *	finish, at most 30 s) and only then stop libmilter. A configuration that fails to load is refused: its
 *	errors are logged and the old generation stays. Loading also opens
 *	the journal again, so SIGUSR1 is what logrotate sends; when the new
 *	configuration is refused the current journal is reopened anyway.
 *	The consent store is opened once per process, after daemonizing, and
 *	is shared by all generations; a reload that changes database,
 *	map_size or max_readers is refused (restart to change them;
 *	config_reload_check(), the rule optin-unsubd follows too). When
 *	the store could not be opened, each reload tries again, so fixing
 *	the database and sending SIGUSR1 is enough.
 *
 *	The counters (metrics(3)) are one registry per process, made by
 *	main() before any thread and never freed (threads outside the
 *	callback guard count too, and the process exits right after);
 *	milter_run()'s loop writes metrics_file every metrics_interval, and
 *	once more when libmilter has stopped. callback_enter() and
 *	callback_leave() time each guarded callback for the reply histogram.
 *
 *	The SPF checker (spf(3)) is one per process, made by main() before
 *	any thread and handed to every generation through gen_set_spf();
 *	a generation checks senders only when its egress_ips is set, so a
 *	reload switches the check on and off.
 *
 *	Callbacks that use the consent store or the SPF checker are
 *	counted too: callback_enter() admits one (0) or, once
 *	callbacks_close() has begun, refuses it (-1: the callback temp-fails
 *	without touching anything), and callbacks_close() returns how many
 *	still run after the wait. Shutdown closes the store and the SPF
 *	checker only when that is 0, so no thread can reach them after, even
 *	a session libmilter still serves. The store is opened with MDB_NOTLS
 *	(store(3)): no thread-exit destructor of LMDB runs after the close.
 *	Debian's libmilter (built with its worker pool) serves no session
 *	once it is stopped, which is why the drain happens before the stop.
 *
 *	libmilter runs a thread of its own that waits for SIGHUP, SIGTERM
 *	and SIGINT with sigwait(3) and stops at once, without a drain. So
 *	that the main thread alone takes them, this module defines sigwait()
 *	(the dynamic linker binds libmilter's call to it; nothing else here
 *	calls it): it parks the calling thread for good.
 * DIAGNOSTICS
 *	Reload results are logged: "reload: configuration FILE loaded" or
 *	"reload: FILE refused, keeping the running configuration", followed
 *	by each error as "FILE:LINE: reason", or for a store setting as
 *	"FILE: SETTING changed: database, map_size and max_readers cannot
 *	change on reload (restart optin-milter)".
 * SEE ALSO
 *	optin-milter(8), optin-milter.conf(5)
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/generation.h"
#include "util/log.h"
#include "milter.h"
#include "util/netaddr.h"

static struct generation_slot gens = GENERATION_SLOT_INIT;   /* the current struct generation */
static struct store *gen_store;         /* set by the main thread only, in gen_install */
static struct spf *gen_spf;
static struct metrics *gen_metrics;     /* the process's counters, set before any thread */
static __thread struct timespec callback_started;   /* callback_enter() of this thread's callback */
static int64_t metrics_due;             /* main thread only: when the file is next written */
static char metrics_failed[512];        /* main thread only: the last write error logged */

static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t callbacks_done = PTHREAD_COND_INITIALIZER;
static unsigned long session_count;
static unsigned long callbacks_running;
static unsigned long transactions_open;  /* messages between MAIL and their end */
static int draining;                     /* SIGTERM seen: new messages temp-fail */
static int callbacks_closed;             /* shutdown: no callback may reach the store */
static int milter_done;                  /* smfi_main has returned */

static int milter_finished(void);

/* gen_free - release a generation's resources (the payload's free function) */
static void gen_free(void *payload)
{
    struct generation *gen = payload;

    journal_close(gen->journal);
    token_keys_free(gen->keys);
    config_free(gen->cfg);
    free(gen);
}

/* journal_opened - apply journal_sync and log the end of the chain (an anchor to check verify against) */
static void journal_opened(struct journal *j, const struct optin_config *cfg)
{
    char hash[CHAIN_HASH_BUFSZ];
    uint64_t seq;
    int rc;

    journal_set_sync(j, (int) cfg->journal_sync);
    if ((rc = journal_head(j, &seq, hash)) != 0)
        log_warn("journal %s: head unknown: %s", cfg->journal, optin_strerror(rc));
    else
        log_info("journal %s: head seq=%" PRIu64 " hash=%s", cfg->journal, seq, hash);
}

/* gen_open_parts - keys and (when running) journal of a new generation */
static int gen_open_parts(struct generation *gen, int mode, char *err, size_t errsz)
{
    const struct optin_config *cfg = gen->cfg;
    int needs_keys = config_needs_keys(cfg);

    if (needs_keys && token_keys_load(cfg->keys, &gen->keys, err, errsz) != 0)
        return -1;
    if (!needs_keys && mode == GEN_RUN)
        log_warn("no unsubscribe_url or unsubscribe_mailto: list mail gets no List-Unsubscribe");
    if (mode == GEN_RUN && cfg->journal && journal_open(cfg->journal, &gen->journal, err, errsz) != 0)
        return -1;
    if (mode == GEN_RUN && gen->journal)
        journal_opened(gen->journal, cfg);
    if (mode == GEN_RUN && cfg->egress_ips.count > 0)
        log_info("SPF: list senders are checked against %zu egress address%s%s", cfg->egress_ips.count,
                 cfg->egress_ips.count == 1 ? "" : "es",
                 cfg->helo_name ? "" : "; the null sender is not checked (no helo_name)");
    return 0;
}

/* gen_warn_restart - say which changed settings only a restart applies */
static void gen_warn_restart(const struct optin_config *old, const struct optin_config *new)
{
    static const struct {
        const char *name;
        size_t offset;
    } fixed[] = {
        {"socket", offsetof(struct optin_config, socket)},
        {"user", offsetof(struct optin_config, user)},
        {"group", offsetof(struct optin_config, group)},
        {"pidfile", offsetof(struct optin_config, pidfile)},
        {"log_target", offsetof(struct optin_config, log_target)},
        {"syslog_facility", offsetof(struct optin_config, syslog_facility)},
    };

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        const char *a = *(char *const *) ((const char *) old + fixed[i].offset);
        const char *b = *(char *const *) ((const char *) new + fixed[i].offset);

        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
            log_warn("reload: %s changed; it takes effect at the next restart", fixed[i].name);
    }
    if (old->socket_mode != new->socket_mode)
        log_warn("reload: socket_mode changed; it takes effect at the next restart");
}

/* gen_check_change - may gen replace the current generation? 0, or -1 with the reason in err */
static int gen_check_change(const struct generation *gen, int mode, char *err, size_t errsz)
{
    struct generation *cur = generation_retain(&gens);
    int rc = config_reload_check(cur ? cur->cfg : NULL, gen->cfg, "optin-milter", err, errsz);

    if (rc == 0 && cur && mode == GEN_RUN)
        gen_warn_restart(cur->cfg, gen->cfg);
    generation_release(&gens, cur);
    return rc;
}

/* store_open_configured - the consent store, read-only; NULL (logged) when unavailable */
static struct store *store_open_configured(const struct optin_config *cfg)
{
    struct store_options so = {.path = cfg->database, .map_size = cfg->map_size,
                               .max_readers = cfg->max_readers, .readonly = 1};
    struct store *st = NULL;
    char err[512];

    if (store_open(&so, &st, err, sizeof(err)) != 0) {
        log_error("consent store: %s: list mail will be %s until it opens (reload to retry)", err,
                  cfg->store_failure == STORE_FAIL_ACCEPT ? "delivered unchecked" : "temp-failed");
        return NULL;
    }
    log_info("consent store %s open", cfg->database);
    return st;
}

/* gen_set_spf - the process's one SPF checker, for every generation loaded from now on */
void gen_set_spf(struct spf *spf)
{
    gen_spf = spf;
}

/* gen_set_metrics - the process's counters, for every generation loaded from now on */
void gen_set_metrics(struct metrics *metrics)
{
    gen_metrics = metrics;
}

/* flush_metrics - write the metrics file when it is due, or now (force); the main thread only */
static void flush_metrics(int force)
{
    struct generation *gen = gen_retain();
    int64_t now = (int64_t) time(NULL);
    char err[sizeof(metrics_failed)];

    if (gen != NULL && metrics_due > now + gen->cfg->metrics_interval)
        metrics_due = now + gen->cfg->metrics_interval;    /* a reload shortened the interval */
    if (gen == NULL || gen->cfg->metrics_file == NULL || gen_metrics == NULL
        || (!force && now < metrics_due)) {
        if (gen != NULL)
            gen_release(gen);
        return;
    }
    metrics_due = now + gen->cfg->metrics_interval;
    metrics_set(gen_metrics, "optin_milter_metrics_time_seconds", (double) now, NULL);
    if (metrics_write(gen_metrics, gen->cfg->metrics_file, err, sizeof(err)) != 0) {
        if (strcmp(err, metrics_failed) != 0)      /* once per new reason, not every interval */
            log_error("metrics: %s", err);
        snprintf(metrics_failed, sizeof(metrics_failed), "%s", err);
    } else if (metrics_failed[0]) {
        log_info("metrics: %s written again", gen->cfg->metrics_file);
        metrics_failed[0] = '\0';
    }
    gen_release(gen);
}

/* gen_store_get - the process's one store handle (for shutdown) */
struct store *gen_store_get(void)
{
    return gen_store;
}

/* gen_install - make cfg (now owned here, freed on failure) the current generation */
int gen_install(struct optin_config *cfg, int mode, char *err, size_t errsz)
{
    struct generation *gen = calloc(1, sizeof(*gen));
    struct store *opened = NULL;

    if (gen == NULL) {
        config_free(cfg);
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    gen->cfg = cfg;
    if (gen_open_parts(gen, mode, err, errsz) != 0 || gen_check_change(gen, mode, err, errsz) != 0)
        goto refuse;
    /* opened before the swap, under no lock (only this thread sets gen_store): MAIL never waits */
    if (mode == GEN_RUN && gen_store == NULL)
        gen_store = opened = store_open_configured(gen->cfg);   /* only after any fork: never twice */
    gen->env = (struct msg_env){.cfg = gen->cfg, .keys = gen->keys, .store = gen_store,
                                .journal = gen->journal, .spf = gen_spf, .metrics = gen_metrics};
    if (generation_replace(&gens, gen, gen_free) != 0) {
        snprintf(err, errsz, "%s: not loaded: optin-milter is stopping\n", cfg->path);
        if (opened) {
            gen_store = NULL;
            store_close(opened);
        }
        goto refuse;
    }
    if (mode == GEN_RUN)
        log_set_level(log_level_parse(cfg->log_level));
    return 0;

refuse:
    gen_free(gen);
    return -1;
}

/* gen_check_keys - can the key file of cfg be loaded (before fork and privilege drop)? */
int gen_check_keys(const struct optin_config *cfg, char *err, size_t errsz)
{
    struct generation gen = {.cfg = (struct optin_config *) cfg};
    int rc = gen_open_parts(&gen, GEN_CHECK_ONLY, err, errsz);

    token_keys_free(gen.keys);
    return rc;
}

/* gen_retain - the current generation, kept alive until gen_release; NULL once stopping */
struct generation *gen_retain(void)
{
    return generation_retain(&gens);
}

/* gen_release - drop one reference; the last one frees the generation */
void gen_release(struct generation *gen)
{
    generation_release(&gens, gen);
}

/* gen_shutdown - drop the current generation at exit; no reload from here on */
void gen_shutdown(void)
{
    generation_shutdown(&gens);
}

/* gen_reload - SIGUSR1: new configuration, or keep the old one and reopen its journal */
static void gen_reload(const char *path)
{
    struct generation *gen;
    char err[8192] = "";

    struct optin_config *cfg = config_load(path, err, sizeof(err));

    if (cfg != NULL && gen_install(cfg, GEN_RUN, err, sizeof(err)) == 0) {
        log_info("reload: configuration %s loaded", path);
        return;
    }
    log_error("reload: %s refused, keeping the running configuration", path);
    log_lines(LOG_SEV_ERROR, err);
    if ((gen = gen_retain()) == NULL)
        return;
    if (gen->journal && journal_reopen(gen->journal) != 0)
        log_error("reload: journal %s could not be reopened", gen->cfg->journal);
    gen_release(gen);
}

/* milter_thread - libmilter's main loop, off the main thread (which owns the signals) */
static void *milter_thread(void *arg)
{
    int *rc = arg;

    *rc = smfi_main();
    pthread_mutex_lock(&session_lock);
    milter_done = 1;
    pthread_cond_broadcast(&callbacks_done);
    pthread_mutex_unlock(&session_lock);
    return NULL;
}

/* drain_transactions - refuse new messages, wait for open ones (or libmilter's end); left open */
static int drain_transactions(int seconds)
{
    struct timespec until;
    int left;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&session_lock);
    draining = 1;
    while (transactions_open > 0 && !milter_done)
        if (pthread_cond_timedwait(&callbacks_done, &session_lock, &until) == ETIMEDOUT)
            break;
    left = (int) transactions_open;
    pthread_mutex_unlock(&session_lock);
    return left;
}

/* wake_listener - one connection to our own socket, so libmilter's accept loop sees the stop now */
static void wake_listener(const char *conn)
{
    struct net_sockspec spec;
    int fd;

    if (net_sockspec_parse(conn, &spec) == NULL && (fd = net_sockspec_connect(&spec)) >= 0)
        close(fd);
}

/*
 * milter_run - run libmilter in a thread and take the signals here, in the main thread: Linux
 * gives a process-directed signal to the main thread first when it waits for it, so SIGTERM
 * and SIGHUP reach us, not libmilter's own signal thread. USR1 reloads; TERM and HUP drain
 * (new messages temp-fail, open ones finish, at most seconds) and then stop libmilter; INT
 * stops at once. Returns smfi_main's result, or MI_SUCCESS after a stop signal (a stop asked for
 * before libmilter's loop ran makes smfi_main fail).
 */
int milter_run(const char *config_path, const char *conn, int seconds)
{
    struct timespec tick = {1, 0};
    pthread_t tid;
    sigset_t set;
    int rc = MI_FAILURE, sig = 0, left;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    if (pthread_create(&tid, NULL, milter_thread, &rc) != 0)
        return MI_FAILURE;
    while (!milter_finished()) {
        flush_metrics(0);
        if ((sig = sigtimedwait(&set, NULL, &tick)) == SIGUSR1) {
            gen_reload(config_path);
        } else if (sig == SIGTERM || sig == SIGHUP) {
            log_info("stopping: new messages temp-fail, waiting for open ones");
            if ((left = drain_transactions(seconds)) > 0)
                log_warn("stopping with %d messages still open after %d s", left, seconds);
            smfi_stop();
            wake_listener(conn);
            break;
        } else if (sig == SIGINT) {
            smfi_stop();
            wake_listener(conn);
            break;
        }
    }
    pthread_join(tid, NULL);
    flush_metrics(1);       /* the counts of the last messages too (not of callbacks a SIGINT cut) */
    /* a stop asked for before libmilter's loop ran makes smfi_main fail: still a clean stop */
    return sig == SIGTERM || sig == SIGHUP || sig == SIGINT ? MI_SUCCESS : rc;
}

/* sigwait - what libmilter's signal thread calls: park it for good, so that SIGTERM, SIGHUP
 * and SIGINT reach milter_run's sigtimedwait() alone and every stop drains first */
int sigwait(const sigset_t *set, int *sig)
{
    (void) set;
    (void) sig;
    for (;;)
        pause();                         /* every signal is blocked here: never returns */
}

/* milter_finished - has libmilter's main loop returned? */
static int milter_finished(void)
{
    int done;

    pthread_mutex_lock(&session_lock);
    done = milter_done;
    pthread_mutex_unlock(&session_lock);
    return done;
}

/* transaction_begin - a message begins; refused (-1) while draining */
int transaction_begin(void)
{
    int ok;

    pthread_mutex_lock(&session_lock);
    if ((ok = !draining))
        transactions_open++;
    pthread_mutex_unlock(&session_lock);
    return ok ? 0 : -1;
}

/* transaction_end - a message ended (end of message, abort or close) */
void transaction_end(void)
{
    pthread_mutex_lock(&session_lock);
    if (transactions_open > 0 && --transactions_open == 0)
        pthread_cond_broadcast(&callbacks_done);
    pthread_mutex_unlock(&session_lock);
}

/* session_begin - one more live session (for the log at shutdown) */
void session_begin(void)
{
    pthread_mutex_lock(&session_lock);
    session_count++;
    pthread_mutex_unlock(&session_lock);
}

/* session_end - one session closed */
void session_end(void)
{
    pthread_mutex_lock(&session_lock);
    if (session_count > 0)
        session_count--;
    pthread_mutex_unlock(&session_lock);
}

/* callback_enter - a callback that uses the store or the SPF checker begins; 0, or -1 once
 * shutdown has closed the door (the caller temp-fails and touches nothing) */
int callback_enter(void)
{
    int open;

    pthread_mutex_lock(&session_lock);
    if ((open = !callbacks_closed))
        callbacks_running++;
    pthread_mutex_unlock(&session_lock);
    clock_gettime(CLOCK_MONOTONIC, &callback_started);
    return open ? 0 : -1;
}

/* callback_leave - that callback is done */
void callback_leave(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    metrics_observe(gen_metrics, "optin_milter_reply_seconds",
                    (double) (now.tv_sec - callback_started.tv_sec)
                        + (double) (now.tv_nsec - callback_started.tv_nsec) / 1e9);
    pthread_mutex_lock(&session_lock);
    if (callbacks_running > 0 && --callbacks_running == 0)
        pthread_cond_broadcast(&callbacks_done);
    pthread_mutex_unlock(&session_lock);
}

/* callbacks_close - admit no callback from now on, wait up to seconds for those running;
 * returns how many still run, with the sessions still open in *sessions_open */
int callbacks_close(int seconds, int *sessions_open)
{
    struct timespec until;
    int left;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&session_lock);
    callbacks_closed = 1;
    while (callbacks_running > 0)
        if (pthread_cond_timedwait(&callbacks_done, &session_lock, &until) == ETIMEDOUT)
            break;
    left = (int) callbacks_running;
    *sessions_open = (int) session_count;
    pthread_mutex_unlock(&session_lock);
    return left;
}
