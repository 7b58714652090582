/*
 * NAME
 *	timeutil 3
 * SUMMARY
 *	time stamps, durations and sizes
 * SYNOPSIS
 *	#include "util/timeutil.h"
 *
 *	int	time_parse(const char *s, int64_t *out)
 *	int	time_parse_rfc5322(const char *s, int64_t *out)
 *	char	*time_format(int64_t t, char buf[TIME_BUFSZ])
 *	int	duration_parse(const char *s, int64_t *out)
 *	int	size_parse(const char *s, uint64_t *out)
 *	int64_t	clock_now(void)
 * DESCRIPTION
 *	time_parse() reads an RFC 3339 date-time ("2024-05-01T12:00:00Z",
 *	with an optional fraction and a Z or +hh:mm offset; a space may
 *	stand for the T), a bare date (midnight UTC) or "@SECONDS".
 *	time_parse_rfc5322() reads the date-time of a mail header, RFC 5322
 *	section 3.3 ("Fri, 08 Mar 2024 09:00:00 +0000"): the day of the week
 *	and the seconds optional, comments and white space between tokens;
 *	also the obsolete forms of section 4.3 (two- and three-digit years,
 *	the zones UT, GMT, EST, EDT, CST, CDT, MST, MDT, PST, PDT, and
 *	military letters, taken as -0000) and the zone UTC that some senders
 *	write. A zone is required.
 *	time_format() writes UTC in RFC 3339 form.
 *
 *	duration_parse() reads a count with an optional unit s, m, h, d or w;
 *	size_parse() a count with an optional unit K, M, G or T (powers of 1024).
 * DIAGNOSTICS
 *	The parsers return -1 on malformed or out-of-range input and leave
 *	*out alone; they never print.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/timeutil.h"

/* read_digits - exactly n decimal digits */
static int read_digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char) (*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* parse_offset - "Z", "+hh:mm" or "-hh:mm" into seconds east of UTC */
static int parse_offset(const char **p, int *offset)
{
    int hh, mm, sign;

    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *offset = 0;
        return 0;
    }
    if (**p != '+' && **p != '-')
        return -1;
    sign = **p == '-' ? -1 : 1;
    (*p)++;
    if (read_digits(p, 2, &hh) < 0 || *(*p)++ != ':' || read_digits(p, 2, &mm) < 0
        || hh > 23 || mm > 59)
        return -1;
    *offset = sign * (hh * 3600 + mm * 60);
    return 0;
}

/* parse_clock - "hh:mm:ss[.frac]" after the T */
static int parse_clock(const char **p, struct tm *tm)
{
    if (read_digits(p, 2, &tm->tm_hour) < 0 || *(*p)++ != ':'
        || read_digits(p, 2, &tm->tm_min) < 0 || *(*p)++ != ':'
        || read_digits(p, 2, &tm->tm_sec) < 0)
        return -1;
    if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
        return -1;
    if (**p == '.') {
        (*p)++;
        if (!isdigit((unsigned char) **p))
            return -1;
        while (isdigit((unsigned char) **p))
            (*p)++;
    }
    return 0;
}

/* valid_date - year, month 1-12 and day of that month (February 29 only in leap years) */
static int valid_date(int year, int mon, int mday)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (mon < 1 || mon > 12 || mday < 1 || mday > mdays[mon - 1])
        return 0;
    return !(mon == 2 && mday == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)));
}

/* utc_seconds - seconds since the epoch of a UTC civil time (proleptic Gregorian; what timegm
 * gives for a valid date, without its normalisation and time-zone machinery) */
