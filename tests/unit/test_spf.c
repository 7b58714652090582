/*
 * NAME
 *	test_spf 1
 * SUMMARY
 *	TAP tests of spf(3) and the SPF configuration keys, offline
 * SYNOPSIS
 *	tests/test_spf
 * DESCRIPTION
 *	Writes a zone file into a private mkdtemp() directory and opens the
 *	checker on it (libspf2's SPF_DNS_ZONE: no query leaves the process),
 *	then checks each RFC 7208 result (pass, fail, softfail, neutral,
 *	none, permerror for a syntax error, for more than 10 DNS mechanisms
 *	and for two records, temperror at the top and inside an include),
 *	include chains, a and mx, IPv6, the null sender through the HELO
 *	name, several egress addresses (the worst wins), the cache (a hit
 *	asks no DNS; expiry with the injected clock; temperror never
 *	cached), the timeout (temperror, then the late answer cached), one
 *	evaluation for concurrent checks of one key, input handling (angle
 *	brackets, case, no "@", malformed domains, NULL and empty
 *	arguments, loopback egress addresses) and zone file errors. Egress
 *	addresses are in 192.0.2.0/24 and 2001:db8::/32, never loopback
 *	(libspf2 passes loopback without a lookup). Then the configuration
 *	keys: egress_ips, helo_name, spf_timeout, the actions and their
 *	inheritance by lists. Last, message(3) without an MTA: the check at
 *	MAIL (reply codes and texts), at end of message for a list known
 *	from List-Id, monitor mode, once per message, off without
 *	egress_ips.
 * DIAGNOSTICS
 *	TAP on stdout. Exit 99 when the temporary directory cannot be made.
 * SEE ALSO
 *	spf(3), config(3), tests/tap.h
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "enforce/message.h"
#include "mail/spf.h"
#include "tap.h"

#define NOW 1700000000
#define OUR "192.0.2.25"           /* an egress address most records permit */
#define OTHER "192.0.2.100"        /* one they do not */
#define THREADS 8

static char dir[256];

static const char zone_text[] =
    "# test zone for test_spf\n"
    "pass.example TXT v=spf1 ip4:192.0.2.0/27 -all\n"
    "fail.example TXT \"v=spf1 -all\"\n"
    "soft.example TXT v=spf1 ~all\n"
    "neutral.example TXT v=spf1 ?all\n"
    "syntax.example TXT v=spf1 ip4:192.0.2.300 -all\n"
    "unknown.example TXT v=spf1 foo:bar -all\n"
    "two.example TXT v=spf1 -all\n"
    "two.example TXT v=spf1 +all\n"
    "many.example TXT v=spf1 include:l1.example include:l2.example include:l3.example"
    " include:l4.example include:l5.example include:l6.example include:l7.example"
    " include:l8.example include:l9.example include:l10.example include:l11.example -all\n"
    "ten.example TXT v=spf1 include:l1.example include:l2.example include:l3.example"
    " include:l4.example include:l5.example include:l6.example include:l7.example"
    " include:l8.example include:l9.example include:pass.example -all\n"
    "l1.example TXT v=spf1 ?all\nl2.example TXT v=spf1 ?all\nl3.example TXT v=spf1 ?all\n"
    "l4.example TXT v=spf1 ?all\nl5.example TXT v=spf1 ?all\nl6.example TXT v=spf1 ?all\n"
    "l7.example TXT v=spf1 ?all\nl8.example TXT v=spf1 ?all\nl9.example TXT v=spf1 ?all\n"
    "l10.example TXT v=spf1 ?all\nl11.example TXT v=spf1 ?all\n"
    "temp.example TRYAGAIN\n"
    "inctemp.example TXT v=spf1 include:temp.example -all\n"
    "incnone.example TXT v=spf1 include:nothing.example -all\n"
    "chain.example TXT v=spf1 include:chain2.example -all\n"
    "chain2.example TXT v=spf1 include:chain3.example ~all\n"
    "chain3.example TXT v=spf1 include:pass.example -all\n"
    "amx.example TXT v=spf1 a mx -all\n"
    "amx.example A 192.0.2.25\n"
    "amx.example MX 10 mx.amx.example\n"
    "mx.amx.example A 192.0.2.26\n"
    "v6.example TXT v=spf1 ip6:2001:db8::/32 -all\n"
    "exp.example TXT v=spf1 -all exp=why.exp.example\n"
    "why.exp.example TXT \"%{i} is not ours\"\n"
    "hmacro.example TXT v=spf1 exists:%{h}.allow.example -all\n"
    "mta.allow.example A 127.0.0.2\n"
    "mta.lists.example TXT v=spf1 ip4:192.0.2.25 -all\n"
    "multi.example TXT v=spf1 ip4:192.0.2.25 ~ip4:192.0.2.26 ?ip4:192.0.2.27"
    " -ip4:192.0.2.29 include:temp.example -all\n"
    "cache.example TXT v=spf1 ip4:192.0.2.0/27 -all\n"
    "slow.example DELAY 2\n"
    "slow.example TXT v=spf1 ip4:192.0.2.0/27 -all\n"
    "slow2.example DELAY 1\n"
    "slow2.example TXT v=spf1 ip4:192.0.2.0/27 -all\n";

