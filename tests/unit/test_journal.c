/*
 * NAME
 *	test_journal 1
 * SUMMARY
 *	TAP tests of the decision journal
 * SYNOPSIS
 *	tests/test_journal
 * DESCRIPTION
 *	Writes journals into a private mkdtemp() directory and reads them
 *	back: the exact text of a full entry (members and their order),
 *	members left out, JSON escaping (each line parsed again with
 *	json_loads() and compared), 8 threads writing 2000 lines each at
 *	once, journal_reopen() after a rename and after the directory was
 *	removed, the file mode and close-on-exec, and write errors on
 *	/dev/full. The directory is removed at the end.
 * DIAGNOSTICS
 *	TAP on stdout. Exit 99 when the temporary directory cannot be made.
 * SEE ALSO
 *	journal(3), tests/tap.h
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal/journal.h"
#include "tap.h"

#define THREADS 8
#define LINES_PER_THREAD 2000
#define T0 INT64_C(1714564800)          /* 2024-05-01T12:00:00Z */
#define MAX_FILES 16

/* The temporary directory and the files made in it, removed at the end. */
struct fixture {
    char dir[256];
    char *files[MAX_FILES];
    size_t nfiles;
};

/* path_in - dir/name, remembered for removal; a static-lifetime copy */
static const char *path_in(struct fixture *fx, const char *name)
{
    char buf[512];

    snprintf(buf, sizeof buf, "%s/%s", fx->dir, name);
    if (fx->nfiles >= MAX_FILES)
        return "/nonexistent/too-many-files";
    return fx->files[fx->nfiles++] = strdup(buf);
}

/* slurp - the whole file as a string (free it), or NULL */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, len = 0, n;

    if (fp == NULL)
        return NULL;
    do {
        if (cap - len < 4096) {
            char *p = realloc(buf, cap = cap * 2 + 8192);

            if (p == NULL)
                break;
            buf = p;
        }
        n = fread(buf + len, 1, cap - len - 1, fp);
        len += n;
    } while (n > 0);
    fclose(fp);
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

/* count_lines - the number of "\n" in text */
static size_t count_lines(const char *text)
{
    size_t n = 0;

    for (; text != NULL && *text != '\0'; text++)
        n += *text == '\n';
    return n;
}

/* cut_member - remove the member that starts with key (",\"pd\":" etc.) up to its closing quote */
static void cut_member(char *line, const char *key)
{
    char *p = strstr(line, key), *end;

    if (p == NULL || (end = strchr(p + strlen(key) + 1, '"')) == NULL)
        return;
    memmove(p, end + 1, strlen(end + 1) + 1);
}

/* unchain - the text without the chain's members (seq, pd, prev, hash): what the entries said */
static void unchain(char *text)
{
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char *nl = strchr(line, '\n'), *p;

        if (nl)
            *nl = '\0';
        if (strncmp(line, "{\"seq\":", 7) == 0) {
            for (p = line + 7; *p >= '0' && *p <= '9'; p++)
                ;
            memmove(line + 1, p + (*p == ','), strlen(p + (*p == ',')) + 1);
        }
        cut_member(line, ",\"pd\":");
        cut_member(line, ",\"prev\":");
        cut_member(line, ",\"hash\":");
        if (strncmp(line, "{\"hash\":", 8) == 0)      /* an entry without members */
            cut_member(line, "\"hash\":");
        if (nl) {
            size_t n = strlen(line);

            line[n] = '\n';
            memmove(line + n + 1, nl + 1, strlen(nl + 1) + 1);
        }
    }
}

/* file_is - the file holds exactly want, the chain's members aside */
static int file_is(const char *path, const char *want)
{
    char *got = slurp(path);
    int same;

    if (got != NULL)
        unchain(got);
    same = got != NULL && strcmp(got, want) == 0;

    if (!same)
        printf("#   %s holds: %s#   wanted:   %s", path, got != NULL ? got : "(unreadable)\n", want);
    free(got);
    return same;
}

