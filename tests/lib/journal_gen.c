/*
 * NAME
 *	journal_gen 1
 * SUMMARY
 *	writes a journal of known content for the journal and report tests
 * SYNOPSIS
 *	journal_gen [-n LINES] [-d DAYS] [-r ROTATE] [-s SEED] [-t START] JOURNAL SUMMARY
 * DESCRIPTION
 *	Writes LINES decision lines (default 100000) through journal(3), so
 *	the chain is the milter's, with times spread evenly over DAYS days
 *	(default 60) from START (default 2026-01-01T00:00:00Z). Every ROTATE
 *	lines (default 10000) it rotates as logrotate with compress and
 *	delaycompress does: JOURNAL.N.gz becomes JOURNAL.N+1.gz, JOURNAL.1 is
 *	gzip'd into JOURNAL.2.gz, JOURNAL becomes JOURNAL.1; the next line
 *	goes to a new JOURNAL.
 *
 *	The lines follow a fixed pseudo-random sequence (SEED, default 1):
 *	three lists, a pool of 400 recipients whose raw forms vary in case,
 *	verdicts accept, reject, strip, aborted and tempfail with their
 *	reasons, and feedback lines (complaint, hard bounce). SUMMARY gets
 *	what was written as one JSON object: "lines", and counts by
 *	"verdict", "reason", "list_verdict" ("LIST VERDICT"), "day_verdict"
 *	("YYYY-MM-DD VERDICT"), the delivered count and complaints and hard
 *	bounces per list, and "refused" per recipient.
 * DIAGNOSTICS
 *	Exit 0, or 1 with a message on stderr.
 * SEE ALSO
 *	tests/cli/journal.sh, journal(3)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "journal/journal.h"
#include "util/timeutil.h"

#define POOL 400

static uint64_t rng_state = 1;

/* rng - the next pseudo-random number (xorshift64*) */
static uint32_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t) ((rng_state * UINT64_C(2685821657736338717)) >> 32);
}

