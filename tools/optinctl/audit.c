/*
 * NAME
 *	optinctl_report 1
 * SUMMARY
 *	optinctl report: what the journal and the store say about a period
 * SYNOPSIS
 *	optinctl report [--since TIME] [--until TIME] [-l LIST] [--sender ADDRESS]
 *		[--repeat N] [--top N] [--format table|csv|json|html] [-o FILE] [FILE...]
 * DESCRIPTION
 *	Reads the journal (the configured one and its rotated copies, or
 *	the FILEs) and the consent store's history, and builds one model,
 *	which every format renders, so they show the same figures:
 *
 *	per day, the lines by verdict and by reason; the totals; the
 *	senders and lists with the most refusals (verdicts reject, strip,
 *	would-reject, would-strip); addresses refused at least --repeat
 *	times (default 3), the sign of a stale list upstream; per list the
 *	deliveries (receipts: accept, accept-unchecked, would-reject,
 *	would-strip), complaints and hard bounces from feedback lines (not
 *	the unverified ones), and their rates beside the 0.3% complaint rate
 *	Gmail and Yahoo require; every opt-out of the period in the store's
 *	history (an unsubscribe from a list, a global unsubscribe or a
 *	complaint suppression for all lists) with the last mail delivered to
 *	that address after it, anywhere in the journal, and whether that
 *	was later than 2 days (Gmail and Yahoo) or 10 business days
 *	(CAN-SPAM) after the opt-out.
 *
 *	A line counts for the period when its time is in [since, until);
 *	--list and --sender keep the lines of one list or one envelope
 *	sender (feedback lines have no sender). Redacted (erased) recipients
 *	are counted but never listed.
 * DIAGNOSTICS
 *	Exit 0; 64 usage; 65 a bad time or format; 66 a file cannot be
 *	read; 73 the output file cannot be written; 78 no journal.
 *	Without a readable store the opt-outs are left out, and the report
 *	says so.
 * SEE ALSO
 *	optinctl(1), optinctl_journal(1), audit_render.c
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "consent/consent.h"
#include "journal/files.h"
#include "optinctl.h"
#include "util/timeutil.h"

#define REPORT_USAGE "usage: optinctl [global options] report [--since TIME] [--until TIME] [-l LIST] " \
    "[--sender ADDRESS] [--repeat N] [--top N] [--format table|csv|json|html] [-o FILE] [FILE...]\n"
#define DAY 86400

/* The report being built while the lines go by. */
struct audit {
    const struct audit_query *q;
    json_t *totals_v, *totals_r, *days, *by_sender, *by_list, *refused, *lists;
    json_t *optouts;                      /* array of opt-out objects */
    json_t *optout_index;                 /* "address\tlist" (or "address\t*") -> array of indexes */
    unsigned long lines;
};

static const char *const delivered_verdicts[] = {"accept", "accept-unchecked", "would-reject",
                                                 "would-strip", NULL};
static const char *const refused_verdicts[] = {"reject", "strip", "would-reject", "would-strip", NULL};

