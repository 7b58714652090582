/*
 * NAME
 *	decide 3
 * SUMMARY
 *	the one consent decision
 * SYNOPSIS
 *	#include "consent/decide.h"
 *
 *	int	decide(const struct list_def *list, const struct consent_record *rec,
 *			const struct suppress_record *sup, int64_t now, struct decision *out)
 *	int	decide_address(struct store *st, const struct list_def *list,
 *			const char *raw, size_t rawlen, unsigned addr_flags,
 *			int64_t now, struct decision *out)
 *	const char *decision_reason_name(enum decision_reason r)
 * DESCRIPTION
 *	decide() is a pure function of the list policy, what the store holds
 *	for the address and the clock. In order:
 * .IP \(bu
 *	a suppression (address, erased-address hash or domain) denies with
 *	its reason: suppressed-bounce, suppressed-complaint,
 *	global-unsubscribe or suppressed-manual;
 * .IP \(bu
 *	no record denies with no-record; pending and unsubscribed deny with
 *	their names;
 * .IP \(bu
 *	a confirmed record on a double opt-in list without a confirmation
 *	time denies with pending (single opt-in is not enough there);
 * .IP \(bu
 *	with max_consent_age, consent older than that (counted from the
 *	confirmation, else from the consent; unknown time counts as too old)
 *	denies with expired;
 * .IP \(bu
 *	otherwise allow, reason consent, with the method and time relied on.
 * .PP
 *	decide_address() normalizes the raw address (an invalid one denies
 *	with invalid-address), reads suppression and record in one short
 *	read snapshot and calls decide(). It allocates nothing but the
 *	snapshot handle.
 * DIAGNOSTICS
 *	decide() returns -EBADMSG for a record or suppression out of range.
 *	decide_address() returns 0 with a verdict, or a negative store error:
 *	the caller must then temp-fail, never accept unchecked.
 * SEE ALSO
 *	consent(3), addr(3)
 */

#include <errno.h>
#include <string.h>

#include "consent/decide.h"

static const char *const reason_names[REASON_COUNT] = {
    [REASON_CONSENT] = "consent",
    [REASON_NO_RECORD] = "no-record",
    [REASON_PENDING] = "pending",
    [REASON_UNSUBSCRIBED] = "unsubscribed",
    [REASON_EXPIRED] = "expired",
    [REASON_SUPPRESSED_BOUNCE] = "suppressed-bounce",
    [REASON_SUPPRESSED_COMPLAINT] = "suppressed-complaint",
    [REASON_SUPPRESSED_MANUAL] = "suppressed-manual",
    [REASON_GLOBAL_UNSUBSCRIBE] = "global-unsubscribe",
    [REASON_INVALID_ADDRESS] = "invalid-address",
    [REASON_SUPPRESSED_SOFT_BOUNCE] = "suppressed-soft-bounce",
};

static const enum decision_reason suppress_reasons[] = {
    [SUPPRESS_NONE] = REASON_SUPPRESSED_MANUAL,
    [SUPPRESS_BOUNCE] = REASON_SUPPRESSED_BOUNCE,
    [SUPPRESS_COMPLAINT] = REASON_SUPPRESSED_COMPLAINT,
    [SUPPRESS_GLOBAL_UNSUB] = REASON_GLOBAL_UNSUBSCRIBE,
    [SUPPRESS_MANUAL] = REASON_SUPPRESSED_MANUAL,
    [SUPPRESS_SOFT_BOUNCE] = REASON_SUPPRESSED_SOFT_BOUNCE,
};

static const enum decision_reason state_reasons[] = {
    [CONSENT_NONE] = REASON_NO_RECORD,
    [CONSENT_PENDING] = REASON_PENDING,
    [CONSENT_CONFIRMED] = REASON_CONSENT,
    [CONSENT_UNSUBSCRIBED] = REASON_UNSUBSCRIBED,
};

/* decision_reason_name - text of a reason */
const char *decision_reason_name(enum decision_reason r)
{
    return (unsigned) r < REASON_COUNT ? reason_names[r] : "?";
}

/* decide - verdict from policy, record, suppression and clock; -EBADMSG for a record out of range */
int decide(const struct list_def *list, const struct consent_record *rec,
            const struct suppress_record *sup, int64_t now, struct decision *out)
{
    out->allow = 0;
    out->method = METHOD_NONE;
    out->consent_time = 0;
    out->reason = REASON_NO_RECORD;
    out->has_record = rec != NULL;
    if (rec != NULL)
        out->record = *rec;
    if ((sup && (unsigned) sup->reason > SUPPRESS_REASON_LAST)
        || (rec && (rec->state == CONSENT_NONE || (unsigned) rec->state > CONSENT_UNSUBSCRIBED)))
        return -EBADMSG;
    if (sup && sup->reason != SUPPRESS_NONE && suppress_active(sup, now)) {
        out->reason = suppress_reasons[sup->reason];
        return 0;
    }
    if (rec == NULL)
        return 0;
    out->method = rec->method;
    out->consent_time = rec->confirmed_at ? rec->confirmed_at : rec->consented_at;
    out->reason = state_reasons[rec->state];
    if (rec->state != CONSENT_CONFIRMED)
        return 0;
    if (list->opt_in == OPT_IN_DOUBLE && rec->confirmed_at == 0) {
        out->reason = REASON_PENDING;
        return 0;
    }
    if (list->max_consent_age > 0
        && (out->consent_time == 0 || now - out->consent_time > list->max_consent_age)) {
        out->reason = REASON_EXPIRED;
        return 0;
    }
    out->allow = 1;
    return 0;
}

/* decide_address - normalize, look up in one snapshot, decide */
int decide_address(struct store *st, const struct list_def *list, const char *raw, size_t rawlen,
                   unsigned addr_flags, int64_t now, struct decision *out)
{
    struct consent_record rec;
    struct suppress_record sup;
    struct store_txn *txn;
    int rc_sup, rc_rec, rc;

    out->addr_error = addr_normalize(raw, rawlen, addr_flags, out->address);
    if (out->addr_error != ADDR_OK) {
        out->address[0] = 0;
        out->allow = 0;
        out->reason = REASON_INVALID_ADDRESS;
        out->method = METHOD_NONE;
        out->consent_time = 0;
        out->has_record = 0;
        return 0;
    }
    if ((rc = store_read_begin(st, &txn)) != 0)
        return rc;
    rc_sup = suppress_lookup_at(txn, out->address, now, &sup);
    rc_rec = rc_sup < 0 ? 0 : consent_get(txn, out->address, list->id, &rec);
    store_read_end(txn);
    if (rc_sup < 0 || rc_rec < 0)
        return rc_sup < 0 ? rc_sup : rc_rec;
    if (rc_rec == OPTIN_EFIELD)
        rc_rec = OPTIN_NOTFOUND;
    decide(list, rc_rec == 0 ? &rec : NULL, rc_sup == 0 ? &sup : NULL, now, out);
    return 0;
}
