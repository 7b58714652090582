/*
 * NAME
 *	optinctl_import - bulk import of consent records
 * SUMMARY
 *	CSV into the consent store for optinctl(1)
 * SYNOPSIS
 *	#include "optinctl.h"
 *
 *	int	cmd_import(struct optinctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	cmd_import() implements "optinctl import [-n] [--skip-invalid]
 *	[--resubscribe] [-l LIST] [-q] FILE|-". FILE is CSV (RFC 4180 quoting,
 *	CRLF or LF line ends, an optional UTF-8 byte order mark) whose first
 *	record names the columns, in any order and case: address and list
 *	(required; -l LIST replaces the list column), consented_at,
 *	confirmed_at, source, ip, method (single, double, import; default
 *	import), state (pending, confirmed, unsubscribed; default confirmed)
 *	and policy_version.
 *
 *	Each row is checked: the address normalizes (addr_normalize), the
 *	list is configured, times parse (time_parse) and lie at most a day
 *	after the clock, confirmed_at is not before consented_at, ip is an
 *	IPv4 or IPv6 address (stored in canonical form), source and
 *	policy_version are printable UTF-8 that fits, and the record has as
 *	many fields as the header. An empty source becomes
 *	"import:<basename of FILE>" ("import:stdin" for -), which is also
 *	the source of every history event.
 *
 *	The file is read twice so that memory stays flat whatever its size.
 *	Pass 1 parses and validates every row and keeps none. When a row is
 *	invalid and --skip-invalid is not given, nothing is changed. Pass 2
 *	parses the file again and applies the valid rows with
 *	consent_import_row(), in batches of IMP_BATCH_ROWS rows, one write
 *	transaction each (short enough not to stall other writers), kept in memory until they commit because store_write() may run
 *	a batch again after growing the map. The store is opened without
 *	fsync per commit and synced once at the end. Standard input (and any
 *	FILE that is not a regular file) is spooled to an unlinked temporary
 *	file in $TMPDIR first.
 *
 *	Applying a row never resubscribes an unsubscribed or suppressed
 *	address unless --resubscribe is given; importing the same file twice
 *	leaves the store unchanged the second time.
 *
 *	Export, the way back out, is in optinctl_export.c.
 * DIAGNOSTICS
 *	Every row problem is reported as "optinctl: FILE:LINE: FIELD: what was
 *	expected (got 'value')", LINE being the physical line where the record
 *	starts (LF, CRLF and CR each end a line); values are cut to 60
 *	characters with control bytes and invalid UTF-8 shown as \xNN. At
 *	most 100 are printed, then "... and N more". Header and CSV syntax
 *	problems (a stray quote, an unclosed quote, a field over 1 MiB) stop
 *	the import at once. Unless -q: a progress line while stderr is a
 *	terminal, and one summary line "optinctl: import FILE: N rows, added
 *	A, updated U, unchanged C, kept opt-out K, resubscribed R, skipped S".
 *
 *	Exit status: EX_OK; EX_USAGE for bad options or an unknown -l LIST;
 *	EX_NOINPUT when FILE cannot be read; EX_DATAERR for invalid rows (none
 *	imported), a bad header or bad CSV syntax; EX_CANTCREAT or EX_IOERR
 *	for spool and output files; otherwise ctl_store_exit() of the store
 *	error. A store error in pass 2 leaves the batches before it committed,
 *	and the message names the first line not imported.
 * BUGS
 *	Duplicate (address, list) rows are not reported: the later row is
 *	applied over the earlier one. A file changed between the two passes
 *	is refused when its size or modification time differs, and is
 *	otherwise only warned about.
 * SEE ALSO
 *	optinctl(1), consent.h (consent_import_row), store.h, libcsv csv(3)
 */

#include <arpa/inet.h>
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/addr.h"
#include "config/config.h"
#include "consent/consent.h"
#include "optinctl.h"
#include "consent/store.h"
#include "util/timeutil.h"

#define IMP_BUFSZ 65536                  /* read size; also the largest chunk given to libcsv */
#define IMP_FIELD_KEEP 1024              /* bytes of a field kept: any longer value is invalid */
#define IMP_FIELD_HARD_MAX (1024 * 1024) /* a field this long stops the import (not our CSV) */
#define IMP_BATCH_ROWS 2000              /* rows per write transaction */
#define IMP_ERROR_CAP 100                /* row errors printed */
#define IMP_SHOW_CHARS 60                /* characters of a bad value shown */
#define IMP_SHOW_BUFSZ (IMP_SHOW_CHARS * 4 + 1)
#define IMP_FUTURE_SLACK 86400           /* times may be this far ahead of the clock */
#define IMP_LIST_BUFSZ 65                /* list ids are at most 64 octets */
#define IMP_CSV_OPTIONS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL)

/* Columns of the CSV file, in the order export writes them. */
enum imp_col {
    COL_ADDRESS,
    COL_LIST,
    COL_STATE,
    COL_METHOD,
    COL_CONSENTED_AT,
    COL_CONFIRMED_AT,
    COL_SOURCE,
    COL_IP,
    COL_POLICY_VERSION,
    COL_COUNT
};

