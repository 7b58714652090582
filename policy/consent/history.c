/*
 * NAME
 *	history 3
 * SUMMARY
 *	the consent history: one event per change, never rewritten
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	history_scan(txn, addr, fn, arg)
 *	int	history_batch_open(txn, ctx, &batch)
 *	int	history_purge_batch_events(txn, cutoff, dry_run, keep, arg, &events, &addresses)
 * DESCRIPTION
 *	"address\0" + 8-byte sequence: one JSON object per change (what,
 *	when, list, resulting state, method, source, IP, actor, policy
 *	version). Every function that changes a record or a suppression
 *	appends its event here in the same write transaction, so a record
 *	never changes without its proof. The history survives unsubscribe
 *	and suppression and is only removed by consent_forget(), which
 *	leaves one event under the address's keyed hash.
 *
 *	An import row's event is kept in a compact form: the facts every
 *	row of one import run shares (time, source, IP, actor, policy
 *	version) once in the "batch" database under the run's id
 *	(history_batch_open), and the rest in the consent record the row
 *	wrote, which carries the event's sequence number and the run's id.
 *	The event is the same JSON text either way: history_scan() renders
 *	it in sequence order among the others, and the first change of that
 *	record writes it to the history before replacing the record
 *	(history_materialize), so it is never lost or altered. Purge drops
 *	old kept events from their records like old stored ones, then the
 *	runs no record refers to any more.
 * DIAGNOSTICS
 *	0 on success, OPTIN_NOTFOUND, an OPTIN_E* code for the caller's
 *	mistakes, or a negative store error (-EBADMSG for a damaged record
 *	or a record naming an import run the store does not hold); see
 *	status.h. Nothing here logs.
 * SEE ALSO
 *	consent.h, store(3), history(3), optinctl(1)
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "consent/consent.h"
#include "consent/consent_int.h"
#include "mail/addr.h"
#include "util/bytes.h"
#include "util/timeutil.h"

/* json_set_opt - set a string member when present */
static void json_set_opt(json_t *obj, const char *name, const char *value)
{
    if (value && *value)
        json_object_set_new(obj, name, json_string(value));
}

/* event_text - the stored text of an event (consumed): its fields, then the change's facts */
static char *event_text(json_t *event, uint64_t seq, const struct change_ctx *ctx)
{
    char when[TIME_BUFSZ];
    char *text;

    json_object_set_new(event, "seq", json_integer((json_int_t) seq));
    json_object_set_new(event, "time", json_string(time_format(ctx->now, when)));
    json_set_opt(event, "source", ctx->source);
    json_set_opt(event, "ip", ctx->ip);
    json_set_opt(event, "actor", ctx->actor);
    json_set_opt(event, "policy_version", ctx->policy_version);
    text = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(event);
    return text;
}

/* history_put - store an event's text under who's history at seq */
static int history_put(struct store_txn *txn, const char *who, uint64_t seq, const char *text)
{
    char key[KEY_MAX];
    size_t wlen = strlen(who);

    if (wlen >= ADDR_BUFSZ)
        return OPTIN_EFIELD;
    memcpy(key, who, wlen + 1);
    bytes_put_u64((unsigned char *) key + wlen + 1, seq);
    return store_put(txn, STORE_DB_HISTORY, key, wlen + 9, text, strlen(text));
}

/* history_append - one JSON event under the key's history */
int history_append(struct store_txn *txn, const char *who, json_t *event,
                   const struct change_ctx *ctx)
{
    uint64_t seq;
    char *text;
    int rc;

    if ((rc = store_next_seq(txn, &seq)) != 0) {
        json_decref(event);
        return rc;
    }
    if ((text = event_text(event, seq, ctx)) == NULL)
        return -ENOMEM;
    rc = history_put(txn, who, seq, text);
    free(text);
    return rc;
}

/* history_take_seq - number the change whose event is its record (consent_replace) */
int history_take_seq(struct store_txn *txn)
{
    uint64_t seq;

    return store_next_seq(txn, &seq);
}

