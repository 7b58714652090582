/*
 * NAME
 *	test_unsub 1
 * SUMMARY
 *	TAP unit test for policy/unsubscribe/unsubscribe.c
 * SYNOPSIS
 *	tests/unit/test_unsub
 * DESCRIPTION
 *	Checks unsub_value() on fixed inputs: both URIs (HTTPS first) as
 *	an exact string, each alone, neither, refused mailto addresses,
 *	URLs and tokens, the output size boundary, folding only after the
 *	comma, and the 998-octet line limit with long tokens.
 *
 *	Then the readers, as a round trip: values made by unsub_value()
 *	(URL only, mailto only, both; per-recipient and list-level tokens)
 *	read back by unsub_value_token() to the same token, also folded
 *	otherwise, reordered, percent-encoded and with junk around it; the
 *	configured URL bases; which failure is kept; the Subject reader
 *	unsub_text_token() and the address reader unsub_extension_token().
 *	The key files hold fixed keys (bytes 0..31; a foreign key 32..63 with
 *	the same id) in a private mkdtemp() directory, so each run is the same.
 * DIAGNOSTICS
 *	TAP on standard output; failing points are followed by a comment
 *	line with the value obtained.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "unsubscribe/token.h"
#include "unsubscribe/unsubscribe.h"

#define URL "https://u.lists.example/1c/"
#define MAILTO "unsub@lists.example"

/* value_is - unsub_value must succeed with exactly want */
static void value_is(const char *mailto, const char *url, const char *token, const char *want,
                     const char *what)
{
    char out[UNSUB_VALUE_BUFSZ];
    int rc = unsub_value(mailto, url, token, out, sizeof(out));

    if (!ok(rc == 0 && strcmp(out, want) == 0, "%s", what))
        printf("#   rc %d value \"%s\"\n", rc, out);
}

/* refused - unsub_value must fail and leave "" */
static void refused(const char *mailto, const char *url, const char *token, const char *what)
{
    char out[UNSUB_VALUE_BUFSZ] = "junk";
    int rc = unsub_value(mailto, url, token, out, sizeof(out));

    if (!ok(rc == -1 && out[0] == '\0', "refused: %s", what))
        printf("#   rc %d value \"%s\"\n", rc, out);
}

/* lines_ok - every line under 998 octets (the first with "List-Unsubscribe: "), no CR,
 * and a line break only as ",\n\t" */
static int lines_ok(const char *v, size_t *longest)
{
    size_t line = strlen(UNSUB_HEADER ": ");

    *longest = 0;
    if (strchr(v, '\r') != NULL)
        return 0;
    for (const char *p = v; *p; p++) {
        if (*p != '\n') {
            line++;
            continue;
        }
        if (p == v || p[-1] != ',' || p[1] != '\t')
            return 0;
        *longest = line > *longest ? line : *longest;
        line = 0;
    }
    *longest = line > *longest ? line : *longest;
    return *longest < 998;
}

/* test_shapes - both, one, none */
static void test_shapes(void)
{
    value_is(MAILTO, URL, "AQF-x_9z",
             "<https://u.lists.example/1c/AQF-x_9z>,\n"
             "\t<mailto:unsub@lists.example?subject=unsubscribe%20AQF-x_9z>",
             "both: HTTPS URL first, then mailto, folded after the comma");
    value_is(NULL, URL, "AQF-x_9z", "<https://u.lists.example/1c/AQF-x_9z>", "URL only");
    value_is(MAILTO, NULL, "AQF-x_9z",
             "<mailto:unsub@lists.example?subject=unsubscribe%20AQF-x_9z>", "mailto only");
    value_is(NULL, "HTTPS://u.example/?t=", "T", "<HTTPS://u.example/?t=T>",
             "scheme is case-insensitive; a query base takes the token as its value");
    value_is("o'neil+unsub=x@sub-1.example.org", NULL, "T",
             "<mailto:o'neil+unsub=x@sub-1.example.org?subject=unsubscribe%20T>",
             "mailto with ' + = - in it");
    refused(NULL, NULL, "AQF", "neither mailto nor URL");
}

