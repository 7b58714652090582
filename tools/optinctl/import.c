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
 *	The reading is csvload(3)'s: the file is read twice so that memory
 *	stays flat whatever its size. Pass 1 parses and validates every row
 *	and keeps none. When a row is invalid and --skip-invalid is not
 *	given, nothing is changed. Pass 2 parses the file again and applies
 *	the valid rows with consent_import_row(), in batches of
 *	IMP_BATCH_ROWS rows, one write transaction each (about 25 ms at ten
 *	million rows: short enough not to stall other writers), committed by
 *	csvload's writer thread while the next batch is read. Before the
 *	first, history_batch_open() stores once what every row's history
 *	event shares (time, source, actor), so that each row keeps its event
 *	in the record it writes. The store is opened without fsync per
 *	commit and synced once at the end. Standard input (and any FILE that
 *	is not a regular file) is spooled to an unlinked temporary file in
 *	$TMPDIR first.
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
 *	for spool and output files; EX_TEMPFAIL when FILE changed between the
 *	passes; otherwise ctl_store_exit() of the store error. A store error
 *	in pass 2 leaves the batches before it committed, and the message
 *	names the first line not imported.
 * BUGS
 *	Duplicate (address, list) rows are not reported: the later row is
 *	applied over the earlier one. A file changed between the two passes
 *	is refused when its size or modification time differs, and is
 *	otherwise only warned about.
 * SEE ALSO
 *	optinctl(1), csvload(3), consent.h (consent_import_row), store.h
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr.h"
#include "config/config.h"
#include "consent/consent.h"
#include "optinctl.h"
#include "consent/store.h"
#include "util/csvload.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/netaddr.h"

#define IMP_FIELD_KEEP 1024              /* bytes of a field kept: any longer value is invalid */
#define IMP_BATCH_ROWS 20000             /* rows per write transaction */
#define IMP_FUTURE_SLACK 86400           /* times may be this far ahead of the clock */

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