/* history_batch_open - record the facts an import run's events share; *batch gets its id */
int history_batch_open(struct store_txn *txn, const struct change_ctx *ctx, uint64_t *batch)
{
    unsigned char key[8];
    json_t *facts;
    char *text;
    int rc;

    if ((rc = store_next_seq(txn, batch)) != 0)
        return rc;
    /* the event's own fields are the record's; these are the ones the run's rows share, the
     * time also as a number: what event_text prints for it is not read back for every clock */
    if ((facts = json_pack("{s:I}", "epoch", (json_int_t) ctx->now)) == NULL
        || (text = event_text(facts, *batch, ctx)) == NULL)
        return -ENOMEM;
    bytes_put_u64(key, *batch);
    rc = store_put(txn, STORE_DB_BATCH, key, sizeof(key), text, strlen(text));
    free(text);
    return rc;
}

/* batch_ctx - the shared facts of import run id (doc holds the strings; decref it); -EBADMSG when
 * the run is not there or damaged */
static int batch_ctx(struct store_txn *txn, uint64_t id, struct change_ctx *ctx, json_t **doc)
{
    unsigned char key[8];
    const void *val;
    size_t vlen;
    json_t *epoch;
    int rc;

    bytes_put_u64(key, id);
    if ((rc = store_get(txn, STORE_DB_BATCH, key, sizeof(key), &val, &vlen)) != 0)
        return rc == OPTIN_NOTFOUND ? -EBADMSG : rc;     /* a record naming a run that is not there */
    if ((*doc = json_loadb(val, vlen, 0, NULL)) == NULL)
        return -EBADMSG;
    memset(ctx, 0, sizeof(*ctx));
    ctx->source = json_string_value(json_object_get(*doc, "source"));
    ctx->ip = json_string_value(json_object_get(*doc, "ip"));
    ctx->actor = json_string_value(json_object_get(*doc, "actor"));
    ctx->policy_version = json_string_value(json_object_get(*doc, "policy_version"));
    if (!json_is_integer(epoch = json_object_get(*doc, "epoch"))) {
        json_decref(*doc);
        *doc = NULL;
        return -EBADMSG;
    }
    ctx->now = json_integer_value(epoch);
    return 0;
}

/* batch_event_text - the text of the import event kept in r, the record of list; when its run is
 * missing or damaged, the event still (the record's facts, its change time, the run's id named
 * as missing): the proof that remains, and no change of the record held up by it */
static int batch_event_text(struct store_txn *txn, const char *list,
                            const struct consent_record *r, char **text)
{
    struct change_ctx ctx;
    json_t *doc = NULL, *ev;
    int rc;

    if ((rc = batch_ctx(txn, r->batch, &ctx, &doc)) != 0 && rc != -EBADMSG)
        return rc;
    ev = import_event("import", list, r);
    if (rc != 0) {
        ctx = (struct change_ctx) {.now = r->changed_at};   /* nothing of the run is known */
        json_object_set_new(ev, "import_run_missing", json_integer((json_int_t) r->batch));
    }
    *text = event_text(ev, r->history_seq, &ctx);
    json_decref(doc);
    return *text ? 0 : -ENOMEM;
}

/* history_materialize - write the import event kept in old to the address's history */
int history_materialize(struct store_txn *txn, const char *addr, const char *list,
                        const struct consent_record *old)
{
    char *text;
    int rc;

    if ((rc = batch_event_text(txn, list, old, &text)) != 0)
        return rc;
    rc = history_put(txn, addr, old->history_seq, text);
    free(text);
    return rc;
}

/* record_event - history event for a consent record change */
json_t *record_event(const char *event, const char *list, const struct consent_record *r)
{
    char when[TIME_BUFSZ];
    json_t *ev = json_object();

    json_object_set_new(ev, "event", json_string(event));
    json_object_set_new(ev, "list", json_string(list));
    json_object_set_new(ev, "state", json_string(consent_state_name(r->state)));
    json_object_set_new(ev, "method", json_string(consent_method_name(r->method)));
    if (r->consented_at)
        json_object_set_new(ev, "consented_at", json_string(time_format(r->consented_at, when)));
    if (r->confirmed_at)
        json_object_set_new(ev, "confirmed_at", json_string(time_format(r->confirmed_at, when)));
    return ev;
}

