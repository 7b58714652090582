/*
 * NAME
 *	optinctl_esp 1
 * SUMMARY
 *	optinctl import-suppressions: other senders' suppression lists
 * SYNOPSIS
 *	#include "optinctl.h"
 *
 *	int	cmd_import_suppressions(struct optinctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	cmd_import_suppressions() implements "optinctl import-suppressions
 *	--format ses|sendgrid|mailgun|postmark [--kind KIND] [-l LIST] [-n]
 *	[--skip-invalid] [-q] FILE|-": the CSV export of an email service's
 *	suppression list, so that moving to this MTA loses no opt-out. The
 *	columns are found by name in the header line (any case; blanks, '_'
 *	and '-' ignored), in any order; other columns are left alone. What is
 *	read (esp_formats[]):
 * .IP ses
 *	EmailAddress, Reason (BOUNCE or COMPLAINT), LastUpdateTime: the fields
 *	of SuppressedDestinationSummary (sesv2 ListSuppressedDestinations).
 * .IP sendgrid
 *	email, created, and status and reason (bounces, invalid emails) or ip
 *	(spam reports). SendGrid exports each list as its own file, so --kind
 *	says which: bounce, invalid, complaint (spam reports) or unsubscribe
 *	(global or group unsubscribes). A bounce row whose status is 4.x.x
 *	is a soft bounce and is not imported.
 * .IP mailgun
 *	address, created_at, and code and error (bounces) or tags
 *	(unsubscribes); --kind bounce, complaint or unsubscribe. A bounce row
 *	with a 4xx code is not imported.
 * .IP postmark
 *	Email Address (or EmailAddress, Email), Reason (or SuppressionReason:
 *	HardBounce, SpamComplaint, ManualSuppression), Origin (Recipient,
 *	Customer, Admin), Created At. A ManualSuppression whose Origin is
 *	Recipient is the recipient's own unsubscribe and is imported as one;
 *	made by Customer or Admin it is a manual suppression.
 * .PP
 *	Each kind maps to one change: bounce and invalid to a bounce
 *	suppression, complaint to a complaint suppression, manual to a manual
 *	suppression, unsubscribe to an unsubscription from -l LIST or, without
 *	-l, from every list with a global-unsubscribe suppression. All go
 *	through consent_feedback_suppress() and consent_feedback_unsubscribe(),
 *	which never weaken an opt-out (a bounce never replaces a complaint or
 *	an unsubscribe; an unsubscribe replaces a bounce), never write an
 *	erased address again, and write nothing that is already so: importing
 *	the same file twice changes nothing the second time. The history
 *	event carries the provider's reason and time as detail and
 *	reported_at, the source is "import:FORMAT:FILE".
 *
 *	Times are Unix seconds, RFC 3339 (time_parse), "YYYY-MM-DD HH:MM:SS"
 *	or RFC 2822/5322 (time_parse_rfc5322), the latter two without a zone
 *	taken as UTC.
 *
 *	The reading is csvload(3)'s, as for import: the file is read twice,
 *	pass 1 checks every row and changes nothing if one is invalid (unless
 *	--skip-invalid); pass 2, refused if the file changed in between,
 *	applies the valid rows in batches of ESP_BATCH_ROWS, one write
 *	transaction each. Standard input (anything but a regular file) is
 *	spooled to a temporary file.
 * DIAGNOSTICS
 *	"optinctl: FILE:LINE: COLUMN: what was expected (got 'value')" for
 *	each invalid row (the first 100), then one summary line on stderr
 *	unless -q.
 *	Exit status as for import: 0, 64 usage, 65 invalid rows or header, 66
 *	FILE unreadable, 73/74 spool, 75 FILE changed between the passes,
 *	else ctl_store_exit().
 * BUGS
 *	Times without a zone ("2024-05-01 12:00:00") are taken as UTC. No
 *	progress line (csvload can draw one; import-suppressions never did).
 * SEE ALSO
 *	optinctl(1), csvload(3), optinctl_import.c, consent(3)
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/addr.h"
#include "consent/consent.h"
#include "optinctl.h"
#include "consent/store.h"
#include "util/csvload.h"
#include "util/text.h"
#include "util/timeutil.h"

#define ESP_FIELD_MAX 512          /* bytes of a field kept; longer values are cut */
#define ESP_BATCH_ROWS 1000
#define ESP_DETAIL_MAX 200

