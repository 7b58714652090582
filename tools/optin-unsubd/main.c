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
 *	lookup.
 * .IP "/u/TOKEN"
 *	GET and HEAD show a page with one button and change nothing (link
 *	scanners prefetch). POST with the form field
 *	List-Unsubscribe=One-Click, urlencoded or multipart/form-data (RFC
 *	8058 section 3.2, or the page's button), unsubscribes the token's
 *	address from the token's list at once and answers 200 with a page:
 *	never a redirect, no cookie. A repeated POST answers 200 "already
 *	unsubscribed" and is recorded again in the history.
 * .IP "/c/TOKEN"
 *	GET shows the double opt-in confirmation button (or why the token
 *	cannot be confirmed); POST with confirm=yes confirms it
 *	(consent_confirm with the configured confirm_ttl).
 * .PP
 *	Each change goes to the consent history with source one-click (a
 *	POST without our page's via=page field), web-page, the client IP
 *	and actor optin-unsubd. The client IP is the peer's address, or,
 *	when the peer is a --trusted-proxy, the rightmost address of
 *	X-Forwarded-For that is not itself a trusted proxy.
 *
 *	Every request is counted against --rate per client IP and
 *	calendar minute (a fixed table of 4096 addresses under one mutex)
 *	and logged once, with the token cut to 8 characters.
 *
 *	Tokens that do not open answer 400 when malformed (cut short, not
 *	base64url) and 404 when made with an unknown key or altered, alike
 *	on purpose; a POST without the expected field 400, a body over
 *	--max-body 413, another method 405 (Allow), another path 404.
 *	Nothing changes for any of them.
 *
 *	Start-up: block the signals the main thread waits for, read the
 *	configuration and key file (-n stops there), bind the listening
 *	socket, daemonize unless -f, write the pidfile, as root switch to -u
 *	(or the configuration's user), then as that user load configuration
 *	and keys again, open the store read-write (fsync on every commit)
 *	and start libmicrohttpd with a small thread pool. SIGUSR1 reloads
 *	configuration and keys (a configuration that fails, or changes the
 *	store settings, is refused and the running one kept); SIGTERM,
 *	SIGINT and SIGHUP stop: MHD_stop_daemon ends the workers, then the
 *	store is closed.
 * DIAGNOSTICS
 *	One log line per request: "client=IP method=M path=/u/ABCDEFGH...
 *	status=N outcome=WORD [list=L] [source=S]"; status "-" for a
 *	client that left, or a body closed after DISCARD_MAX. Store failures
 *	are logged as errors and answered 503 (Retry-After: 60), unexpected
 *	consent results 500. libmicrohttpd's own messages are warnings.
 *	Exit status: 0 after a clean stop or a good -n check; 64 usage
 *	(also a non-loopback -l without --public); 66 no consent store;
 *	71 socket, daemon, pidfile, privileges or HTTP server; 78 bad
 *	configuration or key file.
 * BUGS
 *	GET /c/TOKEN reads the pending token's record (8-byte big-endian
 *	creation time, list, NUL, address) itself, because consent.h has
 *	no read-only lookup of a confirmation token; when that layout
 *	changes, the page loses list and address and POST still works.
 * SEE ALSO
 *	optin-unsubd(8), optin-milter(8), optinctl(1), RFC 8058
 */

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include <microhttpd.h>

#include "mail/addr.h"
#include "config/config.h"
#include "consent/consent.h"
#include "util/log.h"
#include "util/process.h"
#include "consent/store.h"
#include "util/timeutil.h"
#include "unsubscribe/token.h"
#include "unsubd.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

#define CONNECTION_LIMIT 512
#define CONNECTION_TIMEOUT 15    /* seconds of silence before a connection is closed */
#define RETRY_AFTER_UNAVAILABLE "60"
#define ACTOR "optin-unsubd"
#define FIELD_BUFSZ 16
#define DISCARD_MAX (64 * 1024)  /* octets read and dropped past --max-body before closing */

/* One loaded configuration with its keys; requests hold a reference. */
struct generation {
    struct optin_config *cfg;
    struct token_keys *keys;
    unsigned refs;
};

struct server {
    struct unsubd_options opt;
    struct store *store;            /* opened once, shared by every generation */
    pthread_mutex_t gen_lock;
    struct generation *gen;
    struct rate_table rate;
    int warned_xff;                 /* said once that X-Forwarded-For from an untrusted peer is ignored */
};

enum route {
    ROUTE_NONE,
    ROUTE_UNSUB,
    ROUTE_CONFIRM,
};

struct field {
    char value[FIELD_BUFSZ];
    int seen, too_long;
};

/* One HTTP request, from its headers to the completion callback. */
struct request {
    struct server *srv;
    struct generation *gen;
    struct MHD_Connection *conn;
    enum route route;
    int is_post, is_read, responded, bad_body, retry_after;
    enum unsubd_lang lang;
    char client[IP_TEXT_BUFSZ];
    char method[16];
    char path[SHOWN_PATH_BUFSZ];
    const char *token;              /* in MHD's copy of the URL, valid for the request */
    char list[TOKEN_LIST_BUFSZ];
    char addr[ADDR_BUFSZ];
    const char *source;
    struct MHD_PostProcessor *pp;
    size_t body_bytes;
    struct field f_unsub, f_confirm, f_via;
};

/* --- the client and its rate --- */

/* last_xff - header iterator: keep the last X-Forwarded-For (the one our proxy wrote) */
static enum MHD_Result last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void) kind;
    if (strcasecmp(key, "X-Forwarded-For") == 0)
        *(const char **) cls = value;
    return MHD_YES;
}

