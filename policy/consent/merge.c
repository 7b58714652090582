/*
 * NAME
 *	merge 3
 * SUMMARY
 *	how an import row meets what the store holds
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	consent_import_row(txn, row, resubscribe, ctx, &outcome)
 * DESCRIPTION
 *	consent_import_row() never turns an unsubscribed or suppressed
 *	address back into a consenting one unless resubscribe is set, and
 *	writes nothing when the row says what the store already holds.
 *	Even with resubscribe it only lifts the address's own suppression:
 *	a domain suppression or an erasure keeps the row out. A confirmed
 *	record keeps its confirmation when a row without one repeats it.
 * DIAGNOSTICS
 *	0 on success, OPTIN_NOTFOUND, an OPTIN_E* code for the caller's
 *	mistakes, or a negative store error (-EBADMSG for a damaged record);
 *	see status.h. Nothing here logs.
 * SEE ALSO
 *	consent.h, store(3), history(3), optinctl(1)
 */

#include <string.h>

#include "consent/consent.h"
#include "consent/consent_int.h"

/* import_record - the record an import row asks for, keeping a stronger existing confirmation */
static int import_record(const struct import_row *row, const struct consent_record *old,
                         int64_t now, struct consent_record *r)
{
    memset(r, 0, sizeof(*r));
    r->state = row->state;
    r->method = row->method;
    r->consented_at = row->consented_at;
    r->confirmed_at = row->confirmed_at;
    if (old && old->state == CONSENT_CONFIRMED && r->state == CONSENT_CONFIRMED
        && r->confirmed_at == 0 && old->confirmed_at != 0) {
        r->method = old->method;
        r->confirmed_at = old->confirmed_at;
    }
    r->changed_at = old && old->state == r->state ? old->changed_at : now;
    if (copy_field(r->source, sizeof(r->source), row->source) < 0
        || copy_field(r->ip, sizeof(r->ip), row->ip) < 0
        || copy_field(r->policy_version, sizeof(r->policy_version), row->policy_version) < 0)
        return OPTIN_EFIELD;
    return 0;
}

/* record_same - true when two records say the same thing (the change time aside) */
static int record_same(const struct consent_record *a, const struct consent_record *b)
{
    return a->state == b->state && a->method == b->method && a->consented_at == b->consented_at
        && a->confirmed_at == b->confirmed_at && strcmp(a->source, b->source) == 0
        && strcmp(a->ip, b->ip) == 0 && strcmp(a->policy_version, b->policy_version) == 0;
}

/* import_optout - does an opt-out stand in the way, and can --resubscribe lift it? */
static int import_optout(struct store_txn *txn, const struct import_row *row,
                         const struct consent_record *old, int *liftable, int *own_sup)
{
    struct suppress_record sup;
    int rc;

    *liftable = 1;
    *own_sup = 0;
    if (row->state == CONSENT_UNSUBSCRIBED)
        return 0;           /* importing an opt-out is always allowed */
    if ((rc = suppress_lookup(txn, row->address, &sup)) == 0) {
        /* only the address's own suppression can be lifted, not its domain's or an erasure */
        *own_sup = suppress_get(txn, row->address, &sup) == 0;
        *liftable = *own_sup;
        return 1;
    }
    if (rc != OPTIN_NOTFOUND)
        return rc;
    return old && old->state == CONSENT_UNSUBSCRIBED;
}

/* consent_import_row - apply one import row without overriding an opt-out */
int consent_import_row(struct store_txn *txn, const struct import_row *row, int resubscribe,
                       const struct change_ctx *ctx, enum import_outcome *outcome)
{
    struct consent_record old, r;
    int have_old, optout, liftable, own_sup, rc;
    uint64_t batch;

    if ((rc = consent_get(txn, row->address, row->list, &old)) != 0 && rc != OPTIN_NOTFOUND)
        return rc;
    have_old = rc == 0;
    if ((optout = import_optout(txn, row, have_old ? &old : NULL, &liftable, &own_sup)) < 0)
        return optout;
    if (optout && (!resubscribe || !liftable)) {
        *outcome = IMPORT_KEPT_OPTOUT;
        return 0;
    }
    if ((rc = import_record(row, have_old ? &old : NULL, ctx->now, &r)) != 0)
        return rc;
    if (have_old && !optout && record_same(&old, &r)) {
        *outcome = IMPORT_UNCHANGED;
        return 0;
    }
    if (optout && own_sup && (rc = consent_unsuppress(txn, row->address, ctx)) != 0)
        return rc;
    *outcome = optout ? IMPORT_RESUBSCRIBED : have_old ? IMPORT_UPDATED : IMPORT_ADDED;
    batch = optout ? 0 : ctx->batch;    /* != 0: the event is the record and the run (history.c) */
    if ((rc = consent_replace(txn, row->address, row->list, have_old ? &old : NULL, &r, batch)) != 0)
        return rc;
    if (batch != 0)
        return history_take_seq(txn);
    return history_append(txn, row->address,
                          import_event(optout ? "resubscribe" : "import", row->list, &r), ctx);
}
