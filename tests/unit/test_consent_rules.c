/*
 * NAME
 *	test_consent_rules - TAP tests of the store rules of feedback, soft bounces, the
 *	suppression lookup order, confirmation codes and damaged records
 * DESCRIPTION
 *	The rules of policy/consent/feedback.c, softbounce.c, record.c (suppress_each),
 *	subscribe.c (consent_code_check, consent_confirm_write) and decide.c on a real
 *	LMDB environment in a private temporary directory, removed at the end. The clock
 *	is fixed; nothing here reads it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consent/consent.h"
#include "consent/decide.h"
#include "consent/store.h"
#include "tap.h"

#define T0 1714564800 /* 2024-05-01T12:00:00Z */
#define DAY 86400

static char tmpdir[] = "/tmp/optin-test-rules.XXXXXX";

/* One store change, run by apply() in a write transaction. */
struct change {
    int (*fn)(struct store_txn *txn, struct change *c);
    const char *list, *addr, *code;
    enum suppress_reason reason;
    enum consent_method method;
    struct feedback_note note;
    struct change_ctx cc;
    enum feedback_outcome outcome;
    uint64_t fingerprint;
    int64_t window;
    unsigned count;
    char code_out[CONFIRM_CODE_BUFSZ];
};

/* apply_cb - store_write callback: run the change's function */
static int apply_cb(struct store_txn *txn, void *arg)
{
    struct change *c = arg;

    return c->fn(txn, c);
}

/* apply - run one change at time now in its own write transaction */
static int apply(struct store *st, struct change *c, int64_t now)
{
    c->cc.now = now;
    if (c->cc.source == NULL)
        c->cc.source = "test";
    return store_write(st, apply_cb, c);
}

/* fb_suppress - consent_feedback_suppress of the change */
static int fb_suppress(struct store_txn *txn, struct change *c)
{
    return consent_feedback_suppress(txn, c->addr, c->reason, &c->note, &c->cc, &c->outcome);
}

/* fb_unsubscribe - consent_feedback_unsubscribe of the change */
static int fb_unsubscribe(struct store_txn *txn, struct change *c)
{
    return consent_feedback_unsubscribe(txn, c->list, c->addr, c->reason, &c->note, &c->cc,
                                        &c->outcome);
}

/* subscribe - consent_subscribe of the change */
static int subscribe(struct store_txn *txn, struct change *c)
{
    return consent_subscribe(txn, c->list, c->addr, c->method, &c->cc, c->code_out);
}

/* suppress - consent_suppress of the change (an operator's) */
static int suppress(struct store_txn *txn, struct change *c)
{
    return consent_suppress(txn, c->addr, c->reason, &c->cc);
}

/* forget - consent_forget of the change */
static int forget(struct store_txn *txn, struct change *c)
{
    return consent_forget(txn, c->addr, &c->cc);
}

/* softbounce - consent_softbounce_add of the change */
static int softbounce(struct store_txn *txn, struct change *c)
{
    return consent_softbounce_add(txn, c->addr, c->fingerprint, c->cc.now, c->window, &c->count);
}

/* soft_suppress - consent_softbounce_suppress of the change, until c->window seconds from now */
static int soft_suppress(struct store_txn *txn, struct change *c)
{
    return consent_softbounce_suppress(txn, c->addr, c->cc.now + c->window, &c->note, &c->cc,
                                       &c->outcome);
}

/* softbounce_clear - consent_softbounce_clear of the change */
static int softbounce_clear(struct store_txn *txn, struct change *c)
{
    return consent_softbounce_clear(txn, c->addr);
}

/* damage - put bytes no codec accepts under (addr, list) */
static int damage(struct store_txn *txn, struct change *c)
{
    char key[300];
    size_t alen = strlen(c->addr);

    memcpy(key, c->addr, alen + 1);
    memcpy(key + alen + 1, c->list, strlen(c->list));
    return store_put(txn, STORE_DB_CONSENT, key, alen + 1 + strlen(c->list), "\x09junk", 5);
}

/* sup_reason - the suppression governing addr, or SUPPRESS_NONE */
static enum suppress_reason sup_reason(struct store *st, const char *addr)
{
    struct suppress_record s;
    struct store_txn *txn;
    int rc = -1;

    if (store_read_begin(st, &txn) == 0) {
        rc = suppress_lookup(txn, addr, &s);
        store_read_end(txn);
    }
    return rc == 0 ? s.reason : SUPPRESS_NONE;
}