/* in_set - is s one of set (NULL-terminated)? */
static int in_set(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

/* verdict_delivered - receipts: the message went to the recipient */
int verdict_delivered(const char *verdict)
{
    return in_set(verdict, delivered_verdicts);
}

/* verdict_refused - the recipient was refused or removed (or would have been) */
int verdict_refused(const char *verdict)
{
    return in_set(verdict, refused_verdicts);
}

/* count - obj[key] += n */
static void count(json_t *obj, const char *key, json_int_t n)
{
    json_t *v = json_object_get(obj, key);

    json_object_set_new(obj, key, json_integer((v ? json_integer_value(v) : 0) + n));
}

/* child - obj[key], created as an empty object */
static json_t *child(json_t *obj, const char *key)
{
    json_t *c = json_object_get(obj, key);

    if (c == NULL) {
        c = json_object();
        json_object_set_new(obj, key, c);
    }
    return c;
}

/* visible_recipient - the recipient, unless the line names none or was redacted */
static const char *visible_recipient(json_t *line)
{
    const char *pd = json_text(line, "pd"), *r = json_text(line, "recipient");

    return *r && strncmp(pd, "d:", 2) != 0 ? r : NULL;
}

/* optout_follow - a delivery to address on list at t: the latest mail after each earlier opt-out */
static void optout_follow(struct audit *a, const char *address, const char *list, int64_t t)
{
    char key[2 * 512];
    const char *lists[2] = {list, "*"};

    for (int k = 0; k < 2; k++) {
        json_t *idx, *v;
        size_t i;

        snprintf(key, sizeof(key), "%s\t%s", address, lists[k]);
        if ((idx = json_object_get(a->optout_index, key)) == NULL)
            continue;
        json_array_foreach(idx, i, v) {
            json_t *o = json_array_get(a->optouts, (size_t) json_integer_value(v));
            json_int_t when = json_integer_value(json_object_get(o, "time_unix"));
            json_t *last = json_object_get(o, "last_unix");

            if (t > when && (last == NULL || t > json_integer_value(last)))
                json_object_set_new(o, "last_unix", json_integer(t));
        }
    }
}

/* in_scope - does the line belong to the report's list and sender? */
static int in_scope(const struct audit_query *q, json_t *line)
{
    return (q->list == NULL || strcmp(json_text(line, "list"), q->list) == 0)
        && (q->sender == NULL || strcmp(json_text(line, "sender"), q->sender) == 0);
}

/* feed_counts - count one line of the period */
static void feed_counts(struct audit *a, json_t *line, const char *verdict, const char *reason)
{
    const char *list = json_text(line, "list"), *rcpt = visible_recipient(line);
    char date[11];
    json_t *day, *l;

    snprintf(date, sizeof(date), "%s", json_text(line, "time"));
    day = child(a->days, date);
    count(child(day, "verdicts"), verdict, 1);
    if (*reason)
        count(child(day, "reasons"), reason, 1);
    count(a->totals_v, verdict, 1);
    if (*reason)
        count(a->totals_r, reason, 1);
    if (*list)
        l = child(a->lists, list);
    else
        l = NULL;
    if (verdict_refused(verdict)) {
        count(a->by_sender, *json_text(line, "sender") ? json_text(line, "sender") : "(none)", 1);
        count(a->by_list, *list ? list : "(none)", 1);
        if (rcpt) {
            json_t *r = child(a->refused, rcpt);

            count(r, "refusals", 1);
            json_object_set_new(r, "last_reason", json_string(reason));
        }
    }
    if (l && verdict_delivered(verdict))
        count(l, "delivered", 1);
    if (l && strcmp(verdict, "unverified") != 0 && strcmp(reason, "complaint") == 0)
        count(l, "complaints", 1);
    if (l && strcmp(verdict, "unverified") != 0 && strcmp(reason, "hard") == 0)
        count(l, "hard_bounces", 1);
}

/* feed_line - one journal line */
static int feed_line(char *text, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    struct audit *a = arg;
    json_t *line = json_loadb(text, len, 0, NULL);
    const char *verdict, *rcpt;
    int64_t t;

    (void) lineno, (void) offset;
    if (line == NULL || time_parse(json_text(line, "time"), &t) != 0) {
        json_decref(line);
        return 0;
    }
    verdict = json_text(line, "verdict");
    if (verdict_delivered(verdict) && (rcpt = visible_recipient(line)) != NULL)
        optout_follow(a, rcpt, json_text(line, "list"), t);
    if ((!a->q->since || t >= a->q->since) && (!a->q->until || t < a->q->until) && in_scope(a->q, line)) {
        a->lines++;
        feed_counts(a, line, verdict, json_text(line, "reason"));
    }
    json_decref(line);
    return 0;
}

/* optout_add - remember one opt-out of the period from the history */
static void optout_add(struct audit *a, const char *address, const char *list, int64_t t,
                       const char *what)
{
    char key[2 * 512];
    json_t *o = json_object(), *idx;

    if ((a->q->since && t < a->q->since) || (a->q->until && t >= a->q->until)
        || (a->q->list && list && strcmp(list, a->q->list) != 0))
        return;
    json_object_set_new(o, "address", json_string(address));
    json_object_set_new(o, "list", list ? json_string(list) : json_string("*"));
    json_object_set_new(o, "how", json_string(what));
    json_object_set_new(o, "time_unix", json_integer(t));
    snprintf(key, sizeof(key), "%s\t%s", address, list ? list : "*");
    if ((idx = json_object_get(a->optout_index, key)) == NULL) {
        idx = json_array();
        json_object_set_new(a->optout_index, key, idx);
    }
    json_array_append_new(idx, json_integer((json_int_t) json_array_size(a->optouts)));
    json_array_append_new(a->optouts, o);
}

/* history_optout - history scan callback: unsubscribes and all-list suppressions */
static int history_optout(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    const char *addr = key;
    json_t *ev = json_loadb(val, vlen, 0, NULL);
    const char *event = json_text(ev, "event"), *reason = json_text(ev, "reason");
    int64_t t;

    if (ev != NULL && memchr(key, '\0', klen) != NULL && addr[0] != '#'
        && time_parse(json_text(ev, "time"), &t) == 0) {
        if (strcmp(event, "unsubscribe") == 0)
            optout_add(arg, addr, json_text(ev, "list"), t, *json_text(ev, "source") ? json_text(ev, "source") : "unsubscribe");
        else if (strcmp(event, "suppress") == 0
                 && (strcmp(reason, "global-unsubscribe") == 0 || strcmp(reason, "complaint") == 0))
            optout_add(arg, addr, NULL, t, reason);
    }
    json_decref(ev);
    return 0;
}

/* business_deadline - t plus n business days (Monday to Friday, UTC; holidays not known) */
static int64_t business_deadline(int64_t t, int n)
{
    int64_t d = t;

    while (n > 0) {
        time_t s;
        struct tm tm;

        d += DAY;
        s = (time_t) d;
        gmtime_r(&s, &tm);
        n -= tm.tm_wday != 0 && tm.tm_wday != 6;
    }
    return d;
}

/* A row being sorted, with its sort key. */
struct ranked {
    json_t *row;
    json_int_t n;
    const char *name;
};

/* by_rank - largest count first, then by name */
static int by_rank(const void *x, const void *y)
{
    const struct ranked *a = x, *b = y;

    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* sorted_counts - {key: n or {field: n}} as [{name: key, field: n}], largest first, at most top, at least min */
static json_t *sorted_counts(json_t *obj, const char *name, const char *field, unsigned top,
                             json_int_t min)
{
    struct ranked *r = calloc(json_object_size(obj) + 1, sizeof(*r));
    json_t *arr = json_array(), *v;
    const char *k;
    size_t n = 0;

    if (r == NULL)
        return arr;
    json_object_foreach(obj, k, v) {
        json_int_t c = json_is_object(v) ? json_integer_value(json_object_get(v, field))
                                         : json_integer_value(v);

        if (c < min)
            continue;
        r[n].row = json_object();
        json_object_set_new(r[n].row, name, json_string(k));
        json_object_set_new(r[n].row, field, json_integer(c));
        if (json_is_object(v) && json_object_get(v, "last_reason"))
            json_object_set(r[n].row, "last_reason", json_object_get(v, "last_reason"));
        r[n].n = c;
        r[n].name = k;
        n++;
    }
    qsort(r, n, sizeof(*r), by_rank);
    for (size_t i = 0; i < n; i++) {
        if (top == 0 || i < top)
            json_array_append(arr, r[i].row);
        json_decref(r[i].row);
    }
    free(r);
    return arr;
}

/* by_name - strcmp order of string pointers */
static int by_name(const void *x, const void *y)
{
    return strcmp(*(const char *const *) x, *(const char *const *) y);
}

/* sorted_keys - the object's keys in strcmp order (free the array, not the keys); NULL when out of memory */
static const char **sorted_keys(json_t *obj, size_t *n)
{
    const char **keys = calloc(json_object_size(obj) + 1, sizeof(char *));
    const char *k;
    json_t *v;

    *n = 0;
    if (keys == NULL)
        return NULL;
    json_object_foreach(obj, k, v)
        keys[(*n)++] = k;
    qsort(keys, *n, sizeof(*keys), by_name);
    return keys;
}

/* rate - part / whole, 0 for no whole */
static double rate(json_int_t part, json_int_t whole)
{
    return whole > 0 ? (double) part / (double) whole : 0.0;
}

/* list_rows - per list: deliveries, complaints, hard bounces and their rates, by list name */
static json_t *list_rows(json_t *lists)
{
    json_t *arr = json_array();
    size_t n = 0;
    const char **names = sorted_keys(lists, &n);

    for (size_t i = 0; names && i < n; i++) {
        json_t *l = json_object_get(lists, names[i]), *row = json_object();
        json_int_t d = json_integer_value(json_object_get(l, "delivered"));
        json_int_t c = json_integer_value(json_object_get(l, "complaints"));
        json_int_t b = json_integer_value(json_object_get(l, "hard_bounces"));

        json_object_set_new(row, "list", json_string(names[i]));
        json_object_set_new(row, "delivered", json_integer(d));
        json_object_set_new(row, "complaints", json_integer(c));
        json_object_set_new(row, "complaint_rate", json_real(rate(c, d)));
        json_object_set_new(row, "complaint_limit", json_real(AUDIT_COMPLAINT_LIMIT));
        json_object_set_new(row, "over_limit", json_boolean(rate(c, d) > AUDIT_COMPLAINT_LIMIT));
        json_object_set_new(row, "hard_bounces", json_integer(b));
        json_object_set_new(row, "bounce_rate", json_real(rate(b, d)));
        json_array_append_new(arr, row);
    }
    free(names);
    return arr;
}

/* day_rows - the days in date order, each with its verdicts and reasons */
static json_t *day_rows(json_t *days)
{
    json_t *arr = json_array(), *v;
    size_t n = 0;
    const char **dates = sorted_keys(days, &n);

    for (size_t i = 0; dates && i < n; i++) {
        json_t *row = json_object();

        v = json_object_get(days, dates[i]);
        json_object_set_new(row, "date", json_string(dates[i]));
        json_object_set(row, "verdicts", child(v, "verdicts"));
        json_object_set(row, "reasons", child(v, "reasons"));
        json_array_append_new(arr, row);
    }
    free(dates);
    return arr;
}

/* time_value - RFC 3339 text, or null */
static json_t *time_value(int64_t t)
{
    char buf[TIME_BUFSZ];

    return t ? json_string(time_format(t, buf)) : json_null();
}

/* optout_rows - each opt-out with the last mail after it and the limits */
static json_t *optout_rows(json_t *optouts)
{
    json_t *arr = json_array(), *o;
    size_t i;

    json_array_foreach(optouts, i, o) {
        json_t *row = json_object(), *last = json_object_get(o, "last_unix");
        int64_t when = json_integer_value(json_object_get(o, "time_unix"));
        int64_t after = last ? json_integer_value(last) : 0;

        json_object_set(row, "address", json_object_get(o, "address"));
        json_object_set(row, "list", json_object_get(o, "list"));
        json_object_set(row, "how", json_object_get(o, "how"));
        json_object_set_new(row, "time", time_value(when));
        json_object_set_new(row, "last_send_after", time_value(after));
        json_object_set_new(row, "delay_seconds", after ? json_integer(after - when) : json_null());
        json_object_set_new(row, "over_2_days", json_boolean(after && after - when > AUDIT_OPTOUT_DAYS * DAY));
        json_object_set_new(row, "over_10_business_days",
                            json_boolean(after && after > business_deadline(when, AUDIT_OPTOUT_BUSINESS_DAYS)));
        json_array_append_new(arr, row);
    }
    return arr;
}

/* audit_document - the finished model */
static json_t *audit_document(struct audit *a, int have_store, const char *now)
{
    const struct audit_query *q = a->q;
    json_t *doc = json_object(), *totals = json_object(), *filters = json_object();

    json_object_set_new(doc, "generated", json_string(now));
    json_object_set_new(doc, "since", time_value(q->since));
    json_object_set_new(doc, "until", time_value(q->until));
    json_object_set_new(filters, "list", q->list ? json_string(q->list) : json_null());
    json_object_set_new(filters, "sender", q->sender ? json_string(q->sender) : json_null());
    json_object_set_new(doc, "filters", filters);
    json_object_set_new(doc, "lines", json_integer((json_int_t) a->lines));
    json_object_set(totals, "verdicts", a->totals_v);
    json_object_set(totals, "reasons", a->totals_r);
    json_object_set_new(doc, "totals", totals);
    json_object_set_new(doc, "days", day_rows(a->days));
    json_object_set_new(doc, "refusals_by_sender", sorted_counts(a->by_sender, "sender", "refusals", q->top, 1));
    json_object_set_new(doc, "refusals_by_list", sorted_counts(a->by_list, "list", "refusals", q->top, 1));
    json_object_set_new(doc, "repeated_refusals",
                        sorted_counts(a->refused, "address", "refusals", q->top, q->repeat_min));
    json_object_set_new(doc, "repeat_min", json_integer(q->repeat_min));
    json_object_set_new(doc, "lists", list_rows(a->lists));
    json_object_set_new(doc, "optouts_known", json_boolean(have_store));
    json_object_set_new(doc, "optouts", optout_rows(a->optouts));
    return doc;
}

/* audit_free - release the builder's maps */
static void audit_free(struct audit *a)
{
    json_t **maps[] = {&a->totals_v, &a->totals_r, &a->days, &a->by_sender, &a->by_list, &a->refused,
                       &a->lists, &a->optouts, &a->optout_index};

    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        json_decref(*maps[i]);
        *maps[i] = NULL;
    }
}

/* report_options - parse the options; exit code, -1 for --help */
static int report_options(struct optinctl *ctl, int argc, char **argv, struct audit_query *q,
                          const char **format, const char **output)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, 'S'}, {"until", required_argument, NULL, 'U'},
        {"list", required_argument, NULL, 'l'}, {"sender", required_argument, NULL, 's'},
        {"repeat", required_argument, NULL, 'r'}, {"top", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'}, {0}};
    char shown[CTL_PRINTABLE_BUFSZ], *end;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hl:s:r:t:f:o:", opts, NULL)) != -1) {
        if (c == 'S' || c == 'U') {
            if (time_parse(optarg, c == 'S' ? &q->since : &q->until) != 0) {
                ctl_error(ctl, "report: --%s %s: expected a time like 2024-05-01 or 2024-05-01T12:00:00Z",
                          c == 'S' ? "since" : "until", ctl_printable(optarg, shown));
                return EX_DATAERR;
            }
        } else if (c == 'l') {
            q->list = optarg;
        } else if (c == 's') {
            q->sender = optarg;
        } else if (c == 'r' || c == 't') {
            unsigned long v = strtoul(optarg, &end, 10);

            if (*optarg == '\0' || *end != '\0' || v > 1000000) {
                ctl_error(ctl, "report: --%s %s: expected a number", c == 'r' ? "repeat" : "top",
                          ctl_printable(optarg, shown));
                return EX_DATAERR;
            }
            *(c == 'r' ? &q->repeat_min : &q->top) = (unsigned) v;
        } else if (c == 'f') {
            *format = optarg;
        } else if (c == 'o') {
            *output = optarg;
        } else {
            fputs(REPORT_USAGE, c == 'h' ? stdout : stderr);
            return c == 'h' ? -1 : EX_USAGE;
        }
    }
    if (strcmp(*format, "table") && strcmp(*format, "csv") && strcmp(*format, "json")
        && strcmp(*format, "html")) {
        ctl_error(ctl, "report: --format %s: expected table, csv, json or html", ctl_printable(*format, shown));
        return EX_DATAERR;
    }
    return EX_OK;
}

