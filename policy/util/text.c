/*
 * NAME
 *	text 3
 * SUMMARY
 *	UTF-8 checks and text made fit for one log or diagnostic line
 * SYNOPSIS
 *	#include "util/text.h"
 *
 *	const char *text_escape(src, len, max_chars, flags, out, outsz)
 *	size_t	text_utf8_len(s, n)
 *	int	text_utf8_valid(s, len), text_is_clean(s, len)
 *	char	*text_repair(s)
 *	int	text_cell_guarded(s, len)
 *	size_t	text_cell_unguard(s, len)
 * DESCRIPTION
 *	Everything that shows outside input (addresses, CSV fields, report
 *	fields, request paths, libspf2 messages) on a log line, a reply or
 *	a diagnostic goes through text_escape(): whatever the input holds,
 *	the output is one line of valid UTF-8 (or of ASCII with TEXT_ASCII)
 *	that cannot be mistaken for another line or field. Escaped bytes are
 *	shown as \xNN with two lower-case hex digits, or as '?' with
 *	TEXT_QUESTION where the reader wants plain text.
 *
 *	UTF-8 validity is libunistring's (u8_check, u8_mblen): overlong forms,
 *	surrogates and values past U+10FFFF are invalid.
 *
 *	A CSV cell that starts with = + - @ TAB or CR is run as a formula by
 *	spreadsheets (CSV injection); text_cell_guarded() says it must be
 *	written with a leading apostrophe, and so must a cell that starts
 *	with an apostrophe, so that text_cell_unguard() (1: drop the first
 *	octet) gives back exactly what was written: "=x" is written "'=x",
 *	"'x" is written "''x", and both read back unchanged.
 * DIAGNOSTICS
 *	None: text_escape() always yields a string (cut to fit),
 *	text_repair() returns NULL only when out of memory.
 * SEE ALSO
 *	libunistring unistr.h
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "util/text.h"

/* text_utf8_len - octets of one valid UTF-8 character, 0 when invalid (NUL counts as one) */
size_t text_utf8_len(const char *s, size_t n)
{
    int len;

    if (n == 0)
        return 0;
    if (s[0] == '\0')
        return 1;
    len = u8_mblen((const uint8_t *) s, n);
    return len > 0 ? (size_t) len : 0;
}

/* text_utf8_valid - the whole string is valid UTF-8 */
int text_utf8_valid(const char *s, size_t len)
{
    return u8_check((const uint8_t *) s, len) == NULL;
}

/* text_is_clean - valid UTF-8 and no C0 control or DEL */
int text_is_clean(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return text_utf8_valid(s, len);
}

/* escaped - does this one-octet character need escaping under flags? */
static int escaped(unsigned char c, unsigned flags)
{
    if (c < 0x20 || c == 0x7f)
        return 1;
    if ((flags & TEXT_PERCENT) && c == '%')
        return 1;
    return (flags & TEXT_WORD) && (c == ' ' || c == '\\' || c == '"');
}

/* is_blank - SP, HT, CR or LF */
static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* text_escape - one line of shown text, cut at max_chars characters or when out is full */
const char *text_escape(const char *src, size_t len, size_t max_chars, unsigned flags,
                        char *out, size_t outsz)
{
    const size_t mark = sizeof(TEXT_CUT_MARK) - 1;
    size_t i = 0, o = 0, chars = 0, n, need;
    int blank = 0, esc;

    if (outsz == 0)
        return out;
    while (i < len) {
        unsigned char c = (unsigned char) src[i];

        if ((flags & TEXT_FOLD_BLANKS) && is_blank(c)) {
            blank = o > 0;
            i++;
            continue;
        }
        n = text_utf8_len(src + i, len - i);
        esc = n == 0 || (n == 1 && escaped(c, flags)) || (n > 1 && (flags & TEXT_ASCII));
        if (esc)
            n = 1;
        need = !esc ? n : flags & TEXT_QUESTION ? 1 : 4;
        if ((max_chars && chars == max_chars)
            || o + blank + need + 1 + (i + n < len ? mark : 0) > outsz)
            break;
        if (blank)
            out[o++] = ' ';
        blank = 0;
        if (!esc)
            memcpy(out + o, src + i, n);
        else if (flags & TEXT_QUESTION)
            out[o] = '?';
        else
            snprintf(out + o, 5, "\\x%02x", c);
        o += need;
        i += n;
        chars++;
    }
    if (i < len && !(flags & TEXT_FOLD_BLANKS && strspn(src + i, " \t\r\n") == len - i)
        && o + mark + 1 <= outsz) {
        memcpy(out + o, TEXT_CUT_MARK, mark);
        o += mark;
    }
    out[o] = '\0';
    return out;
}

/* text_cell_guarded - must this CSV cell be written with a leading apostrophe? */
int text_cell_guarded(const char *s, size_t len)
{
    return len > 0 && s[0] != '\0' && strchr("=+-@\t\r'", s[0]) != NULL;
}

/* text_cell_unguard - octets to drop at the start of a cell read from CSV: 1 for a guard */
size_t text_cell_unguard(const char *s, size_t len)
{
    return len > 1 && s[0] == '\'' && text_cell_guarded(s + 1, len - 1);
}

/* text_repair - copy with U+FFFD for each invalid byte */
char *text_repair(const char *s)
{
    static const char replacement[] = "\xef\xbf\xbd";
    size_t len = strlen(s), o = 0, n;
    char *copy = malloc(len * 3 + 1);

    if (copy == NULL)
        return NULL;
    for (size_t i = 0; i < len; i += n ? n : 1) {
        n = text_utf8_len(s + i, len - i);
        memcpy(copy + o, n ? s + i : replacement, n ? n : 3);
        o += n ? n : 3;
    }
    copy[o] = '\0';
    return copy;
}