/* rec_state - the state of (addr, list), CONSENT_NONE when there is no record */
static enum consent_state rec_state(struct store *st, const char *addr, const char *list)
{
    struct consent_record r;
    struct store_txn *txn;
    int rc = -1;

    if (store_read_begin(st, &txn) == 0) {
        rc = consent_get(txn, addr, list, &r);
        store_read_end(txn);
    }
    return rc == 0 ? r.state : CONSENT_NONE;
}

/* test_feedback_suppress - never weaken an opt-out, upgrade a bounce, leave erased alone */
static void test_feedback_suppress(struct store *st)
{
    struct change c = {.fn = fb_suppress, .addr = "b@example.org", .reason = SUPPRESS_BOUNCE,
                       .note = {.detail = "5.1.1 user unknown", .reported_at = T0}};

    ok(apply(st, &c, T0) == 0 && c.outcome == FEEDBACK_APPLIED
       && sup_reason(st, "b@example.org") == SUPPRESS_BOUNCE, "a bounce suppresses: applied");
    ok(apply(st, &c, T0 + 1) == 0 && c.outcome == FEEDBACK_UNCHANGED, "the same bounce again: unchanged");
    c.reason = SUPPRESS_COMPLAINT;
    ok(apply(st, &c, T0 + 2) == 0 && c.outcome == FEEDBACK_UPGRADED
       && sup_reason(st, "b@example.org") == SUPPRESS_COMPLAINT, "a complaint replaces the bounce: upgraded");
    c.reason = SUPPRESS_BOUNCE;
    ok(apply(st, &c, T0 + 3) == 0 && c.outcome == FEEDBACK_UNCHANGED
       && sup_reason(st, "b@example.org") == SUPPRESS_COMPLAINT, "a bounce never replaces an opt-out");
    c.reason = SUPPRESS_GLOBAL_UNSUB;
    ok(apply(st, &c, T0 + 4) == 0 && c.outcome == FEEDBACK_UNCHANGED,
       "an opt-out over another opt-out: unchanged");
    c.addr = "@example.org";
    ok(apply(st, &c, T0) == OPTIN_EFIELD, "a domain is refused (OPTIN_EFIELD)");
    c.addr = "n@example.org";
    c.reason = SUPPRESS_NONE;
    ok(apply(st, &c, T0) == OPTIN_EFIELD, "reason none is refused");

    c = (struct change){.fn = forget, .addr = "gone@example.org"};
    apply(st, &c, T0);
    c = (struct change){.fn = fb_suppress, .addr = "gone@example.org", .reason = SUPPRESS_BOUNCE};
    ok(apply(st, &c, T0 + 5) == 0 && c.outcome == FEEDBACK_ERASED, "an erased address: erased, nothing written");
}

/* test_feedback_unsubscribe - one list, every list, never twice */
static void test_feedback_unsubscribe(struct store *st)
{
    struct change c = {.fn = subscribe, .list = "news", .addr = "u@example.org", .method = METHOD_SINGLE};

    apply(st, &c, T0);
    c.list = "offers";
    apply(st, &c, T0);
    c = (struct change){.fn = fb_unsubscribe, .list = "news", .addr = "u@example.org",
                        .reason = SUPPRESS_GLOBAL_UNSUB, .cc = {.source = "mailto"}};
    ok(apply(st, &c, T0 + 1) == 0 && c.outcome == FEEDBACK_APPLIED
       && rec_state(st, "u@example.org", "news") == CONSENT_UNSUBSCRIBED
       && rec_state(st, "u@example.org", "offers") == CONSENT_CONFIRMED, "one list: applied, the other kept");
    ok(apply(st, &c, T0 + 2) == 0 && c.outcome == FEEDBACK_UNCHANGED, "the same opt-out again: unchanged");
    c.list = "weekly";
    ok(apply(st, &c, T0 + 3) == 0 && rec_state(st, "u@example.org", "weekly") == CONSENT_UNSUBSCRIBED,
       "a list without consent gets an unsubscribed record (an import cannot subscribe it)");
    c.list = NULL;
    c.reason = SUPPRESS_COMPLAINT;
    ok(apply(st, &c, T0 + 4) == 0 && c.outcome == FEEDBACK_APPLIED
       && rec_state(st, "u@example.org", "offers") == CONSENT_UNSUBSCRIBED
       && sup_reason(st, "u@example.org") == SUPPRESS_COMPLAINT,
       "every list plus a complaint suppression");
    c.reason = SUPPRESS_BOUNCE;
    ok(apply(st, &c, T0 + 5) == OPTIN_EFIELD, "every list with a bounce reason is refused");
}

