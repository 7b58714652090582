/*
 * NAME
 *	jsonw 3
 * SUMMARY
 *	a JSON object of strings and integers written straight into a buffer
 * SYNOPSIS
 *	#include "util/jsonw.h"
 *
 *	void	jsonw_begin(struct jsonw *w, char **buf, size_t *len,
 *			    size_t *cap)
 *	void	jsonw_string(struct jsonw *w, const char *key,
 *			     const char *value)
 *	void	jsonw_uint(struct jsonw *w, const char *key, uint64_t n)
 *	int	jsonw_end(struct jsonw *w, char terminator)
 * DESCRIPTION
 *	Writes one object member by member at the end of a growing buffer
 *	(the caller's pointer, length and capacity), without building a
 *	tree: the hot path of the decision journal writes a line per
 *	recipient and was spending its time in the allocator. The text is
 *	what jansson's json_dumpb() with JSON_COMPACT writes for the same
 *	object (tests/unit/test_jsonw.c holds it to that, byte for byte):
 *	valid UTF-8 is kept as it is; '"', '\\' and the C0 controls are
 *	escaped (\b \f \n \r \t, else \u00XX in upper-case hex); a value
 *	that is not valid UTF-8 is first repaired by text_repair(), each
 *	bad byte becoming U+FFFD, so every object is valid JSON. Keys are
 *	the caller's constants and are written as they are. jansson stays
 *	the reader of every line.
 * DIAGNOSTICS
 *	jsonw_end() closes the object and adds the terminator ('\n' for a
 *	JSON line; '\0' for none). It returns 0, or -ENOMEM when any step
 *	ran out of memory;
 *	the buffer then holds what it held before jsonw_begin().
 * SEE ALSO
 *	journal(3), text(3), jansson's json_dumpb()
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonw.h"
#include "util/text.h"

#define ESCAPED_MAX 6                    /* "\u00XX": the most one input byte becomes */

/* reserve - room for n more bytes; 0 or -1 (and the writer failed) */
static int reserve(struct jsonw *w, size_t n)
{
    size_t cap;
    char *grown;

    if (w->failed)
        return -1;
    if (*w->len + n <= *w->cap)
        return 0;
    cap = (*w->cap ? *w->cap * 2 : 1024) + n;
    if ((grown = realloc(*w->buf, cap)) == NULL) {
        w->failed = 1;
        return -1;
    }
    *w->buf = grown;
    *w->cap = cap;
    return 0;
}

/* put_key - the separator and "key": */
static void put_key(struct jsonw *w, const char *key, size_t extra)
{
    size_t klen = strlen(key);
    char *p;

    if (reserve(w, klen + 4 + extra) != 0)
        return;
    p = *w->buf + *w->len;
    if (w->members++ > 0)
        *p++ = ',';
    *p++ = '"';
    memcpy(p, key, klen);
    p += klen;
    *p++ = '"';
    *p++ = ':';
    *w->len = (size_t) (p - *w->buf);
}

/* put_escaped - a valid UTF-8 string between quotes, escaped as jansson does */
static void put_escaped(struct jsonw *w, const char *value, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char short_escapes[0x20] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
    };
    char *p;

    if (reserve(w, n * ESCAPED_MAX + 2) != 0)
        return;
    p = *w->buf + *w->len;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) value[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = (char) c;             /* UTF-8 sequences hold no byte below 0x80 */
        } else if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char) c;
        } else if (short_escapes[c]) {
            *p++ = '\\';
            *p++ = short_escapes[c];
        } else {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        }
    }
    *p++ = '"';
    *w->len = (size_t) (p - *w->buf);
}

/* jsonw_begin - start an object at the end of the buffer */
void jsonw_begin(struct jsonw *w, char **buf, size_t *len, size_t *cap)
{
    *w = (struct jsonw) {.buf = buf, .len = len, .cap = cap, .start = *len};
    if (reserve(w, 1) == 0)
        (*buf)[(*len)++] = '{';
}

/* jsonw_string - a string member; a value that is not valid UTF-8 is repaired first */
void jsonw_string(struct jsonw *w, const char *key, const char *value)
{
    size_t n = strlen(value);
    char *fixed = NULL;

    if (w->failed)
        return;
    if (!text_utf8_valid(value, n)) {
        if ((fixed = text_repair(value)) == NULL) {
            w->failed = 1;
            return;
        }
        value = fixed;
        n = strlen(fixed);
    }
    put_key(w, key, 0);
    put_escaped(w, value, n);
    free(fixed);
}

/* jsonw_uint - an unsigned integer member */
void jsonw_uint(struct jsonw *w, const char *key, uint64_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%" PRIu64, n);

    put_key(w, key, (size_t) len);
    if (!w->failed) {
        memcpy(*w->buf + *w->len, digits, (size_t) len);
        *w->len += (size_t) len;
    }
}

/* jsonw_end - close the object, then the terminator unless it is NUL; 0, or -ENOMEM with the
 * buffer as it was */
int jsonw_end(struct jsonw *w, char terminator)
{
    if (reserve(w, 2) == 0) {
        (*w->buf)[(*w->len)++] = '}';
        if (terminator != '\0')
            (*w->buf)[(*w->len)++] = terminator;
    }
    if (!w->failed)
        return 0;
    *w->len = w->start;
    return -ENOMEM;
}
