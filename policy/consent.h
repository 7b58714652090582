/* consent.h - consent records, suppressions and their history (see consent.c) */
#ifndef OPTIN_CONSENT_H
#define OPTIN_CONSENT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum consent_state {
    CONSENT_NONE = 0,
    CONSENT_PENDING,
    CONSENT_CONFIRMED,
    CONSENT_UNSUBSCRIBED,
};

enum consent_method {
    METHOD_NONE = 0,
    METHOD_SINGLE,
    METHOD_DOUBLE,
    METHOD_IMPORT,
};

enum suppress_reason {
    SUPPRESS_NONE = 0,
    SUPPRESS_BOUNCE,          /* hard bounce */
    SUPPRESS_COMPLAINT,       /* feedback-loop complaint */
    SUPPRESS_GLOBAL_UNSUB,    /* unsubscribed from everything */
    SUPPRESS_MANUAL,          /* put there by an operator */
};

#define CONSENT_SOURCE_MAX 64
#define CONSENT_IP_MAX 46
#define CONSENT_POLICY_MAX 64
#define CONSENT_TOKEN_BUFSZ 32

/* Return codes beyond store.h's. */
#define CONSENT_EBADTOKEN 2      /* confirmation token unknown */
#define CONSENT_EEXPIRED 3       /* confirmation token too old */
#define CONSENT_ENOTPENDING 4    /* nothing to confirm any more */
#define CONSENT_EINVAL 5         /* a field is too long or malformed */

struct consent_record {
    enum consent_state state;
    enum consent_method method;
    int64_t consented_at;   /* when consent was given (0 unknown) */
    int64_t confirmed_at;   /* when double opt-in was confirmed (0 never) */
    int64_t changed_at;     /* last state change */
    char source[CONSENT_SOURCE_MAX];
    char ip[CONSENT_IP_MAX];
    char policy_version[CONSENT_POLICY_MAX];
};

struct suppress_record {
    enum suppress_reason reason;
    int64_t since;
    char source[CONSENT_SOURCE_MAX];
};

/* Who changes what, when: every change is written to the history with it. */
struct change_ctx {
    int64_t now;
    const char *source;          /* "cli", "import:FILE", "web-form", "one-click", ... */
    const char *ip;              /* client or subscriber IP, or NULL */
    const char *actor;           /* user or service that made the change */
    const char *policy_version;  /* privacy-policy version shown, or NULL */
};

/* Result of applying one import row. */
enum import_outcome {
    IMPORT_ADDED,
    IMPORT_UPDATED,
    IMPORT_UNCHANGED,
    IMPORT_KEPT_OPTOUT,  /* unsubscribed or suppressed: left alone (no --resubscribe) */
    IMPORT_RESUBSCRIBED,
    IMPORT_OUTCOME_COUNT
};

struct import_row {
    const char *address;   /* normalized */
    const char *list;
    enum consent_state state;      /* CONSENT_CONFIRMED unless the file says otherwise */
    enum consent_method method;
    int64_t consented_at;
    int64_t confirmed_at;
    const char *source;
    const char *ip;
    const char *policy_version;
};

const char *consent_state_name(enum consent_state s);
const char *consent_method_name(enum consent_method m);
const char *suppress_reason_name(enum suppress_reason r);
/* *_parse - name to value; -1 when unknown */
int consent_state_parse(const char *s);
int consent_method_parse(const char *s);
int suppress_reason_parse(const char *s);

/* consent_decode - a record from its stored bytes (a store_scan value); -EBADMSG when damaged. */
int consent_decode(const void *val, size_t vlen, struct consent_record *out);
/* suppress_decode - a suppression from its stored bytes; -EBADMSG when damaged. */
int suppress_decode(const void *val, size_t vlen, struct suppress_record *out);
/* consent_get - record of (address, list); STORE_NOTFOUND when none. */
int consent_get(struct store_txn *txn, const char *addr, const char *list, struct consent_record *out);
/* suppress_lookup - suppression covering addr (erased-hash, address, then @domain); STORE_NOTFOUND when none. */
int suppress_lookup(struct store_txn *txn, const char *addr, struct suppress_record *out);
/* suppress_get - suppression stored under exactly this key ("addr" or "@domain"). */
int suppress_get(struct store_txn *txn, const char *target, struct suppress_record *out);

/* consent_subscribe - single: confirmed at once; double: pending, token_out gets the confirmation token. */
int consent_subscribe(struct store_txn *txn, const char *list, const char *addr,
                      enum consent_method method, const struct change_ctx *ctx,
                      char token_out[CONSENT_TOKEN_BUFSZ]);
/* consent_confirm - confirm a pending double opt-in by its token (valid for ttl seconds). */
int consent_confirm(struct store_txn *txn, const char *token, int64_t ttl,
                    const struct change_ctx *ctx, char list_out[CONSENT_SOURCE_MAX],
                    char addr_out[256]);
/* consent_unsubscribe - list NULL: every list, and a global-unsubscribe suppression. */
int consent_unsubscribe(struct store_txn *txn, const char *list, const char *addr,
                        const struct change_ctx *ctx);
/* consent_suppress - suppress an address or "@domain". */
int consent_suppress(struct store_txn *txn, const char *target, enum suppress_reason reason,
                     const struct change_ctx *ctx);
/* consent_unsuppress - lift a suppression; STORE_NOTFOUND when there was none. */
int consent_unsuppress(struct store_txn *txn, const char *target, const struct change_ctx *ctx);
/* consent_forget - erase personal data of addr, keep it suppressed under a keyed hash. */
int consent_forget(struct store_txn *txn, const char *addr, const struct change_ctx *ctx);
/* consent_import_row - apply one import row; resubscribe lets it override an opt-out. */
int consent_import_row(struct store_txn *txn, const struct import_row *row, int resubscribe,
                       const struct change_ctx *ctx, enum import_outcome *outcome);

/* history_scan - each history event of addr (JSON text) in order; fn != 0 stops. */
typedef int (*history_fn)(uint64_t seq, const char *json, size_t len, void *arg);
int history_scan(struct store_txn *txn, const char *addr, history_fn fn, void *arg);

#endif
