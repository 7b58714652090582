/* content.h - what a list message's first body part must show (see content.c) */
#ifndef OPTIN_CONTENT_H
#define OPTIN_CONTENT_H

#include <stddef.h>

#include "config/config.h"

/* The items a list can require, as bits of content_missing()'s answer. */
enum content_item {
    CONTENT_SENDER_NAME = 1,
    CONTENT_POSTAL_ADDRESS = 2,
    CONTENT_CONTACT = 4,
    CONTENT_UNSUBSCRIBE = 8,
    CONTENT_NO_TEXT = 16,              /* no text part in what was read */
};

/*
 * content_first_text - the first text part of a body (Content-Type and Content-Transfer-Encoding of
 * the message given), decoded and converted to UTF-8, HTML tags dropped, whitespace collapsed, ASCII
 * lower-cased; allocated into *out (NULL when there is no text part). 0, or -1 when out of memory.
 */
int content_first_text(const char *ctype, const char *cte, const char *body, size_t len, char **out);
/* content_missing - the items list requires that text (from content_first_text, may be NULL) lacks. */
unsigned content_missing(const struct list_def *list, const char *text);
/* content_describe - "postal address, unsubscribe instruction" for a bit set, into buf. */
const char *content_describe(unsigned missing, char *buf, size_t size);

#endif