/* report_optouts - the period's opt-outs from the store's history; 1 when the store could be read */
static int report_optouts(struct optinctl *ctl, struct audit *a)
{
    struct store_txn *txn;
    char data[4096];
    int rc;

    snprintf(data, sizeof(data), "%s/data.mdb", ctl->cfg->database);
    if (access(data, R_OK) != 0 || ctl_open_store(ctl, 1, 0) != EX_OK)
        return 0;                        /* no store here: a report of the journal alone */
    if ((rc = store_read_begin(ctl->store, &txn)) != 0)
        return 0;
    rc = store_scan(txn, STORE_DB_HISTORY, "", 0, history_optout, a);
    store_read_end(txn);
    return rc == 0;
}

/* report_write - render the document in the format asked for */
static int report_write(struct optinctl *ctl, json_t *doc, const char *format, const char *output)
{
    FILE *out = output ? fopen(output, "w") : stdout;

    if (out == NULL) {
        ctl_error(ctl, "report: %s: %s", output, strerror(errno));
        return EX_CANTCREAT;
    }
    if (strcmp(format, "json") == 0)
        json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER), fputc('\n', out);
    else if (strcmp(format, "csv") == 0)
        report_csv(out, doc);
    else if (strcmp(format, "html") == 0)
        report_html(out, doc);
    else
        report_table(out, doc);
    if (output && fclose(out) != 0) {
        ctl_error(ctl, "report: %s: %s", output, strerror(errno));
        return EX_IOERR;
    }
    return EX_OK;
}