/* write_one - open path, write one entry, close; journal_write's result */
static int write_one(const char *path, const struct journal_entry *e)
{
    struct journal *j;
    char err[256];
    int rc = journal_open(path, &j, err, sizeof err);

    if (rc != 0) {
        printf("#   %s\n", err);
        return rc;
    }
    rc = journal_write(j, e);
    journal_close(j);
    return rc;
}

/* test_full_entry - every member, in the documented order, compact */
static void test_full_entry(struct fixture *fx)
{
    const char *path = path_in(fx, "full.log");
    const struct journal_entry e = {
        .time = T0,
        .queue_id = "4VZ1x23Kq9z",
        .client_addr = "192.0.2.10",
        .sender = "news-bounces@example.org",
        .list = "news",
        .recipient = "alice@example.com",
        .verdict = "accept",
        .reason = "consent",
        .mode = "enforce",
        .method = "double-opt-in",
        .consent_time = T0 - 86400,
        .note = "several recipients",
    };

    ok(write_one(path, &e) == 0, "full entry written");
    ok(file_is(path, "{\"time\":\"2024-05-01T12:00:00Z\",\"queue_id\":\"4VZ1x23Kq9z\","
                     "\"client_addr\":\"192.0.2.10\",\"sender\":\"news-bounces@example.org\","
                     "\"list\":\"news\",\"recipient\":\"alice@example.com\",\"verdict\":\"accept\","
                     "\"reason\":\"consent\",\"mode\":\"enforce\",\"method\":\"double-opt-in\","
                     "\"consent_time\":\"2024-04-30T12:00:00Z\",\"note\":\"several recipients\"}\n"),
       "full entry: every member, in order, compact, one line");
}

/* test_absent - NULL strings and zero times are left out */
static void test_absent(struct fixture *fx)
{
    const char *path = path_in(fx, "absent.log");
    const struct journal_entry bulk = {
        .time = T0, .queue_id = "Q1", .sender = "x@example.net",
        .verdict = "reject", .reason = "unattributed-bulk", .mode = "enforce",
    };
    const struct journal_entry none = {.time = 0};
    struct journal *j;
    char err[256];

    if (!ok(journal_open(path, &j, err, sizeof err) == 0, "open %s", path))
        return;
    ok(journal_write(j, &bulk) == 0 && journal_write(j, &none) == 0, "two sparse entries written");
    journal_close(j);
    ok(file_is(path, "{\"time\":\"2024-05-01T12:00:00Z\",\"queue_id\":\"Q1\",\"sender\":\"x@example.net\","
                     "\"verdict\":\"reject\",\"reason\":\"unattributed-bulk\",\"mode\":\"enforce\"}\n{}\n"),
       "absent members left out (no list, recipient, method, consent_time, note; empty entry is {})");
}

/* member_is - obj[key] is the string want */
static int member_is(json_t *obj, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(obj, key));

    if (got == NULL || strcmp(got, want) != 0) {
        printf("#   %s: got \"%s\"\n", key, got != NULL ? got : "(none)");
        return 0;
    }
    return 1;
}