/* write_file - text into dir/name; the path in out */
static int write_file(const char *name, const char *text, char *out, size_t outsz)
{
    FILE *fp;

    snprintf(out, outsz, "%s/%s", dir, name);
    if ((fp = fopen(out, "w")) == NULL)
        return -1;
    fputs(text, fp);
    return fclose(fp);
}

/* check - one check of sender from the egress addresses (NULL-terminated) */
static enum spf_result check(struct spf *s, const char *sender, const char *helo, int64_t now,
                             struct spf_outcome *out, const char *ip, ...)
{
    const char *ips[SPF_MAX_EGRESS + 1];
    struct spf_request rq = {.sender = sender, .helo = helo, .egress = ips,
                             .cache_ttl = 3600, .timeout_ms = 5000};
    va_list ap;

    va_start(ap, ip);
    for (const char *p = ip; p && rq.negress < SPF_MAX_EGRESS; p = va_arg(ap, const char *))
        ips[rq.negress++] = p;
    va_end(ap);
    return spf_check(s, &rq, now, out);
}

/* lookups - DNS lookups so far */
static unsigned long lookups(struct spf *s)
{
    struct spf_stats st;

    spf_stats(s, &st);
    return st.dns_lookups;
}

/* test_results - one sender each, from one egress address */
static void test_results(struct spf *s)
{
    static const struct {
        const char *sender, *ip;
        enum spf_result want;
        const char *what;
    } cases[] = {
        {"bounce@pass.example", OUR, SPFR_PASS, "ip4 mechanism matches: pass"},
        {"bounce@pass.example", OTHER, SPFR_FAIL, "no mechanism matches, -all: fail"},
        {"bounce@fail.example", OUR, SPFR_FAIL, "-all (quoted TXT in the zone file): fail"},
        {"bounce@soft.example", OUR, SPFR_SOFTFAIL, "~all: softfail"},
        {"bounce@neutral.example", OUR, SPFR_NEUTRAL, "?all: neutral"},
        {"bounce@nothing.example", OUR, SPFR_NONE, "no such domain: none"},
        {"bounce@syntax.example", OUR, SPFR_PERMERROR, "bad ip4 literal: permerror (libspf2 gives no result)"},
        {"bounce@unknown.example", OUR, SPFR_PERMERROR, "unknown mechanism: permerror"},
        {"bounce@two.example", OUR, SPFR_PERMERROR, "two SPF records: permerror"},
        {"bounce@many.example", OUR, SPFR_PERMERROR, "11 includes, more than 10 DNS mechanisms: permerror"},
        {"bounce@ten.example", OUR, SPFR_PASS, "exactly 10 includes, the last passes: pass"},
        {"bounce@temp.example", OUR, SPFR_TEMPERROR, "TRY_AGAIN for the sender domain: temperror"},
        {"bounce@inctemp.example", OUR, SPFR_TEMPERROR, "TRY_AGAIN inside an include: temperror"},
        {"bounce@incnone.example", OUR, SPFR_PERMERROR, "include of a domain without a record: permerror"},
        {"bounce@chain.example", OUR, SPFR_PASS, "include chain three deep: pass"},
        {"bounce@chain.example", OTHER, SPFR_FAIL, "include chain three deep, not permitted: fail"},
        {"bounce@amx.example", "192.0.2.25", SPFR_PASS, "a mechanism: pass"},
        {"bounce@amx.example", "192.0.2.26", SPFR_PASS, "mx mechanism: pass"},
        {"bounce@amx.example", "192.0.2.27", SPFR_FAIL, "neither a nor mx: fail"},
        {"bounce@v6.example", "2001:db8::25", SPFR_PASS, "ip6 mechanism: pass"},
        {"bounce@v6.example", "2001:db8:1::25", SPFR_PASS, "ip6 /32 covers 2001:db8:1::: pass"},
        {"bounce@v6.example", "2001:db9::25", SPFR_FAIL, "outside the ip6 range: fail"},
        {"bounce@v6.example", OUR, SPFR_FAIL, "IPv4 egress against an ip6-only record: fail"},
        {"bounce@exp.example", OUR, SPFR_FAIL, "fail with an exp= explanation (macro expanded): fail"},
    };
    struct spf_outcome out;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum spf_result r = check(s, cases[i].sender, NULL, NOW, &out, cases[i].ip, NULL);

        ok(r == cases[i].want && out.result == r, "%s (%s from %s: got %s, %s)", cases[i].what,
           cases[i].sender, cases[i].ip, spf_result_name(r), out.detail[0] ? out.detail : "-");
    }
    check(s, "bounce@many.example", NULL, NOW + 1, &out, OUR, NULL);
    ok(strstr(out.detail, "DNS") != NULL, "permerror for too many lookups says why (%s)", out.detail);
    check(s, "x@temp.example", NULL, NOW, &out, OUR, NULL);
    ok(strstr(out.detail, "temp.example") != NULL, "temperror names the domain (%s)", out.detail);
    check(s, "x@hmacro.example", NULL, NOW, &out, OUR, NULL);
    ok(out.result != SPFR_PASS, "%%{h} without a HELO name: no crash, no pass (%s: %s)",
       spf_result_name(out.result), out.detail);
    check(s, "x@hmacro.example", "mta", NOW, &out, OUR, NULL);
    ok(out.result != SPFR_PASS, "an invalid HELO name is not handed to libspf2 (%s)",
       spf_result_name(out.result));
}

