/*
 * NAME
 *	optinctl_show 1
 * SUMMARY
 *	optinctl show and stats: the proof of consent and the store's state
 * SYNOPSIS
 *	optinctl show [--json | --access] ADDRESS|@DOMAIN
 *	optinctl stats [--json]
 * DESCRIPTION
 *	show prints, from one read snapshot, everything the store holds on
 *	one address: suppressions that cover it (its own, its domain's, an
 *	erasure hash), each list's record (state, method, times of consent,
 *	confirmation and change, source, subscriber IP, privacy-policy
 *	version), what the decision would be now for every configured list,
 *	and the full history of changes in order. This is the proof of
 *	consent a compliance officer hands over (GDPR Art. 7(1)). It adds
 *	the last delivery per list from the journal index (lastsend.c) and,
 *	after one, the date until which the consent records must be kept
 *	(one month after the last mail, Japan's Specified Electronic Mail
 *	Act). --json gives the same as one JSON object, history events as
 *	stored. --access adds every journal line naming the address (all
 *	files, rotated and gzip'd ones too) and what is kept elsewhere: the
 *	one JSON document of everything kept about a person, for an answer
 *	under GDPR Art. 15.
 *
 *	stats counts records per list and state, suppressions per reason
 *	and kind, pending confirmation codes, history events, and shows map
 *	and reader-slot use.
 * DIAGNOSTICS
 *	show exits 1 when the store knows nothing of the address; both exit
 *	66 without a store and 75 when a lookup fails.
 * SEE ALSO
 *	optinctl(1), consent(3), decide(3)
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mail/addr.h"
#include "consent/consent.h"
#include "consent/decide.h"
#include "feedback/rules.h"
#include "optinctl.h"
#include "util/timeutil.h"

static const struct option json_opts[] = {
    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};

/* json_time - RFC 3339 string, or null for an unknown time */
static json_t *json_time(int64_t t)
{
    char buf[TIME_BUFSZ];

    return t ? json_string(time_format(t, buf)) : json_null();
}

#define SHOW_LISTS_MAX 256

struct show_state {
    const char *addr;
    struct {
        char list[LIST_ID_BUFSZ];
        struct consent_record rec;
    } *recs;
    size_t nrecs;
    json_t *history;
    int failed;
};

/* show_list - scan callback: one list record of the address */
static int show_list(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct show_state *ss = arg;
    size_t skip = strlen(ss->addr) + 1, llen = klen - skip;

    if (ss->nrecs == SHOW_LISTS_MAX || llen >= LIST_ID_BUFSZ)
        return 0;
    if (consent_decode(val, vlen, &ss->recs[ss->nrecs].rec) != 0) {
        ss->failed = -EBADMSG;
        return 1;
    }
    memcpy(ss->recs[ss->nrecs].list, (const char *) key + skip, llen);
    ss->recs[ss->nrecs++].list[llen] = 0;
    return 0;
}

/* show_event - history callback: keep each event as its JSON */
static int show_event(uint64_t seq, const char *json, size_t len, void *arg)
{
    struct show_state *ss = arg;
    json_t *ev = json_loadb(json, len, 0, NULL);

    (void) seq;
    json_array_append_new(ss->history, ev ? ev : json_stringn(json, len));
    return 0;
}

/* What show collects of the suppressions: the JSON list and the one that governs. */
struct show_sups {
    const char *target;
    int64_t now;
    json_t *out;
    struct suppress_record first;
    int have_first;
};

/* show_suppression - suppress_each callback: one suppression as JSON, the first kept */
static int show_suppression(enum suppress_scope scope, const struct suppress_record *sup, void *arg)
{
    struct show_sups *ss = arg;
    char key[ADDR_BUFSZ + 2];

    if (!ss->have_first && suppress_active(sup, ss->now)) {
        ss->first = *sup;       /* the one that governs: the first still in force */
        ss->have_first = 1;
    }
    if (scope == SUPPRESS_SCOPE_DOMAIN)
        snprintf(key, sizeof(key), "@%s", addr_domain(ss->target));
    else
        snprintf(key, sizeof(key), "%s", scope == SUPPRESS_SCOPE_ERASED ? "erased-address hash"
                 : ss->target);
    json_array_append_new(ss->out, json_pack("{s:s, s:s, s:o, s:o, s:b, s:s}", "key", key, "reason",
                                             suppress_reason_name(sup->reason), "since",
                                             json_time(sup->since), "until", json_time(sup->until),
                                             "active", suppress_active(sup, ss->now), "source",
                                             sup->source));
    return 0;
}