/* shown - s with control and non-ASCII octets as \xNN, for a test name */
static const char *shown(const char *s, char buf[128])
{
    size_t o = 0;

    for (; *s && o < 100; s++) {
        unsigned char c = (unsigned char) *s;

        if (c < 0x20 || c >= 0x7f)
            o += (size_t) snprintf(buf + o, 128 - o, "\\x%02X", c);
        else
            buf[o++] = (char) c;
    }
    buf[o] = '\0';
    return buf;
}

/* test_bad_mailto - addresses that would need escaping or break the value */
static void test_bad_mailto(void)
{
    static const char *const bad[] = {
        "a<b@x.example", "a>b@x.example", "a,b@x.example", "a?b@x.example", "a%b@x.example",
        "a b@x.example", "a\tb@x.example", "a\nb@x.example", "\xc3\xbc@x.example",
        "u@\xc3\xbc.example", "a#b@x.example", "\"a\"@x.example", "a/b@x.example",
        "noat.example", "@x.example", "a@", "a@b@x.example", "a@x_y.example", ""};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char what[160], buf[128];

        snprintf(what, sizeof(what), "mailto address \"%s\"", shown(bad[i], buf));
        refused(bad[i], URL, "AQF", what);
    }
}

/* test_bad_url - non-https and URLs that would break the value */
static void test_bad_url(void)
{
    static const char *const bad[] = {
        "http://u.example/", "ftp://u.example/", "https://", "https:///path", "u.example/",
        "https://u.example/a b", "https://u.example/\t", "https://u.example/<",
        "https://u.example/>", "https://u.example/a,b", "https://u.example/#frag",
        "https://u.example/\"", "https://u.example/\n", "https://u.example/\r",
        "https://\xc3\xbc.example/", "https://u.example/\x7f", ""};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char what[160], buf[128];

        snprintf(what, sizeof(what), "URL \"%s\"", shown(bad[i], buf));
        refused(MAILTO, bad[i], "AQF", what);
    }
    refused(MAILTO, URL, "", "empty token");
    refused(MAILTO, URL, NULL, "no token");
    refused(MAILTO, URL, "a b", "token with a blank");
    refused(MAILTO, URL, "a+b/c=", "token in standard base64");
    refused(MAILTO, URL, "a\r\n", "token with CRLF");
}

/* test_sizes - the out buffer boundary and the line limit */
static void test_sizes(void)
{
    char tok[1024], out[UNSUB_VALUE_BUFSZ];
    const char *want = "<https://u.lists.example/1c/T>";
    size_t longest = 0;
    int rc;

    ok(unsub_value(NULL, URL, "T", out, strlen(want) + 1) == 0 && strcmp(out, want) == 0,
       "an out buffer of exactly the length + 1 is enough");
    rc = unsub_value(NULL, URL, "T", out, strlen(want));
    ok(rc == -1 && out[0] == '\0', "one octet less: refused, out empty");
    ok(unsub_value(MAILTO, URL, "T", out, 0) == -1, "outsz 0: refused");
    memset(tok, 'A', 500);
    tok[500] = '\0';
    rc = unsub_value(MAILTO, URL, tok, out, sizeof(out));
    rc = rc == 0 && lines_ok(out, &longest);
    ok(rc, "500-character token: every line < 998 octets "
       "(longest %zu), folded only after the comma, no CR", longest);
    ok(strchr(out, '\n') == strrchr(out, '\n') && strstr(out, ">,\n\t<mailto:") != NULL,
       "exactly one fold, between the two URIs");
    memset(tok, 'A', 960);
    tok[960] = '\0';
    ok(unsub_value(NULL, URL, tok, out, sizeof(out)) == -1,
       "URL line would reach 998 octets: refused");
    ok(unsub_value(MAILTO, NULL, tok, out, sizeof(out)) == -1,
       "mailto line would reach 998 octets: refused");
    tok[998 - strlen(UNSUB_HEADER ": <" URL ">") - 1] = '\0';
    rc = unsub_value(NULL, URL, tok, out, sizeof(out));
    ok(rc == 0 && strlen(UNSUB_HEADER ": ") + strlen(out) == 997,
       "URL alone: a 997-octet header line is accepted");
    tok[strlen(tok) + 1] = '\0';
    tok[strlen(tok)] = 'A';
    ok(unsub_value(NULL, URL, tok, out, sizeof(out)) == -1, "998 octets: refused");
}