/* test_identity - what the checked identity is */
static void test_identity(struct spf *s)
{
    struct spf_outcome out;
    unsigned long before;

    ok(check(s, "<bounce@pass.example>", NULL, NOW, &out, OUR, NULL) == SPFR_PASS
       && strcmp(out.domain, "pass.example") == 0,
       "angle brackets are stripped (libspf2 would look up \"pass.example>\")");
    ok(check(s, " <Bounce@PASS.Example> ", NULL, NOW, &out, OUR, NULL) == SPFR_PASS
       && strcmp(out.domain, "pass.example") == 0 && !out.helo_identity,
       "blanks and case: domain %s, MAIL FROM identity", out.domain);
    ok(check(s, "pass.example", NULL, NOW, &out, OUR, NULL) == SPFR_PASS,
       "a sender without @ is checked as postmaster@ it, as libspf2 does");
    ok(check(s, "@pass.example", NULL, NOW, &out, OUR, NULL) == SPFR_PASS,
       "an empty local part is postmaster (RFC 7208 4.3)");
    ok(check(s, "", "mta.lists.example", NOW, &out, OUR, NULL) == SPFR_PASS && out.helo_identity
       && strcmp(out.domain, "mta.lists.example") == 0, "null sender: the HELO name passes");
    ok(check(s, "<>", "mta.lists.example", NOW, &out, "192.0.2.26", NULL) == SPFR_FAIL && out.helo_identity,
       "null sender \"<>\": the HELO name fails for another address");
    ok(check(s, NULL, "mta.lists.example", NOW, &out, OUR, NULL) == SPFR_PASS,
       "NULL sender is the null sender");
    before = lookups(s);
    ok(check(s, "<>", NULL, NOW, &out, OUR, NULL) == SPFR_SKIPPED && strstr(out.detail, "helo_name"),
       "null sender without helo_name: not checked (%s)", out.detail);
    ok(check(s, "", "", NOW, &out, OUR, NULL) == SPFR_SKIPPED, "null sender, empty helo_name: not checked");
    ok(check(s, "bounce@localhost", NULL, NOW, &out, OUR, NULL) == SPFR_NONE, "single-label domain: none");
    ok(check(s, "bounce@-x..example", NULL, NOW, &out, OUR, NULL) == SPFR_NONE, "empty label: none");
    ok(check(s, "bounce@[192.0.2.1]", NULL, NOW, &out, OUR, NULL) == SPFR_NONE, "domain literal: none");
    ok(check(s, "bounce@exa mple.example", NULL, NOW, &out, OUR, NULL) == SPFR_NONE, "blank inside: none");
    ok(check(s, "bounce@pass.example\r\nx", NULL, NOW, &out, OUR, NULL) == SPFR_NONE, "CR LF inside: none");
    ok(check(s, "bounce@b\xc3\xa4r.example", NULL, NOW, &out, OUR, NULL) == SPFR_NONE,
       "a U-label (not normalized to an A-label): none");
    ok(lookups(s) == before, "none of these asked DNS (%lu lookups)", lookups(s) - before);
}

