/*
 * NAME
 *	test_text - TAP tests of text_escape and the UTF-8 checks (policy/util/text.c)
 * DESCRIPTION
 *	What every log line, diagnostic and reply shows of outside input: one line, valid
 *	UTF-8 (or ASCII), cut where asked, and the libunistring notion of valid UTF-8.
 */

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/text.h"

/* esc - text_escape of a NUL-terminated string into a static buffer */
static const char *esc(const char *s, size_t max_chars, unsigned flags, size_t outsz)
{
    static char out[512];

    return text_escape(s, strlen(s), max_chars, flags, out, outsz);
}

/* test_escape - what is copied, what is escaped, and how */
static void test_escape(void)
{
    char out[16];

    ok(strcmp(esc("alice@example.org", 0, 0, 512), "alice@example.org") == 0, "plain text as it is");
    ok(strcmp(esc("two\nlines", 0, 0, 512), "two\\x0alines") == 0, "LF as \\x0a (lower case)");
    ok(strcmp(esc("bad\tone\x7f", 0, 0, 512), "bad\\x09one\\x7f") == 0, "HT and DEL escaped");
    ok(strcmp(esc("caf\xc3\xa9", 0, 0, 512), "caf\xc3\xa9") == 0, "valid UTF-8 kept");
    ok(strcmp(esc("caf\xc3\xa9", 0, TEXT_ASCII, 512), "caf\\xc3\\xa9") == 0, "TEXT_ASCII escapes it");
    ok(strcmp(esc("x\xc3(", 0, 0, 512), "x\\xc3(") == 0, "a cut sequence escaped byte by byte");
    ok(strcmp(esc("\xc0\x80", 0, 0, 512), "\\xc0\\x80") == 0, "overlong NUL escaped");
    ok(strcmp(esc("\xed\xa0\x80", 0, 0, 512), "\\xed\\xa0\\x80") == 0, "surrogate escaped");
    ok(strcmp(esc("\xf4\x90\x80\x80", 0, 0, 512), "\\xf4\\x90\\x80\\x80") == 0,
       "past U+10FFFF escaped");
    ok(strcmp(esc("100% a\x01", 0, TEXT_QUESTION | TEXT_PERCENT, 512), "100? a?") == 0,
       "TEXT_QUESTION and TEXT_PERCENT");
    ok(strcmp(esc("a b\\c\"d", 0, TEXT_WORD, 512), "a\\x20b\\x5cc\\x22d") == 0,
       "TEXT_WORD escapes blank, backslash, quote");
    ok(strcmp(esc("  550 5.1.1\r\n\t user  unknown \r\n", 0, TEXT_FOLD_BLANKS, 512),
              "550 5.1.1 user unknown") == 0, "TEXT_FOLD_BLANKS: one space, none at the ends");
    ok(strcmp(esc("abcdefgh", 3, 0, 512), "abc...") == 0, "cut at max_chars, marked");
    ok(strcmp(esc("ab\xc3\xa9z", 3, 0, 512), "ab\xc3\xa9...") == 0, "max_chars counts characters");
    ok(strcmp(esc("abcdefghijklmnopqrstuvwxyz", 0, 0, 10), "abcdef...") == 0,
       "cut to fit the buffer, with room for the mark");
    ok(strlen(text_escape("\x01\x02\x03\x04", 4, 0, 0, out, 8)) < 8, "never past the buffer");
    ok(strcmp(text_escape("a\0b", 3, 0, 0, out, sizeof(out)), "a\\x00b") == 0, "NUL inside len escaped");
    ok(text_escape("x", 1, 0, 0, out, 1)[0] == '\0', "a one-octet buffer gets the empty string");
    ok(strlen(text_escape("xyz", 3, 0, 0, out, 2)) <= 1, "a two-octet buffer: nothing past it");
}

/* test_utf8 - validity and lengths */
static void test_utf8(void)
{
    char *fixed;

    ok(text_utf8_valid("h\xc3\xa9llo \xe4\xbe\x8b \xf0\x9f\x98\x80", 15), "valid mixed UTF-8");
    ok(!text_utf8_valid("\xc0\xaf", 2), "overlong refused");
    ok(!text_utf8_valid("\xed\xb0\x80", 3), "lone surrogate refused");
    ok(!text_utf8_valid("\xe4\xbe", 2), "cut sequence refused");
    ok(text_utf8_len("\xe4\xbe\x8b", 3) == 3 && text_utf8_len("\xe4\xbe\x8b", 2) == 0,
       "length of a character, 0 when cut");
    ok(text_utf8_len("", 1) == 1, "NUL counts as one octet");
    ok(text_is_clean("source:web-form", 15) && !text_is_clean("a\tb", 3)
       && !text_is_clean("\xff", 1), "clean: no controls, valid UTF-8");
    fixed = text_repair("a\xffz\xc3\xa9");
    ok(fixed && strcmp(fixed, "a\xef\xbf\xbdz\xc3\xa9") == 0, "repair: U+FFFD for a bad byte");
    free(fixed);
}

int main(void)
{
    test_escape();
    test_utf8();
    return tap_done();
}
