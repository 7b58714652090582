/*
 * NAME
 *	test_timeutil - TAP tests of time stamps, durations and sizes
 * DESCRIPTION
 *	Deterministic: no test reads the clock.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "util/timeutil.h"

/* parses_to - time_parse gives exactly want */
static int parses_to(const char *s, int64_t want)
{
    int64_t got = -12345;

    return time_parse(s, &got) == 0 && got == want;
}

/* rejects - time_parse refuses s */
static int rejects(const char *s)
{
    int64_t got;

    return time_parse(s, &got) == -1;
}

/* rfc5322_to - time_parse_rfc5322 gives exactly want */
static int rfc5322_to(const char *s, int64_t want)
{
    int64_t got = -12345;

    return time_parse_rfc5322(s, &got) == 0 && got == want;
}

/* rfc5322_refuses - time_parse_rfc5322 refuses s and leaves the output alone */
static int rfc5322_refuses(const char *s)
{
    int64_t got = -12345;

    return time_parse_rfc5322(s, &got) == -1 && got == -12345;
}

/* test_rfc5322 - mail header dates: the forms accepted, and what is refused */
static void test_rfc5322(void)
{
    static const struct { const char *s; int64_t want; const char *what; } good[] = {
        {"Thu, 07 Mar 2024 10:00:00 +0000", 1709805600, "RFC 5322 with +0000"},
        {"Thu, 07 Mar 2024 10:00:00 UTC", 1709805600, "RFC 5322 with UTC (Mailgun)"},
        {"Thu, 07 Mar 2024 10:00:00 GMT", 1709805600, "obsolete zone GMT"},
        {"Thu, 07 Mar 2024 10:00:00 ut", 1709805600, "obsolete zone UT, any case"},
        {"Thu, 7 Mar 2024 05:00:00 -0500 (EST)", 1709805600, "one-digit day, comment"},
        {"7 Mar 2024 05:00:00 EST", 1709805600, "no day of week, zone EST"},
        {"Thu, 07 Mar 2024 03:00 PDT", 1709805600, "no seconds, zone PDT"},
        {"Thu, 07 Mar 2024 19:30:00 +0930", 1709805600, "positive half-hour offset"},
        {"Thu, 07 Mar 2024 10:00:00 Z", 1709805600, "military Z"},
        {"Thu, 07 Mar 2024 10:00:00 A", 1709805600, "other military letter as -0000"},
        {"  Thu ,07 MAR 24 10:00:00 +0000  ", 1709805600, "two-digit year 24, blanks"},
        {"Mon, 08 Mar 99 09:00:00 +0000", 920883600, "two-digit year 99 is 1999"},
        {"Mon, 08 Mar 099 09:00:00 +0000", 920883600, "three-digit year from 1900"},
        {"Thu, 29 Feb 2024 00:00:00 +0000", 1709164800, "leap day"},
        {"Thu, 07 Mar 2024 10:00:60 +0000", 1709805660, "leap second"},
    };
    static const struct { const char *s; const char *what; } bad[] = {
        {"yesterday", "words"},
        {"", "empty"},
        {"Thu, 07 Mar 2024 10:00:00", "no zone"},
        {"Thu, 07 Mar 2024 10:00:00 CEST", "unknown zone name"},
        {"Thu, 07 Mar 2024 10:00:00 J", "J is no zone"},
        {"Thu, 07 Mar 2024 10:00:00 +00:00", "colon in offset"},
        {"Thu, 07 Mar 2024 10:00:00 +2400", "offset hour 24"},
        {"Fri, 30 Feb 2024 10:00:00 +0000", "February 30"},
        {"Thu, 29 Feb 2023 10:00:00 +0000", "February 29 of 2023"},
        {"Thu, 07 Mxr 2024 10:00:00 +0000", "unknown month"},
        {"Thx, 07 Mar 2024 10:00:00 +0000", "unknown day of week"},
        {"Thu, 07 Mar 2024 24:00:00 +0000", "hour 24"},
        {"Thu, 07 Mar 2024 9:00:00 +0000", "one-digit hour"},
        {"Thu, 07 Mar 2024 10:00:00 +0000 (open", "comment not closed"},
        {"Thu, 07 Mar 2024 10:00:00 +0000 x", "trailing garbage"},
        {"Thu, 07 Mar 20245 10:00:00 +0000", "five-digit year"},
        {"2024-03-07T10:00:00Z", "RFC 3339 is another parser's"},
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ok(rfc5322_to(good[i].s, good[i].want), "RFC 5322: %s", good[i].what);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ok(rfc5322_refuses(bad[i].s), "RFC 5322 refuses: %s", bad[i].what);
}

/* test_against_timegm - time_parse's arithmetic agrees with the C library's timegm() on every
 * fifth day of years 1 to 9999 (a fixed-seed clock time on each), leap seconds' 60 included */
static void test_against_timegm(void)
{
    unsigned seed = 1, differ = 0, days = 0;
    struct tm tm = {.tm_mday = 1, .tm_year = 1 - 1900};
    char text[64];
    int64_t got;

    for (time_t base = timegm(&tm); ; base += 5 * 86400, days++) {   /* 146097 days a cycle: every residue */
        struct tm d;

        if (gmtime_r(&base, &d) == NULL || d.tm_year + 1900 > 9999)
            break;
        d.tm_hour = rand_r(&seed) % 24;
        d.tm_min = rand_r(&seed) % 60;
        d.tm_sec = rand_r(&seed) % 61;
        snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", d.tm_year + 1900,
                 d.tm_mon + 1, d.tm_mday, d.tm_hour, d.tm_min, d.tm_sec);
        if (time_parse(text, &got) != 0 || got != (int64_t) timegm(&d)) {
            if (differ++ < 3)
                printf("# %s: %lld\n", text, (long long) got);
        }
    }
    ok(days > 730000 && differ == 0, "time_parse = timegm on %u days of years 1 to 9999 (%u differ)",
       days, differ);
}

