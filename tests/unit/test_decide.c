/*
 * NAME
 *	test_decide - TAP tests of the decision function, every reason
 * DESCRIPTION
 *	decide() is checked as a pure function with an injected clock;
 *	decide_address() against a real store in a temporary directory.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent/decide.h"
#include "tap.h"

#define T0 1714564800 /* 2024-05-01T12:00:00Z */
#define DAY 86400

static struct list_def single_list = {.id = "news", .opt_in = OPT_IN_SINGLE};
static struct list_def double_list = {.id = "offers", .opt_in = OPT_IN_DOUBLE,
                                      .max_consent_age = 365 * DAY};

/* verdict - run decide() and return the reason (allow is checked against the reason) */
static enum decision_reason verdict(const struct list_def *list, const struct consent_record *rec,
                                    const struct suppress_record *sup, int64_t now, int *allow)
{
    struct decision d;

    decide(list, rec, sup, now, &d);
    *allow = d.allow;
    return d.reason;
}

/* test_pure - every reason from decide() */
static void test_pure(void)
{
    struct consent_record rec = {.state = CONSENT_CONFIRMED, .method = METHOD_SINGLE,
                                 .consented_at = T0};
    struct suppress_record sup = {.reason = SUPPRESS_BOUNCE, .since = T0};
    struct decision d;
    int allow;

    ok(verdict(&single_list, &rec, NULL, T0 + DAY, &allow) == REASON_CONSENT && allow,
       "confirmed single opt-in: consent");
    decide(&single_list, &rec, NULL, T0, &d);
    ok(d.method == METHOD_SINGLE && d.consent_time == T0, "the consent relied on is reported");
    ok(verdict(&single_list, NULL, NULL, T0, &allow) == REASON_NO_RECORD && !allow, "no-record");
    rec.state = CONSENT_PENDING;
    ok(verdict(&single_list, &rec, NULL, T0, &allow) == REASON_PENDING && !allow, "pending");
    rec.state = CONSENT_UNSUBSCRIBED;
    ok(verdict(&single_list, &rec, NULL, T0, &allow) == REASON_UNSUBSCRIBED && !allow,
       "unsubscribed");
    rec.state = CONSENT_CONFIRMED;
    ok(verdict(&double_list, &rec, NULL, T0, &allow) == REASON_PENDING && !allow,
       "double list: confirmed without confirmation time is pending");
    rec.method = METHOD_DOUBLE;
    rec.confirmed_at = T0 + DAY;
    ok(verdict(&double_list, &rec, NULL, T0 + 2 * DAY, &allow) == REASON_CONSENT && allow,
       "double list: confirmed double opt-in");
    ok(verdict(&double_list, &rec, NULL, T0 + 366 * DAY, &allow) == REASON_CONSENT && allow,
       "age counts from confirmation (365 days after it: still fine)");
    ok(verdict(&double_list, &rec, NULL, T0 + DAY + 365 * DAY + 1, &allow) == REASON_EXPIRED
       && !allow, "expired one second past max_consent_age");
    ok(verdict(&double_list, &rec, NULL, T0 + DAY + 365 * DAY, &allow) == REASON_CONSENT,
       "exactly max_consent_age is still valid");
    rec.consented_at = rec.confirmed_at = 0;
    rec.method = METHOD_IMPORT;
    rec.confirmed_at = 0;
    ok(verdict(&single_list, &rec, NULL, T0, &allow) == REASON_CONSENT,
       "unknown consent time without an age limit: allowed");
    {
        struct list_def aged = single_list;

        aged.max_consent_age = DAY;
        ok(verdict(&aged, &rec, NULL, T0, &allow) == REASON_EXPIRED,
           "unknown consent time with an age limit: expired");
    }
    rec.consented_at = T0;
    ok(verdict(&single_list, &rec, &sup, T0, &allow) == REASON_SUPPRESSED_BOUNCE && !allow,
       "suppressed-bounce wins over consent");
    sup.reason = SUPPRESS_COMPLAINT;
    ok(verdict(&single_list, &rec, &sup, T0, &allow) == REASON_SUPPRESSED_COMPLAINT,
       "suppressed-complaint");
    sup.reason = SUPPRESS_MANUAL;
    ok(verdict(&single_list, &rec, &sup, T0, &allow) == REASON_SUPPRESSED_MANUAL,
       "suppressed-manual");
    sup.reason = SUPPRESS_GLOBAL_UNSUB;
    ok(verdict(&single_list, NULL, &sup, T0, &allow) == REASON_GLOBAL_UNSUBSCRIBE,
       "global-unsubscribe");
}