/* test_inputs - NULL and empty arguments never reach libspf2 */
static void test_inputs(struct spf *s)
{
    struct spf_request rq = {.sender = "x@pass.example", .cache_ttl = 60};
    const char *bad[] = {NULL, "", "not-an-ip", "127.0.0.1", "::1", "0.0.0.0", "::ffff:127.0.0.1"};
    struct spf_outcome out;

    ok(spf_check(NULL, &rq, NOW, &out) == SPFR_SKIPPED, "NULL checker: skipped");
    ok(spf_check(s, NULL, NOW, &out) == SPFR_SKIPPED, "NULL request: skipped");
    ok(spf_check(s, &rq, NOW, NULL) == SPFR_SKIPPED, "NULL outcome: skipped");
    ok(spf_check(s, &rq, NOW, &out) == SPFR_SKIPPED && strstr(out.detail, "egress"),
       "no egress address: skipped (%s)", out.detail);
    rq.egress = bad;
    rq.negress = sizeof(bad) / sizeof(bad[0]);
    ok(spf_check(s, &rq, NOW, &out) == SPFR_SKIPPED,
       "NULL, empty, garbage, loopback and unspecified egress addresses are unusable");
    rq.negress = 0;
    ok(spf_check(s, &rq, NOW, &out) == SPFR_SKIPPED, "negress 0: skipped");
    ok(strcmp(spf_result_name(SPFR_FAIL), "fail") == 0 && strcmp(spf_result_name(SPFR_SKIPPED), "skipped") == 0
       && strcmp(spf_result_name((enum spf_result) 99), "?") == 0, "spf_result_name");
    spf_stats(NULL, NULL);
    spf_close(NULL);
    ok(1, "spf_stats(NULL, NULL), spf_close(NULL)");
}

/* test_several - several egress addresses: the worst result wins */
static void test_several(struct spf *s)
{
    struct spf_outcome out;

    ok(check(s, "x@multi.example", NULL, NOW, &out, "192.0.2.25", NULL) == SPFR_PASS, "one address: pass");
    ok(check(s, "x@multi.example", NULL, NOW, &out, "192.0.2.25", "192.0.2.27", NULL) == SPFR_NEUTRAL
       && strcmp(out.egress, "192.0.2.27") == 0, "pass + neutral: neutral from %s", out.egress);
    ok(check(s, "x@multi.example", NULL, NOW, &out, "192.0.2.27", "192.0.2.26", "192.0.2.25", NULL)
       == SPFR_SOFTFAIL && strcmp(out.egress, "192.0.2.26") == 0, "neutral + softfail + pass: softfail from %s",
       out.egress);
    ok(check(s, "x@multi.example", NULL, NOW, &out, "192.0.2.26", "192.0.2.30", NULL) == SPFR_TEMPERROR
       && strcmp(out.egress, "192.0.2.30") == 0, "softfail + temperror: temperror from %s", out.egress);
    ok(check(s, "x@multi.example", NULL, NOW, &out, "192.0.2.30", "192.0.2.29", "192.0.2.25", NULL) == SPFR_FAIL
       && strcmp(out.egress, "192.0.2.29") == 0, "temperror + fail + pass: fail from %s", out.egress);
    ok(check(s, "x@pass.example", NULL, NOW, &out, "2001:db8::25", "192.0.2.25", NULL) == SPFR_FAIL
       && strcmp(out.egress, "2001:db8::25") == 0, "IPv6 and IPv4 egress, the IPv6 one not permitted: fail");
    ok(check(s, "x@pass.example", NULL, NOW, &out, "2001:DB8:0::25", NULL) == SPFR_FAIL
       && strcmp(out.egress, "2001:db8::25") == 0, "the egress address is shown canonical (%s)", out.egress);
}

