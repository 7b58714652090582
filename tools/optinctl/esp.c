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
 *	Like import, the file is read twice: pass 1 checks every row and
 *	changes nothing if one is invalid (unless --skip-invalid); pass 2
 *	applies the valid rows in batches of ESP_BATCH_ROWS, one write
 *	transaction each. Standard input is spooled to a temporary file.
 * DIAGNOSTICS
 *	"optinctl: FILE:LINE: COLUMN: what was expected (got 'value')" for
 *	each invalid row (the first 100), then one summary line on stderr
 *	unless -q. Exit status as for import: 0, 64 usage, 65 invalid rows or
 *	header, 66 FILE unreadable, 73/74 spool, else ctl_store_exit().
 * BUGS
 *	Times without a zone ("2024-05-01 12:00:00") are taken as UTC.
 * SEE ALSO
 *	optinctl(1), optinctl_import.c (the same two passes), consent(3)
 */

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mail/addr.h"
#include "consent/consent.h"
#include "optinctl.h"
#include "consent/store.h"
#include "util/timeutil.h"

#define ESP_BUFSZ 65536
#define ESP_FIELD_MAX 512          /* bytes of a field kept; longer values are cut */
#define ESP_FIELD_HARD_MAX (1 << 20)
#define ESP_BATCH_ROWS 1000
#define ESP_ERROR_CAP 100
#define ESP_DETAIL_MAX 200
#define ESP_CSV_OPTIONS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL)

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

/* Columns a format reads; each names up to three header spellings (normalized). */
enum esp_col { COL_ADDR, COL_REASON, COL_ORIGIN, COL_TIME, COL_DETAIL1, COL_DETAIL2, COL_COUNT };

struct esp_format {
    const char *name;
    const char *cols[COL_COUNT][3];
    unsigned kinds;            /* --kind values allowed (bit per kind); 0: the Reason column says */
};

#define KBIT(k) (1u << (k))
static const struct esp_format esp_formats[] = {
    {"ses", {[COL_ADDR] = {"emailaddress"}, [COL_REASON] = {"reason"},
             [COL_TIME] = {"lastupdatetime"}}, 0},
    {"sendgrid", {[COL_ADDR] = {"email"}, [COL_TIME] = {"created"}, [COL_DETAIL1] = {"status"},
                  [COL_DETAIL2] = {"reason"}},
     KBIT(KIND_BOUNCE) | KBIT(KIND_INVALID) | KBIT(KIND_COMPLAINT) | KBIT(KIND_UNSUBSCRIBE)},
    {"mailgun", {[COL_ADDR] = {"address"}, [COL_TIME] = {"createdat"}, [COL_DETAIL1] = {"code"},
                 [COL_DETAIL2] = {"error", "tags"}},
     KBIT(KIND_BOUNCE) | KBIT(KIND_COMPLAINT) | KBIT(KIND_UNSUBSCRIBE)},
    {"postmark", {[COL_ADDR] = {"emailaddress", "email"}, [COL_REASON] = {"reason", "suppressionreason"},
                  [COL_ORIGIN] = {"origin"}, [COL_TIME] = {"createdat"}}, 0},
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
    unsigned long line;
    enum esp_kind kind;
    int64_t reported_at;
    char addr[ADDR_BUFSZ];
    char detail[ESP_DETAIL_MAX];
};

/* Counters of a pass. */
struct esp_stats {
    unsigned long rows, invalid, errors;
    unsigned long kind[KIND_COUNT];
    unsigned long outcome[FEEDBACK_OUTCOME_COUNT];
};

/* One pass over the file. */
struct esp_reader {
    struct optinctl *ctl;
    const struct esp_opts *opt;
    const char *name;
    int report;                /* print row errors (pass 1) */
    struct esp_stats *st;
    int (*on_row)(void *arg, const struct esp_row *row);
    void *arg;
    int rc;
    unsigned long line, rec_line;
    int in_record, prev_cr, have_header;
    unsigned seen;             /* bit per column found in the header */
    char colname[COL_COUNT][64]; /* as the header spells it, for messages */
    size_t ncols, nf;
    signed char map[64];       /* header position -> column (or -1); positions past 63 ignored */
    char val[COL_COUNT][ESP_FIELD_MAX + 1];
    struct esp_row row;
};

