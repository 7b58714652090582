/*
 * NAME
 *	softbounce 3
 * SUMMARY
 *	recent soft bounces per address, kept under its keyed hash
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	consent_softbounce_add(txn, addr, fingerprint, now, window, &count)
 *	int	consent_softbounce_clear(txn, addr)
 *	int	consent_softbounce_tally(txn, addr, now, window, &tally)
 * DESCRIPTION
 *	The newest SOFTBOUNCE_KEEP soft bounces of an address (time and a
 *	report fingerprint), under the address's keyed hash rather than the
 *	address. Entries older than the window are dropped on each add; a
 *	report already counted (same non-zero fingerprint) counts once. A
 *	damaged value counts as none. consent_softbounce_tally() says how
 *	many there are in the window and on how many distinct UTC days: a
 *	sustained pattern, not one bad afternoon, is what may suppress.
 * DIAGNOSTICS
 *	0 on success, OPTIN_NOTFOUND, an OPTIN_E* code for the caller's
 *	mistakes, or a negative store error (-EBADMSG for a damaged record);
 *	see status.h. Nothing here logs.
 * SEE ALSO
 *	consent.h, store(3), history(3), optinctl(1)
 */

#include <stdint.h>
#include <string.h>

#include "consent/consent.h"
#include "util/bytes.h"

#define SOFTBOUNCE_VERSION 1
#define SOFTBOUNCE_ENTRY 16      /* 8-byte time, 8-byte fingerprint */

/* consent_softbounce_add - one more soft bounce in the window, unless the same report was counted */
int consent_softbounce_add(struct store_txn *txn, const char *addr, uint64_t fingerprint,
                           int64_t now, int64_t window, unsigned *count)
{
    unsigned char buf[1 + SOFTBOUNCE_ENTRY * (SOFTBOUNCE_KEEP + 1)];
    char key[STORE_HASH_HEXSZ];
    const unsigned char *v;
    const void *val;
    size_t vlen, n = 0, first;
    int rc, seen = 0;

    store_address_hash(store_txn_store(txn), addr, key);
    buf[0] = SOFTBOUNCE_VERSION;
    rc = store_get(txn, STORE_DB_SOFTBOUNCE, key, strlen(key), &val, &vlen);
    if (rc != 0 && rc != OPTIN_NOTFOUND)
        return rc;
    v = val;
    /* keep the entries still in the window (a damaged value counts as none) */
    if (rc == 0 && vlen >= 1 && v[0] == SOFTBOUNCE_VERSION && (vlen - 1) % SOFTBOUNCE_ENTRY == 0)
        for (size_t i = 1; i < vlen && n < SOFTBOUNCE_KEEP; i += SOFTBOUNCE_ENTRY) {
            int64_t t = bytes_get_i64(v + i);

            if (t <= now - window)
                continue;
            seen |= fingerprint != 0 && (uint64_t) bytes_get_i64(v + i + 8) == fingerprint;
            memcpy(buf + 1 + n++ * SOFTBOUNCE_ENTRY, v + i, SOFTBOUNCE_ENTRY);
        }
    if (!seen) {
        bytes_put_i64(buf + 1 + n * SOFTBOUNCE_ENTRY, now);
        bytes_put_i64(buf + 1 + n * SOFTBOUNCE_ENTRY + 8, (int64_t) fingerprint);
        n++;
    }
    first = n > SOFTBOUNCE_KEEP ? n - SOFTBOUNCE_KEEP : 0;   /* the newest SOFTBOUNCE_KEEP */
    if (first > 0)
        memmove(buf + 1, buf + 1 + first * SOFTBOUNCE_ENTRY, (n - first) * SOFTBOUNCE_ENTRY);
    n -= first;
    *count = (unsigned) n;
    return store_put(txn, STORE_DB_SOFTBOUNCE, key, strlen(key), buf, 1 + n * SOFTBOUNCE_ENTRY);
}

/* consent_softbounce_clear - forget an address's soft bounces */
int consent_softbounce_clear(struct store_txn *txn, const char *addr)
{
    char key[STORE_HASH_HEXSZ];
    int rc;

    store_address_hash(store_txn_store(txn), addr, key);
    rc = store_del(txn, STORE_DB_SOFTBOUNCE, key, strlen(key));
    return rc == OPTIN_NOTFOUND ? 0 : rc;
}

/* consent_softbounce_tally - count, distinct UTC days, first and last of the soft bounces in window */
int consent_softbounce_tally(struct store_txn *txn, const char *addr, int64_t now, int64_t window,
                             struct softbounce_tally *t)
{
    char key[STORE_HASH_HEXSZ];
    const unsigned char *v;
    const void *val;
    size_t vlen;
    int64_t last_day = INT64_MIN;
    int rc;

    memset(t, 0, sizeof(*t));
    store_address_hash(store_txn_store(txn), addr, key);
    rc = store_get(txn, STORE_DB_SOFTBOUNCE, key, strlen(key), &val, &vlen);
    if (rc == OPTIN_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    v = val;
    if (vlen < 1 || v[0] != SOFTBOUNCE_VERSION || (vlen - 1) % SOFTBOUNCE_ENTRY != 0)
        return 0;               /* damaged: counts as none, as in consent_softbounce_add */
    for (size_t i = 1; i < vlen; i += SOFTBOUNCE_ENTRY) {   /* oldest first */
        int64_t when = bytes_get_i64(v + i), day = when >= 0 ? when / 86400 : (when - 86399) / 86400;

        if (when <= now - window)
            continue;
        if (t->count++ == 0)
            t->first = when;
        t->last = when;
        t->days += day != last_day;
        last_day = day;
    }
    return 0;
}
