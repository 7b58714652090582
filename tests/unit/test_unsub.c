/*
 * NAME
 *	test_unsub 1
 * SUMMARY
 *	TAP unit test for policy/unsubscribe.c
 * SYNOPSIS
 *	tests/test_unsub
 * DESCRIPTION
 *	Checks unsub_value() on fixed inputs: both URIs (HTTPS first) as
 *	an exact string, each alone, neither, refused mailto addresses,
 *	URLs and tokens, the output size boundary, folding only after the
 *	comma, and the 998-octet line limit with long tokens.
 * DIAGNOSTICS
 *	TAP on standard output; failing points are followed by a comment
 *	line with the value obtained.
 */

#include <stdio.h>
#include <string.h>

#include "tap.h"
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

/* main - every group */
int main(void)
{
    test_shapes();
    test_bad_mailto();
    test_bad_url();
    test_sizes();
    return tap_done();
}
