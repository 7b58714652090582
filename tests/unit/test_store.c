/*
 * NAME
 *	test_store - TAP tests of the LMDB wrapper and the consent records
 * DESCRIPTION
 *	Each test runs on a real LMDB environment in a private temporary
 *	directory, removed at the end. The clock is fixed.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consent/consent.h"
#include "consent/consent_int.h"   /* consent_write: records written as given */
#include "consent/store.h"
#include "util/bytes.h"
#include "tap.h"

#define T0 1714564800 /* 2024-05-01T12:00:00Z */

static char tmpdir[] = "/tmp/optin-test-store.XXXXXX";

/* open_env - open (or create) an environment under the temporary directory */
static struct store *open_env(const char *name, int create, int readonly, uint64_t map_size)
{
    char path[256], err[256];
    struct store_options opt = {.path = path, .map_size = map_size, .max_readers = 64,
                                .create = create, .readonly = readonly};
    struct store *st = NULL;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    if (store_open(&opt, &st, err, sizeof(err)) != 0) {
        printf("# open %s: %s\n", path, err);
        return NULL;
    }
    return st;
}

struct op {
    int kind;
    const char *list, *addr, *token;
    enum consent_method method;
    enum suppress_reason reason;
    struct change_ctx cc;
    struct import_row row;
    int resubscribe;
    enum import_outcome outcome;
    char token_out[CONFIRM_CODE_BUFSZ];
    char list_out[CONSENT_SOURCE_MAX];
    char addr_out[256];
};

enum { OP_SUBSCRIBE, OP_CONFIRM, OP_UNSUB, OP_SUPPRESS, OP_UNSUPPRESS, OP_FORGET, OP_IMPORT };

/* run_op - write callback dispatching one consent operation */
static int run_op(struct store_txn *txn, void *arg)
{
    struct op *o = arg;

    switch (o->kind) {
    case OP_SUBSCRIBE:
        return consent_subscribe(txn, o->list, o->addr, o->method, &o->cc, o->token_out);
    case OP_CONFIRM:
        return consent_confirm(txn, o->token, 7 * 86400, &o->cc, o->list_out, o->addr_out);
    case OP_UNSUB:
        return consent_unsubscribe(txn, o->list, o->addr, &o->cc);
    case OP_SUPPRESS:
        return consent_suppress(txn, o->addr, o->reason, &o->cc);
    case OP_UNSUPPRESS:
        return consent_unsuppress(txn, o->addr, &o->cc);
    case OP_FORGET:
        return consent_forget(txn, o->addr, &o->cc);
    default:
        return consent_import_row(txn, &o->row, o->resubscribe, &o->cc, &o->outcome);
    }
}

/* get_rec - read one record in its own snapshot */
static int get_rec(struct store *st, const char *addr, const char *list, struct consent_record *r)
{
    struct store_txn *txn;
    int rc;

    if ((rc = store_read_begin(st, &txn)) != 0)
        return rc;
    rc = consent_get(txn, addr, list, r);
    store_read_end(txn);
    return rc;
}

/* get_sup - suppression covering an address, in its own snapshot */
static int get_sup(struct store *st, const char *addr, struct suppress_record *s)
{
    struct store_txn *txn;
    int rc;

    if ((rc = store_read_begin(st, &txn)) != 0)
        return rc;
    rc = suppress_lookup(txn, addr, s);
    store_read_end(txn);
    return rc;
}

/* count_event - history callback: count events, remember the last one */
static int count_event(uint64_t seq, const char *json, size_t len, void *arg)
{
    char *last = arg;

    (void) seq;
    snprintf(last, 512, "%.*s", (int) len, json);
    last[511]++;
    return 0;
}

/* history_count - number of history events of a key; last gets the last event's JSON */
static int history_count(struct store *st, const char *addr, char last[512])
{
    struct store_txn *txn;
    int n = -1;

    last[0] = 0;
    last[511] = 0;
    if (store_read_begin(st, &txn) == 0) {
        if (history_scan(txn, addr, count_event, last) == 0)
            n = last[511];
        store_read_end(txn);
    }
    last[511] = 0;
    return n;
}

