/*
 * NAME
 *	test_addr 1
 * SUMMARY
 *	TAP unit test for policy/mail/addr.c
 * SYNOPSIS
 *	tests/test_addr
 * DESCRIPTION
 *	Feeds addr_normalize(), addr_normalize_domain(), addr_domain() and
 *	addr_strerror() fixed inputs: case, brackets and blanks, IDN
 *	spellings, SMTPUTF8 local parts with and without case folding,
 *	quoted local parts, domain literals, every error code and the
 *	length limits at and just past their boundaries.
 * DIAGNOSTICS
 *	TAP on standard output; a failing point is followed by a comment
 *	line with the result actually obtained.
 */

#include <stdio.h>
#include <string.h>

#include "mail/addr.h"
#include "tap.h"

/* norm_ok - addr_normalize of a C string must succeed with want */
static void norm_ok(const char *in, unsigned flags, const char *want, const char *what)
{
    char out[ADDR_BUFSZ];
    enum addr_error err = addr_normalize(in, strlen(in), flags, out);

    if (!ok(err == ADDR_OK && strcmp(out, want) == 0, "%s", what))
        printf("#   got %d (%s) \"%s\", want \"%s\"\n", (int) err, addr_strerror(err),
               out, want);
}

/* norm_fails - addr_normalize of inlen octets must fail with want */
static void norm_fails(const char *in, size_t inlen, enum addr_error want, const char *what)
{
    char out[ADDR_BUFSZ];
    enum addr_error err = addr_normalize(in, inlen, 0, out);

    if (!ok(err == want && out[0] == '\0', "%s", what))
        printf("#   got %d (%s) \"%s\", want %d (%s)\n", (int) err, addr_strerror(err),
               out, (int) want, addr_strerror(want));
}

#define FAILS(lit, err, what) norm_fails((lit), sizeof(lit) - 1, (err), (what))

/* same_form - two spellings normalize to one and the same string */
static void same_form(const char *a, const char *b, unsigned flags, const char *what)
{
    char outa[ADDR_BUFSZ], outb[ADDR_BUFSZ];
    enum addr_error ea = addr_normalize(a, strlen(a), flags, outa);
    enum addr_error eb = addr_normalize(b, strlen(b), flags, outb);

    if (!ok(ea == ADDR_OK && eb == ADDR_OK && strcmp(outa, outb) == 0, "%s", what))
        printf("#   got \"%s\" (%d) and \"%s\" (%d)\n", outa, (int) ea, outb, (int) eb);
}

/* dom_result - addr_normalize_domain must give want_err and, if OK, want */
static void dom_result(const char *in, enum addr_error want_err, const char *want,
                       const char *what)
{
    char out[ADDR_BUFSZ];
    enum addr_error err = addr_normalize_domain(in, strlen(in), out);

    if (!ok(err == want_err && strcmp(out, want_err == ADDR_OK ? want : "") == 0,
            "%s", what))
        printf("#   got %d (%s) \"%s\"\n", (int) err, addr_strerror(err), out);
}

/* fill - len copies of c, null-terminated, at buf */
static char *fill(char *buf, char c, size_t len)
{
    memset(buf, c, len);
    buf[len] = '\0';
    return buf;
}

/* make_domain - a valid host name of exactly len octets (49-octet labels) */
static char *make_domain(char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        buf[i] = (i % 50 == 49 && i + 1 < len) ? '.' : (char) ('a' + i / 50);
    buf[len] = '\0';
    return buf;
}

/* test_basic - case, brackets, blanks */
static void test_basic(void)
{
    norm_ok("User@Example.COM", 0, "User@example.com", "domain lower-cased, local case kept");
    norm_ok("User@Example.COM", ADDR_FOLD_LOCAL, "user@example.com", "fold lower-cases local");
    norm_ok("<user@example.com>", 0, "user@example.com", "<> stripped");
    norm_ok("  <user@example.com>  ", 0, "user@example.com", "blanks around <> stripped");
    norm_ok("< user@example.com >", 0, "user@example.com", "blanks inside <> stripped");
    norm_ok(" user@example.com ", 0, "user@example.com", "blanks stripped");
    norm_ok("user@example.com.", 0, "user@example.com", "one trailing dot removed");
    norm_ok("a+tag!#$%&'*/=?^_`{|}~-x.y@example.com", 0,
            "a+tag!#$%&'*/=?^_`{|}~-x.y@example.com", "all atext characters kept");
    norm_ok("user@[192.0.2.1]", 0, "user@[192.0.2.1]", "IPv4 domain literal kept");
    norm_ok("user@[IPv6:2001:DB8::1]", 0, "user@[ipv6:2001:db8::1]",
            "IPv6 domain literal lower-cased");
    FAILS("", ADDR_EMPTY, "empty string");
    FAILS("<>", ADDR_EMPTY, "<> is empty");
    FAILS("  < >  ", ADDR_EMPTY, "blanks and <> only is empty");
}