/* test_cache - hits ask no DNS; expiry by the injected clock; errors not cached */
static void test_cache(struct spf *s)
{
    struct spf_request rq = {.sender = "a@cache.example", .cache_ttl = 600, .timeout_ms = 5000};
    const char *ips[] = {OUR, "192.0.2.26"};
    struct spf_outcome out;
    struct spf_stats st0, st1;
    unsigned long n0;

    rq.egress = ips;
    rq.negress = 1;
    spf_stats(s, &st0);
    ok(spf_check(s, &rq, NOW, &out) == SPFR_PASS && !out.cached, "first check: pass, not cached");
    n0 = lookups(s);
    ok(n0 > st0.dns_lookups, "it asked DNS (%lu lookups)", n0 - st0.dns_lookups);
    rq.sender = "<other-local-part@CACHE.example>";
    ok(spf_check(s, &rq, NOW + 599, &out) == SPFR_PASS && out.cached && lookups(s) == n0,
       "same domain and address 599 s later: from the cache, no DNS lookup");
    spf_stats(s, &st1);
    ok(st1.cache_hits == st0.cache_hits + 1 && st1.cache_misses == st0.cache_misses + 1,
       "stats: one hit, one miss");
    rq.negress = 2;
    ok(spf_check(s, &rq, NOW + 1, &out) == SPFR_PASS && !out.cached && lookups(s) > n0,
       "a second egress address is a key of its own: asked DNS for it");
    n0 = lookups(s);
    ok(spf_check(s, &rq, NOW + 2, &out) == SPFR_PASS && out.cached && lookups(s) == n0,
       "both addresses cached now");
    rq.negress = 1;
    ok(spf_check(s, &rq, NOW + 600, &out) == SPFR_PASS && !out.cached && lookups(s) > n0,
       "600 s (cache_ttl) later: expired, asked DNS again");
    n0 = lookups(s);
    rq.cache_ttl = 100;
    ok(spf_check(s, &rq, NOW + 750, &out) == SPFR_PASS && !out.cached,
       "a lower cache_ttl (reload) applies to entries already cached");
    ok(spf_check(s, &rq, NOW + 700, &out) == SPFR_PASS && !out.cached,
       "a clock that went back does not use the newer entry");
    n0 = lookups(s);
    rq.cache_ttl = 0;
    ok(spf_check(s, &rq, NOW + 751, &out) == SPFR_PASS && !out.cached && lookups(s) > n0,
       "cache_ttl 0: no cache");
    rq.cache_ttl = 600;
    rq.sender = "x@temp.example";
    spf_check(s, &rq, NOW, &out);
    n0 = lookups(s);
    ok(spf_check(s, &rq, NOW + 1, &out) == SPFR_TEMPERROR && !out.cached && lookups(s) > n0,
       "temperror is never cached");
    rq.sender = "x@fail.example";
    spf_check(s, &rq, NOW, &out);
    n0 = lookups(s);
    ok(spf_check(s, &rq, NOW + 1, &out) == SPFR_FAIL && out.cached && lookups(s) == n0,
       "fail is cached like pass");
}

/* elapsed_ms - since t0 */
static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* test_timeout - no answer in time is temperror; the worker's late answer is cached */
static void test_timeout(struct spf *s)
{
    struct spf_request rq = {.sender = "x@slow.example", .cache_ttl = 600, .timeout_ms = 300};
    const char *ips[] = {OUR};
    struct spf_outcome out;
    struct spf_stats st;
    struct timespec t0;
    unsigned long n0;
    long ms;

    rq.egress = ips;
    rq.negress = 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ok(spf_check(s, &rq, NOW, &out) == SPFR_TEMPERROR && strstr(out.detail, "timed out"),
       "a 2 s lookup with a 300 ms timeout: temperror (%s)", out.detail);
    ms = elapsed_ms(&t0);
    ok(ms >= 250 && ms < 1500, "spf_check returned after %ld ms", ms);
    spf_stats(s, &st);
    ok(st.timeouts == 1 && st.running == 1, "stats: 1 timeout, its worker still running");
    for (int i = 0; i < 60 && st.running > 0; i++) {
        usleep(100000);
        spf_stats(s, &st);
    }
    n0 = lookups(s);
    ok(spf_check(s, &rq, NOW + 5, &out) == SPFR_PASS && out.cached && lookups(s) == n0,
       "the worker finished later and cached its pass: the next check asks no DNS");
}