/* test_raw - the wrapper itself: get, put, del, scan, prefix delete, sequences */
static void test_raw(void)
{
    struct store *st = open_env("raw", 1, 0, 1 << 20);
    struct op dummy = {.kind = -1};
    struct store_txn *txn;
    const void *val;
    size_t vlen;

    ok(st != NULL, "create environment");
    if (st == NULL)
        return;
    ok(open_env("missing", 0, 1, 0) == NULL, "opening a missing environment fails");
    (void) dummy;
    ok(store_read_begin(st, &txn) == 0, "read snapshot");
    ok(store_get(txn, STORE_DB_CONSENT, "nope", 4, &val, &vlen) == OPTIN_NOTFOUND, "absent key");
    store_read_end(txn);
    ok(strstr(optin_strerror(-ENOENT), "No such") != NULL, "optin_strerror of -errno");
    store_close(st);
}

/* fill_many - write callback: many records to overflow a small map */
static int fill_many(struct store_txn *txn, void *arg)
{
    char key[64], val[200];
    int rc = 0;

    memset(val, 'v', sizeof(val));
    for (int i = 0; i < *(int *) arg && rc == 0; i++) {
        snprintf(key, sizeof(key), "key-%06d@example.com", i);
        rc = store_put(txn, STORE_DB_CONSENT, key, strlen(key), val, sizeof(val));
    }
    return rc;
}

/* count_keys - scan callback */
static int count_keys(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    (void) k, (void) kl, (void) v, (void) vl;
    (*(int *) arg)++;
    return 0;
}

/* test_growth - a full map is grown and the transaction redone; stats and backup */
static void test_growth(void)
{
    struct store *st = open_env("grow", 1, 0, 64 * 1024), *copy;
    struct store_stats ss;
    struct store_txn *txn;
    int n = 20000, seen = 0;
    uint64_t before;
    char path[256];

    if (!ok(st != NULL, "create a 64 KiB environment"))
        return;
    store_stat(st, &ss);
    before = ss.map_size;
    ok(store_write(st, fill_many, &n) == 0, "20000 records fit after the map grows");
    store_stat(st, &ss);
    ok(ss.map_size > before, "map grew (%llu -> %llu)", (unsigned long long) before,
       (unsigned long long) ss.map_size);
    ok(ss.entries[STORE_DB_CONSENT] == 20000, "entry count after growth");
    store_read_begin(st, &txn);
    store_scan(txn, STORE_DB_CONSENT, "key-0001", 8, count_keys, &seen);
    store_read_end(txn);
    ok(seen == 100, "prefix scan sees exactly its keys (%d)", seen);
    snprintf(path, sizeof(path), "%s/backup", tmpdir);
    ok(store_backup(st, path) == 0, "hot compacted backup");
    ok(store_backup(st, path) != 0, "backup refuses an existing copy");
    store_close(st);
    copy = open_env("backup", 0, 1, 0);
    ok(copy != NULL && store_stat(copy, &ss) == 0 && ss.entries[STORE_DB_CONSENT] == 20000,
       "backup opens with every record");
    store_close(copy);
}

/* test_schema - a foreign schema version is refused */
static int bump_schema(struct store_txn *txn, void *arg)
{
    (void) arg;
    return store_put(txn, STORE_DB_META, "schema_version", 14, "99", 2);
}

/* test_schema - open refuses another schema version with a clear reason */
static void test_schema(void)
{
    struct store *st = open_env("schema", 1, 0, 0);
    struct store_options opt = {.readonly = 1};
    char path[256], err[256] = "";

    if (!ok(st != NULL, "create for schema test"))
        return;
    store_write(st, bump_schema, NULL);
    store_close(st);
    snprintf(path, sizeof(path), "%s/schema", tmpdir);
    opt.path = path;
    ok(store_open(&opt, &st, err, sizeof(err)) != 0 && strstr(err, "schema version 99"),
       "schema mismatch refused: %s", err);
}

