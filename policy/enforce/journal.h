/* journal.h - the decision journal: one JSON line per decision (see journal.c) */
#ifndef OPTIN_JOURNAL_H
#define OPTIN_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

struct journal;

/* One decision. NULL strings and zero times are left out of the line. */
struct journal_entry {
    int64_t time;
    const char *queue_id;     /* the MTA's, or our own session id until it is known */
    const char *session_id;   /* our own id of the message, on every line */
    const char *client_addr;
    const char *sender;
    const char *list;         /* NULL for unattributed bulk mail */
    const char *recipient;    /* normalized; NULL for a message-level decision */
    const char *recipient_raw; /* as the MTA gave it (NULL: message-level) */
    const char *verdict;      /* accept, reject, strip, tempfail, discard, would-reject, ... */
    const char *reason;       /* decision reason, e.g. "unsubscribed" */
    const char *mode;         /* enforce | monitor */
    const char *method;       /* accepted recipient: the consent relied on */
    int64_t consent_time;
    const char *spf;          /* the SPF result for list mail when it was checked: pass, fail, ... */
    const char *note;         /* free text, e.g. "several recipients: list-level mailto only" */
};

/* journal_open - open for appending (created 0640); err gets a reason. */
int journal_open(const char *path, struct journal **out, char *err, size_t errsz);
/* journal_reopen - close and open the same path again (after logrotate moved it). */
int journal_reopen(struct journal *j);
/* journal_close - flush and close (NULL is fine). */
void journal_close(struct journal *j);
/* journal_write - append one line atomically; safe from many threads. 0 or -errno. */
int journal_write(struct journal *j, const struct journal_entry *e);

#endif