/*
 * client_address - the client of a request: the peer, or behind a trusted proxy the
 * rightmost X-Forwarded-For address that is not a trusted proxy. ip gets the 16-byte form.
 */
static void client_address(struct server *srv, struct MHD_Connection *conn, unsigned char ip[16],
                           char out[IP_TEXT_BUFSZ])
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
                                                                 MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct unsubd_options *opt = &srv->opt;
    const char *xff = NULL;

    memset(ip, 0, 16);
    if (ci == NULL || unsubd_sockaddr_ip(ci->client_addr, ip) != 0) {
        snprintf(out, IP_TEXT_BUFSZ, "unknown");
        return;
    }
    MHD_get_connection_values(conn, MHD_HEADER_KIND, last_xff, &xff);
    if (xff && !unsubd_net_match(opt->trusted, opt->trusted_count, ip)
        && __atomic_exchange_n(&srv->warned_xff, 1, __ATOMIC_RELAXED) == 0) {
        unsubd_ip_text(ip, out);
        log_warn("X-Forwarded-For from %s ignored: it is not a --trusted-proxy "
                 "(add it if it is your reverse proxy)", out);
    }
    unsubd_forwarded_client(xff, opt->trusted, opt->trusted_count, ip);
    unsubd_ip_text(ip, out);
}

/* --- configuration generations --- */

/* gen_free - release a generation */
static void gen_free(struct generation *gen)
{
    if (gen == NULL)
        return;
    token_keys_free(gen->keys);
    config_free(gen->cfg);
    free(gen);
}

/* gen_load - configuration and key file; NULL with the reasons in err */
static struct generation *gen_load(const char *path, char *err, size_t errsz)
{
    struct generation *gen = calloc(1, sizeof(*gen));

    if (gen == NULL) {
        snprintf(err, errsz, "out of memory\n");
        return NULL;
    }
    if ((gen->cfg = config_load(path, err, errsz)) == NULL
        || token_keys_load(gen->cfg->keys, &gen->keys, err, errsz) != TOKEN_OK) {
        gen_free(gen);
        return NULL;
    }
    gen->refs = 1;   /* held by being current */
    return gen;
}

/* gen_retain - the current generation, kept until gen_release */
static struct generation *gen_retain(struct server *srv)
{
    struct generation *gen;

    pthread_mutex_lock(&srv->gen_lock);
    gen = srv->gen;
    gen->refs++;
    pthread_mutex_unlock(&srv->gen_lock);
    return gen;
}