struct racer {
    struct spf *s;
    enum spf_result r;
};

/* racer - one of THREADS checks of the same key at once */
static void *racer(void *arg)
{
    struct racer *x = arg;
    struct spf_outcome out;

    x->r = check(x->s, "x@slow2.example", NULL, NOW, &out, OUR, NULL);
    return NULL;
}

/* test_concurrent - THREADS checks of one key share one evaluation */
static void test_concurrent(struct spf *s)
{
    pthread_t t[THREADS];
    struct racer x[THREADS];
    unsigned long n0 = lookups(s);
    int all_pass = 1;

    for (int i = 0; i < THREADS; i++) {
        x[i] = (struct racer){.s = s};
        pthread_create(&t[i], NULL, racer, &x[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        all_pass &= x[i].r == SPFR_PASS;
    }
    ok(all_pass, "%d concurrent checks of one key all pass", THREADS);
    ok(lookups(s) - n0 == 1, "and share one evaluation: %lu DNS lookup(s)", lookups(s) - n0);
}

/* test_zone_errors - a zone file libspf2 must not see */
static void test_zone_errors(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"ok.example TXT v=spf1 -all\nbad.example CNAME x.example\n", ":2: expected the type"},
        {"bad.example A 192.0.2.300\n", ":1: libspf2 refused"},
        {"bad.example TXT\n", ":1: missing data"},
        {"lonely\n", ":1: expected NAME TYPE"},
        {"slow.example DELAY 0\n", ":1: DELAY takes"},
        {"slow.example DELAY 61\n", ":1: DELAY takes"},
    };
    char path[512], err[512];
    struct spf *s;

    s = spf_open("/nonexistent/zone", err, sizeof(err));
    ok(s == NULL && strstr(err, "/nonexistent/zone: cannot read: ") != NULL, "missing zone file: %s", err);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file("badzone", cases[i].text, path, sizeof(path));
        s = spf_open(path, err, sizeof(err));
        ok(s == NULL && strstr(err, cases[i].want) != NULL, "zone error reported: %s", err);
        spf_close(s);
    }
    s = spf_open(NULL, err, sizeof(err));
    {
        struct spf_outcome out;

        ok(s != NULL && check(s, "x@localhost", NULL, NOW, &out, OUR, NULL) == SPFR_NONE && lookups(s) == 0,
           "the DNS checker (libspf2 resolver and cache) opens, answers without DNS what needs none, closes");
    }
    spf_close(s);
    write_file("emptyzone", "# nothing\n\n   \n", path, sizeof(path));
    s = spf_open(path, err, sizeof(err));
    ok(s != NULL && err[0] == '\0', "a zone file of comments and blank lines opens");
    spf_close(s);
}

/* load - a configuration from text; NULL with err */
static struct optin_config *load(const char *text, char *err, size_t errsz)
{
    char path[512];

    struct optin_config *cfg;

    write_file("conf", text, path, sizeof(path));
    cfg = config_load(path, err, errsz);
    err[strcspn(err, "\n")] = '\0';      /* one line for the TAP comment */
    return cfg;
}

