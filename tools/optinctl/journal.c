/*
 * NAME
 *	optinctl_journal 1
 * SUMMARY
 *	optinctl journal: select decision lines, and verify the hash chain
 * SYNOPSIS
 *	optinctl journal [--json] [-a ADDRESS] [-l LIST] [-q QUEUE_ID]
 *		[-V VERDICT] [-r REASON] [--since TIME] [--until TIME] [FILE...]
 *	optinctl journal verify [FILE...]
 * DESCRIPTION
 *	Without FILE both read the configured journal and every rotated
 *	copy of it, plain or gzip'd, oldest first (journal_files(3)).
 *
 *	The query prints the lines every given condition holds for: the
 *	address is normalized as the milter normalizes recipients, so any
 *	spelling finds a line whose recipient, or whose raw recipient once
 *	normalized, is that address; list, queue id, verdict and reason
 *	match exactly; --since and --until bound the time (RFC 3339 or a
 *	date). Text output is one line per decision (time, queue id,
 *	verdict, reason, list, recipient); --json prints the lines as
 *	stored, one JSON object per line.
 *
 *	verify walks the chain (chain(3)) across the files in order and
 *	reports, as FILE:LINE: seq N: what, each line whose hash does not
 *	match its content (edited), each jump in the sequence numbers (lines
 *	removed), each number that does not go forward (inserted or moved),
 *	a file whose first line does not continue the file before it, and,
 *	for the configured journal, lines missing at the end according to
 *	its head file. Lines that are not journal lines (a write cut short)
 *	are counted, not failed: the line after one still proves the chain.
 * DIAGNOSTICS
 *	Exit 0: lines printed, or the chain is intact; 1: no line matched,
 *	or verify found a problem; 64 usage; 65 a bad address or time; 66 a
 *	file cannot be read; 78 no journal configured and no FILE given.
 * SEE ALSO
 *	optinctl(1), journal(3), chain(3), files(3)
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "journal/chain.h"
#include "journal/files.h"
#include "mail/addr.h"
#include "optinctl.h"
#include "util/timeutil.h"

#define QUERY_USAGE "usage: optinctl [global options] journal [--json] [-a ADDRESS] [-l LIST] " \
    "[-q QUEUE_ID] [-V VERDICT] [-r REASON] [--since TIME] [--until TIME] [FILE...]\n" \
    "       optinctl [global options] journal verify [FILE...]\n" \
    "       optinctl [global options] journal index [--quiet]\n"
#define HEAD_SUFFIX ".head"
#define PROBLEMS_SHOWN 50

/* The conditions of a query and what it found. */
struct query {
    unsigned addr_flags;
    char address[ADDR_BUFSZ];        /* "" for any */
    const char *list, *queue_id, *verdict, *reason;
    int64_t since, until;            /* 0: unbounded */
    int as_json;
    unsigned long matched;
    json_t *collected;               /* journal_lines_of: the lines, parsed */
};

/* The chain as verify walks it. */
struct verify {
    const char *file;
    int first_in_file;
    int have_prev;
    char prev[CHAIN_HASH_BUFSZ];
    uint64_t first_seq, last_seq;
    unsigned long lines, torn, redacted, problems;
};

/* journal_list - FILE arguments, or the configured journal and its rotated copies; exit code */
int journal_list(struct optinctl *ctl, int argc, char **argv, char ***files, size_t *n)
{
    int rc;

    if (argc > 0) {
        if ((*files = calloc((size_t) argc, sizeof(char *))) == NULL)
            return EX_SOFTWARE;
        for (*n = 0; *n < (size_t) argc; (*n)++)
            if (((*files)[*n] = strdup(argv[*n])) == NULL)
                return EX_SOFTWARE;
        return EX_OK;
    }
    if (ctl->cfg->journal == NULL) {
        ctl_error(ctl, "journal: no journal configured in %s and no FILE given", ctl->config_path);
        return EX_CONFIG;
    }
    if ((rc = journal_files(ctl->cfg->journal, files, n)) != 0) {
        ctl_error(ctl, "%s: %s", ctl->cfg->journal, strerror(-rc));
        return EX_NOINPUT;
    }
    if (*n == 0) {
        ctl_error(ctl, "%s: no journal file", ctl->cfg->journal);
        return EX_NOINPUT;
    }
    return EX_OK;
}

/* journal_read_all - every line of the files, in order, to fn; exit code (66 naming a file that fails) */
int journal_read_all(struct optinctl *ctl, char **files, size_t n, journal_line_fn *fn, void *arg)
{
    for (size_t i = 0; i < n; i++) {
        int err = journal_read(files[i], fn, arg);

        if (err != 0) {
            ctl_error(ctl, "%s: %s", files[i], strerror(-err));
            return EX_NOINPUT;
        }
    }
    return EX_OK;
}