/* test_subscribe - single and double opt-in, confirmation and its failures */
static void test_subscribe(struct store *st)
{
    struct op o = {.kind = OP_SUBSCRIBE, .list = "news", .addr = "a@example.com",
                   .method = METHOD_SINGLE,
                   .cc = {.now = T0, .source = "web-form", .ip = "192.0.2.7", .actor = "test",
                          .policy_version = "v3"}};
    struct consent_record r;
    char last[512];

    ok(store_write(st, run_op, &o) == 0, "single subscribe");
    ok(get_rec(st, "a@example.com", "news", &r) == 0 && r.state == CONSENT_CONFIRMED
       && r.method == METHOD_SINGLE && r.consented_at == T0 && r.confirmed_at == 0,
       "single: confirmed at once, no confirmation time");
    ok(strcmp(r.source, "web-form") == 0 && strcmp(r.ip, "192.0.2.7") == 0
       && strcmp(r.policy_version, "v3") == 0, "source, ip and policy version kept");
    o.addr = "b@example.com";
    o.list = "offers";
    o.method = METHOD_DOUBLE;
    ok(store_write(st, run_op, &o) == 0 && strlen(o.token_out) == 22, "double: token %s",
       o.token_out);
    ok(get_rec(st, "b@example.com", "offers", &r) == 0 && r.state == CONSENT_PENDING,
       "double: pending until confirmed");
    o.kind = OP_CONFIRM;
    o.token = "AAAAAAAAAAAAAAAAAAAAAA";
    ok(store_write(st, run_op, &o) == OPTIN_ECODEUNKNOWN, "unknown token refused");
    o.token = o.token_out;
    o.cc.now = T0 + 8 * 86400;
    ok(store_write(st, run_op, &o) == OPTIN_ECODEEXPIRED, "token older than the ttl refused");
    o.cc.now = T0 + 3600;
    o.cc.ip = "198.51.100.9";
    ok(store_write(st, run_op, &o) == 0 && strcmp(o.addr_out, "b@example.com") == 0
       && strcmp(o.list_out, "offers") == 0, "confirm names list and address");
    ok(get_rec(st, "b@example.com", "offers", &r) == 0 && r.state == CONSENT_CONFIRMED
       && r.method == METHOD_DOUBLE && r.confirmed_at == T0 + 3600 && r.consented_at == T0
       && strcmp(r.ip, "192.0.2.7") == 0, "confirmed: both times, signup IP kept");
    ok(store_write(st, run_op, &o) == OPTIN_ECODEUNKNOWN, "a token works once");
    ok(history_count(st, "b@example.com", last) == 2 && strstr(last, "\"confirm\"")
       && strstr(last, "198.51.100.9"), "history: subscribe then confirm with its IP");
    o.kind = OP_SUBSCRIBE;
    o.cc.source = "x123456789x123456789x123456789x123456789x123456789x123456789xxxx";
    ok(store_write(st, run_op, &o) == OPTIN_EFIELD, "source over 63 octets refused");
}

/* test_unsubscribe - one list, all lists, and what survives */
static void test_unsubscribe(struct store *st)
{
    struct op o = {.kind = OP_UNSUB, .list = "news", .addr = "a@example.com",
                   .cc = {.now = T0 + 100, .source = "one-click", .actor = "test"}};
    struct consent_record r;
    struct suppress_record s;
    char last[512];

    ok(store_write(st, run_op, &o) == 0, "unsubscribe one list");
    ok(get_rec(st, "a@example.com", "news", &r) == 0 && r.state == CONSENT_UNSUBSCRIBED
       && r.consented_at == T0, "unsubscribed; consent time kept for the record");
    ok(history_count(st, "a@example.com", last) == 2 && strstr(last, "one-click"),
       "history keeps subscribe and unsubscribe");
    o.addr = "never@example.com";
    ok(store_write(st, run_op, &o) == 0
       && get_rec(st, "never@example.com", "news", &r) == 0 && r.state == CONSENT_UNSUBSCRIBED,
       "unsubscribing an unknown address records the opt-out");
    o.list = NULL;
    o.addr = "b@example.com";
    ok(store_write(st, run_op, &o) == 0, "unsubscribe from all");
    ok(get_rec(st, "b@example.com", "offers", &r) == 0 && r.state == CONSENT_UNSUBSCRIBED,
       "every list unsubscribed");
    ok(get_sup(st, "b@example.com", &s) == 0 && s.reason == SUPPRESS_GLOBAL_UNSUB,
       "global-unsubscribe suppression added");
}