/* import_event - history event of an import row: the record, and the consent facts the row
 * brought (its source, subscriber IP and policy version), which the change's own source, IP and
 * policy version (the file, the importing host) do not say */
json_t *import_event(const char *event, const char *list, const struct consent_record *r)
{
    json_t *ev = record_event(event, list, r);

    json_set_opt(ev, "consent_source", r->source);
    json_set_opt(ev, "consent_ip", r->ip);
    json_set_opt(ev, "consent_policy_version", r->policy_version);
    return ev;
}

/* feedback_event - history event with the reporter's detail and time */
json_t *feedback_event(json_t *ev, const struct feedback_note *note)
{
    char when[TIME_BUFSZ];
    json_t *detail;

    if (note != NULL && note->detail != NULL && *note->detail
        && (detail = json_string(note->detail)) != NULL)   /* NULL: not UTF-8, left out */
        json_object_set_new(ev, "detail", detail);
    if (note != NULL && note->reported_at != 0)
        json_object_set_new(ev, "reported_at", json_string(time_format(note->reported_at, when)));
    return ev;
}

/* A purge of kept import events: what may go, the last answers looked up, the keys found. */
struct kept_purge {
    struct store_txn *txn;
    int64_t cutoff;
    history_keep_fn keep;
    void *arg;
    uint64_t run;                /* the last import run looked up, and its time */
    int64_t run_time;
    char addr[ADDR_BUFSZ];       /* the last address asked about, and the answer */
    int addr_keep;
    unsigned char *keys;         /* doomed "address\0list" keys, each after a 2-byte length */
    size_t used, cap;
    uint64_t events, addresses;
    int addr_counted;            /* the last address has a doomed event */
    uint64_t *runs;              /* the import runs records still keep an event of, sorted */
    size_t nruns, cap_runs;
};

/* run_slot - where run is, or would go, in the sorted set of runs still referred to */
static size_t run_slot(const struct kept_purge *kp, uint64_t run)
{
    size_t lo = 0, hi = kp->nruns;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (kp->runs[mid] < run)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* run_referenced - note that a record still keeps an event of run (a sorted set) */
static int run_referenced(struct kept_purge *kp, uint64_t run)
{
    size_t lo = run_slot(kp, run);
    uint64_t *grown;

    if (lo < kp->nruns && kp->runs[lo] == run)
        return 0;
    if (kp->nruns == kp->cap_runs) {
        kp->cap_runs = kp->cap_runs ? 2 * kp->cap_runs : 16;
        if ((grown = realloc(kp->runs, kp->cap_runs * sizeof(*grown))) == NULL)
            return -ENOMEM;
        kp->runs = grown;
    }
    memmove(kp->runs + lo + 1, kp->runs + lo, (kp->nruns - lo) * sizeof(*kp->runs));
    kp->runs[lo] = run;
    kp->nruns++;
    return 0;
}

/* purge_doom - remember one key to rewrite or delete (a record's, then a run's) */
static int purge_doom(struct kept_purge *kp, const void *key, size_t klen)
{
    unsigned char *grown;

    if (kp->used + 2 + klen > kp->cap) {
        kp->cap = kp->cap ? 2 * kp->cap : 4096;
        if ((grown = realloc(kp->keys, kp->cap)) == NULL)
            return -ENOMEM;
        kp->keys = grown;
    }
    kp->keys[kp->used] = (unsigned char) (klen >> 8);
    kp->keys[kp->used + 1] = (unsigned char) klen;
    memcpy(kp->keys + kp->used + 2, key, klen);
    kp->used += 2 + klen;
    return 0;
}

/* purge_visit - consent scan callback: records keeping an import event older than the cutoff */
static int purge_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct kept_purge *kp = arg;
    struct consent_record r;
    struct change_ctx ctx;
    size_t alen = strnlen(key, klen);
    json_t *doc;
    int rc;

    if (consent_decode(val, vlen, &r) != 0 || r.batch == 0)
        return 0;
    if (alen == 0 || alen >= sizeof(kp->addr) || klen - alen - 1 >= LIST_ID_BUFSZ)
        return run_referenced(kp, r.batch);     /* not a key this code wrote: left alone */
    if (r.batch != kp->run) {
        if ((rc = batch_ctx(kp->txn, r.batch, &ctx, &doc)) != 0 && rc != -EBADMSG)
            return rc;
        if (rc == 0)
            json_decref(doc);
        kp->run = r.batch;
        kp->run_time = rc == 0 ? ctx.now : INT64_MIN;   /* missing: the record's own time */
    }
    if ((kp->run_time != INT64_MIN ? kp->run_time : r.changed_at) >= kp->cutoff)
        return run_referenced(kp, r.batch);
    if (strncmp(kp->addr, key, alen) != 0 || kp->addr[alen] != '\0') {
        memcpy(kp->addr, key, alen);
        kp->addr[alen] = '\0';
        if ((kp->addr_keep = kp->keep(kp->txn, kp->addr, kp->arg)) < 0)
            return kp->addr_keep;
        kp->addr_counted = kp->addr_keep == HISTORY_DROP_COUNTED;
    }
    if (kp->addr_keep == HISTORY_KEEP)
        return run_referenced(kp, r.batch);
    kp->addresses += !kp->addr_counted;
    kp->addr_counted = 1;
    kp->events++;
    return purge_doom(kp, key, klen);
}

