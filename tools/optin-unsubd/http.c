/*
 * NAME
 *	unsubd_http 3
 * SUMMARY
 *	optin-unsubd's HTTP side: libmicrohttpd callbacks, routes, the
 *	request from its headers to its end, and the answers
 * SYNOPSIS
 *	#include "server.h"
 *
 *	struct MHD_Daemon *unsubd_http_start(struct server *srv, int fd)
 *	void	unsubd_http_stop(struct MHD_Daemon *d)
 * DESCRIPTION
 *	unsubd_http_start() runs libmicrohttpd on the bound socket with a
 *	pool of --threads workers. Each request retains the current
 *	configuration generation when its headers are in and releases it in
 *	the completion callback, so a reload never changes a request under
 *	way.
 *
 *	When the headers are in, the client is found (the peer, or behind a
 *	--trusted-proxy the X-Forwarded-For client, request.c), the language
 *	chosen (lang.c) and the request counted against the rate limit
 *	(ratelimit.c); a POST to /u/ whose token verifies, for an address not
 *	yet unsubscribed, is never turned away for the rate. Then:
 * .IP "/u/TOKEN"
 *	the token is opened (400 malformed, 404 unknown key or forged);
 *	GET and HEAD show the button, or "already unsubscribed", and change
 *	nothing; POST with List-Unsubscribe=One-Click unsubscribes (source
 *	one-click, or web-page when via=page says the page's button sent it).
 * .IP "/c/CODE"
 *	the double opt-in confirmation code: GET shows the confirmation
 *	button or why the code cannot be confirmed (consent_code_check);
 *	POST with confirm=yes confirms it (consent_confirm_write with
 *	confirm_ttl).
 * .PP
 *	A POST body is read through libmicrohttpd's post processor (urlencoded
 *	or multipart/form-data), keeping only the three fields we know; a
 *	body over --max-body is answered 413, at once when Content-Length
 *	says so, else at its end after reading and dropping up to DISCARD_MAX
 *	more octets, past which the connection is closed. Other methods get
 *	405, other paths 404.
 *
 *	Before anything else the request's framing is checked, since
 *	libmicrohttpd is lenient there (0.9.75 takes the first of two
 *	Content-Length fields): two Content-Length fields (equal or not), a
 *	Content-Length that is not a plain number, or Content-Length beside
 *	Transfer-Encoding is answered 400 with Connection: close, so that no
 *	request hidden in the body is ever read (request smuggling, RFC 9112
 *	section 6.3).
 *
 *	Every answer is a page of pages.c with the same security headers
 *	(Content-Security-Policy, no-store, nosniff, DENY, no-referrer,
 *	noindex) and, for 429 and 503, Retry-After.
 * DIAGNOSTICS
 *	One log line per request: "client=IP method=M path=/u/ABCDEFGH...
 *	status=N outcome=WORD [list=L] [source=S]"; status "-" for a
 *	client that left (outcome client-gone), or a body closed after
 *	DISCARD_MAX (body-too-large-closed). Store failures are logged as
 *	errors and answered 503 (Retry-After: 60), unexpected consent
 *	results 500. The first X-Forwarded-For from a peer that is not a
 *	trusted proxy is warned about once. libmicrohttpd's own messages
 *	are warnings.
 * SEE ALSO
 *	optin-unsubd(8), RFC 8058, RFC 9110
 */

#include <stdarg.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "mail/addr.h"
#include "config/config.h"
#include "consent/consent.h"
#include "consent/store.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "unsubscribe/token.h"
#include "server.h"
#include "util/text.h"

#define CONNECTION_LIMIT_MAX 4096 /* connections at once, fewer when file descriptors are short */
#define PER_IP_LIMIT 16          /* connections at once from one address (no trusted proxy) */
#define CONNECTION_TIMEOUT 10    /* seconds of silence before a connection is closed */
#define REQUEST_DEADLINE 10      /* seconds from a request's first byte to its answer */
#define RETRY_AFTER_UNAVAILABLE "60"
#define ACTOR "optin-unsubd"
#define FIELD_BUFSZ 16
#define DISCARD_MAX (64 * 1024)  /* octets read and dropped past --max-body before closing */

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
    struct unsubd_gen *gen;         /* retained from the headers to the end */
    struct MHD_Connection *conn;
    enum route route;
    int is_post, is_read, responded, bad_body, retry_after, must_close;
    enum unsubd_lang lang;
    char client[NET_IP_BUFSZ];
    char method[16];
    char path[SHOWN_PATH_BUFSZ];
    const char *token;              /* in MHD's copy of the URL, valid for the request */
    char list[LIST_ID_BUFSZ];
    char addr[ADDR_BUFSZ];
    const char *source;
    struct MHD_PostProcessor *pp;
    size_t body_bytes;
    struct field f_unsub, f_confirm, f_via;
};