/* test_idn - U-label, A-label and mapped spellings of one domain */
static void test_idn(void)
{
    norm_ok("user@例え.jp", 0, "user@xn--r8jz45g.jp", "U-label converted to A-label");
    same_form("user@例え.jp", "user@例え.JP", 0, "upper-case TLD after U-label is equal");
    same_form("user@例え.jp", "user@XN--R8JZ45G.JP", 0, "upper-case A-label is equal");
    same_form("user@例え.jp", "user@例え。jp", 0, "ideographic full stop is a dot");
    norm_ok("user@\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c"
            "\xef\xbd\x85\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x8d", 0,
            "user@example.com", "full-width domain mapped to ASCII");
    norm_ok("user@faß.de", 0, "user@xn--fa-hia.de", "non-transitional: sharp s kept");
    norm_ok("用户@例子.广告", 0, "用户@xn--fsqu00a.xn--4rr70v", "SMTPUTF8 local part and IDN");
    norm_ok("user@例え.jp.", 0, "user@xn--r8jz45g.jp", "trailing dot after IDN removed");
}

/* test_local - SMTPUTF8, NFC, folding and quoted local parts */
static void test_local(void)
{
    norm_ok("Ünïcode@example.com", ADDR_FOLD_LOCAL, "ünïcode@example.com",
            "UTF-8 local part folded with the flag");
    norm_ok("Ünïcode@example.com", 0, "Ünïcode@example.com", "UTF-8 local part kept without");
    same_form("U\xcc\x88nic\xcc\xa7@example.com", "\xc3\x9cni\xc3\xa7@example.com", 0,
              "NFD and NFC local part are equal");
    norm_ok("U\xcc\x88" "ber@example.com", 0, "\xc3\x9c" "ber@example.com", "output is NFC");
    same_form("U\xcc\x88" "ber@example.com", "\xc3\xbc" "ber@example.com", ADDR_FOLD_LOCAL,
              "NFD upper and NFC lower are equal when folding");
    norm_ok("\xe2\x84\xaa" "elvin@example.com", ADDR_FOLD_LOCAL, "kelvin@example.com",
            "Kelvin sign folds to plain ASCII k");
    norm_ok("\"a b\"@example.com", 0, "\"a b\"@example.com", "quoted local part keeps quotes");
    norm_ok("\"a@b\"@Example.com", 0, "\"a@b\"@example.com", "split at the last @");
    norm_ok("\"john.doe\"@example.com", 0, "john.doe@example.com", "needless quotes dropped");
    norm_ok("\"j\\ohn\"@example.com", 0, "john@example.com", "needless backslash dropped");
    norm_ok("\"a\\\\b\"@example.com", 0, "\"a\\\\b\"@example.com", "escaped backslash kept");
    norm_ok("\"A B\"@example.com", ADDR_FOLD_LOCAL, "\"a b\"@example.com",
            "quoted local part folded");
}