static const char *const imp_col_names[COL_COUNT] = {
    [COL_ADDRESS] = "address",
    [COL_LIST] = "list",
    [COL_STATE] = "state",
    [COL_METHOD] = "method",
    [COL_CONSENTED_AT] = "consented_at",
    [COL_CONFIRMED_AT] = "confirmed_at",
    [COL_SOURCE] = "source",
    [COL_IP] = "ip",
    [COL_POLICY_VERSION] = "policy_version",
};

#define IMP_COLUMNS "address, list, state, method, consented_at, confirmed_at, source, ip, policy_version"
#define IMP_TIME_FORMS "a time like 2024-05-01T12:00:00Z, 2024-05-01 or @1714564800"

/* Command-line options of import. */
struct imp_opts {
    int dry_run;
    int skip_invalid;
    int resubscribe;
    int quiet;
    const char *list;  /* -l LIST: id from the configuration */
    const char *path;  /* FILE or "-" */
};

/* The input, regular file or spool, read from the start by each pass. */
struct imp_input {
    int fd;
    const char *name;                /* in diagnostics */
    char source[CONSENT_SOURCE_MAX]; /* "import:<basename>" */
    struct stat st;                  /* as seen by pass 1, to detect changes */
};

/* One valid row, self-contained so that a batch outlives the parser's buffers. */
struct imp_row {
    unsigned long line;
    const char *list;  /* id owned by the configuration */
    enum consent_state state;
    enum consent_method method;
    int64_t consented_at;
    int64_t confirmed_at;
    char address[ADDR_BUFSZ];
    char source[CONSENT_SOURCE_MAX];        /* "" = the file's import source */
    char ip[CONSENT_IP_MAX];                /* "" = none */
    char policy_version[CONSENT_POLICY_MAX]; /* "" = none */
};

/* Counters of a pass. */
struct imp_stats {
    unsigned long rows;     /* data records */
    unsigned long invalid;  /* records with at least one error */
    unsigned long errors;   /* error messages, printed or not */
    unsigned long printed;
    unsigned long outcome[IMPORT_OUTCOME_COUNT];
};

/* Progress line on a terminal. */
struct imp_progress {
    int on;
    const char *label;
    const char *name;
    off_t total;
    off_t done;
    struct timespec start;
    struct timespec last;
    int width;  /* characters on screen, 0 when cleared */
};

/* Called for each data record: row is NULL when invalid; non-zero stops the pass. */
typedef int (*imp_row_fn)(void *arg, const struct imp_row *row);

/* A field of the current record (at most IMP_FIELD_KEEP bytes kept, len is the real size). */
struct imp_field {
    char buf[IMP_FIELD_KEEP + 1];
    size_t len;
};

/* State of one pass over the file. */
struct imp_reader {
    struct optinctl *ctl;
    const struct imp_opts *opt;
    const char *name;
    int report;                /* print row errors (pass 1 only) */
    struct imp_stats *st;
    struct imp_progress *prog;
    imp_row_fn on_row;
    void *arg;
    int rc;                    /* non-zero: stop */
    unsigned long line;        /* physical line of the next byte */
    unsigned long rec_line;    /* line where the current record starts */
    int in_record;
    int prev_cr;
    int have_header;
    int header_bad;            /* an error in the header stops the pass */
    size_t ncols;              /* fields in the header */
    unsigned seen;             /* bit per column named in the header */
    signed char map[COL_COUNT]; /* header position -> column */
    size_t nf;                 /* fields of the current record so far */
    struct imp_field val[COL_COUNT];
    struct imp_row scratch;
};

/* Valid rows waiting for one write transaction. */
struct imp_batch {
    struct optinctl *ctl;
    const char *name;
    struct imp_row *rows;
    size_t count;
    int resubscribe;
    struct change_ctx cctx;
    const char *source;
    size_t failed;                               /* row consent_import_row refused */
    unsigned long outcome[IMPORT_OUTCOME_COUNT]; /* of the current attempt */
    struct imp_stats *st;
};

/* imp_usage - the synopsis and option legend of import */
static void imp_usage(FILE *fp)
{
    fputs("usage: optinctl [global options] import [-n] [--skip-invalid] [--resubscribe]\n"
          "                [-l LIST] [-q] FILE|-\n"
          "  -n, --dry-run       check the whole file, change nothing\n"
          "      --skip-invalid  import the valid rows, list the invalid ones\n"
          "      --resubscribe   let a row override an unsubscription or suppression\n"
          "  -l, --list LIST     every row is for LIST (the list column may be left out)\n"
          "  -q, --quiet         no progress line and no summary\n"
          "  -h, --help          print this help\n"
          "FILE is CSV whose header line names the columns, in any order:\n"
          "  " IMP_COLUMNS "\n"
          "address and list are required; \"-\" reads standard input.\n", fp);
}

