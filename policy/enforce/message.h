/* message.h - what optin-milter decides for one message, MAIL to end of message, without libmilter (see message.c) */
#ifndef OPTIN_MESSAGE_H
#define OPTIN_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "consent/decide.h"
#include "enforce/classify.h"
#include "journal/journal.h"
#include "mail/spf.h"
#include "consent/store.h"
#include "unsubscribe/token.h"
#include "util/metrics.h"

#define MSG_ID_BUFSZ 64
#define MSG_REPLY_TEXT 400

/* What a message is checked against: one configuration generation, owned by the caller. */
struct msg_env {
    const struct optin_config *cfg;
    const struct token_keys *keys;   /* NULL: no key file: no unsubscribe headers */
    struct store *store;             /* NULL: consent store unavailable */
    struct journal *journal;         /* NULL: log lines only */
    struct spf *spf;                 /* NULL: senders are not checked (SPF) */
    struct metrics *metrics;         /* NULL: nothing counted */
};

/* The metric families the enforcement counts (counters.c), for metrics_new(). */
extern const struct metrics_family enforce_metric_families[];
extern const size_t enforce_metric_family_count;

/* The answer to one protocol step. */
enum msg_step {
    MSG_CONTINUE,
    MSG_ACCEPT,      /* nothing more to do for this message */
    MSG_REJECT,      /* reply holds the 5xx */
    MSG_TEMPFAIL,    /* reply holds the 4xx */
    MSG_DISCARD,
};

struct msg_reply {
    const char *rcode;   /* "550", "451", "452" */
    const char *xcode;   /* "5.7.1", ... */
    char text[MSG_REPLY_TEXT];
};

/* One header edit at end of message: add, change instance index (1-based), or delete (value NULL). */
struct hdr_op {
    const char *name;
    int add;
    int index;
    char *value;
};

/* What to do at end of message. */
struct eom_plan {
    enum msg_step step;
    struct msg_reply reply;
    const char **delrcpt;      /* recipients to remove: as received, and as the MTA stores them */
    size_t ndelrcpt;
    struct hdr_op *ops;         /* as many as needed: an app may have sent 40 copies */
    size_t nops, cap;
    int failed;                 /* out of memory while planning: the caller temp-fails */
    char *new_sender;           /* a signed VERP return path for the envelope sender, or NULL */
};

struct msg_rcpt {
    char *raw;                 /* as received (for smfi_delrcpt) */
    char *mta_form;            /* as the MTA stores it, when that differs (addr_mta_form), or NULL */
    int decided;
    int journalled;            /* its line is in the message's batch (refused, or removed) */
    int at_rcpt;               /* decided at RCPT (monitor mode: would-reject, not would-strip) */
    int unchecked;             /* store_failure = accept let it through without a lookup */
    int refusal_deferred;      /* denied at RCPT, but past rcpt_refusal_limit: removed at the end */
    struct decision d;
};

/* What outlives one message of an SMTP session: refusals the MTA counts as client errors. */
struct msg_session {
    unsigned rcpt_refusals;    /* RCPT refusals since the last message the MTA took */
};

enum list_source {
    LIST_NONE,
    LIST_BY_ENVELOPE,
    LIST_BY_HEADER,
};

struct msg_state {
    const struct msg_env *env;
    char id[MSG_ID_BUFSZ];     /* the MTA's queue id, or our own until it is known */
    char own_id[MSG_ID_BUFSZ];
    const char *client_addr;
    int64_t now;
    char *sender;
    const struct list_def *list;
    enum list_source list_source;
    int bulk_signs;            /* Precedence: bulk, List-Id, List-Unsubscribe... seen */
    int marker_count;          /* marker headers to remove */
    int marker_unknown;        /* a marker named no configured list */
    int unsub_count, unsub_post_count, verdict_count;
    struct msg_rcpt *rcpts;
    size_t nrcpts, cap;
    size_t monitor_denied;
    int spf_done;              /* the sender was checked (once per message) */
    struct spf_outcome spf;    /* and this is what came out */
    int spf_trace_count;       /* X-Optin-SPF headers the message came with */
    int non_smtpd;             /* recipients came without RCPT replies (sendmail(1), pickup) */
    struct msg_session *session; /* NULL: no session-wide counting */
    char list_id_first[LIST_ID_HEADER_BUFSZ];  /* the first List-Id's id, "" before it */
    int list_id_conflict;      /* a later List-Id named another id */
    char *content_type;        /* the message's first Content-Type and Content-Transfer-Encoding */
    char *content_te;
    char *body;                /* the first content_max_bytes of the body (content checks only) */
    size_t body_len;
    struct journal_batch *batch; /* this transaction's journal lines, written when it ends */
    int batch_failed;          /* a line could not be built (out of memory) */
    int finished;              /* msg_finish or msg_abort wrote the lines */
    int eoh_seen;              /* the end of the headers was reached */
    int counted;               /* its end is in the metrics */
};

/* msg_init - a new message of a session (NULL: none); own_id names it until the queue id is known. */
void msg_init(struct msg_state *m, const struct msg_env *env, struct msg_session *session,
              const char *own_id, const char *client_addr, int64_t now);
/* msg_free - release everything (idempotent). */
void msg_free(struct msg_state *m);
/* msg_set_queue_id - the MTA's queue id once it is known (first call logs own id = queue id). */
void msg_set_queue_id(struct msg_state *m, const char *queue_id);
/* msg_mail - envelope sender and session facts: classify by envelope. */
void msg_mail(struct msg_state *m, const char *sender, const char *auth_user, const char *daemon_name);
/* msg_spf_mail - after msg_mail: check the sender (SPF) of list mail known from the envelope. */
enum msg_step msg_spf_mail(struct msg_state *m, struct msg_reply *reply);
/* msg_rcpt - one recipient; non_smtpd: RCPT replies are not allowed, decide at end of message. */
enum msg_step msg_rcpt(struct msg_state *m, const char *raw, size_t len, int non_smtpd,
                       struct msg_reply *reply);
/* msg_header - one header field. */
void msg_header(struct msg_state *m, const char *name, const char *value);
/* msg_body - one body chunk; 1 when no more is needed (the MTA may skip the rest), 0 for more. */
int msg_body(struct msg_state *m, const unsigned char *data, size_t len);
/* config_reads_body - does any list check content (so the body must be asked for)? */
int config_reads_body(const struct optin_config *cfg);
/* msg_eoh - end of headers: MSG_ACCEPT when the message cannot be list mail. */
enum msg_step msg_eoh(struct msg_state *m);
/* msg_eom - end of message: the plan of removals, header edits and the final answer. */
void msg_eom(struct msg_state *m, struct eom_plan *plan);
/* msg_finish - after end of message: the receipts for step (what the milter answers), one journal
 * write; the step to answer, MSG_TEMPFAIL (reply set) when the journal failed and the list says so. */
enum msg_step msg_finish(struct msg_state *m, enum msg_step step, struct msg_reply *reply);
/* msg_abort - the transaction ends without end of message: its lines, "aborted" for who stayed. */
void msg_abort(struct msg_state *m);
/* msg_plan_free - release a plan's memory. */
void msg_plan_free(struct eom_plan *plan);

#endif