/* test_errors - each error code from its typical cause */
static void test_errors(void)
{
    FAILS("user\r@example.com", ADDR_CONTROL_CHAR, "CR refused");
    FAILS("user@example.com\n", ADDR_CONTROL_CHAR, "LF refused");
    FAILS("user\0x@example.com", ADDR_CONTROL_CHAR, "embedded NUL refused");
    FAILS("us\ter@example.com", ADDR_CONTROL_CHAR, "TAB refused");
    FAILS("\tuser@example.com", ADDR_CONTROL_CHAR, "leading TAB is not a blank");
    /* characters that make show and the journal display another address than the one stored */
    FAILS("us\xc2\xad" "er@example.com", ADDR_INVISIBLE_CHAR, "soft hyphen U+00AD refused");
    FAILS("us\xe2\x80\x8b" "er@example.com", ADDR_INVISIBLE_CHAR, "zero-width space U+200B refused");
    FAILS("\xef\xbb\xbf" "user@example.com", ADDR_INVISIBLE_CHAR, "BOM U+FEFF refused");
    FAILS("\xe2\x80\xae" "moc.elpmaxe@resu", ADDR_INVISIBLE_CHAR, "right-to-left override U+202E refused");
    FAILS("us\xe2\x81\xa6" "er@example.com", ADDR_INVISIBLE_CHAR, "left-to-right isolate U+2066 refused");
    FAILS("us\xc2\x85" "er@example.com", ADDR_INVISIBLE_CHAR, "C1 control U+0085 refused");
    FAILS("us\xe2\x80\xa8" "er@example.com", ADDR_INVISIBLE_CHAR, "line separator U+2028 refused");
    norm_ok("J\xc3\xbc" "rgen@example.com", ADDR_FOLD_LOCAL, "j\xc3\xbc" "rgen@example.com",
            "a visible non-ASCII letter stays fine");
    FAILS("user\x7f@example.com", ADDR_CONTROL_CHAR, "DEL refused");
    FAILS("\xc3\x28@example.com", ADDR_BAD_UTF8, "invalid UTF-8 refused");
    FAILS("\xc0\xaf@example.com", ADDR_BAD_UTF8, "overlong UTF-8 refused");
    FAILS("user.example.com", ADDR_NO_AT, "no @");
    FAILS("@example.com", ADDR_EMPTY_LOCAL, "empty local part");
    FAILS("<user@>", ADDR_EMPTY_DOMAIN, "empty domain");
    FAILS("\"abc@example.com", ADDR_BAD_LOCAL, "unbalanced opening quote");
    FAILS("abc\"@example.com", ADDR_BAD_LOCAL, "unbalanced closing quote");
    FAILS("\"abc\\\"@example.com", ADDR_BAD_LOCAL, "closing quote escaped");
    FAILS("\"a\"b\"@example.com", ADDR_BAD_LOCAL, "bare quote inside quotes");
    FAILS("a b@example.com", ADDR_BAD_LOCAL, "unquoted space");
    FAILS("a@b@example.com", ADDR_BAD_LOCAL, "unquoted @ in local part");
    FAILS(".a@example.com", ADDR_BAD_LOCAL, "leading dot in local part");
    FAILS("a..b@example.com", ADDR_BAD_LOCAL, "double dot in local part");
    FAILS("a.@example.com", ADDR_BAD_LOCAL, "trailing dot in local part");
    FAILS("user@a..b", ADDR_BAD_DOMAIN, "empty domain label");
    FAILS("user@-x.com", ADDR_BAD_DOMAIN, "label starts with hyphen");
    FAILS("user@x-.com", ADDR_BAD_DOMAIN, "label ends with hyphen");
    FAILS("user@a_b.com", ADDR_BAD_DOMAIN, "underscore in domain");
    FAILS("user@a b.com", ADDR_BAD_DOMAIN, "space in domain");
    FAILS("user@xn--zz.com", ADDR_BAD_DOMAIN, "bad punycode A-label");
    FAILS("user@ab--cd.com", ADDR_BAD_DOMAIN, "reserved xx-- label");
    FAILS("user@example.com..", ADDR_BAD_DOMAIN, "only one trailing dot removed");
    FAILS("user@.", ADDR_BAD_DOMAIN, "root domain refused");
    FAILS("user@[192.0.2.1", ADDR_BAD_DOMAIN, "unterminated domain literal");
    FAILS("user@[]", ADDR_BAD_DOMAIN, "empty domain literal");
}