/* gen_release - one reference less; the last frees */
static void gen_release(struct server *srv, struct generation *gen)
{
    int last;

    if (gen == NULL)
        return;
    pthread_mutex_lock(&srv->gen_lock);
    last = --gen->refs == 0;
    pthread_mutex_unlock(&srv->gen_lock);
    if (last)
        gen_free(gen);
}

/* log_lines - each line of an error text as one error */
static void log_lines(const char *text)
{
    while (*text) {
        size_t len = strcspn(text, "\n");

        if (len)
            log_error("%.*s", (int) len, text);
        text += len + (text[len] == '\n');
    }
}

/* reload - SIGUSR1: a new configuration and key file, unless they fail or move the store */
static void reload(struct server *srv)
{
    char err[8192] = "";
    struct generation *gen = gen_load(srv->opt.config, err, sizeof(err)), *old;
    const struct optin_config *cur = srv->gen->cfg;

    if (gen == NULL) {
        log_error("reload: %s refused, keeping the running configuration", srv->opt.config);
        log_lines(err);
        return;
    }
    if (strcmp(cur->database, gen->cfg->database) != 0 || cur->map_size != gen->cfg->map_size
        || cur->max_readers != gen->cfg->max_readers) {
        log_error("reload: %s refused: database, map_size and max_readers cannot change on "
                  "reload (restart optin-unsubd)", srv->opt.config);
        gen_free(gen);
        return;
    }
    pthread_mutex_lock(&srv->gen_lock);
    old = srv->gen;
    srv->gen = gen;
    pthread_mutex_unlock(&srv->gen_lock);
    gen_release(srv, old);
    log_info("reload: configuration %s and keys %s loaded", srv->opt.config, gen->cfg->keys);
}

/* --- answers --- */

/* add_headers - what every answer carries */
static void add_headers(struct MHD_Response *resp, enum unsubd_lang lang)
{
    MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(resp, "Content-Language", unsubd_lang_tag(lang));
    MHD_add_response_header(resp, "Content-Security-Policy", UNSUBD_CSP);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Robots-Tag", "noindex, nofollow");
    MHD_add_response_header(resp, "Vary", "Accept-Language");
}