/* test_softbounce - a window, one count per report, a cap, clearing */
static void test_softbounce(struct store *st)
{
    struct change c = {.fn = softbounce, .addr = "s@example.org", .window = 7 * DAY, .fingerprint = 11};
    int rc = 0;

    ok(apply(st, &c, T0) == 0 && c.count == 1, "first soft bounce: 1");
    ok(apply(st, &c, T0 + 60) == 0 && c.count == 1, "the same report (fingerprint) counts once");
    c.fingerprint = 0;
    apply(st, &c, T0 + DAY);
    ok(apply(st, &c, T0 + 2 * DAY) == 0 && c.count == 3, "without a fingerprint each counts: 3");
    ok(apply(st, &c, T0 + 8 * DAY) == 0 && c.count == 2, "those older than the window are dropped");
    for (int i = 0; i < SOFTBOUNCE_KEEP + 10 && rc == 0; i++)
        rc = apply(st, &c, T0 + 9 * DAY + i);
    ok(rc == 0 && c.count == SOFTBOUNCE_KEEP, "at most SOFTBOUNCE_KEEP (%d) kept", SOFTBOUNCE_KEEP);
    c.fn = softbounce_clear;
    ok(apply(st, &c, T0 + 10 * DAY) == 0, "cleared");
    ok(apply(st, &c, T0 + 10 * DAY) == 0, "clearing again: still 0");
    c.fn = softbounce;
    ok(apply(st, &c, T0 + 10 * DAY) == 0 && c.count == 1, "counting starts again");
}

/* tally - consent_softbounce_tally of addr in a read snapshot */
static struct softbounce_tally tally(struct store *st, const char *addr, int64_t now, int64_t window)
{
    struct softbounce_tally t = {0};
    struct store_txn *txn;

    if (store_read_begin(st, &txn) == 0) {
        consent_softbounce_tally(txn, addr, now, window, &t);
        store_read_end(txn);
    }
    return t;
}

/* verdict_at - decide_address's reason for addr on list news at now */
static enum decision_reason verdict_at(struct store *st, const char *addr, int64_t now)
{
    static const struct list_def news = {.id = "news", .opt_in = OPT_IN_SINGLE};
    struct decision d;

    return decide_address(st, &news, addr, strlen(addr), 0, now, &d) == 0 ? d.reason : REASON_COUNT;
}

/* test_soft_days - distinct days, and a soft-bounce suppression that expires */
static void test_soft_days(struct store *st)
{
    struct change c = {.fn = softbounce, .addr = "d@example.org", .window = 30 * DAY};
    struct change sub = {.fn = subscribe, .list = "news", .addr = "d@example.org",
                         .method = METHOD_SINGLE};
    struct softbounce_tally t;

    apply(st, &sub, T0);
    for (int i = 0; i < 6; i++)
        apply(st, &c, T0 + i * 3600);           /* six in one afternoon */
    t = tally(st, "d@example.org", T0 + 6 * 3600, 30 * DAY);
    ok(t.count == 6 && t.days == 1 && t.first == T0 && t.last == T0 + 5 * 3600,
       "six soft bounces in one afternoon: one day (%u on %u)", t.count, t.days);
    for (int i = 1; i < 5; i++)
        apply(st, &c, T0 + i * DAY);
    t = tally(st, "d@example.org", T0 + 5 * DAY, 30 * DAY);
    ok(t.days == 5, "then one on each of four more days: five distinct days");
    t = tally(st, "d@example.org", T0 + 30 * DAY + DAY / 2, 30 * DAY);
    ok(t.count == 4 && t.days == 4, "a month later the first day is out of the window");
    c.fn = soft_suppress;
    c.window = 30 * DAY;
    ok(apply(st, &c, T0 + 5 * DAY) == 0 && c.outcome == FEEDBACK_APPLIED
       && verdict_at(st, "d@example.org", T0 + 5 * DAY) == REASON_SUPPRESSED_SOFT_BOUNCE,
       "suppressed for soft bounces: suppressed-soft-bounce");
    ok(apply(st, &c, T0 + 6 * DAY) == 0 && c.outcome == FEEDBACK_UNCHANGED,
       "again while in force: unchanged");
    ok(verdict_at(st, "d@example.org", T0 + 36 * DAY) == REASON_CONSENT,
       "after it expires: consent again");
    ok(apply(st, &c, T0 + 40 * DAY) == 0 && c.outcome == FEEDBACK_APPLIED,
       "an expired one is replaced by a new one");
    c.fn = fb_suppress;
    c.reason = SUPPRESS_BOUNCE;
    ok(apply(st, &c, T0 + 41 * DAY) == 0 && c.outcome == FEEDBACK_UPGRADED
       && verdict_at(st, "d@example.org", T0 + 400 * DAY) == REASON_SUPPRESSED_BOUNCE,
       "a hard bounce replaces it, for good");
    c = (struct change){.fn = soft_suppress, .addr = "b@example.org", .window = 30 * DAY};
    ok(apply(st, &c, T0 + 42 * DAY) == 0 && c.outcome == FEEDBACK_UNCHANGED,
       "never over an opt-out");
    c = (struct change){.fn = suppress, .addr = "@softdomain.example", .reason = SUPPRESS_MANUAL};
    apply(st, &c, T0);
    c = (struct change){.fn = soft_suppress, .addr = "x@softdomain.example", .window = DAY};
    apply(st, &c, T0);
    ok(verdict_at(st, "x@softdomain.example", T0 + 2 * DAY) == REASON_SUPPRESSED_MANUAL,
       "an expired one hides nothing: the domain's suppression governs");
}

