/*
 * NAME
 *	subscribe 3
 * SUMMARY
 *	subscriptions and double opt-in confirmation codes
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	consent_subscribe(txn, list, addr, method, ctx, code_out)
 *	int	consent_confirm(txn, code, ttl, ctx, list_out, addr_out)
 *	int	consent_code_check(txn, code, ttl, now, list_out, addr_out, rec)
 *	int	consent_confirm_write(txn, struct confirm_request *)
 * DESCRIPTION
 *	A single opt-in subscription is confirmed at once. A double opt-in
 *	one is pending until the person uses the confirmation code mailed
 *	to them: a random, URL-safe string (never starting with '-', so it
 *	cannot read as an option), stored with its creation time, list and
 *	address. It is not the signed unsubscribe token of token(3).
 *
 *	consent_code_check() only looks (the GET page of optin-unsubd);
 *	consent_confirm() makes the same checks, confirms in the caller's
 *	write transaction and spends the code; consent_confirm_write() is
 *	it as a store_write() callback, for optinctl and optin-unsubd alike.
 * DIAGNOSTICS
 *	0 on success, OPTIN_NOTFOUND, an OPTIN_E* code for the caller's
 *	mistakes (OPTIN_ECODEUNKNOWN,
 *	OPTIN_ECODEEXPIRED, OPTIN_ENOTPENDING, OPTIN_EFIELD), or a negative store error (-EBADMSG for a damaged record);
 *	see status.h. Nothing here logs.
 * SEE ALSO
 *	consent.h, store(3), history(3), optinctl(1)
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "consent/consent.h"
#include "consent/consent_int.h"
#include "mail/addr.h"
#include "util/bytes.h"

#define CODE_RAW_LEN 16           /* random octets of a confirmation code */
#define CODE_LIFE_HDR 8           /* stored value: 8-octet creation time, "list\0address" */