/* keys_of - token keys from a key file holding one fixed key line; NULL on failure */
static struct token_keys *keys_of(const char *dir, const char *name, const char *line)
{
    struct token_keys *keys = NULL;
    char path[256], err[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((fp = fopen(path, "w")) == NULL || fputs(line, fp) == EOF || fclose(fp) != 0
        || chmod(path, 0600) != 0 || token_keys_load(path, &keys, err, sizeof(err)) != 0)
        printf("# key file %s: %s\n", path, err);
    unlink(path);
    return keys;
}

/* reads_back - value read by unsub_value_token gives the token of (list, addr) again */
static void reads_back(const struct token_keys *keys, const char *value, const char *const *bases,
                       size_t n_bases, const char *list, const char *addr, const char *what)
{
    struct unsub_found f = UNSUB_FOUND_NONE;
    char want[TOKEN_BUFSZ], again[TOKEN_BUFSZ] = "";
    int rc = unsub_value_token(keys, value, bases, n_bases, &f);

    token_make(keys, list, addr, want);
    if (rc == 0)
        token_make(keys, f.list, f.addr, again);
    if (!ok(rc == 0 && f.rc == rc && !strcmp(f.list, list) && !strcmp(f.addr, addr)
            && !strcmp(again, want), "round trip: %s", what))
        printf("#   rc %d list \"%s\" addr \"%s\"\n", rc, f.list, f.addr);
}

/* value_rc - unsub_value_token of value ends with want (TOKEN_E*, or UNSUB_NONE: nothing seen) */
static void value_rc(const struct token_keys *keys, const char *value, const char *const *bases,
                     size_t n_bases, int want, const char *what)
{
    struct unsub_found f = UNSUB_FOUND_NONE;
    int rc = unsub_value_token(keys, value, bases, n_bases, &f);

    if (!ok(rc == want, "%s", what))
        printf("#   rc %d, want %d\n", rc, want);
}

/* replace - copy of s with the first from replaced by to (static buffer) */
static const char *replace(const char *s, const char *from, const char *to)
{
    static char out[2][UNSUB_VALUE_BUFSZ + 64];
    static int next;
    char *o = out[next++ % 2];
    const char *at = strstr(s, from);

    if (at == NULL)
        snprintf(o, sizeof(out[0]), "%s", s);
    else
        snprintf(o, sizeof(out[0]), "%.*s%s%s", (int) (at - s), s, to, at + strlen(from));
    return o;
}

/* test_round_trip - what unsub_value makes, unsub_value_token reads back */
static void test_round_trip(const struct token_keys *keys)
{
    static const char *const pairs[][2] = {
        {"news", "carol@example.org"}, {"news", ""}, {"offers.2025", "o'neil+x@sub.example.net"}};
    static const char *const bases[] = {URL};
    char tok[TOKEN_BUFSZ], v[UNSUB_VALUE_BUFSZ], what[160];

    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const char *list = pairs[i][0], *addr = pairs[i][1];

        token_make(keys, list, addr, tok);
        snprintf(what, sizeof(what), "%s %s", list, *addr ? addr : "(list-level)");
        unsub_value(NULL, URL, tok, v, sizeof(v));
        reads_back(keys, v, bases, 1, list, addr, replace("URL only: X", "X", what));
        reads_back(keys, v, NULL, 0, list, addr, replace("URL only, no bases: X", "X", what));
        unsub_value(MAILTO, NULL, tok, v, sizeof(v));
        reads_back(keys, v, bases, 1, list, addr, replace("mailto only: X", "X", what));
        unsub_value(MAILTO, URL, tok, v, sizeof(v));
        reads_back(keys, v, bases, 1, list, addr, replace("both: X", "X", what));
        reads_back(keys, replace(v, ",\n\t", ",\r\n   "), bases, 1, list, addr,
                   replace("folded with CRLF and blanks: X", "X", what));
        reads_back(keys, replace(v, ",\n\t", ","), bases, 1, list, addr,
                   replace("unfolded: X", "X", what));
    }
}

