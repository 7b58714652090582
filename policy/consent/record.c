/*
 * NAME
 *	record 3
 * SUMMARY
 *	consent records and suppressions: stored form and lookups
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	consent_get(txn, addr, list, struct consent_record *out)
 *	int	consent_decode(val, vlen, out), suppress_decode(val, vlen, out)
 *	int	suppress_lookup(txn, addr, out), suppress_get(txn, target, out)
 *	int	suppress_each(txn, target, fn, arg)
 *	const char *consent_state_name(s), consent_method_name(m), suppress_reason_name(r)
 * DESCRIPTION
 *	Every address is normalized by the caller (addr.c). Keys:
 * .IP consent
 *	"address\0list": a record of state (pending, confirmed,
 *	unsubscribed), method (single, double, import), times of consent,
 *	confirmation and last change, source, subscriber IP,
 *	privacy-policy version and the sequence number of the history event
 *	of the last change (what a journal receipt cites), in a small
 *	versioned binary form so the milter's lookup costs no parsing.
 *	Version 2 writes times and numbers as varints (a record of an import
 *	row is about 60 octets) and adds the import run when the record also
 *	holds its change's history event (history.c); version 1 records
 *	(fixed 8-octet fields) are still read, and rewritten as version 2
 *	when they change.
 * .IP suppress
 *	"address" or "@domain": reason, time and source. Erased addresses
 *	are kept as "#hash" in a database of their own, so the lookup can
 *	skip computing the hash while there are none.
 * .PP
 *	suppress_each() is the one lookup order of suppressions: the
 *	address itself, its erased-address hash, then its domain; the first
 *	one found governs (suppress_lookup). Everything that asks "is this
 *	address suppressed?" asks it here, optinctl show included.
 * DIAGNOSTICS
 *	0 on success, OPTIN_NOTFOUND, an OPTIN_E* code for the caller's
 *	mistakes, or a negative store error (-EBADMSG for a damaged record);
 *	see status.h. Nothing here logs.
 * SEE ALSO
 *	consent.h, store(3), history(3), optinctl(1)
 */

#include <errno.h>
#include <string.h>

#include "consent/consent.h"
#include "consent/consent_int.h"
#include "mail/addr.h"
#include "util/bytes.h"

#define RECORD_FIXED 28           /* version, state, method, pad, 3 x int64 */
#define RECORD_MAX (3 + 3 * 10 + 3 + CONSENT_SOURCE_MAX + CONSENT_IP_MAX + CONSENT_POLICY_MAX + 2 * 10)

static const char *const state_names[] = {
    [CONSENT_NONE] = "none",
    [CONSENT_PENDING] = "pending",
    [CONSENT_CONFIRMED] = "confirmed",
    [CONSENT_UNSUBSCRIBED] = "unsubscribed",
};

static const char *const method_names[] = {
    [METHOD_NONE] = "none",
    [METHOD_SINGLE] = "single",
    [METHOD_DOUBLE] = "double",
    [METHOD_IMPORT] = "import",
};

static const char *const reason_names[] = {
    [SUPPRESS_NONE] = "none",
    [SUPPRESS_BOUNCE] = "bounce",
    [SUPPRESS_COMPLAINT] = "complaint",
    [SUPPRESS_GLOBAL_UNSUB] = "global-unsubscribe",
    [SUPPRESS_MANUAL] = "manual",
    [SUPPRESS_SOFT_BOUNCE] = "soft-bounce",
};

#define TABLE_LEN(t) (sizeof(t) / sizeof((t)[0]))

/* table_name - name from a value table, "?" when out of range */
static const char *table_name(const char *const *table, size_t len, unsigned v)
{
    return v < len && table[v] ? table[v] : "?";
}

/* table_parse - value from a name table, -1 when unknown */
static int table_parse(const char *const *table, size_t len, const char *s)
{
    for (size_t i = 1; i < len; i++)
        if (strcmp(table[i], s) == 0)
            return (int) i;
    return -1;
}