/* The header names of the columns; the list column is required unless -l LIST (imp_header). */
static const struct csvload_column imp_columns[COL_COUNT] = {
    [COL_ADDRESS] = {.names = {"address"}, .required = "an address column"},
    [COL_LIST] = {.names = {"list"}},
    [COL_STATE] = {.names = {"state"}},
    [COL_METHOD] = {.names = {"method"}},
    [COL_CONSENTED_AT] = {.names = {"consented_at"}},
    [COL_CONFIRMED_AT] = {.names = {"confirmed_at"}},
    [COL_SOURCE] = {.names = {"source"}},
    [COL_IP] = {.names = {"ip"}},
    [COL_POLICY_VERSION] = {.names = {"policy_version"}},
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

/* One valid row, self-contained so that a batch outlives the parser's buffers. */
struct imp_row {
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

/* One import: the reader, the row being checked, and the batch being written in pass 2. */
struct imp_ctx {
    struct optinctl *ctl;
    const struct imp_opts *opt;
    struct csvload *cl;
    struct csvload_batch *batch;
    struct imp_row row;
    char source[CONSENT_SOURCE_MAX];              /* "import:<basename>" */
    struct change_ctx cctx;
    const struct imp_row *rows;                   /* the batch store_write() is applying */
    size_t count;
    size_t failed;                                /* row consent_import_row refused */
    unsigned long attempt[IMPORT_OUTCOME_COUNT];  /* of the current store_write() attempt */
    unsigned long outcome[IMPORT_OUTCOME_COUNT];  /* committed */
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

/* imp_text_ok - printable UTF-8 without control characters (and not cut to IMP_FIELD_KEEP) */
static int imp_text_ok(const struct csvload_field *f)
{
    return f->len <= IMP_FIELD_KEEP && text_is_clean(f->text, f->len);
}

/* imp_bad - report a field error for column col with its value */
static int imp_bad(struct imp_ctx *ic, const struct csvload_record *rec, int col,
                   const char *expected)
{
    const struct csvload_field *f = &rec->field[col];

    csvload_error(ic->cl, rec->line, imp_columns[col].names[0], expected, f->text, f->len);
    return 1;
}

/* imp_check_address - normalize the address column */
static int imp_check_address(struct imp_ctx *ic, const struct csvload_record *rec,
                             struct imp_row *row)
{
    const struct csvload_field *f = &rec->field[COL_ADDRESS];
    char expected[128];
    enum addr_error e;

    if (f->len == 0)
        return imp_bad(ic, rec, COL_ADDRESS, "a mail address");
    if (f->len > IMP_FIELD_KEEP)
        e = ADDR_TOO_LONG;
    else
        e = addr_normalize(f->text, f->len, ic->ctl->addr_flags, row->address);
    if (e == ADDR_OK)
        return 0;
    snprintf(expected, sizeof(expected), "a valid mail address (%s)", addr_strerror(e));
    return imp_bad(ic, rec, COL_ADDRESS, expected);
}

/* imp_check_list - list column, or -l LIST; the list must be configured */
static int imp_check_list(struct imp_ctx *ic, const struct csvload_record *rec, struct imp_row *row)
{
    const struct csvload_field *f = &rec->field[COL_LIST];
    const struct list_def *def;
    char expected[128];

    if (ic->opt->list != NULL) {
        row->list = config_find_list(ic->ctl->cfg, ic->opt->list)->id;
        if (f->len == 0 || strcmp(f->text, ic->opt->list) == 0)
            return 0;
        snprintf(expected, sizeof(expected), "empty or '%s' as given with -l", ic->opt->list);
        return imp_bad(ic, rec, COL_LIST, expected);
    }
    if (f->len == 0)
        return imp_bad(ic, rec, COL_LIST, "a list id");
    if (f->len > IMP_FIELD_KEEP || memchr(f->text, '\0', f->len) != NULL
        || (def = config_find_list(ic->ctl->cfg, f->text)) == NULL)
        return imp_bad(ic, rec, COL_LIST, "a list defined in the configuration");
    row->list = def->id;
    return 0;
}

/* imp_check_kinds - method and state, with their defaults */
static int imp_check_kinds(struct imp_ctx *ic, const struct csvload_record *rec,
                           struct imp_row *row)
{
    const struct csvload_field *m = &rec->field[COL_METHOD], *s = &rec->field[COL_STATE];
    int v, bad = 0;

    row->method = METHOD_IMPORT;
    row->state = CONSENT_CONFIRMED;
    if (m->len > 0) {
        v = imp_text_ok(m) ? consent_method_parse(m->text) : -1;
        if (v != METHOD_SINGLE && v != METHOD_DOUBLE && v != METHOD_IMPORT)
            bad += imp_bad(ic, rec, COL_METHOD, "single, double or import");
        else
            row->method = (enum consent_method) v;
    }
    if (s->len > 0) {
        v = imp_text_ok(s) ? consent_state_parse(s->text) : -1;
        if (v != CONSENT_PENDING && v != CONSENT_CONFIRMED && v != CONSENT_UNSUBSCRIBED)
            bad += imp_bad(ic, rec, COL_STATE, "pending, confirmed or unsubscribed");
        else
            row->state = (enum consent_state) v;
    }
    return bad;
}

/* imp_check_time - one optional time column (0 when empty), not in the future */
static int imp_check_time(struct imp_ctx *ic, const struct csvload_record *rec, int col,
                          int64_t *out)
{
    const struct csvload_field *f = &rec->field[col];

    *out = 0;
    if (f->len == 0)
        return 0;
    if (!imp_text_ok(f) || time_parse(f->text, out) != 0)
        return imp_bad(ic, rec, col, IMP_TIME_FORMS);
    if (*out > ic->ctl->now + IMP_FUTURE_SLACK)
        return imp_bad(ic, rec, col, "a time that is not in the future");
    return 0;
}

/* imp_check_times - consented_at and confirmed_at, the latter not before the former */
static int imp_check_times(struct imp_ctx *ic, const struct csvload_record *rec,
                           struct imp_row *row)
{
    int bad;

    bad = imp_check_time(ic, rec, COL_CONSENTED_AT, &row->consented_at);
    bad += imp_check_time(ic, rec, COL_CONFIRMED_AT, &row->confirmed_at);
    if (bad == 0 && row->confirmed_at != 0 && row->consented_at != 0
        && row->confirmed_at < row->consented_at)
        bad = imp_bad(ic, rec, COL_CONFIRMED_AT, "a time not before consented_at");
    return bad;
}

/* imp_check_text - an optional free-text column that must fit in out */
static int imp_check_text(struct imp_ctx *ic, const struct csvload_record *rec, int col, char *out,
                          size_t outsz)
{
    const struct csvload_field *f = &rec->field[col];
    char expected[64];

    out[0] = '\0';
    if (f->len >= outsz) {
        snprintf(expected, sizeof(expected), "at most %zu bytes", outsz - 1);
        return imp_bad(ic, rec, col, expected);
    }
    if (!imp_text_ok(f))
        return imp_bad(ic, rec, col, "UTF-8 text without control characters");
    memcpy(out, f->text, f->len + 1);
    return 0;
}

/* imp_check_ip - an optional IPv4 or IPv6 address, stored in its canonical form */
static int imp_check_ip(struct imp_ctx *ic, const struct csvload_record *rec, struct imp_row *row)
{
    const struct csvload_field *f = &rec->field[COL_IP];
    struct net_ip ip;

    row->ip[0] = '\0';
    if (f->len == 0)
        return 0;
    if (f->len < CONSENT_IP_MAX && net_ip_parse(f->text, f->len, &ip) == 0) {
        if (rec->apply)         /* the canonical text only for the row kept: inet_ntop is dear */
            net_ip_format(&ip, row->ip);
        return 0;
    }
    return imp_bad(ic, rec, COL_IP, "an IPv4 or IPv6 address");
}

/* imp_header - csvload header callback: a list column unless -l LIST */
static int imp_header(struct csvload *cl, unsigned long line, void *arg)
{
    const struct imp_ctx *ic = arg;

    if (csvload_has_column(cl, COL_LIST) || ic->opt->list != NULL)
        return 0;
    csvload_error(cl, line, "header", "a list column (or the option -l LIST)", NULL, 0);
    return CSVLOAD_INVALID;
}

/* imp_record - csvload record callback: check every field; in pass 2 queue the row */
static int imp_record(struct csvload *cl, const struct csvload_record *rec, void *arg)
{
    struct imp_ctx *ic = arg;
    struct imp_row *row = &ic->row;
    int bad;

    (void) cl;
    bad = imp_check_address(ic, rec, row);
    bad += imp_check_list(ic, rec, row);
    bad += imp_check_kinds(ic, rec, row);
    bad += imp_check_times(ic, rec, row);
    bad += imp_check_text(ic, rec, COL_SOURCE, row->source, sizeof(row->source));
    bad += imp_check_text(ic, rec, COL_POLICY_VERSION, row->policy_version,
                          sizeof(row->policy_version));
    bad += imp_check_ip(ic, rec, row);
    if (bad > 0)
        return CSVLOAD_INVALID;
    return rec->apply ? csvload_batch_add(ic->batch, row, rec->line) : 0;
}

/* imp_batch_apply - store_write callback: apply every row of the batch (re-runnable) */
static int imp_batch_apply(struct store_txn *txn, void *arg)
{
    struct imp_ctx *ic = arg;
    struct import_row ir;
    enum import_outcome oc;
    size_t i;
    int rc;

    memset(ic->attempt, 0, sizeof(ic->attempt));
    for (i = 0; i < ic->count; i++) {
        const struct imp_row *r = &ic->rows[i];

        ir.address = r->address;
        ir.list = r->list;
        ir.state = r->state;
        ir.method = r->method;
        ir.consented_at = r->consented_at;
        ir.confirmed_at = r->confirmed_at;
        ir.source = r->source[0] ? r->source : ic->source;
        ir.ip = r->ip[0] ? r->ip : NULL;
        ir.policy_version = r->policy_version[0] ? r->policy_version : NULL;
        if ((rc = consent_import_row(txn, &ir, ic->opt->resubscribe, &ic->cctx, &oc)) != 0) {
            ic->failed = i;
            return rc;
        }
        if ((unsigned) oc < IMPORT_OUTCOME_COUNT)
            ic->attempt[oc]++;
    }
    return 0;
}

/* imp_flush - csvload flush callback: one write transaction for the batch; an exit code on failure */
static int imp_flush(struct csvload_batch *b, void *rows, size_t count, void *arg)
{
    struct imp_ctx *ic = arg;
    const char *name = csvload_name(ic->cl);
    unsigned long line;
    int rc, i;

    ic->rows = rows;
    ic->count = count;
    ic->failed = 0;
    if ((rc = store_write(ic->ctl->store, imp_batch_apply, ic)) == 0) {
        for (i = 0; i < IMPORT_OUTCOME_COUNT; i++)
            ic->outcome[i] += ic->attempt[i];
        return 0;
    }
    line = csvload_batch_line(b, ic->failed);
    if (rc == OPTIN_EFIELD)
        csvload_message(ic->cl, "%s:%lu: the store refused the row (a field too long or malformed)",
                        name, line);
    else if (rc == -ENOSPC)
        csvload_message(ic->cl, "%s:%lu: %s: the file system of the consent store %s is full; "
                        "the batches before this row are written, the rest not: free space and "
                        "import again", name, line, optin_strerror(rc), ic->ctl->cfg->database);
    else
        csvload_message(ic->cl, "%s:%lu: %s", name, line,
                        rc < 0 ? optin_strerror(rc) : "the store refused the row");
    return rc == OPTIN_EFIELD ? EX_DATAERR : rc < 0 ? ctl_store_exit(rc) : EX_SOFTWARE;
}

/* imp_run_open - store_write callback: the facts every row's event shares, once (history.c) */
static int imp_run_open(struct store_txn *txn, void *arg)
{
    struct change_ctx *cctx = arg;

    return history_batch_open(txn, cctx, &cctx->batch);
}

/* imp_apply_pass - pass 2: open the store, apply the valid rows in batches, sync */
static int imp_apply_pass(struct imp_ctx *ic)
{
    struct optinctl *ctl = ic->ctl;
    int rc, src;

    ic->batch = csvload_batch_new(ic->cl, sizeof(struct imp_row), IMP_BATCH_ROWS, imp_flush, ic);
    if (ic->batch == NULL) {
        ctl_error(ctl, "import: out of memory");
        return EX_SOFTWARE;
    }
    if ((rc = ctl_open_store(ctl, 0, 1)) != 0)
        goto done;
    ic->cctx = (struct change_ctx) {.now = ctl->now, .source = ic->source, .actor = ctl->actor};
    if ((rc = store_write(ctl->store, imp_run_open, &ic->cctx)) != 0) {
        ctl_error(ctl, "import %s: %s", csvload_name(ic->cl), optin_strerror(rc));
        rc = ctl_store_exit(rc);
        goto done;
    }
    rc = csvload_apply(ic->cl, ic->batch);
    if ((src = store_sync(ctl->store)) != 0) {
        ctl_error(ctl, "import %s: sync: %s", csvload_name(ic->cl), optin_strerror(src));
        rc = rc != 0 ? rc : ctl_store_exit(src);
    }
done:
    csvload_batch_free(ic->batch);
    ic->batch = NULL;
    return rc;
}

/* imp_summary - the closing line of a successful import */
static void imp_summary(const struct imp_ctx *ic)
{
    const struct csvload_stats *st = csvload_stats(ic->cl);

    ctl_error(ic->ctl, "import %s: %lu rows, added %lu, updated %lu, unchanged %lu, kept opt-out %lu, "
              "resubscribed %lu, skipped %lu", csvload_name(ic->cl), st->rows,
              ic->outcome[IMPORT_ADDED], ic->outcome[IMPORT_UPDATED], ic->outcome[IMPORT_UNCHANGED],
              ic->outcome[IMPORT_KEPT_OPTOUT], ic->outcome[IMPORT_RESUBSCRIBED], st->invalid);
}

/* cmd_import - optinctl import: validate a CSV file, then apply it in batches */
int cmd_import(struct optinctl *ctl, int argc, char **argv)
{
    struct imp_opts opt;
    struct imp_ctx ic = {.ctl = ctl, .opt = &opt};
    struct csvload_spec spec = {
        .progname = ctl->progname, .command = "import", .columns = imp_columns,
        .ncolumns = COL_COUNT, .keep = IMP_FIELD_KEEP, .header = imp_header,
        .record = imp_record, .arg = &ic,
    };
    const struct csvload_stats *st;
    int rc;

    if ((rc = imp_parse_args(ctl, argc, argv, &opt)) != 0)
        return rc < 0 ? EX_OK : rc;
    if (opt.list != NULL && config_find_list(ctl->cfg, opt.list) == NULL) {
        ctl_error(ctl, "import: -l %s: no such list in %s", opt.list, ctl->config_path);
        return EX_USAGE;
    }
    spec.flags = (opt.quiet ? CSVLOAD_QUIET : 0) | (opt.skip_invalid ? CSVLOAD_SKIP_INVALID : 0);
    if ((rc = csvload_open(&spec, opt.path, &ic.cl)) != 0)
        return rc;
    csvload_label(ic.cl, "import:", ic.source, sizeof(ic.source));
    rc = csvload_check(ic.cl);
    st = csvload_stats(ic.cl);
    if (rc == 0 && opt.dry_run) {
        if (!opt.quiet)
            ctl_error(ctl, "import %s: dry run: %lu rows, %lu valid, %lu invalid; nothing changed",
                      csvload_name(ic.cl), st->rows, st->rows - st->invalid, st->invalid);
    } else if (rc == 0 && (rc = imp_apply_pass(&ic)) == 0 && !opt.quiet) {
        imp_summary(&ic);
    }
    csvload_close(ic.cl);
    return rc;
}