/* imp_parse_args - options of import; -1 after --help, else 0 or EX_USAGE */
static int imp_parse_args(struct optinctl *ctl, int argc, char **argv, struct imp_opts *opt)
{
    enum { OPT_SKIP = 256, OPT_RESUBSCRIBE };
    static const struct option longopts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "skip-invalid", no_argument, NULL, OPT_SKIP },
        { "resubscribe", no_argument, NULL, OPT_RESUBSCRIBE },
        { "list", required_argument, NULL, 'l' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(opt, 0, sizeof(*opt));
    optind = 0;  /* glibc: full re-initialisation after main's "+" option scan */
    while ((c = getopt_long(argc, argv, "nl:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': opt->dry_run = 1; break;
        case OPT_SKIP: opt->skip_invalid = 1; break;
        case OPT_RESUBSCRIBE: opt->resubscribe = 1; break;
        case 'l': opt->list = optarg; break;
        case 'q': opt->quiet = 1; break;
        case 'h': imp_usage(stdout); return -1;
        default: imp_usage(stderr); return EX_USAGE;
        }
    }
    if (argc - optind != 1) {
        ctl_error(ctl, "import: %s", argc - optind ? "one FILE only" : "FILE (or -) is missing");
        imp_usage(stderr);
        return EX_USAGE;
    }
    opt->path = argv[optind];
    return 0;
}

/* utf8_seqlen - length of the valid UTF-8 sequence at s, 0 if invalid */
static size_t utf8_seqlen(const unsigned char *s, size_t n)
{
    size_t len, i;
    unsigned char lo = 0x80, hi = 0xbf;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0;
    else if (s[0] == 0xed)
        hi = 0x9f;
    else if (s[0] == 0xf0)
        lo = 0x90;
    else if (s[0] == 0xf4)
        hi = 0x8f;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* imp_show - printable form of a value: at most IMP_SHOW_CHARS characters, control bytes as \xNN; 1 if cut */
static int imp_show(const char *val, size_t len, char out[IMP_SHOW_BUFSZ])
{
    const unsigned char *s = (const unsigned char *) val;
    size_t i = 0, o = 0, chars, n;

    for (chars = 0; i < len && chars < IMP_SHOW_CHARS; chars++) {
        n = utf8_seqlen(s + i, len - i);
        if (n == 1 && s[i] >= 0x20 && s[i] != 0x7f) {
            out[o++] = (char) s[i];
        } else if (n > 1) {
            memcpy(out + o, s + i, n);
            o += n;
        } else {
            snprintf(out + o, 5, "\\x%02x", s[i]);
            o += 4;
            n = 1;
        }
        i += n;
    }
    out[o] = '\0';
    return i < len;
}

/* progress_now - monotonic clock */
static void progress_now(struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
}

/* progress_ms - milliseconds from a to b */
static long progress_ms(const struct timespec *a, const struct timespec *b)
{
    return (long) ((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

/* progress_start - begin a phase; the line is shown only on a terminal and without -q */
static void progress_start(struct imp_progress *p, int quiet, const char *name, const char *label,
                           off_t total)
{
    p->on = !quiet && isatty(STDERR_FILENO);
    p->name = name;
    p->label = label;
    p->total = total;
    p->done = 0;
    p->width = 0;
    progress_now(&p->start);
    p->last = p->start;
    p->last.tv_sec -= 1;  /* the first update draws at once */
}

/* progress_clear - erase the progress line */
static void progress_clear(struct imp_progress *p)
{
    if (p != NULL && p->width > 0) {
        fprintf(stderr, "\r%*s\r", p->width, "");
        p->width = 0;
    }
}

/* progress_update - redraw at most 4 times a second: percentage of bytes and rows/s */
static void progress_update(struct imp_progress *p, unsigned long rows)
{
    struct timespec now;
    long ms, pct;
    int w;

    if (!p->on)
        return;
    progress_now(&now);
    if (progress_ms(&p->last, &now) < 250)
        return;
    p->last = now;
    ms = progress_ms(&p->start, &now);
    pct = p->total > 0 ? (long) (p->done * 100 / p->total) : 100;
    w = fprintf(stderr, "\roptinctl: import %s: %s %3ld%% %lu rows/s ", p->name, p->label, pct,
                ms > 0 ? (unsigned long) (rows * 1000.0 / ms) : 0UL);
    if (w > 1 && w - 1 < p->width)
        fprintf(stderr, "%*s", p->width - (w - 1), "");
    if (w > 1 && w - 1 > p->width)
        p->width = w - 1;
}

/* imp_error - count one row or header error and print it unless over the cap or in pass 2 */
static void imp_error(struct imp_reader *rd, unsigned long line, const char *field,
                      const char *expected, const char *val, size_t len)
{
    char shown[IMP_SHOW_BUFSZ];
    size_t kept = len < IMP_FIELD_KEEP ? len : IMP_FIELD_KEEP;

    rd->st->errors++;
    if (!rd->report || rd->st->printed >= IMP_ERROR_CAP)
        return;
    rd->st->printed++;
    progress_clear(rd->prog);
    if (val == NULL)
        ctl_error(rd->ctl, "%s:%lu: %s: %s", rd->name, line, field, expected);
    else if (imp_show(val, kept, shown))
        ctl_error(rd->ctl, "%s:%lu: %s: %s (got '%s...', %zu bytes)", rd->name, line, field,
                  expected, shown, len);
    else
        ctl_error(rd->ctl, "%s:%lu: %s: %s (got '%s')", rd->name, line, field, expected, shown);
}

/* imp_fatal - a problem that stops the pass (header, CSV syntax); printed in pass 1 only */
static void imp_fatal(struct imp_reader *rd, unsigned long line, const char *what, const char *detail)
{
    rd->rc = EX_DATAERR;
    if (!rd->report)
        return;
    progress_clear(rd->prog);
    ctl_error(rd->ctl, "%s:%lu: %s: %s", rd->name, line, what, detail);
}

/* imp_header_field - map one column name of the header */
static void imp_header_field(struct imp_reader *rd, size_t idx, const char *name, size_t len)
{
    int col;

    for (col = 0; col < COL_COUNT; col++)
        if (name != NULL && strlen(imp_col_names[col]) == len
            && strncasecmp(imp_col_names[col], name, len) == 0)
            break;
    if (col == COL_COUNT) {
        imp_error(rd, rd->rec_line, "header", "a column name out of " IMP_COLUMNS,
                  name != NULL ? name : "", len);
        rd->header_bad = 1;
        return;
    }
    if (rd->seen & (1u << col)) {
        imp_error(rd, rd->rec_line, "header", "each column once", name, len);
        rd->header_bad = 1;
        return;
    }
    rd->seen |= 1u << col;
    if (idx < COL_COUNT)
        rd->map[idx] = (signed char) col;
}

/* imp_header_end - check the header as a whole; any header error stops the import */
static void imp_header_end(struct imp_reader *rd)
{
    rd->ncols = rd->nf;
    rd->have_header = 1;
    if (!(rd->seen & (1u << COL_ADDRESS))) {
        imp_error(rd, rd->rec_line, "header", "an address column", NULL, 0);
        rd->header_bad = 1;
    }
    if (!(rd->seen & (1u << COL_LIST)) && rd->opt->list == NULL) {
        imp_error(rd, rd->rec_line, "header", "a list column (or the option -l LIST)", NULL, 0);
        rd->header_bad = 1;
    }
    if (rd->header_bad)
        rd->rc = EX_DATAERR;
}

/* imp_on_field - libcsv field callback: keep the value for its column */
static void imp_on_field(void *data, size_t len, void *arg)
{
    struct imp_reader *rd = arg;
    size_t idx = rd->nf++;
    struct imp_field *f;
    size_t kept = len < IMP_FIELD_KEEP ? len : IMP_FIELD_KEEP;

    if (rd->rc != 0)
        return;
    if (!rd->have_header) {
        imp_header_field(rd, idx, data, len);
        return;
    }
    if (idx >= rd->ncols)
        return;
    f = &rd->val[rd->map[idx]];
    if (kept > 0)
        memcpy(f->buf, data, kept);
    f->buf[kept] = '\0';
    f->len = len;
}

/* imp_text_ok - printable UTF-8 without control characters (and not cut to IMP_FIELD_KEEP) */
static int imp_text_ok(const struct imp_field *f)
{
    const unsigned char *s = (const unsigned char *) f->buf;
    size_t i = 0, n;

    if (f->len > IMP_FIELD_KEEP)
        return 0;
    while (i < f->len) {
        n = utf8_seqlen(s + i, f->len - i);
        if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)))
            return 0;
        i += n;
    }
    return 1;
}

/* imp_bad - report a field error for column col with its value */
static int imp_bad(struct imp_reader *rd, int col, const char *expected)
{
    const struct imp_field *f = &rd->val[col];

    imp_error(rd, rd->rec_line, imp_col_names[col], expected, f->buf, f->len);
    return 1;
}

/* imp_check_address - normalize the address column */
static int imp_check_address(struct imp_reader *rd, struct imp_row *row)
{
    const struct imp_field *f = &rd->val[COL_ADDRESS];
    char expected[128];
    enum addr_error e;

    if (f->len == 0)
        return imp_bad(rd, COL_ADDRESS, "a mail address");
    if (f->len > IMP_FIELD_KEEP)
        e = ADDR_TOO_LONG;
    else
        e = addr_normalize(f->buf, f->len, rd->ctl->addr_flags, row->address);
    if (e == ADDR_OK)
        return 0;
    snprintf(expected, sizeof(expected), "a valid mail address (%s)", addr_strerror(e));
    return imp_bad(rd, COL_ADDRESS, expected);
}

/* imp_check_list - list column, or -l LIST; the list must be configured */
static int imp_check_list(struct imp_reader *rd, struct imp_row *row)
{
    const struct imp_field *f = &rd->val[COL_LIST];
    const struct list_def *def;
    char expected[128];

    if (rd->opt->list != NULL) {
        row->list = config_find_list(rd->ctl->cfg, rd->opt->list)->id;
        if (f->len == 0 || strcmp(f->buf, rd->opt->list) == 0)
            return 0;
        snprintf(expected, sizeof(expected), "empty or '%s' as given with -l", rd->opt->list);
        return imp_bad(rd, COL_LIST, expected);
    }
    if (f->len == 0)
        return imp_bad(rd, COL_LIST, "a list id");
    if (f->len > IMP_FIELD_KEEP || memchr(f->buf, '\0', f->len) != NULL
        || (def = config_find_list(rd->ctl->cfg, f->buf)) == NULL)
        return imp_bad(rd, COL_LIST, "a list defined in the configuration");
    row->list = def->id;
    return 0;
}

/* imp_check_kinds - method and state, with their defaults */
static int imp_check_kinds(struct imp_reader *rd, struct imp_row *row)
{
    const struct imp_field *m = &rd->val[COL_METHOD], *s = &rd->val[COL_STATE];
    int v, bad = 0;

    row->method = METHOD_IMPORT;
    row->state = CONSENT_CONFIRMED;
    if (m->len > 0) {
        v = imp_text_ok(m) ? consent_method_parse(m->buf) : -1;
        if (v != METHOD_SINGLE && v != METHOD_DOUBLE && v != METHOD_IMPORT)
            bad += imp_bad(rd, COL_METHOD, "single, double or import");
        else
            row->method = (enum consent_method) v;
    }
    if (s->len > 0) {
        v = imp_text_ok(s) ? consent_state_parse(s->buf) : -1;
        if (v != CONSENT_PENDING && v != CONSENT_CONFIRMED && v != CONSENT_UNSUBSCRIBED)
            bad += imp_bad(rd, COL_STATE, "pending, confirmed or unsubscribed");
        else
            row->state = (enum consent_state) v;
    }
    return bad;
}

/* imp_check_time - one optional time column (0 when empty), not in the future */
static int imp_check_time(struct imp_reader *rd, int col, int64_t *out)
{
    const struct imp_field *f = &rd->val[col];

    *out = 0;
    if (f->len == 0)
        return 0;
    if (f->len > IMP_FIELD_KEEP || !imp_text_ok(f) || time_parse(f->buf, out) != 0)
        return imp_bad(rd, col, IMP_TIME_FORMS);
    if (*out > rd->ctl->now + IMP_FUTURE_SLACK)
        return imp_bad(rd, col, "a time that is not in the future");
    return 0;
}

/* imp_check_times - consented_at and confirmed_at, the latter not before the former */
static int imp_check_times(struct imp_reader *rd, struct imp_row *row)
{
    int bad;

    bad = imp_check_time(rd, COL_CONSENTED_AT, &row->consented_at);
    bad += imp_check_time(rd, COL_CONFIRMED_AT, &row->confirmed_at);
    if (bad == 0 && row->confirmed_at != 0 && row->consented_at != 0
        && row->confirmed_at < row->consented_at)
        bad = imp_bad(rd, COL_CONFIRMED_AT, "a time not before consented_at");
    return bad;
}

/* imp_check_text - an optional free-text column that must fit in out */
static int imp_check_text(struct imp_reader *rd, int col, char *out, size_t outsz)
{
    const struct imp_field *f = &rd->val[col];
    char expected[64];

    out[0] = '\0';
    if (f->len >= outsz) {
        snprintf(expected, sizeof(expected), "at most %zu bytes", outsz - 1);
        return imp_bad(rd, col, expected);
    }
    if (!imp_text_ok(f))
        return imp_bad(rd, col, "UTF-8 text without control characters");
    memcpy(out, f->buf, f->len + 1);
    return 0;
}

/* imp_check_ip - an optional IPv4 or IPv6 address, stored in its canonical form */
static int imp_check_ip(struct imp_reader *rd, struct imp_row *row)
{
    const struct imp_field *f = &rd->val[COL_IP];
    unsigned char bin[16];

    row->ip[0] = '\0';
    if (f->len == 0)
        return 0;
    if (f->len < CONSENT_IP_MAX && memchr(f->buf, '\0', f->len) == NULL) {
        if (inet_pton(AF_INET, f->buf, bin) == 1
            && inet_ntop(AF_INET, bin, row->ip, sizeof(row->ip)) != NULL)
            return 0;
        if (inet_pton(AF_INET6, f->buf, bin) == 1
            && inet_ntop(AF_INET6, bin, row->ip, sizeof(row->ip)) != NULL)
            return 0;
    }
    row->ip[0] = '\0';
    return imp_bad(rd, COL_IP, "an IPv4 or IPv6 address");
}

/* imp_validate - check every field of the current record into row; the number of errors */
static int imp_validate(struct imp_reader *rd, struct imp_row *row)
{
    int bad;

    row->line = rd->rec_line;
    bad = imp_check_address(rd, row);
    bad += imp_check_list(rd, row);
    bad += imp_check_kinds(rd, row);
    bad += imp_check_times(rd, row);
    bad += imp_check_text(rd, COL_SOURCE, row->source, sizeof(row->source));
    bad += imp_check_text(rd, COL_POLICY_VERSION, row->policy_version, sizeof(row->policy_version));
    bad += imp_check_ip(rd, row);
    return bad;
}

/* imp_record_end - a data record is complete: validate it and hand it on */
static void imp_record_end(struct imp_reader *rd)
{
    char got[32], expected[64];
    const struct imp_row *row = NULL;

    rd->st->rows++;
    if (rd->nf != rd->ncols) {
        snprintf(got, sizeof(got), "%zu", rd->nf);
        snprintf(expected, sizeof(expected), "%zu fields as in the header", rd->ncols);
        imp_error(rd, rd->rec_line, "record", expected, got, strlen(got));
    } else if (imp_validate(rd, &rd->scratch) == 0) {
        row = &rd->scratch;
    }
    if (row == NULL)
        rd->st->invalid++;
    if (rd->on_row != NULL)
        rd->rc = rd->on_row(rd->arg, row);
}

/* imp_on_record - libcsv record callback: the header first, then data */
static void imp_on_record(int c, void *arg)
{
    struct imp_reader *rd = arg;
    int col;

    (void) c;
    rd->in_record = 0;
    if (rd->rc == 0) {
        if (!rd->have_header)
            imp_header_end(rd);
        else
            imp_record_end(rd);
    }
    rd->nf = 0;
    for (col = 0; col < COL_COUNT; col++) {
        rd->val[col].len = 0;
        rd->val[col].buf[0] = '\0';
    }
}

/* imp_chunk_len - bytes up to and including the first CR or LF (all when none) */
static size_t imp_chunk_len(const char *data, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (data[i] == '\r' || data[i] == '\n')
            return i + 1;
    return n;
}

/* imp_has_content - does the chunk start a record (anything but blanks and line ends)? */
static int imp_has_content(const char *data, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')
            return 1;
    return 0;
}

/* imp_feed - give data to libcsv a line at a time, counting physical lines (LF, CRLF or CR) */
static int imp_feed(struct imp_reader *rd, struct csv_parser *p, const char *data, size_t n)
{
    size_t len;
    char last;

    while (n > 0 && rd->rc == 0) {
        len = imp_chunk_len(data, n);
        if (!rd->in_record && imp_has_content(data, len)) {
            rd->in_record = 1;
            rd->rec_line = rd->line;
        }
        if (csv_parse(p, data, len, imp_on_field, imp_on_record, rd) != len) {
            imp_fatal(rd, rd->line, "CSV syntax", csv_error(p) == CSV_EPARSE
                      ? "a quote only around a whole field, doubled inside it"
                      : csv_strerror(csv_error(p)));
            break;
        }
        if (csv_get_buffer_size(p) > IMP_FIELD_HARD_MAX)
            imp_fatal(rd, rd->rec_line, "CSV syntax", "fields shorter than 1 MiB (unbalanced quote?)");
        last = data[len - 1];
        if (last == '\r' || (last == '\n' && !(len == 1 && rd->prev_cr)))
            rd->line++;
        rd->prev_cr = last == '\r';
        data += len;
        n -= len;
    }
    return rd->rc;
}

/* imp_scan - one pass over the whole file from its start */
static int imp_scan(struct imp_reader *rd, int fd)
{
    struct csv_parser p;
    char *buf = NULL;
    ssize_t n;
    size_t off;
    int first = 1;

    if (lseek(fd, 0, SEEK_SET) != 0 || csv_init(&p, IMP_CSV_OPTIONS) != 0) {
        ctl_error(rd->ctl, "%s: cannot start reading: %s", rd->name, strerror(errno));
        return EX_SOFTWARE;
    }
    csv_set_blk_size(&p, 4096);
    rd->line = 1;
    if ((buf = malloc(IMP_BUFSZ)) == NULL) {
        rd->rc = EX_SOFTWARE;
        goto done;
    }
    while (rd->rc == 0 && (n = read(fd, buf, IMP_BUFSZ)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ctl_error(rd->ctl, "%s: read error: %s", rd->name, strerror(errno));
            rd->rc = EX_IOERR;
            goto done;
        }
        off = first && n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
        first = 0;
        imp_feed(rd, &p, buf + off, (size_t) n - off);
        rd->prog->done += n;
        progress_update(rd->prog, rd->st->rows);
    }
    if (rd->rc == 0 && csv_fini(&p, imp_on_field, imp_on_record, rd) != 0)
        imp_fatal(rd, rd->rec_line, "CSV syntax", "a closing quote for the field opened here");
    if (rd->rc == 0 && !rd->have_header)
        imp_fatal(rd, rd->line, "header", "a header line naming the columns (the file is empty)");
done:
    progress_clear(rd->prog);
    csv_free(&p);
    free(buf);
    return rd->rc;
}

/* imp_reader_init - a fresh reader for one pass */
static void imp_reader_init(struct imp_reader *rd, struct optinctl *ctl, const struct imp_opts *opt,
                            const struct imp_input *in, struct imp_stats *st,
                            struct imp_progress *prog)
{
    memset(rd, 0, sizeof(*rd));
    memset(st, 0, sizeof(*st));
    rd->ctl = ctl;
    rd->opt = opt;
    rd->name = in->name;
    rd->st = st;
    rd->prog = prog;
}

/* imp_spool - copy a stream into an unlinked temporary file in $TMPDIR */
static int imp_spool(struct optinctl *ctl, int from, struct imp_input *in)
{
    const char *dir = getenv("TMPDIR");
    char path[4096], *buf = NULL;
    ssize_t n, w, off;
    int rc = 0;

    snprintf(path, sizeof(path), "%s/optinctl-import.XXXXXX", dir != NULL && *dir ? dir : "/tmp");
    if ((in->fd = mkstemp(path)) < 0) {
        ctl_error(ctl, "cannot create a spool file %s: %s", path, strerror(errno));
        return EX_CANTCREAT;
    }
    unlink(path);
    if ((buf = malloc(IMP_BUFSZ)) == NULL) {
        rc = EX_SOFTWARE;
        goto done;
    }
    while ((n = read(from, buf, IMP_BUFSZ)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ctl_error(ctl, "%s: read error: %s", in->name, strerror(errno));
            rc = EX_IOERR;
            goto done;
        }
        for (off = 0; off < n; off += w) {
            if ((w = write(in->fd, buf + off, (size_t) (n - off))) < 0 && errno == EINTR) {
                w = 0;
            } else if (w < 0) {
                ctl_error(ctl, "spool file %s for %s: %s", path, in->name, strerror(errno));
                rc = EX_CANTCREAT;
                goto done;
            }
        }
    }
done:
    free(buf);
    if (rc != 0) {
        close(in->fd);
        in->fd = -1;
    }
    return rc;
}

/* imp_source_name - "import:<basename>", cut to fit; bytes that are not printable UTF-8 become '?' */
static void imp_source_name(struct imp_input *in, const char *path)
{
    const char *base = strrchr(path, '/');
    unsigned char *s = (unsigned char *) in->source;
    size_t i, n, len;

    base = base != NULL && base[1] != '\0' ? base + 1 : path;
    snprintf(in->source, sizeof(in->source), "import:%s", strcmp(path, "-") ? base : "stdin");
    len = strlen(in->source);
    for (i = 0; i < len; i += n) {
        n = utf8_seqlen(s + i, len - i);
        if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
            s[i] = '?';
            n = 1;
        }
    }
}

/* imp_input_open - open FILE (spooled unless a regular file) or spool standard input */
static int imp_input_open(struct optinctl *ctl, const char *path, struct imp_input *in)
{
    int fd, rc = 0;
    struct stat st;

    in->name = strcmp(path, "-") ? path : "stdin";
    imp_source_name(in, path);
    fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ctl_error(ctl, "cannot read %s: %s", in->name, strerror(errno));
        rc = EX_NOINPUT;
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        ctl_error(ctl, "cannot read %s: %s", in->name, strerror(EISDIR));
        rc = EX_NOINPUT;
        goto done;
    }
    if (S_ISREG(st.st_mode) && fd != STDIN_FILENO) {
        in->fd = fd;
        fd = -1;
    } else if ((rc = imp_spool(ctl, fd, in)) != 0) {
        goto done;
    }
    if (fstat(in->fd, &in->st) != 0) {
        ctl_error(ctl, "cannot read %s: %s", in->name, strerror(errno));
        rc = EX_IOERR;
    }
done:
    if (fd > STDIN_FILENO)
        close(fd);
    return rc;
}