/* test_suppress - address and domain suppressions, lifting them */
static void test_suppress(struct store *st)
{
    struct op o = {.kind = OP_SUPPRESS, .addr = "@bounce.example", .reason = SUPPRESS_BOUNCE,
                   .cc = {.now = T0, .source = "cli", .actor = "test"}};
    struct suppress_record s;

    ok(store_write(st, run_op, &o) == 0, "suppress a domain");
    ok(get_sup(st, "x@bounce.example", &s) == 0 && s.reason == SUPPRESS_BOUNCE && s.since == T0,
       "domain suppression covers its addresses");
    ok(get_sup(st, "x@sub.bounce.example", &s) == OPTIN_NOTFOUND, "but not other domains");
    o.addr = "c@example.com";
    o.reason = SUPPRESS_COMPLAINT;
    ok(store_write(st, run_op, &o) == 0 && get_sup(st, "c@example.com", &s) == 0
       && s.reason == SUPPRESS_COMPLAINT, "suppress an address as complaint");
    o.kind = OP_UNSUPPRESS;
    ok(store_write(st, run_op, &o) == 0 && get_sup(st, "c@example.com", &s) == OPTIN_NOTFOUND,
       "unsuppress lifts it");
    ok(store_write(st, run_op, &o) == OPTIN_NOTFOUND, "unsuppress of nothing: not found");
}

/* test_import - outcomes of import rows and the opt-out rule */
static void test_import(struct store *st)
{
    struct op o = {.kind = OP_IMPORT, .cc = {.now = T0 + 200, .source = "import:t.csv",
                                             .actor = "test"},
                   .row = {.address = "d@example.com", .list = "news",
                           .state = CONSENT_CONFIRMED, .method = METHOD_IMPORT,
                           .consented_at = T0 - 86400, .source = "shop"}};
    struct consent_record r;
    char last[512];

    ok(store_write(st, run_op, &o) == 0 && o.outcome == IMPORT_ADDED, "import adds");
    ok(store_write(st, run_op, &o) == 0 && o.outcome == IMPORT_UNCHANGED, "same row: unchanged");
    ok(history_count(st, "d@example.com", last) == 1, "unchanged row writes no history");
    o.row.consented_at = T0;
    ok(store_write(st, run_op, &o) == 0 && o.outcome == IMPORT_UPDATED, "newer row: updated");
    o.row.address = "a@example.com";   /* unsubscribed from news above */
    ok(store_write(st, run_op, &o) == 0 && o.outcome == IMPORT_KEPT_OPTOUT,
       "import keeps an unsubscribed address out");
    ok(get_rec(st, "a@example.com", "news", &r) == 0 && r.state == CONSENT_UNSUBSCRIBED,
       "record still unsubscribed");
    o.row.address = "x@bounce.example";
    ok(store_write(st, run_op, &o) == 0 && o.outcome == IMPORT_KEPT_OPTOUT,
       "import keeps a suppressed address out");
    o.row.address = "a@example.com";
    o.resubscribe = 1;
    ok(store_write(st, run_op, &o) == 0 && o.outcome == IMPORT_RESUBSCRIBED
       && get_rec(st, "a@example.com", "news", &r) == 0 && r.state == CONSENT_CONFIRMED,
       "--resubscribe overrides the opt-out");
    o.row.address = "b@example.com";
    o.row.list = "offers";
    ok(store_write(st, run_op, &o) == 0 && o.outcome == IMPORT_RESUBSCRIBED,
       "--resubscribe also lifts the address's global-unsubscribe");
    o.row.address = "x@bounce.example";
    ok(store_write(st, run_op, &o) == 0 && o.outcome == IMPORT_KEPT_OPTOUT,
       "--resubscribe cannot lift a domain suppression");
}

/* collect_event - history callback: append "seq|json\n" to a buffer */
static int collect_event(uint64_t seq, const char *json, size_t len, void *arg)
{
    char *buf = arg;
    size_t used = strlen(buf);

    snprintf(buf + used, 4096 - used, "%llu|%.*s\n", (unsigned long long) seq, (int) len, json);
    return 0;
}

/* history_text - every event of addr, "seq|json" lines, in the order history_scan gives them */
static const char *history_text(struct store *st, const char *addr, char buf[4096])
{
    struct store_txn *txn;

    buf[0] = 0;
    if (store_read_begin(st, &txn) == 0) {
        if (history_scan(txn, addr, collect_event, buf) != 0)
            snprintf(buf, 4096, "(scan failed)");
        store_read_end(txn);
    }
    return buf;
}

/* without_seqs - the text with every "seq|" and "seq":N taken out, to compare two addresses */
static const char *without_seqs(const char *in, char out[4096])
{
    const char *start = in;
    char *o = out;

    while (*in && o < out + 4000) {
        if ((in == start || in[-1] == '\n') && strchr(in, '|'))
            in = strchr(in, '|') + 1;
        if (strncmp(in, "\"seq\":", 6) == 0)
            in += 6 + strspn(in + 6, "0123456789");
        *o++ = *in ? *in++ : 0;
    }
    *o = 0;
    return out;
}

