/*
 * NAME
 *	test_csvload - TAP tests of the two-pass CSV loader
 * DESCRIPTION
 *	Files are written to a private directory under $TMPDIR; diagnostics
 *	(log.c on stderr) go to a file there while a reader runs and are
 *	matched as text. Covers line numbers
 *	(LF, CRLF, CR, quoted line breaks), the byte order mark, header
 *	mapping, the field caps, the field-count check, the printed-error
 *	cap, spooling of a pipe, the changed-between-passes refusal and
 *	batches with a flush that fails.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "tap.h"
#include "util/csvload.h"
#include "util/log.h"

#define MAX_ROWS 64

/* The columns of every test: a (required), b (or bee), long_name. */
static const struct csvload_column test_columns[] = {
    {.names = {"a"}, .required = "an a column"},
    {.names = {"b", "bee"}},
    {.names = {"long_name"}},
};

/* What the callbacks saw, and how they behave. */
struct seen {
    size_t rows;                    /* records handed to the record callback */
    unsigned long line[MAX_ROWS];
    char a[MAX_ROWS][32];
    size_t a_len[MAX_ROWS];
    char a_name[32];
    char b[MAX_ROWS][32];
    int report_all;                 /* every record is invalid */
    int want_b;                     /* header callback: a b column is required */
    struct csvload_batch *batch;
    size_t flushes, flushed[8];     /* rows of each flush */
    unsigned long first_line[8];    /* line of the first row of each flush */
    size_t fail_on;                 /* flush number that fails (1-based), 0 never */
};

/* One run: the reader, its diagnostics and its status. */
struct run {
    char diag[65536];               /* stderr while the run lasts */
    int saved_stderr;
    struct csvload *cl;
    struct seen seen;
    int rc;
};

static char dir[PATH_MAX];
static char err_path[PATH_MAX + 16];   /* where stderr goes while a reader runs */

/* on_header - header callback: optionally insist on a b column */
static int on_header(struct csvload *cl, unsigned long line, void *arg)
{
    struct seen *s = arg;

    if (!s->want_b || csvload_has_column(cl, 1))
        return 0;
    csvload_error(cl, line, "header", "a b column (test)", NULL, 0);
    return CSVLOAD_INVALID;
}

/* on_record - record callback: keep what was seen; invalid when asked; queue in pass 2 */
static int on_record(struct csvload *cl, const struct csvload_record *rec, void *arg)
{
    struct seen *s = arg;
    int value;

    if (s->rows < MAX_ROWS) {
        s->line[s->rows] = rec->line;
        snprintf(s->a[s->rows], sizeof(s->a[0]), "%s", rec->field[0].text);
        s->a_len[s->rows] = rec->field[0].len;
        snprintf(s->b[s->rows], sizeof(s->b[0]), "%s", rec->field[1].text);
        snprintf(s->a_name, sizeof(s->a_name), "%s", rec->field[0].name);
    }
    s->rows++;
    if (s->report_all) {
        csvload_error(cl, rec->line, "a", "something else", rec->field[0].text, rec->field[0].len);
        return CSVLOAD_INVALID;
    }
    value = atoi(rec->field[0].text);
    return rec->apply && s->batch != NULL ? csvload_batch_add(s->batch, &value, rec->line) : 0;
}

/* on_flush - flush callback: count the rows, fail when told to */
static int on_flush(struct csvload_batch *b, void *rows, size_t count, void *arg)
{
    struct seen *s = arg;
    size_t n = s->flushes++;

    (void) rows;
    if (n < 8) {
        s->flushed[n] = count;
        s->first_line[n] = csvload_batch_line(b, 0);
    }
    return s->fail_on == n + 1 ? EX_TEMPFAIL : 0;
}

