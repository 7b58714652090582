/*
 * unsubd.h - optin-unsubd: the parts that need neither libmicrohttpd nor the store, so that
 * unit tests link them alone: pages (pages.c), languages (lang.c), what a request says
 * (request.c), the rate limit (ratelimit.c) and the command line (options.c)
 */
#ifndef OPTIN_UNSUBD_H
#define OPTIN_UNSUBD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/netaddr.h"

/* --- languages (lang.c) --- */

/* The languages of the pages; the first is the default. */
enum unsubd_lang {
    LANG_EN,
    LANG_JA,
    LANG_COUNT
};

/* unsubd_lang_pick - best supported language of an Accept-Language value (NULL: the default) */
enum unsubd_lang unsubd_lang_pick(const char *accept_language);
/* unsubd_lang_parse - "en" or "ja" (a ?lang= override); -1 for anything else */
int unsubd_lang_parse(const char *tag);
/* unsubd_lang_choose - the ?lang= value when it names one of ours, else unsubd_lang_pick */
enum unsubd_lang unsubd_lang_choose(const char *lang_arg, const char *accept_language);
/* unsubd_lang_tag - "en", "ja" */
const char *unsubd_lang_tag(enum unsubd_lang lang);

/* --- pages (pages.c) --- */

/* Every page the server answers with; each has its status code (unsubd_page_status). */
enum unsubd_page {
    PAGE_UNSUB_FORM,        /* 200 GET /u/: the button that POSTs List-Unsubscribe=One-Click */
    PAGE_UNSUB_DONE,        /* 200 POST /u/: unsubscribed now */
    PAGE_UNSUB_ALREADY,     /* 200 POST /u/ again, or GET /u/ when already unsubscribed */
    PAGE_CONFIRM_FORM,      /* 200 GET /c/: the button that POSTs the confirmation */
    PAGE_CONFIRM_DONE,      /* 200 POST /c/: confirmed */
    PAGE_CONFIRM_UNKNOWN,   /* 404 /c/: no such confirmation token (never made, or used) */
    PAGE_CONFIRM_EXPIRED,   /* 410 POST /c/: older than confirm_ttl */
    PAGE_CONFIRM_REVOKED,   /* 409 POST /c/: unsubscribed since the request */
    PAGE_BAD_LINK,          /* 400 malformed token (cut, not base64url, wrong version) */
    PAGE_UNKNOWN_LINK,      /* 404 unknown key or failed authentication */
    PAGE_BAD_FORM,          /* 400 POST without the expected form field */
    PAGE_NOT_FOUND,         /* 404 no such path */
    PAGE_METHOD,            /* 405 (Allow: GET, HEAD, POST) */
    PAGE_TOO_LARGE,         /* 413 body over --max-body */
    PAGE_MEDIA_TYPE,        /* 415 POST body neither urlencoded nor multipart/form-data */
    PAGE_RATE,              /* 429 (Retry-After) */
    PAGE_ERROR,             /* 500 */
    PAGE_UNAVAILABLE,       /* 503 store busy or failing (Retry-After) */
    PAGE_COUNT
};

/* What a page shows of the request: the list and the masked address (either may be NULL). */
struct page_args {
    const char *list;        /* its display_name, else its id */
    const char *list_id;
    const char *address;     /* as unsubd_mask_address() made it */
    const char *tpl;         /* the organisation's template of this page (templates.c), or NULL */
};

/* The form fields the pages send and the server expects (RFC 8058 section 3.1 for the first). */
#define FORM_UNSUB_NAME "List-Unsubscribe"
#define FORM_UNSUB_VALUE "One-Click"
#define FORM_CONFIRM_NAME "confirm"
#define FORM_CONFIRM_VALUE "yes"
#define FORM_VIA_NAME "via"        /* "page": the POST came from our page's button */
#define FORM_VIA_PAGE "page"

#define UNSUBD_CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; " \
    "frame-ancestors 'none'; base-uri 'none'"