/* open_run - write callback: history_batch_open for an op's change */
static int open_run(struct store_txn *txn, void *arg)
{
    struct op *o = arg;

    return history_batch_open(txn, &o->cc, &o->cc.batch);
}

/* keep_none, keep_all - purge keep tests */
static int keep_none(struct store_txn *txn, const char *addr, void *arg)
{
    (void) txn, (void) addr, (void) arg;
    return 0;
}

static int keep_all(struct store_txn *txn, const char *addr, void *arg)
{
    (void) txn, (void) addr, (void) arg;
    return 1;
}

struct purge_op {
    int64_t cutoff;
    history_keep_fn keep;
    uint64_t events, addresses;
};

/* purge_run - write callback: history_purge_batch_events */
static int purge_run(struct store_txn *txn, void *arg)
{
    struct purge_op *p = arg;

    return history_purge_batch_events(txn, p->cutoff, 0, p->keep, NULL, &p->events, &p->addresses);
}

/* drop_run - write callback: delete an import run's shared facts, as a damaged store would lack them */
static int drop_run(struct store_txn *txn, void *arg)
{
    unsigned char key[8];

    bytes_put_u64(key, *(const uint64_t *) arg);
    return store_del(txn, STORE_DB_BATCH, key, sizeof(key));
}

/* run_exists - is import run id's entry in the store? */
static int run_exists(struct store *st, uint64_t id)
{
    struct store_txn *txn;
    unsigned char key[8];
    const void *val;
    size_t vlen;
    int rc = -1;

    bytes_put_u64(key, id);
    if (store_read_begin(st, &txn) == 0) {
        rc = store_get(txn, STORE_DB_BATCH, key, sizeof(key), &val, &vlen);
        store_read_end(txn);
    }
    return rc == 0;
}

/* test_missing_run - a kept event whose run is gone still reads, and holds no change up */
static void test_missing_run(struct store *st)
{
    struct op run = {.kind = OP_IMPORT, .cc = {.now = T0 + 500, .source = "import:m.csv",
                                               .actor = "ops"},
                     .row = {.address = "m@example.com", .list = "news",
                             .state = CONSENT_CONFIRMED, .method = METHOD_IMPORT,
                             .consented_at = T0}};
    struct op unsub = {.kind = OP_UNSUB, .list = "news", .addr = "m@example.com",
                       .cc = {.now = T0 + 600, .source = "one-click"}};
    char a[4096];

    ok(store_write(st, open_run, &run) == 0 && store_write(st, run_op, &run) == 0
       && store_write(st, drop_run, &run.cc.batch) == 0, "an imported row whose run is then lost");
    ok(strstr(history_text(st, "m@example.com", a), "\"import_run_missing\"") != NULL
       && strstr(a, "\"event\":\"import\"") != NULL, "its event still reads, the run named as missing");
    ok(store_write(st, run_op, &unsub) == 0
       && strstr(history_text(st, "m@example.com", a), "\"event\":\"unsubscribe\"") != NULL
       && strstr(a, "\"import_run_missing\"") != NULL, "the opt-out is taken, the event kept before it");
}