/* path_of - name inside the test directory */
static const char *path_of(const char *name)
{
    static char path[PATH_MAX + 64];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* put - write len bytes to a file of the test directory; its path */
static const char *put(const char *name, const char *data, size_t len)
{
    const char *path = path_of(name);
    FILE *fp = fopen(path, "wb");

    if (fp != NULL) {
        fwrite(data, 1, len, fp);
        fclose(fp);
    }
    return path;
}

/* put_str - put a NUL-terminated text */
static const char *put_str(const char *name, const char *text)
{
    return put(name, text, strlen(text));
}

/* start - open path with the test columns, diagnostics to memory; 0 or the open status */
static int start(struct run *r, const char *path, unsigned flags, size_t keep)
{
    struct csvload_spec spec = {
        .progname = "test", .command = "load", .columns = test_columns, .ncolumns = 3,
        .keep = keep, .flags = flags, .header = on_header, .record = on_record, .arg = &r->seen,
    };

    int fd = open(err_path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    fflush(stderr);
    r->saved_stderr = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    return csvload_open(&spec, path, &r->cl);
}

/* check - open and run pass 1 */
static int check(struct run *r, const char *path, unsigned flags, size_t keep)
{
    if ((r->rc = start(r, path, flags, keep)) == 0)
        r->rc = csvload_check(r->cl);
    return r->rc;
}

/* diag - what the run wrote to stderr so far */
static const char *diag(struct run *r)
{
    ssize_t n;

    fflush(stderr);
    n = pread(STDERR_FILENO, r->diag, sizeof(r->diag) - 1, 0);
    r->diag[n > 0 ? n : 0] = '\0';
    return r->diag;
}

/* said - do the diagnostics hold text? */
static int said(struct run *r, const char *text)
{
    return strstr(diag(r), text) != NULL;
}

/* count_lines - diagnostic lines holding text */
static int count_lines(struct run *r, const char *text)
{
    int n = 0;

    for (const char *p = diag(r); (p = strstr(p, text)) != NULL; p++)
        n++;
    return n;
}

/* finish - close the reader, give stderr back */
static void finish(struct run *r)
{
    csvload_close(r->cl);
    fflush(stderr);
    dup2(r->saved_stderr, STDERR_FILENO);
    close(r->saved_stderr);
    memset(r, 0, sizeof(*r));
}

/* refused - pass 1 refuses a file (EX_DATAERR) with a diagnostic holding text */
static int refused(const char *name, const char *data, unsigned flags, const char *text)
{
    struct run r = {0};
    int pass = check(&r, put_str(name, data), flags, 64) == EX_DATAERR && said(&r, text);

    finish(&r);
    return pass;
}

/* test_lines - physical lines across LF, CRLF, CR, a quoted line break and a blank line */
static void test_lines(void)
{
    static const char data[] = "a,b\r\n1,x\r2,y\n\"multi\nline\",z\r\n\r\n3,w";
    struct run r = {0};

    ok(check(&r, put("lines.csv", data, sizeof(data) - 1), 0, 64) == 0, "lines: file read");
    ok(r.seen.rows == 4, "lines: four records (blank line skipped)");
    ok(r.seen.line[0] == 2 && r.seen.line[1] == 3, "lines: CRLF then CR end a line");
    ok(r.seen.line[2] == 4 && strcmp(r.seen.a[2], "multi\nline") == 0,
       "lines: a quoted line break stays in the field, the record starts at line 4");
    ok(r.seen.line[3] == 7 && strcmp(r.seen.b[3], "w") == 0, "lines: last line without a line end");
    finish(&r);

    ok(refused("quote.csv", "a,b\n1,x\"y\n", 0,
               "/quote.csv:2: CSV syntax: a quote only around a whole field"),
       "lines: a stray quote named with its line");
    ok(refused("open.csv", "a,b\n1,2\n3,\"x\n\n", 0,
               "open.csv:3: CSV syntax: a closing quote for the field opened here"),
       "lines: an unclosed quote named with the line of its record");
    ok(refused("empty.csv", "\n\n", 0,
               "empty.csv:3: header: a header line naming the columns (the file is empty)"),
       "lines: a file without a header");
}

/* test_header - byte order mark, case, spellings, duplicates, unknown and missing columns */
static void test_header(void)
{
    static const char bom[] = "\xef\xbb\xbf" "A,B\n1,2\n";
    struct run r = {0};

    ok(check(&r, put("bom.csv", bom, sizeof(bom) - 1), 0, 64) == 0 && r.seen.rows == 1
       && strcmp(r.seen.a[0], "1") == 0 && strcmp(r.seen.b[0], "2") == 0,
       "header: byte order mark skipped, names matched without case");
    ok(strcmp(r.seen.a_name, "A") == 0, "header: the header's spelling is kept for messages");
    finish(&r);

    ok(check(&r, put_str("loose.csv", "a,B_e-e,LONG NAME\n1,2,3\n"), CSVLOAD_LOOSE_NAMES, 64) == 0
       && strcmp(r.seen.b[0], "2") == 0, "header: loose names, second spelling");
    finish(&r);
    ok(refused("strict.csv", "a,long name\n1,2\n", 0,
               "strict.csv:1: header: a column name out of a, b, long_name (got 'long name')"),
       "header: unknown name refused, the columns listed");
    ok(refused("dup.csv", "a,b,A\n1,2,3\n", 0, "dup.csv:1: header: each column once (got 'A')"),
       "header: a column named twice refused");
    ok(check(&r, put_str("other.csv", "a,x,A,b\n1,2,3,4\n"), CSVLOAD_OTHER_COLUMNS, 64) == 0
       && strcmp(r.seen.a[0], "1") == 0 && strcmp(r.seen.b[0], "4") == 0,
       "header: OTHER_COLUMNS skips unknown and repeated columns");
    finish(&r);

    r.seen.want_b = 1;
    ok(check(&r, put_str("missing.csv", "long_name\nx\n"), 0, 64) == EX_DATAERR
       && said(&r, "missing.csv:1: header: an a column\n")
       && said(&r, "missing.csv:1: header: a b column (test)\n"),
       "header: missing required column and the caller's check, both reported");
    finish(&r);
}

/* test_fields - kept bytes, real length, display of long and control values, the hard cap, trimming */
static void test_fields(void)
{
    char *big;
    struct run r = {0};

    r.seen.report_all = 1;
    big = malloc(104);
    memcpy(big, "a\n", 2);
    memset(big + 2, 'x', 100);
    memcpy(big + 102, "\n", 2);
    ok(check(&r, put_str("long.csv", big), 0, 16) == EX_DATAERR, "fields: invalid row refused");
    free(big);
    ok(strlen(r.seen.a[0]) == 16 && r.seen.a_len[0] == 100, "fields: 16 bytes kept, length 100 told");
    ok(said(&r, "long.csv:2: a: something else (got 'xxxxxxxxxxxxxxxx')"),
       "fields: a kept value that fits is shown whole");
    finish(&r);

    r.seen.report_all = 1;
    big = malloc(200);
    memcpy(big, "a\n", 2);
    memset(big + 2, 'y', 197);
    big[199] = '\n';
    check(&r, put("longer.csv", big, 200), 0, 1024);
    ok(said(&r, "longer.csv:2: a: something else (got 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...', 197 bytes)"),
       "fields: a long value cut at 60 characters, its size told");
    free(big);
    finish(&r);

    r.seen.report_all = 1;
    check(&r, put_str("ctl.csv", "a\n\"t\tab\xff\"\n"), 0, 64);
    ok(said(&r, "(got 't\\x09ab\\xff')"), "fields: control bytes and invalid UTF-8 as \\xNN");
    finish(&r);

    big = malloc(CSVLOAD_FIELD_HARD_MAX + 64);
    memcpy(big, "a\n1\n\"", 5);
    memset(big + 5, 'z', CSVLOAD_FIELD_HARD_MAX + 32);
    memcpy(big + CSVLOAD_FIELD_HARD_MAX + 37, "\"\n", 2);
    ok(check(&r, put("huge.csv", big, CSVLOAD_FIELD_HARD_MAX + 39), 0, 64) == EX_DATAERR
       && said(&r, "huge.csv:3: CSV syntax: fields shorter than 1 MiB (unbalanced quote?)"),
       "fields: a field over the hard cap stops the pass at its record");
    free(big);
    finish(&r);

    ok(check(&r, put_str("trim.csv", "a,b\n\" x \t\",\"\r\ny \"\n"), CSVLOAD_TRIM, 64) == 0
       && strcmp(r.seen.a[0], "x") == 0 && r.seen.a_len[0] == 1 && strcmp(r.seen.b[0], "y") == 0,
       "fields: TRIM strips white space inside quotes");
    finish(&r);
}

/* test_counts - field-count check, --skip-invalid, and the cap on printed errors */
static void test_counts(void)
{
    char data[4096];
    size_t len;
    struct run r = {0};

    ok(check(&r, put_str("count.csv", "a,b\n1\n1,2,3\n4,5\n"), 0, 64) == EX_DATAERR,
       "counts: short and long records refused");
    ok(said(&r, "count.csv:2: record: 2 fields as in the header (got '1')")
       && said(&r, "count.csv:3: record: 2 fields as in the header (got '3')"),
       "counts: each named with its line");
    ok(said(&r, "count.csv: 2 of 3 rows invalid, nothing imported "
            "(--skip-invalid imports the valid ones)"), "counts: nothing imported");
    ok(r.seen.rows == 1, "counts: only the good record reaches the caller");
    finish(&r);
    ok(check(&r, path_of("count.csv"), CSVLOAD_SKIP_INVALID, 64) == 0
       && csvload_stats(r.cl)->invalid == 2 && csvload_stats(r.cl)->rows == 3,
       "counts: SKIP_INVALID goes on, counting");
    finish(&r);

    len = (size_t) snprintf(data, sizeof(data), "a\n");
    for (int i = 0; i < 150; i++)
        len += (size_t) snprintf(data + len, sizeof(data) - len, "%d\n", i);
    r.seen.report_all = 1;
    check(&r, put("cap.csv", data, len), 0, 64);
    ok(count_lines(&r, ": a: something else") == CSVLOAD_ERROR_CAP, "cap: 100 errors printed");
    ok(said(&r, "cap.csv:101: a: something else (got '99')\n"), "cap: the last one printed");
    ok(said(&r, "test: ... and 50 more\n"), "cap: the rest counted");
    ok(csvload_stats(r.cl)->errors == 150, "cap: every error counted");
    finish(&r);
}

/* feed_pipe - a child writes rows lines of CSV into a pipe that becomes standard input; its pid */
static pid_t feed_pipe(int rows, int *saved_stdin)
{
    int fds[2];
    pid_t pid;

    if (pipe(fds) != 0 || (pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        FILE *fp = fdopen(fds[1], "w");

        close(fds[0]);
        fputs("a,b\n", fp);
        for (int i = 0; i < rows; i++)
            fprintf(fp, "%d,row number %d of a pipe too big for its buffer\n", i, i);
        fclose(fp);
        _exit(0);
    }
    close(fds[1]);
    *saved_stdin = dup(STDIN_FILENO);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    return pid;
}

/* test_spool - a pipe on standard input is spooled to an unlinked file and read twice */
static void test_spool(void)
{
    char spooldir[PATH_MAX + 64], label[64];
    int saved = -1, status = -1, entries = 0;
    struct run r = {0};
    pid_t pid;

    snprintf(spooldir, sizeof(spooldir), "%s", path_of("spool"));
    mkdir(spooldir, 0700);
    setenv("TMPDIR", spooldir, 1);
    if ((pid = feed_pipe(20000, &saved)) < 0) {
        ok(0, "spool: cannot make a pipe");
        return;
    }
    ok(start(&r, "-", 0, 64) == 0, "spool: standard input opened");
    waitpid(pid, &status, 0);
    dup2(saved, STDIN_FILENO);
    close(saved);
    entries = rmdir(spooldir) == 0;
    ok(entries, "spool: the spool file is already unlinked");
    ok(csvload_check(r.cl) == 0 && csvload_stats(r.cl)->rows == 20000, "spool: pass 1 reads every row");
    ok(csvload_apply(r.cl, NULL) == 0 && csvload_stats(r.cl)->rows == 20000,
       "spool: pass 2 reads them again");
    ok(strcmp(csvload_name(r.cl), "stdin") == 0, "spool: named stdin");
    csvload_label(r.cl, "import:", label, sizeof(label));
    ok(strcmp(label, "import:stdin") == 0, "spool: label import:stdin");
    finish(&r);

    setenv("TMPDIR", path_of("no-such-dir"), 1);
    pid = feed_pipe(1, &saved);
    ok(start(&r, "-", 0, 64) == EX_CANTCREAT && said(&r, "cannot create a spool file"),
       "spool: an unusable TMPDIR is EX_CANTCREAT");
    waitpid(pid, &status, 0);
    dup2(saved, STDIN_FILENO);
    close(saved);
    finish(&r);
    unsetenv("TMPDIR");
}

/* test_input - unreadable input, a changed file, the label */
static void test_input(void)
{
    char label[64];
    const char *path;
    FILE *fp;
    struct run r = {0};

    ok(start(&r, path_of("absent.csv"), 0, 64) == EX_NOINPUT && said(&r, "cannot read "),
       "input: a missing file is EX_NOINPUT");
    finish(&r);
    ok(start(&r, dir, 0, 64) == EX_NOINPUT && said(&r, "Is a directory"),
       "input: a directory is EX_NOINPUT");
    finish(&r);

    path = put_str("change.csv", "a,b\n1,2\n");
    ok(check(&r, path, 0, 64) == 0, "changed: pass 1 reads the file");
    if ((fp = fopen(path, "a")) != NULL) {
        fputs("3,4\n", fp);
        fclose(fp);
    }
    ok(csvload_apply(r.cl, NULL) == EX_TEMPFAIL
       && said(&r, "test: load ") && said(&r, "change.csv: the file changed while it was read; nothing imported"),
       "changed: pass 2 refused when the file grew");
    ok(r.seen.rows == 1, "changed: no record applied");
    finish(&r);

    path = put_str("we\x01ird\xffname.csv", "a\n1\n");
    ok(start(&r, path, 0, 64) == 0, "label: odd file name opened");
    csvload_label(r.cl, "import:", label, sizeof(label));
    ok(strcmp(label, "import:we?ird?name.csv") == 0, "label: unprintable bytes as '?'");
    csvload_label(r.cl, "import:", label, 12);
    ok(strcmp(label, "import:we?i") == 0, "label: cut to fit, never marked");
    finish(&r);
}

/* test_batch - flushed every N rows, then the last partial batch; a failing flush stops the pass */
static void test_batch(void)
{
    static const char data[] = "a\n1\n2\n3\n4\n5\n6\n7\n";
    struct run r = {0};

    ok(check(&r, put("batch.csv", data, sizeof(data) - 1), 0, 64) == 0, "batch: pass 1");
    r.seen.batch = csvload_batch_new(r.cl, sizeof(int), 3, on_flush, &r.seen);
    ok(csvload_apply(r.cl, r.seen.batch) == 0, "batch: pass 2");
    ok(r.seen.flushes == 3 && r.seen.flushed[0] == 3 && r.seen.flushed[1] == 3
       && r.seen.flushed[2] == 1, "batch: 3 + 3 rows when full, then the last 1");
    ok(r.seen.first_line[0] == 2 && r.seen.first_line[1] == 5 && r.seen.first_line[2] == 8,
       "batch: lines of the rows kept");
    csvload_batch_free(r.seen.batch);
    finish(&r);

    ok(check(&r, path_of("batch.csv"), 0, 64) == 0, "batch: pass 1 again");
    r.seen.batch = csvload_batch_new(r.cl, sizeof(int), 3, on_flush, &r.seen);
    r.seen.fail_on = 2;
    ok(csvload_apply(r.cl, r.seen.batch) == EX_TEMPFAIL, "batch: the flush's status returned");
    ok(r.seen.flushes == 2, "batch: nothing flushed after the failure");
    ok(said(&r, "batch.csv: stopped: the valid rows before line 5 are imported, "
            "none from there on"), "batch: the first line not imported named");
    csvload_batch_free(r.seen.batch);
    finish(&r);
}

/* clean_dir - remove the test directory and what the tests left in it */
static void clean_dir(void)
{
    static const char *const names[] = {
        "lines.csv", "quote.csv", "open.csv", "empty.csv", "bom.csv", "loose.csv", "strict.csv",
        "dup.csv", "other.csv", "missing.csv", "long.csv", "longer.csv", "ctl.csv", "huge.csv",
        "trim.csv", "count.csv", "cap.csv", "change.csv", "we\x01ird\xffname.csv", "batch.csv",
        "stderr",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(path_of(names[i]));
    rmdir(path_of("spool"));
    rmdir(dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/test_csvload.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! cannot create %s\n", dir);
        return 1;
    }
    snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
    log_open("test", LOG_TO_STDERR | LOG_UNLABELLED, 0);
    test_lines();
    test_header();
    test_fields();
    test_counts();
    test_spool();
    test_input();
    test_batch();
    clean_dir();
    return tap_done();
}
