/*
 * NAME
 *	feedback 3
 * SUMMARY
 *	what bounces, complaints and mailto opt-outs do to the store
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	consent_feedback_suppress(txn, addr, reason, note, ctx, &outcome)
 *	int	consent_feedback_unsubscribe(txn, list, addr, all_reason, note, ctx, &outcome)
 *	const char *feedback_outcome_name(o)
 *	int	consent_unverified_add(txn, n)
 *	int	consent_unverified_count(txn, &count)
 * DESCRIPTION
 *	Reports from mail feedback never weaken an opt-out: an existing
 *	suppression of the address is kept unless it is a bounce and the
 *	new one is an opt-out (complaint, global unsubscribe, manual), which
 *	then replaces it; an erased address is never written again; and
 *	what is already so is not written twice, so the same report applied
 *	again changes nothing. Which report means what is decided in
 *	policy/feedback; this is how the decision lands in the store.
 *
 *	A report bound to no recipient changes nobody's state, but it is
 *	counted: consent_unverified_add() adds to a counter in the meta
 *	database (an 8-byte big-endian "feedback_unverified"), which
 *	consent_unverified_count() reads for optinctl stats.
 * DIAGNOSTICS
 *	0 on success, OPTIN_NOTFOUND, an OPTIN_E* code for the caller's
 *	mistakes, or a negative store error (-EBADMSG for a damaged record);
 *	see status.h. Nothing here logs.
 * SEE ALSO
 *	consent.h, store(3), history(3), optinctl(1)
 */

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "consent/consent.h"
#include "consent/consent_int.h"
#include "util/bytes.h"
#include "util/timeutil.h"

static const char meta_unverified[] = "feedback_unverified";

static const char *const feedback_outcome_names[] = {
    [FEEDBACK_APPLIED] = "applied",
    [FEEDBACK_UPGRADED] = "upgraded",
    [FEEDBACK_UNCHANGED] = "unchanged",
    [FEEDBACK_ERASED] = "erased",
};

#define TABLE_LEN(t) (sizeof(t) / sizeof((t)[0]))

/* feedback_outcome_name - text of a feedback outcome */
const char *feedback_outcome_name(enum feedback_outcome o)
{
    return (unsigned) o < TABLE_LEN(feedback_outcome_names) ? feedback_outcome_names[o] : "?";
}

/*
 * feedback_start - the checks every feedback write starts with: a plain address, not erased
 * (*outcome FEEDBACK_ERASED, 1: nothing to write), and its own suppression in *old (*have_old);
 * 0 to go on, or a negative error
 */
static int feedback_start(struct store_txn *txn, const char *addr, struct suppress_record *old,
                          int *have_old, enum feedback_outcome *outcome)
{
    int rc;

    *outcome = FEEDBACK_UNCHANGED;
    if (addr[0] == '@' || addr[0] == '#')
        return OPTIN_EFIELD;
    if ((rc = address_erased(txn, addr)) != 0) {
        if (rc > 0)
            *outcome = FEEDBACK_ERASED;
        return rc > 0 ? 1 : rc;
    }
    if ((rc = suppress_get(txn, addr, old)) != 0 && rc != OPTIN_NOTFOUND)
        return rc;
    *have_old = rc == 0;
    return 0;
}

/* consent_feedback_suppress - suppress an address without weakening an opt-out */
int consent_feedback_suppress(struct store_txn *txn, const char *addr, enum suppress_reason reason,
                              const struct feedback_note *note, const struct change_ctx *ctx,
                              enum feedback_outcome *outcome)
{
    struct suppress_record old;
    int rc, upgrade, have_old = 0;
    json_t *ev;

    if (reason == SUPPRESS_NONE)
        return OPTIN_EFIELD;
    if ((rc = feedback_start(txn, addr, &old, &have_old, outcome)) != 0)
        return rc > 0 ? 0 : rc;
    /* an own suppression stands, unless a bounce is now known to be an opt-out, or a soft
     * bounce suppression (which expires) meets a lasting one */
    upgrade = have_old && ((old.reason == SUPPRESS_BOUNCE && reason != SUPPRESS_BOUNCE)
                           || old.reason == SUPPRESS_SOFT_BOUNCE);
    if (have_old && !upgrade)
        return 0;
    if ((rc = suppress_put(txn, addr, reason, ctx->now, 0, ctx->source)) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("suppress"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(reason)));
    if (upgrade)
        json_object_set_new(ev, "replaces", json_string(suppress_reason_name(old.reason)));
    *outcome = upgrade ? FEEDBACK_UPGRADED : FEEDBACK_APPLIED;
    return history_append(txn, addr, feedback_event(ev, note), ctx);
}

