/* jsonw.h - a JSON object of strings and integers written straight into a buffer (see jsonw.c) */
#ifndef OPTIN_JSONW_H
#define OPTIN_JSONW_H

#include <stddef.h>
#include <stdint.h>

/* One object being written at the end of the caller's buffer. */
struct jsonw {
    char **buf;
    size_t *len, *cap;
    size_t start;          /* the buffer's length before the object: restored on failure */
    size_t members;
    int failed;
};

/* jsonw_begin - start an object ("{") at the end of *buf (length *len, capacity *cap). */
void jsonw_begin(struct jsonw *w, char **buf, size_t *len, size_t *cap);
/* jsonw_string - "key":"value", escaped as jansson does; invalid UTF-8 repaired to U+FFFD. */
void jsonw_string(struct jsonw *w, const char *key, const char *value);
/* jsonw_uint - "key":n. */
void jsonw_uint(struct jsonw *w, const char *key, uint64_t n);
/* jsonw_end - close the object ("}") and add terminator unless '\0'; 0, or -ENOMEM with the buffer
 * as before jsonw_begin(). */
int jsonw_end(struct jsonw *w, char terminator);

#endif
