/*
 * NAME
 *	optout 3
 * SUMMARY
 *	unsubscribe, suppress, lift a suppression, forget
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	consent_unsubscribe(txn, list, addr, ctx)
 *	int	consent_suppress(txn, target, reason, ctx), consent_unsuppress(txn, target, ctx)
 *	int	consent_forget(txn, addr, ctx)
 * DESCRIPTION
 *	An unsubscription writes an unsubscribed record even where there
 *	was no consent, so that a later import cannot subscribe the address.
 *	Without a list it reaches every list of the address and adds a
 *	global-unsubscribe suppression, which replaces a bounce suppression
 *	(an opt-out must survive lifting bounces) but never another opt-out.
 *
 *	consent_forget() erases the address's records, history, pending
 *	confirmation codes, suppression and soft bounces, and keeps it
 *	suppressed under its keyed hash (the erased database), with one
 *	history event that names no one. An erased address is never written
 *	again by an unsubscribe or by feedback.
 * DIAGNOSTICS
 *	0 on success, OPTIN_NOTFOUND, an OPTIN_E* code for the caller's
 *	mistakes, or a negative store error (-EBADMSG for a damaged record);
 *	see status.h. Nothing here logs.
 * SEE ALSO
 *	consent.h, store(3), history(3), optinctl(1)
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "consent/consent.h"
#include "consent/consent_int.h"
#include "mail/addr.h"

#define FORGET_LISTS_MAX 256

/*
 * unsubscribe_record - mark one list unsubscribed (creating the record keeps a later import out);
 * with note, an opt-out from mail feedback: nothing is written when already unsubscribed.
 */
int unsubscribe_record(struct store_txn *txn, const char *list, const char *addr,
                              const struct change_ctx *ctx, const struct feedback_note *note,
                              int *written)
{
    struct consent_record r;
    json_t *ev;
    int rc;

    if ((rc = consent_get(txn, addr, list, &r)) == 0 && note && r.state == CONSENT_UNSUBSCRIBED)
        return 0;
    if (rc == OPTIN_NOTFOUND) {
        memset(&r, 0, sizeof(r));
        if ((rc = record_from_ctx(&r, ctx)) != 0)
            return rc;
    } else if (rc != 0) {
        return rc;
    }
    r.state = CONSENT_UNSUBSCRIBED;
    r.changed_at = ctx->now;
    if ((rc = consent_put(txn, addr, list, &r)) != 0)
        return rc;
    if (written)
        *written = 1;
    ev = record_event("unsubscribe", list, &r);
    return history_append(txn, addr, note ? feedback_event(ev, note) : ev, ctx);
}

/* unsubscribe_one - an explicit opt-out from one list, recorded even when repeated */
static int unsubscribe_one(struct store_txn *txn, const char *list, const char *addr,
                           const struct change_ctx *ctx)
{
    return unsubscribe_record(txn, list, addr, ctx, NULL, NULL);
}

struct list_names {
    char names[FORGET_LISTS_MAX][LIST_ID_BUFSZ];
    size_t count;
    int more;          /* the table filled up: scan again after handling these */
};

/* collect_list - scan callback: the lists of "address\0list" not unsubscribed yet */
static int collect_list(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct list_names *ln = arg;
    const char *nul = memchr(key, 0, klen);
    struct consent_record r;
    size_t llen;

    if (nul == NULL || (consent_decode(val, vlen, &r) == 0 && r.state == CONSENT_UNSUBSCRIBED))
        return 0;
    if (ln->count >= FORGET_LISTS_MAX) {
        ln->more = 1;
        return 1;
    }
    llen = klen - (size_t) (nul + 1 - (const char *) key);
    if (llen >= LIST_ID_BUFSZ)
        return 0;
    memcpy(ln->names[ln->count], nul + 1, llen);
    ln->names[ln->count++][llen] = 0;
    return 0;
}

/* unsubscribe_all_lists - every list of the address not unsubscribed yet, however many */
int unsubscribe_all_lists(struct store_txn *txn, const char *addr,
                                 const struct change_ctx *ctx, const struct feedback_note *note,
                                 int *written)
{
    char prefix[ADDR_BUFSZ + 1];
    struct list_names *ln;
    int rc;

    if ((ln = calloc(1, sizeof(*ln))) == NULL)
        return -ENOMEM;
    do {
        ln->count = 0;
        ln->more = 0;
        rc = store_scan(txn, STORE_DB_CONSENT, prefix, address_prefix(prefix, addr), collect_list,
                        ln);
        if (rc == 1)
            rc = 0;     /* stopped because the table was full */
        for (size_t i = 0; rc == 0 && i < ln->count; i++)
            rc = unsubscribe_record(txn, ln->names[i], addr, ctx, note, written);
    } while (rc == 0 && ln->more);
    free(ln);
    return rc;
}