/* purge_drop - rewrite one doomed record without its import event */
static int purge_drop(struct store_txn *txn, const unsigned char *key, size_t klen)
{
    char addr[ADDR_BUFSZ], list[LIST_ID_BUFSZ];
    size_t alen = strnlen((const char *) key, klen);
    struct consent_record r;
    int rc;

    if (alen >= sizeof(addr) || klen - alen - 1 >= sizeof(list))
        return -EBADMSG;
    memcpy(addr, key, alen + 1);
    memcpy(list, key + alen + 1, klen - alen - 1);
    list[klen - alen - 1] = '\0';
    if ((rc = consent_get(txn, addr, list, &r)) != 0)
        return rc == OPTIN_NOTFOUND || rc == -EBADMSG ? 0 : rc;   /* nothing kept there */
    r.batch = 0;                 /* its sequence number stays: what a journal receipt cites */
    return consent_write(txn, addr, list, &r);
}

/* run_unused - batch scan callback: a run no record refers to any more, older than the cutoff */
static int run_unused(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct kept_purge *kp = arg;
    json_t *doc = json_loadb(val, vlen, 0, NULL), *epoch = json_object_get(doc, "epoch");
    uint64_t run = klen == 8 ? bytes_get_u64(key) : 0;
    size_t lo = run_slot(kp, run);
    int old = json_is_integer(epoch) && json_integer_value(epoch) < kp->cutoff;

    json_decref(doc);
    if (!old || klen != 8 || (lo < kp->nruns && kp->runs[lo] == run))
        return 0;
    return purge_doom(kp, key, klen);      /* after the records' keys */
}

/* history_purge_batch_events - remove import events kept in records, older than cutoff */
int history_purge_batch_events(struct store_txn *txn, int64_t cutoff, int dry_run,
                               history_keep_fn keep, void *arg, uint64_t *events,
                               uint64_t *addresses)
{
    struct kept_purge kp = {.txn = txn, .cutoff = cutoff, .keep = keep, .arg = arg};
    size_t pos = 0, records;
    int rc;

    rc = store_scan(txn, STORE_DB_CONSENT, "", 0, purge_visit, &kp);
    records = kp.used;                   /* the records' keys; the runs' follow */
    /* then the runs whose every event is gone (dropped here, forgotten, replaced) */
    if (rc == 0)
        rc = store_scan(txn, STORE_DB_BATCH, "", 0, run_unused, &kp);
    while (rc == 0 && !dry_run && pos < kp.used) {
        size_t klen = (size_t) kp.keys[pos] << 8 | kp.keys[pos + 1];

        rc = pos < records ? purge_drop(txn, kp.keys + pos + 2, klen)
                           : store_del(txn, STORE_DB_BATCH, kp.keys + pos + 2, klen);
        rc = rc == OPTIN_NOTFOUND ? 0 : rc;
        pos += 2 + klen;
    }
    free(kp.keys);
    free(kp.runs);
    *events = kp.events;
    *addresses = kp.addresses;
    return rc;
}