/* show_records - the list records as JSON, with today's verdict per configured list */
static void show_records(struct optinctl *ctl, const struct show_state *ss,
                         const struct suppress_record *sup, json_t *lists, json_t *verdicts)
{
    struct decision d;

    for (size_t i = 0; i < ss->nrecs; i++) {
        const struct consent_record *r = &ss->recs[i].rec;

        json_array_append_new(lists, json_pack(
            "{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s}", "list", ss->recs[i].list, "state",
            consent_state_name(r->state), "method", consent_method_name(r->method),
            "consented_at", json_time(r->consented_at), "confirmed_at", json_time(r->confirmed_at),
            "changed_at", json_time(r->changed_at), "source", r->source, "ip", r->ip,
            "policy_version", r->policy_version));
    }
    for (size_t l = 0; l < ctl->cfg->list_count; l++) {
        const struct list_def *list = &ctl->cfg->lists[l];
        const struct consent_record *rec = NULL;

        for (size_t i = 0; i < ss->nrecs; i++)
            if (strcmp(ss->recs[i].list, list->id) == 0)
                rec = &ss->recs[i].rec;
        if (decide(list, rec, sup, ctl->now, &d) != 0)
            json_object_set_new(verdicts, list->id, json_pack("{s:s, s:s}", "verdict", "unknown",
                                "reason", "damaged record (the milter temp-fails it)"));
        else
            json_object_set_new(verdicts, list->id, json_pack("{s:s, s:s}", "verdict",
                                d.allow ? "allow" : "deny", "reason", decision_reason_name(d.reason)));
    }
}

/* show_collect - read everything on one target, in one snapshot, into a JSON document */
static int show_collect(struct optinctl *ctl, const char *target, json_t **out)
{
    struct show_state ss = {.addr = target};
    struct show_sups sups = {.target = target, .now = ctl->now, .out = json_array()};
    struct softbounce_tally tally = {0};
    struct store_txn *txn;
    json_t *lists = json_array(), *verdicts = json_object(), *sends = json_array();
    int64_t latest = 0;
    int rc;

    ss.history = json_array();
    if ((ss.recs = calloc(SHOW_LISTS_MAX, sizeof(*ss.recs))) == NULL) {
        rc = -ENOMEM;
        goto free_json;
    }
    if ((rc = store_read_begin(ctl->store, &txn)) != 0)
        goto free_json;
    rc = suppress_each(txn, target, show_suppression, &sups);
    if (rc == 0)
        rc = store_scan(txn, STORE_DB_CONSENT, target, strlen(target) + 1, show_list, &ss);
    if (rc == 0)
        rc = ss.failed ? ss.failed : history_scan(txn, target, show_event, &ss);
    if (rc == 0 && target[0] != '@')
        rc = consent_softbounce_tally(txn, target, ctl->now, FB_SOFT_WINDOW, &tally);
    if (rc == 0 && target[0] != '@')
        rc = lastsend_of(txn, target, sends, &latest);
    store_read_end(txn);
    if (rc != 0)
        goto free_json;
    show_records(ctl, &ss, sups.have_first ? &sups.first : NULL, lists, verdicts);
    *out = json_pack("{s:s, s:o, s:{s:i, s:i, s:o, s:o, s:s}, s:o, s:o, s:o}", "address", target,
                     "suppressions", sups.out, "soft_bounces", "in_window", (int) tally.count,
                     "distinct_days", (int) tally.days, "first", json_time(tally.first), "last",
                     json_time(tally.last), "window", FB_SOFT_WINDOW_TEXT, "lists", lists,
                     "decisions_now", verdicts, "history", ss.history);
    json_object_set_new(*out, "last_sends", sends);
    json_object_set_new(*out, "keep_records_until", json_time(retention_until(latest)));
    free(ss.recs);
    return 0;

free_json:
    free(ss.recs);
    json_decref(sups.out);
    json_decref(lists);
    json_decref(verdicts);
    json_decref(ss.history);
    json_decref(sends);
    return rc;
}

/* str_or_dash - a JSON string member, or "-" */
static const char *str_or_dash(const json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));

    return s && *s ? s : "-";
}

/* print_event - one history event on one line: time, event, then the other members */
static void print_event(const json_t *ev)
{
    const char *key;
    json_t *val;

    printf("  %s %s", str_or_dash(ev, "time"), str_or_dash(ev, "event"));
    json_object_foreach((json_t *) ev, key, val) {
        if (strcmp(key, "time") == 0 || strcmp(key, "event") == 0)
            continue;
        if (json_is_string(val))
            printf(" %s=%s", key, json_string_value(val));
        else if (json_is_integer(val))
            printf(" %s=%" JSON_INTEGER_FORMAT, key, json_integer_value(val));
    }
    printf("\n");
}