/* test_escaping - quotes, backslashes, control characters and UTF-8 survive a round trip */
static void test_escaping(struct fixture *fx)
{
    static const char quotes[] = "\"quoted\" local\"@example.org";
    static const char backslash[] = "C:\\path\\\\x \\u0041 \\n";
    static const char controls[] = "a\x01" "b\tc\nd\re\x1f" "f\x7f" "g\bh\fi";
    static const char utf8[] = "J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xe2\x80\xa8 <x@b\xc3\xa4r.example>";
    const char *path = path_in(fx, "escape.log");
    const struct journal_entry e = {
        .time = T0, .sender = quotes, .recipient = backslash, .reason = controls, .note = utf8,
    };
    const struct journal_entry bad = {.time = T0, .note = "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe6\x97"};
    char *text;
    json_error_t jerr;
    json_t *obj;

    ok(write_one(path, &e) == 0 && write_one(path, &bad) == 0, "entries with special characters written");
    text = slurp(path);
    ok(text != NULL && count_lines(text) == 2 && strchr(text, '\r') == NULL && strchr(text, '\x01') == NULL
       && strchr(text, '\x1f') == NULL, "two lines, control characters escaped");
    if (text == NULL)
        return;
    *strchr(text, '\n') = '\0';
    obj = json_loads(text, 0, &jerr);
    if (ok(obj != NULL, "escaped line parses back")) {
        ok(member_is(obj, "sender", quotes), "quotes round-trip");
        ok(member_is(obj, "recipient", backslash), "backslashes round-trip");
        ok(member_is(obj, "reason", controls), "control characters round-trip");
        ok(member_is(obj, "note", utf8), "UTF-8 round-trips, kept unescaped");
        ok(strstr(text, "J\xc3\xbcrgen") != NULL, "UTF-8 written as is, not \\u-escaped");
    } else {
        printf("#   %s: %s\n", text, jerr.text);
    }
    json_decref(obj);
    obj = json_loads(text + strlen(text) + 1, 0, &jerr);
    ok(obj != NULL && member_is(obj, "note", "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c"
                                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d\xef\xbf\xbd\xef\xbf\xbd"),
       "invalid UTF-8: the line is still JSON, each bad byte is U+FFFD");
    json_decref(obj);
    free(text);
}

/* What one writer thread does. */
struct writer {
    pthread_t thread;
    struct journal *j;
    int id;
    int failures;
};

/* writer_main - write LINES_PER_THREAD numbered lines */
static void *writer_main(void *arg)
{
    struct writer *w = arg;
    char qid[32], note[256];

    for (int i = 0; i < LINES_PER_THREAD; i++) {
        struct journal_entry e = {
            .time = T0 + i, .queue_id = qid, .sender = "bulk@example.org", .list = "news",
            .recipient = "someone@example.com", .verdict = "accept", .mode = "enforce", .note = note,
        };

        snprintf(qid, sizeof qid, "%d:%d", w->id, i);
        memset(note, 'a' + w->id, sizeof note - 1);
        note[sizeof note - 1] = '\0';
        w->failures += journal_write(w->j, &e) != 0;
    }
    return NULL;
}

/* check_threaded_lines - every line is JSON and each thread's lines are all there, in order */
static int check_threaded_lines(char *text)
{
    int next[THREADS] = {0};
    char *line, *save = NULL;
    int good = 1;

    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        json_t *obj = json_loads(line, 0, NULL);
        const char *qid = json_string_value(json_object_get(obj, "queue_id"));
        int t, i;

        if (qid == NULL || sscanf(qid, "%d:%d", &t, &i) != 2 || t < 0 || t >= THREADS || i != next[t]) {
            if (good)
                printf("#   bad or out-of-order line: %.120s\n", line);
            good = 0;
        } else {
            next[t]++;
        }
        json_decref(obj);
    }
    for (int t = 0; t < THREADS; t++)
        good &= next[t] == LINES_PER_THREAD;
    return good;
}

/* run_writers - THREADS threads running fn on the journal, joined; their failures, *started */
static int run_writers(struct journal *j, void *(*fn)(void *), int *started)
{
    struct writer w[THREADS];
    int failures = 0;

    *started = 0;
    for (int t = 0; t < THREADS; t++) {
        w[t] = (struct writer) {.j = j, .id = t};
        *started += pthread_create(&w[t].thread, NULL, fn, &w[t]) == 0;
    }
    for (int t = 0; t < *started; t++) {
        pthread_join(w[t].thread, NULL);
        failures += w[t].failures;
    }
    return failures;
}

/* test_threads - 8 threads x 2000 lines: 16000 whole lines */
static void test_threads(struct fixture *fx)
{
    const char *path = path_in(fx, "threads.log");
    struct journal *j;
    char err[256], *text;
    int started, failures;

    if (!ok(journal_open(path, &j, err, sizeof err) == 0, "open %s", path))
        return;
    failures = run_writers(j, writer_main, &started);
    ok(started == THREADS, "%d writer threads started", THREADS);
    journal_close(j);
    ok(failures == 0, "every journal_write returned 0 (%d failed)", failures);
    text = slurp(path);
    ok(count_lines(text) == THREADS * LINES_PER_THREAD, "%d lines (got %zu)",
       THREADS * LINES_PER_THREAD, count_lines(text));
    ok(text != NULL && check_threaded_lines(text),
       "each line is valid JSON, no interleaving, each thread's lines complete and in order");
    free(text);
}