/* test_import_runs - an import row's event kept in its record reads exactly like a stored one */
static void test_import_runs(struct store *st)
{
    struct op run = {.kind = OP_IMPORT, .cc = {.now = T0 + 300, .source = "import:r.csv",
                                               .actor = "ops", .ip = "192.0.2.7",
                                               .policy_version = "pp-3"},
                     .row = {.list = "news", .state = CONSENT_CONFIRMED, .method = METHOD_DOUBLE,
                             .consented_at = T0 - 100, .confirmed_at = T0 - 50,
                             .source = "form", .ip = "198.51.100.1"}};
    struct op plain = run, unsub = {.kind = OP_UNSUB, .list = "news",
                                    .cc = {.now = T0 + 400, .source = "one-click"}};
    struct op sub = {.kind = OP_SUBSCRIBE, .addr = "k@example.com", .list = "misc",
                     .method = METHOD_SINGLE, .cc = {.now = T0 + 250, .source = "cli"}};
    struct purge_op po = {.cutoff = T0 + 301, .keep = keep_all};
    char kept[4096], stored[4096], a[4096], b[4096], c[4096], d[4096];
    struct consent_record r;

    ok(store_write(st, open_run, &run) == 0 && run.cc.batch != 0, "an import run is opened");
    ok(store_write(st, run_op, &sub) == 0, "k: an event before the import");
    run.row.address = "k@example.com";
    plain.row.address = "p@example.com";
    ok(store_write(st, run_op, &run) == 0 && store_write(st, run_op, &plain) == 0,
       "the same row imported with and without a run");
    run.row.list = plain.row.list = "offers";
    run.row.state = plain.row.state = CONSENT_UNSUBSCRIBED;
    ok(store_write(st, run_op, &run) == 0 && store_write(st, run_op, &plain) == 0,
       "a second list, an imported opt-out");
    ok(get_rec(st, "k@example.com", "news", &r) == 0 && r.batch == run.cc.batch
       && r.history_seq != 0, "the record keeps the run and its event's number");
    history_text(st, "k@example.com", kept);
    history_text(st, "p@example.com", stored);
    ok(strstr(kept, "\"event\":\"subscribe\"") < strstr(kept, "\"list\":\"news\"")
       && strstr(kept, "\"list\":\"news\"") < strstr(kept, "\"list\":\"offers\""),
       "kept events come in sequence order among stored ones");
    ok(strcmp(without_seqs(strchr(kept, '\n') + 1, a), without_seqs(stored, b)) == 0,
       "the kept events read exactly as stored ones");
    ok(strstr(kept, "\"consent_source\":\"form\",\"consent_ip\":\"198.51.100.1\"") != NULL
       && strstr(kept, "\"source\":\"import:r.csv\",\"ip\":\"192.0.2.7\"") != NULL,
       "an import event keeps the row's consent facts beside the change's own");
    unsub.addr = "k@example.com";
    ok(store_write(st, run_op, &unsub) == 0, "k unsubscribes from news");
    unsub.addr = "p@example.com";
    ok(store_write(st, run_op, &unsub) == 0, "p unsubscribes from news");
    ok(get_rec(st, "k@example.com", "news", &r) == 0 && r.batch == 0,
       "the change moved the kept event to the history");
    history_text(st, "k@example.com", a);
    ok(strncmp(a, kept, strlen(kept)) == 0 && strstr(a + strlen(kept), "\"event\":\"unsubscribe\"")
       && strchr(a + strlen(kept), '\n') == a + strlen(a) - 1,
       "the events before the change are unchanged, numbers and text; the change's follows");
    ok(strcmp(without_seqs(strchr(a, '\n') + 1, c), without_seqs(history_text(st, "p@example.com", d), b)) == 0,
       "after the change both histories still read the same");
    ok(store_write(st, purge_run, &po) == 0 && po.events == 0 && run_exists(st, run.cc.batch),
       "purge: kept addresses keep their events, and the run stays");
    po.keep = keep_none;
    po.cutoff = T0 + 300;
    ok(store_write(st, purge_run, &po) == 0 && po.events == 0, "purge: nothing older than the cutoff");
    po.cutoff = T0 + 301;
    ok(store_write(st, purge_run, &po) == 0 && po.events == 1 && po.addresses == 1,
       "purge: the old kept event of an address no one keeps");
    ok(get_rec(st, "k@example.com", "offers", &r) == 0 && r.batch == 0 && r.history_seq != 0
       && r.state == CONSENT_UNSUBSCRIBED, "the record stays, without its event");
    ok(!run_exists(st, run.cc.batch), "... and the run no record refers to any more goes");
    ok(strstr(history_text(st, "k@example.com", a), "\"list\":\"offers\",\"state\":\"unsubscribed\",\"method\":\"double\"") == NULL,
       "the purged event is gone from the history");
}

/* put_v1 - write a record the way 0.8 and before did (version 1, fixed-width fields) */
static int put_v1(struct store_txn *txn, void *arg)
{
    static const char key[] = "old@example.com\0news";
    unsigned char v[64] = {1, CONSENT_CONFIRMED, METHOD_SINGLE, 0};
    size_t pos = 28;

    (void) arg;
    bytes_put_i64(v + 4, T0 - 10);
    bytes_put_i64(v + 12, 0);
    bytes_put_i64(v + 20, T0 - 5);
    v[pos++] = 4;
    memcpy(v + pos, "form", 4), pos += 4;
    v[pos++] = 9;
    memcpy(v + pos, "192.0.2.1", 9), pos += 9;
    v[pos++] = 0;
    bytes_put_u64(v + pos, 77);
    return store_put(txn, STORE_DB_CONSENT, key, sizeof(key) - 1, v, pos + 8);
}

