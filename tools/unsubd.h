/* unsubd.h - optin-unsubd: pages, language choice and the small parsers the server shares (see unsubd.c) */
#ifndef OPTIN_UNSUBD_H
#define OPTIN_UNSUBD_H

#include <stddef.h>
#include <stdint.h>

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

#endif
