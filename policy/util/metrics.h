/* metrics.h - labelled counters, gauges and histograms, written as a Prometheus textfile (see metrics.c) */
#ifndef OPTIN_METRICS_H
#define OPTIN_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metrics_type {
    METRICS_COUNTER,
    METRICS_GAUGE,
    METRICS_HISTOGRAM,     /* seconds, fixed buckets from 100 us to 10 s */
};

/* One metric family: what the caller counts, in the order it is written. */
struct metrics_family {
    const char *name;
    enum metrics_type type;
    const char *help;
};

struct metrics;

/* metrics_new - a registry for the families (the table must outlive it); NULL: no memory */
struct metrics *metrics_new(const struct metrics_family *families, size_t count);
void metrics_free(struct metrics *m);
/* metrics_count - add n to the counter name{labels}: "key", "value" pairs, then NULL */
void metrics_count(struct metrics *m, const char *name, uint64_t n, ...) __attribute__((sentinel));
/* metrics_set - set the gauge name{labels} to value: "key", "value" pairs, then NULL */
void metrics_set(struct metrics *m, const char *name, double value, ...) __attribute__((sentinel));
/* metrics_observe - one observation, in seconds, of the histogram name (no labels) */
void metrics_observe(struct metrics *m, const char *name, double seconds);
/* metrics_render - the text exposition format, in a malloc'd string (NULL: no memory) */
char *metrics_render(struct metrics *m);
/* metrics_write - render and replace path atomically (PATH.tmp renamed); 0, or -1 with err */
int metrics_write(struct metrics *m, const char *path, char *err, size_t errsz);

#endif