/* consent_state_name - text of a state */
const char *consent_state_name(enum consent_state s)
{
    return table_name(state_names, TABLE_LEN(state_names), s);
}

/* consent_method_name - text of a method */
const char *consent_method_name(enum consent_method m)
{
    return table_name(method_names, TABLE_LEN(method_names), m);
}

/* suppress_reason_name - text of a suppression reason */
const char *suppress_reason_name(enum suppress_reason r)
{
    return table_name(reason_names, TABLE_LEN(reason_names), r);
}

/* consent_state_parse - state from its name */
int consent_state_parse(const char *s)
{
    return table_parse(state_names, TABLE_LEN(state_names), s);
}

/* consent_method_parse - method from its name */
int consent_method_parse(const char *s)
{
    return table_parse(method_names, TABLE_LEN(method_names), s);
}

/* suppress_reason_parse - reason from its name */
int suppress_reason_parse(const char *s)
{
    return table_parse(reason_names, TABLE_LEN(reason_names), s);
}

/* put_str - one length-prefixed string; returns the new position */
static size_t put_str(unsigned char *buf, size_t pos, const char *s)
{
    size_t len = strlen(s);

    buf[pos++] = (unsigned char) len;
    memcpy(buf + pos, s, len);
    return pos + len;
}

/* get_str - one length-prefixed string into a bounded buffer; -1 when damaged */
static int get_str(const unsigned char *buf, size_t len, size_t *pos, char *out, size_t outsz)
{
    size_t n;

    if (*pos >= len || (n = buf[*pos]) >= outsz || *pos + 1 + n > len)
        return -1;
    memcpy(out, buf + *pos + 1, n);
    out[n] = 0;
    *pos += 1 + n;
    return 0;
}

/* copy_field - bounded copy of an optional string; -1 when too long */
int copy_field(char *dst, size_t dstsz, const char *src)
{
    size_t len = src ? strlen(src) : 0;

    if (len >= dstsz)
        return -1;
    memcpy(dst, src ? src : "", len);
    dst[len] = 0;
    return 0;
}

/* put_varint - v in 7-bit groups, least significant first; returns the new position */
static size_t put_varint(unsigned char *buf, size_t pos, uint64_t v)
{
    while (v >= 0x80) {
        buf[pos++] = (unsigned char) (v | 0x80);
        v >>= 7;
    }
    buf[pos++] = (unsigned char) v;
    return pos;
}

/* get_varint - the inverse; -1 when cut short or longer than 64 bits */
static int get_varint(const unsigned char *buf, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
        unsigned char b = buf[(*pos)++];

        *v |= (uint64_t) (b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            return shift == 63 && b > 1 ? -1 : 0;
    }
    return -1;
}

/* put_time, get_time - a signed time as a zigzag varint (5 octets for today, 1 for 0) */
static size_t put_time(unsigned char *buf, size_t pos, int64_t t)
{
    return put_varint(buf, pos, ((uint64_t) t << 1) ^ (uint64_t) (t >> 63));
}

static int get_time(const unsigned char *buf, size_t len, size_t *pos, int64_t *t)
{
    uint64_t z;

    if (get_varint(buf, len, pos, &z) < 0)
        return -1;
    *t = (int64_t) (z >> 1) ^ -(int64_t) (z & 1);
    return 0;
}

/* record_encode - binary form of a consent record (version 2: varints) */
static size_t record_encode(const struct consent_record *r, unsigned char buf[RECORD_MAX])
{
    size_t pos = 3;

    buf[0] = RECORD_VERSION_VARINT;
    buf[1] = (unsigned char) r->state;
    buf[2] = (unsigned char) r->method;
    pos = put_time(buf, pos, r->consented_at);
    pos = put_time(buf, pos, r->confirmed_at);
    pos = put_time(buf, pos, r->changed_at);
    pos = put_str(buf, pos, r->source);
    pos = put_str(buf, pos, r->ip);
    pos = put_str(buf, pos, r->policy_version);
    pos = put_varint(buf, pos, r->history_seq);
    return put_varint(buf, pos, r->batch);   /* the change's event: this record and its run */
}

