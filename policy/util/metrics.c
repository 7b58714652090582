/*
 * NAME
 *	metrics 3
 * SUMMARY
 *	labelled counters, gauges and histograms as a Prometheus textfile
 * SYNOPSIS
 *	#include "util/metrics.h"
 *
 *	struct metrics *metrics_new(const struct metrics_family *families, size_t count)
 *	void	metrics_free(struct metrics *m)
 *	void	metrics_count(struct metrics *m, const char *name, uint64_t n, ...)
 *	void	metrics_set(struct metrics *m, const char *name, double value, ...)
 *	void	metrics_observe(struct metrics *m, const char *name, double seconds)
 *	char	*metrics_render(struct metrics *m)
 *	int	metrics_write(struct metrics *m, const char *path, char *err, size_t errsz)
 * DESCRIPTION
 *	A registry of the caller's metric families (name, type, help). A
 *	series is one family with one set of labels, made on first use;
 *	label values are escaped as the text format wants (backslash, double
 *	quote, newline). Every call takes one mutex, so any thread may count.
 *	A histogram has no labels and the buckets 100 us to 10 s.
 *
 *	metrics_render() writes the text exposition format node_exporter's
 *	textfile collector reads: per family "# HELP" and "# TYPE", then its
 *	series in the order they were made; a histogram as cumulative
 *	_bucket{le="..."} lines, _sum and _count. metrics_write() writes
 *	PATH.tmp (mode 0644) and renames it over PATH, so a reader never
 *	sees half a file. This module knows nothing of mail or consent.
 * DIAGNOSTICS
 *	A name no family has, or no memory for a new series, is ignored (the
 *	counts are a view, never a reason to fail mail). metrics_write()
 *	returns -1 with "PATH: reason" in err.
 * SEE ALSO
 *	https://prometheus.io/docs/instrumenting/exposition_formats/
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/metrics.h"

#define LABELS_MAX 512
#define BUCKET_COUNT 15

static const double bucket_bounds[BUCKET_COUNT] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

struct series {
    struct series *next;       /* of the same family, in the order made */
    char *labels;              /* rendered: key="value",... ("" for none) */
    double value;
    uint64_t buckets[BUCKET_COUNT + 1];   /* histogram: per bucket, the last one +Inf */
};

struct metrics {
    pthread_mutex_t lock;
    const struct metrics_family *families;
    size_t count;
    struct series **first;     /* per family */
};

/* metrics_new - an empty registry for families */
struct metrics *metrics_new(const struct metrics_family *families, size_t count)
{
    struct metrics *m = calloc(1, sizeof(*m));

    if (m == NULL || (m->first = calloc(count, sizeof(*m->first))) == NULL) {
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->families = families;
    m->count = count;
    return m;
}

/* metrics_free - every series, then the registry */
void metrics_free(struct metrics *m)
{
    struct series *s, *next;

    if (m == NULL)
        return;
    for (size_t i = 0; i < m->count; i++)
        for (s = m->first[i]; s; s = next) {
            next = s->next;
            free(s->labels);
            free(s);
        }
    pthread_mutex_destroy(&m->lock);
    free(m->first);
    free(m);
}

/* family_index - the family called name; -1 when there is none */
static int family_index(const struct metrics *m, const char *name)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->families[i].name, name) == 0)
            return (int) i;
    return -1;
}

/* render_labels - "key","value" pairs as key="value",...; 0, or -1 when they do not fit */
static int render_labels(va_list ap, char *out, size_t outsz)
{
    const char *key, *value;
    size_t len = 0;

    out[0] = '\0';
    while ((key = va_arg(ap, const char *)) != NULL) {
        value = va_arg(ap, const char *);
        if (value == NULL)
            value = "";
        len += (size_t) snprintf(out + len, outsz - len, "%s%s=\"", len ? "," : "", key);
        for (; *value && len + 4 < outsz; value++) {
            if (*value == '\\' || *value == '"' || *value == '\n')
                out[len++] = '\\';
            out[len++] = *value == '\n' ? 'n' : *value;
        }
        if (len + 2 >= outsz)
            return -1;
        out[len++] = '"';
        out[len] = '\0';
    }
    return 0;
}

/* series_of - the series of family f with labels, made when missing (lock held); NULL: no memory */
static struct series *series_of(struct metrics *m, int f, const char *labels)
{
    struct series **at = &m->first[f];

    for (; *at; at = &(*at)->next)
        if (strcmp((*at)->labels, labels) == 0)
            return *at;
    if ((*at = calloc(1, sizeof(**at))) == NULL)
        return NULL;
    if (((*at)->labels = strdup(labels)) == NULL) {
        free(*at);
        *at = NULL;
    }
    return *at;
}

