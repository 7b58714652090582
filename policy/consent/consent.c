/*
 * NAME
 *	consent 3
 * SUMMARY
 *	consent records, suppressions and the history that proves them
 * SYNOPSIS
 *	#include "consent/consent.h"
 *
 *	int	consent_get(txn, addr, list, struct consent_record *out)
 *	int	suppress_lookup(txn, addr, struct suppress_record *out)
 *	int	consent_subscribe(), consent_confirm(), consent_unsubscribe()
 *	int	consent_suppress(), consent_unsuppress(), consent_forget()
 *	int	consent_import_row()
 *	int	history_scan(txn, addr, fn, arg)
 * DESCRIPTION
 *	Every address is normalized by the caller (addr.c). Keys:
 * .IP consent
 *	"address\0list": a record of state (pending, confirmed,
 *	unsubscribed), method (single, double, import), times of consent,
 *	confirmation and last change, source, subscriber IP and
 *	privacy-policy version. Encoded in a small versioned binary form so
 *	the milter's lookup costs no parsing.
 * .IP suppress
 *	"address" or "@domain": reason, time and source. Erased addresses
 *	are kept as "#hash" in a database of their own, so the lookup can
 *	skip computing the hash while there are none.
 * .IP history
 *	"address\0" + 8-byte sequence: one JSON object per change (what,
 *	when, list, resulting state, method, source, IP, actor, policy
 *	version). Never rewritten; it survives unsubscribe and suppression
 *	and is only removed by consent_forget(), which leaves one event
 *	under the address's keyed hash.
 * .IP token
 *	a random double opt-in token: creation time, list and address.
 * .PP
 *	Every function that changes something runs inside the caller's
 *	write transaction (store_write) and appends its history event in the
 *	same transaction, so a record never changes without its proof.
 *
 *	consent_import_row() never turns an unsubscribed or suppressed
 *	address back into a consenting one unless resubscribe is set, and
 *	writes nothing when the row says what the store already holds.
 *	Even with resubscribe it only lifts the address's own suppression:
 *	a domain suppression or an erasure keeps the row out.
 * DIAGNOSTICS
 *	0 on success, STORE_NOTFOUND, CONSENT_E* codes for the caller's
 *	mistakes (unknown or expired token, nothing pending, field too long),
 *	negative store errors (-EBADMSG for a damaged record). Nothing here
 *	logs.
 * SEE ALSO
 *	store(3), decide(3), optinctl(1)
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "mail/addr.h"
#include "consent/consent.h"
#include "util/timeutil.h"

#define RECORD_VERSION 1
#define RECORD_FIXED 28           /* version, state, method, pad, 3 x int64 */
#define RECORD_MAX (RECORD_FIXED + 3 + CONSENT_SOURCE_MAX + CONSENT_IP_MAX + CONSENT_POLICY_MAX)
#define KEY_MAX (ADDR_BUFSZ + CONSENT_SOURCE_MAX + 8)
#define FORGET_LISTS_MAX 256

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

/* put_i64 - big-endian 64-bit integer */
static void put_i64(unsigned char *p, int64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char) ((uint64_t) v >> (56 - 8 * i));
}

/* get_i64 - big-endian 64-bit integer */
static int64_t get_i64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return (int64_t) v;
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
static int copy_field(char *dst, size_t dstsz, const char *src)
{
    size_t len = src ? strlen(src) : 0;

    if (len >= dstsz)
        return -1;
    memcpy(dst, src ? src : "", len);
    dst[len] = 0;
    return 0;
}

/* record_encode - binary form of a consent record */
static size_t record_encode(const struct consent_record *r, unsigned char buf[RECORD_MAX])
{
    size_t pos;

    buf[0] = RECORD_VERSION;
    buf[1] = (unsigned char) r->state;
    buf[2] = (unsigned char) r->method;
    buf[3] = 0;
    put_i64(buf + 4, r->consented_at);
    put_i64(buf + 12, r->confirmed_at);
    put_i64(buf + 20, r->changed_at);
    pos = put_str(buf, RECORD_FIXED, r->source);
    pos = put_str(buf, pos, r->ip);
    return put_str(buf, pos, r->policy_version);
}

