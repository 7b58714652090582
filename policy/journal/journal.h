/* journal.h - the decision journal: hash-chained JSON lines, written a transaction at a time (see journal.c) */
#ifndef OPTIN_JOURNAL_H
#define OPTIN_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "journal/chain.h"

struct journal;
struct journal_batch;

/* One decision. NULL strings and zero numbers are left out of the line. */
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
    int64_t consent_time;     /* when that consent was given */
    int64_t confirm_time;     /* when it was confirmed (double opt-in) */
    const char *consent_source; /* where it came from (web-form, import:FILE, ...) */
    const char *policy_version; /* the privacy-policy version it was given under */
    uint64_t history_seq;     /* the history event of the record relied on */
    const char *spf;          /* the SPF result for list mail when it was checked: pass, fail, ... */
    const char *note;         /* free text, e.g. "several recipients: list-level mailto only" */
};

/* journal_open - open for appending (created 0640) with its head file; err gets a reason. */
int journal_open(const char *path, struct journal **out, char *err, size_t errsz);
/* journal_set_sync - fdatasync after every commit (0) or at most every seconds. */
void journal_set_sync(struct journal *j, int seconds);
/* journal_reopen - open the same path again (after logrotate moved it). */
int journal_reopen(struct journal *j);
/* journal_head - the sequence number and hash of the last line (written by anyone); 0 or -errno. */
int journal_head(struct journal *j, uint64_t *seq, char hash[CHAIN_HASH_BUFSZ]);
/* journal_close - close (NULL is fine). */
void journal_close(struct journal *j);

/* journal_batch_new - an empty batch of lines, NULL when out of memory. */
struct journal_batch *journal_batch_new(void);
/* journal_batch_add - serialize one entry into the batch now; 0 or -ENOMEM/-EINVAL. */
int journal_batch_add(struct journal_batch *b, const struct journal_entry *e);
/* journal_batch_count - lines waiting in the batch. */
size_t journal_batch_count(const struct journal_batch *b);
/* journal_batch_clear - drop the lines (after a commit, or when they are not to be written). */
void journal_batch_clear(struct journal_batch *b);
/* journal_batch_free - free (NULL is fine). */
void journal_batch_free(struct journal_batch *b);
/* journal_commit - chain and append every line of the batch with one write(2), sync per policy; 0 or -errno. */
int journal_commit(struct journal *j, struct journal_batch *b);
/* journal_write - one entry committed at once; 0 or -errno. */
int journal_write(struct journal *j, const struct journal_entry *e);

#endif