/* imp_check_pass - pass 1: validate the whole file, print its errors; EX_DATAERR unless importable */
static int imp_check_pass(struct optinctl *ctl, const struct imp_opts *opt,
                          const struct imp_input *in, struct imp_stats *st)
{
    struct imp_reader *rd;
    struct imp_progress prog;
    int rc;

    if ((rd = malloc(sizeof(*rd))) == NULL) {
        ctl_error(ctl, "import: out of memory");
        return EX_SOFTWARE;
    }
    imp_reader_init(rd, ctl, opt, in, st, &prog);
    rd->report = 1;
    progress_start(&prog, opt->quiet, in->name, "checking", in->st.st_size);
    rc = imp_scan(rd, in->fd);
    if (st->errors > st->printed)
        ctl_error(ctl, "... and %lu more", st->errors - st->printed);
    if (rc == 0 && st->invalid > 0 && !opt->skip_invalid) {
        ctl_error(ctl, "import %s: %lu of %lu rows invalid, nothing imported "
                  "(--skip-invalid imports the valid ones)", in->name, st->invalid, st->rows);
        rc = EX_DATAERR;
    }
    if (rc == 0 && opt->dry_run && !opt->quiet)
        ctl_error(ctl, "import %s: dry run: %lu rows, %lu valid, %lu invalid; nothing changed",
                  in->name, st->rows, st->rows - st->invalid, st->invalid);
    free(rd);
    return rc;
}