/* code_put - a new random confirmation code for (list, address) */
static int code_put(struct store_txn *txn, const char *list, const char *addr, int64_t now,
                    char code_out[CONFIRM_CODE_BUFSZ])
{
    unsigned char raw[CODE_RAW_LEN], val[CODE_LIFE_HDR + LIST_ID_BUFSZ + ADDR_BUFSZ];
    size_t llen = strlen(list), alen = strlen(addr);

    if (llen == 0 || llen > LIST_ID_MAX || alen == 0 || alen >= ADDR_BUFSZ)
        return OPTIN_EFIELD;
    do {    /* a code starting with '-' would read as an option on a command line */
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(code_out, CONFIRM_CODE_BUFSZ, raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    } while (code_out[0] == '-');
    bytes_put_i64(val, now);
    memcpy(val + CODE_LIFE_HDR, list, llen + 1);
    memcpy(val + CODE_LIFE_HDR + 1 + llen, addr, alen);
    return store_put(txn, STORE_DB_CONFIRM, code_out, strlen(code_out), val,
                     CODE_LIFE_HDR + 1 + llen + alen);
}

/* consent_code_well_formed - the shape consent_subscribe gives codes: base64url, not too long */
int consent_code_well_formed(const char *code)
{
    size_t len = strlen(code);

    if (len == 0 || len >= CONFIRM_CODE_BUFSZ)
        return 0;
    return strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == len;
}

/* consent_subscribe - single: confirmed now; double: pending with a confirmation code */
int consent_subscribe(struct store_txn *txn, const char *list, const char *addr,
                      enum consent_method method, const struct change_ctx *ctx,
                      char code_out[CONFIRM_CODE_BUFSZ])
{
    struct consent_record r, check;
    int rc;

    if (record_from_ctx(&check, ctx) != 0)
        return OPTIN_EFIELD;
    if ((rc = consent_get(txn, addr, list, &r)) == OPTIN_NOTFOUND)
        memset(&r, 0, sizeof(r));
    else if (rc != 0)
        return rc;
    if (method == METHOD_DOUBLE && (rc = code_put(txn, list, addr, ctx->now, code_out)) != 0)
        return rc;
    if (r.state != CONSENT_CONFIRMED) {
        /* a new consent; a confirmed record keeps its times and the event goes to the history */
        r.state = method == METHOD_DOUBLE ? CONSENT_PENDING : CONSENT_CONFIRMED;
        r.method = method;
        r.confirmed_at = 0;
        r.consented_at = ctx->now;
        r.changed_at = ctx->now;
        if ((rc = record_from_ctx(&r, ctx)) != 0 || (rc = consent_put(txn, addr, list, &r)) != 0)
            return rc;
    }
    return history_append(txn, addr, record_event("subscribe", list, &r), ctx);
}

/* code_parse - creation time, list and address of a stored confirmation code */
static int code_parse(const unsigned char *v, size_t vlen, int64_t *created,
                      char list[LIST_ID_BUFSZ], char addr[ADDR_BUFSZ])
{
    const unsigned char *nul;
    size_t llen, alen;

    if (vlen < CODE_LIFE_HDR + 2
        || (nul = memchr(v + CODE_LIFE_HDR, 0, vlen - CODE_LIFE_HDR)) == NULL)
        return -EBADMSG;
    llen = (size_t) (nul - (v + CODE_LIFE_HDR));
    alen = vlen - CODE_LIFE_HDR - 1 - llen;
    if (llen == 0 || llen >= LIST_ID_BUFSZ || alen == 0 || alen >= ADDR_BUFSZ)
        return -EBADMSG;
    *created = bytes_get_i64(v);
    memcpy(list, v + CODE_LIFE_HDR, llen + 1);
    memcpy(addr, nul + 1, alen);
    addr[alen] = 0;
    return 0;
}

/* consent_code_check - could the code be confirmed now? Reads only; *rec gets the pending record */
int consent_code_check(struct store_txn *txn, const char *code, int64_t ttl, int64_t now,
                       char list_out[LIST_ID_BUFSZ], char addr_out[ADDR_BUFSZ],
                       struct consent_record *rec)
{
    const void *val;
    size_t vlen;
    int64_t created;
    int rc;

    if (!consent_code_well_formed(code))
        return OPTIN_ECODEUNKNOWN;
    rc = store_get(txn, STORE_DB_CONFIRM, code, strlen(code), &val, &vlen);
    if (rc == OPTIN_NOTFOUND)
        return OPTIN_ECODEUNKNOWN;
    if (rc != 0 || (rc = code_parse(val, vlen, &created, list_out, addr_out)) != 0)
        return rc;
    if (now - created > ttl)
        return OPTIN_ECODEEXPIRED;
    rc = consent_get(txn, addr_out, list_out, rec);
    if (rc == OPTIN_NOTFOUND || (rc == 0 && rec->state == CONSENT_UNSUBSCRIBED))
        return OPTIN_ENOTPENDING;
    return rc;
}

/* consent_confirm - confirm a pending double opt-in and spend its code */
int consent_confirm(struct store_txn *txn, const char *code, int64_t ttl,
                    const struct change_ctx *ctx, char list_out[LIST_ID_BUFSZ],
                    char addr_out[ADDR_BUFSZ])
{
    struct consent_record r;
    int rc;

    if ((rc = consent_code_check(txn, code, ttl, ctx->now, list_out, addr_out, &r)) != 0)
        return rc;
    r.state = CONSENT_CONFIRMED;
    r.method = METHOD_DOUBLE;
    r.confirmed_at = ctx->now;
    r.changed_at = ctx->now;
    if ((rc = consent_put(txn, addr_out, list_out, &r)) != 0
        || (rc = store_del(txn, STORE_DB_CONFIRM, code, strlen(code))) != 0)
        return rc;
    return history_append(txn, addr_out, record_event("confirm", list_out, &r), ctx);
}

/* consent_confirm_write - store_write callback: consent_confirm of a struct confirm_request */
int consent_confirm_write(struct store_txn *txn, void *request)
{
    struct confirm_request *rq = request;

    return consent_confirm(txn, rq->code, rq->ttl, &rq->ctx, rq->list, rq->addr);
}

/* Pending codes of the address being erased, collected a table at a time. */
struct code_victims {
    const char *addr;
    char codes[16][CONFIRM_CODE_BUFSZ];
    size_t count;
    int more;
};

/* code_collect - scan callback: remember the codes of the address being erased */
static int code_collect(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct code_victims *cv = arg;
    char list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ];
    int64_t created;

    if (klen >= CONFIRM_CODE_BUFSZ || code_parse(val, vlen, &created, list, addr) != 0
        || strcmp(addr, cv->addr) != 0)
        return 0;
    if (cv->count == 16) {
        cv->more = 1;
        return 1;
    }
    memcpy(cv->codes[cv->count], key, klen);
    cv->codes[cv->count++][klen] = 0;
    return 0;
}

/* forget_codes - delete every pending confirmation code of an address */
int forget_codes(struct store_txn *txn, const char *addr)
{
    struct code_victims cv;
    int rc;

    do {
        memset(&cv, 0, sizeof(cv));
        cv.addr = addr;
        rc = store_scan(txn, STORE_DB_CONFIRM, "", 0, code_collect, &cv);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < cv.count; i++)
            if ((rc = store_del(txn, STORE_DB_CONFIRM, cv.codes[i], strlen(cv.codes[i]))) < 0)
                return rc;
    } while (cv.more);
    return 0;
}
