/* unsubd.h - optin-unsubd: what needs neither libmicrohttpd nor the store (see unsubd_pages.c) */
#ifndef OPTIN_UNSUBD_H
#define OPTIN_UNSUBD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The languages of the pages; the first is the default. */
enum unsubd_lang {
    LANG_EN,
    LANG_JA,
    LANG_COUNT
};

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
    const char *list;
    const char *address;     /* as unsubd_mask_address() made it */
};

/* The form fields the pages send and the server expects (RFC 8058 section 3.1 for the first). */
#define FORM_UNSUB_NAME "List-Unsubscribe"
#define FORM_UNSUB_VALUE "One-Click"
#define FORM_CONFIRM_NAME "confirm"
#define FORM_CONFIRM_VALUE "yes"
#define FORM_VIA_NAME "via"        /* "page": the POST came from our page's button */
#define FORM_VIA_PAGE "page"

#define UNSUBD_CSP "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; " \
    "frame-ancestors 'none'; base-uri 'none'"

/* unsubd_page_status - the HTTP status code of a page */
int unsubd_page_status(enum unsubd_page page);
/* unsubd_page_render - the whole HTML5 document, malloc'd (the caller frees it); NULL when out of memory */
char *unsubd_page_render(enum unsubd_page page, enum unsubd_lang lang, const struct page_args *args,
                         size_t *len);
/* unsubd_lang_pick - best supported language of an Accept-Language value (NULL: the default) */
enum unsubd_lang unsubd_lang_pick(const char *accept_language);
/* unsubd_lang_parse - "en" or "ja" (a ?lang= override); -1 for anything else */
int unsubd_lang_parse(const char *tag);
/* unsubd_lang_tag - "en", "ja" */
const char *unsubd_lang_tag(enum unsubd_lang lang);

#define MASKED_BUFSZ 300
/* unsubd_mask_address - "alice@example.org" as "a…@example.org" for the pages */
void unsubd_mask_address(const char *addr, char out[MASKED_BUFSZ]);

#define SHOWN_PATH_BUFSZ 100
/* unsubd_shown_path - a request path fit for one log line: token cut to 8 characters, control bytes as \xNN */
const char *unsubd_shown_path(const char *path, char out[SHOWN_PATH_BUFSZ]);

/* --- client addresses: IPv4 kept as v4-mapped IPv6, 16 bytes --- */

#define IP_TEXT_BUFSZ INET6_ADDRSTRLEN

/* An address or a network (--trusted-proxy 10.0.0.0/8). */
struct ip_net {
    unsigned char addr[16];
    unsigned bits;             /* of the 128 */
};

/* unsubd_ip_parse - IPv4 or IPv6 text of len octets; 0, or -1 when it is not one */
int unsubd_ip_parse(const char *text, size_t len, unsigned char out[16]);
/* unsubd_ip_text - canonical text (dotted quad for IPv4) */
void unsubd_ip_text(const unsigned char ip[16], char out[IP_TEXT_BUFSZ]);
/* unsubd_ip_is_v4, unsubd_ip_is_loopback - 127.0.0.0/8 and ::1 are loopback */
int unsubd_ip_is_v4(const unsigned char ip[16]);
int unsubd_ip_is_loopback(const unsigned char ip[16]);
/* unsubd_sockaddr_ip - address of an AF_INET or AF_INET6 socket address; -1 for others */
int unsubd_sockaddr_ip(const struct sockaddr *sa, unsigned char out[16]);
/* unsubd_net_parse - "IP" or "IP/BITS"; 0, or -1 */
int unsubd_net_parse(const char *text, struct ip_net *out);
/* unsubd_net_match - is ip inside one of the n networks? */
int unsubd_net_match(const struct ip_net *nets, size_t n, const unsigned char ip[16]);
/*
 * unsubd_forwarded_client - ip is the peer; while it is a trusted proxy, replace it by the
 * next X-Forwarded-For entry from the right. Stops at a malformed entry (ip stays the last hop).
 */
void unsubd_forwarded_client(const char *xff, const struct ip_net *trusted, size_t n,
                             unsigned char ip[16]);
/* unsubd_listen_parse - "ADDRESS:PORT" or "[IPV6]:PORT"; 0, or -1 */
int unsubd_listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                        unsigned char ip[16]);

/* --- the per-client rate limit: a fixed table, one mutex --- */

#define RATE_SLOTS 4096          /* clients counted at once */
#define RATE_PROBES 8            /* slots looked at per client */

struct rate_slot {
    unsigned char ip[16];
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
int unsubd_rate_allow(struct rate_table *t, const unsigned char ip[16], int64_t now, int *retry);

/* --- the command line --- */

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
    struct ip_net trusted[TRUSTED_MAX];
    size_t trusted_count;
};

#define OPTIONS_DONE (-1)   /* -V or --help answered: exit 0 */
/* unsubd_options_parse - defaults, then the command line; 0, OPTIONS_DONE or EX_USAGE (said why) */
int unsubd_options_parse(int argc, char **argv, struct unsubd_options *opt);

#endif