/* imp_batch_apply - store_write callback: apply every row of the batch (re-runnable) */
static int imp_batch_apply(struct store_txn *txn, void *arg)
{
    struct imp_batch *b = arg;
    struct import_row ir;
    enum import_outcome oc;
    size_t i;
    int rc;

    memset(b->outcome, 0, sizeof(b->outcome));
    for (i = 0; i < b->count; i++) {
        const struct imp_row *r = &b->rows[i];

        ir.address = r->address;
        ir.list = r->list;
        ir.state = r->state;
        ir.method = r->method;
        ir.consented_at = r->consented_at;
        ir.confirmed_at = r->confirmed_at;
        ir.source = r->source[0] ? r->source : b->source;
        ir.ip = r->ip[0] ? r->ip : NULL;
        ir.policy_version = r->policy_version[0] ? r->policy_version : NULL;
        if ((rc = consent_import_row(txn, &ir, b->resubscribe, &b->cctx, &oc)) != 0) {
            b->failed = i;
            return rc;
        }
        if ((unsigned) oc < IMPORT_OUTCOME_COUNT)
            b->outcome[oc]++;
    }
    return 0;
}

/* imp_batch_flush - commit the batch; an exit code on failure */
static int imp_batch_flush(struct imp_batch *b)
{
    int rc, i;

    if (b->count == 0)
        return 0;
    b->failed = 0;
    rc = store_write(b->ctl->store, imp_batch_apply, b);
    if (rc == 0) {
        for (i = 0; i < IMPORT_OUTCOME_COUNT; i++)
            b->st->outcome[i] += b->outcome[i];
        b->count = 0;
        return 0;
    }
    if (rc == CONSENT_EINVAL)
        ctl_error(b->ctl, "%s:%lu: the store refused the row (a field too long or malformed)",
                  b->name, b->rows[b->failed].line);
    else
        ctl_error(b->ctl, "%s:%lu: %s", b->name, b->rows[b->failed].line,
                  rc < 0 ? store_strerror(rc) : "the store refused the row");
    ctl_error(b->ctl, "import %s: stopped: the valid rows before line %lu are imported, "
              "none from there on", b->name, b->rows[0].line);
    return rc == CONSENT_EINVAL ? EX_DATAERR : rc < 0 ? ctl_store_exit(rc) : EX_SOFTWARE;
}