/* record_decode_fixed - version 1: fixed 8-octet times and sequence, no import run */
static int record_decode_fixed(const unsigned char *buf, size_t len, struct consent_record *r)
{
    size_t pos = RECORD_FIXED;

    if (len < RECORD_FIXED)
        return -EBADMSG;
    r->consented_at = bytes_get_i64(buf + 4);
    r->confirmed_at = bytes_get_i64(buf + 12);
    r->changed_at = bytes_get_i64(buf + 20);
    if (get_str(buf, len, &pos, r->source, sizeof(r->source)) < 0
        || get_str(buf, len, &pos, r->ip, sizeof(r->ip)) < 0
        || get_str(buf, len, &pos, r->policy_version, sizeof(r->policy_version)) < 0)
        return -EBADMSG;
    r->history_seq = pos + 8 <= len ? bytes_get_u64(buf + pos) : 0;   /* records written before it was kept: 0 */
    r->batch = 0;
    return 0;
}

/* record_decode - consent record from its binary form (either version) */
static int record_decode(const unsigned char *buf, size_t len, struct consent_record *r)
{
    size_t pos = 3;

    if (len < 3 || buf[1] > CONSENT_UNSUBSCRIBED || buf[2] > METHOD_IMPORT)
        return -EBADMSG;
    r->state = buf[1];
    r->method = buf[2];
    if (buf[0] == RECORD_VERSION)
        return record_decode_fixed(buf, len, r);
    if (buf[0] != RECORD_VERSION_VARINT || get_time(buf, len, &pos, &r->consented_at) < 0
        || get_time(buf, len, &pos, &r->confirmed_at) < 0
        || get_time(buf, len, &pos, &r->changed_at) < 0
        || get_str(buf, len, &pos, r->source, sizeof(r->source)) < 0
        || get_str(buf, len, &pos, r->ip, sizeof(r->ip)) < 0
        || get_str(buf, len, &pos, r->policy_version, sizeof(r->policy_version)) < 0
        || get_varint(buf, len, &pos, &r->history_seq) < 0
        || get_varint(buf, len, &pos, &r->batch) < 0 || pos != len)
        return -EBADMSG;
    return 0;
}

/* consent_decode - public decoder for scans */
int consent_decode(const void *val, size_t vlen, struct consent_record *out)
{
    return record_decode(val, vlen, out);
}

/* consent_key - "address\0list" */
static size_t consent_key(char *key, const char *addr, const char *list)
{
    size_t alen = strlen(addr), llen = strlen(list);

    memcpy(key, addr, alen + 1);
    memcpy(key + alen + 1, list, llen);
    return alen + 1 + llen;
}

/* consent_get - record of (address, list) */
int consent_get(struct store_txn *txn, const char *addr, const char *list,
                struct consent_record *out)
{
    char key[KEY_MAX];
    const void *val;
    size_t vlen;
    int rc;

    if (strlen(addr) >= ADDR_BUFSZ || strlen(list) > LIST_ID_MAX)
        return OPTIN_EFIELD;
    rc = store_get(txn, STORE_DB_CONSENT, key, consent_key(key, addr, list), &val, &vlen);
    if (rc != 0)
        return rc;
    return record_decode(val, vlen, out);
}

/* consent_write - store a record exactly as given (its history sequence and import run included) */
int consent_write(struct store_txn *txn, const char *addr, const char *list,
                  const struct consent_record *r)
{
    char key[KEY_MAX];
    unsigned char buf[RECORD_MAX];

    return store_put(txn, STORE_DB_CONSENT, key, consent_key(key, addr, list), buf,
                     record_encode(r, buf));
}

/* consent_replace - write r over old, the record this transaction read (NULL: none), as the
 * change of the event about to be numbered; batch != 0: that event is the record itself and its
 * import run, and takes no history entry */