/* respond - queue a page and log the request; outcome is one word, detail may be "" */
static enum MHD_Result respond(struct request *rq, enum unsubd_page page, const char *outcome,
                               const char *detail)
{
    char masked[MASKED_BUFSZ], retry[16];
    struct page_args args = {.list = rq->list[0] ? rq->list : NULL, .address = NULL};
    struct MHD_Response *resp;
    int status = unsubd_page_status(page);
    enum MHD_Result ret;
    size_t len;
    char *html;

    if (rq->addr[0]) {
        unsubd_mask_address(rq->addr, masked);
        args.address = masked;
    }
    rq->responded = 1;
    log_info("client=%s method=%s path=%s status=%d outcome=%s%s%s%s%s%s", rq->client, rq->method,
             rq->path, status, outcome, rq->list[0] ? " list=" : "", rq->list,
             rq->source ? " source=" : "", rq->source ? rq->source : "", detail);
    if ((html = unsubd_page_render(page, rq->lang, &args, &len)) == NULL) {
        log_error("client=%s: out of memory for a page", rq->client);
        return MHD_NO;
    }
    resp = MHD_create_response_from_buffer(len, html, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(html);
        return MHD_NO;
    }
    add_headers(resp, rq->lang);
    if (status == 405)
        MHD_add_response_header(resp, "Allow", "GET, HEAD, POST");
    if (status == 429) {
        snprintf(retry, sizeof(retry), "%d", rq->retry_after);
        MHD_add_response_header(resp, "Retry-After", retry);
    }
    if (status == 503)
        MHD_add_response_header(resp, "Retry-After", RETRY_AFTER_UNAVAILABLE);
    ret = MHD_queue_response(rq->conn, (unsigned) status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* store_failure - answer for a failed store call: CONSENT_E* are our bugs (500), the rest 503 */
static enum MHD_Result store_failure(struct request *rq, const char *what, int rc)
{
    char detail[160];

    snprintf(detail, sizeof(detail), " error=\"%s\"",
             rc < 0 ? store_strerror(rc) : "unexpected consent result");
    log_error("client=%s %s failed: %s (rc %d)", rq->client, what,
              rc < 0 ? store_strerror(rc) : "unexpected consent result", rc);
    return respond(rq, rc < 0 ? PAGE_UNAVAILABLE : PAGE_ERROR, "store-error", detail);
}

/* change_of - the history context of a change made by this request */
static struct change_ctx change_of(const struct request *rq)
{
    struct change_ctx cc = {.now = clock_now(), .source = rq->source,
                            .ip = strcmp(rq->client, "unknown") ? rq->client : NULL,
                            .actor = ACTOR, .policy_version = NULL};
    return cc;
}

/* --- /u/TOKEN --- */

struct unsub_args {
    const char *list, *addr;
    struct change_ctx cc;
    int was_unsubscribed;
};

/* unsub_txn - write callback: remember the state before, then unsubscribe (re-runnable) */
static int unsub_txn(struct store_txn *txn, void *arg)
{
    struct unsub_args *a = arg;
    struct consent_record r;
    int rc = consent_get(txn, a->addr, a->list, &r);

    if (rc != 0 && rc != STORE_NOTFOUND)
        return rc;
    a->was_unsubscribed = rc == 0 && r.state == CONSENT_UNSUBSCRIBED;
    return consent_unsubscribe(txn, a->list, a->addr, &a->cc);
}

/* unsub_token - check the token of /u/; 0 when it names a list and an address, else answered */
static int unsub_token(struct request *rq, enum MHD_Result *ret)
{
    static const struct {
        enum unsubd_page page;
        const char *outcome;
    } refusals[] = {
        [OPTIN_ETOKENMALFORMED - OPTIN_ETOKENMALFORMED] = {PAGE_BAD_LINK, "token-malformed"},
        [OPTIN_ETOKENKEY - OPTIN_ETOKENMALFORMED] = {PAGE_UNKNOWN_LINK, "token-unknown-key"},
        [OPTIN_ETOKENFORGED - OPTIN_ETOKENMALFORMED] = {PAGE_UNKNOWN_LINK, "token-forged"},
    };
    int rc = token_open(rq->gen->keys, rq->token, strlen(rq->token), rq->list, rq->addr);

    if (rc == 0 && rq->addr[0] == '\0') {
        rq->list[0] = '\0';
        *ret = respond(rq, PAGE_UNKNOWN_LINK, "token-without-address", "");
        return -1;
    }
    if (rc == 0)
        return 0;
    rq->list[0] = rq->addr[0] = '\0';
    if (rc < OPTIN_ETOKENMALFORMED || rc > OPTIN_ETOKENFORGED)
        rc = OPTIN_ETOKENMALFORMED;
    rc -= OPTIN_ETOKENMALFORMED;
    *ret = respond(rq, refusals[rc].page, refusals[rc].outcome, "");
    return -1;
}

/* unsub_show - GET /u/: the button, or "already unsubscribed"; reads only */
static enum MHD_Result unsub_show(struct request *rq)
{
    struct consent_record r;
    struct store_txn *txn;
    int rc;

    if ((rc = store_read_begin(rq->srv->store, &txn)) != 0)
        return store_failure(rq, "read", rc);
    rc = consent_get(txn, rq->addr, rq->list, &r);
    store_read_end(txn);
    if (rc < 0)
        return store_failure(rq, "read", rc);
    if (rc == 0 && r.state == CONSENT_UNSUBSCRIBED)
        return respond(rq, PAGE_UNSUB_ALREADY, "shown-already-unsubscribed", "");
    return respond(rq, PAGE_UNSUB_FORM, "shown", "");
}

/* unsub_post - POST /u/ complete: unsubscribe when the body says List-Unsubscribe=One-Click */
static enum MHD_Result unsub_post(struct request *rq)
{
    struct unsub_args a = {.list = rq->list, .addr = rq->addr};
    int rc;

    if (!rq->f_unsub.seen || rq->f_unsub.too_long
        || strcasecmp(rq->f_unsub.value, FORM_UNSUB_VALUE) != 0)
        return respond(rq, PAGE_BAD_FORM, "no-one-click-field", "");
    rq->source = rq->f_via.seen && strcmp(rq->f_via.value, FORM_VIA_PAGE) == 0 ? "web-page"
                                                                               : "one-click";
    a.cc = change_of(rq);
    if ((rc = store_write(rq->srv->store, unsub_txn, &a)) != 0)
        return store_failure(rq, "unsubscribe", rc);
    if (config_find_list(rq->gen->cfg, rq->list) == NULL)
        log_warn("client=%s: unsubscribed from list %s, which is not in the configuration "
                 "(recorded all the same)", rq->client, rq->list);
    if (a.was_unsubscribed)
        return respond(rq, PAGE_UNSUB_ALREADY, "already-unsubscribed", "");
    return respond(rq, PAGE_UNSUB_DONE, "unsubscribed", "");
}

/* --- /c/TOKEN --- */

/* The page and log outcome of each answer a confirmation code can get. */
static const struct confirm_answer {
    int rc;
    enum unsubd_page page;
    const char *outcome;
} confirm_answers[] = {
    {0, PAGE_CONFIRM_DONE, "confirmed"},
    {OPTIN_ECODEUNKNOWN, PAGE_CONFIRM_UNKNOWN, "confirm-code-unknown"},
    {OPTIN_ECODEEXPIRED, PAGE_CONFIRM_EXPIRED, "confirm-code-expired"},
    {OPTIN_ENOTPENDING, PAGE_CONFIRM_REVOKED, "confirm-not-pending"},
};

/* confirm_answer - the answer for a consent_code_check/consent_confirm result; NULL: store failure */
static const struct confirm_answer *confirm_answer(int rc)
{
    for (size_t i = 0; i < sizeof(confirm_answers) / sizeof(confirm_answers[0]); i++)
        if (confirm_answers[i].rc == rc)
            return &confirm_answers[i];
    return NULL;
}

/* confirm_show - GET /c/: the button, or why the code cannot be confirmed; reads only */
static enum MHD_Result confirm_show(struct request *rq)
{
    const struct confirm_answer *ans;
    struct consent_record r;
    struct store_txn *txn;
    int rc;

    if ((rc = store_read_begin(rq->srv->store, &txn)) != 0)
        return store_failure(rq, "read", rc);
    rc = consent_code_check(txn, rq->token, rq->gen->cfg->confirm_ttl, clock_now(), rq->list,
                            rq->addr, &r);
    store_read_end(txn);
    if (rc == 0)
        return respond(rq, PAGE_CONFIRM_FORM, "shown", "");
    if ((ans = confirm_answer(rc)) == NULL)
        return store_failure(rq, "read", rc);
    return respond(rq, ans->page, ans->outcome, "");
}

/* confirm_post - POST /c/ complete: confirm when the body says confirm=yes */
static enum MHD_Result confirm_post(struct request *rq)
{
    struct confirm_request a = {.code = rq->token, .ttl = rq->gen->cfg->confirm_ttl};
    const struct confirm_answer *ans;
    int rc;

    if (!rq->f_confirm.seen || rq->f_confirm.too_long
        || strcasecmp(rq->f_confirm.value, FORM_CONFIRM_VALUE) != 0)
        return respond(rq, PAGE_BAD_FORM, "no-confirm-field", "");
    rq->source = "web-page";
    a.ctx = change_of(rq);
    rc = store_write(rq->srv->store, consent_confirm_write, &a);
    if ((ans = confirm_answer(rc)) == NULL)
        return store_failure(rq, "confirm", rc);
    if (rc == 0) {
        snprintf(rq->list, sizeof(rq->list), "%s", a.list);
        snprintf(rq->addr, sizeof(rq->addr), "%s", a.addr);
    }
    return respond(rq, ans->page, ans->outcome, "");
}

/* --- the request cycle --- */

/* on_field - post-processor iterator: keep the three fields we know, ignore the rest */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
    struct request *rq = cls;
    struct field *f = NULL;

    (void) kind, (void) filename, (void) content_type, (void) transfer_encoding;
    if (strcasecmp(key, FORM_UNSUB_NAME) == 0)
        f = &rq->f_unsub;
    else if (strcasecmp(key, FORM_CONFIRM_NAME) == 0)
        f = &rq->f_confirm;
    else if (strcasecmp(key, FORM_VIA_NAME) == 0)
        f = &rq->f_via;
    if (f == NULL)
        return MHD_YES;
    f->seen = 1;
    if (off + size >= FIELD_BUFSZ) {
        f->too_long = 1;
        return MHD_YES;
    }
    memcpy(f->value + off, data, size);
    f->value[off + size] = '\0';
    return MHD_YES;
}

/* route_of - which page a path names; *token points into it */
static enum route route_of(const char *url, const char **token)
{
    if (strncmp(url, "/u/", 3) == 0) {
        *token = url + 3;
        return ROUTE_UNSUB;
    }
    if (strncmp(url, "/c/", 3) == 0) {
        *token = url + 3;
        return ROUTE_CONFIRM;
    }
    return ROUTE_NONE;
}

/* request_new - the state of a new request: client, language, route */
static struct request *request_new(struct server *srv, struct MHD_Connection *conn, const char *url,
                                   const char *method, unsigned char ip[16])
{
    struct request *rq = calloc(1, sizeof(*rq));
    const char *lang_arg;
    int lang;

    if (rq == NULL)
        return NULL;
    rq->srv = srv;
    rq->conn = conn;
    rq->gen = gen_retain(srv);
    client_address(srv, conn, ip, rq->client);
    snprintf(rq->method, sizeof(rq->method), "%.15s", method);
    for (char *p = rq->method; *p; p++)
        if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
            *p = '?';
    unsubd_shown_path(url, rq->path);
    lang_arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lang");
    if ((lang = unsubd_lang_parse(lang_arg)) < 0)
        lang = (int) unsubd_lang_pick(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                                  "Accept-Language"));
    rq->lang = (enum unsubd_lang) lang;
    rq->route = route_of(url, &rq->token);
    rq->is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    rq->is_read = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    return rq;
}