/* --- the client --- */

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
static void client_address(struct server *srv, struct MHD_Connection *conn, struct net_ip *ip,
                           char out[NET_IP_BUFSZ])
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
                                                                 MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct unsubd_options *opt = &srv->opt;
    const char *xff = NULL;

    memset(ip, 0, sizeof(*ip));
    if (ci == NULL || net_sockaddr_ip(ci->client_addr, ip) != 0) {
        snprintf(out, NET_IP_BUFSZ, "unknown");
        return;
    }
    MHD_get_connection_values(conn, MHD_HEADER_KIND, last_xff, &xff);
    if (xff && !net_cidr_match(opt->trusted, opt->trusted_count, ip)
        && __atomic_exchange_n(&srv->warned_xff, 1, __ATOMIC_RELAXED) == 0)
        log_warn("X-Forwarded-For from %s ignored: it is not a --trusted-proxy "
                 "(add it if it is your reverse proxy)", net_ip_format(ip, out));
    unsubd_forwarded_client(xff, opt->trusted, opt->trusted_count, ip);
    net_ip_format(ip, out);
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

/* page_look - the list's display name and the organisation's template of the page, if any */
static void page_look(const struct request *rq, enum unsubd_page page, struct page_args *args)
{
    const struct unsubd_gen *gen = rq->gen;
    const struct page_templates *tpl;
    const struct list_def *list;

    if (gen == NULL)
        return;
    tpl = gen->templates;
    if ((list = config_find_list(gen->cfg, rq->list[0] ? rq->list : NULL)) != NULL) {
        if (list->display_name)
            args->list = list->display_name;
        if (gen->list_templates && gen->list_templates[list - gen->cfg->lists])
            tpl = gen->list_templates[list - gen->cfg->lists];
    }
    args->tpl = templates_for(tpl, page, rq->lang);
}