static int64_t utc_seconds(int year, int mon, int mday, int hour, int min, int sec)
{
    int64_t y = year - (mon <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                    /* 0..399 */
    int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + mday - 1; /* from March 1st */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            /* 0..146096 */
    int64_t days = era * 146097 + doe - 719468;                     /* 1970-01-01 is day 0 */

    return days * 86400 + hour * 3600 + min * 60 + sec;
}

/* time_parse - RFC 3339 date-time, date, or @epoch */
int time_parse(const char *s, int64_t *out)
{
    struct tm tm = {0};
    const char *p = s;
    int offset = 0;
    char *end;

    if (s == NULL || *s == 0)
        return -1;
    if (*s == '@') {
        long long v;

        errno = 0;
        v = strtoll(s + 1, &end, 10);
        if (errno || end == s + 1 || *end)
            return -1;
        *out = v;
        return 0;
    }
    if (read_digits(&p, 4, &tm.tm_year) < 0 || *p++ != '-' || read_digits(&p, 2, &tm.tm_mon) < 0
        || *p++ != '-' || read_digits(&p, 2, &tm.tm_mday) < 0)
        return -1;
    if (!valid_date(tm.tm_year, tm.tm_mon, tm.tm_mday))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (parse_clock(&p, &tm) < 0 || parse_offset(&p, &offset) < 0)
            return -1;
    }
    if (*p)
        return -1;
    *out = utc_seconds(tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
        - offset;
    return 0;
}

/* skip_cfws - white space and (possibly nested) comments; -1 when a comment is not closed */
static int skip_cfws(const char **p)
{
    int depth = 0;

    for (;; (*p)++) {
        char c = **p;

        if (c == '(')
            depth++;
        else if (c == ')' && depth > 0)
            depth--;
        else if (c == '\0')
            return depth > 0 ? -1 : 0;
        else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return 0;
    }
}

/* read_number - a run of min to max decimal digits */
static int read_number(const char **p, int min, int max, int *out)
{
    int n = 0;

    while (isdigit((unsigned char) (*p)[n]))
        n++;
    if (n < min || n > max)
        return -1;
    return read_digits(p, n, out);
}

/* read_name - index of the three-letter name at p in list (names of three letters each), -1 */
static int read_name(const char **p, const char *list)
{
    size_t n = 0;

    while (isalpha((unsigned char) (*p)[n]))
        n++;
    if (n != 3)
        return -1;
    for (int i = 0; list[i * 3] != '\0'; i++)
        if (strncasecmp(*p, list + i * 3, 3) == 0) {
            *p += 3;
            return i;
        }
    return -1;
}

/* parse_date5322 - "[Fri,] 8 Mar 2024": day of week (not checked against the date), day, month, year */
static int parse_date5322(const char **p, struct tm *tm)
{
    int year, ndigits = 0;

    if (isalpha((unsigned char) **p)) {
        if (read_name(p, "montuewedthufrisatsun") < 0 || skip_cfws(p) < 0)
            return -1;
        if (**p == ',')
            (*p)++;
        if (skip_cfws(p) < 0)
            return -1;
    }
    if (read_number(p, 1, 2, &tm->tm_mday) < 0 || skip_cfws(p) < 0
        || (tm->tm_mon = read_name(p, "janfebmaraprmayjunjulaugsepoctnovdec")) < 0
        || skip_cfws(p) < 0)
        return -1;
    while (isdigit((unsigned char) (*p)[ndigits]))
        ndigits++;
    if (read_number(p, 2, 4, &year) < 0)
        return -1;
    if (ndigits == 2)               /* obsolete two-digit year: 00-49 is 20xx, 50-99 is 19xx */
        year += year < 50 ? 2000 : 1900;
    else if (ndigits == 3)          /* obsolete three-digit year: counted from 1900 */
        year += 1900;
    if (!valid_date(year, tm->tm_mon + 1, tm->tm_mday))
        return -1;
    tm->tm_year = year - 1900;
    return 0;
}

/* parse_zone5322 - "+hhmm", "-hhmm", UT, UTC, GMT, EST...PDT, or a military letter (taken as -0000) */
static int parse_zone5322(const char **p, int *offset)
{
    static const struct { const char name[4]; int hours; } zones[] = {
        {"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
        {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
    };
    size_t n = 0;
    int hh, mm;

    if (**p == '+' || **p == '-') {
        int sign = **p == '-' ? -1 : 1;

        (*p)++;
        if (read_digits(p, 2, &hh) < 0 || read_digits(p, 2, &mm) < 0 || hh > 23 || mm > 59)
            return -1;
        *offset = sign * (hh * 3600 + mm * 60);
        return 0;
    }
    while (isalpha((unsigned char) (*p)[n]))
        n++;
    *offset = 0;
    if (n == 1 && tolower((unsigned char) **p) != 'j') {
        (*p)++;
        return 0;
    }
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
        if (strlen(zones[i].name) == n && strncasecmp(*p, zones[i].name, n) == 0) {
            *p += n;
            *offset = zones[i].hours * 3600;
            return 0;
        }
    return -1;
}

/* time_parse_rfc5322 - "Fri, 08 Mar 2024 09:00:00 +0000" and the obsolete forms of RFC 5322 */
int time_parse_rfc5322(const char *s, int64_t *out)
{
    struct tm tm = {0};
    const char *p = s;
    int offset;

    if (s == NULL || skip_cfws(&p) < 0 || parse_date5322(&p, &tm) < 0 || skip_cfws(&p) < 0)
        return -1;
    if (read_digits(&p, 2, &tm.tm_hour) < 0 || *p++ != ':' || read_digits(&p, 2, &tm.tm_min) < 0)
        return -1;
    if (*p == ':') {
        p++;
        if (read_digits(&p, 2, &tm.tm_sec) < 0)
            return -1;
    }
    if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    if (skip_cfws(&p) < 0 || parse_zone5322(&p, &offset) < 0 || skip_cfws(&p) < 0 || *p != '\0')
        return -1;
    *out = (int64_t) timegm(&tm) - offset;
    return 0;
}

/* time_format - RFC 3339 in UTC */
char *time_format(int64_t t, char buf[TIME_BUFSZ])
{
    struct tm tm;
    time_t tt = (time_t) t;

    /* RFC 3339 has four-digit years: outside 0000-9999 the "@epoch" form, which time_parse reads */
    if (gmtime_r(&tt, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        snprintf(buf, TIME_BUFSZ, "@%" PRId64, t);
    else
        snprintf(buf, TIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

/* parse_scaled - unsigned count with one optional unit from a table */
static int parse_scaled(const char *s, const char *units, const uint64_t *scale, uint64_t *out)
{
    unsigned long long v;
    uint64_t mult = 1;
    const char *u;
    char *end;

    if (s == NULL || !isdigit((unsigned char) *s))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    if (*end) {
        if (end[1] || (u = strchr(units, *end)) == NULL)
            return -1;
        mult = scale[u - units];
    }
    if (v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

/* duration_parse - seconds from "90", "15m", "12h", "30d", "52w" */
int duration_parse(const char *s, int64_t *out)
{
    static const uint64_t scale[] = {1, 60, 3600, 86400, 604800};
    uint64_t v;

    if (parse_scaled(s, "smhdw", scale, &v) < 0 || v > (uint64_t) INT64_MAX / 2)
        return -1;
    *out = (int64_t) v;
    return 0;
}

/* size_parse - bytes from "1048576", "512K", "64M", "4G", "1T" */
int size_parse(const char *s, uint64_t *out)
{
    static const uint64_t scale[] = {1024ULL, 1024ULL << 10, 1024ULL << 20, 1024ULL << 30};

    return parse_scaled(s, "KMGT", scale, out);
}

/* clock_now - the current time */
int64_t clock_now(void)
{
    return (int64_t) time(NULL);
}
