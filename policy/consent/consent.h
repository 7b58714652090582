/* consent.h - consent records, suppressions and their history (see record.c, history.c,
 *              subscribe.c, optout.c, merge.c, feedback.c, softbounce.c) */
#ifndef OPTIN_CONSENT_H
#define OPTIN_CONSENT_H

#include <stddef.h>
#include <stdint.h>

#include "consent/store.h"
#include "mail/addr.h"
#include "status.h"

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
    SUPPRESS_SOFT_BOUNCE,     /* soft bounces on many distinct days: until it expires */
};
#define SUPPRESS_REASON_LAST SUPPRESS_SOFT_BOUNCE

/* A list id: [A-Za-z0-9._-]{1,63}, so that "address\0list" keys fit LMDB's 511-octet limit. */
#define LIST_ID_MAX 63
#define LIST_ID_BUFSZ (LIST_ID_MAX + 1)

#define CONSENT_SOURCE_MAX 64
#define CONSENT_IP_MAX 46
#define CONSENT_POLICY_MAX 64
#define CONFIRM_CODE_BUFSZ 32    /* a double opt-in confirmation code (not an unsubscribe token) */


struct consent_record {
    enum consent_state state;
    enum consent_method method;
    int64_t consented_at;   /* when consent was given (0 unknown) */
    int64_t confirmed_at;   /* when double opt-in was confirmed (0 never) */
    int64_t changed_at;     /* last state change */
    char source[CONSENT_SOURCE_MAX];
    char ip[CONSENT_IP_MAX];
    char policy_version[CONSENT_POLICY_MAX];
    uint64_t history_seq;   /* the history event of the last change (0: written before 0.5) */
    uint64_t batch;         /* its import run when that event is kept in the record (0: in the history) */
};

struct suppress_record {
    enum suppress_reason reason;
    int64_t since;
    int64_t until;          /* when it expires (0: never; soft bounces only) */
    char source[CONSENT_SOURCE_MAX];
};