/* Suppressions seen by suppress_each, in order. */
struct seen {
    char order[8];
    size_t n;
};

/* seen_add - suppress_each callback: note the scope ('o', 'e', 'd'); stop after stop_at */
static int seen_add(enum suppress_scope scope, const struct suppress_record *sup, void *arg)
{
    struct seen *s = arg;

    (void) sup;
    s->order[s->n++] = scope == SUPPRESS_SCOPE_OWN ? 'o' : scope == SUPPRESS_SCOPE_ERASED ? 'e' : 'd';
    s->order[s->n] = '\0';
    return 0;
}

/* each_order - the scopes suppress_each reports for target */
static const char *each_order(struct store *st, const char *target)
{
    static struct seen s;
    struct store_txn *txn;

    memset(&s, 0, sizeof(s));
    if (store_read_begin(st, &txn) != 0)
        return "?";
    if (suppress_each(txn, target, seen_add, &s) != 0)
        strcpy(s.order, "!");
    store_read_end(txn);
    return s.order;
}

/* test_lookup_order - own, erased hash, domain; the first governs */
static void test_lookup_order(struct store *st)
{
    struct change c = {.fn = suppress, .addr = "@order.example", .reason = SUPPRESS_MANUAL};

    apply(st, &c, T0);
    ok(strcmp(each_order(st, "x@order.example"), "d") == 0, "the domain covers an address");
    c.addr = "x@order.example";
    c.reason = SUPPRESS_BOUNCE;
    apply(st, &c, T0);
    ok(strcmp(each_order(st, "x@order.example"), "od") == 0, "own first, then the domain");
    ok(sup_reason(st, "x@order.example") == SUPPRESS_BOUNCE, "the first found governs");
    c = (struct change){.fn = forget, .addr = "y@order.example"};
    apply(st, &c, T0);
    ok(strcmp(each_order(st, "y@order.example"), "ed") == 0, "an erased address: its hash, then the domain");
    ok(strcmp(each_order(st, "@order.example"), "o") == 0, "a domain asked for: itself only");
    ok(strcmp(each_order(st, "z@elsewhere.example"), "") == 0, "nothing covers another domain");
}

/* code_check - consent_code_check in a read snapshot */
static int code_check(struct store *st, const char *code, int64_t now, char *list, char *addr)
{
    struct consent_record r;
    struct store_txn *txn;
    int rc;

    if ((rc = store_read_begin(st, &txn)) != 0)
        return rc;
    rc = consent_code_check(txn, code, 7 * DAY, now, list, addr, &r);
    store_read_end(txn);
    return rc;
}

