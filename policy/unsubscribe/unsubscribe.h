/* unsubscribe.h - the RFC 2369 / RFC 8058 header values, and their token read back (see unsubscribe.c) */
#ifndef OPTIN_UNSUBSCRIBE_H
#define OPTIN_UNSUBSCRIBE_H

#include <stddef.h>

#include "mail/addr.h"
#include "unsubscribe/token.h"

#define UNSUB_POST_VALUE "List-Unsubscribe=One-Click"
#define UNSUB_HEADER "List-Unsubscribe"
#define UNSUB_POST_HEADER "List-Unsubscribe-Post"
#define UNSUB_VALUE_BUFSZ 2048

/*
 * unsub_value - the List-Unsubscribe value for a token:
 *   "<URLTOKEN>,\n\t<mailto:MAILTO?subject=unsubscribe%20TOKEN>" (the HTTPS URL first)
 * (either part omitted when mailto or url is NULL; at least one is needed).
 * URLs stay ASCII; the value is folded only after the comma, with "\n\t",
 * and every line stays under 998 octets. 0, or -1 when it cannot be built.
 */
int unsub_value(const char *mailto, const char *url, const char *token, char *out, size_t outsz);

/* What a reader found: the token that opened, or the most telling failure. */
struct unsub_found {
    int rc;                        /* 0, OPTIN_ETOKEN*, or UNSUB_NONE (none seen) */
    char list[LIST_ID_BUFSZ];
    char addr[ADDR_BUFSZ];         /* "" for a list-level token */
};
#define UNSUB_NONE OPTIN_NOTFOUND  /* no candidate seen: an answer, not an error (status.h) */
#define UNSUB_FOUND_NONE ((struct unsub_found) {.rc = UNSUB_NONE})

/*
 * unsub_value_token - the token of a List-Unsubscribe value, URI by URI: a mailto: subject=,
 * else what follows one of url_bases (NULL entries skipped), else the trailing base64url.
 */
int unsub_value_token(const struct token_keys *keys, const char *value,
                      const char *const *url_bases, size_t n_bases, struct unsub_found *found);
/* unsub_text_token - "unsubscribe TOKEN" anywhere in text (a Subject): any case, blanks, ':', "%20" */
int unsub_text_token(const struct token_keys *keys, const char *text, struct unsub_found *found);
/* unsub_extension_token - the token of unsubscribe+TOKEN@domain (or unsubscribe-TOKEN@) */
int unsub_extension_token(const struct token_keys *keys, const char *rcpt,
                          struct unsub_found *found);

#endif