/* same_record - every field equal */
static int same_record(const struct consent_record *a, const struct consent_record *b)
{
    return a->state == b->state && a->method == b->method && a->consented_at == b->consented_at
        && a->confirmed_at == b->confirmed_at && a->changed_at == b->changed_at
        && strcmp(a->source, b->source) == 0 && strcmp(a->ip, b->ip) == 0
        && strcmp(a->policy_version, b->policy_version) == 0 && a->history_seq == b->history_seq
        && a->batch == b->batch;
}

/* rec_write - store_write callback: the record arg under (rt@example.com, news) as given */
static int rec_write(struct store_txn *txn, void *arg)
{
    return consent_write(txn, "rt@example.com", "news", arg);
}

/* test_record_versions - version 1 records are read; version 2 round-trips; garbage is refused */
static void test_record_versions(struct store *st)
{
    struct consent_record r, back;
    struct op unsub = {.kind = OP_UNSUB, .list = "news", .addr = "old@example.com",
                       .cc = {.now = T0, .source = "cli"}};
    unsigned seed = 1, bad = 0, refused = 0;

    ok(store_write(st, put_v1, NULL) == 0 && get_rec(st, "old@example.com", "news", &r) == 0
       && r.state == CONSENT_CONFIRMED && r.consented_at == T0 - 10 && r.changed_at == T0 - 5
       && strcmp(r.source, "form") == 0 && strcmp(r.ip, "192.0.2.1") == 0 && r.history_seq == 77
       && r.batch == 0, "a version 1 record is read");
    ok(store_write(st, run_op, &unsub) == 0 && get_rec(st, "old@example.com", "news", &r) == 0
       && r.state == CONSENT_UNSUBSCRIBED && r.consented_at == T0 - 10
       && strcmp(r.source, "form") == 0, "changing it rewrites it as version 2");
    for (int i = 0; i < 2000; i++) {
        size_t len = (size_t) rand_r(&seed) % 48;
        unsigned char *junk = malloc(len ? len : 1);   /* exactly len: ASan sees any overread */

        memset(&r, 0, sizeof(r));
        r.state = (enum consent_state) (rand_r(&seed) % 4);
        r.method = (enum consent_method) (rand_r(&seed) % 4);
        r.consented_at = (int64_t) rand_r(&seed) * (rand_r(&seed) % 2 ? -1 : 1) * 977;
        r.confirmed_at = i % 3 ? 0 : INT64_MIN + i;
        r.changed_at = i % 5 ? T0 + i : INT64_MAX - i;
        snprintf(r.source, sizeof(r.source), "%.*s", rand_r(&seed) % 60, "web-form-with-a-long-name-that-goes-on-and-on-and-on-and-on");
        snprintf(r.ip, sizeof(r.ip), i % 2 ? "2001:db8::%x" : "", i);
        r.history_seq = i % 7 ? (uint64_t) rand_r(&seed) : UINT64_MAX - i;
        r.batch = i % 2 ? (uint64_t) i : 0;
        if (store_write(st, rec_write, &r) != 0 || get_rec(st, "rt@example.com", "news", &back) != 0
            || !same_record(&r, &back))
            bad++;
        for (size_t j = 0; j < len; j++)
            junk[j] = (unsigned char) rand_r(&seed);
        if (len > 0)
            junk[0] = (unsigned char) (1 + rand_r(&seed) % 2);
        refused += junk != NULL && consent_decode(junk, len, &back) != 0;
        free(junk);
    }
    ok(bad == 0, "2,000 random records read back as written (%u differ)", bad);
    printf("# %u of 2,000 random byte strings refused as damaged (ASan and valgrind runs: none read"
           " past its end)\n", refused);
}

