/*
 * NAME
 *	test_chain 1
 * SUMMARY
 *	TAP tests of the journal's hash chain, its redaction and its writers
 * SYNOPSIS
 *	tests/unit/test_chain
 * DESCRIPTION
 *	Writes journals through journal(3) in a private mkdtemp() directory
 *	and checks them with chain(3) as optinctl journal verify does: a
 *	batch of lines chained from the genesis, "prev" on the first line of
 *	each file, a redacted line that keeps its hash and loses its
 *	addresses, an edited byte found, a redacted line whose stars were
 *	replaced refused, two writers (two journal handles, as the milter
 *	and optinctl feedback are) continuing one chain, rotation, the head
 *	file lost, and a head file ahead of the file (lines lost in a crash).
 * DIAGNOSTICS
 *	TAP on stdout. Exit 99 when the temporary directory cannot be made.
 * SEE ALSO
 *	chain(3), journal(3), files(3)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal/chain.h"
#include "journal/files.h"
#include "journal/journal.h"
#include "tap.h"

static char dir[256];

/* What walking a file found. */
struct walk {
    char prev[CHAIN_HASH_BUFSZ];
    unsigned long lines, bad, unparsed, with_prev;
    uint64_t last_seq;
};

/* walk_line - check one line against the chain so far, as verify does */
static int walk_line(char *line, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    struct walk *w = arg;
    struct chain_line cl;
    char hash[CHAIN_HASH_BUFSZ];

    (void) lineno, (void) offset;
    if (chain_scan(line, len, &cl) != 0) {
        w->unparsed++;
        return 0;
    }
    if (cl.prev.present) {
        w->with_prev++;
        chain_value(line, &cl.prev, w->prev, sizeof(w->prev));
    }
    if (chain_hash(line, &cl, w->prev, hash) != 0 || memcmp(hash, line + cl.hash.off, CHAIN_HASH_HEX) != 0
        || cl.seq != w->last_seq + 1)
        w->bad++;
    chain_value(line, &cl.hash, w->prev, sizeof(w->prev));
    w->last_seq = cl.seq;
    w->lines++;
    return 0;
}

/* walk - walk files in order from the genesis */
static struct walk walk(const char *const *files)
{
    struct walk w = {.prev = CHAIN_GENESIS};

    for (; *files; files++)
        journal_read(*files, walk_line, &w);
    return w;
}

/* path - dir/name in a static buffer (one of four) */
static const char *path(const char *name)
{
    static char buf[4][512];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
    return buf[i];
}

/* entry - a receipt-like entry for recipient */
static struct journal_entry entry(const char *rcpt, const char *raw)
{
    return (struct journal_entry){.time = 1714564800, .queue_id = "Q1", .list = "news", .recipient = rcpt,
                                  .recipient_raw = raw, .verdict = "accept", .reason = "consent",
                                  .history_seq = 7};
}

/* test_batch - one commit of five lines: one write, chained from the genesis */
static void test_batch(void)
{
    const char *p = path("batch.log");
    struct journal_batch *b = journal_batch_new();
    struct journal *j;
    struct walk w;
    char err[256];
    int good = 1;

    if (!ok(journal_open(p, &j, err, sizeof(err)) == 0 && b != NULL, "open %s", p))
        return;
    for (int i = 0; i < 5; i++) {
        struct journal_entry e = entry("a@example.org", "<A@Example.org>");

        good &= journal_batch_add(b, &e) == 0;
    }
    ok(good && journal_batch_count(b) == 5, "five lines in the batch");
    ok(journal_commit(j, b) == 0 && journal_batch_count(b) == 0, "committed; the batch is empty again");
    journal_close(j);
    journal_batch_free(b);
    w = walk((const char *[]){p, NULL});
    ok(w.lines == 5 && w.bad == 0 && w.unparsed == 0 && w.with_prev == 1 && w.last_seq == 5,
       "seq 1 to 5, every hash chained from the genesis, prev on the first line only "
       "(lines %lu bad %lu prev %lu)", w.lines, w.bad, w.with_prev);
}

/* match_b - redaction picks lines naming b@example.org */
static int match_b(const char *line, const struct chain_line *cl, void *arg)
{
    (void) arg;
    return cl->recipient.len == 13 && memcmp(line + cl->recipient.off, "b@example.org", 13) == 0;
}

/* slurp - a file's text (free it) */
static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    char *buf = calloc(1, 1 << 20);

    if (f && buf)
        buf[fread(buf, 1, (1 << 20) - 1, f)] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* test_redact - erasure keeps the chain, removes the address; edits are found */