/* test_round_trip_variants - percent-encoding, order, junk, bases */
static void test_round_trip_variants(const struct token_keys *keys)
{
    static const char *const bases[] = {NULL, "https://u.example/unsub-", URL};
    char tok[TOKEN_BUFSZ], v[UNSUB_VALUE_BUFSZ + 256], url[UNSUB_VALUE_BUFSZ];

    token_make(keys, "news", "dan@example.org", tok);
    snprintf(v, sizeof(v), "<mailto:%s?subject=Unsubscribe%%3A%%20%%20%s>", MAILTO, tok);
    reads_back(keys, v, NULL, 0, "news", "dan@example.org", "mailto subject \"Unsubscribe:  \" encoded");
    snprintf(v, sizeof(v), "<mailto:%s?body=hi&SUBJECT=unsubscribe%%20%%%02X%%%02x%s&cc=x>",
             MAILTO, (unsigned char) tok[0], (unsigned char) tok[1], tok + 2);
    reads_back(keys, v, NULL, 0, "news", "dan@example.org",
               "&SUBJECT= after another parameter, token characters percent-encoded");
    snprintf(v, sizeof(v), "<mailto:%s?subject=unsubscribe%%20%s>,\n\t<%s%s>", MAILTO, tok, URL, tok);
    reads_back(keys, v, NULL, 0, "news", "dan@example.org", "mailto first, then the URL");
    snprintf(v, sizeof(v), "(ours) <https://other.example/u?id=7>, <mailto:list@other.example"
             "?subject=unsubscribe%%20me>,\r\n <%s%s> (thanks)", URL, tok);
    reads_back(keys, v, NULL, 0, "news", "dan@example.org", "junk URIs and comments around ours");
    snprintf(url, sizeof(url), "<https://u.example/unsub-%s>", tok);
    reads_back(keys, url, bases, 3, "news", "dan@example.org",
               "a base ending in token characters: the configured base finds it");
    value_rc(keys, url, NULL, 0, OPTIN_ETOKENMALFORMED,
             "... without the base the trailing characters are no token");
    snprintf(v, sizeof(v), "<%s%s", URL, tok);
    value_rc(keys, v, NULL, 0, UNSUB_NONE, "no closing '>': nothing read");
    value_rc(keys, "https://u.example/no-brackets", NULL, 0, UNSUB_NONE, "no <URI>: nothing");
    value_rc(keys, "<mailto:u@x.example>", NULL, 0, UNSUB_NONE, "mailto without subject: nothing");
    value_rc(keys, "<https://u.example/1c/AQF>", NULL, 0, OPTIN_ETOKENMALFORMED, "a short token: malformed");
    value_rc(NULL, url, bases, 3, UNSUB_NONE, "no keys: nothing seen");
}

/* test_failures - which failure is kept, and the first token that opens wins */
static void test_failures(const struct token_keys *keys, const struct token_keys *foreign)
{
    char good[TOKEN_BUFSZ], other[TOKEN_BUFSZ], v[UNSUB_VALUE_BUFSZ * 2];

    token_make(keys, "news", "erin@example.org", good);
    token_make(foreign, "news", "erin@example.org", other);
    snprintf(v, sizeof(v), "<%s%s>", URL, other);
    value_rc(keys, v, NULL, 0, OPTIN_ETOKENFORGED, "a token made with another key: forged");
    snprintf(v, sizeof(v), "<%s%s>, <%sAQF>", URL, other, URL);
    value_rc(keys, v, NULL, 0, OPTIN_ETOKENFORGED, "forged, then malformed: forged is kept");
    snprintf(v, sizeof(v), "<%sAQF>, <%s%s>", URL, URL, other);
    value_rc(keys, v, NULL, 0, OPTIN_ETOKENFORGED, "malformed, then forged: forged wins");
    snprintf(v, sizeof(v), "<%s%s>, <%s%s>", URL, other, URL, good);
    reads_back(keys, v, NULL, 0, "news", "erin@example.org", "forged, then ours: ours");
}

