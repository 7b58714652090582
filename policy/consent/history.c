/*
 * NAME
 *	history 3
 * SUMMARY
 *	the consent history: one event per change, never rewritten
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	history_scan(txn, addr, fn, arg)
 * DESCRIPTION
 *	"address\0" + 8-byte sequence: one JSON object per change (what,
 *	when, list, resulting state, method, source, IP, actor, policy
 *	version). Every function that changes a record or a suppression
 *	appends its event here in the same write transaction, so a record
 *	never changes without its proof. The history survives unsubscribe
 *	and suppression and is only removed by consent_forget(), which
 *	leaves one event under the address's keyed hash.
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
#include "util/bytes.h"
#include "util/timeutil.h"

/* json_set_opt - set a string member when present */
static void json_set_opt(json_t *obj, const char *name, const char *value)
{
    if (value && *value)
        json_object_set_new(obj, name, json_string(value));
}

/* history_append - one JSON event under the key's history */
int history_append(struct store_txn *txn, const char *who, json_t *event,
                          const struct change_ctx *ctx)
{
    char key[KEY_MAX], when[TIME_BUFSZ];
    size_t wlen = strlen(who);
    uint64_t seq;
    char *text;
    int rc;

    if ((rc = store_next_seq(txn, &seq)) != 0)
        goto done;
    json_object_set_new(event, "seq", json_integer((json_int_t) seq));
    json_object_set_new(event, "time", json_string(time_format(ctx->now, when)));
    json_set_opt(event, "source", ctx->source);
    json_set_opt(event, "ip", ctx->ip);
    json_set_opt(event, "actor", ctx->actor);
    json_set_opt(event, "policy_version", ctx->policy_version);
    if ((text = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
        rc = -ENOMEM;
        goto done;
    }
    memcpy(key, who, wlen + 1);
    bytes_put_u64((unsigned char *) key + wlen + 1, seq);
    rc = store_put(txn, STORE_DB_HISTORY, key, wlen + 9, text, strlen(text));
    free(text);
done:
    json_decref(event);
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

/* A history scan: the caller's function and argument. */
struct history_walk {
    history_fn fn;
    void *arg;
};

/* history_visit - scan callback: sequence from the key, JSON from the value */
static int history_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct history_walk *hw = arg;

    if (klen < 9)
        return 0;
    return hw->fn(bytes_get_u64((const unsigned char *) key + klen - 8), val, vlen, hw->arg);
}

/* history_scan - every event of one address (or "@domain", "#hash") in order */
int history_scan(struct store_txn *txn, const char *addr, history_fn fn, void *arg)
{
    struct history_walk hw = {fn, arg};
    char prefix[ADDR_BUFSZ + 2];

    if (strlen(addr) > ADDR_BUFSZ)
        return OPTIN_EFIELD;
    return store_scan(txn, STORE_DB_HISTORY, prefix, address_prefix(prefix, addr), history_visit,
                      &hw);
}