int consent_replace(struct store_txn *txn, const char *addr, const char *list,
                    const struct consent_record *old, const struct consent_record *r,
                    uint64_t batch)
{
    struct consent_record copy = *r;
    int rc;

    /* an import event kept in the record being replaced moves to the history first */
    if (old != NULL && old->batch != 0 && (rc = history_materialize(txn, addr, list, old)) != 0)
        return rc;
    /* every caller appends the history event of this change next, in this transaction */
    if ((rc = store_peek_seq(txn, &copy.history_seq)) != 0)
        return rc;
    copy.batch = batch;
    return consent_write(txn, addr, list, &copy);
}

/* consent_put - write a record; its change's event goes to the history next */
int consent_put(struct store_txn *txn, const char *addr, const char *list,
                const struct consent_record *r)
{
    struct consent_record old;
    int rc = consent_get(txn, addr, list, &old);

    if (rc < 0 && rc != -EBADMSG)       /* a damaged record is replaced, as it always was */
        return rc;
    return consent_replace(txn, addr, list, rc == 0 ? &old : NULL, r, 0);
}

/* suppress_decode - suppression record from its binary form (version 2 adds an expiry) */
int suppress_decode(const void *val, size_t vlen, struct suppress_record *out)
{
    const unsigned char *v = val;
    size_t pos = 10;

    if (vlen < 10 || (v[0] != RECORD_VERSION && v[0] != SUPPRESS_VERSION_UNTIL) || v[1] == 0
        || v[1] > SUPPRESS_REASON_LAST)
        return -EBADMSG;
    out->reason = v[1];
    out->since = bytes_get_i64(v + 2);
    out->until = 0;
    if (v[0] == SUPPRESS_VERSION_UNTIL) {
        if (vlen < 18)
            return -EBADMSG;
        out->until = bytes_get_i64(v + 10);
        pos = 18;
    }
    if (get_str(v, vlen, &pos, out->source, sizeof(out->source)) < 0)
        return -EBADMSG;
    return 0;
}

/* suppress_active - in force at now */
int suppress_active(const struct suppress_record *sup, int64_t now)
{
    return sup->until == 0 || now < sup->until;
}

/* suppress_db - where a suppression key lives: "#hash" keys in the erased database */
static enum store_db suppress_db(const char *target)
{
    return target[0] == '#' ? STORE_DB_ERASED : STORE_DB_SUPPRESS;
}

/* suppress_get - suppression stored under exactly this key */
int suppress_get(struct store_txn *txn, const char *target, struct suppress_record *out)
{
    const void *val;
    size_t vlen;
    int rc;

    if ((rc = store_get(txn, suppress_db(target), target, strlen(target), &val, &vlen)) != 0)
        return rc;
    return suppress_decode(val, vlen, out);
}

/* suppress_del - remove the suppression stored under exactly this key */
int suppress_del(struct store_txn *txn, const char *target)
{
    return store_del(txn, suppress_db(target), target, strlen(target));
}

/* suppress_each - every suppression covering target, in lookup order: address, erased hash, domain */
int suppress_each(struct store_txn *txn, const char *target, suppress_fn fn, void *arg)
{
    char key[ADDR_BUFSZ + 2];
    struct suppress_record sup;
    int rc;

    if (strlen(target) >= ADDR_BUFSZ)
        return OPTIN_EFIELD;
    if ((rc = suppress_get(txn, target, &sup)) == 0 && (rc = fn(SUPPRESS_SCOPE_OWN, &sup, arg)))
        return rc;
    if (rc < 0 || target[0] == '@')
        return rc < 0 ? rc : 0;
    if (store_count(txn, STORE_DB_ERASED) > 0) {     /* the keyed hash only when needed */
        key[0] = '#';
        store_address_hash(store_txn_store(txn), target, key + 1);
        if ((rc = suppress_get(txn, key, &sup)) == 0 && (rc = fn(SUPPRESS_SCOPE_ERASED, &sup, arg)))
            return rc;
        if (rc < 0)
            return rc;
    }
    key[0] = '@';
    strcpy(key + 1, addr_domain(target));
    if ((rc = suppress_get(txn, key, &sup)) == 0)
        return fn(SUPPRESS_SCOPE_DOMAIN, &sup, arg);
    return rc < 0 ? rc : 0;
}