/* test_routes_literals - RFC 5321 source routes dropped, address literals checked (4.1.3) */
static void test_routes_literals(void)
{
    char out[ADDR_BUFSZ];

    norm_ok("<@a.example:u5@example.org>", 0, "u5@example.org", "a source route is dropped");
    norm_ok("<@a.example,@b.example:U20@Example.ORG>", ADDR_FOLD_LOCAL, "u20@example.org",
            "a route of two hops is dropped");
    FAILS("<@:u@example.org>", ADDR_BAD_ROUTE, "a route without a domain");
    FAILS("<@a.example,:u@example.org>", ADDR_BAD_ROUTE, "a route ending in a comma");
    FAILS("<@a example:u@example.org>", ADDR_BAD_ROUTE, "a route with a bad domain");
    norm_ok("lit@[192.0.2.1]", 0, "lit@[192.0.2.1]", "IPv4 literal");
    norm_ok("lit@[IPv6:::FFFF:192.0.2.1]", 0, "lit@[ipv6:::ffff:192.0.2.1]", "IPv6 literal, v4 tail");
    norm_ok("lit@[x-tag:some.thing]", 0, "lit@[x-tag:some.thing]", "general address literal");
    FAILS("lit@[foo]", ADDR_BAD_DOMAIN, "a literal that is neither IPv4 nor tagged");
    FAILS("lit@[300.1.1.1]", ADDR_BAD_DOMAIN, "IPv4 literal out of range");
    FAILS("lit@[1.2.3]", ADDR_BAD_DOMAIN, "IPv4 literal of three parts");
    FAILS("lit@[1.2.3.4.5]", ADDR_BAD_DOMAIN, "IPv4 literal of five parts");
    FAILS("lit@[1.2.3.1234]", ADDR_BAD_DOMAIN, "IPv4 literal part of four digits");
    FAILS("lit@[IPv6:2001:db8::g]", ADDR_BAD_DOMAIN, "IPv6 literal that does not parse");
    FAILS("lit@[IPv6:192.0.2.1]", ADDR_BAD_DOMAIN, "IPv6 tag on an IPv4 address");
    FAILS("lit@[-tag:x]", ADDR_BAD_DOMAIN, "a tag that starts with a hyphen");
    FAILS("lit@[tag-:x]", ADDR_BAD_DOMAIN, "a tag that ends with a hyphen");
    FAILS("lit@[tag:]", ADDR_BAD_DOMAIN, "a tag without content");
    FAILS("lit@[tag:a]b]", ADDR_BAD_DOMAIN, "']' inside the content");
    ok(addr_mta_form(" <@a.example,@b.example:U20@Example.ORG.> ", 42, out, sizeof(out)) == 0
       && strcmp(out, "U20@Example.ORG.") == 0, "MTA form: route and <> gone, spelling kept");
    ok(addr_mta_form("<\"u 8\"@example.org>", 19, out, sizeof(out)) == 0
       && strcmp(out, "\"u 8\"@example.org") == 0, "MTA form: quotes kept");
    ok(addr_mta_form("example.org!u10@example.org", 27, out, sizeof(out)) == 0
       && strcmp(out, "example.org!u10@example.org") == 0, "MTA form: no <>, as it is");
    ok(addr_mta_form("<@a,:u@x>", 9, out, sizeof(out)) == -1, "MTA form: a bad route refused");
    ok(addr_mta_form("<u@example.org>", 15, out, 5) == -1, "MTA form: too long for out");
}

/* test_lengths - limits checked on the normalized form */
static void test_lengths(void)
{
    char local[100], dom[300], in[1100], want[200];

    snprintf(in, sizeof(in), "%s@example.com", fill(local, 'a', 64));
    norm_ok(in, 0, in, "64-octet local part accepted");
    snprintf(in, sizeof(in), "%s@example.com", fill(local, 'a', 65));
    norm_fails(in, strlen(in), ADDR_LOCAL_TOO_LONG, "65-octet local part refused");
    snprintf(in, sizeof(in), "%sU\xcc\x88@example.com", fill(local, 'a', 62));
    snprintf(want, sizeof(want), "%s\xc3\x9c@example.com", local);
    norm_ok(in, 0, want, "65 octets in NFD, 64 in NFC accepted");
    fill(local, 'a', 62);
    local[0] = ' ';
    snprintf(in, sizeof(in), "\"%s\"@example.com", local);
    norm_ok(in, 0, in, "64-octet quoted local part accepted");
    snprintf(in, sizeof(in), "a@%s", make_domain(dom, 256));
    norm_fails(in, strlen(in), ADDR_DOMAIN_TOO_LONG, "256-octet domain refused");
    snprintf(in, sizeof(in), "%s@%s", fill(local, 'a', 64), make_domain(dom, 189));
    norm_ok(in, 0, in, "254-octet address accepted");
    snprintf(in, sizeof(in), "%s@%s", fill(local, 'a', 64), make_domain(dom, 190));
    norm_fails(in, strlen(in), ADDR_TOO_LONG, "255-octet address refused");
    snprintf(in, sizeof(in), "a@%s.com", fill(dom, 'b', 64));
    norm_fails(in, strlen(in), ADDR_BAD_DOMAIN, "64-octet label refused");
    snprintf(in, sizeof(in), "a@%s.com", fill(dom, 'b', 63));
    norm_ok(in, 0, in, "63-octet label accepted");
    fill(in, ' ', 1025);
    norm_fails(in, 1025, ADDR_TOO_LONG, "raw input over 1024 octets refused first");
    fill(in, ' ', 1024);
    norm_fails(in, 1024, ADDR_EMPTY, "1024 blanks are only empty");
}