#define BATCHES_PER_THREAD 400
#define LINES_PER_BATCH 3

/* batcher_main - commit BATCHES_PER_THREAD batches of LINES_PER_BATCH lines each */
static void *batcher_main(void *arg)
{
    struct writer *w = arg;
    struct journal_batch *b = journal_batch_new();
    char qid[32], rcpt[64];

    for (int i = 0; i < BATCHES_PER_THREAD && b != NULL; i++) {
        snprintf(qid, sizeof qid, "%d:%d", w->id, i);
        for (int k = 0; k < LINES_PER_BATCH; k++) {
            struct journal_entry e = {
                .time = T0 + i, .queue_id = qid, .recipient = rcpt, .verdict = "accept",
                .history_seq = (uint64_t) k + 1,
            };

            snprintf(rcpt, sizeof rcpt, "r%d.%d.%d@example.com", w->id, i, k);
            w->failures += journal_batch_add(b, &e) != 0;
        }
        w->failures += journal_commit(w->j, b) != 0;
    }
    w->failures += b == NULL;
    journal_batch_free(b);
    return NULL;
}

/* check_grouped_lines - seq runs 1, 2, ... with each hash chained on the one before, and each
 * batch's lines stand together in order */
static int check_grouped_lines(char *text)
{
    char prev[CHAIN_HASH_BUFSZ] = CHAIN_GENESIS, hash[CHAIN_HASH_BUFSZ], want_qid[32] = "";
    char *line, *save = NULL;
    uint64_t seq = 0, want_k = 1;

    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        json_t *obj = json_loads(line, 0, NULL);
        const char *qid = json_string_value(json_object_get(obj, "queue_id"));
        uint64_t k = (uint64_t) json_integer_value(json_object_get(obj, "history_seq"));
        struct chain_line cl;
        int good = qid != NULL && chain_scan(line, strlen(line), &cl) == 0 && cl.seq == ++seq
                   && chain_hash(line, &cl, prev, hash) == 0
                   && strncmp(line + cl.hash.off, hash, CHAIN_HASH_HEX) == 0
                   && k == want_k && (k == 1 || strcmp(qid, want_qid) == 0);

        if (good) {
            snprintf(want_qid, sizeof want_qid, "%s", qid);
            want_k = k == LINES_PER_BATCH ? 1 : k + 1;
            memcpy(prev, hash, sizeof prev);
        }
        json_decref(obj);
        if (!good) {
            printf("#   line %" PRIu64 " out of chain or batch order: %.120s\n", seq, line);
            return 0;
        }
    }
    return want_k == 1;
}

/* test_grouped_commits - 8 threads committing 3-line batches at once: one chain, batches whole */
static void test_grouped_commits(struct fixture *fx)
{
    const char *path = path_in(fx, "grouped.log");
    struct journal *j;
    char err[256], *text;
    int started, failures;

    if (!ok(journal_open(path, &j, err, sizeof err) == 0, "open %s", path))
        return;
    failures = run_writers(j, batcher_main, &started);
    journal_close(j);
    ok(started == THREADS && failures == 0, "%d threads committed batches, none failed (%d)", started,
       failures);
    text = slurp(path);
    ok(count_lines(text) == THREADS * BATCHES_PER_THREAD * LINES_PER_BATCH, "%d lines (got %zu)",
       THREADS * BATCHES_PER_THREAD * LINES_PER_BATCH, count_lines(text));
    ok(text != NULL && check_grouped_lines(text),
       "grouped commits: one unbroken chain, every batch's lines together and in order");
    free(text);
}

/* line_with - a one-member entry */
static struct journal_entry line_with(const char *note)
{
    return (struct journal_entry) {.note = note};
}