/* A batch of rows waiting for one write transaction. */
struct esp_batch {
    struct optinctl *ctl;
    const struct esp_opts *opt;
    const char *name;
    struct esp_row *rows;
    size_t count, failed;
    struct change_ctx cc;
    unsigned long outcome[FEEDBACK_OUTCOME_COUNT];
    struct esp_stats *st;
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

/* esp_norm_name - a header name without case, blanks, '_' and '-' (and a UTF-8 BOM) */
static void esp_norm_name(const char *in, char *out, size_t outsz)
{
    size_t o = 0;

    if (strncmp(in, "\xef\xbb\xbf", 3) == 0)
        in += 3;
    for (; *in && o + 1 < outsz; in++)
        if (*in != ' ' && *in != '_' && *in != '-' && *in != '\t')
            out[o++] = (char) (*in >= 'A' && *in <= 'Z' ? *in + 32 : *in);
    out[o] = '\0';
}

/* esp_error - one row problem, "FILE:LINE: COLUMN: expected (got 'value')" (the first 100) */
static void esp_error(struct esp_reader *rd, const char *col, const char *expected, const char *got)
{
    char shown[CTL_PRINTABLE_BUFSZ];

    rd->st->errors++;
    if (!rd->report || rd->st->errors > ESP_ERROR_CAP)
        return;
    ctl_error(rd->ctl, "%s:%lu: %s: %s%s%s%s", rd->name, rd->rec_line, col, expected,
              got ? " (got '" : "", got ? ctl_printable(got, shown) : "", got ? "')" : "");
}

/* esp_time - a provider's time: RFC 3339, "YYYY-MM-DD HH:MM:SS" (UTC), Unix seconds, RFC 2822 */
static int esp_time(const char *s, int64_t *out)
{
    char buf[64], *end;
    GDateTime *dt;
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
    if (strlen(s) == 19 && s[10] == ' ') {
        snprintf(buf, sizeof(buf), "%sZ", s);
        if (time_parse(buf, out) == 0)
            return 0;
    }
    if ((dt = g_mime_utils_header_decode_date(s)) != NULL) {
        *out = g_date_time_to_unix(dt);
        g_date_time_unref(dt);
        return 0;
    }
    return -1;
}

/* esp_printable - control characters as '?', in place */
static void esp_printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s < 0x20 || *s == 0x7f)
            *s = '?';
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

/* esp_validate - the current record as a row; 0, or -1 after reporting why not */
static int esp_validate(struct esp_reader *rd, struct esp_row *row)
{
    const struct esp_format *fmt = rd->opt->fmt;
    char (*v)[ESP_FIELD_MAX + 1] = rd->val;
    enum addr_error aerr;
    int bad = 0;

    memset(row, 0, sizeof(*row));
    row->line = rd->rec_line;
    if ((aerr = addr_normalize(v[COL_ADDR], strlen(v[COL_ADDR]), rd->ctl->addr_flags, row->addr))
        != ADDR_OK) {
        esp_error(rd, rd->colname[COL_ADDR], addr_strerror(aerr), v[COL_ADDR]);
        bad = 1;
    }
    row->kind = rd->opt->kind;
    if (fmt->kinds == 0 && (row->kind = esp_reason(fmt, v[COL_REASON], v[COL_ORIGIN])) == KIND_NONE) {
        esp_error(rd, rd->colname[COL_REASON], strcmp(fmt->name, "ses") == 0
                  ? "BOUNCE or COMPLAINT" : "HardBounce, SpamComplaint or ManualSuppression",
                  v[COL_REASON]);
        bad = 1;
    }
    if (esp_time(v[COL_TIME], &row->reported_at) != 0) {
        esp_error(rd, rd->colname[COL_TIME], "a time (RFC 3339, RFC 2822 or Unix seconds)",
                  v[COL_TIME]);
        bad = 1;
    }
    /* a soft bounce in a bounce list: SendGrid status 4.x.x, Mailgun code 4xx */
    if (row->kind == KIND_BOUNCE && v[COL_DETAIL1][0] == '4')
        row->kind = KIND_SOFT;
    snprintf(row->detail, sizeof(row->detail), "%s %s%s%s%s%s%s%s", fmt->name,
             fmt->kinds ? esp_kind_names[rd->opt->kind] : v[COL_REASON],
             *v[COL_ORIGIN] ? " origin=" : "", v[COL_ORIGIN],
             *v[COL_DETAIL1] ? " " : "", v[COL_DETAIL1], *v[COL_DETAIL2] ? " " : "", v[COL_DETAIL2]);
    esp_printable(row->detail);
    return bad ? -1 : 0;
}

