/*
 * NAME
 *	spf 3
 * SUMMARY
 *	does the envelope sender authorize our own egress addresses?
 * SYNOPSIS
 *	#include "mail/spf.h"
#include "mail/spf_dns.h"
 *
 *	struct spf *spf_open(const char *zone_file, char *err, size_t errsz)
 *	void	spf_close(struct spf *s)
 *	enum spf_result spf_check(struct spf *s, const struct spf_request *rq,
 *				  int64_t now, struct spf_outcome *out)
 *	const char *spf_result_name(enum spf_result r)
 *	void	spf_stats(struct spf *s, struct spf_stats *st)
 * DESCRIPTION
 *	Before list mail leaves, optin-milter asks what a receiver will ask:
 *	does the SPF record of the envelope sender's domain (RFC 7208
 *	check_host(), "MAIL FROM" identity) permit the addresses our MTA
 *	sends from? A null sender is checked as postmaster@ our HELO name
 *	(the "HELO" identity), and not at all without one.
 *
 *	spf_open() makes the process's one libspf2 SPF_server_t, before any
 *	thread runs: normally SPF_DNS_CACHE (the system resolver below
 *	libspf2's DNS cache, whose 30-minute floors for TXT records and
 *	errors are lowered to 30 s so that a changed record or a passing DNS
 *	failure is not held longer than our own cache says); with zone_file,
 *	SPF_DNS_ZONE holding only that file's records: no query leaves the
 *	process. Above either sits a small layer that counts lookups (and,
 *	for tests, delays them): spf_dns.c. libspf2's error, warning and info messages
 *	go to our log.
 *
 *	The zone file, a test aid, has one record per line, "#" comments:
 *	    NAME TXT TEXT...	(the rest of the line; surrounding "" removed)
 *	    NAME A ADDRESS, NAME AAAA ADDRESS, NAME MX [PREF] HOST
 *	    NAME TRYAGAIN	every lookup of NAME fails temporarily
 *	    NAME DELAY SECONDS	every lookup of NAME first sleeps (1 to 60)
 *	Names not in the file do not exist (NXDOMAIN).
 *
 *	spf_check() validates everything before libspf2 sees it, since
 *	libspf2 aborts the process on a NULL argument: the sender loses
 *	blanks and one pair of <> (libspf2 would take "example.com>" for
 *	the domain); the domain must be a multi-label LDH name of at most
 *	253 octets, else the result is "none" without a lookup (RFC 7208
 *	4.3); a sender without "@" is checked as postmaster@ that value, as
 *	libspf2 does; egress addresses must parse and must not be loopback
 *	(libspf2 passes loopback without a lookup).
 *
 *	Results are cached per (domain, egress address) for
 *	rq->cache_ttl seconds of the caller's clock (libspf2 reports no DNS
 *	TTLs: its resolver layer records none), temperror never. A record
 *	using the %{l} or %{s} macros is evaluated with the local part of
 *	the first sender seen in that time. The cache holds at most 4096
 *	entries; when full, expired entries and then the oldest go.
 *
 *	Each missing (domain, address) is evaluated on a detached worker
 *	thread, and spf_check() waits for all of them at most timeout_ms:
 *	libspf2 has no timeout of its own and a record may need 20 DNS
 *	queries, each bound only by resolv.conf. An address without an
 *	answer by then counts as temperror ("timed out"); its worker runs
 *	on and caches what it finds for the next message. A second check of
 *	a key being evaluated waits for the same worker. At most 64
 *	evaluations run at once; beyond that a check gets temperror at
 *	once. The lock is never held during DNS.
 *
 *	With several egress addresses the worst result wins, in the order
 *	pass < none < neutral < softfail < temperror < permerror < fail: a
 *	message may leave from any of them, so any address that is not
 *	authorized decides; an error ranks above softfail because it hides
 *	what the record says (it may be fail).
 *
 *	libspf2's mapping is completed here: a record that does not
 *	compile (a syntax error) comes back without a result and is
 *	permerror (RFC 7208 4.6); a DNS error (TRY_AGAIN) at the top level
 *	comes back without a result and is temperror.
 *
 *	Debian's libspf2 1.2.10 asks for TXT records only (no type 99
 *	query), but for any result but pass it builds an explanation,
 *	fetching and expanding a record's exp= text: one more lookup,
 *	counted like the others; the text is not used, our replies are our
 *	own. A record using %{h} gives temperror without a HELO name.
 *
 *	spf_close() waits at most 5 s for running workers and then frees
 *	everything; if workers still run, the checker is left allocated
 *	(the process is exiting) and that is logged.
 * DIAGNOSTICS
 *	spf_open() returns NULL with "FILE:LINE: reason" or "FILE: cannot
 *	read: reason" in err. Logged: libspf2's own messages ("libspf2:
 *	..."), "spf: N evaluations still running at close". libspf2 still
 *	aborts the process when it cannot create its server (out of memory
 *	at start) or res_ninit() fails in a worker (out of memory); its
 *	error handler logs the reason first.
 * BUGS
 *	Debian 12's libspf2 1.2.10 lacks the upstream fix for
 *	CVE-2023-42118 (see README.md); the check is therefore off unless
 *	egress_ips is set, and only list mail's senders are looked up.
 * SEE ALSO
 *	RFC 7208, RFC 7372, message(3), libspf2 spf_server.h
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* spf.h of libspf2 is not self-contained: these first, in this order */
#include <arpa/nameser.h>
#include <netdb.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_cache.h>
#include <spf2/spf_dns_zone.h>

