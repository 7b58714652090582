/*
 * NAME
 *	csvload 3
 * SUMMARY
 *	two-pass CSV loading: columns by header name, checked records,
 *	spooled input, batched commits
 * SYNOPSIS
 *	#include "util/csvload.h"
 *
 *	csvload_open(), csvload_check(), csvload_apply(), csvload_close(),
 *	csvload_error(), csvload_message(), csvload_batch_*(): see there.
 * DESCRIPTION
 *	How a command loads a CSV file into a store, knowing nothing of what
 *	the rows mean: the caller gives its columns and a record callback
 *	that checks a record and, in pass 2, applies it. csvload_open() opens
 *	FILE or "-"; what is not a regular file is first copied to an
 *	unlinked file in $TMPDIR, so that it can be read twice and memory
 *	stays flat. csvload_check() (pass 1) hands every record to the
 *	callback, which reports with csvload_error() and keeps nothing; one
 *	invalid record fails it unless CSVLOAD_SKIP_INVALID. csvload_apply()
 *	(pass 2), refused when the size or modification time changed, lets
 *	the callback queue rows with csvload_batch_add(): copies, committed
 *	by the flush callback when the batch is full and at the end, and
 *	kept until then since a commit may run again (as store_write() does).
 *	A full batch is committed by a writer thread while pass 2 reads and
 *	checks the next one into a second buffer, so the parsing and the
 *	store's writes share the two cores; the next hand-over, the last
 *	flush and csvload_apply() wait for it, so commits stay one at a time
 *	and in file order, and the first that fails stops the pass. The
 *	flush callback runs in that thread: it may use the store, its own
 *	state, csvload_batch_line() and csvload_message(), nothing the record
 *	callback changes.
 *
 *	Lines are physical (LF, CRLF, CR); a record is known by the line
 *	where it starts. A UTF-8 byte order mark is skipped. Header names
 *	match the spellings without case (CSVLOAD_LOOSE_NAMES: nor blanks,
 *	'_', '-'); a name twice or unknown is an error unless
 *	CSVLOAD_OTHER_COLUMNS. Records have as many fields as the header.
 *	spec.keep bytes of a field are kept; one over CSVLOAD_FIELD_HARD_MAX
 *	stops the pass. CSVLOAD_TRIM strips white space in quotes too. On a
 *	terminal, unless CSVLOAD_QUIET, a progress line is shown.
 * DIAGNOSTICS
 *	Lines through log_error() ("optinctl: ..." on stderr for optinctl),
 *	the progress line on stderr erased first. Record and header
 *	problems, in pass 1 only, the first CSVLOAD_ERROR_CAP then "... and N
 *	more": "FILE:LINE: WHAT: EXPECTED (got 'VALUE')", the value cut to
 *	CSVLOAD_SHOW_CHARS characters ("...', N bytes)"), control bytes and
 *	invalid UTF-8 as \xNN. "FILE:LINE: header|CSV syntax: ..." stops a
 *	pass. "COMMAND FILE: ..." lines: rows invalid, nothing imported; the
 *	file changed while it was read; warning: the file changed between the
 *	passes; stopped: the valid rows before line N are imported. Returns
 *	0 or sysexits(3) codes: EX_DATAERR, EX_NOINPUT, EX_IOERR,
 *	EX_CANTCREAT (spool), EX_TEMPFAIL (input changed), EX_SOFTWARE (no
 *	memory), or what a callback returned.
 * BUGS
 *	A change between the passes that keeps size and modification time
 *	is noticed only when the counts differ, and then only warned about.
 * SEE ALSO
 *	libcsv csv(3), text(3)
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>

#include "util/csvload.h"
#include "util/log.h"
#include "util/text.h"

#define CSVLOAD_BUFSZ 65536   /* read size; also the largest chunk given to libcsv */
#define CSVLOAD_NAME_MAX 64   /* a header name kept for messages and matching */
#define CSVLOAD_SHOW_BUFSZ (CSVLOAD_SHOW_CHARS * 4 + sizeof(TEXT_CUT_MARK))
#define CSVLOAD_CSV_OPTIONS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL)
#define CSVLOAD_BOM "\xef\xbb\xbf"
#define CSVLOAD_SPACE " \t\r\n\v\f"   /* stripped by CSVLOAD_TRIM */

