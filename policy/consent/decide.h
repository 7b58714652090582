/* decide.h - the one decision: may list mail go to this address now? (see decide.c) */
#ifndef OPTIN_DECIDE_H
#define OPTIN_DECIDE_H

#include <stdint.h>
#include "mail/addr.h"
#include "config/config.h"
#include "consent/consent.h"
#include "consent/store.h"

enum decision_reason {
    REASON_CONSENT = 0,           /* allowed */
    REASON_NO_RECORD,
    REASON_PENDING,
    REASON_UNSUBSCRIBED,
    REASON_EXPIRED,
    REASON_SUPPRESSED_BOUNCE,
    REASON_SUPPRESSED_COMPLAINT,
    REASON_SUPPRESSED_MANUAL,
    REASON_GLOBAL_UNSUBSCRIBE,
    REASON_INVALID_ADDRESS,
    REASON_SUPPRESSED_SOFT_BOUNCE,
    REASON_COUNT
};

struct decision {
    int allow;
    enum decision_reason reason;
    enum consent_method method;  /* the consent relied on (allowed) or found */
    int64_t consent_time;        /* confirmed_at, else consented_at */
    enum addr_error addr_error;  /* REASON_INVALID_ADDRESS: why */
    char address[ADDR_BUFSZ];    /* normalized address ("" when invalid) */
    int has_record;              /* record holds the consent record looked at */
    struct consent_record record;
};

/*
 * decide - pure: list policy + what the store holds + now -> verdict. rec/sup may be NULL.
 * 0, or -EBADMSG for a record or suppression out of range (never taken for "no record").
 */
int decide(const struct list_def *list, const struct consent_record *rec,
            const struct suppress_record *sup, int64_t now, struct decision *out);

/* decide_address - normalize, look up in one read snapshot, decide. 0, or a store error (<0): tempfail. */
int decide_address(struct store *st, const struct list_def *list, const char *raw, size_t rawlen,
                   unsigned addr_flags, int64_t now, struct decision *out);

/* decision_reason_name - "consent", "no-record", "pending", ... */
const char *decision_reason_name(enum decision_reason r);

#endif