static void test_redact(void)
{
    const char *p = path("redact.log");
    struct journal_entry a = entry("a@example.org", "<a@example.org>");
    struct journal_entry b = entry("b@example.org", "<B@EXAMPLE.org>");
    struct journal *j;
    struct walk w;
    size_t count = 0;
    char err[256], *text, *at;
    FILE *f;

    if (!ok(journal_open(p, &j, err, sizeof(err)) == 0, "open %s", p))
        return;
    journal_write(j, &a);
    journal_write(j, &b);
    journal_write(j, &a);
    journal_close(j);
    ok(journal_redact_file(p, match_b, NULL, &count) == 0 && count == 1, "one line redacted (%zu)", count);
    text = slurp(p);
    ok(text && strstr(text, "b@example.org") == NULL && strstr(text, "B@EXAMPLE") == NULL
       && strstr(text, "\"recipient\":\"*************\"") != NULL && strstr(text, "\"pd\":\"d:") != NULL,
       "the redacted line names no address: stars of the same length, pd holds the digest");
    w = walk((const char *[]){p, NULL});
    ok(w.lines == 3 && w.bad == 0, "the chain still verifies after the erasure");
    /* a redacted line with a name written into its stars */
    if (text && (at = strstr(text, "*************")) != NULL && (f = fopen(p, "wb")) != NULL) {
        memcpy(at, "x@example.org", 13);
        fputs(text, f);
        fclose(f);
        w = walk((const char *[]){p, NULL});
        ok(w.bad == 1, "an address written into a redacted line is found");
        memcpy(at, "*************", 13);
    }
    /* one byte of an unredacted address changed */
    if (text && (at = strstr(text, "a@example.org")) != NULL && (f = fopen(p, "wb")) != NULL) {
        *at = 'c';
        fputs(text, f);
        fclose(f);
        w = walk((const char *[]){p, NULL});
        ok(w.bad == 1, "a one-byte edit of an address is found (bad %lu)", w.bad);
    }
    free(text);
}

/* test_two_writers - two handles on one file, as the milter and optinctl feedback: one chain */
static void test_two_writers(void)
{
    const char *p = path("two.log");
    struct journal *j1, *j2;
    struct journal_entry e = entry("a@example.org", "<a@example.org>");
    struct walk w;
    char err[256];

    if (!ok(journal_open(p, &j1, err, sizeof(err)) == 0 && journal_open(p, &j2, err, sizeof(err)) == 0,
            "two handles open"))
        return;
    for (int i = 0; i < 10; i++)
        journal_write(i % 3 ? j1 : j2, &e);
    journal_close(j1);
    journal_close(j2);
    w = walk((const char *[]){p, NULL});
    ok(w.lines == 10 && w.bad == 0 && w.last_seq == 10, "ten lines, one unbroken chain (bad %lu)", w.bad);
}

/* test_rotation - a rotated file: the new file's first line carries prev and continues the chain */
static void test_rotation(void)
{
    const char *p = path("rot.log"), *moved = path("rot.log.1");
    struct journal_entry e = entry("a@example.org", "<a@example.org>");
    struct journal *j;
    struct walk w;
    char err[256], **files = NULL;
    size_t n = 0;

    if (!ok(journal_open(p, &j, err, sizeof(err)) == 0, "open %s", p))
        return;
    journal_write(j, &e);
    journal_write(j, &e);
    rename(p, moved);
    journal_write(j, &e);
    journal_close(j);
    ok(journal_files(p, &files, &n) == 0 && n == 2 && strcmp(files[0], moved) == 0,
       "journal_files: the rotated file first, no head file listed (%zu files)", n);
    journal_files_free(files, n);
    w = walk((const char *[]){moved, p, NULL});
    ok(w.lines == 3 && w.bad == 0 && w.with_prev == 2, "the chain runs on across the rotation, "
       "each file starting with prev (bad %lu prev %lu)", w.bad, w.with_prev);
}

/* test_head_lost - without the head file, the tail of the file tells where the chain is */
static void test_head_lost(void)
{
    const char *p = path("head.log"), *head = path("head.log.head");
    struct journal_entry e = entry("a@example.org", "<a@example.org>");
    struct journal *j;
    struct walk w;
    char err[256];
    uint64_t seq = 0;
    char hash[CHAIN_HASH_BUFSZ];
    FILE *f;

    if (!ok(journal_open(p, &j, err, sizeof(err)) == 0, "open %s", p))
        return;
    journal_write(j, &e);
    journal_write(j, &e);
    journal_close(j);
    unlink(head);
    journal_open(p, &j, err, sizeof(err));
    journal_write(j, &e);
    ok(journal_head(j, &seq, hash) == 0 && seq == 3, "head file removed: the next line is seq 3 (%llu)",
       (unsigned long long) seq);
    journal_close(j);
    w = walk((const char *[]){p, NULL});
    ok(w.lines == 3 && w.bad == 0, "and the chain is unbroken");
    /* a head ahead of the file: lines were lost (a crash before they reached the disk) */
    if ((f = fopen(head, "r+")) != NULL) {
        fprintf(f, "%020d %s\n", 9, CHAIN_GENESIS);
        fclose(f);
    }
    journal_open(p, &j, err, sizeof(err));
    journal_write(j, &e);
    journal_head(j, &seq, hash);
    journal_close(j);
    ok(seq == 10, "a head file ahead of the file wins: the next line is seq 10, the gap stays visible (%llu)",
       (unsigned long long) seq);
}

/* cleanup - remove the directory and everything in it */
static void cleanup(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[600];

    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.') {
            snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    ok(rmdir(dir) == 0, "temporary directory removed");
}

/* main - every test in a private directory */
int main(void)
{
    snprintf(dir, sizeof(dir), "%s/optin-test-chain.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp failed\n");
        return 99;
    }
    test_batch();
    test_redact();
    test_two_writers();
    test_rotation();
    test_head_lost();
    cleanup();
    return tap_done();
}