/* test_names - every reason has its documented name */
static void test_names(void)
{
    static const char *const want[REASON_COUNT] = {
        "consent", "no-record", "pending", "unsubscribed", "expired", "suppressed-bounce",
        "suppressed-complaint", "suppressed-manual", "global-unsubscribe", "invalid-address",
        "suppressed-soft-bounce"};
    int good = 1;

    for (int r = 0; r < REASON_COUNT; r++)
        good &= strcmp(decision_reason_name(r), want[r]) == 0;
    ok(good, "reason names");
    ok(strcmp(decision_reason_name(REASON_COUNT), "?") == 0, "out-of-range reason");
}

struct sub {
    const char *addr;
    struct change_ctx cc;
    char token[CONFIRM_CODE_BUFSZ];
};

/* subscribe_txn - write callback: single opt-in to news */
static int subscribe_txn(struct store_txn *txn, void *arg)
{
    struct sub *s = arg;

    return consent_subscribe(txn, "news", s->addr, METHOD_SINGLE, &s->cc, s->token);
}

/* test_address - decide_address normalizes and looks up in the real store */
static void test_address(const char *dir)
{
    struct store_options opt = {.path = dir, .create = 1};
    struct sub s = {.addr = "user@xn--r8jz45g.jp", .cc = {.now = T0, .source = "t"}};
    struct store *st;
    struct decision d;
    char err[256];
    const char *raw;

    if (!ok(store_open(&opt, &st, err, sizeof(err)) == 0, "store for decide_address"))
        return;
    store_write(st, subscribe_txn, &s);
    raw = "<User@例え.JP>";
    ok(decide_address(st, &single_list, raw, strlen(raw), ADDR_FOLD_LOCAL, T0, &d) == 0
       && d.allow && strcmp(d.address, "user@xn--r8jz45g.jp") == 0,
       "U-label, brackets and case lead to the stored consent");
    ok(decide_address(st, &double_list, raw, strlen(raw), ADDR_FOLD_LOCAL, T0, &d) == 0
       && d.reason == REASON_NO_RECORD, "other list: no-record");
    raw = "User@例え.JP";
    ok(decide_address(st, &single_list, raw, strlen(raw), 0, T0, &d) == 0
       && d.reason == REASON_NO_RECORD, "without folding the local part differs");
    ok(decide_address(st, &single_list, "a\r\nb@x.org", 10, ADDR_FOLD_LOCAL, T0, &d) == 0
       && d.reason == REASON_INVALID_ADDRESS && d.addr_error == ADDR_CONTROL_CHAR && !d.allow,
       "CR LF: invalid-address (control character)");
    ok(decide_address(st, &single_list, "a\0b@x.org", 9, ADDR_FOLD_LOCAL, T0, &d) == 0
       && d.reason == REASON_INVALID_ADDRESS, "embedded NUL: invalid-address");
    ok(decide_address(st, &single_list, "<>", 2, ADDR_FOLD_LOCAL, T0, &d) == 0
       && d.reason == REASON_INVALID_ADDRESS, "null address: invalid-address");
    store_close(st);
}

int main(void)
{
    char dir[] = "/tmp/optin-test-decide.XXXXXX", cmd[200];

    test_pure();
    test_names();
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    test_address(dir);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