/* record_decode - consent record from its binary form */
static int record_decode(const unsigned char *buf, size_t len, struct consent_record *r)
{
    size_t pos = RECORD_FIXED;

    if (len < RECORD_FIXED || buf[0] != RECORD_VERSION || buf[1] > CONSENT_UNSUBSCRIBED
        || buf[2] > METHOD_IMPORT)
        return -EBADMSG;
    r->state = buf[1];
    r->method = buf[2];
    r->consented_at = get_i64(buf + 4);
    r->confirmed_at = get_i64(buf + 12);
    r->changed_at = get_i64(buf + 20);
    if (get_str(buf, len, &pos, r->source, sizeof(r->source)) < 0
        || get_str(buf, len, &pos, r->ip, sizeof(r->ip)) < 0
        || get_str(buf, len, &pos, r->policy_version, sizeof(r->policy_version)) < 0)
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

    if (strlen(addr) >= ADDR_BUFSZ || strlen(list) >= CONSENT_SOURCE_MAX)
        return CONSENT_EINVAL;
    rc = store_get(txn, STORE_DB_CONSENT, key, consent_key(key, addr, list), &val, &vlen);
    if (rc != 0)
        return rc;
    return record_decode(val, vlen, out);
}

/* consent_put - write a record */
static int consent_put(struct store_txn *txn, const char *addr, const char *list,
                       const struct consent_record *r)
{
    char key[KEY_MAX];
    unsigned char buf[RECORD_MAX];

    return store_put(txn, STORE_DB_CONSENT, key, consent_key(key, addr, list), buf,
                     record_encode(r, buf));
}