/* An import event kept in a record, rendered for a scan. */
struct kept_event {
    uint64_t seq;
    char *text;
};

/* A history scan: the caller's function and argument, and the events kept in records. */
struct history_walk {
    history_fn fn;
    void *arg;
    struct store_txn *txn;
    size_t plen;                 /* "address\0" */
    struct kept_event *kept;
    size_t nkept, next, cap;
};

/* kept_visit - consent scan callback: render the import event a record of the address keeps */
static int kept_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct history_walk *hw = arg;
    struct consent_record r;
    char list[LIST_ID_BUFSZ];
    size_t llen = klen - hw->plen;
    struct kept_event *grown;
    int rc;

    if ((rc = consent_decode(val, vlen, &r)) != 0 || r.batch == 0)
        return 0;                /* damaged records are the readers' to report, as before */
    if (llen >= sizeof(list))
        return 0;                /* not a record this code wrote: skipped, as damaged ones are */
    memcpy(list, (const char *) key + hw->plen, llen);
    list[llen] = '\0';
    if (hw->nkept == hw->cap) {
        hw->cap = hw->cap ? 2 * hw->cap : 4;
        if ((grown = realloc(hw->kept, hw->cap * sizeof(*grown))) == NULL)
            return -ENOMEM;
        hw->kept = grown;
    }
    hw->kept[hw->nkept].seq = r.history_seq;
    if ((rc = batch_event_text(hw->txn, list, &r, &hw->kept[hw->nkept].text)) != 0)
        return rc;
    hw->nkept++;
    return 0;
}

/* kept_order - qsort by sequence */
static int kept_order(const void *a, const void *b)
{
    uint64_t x = ((const struct kept_event *) a)->seq, y = ((const struct kept_event *) b)->seq;

    return (x > y) - (x < y);
}

/* kept_flush - hand the caller the kept events numbered below limit */
static int kept_flush(struct history_walk *hw, uint64_t limit)
{
    int rc = 0;

    while (rc == 0 && hw->next < hw->nkept && hw->kept[hw->next].seq < limit) {
        const struct kept_event *k = &hw->kept[hw->next++];

        rc = hw->fn(k->seq, k->text, strlen(k->text), hw->arg);
    }
    return rc;
}

/* history_visit - scan callback: sequence from the key, JSON from the value */
static int history_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct history_walk *hw = arg;
    uint64_t seq;
    int rc;

    if (klen < 9)
        return 0;
    seq = bytes_get_u64((const unsigned char *) key + klen - 8);
    if ((rc = kept_flush(hw, seq)) != 0)
        return rc;
    return hw->fn(seq, val, vlen, hw->arg);
}

/* history_scan - every event of one address (or "@domain", "#hash") in order */
int history_scan(struct store_txn *txn, const char *addr, history_fn fn, void *arg)
{
    struct history_walk hw = {.fn = fn, .arg = arg, .txn = txn};
    char prefix[ADDR_BUFSZ + 2];
    int rc;

    if (strlen(addr) > ADDR_BUFSZ)
        return OPTIN_EFIELD;
    hw.plen = address_prefix(prefix, addr);
    rc = store_scan(txn, STORE_DB_CONSENT, prefix, hw.plen, kept_visit, &hw);
    if (rc == 0 && hw.nkept > 1)        /* qsort wants a real array even for none */
        qsort(hw.kept, hw.nkept, sizeof(*hw.kept), kept_order);
    if (rc == 0)
        rc = store_scan(txn, STORE_DB_HISTORY, prefix, hw.plen, history_visit, &hw);
    if (rc == 0)
        rc = kept_flush(&hw, UINT64_MAX);
    for (size_t i = 0; i < hw.nkept; i++)
        free(hw.kept[i].text);
    free(hw.kept);
    return rc;
}
