/* consent_int.h - what the files of policy/consent share among themselves, and nobody else */
#ifndef OPTIN_CONSENT_INT_H
#define OPTIN_CONSENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "consent/consent.h"
#include "mail/addr.h"

#define RECORD_VERSION 1               /* consent records before 0.9 (fixed width); suppressions */
#define RECORD_VERSION_VARINT 2        /* consent records: varint times and sequence, import run */
#define SUPPRESS_VERSION_UNTIL 2       /* a suppression record with an expiry */
#define KEY_MAX (ADDR_BUFSZ + CONSENT_SOURCE_MAX + 8)

/* record.c */
/* copy_field - bounded copy of an optional string; -1 when too long */
int copy_field(char *dst, size_t dstsz, const char *src);
/* consent_put - write the record of (address, list); the caller appends its event next */
int consent_put(struct store_txn *txn, const char *addr, const char *list,
                const struct consent_record *r);
/* consent_replace - the same over old (read in this transaction, NULL: none); batch != 0: the
 * event is kept in the record for that import run and the caller only numbers it */
int consent_replace(struct store_txn *txn, const char *addr, const char *list,
                    const struct consent_record *old, const struct consent_record *r,
                    uint64_t batch);
/* consent_write - store a record exactly as given */
int consent_write(struct store_txn *txn, const char *addr, const char *list,
                  const struct consent_record *r);
/* suppress_put - write a suppression of an address, "@domain" or "#hash" */
int suppress_put(struct store_txn *txn, const char *target, enum suppress_reason reason,
                 int64_t since, int64_t until, const char *source);
/* suppress_del - remove the suppression stored under exactly target; OPTIN_NOTFOUND if none */
int suppress_del(struct store_txn *txn, const char *target);
/* record_from_ctx - source, IP and policy version of a new record from the change */
int record_from_ctx(struct consent_record *r, const struct change_ctx *ctx);
/* address_prefix - "address\0" as a scan prefix; returns its length */
size_t address_prefix(char *key, const char *addr);
/* address_erased - 1 when addr was erased (its keyed hash is suppressed), 0 if not, < 0 error */
int address_erased(struct store_txn *txn, const char *addr);

/* history.c */
/* history_append - append event (consumed) to who's history with the change's facts */
int history_append(struct store_txn *txn, const char *who, json_t *event,
                   const struct change_ctx *ctx);
/* record_event - a new event object for a record change */
json_t *record_event(const char *event, const char *list, const struct consent_record *r);
/* history_materialize - write the import event kept in old (address, list)'s record to the history */
int history_materialize(struct store_txn *txn, const char *addr, const char *list,
                        const struct consent_record *old);
/* history_take_seq - number the change whose event is its record (consent_replace) */
int history_take_seq(struct store_txn *txn);
/* import_event - a new event object for an import row: the record and the row's consent facts */
json_t *import_event(const char *event, const char *list, const struct consent_record *r);
/* feedback_event - add the reporter's detail and time to ev; returns ev */
json_t *feedback_event(json_t *ev, const struct feedback_note *note);

/* subscribe.c */
/* forget_codes - delete every pending confirmation code of an address */
int forget_codes(struct store_txn *txn, const char *addr);

/* optout.c */
/* unsubscribe_record - one list unsubscribed; with note, not again when it already is */
int unsubscribe_record(struct store_txn *txn, const char *list, const char *addr,
                       const struct change_ctx *ctx, const struct feedback_note *note,
                       int *written);
/* unsubscribe_all_lists - every list of the address not unsubscribed yet */
int unsubscribe_all_lists(struct store_txn *txn, const char *addr, const struct change_ctx *ctx,
                          const struct feedback_note *note, int *written);

#endif
