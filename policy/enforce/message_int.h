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

#endif