/* What a row asks for. */
enum esp_kind {
    KIND_NONE,
    KIND_BOUNCE,
    KIND_INVALID,      /* SendGrid invalid emails: a bounce suppression */
    KIND_COMPLAINT,
    KIND_UNSUBSCRIBE,
    KIND_MANUAL,
    KIND_SOFT,         /* a soft bounce in a bounce list: not imported */
    KIND_COUNT
};

static const char *const esp_kind_names[KIND_COUNT] = {
    [KIND_NONE] = "none", [KIND_BOUNCE] = "bounce", [KIND_INVALID] = "invalid",
    [KIND_COMPLAINT] = "complaint", [KIND_UNSUBSCRIBE] = "unsubscribe", [KIND_MANUAL] = "manual",
    [KIND_SOFT] = "soft",
};

/* Columns a format reads; each names up to three header spellings (matched loosely). */
enum esp_col { COL_ADDR, COL_REASON, COL_ORIGIN, COL_TIME, COL_DETAIL1, COL_DETAIL2, COL_COUNT };

struct esp_format {
    const char *name;
    struct csvload_column cols[COL_COUNT];
    unsigned kinds;            /* --kind values allowed (bit per kind); 0: the Reason column says */
};

#define KBIT(k) (1u << (k))
static const struct esp_format esp_formats[] = {
    {.name = "ses", .cols = {
        [COL_ADDR] = {.names = {"emailaddress"}}, [COL_REASON] = {.names = {"reason"}},
        [COL_TIME] = {.names = {"lastupdatetime"}}}},
    {.name = "sendgrid", .cols = {
        [COL_ADDR] = {.names = {"email"}}, [COL_TIME] = {.names = {"created"}},
        [COL_DETAIL1] = {.names = {"status"}}, [COL_DETAIL2] = {.names = {"reason"}}},
     .kinds = KBIT(KIND_BOUNCE) | KBIT(KIND_INVALID) | KBIT(KIND_COMPLAINT) | KBIT(KIND_UNSUBSCRIBE)},
    {.name = "mailgun", .cols = {
        [COL_ADDR] = {.names = {"address"}}, [COL_TIME] = {.names = {"createdat"}},
        [COL_DETAIL1] = {.names = {"code"}}, [COL_DETAIL2] = {.names = {"error", "tags"}}},
     .kinds = KBIT(KIND_BOUNCE) | KBIT(KIND_COMPLAINT) | KBIT(KIND_UNSUBSCRIBE)},
    {.name = "postmark", .cols = {
        [COL_ADDR] = {.names = {"emailaddress", "email"}},
        [COL_REASON] = {.names = {"reason", "suppressionreason"}},
        [COL_ORIGIN] = {.names = {"origin"}}, [COL_TIME] = {.names = {"createdat"}}}},
};

/* Options. */
struct esp_opts {
    const struct esp_format *fmt;
    enum esp_kind kind;        /* --kind, KIND_NONE when the file says */
    const char *list;          /* -l: unsubscribes from this list only */
    int dry_run, skip_invalid, quiet;
    const char *path;
};

/* One valid row, self-contained for a batch. */
struct esp_row {
    enum esp_kind kind;
    int64_t reported_at;
    char addr[ADDR_BUFSZ];
    char detail[ESP_DETAIL_MAX + sizeof(TEXT_CUT_MARK)];  /* escaped uncut (esp_detail) */
};

/* One import: the reader, the row being checked, and the batch being written in pass 2. */
struct esp_ctx {
    struct optinctl *ctl;
    const struct esp_opts *opt;
    struct csvload *cl;
    struct csvload_batch *batch;
    struct esp_row row;
    char source[CONSENT_SOURCE_MAX];                 /* "import:FORMAT:<basename>" */
    struct change_ctx cc;
    const struct esp_row *rows;                      /* the batch store_write() is applying */
    size_t count, failed;
    unsigned long kind[2][KIND_COUNT];               /* valid rows by kind, of pass 1 and pass 2 */
    unsigned long attempt[FEEDBACK_OUTCOME_COUNT];   /* of the current store_write() attempt */
    unsigned long outcome[FEEDBACK_OUTCOME_COUNT];   /* committed */
};