/* already_unsubscribed - is (list, address) unsubscribed now? (a lookup error counts as no) */
static int already_unsubscribed(struct store *st, const char *list, const char *addr)
{
    struct consent_record r;
    struct store_txn *txn;
    int rc;

    if (st == NULL || store_read_begin(st, &txn) != 0)
        return 0;
    rc = consent_get(txn, addr, list, &r);
    store_read_end(txn);
    return rc == 0 && r.state == CONSENT_UNSUBSCRIBED;
}

/* request_begin - headers are in: answer at once (refusals, GET) or get ready for the body */
static enum MHD_Result request_begin(struct request *rq, const unsigned char ip[16])
{
    char list[TOKEN_LIST_BUFSZ], addr[ADDR_BUFSZ];
    const char *clen;
    enum MHD_Result ret;
    int opt_out;

    /* a first opt-out with a genuine token is never turned away; replays count like the rest */
    opt_out = rq->is_post && rq->route == ROUTE_UNSUB && rq->token
        && token_open(rq->gen->keys, rq->token, strlen(rq->token), list, addr) == TOKEN_OK
        && addr[0] != '\0' && !already_unsubscribed(rq->srv->store, list, addr);
    if (!opt_out && !unsubd_rate_allow(&rq->srv->rate, ip, clock_now(), &rq->retry_after))
        return respond(rq, PAGE_RATE, "rate-limited", "");
    if (rq->route == ROUTE_NONE)
        return respond(rq, PAGE_NOT_FOUND, "no-such-page", "");
    if (!rq->is_post && !rq->is_read)
        return respond(rq, PAGE_METHOD, "method-not-allowed", "");
    if (rq->route == ROUTE_UNSUB && unsub_token(rq, &ret) != 0)
        return ret;
    if (rq->route == ROUTE_CONFIRM && !consent_code_well_formed(rq->token))
        return respond(rq, PAGE_BAD_LINK, "token-malformed", "");
    if (rq->is_read)
        return rq->route == ROUTE_UNSUB ? unsub_show(rq) : confirm_show(rq);
    clen = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen && strtoull(clen, NULL, 10) > rq->srv->opt.max_body)
        return respond(rq, PAGE_TOO_LARGE, "body-too-large", "");
    rq->pp = MHD_create_post_processor(rq->conn, 1024, on_field, rq);
    if (rq->pp == NULL)
        return respond(rq, PAGE_MEDIA_TYPE, "unsupported-media-type", "");
    return MHD_YES;   /* the body follows */
}