/* esp_header - after the header line: a missing required column stops the pass */
static void esp_header(struct esp_reader *rd)
{
    const struct esp_format *fmt = rd->opt->fmt;

    rd->have_header = 1;
    rd->ncols = rd->nf;
    for (int c = 0; c < COL_COUNT; c++) {
        int required = c == COL_ADDR || (c == COL_REASON && fmt->kinds == 0);

        if (required && !(rd->seen & (1u << c))) {
            ctl_error(rd->ctl, "%s:%lu: header: a %s export has a column %s", rd->name,
                      rd->rec_line, fmt->name, fmt->cols[c][0]);
            rd->rc = EX_DATAERR;
            return;
        }
    }
}

/* esp_on_field - libcsv field callback */
static void esp_on_field(void *data, size_t len, void *arg)
{
    struct esp_reader *rd = arg;
    const struct esp_format *fmt = rd->opt->fmt;
    size_t pos = rd->nf++;
    char name[64];

    if (rd->rc != 0)
        return;
    if (!rd->have_header) {
        if (pos < sizeof(rd->map))
            rd->map[pos] = -1;
        esp_norm_name(data ? data : "", name, sizeof(name));
        for (int c = 0; c < COL_COUNT && pos < sizeof(rd->map); c++)
            for (int s = 0; s < 3 && fmt->cols[c][s]; s++)
                if (strcmp(name, fmt->cols[c][s]) == 0 && !(rd->seen & (1u << c))) {
                    rd->map[pos] = (signed char) c;
                    rd->seen |= 1u << c;
                    snprintf(rd->colname[c], sizeof(rd->colname[c]), "%.*s",
                             (int) (len < 63 ? len : 63), data ? (const char *) data : "");
                }
        return;
    }
    if (pos < sizeof(rd->map) && rd->map[pos] >= 0) {
        char *dst = rd->val[(int) rd->map[pos]];

        len = len > ESP_FIELD_MAX ? ESP_FIELD_MAX : len;
        memcpy(dst, data ? data : "", data ? len : 0);
        dst[data ? len : 0] = '\0';
        g_strstrip(dst);
    }
}

/* esp_on_record - libcsv record callback */
static void esp_on_record(int c, void *arg)
{
    struct esp_reader *rd = arg;
    const struct esp_row *row = NULL;

    (void) c;
    rd->in_record = 0;
    if (rd->rc == 0 && !rd->have_header) {
        esp_header(rd);
    } else if (rd->rc == 0) {
        rd->st->rows++;
        if (rd->nf != rd->ncols) {
            char got[32];

            snprintf(got, sizeof(got), "%zu", rd->nf);
            esp_error(rd, "record", "as many fields as the header", got);
        } else if (esp_validate(rd, &rd->row) == 0) {
            row = &rd->row;
            rd->st->kind[row->kind]++;
        }
        if (row == NULL)
            rd->st->invalid++;
        if (rd->on_row != NULL)
            rd->rc = rd->on_row(rd->arg, row);
    }
    rd->nf = 0;
    for (int col = 0; col < COL_COUNT; col++)
        rd->val[col][0] = '\0';
}

/* esp_has_content - does a line start a record (anything but blanks and line ends)? */
static int esp_has_content(const char *d, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (d[i] != ' ' && d[i] != '\t' && d[i] != '\r' && d[i] != '\n')
            return 1;
    return 0;
}