/* imp_batch_add - pass 2 row callback: queue a valid row, commit when the batch is full */
static int imp_batch_add(void *arg, const struct imp_row *row)
{
    struct imp_batch *b = arg;

    if (row == NULL)
        return 0;
    b->rows[b->count++] = *row;
    return b->count == IMP_BATCH_ROWS ? imp_batch_flush(b) : 0;
}

/* imp_unchanged - has the input changed since pass 1 (size or modification time)? */
static int imp_unchanged(struct optinctl *ctl, const struct imp_input *in)
{
    struct stat st;

    if (fstat(in->fd, &st) == 0 && st.st_size == in->st.st_size
        && st.st_mtim.tv_sec == in->st.st_mtim.tv_sec
        && st.st_mtim.tv_nsec == in->st.st_mtim.tv_nsec)
        return 1;
    ctl_error(ctl, "import %s: the file changed while it was read; nothing imported", in->name);
    return 0;
}

/* imp_apply_pass - pass 2: parse again and apply the valid rows in batches */
static int imp_apply_pass(struct optinctl *ctl, const struct imp_opts *opt,
                          const struct imp_input *in, struct imp_stats *st)
{
    struct imp_reader *rd;
    struct imp_batch b;
    struct imp_progress prog;
    int rc, src;

    memset(&b, 0, sizeof(b));
    if ((rd = malloc(sizeof(*rd))) == NULL
        || (b.rows = calloc(IMP_BATCH_ROWS, sizeof(*b.rows))) == NULL) {
        ctl_error(ctl, "import: out of memory");
        rc = EX_SOFTWARE;
        goto done;
    }
    if (!imp_unchanged(ctl, in)) {
        rc = EX_TEMPFAIL;
        goto done;
    }
    if ((rc = ctl_open_store(ctl, 0, 1)) != 0)
        goto done;
    imp_reader_init(rd, ctl, opt, in, st, &prog);
    b.ctl = ctl;
    b.name = in->name;
    b.st = st;
    b.resubscribe = opt->resubscribe;
    b.source = in->source;
    b.cctx.now = ctl->now;
    b.cctx.source = in->source;
    b.cctx.actor = ctl->actor;
    rd->on_row = imp_batch_add;
    rd->arg = &b;
    progress_start(&prog, opt->quiet, in->name, "importing", in->st.st_size);
    rc = imp_scan(rd, in->fd);
    if (rc == 0)
        rc = imp_batch_flush(&b);
    if ((src = store_sync(ctl->store)) != 0) {
        ctl_error(ctl, "import %s: sync: %s", in->name, store_strerror(src));
        rc = rc != 0 ? rc : ctl_store_exit(src);
    }
done:
    free(b.rows);
    free(rd);
    return rc;
}