int main(void)
{
    char buf[TIME_BUFSZ];
    int64_t d;
    uint64_t z;

    ok(parses_to("2024-05-01T12:00:00Z", 1714564800), "RFC 3339 UTC");
    ok(parses_to("2024-05-01t12:00:00z", 1714564800), "lower-case t and z");
    ok(parses_to("2024-05-01 12:00:00Z", 1714564800), "space for T");
    ok(parses_to("2024-05-01T21:00:00+09:00", 1714564800), "positive offset");
    ok(parses_to("2024-05-01T07:30:00-04:30", 1714564800), "negative offset");
    ok(parses_to("2024-05-01T12:00:00.987Z", 1714564800), "fraction ignored");
    ok(parses_to("2024-05-01", 1714521600), "bare date is midnight UTC");
    ok(parses_to("2024-02-29", 1709164800), "leap day");
    ok(parses_to("@1714564800", 1714564800), "@epoch");
    ok(parses_to("@-5", -5), "@negative epoch");
    ok(parses_to("1970-01-01T00:00:00Z", 0), "epoch zero");
    ok(rejects(""), "empty");
    ok(rejects("2024-13-01"), "month 13");
    ok(rejects("2024-04-31"), "April 31");
    ok(rejects("2023-02-29"), "February 29 of a common year");
    ok(rejects("1900-02-29"), "February 29 of 1900 (not a leap year)");
    ok(parses_to("2000-02-29", 951782400), "February 29 of 2000 (a leap year)");
    ok(rejects("2024-05-01T25:00:00Z"), "hour 25");
    ok(rejects("2024-05-01T12:00:00"), "no offset");
    ok(rejects("2024-05-01T12:00Z"), "no seconds");
    ok(rejects("2024-05-01T12:00:00.Z"), "empty fraction");
    ok(rejects("2024-5-1"), "short fields");
    ok(rejects("2024-05-01garbage"), "trailing garbage");
    ok(rejects("@12x"), "bad epoch");
    ok(rejects("yesterday"), "words");
    test_rfc5322();
    test_against_timegm();
    ok(strcmp(time_format(1714564800, buf), "2024-05-01T12:00:00Z") == 0, "format UTC");
    ok(strcmp(time_format(0, buf), "1970-01-01T00:00:00Z") == 0, "format epoch");
    ok(parses_to(time_format(1900000000, buf), 1900000000), "format then parse round trip");
    ok(strcmp(time_format(-30610310400, buf), "0999-12-31T00:00:00Z") == 0
       && parses_to(buf, -30610310400), "a year below 1000 has four digits and reads back");
    ok(strcmp(time_format(253402300800, buf), "@253402300800") == 0 && parses_to(buf, 253402300800),
       "past 9999: the @epoch form, which reads back");

    ok(duration_parse("3600", &d) == 0 && d == 3600, "duration bare seconds");
    ok(duration_parse("90s", &d) == 0 && d == 90, "duration s");
    ok(duration_parse("15m", &d) == 0 && d == 900, "duration m");
    ok(duration_parse("12h", &d) == 0 && d == 43200, "duration h");
    ok(duration_parse("730d", &d) == 0 && d == 730 * 86400, "duration d");
    ok(duration_parse("2w", &d) == 0 && d == 1209600, "duration w");
    ok(duration_parse("0", &d) == 0 && d == 0, "duration zero");
    ok(duration_parse("-1d", &d) == -1, "negative duration refused");
    ok(duration_parse("5y", &d) == -1, "unknown unit refused");
    ok(duration_parse("5dd", &d) == -1, "double unit refused");
    ok(duration_parse("d", &d) == -1, "unit alone refused");
    ok(duration_parse("99999999999999999999d", &d) == -1, "overflow refused");

    ok(size_parse("1048576", &z) == 0 && z == 1048576, "size bytes");
    ok(size_parse("512K", &z) == 0 && z == 524288, "size K");
    ok(size_parse("64M", &z) == 0 && z == 67108864, "size M");
    ok(size_parse("4G", &z) == 0 && z == 4294967296ULL, "size G");
    ok(size_parse("1T", &z) == 0 && z == 1099511627776ULL, "size T");
    ok(size_parse("4GB", &z) == -1, "size with two letters refused");
    ok(size_parse("", &z) == -1, "empty size refused");
    ok(size_parse("99999999999T", &z) == -1, "size overflow refused");
    return tap_done();
}