/* esp_scan - one pass from the start of the file, fed a line at a time to count lines */
static int esp_scan(struct esp_reader *rd, int fd)
{
    struct csv_parser p;
    char *buf = malloc(ESP_BUFSZ);
    ssize_t n;

    if (buf == NULL || lseek(fd, 0, SEEK_SET) != 0 || csv_init(&p, ESP_CSV_OPTIONS) != 0) {
        ctl_error(rd->ctl, "%s: cannot start reading: %s", rd->name, strerror(errno));
        free(buf);
        return EX_SOFTWARE;
    }
    rd->line = 1;
    while (rd->rc == 0 && (n = read(fd, buf, ESP_BUFSZ)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ctl_error(rd->ctl, "%s: read error: %s", rd->name, strerror(errno));
            rd->rc = EX_IOERR;
            break;
        }
        for (char *d = buf; n > 0 && rd->rc == 0;) {
            char *nl = memchr(d, '\n', (size_t) n), *cr = memchr(d, '\r', (size_t) n);
            size_t len = (size_t) n;

            if (nl != NULL || cr != NULL)
                len = (size_t) ((nl && (!cr || nl < cr) ? nl : cr) - d) + 1;
            if (!rd->in_record && esp_has_content(d, len)) {
                rd->in_record = 1;
                rd->rec_line = rd->line;
            }
            if (csv_parse(&p, d, len, esp_on_field, esp_on_record, rd) != len
                || csv_get_buffer_size(&p) > ESP_FIELD_HARD_MAX) {
                ctl_error(rd->ctl, "%s:%lu: CSV syntax: %s", rd->name, rd->line,
                          csv_error(&p) == CSV_EPARSE ? "a quote only around a whole field, doubled "
                          "inside it" : "fields shorter than 1 MiB (unbalanced quote?)");
                rd->rc = EX_DATAERR;
            }
            if (d[len - 1] == '\r' || (d[len - 1] == '\n' && !(len == 1 && rd->prev_cr)))
                rd->line++;
            rd->prev_cr = d[len - 1] == '\r';
            d += len;
            n -= (ssize_t) len;
        }
    }
    if (rd->rc == 0 && csv_fini(&p, esp_on_field, esp_on_record, rd) != 0) {
        ctl_error(rd->ctl, "%s:%lu: CSV syntax: a closing quote for the field opened here",
                  rd->name, rd->rec_line);
        rd->rc = EX_DATAERR;
    }
    if (rd->rc == 0 && !rd->have_header) {
        ctl_error(rd->ctl, "%s: header: a header line naming the columns (the file is empty)",
                  rd->name);
        rd->rc = EX_DATAERR;
    }
    csv_free(&p);
    free(buf);
    return rd->rc;
}

/* esp_reader_init - a fresh reader for one pass */
static void esp_reader_init(struct esp_reader *rd, struct optinctl *ctl, const struct esp_opts *opt,
                            const char *name, struct esp_stats *st)
{
    memset(rd, 0, sizeof(*rd));
    memset(st, 0, sizeof(*st));
    rd->ctl = ctl;
    rd->opt = opt;
    rd->name = name;
    rd->st = st;
}

/* esp_open - FILE, or standard input spooled to an unlinked temporary file */
static int esp_open(struct optinctl *ctl, const char *path, int *fd)
{
    const char *dir = getenv("TMPDIR");
    char spool[4096], buf[ESP_BUFSZ];
    ssize_t n;

    if (strcmp(path, "-") != 0) {
        struct stat sb;

        if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(*fd, &sb) != 0
            || S_ISDIR(sb.st_mode)) {
            ctl_error(ctl, "cannot read %s: %s", path, *fd < 0 ? strerror(errno) : strerror(EISDIR));
            if (*fd >= 0)
                close(*fd);
            return EX_NOINPUT;
        }
        if (S_ISREG(sb.st_mode))
            return EX_OK;
        close(*fd);
        ctl_error(ctl, "%s: not a regular file (use - for a pipe)", path);
        return EX_NOINPUT;
    }
    snprintf(spool, sizeof(spool), "%s/optinctl-esp.XXXXXX", dir && *dir ? dir : "/tmp");
    if ((*fd = mkstemp(spool)) < 0) {
        ctl_error(ctl, "cannot create a spool file %s: %s", spool, strerror(errno));
        return EX_CANTCREAT;
    }
    unlink(spool);
    while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || write(*fd, buf, (size_t) n) != n) {
            ctl_error(ctl, "spooling standard input: %s", strerror(errno));
            close(*fd);
            return n < 0 ? EX_IOERR : EX_CANTCREAT;
        }
    }
    return EX_OK;
}