/* imp_summary - the closing line of a successful import */
static void imp_summary(struct optinctl *ctl, const struct imp_input *in, const struct imp_stats *st)
{
    ctl_error(ctl, "import %s: %lu rows, added %lu, updated %lu, unchanged %lu, kept opt-out %lu, "
              "resubscribed %lu, skipped %lu", in->name, st->rows, st->outcome[IMPORT_ADDED],
              st->outcome[IMPORT_UPDATED], st->outcome[IMPORT_UNCHANGED],
              st->outcome[IMPORT_KEPT_OPTOUT], st->outcome[IMPORT_RESUBSCRIBED], st->invalid);
}

/* cmd_import - optinctl import: validate a CSV file, then apply it in batches */
int cmd_import(struct optinctl *ctl, int argc, char **argv)
{
    struct imp_opts opt;
    struct imp_input in;
    struct imp_stats st1, st2;
    int rc;

    if ((rc = imp_parse_args(ctl, argc, argv, &opt)) != 0)
        return rc < 0 ? EX_OK : rc;
    if (opt.list != NULL && config_find_list(ctl->cfg, opt.list) == NULL) {
        ctl_error(ctl, "import: -l %s: no such list in %s", opt.list, ctl->config_path);
        return EX_USAGE;
    }
    memset(&in, 0, sizeof(in));
    in.fd = -1;
    if ((rc = imp_input_open(ctl, opt.path, &in)) != 0)
        return rc;
    if ((rc = imp_check_pass(ctl, &opt, &in, &st1)) != 0 || opt.dry_run)
        goto done;
    if ((rc = imp_apply_pass(ctl, &opt, &in, &st2)) != 0)
        goto done;
    if (st2.rows != st1.rows || st2.invalid != st1.invalid)
        ctl_error(ctl, "import %s: warning: the file changed between the passes", in.name);
    if (!opt.quiet)
        imp_summary(ctl, &in, &st2);
done:
    close(in.fd);
    return rc;
}
