/*
 * NAME
 *	bench_decide - lookups per second on the milter's per-recipient path
 * SYNOPSIS
 *	tests/bench/bench_decide [records [lookups [threads]]]
 *	tests/bench/bench_decide -l STORE SUBSCRIBERS LOOKUPS
 * DESCRIPTION
 *	Fills a fresh store in a temporary directory with single opt-in
 *	records (default 100000), then times decide_address() - normalize,
 *	one read snapshot, suppression and consent lookups, the decision -
 *	for the given number of lookups (default 1000000) over random
 *	addresses (fixed seed; a tenth unknown), in 1 and in N threads
 *	(default 2), and prints lookups per second and microseconds each.
 *	This is what optin-milter spends per recipient of list mail.
 *
 *	With -l it opens an existing store read-only (milter_bench.sh's, whose
 *	addresses are cN@example.org, N below SUBSCRIBERS, on list news) and
 *	times each of LOOKUPS decisions alone, 200 microseconds apart, over
 *	random addresses (fixed seed; a tenth unknown), then prints the
 *	median, the 99th percentile and the maximum in microseconds: the
 *	lookup latency the milter sees, whatever else writes the store.
 */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consent/decide.h"

static char dir[] = "/tmp/optin-bench-decide.XXXXXX";
static struct list_def news = {.id = "news", .opt_in = OPT_IN_SINGLE};
static struct store *st;
static long records, lookups;

struct fill {
    long first, count;
};

/* fill_txn - write callback: a batch of records */
static int fill_txn(struct store_txn *txn, void *arg)
{
    struct fill *f = arg;
    struct change_ctx cc = {.now = 1714564800, .source = "bench"};
    char addr[64], token[CONFIRM_CODE_BUFSZ];
    int rc = 0;

    for (long i = f->first; i < f->first + f->count && rc == 0; i++) {
        snprintf(addr, sizeof(addr), "user%ld@d%ld.example", i, i % 97);
        rc = consent_subscribe(txn, "news", addr, METHOD_SINGLE, &cc, token);
    }
    return rc;
}

/* run_lookups - thread body: lookups/threads decisions */
static void *run_lookups(void *arg)
{
    long n = *(long *) arg, errors = 0;
    unsigned seed = 42;
    struct decision d;
    char addr[64];

    for (long i = 0; i < n; i++) {
        long k = (long) (rand_r(&seed) % (unsigned) (records + records / 10));

        snprintf(addr, sizeof(addr), "<User%ld@D%ld.example>", k, k % 97);
        errors += decide_address(st, &news, addr, strlen(addr), ADDR_FOLD_LOCAL, 1714564800, &d) != 0;
    }
    *(long *) arg = errors;
    return NULL;
}

/* timed - run lookups in some threads, print the rate */
static void timed(int threads)
{
    pthread_t tid[64];
    long per[64], errors = 0;
    struct timespec a, b;
    double secs;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int t = 0; t < threads; t++) {
        per[t] = lookups / threads;
        pthread_create(&tid[t], NULL, run_lookups, &per[t]);
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        errors += per[t];
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    secs = (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("threads=%d lookups=%ld seconds=%.3f lookups_per_s=%.0f us_each=%.2f errors=%ld\n",
           threads, lookups, secs, (double) lookups / secs, secs * 1e6 / (double) lookups * threads,
           errors);
}

/* by_value - qsort of doubles */
static int by_value(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}

/* latency - -l: each lookup timed alone on an existing store; 0, or 1 on an error */
static int latency(const char *path, long subscribers, long n)
{
    struct store_options so = {.path = path, .readonly = 1};
    struct timespec a, b, pause = {0, 200000};
    double *us = calloc((size_t) n, sizeof(*us));
    unsigned seed = 42;
    long errors = 0;
    struct decision d;
    char err[256], addr[64];

    if (us == NULL || n < 1 || subscribers < 1 || store_open(&so, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_decide: %s\n", us == NULL || n < 1 ? "bad arguments" : err);
        free(us);
        return 1;
    }
    for (long i = 0; i < n; i++) {
        long k = (long) (rand_r(&seed) % (unsigned) (subscribers + subscribers / 10));

        snprintf(addr, sizeof(addr), "<c%ld@example.org>", k);
        clock_gettime(CLOCK_MONOTONIC, &a);
        errors += decide_address(st, &news, addr, strlen(addr), ADDR_FOLD_LOCAL, time(NULL), &d) != 0;
        clock_gettime(CLOCK_MONOTONIC, &b);
        us[i] = (double) (b.tv_sec - a.tv_sec) * 1e6 + (double) (b.tv_nsec - a.tv_nsec) / 1e3;
        nanosleep(&pause, NULL);
    }
    qsort(us, (size_t) n, sizeof(*us), by_value);
    printf("lookups=%ld p50_us=%.2f p99_us=%.2f max_us=%.2f errors=%ld\n", n, us[n / 2],
           us[(n * 99) / 100], us[n - 1], errors);
    store_close(st);
    free(us);
    return errors != 0;
}

int main(int argc, char **argv)
{
    struct store_options so = {.create = 1, .nosync = 1};
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    char err[256], cmd[300];

    if (argc == 5 && strcmp(argv[1], "-l") == 0)
        return latency(argv[2], atol(argv[3]), atol(argv[4]));
    records = argc > 1 ? atol(argv[1]) : 100000;
    lookups = argc > 2 ? atol(argv[2]) : 1000000;
    if (threads < 1 || threads > 64 || mkdtemp(dir) == NULL)
        return 2;
    so.path = dir;
    if (store_open(&so, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_decide: %s\n", err);
        return 1;
    }
    for (long i = 0; i < records; i += 10000) {
        struct fill f = {i, records - i < 10000 ? records - i : 10000};

        store_write(st, fill_txn, &f);
    }
    printf("records=%ld\n", records);
    timed(1);
    if (threads > 1)
        timed(threads);
    store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
