/* test_metrics.c - metrics(3): series per label set, escaping, histogram buckets, the written file */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util/metrics.h"

static const struct metrics_family families[] = {
    {"t_total", METRICS_COUNTER, "A counter."},
    {"t_gauge", METRICS_GAUGE, "A gauge."},
    {"t_seconds", METRICS_HISTOGRAM, "A histogram."},
};

/* has - text contains the whole line */
static int has(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

int main(void)
{
    struct metrics *m = metrics_new(families, 3);
    char dir[] = "/tmp/test_metrics.XXXXXX", path[256], err[512], *text, buf[4096];
    FILE *fp;
    size_t n;

    ok(m != NULL, "metrics_new");
    metrics_count(m, "t_total", 2, "list", "news", "verdict", "accept", NULL);
    metrics_count(m, "t_total", 3, "list", "news", "verdict", "accept", NULL);
    metrics_count(m, "t_total", 1, "list", "a\"b\\c\nd", "verdict", "reject", NULL);
    metrics_count(m, "t_total", 1, NULL);
    metrics_count(m, "no_such_family", 1, NULL);
    metrics_count(m, "t_gauge", 1, NULL);     /* wrong type: ignored */
    metrics_set(m, "t_gauge", 1.5, NULL);
    metrics_set(m, "t_gauge", 2.5, NULL);
    metrics_observe(m, "t_seconds", 0.00005);
    metrics_observe(m, "t_seconds", 0.003);
    metrics_observe(m, "t_seconds", 60);
    text = metrics_render(m);
    ok(text != NULL, "metrics_render");
    ok(has(text, "# HELP t_total A counter.") && has(text, "# TYPE t_total counter"), "HELP and TYPE");
    ok(has(text, "t_total{list=\"news\",verdict=\"accept\"} 5"), "one series per label set, added up");
    ok(has(text, "t_total{list=\"a\\\"b\\\\c\\nd\",verdict=\"reject\"} 1"),
       "label values escaped: \\\" \\\\ \\n");
    ok(has(text, "t_total 1"), "a series without labels has no braces");
    ok(has(text, "t_gauge 2.5"), "a gauge is set, not added; a counter call on it is ignored");
    ok(has(text, "t_seconds_bucket{le=\"0.0001\"} 1") && has(text, "t_seconds_bucket{le=\"0.005\"} 2")
       && has(text, "t_seconds_bucket{le=\"10\"} 2") && has(text, "t_seconds_bucket{le=\"+Inf\"} 3"),
       "histogram buckets are cumulative, +Inf holds all");
    ok(has(text, "t_seconds_count 3") && has(text, "t_seconds_sum 60.00305"), "histogram sum and count");
    ok(strstr(text, "no_such_family") == NULL, "an unknown family is ignored");
    ok(mkdtemp(dir) != NULL, "temporary folder");
    snprintf(path, sizeof(path), "%s/t.prom", dir);
    ok(metrics_write(m, path, err, sizeof(err)) == 0, "metrics_write");
    fp = fopen(path, "r");
    n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
    buf[n] = '\0';
    if (fp)
        fclose(fp);
    ok(strcmp(buf, text) == 0, "the file holds what metrics_render gives");
    snprintf(path, sizeof(path), "%s/t.prom.tmp", dir);
    ok(access(path, F_OK) != 0, "no temporary file is left");
    snprintf(path, sizeof(path), "%s/missing/t.prom", dir);
    ok(metrics_write(m, path, err, sizeof(err)) == -1 && strstr(err, "missing/t.prom.tmp") != NULL,
       "a folder that does not exist: -1 naming the file (%s)", err);
    snprintf(path, sizeof(path), "%s/t.prom", dir);
    unlink(path);
    rmdir(dir);
    free(text);
    metrics_free(m);
    return tap_done();
}