/* metrics_update - the one place a value changes: add to it, or set it */
static void metrics_update(struct metrics *m, const char *name, enum metrics_type type, int add,
                           double value, va_list ap)
{
    char labels[LABELS_MAX];
    struct series *s;
    int f;

    if (m == NULL || (f = family_index(m, name)) < 0 || m->families[f].type != type
        || render_labels(ap, labels, sizeof(labels)) != 0)
        return;
    pthread_mutex_lock(&m->lock);
    if ((s = series_of(m, f, labels)) != NULL)
        s->value = add ? s->value + value : value;
    pthread_mutex_unlock(&m->lock);
}

/* metrics_count - add n to a counter */
void metrics_count(struct metrics *m, const char *name, uint64_t n, ...)
{
    va_list ap;

    va_start(ap, n);
    metrics_update(m, name, METRICS_COUNTER, 1, (double) n, ap);
    va_end(ap);
}

/* metrics_set - set a gauge */
void metrics_set(struct metrics *m, const char *name, double value, ...)
{
    va_list ap;

    va_start(ap, value);
    metrics_update(m, name, METRICS_GAUGE, 0, value, ap);
    va_end(ap);
}

/* metrics_observe - one observation of a histogram */
void metrics_observe(struct metrics *m, const char *name, double seconds)
{
    struct series *s;
    size_t b = 0;
    int f;

    if (m == NULL || (f = family_index(m, name)) < 0 || m->families[f].type != METRICS_HISTOGRAM)
        return;
    while (b < BUCKET_COUNT && seconds > bucket_bounds[b])
        b++;
    pthread_mutex_lock(&m->lock);
    if ((s = series_of(m, f, "")) != NULL) {
        s->buckets[b]++;
        s->value += seconds;
    }
    pthread_mutex_unlock(&m->lock);
}

/* render_series - one series of family f into fp */
static void render_series(FILE *fp, const struct metrics_family *f, const struct series *s)
{
    uint64_t cumulative = 0;

    if (f->type != METRICS_HISTOGRAM) {
        fprintf(fp, "%s%s%s%s %.17g\n", f->name, *s->labels ? "{" : "", s->labels,
                *s->labels ? "}" : "", s->value);
        return;
    }
    for (size_t b = 0; b <= BUCKET_COUNT; b++) {
        cumulative += s->buckets[b];
        if (b < BUCKET_COUNT)
            fprintf(fp, "%s_bucket{le=\"%g\"} %llu\n", f->name, bucket_bounds[b],
                    (unsigned long long) cumulative);
        else
            fprintf(fp, "%s_bucket{le=\"+Inf\"} %llu\n", f->name, (unsigned long long) cumulative);
    }
    fprintf(fp, "%s_sum %.9g\n%s_count %llu\n", f->name, s->value, f->name,
            (unsigned long long) cumulative);
}

/* metrics_render - every family with its series, in the text exposition format */
char *metrics_render(struct metrics *m)
{
    static const char *const type_names[] = {
        [METRICS_COUNTER] = "counter", [METRICS_GAUGE] = "gauge", [METRICS_HISTOGRAM] = "histogram",
    };
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    if (fp == NULL)
        return NULL;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->count; i++) {
        const struct metrics_family *f = &m->families[i];

        fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, type_names[f->type]);
        for (const struct series *s = m->first[i]; s; s = s->next)
            render_series(fp, f, s);
    }
    pthread_mutex_unlock(&m->lock);
    if (fclose(fp) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* metrics_write - the rendered text into PATH.tmp, renamed over path */
int metrics_write(struct metrics *m, const char *path, char *err, size_t errsz)
{
    char tmp[4096], *text = metrics_render(m);
    size_t len, done = 0;
    ssize_t n;
    int fd, written;

    if (text == NULL) {
        snprintf(err, errsz, "%s: out of memory", path);
        return -1;
    }
    len = strlen(text);
    if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        snprintf(err, errsz, "%s: path too long", path);
        free(text);
        return -1;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
        goto fail;
    while (done < len && ((n = write(fd, text + done, len - done)) > 0 || (n < 0 && errno == EINTR)))
        done += n > 0 ? (size_t) n : 0;
    written = done == len && fchmod(fd, 0644) == 0;
    if (close(fd) != 0 || !written) {
        unlink(tmp);
        goto fail;
    }
    free(text);
    if (rename(tmp, path) == 0)
        return 0;
    unlink(tmp);
    snprintf(err, errsz, "%s: %s", path, strerror(errno));
    return -1;
fail:
    snprintf(err, errsz, "%s: %s", tmp, strerror(errno ? errno : EIO));
    free(text);
    return -1;
}