/* test_forget - erasure keeps a keyed-hash suppression only */
static void test_forget(struct store *st)
{
    struct op o = {.kind = OP_SUPPRESS, .addr = "e@example.com", .reason = SUPPRESS_BOUNCE,
                   .cc = {.now = T0, .source = "cli", .actor = "test"}};
    struct consent_record r;
    struct suppress_record s;
    char last[512], hash[STORE_HASH_HEXSZ + 1];

    store_write(st, run_op, &o);
    o.kind = OP_SUBSCRIBE;
    o.list = "news";
    o.method = METHOD_DOUBLE;
    store_write(st, run_op, &o);
    o.kind = OP_FORGET;
    ok(store_write(st, run_op, &o) == 0, "forget");
    ok(get_rec(st, "e@example.com", "news", &r) == OPTIN_NOTFOUND, "record erased");
    ok(history_count(st, "e@example.com", last) == 0, "history erased");
    ok(get_sup(st, "e@example.com", &s) == 0 && s.reason == SUPPRESS_BOUNCE,
       "still suppressed, with the old reason, through the keyed hash");
    hash[0] = '#';
    store_address_hash(st, "e@example.com", hash + 1);
    ok(history_count(st, hash, last) == 1 && strstr(last, "forget") && !strstr(last, "e@example"),
       "one forget event under the hash, without the address");
    o.addr = "f@example.com";
    ok(store_write(st, run_op, &o) == 0 && get_sup(st, "f@example.com", &s) == 0
       && s.reason == SUPPRESS_GLOBAL_UNSUB, "forgetting an unknown address suppresses it");
    o.kind = OP_SUBSCRIBE;
    o.addr = "e@example.com";
    o.method = METHOD_DOUBLE;
    ok(store_write(st, run_op, &o) == 0 && o.token_out[0], "subscribe after forget is possible");
    o.kind = OP_FORGET;
    ok(store_write(st, run_op, &o) == 0, "forget also drops pending tokens");
    o.kind = OP_CONFIRM;
    o.token = o.token_out;
    ok(store_write(st, run_op, &o) == OPTIN_ECODEUNKNOWN, "erased token no longer confirms");
    o.kind = OP_UNSUB;
    o.list = "news";
    ok(store_write(st, run_op, &o) == 0 && get_rec(st, "e@example.com", "news", &r) == OPTIN_NOTFOUND
       && history_count(st, "e@example.com", last) == 0,
       "a one-click unsubscribe of an erased address writes nothing back");
}

/* test_unsub_all_over_bounce - a global opt-out replaces a bounce, so lifting bounces keeps it */
static void test_unsub_all_over_bounce(struct store *st)
{
    struct op o = {.kind = OP_SUPPRESS, .addr = "g@example.com", .reason = SUPPRESS_BOUNCE,
                   .cc = {.now = T0, .source = "bounce", .actor = "test"}};
    struct suppress_record s;

    store_write(st, run_op, &o);
    o.kind = OP_UNSUB;
    o.list = NULL;
    ok(store_write(st, run_op, &o) == 0 && get_sup(st, "g@example.com", &s) == 0
       && s.reason == SUPPRESS_GLOBAL_UNSUB, "unsubscribe --all replaces a bounce suppression");
    o.kind = OP_SUPPRESS;
    o.reason = SUPPRESS_BOUNCE;
    ok(store_write(st, run_op, &o) == 0 && get_sup(st, "g@example.com", &s) == 0
       && s.reason == SUPPRESS_GLOBAL_UNSUB, "a later bounce does not replace the opt-out");
}

/* test_names - every name parses back to its value */
static void test_names(void)
{
    int good = 1;

    for (int s = CONSENT_PENDING; s <= CONSENT_UNSUBSCRIBED; s++)
        good &= consent_state_parse(consent_state_name(s)) == s;
    for (int m = METHOD_SINGLE; m <= METHOD_IMPORT; m++)
        good &= consent_method_parse(consent_method_name(m)) == m;
    for (int r = SUPPRESS_BOUNCE; r <= SUPPRESS_MANUAL; r++)
        good &= suppress_reason_parse(suppress_reason_name(r)) == r;
    ok(good, "state, method and reason names round-trip");
    ok(consent_state_parse("bogus") == -1 && suppress_reason_parse("") == -1, "unknown names");
}

int main(void)
{
    struct store *st;
    char cmd[300];

    if (mkdtemp(tmpdir) == NULL) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_raw();
    test_growth();
    test_schema();
    test_names();
    st = open_env("consent", 1, 0, 0);
    if (ok(st != NULL, "consent environment")) {
        test_subscribe(st);
        test_unsubscribe(st);
        test_suppress(st);
        test_import(st);
        test_import_runs(st);
        test_missing_run(st);
        test_record_versions(st);
        test_forget(st);
        test_unsub_all_over_bounce(st);
        store_close(st);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    return tap_done();
}