/* esp_batch_apply - write callback: every row of the batch (re-runnable) */
static int esp_batch_apply(struct store_txn *txn, void *arg)
{
    struct esp_batch *b = arg;
    enum feedback_outcome oc;
    int rc = 0;

    memset(b->outcome, 0, sizeof(b->outcome));
    for (size_t i = 0; rc == 0 && i < b->count; i++) {
        const struct esp_row *r = &b->rows[i];
        struct feedback_note note = {.detail = r->detail, .reported_at = r->reported_at};

        b->failed = i;
        oc = FEEDBACK_UNCHANGED;
        switch (r->kind) {
        case KIND_BOUNCE:
        case KIND_INVALID:
            rc = consent_feedback_suppress(txn, r->addr, SUPPRESS_BOUNCE, &note, &b->cc, &oc);
            break;
        case KIND_COMPLAINT:
            rc = consent_feedback_suppress(txn, r->addr, SUPPRESS_COMPLAINT, &note, &b->cc, &oc);
            break;
        case KIND_MANUAL:
            rc = consent_feedback_suppress(txn, r->addr, SUPPRESS_MANUAL, &note, &b->cc, &oc);
            break;
        case KIND_UNSUBSCRIBE:
            rc = consent_feedback_unsubscribe(txn, b->opt->list, r->addr, SUPPRESS_GLOBAL_UNSUB,
                                              &note, &b->cc, &oc);
            break;
        default:
            continue;   /* soft bounces are not imported */
        }
        b->outcome[oc]++;
    }
    return rc;
}

/* esp_batch_flush - commit the batch; an exit status */
static int esp_batch_flush(struct esp_batch *b)
{
    int rc;

    if (b->count == 0)
        return 0;
    if ((rc = store_write(b->ctl->store, esp_batch_apply, b)) == 0) {
        for (int i = 0; i < FEEDBACK_OUTCOME_COUNT; i++)
            b->st->outcome[i] += b->outcome[i];
        b->count = 0;
        return 0;
    }
    ctl_error(b->ctl, "%s:%lu: %s", b->name, b->rows[b->failed].line,
              rc < 0 ? store_strerror(rc) : "the store refused the row");
    ctl_error(b->ctl, "import-suppressions %s: stopped: the rows before line %lu are imported, "
              "none from there on", b->name, b->rows[0].line);
    return rc < 0 ? ctl_store_exit(rc) : EX_DATAERR;
}

/* esp_batch_add - pass 2 row callback */
static int esp_batch_add(void *arg, const struct esp_row *row)
{
    struct esp_batch *b = arg;

    if (row == NULL || row->kind == KIND_SOFT)
        return 0;
    b->rows[b->count++] = *row;
    return b->count == ESP_BATCH_ROWS ? esp_batch_flush(b) : 0;
}