/* print_show - the text form of show */
static void print_show(const json_t *doc)
{
    json_t *item, *verdicts = json_object_get(doc, "decisions_now");
    const char *key;
    size_t i;

    printf("address: %s\n", str_or_dash(doc, "address"));
    printf("suppressions:%s\n", json_array_size(json_object_get(doc, "suppressions")) ? "" : " none");
    json_array_foreach(json_object_get(doc, "suppressions"), i, item)
        printf("  %s reason=%s since=%s%s%s%s source=%s\n", str_or_dash(item, "key"),
               str_or_dash(item, "reason"), str_or_dash(item, "since"),
               json_is_string(json_object_get(item, "until")) ? " until=" : "",
               json_is_string(json_object_get(item, "until")) ? str_or_dash(item, "until") : "",
               json_is_false(json_object_get(item, "active")) ? " (expired)" : "",
               str_or_dash(item, "source"));
    item = json_object_get(doc, "soft_bounces");
    if (json_integer_value(json_object_get(item, "in_window")) > 0)
        printf("soft bounces: %" JSON_INTEGER_FORMAT " in the last %s, on %" JSON_INTEGER_FORMAT
               " distinct days, first %s, last %s\n",
               json_integer_value(json_object_get(item, "in_window")), str_or_dash(item, "window"),
               json_integer_value(json_object_get(item, "distinct_days")), str_or_dash(item, "first"),
               str_or_dash(item, "last"));
    printf("lists:%s\n", json_array_size(json_object_get(doc, "lists")) ? "" : " none");
    json_array_foreach(json_object_get(doc, "lists"), i, item)
        printf("  %s state=%s method=%s consented_at=%s confirmed_at=%s changed_at=%s source=%s "
               "ip=%s policy_version=%s\n", str_or_dash(item, "list"), str_or_dash(item, "state"),
               str_or_dash(item, "method"), str_or_dash(item, "consented_at"),
               str_or_dash(item, "confirmed_at"), str_or_dash(item, "changed_at"),
               str_or_dash(item, "source"), str_or_dash(item, "ip"),
               str_or_dash(item, "policy_version"));
    printf("decisions now:\n");
    json_object_foreach(verdicts, key, item)
        printf("  %s %s %s\n", key, str_or_dash(item, "verdict"), str_or_dash(item, "reason"));
    printf("last sends:%s\n", json_array_size(json_object_get(doc, "last_sends")) ? "" : " none in the journal index");
    json_array_foreach(json_object_get(doc, "last_sends"), i, item)
        printf("  %s %s queue_id=%s\n", str_or_dash(item, "list"), str_or_dash(item, "time"),
               str_or_dash(item, "queue_id"));
    if (json_is_string(json_object_get(doc, "keep_records_until")))
        printf("keep the consent records until %s (one month after the last mail: Japan's "
               "Specified Electronic Mail Act)\n", str_or_dash(doc, "keep_records_until"));
    printf("history:%s\n", json_array_size(json_object_get(doc, "history")) ? "" : " none");
    json_array_foreach(json_object_get(doc, "history"), i, item)
        print_event(item);
}

#define SHOW_USAGE "usage: optinctl [global options] show [--json | --access] ADDRESS|@DOMAIN\n"

/* show_access - add what the journal keeps on the address and what is kept elsewhere (GDPR Art. 15) */
static int show_access(struct optinctl *ctl, const char *target, json_t *doc)
{
    json_t *lines = json_array();
    int rc = journal_lines_of(ctl, target, lines);

    if (rc != EX_OK) {
        json_decref(lines);
        return rc;
    }
    json_object_set_new(doc, "journal", lines);
    json_object_set_new(doc, "kept_elsewhere", json_pack(
        "[s, s]", "the mail log (syslog) names recipients in the milter's decision lines until "
        "logrotate removes them", "the MTA's own logs and queue, under the MTA's retention"));
    return EX_OK;
}

