/* text.h - UTF-8 checks and text made fit for one log or diagnostic line (see text.c) */
#ifndef OPTIN_TEXT_H
#define OPTIN_TEXT_H

#include <stddef.h>

/* text_escape flags: what else is escaped, and how */
#define TEXT_ASCII       0x01  /* every byte outside printable US-ASCII too */
#define TEXT_QUESTION    0x02  /* write '?' for an escaped byte instead of \xNN */
#define TEXT_PERCENT     0x04  /* '%' too (libmilter reply text is a format) */
#define TEXT_WORD        0x08  /* space, '\\' and '"' too (one word of a log line) */
#define TEXT_FOLD_BLANKS 0x10  /* runs of SP, HT, CR, LF become one space; none at either end */

#define TEXT_CUT_MARK "..."

/*
 * text_escape - the first max_chars characters of src[0, len) (0: as many as fit in out),
 * valid printable UTF-8 as it is, control bytes, DEL and invalid UTF-8 as \xNN (or '?'),
 * and "..." after it when something was left out. out is always NUL-terminated; returns it.
 */
const char *text_escape(const char *src, size_t len, size_t max_chars, unsigned flags,
                        char *out, size_t outsz);

/* text_utf8_len - octets of the valid UTF-8 character at s (n octets left); 0 when invalid */
size_t text_utf8_len(const char *s, size_t n);
/* text_utf8_valid - is s[0, len) valid UTF-8 (no overlong form, surrogate or value past U+10FFFF)? */
int text_utf8_valid(const char *s, size_t len);
/* text_is_clean - valid UTF-8 without C0 control characters or DEL */
int text_is_clean(const char *s, size_t len);
/* text_repair - malloc'd copy of s with each byte that is not valid UTF-8 replaced by U+FFFD */
char *text_repair(const char *s);
/* text_cell_guarded - must a CSV cell be written with a leading ' (a formula to spreadsheets)? */
int text_cell_guarded(const char *s, size_t len);
/* text_cell_unguard - how many octets (0 or 1) of a guarded cell read back to drop */
size_t text_cell_unguard(const char *s, size_t len);

#endif