/* test_config - the SPF keys */
static void test_config(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"egress_ips = [ \"127.0.0.1\" ];\n", "egress_ips[0]: expected an IPv4 or IPv6 address"},
        {"egress_ips = [ \"192.0.2.25\", \"::1\" ];\n", "egress_ips[1]: expected"},
        {"egress_ips = [ \"mta.example\" ];\n", "egress_ips[0]: expected"},
        {"egress_ips = \"192.0.2.25\";\n", "egress_ips: expected an array of strings"},
        {"helo_name = \"mta\";\n", "helo_name: expected a fully qualified host name"},
        {"helo_name = \"mta.example.\";\n", "helo_name: expected"},
        {"helo_name = \"-mta.example\";\n", "helo_name: expected"},
        {"spf_timeout = \"30s\";\n", "spf_timeout: expected a duration from 1s to 29s"},
        {"spf_timeout = 0;\n", "spf_timeout: expected a duration from 1s to 29s"},
        {"spf_cache_ttl_max = \"0\";\n", "spf_cache_ttl_max: expected a duration greater than 0"},
        {"spf_fail = \"bounce\";\n", "spf_fail: expected \"reject\", \"tempfail\" or \"journal\""},
        {"lists = ( { id = \"a\"; spf_error = \"accept\"; } );\n", "lists[0].spf_error: expected"},
        {"spf_trace_header = \"yes\";\n", "spf_trace_header: expected true or false"},
    };
    char err[1024];
    struct optin_config *cfg;

    cfg = load("socket = \"unix:/tmp/x.sock\";\n", err, sizeof(err));
    ok(cfg && cfg->egress_ips.count == 0 && cfg->helo_name == NULL && cfg->spf_cache_ttl_max == 3600
       && cfg->spf_timeout == 10 && !cfg->spf_trace_header && cfg->spf_fail == SPF_ACT_REJECT
       && cfg->spf_softfail == SPF_ACT_JOURNAL && cfg->spf_error == SPF_ACT_TEMPFAIL,
       "defaults: no egress_ips (off), no helo_name, 1h, 10s, no trace header, reject/journal/tempfail");
    config_free(cfg);
    cfg = load("lists = ( { id = \"a\"; }, { id = \"b\"; spf_fail = \"journal\"; spf_error = \"reject\"; } );\n"
               "spf_fail = \"tempfail\";\nspf_softfail = \"reject\";\n"
               "egress_ips = [ \"192.0.2.25\", \"2001:db8::25\" ];\nhelo_name = \"mta.lists.example\";\n"
               "spf_timeout = \"5s\";\nspf_cache_ttl_max = \"2h\";\nspf_trace_header = true;\n", err, sizeof(err));
    ok(cfg && cfg->egress_ips.count == 2 && strcmp(cfg->egress_ips.items[1], "2001:db8::25") == 0
       && strcmp(cfg->helo_name, "mta.lists.example") == 0 && cfg->spf_timeout == 5
       && cfg->spf_cache_ttl_max == 7200 && cfg->spf_trace_header, "SPF keys read (%s)", cfg ? "" : err);
    ok(cfg && cfg->lists[0].spf_fail == SPF_ACT_TEMPFAIL && cfg->lists[0].spf_softfail == SPF_ACT_REJECT
       && cfg->lists[0].spf_error == SPF_ACT_TEMPFAIL,
       "a list without its own actions takes the global ones, written after the lists");
    ok(cfg && cfg->lists[1].spf_fail == SPF_ACT_JOURNAL && cfg->lists[1].spf_softfail == SPF_ACT_REJECT
       && cfg->lists[1].spf_error == SPF_ACT_REJECT, "a list's own actions win, the others inherit");
    config_free(cfg);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg = load(bad[i].text, err, sizeof(err));
        ok(cfg == NULL && strstr(err, bad[i].want) != NULL, "refused: %s", cfg ? "(loaded)" : err);
        config_free(cfg);
    }
}

/* mail - a message from sender checked at MAIL: the step, the reply in r */
static enum msg_step mail(struct msg_state *m, const struct msg_env *env, const char *sender,
                          struct msg_reply *r)
{
    msg_init(m, env, NULL, "optin-1.1", "192.0.2.10", NOW);
    msg_mail(m, sender, NULL, NULL);
    memset(r, 0, sizeof(*r));
    return msg_spf_mail(m, r);
}

