/* unsubscribe.h - the RFC 2369 / RFC 8058 header values (see unsubscribe.c) */
#ifndef OPTIN_UNSUBSCRIBE_H
#define OPTIN_UNSUBSCRIBE_H

#include <stddef.h>

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

#endif