/* Progress line on a terminal. */
struct csvload_progress {
    int on;
    int width;                     /* characters on screen, 0 when cleared */
    const char *label;             /* "checking", "importing" */
    off_t total, done;             /* bytes */
    struct timespec start, last;
};

/* The state of one pass, reset before each. */
struct csvload_pass {
    int apply;                     /* pass 2 */
    int rc;                        /* non-zero: stop the pass */
    int header_bad, have_header, in_record, prev_cr;
    unsigned long line;            /* physical line of the next byte */
    unsigned long rec_line;        /* line where the current record starts */
    size_t nf;                     /* fields of the current record so far */
    size_t header_fields;
};

/* The input, the column buffers, and the current pass. */
struct csvload {
    struct csvload_spec spec;
    pthread_mutex_t display_lock;  /* the progress line and messages: a batch's writer reports too */
    int fd;
    const char *path;              /* as given: "-" or a file name */
    const char *name;              /* in diagnostics */
    struct stat st;                /* as opened, to detect a change before pass 2 */
    char *buf;                     /* CSVLOAD_BUFSZ bytes */
    char *values;                  /* spec.ncolumns fields of spec.keep + 1 bytes */
    char spelling[CSVLOAD_MAX_COLUMNS][CSVLOAD_NAME_MAX];  /* each column as the header spells it */
    struct csvload_field field[CSVLOAD_MAX_COLUMNS];
    unsigned char seen[CSVLOAD_MAX_COLUMNS];  /* named in the header */
    int *map;                      /* header position -> column, -1 when skipped */
    size_t map_size;
    struct csvload_stats stats, checked;  /* of this pass, of pass 1 */
    struct csvload_progress progress;
    struct csvload_pass ps;
};

/* Rows kept until one commit: two buffers, one filled while a writer thread commits the other. */
struct csvload_batch {
    struct csvload *cl;
    unsigned char *rows[2];        /* capacity rows of row_size bytes each */
    unsigned long *lines[2];       /* where each comes from */
    size_t row_size, capacity;
    size_t count;                  /* rows in the buffer being filled */
    int fill;                      /* which buffer is being filled */
    int flushing;                  /* the other one is being committed (by writer, or in line) */
    size_t flush_count;            /* its rows */
    int flush_rc;                  /* its commit's status, once writer is joined */
    int writer_live;               /* writer must be joined */
    pthread_t writer;
    csvload_flush_fn flush;
    void *arg;
};

static int batch_settle(struct csvload_batch *b);