/* esp_usage - synopsis and option legend */
static int esp_usage(int asked)
{
    fputs("usage: optinctl [global options] import-suppressions --format ses|sendgrid|mailgun|postmark\n"
          "                [--kind KIND] [-l LIST] [-n] [--skip-invalid] [-q] FILE|-\n"
          "  -f, --format NAME   whose export FILE is (its columns are read by name)\n"
          "  -k, --kind KIND     sendgrid: bounce, invalid, complaint or unsubscribe;\n"
          "                      mailgun: bounce, complaint or unsubscribe (one list a file)\n"
          "  -l, --list LIST     unsubscribes are from LIST only (default: from every list)\n"
          "  -n, --dry-run       check the whole file, change nothing\n"
          "      --skip-invalid  import the valid rows, list the invalid ones\n"
          "  -q, --quiet         no summary line\n"
          "bounce and invalid -> bounce suppression; complaint -> complaint suppression;\n"
          "manual -> manual suppression; unsubscribe -> unsubscribed (every list: also a\n"
          "global-unsubscribe suppression). An existing opt-out is never weakened.\n",
          asked ? stdout : stderr);
    return asked ? EX_OK : EX_USAGE;
}

/* esp_kind_parse - a --kind value */
static enum esp_kind esp_kind_parse(const char *s)
{
    for (int k = KIND_BOUNCE; k < KIND_SOFT; k++)
        if (strcmp(esp_kind_names[k], s) == 0)
            return (enum esp_kind) k;
    return KIND_NONE;
}

/* esp_options - options; -1 to go on, else an exit status */
static int esp_options(struct optinctl *ctl, int argc, char **argv, struct esp_opts *opt)
{
    enum { OPT_SKIP = 256 };
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"kind", required_argument, NULL, 'k'},
        {"list", required_argument, NULL, 'l'}, {"dry-run", no_argument, NULL, 'n'},
        {"skip-invalid", no_argument, NULL, OPT_SKIP}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {0}};
    const char *kind = NULL;
    int c;

    memset(opt, 0, sizeof(*opt));
    optind = 0;
    while ((c = getopt_long(argc, argv, "f:k:l:nqh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            for (size_t i = 0; i < sizeof(esp_formats) / sizeof(esp_formats[0]); i++)
                if (strcmp(esp_formats[i].name, optarg) == 0)
                    opt->fmt = &esp_formats[i];
            if (opt->fmt == NULL) {
                ctl_error(ctl, "import-suppressions: --format %s: expected ses, sendgrid, mailgun "
                          "or postmark", optarg);
                return EX_USAGE;
            }
            break;
        case 'k': kind = optarg; break;
        case 'l': opt->list = optarg; break;
        case 'n': opt->dry_run = 1; break;
        case OPT_SKIP: opt->skip_invalid = 1; break;
        case 'q': opt->quiet = 1; break;
        default: return esp_usage(c == 'h');
        }
    }
    if (opt->fmt == NULL || argc - optind != 1) {
        ctl_error(ctl, "import-suppressions: %s", opt->fmt == NULL ? "--format is missing"
                  : "one FILE (or -) is needed");
        return esp_usage(0);
    }
    opt->path = argv[optind];
    if (kind != NULL && (opt->kind = esp_kind_parse(kind)) == KIND_NONE)
        opt->kind = KIND_COUNT;   /* unknown: refused below */
    if (opt->fmt->kinds == 0 && kind != NULL) {
        ctl_error(ctl, "import-suppressions: --kind: a %s export says the reason of each row",
                  opt->fmt->name);
        return EX_USAGE;
    }
    if (opt->fmt->kinds != 0 && (kind == NULL || opt->kind == KIND_COUNT
                                 || !(opt->fmt->kinds & KBIT(opt->kind)))) {
        ctl_error(ctl, "import-suppressions: --kind %s: a %s export is one list a file; say which: "
                  "%s", kind ? kind : "is missing", opt->fmt->name,
                  strcmp(opt->fmt->name, "sendgrid") == 0 ? "bounce, invalid, complaint or "
                  "unsubscribe (blocks are no suppression: SendGrid keeps sending to them)"
                  : "bounce, complaint or unsubscribe");
        return EX_USAGE;
    }
    if (opt->list != NULL && config_find_list(ctl->cfg, opt->list) == NULL) {
        ctl_error(ctl, "import-suppressions: -l %s: no such list in %s", opt->list, ctl->cfg->path);
        return EX_USAGE;
    }
    return -1;
}