#include "util/log.h"
#include "mail/spf.h"
#include "mail/spf_dns.h"
#include "util/text.h"
#include "util/netaddr.h"

#define CACHE_BUCKETS 256
#define CACHE_MAX 4096
#define JOBS_MAX 64
#define CLOSE_WAIT_SECONDS 5
#define DEFAULT_TIMEOUT_MS 10000
#define DNS_CACHE_TTL 30            /* seconds libspf2's DNS cache keeps any answer */
#define SENDER_MAX 320

/* One cached result. */
struct cache_entry {
    char domain[SPF_DOMAIN_BUFSZ];
    char ip[SPF_ADDR_BUFSZ];
    enum spf_result result;
    int64_t stored;                 /* caller's clock */
    char detail[SPF_DETAIL_BUFSZ];
    struct cache_entry *next;
};

/* One evaluation on a worker thread; freed by whoever drops the last reference. */
struct job {
    struct spf *spf;
    char from[SENDER_MAX + 1];      /* "" for the null sender */
    char helo[SPF_DOMAIN_BUFSZ];
    char domain[SPF_DOMAIN_BUFSZ];
    char ip[SPF_ADDR_BUFSZ];
    int v6;
    int64_t now;                    /* when it was asked for, for the cache */
    int64_t ttl;                    /* the asker's cache_ttl (0: not cached) */
    enum spf_result result;
    char detail[SPF_DETAIL_BUFSZ];
    int done;
    unsigned refs;
    struct job *next;               /* in spf.jobs while running */
};

struct spf {
    SPF_server_t *server;
    pthread_mutex_t lock;
    pthread_cond_t done;            /* broadcast when a job finishes (CLOCK_MONOTONIC) */
    struct cache_entry *cache[CACHE_BUCKETS];
    size_t cache_count;
    struct job *jobs;
    unsigned running;
    struct spf_dns_layer dns;       /* counts lookups (atomically, from the workers) */
    struct spf_stats st;
};

/* The identity one check is about. */
struct identity {
    char from[SENDER_MAX + 1];
    char helo[SPF_DOMAIN_BUFSZ];
    char domain[SPF_DOMAIN_BUFSZ];
    int null_sender;
};