/* cmd_show - everything known about one address: the proof of consent */
int cmd_show(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"access", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'}, {0}};
    char target[ADDR_BUFSZ + 1];
    enum addr_error err;
    json_t *doc;
    int c, as_json = 0, access = 0, rc, found;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hj", opts, NULL)) != -1) {
        if (c != 'j' && c != 'A') {
            fprintf(c == 'h' ? stdout : stderr, SHOW_USAGE);
            return c == 'h' ? EX_OK : EX_USAGE;
        }
        as_json = 1;
        access |= c == 'A';
    }
    if (argc - optind != 1 || (access && argv[optind][0] == '@')) {
        fprintf(stderr, SHOW_USAGE);
        return EX_USAGE;
    }
    if (argv[optind][0] == '@') {
        target[0] = '@';
        err = addr_normalize_domain(argv[optind] + 1, strlen(argv[optind] + 1), target + 1);
    } else {
        err = addr_normalize(argv[optind], strlen(argv[optind]), ctl->addr_flags, target);
    }
    if (err != ADDR_OK) {
        char shown[CTL_PRINTABLE_BUFSZ];

        ctl_error(ctl, "%s: %s", ctl_printable(argv[optind], shown), addr_strerror(err));
        return EX_DATAERR;
    }
    if ((rc = ctl_open_store(ctl, 1, 0)) != EX_OK)
        return rc;
    if ((rc = show_collect(ctl, target, &doc)) != 0) {
        ctl_error(ctl, "%s: %s", target, optin_strerror(rc));
        return EX_TEMPFAIL;
    }
    if (access && (rc = show_access(ctl, target, doc)) != EX_OK) {
        json_decref(doc);
        return rc;
    }
    found = json_array_size(json_object_get(doc, "suppressions"))
        || json_array_size(json_object_get(doc, "lists"))
        || json_array_size(json_object_get(doc, "history"))
        || json_array_size(json_object_get(doc, "journal"));
    if (as_json)
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER), putchar('\n');
    else
        print_show(doc);
    json_decref(doc);
    return found ? EX_OK : EXIT_DENY;
}

#define STATS_LISTS_MAX 1024

struct list_count {
    char list[LIST_ID_BUFSZ];
    uint64_t by_state[CONSENT_UNSUBSCRIBED + 1];
};

struct stats_state {
    struct list_count *lists;
    size_t nlists;
    uint64_t suppress_by_reason[SUPPRESS_REASON_LAST + 1];
    uint64_t suppress_by_kind[3];    /* address, domain, erased */
    uint64_t damaged;
    uint64_t unverified;             /* reported recipients no VERP tag or token bound */
    uint64_t kept_events;            /* import events kept in their records (history.c) */
};

/* stats_consent - scan callback: count one record under its list and state */
static int stats_consent(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct stats_state *st = arg;
    const char *nul = memchr(key, 0, klen);
    struct consent_record r;
    size_t llen, i;

    if (nul == NULL || consent_decode(val, vlen, &r) != 0) {
        st->damaged++;
        return 0;
    }
    llen = klen - (size_t) (nul + 1 - (const char *) key);
    for (i = 0; i < st->nlists; i++)
        if (strlen(st->lists[i].list) == llen && memcmp(st->lists[i].list, nul + 1, llen) == 0)
            break;
    if (i == st->nlists) {
        if (st->nlists == STATS_LISTS_MAX || llen >= LIST_ID_BUFSZ) {
            st->damaged++;
            return 0;
        }
        memcpy(st->lists[i].list, nul + 1, llen);
        st->lists[st->nlists++].list[llen] = 0;
    }
    st->lists[i].by_state[r.state]++;
    st->kept_events += r.batch != 0;
    return 0;
}

/* stats_suppress - scan callback: count one suppression by reason and kind */
static int stats_suppress(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct stats_state *st = arg;
    const char *k = key;
    struct suppress_record sup;

    if (klen == 0 || suppress_decode(val, vlen, &sup) != 0) {
        st->damaged++;
        return 0;
    }
    st->suppress_by_reason[sup.reason]++;
    st->suppress_by_kind[k[0] == '@' ? 1 : k[0] == '#' ? 2 : 0]++;
    return 0;
}

/* stats_json - the counts as one JSON document */
static json_t *stats_json(const struct stats_state *st, const struct store_stats *ss)
{
    json_t *lists = json_object(), *reasons = json_object();

    for (size_t i = 0; i < st->nlists; i++) {
        json_t *states = json_object();

        for (int s = CONSENT_PENDING; s <= CONSENT_UNSUBSCRIBED; s++)
            json_object_set_new(states, consent_state_name(s),
                                json_integer((json_int_t) st->lists[i].by_state[s]));
        json_object_set_new(lists, st->lists[i].list, states);
    }
    for (int r = SUPPRESS_BOUNCE; r <= SUPPRESS_REASON_LAST; r++)
        json_object_set_new(reasons, suppress_reason_name(r),
                            json_integer((json_int_t) st->suppress_by_reason[r]));
    return json_pack("{s:o, s:{s:o, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:i, "
                     "s:i}}",
                     "lists", lists, "suppressions", "by_reason", reasons,
                     "addresses", (json_int_t) st->suppress_by_kind[0],
                     "domains", (json_int_t) st->suppress_by_kind[1],
                     "erased", (json_int_t) st->suppress_by_kind[2],
                     "pending_confirmations", (json_int_t) ss->entries[STORE_DB_CONFIRM],
                     "history_events", (json_int_t) (ss->entries[STORE_DB_HISTORY] + st->kept_events),
                     "unverified_feedback", (json_int_t) st->unverified,
                     "damaged_records", (json_int_t) st->damaged,
                     "store", "map_size", (json_int_t) ss->map_size,
                     "used_bytes", (json_int_t) ss->used_bytes,
                     "page_size", (json_int_t) ss->page_size,
                     "max_readers", (int) ss->max_readers, "readers_used", (int) ss->readers_used);
}