/* Who changes what, when: every change is written to the history with it. */
struct change_ctx {
    int64_t now;
    const char *source;          /* "cli", "import:FILE", "web-form", "one-click", ... */
    const char *ip;              /* client or subscriber IP, or NULL */
    const char *actor;           /* user or service that made the change */
    const char *policy_version;  /* privacy-policy version shown, or NULL */
    uint64_t batch;              /* import rows: their run (history_batch_open), 0 for none */
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
/* consent_get - record of (address, list); OPTIN_NOTFOUND when none. */
int consent_get(struct store_txn *txn, const char *addr, const char *list, struct consent_record *out);
/* suppress_active - is the suppression in force at now (not expired)? */
int suppress_active(const struct suppress_record *sup, int64_t now);
/* suppress_lookup_at - the first suppression covering addr that is in force at now; OPTIN_NOTFOUND when none. */
int suppress_lookup_at(struct store_txn *txn, const char *addr, int64_t now, struct suppress_record *out);
/* suppress_lookup - suppression covering addr (erased-hash, address, then @domain); OPTIN_NOTFOUND when none. */
int suppress_lookup(struct store_txn *txn, const char *addr, struct suppress_record *out);
/* Where a suppression covering an address is kept, in lookup order. */
enum suppress_scope {
    SUPPRESS_SCOPE_OWN,       /* under the address itself (or the "@domain" asked for) */
    SUPPRESS_SCOPE_ERASED,    /* under the keyed hash of an erased address */
    SUPPRESS_SCOPE_DOMAIN,    /* under "@domain" of the address */
};
/* suppress_fn - one suppression found by suppress_each; non-zero stops the walk and is returned */
typedef int (*suppress_fn)(enum suppress_scope scope, const struct suppress_record *sup, void *arg);
/* suppress_each - every suppression covering target (address or "@domain"), in lookup order. */
int suppress_each(struct store_txn *txn, const char *target, suppress_fn fn, void *arg);
/* suppress_get - suppression stored under exactly this key ("addr" or "@domain"). */
int suppress_get(struct store_txn *txn, const char *target, struct suppress_record *out);

/* consent_subscribe - single: confirmed at once; double: pending, code_out gets the confirmation code. */
int consent_subscribe(struct store_txn *txn, const char *list, const char *addr,
                      enum consent_method method, const struct change_ctx *ctx,
                      char code_out[CONFIRM_CODE_BUFSZ]);
/* consent_code_well_formed - 1 when code has the shape consent_subscribe gives codes */
int consent_code_well_formed(const char *code);
/*
 * consent_code_check - could code be confirmed at now (valid for ttl seconds)? Reads only.
 * 0 (list_out, addr_out and *rec filled), OPTIN_ECODEUNKNOWN, OPTIN_ECODEEXPIRED,
 * OPTIN_ENOTPENDING (unsubscribed since, or the record is gone), or a store error.
 */
int consent_code_check(struct store_txn *txn, const char *code, int64_t ttl, int64_t now,
                       char list_out[LIST_ID_BUFSZ], char addr_out[ADDR_BUFSZ],
                       struct consent_record *rec);
/* consent_confirm - confirm a pending double opt-in by its code; the same results as the check. */
int consent_confirm(struct store_txn *txn, const char *code, int64_t ttl,
                    const struct change_ctx *ctx, char list_out[LIST_ID_BUFSZ],
                    char addr_out[ADDR_BUFSZ]);

/* One confirmation, for consent_confirm_write: the caller fills code, ttl and ctx. */
struct confirm_request {
    const char *code;
    int64_t ttl;
    struct change_ctx ctx;
    char list[LIST_ID_BUFSZ];    /* out: the list confirmed */
    char addr[ADDR_BUFSZ];       /* out: the address confirmed */
};
/* consent_confirm_write - store_write() callback: consent_confirm() of a struct confirm_request */
int consent_confirm_write(struct store_txn *txn, void *request);
/* consent_unsubscribe - list NULL: every list, and a global-unsubscribe suppression. */
int consent_unsubscribe(struct store_txn *txn, const char *list, const char *addr,
                        const struct change_ctx *ctx);
/* consent_suppress - suppress an address or "@domain". */
int consent_suppress(struct store_txn *txn, const char *target, enum suppress_reason reason,
                     const struct change_ctx *ctx);
/* consent_unsuppress - lift a suppression; OPTIN_NOTFOUND when there was none. */
int consent_unsuppress(struct store_txn *txn, const char *target, const struct change_ctx *ctx);
/* consent_forget - erase personal data of addr, keep it suppressed under a keyed hash. */
int consent_forget(struct store_txn *txn, const char *addr, const struct change_ctx *ctx);
/* consent_import_row - apply one import row; resubscribe lets it override an opt-out. */
int consent_import_row(struct store_txn *txn, const struct import_row *row, int resubscribe,
                       const struct change_ctx *ctx, enum import_outcome *outcome);

/* history_scan - each history event of addr (JSON text) in order; fn != 0 stops. */
typedef int (*history_fn)(uint64_t seq, const char *json, size_t len, void *arg);
int history_scan(struct store_txn *txn, const char *addr, history_fn fn, void *arg);
/* history_batch_open - before an import's rows: store the facts its events share (ctx); *batch
 * gets the run's id for ctx->batch, which lets each row keep its event in its record. */
int history_batch_open(struct store_txn *txn, const struct change_ctx *ctx, uint64_t *batch);
/* history_keep_fn - must the history of addr stay whatever its age? HISTORY_KEEP, HISTORY_DROP,
 * HISTORY_DROP_COUNTED (it goes, and the caller has counted the address already), < 0 error */
enum { HISTORY_DROP = 0, HISTORY_KEEP = 1, HISTORY_DROP_COUNTED = 2 };
typedef int (*history_keep_fn)(struct store_txn *txn, const char *addr, void *arg);
/* history_purge_batch_events - import events kept in records, older than cutoff, of addresses
 * keep does not hold: counted in *events (of *addresses) and, unless dry_run, removed (the
 * records stay). */
int history_purge_batch_events(struct store_txn *txn, int64_t cutoff, int dry_run,
                               history_keep_fn keep, void *arg, uint64_t *events,
                               uint64_t *addresses);

/*
 * Feedback: bounces, complaints, mailto unsubscribes and other senders' suppression lists.
 * These never weaken an opt-out: an existing suppression of the address is kept unless it
 * is a bounce and the new one is an opt-out (complaint, global unsubscribe, manual), which
 * then replaces it; an erased address (consent_forget) is never written again; and what is
 * already so is not written twice, so the same report applied again changes nothing.
 */
enum feedback_outcome {
    FEEDBACK_APPLIED,     /* written */
    FEEDBACK_UPGRADED,    /* a bounce suppression replaced by an opt-out */
    FEEDBACK_UNCHANGED,   /* already so, or a suppression as strong stands: nothing written */
    FEEDBACK_ERASED,      /* the address was erased: nothing written (it stays suppressed) */
    FEEDBACK_OUTCOME_COUNT
};

/* What the reporter said, kept in the history event. */
struct feedback_note {
    const char *detail;    /* e.g. "5.1.1 smtp; 550 5.1.1 user unknown", "ses BOUNCE"; or NULL */
    int64_t reported_at;   /* when the reporter saw it (0: unknown) */
};

/* consent_unverified_add - count n more reported recipients that no VERP tag or token bound */
int consent_unverified_add(struct store_txn *txn, uint64_t n);
/* consent_unverified_count - that count, 0 when none was ever counted */
int consent_unverified_count(struct store_txn *txn, uint64_t *count);
/* feedback_outcome_name - "applied", "upgraded", "unchanged", "erased" */
const char *feedback_outcome_name(enum feedback_outcome o);
/* consent_feedback_suppress - suppress addr (never "@domain") for reason, by the rules above. */
int consent_feedback_suppress(struct store_txn *txn, const char *addr, enum suppress_reason reason,
                              const struct feedback_note *note, const struct change_ctx *ctx,
                              enum feedback_outcome *outcome);
/*
 * consent_feedback_unsubscribe - unsubscribe addr from list (an unsubscribed record is written
 * even without consent, so that a later import cannot subscribe it), or with list NULL from
 * every list it has a record for, plus a suppression for all_reason (SUPPRESS_GLOBAL_UNSUB or
 * SUPPRESS_COMPLAINT) by consent_feedback_suppress's rules. Lists already unsubscribed are left.
 */
int consent_feedback_unsubscribe(struct store_txn *txn, const char *list, const char *addr,
                                 enum suppress_reason all_reason, const struct feedback_note *note,
                                 const struct change_ctx *ctx, enum feedback_outcome *outcome);

/*
 * consent_softbounce_suppress - suppress addr for soft bounces until a time (it then expires):
 * written unless the address is erased or another suppression of it stands (a hard bounce or
 * an opt-out always replaces this one, consent_feedback_suppress).
 */
int consent_softbounce_suppress(struct store_txn *txn, const char *addr, int64_t until,
                                const struct feedback_note *note, const struct change_ctx *ctx,
                                enum feedback_outcome *outcome);

#define SOFTBOUNCE_KEEP 64   /* soft bounces remembered per address (the newest) */
/*
 * consent_softbounce_add - count one soft bounce of addr at now: the ones older than window
 * are dropped, and one with the same non-zero fingerprint (a report about the same message,
 * e.g. a delay warning and the final failure) counts once. *count gets the soft bounces left
 * in the window, this one included. Kept under the address's keyed hash, not the address.
 */
int consent_softbounce_add(struct store_txn *txn, const char *addr, uint64_t fingerprint,
                           int64_t now, int64_t window, unsigned *count);
/* What the soft bounces of an address in a window add up to. */
struct softbounce_tally {
    unsigned count;            /* soft bounces */
    unsigned days;             /* distinct UTC days with one */
    int64_t first, last;       /* the oldest and newest (0 when none) */
};
/* consent_softbounce_tally - read-only: addr's soft bounces newer than now - window. */
int consent_softbounce_tally(struct store_txn *txn, const char *addr, int64_t now, int64_t window,
                             struct softbounce_tally *t);
/* consent_softbounce_clear - forget addr's soft bounces (once it is suppressed); 0 also when none. */
int consent_softbounce_clear(struct store_txn *txn, const char *addr);

#endif