/* suppress_decode - suppression record from its binary form */
int suppress_decode(const void *val, size_t vlen, struct suppress_record *out)
{
    const unsigned char *v = val;
    size_t pos = 10;

    if (vlen < 10 || v[0] != RECORD_VERSION || v[1] == 0 || v[1] > SUPPRESS_MANUAL)
        return -EBADMSG;
    out->reason = v[1];
    out->since = get_i64(v + 2);
    if (get_str(v, vlen, &pos, out->source, sizeof(out->source)) < 0)
        return -EBADMSG;
    return 0;
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

/* suppress_lookup - suppression covering an address: itself, its erased hash, its domain */
int suppress_lookup(struct store_txn *txn, const char *addr, struct suppress_record *out)
{
    char key[ADDR_BUFSZ + 1];
    int rc;

    const char *domain = addr_domain(addr);
    size_t dlen = strlen(domain);

    if ((rc = suppress_get(txn, addr, out)) != STORE_NOTFOUND)
        return rc;
    if (store_count(txn, STORE_DB_ERASED) > 0) {     /* the keyed hash only when needed */
        key[0] = '#';
        store_address_hash(store_txn_store(txn), addr, key + 1);
        if ((rc = suppress_get(txn, key, out)) != STORE_NOTFOUND)
            return rc;
    }
    key[0] = '@';
    memcpy(key + 1, domain, dlen + 1);
    return suppress_get(txn, key, out);
}

/* suppress_put - write a suppression record */
static int suppress_put(struct store_txn *txn, const char *target, enum suppress_reason reason,
                        int64_t since, const char *source)
{
    unsigned char buf[10 + 1 + CONSENT_SOURCE_MAX];
    char src[CONSENT_SOURCE_MAX];
    size_t len;

    if (copy_field(src, sizeof(src), source) < 0)
        return CONSENT_EINVAL;
    buf[0] = RECORD_VERSION;
    buf[1] = (unsigned char) reason;
    put_i64(buf + 2, since);
    len = put_str(buf, 10, src);
    return store_put(txn, suppress_db(target), target, strlen(target), buf, len);
}

/* json_set_opt - set a string member when present */
static void json_set_opt(json_t *obj, const char *name, const char *value)
{
    if (value && *value)
        json_object_set_new(obj, name, json_string(value));
}

/* history_append - one JSON event under the key's history */
static int history_append(struct store_txn *txn, const char *who, json_t *event,
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
    for (int i = 0; i < 8; i++)
        key[wlen + 1 + i] = (char) (seq >> (56 - 8 * i));
    rc = store_put(txn, STORE_DB_HISTORY, key, wlen + 9, text, strlen(text));
    free(text);
done:
    json_decref(event);
    return rc;
}

/* record_event - history event for a consent record change */
static json_t *record_event(const char *event, const char *list, const struct consent_record *r)
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

/* record_from_ctx - fill source, IP and policy version of a record from the change */
static int record_from_ctx(struct consent_record *r, const struct change_ctx *ctx)
{
    if (copy_field(r->source, sizeof(r->source), ctx->source) < 0
        || copy_field(r->ip, sizeof(r->ip), ctx->ip) < 0
        || copy_field(r->policy_version, sizeof(r->policy_version), ctx->policy_version) < 0)
        return CONSENT_EINVAL;
    return 0;
}

/* token_put - a new random confirmation token for (list, address) */
static int token_put(struct store_txn *txn, const char *list, const char *addr, int64_t now,
                     char token_out[CONSENT_TOKEN_BUFSZ])
{
    unsigned char raw[16], val[8 + CONSENT_SOURCE_MAX + ADDR_BUFSZ];
    size_t llen = strlen(list), alen = strlen(addr);

    do {    /* a token starting with '-' would read as an option on a command line */
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(token_out, CONSENT_TOKEN_BUFSZ, raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    } while (token_out[0] == '-');
    put_i64(val, now);
    memcpy(val + 8, list, llen + 1);
    memcpy(val + 9 + llen, addr, alen);
    return store_put(txn, STORE_DB_TOKEN, token_out, strlen(token_out), val, 9 + llen + alen);
}

/* consent_subscribe - single: confirmed now; double: pending with a token */
int consent_subscribe(struct store_txn *txn, const char *list, const char *addr,
                      enum consent_method method, const struct change_ctx *ctx,
                      char token_out[CONSENT_TOKEN_BUFSZ])
{
    struct consent_record r, check;
    int rc;

    if (record_from_ctx(&check, ctx) != 0)
        return CONSENT_EINVAL;
    if ((rc = consent_get(txn, addr, list, &r)) == STORE_NOTFOUND)
        memset(&r, 0, sizeof(r));
    else if (rc != 0)
        return rc;
    if (method == METHOD_DOUBLE && (rc = token_put(txn, list, addr, ctx->now, token_out)) != 0)
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

/* token_parse - creation time, list and address of a stored token */
static int token_parse(const unsigned char *v, size_t vlen, int64_t *created,
                       char list[CONSENT_SOURCE_MAX], char addr[ADDR_BUFSZ])
{
    const unsigned char *nul;
    size_t llen, alen;

    if (vlen < 10 || (nul = memchr(v + 8, 0, vlen - 8)) == NULL)
        return -EBADMSG;
    llen = (size_t) (nul - (v + 8));
    alen = vlen - 9 - llen;
    if (llen >= CONSENT_SOURCE_MAX || alen >= ADDR_BUFSZ)
        return -EBADMSG;
    *created = get_i64(v);
    memcpy(list, v + 8, llen + 1);
    memcpy(addr, nul + 1, alen);
    addr[alen] = 0;
    return 0;
}

/* consent_confirm - confirm a pending double opt-in */
int consent_confirm(struct store_txn *txn, const char *token, int64_t ttl,
                    const struct change_ctx *ctx, char list_out[CONSENT_SOURCE_MAX],
                    char addr_out[256])
{
    struct consent_record r;
    const void *val;
    size_t vlen;
    int64_t created;
    int rc;

    rc = store_get(txn, STORE_DB_TOKEN, token, strlen(token), &val, &vlen);
    if (rc == STORE_NOTFOUND)
        return CONSENT_EBADTOKEN;
    if (rc != 0 || (rc = token_parse(val, vlen, &created, list_out, addr_out)) != 0)
        return rc;
    if (ctx->now - created > ttl)
        return CONSENT_EEXPIRED;
    rc = consent_get(txn, addr_out, list_out, &r);
    if (rc == STORE_NOTFOUND || (rc == 0 && r.state == CONSENT_UNSUBSCRIBED))
        return CONSENT_ENOTPENDING;
    if (rc != 0)
        return rc;
    r.state = CONSENT_CONFIRMED;
    r.method = METHOD_DOUBLE;
    r.confirmed_at = ctx->now;
    r.changed_at = ctx->now;
    if ((rc = consent_put(txn, addr_out, list_out, &r)) != 0
        || (rc = store_del(txn, STORE_DB_TOKEN, token, strlen(token))) != 0)
        return rc;
    return history_append(txn, addr_out, record_event("confirm", list_out, &r), ctx);
}

static json_t *feedback_event(json_t *ev, const struct feedback_note *note);
static int address_erased(struct store_txn *txn, const char *addr);

/*
 * unsubscribe_record - mark one list unsubscribed (creating the record keeps a later import out);
 * with note, an opt-out from mail feedback: nothing is written when already unsubscribed.
 */
static int unsubscribe_record(struct store_txn *txn, const char *list, const char *addr,
                              const struct change_ctx *ctx, const struct feedback_note *note,
                              int *written)
{
    struct consent_record r;
    json_t *ev;
    int rc;

    if ((rc = consent_get(txn, addr, list, &r)) == 0 && note && r.state == CONSENT_UNSUBSCRIBED)
        return 0;
    if (rc == STORE_NOTFOUND) {
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
    char names[FORGET_LISTS_MAX][CONSENT_SOURCE_MAX];
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

    if (nul == NULL || (record_decode(val, vlen, &r) == 0 && r.state == CONSENT_UNSUBSCRIBED))
        return 0;
    if (ln->count >= FORGET_LISTS_MAX) {
        ln->more = 1;
        return 1;
    }
    llen = klen - (size_t) (nul + 1 - (const char *) key);
    if (llen >= CONSENT_SOURCE_MAX)
        return 0;
    memcpy(ln->names[ln->count], nul + 1, llen);
    ln->names[ln->count++][llen] = 0;
    return 0;
}

/* address_prefix - "address\0" as a scan prefix */
static size_t address_prefix(char *key, const char *addr)
{
    size_t len = strlen(addr);

    memcpy(key, addr, len + 1);
    return len + 1;
}

/* unsubscribe_all_lists - every list of the address not unsubscribed yet, however many */
static int unsubscribe_all_lists(struct store_txn *txn, const char *addr,
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
    struct suppress_record sup;
    json_t *ev;
    int rc, replaces_bounce = 0;

    if ((rc = address_erased(txn, addr)) != 0)
        return rc > 0 ? 0 : rc;     /* erased: it stays suppressed, nothing personal is written */
    if (list)
        return unsubscribe_one(txn, list, addr, ctx);
    if ((rc = unsubscribe_all_lists(txn, addr, ctx, NULL, NULL)) != 0)
        return rc;
    if ((rc = suppress_get(txn, addr, &sup)) == 0 && sup.reason != SUPPRESS_BOUNCE)
        return 0;   /* already an opt-out (complaint, global, manual): keep it */
    if (rc != 0 && rc != STORE_NOTFOUND)
        return rc;
    replaces_bounce = rc == 0;  /* an opt-out replaces a bounce, so lifting bounces keeps it */
    if ((rc = suppress_put(txn, addr, SUPPRESS_GLOBAL_UNSUB, ctx->now, ctx->source)) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("suppress"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(SUPPRESS_GLOBAL_UNSUB)));
    if (replaces_bounce)
        json_object_set_new(ev, "replaces", json_string("bounce"));
    return history_append(txn, addr, ev, ctx);
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
    if ((rc = suppress_put(txn, target, reason, ctx->now, ctx->source)) != 0)
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
    if ((rc = store_del(txn, suppress_db(target), target, strlen(target))) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("unsuppress"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(old.reason)));
    return history_append(txn, target, ev, ctx);
}

/* token_match - scan callback: remember tokens that belong to one address */
struct token_victims {
    const char *addr;
    char tokens[16][CONSENT_TOKEN_BUFSZ];
    size_t count;
    int more;
};

/* token_collect - collect tokens of the address being erased */
static int token_collect(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct token_victims *tv = arg;
    const unsigned char *v = val;
    const unsigned char *nul;
    size_t alen = strlen(tv->addr);

    if (vlen < 10 || (nul = memchr(v + 8, 0, vlen - 8)) == NULL
        || (size_t) (v + vlen - (nul + 1)) != alen || memcmp(nul + 1, tv->addr, alen) != 0
        || klen >= CONSENT_TOKEN_BUFSZ)
        return 0;
    if (tv->count == 16) {
        tv->more = 1;
        return 1;
    }
    memcpy(tv->tokens[tv->count], key, klen);
    tv->tokens[tv->count++][klen] = 0;
    return 0;
}

/* forget_tokens - delete every pending token of an address */
static int forget_tokens(struct store_txn *txn, const char *addr)
{
    struct token_victims tv;
    int rc;

    do {
        memset(&tv, 0, sizeof(tv));
        tv.addr = addr;
        rc = store_scan(txn, STORE_DB_TOKEN, "", 0, token_collect, &tv);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < tv.count; i++)
            if ((rc = store_del(txn, STORE_DB_TOKEN, tv.tokens[i], strlen(tv.tokens[i]))) < 0)
                return rc;
    } while (tv.more);
    return 0;
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

    if ((rc = suppress_get(txn, addr, &sup)) == 0)
        reason = sup.reason;
    else if (rc != STORE_NOTFOUND)
        return rc;
    if ((rc = store_del_prefix(txn, STORE_DB_CONSENT, prefix, address_prefix(prefix, addr), &lists))
        != 0 || (rc = store_del_prefix(txn, STORE_DB_HISTORY, prefix, address_prefix(prefix, addr),
                                       &events)) != 0 || (rc = forget_tokens(txn, addr)) != 0)
        return rc;
    if ((rc = store_del(txn, STORE_DB_SUPPRESS, addr, strlen(addr))) < 0
        || (rc = consent_softbounce_clear(txn, addr)) < 0)
        return rc;
    hashkey[0] = '#';
    store_address_hash(store_txn_store(txn), addr, hashkey + 1);
    if ((rc = suppress_put(txn, hashkey, reason, ctx->now, "forget")) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("forget"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(reason)));
    json_object_set_new(ev, "lists_erased", json_integer((json_int_t) lists));
    json_object_set_new(ev, "events_erased", json_integer((json_int_t) events));
    anon.ip = NULL;            /* the requester's IP is personal data too */
    return history_append(txn, hashkey, ev, &anon);
}

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
        return CONSENT_EINVAL;
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
    if (rc != STORE_NOTFOUND)
        return rc;
    return old && old->state == CONSENT_UNSUBSCRIBED;
}

/* consent_import_row - apply one import row without overriding an opt-out */
int consent_import_row(struct store_txn *txn, const struct import_row *row, int resubscribe,
                       const struct change_ctx *ctx, enum import_outcome *outcome)
{
    struct consent_record old, r;
    int have_old, optout, liftable, own_sup, rc;

    if ((rc = consent_get(txn, row->address, row->list, &old)) != 0 && rc != STORE_NOTFOUND)
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
    if ((rc = consent_put(txn, row->address, row->list, &r)) != 0)
        return rc;
    *outcome = optout ? IMPORT_RESUBSCRIBED : have_old ? IMPORT_UPDATED : IMPORT_ADDED;
    return history_append(txn, row->address,
                          record_event(optout ? "resubscribe" : "import", row->list, &r), ctx);
}

struct history_walk {
    history_fn fn;
    void *arg;
};

/* history_visit - scan callback: sequence from the key, JSON from the value */
static int history_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct history_walk *hw = arg;
    const unsigned char *k = key;
    uint64_t seq = 0;

    if (klen < 9)
        return 0;
    for (size_t i = klen - 8; i < klen; i++)
        seq = (seq << 8) | k[i];
    return hw->fn(seq, val, vlen, hw->arg);
}

/* history_scan - every event of one address (or "@domain", "#hash") in order */
int history_scan(struct store_txn *txn, const char *addr, history_fn fn, void *arg)
{
    struct history_walk hw = {fn, arg};
    char prefix[ADDR_BUFSZ + 2];

    if (strlen(addr) > ADDR_BUFSZ)
        return CONSENT_EINVAL;
    return store_scan(txn, STORE_DB_HISTORY, prefix, address_prefix(prefix, addr), history_visit,
                      &hw);
}

/* --- feedback: bounces, complaints, mailto and other senders' suppression lists --- */

static const char *const feedback_outcome_names[] = {
    [FEEDBACK_APPLIED] = "applied",
    [FEEDBACK_UPGRADED] = "upgraded",
    [FEEDBACK_UNCHANGED] = "unchanged",
    [FEEDBACK_ERASED] = "erased",
};

/* feedback_outcome_name - text of a feedback outcome */
const char *feedback_outcome_name(enum feedback_outcome o)
{
    return table_name(feedback_outcome_names, TABLE_LEN(feedback_outcome_names), o);
}

/* address_erased - 1 when addr was erased (its keyed hash is suppressed), 0 if not, <0 error */
static int address_erased(struct store_txn *txn, const char *addr)
{
    struct suppress_record sup;
    char key[STORE_HASH_HEXSZ + 1];
    int rc;

    if (store_count(txn, STORE_DB_ERASED) == 0)
        return 0;
    key[0] = '#';
    store_address_hash(store_txn_store(txn), addr, key + 1);
    rc = suppress_get(txn, key, &sup);
    return rc == 0 ? 1 : rc == STORE_NOTFOUND ? 0 : rc;
}

/* feedback_event - history event with the reporter's detail and time */
static json_t *feedback_event(json_t *ev, const struct feedback_note *note)
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

/* consent_feedback_suppress - suppress an address without weakening an opt-out */
int consent_feedback_suppress(struct store_txn *txn, const char *addr, enum suppress_reason reason,
                              const struct feedback_note *note, const struct change_ctx *ctx,
                              enum feedback_outcome *outcome)
{
    struct suppress_record old;
    int rc, upgrade;
    json_t *ev;

    *outcome = FEEDBACK_UNCHANGED;
    if (addr[0] == '@' || addr[0] == '#' || reason == SUPPRESS_NONE)
        return CONSENT_EINVAL;
    if ((rc = address_erased(txn, addr)) != 0) {
        if (rc > 0)
            *outcome = FEEDBACK_ERASED;
        return rc > 0 ? 0 : rc;
    }
    /* an own suppression stands, unless a bounce is now known to be an opt-out */
    if ((rc = suppress_get(txn, addr, &old)) != 0 && rc != STORE_NOTFOUND)
        return rc;
    upgrade = rc == 0 && old.reason == SUPPRESS_BOUNCE && reason != SUPPRESS_BOUNCE;
    if (rc == 0 && !upgrade)
        return 0;
    if ((rc = suppress_put(txn, addr, reason, ctx->now, ctx->source)) != 0)
        return rc;
    ev = json_object();
    json_object_set_new(ev, "event", json_string("suppress"));
    json_object_set_new(ev, "reason", json_string(suppress_reason_name(reason)));
    if (upgrade)
        json_object_set_new(ev, "replaces", json_string(suppress_reason_name(SUPPRESS_BOUNCE)));
    *outcome = upgrade ? FEEDBACK_UPGRADED : FEEDBACK_APPLIED;
    return history_append(txn, addr, feedback_event(ev, note), ctx);
}

/* feedback_unsubscribe_one - one list unsubscribed unless it already is; *written set when so */
static int feedback_unsubscribe_one(struct store_txn *txn, const char *list, const char *addr,
                                    const struct feedback_note *note, const struct change_ctx *ctx,
                                    int *written)
{
    return unsubscribe_record(txn, list, addr, ctx, note, written);
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
        return CONSENT_EINVAL;
    if ((rc = address_erased(txn, addr)) != 0) {
        if (rc > 0)
            *outcome = FEEDBACK_ERASED;
        return rc > 0 ? 0 : rc;
    }
    if (list != NULL) {
        rc = feedback_unsubscribe_one(txn, list, addr, note, ctx, &written);
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
    if (rc != 0 && rc != STORE_NOTFOUND)
        return rc;
    v = val;
    /* keep the entries still in the window (a damaged value counts as none) */
    if (rc == 0 && vlen >= 1 && v[0] == SOFTBOUNCE_VERSION && (vlen - 1) % SOFTBOUNCE_ENTRY == 0)
        for (size_t i = 1; i < vlen && n < SOFTBOUNCE_KEEP; i += SOFTBOUNCE_ENTRY) {
            int64_t t = get_i64(v + i);

            if (t <= now - window)
                continue;
            seen |= fingerprint != 0 && (uint64_t) get_i64(v + i + 8) == fingerprint;
            memcpy(buf + 1 + n++ * SOFTBOUNCE_ENTRY, v + i, SOFTBOUNCE_ENTRY);
        }
    if (!seen) {
        put_i64(buf + 1 + n * SOFTBOUNCE_ENTRY, now);
        put_i64(buf + 1 + n * SOFTBOUNCE_ENTRY + 8, (int64_t) fingerprint);
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
    return rc == STORE_NOTFOUND ? 0 : rc;
}