/* consent_feedback_unsubscribe - one list, or every list plus a suppression, never twice */
int consent_feedback_unsubscribe(struct store_txn *txn, const char *list, const char *addr,
                                 enum suppress_reason all_reason, const struct feedback_note *note,
                                 const struct change_ctx *ctx, enum feedback_outcome *outcome)
{
    int rc, written = 0;

    *outcome = FEEDBACK_UNCHANGED;
    if (addr[0] == '@' || addr[0] == '#'
        || (list == NULL && all_reason != SUPPRESS_GLOBAL_UNSUB && all_reason != SUPPRESS_COMPLAINT))
        return OPTIN_EFIELD;
    if ((rc = address_erased(txn, addr)) != 0) {
        if (rc > 0)
            *outcome = FEEDBACK_ERASED;
        return rc > 0 ? 0 : rc;
    }
    if (list != NULL) {
        rc = unsubscribe_record(txn, list, addr, ctx, note, &written);
        if (rc == 0 && written)
            *outcome = FEEDBACK_APPLIED;
        return rc;
    }
    rc = unsubscribe_all_lists(txn, addr, ctx, note, &written);
    if (rc != 0 || (rc = consent_feedback_suppress(txn, addr, all_reason, note, ctx, outcome)) != 0)
        return rc;
    if (written && *outcome == FEEDBACK_UNCHANGED)
        *outcome = FEEDBACK_APPLIED;
    return 0;
}

/* consent_softbounce_suppress - suppress addr until a time, unless anything else suppresses it */
int consent_softbounce_suppress(struct store_txn *txn, const char *addr, int64_t until,
                                const struct feedback_note *note, const struct change_ctx *ctx,
                                enum feedback_outcome *outcome)
{
    struct suppress_record old;
    char when[TIME_BUFSZ];
    int rc, have_old = 0;
    json_t *ev;

    if (until <= ctx->now)
        return OPTIN_EFIELD;
    if ((rc = feedback_start(txn, addr, &old, &have_old, outcome)) != 0)
        return rc > 0 ? 0 : rc;
    if (have_old && (old.reason != SUPPRESS_SOFT_BOUNCE || suppress_active(&old, ctx->now)))
        return 0;               /* a lasting suppression, or a soft one still in force */
    if ((rc = suppress_put(txn, addr, SUPPRESS_SOFT_BOUNCE, ctx->now, until, ctx->source)) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("suppress"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(SUPPRESS_SOFT_BOUNCE)));
    json_object_set_new(ev, "until", json_string(time_format(until, when)));
    *outcome = FEEDBACK_APPLIED;
    return history_append(txn, addr, feedback_event(ev, note), ctx);
}

/* consent_unverified_count - how many reported recipients were bound to nobody, ever */
int consent_unverified_count(struct store_txn *txn, uint64_t *count)
{
    const void *val;
    size_t vlen;
    int rc = store_get(txn, STORE_DB_META, meta_unverified, sizeof(meta_unverified) - 1, &val,
                       &vlen);

    *count = 0;
    if (rc == OPTIN_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (vlen != 8)
        return -EBADMSG;
    *count = bytes_get_u64(val);
    return 0;
}

/* consent_unverified_add - count n more reported recipients that no tag or token bound */
int consent_unverified_add(struct store_txn *txn, uint64_t n)
{
    unsigned char val[8];
    uint64_t count;
    int rc;

    if (n == 0)
        return 0;
    if ((rc = consent_unverified_count(txn, &count)) != 0)
        return rc;
    bytes_put_u64(val, count + n);
    return store_put(txn, STORE_DB_META, meta_unverified, sizeof(meta_unverified) - 1, val,
                     sizeof(val));
}
