/*
 * NAME
 *	timeutil 3
 * SUMMARY
 *	time stamps, durations and sizes
 * SYNOPSIS
 *	#include "util/timeutil.h"
 *
 *	int	time_parse(const char *s, int64_t *out)
 *	char	*time_format(int64_t t, char buf[TIME_BUFSZ])
 *	int	duration_parse(const char *s, int64_t *out)
 *	int	size_parse(const char *s, uint64_t *out)
 *	int64_t	clock_now(void)
 * DESCRIPTION
 *	time_parse() reads an RFC 3339 date-time ("2024-05-01T12:00:00Z",
 *	with an optional fraction and a Z or +hh:mm offset; a space may
 *	stand for the T), a bare date (midnight UTC) or "@SECONDS".
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

/* time_parse - RFC 3339 date-time, date, or @epoch */
int time_parse(const char *s, int64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    struct tm tm = {0};
    const char *p = s;
    int offset = 0;
    char *end;
    time_t t;

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
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > mdays[tm.tm_mon - 1])
        return -1;
    if (tm.tm_mon == 2 && tm.tm_mday == 29
        && !(tm.tm_year % 4 == 0 && (tm.tm_year % 100 != 0 || tm.tm_year % 400 == 0)))
        return -1;      /* February 29 only in leap years */
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (parse_clock(&p, &tm) < 0 || parse_offset(&p, &offset) < 0)
            return -1;
    }
    if (*p)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    *out = (int64_t) t - offset;
    return 0;
}

/* time_format - RFC 3339 in UTC */
char *time_format(int64_t t, char buf[TIME_BUFSZ])
{
    struct tm tm;
    time_t tt = (time_t) t;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, TIME_BUFSZ, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, TIME_BUFSZ, "@%" PRId64, t);
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