/* esp_reason - the kind a row's Reason (and Origin) names; KIND_NONE when unknown */
static enum esp_kind esp_reason(const struct esp_format *fmt, const char *reason, const char *origin)
{
    if (strcmp(fmt->name, "ses") == 0)
        return strcasecmp(reason, "BOUNCE") == 0 ? KIND_BOUNCE
            : strcasecmp(reason, "COMPLAINT") == 0 ? KIND_COMPLAINT : KIND_NONE;
    if (strcasecmp(reason, "HardBounce") == 0)
        return KIND_BOUNCE;
    if (strcasecmp(reason, "SpamComplaint") == 0)
        return KIND_COMPLAINT;
    if (strcasecmp(reason, "ManualSuppression") == 0)   /* Origin Recipient: they unsubscribed */
        return strcasecmp(origin, "Recipient") == 0 ? KIND_UNSUBSCRIBE : KIND_MANUAL;
    return KIND_NONE;
}

/* esp_bad - one field problem, "FILE:LINE: COLUMN: expected (got 'value')", COLUMN as the header says */
static int esp_bad(struct esp_ctx *ec, const struct csvload_record *rec, int col,
                   const char *expected)
{
    const struct csvload_field *f = &rec->field[col];

    csvload_error(ec->cl, rec->line, f->name, expected, f->text, f->len);
    return 1;
}

/* esp_time - a provider's time: Unix seconds, RFC 3339, RFC 2822; without a zone taken as UTC */
static int esp_time(const char *s, int64_t *out)
{
    char buf[ESP_FIELD_MAX + 8], *end;
    double d;

    *out = 0;
    if (*s == '\0')
        return 0;
    errno = 0;
    d = strtod(s, &end);
    if (*end == '\0' && s[0] >= '0' && s[0] <= '9' && errno == 0 && d < 1e11) {
        *out = (int64_t) d;
        return 0;
    }
    if (time_parse(s, out) == 0)
        return 0;
    if (strlen(s) == 19 && s[10] == ' ') {   /* "YYYY-MM-DD HH:MM:SS" */
        snprintf(buf, sizeof(buf), "%sZ", s);
        if (time_parse(buf, out) == 0)
            return 0;
    }
    if (time_parse_rfc5322(s, out) == 0)
        return 0;
    snprintf(buf, sizeof(buf), "%s +0000", s);   /* "Fri, 08 Mar 2024 09:00:00" */
    return time_parse_rfc5322(buf, out);
}

/* esp_detail - the history detail: format, reason or kind, origin and details; unprintable bytes as '?' */
static void esp_detail(const struct esp_ctx *ec, const struct csvload_record *rec,
                       struct esp_row *row)
{
    const struct esp_format *fmt = ec->opt->fmt;
    const struct csvload_field *f = rec->field;
    char raw[ESP_DETAIL_MAX];

    snprintf(raw, sizeof(raw), "%s %s%s%s%s%s%s%s", fmt->name,
             fmt->kinds ? esp_kind_names[ec->opt->kind] : f[COL_REASON].text,
             *f[COL_ORIGIN].text ? " origin=" : "", f[COL_ORIGIN].text,
             *f[COL_DETAIL1].text ? " " : "", f[COL_DETAIL1].text,
             *f[COL_DETAIL2].text ? " " : "", f[COL_DETAIL2].text);
    /* byte for byte, so never cut again: raw already fits */
    text_escape(raw, strlen(raw), 0, TEXT_QUESTION, row->detail, sizeof(row->detail));
}

/* esp_validate - the record as a row; 0, or -1 after reporting why not */
static int esp_validate(struct esp_ctx *ec, const struct csvload_record *rec, struct esp_row *row)
{
    const struct esp_format *fmt = ec->opt->fmt;
    const struct csvload_field *f = rec->field;
    enum addr_error aerr;
    int bad = 0;

    memset(row, 0, sizeof(*row));
    aerr = addr_normalize(f[COL_ADDR].text, strlen(f[COL_ADDR].text), ec->ctl->addr_flags, row->addr);
    if (aerr != ADDR_OK)
        bad += esp_bad(ec, rec, COL_ADDR, addr_strerror(aerr));
    row->kind = ec->opt->kind;
    if (fmt->kinds == 0
        && (row->kind = esp_reason(fmt, f[COL_REASON].text, f[COL_ORIGIN].text)) == KIND_NONE)
        bad += esp_bad(ec, rec, COL_REASON, strcmp(fmt->name, "ses") == 0 ? "BOUNCE or COMPLAINT"
                       : "HardBounce, SpamComplaint or ManualSuppression");
    if (esp_time(f[COL_TIME].text, &row->reported_at) != 0)
        bad += esp_bad(ec, rec, COL_TIME, "a time (RFC 3339, RFC 2822 or Unix seconds)");
    /* a soft bounce in a bounce list: SendGrid status 4.x.x, Mailgun code 4xx */
    if (row->kind == KIND_BOUNCE && f[COL_DETAIL1].text[0] == '4')
        row->kind = KIND_SOFT;
    esp_detail(ec, rec, row);
    return bad ? -1 : 0;
}