/*
 * request_body - one chunk of a POST body. libmicrohttpd takes no answer before the body is
 * read, so a body without Content-Length that grows too large is read and dropped up to
 * DISCARD_MAX more octets and answered 413 at its end; past that the connection is closed.
 */
static enum MHD_Result request_body(struct request *rq, const char *data, size_t *size)
{
    size_t max = rq->srv->opt.max_body;

    rq->body_bytes += *size;
    if (rq->body_bytes > max + DISCARD_MAX) {
        rq->responded = 1;
        log_info("client=%s method=%s path=%s status=- outcome=body-too-large-closed%s%s",
                 rq->client, rq->method, rq->path, rq->list[0] ? " list=" : "", rq->list);
        return MHD_NO;
    }
    if (rq->body_bytes <= max && !rq->bad_body
        && MHD_post_process(rq->pp, data, *size) != MHD_YES)
        rq->bad_body = 1;
    *size = 0;
    return MHD_YES;
}

/* on_request - the access handler: called for the headers, each body chunk, and the end */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    struct request *rq = *con_cls;
    unsigned char ip[16];

    (void) version;
    if (rq == NULL) {
        if ((rq = request_new(cls, conn, url, method, ip)) == NULL)
            return MHD_NO;
        *con_cls = rq;
        return request_begin(rq, ip);
    }
    if (rq->responded) {          /* answered early: drop whatever body still comes */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size > 0)
        return request_body(rq, upload_data, upload_size);
    MHD_destroy_post_processor(rq->pp);   /* delivers the last field */
    rq->pp = NULL;
    if (rq->body_bytes > rq->srv->opt.max_body)
        return respond(rq, PAGE_TOO_LARGE, "body-too-large", "");
    if (rq->bad_body)
        return respond(rq, PAGE_BAD_FORM, "malformed-body", "");
    return rq->route == ROUTE_UNSUB ? unsub_post(rq) : confirm_post(rq);
}

