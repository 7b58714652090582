/* message_int.h - what message.c shares with receipt.c, inside policy/enforce only */
#ifndef OPTIN_MESSAGE_INT_H
#define OPTIN_MESSAGE_INT_H

#include "enforce/message.h"

#define SHOWN_BUFSZ 300

/* msg_journal - one line into the transaction's batch (raw: the recipient as received) */
void msg_journal(struct msg_state *m, const char *raw, const char *rcpt, const char *verdict,
                 const char *reason, const struct decision *d, const char *note);
/* rcpt_shown - the normalized recipient, or its raw form made printable when it is invalid */
const char *rcpt_shown(const struct decision *d, const char *raw, char buf[SHOWN_BUFSZ]);

#define MSG_ABORTED (-1)      /* count_message: the transaction ended without an answer to EOM */

/* count_* - metrics (counters.c); nothing without a registry in the message's environment */
void count_decision(const struct msg_state *m, const char *verdict, const char *reason);
void count_message(struct msg_state *m, int step);
void count_store_error(const struct msg_state *m);
void count_spf(const struct msg_state *m, const char *result);
void count_journal_error(const struct msg_state *m, size_t lines_lost);

#endif
