/* verp.h - signed VERP return paths: a bounce names the list and recipient it is about (see verp.c) */
#ifndef OPTIN_VERP_H
#define OPTIN_VERP_H

#include <stddef.h>

#include "unsubscribe/token.h"

#define VERP_TAG_LEN 24              /* characters of a tag: 15 octets in base32 */
#define VERP_TAG_BUFSZ (VERP_TAG_LEN + 1)
#define VERP_PATH_BUFSZ 256          /* a return path: a local part of at most 64, "@", a domain */

/*
 * verp_pattern_check - is pattern a usable return path with one "%s" for the tag in its local
 * part ("bounce+%s@lists.example")? NULL, or why not.
 */
const char *verp_pattern_check(const char *pattern);
/* verp_tag_make - the tag of (list, normalized address) with the signing key; 0, or -1 */
int verp_tag_make(const struct token_keys *keys, const char *list, const char *addr,
                  char out[VERP_TAG_BUFSZ]);
/* verp_return_path - pattern with the tag of (list, addr); 0, or -1 when it cannot be made */
int verp_return_path(const struct token_keys *keys, const char *pattern, const char *list,
                     const char *addr, char out[VERP_PATH_BUFSZ]);
/*
 * verp_tag_of - the tag in an envelope recipient written by pattern, in any case (some MTAs
 * lower-case local parts); 0, or -1 when rcpt does not follow the pattern.
 */
int verp_tag_of(const char *pattern, const char *rcpt, char tag[VERP_TAG_BUFSZ]);
/* verp_tag_list_is - does the tag name this list? (a cheap filter before verp_tag_verify) */
int verp_tag_list_is(const char *tag, const char *list);
/*
 * verp_tag_verify - is tag the tag of (list, normalized address), under any key of the file?
 * 0, OPTIN_ETOKENMALFORMED, OPTIN_ETOKENKEY or OPTIN_ETOKENFORGED (constant-time compare).
 */
int verp_tag_verify(const struct token_keys *keys, const char *tag, const char *list,
                    const char *addr);

#endif