/* cmd_report - the compliance report of a period */
int cmd_report(struct optinctl *ctl, int argc, char **argv)
{
    struct audit_query q = {.repeat_min = 3, .top = 20};
    struct audit a = {.q = &q};
    const char *format = "table", *output = NULL;
    char **files = NULL, now[TIME_BUFSZ];
    size_t n = 0;
    int rc, have_store;
    json_t *doc;

    if ((rc = report_options(ctl, argc, argv, &q, &format, &output)) != EX_OK)
        return rc < 0 ? EX_OK : rc;
    if ((rc = journal_list(ctl, argc - optind, argv + optind, &files, &n)) != EX_OK)
        return rc;
    a.totals_v = json_object(), a.totals_r = json_object(), a.days = json_object();
    a.by_sender = json_object(), a.by_list = json_object(), a.refused = json_object();
    a.lists = json_object(), a.optouts = json_array(), a.optout_index = json_object();
    have_store = report_optouts(ctl, &a);
    rc = journal_read_all(ctl, files, n, feed_line, &a);
    journal_files_free(files, n);
    if (rc == EX_OK) {
        doc = audit_document(&a, have_store, time_format(ctl->now, now));
        rc = report_write(ctl, doc, format, output);
        json_decref(doc);
    }
    audit_free(&a);
    return rc;
}