static const char *const result_names[] = {
    [SPFR_SKIPPED] = "skipped", [SPFR_PASS] = "pass", [SPFR_NONE] = "none",
    [SPFR_NEUTRAL] = "neutral", [SPFR_SOFTFAIL] = "softfail", [SPFR_TEMPERROR] = "temperror",
    [SPFR_PERMERROR] = "permerror", [SPFR_FAIL] = "fail",
};

/* ---- libspf2's messages into our log ---- */

/* spf_log_error - libspf2 is about to abort(): say why first */
__attribute__((noreturn))
static void spf_log_error(const char *file, int line, const char *msg)
{
    log_error("libspf2: fatal: %s (%s:%d): aborting", msg ? msg : "?", file ? file : "?", line);
    abort();
}

/* spf_log_warning - a libspf2 warning */
static void spf_log_warning(const char *file, int line, const char *msg)
{
    (void) file, (void) line;
    log_warn("libspf2: %s", msg ? msg : "?");
}

/* spf_log_debug - libspf2's info and debug messages (it prints info on stdout otherwise) */
static void spf_log_debug(const char *file, int line, const char *msg)
{
    (void) file, (void) line;
    log_debug("libspf2: %s", msg ? msg : "?");
}

/* ---- small helpers ---- */

/* copy - bounded copy, always terminated */
static void copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;

    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

/* printable - libspf2's text for a log line: control bytes, non-ASCII and % become ? */
static void printable(char *dst, size_t size, const char *src)
{
    src = src ? src : "";
    text_escape(src, strlen(src), 0, TEXT_ASCII | TEXT_QUESTION | TEXT_PERCENT, dst, size);
}