/* test_message - the SPF policy of message(3) */
static void test_message(struct spf *s)
{
    char err[1024];
    struct optin_config *cfg = load(
        "egress_ips = [ \"192.0.2.25\" ];\nhelo_name = \"mta.lists.example\";\nspf_trace_header = true;\n"
        "lists = ( { id = \"news\"; match = { envelope_from = [ \"news-*@*\" ]; list_id = [ \"news.example\" ]; }; },\n"
        "          { id = \"mon\"; mode = \"monitor\"; match = { envelope_from = [ \"mon-*@*\" ]; }; } );\n",
        err, sizeof(err));
    struct msg_env env = {.cfg = cfg, .spf = s};
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;
    struct spf_stats st0, st1;
    enum msg_step step;

    if (!ok(cfg != NULL, "message test configuration loads (%s)", cfg ? "" : err))
        return;
    step = mail(&m, &env, "<news-1@fail.example>", &r);
    ok(step == MSG_REJECT && strcmp(r.rcode, "550") == 0
       && strcmp(r.xcode, "5.7.23") == 0
       && strcmp(r.text, "SPF fail: fail.example does not authorize 192.0.2.25 to send list news") == 0,
       "fail at MAIL: %s %s %s", r.rcode, r.xcode, r.text);
    msg_free(&m);
    step = mail(&m, &env, "<news-1@temp.example>", &r);
    ok(step == MSG_TEMPFAIL && strcmp(r.rcode, "451") == 0
       && strcmp(r.xcode, "4.7.24") == 0, "temperror at MAIL: %s %s %s", r.rcode, r.xcode, r.text);
    msg_free(&m);
    step = mail(&m, &env, "<news-1@syntax.example>", &r);
    ok(step == MSG_TEMPFAIL && strcmp(r.xcode, "4.7.24") == 0,
       "permerror at MAIL: %s %s", r.rcode, r.xcode);
    msg_free(&m);
    ok(mail(&m, &env, "<news-1@soft.example>", &r) == MSG_CONTINUE && m.spf_done
       && m.spf.result == SPFR_SOFTFAIL && r.rcode == NULL, "softfail at MAIL: journal only, goes on");
    msg_free(&m);
    ok(mail(&m, &env, "<mon-1@fail.example>", &r) == MSG_CONTINUE && m.spf.result == SPFR_FAIL,
       "fail in monitor mode: goes on");
    msg_free(&m);
    spf_stats(s, &st0);
    ok(mail(&m, &env, "<news-2@pass.example>", &r) == MSG_CONTINUE && m.spf.result == SPFR_PASS
       && msg_spf_mail(&m, &r) == MSG_CONTINUE, "pass at MAIL; asked again: nothing more");
    spf_stats(s, &st1);
    ok(st1.checks == st0.checks + 1, "one check per message");
    msg_free(&m);
    ok(mail(&m, &env, "<newsletter@fail.example>", &r) == MSG_CONTINUE && !m.spf_done,
       "list not known from the envelope: no check at MAIL");
    msg_header(&m, "List-Id", "News <news.example>");
    msg_header(&m, "X-Optin-SPF", "forged");
    ok(msg_eoh(&m) == MSG_CONTINUE, "List-Id names the list");
    msg_eom(&m, &p);
    ok(p.step == MSG_REJECT && strcmp(p.reply.xcode, "5.7.23") == 0 && m.spf_done && m.spf_trace_count == 1,
       "checked at end of message: %s %s %s", p.reply.rcode, p.reply.xcode, p.reply.text);
    msg_plan_free(&p);
    msg_free(&m);
    ok(mail(&m, &env, "<>", &r) == MSG_CONTINUE, "null sender: no list from the envelope");
    msg_free(&m);
    config_free(cfg);
    cfg = load("lists = ( { id = \"news\"; match = { envelope_from = [ \"news-*@*\" ]; }; } );\n", err, sizeof(err));
    env.cfg = cfg;
    ok(cfg && mail(&m, &env, "<news-1@fail.example>", &r) == MSG_CONTINUE && !m.spf_done,
       "no egress_ips: nothing checked");
    msg_free(&m);
    env.spf = NULL;
    config_free(cfg);
}

/* main - the zone, the tests, clean up */
int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char zone[512], err[512], cmd[600];
    struct spf *s;

    snprintf(dir, sizeof(dir), "%s/optin-test-spf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp %s failed\n", dir);
        return 99;
    }
    if (write_file("zone", zone_text, zone, sizeof(zone)) != 0 || (s = spf_open(zone, err, sizeof(err))) == NULL) {
        printf("Bail out! zone: %s\n", err);
        return 99;
    }
    test_results(s);
    test_identity(s);
    test_inputs(s);
    test_several(s);
    test_cache(s);
    test_timeout(s);
    test_concurrent(s);
    test_message(s);
    spf_close(s);
    test_zone_errors();
    test_config();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