/* esp_header - csvload header callback: the first required column missing stops the import */
static int esp_header(struct csvload *cl, unsigned long line, void *arg)
{
    const struct esp_format *fmt = ((const struct esp_ctx *) arg)->opt->fmt;
    char expected[96];

    for (int c = 0; c < COL_COUNT; c++) {
        int required = c == COL_ADDR || (c == COL_REASON && fmt->kinds == 0);

        if (required && !csvload_has_column(cl, (size_t) c)) {
            snprintf(expected, sizeof(expected), "a %s export has a column %s", fmt->name,
                     fmt->cols[c].names[0]);
            csvload_error(cl, line, "header", expected, NULL, 0);
            return CSVLOAD_INVALID;
        }
    }
    return 0;
}

/* esp_record - csvload record callback: check the row, count its kind; in pass 2 queue it */
static int esp_record(struct csvload *cl, const struct csvload_record *rec, void *arg)
{
    struct esp_ctx *ec = arg;

    (void) cl;
    if (esp_validate(ec, rec, &ec->row) != 0)
        return CSVLOAD_INVALID;
    ec->kind[rec->apply][ec->row.kind]++;
    if (!rec->apply || ec->row.kind == KIND_SOFT)   /* soft bounces are not imported */
        return 0;
    return csvload_batch_add(ec->batch, &ec->row, rec->line);
}

/* esp_batch_apply - write callback: every row of the batch (re-runnable) */
static int esp_batch_apply(struct store_txn *txn, void *arg)
{
    struct esp_ctx *ec = arg;
    enum feedback_outcome oc;
    int rc = 0;

    memset(ec->attempt, 0, sizeof(ec->attempt));
    for (size_t i = 0; rc == 0 && i < ec->count; i++) {
        const struct esp_row *r = &ec->rows[i];
        struct feedback_note note = {.detail = r->detail, .reported_at = r->reported_at};

        ec->failed = i;
        oc = FEEDBACK_UNCHANGED;
        switch (r->kind) {
        case KIND_BOUNCE:
        case KIND_INVALID:
            rc = consent_feedback_suppress(txn, r->addr, SUPPRESS_BOUNCE, &note, &ec->cc, &oc);
            break;
        case KIND_COMPLAINT:
            rc = consent_feedback_suppress(txn, r->addr, SUPPRESS_COMPLAINT, &note, &ec->cc, &oc);
            break;
        case KIND_MANUAL:
            rc = consent_feedback_suppress(txn, r->addr, SUPPRESS_MANUAL, &note, &ec->cc, &oc);
            break;
        case KIND_UNSUBSCRIBE:
            rc = consent_feedback_unsubscribe(txn, ec->opt->list, r->addr, SUPPRESS_GLOBAL_UNSUB,
                                              &note, &ec->cc, &oc);
            break;
        default:
            continue;
        }
        ec->attempt[oc]++;
    }
    return rc;
}

/* esp_flush - csvload flush callback: one write transaction for the batch; an exit status */
static int esp_flush(struct csvload_batch *b, void *rows, size_t count, void *arg)
{
    struct esp_ctx *ec = arg;
    int rc;

    ec->rows = rows;
    ec->count = count;
    ec->failed = 0;
    if ((rc = store_write(ec->ctl->store, esp_batch_apply, ec)) == 0) {
        for (int i = 0; i < FEEDBACK_OUTCOME_COUNT; i++)
            ec->outcome[i] += ec->attempt[i];
        return 0;
    }
    csvload_message(ec->cl, "%s:%lu: %s", csvload_name(ec->cl), csvload_batch_line(b, ec->failed),
                    rc < 0 ? optin_strerror(rc) : "the store refused the row");
    return rc < 0 ? ctl_store_exit(rc) : EX_DATAERR;
}