/* mono_deadline - CLOCK_MONOTONIC now plus ms */
static struct timespec mono_deadline(unsigned ms)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long) (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* ---- open and close ---- */

/* spf_free - release a checker nobody uses any more */
static void spf_free(struct spf *s)
{
    for (size_t b = 0; b < CACHE_BUCKETS; b++) {
        for (struct cache_entry *e = s->cache[b], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    spf_dns_layer_free(&s->dns);
    if (s->server)
        SPF_server_free(s->server);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* spf_open - the checker, on real DNS or on a zone file */
struct spf *spf_open(const char *zone_file, char *err, size_t errsz)
{
    struct spf *s = calloc(1, sizeof(*s));
    pthread_condattr_t ca;

    if (err && errsz)
        err[0] = '\0';
    if (s == NULL) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    SPF_error_handler = spf_log_error;
    SPF_warning_handler = spf_log_warning;
    SPF_info_handler = spf_log_debug;
    SPF_debug_handler = spf_log_debug;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->done, &ca);
    pthread_condattr_destroy(&ca);
    s->server = SPF_server_new(zone_file ? SPF_DNS_ZONE : SPF_DNS_CACHE, 0);
    if (s->server == NULL) {
        snprintf(err, errsz, "libspf2: cannot create its server (out of memory)");
        spf_free(s);
        return NULL;
    }
    if (zone_file == NULL)
        SPF_dns_cache_set_ttl(s->server->resolver, DNS_CACHE_TTL, 0, 0, 0);
    else if (spf_dns_zone_load(s->server, &s->dns, zone_file, err, errsz) != 0) {
        spf_free(s);
        return NULL;
    }
    if (spf_dns_push(s->server, &s->dns) != 0) {
        snprintf(err, errsz, "out of memory");
        spf_free(s);
        return NULL;
    }
    return s;
}

/* spf_close - wait a little for running workers, then free */
void spf_close(struct spf *s)
{
    struct timespec until;
    unsigned left;

    if (s == NULL)
        return;
    until = mono_deadline(CLOSE_WAIT_SECONDS * 1000);
    pthread_mutex_lock(&s->lock);
    while (s->running > 0 && pthread_cond_timedwait(&s->done, &s->lock, &until) != ETIMEDOUT)
        ;
    left = s->running;
    pthread_mutex_unlock(&s->lock);
    if (left > 0) {
        log_warn("spf: %u evaluations still running at close; checker left allocated", left);
        return;
    }
    spf_free(s);
}

/* ---- input ---- */

/* domain_ok - a multi-label LDH (and "_") name of at most 253 octets, no trailing dot */
static int domain_ok(const char *d)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    size_t labels = 0;

    if (strlen(d) > 253)
        return 0;
    for (const char *p = d;; p++) {
        size_t n = strspn(p, chars);

        if (n == 0 || n > 63)
            return 0;
        labels++;
        p += n;
        if (*p == '\0')
            return labels >= 2;
        if (*p != '.')
            return 0;
    }
}

/* answer - the result of a check decided without a lookup; -1 */
static int answer(struct spf_outcome *out, enum spf_result r, const char *why)
{
    out->result = r;
    copy(out->detail, sizeof(out->detail), why);
    return -1;
}

/* identity - the sender as libspf2 must see it; 0, or -1 when out already holds the answer */
static int identity(const struct spf_request *rq, struct identity *id, struct spf_outcome *out)
{
    const char *s = rq->sender ? rq->sender : "";
    size_t len;
    const char *at, *dom;

    while (*s == ' ' || *s == '\t')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
        s++;
        len -= 2;
    }
    if (len > SENDER_MAX)
        return answer(out, SPFR_NONE, "sender longer than 320 octets");
    memcpy(id->from, s, len);
    id->from[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s[i] <= 0x20 || s[i] == 0x7f)
            return answer(out, SPFR_NONE, "control character or blank in the sender");
    copy(id->helo, sizeof(id->helo), rq->helo);
    id->null_sender = len == 0;
    if (id->null_sender && id->helo[0] == '\0')
        return answer(out, SPFR_SKIPPED, "null sender and no helo_name");
    at = strrchr(id->from, '@');
    dom = id->null_sender ? id->helo : at ? at + 1 : id->from;   /* no "@": postmaster@from */
    copy(id->domain, sizeof(id->domain), dom);
    for (char *p = id->domain; *p; p++)
        *p = (char) tolower((unsigned char) *p);
    copy(out->domain, sizeof(out->domain), id->domain);
    out->helo_identity = id->null_sender;
    if (!domain_ok(id->domain))
        return answer(out, SPFR_NONE, "not a multi-label domain name (RFC 7208 4.3)");
    if (id->helo[0] && !domain_ok(id->helo))
        id->helo[0] = '\0';          /* never hand libspf2 a HELO name it could choke on */
    return 0;
}

/* egress_parse - canonical text of an egress address; 4 or 6, 0 when unusable */
static int egress_parse(const char *text, char out[SPF_ADDR_BUFSZ])
{
    struct net_ip ip;

    if (text == NULL || net_ip_parse(text, strlen(text), &ip) != 0 || net_ip_is_loopback(&ip)
        || net_ip_is_unspecified(&ip))
        return 0;       /* loopback always passes in libspf2 */
    net_ip_format(&ip, out);
    return net_ip_is_v4(&ip) ? 4 : 6;
}

/* ---- evaluation (on a worker thread, no lock held) ---- */

/* response_result - libspf2's answer completed: no result after an error is temperror or permerror */
static enum spf_result response_result(SPF_response_t *rs, SPF_errcode_t err, char *detail, size_t dsz)
{
    static const enum spf_result map[] = {
        [SPF_RESULT_PASS] = SPFR_PASS, [SPF_RESULT_FAIL] = SPFR_FAIL,
        [SPF_RESULT_SOFTFAIL] = SPFR_SOFTFAIL, [SPF_RESULT_NEUTRAL] = SPFR_NEUTRAL,
        [SPF_RESULT_NONE] = SPFR_NONE, [SPF_RESULT_TEMPERROR] = SPFR_TEMPERROR,
        [SPF_RESULT_PERMERROR] = SPFR_PERMERROR,
    };
    SPF_result_t r = rs ? SPF_response_result(rs) : SPF_RESULT_INVALID;
    int n = rs ? SPF_response_messages(rs) : 0, other_error = 0;

    for (int i = 0; i < n; i++) {
        SPF_error_t *m = SPF_response_message(rs, i);

        if (i == n - 1 || SPF_error_code(m) != SPF_E_NOT_SPF)
            printable(detail, dsz, SPF_error_message(m));
        other_error |= SPF_error_errorp(m) && SPF_error_code(m) != SPF_E_NOT_SPF;
    }
    if (n == 0 && err != SPF_E_SUCCESS)
        printable(detail, dsz, SPF_strerror(err));
    if (r > SPF_RESULT_INVALID && r <= SPF_RESULT_PERMERROR && map[r] != SPFR_SKIPPED)
        return map[r];
    if (rs == NULL || err == SPF_E_DNS_ERROR || err == SPF_E_NO_MEMORY)
        return SPFR_TEMPERROR;
    return other_error ? SPFR_PERMERROR : SPFR_NONE;   /* a record that did not compile */
}

/* evaluate - one (sender, egress address) through libspf2 */
static enum spf_result evaluate(SPF_server_t *server, const struct job *j, char *detail, size_t dsz)
{
    SPF_request_t *rq = SPF_request_new(server);
    SPF_response_t *rs = NULL;
    SPF_errcode_t err;
    enum spf_result r;

    if (rq == NULL) {
        copy(detail, dsz, "out of memory");
        return SPFR_TEMPERROR;
    }
    err = j->v6 ? SPF_request_set_ipv6_str(rq, j->ip) : SPF_request_set_ipv4_str(rq, j->ip);
    if (err == SPF_E_SUCCESS && j->helo[0])          /* before env_from: "" then means postmaster@helo */
        err = SPF_request_set_helo_dom(rq, j->helo);
    if (err == SPF_E_SUCCESS)
        err = SPF_request_set_env_from(rq, j->from);
    if (err != SPF_E_SUCCESS) {
        printable(detail, dsz, SPF_strerror(err));
        SPF_request_free(rq);
        return SPFR_TEMPERROR;
    }
    err = SPF_request_query_mailfrom(rq, &rs);
    r = response_result(rs, err, detail, dsz);
    if (rs)
        SPF_response_free(rs);
    SPF_request_free(rq);
    return r;
}

/* ---- the cache (lock held) ---- */

/* bucket_of - hash of a key */
static size_t bucket_of(const char *domain, const char *ip)
{
    unsigned h = 5381;

    for (const char *p = domain; *p; p++)
        h = h * 33 + (unsigned char) *p;
    for (const char *p = ip; *p; p++)
        h = h * 33 + (unsigned char) *p;
    return h % CACHE_BUCKETS;
}

/* cache_find - a result younger than ttl at now, or NULL */
static struct cache_entry *cache_find(struct spf *s, const char *domain, const char *ip,
                                      int64_t now, int64_t ttl)
{
    for (struct cache_entry *e = s->cache[bucket_of(domain, ip)]; e; e = e->next)
        if (strcmp(e->domain, domain) == 0 && strcmp(e->ip, ip) == 0)
            return now >= e->stored && now - e->stored < ttl ? e : NULL;
    return NULL;
}

/* cache_evict - make room: drop entries older than ttl, else the oldest one */
static void cache_evict(struct spf *s, int64_t now, int64_t ttl)
{
    struct cache_entry **oldest = NULL;

    for (size_t b = 0; b < CACHE_BUCKETS; b++) {
        for (struct cache_entry **pe = &s->cache[b]; *pe;) {
            struct cache_entry *e = *pe;

            if (now < e->stored || now - e->stored >= ttl) {
                *pe = e->next;
                free(e);
                s->cache_count--;
                continue;
            }
            if (oldest == NULL || e->stored < (*oldest)->stored)
                oldest = pe;
            pe = &e->next;
        }
    }
    if (s->cache_count >= CACHE_MAX && oldest) {
        struct cache_entry *e = *oldest;

        *oldest = e->next;
        free(e);
        s->cache_count--;
    }
}

/* cache_put - remember a job's result (never a temperror) */
static void cache_put(struct spf *s, const struct job *j)
{
    size_t b = bucket_of(j->domain, j->ip);
    struct cache_entry *e;

    if (j->ttl <= 0 || j->result == SPFR_TEMPERROR)
        return;
    for (e = s->cache[b]; e; e = e->next)
        if (strcmp(e->domain, j->domain) == 0 && strcmp(e->ip, j->ip) == 0)
            break;
    if (e == NULL) {
        if (s->cache_count >= CACHE_MAX)
            cache_evict(s, j->now, j->ttl);
        if ((e = calloc(1, sizeof(*e))) == NULL)
            return;
        copy(e->domain, sizeof(e->domain), j->domain);
        copy(e->ip, sizeof(e->ip), j->ip);
        e->next = s->cache[b];
        s->cache[b] = e;
        s->cache_count++;
    }
    e->result = j->result;
    e->stored = j->now;
    copy(e->detail, sizeof(e->detail), j->detail);
}

/* ---- workers ---- */

/* job_release - drop one reference (lock held); the last one frees */
static void job_release(struct job *j)
{
    if (--j->refs == 0)
        free(j);
}

/* job_run - thread body: evaluate, then publish, cache and wake the waiters */
static void *job_run(void *arg)
{
    struct job *j = arg;
    struct spf *s = j->spf;
    char detail[SPF_DETAIL_BUFSZ] = "";
    enum spf_result r = evaluate(s->server, j, detail, sizeof(detail));

    pthread_mutex_lock(&s->lock);
    j->result = r;
    copy(j->detail, sizeof(j->detail), detail);
    j->done = 1;
    cache_put(s, j);
    for (struct job **pj = &s->jobs; *pj; pj = &(*pj)->next) {
        if (*pj == j) {
            *pj = j->next;
            break;
        }
    }
    s->running--;
    pthread_cond_broadcast(&s->done);
    job_release(j);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* job_get - the running job for a key, or a new one; NULL with a temperror in detail (lock held) */
static struct job *job_get(struct spf *s, const struct identity *id, const char *ip, int v6,
                           int64_t now, int64_t ttl, char *detail, size_t dsz)
{
    pthread_attr_t attr;
    pthread_t tid;
    struct job *j;
    int rc;

    for (j = s->jobs; j; j = j->next) {
        if (strcmp(j->domain, id->domain) == 0 && strcmp(j->ip, ip) == 0) {
            j->refs++;
            return j;
        }
    }
    if (s->running >= JOBS_MAX) {
        copy(detail, dsz, "too many SPF evaluations running");
        return NULL;
    }
    if ((j = calloc(1, sizeof(*j))) == NULL) {
        copy(detail, dsz, "out of memory");
        return NULL;
    }
    *j = (struct job){.spf = s, .v6 = v6, .now = now, .ttl = ttl, .refs = 2};
    copy(j->from, sizeof(j->from), id->from);
    copy(j->helo, sizeof(j->helo), id->helo);
    copy(j->domain, sizeof(j->domain), id->domain);
    copy(j->ip, sizeof(j->ip), ip);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&tid, &attr, job_run, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        snprintf(detail, dsz, "cannot start an SPF worker: %s", strerror(rc));
        free(j);
        return NULL;
    }
    j->next = s->jobs;
    s->jobs = j;
    s->running++;
    return j;
}

/* ---- interface ---- */

/* combine - the worst of the per-address results into out */
static void combine(struct spf_outcome *out, char ips[][SPF_ADDR_BUFSZ], const enum spf_result *res,
                    char details[][SPF_DETAIL_BUFSZ], size_t n)
{
    size_t worst = 0;

    for (size_t i = 1; i < n; i++)
        if (res[i] > res[worst])
            worst = i;
    out->result = res[worst];
    copy(out->egress, sizeof(out->egress), ips[worst]);
    copy(out->detail, sizeof(out->detail), details[worst]);
}

/* spf_check - the sender against every egress address, from the cache or from DNS */
enum spf_result spf_check(struct spf *s, const struct spf_request *rq, int64_t now,
                          struct spf_outcome *out)
{
    char ips[SPF_MAX_EGRESS][SPF_ADDR_BUFSZ], details[SPF_MAX_EGRESS][SPF_DETAIL_BUFSZ];
    enum spf_result res[SPF_MAX_EGRESS];
    struct job *jobs[SPF_MAX_EGRESS] = {0};
    int v6[SPF_MAX_EGRESS];
    struct identity id;
    struct timespec until;
    size_t n = 0, hits = 0;

    if (out == NULL)
        return SPFR_SKIPPED;
    memset(out, 0, sizeof(*out));
    out->result = SPFR_SKIPPED;
    if (s == NULL || rq == NULL) {
        copy(out->detail, sizeof(out->detail), "no SPF checker");
        return out->result;
    }
    if (identity(rq, &id, out) != 0)
        return out->result;
    for (size_t i = 0; rq->egress && i < rq->negress && n < SPF_MAX_EGRESS; i++)
        if ((v6[n] = egress_parse(rq->egress[i], ips[n])) != 0)
            n++;
    if (n == 0) {
        copy(out->detail, sizeof(out->detail), "no usable egress address");
        return out->result;
    }
    until = mono_deadline(rq->timeout_ms ? rq->timeout_ms : DEFAULT_TIMEOUT_MS);
    pthread_mutex_lock(&s->lock);
    s->st.checks++;
    for (size_t i = 0; i < n; i++) {
        struct cache_entry *e = rq->cache_ttl > 0 ? cache_find(s, id.domain, ips[i], now, rq->cache_ttl) : NULL;

        details[i][0] = '\0';
        if (e) {
            res[i] = e->result;
            copy(details[i], sizeof(details[i]), e->detail);
            hits++;
        } else if ((jobs[i] = job_get(s, &id, ips[i], v6[i] == 6, now, rq->cache_ttl,
                                      details[i], sizeof(details[i]))) == NULL) {
            res[i] = SPFR_TEMPERROR;
        }
    }
    s->st.cache_hits += hits;
    s->st.cache_misses += n - hits;
    for (size_t i = 0; i < n; i++) {
        while (jobs[i] && !jobs[i]->done)
            if (pthread_cond_timedwait(&s->done, &s->lock, &until) == ETIMEDOUT)
                break;
    }
    for (size_t i = 0; i < n; i++) {
        if (jobs[i] == NULL)
            continue;
        if (jobs[i]->done) {
            res[i] = jobs[i]->result;
            copy(details[i], sizeof(details[i]), jobs[i]->detail);
        } else {
            res[i] = SPFR_TEMPERROR;
            snprintf(details[i], sizeof(details[i]), "no answer within %u ms (timed out)",
                     rq->timeout_ms ? rq->timeout_ms : DEFAULT_TIMEOUT_MS);
            s->st.timeouts++;
        }
        job_release(jobs[i]);
    }
    pthread_mutex_unlock(&s->lock);
    out->cached = hits == n;
    combine(out, ips, res, details, n);
    return out->result;
}

/* spf_result_name - the RFC 7208 name of a result */
const char *spf_result_name(enum spf_result r)
{
    if ((size_t) r >= sizeof(result_names) / sizeof(result_names[0]) || result_names[r] == NULL)
        return "?";
    return result_names[r];
}

/* spf_stats - a copy of the counters */
void spf_stats(struct spf *s, struct spf_stats *st)
{
    if (st == NULL)
        return;
    memset(st, 0, sizeof(*st));
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    *st = s->st;
    st->running = s->running;
    pthread_mutex_unlock(&s->lock);
    st->dns_lookups = __atomic_load_n(&s->dns.lookups, __ATOMIC_RELAXED);
}