/* suppress_first - suppress_each callback: keep the first and stop */
static int suppress_first(enum suppress_scope scope, const struct suppress_record *sup, void *arg)
{
    (void) scope;
    *(struct suppress_record *) arg = *sup;
    return 1;
}

/* suppress_first_active - suppress_each callback: keep the first in force at the time given */
static int suppress_first_active(enum suppress_scope scope, const struct suppress_record *sup,
                                 void *arg)
{
    struct { int64_t now; struct suppress_record *out; } *want = arg;

    (void) scope;
    if (!suppress_active(sup, want->now))
        return 0;
    *want->out = *sup;
    return 1;
}

/* suppress_lookup_at - the suppression that governs an address at now: expired ones skipped */
int suppress_lookup_at(struct store_txn *txn, const char *addr, int64_t now,
                       struct suppress_record *out)
{
    struct { int64_t now; struct suppress_record *out; } want = {now, out};
    int rc = suppress_each(txn, addr, suppress_first_active, &want);

    return rc == 1 ? 0 : rc == 0 ? OPTIN_NOTFOUND : rc;
}

/* suppress_lookup - the suppression that governs an address: the first in lookup order */
int suppress_lookup(struct store_txn *txn, const char *addr, struct suppress_record *out)
{
    int rc = suppress_each(txn, addr, suppress_first, out);

    return rc == 1 ? 0 : rc == 0 ? OPTIN_NOTFOUND : rc;
}

/* suppress_put - write a suppression record */
int suppress_put(struct store_txn *txn, const char *target, enum suppress_reason reason,
                 int64_t since, int64_t until, const char *source)
{
    unsigned char buf[18 + 1 + CONSENT_SOURCE_MAX];
    char src[CONSENT_SOURCE_MAX];
    size_t len = 10;

    if (copy_field(src, sizeof(src), source) < 0)
        return OPTIN_EFIELD;
    buf[0] = until ? SUPPRESS_VERSION_UNTIL : RECORD_VERSION;   /* version 1 when it never expires */
    buf[1] = (unsigned char) reason;
    bytes_put_i64(buf + 2, since);
    if (until) {
        bytes_put_i64(buf + 10, until);
        len = 18;
    }
    len = put_str(buf, len, src);
    return store_put(txn, suppress_db(target), target, strlen(target), buf, len);
}

/* record_from_ctx - fill source, IP and policy version of a record from the change */
int record_from_ctx(struct consent_record *r, const struct change_ctx *ctx)
{
    if (copy_field(r->source, sizeof(r->source), ctx->source) < 0
        || copy_field(r->ip, sizeof(r->ip), ctx->ip) < 0
        || copy_field(r->policy_version, sizeof(r->policy_version), ctx->policy_version) < 0)
        return OPTIN_EFIELD;
    return 0;
}

/* address_prefix - "address\0" as a scan prefix */
size_t address_prefix(char *key, const char *addr)
{
    size_t len = strlen(addr);

    memcpy(key, addr, len + 1);
    return len + 1;
}

/* address_erased - 1 when addr was erased (its keyed hash is suppressed), 0 if not, <0 error */
int address_erased(struct store_txn *txn, const char *addr)
{
    struct suppress_record sup;
    char key[STORE_HASH_HEXSZ + 1];
    int rc;

    if (store_count(txn, STORE_DB_ERASED) == 0)
        return 0;
    key[0] = '#';
    store_address_hash(store_txn_store(txn), addr, key + 1);
    rc = suppress_get(txn, key, &sup);
    return rc == 0 ? 1 : rc == OPTIN_NOTFOUND ? 0 : rc;
}