/* test_codes - the read-only check and the confirmation agree */
static void test_codes(struct store *st)
{
    struct change c = {.fn = subscribe, .list = "news", .addr = "d@example.org", .method = METHOD_DOUBLE};
    struct confirm_request rq = {.ttl = 7 * DAY, .ctx = {.now = T0 + DAY, .source = "web-page"}};
    char list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ], code[CONFIRM_CODE_BUFSZ];

    ok(apply(st, &c, T0) == 0 && consent_code_well_formed(c.code_out) && c.code_out[0] != '-',
       "a double opt-in prints a well-formed code");
    snprintf(code, sizeof(code), "%s", c.code_out);
    ok(code_check(st, code, T0 + DAY, list, addr) == 0 && strcmp(list, "news") == 0
       && strcmp(addr, "d@example.org") == 0, "check: confirmable, names list and address");
    ok(code_check(st, code, T0 + 8 * DAY, list, addr) == OPTIN_ECODEEXPIRED, "check: expired after the ttl");
    ok(code_check(st, "AAAAAAAAAAAAAAAAAAAAAA", T0, list, addr) == OPTIN_ECODEUNKNOWN, "check: unknown code");
    ok(code_check(st, "bad code!", T0, list, addr) == OPTIN_ECODEUNKNOWN && !consent_code_well_formed("a/b"),
       "check: a malformed code is unknown");
    rq.code = code;
    ok(store_write(st, consent_confirm_write, &rq) == 0 && strcmp(rq.addr, "d@example.org") == 0
       && rec_state(st, "d@example.org", "news") == CONSENT_CONFIRMED, "confirm_write confirms");
    ok(code_check(st, code, T0 + DAY, list, addr) == OPTIN_ECODEUNKNOWN
       && store_write(st, consent_confirm_write, &rq) == OPTIN_ECODEUNKNOWN, "the code is spent");
}

/* test_revoked - unsubscribed between request and confirmation: not pending */
static void test_revoked(struct store *st)
{
    struct change c = {.fn = subscribe, .list = "news", .addr = "r@example.org", .method = METHOD_DOUBLE};
    struct confirm_request rq = {.ttl = 7 * DAY, .ctx = {.now = T0 + 2, .source = "web-page"}};
    char list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ], code[CONFIRM_CODE_BUFSZ];

    apply(st, &c, T0);
    snprintf(code, sizeof(code), "%s", c.code_out);
    c = (struct change){.fn = fb_unsubscribe, .list = "news", .addr = "r@example.org"};
    apply(st, &c, T0 + 1);
    rq.code = code;
    ok(code_check(st, code, T0 + 2, list, addr) == OPTIN_ENOTPENDING
       && store_write(st, consent_confirm_write, &rq) == OPTIN_ENOTPENDING
       && rec_state(st, "r@example.org", "news") == CONSENT_UNSUBSCRIBED,
       "unsubscribed since: not pending, and it stays unsubscribed");
}

/* test_damaged - a damaged record is an error, never "no record" */
static void test_damaged(struct store *st)
{
    static const struct list_def news = {.id = "news", .opt_in = OPT_IN_SINGLE};
    struct change c = {.fn = damage, .list = "news", .addr = "bad@example.org"};
    struct consent_record rec = {.state = 9};
    struct decision d;
    int rc;

    apply(st, &c, T0);
    rc = decide_address(st, &news, "bad@example.org", 15, 0, T0, &d);
    ok(rc < 0, "decide_address: a damaged record is an error (%s), not no-record", optin_strerror(rc));
    ok(decide(&news, &rec, NULL, T0, &d) < 0, "decide: a state out of range is an error");
    rec.state = CONSENT_NONE;
    ok(decide(&news, &rec, NULL, T0, &d) < 0, "decide: state none in a record is an error");
    ok(decide(&news, NULL, NULL, T0, &d) == 0 && d.reason == REASON_NO_RECORD && !d.allow,
       "decide: no record at all is no-record");
}

int main(void)
{
    struct store_options opt = {.map_size = 1 << 24, .max_readers = 16, .create = 1};
    char path[64], cmd[96], err[256] = "";
    struct store *st = NULL;

    if (mkdtemp(tmpdir) == NULL)
        return 99;
    snprintf(path, sizeof(path), "%s/db", tmpdir);
    opt.path = path;
    if (!ok(store_open(&opt, &st, err, sizeof(err)) == 0, "a new store (%s)", err))
        return tap_done();
    test_feedback_suppress(st);
    test_feedback_unsubscribe(st);
    test_softbounce(st);
    test_soft_days(st);
    test_lookup_order(st);
    test_codes(st);
    test_revoked(st);
    test_damaged(st);
    store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return 99;
    return tap_done();
}