/* test_reopen - after a rename the old file keeps the old lines, the new one gets the new */
static void test_reopen(struct fixture *fx)
{
    const char *path = path_in(fx, "rotate.log");
    const char *moved = path_in(fx, "rotate.log.1");
    struct journal_entry a = line_with("a"), b = line_with("b"), c = line_with("c");
    struct journal *j;
    char err[256];

    if (!ok(journal_open(path, &j, err, sizeof err) == 0, "open %s", path))
        return;
    journal_write(j, &a);
    ok(rename(path, moved) == 0, "logrotate renames the journal");
    ok(journal_write(j, &b) == 0, "a line after the rename (no reopen yet)");
    ok(journal_reopen(j) == 0, "journal_reopen after the rename");
    ok(journal_write(j, &c) == 0, "a line after the reopen");
    journal_close(j);
    ok(file_is(moved, "{\"note\":\"a\"}\n"), "moved file keeps the old lines");
    ok(file_is(path, "{\"note\":\"b\"}\n{\"note\":\"c\"}\n"),
       "the new file gets every later line: the writer follows the path, not only on reopen");
}

/* test_reopen_failure - the directory is gone: reopen fails, the old descriptor goes on */
static void test_reopen_failure(struct fixture *fx)
{
    char sub[300], path[400], head[420];
    const char *moved = path_in(fx, "gone.log");
    struct journal_entry a = line_with("a"), b = line_with("b");
    struct journal *j;
    char err[256];
    int rc;

    snprintf(sub, sizeof sub, "%s/sub", fx->dir);
    snprintf(path, sizeof path, "%s/j.log", sub);
    if (!ok(mkdir(sub, 0700) == 0 && journal_open(path, &j, err, sizeof err) == 0, "open %s", path))
        return;
    journal_write(j, &a);
    snprintf(head, sizeof head, "%s.head", path);
    ok(rename(path, moved) == 0 && unlink(head) == 0 && rmdir(sub) == 0,
       "journal moved out and its directory removed");
    rc = journal_reopen(j);
    ok(rc == -ENOENT, "journal_reopen fails with -ENOENT (got %d)", rc);
    ok(journal_write(j, &b) == 0, "journal_write still succeeds");
    journal_close(j);
    ok(file_is(moved, "{\"note\":\"a\"}\n{\"note\":\"b\"}\n"), "the old descriptor got the line");
}

/* fd_of - the descriptor of this process open on the same file as path, or -1 */
static int fd_of(const char *path)
{
    struct stat want, got;

    if (stat(path, &want) != 0)
        return -1;
    for (int fd = 3; fd < 1024; fd++)
        if (fstat(fd, &got) == 0 && got.st_dev == want.st_dev && got.st_ino == want.st_ino)
            return fd;
    return -1;
}

/* test_open - mode 0640, close-on-exec, append to an existing file, open errors */
static void test_open(struct fixture *fx)
{
    const char *path = path_in(fx, "mode.log");
    struct journal_entry a = line_with("a"), b = line_with("b");
    struct journal *j = NULL;
    struct stat st;
    char err[512];
    int fd, rc;

    if (!ok(journal_open(path, &j, err, sizeof err) == 0, "open %s", path))
        return;
    ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "created with mode 0640 (umask 022)");
    fd = fd_of(path);
    ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "descriptor is close-on-exec");
    ok(fd >= 0 && (fcntl(fd, F_GETFL) & (O_APPEND | O_ACCMODE)) == (O_APPEND | O_RDWR),
       "opened for append (and reading: the chain continues from the file's tail)");
    journal_write(j, &a);
    journal_close(j);
    ok(write_one(path, &b) == 0 && file_is(path, "{\"note\":\"a\"}\n{\"note\":\"b\"}\n"),
       "a second open appends");
    rc = journal_open("/nonexistent-optin/x/j.log", &j, err, sizeof err);
    ok(rc == -ENOENT && j == NULL && strstr(err, "/nonexistent-optin/x/j.log: cannot open: ") == err,
       "open in a missing directory: -ENOENT, \"PATH: cannot open: ...\" (%s)", err);
    ok(journal_open(NULL, &j, err, sizeof err) == -EINVAL && j == NULL, "NULL path: -EINVAL");
    ok(journal_write(NULL, &a) == -EINVAL, "journal_write(NULL, ...): -EINVAL");
    ok(journal_reopen(NULL) == -EINVAL, "journal_reopen(NULL): -EINVAL");
    journal_close(NULL);
    ok(1, "journal_close(NULL)");
}