/* address_matches - is the line about q->address (its recipient, or its raw recipient normalized)? */
static int address_matches(const struct query *q, json_t *obj)
{
    const char *raw = json_text(obj, "recipient_raw");
    char norm[ADDR_BUFSZ];

    if (strcmp(json_text(obj, "recipient"), q->address) == 0)
        return 1;
    return *raw && addr_normalize(raw, strlen(raw), q->addr_flags, norm) == ADDR_OK
        && strcmp(norm, q->address) == 0;
}

/* line_matches - does a parsed line meet every condition? */
static int line_matches(const struct query *q, json_t *obj)
{
    int64_t t = 0;

    if ((q->list && strcmp(json_text(obj, "list"), q->list) != 0)
        || (q->queue_id && strcmp(json_text(obj, "queue_id"), q->queue_id) != 0)
        || (q->verdict && strcmp(json_text(obj, "verdict"), q->verdict) != 0)
        || (q->reason && strcmp(json_text(obj, "reason"), q->reason) != 0)
        || (q->address[0] && !address_matches(q, obj)))
        return 0;
    if ((q->since || q->until) && time_parse(json_text(obj, "time"), &t) != 0)
        return 0;
    return (!q->since || t >= q->since) && (!q->until || t < q->until);
}

/* query_line - print one line if it matches */
static int query_line(char *line, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    struct query *q = arg;
    json_t *obj = json_loadb(line, len, 0, NULL);

    (void) lineno, (void) offset;
    if (obj == NULL)
        return 0;                        /* a torn line */
    if (line_matches(q, obj)) {
        q->matched++;
        if (q->as_json)
            printf("%s\n", line);
        else
            printf("%s  %-12s  %-14s  %-24s  %-12s  %s\n", json_text(obj, "time"),
                   *json_text(obj, "queue_id") ? json_text(obj, "queue_id") : "-", json_text(obj, "verdict"),
                   *json_text(obj, "reason") ? json_text(obj, "reason") : "-",
                   *json_text(obj, "list") ? json_text(obj, "list") : "-",
                   *json_text(obj, "recipient") ? json_text(obj, "recipient") : "-");
    }
    json_decref(obj);
    return 0;
}

