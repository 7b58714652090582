/* tap.h - minimal TAP producer for the C unit tests (automake tap-driver.sh reads it) */
#ifndef OPTIN_TAP_H
#define OPTIN_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count;
static int tap_failures;

/* tap_ok - one test point: "ok N - what" or "not ok N - what" with the failing place. */
__attribute__((format(printf, 4, 5), unused))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        tap_failures++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* tap_done - print the plan; the exit status is 0 so the driver counts the points. */
__attribute__((unused))
static int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return 0;
}

#endif