/* consent_unsubscribe - one list, or every list plus a global-unsubscribe suppression */
int consent_unsubscribe(struct store_txn *txn, const char *list, const char *addr,
                        const struct change_ctx *ctx)
{
    enum feedback_outcome outcome;
    int rc;

    if ((rc = address_erased(txn, addr)) != 0)
        return rc > 0 ? 0 : rc;     /* erased: it stays suppressed, nothing personal is written */
    if (list)
        return unsubscribe_one(txn, list, addr, ctx);
    if ((rc = unsubscribe_all_lists(txn, addr, ctx, NULL, NULL)) != 0)
        return rc;
    /* the suppression by the feedback rule: it replaces a bounce, never another opt-out */
    return consent_feedback_suppress(txn, addr, SUPPRESS_GLOBAL_UNSUB, NULL, ctx, &outcome);
}

/* consent_suppress - suppress an address or a domain */
int consent_suppress(struct store_txn *txn, const char *target, enum suppress_reason reason,
                     const struct change_ctx *ctx)
{
    struct suppress_record old;
    json_t *ev;
    int rc;

    /* a bounce never replaces an opt-out: lifting bounces later must not lift it */
    if (reason == SUPPRESS_BOUNCE && suppress_get(txn, target, &old) == 0
        && old.reason != SUPPRESS_BOUNCE)
        reason = old.reason;
    if ((rc = suppress_put(txn, target, reason, ctx->now, 0, ctx->source)) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("suppress"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(reason)));
    return history_append(txn, target, ev, ctx);
}

/* consent_unsuppress - lift a suppression */
int consent_unsuppress(struct store_txn *txn, const char *target, const struct change_ctx *ctx)
{
    struct suppress_record old;
    json_t *ev;
    int rc;

    if ((rc = suppress_get(txn, target, &old)) != 0)
        return rc;
    if ((rc = suppress_del(txn, target)) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("unsuppress"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(old.reason)));
    return history_append(txn, target, ev, ctx);
}

/* consent_forget - erase personal data, keep the address suppressed under its keyed hash */
int consent_forget(struct store_txn *txn, const char *addr, const struct change_ctx *ctx)
{
    struct suppress_record sup;
    enum suppress_reason reason = SUPPRESS_GLOBAL_UNSUB;
    char prefix[ADDR_BUFSZ + 1], hashkey[STORE_HASH_HEXSZ + 1];
    uint64_t lists = 0, events = 0;
    struct change_ctx anon = *ctx;
    json_t *ev;
    int rc;

    if ((rc = suppress_get(txn, addr, &sup)) == 0 && sup.reason != SUPPRESS_SOFT_BOUNCE)
        reason = sup.reason;    /* an erased address stays suppressed for good: soft bounces too */
    else if (rc != OPTIN_NOTFOUND)
        return rc;
    if ((rc = store_del_prefix(txn, STORE_DB_CONSENT, prefix, address_prefix(prefix, addr), &lists))
        != 0 || (rc = store_del_prefix(txn, STORE_DB_HISTORY, prefix, address_prefix(prefix, addr),
                                       &events)) != 0 || (rc = forget_codes(txn, addr)) != 0)
        return rc;
    if ((rc = store_del(txn, STORE_DB_SUPPRESS, addr, strlen(addr))) < 0
        || (rc = consent_softbounce_clear(txn, addr)) < 0)
        return rc;
    hashkey[0] = '#';
    store_address_hash(store_txn_store(txn), addr, hashkey + 1);
    if ((rc = suppress_put(txn, hashkey, reason, ctx->now, 0, "forget")) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("forget"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(reason)));
    json_object_set_new(ev, "lists_erased", json_integer((json_int_t) lists));
    json_object_set_new(ev, "events_erased", json_integer((json_int_t) events));
    anon.ip = NULL;            /* the requester's IP is personal data too */
    return history_append(txn, hashkey, ev, &anon);
}