/* problem - report one break of the chain */
__attribute__((format(printf, 4, 5)))
static void problem(struct verify *v, unsigned long lineno, uint64_t seq, const char *fmt, ...)
{
    va_list ap;

    if (++v->problems > PROBLEMS_SHOWN)
        return;
    printf("%s:%lu: seq %" PRIu64 ": ", v->file, lineno, seq);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* mismatch - name what a line whose hash does not chain means, by its sequence number */
static void mismatch(struct verify *v, unsigned long lineno, uint64_t seq)
{
    if (!v->have_prev || seq == v->last_seq + 1)
        problem(v, lineno, seq, "edited: its hash does not match its content");
    else if (seq > v->last_seq + 1)
        problem(v, lineno, seq, "%" PRIu64 " line%s missing before it (seq %" PRIu64 " follows %" PRIu64 ")",
                seq - v->last_seq - 1, seq - v->last_seq - 1 == 1 ? "" : "s", seq, v->last_seq);
    else
        problem(v, lineno, seq, "inserted or out of order: seq %" PRIu64 " follows %" PRIu64,
                seq, v->last_seq);
}

/* verify_line - check one line against the chain so far */
static int verify_line(char *line, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    struct verify *v = arg;
    char hash[CHAIN_HASH_BUFSZ], prev[CHAIN_HASH_BUFSZ];
    struct chain_line cl;

    (void) offset;
    if (chain_scan(line, len, &cl) != 0) {
        v->torn++;
        return 0;
    }
    v->lines++;
    v->redacted += cl.pd.present && line[cl.pd.off] == 'd';
    if (cl.prev.present) {
        chain_value(line, &cl.prev, prev, sizeof(prev));
        if (v->have_prev && strcmp(prev, v->prev) != 0)
            problem(v, lineno, cl.seq, "this file does not continue the one before it "
                    "(lines missing between them, or files out of order)");
        memcpy(v->prev, prev, sizeof(prev));
        v->have_prev = 1;
    } else if (!v->have_prev) {
        problem(v, lineno, cl.seq, "the chain's start is missing: the first line of %s carries no "
                "\"prev\" (its first lines were removed)", v->file);
    } else if (v->first_in_file) {
        problem(v, lineno, cl.seq, "the first line of this file carries no \"prev\" "
                "(its first lines were removed)");
    }
    if (v->have_prev && (chain_hash(line, &cl, v->prev, hash) != 0
                         || memcmp(hash, line + cl.hash.off, CHAIN_HASH_HEX) != 0))
        mismatch(v, lineno, cl.seq);
    else if (v->have_prev && v->lines > 1 && cl.seq != v->last_seq + 1 && !cl.prev.present)
        mismatch(v, lineno, cl.seq);     /* hashes fit but the numbers do not: never written so */
    if (v->lines == 1)
        v->first_seq = cl.seq;
    chain_value(line, &cl.hash, v->prev, sizeof(v->prev));
    v->have_prev = 1;
    v->last_seq = cl.seq;
    v->first_in_file = 0;
    return 0;
}

/* verify_head - the configured journal's head file against the last line seen */
static void verify_head(struct verify *v, const char *journal)
{
    char *path = malloc(strlen(journal) + sizeof(HEAD_SUFFIX));
    char buf[128];
    FILE *f;
    uint64_t seq;

    if (path == NULL)
        return;
    sprintf(path, "%s%s", journal, HEAD_SUFFIX);
    if ((f = fopen(path, "r")) != NULL && fgets(buf, sizeof(buf), f) != NULL
        && sscanf(buf, "%" SCNu64, &seq) == 1 && seq > v->last_seq) {
        v->file = path;
        problem(v, 1, seq, "the head file names a later line than the journal's last (seq %" PRIu64
                "): lines missing at the end", v->last_seq);
    }
    if (f != NULL)
        fclose(f);
    free(path);
}

/* journal_verify - walk the chain over the files; exit code */
static int journal_verify(struct optinctl *ctl, char **files, size_t n, int configured)
{
    struct verify v = {0};
    int rc;

    for (size_t i = 0; i < n; i++) {
        v.file = files[i];
        v.first_in_file = 1;
        if ((rc = journal_read(files[i], verify_line, &v)) != 0) {
            ctl_error(ctl, "%s: %s", files[i], strerror(-rc));
            return EX_NOINPUT;
        }
    }
    if (configured)
        verify_head(&v, ctl->cfg->journal);
    if (v.problems > PROBLEMS_SHOWN)
        printf("... and %lu more problems\n", v.problems - PROBLEMS_SHOWN);
    printf("%lu lines in %zu file%s, seq %" PRIu64 " to %" PRIu64 ", %lu redacted, %lu not journal "
           "lines: %s\n", v.lines, n, n == 1 ? "" : "s", v.first_seq, v.last_seq, v.redacted, v.torn,
           v.problems ? "CHAIN BROKEN" : "chain intact");
    return v.problems ? EXIT_DENY : EX_OK;
}

/* query_options - parse the query's options into q; exit code (EX_OK to go on) */
static int query_options(struct optinctl *ctl, int argc, char **argv, struct query *q)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"address", required_argument, NULL, 'a'},
        {"list", required_argument, NULL, 'l'}, {"queue-id", required_argument, NULL, 'q'},
        {"verdict", required_argument, NULL, 'V'}, {"reason", required_argument, NULL, 'r'},
        {"since", required_argument, NULL, 'S'}, {"until", required_argument, NULL, 'U'},
        {"help", no_argument, NULL, 'h'}, {0}};
    char shown[CTL_PRINTABLE_BUFSZ];
    enum addr_error err;
    int c;

    while ((c = getopt_long(argc, argv, "hja:l:q:V:r:", opts, NULL)) != -1) {
        switch (c) {
        case 'j': q->as_json = 1; break;
        case 'l': q->list = optarg; break;
        case 'q': q->queue_id = optarg; break;
        case 'V': q->verdict = optarg; break;
        case 'r': q->reason = optarg; break;
        case 'a':
            if ((err = addr_normalize(optarg, strlen(optarg), ctl->addr_flags, q->address)) != ADDR_OK) {
                ctl_error(ctl, "journal: --address %s: %s", ctl_printable(optarg, shown), addr_strerror(err));
                return EX_DATAERR;
            }
            break;
        case 'S':
        case 'U':
            if (time_parse(optarg, c == 'S' ? &q->since : &q->until) != 0) {
                ctl_error(ctl, "journal: --%s %s: expected a time like 2024-05-01 or "
                          "2024-05-01T12:00:00Z", c == 'S' ? "since" : "until", ctl_printable(optarg, shown));
                return EX_DATAERR;
            }
            break;
        default:
            fputs(QUERY_USAGE, c == 'h' ? stdout : stderr);
            return c == 'h' ? -1 : EX_USAGE;
        }
    }
    return EX_OK;
}