/* progress_ms - milliseconds from a to b */
static long progress_ms(const struct timespec *a, const struct timespec *b)
{
    return (long) ((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

/* progress_start - begin a pass; the line is shown only on a terminal and without CSVLOAD_QUIET */
static void progress_start(struct csvload *cl, const char *label)
{
    struct csvload_progress *p = &cl->progress;

    *p = (struct csvload_progress) {.label = label, .total = cl->st.st_size,
        .on = !(cl->spec.flags & CSVLOAD_QUIET) && isatty(STDERR_FILENO)};
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->last = p->start;
    p->last.tv_sec -= 1;  /* the first update draws at once */
}

/* progress_clear - erase the progress line */
static void progress_clear(struct csvload *cl)
{
    if (cl->progress.width > 0) {
        fprintf(stderr, "\r%*s\r", cl->progress.width, "");
        cl->progress.width = 0;
    }
}

/* progress_update - redraw at most 4 times a second: percentage of bytes and rows/s */
static void progress_update(struct csvload *cl)
{
    struct csvload_progress *p = &cl->progress;
    struct timespec now;
    long ms, pct;
    int w;

    if (!p->on)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (progress_ms(&p->last, &now) < 250)
        return;
    p->last = now;
    ms = progress_ms(&p->start, &now);
    pct = p->total > 0 ? (long) (p->done * 100 / p->total) : 100;
    w = fprintf(stderr, "\r%s: %s %s: %s %3ld%% %lu rows/s ", cl->spec.progname, cl->spec.command,
                cl->name, p->label, pct,
                ms > 0 ? (unsigned long) (cl->stats.rows * 1000.0 / ms) : 0UL);
    if (w > 1 && w - 1 < p->width)
        fprintf(stderr, "%*s", p->width - (w - 1), "");
    if (w > 1 && w - 1 > p->width)
        p->width = w - 1;
}

/* csvload_message - one diagnostic line through log.c, the progress line erased first */
void csvload_message(struct csvload *cl, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&cl->display_lock);
    progress_clear(cl);
    log_error("%s", text);
    pthread_mutex_unlock(&cl->display_lock);
}

/* shown_whole - are len bytes at most CSVLOAD_SHOW_CHARS characters, as text_escape() counts? */
static int shown_whole(const char *val, size_t len)
{
    size_t i = 0, n, chars = 0;

    while (i < len) {
        if (++chars > CSVLOAD_SHOW_CHARS)
            return 0;
        n = text_utf8_len(val + i, len - i);
        i += n > 0 ? n : 1;
    }
    return 1;
}

/* csvload_error - count one record or header error, print it in pass 1 unless over the cap */
void csvload_error(struct csvload *cl, unsigned long line, const char *what, const char *expected,
                   const char *val, size_t len)
{
    char shown[CSVLOAD_SHOW_BUFSZ];
    size_t kept = len < cl->spec.keep ? len : cl->spec.keep;

    cl->stats.errors++;
    if (cl->ps.apply || cl->stats.printed >= CSVLOAD_ERROR_CAP)
        return;
    cl->stats.printed++;
    if (val == NULL) {
        csvload_message(cl, "%s:%lu: %s: %s", cl->name, line, what, expected);
        return;
    }
    text_escape(val, kept, CSVLOAD_SHOW_CHARS, 0, shown, sizeof(shown));
    if (shown_whole(val, kept))
        csvload_message(cl, "%s:%lu: %s: %s (got '%s')", cl->name, line, what, expected, shown);
    else
        csvload_message(cl, "%s:%lu: %s: %s (got '%s', %zu bytes)", cl->name, line, what,
                        expected, shown, len);
}

/* csvload_fatal - a problem that stops the pass (header, CSV syntax) */
static void csvload_fatal(struct csvload *cl, unsigned long line, const char *what,
                          const char *detail)
{
    cl->ps.rc = EX_DATAERR;
    csvload_message(cl, "%s:%lu: %s: %s", cl->name, line, what, detail);
}

/* name_fold - a name for matching: lower case (LOOSE: without blanks, '_', '-'); -1 when too long or with NUL */
static int name_fold(const char *in, size_t len, unsigned flags, char out[CSVLOAD_NAME_MAX])
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char c = in[i];

        if ((flags & CSVLOAD_LOOSE_NAMES) && (c == ' ' || c == '\t' || c == '_' || c == '-'))
            continue;
        if (c == '\0' || o + 1 >= CSVLOAD_NAME_MAX)
            return -1;
        out[o++] = (char) (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out[o] = '\0';
    return 0;
}

/* column_match - the column a header name stands for, -1 when none */
static int column_match(const struct csvload *cl, const char *name, size_t len)
{
    const struct csvload_column *cols = cl->spec.columns;
    char got[CSVLOAD_NAME_MAX], want[CSVLOAD_NAME_MAX];

    if (name == NULL || name_fold(name, len, cl->spec.flags, got) != 0)
        return -1;
    for (size_t col = 0; col < cl->spec.ncolumns; col++)
        for (size_t s = 0; s < CSVLOAD_SPELLINGS && cols[col].names[s] != NULL; s++)
            if (name_fold(cols[col].names[s], strlen(cols[col].names[s]), cl->spec.flags, want) == 0
                && strcmp(got, want) == 0)
                return (int) col;
    return -1;
}

/* map_reserve - room in the header map for position pos; stops the pass when out of memory */
static int map_reserve(struct csvload *cl, size_t pos)
{
    size_t size = cl->map_size ? cl->map_size : 16;
    int *map;

    if (pos < cl->map_size)
        return 0;
    while (size <= pos)
        size *= 2;
    if ((map = realloc(cl->map, size * sizeof(*map))) == NULL) {
        csvload_message(cl, "%s: out of memory", cl->name);
        cl->ps.rc = EX_SOFTWARE;
        return -1;
    }
    cl->map = map;
    cl->map_size = size;
    return 0;
}

/* unknown_column - report a header name that is no column, listing the first spellings */
static void unknown_column(struct csvload *cl, const char *name, size_t len)
{
    char expected[1024] = "a column name out of ";
    size_t o = strlen(expected);
    const char *sep = "";

    for (size_t col = 0; col < cl->spec.ncolumns && o < sizeof(expected); col++) {
        if (cl->spec.columns[col].names[0] == NULL)
            continue;
        o += (size_t) snprintf(expected + o, sizeof(expected) - o, "%s%s", sep,
                               cl->spec.columns[col].names[0]);
        sep = ", ";
    }
    csvload_error(cl, cl->ps.rec_line, "header", expected, name, len);
}

/* header_field - map one column name of the header */
static void header_field(struct csvload *cl, size_t pos, const char *name, size_t len)
{
    int col;

    if (map_reserve(cl, pos) != 0)
        return;
    cl->map[pos] = -1;
    col = column_match(cl, name, len);
    if (col >= 0 && !cl->seen[col]) {
        cl->seen[col] = 1;
        cl->map[pos] = col;
        text_escape(name, len, 0, 0, cl->spelling[col], CSVLOAD_NAME_MAX);
        return;
    }
    if (cl->spec.flags & CSVLOAD_OTHER_COLUMNS)
        return;
    if (col >= 0)
        csvload_error(cl, cl->ps.rec_line, "header", "each column once", name, len);
    else
        unknown_column(cl, name != NULL ? name : "", len);
    cl->ps.header_bad = 1;
}

/* header_end - the header as a whole: required columns, then the caller's check */
static void header_end(struct csvload *cl)
{
    const struct csvload_column *cols = cl->spec.columns;
    int r;

    cl->ps.have_header = 1;
    cl->ps.header_fields = cl->ps.nf;
    for (size_t col = 0; col < cl->spec.ncolumns; col++) {
        if (cols[col].required != NULL && !cl->seen[col]) {
            csvload_error(cl, cl->ps.rec_line, "header", cols[col].required, NULL, 0);
            cl->ps.header_bad = 1;
        }
    }
    if (cl->spec.header != NULL && cl->ps.rc == 0) {
        r = cl->spec.header(cl, cl->ps.rec_line, cl->spec.arg);
        if (r < 0)
            cl->ps.header_bad = 1;
        else if (r > 0)
            cl->ps.rc = r;
    }
    if (cl->ps.header_bad && cl->ps.rc == 0)
        cl->ps.rc = EX_DATAERR;
}

/* keep_field - the first spec.keep bytes of a field for its column, and its real length */
static void keep_field(struct csvload *cl, size_t col, const char *data, size_t len)
{
    char *dst = cl->values + col * (cl->spec.keep + 1);
    size_t kept;

    if (data == NULL)
        len = 0;
    if (len > 0) {                     /* "'=x" as optinctl export guards formulas: "=x" */
        size_t guard = text_cell_unguard(data, len);

        data += guard;
        len -= guard;
    }
    if (cl->spec.flags & CSVLOAD_TRIM) {
        for (; len > 0 && memchr(CSVLOAD_SPACE, data[0], sizeof(CSVLOAD_SPACE) - 1); len--)
            data++;
        while (len > 0 && memchr(CSVLOAD_SPACE, data[len - 1], sizeof(CSVLOAD_SPACE) - 1))
            len--;
    }
    kept = len < cl->spec.keep ? len : cl->spec.keep;
    if (kept > 0)
        memcpy(dst, data, kept);
    dst[kept] = '\0';
    cl->field[col].len = len;
}

/* on_field - libcsv field callback: a header name, or a value for its column */
static void on_field(void *data, size_t len, void *arg)
{
    struct csvload *cl = arg;
    size_t pos = cl->ps.nf++;

    if (cl->ps.rc != 0)
        return;
    if (!cl->ps.have_header)
        header_field(cl, pos, data, len);
    else if (pos < cl->ps.header_fields && cl->map[pos] >= 0)
        keep_field(cl, (size_t) cl->map[pos], data, len);
}

/* record_end - a data record is complete: check its field count, hand it to the caller */
static void record_end(struct csvload *cl)
{
    const struct csvload_record rec = {
        .field = cl->field, .line = cl->ps.rec_line, .apply = cl->ps.apply,
    };
    char got[32], expected[64];
    int r = CSVLOAD_INVALID;

    cl->stats.rows++;
    if (cl->ps.nf != cl->ps.header_fields) {
        snprintf(got, sizeof(got), "%zu", cl->ps.nf);
        snprintf(expected, sizeof(expected), "%zu fields as in the header", cl->ps.header_fields);
        csvload_error(cl, cl->ps.rec_line, "record", expected, got, strlen(got));
    } else {
        r = cl->spec.record(cl, &rec, cl->spec.arg);
    }
    if (r < 0)
        cl->stats.invalid++;
    else if (r > 0)
        cl->ps.rc = r;
}

/* clear_fields - every column empty before the next record */
static void clear_fields(struct csvload *cl)
{
    for (size_t col = 0; col < cl->spec.ncolumns; col++) {
        cl->values[col * (cl->spec.keep + 1)] = '\0';
        cl->field[col].len = 0;
    }
}

/* on_record - libcsv record callback: the header first, then data */
static void on_record(int c, void *arg)
{
    struct csvload *cl = arg;

    (void) c;
    cl->ps.in_record = 0;
    if (cl->ps.rc == 0 && !cl->ps.have_header)
        header_end(cl);
    else if (cl->ps.rc == 0)
        record_end(cl);
    cl->ps.nf = 0;
    clear_fields(cl);
}

/* chunk_len - bytes up to and including the first CR or LF (all when none) */
static size_t chunk_len(const char *data, size_t n)
{
    const char *lf = memchr(data, '\n', n);
    const char *cr = memchr(data, '\r', lf ? (size_t) (lf - data) : n);   /* a CR before it */
    const char *end = cr ? cr : lf;

    return end ? (size_t) (end - data) + 1 : n;
}

/* has_content - does the chunk start a record (anything but blanks and line ends)? */
static int has_content(const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')
            return 1;
    return 0;
}

/* feed - give data to libcsv a line at a time, counting physical lines (LF, CRLF or CR) */
static void feed(struct csvload *cl, struct csv_parser *p, const char *data, size_t n)
{
    size_t len;
    char last;

    while (n > 0 && cl->ps.rc == 0) {
        len = chunk_len(data, n);
        if (!cl->ps.in_record && has_content(data, len)) {
            cl->ps.in_record = 1;
            cl->ps.rec_line = cl->ps.line;
        }
        if (csv_parse(p, data, len, on_field, on_record, cl) != len) {
            csvload_fatal(cl, cl->ps.line, "CSV syntax", csv_error(p) == CSV_EPARSE
                          ? "a quote only around a whole field, doubled inside it"
                          : csv_strerror(csv_error(p)));
            break;
        }
        if (csv_get_buffer_size(p) > CSVLOAD_FIELD_HARD_MAX)
            csvload_fatal(cl, cl->ps.rec_line, "CSV syntax",
                          "fields shorter than 1 MiB (unbalanced quote?)");
        last = data[len - 1];
        if (last == '\r' || (last == '\n' && !(len == 1 && cl->ps.prev_cr)))
            cl->ps.line++;
        cl->ps.prev_cr = last == '\r';
        data += len;
        n -= len;
    }
}

/* pass_reset - fresh counters and header state for a pass */
static void pass_reset(struct csvload *cl, int apply)
{
    memset(&cl->stats, 0, sizeof(cl->stats));
    memset(&cl->ps, 0, sizeof(cl->ps));
    memset(cl->seen, 0, cl->spec.ncolumns);
    cl->ps.apply = apply;
    cl->ps.line = 1;
    memset(cl->spelling, 0, sizeof(cl->spelling));
    clear_fields(cl);
}

/* pass_run - one pass over the whole input from its start */
static int pass_run(struct csvload *cl, int apply, const char *label)
{
    struct csv_parser p;
    ssize_t n;
    size_t off;
    int first = 1;

    pass_reset(cl, apply);
    if (lseek(cl->fd, 0, SEEK_SET) != 0 || csv_init(&p, CSVLOAD_CSV_OPTIONS) != 0) {
        csvload_message(cl, "%s: cannot start reading: %s", cl->name, strerror(errno));
        return EX_SOFTWARE;
    }
    csv_set_blk_size(&p, 4096);
    progress_start(cl, label);
    while (cl->ps.rc == 0 && (n = read(cl->fd, cl->buf, CSVLOAD_BUFSZ)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            csvload_message(cl, "%s: read error: %s", cl->name, strerror(errno));
            cl->ps.rc = EX_IOERR;
            break;
        }
        off = first && n >= 3 && memcmp(cl->buf, CSVLOAD_BOM, 3) == 0 ? 3 : 0;
        first = 0;
        feed(cl, &p, cl->buf + off, (size_t) n - off);
        cl->progress.done += n;
        pthread_mutex_lock(&cl->display_lock);
        progress_update(cl);
        pthread_mutex_unlock(&cl->display_lock);
    }
    if (cl->ps.rc == 0 && csv_fini(&p, on_field, on_record, cl) != 0)
        csvload_fatal(cl, cl->ps.rec_line, "CSV syntax", "a closing quote for the field opened here");
    if (cl->ps.rc == 0 && !cl->ps.have_header)
        csvload_fatal(cl, cl->ps.line, "header", "a header line naming the columns (the file is empty)");
    pthread_mutex_lock(&cl->display_lock);
    progress_clear(cl);
    pthread_mutex_unlock(&cl->display_lock);
    csv_free(&p);
    return cl->ps.rc;
}

/* spool_write - write all n bytes of the read buffer to the spool file, short writes resumed */
static int spool_write(struct csvload *cl, const char *path, size_t n)
{
    size_t off = 0;
    ssize_t w;

    while (off < n) {
        if ((w = write(cl->fd, cl->buf + off, n - off)) < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            csvload_message(cl, "spool file %s for %s: %s", path, cl->name, strerror(errno));
            return EX_CANTCREAT;
        }
        off += (size_t) w;
    }
    return 0;
}

/* spool - copy a stream into an unlinked temporary file in $TMPDIR */
static int spool(struct csvload *cl, int from)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    ssize_t n;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/%s-%s.XXXXXX", dir != NULL && *dir ? dir : "/tmp",
             cl->spec.progname, cl->spec.command);
    if ((cl->fd = mkstemp(path)) < 0) {
        csvload_message(cl, "cannot create a spool file %s: %s", path, strerror(errno));
        return EX_CANTCREAT;
    }
    unlink(path);
    while (rc == 0 && (n = read(from, cl->buf, CSVLOAD_BUFSZ)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            csvload_message(cl, "%s: read error: %s", cl->name, strerror(errno));
            rc = EX_IOERR;
        } else {
            rc = spool_write(cl, path, (size_t) n);
        }
    }
    if (rc != 0) {
        close(cl->fd);
        cl->fd = -1;
    }
    return rc;
}