/* text_rc - unsub_text_token of text ends with want; on 0 with the address */
static void text_rc(const struct token_keys *keys, const char *text, int want, const char *addr,
                    const char *what)
{
    struct unsub_found f = UNSUB_FOUND_NONE;
    int rc = unsub_text_token(keys, text, &f);

    if (!ok(rc == want && (want != 0 || !strcmp(f.addr, addr)), "%s", what))
        printf("#   rc %d addr \"%s\"\n", rc, f.addr);
}

/* ext_rc - unsub_extension_token of rcpt ends with want */
static void ext_rc(const struct token_keys *keys, const char *rcpt, int want, const char *what)
{
    struct unsub_found f = UNSUB_FOUND_NONE;
    int rc = unsub_extension_token(keys, rcpt, &f);

    if (!ok(rc == want && (want != 0 || !strcmp(f.addr, "frank@example.org")), "%s", what))
        printf("#   rc %d addr \"%s\"\n", rc, f.addr);
}

/* test_subject_and_extension - the readers of optinctl mailto */
static void test_subject_and_extension(const struct token_keys *keys)
{
    char tok[TOKEN_BUFSZ], s[UNSUB_VALUE_BUFSZ];

    token_make(keys, "news", "frank@example.org", tok);
    snprintf(s, sizeof(s), "Re:  UNSUBSCRIBE  %s", tok);
    text_rc(keys, s, 0, "frank@example.org", "Subject \"Re:  UNSUBSCRIBE  TOKEN\"");
    snprintf(s, sizeof(s), "unsubscribe:%s", tok);
    text_rc(keys, s, 0, "frank@example.org", "\"unsubscribe:TOKEN\"");
    snprintf(s, sizeof(s), "unsubscribe%%20%s", tok);
    text_rc(keys, s, 0, "frank@example.org", "a literal %20 (not decoded by the client)");
    snprintf(s, sizeof(s), "please unsubscribe me: unsubscribe\r\n %s thanks", tok);
    text_rc(keys, s, 0, "frank@example.org", "a second \"unsubscribe\" has the token");
    text_rc(keys, "please take me off", UNSUB_NONE, NULL, "no \"unsubscribe\": nothing seen");
    text_rc(keys, "unsubscribe AQF", OPTIN_ETOKENMALFORMED, NULL, "a short token: malformed");

    snprintf(s, sizeof(s), "unsubscribe+%s@lists.example", tok);
    ext_rc(keys, s, 0, "unsubscribe+TOKEN@");
    snprintf(s, sizeof(s), "unsubscribe-%s@lists.example", tok);
    ext_rc(keys, s, 0, "unsubscribe-TOKEN@ (recipient_delimiter -)");
    ext_rc(keys, "unsubscribe@lists.example", UNSUB_NONE, "no extension: nothing seen");
    ext_rc(keys, "unsubscribe+AQF@lists.example", OPTIN_ETOKENMALFORMED, "a short token: malformed");
    snprintf(s, sizeof(s), "list-unsubscribe-%s@lists.example", tok);
    ext_rc(keys, s, OPTIN_ETOKENMALFORMED, "a '-' before the delimiter: cut at the first (kept)");
    snprintf(s, sizeof(s), "unsubscribe+%s", tok);
    ext_rc(keys, s, UNSUB_NONE, "no '@': nothing seen");
}

/* test_readers - the token read back, in a private key directory */
static void test_readers(void)
{
    char dir[] = "/tmp/test_unsub.XXXXXX";
    struct token_keys *keys, *foreign;

    if (mkdtemp(dir) == NULL) {
        ok(0, "mkdtemp");
        return;
    }
    keys = keys_of(dir, "keys", "1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
    foreign = keys_of(dir, "foreign", "1 ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=\n");
    rmdir(dir);
    if (ok(keys != NULL && foreign != NULL, "fixed key files load")) {
        test_round_trip(keys);
        test_round_trip_variants(keys);
        test_failures(keys, foreign);
        test_subject_and_extension(keys);
    }
    token_keys_free(keys);
    token_keys_free(foreign);
}

/* main - every group */
int main(void)
{
    test_shapes();
    test_bad_mailto();
    test_bad_url();
    test_sizes();
    test_readers();
    return tap_done();
}