/* test_domain - addr_normalize_domain and addr_domain */
static void test_domain(void)
{
    char dom[300];

    dom_result("Example.COM.", ADDR_OK, "example.com", "bare domain lower-cased, dot removed");
    dom_result(" @例え.JP ", ADDR_OK, "xn--r8jz45g.jp", "leading @ and blanks stripped, IDN");
    dom_result("xn--R8JZ45G.jp", ADDR_OK, "xn--r8jz45g.jp", "A-label domain lower-cased");
    dom_result("[IPv6:::1]", ADDR_OK, "[ipv6:::1]", "domain literal as bare domain");
    dom_result("", ADDR_EMPTY, "", "empty bare domain");
    dom_result("@", ADDR_EMPTY_DOMAIN, "", "lone @ is an empty domain");
    dom_result("a..b", ADDR_BAD_DOMAIN, "", "bad bare domain");
    dom_result("ex\rample.com", ADDR_CONTROL_CHAR, "", "control character in bare domain");
    dom_result(make_domain(dom, 253), ADDR_OK, dom, "253-octet bare domain accepted");
    dom_result(make_domain(dom, 254), ADDR_DOMAIN_TOO_LONG, "", "254-octet bare domain refused");
    ok(strcmp(addr_domain("user@example.com"), "example.com") == 0, "addr_domain plain");
    ok(strcmp(addr_domain("\"a@b\"@example.com"), "example.com") == 0,
       "addr_domain uses the last @");
    ok(strcmp(addr_domain("example.com"), "example.com") == 0, "addr_domain of a bare domain");
}

/* test_misc - strerror table and idempotence */
static void test_misc(void)
{
    static const char *const samples[] = {
        "  <Ünïcode@例え.JP.>", "\"A B\"@[IPv6:2001:DB8::1]", "U\xcc\x88@XN--R8JZ45G.jp",
    };
    int all = 1;

    for (int e = ADDR_OK; e <= ADDR_BAD_LOCAL; e++) {
        const char *text = addr_strerror((enum addr_error) e);

        if (text == NULL || *text == '\0' || strcmp(text, "unknown address error") == 0)
            all = 0;
    }
    ok(all, "addr_strerror has a text for every code");
    ok(strcmp(addr_strerror(ADDR_CONTROL_CHAR), "control character in address") == 0,
       "addr_strerror(ADDR_CONTROL_CHAR)");
    ok(addr_strerror((enum addr_error) 999) != NULL, "addr_strerror out of range not NULL");
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char once[ADDR_BUFSZ], twice[ADDR_BUFSZ];
        enum addr_error e1 = addr_normalize(samples[i], strlen(samples[i]),
                                            ADDR_FOLD_LOCAL, once);
        enum addr_error e2 = addr_normalize(once, strlen(once), ADDR_FOLD_LOCAL, twice);

        if (!ok(e1 == ADDR_OK && e2 == ADDR_OK && strcmp(once, twice) == 0,
                "idempotent: %s", once))
            printf("#   got %d/%d \"%s\" then \"%s\"\n", (int) e1, (int) e2, once, twice);
    }
}

/* main - run every group and print the plan */
int main(void)
{
    test_basic();
    test_idn();
    test_local();
    test_errors();
    test_lengths();
    test_routes_literals();
    test_domain();
    test_misc();
    return tap_done();
}
