/*
 * NAME
 *	test_lang - TAP tests of optin-unsubd's page language (lang.c)
 * DESCRIPTION
 *	Accept-Language values (RFC 9110 section 12.5.4) with the language
 *	they must choose among English and Japanese, then the ?lang= override.
 */

#include <stddef.h>

#include "tap.h"
#include "unsubd.h"

struct pick_case {
    const char *header;
    enum unsubd_lang want;
    const char *why;
};

static const struct pick_case pick_cases[] = {
    {NULL, LANG_EN, "no header: English"},
    {"", LANG_EN, "an empty header: English"},
    {"ja", LANG_JA, "ja"},
    {"JA", LANG_JA, "case does not matter"},
    {"en", LANG_EN, "en"},
    {"ja-JP", LANG_JA, "a range with a region matches on the primary subtag"},
    {"ja-JP,ja;q=0.9,en;q=0.8", LANG_JA, "a typical Japanese browser"},
    {"en-US,en;q=0.9,ja;q=0.8", LANG_EN, "a typical English browser that knows Japanese"},
    {"jav", LANG_EN, "jav is not ja (Javanese)"},
    {"ja;q=0.1, en;q=0.9", LANG_EN, "the higher q-value wins"},
    {"en;q=0.1, ja;q=0.9", LANG_JA, "the higher q-value wins, whatever the order"},
    {"en-GB;q=0.7,ja;q=0.7", LANG_EN, "a tie goes to the earlier range"},
    {"ja;q=0.7,en-GB;q=0.7", LANG_JA, "a tie goes to the earlier range (ja first)"},
    {"ja;q=0.500, en;q=0.499", LANG_JA, "three decimals are compared"},
    {"en;q=0, ja", LANG_JA, "q=0 refuses English"},
    {"en;q=0.000, ja;q=0.001", LANG_JA, "q=0.000 refuses, q=0.001 does not"},
    {"ja;q=0", LANG_EN, "Japanese refused, nothing else: the default"},
    {"ja;q=0, *", LANG_EN, "q=0 excludes Japanese even when * is welcome"},
    {"*", LANG_EN, "* alone: the default"},
    {"*;q=0.9, en;q=0.1", LANG_JA, "* stands for Japanese, not named, above English"},
    {"ja;q=0.3, *;q=0.5", LANG_EN, "* stands for English, not named, above Japanese"},
    {"fr, ja;q=0.5", LANG_JA, "an unknown language first, then Japanese"},
    {"de, fr", LANG_EN, "only unknown languages: the default"},
    {"ja;q=bogus", LANG_EN, "a malformed q-value: the element is ignored"},
    {"ja;q=bogus, en;q=0", LANG_EN, "malformed ja ignored, en refused: the default"},
    {"ja;q=1.5", LANG_EN, "q above 1 is malformed"},
    {"ja;q=0.0001", LANG_EN, "four decimals are malformed"},
    {"ja;level=1", LANG_EN, "a parameter other than q is malformed"},
    {"ja;q=1.000", LANG_JA, "q=1.000"},
    {"ja;Q=0.8", LANG_JA, "Q in upper case"},
    {"  ja ; q=0.8 ", LANG_JA, "blanks around range and parameter"},
    {"\tja", LANG_JA, "a leading tab"},
    {",,ja,", LANG_JA, "empty elements are skipped"},
    {";q=0.5", LANG_EN, "an element without a range"},
    {"ja;", LANG_EN, "a ';' without a parameter is malformed"},
    {"en;q=0.8, ja-JP;q=0.9, ja;q=0.1", LANG_JA, "the first range naming a language counts"},
};

/* test_pick - every case of the table */
static void test_pick(void)
{
    for (size_t i = 0; i < sizeof(pick_cases) / sizeof(pick_cases[0]); i++) {
        const struct pick_case *c = &pick_cases[i];
        enum unsubd_lang got = unsubd_lang_pick(c->header);

        ok(got == c->want, "Accept-Language \"%s\" -> %s: %s (got %s)", c->header ? c->header : "(none)",
           unsubd_lang_tag(c->want), c->why, unsubd_lang_tag(got));
    }
}

/* test_override - ?lang= and the tags */
static void test_override(void)
{
    ok(unsubd_lang_parse("en") == LANG_EN && unsubd_lang_parse("ja") == LANG_JA, "?lang= en and ja");
    ok(unsubd_lang_parse("JA") == LANG_JA, "?lang= ignores case");
    ok(unsubd_lang_parse("jp") == -1 && unsubd_lang_parse("ja-JP") == -1 && unsubd_lang_parse("") == -1,
       "?lang= takes only our own tags");
    ok(unsubd_lang_parse(NULL) == -1, "no ?lang=");
    ok(unsubd_lang_choose("ja", "en") == LANG_JA, "?lang=ja overrides Accept-Language: en");
    ok(unsubd_lang_choose("en", "ja") == LANG_EN, "?lang=en overrides Accept-Language: ja");
    ok(unsubd_lang_choose("fr", "ja") == LANG_JA, "an unknown ?lang= leaves it to the header");
    ok(unsubd_lang_choose("", "ja;q=0.5") == LANG_JA, "an empty ?lang= leaves it to the header");
    ok(unsubd_lang_choose(NULL, NULL) == LANG_EN, "neither: the default");
    ok(unsubd_lang_choose("ja", "ja;q=0") == LANG_JA, "?lang= wins even over a refusal");
    ok(unsubd_lang_tag(LANG_EN)[0] == 'e' && unsubd_lang_tag(LANG_JA)[0] == 'j'
       && unsubd_lang_tag(LANG_COUNT)[0] == 'e', "tags, and the default for an out-of-range value");
}

int main(void)
{
    test_pick();
    test_override();
    return tap_done();
}