/* esp_summary - the closing line, of pass 1 (dry run) or pass 2 */
static void esp_summary(const struct esp_ctx *ec, int dry)
{
    const struct csvload_stats *st = csvload_stats(ec->cl);
    const unsigned long *kind = ec->kind[!dry];
    char outcome[256] = "";

    if (!dry)
        snprintf(outcome, sizeof(outcome), "; applied %lu, upgraded %lu, unchanged %lu, erased %lu",
                 ec->outcome[FEEDBACK_APPLIED], ec->outcome[FEEDBACK_UPGRADED],
                 ec->outcome[FEEDBACK_UNCHANGED], ec->outcome[FEEDBACK_ERASED]);
    ctl_error(ec->ctl, "import-suppressions %s: %s%lu rows: bounce %lu, invalid %lu, complaint %lu, "
              "unsubscribe %lu, manual %lu, soft (not imported) %lu, invalid rows %lu%s%s",
              csvload_name(ec->cl), dry ? "dry run: " : "", st->rows, kind[KIND_BOUNCE],
              kind[KIND_INVALID], kind[KIND_COMPLAINT], kind[KIND_UNSUBSCRIBE], kind[KIND_MANUAL],
              kind[KIND_SOFT], st->invalid, outcome, dry ? "; nothing changed" : "");
}

/* esp_apply_pass - pass 2: open the store, apply the valid rows in batches, sync */
static int esp_apply_pass(struct esp_ctx *ec)
{
    struct optinctl *ctl = ec->ctl;
    char prefix[CONSENT_SOURCE_MAX];
    int rc, src;

    ec->batch = csvload_batch_new(ec->cl, sizeof(struct esp_row), ESP_BATCH_ROWS, esp_flush, ec);
    if (ec->batch == NULL) {
        ctl_error(ctl, "import-suppressions: out of memory");
        return EX_SOFTWARE;
    }
    if ((rc = ctl_open_store(ctl, 0, 1)) != EX_OK)
        goto done;
    snprintf(prefix, sizeof(prefix), "import:%s:", ec->opt->fmt->name);
    csvload_label(ec->cl, prefix, ec->source, sizeof(ec->source));
    ec->cc = (struct change_ctx) {.now = ctl->now, .source = ec->source, .actor = ctl->actor};
    rc = csvload_apply(ec->cl, ec->batch);
    if ((src = store_sync(ctl->store)) != 0) {
        ctl_error(ctl, "import-suppressions %s: sync: %s", csvload_name(ec->cl), optin_strerror(src));
        rc = rc ? rc : ctl_store_exit(src);
    }
done:
    csvload_batch_free(ec->batch);
    ec->batch = NULL;
    return rc;
}

/* cmd_import_suppressions - validate an export, then apply it */
int cmd_import_suppressions(struct optinctl *ctl, int argc, char **argv)
{
    struct esp_opts opt;
    struct esp_ctx ec = {.ctl = ctl, .opt = &opt};
    struct csvload_spec spec = {
        .progname = ctl->progname, .command = "import-suppressions", .ncolumns = COL_COUNT,
        .keep = ESP_FIELD_MAX, .header = esp_header, .record = esp_record, .arg = &ec,
    };
    int rc;

    if ((rc = esp_options(ctl, argc, argv, &opt)) != -1)
        return rc;
    spec.columns = opt.fmt->cols;
    /* no progress line: import-suppressions never had one */
    spec.flags = CSVLOAD_LOOSE_NAMES | CSVLOAD_OTHER_COLUMNS | CSVLOAD_TRIM | CSVLOAD_QUIET
        | (opt.skip_invalid ? CSVLOAD_SKIP_INVALID : 0);
    if ((rc = csvload_open(&spec, opt.path, &ec.cl)) != EX_OK)
        return rc;
    rc = csvload_check(ec.cl);
    if (rc == 0 && opt.dry_run && !opt.quiet)
        esp_summary(&ec, 1);
    if (rc == 0 && !opt.dry_run && (rc = esp_apply_pass(&ec)) == 0 && !opt.quiet)
        esp_summary(&ec, 0);
    csvload_close(ec.cl);
    return rc;
}