/* bump - obj[key] += 1 */
static void bump(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    json_object_set_new(obj, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

/* gzip_file - from into to.gz-style file to, then remove from; 0 or -1 */
static int gzip_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    gzFile out = gzopen(to, "wb");
    char buf[65536];
    size_t n;
    int rc = in && out ? 0 : -1;

    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        rc = gzwrite(out, buf, (unsigned) n) == (int) n ? 0 : -1;
    if (in)
        fclose(in);
    if (out && gzclose(out) != Z_OK)
        rc = -1;
    return rc == 0 ? unlink(from) : -1;
}

/* rotate - logrotate with compress and delaycompress; *generations rotated files so far */
static int rotate(const char *path, int *generations)
{
    char a[4096], b[4096];

    for (int i = *generations; i >= 2; i--) {
        snprintf(a, sizeof(a), "%s.%d.gz", path, i);
        snprintf(b, sizeof(b), "%s.%d.gz", path, i + 1);
        if (rename(a, b) != 0)
            return -1;
    }
    snprintf(a, sizeof(a), "%s.1", path);
    snprintf(b, sizeof(b), "%s.2.gz", path);
    if (*generations >= 1 && gzip_file(a, b) != 0)
        return -1;
    (*generations)++;
    return rename(path, a);
}

/* One decision line's shape. */
struct pick {
    const char *verdict, *reason;
};

/* pick_line - a verdict and reason by the fixed weights */
static struct pick pick_line(void)
{
    static const struct pick table[] = {
        {"accept", "consent"}, {"accept", "consent"}, {"accept", "consent"}, {"accept", "consent"},
        {"accept", "consent"}, {"accept", "consent"}, {"accept", "consent"}, {"accept", "consent"},
        {"reject", "no-record"}, {"reject", "unsubscribed"}, {"strip", "suppressed-bounce"},
        {"strip", "no-record"}, {"aborted", "not-sent"}, {"tempfail", "not-sent"},
    };
    uint32_t r = rng() % 1000;

    if (r < 3)
        return (struct pick){"unsubscribe", "complaint"};
    if (r < 8)
        return (struct pick){"suppress", "hard"};
    return table[rng() % (sizeof(table) / sizeof(table[0]))];
}

/* summarize - count one line into the summary */
static void summarize(json_t *sum, const struct pick *p, const char *list, const char *addr, int64_t t)
{
    char key[256], day[TIME_BUFSZ];

    bump(json_object_get(sum, "verdict"), p->verdict);
    bump(json_object_get(sum, "reason"), p->reason);
    snprintf(key, sizeof(key), "%s %s", list, p->verdict);
    bump(json_object_get(sum, "list_verdict"), key);
    time_format(t, day);
    day[10] = '\0';
    snprintf(key, sizeof(key), "%s %s", day, p->verdict);
    bump(json_object_get(sum, "day_verdict"), key);
    if (strcmp(p->verdict, "accept") == 0)
        bump(json_object_get(sum, "delivered"), list);
    if (strcmp(p->reason, "complaint") == 0)
        bump(json_object_get(sum, "complaints"), list);
    if (strcmp(p->reason, "hard") == 0)
        bump(json_object_get(sum, "hard_bounces"), list);
    if (strcmp(p->verdict, "reject") == 0 || strcmp(p->verdict, "strip") == 0)
        bump(json_object_get(sum, "refused"), addr);
}

/* main - write the journal and its summary */
int main(int argc, char **argv)
{
    static const char *const lists[] = {"news", "offers", "digest"};
    long lines = 100000, days = 60, every = 10000;
    int64_t start = INT64_C(1767225600), t;
    struct journal *j;
    json_t *sum = json_object();
    char err[512], addr[64], raw[80], qid[32];
    int c, generations = 0;

    while ((c = getopt(argc, argv, "n:d:r:s:t:")) != -1) {
        if (c == 'n') lines = atol(optarg);
        else if (c == 'd') days = atol(optarg);
        else if (c == 'r') every = atol(optarg);
        else if (c == 's') rng_state = strtoull(optarg, NULL, 10) | 1;
        else if (c == 't' && time_parse(optarg, &start) == 0) ;
        else return fprintf(stderr, "usage: journal_gen [-n LINES] [-d DAYS] [-r ROTATE] [-s SEED] "
                            "[-t START] JOURNAL SUMMARY\n"), 1;
    }
    if (argc - optind != 2 || lines <= 0 || days <= 0 || every <= 0)
        return fprintf(stderr, "journal_gen: JOURNAL and SUMMARY expected\n"), 1;
    for (const char *const *k = (const char *const[]){"verdict", "reason", "list_verdict", "day_verdict",
                                                      "delivered", "complaints", "hard_bounces",
                                                      "refused", NULL}; *k; k++)
        json_object_set_new(sum, *k, json_object());
    if (journal_open(argv[optind], &j, err, sizeof(err)) != 0)
        return fprintf(stderr, "journal_gen: %s\n", err), 1;
    journal_set_sync(j, 60);
    for (long i = 0; i < lines; i++) {
        struct pick p = pick_line();
        const char *list = lists[rng() % 3];
        unsigned who = rng() % POOL;
        struct journal_entry e = {.queue_id = qid, .session_id = qid, .client_addr = "192.0.2.10",
                                  .sender = "bounces@lists.example", .list = list, .recipient = addr,
                                  .recipient_raw = raw, .verdict = p.verdict, .reason = p.reason,
                                  .mode = "enforce"};

        t = start + (int64_t) ((double) i * (double) days * 86400.0 / (double) lines);
        e.time = t;
        snprintf(addr, sizeof(addr), "user%03u@example.org", who);
        snprintf(raw, sizeof(raw), who % 2 ? "<User%03u@Example.ORG>" : "<user%03u@example.org>", who);
        snprintf(qid, sizeof(qid), "Q%08lX", i);
        if (strcmp(p.verdict, "accept") == 0) {
            e.method = "double";
            e.consent_time = start - 86400;
            e.history_seq = who + 1;
        }
        if (i > 0 && i % every == 0 && rotate(argv[optind], &generations) != 0)
            return fprintf(stderr, "journal_gen: rotate: %s\n", strerror(errno)), 1;
        if (journal_write(j, &e) != 0)
            return fprintf(stderr, "journal_gen: write failed\n"), 1;
        summarize(sum, &p, list, addr, t);
    }
    journal_close(j);
    json_object_set_new(sum, "lines", json_integer(lines));
    if (json_dump_file(sum, argv[optind + 1], JSON_INDENT(1) | JSON_SORT_KEYS) != 0)
        return fprintf(stderr, "journal_gen: cannot write %s\n", argv[optind + 1]), 1;
    json_decref(sum);
    return 0;
}