/* input_open - open the path (spooled unless a regular file) or spool standard input */
static int input_open(struct csvload *cl)
{
    int is_stdin = strcmp(cl->path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(cl->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int rc = 0, err = fd < 0 || fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;

    if (err != 0) {
        csvload_message(cl, "cannot read %s: %s", cl->name, strerror(err));
        rc = EX_NOINPUT;
    } else if (S_ISREG(st.st_mode) && !is_stdin) {
        cl->fd = fd;
        fd = -1;
    } else {
        rc = spool(cl, fd);
    }
    if (rc == 0 && fstat(cl->fd, &cl->st) != 0) {
        csvload_message(cl, "cannot read %s: %s", cl->name, strerror(errno));
        rc = EX_IOERR;
    }
    if (fd > STDIN_FILENO)
        close(fd);
    return rc;
}

/* csvload_open - a reader for spec on path, its input ready to be read twice */
int csvload_open(const struct csvload_spec *spec, const char *path, struct csvload **out)
{
    struct csvload *cl = NULL;
    int rc;

    *out = NULL;
    if (spec->ncolumns == 0 || spec->ncolumns > CSVLOAD_MAX_COLUMNS
        || (cl = calloc(1, sizeof(*cl))) == NULL || (cl->buf = malloc(CSVLOAD_BUFSZ)) == NULL
        || (cl->values = calloc(spec->ncolumns, spec->keep + 1)) == NULL) {
        log_error("%s: out of memory", spec->command);
        if (cl != NULL)
            cl->fd = -1;   /* not stdin */
        csvload_close(cl);
        return EX_SOFTWARE;
    }
    pthread_mutex_init(&cl->display_lock, NULL);
    cl->spec = *spec;
    cl->fd = -1;
    cl->path = path;
    cl->name = strcmp(path, "-") ? path : "stdin";
    for (size_t col = 0; col < spec->ncolumns; col++) {
        cl->field[col].text = cl->values + col * (spec->keep + 1);
        cl->field[col].name = cl->spelling[col];
    }
    if ((rc = input_open(cl)) != 0) {
        csvload_close(cl);
        return rc;
    }
    *out = cl;
    return 0;
}

/* csvload_close - close the input, free the reader */
void csvload_close(struct csvload *cl)
{
    if (cl == NULL)
        return;
    if (cl->fd >= 0)
        close(cl->fd);
    free(cl->buf);
    free(cl->values);
    free(cl->map);
    pthread_mutex_destroy(&cl->display_lock);
    free(cl);
}

/* csvload_check - pass 1: every error reported, nothing kept */
int csvload_check(struct csvload *cl)
{
    const struct csvload_stats *st = &cl->stats;
    int rc = pass_run(cl, 0, "checking");

    cl->checked = cl->stats;
    if (st->errors > st->printed)
        csvload_message(cl, "... and %lu more", st->errors - st->printed);
    if (rc == 0 && st->invalid > 0 && !(cl->spec.flags & CSVLOAD_SKIP_INVALID)) {
        csvload_message(cl, "%s %s: %lu of %lu rows invalid, nothing imported "
                        "(--skip-invalid imports the valid ones)", cl->spec.command, cl->name,
                        st->invalid, st->rows);
        rc = EX_DATAERR;
    }
    return rc;
}

/* input_unchanged - same size and modification time as when opened? */
static int input_unchanged(const struct csvload *cl)
{
    struct stat st;

    return fstat(cl->fd, &st) == 0 && st.st_size == cl->st.st_size
        && st.st_mtim.tv_sec == cl->st.st_mtim.tv_sec
        && st.st_mtim.tv_nsec == cl->st.st_mtim.tv_nsec;
}

/* csvload_apply - pass 2 over an unchanged input, then the last batch */
int csvload_apply(struct csvload *cl, struct csvload_batch *batch)
{
    int rc, flushed;

    if (!input_unchanged(cl)) {
        csvload_message(cl, "%s %s: the file changed while it was read; nothing imported",
                        cl->spec.command, cl->name);
        return EX_TEMPFAIL;
    }
    rc = pass_run(cl, 1, "importing");
    if (batch != NULL) {            /* the last rows, or only the commit under way when stopped */
        flushed = rc == 0 ? csvload_batch_flush(batch) : batch_settle(batch);
        rc = rc != 0 ? rc : flushed;
    }
    if (rc == 0 && (cl->stats.rows != cl->checked.rows || cl->stats.invalid != cl->checked.invalid))
        csvload_message(cl, "%s %s: warning: the file changed between the passes", cl->spec.command,
                        cl->name);
    return rc;
}

/* csvload_name - the input in diagnostics */
const char *csvload_name(const struct csvload *cl)
{
    return cl->name;
}

/* csvload_stats - counters of the last pass */
const struct csvload_stats *csvload_stats(const struct csvload *cl)
{
    return &cl->stats;
}

/* csvload_has_column - is the column named in the header? */
int csvload_has_column(const struct csvload *cl, size_t col)
{
    return col < cl->spec.ncolumns && cl->seen[col];
}

/* csvload_label - prefix and base name, cut to outsz, then unprintable bytes as '?' (never cut again) */
void csvload_label(const struct csvload *cl, const char *prefix, char *out, size_t outsz)
{
    char raw[CSVLOAD_LABEL_MAX], clean[CSVLOAD_LABEL_MAX + sizeof(TEXT_CUT_MARK)];
    const char *base = strrchr(cl->path, '/');

    if (outsz == 0)
        return;
    base = base != NULL && base[1] != '\0' ? base + 1 : cl->path;
    snprintf(raw, outsz < sizeof(raw) ? outsz : sizeof(raw), "%s%s", prefix,
             strcmp(cl->path, "-") ? base : "stdin");
    text_escape(raw, strlen(raw), 0, TEXT_QUESTION, clean, sizeof(clean));
    snprintf(out, outsz, "%s", clean);
}

/* csvload_batch_new - an empty batch of capacity rows */
struct csvload_batch *csvload_batch_new(struct csvload *cl, size_t row_size, size_t capacity,
                                        csvload_flush_fn flush, void *arg)
{
    struct csvload_batch *b = calloc(1, sizeof(*b));

    if (b == NULL || capacity == 0) {
        free(b);
        return NULL;
    }
    for (int i = 0; i < 2; i++)
        if ((b->rows[i] = calloc(capacity, row_size)) == NULL
            || (b->lines[i] = calloc(capacity, sizeof(*b->lines[i]))) == NULL) {
            csvload_batch_free(b);
            return NULL;
        }
    b->cl = cl;
    b->row_size = row_size;
    b->capacity = capacity;
    b->flush = flush;
    b->arg = arg;
    return b;
}

/* batch_commit - run the flush callback on the buffer being committed; its status in flush_rc */
static void *batch_commit(void *arg)
{
    struct csvload_batch *b = arg;

    b->flush_rc = b->flush(b, b->rows[!b->fill], b->flush_count, b->arg);
    return NULL;
}

/* batch_settle - wait for the commit under way, if any; 0 or its status, reported */
static int batch_settle(struct csvload_batch *b)
{
    int rc;

    if (!b->flushing)
        return 0;
    if (b->writer_live)
        pthread_join(b->writer, NULL);
    b->writer_live = 0;
    b->flushing = 0;
    if ((rc = b->flush_rc) != 0)
        csvload_message(b->cl, "%s %s: stopped: the valid rows before line %lu are imported, "
                        "none from there on", b->cl->spec.command, b->cl->name,
                        b->lines[!b->fill][0]);
    return rc;
}

/* batch_hand_over - the filled buffer to a writer thread (in line when none can start); the
 * other buffer is filled meanwhile, once the commit before has ended well */
static int batch_hand_over(struct csvload_batch *b, int wait)
{
    int rc;

    if ((rc = batch_settle(b)) != 0 || b->count == 0)
        return rc;
    b->fill = !b->fill;
    b->flush_count = b->count;
    b->count = 0;
    b->flushing = 1;
    b->writer_live = !wait && pthread_create(&b->writer, NULL, batch_commit, b) == 0;
    if (!b->writer_live)
        batch_commit(b);
    return wait ? batch_settle(b) : 0;
}

/* csvload_batch_add - keep a copy of the row; hand the batch to the writer when full */
int csvload_batch_add(struct csvload_batch *b, const void *row, unsigned long line)
{
    memcpy(b->rows[b->fill] + b->count * b->row_size, row, b->row_size);
    b->lines[b->fill][b->count++] = line;
    return b->count == b->capacity ? batch_hand_over(b, 0) : 0;
}

/* csvload_batch_flush - commit every row kept and wait; a failure names the first line not imported */
int csvload_batch_flush(struct csvload_batch *b)
{
    return batch_hand_over(b, 1);
}

/* csvload_batch_line - where row i of the batch being committed comes from */
unsigned long csvload_batch_line(const struct csvload_batch *b, size_t i)
{
    return i < b->flush_count ? b->lines[!b->fill][i] : 0;
}

/* csvload_batch_free - wait for a commit under way, free the batch */
void csvload_batch_free(struct csvload_batch *b)
{
    if (b == NULL)
        return;
    if (b->writer_live)
        pthread_join(b->writer, NULL);
    for (int i = 0; i < 2; i++) {
        free(b->rows[i]);
        free(b->lines[i]);
    }
    free(b);
}