/* respond - queue a page and log the request; outcome is one word, detail may be "" */
static enum MHD_Result respond(struct request *rq, enum unsubd_page page, const char *outcome,
                               const char *detail)
{
    char masked[MASKED_BUFSZ], retry[16];
    struct page_args args = {.list = rq->list[0] ? rq->list : NULL,
                             .list_id = rq->list[0] ? rq->list : NULL};
    struct MHD_Response *resp;
    int status = unsubd_page_status(page);
    enum MHD_Result ret;
    size_t len;
    char *html;

    if (rq->addr[0]) {
        unsubd_mask_address(rq->addr, masked);
        args.address = masked;
    }
    page_look(rq, page, &args);
    rq->responded = 1;
    deadline_answered(&rq->srv->deadline, rq->conn);
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
    if (rq->must_close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(rq->conn, (unsigned) status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* store_failure - answer for a failed store call: refused input is our bug (500), the rest 503 */
static enum MHD_Result store_failure(struct request *rq, const char *what, int rc)
{
    int ours = rc >= 0 || optin_is_caller_error(rc);
    char detail[160];

    snprintf(detail, sizeof(detail), " error=\"%s\"", optin_strerror(rc));
    log_error("client=%s %s failed: %s (rc %d)", rq->client, what, optin_strerror(rc), rc);
    return respond(rq, ours ? PAGE_ERROR : PAGE_UNAVAILABLE, "store-error", detail);
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

    if (rc != 0 && rc != OPTIN_NOTFOUND)
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
                                   const char *method, struct net_ip *ip)
{
    struct request *rq = calloc(1, sizeof(*rq));

    if (rq == NULL)
        return NULL;
    if ((rq->gen = generation_retain(&srv->gens)) == NULL) {    /* only once stopping */
        free(rq);
        return NULL;
    }
    rq->srv = srv;
    rq->conn = conn;
    client_address(srv, conn, ip, rq->client);
    text_escape(method, strlen(method), 8, TEXT_ASCII | TEXT_WORD | TEXT_QUESTION, rq->method,
                sizeof(rq->method));
    unsubd_shown_path(url, rq->path);
    rq->lang = unsubd_lang_choose(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lang"),
                                  MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                              "Accept-Language"));
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

/* How a request says where its body ends. */
struct framing {
    unsigned content_length, transfer_encoding, bad_number;
};

/* count_framing - header iterator: the Content-Length and Transfer-Encoding fields */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct framing *f = cls;

    (void) kind;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        f->content_length++;
        f->bad_number |= value == NULL || *value == '\0' || strspn(value, "0123456789") != strlen(value);
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->transfer_encoding++;
    }
    return MHD_YES;
}

/* ambiguous_framing - a request whose body's end two parsers could read differently */
static const char *ambiguous_framing(struct MHD_Connection *conn)
{
    struct framing f = {0};

    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    if (f.content_length > 1)
        return " framing=several-content-length";
    if (f.content_length == 1 && f.transfer_encoding > 0)
        return " framing=content-length-and-transfer-encoding";
    if (f.content_length == 1 && f.bad_number)
        return " framing=content-length-not-a-number";
    return NULL;
}

/* request_begin - headers are in: answer at once (refusals, GET) or get ready for the body */
static enum MHD_Result request_begin(struct request *rq, const struct net_ip *ip)
{
    char list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ];
    const char *clen;
    const char *framing = ambiguous_framing(rq->conn);
    enum MHD_Result ret;
    int opt_out;

    if (framing != NULL) {
        rq->must_close = 1;
        return respond(rq, PAGE_BAD_FORM, "ambiguous-framing", framing);
    }
    /* a first opt-out with a genuine token is never turned away; replays count like the rest */
    opt_out = rq->is_post && rq->route == ROUTE_UNSUB && rq->token
        && token_open(rq->gen->keys, rq->token, strlen(rq->token), list, addr) == 0
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
    struct net_ip ip;

    (void) version;
    if (rq == NULL) {
        if ((rq = request_new(cls, conn, url, method, &ip)) == NULL)
            return MHD_NO;
        *con_cls = rq;
        return request_begin(rq, &ip);
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
    struct server *srv = cls;
    struct request *rq = *con_cls;

    deadline_next(&srv->deadline, conn);
    if (rq == NULL)
        return;
    if (!rq->responded)
        log_info("client=%s method=%s path=%s status=- outcome=client-gone termination=%d",
                 rq->client, rq->method, rq->path, (int) toe);
    if (rq->pp)
        MHD_destroy_post_processor(rq->pp);
    generation_release(&srv->gens, rq->gen);
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

/* connection_limit - as many connections as file descriptors allow, up to CONNECTION_LIMIT_MAX:
 * the soft descriptor limit is raised to the hard one first */
static unsigned connection_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 512;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > CONNECTION_LIMIT_MAX + 64)
        return CONNECTION_LIMIT_MAX;
    return rl.rlim_cur > 128 ? (unsigned) rl.rlim_cur - 64 : 64;
}

/* unsubd_http_start - libmicrohttpd on the bound socket with a thread pool; the per-address
 * limit only without a trusted proxy (behind one, every request comes from the proxy) */
struct MHD_Daemon *unsubd_http_start(struct server *srv, int fd)
{
    unsigned per_ip = srv->opt.trusted_count == 0 ? PER_IP_LIMIT : 0;
    unsigned limit = connection_limit();
    struct MHD_Daemon *d;

    if (deadline_start(&srv->deadline, REQUEST_DEADLINE) != 0)
        return NULL;
    d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO, 0, NULL, NULL,
        on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, srv->opt.threads,
        MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) CONNECTION_TIMEOUT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 32768,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, deadline_notify, &srv->deadline,
        MHD_OPTION_END);
    if (d == NULL)
        deadline_stop(&srv->deadline);
    else
        log_info("connections: at most %u, %u per address%s, %d s per request", limit, per_ip,
                 per_ip == 0 ? " (no limit: behind a trusted proxy)" : "", REQUEST_DEADLINE);
    return d;
}

/* unsubd_http_stop - end the workers (they finish their requests), close the socket, then the
 * deadline thread */
void unsubd_http_stop(struct server *srv, struct MHD_Daemon *d)
{
    MHD_stop_daemon(d);
    deadline_stop(&srv->deadline);
}