/* esp_summary - the closing line */
static void esp_summary(struct optinctl *ctl, const char *name, const struct esp_stats *st,
                        int dry)
{
    char outcome[256] = "";

    if (!dry)
        snprintf(outcome, sizeof(outcome), "; applied %lu, upgraded %lu, unchanged %lu, erased %lu",
                 st->outcome[FEEDBACK_APPLIED], st->outcome[FEEDBACK_UPGRADED],
                 st->outcome[FEEDBACK_UNCHANGED], st->outcome[FEEDBACK_ERASED]);
    ctl_error(ctl, "import-suppressions %s: %s%lu rows: bounce %lu, invalid %lu, complaint %lu, "
              "unsubscribe %lu, manual %lu, soft (not imported) %lu, invalid rows %lu%s%s", name,
              dry ? "dry run: " : "", st->rows, st->kind[KIND_BOUNCE], st->kind[KIND_INVALID],
              st->kind[KIND_COMPLAINT], st->kind[KIND_UNSUBSCRIBE], st->kind[KIND_MANUAL],
              st->kind[KIND_SOFT], st->invalid, outcome, dry ? "; nothing changed" : "");
}

/* esp_apply_pass - pass 2: read again, apply the valid rows in batches */
static int esp_apply_pass(struct optinctl *ctl, const struct esp_opts *opt, int fd, const char *name,
                          struct esp_stats *st)
{
    const char *base = strrchr(opt->path, '/');
    struct esp_reader *rd = malloc(sizeof(*rd));
    struct esp_batch b = {.ctl = ctl, .opt = opt, .name = name, .st = st};
    char source[CONSENT_SOURCE_MAX];
    int rc, src;

    b.rows = calloc(ESP_BATCH_ROWS, sizeof(*b.rows));
    if (rd == NULL || b.rows == NULL) {
        ctl_error(ctl, "import-suppressions: out of memory");
        rc = EX_SOFTWARE;
        goto done;
    }
    if ((rc = ctl_open_store(ctl, 0, 1)) != EX_OK)
        goto done;
    snprintf(source, sizeof(source), "import:%s:%s", opt->fmt->name,
             strcmp(opt->path, "-") == 0 ? "stdin" : base ? base + 1 : opt->path);
    b.cc = (struct change_ctx) {.now = ctl->now, .source = source, .actor = ctl->actor};
    esp_reader_init(rd, ctl, opt, name, st);
    rd->on_row = esp_batch_add;
    rd->arg = &b;
    if ((rc = esp_scan(rd, fd)) == 0)
        rc = esp_batch_flush(&b);
    if ((src = store_sync(ctl->store)) != 0) {
        ctl_error(ctl, "import-suppressions %s: sync: %s", name, store_strerror(src));
        rc = rc ? rc : ctl_store_exit(src);
    }
done:
    free(b.rows);
    free(rd);
    return rc;
}

/* cmd_import_suppressions - validate an export, then apply it */
int cmd_import_suppressions(struct optinctl *ctl, int argc, char **argv)
{
    struct esp_opts opt;
    struct esp_stats st1, st2;
    struct esp_reader *rd;
    const char *name;
    int fd = -1, rc;

    if ((rc = esp_options(ctl, argc, argv, &opt)) != -1)
        return rc;
    g_mime_init();   /* RFC 2822 dates */
    name = strcmp(opt.path, "-") == 0 ? "stdin" : opt.path;
    if ((rc = esp_open(ctl, opt.path, &fd)) != EX_OK)
        return rc;
    if ((rd = malloc(sizeof(*rd))) == NULL) {
        close(fd);
        return EX_SOFTWARE;
    }
    esp_reader_init(rd, ctl, &opt, name, &st1);
    rd->report = 1;
    rc = esp_scan(rd, fd);
    free(rd);
    if (st1.errors > ESP_ERROR_CAP)
        ctl_error(ctl, "... and %lu more", st1.errors - ESP_ERROR_CAP);
    if (rc == 0 && st1.invalid > 0 && !opt.skip_invalid) {
        ctl_error(ctl, "import-suppressions %s: %lu of %lu rows invalid, nothing imported "
                  "(--skip-invalid imports the valid ones)", name, st1.invalid, st1.rows);
        rc = EX_DATAERR;
    }
    if (rc == 0 && opt.dry_run && !opt.quiet)
        esp_summary(ctl, name, &st1, 1);
    if (rc == 0 && !opt.dry_run && (rc = esp_apply_pass(ctl, &opt, fd, name, &st2)) == 0
        && !opt.quiet)
        esp_summary(ctl, name, &st2, 0);
    close(fd);
    return rc;
}