/* collect_line - query callback of journal_lines_of: each matching line as an object */
static int collect_line(char *line, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    struct query *q = arg;
    json_t *obj = json_loadb(line, len, 0, NULL);

    (void) lineno, (void) offset;
    if (obj != NULL && line_matches(q, obj)) {
        q->matched++;
        json_array_append(q->collected, obj);
    }
    json_decref(obj);
    return 0;
}

/* journal_lines_of - every journal line naming the address, from every file; exit code */
int journal_lines_of(struct optinctl *ctl, const char *address, json_t *out)
{
    struct query q = {.addr_flags = ctl->addr_flags, .collected = out};
    char **files = NULL;
    size_t n = 0;
    int rc = EX_OK;

    if (ctl->cfg->journal == NULL)
        return EX_OK;
    snprintf(q.address, sizeof(q.address), "%s", address);
    if (journal_files(ctl->cfg->journal, &files, &n) != 0)
        return EX_OK;                    /* no journal yet: nothing kept there */
    rc = journal_read_all(ctl, files, n, collect_line, &q);
    journal_files_free(files, n);
    return rc;
}

/* What forget looks for in the journal. */
struct erasure {
    const char *address;
    unsigned addr_flags;
};

/* span_decoded - a string member's value without its JSON escapes into buf; 0, or -1 */
static int span_decoded(const char *line, const struct chain_span *s, char *buf, size_t size)
{
    json_t *v = s->present ? json_loadb(line + s->off - 1, s->len + 2, JSON_DECODE_ANY, NULL) : NULL;
    const char *text = json_string_value(v);
    int rc = text != NULL && strlen(text) < size ? 0 : -1;

    if (rc == 0)
        strcpy(buf, text);
    json_decref(v);
    return rc;
}

/* erasure_matches - does the line name the address, as its recipient or its raw recipient? */
static int erasure_matches(const char *line, const struct chain_line *cl, void *arg)
{
    const struct erasure *e = arg;
    char value[ADDR_BUFSZ * 4], norm[ADDR_BUFSZ];

    if (span_decoded(line, &cl->recipient, value, sizeof(value)) == 0 && strcmp(value, e->address) == 0)
        return 1;
    return span_decoded(line, &cl->recipient_raw, value, sizeof(value)) == 0
        && addr_normalize(value, strlen(value), e->addr_flags, norm) == ADDR_OK
        && strcmp(norm, e->address) == 0;
}

/* journal_forget - redact every journal line naming address, in every journal file; exit code */
int journal_forget(struct optinctl *ctl, const char *address, size_t *lines, size_t *nfiles)
{
    struct erasure e = {.address = address, .addr_flags = ctl->addr_flags};
    char **files = NULL;
    size_t n = 0, count;
    int rc;

    *lines = *nfiles = 0;
    if (ctl->cfg->journal == NULL)
        return EX_OK;
    if ((rc = journal_files(ctl->cfg->journal, &files, &n)) != 0) {
        if (rc == -ENOENT)
            return EX_OK;                /* no journal folder: no line names anyone */
        ctl_error(ctl, "%s: %s", ctl->cfg->journal, strerror(-rc));
        return EX_IOERR;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = journal_redact_file(files[i], erasure_matches, &e, &count)) != 0) {
            ctl_error(ctl, "%s: cannot redact: %s", files[i], strerror(-rc));
            journal_files_free(files, n);
            return EX_IOERR;
        }
        *lines += count;
        *nfiles += count > 0;
    }
    journal_files_free(files, n);
    return EX_OK;
}

/* cmd_journal - select lines, or verify the chain */
int cmd_journal(struct optinctl *ctl, int argc, char **argv)
{
    struct query q = {.addr_flags = ctl->addr_flags};
    char **files = NULL;
    size_t n = 0;
    int verify = argc > 1 && strcmp(argv[1], "verify") == 0, rc;

    if (argc > 1 && strcmp(argv[1], "index") == 0)
        return cmd_journal_index(ctl, argc - 1, argv + 1);
    optind = 0;
    if (verify) {
        argc--, argv++;
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            fputs(QUERY_USAGE, stdout);
            return EX_OK;
        }
        optind = 1;
    } else if ((rc = query_options(ctl, argc, argv, &q)) != EX_OK) {
        return rc < 0 ? EX_OK : rc;
    }
    if ((rc = journal_list(ctl, argc - optind, argv + optind, &files, &n)) == EX_OK) {
        if (verify) {
            rc = journal_verify(ctl, files, n, argc == optind);
        } else {
            rc = journal_read_all(ctl, files, n, query_line, &q);
            if (rc == EX_OK && q.matched == 0)
                rc = EXIT_DENY;
        }
    }
    journal_files_free(files, n);
    return rc;
}