/* on_completed - the request is over (answered, or the client went away) */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *rq = *con_cls;

    (void) conn;
    if (rq == NULL)
        return;
    if (!rq->responded)
        log_info("client=%s method=%s path=%s status=- outcome=client-gone termination=%d",
                 rq->client, rq->method, rq->path, (int) toe);
    if (rq->pp)
        MHD_destroy_post_processor(rq->pp);
    gen_release(cls, rq->gen);
    free(rq);
    *con_cls = NULL;
}

/* on_mhd_log - libmicrohttpd's own messages as warnings */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char text[512];
    size_t len;

    (void) cls;
    vsnprintf(text, sizeof(text), fmt, ap);
    len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    log_warn("libmicrohttpd: %s", text);
}

/* --- start-up --- */

/* open_listener - bind and listen; the bound address in shown; -1 (logged) on failure */
static int open_listener(const struct unsubd_options *opt, char *shown, size_t shownsz)
{
    struct sockaddr_storage ss;
    socklen_t len;
    unsigned char ip[16];
    char text[IP_TEXT_BUFSZ];
    int fd, one = 1;

    if (unsubd_listen_parse(opt->listen, &ss, &len, ip) != 0) {
        fprintf(stderr, "optin-unsubd: -l %s: expected ADDRESS:PORT or [IPV6]:PORT\n", opt->listen);
        return -2;
    }
    if (!unsubd_ip_is_loopback(ip) && !opt->public_ok) {
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
    unsubd_sockaddr_ip((struct sockaddr *) &ss, ip);
    unsubd_ip_text(ip, text);
    snprintf(shown, shownsz, unsubd_ip_is_v4(ip) ? "%s:%u" : "[%s]:%u", text,
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
    const struct optin_config *cfg = srv->gen->cfg;
    struct store_options so = {.path = cfg->database, .map_size = cfg->map_size,
                               .max_readers = cfg->max_readers};
    char err[512];
    int rc;

    if ((rc = store_open(&so, &srv->store, err, sizeof(err))) != 0) {
        log_error("consent store: %s", err);
        return rc == -ENOENT || rc == STORE_NOTFOUND ? EX_NOINPUT : EX_OSERR;
    }
    return EX_OK;
}

/* start_http - libmicrohttpd on the bound socket with a thread pool */
static struct MHD_Daemon *start_http(struct server *srv, int fd)
{
    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO, 0, NULL, NULL,
        on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, srv->opt.threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) CONNECTION_TIMEOUT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 32768,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
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

    if ((srv->gen = gen_load(srv->opt.config, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%soptin-unsubd: %s: configuration or key file not usable\n", err,
                srv->opt.config);
        return EX_CONFIG;
    }
    return EX_OK;
}

/* run - the part after the checks: socket, daemon, user, store, HTTP, signals */
static int run(struct server *srv, const sigset_t *set)
{
    struct optin_config *cfg = srv->gen->cfg;
    const char *user = srv->opt.user ? srv->opt.user : cfg->user;
    struct MHD_Daemon *d;
    char shown[80], err[16384] = "";
    int fd, rc;

    log_open("optin-unsubd", strcmp(cfg->log_target, "stderr") == 0 ? LOG_TO_STDERR : LOG_TO_SYSLOG,
             log_facility(cfg->syslog_facility));
    if ((fd = open_listener(&srv->opt, shown, sizeof(shown))) < 0)
        return fd == -2 ? EX_USAGE : EX_OSERR;
    if ((!srv->opt.foreground && daemon(0, 0) < 0) || process_write_pidfile(srv->opt.pidfile) != 0
        || drop_privileges(user, srv->opt.user != NULL) != 0)
        return EX_OSERR;
    gen_free(srv->gen);   /* again as the user we run as: a reload will read as that user */
    if ((srv->gen = gen_load(srv->opt.config, err, sizeof(err))) == NULL) {
        log_error("start-up as uid %ld: configuration or key file not usable", (long) getuid());
        log_lines(err);
        return EX_CONFIG;
    }
    if ((rc = open_store(srv)) != EX_OK)
        return rc;
    if ((d = start_http(srv, fd)) == NULL) {
        log_error("cannot start the HTTP server on %s", shown);
        close(fd);
        store_close(srv->store);
        return EX_OSERR;
    }
    log_info("starting: version %s, listening on %s, rate %u/min, max body %zu, %zu trusted proxies",
             PACKAGE_VERSION, shown, srv->opt.rate, srv->opt.max_body, srv->opt.trusted_count);
    wait_for_signals(srv, set);
    MHD_stop_daemon(d);          /* closes the listening socket too */
    store_close(srv->store);
    return EX_OK;
}

/* main - options, checks, run, clean up */
int main(int argc, char **argv)
{
    static struct server srv = {
        .gen_lock = PTHREAD_MUTEX_INITIALIZER,
        .rate = {.lock = PTHREAD_MUTEX_INITIALIZER},
    };
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
    if (srv.opt.check_only) {
        printf("optin-unsubd: %s: configuration and key file %s OK\n", srv.opt.config,
               srv.gen->cfg->keys);
        gen_free(srv.gen);
        return EX_OK;
    }
    rc = run(&srv, &set);
    if (srv.opt.pidfile && unlink(srv.opt.pidfile) < 0 && errno != ENOENT)
        log_warn("pidfile %s: %s", srv.opt.pidfile, strerror(errno));
    gen_release(&srv, srv.gen);
    if (rc == EX_OK)
        log_info("stopped");
    return rc;
}