/* print_stats - the text form of stats */
static void print_stats(const struct stats_state *st, const struct store_stats *ss)
{
    printf("%-24s %10s %10s %12s\n", "list", "pending", "confirmed", "unsubscribed");
    for (size_t i = 0; i < st->nlists; i++)
        printf("%-24s %10llu %10llu %12llu\n", st->lists[i].list,
               (unsigned long long) st->lists[i].by_state[CONSENT_PENDING],
               (unsigned long long) st->lists[i].by_state[CONSENT_CONFIRMED],
               (unsigned long long) st->lists[i].by_state[CONSENT_UNSUBSCRIBED]);
    printf("suppressions:");
    for (int r = SUPPRESS_BOUNCE; r <= SUPPRESS_REASON_LAST; r++)
        printf(" %s=%llu", suppress_reason_name(r), (unsigned long long) st->suppress_by_reason[r]);
    printf(" (addresses=%llu domains=%llu erased=%llu)\n",
           (unsigned long long) st->suppress_by_kind[0], (unsigned long long) st->suppress_by_kind[1],
           (unsigned long long) st->suppress_by_kind[2]);
    printf("pending confirmation codes: %llu\nhistory events: %llu\n",
           (unsigned long long) ss->entries[STORE_DB_CONFIRM],
           (unsigned long long) (ss->entries[STORE_DB_HISTORY] + st->kept_events));
    printf("unverified feedback (recipients no VERP tag or token bound): %llu\n",
           (unsigned long long) st->unverified);
    if (st->damaged)
        printf("damaged records: %llu\n", (unsigned long long) st->damaged);
    printf("map: %.1f MiB used of %.1f MiB (%.1f%%), page size %llu\n",
           ss->used_bytes / 1048576.0, ss->map_size / 1048576.0,
           ss->map_size ? 100.0 * (double) ss->used_bytes / (double) ss->map_size : 0.0,
           (unsigned long long) ss->page_size);
    printf("readers: %u used of %u slots\n", ss->readers_used, ss->max_readers);
}

/* cmd_stats - counts per list and state, suppressions, map use */
int cmd_stats(struct optinctl *ctl, int argc, char **argv)
{
    struct stats_state st = {0};
    struct store_stats ss;
    struct store_txn *txn;
    int c, as_json = 0, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hj", json_opts, NULL)) != -1) {
        if (c != 'j') {
            fprintf(c == 'h' ? stdout : stderr, "usage: optinctl [global options] stats [--json]\n");
            return c == 'h' ? EX_OK : EX_USAGE;
        }
        as_json = 1;
    }
    if (optind != argc) {
        fprintf(stderr, "usage: optinctl [global options] stats [--json]\n");
        return EX_USAGE;
    }
    if ((rc = ctl_open_store(ctl, 1, 0)) != EX_OK)
        return rc;
    if ((st.lists = calloc(STATS_LISTS_MAX, sizeof(*st.lists))) == NULL)
        return EX_SOFTWARE;
    if ((rc = store_read_begin(ctl->store, &txn)) == 0) {
        rc = store_scan(txn, STORE_DB_CONSENT, "", 0, stats_consent, &st);
        if (rc == 0)
            rc = store_scan(txn, STORE_DB_SUPPRESS, "", 0, stats_suppress, &st);
        if (rc == 0)
            rc = store_scan(txn, STORE_DB_ERASED, "", 0, stats_suppress, &st);
        if (rc == 0)
            rc = consent_unverified_count(txn, &st.unverified);
        store_read_end(txn);
    }
    if (rc == 0)
        rc = store_stat(ctl->store, &ss);
    if (rc != 0) {
        ctl_error(ctl, "stats: %s", optin_strerror(rc));
        free(st.lists);
        return EX_TEMPFAIL;
    }
    if (as_json) {
        json_t *doc = stats_json(&st, &ss);

        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(doc);
    } else {
        print_stats(&st, &ss);
    }
    free(st.lists);
    return EX_OK;
}