/* test_full_disk - a write error is returned as -errno */
static void test_full_disk(void)
{
    struct journal_entry a = line_with("a");
    struct journal *j;
    char err[256];
    int rc;

    if (access("/dev/full", W_OK) != 0 || journal_open("/dev/full", &j, err, sizeof err) != 0) {
        ok(1, "# SKIP /dev/full not available");
        ok(1, "# SKIP /dev/full not available");
        return;
    }
    rc = journal_write(j, &a);
    ok(rc == -ENOSPC, "write to /dev/full: -ENOSPC (got %d)", rc);
    rc = journal_write(j, &a);
    ok(rc == -ENOSPC, "a second write fails the same way (got %d)", rc);
    journal_close(j);
}

/* test_torn_line - a line cut short by a write error is ended before the next one */
static void test_torn_line(struct fixture *fx)
{
    const char *path = path_in(fx, "torn.log");
    struct journal_entry a = line_with("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    struct journal_entry c = line_with("c");
    struct rlimit saved, small;
    struct journal *j;
    char err[256], *text, *second;
    size_t first_len;
    int rc;

    if (getrlimit(RLIMIT_FSIZE, &saved) != 0 || signal(SIGXFSZ, SIG_IGN) == SIG_ERR
        || !ok(journal_open(path, &j, err, sizeof err) == 0, "open %s", path))
        return;
    journal_write(j, &a);
    text = slurp(path);
    first_len = text ? strlen(text) : 0;
    free(text);
    small = saved;
    small.rlim_cur = first_len + 40;   /* room for the first line and part of the next */
    rc = setrlimit(RLIMIT_FSIZE, &small) == 0 ? journal_write(j, &a) : 0;
    setrlimit(RLIMIT_FSIZE, &saved);
    ok(rc == -EFBIG, "a line cut short by the file size limit: -EFBIG (got %d)", rc);
    ok(journal_write(j, &c) == 0, "the next line is written");
    journal_close(j);
    text = slurp(path);
    second = text && strlen(text) > first_len + 40 ? text + first_len + 40 : NULL;
    ok(second != NULL && second[0] == '\n' && strncmp(second + 1, "{\"seq\":2,\"note\":\"c\",", 20) == 0
       && strchr(second + 1, '\n') == second + strlen(second) - 1,
       "the torn line is ended by a newline; the next line stands alone and takes the torn one's seq");
    free(text);
}

/* cleanup - remove every file in the directory (journals and their head files) and the directory */
static void cleanup(struct fixture *fx)
{
    char path[600];
    struct dirent *de;
    DIR *d = opendir(fx->dir);

    for (size_t i = 0; i < fx->nfiles; i++)
        free(fx->files[i]);
    while (d != NULL && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", fx->dir, de->d_name);
            unlink(path);
        }
    if (d != NULL)
        closedir(d);
    ok(rmdir(fx->dir) == 0, "temporary directory removed");
}

/* main - run every test in a private temporary directory */
int main(void)
{
    struct fixture fx = {.nfiles = 0};
    const char *tmp = getenv("TMPDIR");

    umask(022);
    snprintf(fx.dir, sizeof fx.dir, "%s/optin-test-journal.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(fx.dir) == NULL) {
        printf("Bail out! mkdtemp %s failed\n", fx.dir);
        return 99;
    }
    test_full_entry(&fx);
    test_absent(&fx);
    test_escaping(&fx);
    test_threads(&fx);
    test_grouped_commits(&fx);
    test_reopen(&fx);
    test_reopen_failure(&fx);
    test_open(&fx);
    test_full_disk();
    test_torn_line(&fx);
    cleanup(&fx);
    return tap_done();
}
