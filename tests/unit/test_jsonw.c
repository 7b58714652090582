/*
 * NAME
 *	test_jsonw - TAP tests of the journal's JSON writer (policy/util/jsonw.c)
 * DESCRIPTION
 *	jansson is the oracle: for fixed cases and 20,000 random strings (fixed seed; valid
 *	UTF-8 of every length class, controls, quotes, backslashes, and broken sequences) the
 *	writer's object must be byte for byte what json_dumpb(JSON_COMPACT) writes for the
 *	same members, with invalid UTF-8 repaired as text_repair() does; and it must append to
 *	what the buffer held, in order, with the terminator.
 */

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/jsonw.h"
#include "util/text.h"

#define RANDOM_CASES 20000
#define RANDOM_MAX_LEN 40

/* oracle - jansson's compact text of {"a":S,"n":N,"z":S2} (S repaired when not valid UTF-8) */
static char *oracle(const char *s, uint64_t n, const char *s2)
{
    char *fixed = text_utf8_valid(s, strlen(s)) ? strdup(s) : text_repair(s);
    json_t *obj = json_object();
    char *text;

    json_object_set_new(obj, "a", json_string(fixed));
    json_object_set_new(obj, "n", json_integer((json_int_t) n));
    json_object_set_new(obj, "z", json_string(s2));
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    free(fixed);
    return text;
}

/* written - the writer's text of the same object, appended after "prefix" and ended by '\n' */
static char *written(const char *s, uint64_t n, const char *s2)
{
    size_t len = 6, cap = 8;
    char *buf = malloc(cap);
    struct jsonw w;

    memcpy(buf, "prefix", 6);
    jsonw_begin(&w, &buf, &len, &cap);
    jsonw_string(&w, "a", s);
    jsonw_uint(&w, "n", n);
    jsonw_string(&w, "z", s2);
    if (jsonw_end(&w, '\n') != 0 || len < 7 || memcmp(buf, "prefix", 6) != 0 || buf[len - 1] != '\n') {
        free(buf);
        return NULL;
    }
    memmove(buf, buf + 6, len - 7);
    buf[len - 7] = '\0';
    return buf;
}

/* same - writer and oracle agree on one object; prints both when not */
static int same(const char *s, uint64_t n, const char *s2)
{
    char *want = oracle(s, n, s2), *got = written(s, n, s2);
    int equal = want != NULL && got != NULL && strcmp(want, got) == 0;

    if (!equal)
        printf("#   jansson: %s\n#   jsonw:   %s\n", want ? want : "(null)", got ? got : "(null)");
    free(want);
    free(got);
    return equal;
}

/* test_fixed - the escapes one by one, UTF-8 kept, broken UTF-8 repaired, integers */
static void test_fixed(void)
{
    ok(same("", 0, ""), "empty strings, zero");
    ok(same("alice@example.org", 1, "x"), "plain ASCII");
    ok(same("\"q\" \\ /", 42, "x"), "quote and backslash escaped, slash kept");
    ok(same("\b\f\n\r\t", 7, "x"), "the short escapes");
    ok(same("\x01\x02\x1b\x1f\x7f", 9, "x"), "other controls as \\u00XX, DEL kept");
    char *big = written("", UINT64_MAX, "");

    ok(same("J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xe2\x80\xa8", INT64_MAX, "x"),
       "UTF-8 of two, three and four bytes and U+2028 kept; the largest integer jansson has");
    ok(big != NULL && strcmp(big, "{\"a\":\"\",\"n\":18446744073709551615,\"z\":\"\"}") == 0,
       "past INT64_MAX the number stays unsigned (jansson would write it negative, which no reader of "
       "the chain takes)");
    free(big);
    ok(same("a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe6\x97", 3, "ok"), "broken UTF-8 repaired as text_repair does");
}

/* random_string - a string of 0..RANDOM_MAX_LEN pieces: ASCII, controls, escapes, UTF-8, junk */
static void random_string(char *out, unsigned *seed)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe3\x81\x82",
        "\xf0\x9f\x93\xa7", "\xef\xbf\xbd", "\xc0\x80", "\xed\xb0\x80", "\xf4\x90\x80\x80", "\x80", "\xfe",
        "\xe3\x81", "@", "<", "%",
    };
    size_t n = (size_t) rand_r(seed) % RANDOM_MAX_LEN;

    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        strcat(out, pieces[(size_t) rand_r(seed) % (sizeof(pieces) / sizeof(pieces[0]))]);
}

/* test_random - 20,000 random strings, seed 1 */
static void test_random(void)
{
    char s[RANDOM_MAX_LEN * 4 + 1];
    unsigned seed = 1;
    int agreed = 0, repaired = 0;

    for (int i = 0; i < RANDOM_CASES; i++) {
        random_string(s, &seed);
        repaired += !text_utf8_valid(s, strlen(s));
        agreed += same(s, (uint64_t) rand_r(&seed), "x");
    }
    ok(agreed == RANDOM_CASES, "%d random strings written as jansson writes them (%d agreed)",
       RANDOM_CASES, agreed);
    ok(repaired > RANDOM_CASES / 4 && repaired < RANDOM_CASES, "the cases mix valid and broken UTF-8 (%d broken)",
       repaired);
}

int main(void)
{
    test_fixed();
    test_random();
    return tap_done();
}
