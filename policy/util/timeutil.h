/* timeutil.h - time stamps, durations and sizes as they appear in files and on the command line */
#ifndef OPTIN_TIMEUTIL_H
#define OPTIN_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define TIME_BUFSZ 32

/* time_parse - "2024-05-01", "2024-05-01T12:00:00Z", "...+09:00", "...12:00:00.123Z" or "@1714564800"; 0 ok, -1 bad */
int time_parse(const char *s, int64_t *out);
/* time_parse_rfc5322 - "Fri, 08 Mar 2024 09:00:00 +0000", also obsolete years and zones ("08 Mar 24 09:00 EST"); 0 ok, -1 bad */
int time_parse_rfc5322(const char *s, int64_t *out);
/* time_format - RFC 3339 UTC, "2024-05-01T12:00:00Z" */
char *time_format(int64_t t, char buf[TIME_BUFSZ]);
/* duration_parse - "3600", "90s", "15m", "12h", "30d", "52w"; 0 ok, -1 bad */
int duration_parse(const char *s, int64_t *out);
/* size_parse - "1048576", "512K", "64M", "4G", "1T"; 0 ok, -1 bad */
int size_parse(const char *s, uint64_t *out);
/* clock_now - the current time in seconds (callers that must be testable take "now" as an argument) */
int64_t clock_now(void);

#endif