/* unsubd_page_status - the HTTP status code of a page */
int unsubd_page_status(enum unsubd_page page);
/* unsubd_page_render - the whole HTML5 document, malloc'd (the caller frees it); NULL when out of memory */
char *unsubd_page_render(enum unsubd_page page, enum unsubd_lang lang, const struct page_args *args,
                         size_t *len);

/* --- the organisation's page templates (templates.c) --- */

/* What a template folder may hold, per language: KIND.LANG.html ("unsubscribe.ja.html"). */
enum template_kind {
    TPL_UNSUBSCRIBE,        /* the unsubscribe button (must hold {{form}}) */
    TPL_UNSUBSCRIBED,       /* unsubscribed now, or already */
    TPL_CONFIRM,            /* the double opt-in button (must hold {{form}}) */
    TPL_CONFIRMED,          /* subscription confirmed */
    TPL_ERROR,              /* every other page */
    TPL_COUNT
};

struct page_templates;

/* templates_load - every KIND.LANG.html of dir, checked; 0, or -1 with "FILE:LINE: reason\n" in err */
int templates_load(const char *dir, struct page_templates **out, char *err, size_t errsz);
/* templates_free - NULL is fine */
void templates_free(struct page_templates *t);
/* templates_for - the template of page in lang, or NULL (t NULL, or that file absent) */
const char *templates_for(const struct page_templates *t, enum unsubd_page page, enum unsubd_lang lang);

#define MASKED_BUFSZ 300
/* unsubd_mask_address - "alice@example.org" as "a…@example.org" for the pages */
void unsubd_mask_address(const char *addr, char out[MASKED_BUFSZ]);

/* --- what a request says (request.c) --- */

#define SHOWN_PATH_BUFSZ 100
/* unsubd_shown_path - a request path fit for one log line: token cut to 8 characters, unsafe bytes as \xnn */
const char *unsubd_shown_path(const char *path, char out[SHOWN_PATH_BUFSZ]);
/*
 * unsubd_forwarded_client - ip is the peer; while it is a trusted proxy, replace it by the
 * next X-Forwarded-For entry from the right. Stops at a malformed entry (ip stays the last hop).
 */
void unsubd_forwarded_client(const char *xff, const struct net_cidr *trusted, size_t n,
                             struct net_ip *ip);

/* --- the per-client rate limit: a fixed table, one mutex (ratelimit.c) --- */

#define RATE_SLOTS 4096          /* clients counted at once */
#define RATE_PROBES 8            /* slots looked at per client */

struct rate_slot {
    struct net_ip ip;
    int64_t minute;
    unsigned count;
    int used;
};

struct rate_table {
    pthread_mutex_t lock;        /* PTHREAD_MUTEX_INITIALIZER */
    unsigned limit;              /* requests per client and calendar minute; 0 no limit */
    struct rate_slot slot[RATE_SLOTS];
};

/* unsubd_rate_allow - count one request at now; 0 when over the limit; *retry gets seconds to wait */
int unsubd_rate_allow(struct rate_table *t, const struct net_ip *ip, int64_t now, int *retry);

/* --- the command line (options.c) --- */

#define DEFAULT_LISTEN "127.0.0.1:8025"
#define DEFAULT_RATE 30
#define DEFAULT_MAX_BODY 4096
#define DEFAULT_THREADS 4
#define TRUSTED_MAX 32

struct unsubd_options {
    const char *config;
    const char *listen;
    const char *user;               /* NULL: the configuration's user */
    const char *pidfile;
    int foreground, check_only, public_ok;
    unsigned rate;                  /* requests per client and minute; 0 no limit */
    unsigned threads;
    size_t max_body;
    struct net_cidr trusted[TRUSTED_MAX];
    size_t trusted_count;
};

#define OPTIONS_DONE (-1)   /* -V or --help answered: exit 0 */
/* unsubd_options_parse - defaults, then the command line; 0, OPTIONS_DONE or EX_USAGE (said why) */
int unsubd_options_parse(int argc, char **argv, struct unsubd_options *opt);

#endif
