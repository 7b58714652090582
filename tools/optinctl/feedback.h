/* feedback.h - optinctl feedback: what a report says and what is done (feedback.c, report.c, report_text.c) */
#ifndef OPTINCTL_FEEDBACK_H
#define OPTINCTL_FEEDBACK_H

#include <stdint.h>

#include <gmime/gmime.h>

#include "consent/consent.h"
#include "enforce/classify.h"
#include "feedback/binding.h"
#include "feedback/diagnose.h"
#include "feedback/rules.h"
#include "mail/addr.h"
#include "optinctl.h"
#include "pipe.h"
#include "unsubscribe/unsubscribe.h"

#define FB_ACTS_MAX 64             /* recipients acted on per report */
#define FB_FIELD_MAX 1024          /* one report field */

/* The shape a report came in. */
enum fb_format {
    FB_FMT_NONE,                   /* not a report we can read */
    FB_FMT_DSN,                    /* RFC 3464, at top level or nested */
    FB_FMT_ARF,                    /* RFC 5965 */
    FB_FMT_JMRP,                   /* Microsoft JMRP: the complained message attached */
    FB_FMT_APPLE,                  /* iCloud: a complaint forwarded as an attachment */
    FB_FMT_SES,                    /* Amazon SES JSON notification, bare or in SNS */
    FB_FMT_TEXT,                   /* a bounce written for people */
    FB_FMT_AUTOREPLY,              /* an out-of-office or other automatic reply */
};

/* What the returned message (message/rfc822, text/rfc822-headers or an inline copy) tells. */
struct fb_returned {
    struct unsub_found tok;
    char list_id[LIST_ID_HEADER_BUFSZ];   /* "" when none */
    char msgid[256];               /* "" when none */
    char rcpt[ADDR_BUFSZ];         /* X-HmXmrOriginalRecipient (or the single To), "" when none */
};

/* One recipient a report names: what it means, what is done, and what came of it. */
struct fb_act {
    enum fb_kind kind;             /* as classified */
    enum fb_kind what;             /* what is done (when bound) */
    char stated[ADDR_BUFSZ];       /* the address as the report writes it */
    char addr[ADDR_BUFSZ];         /* normalized: the one acted on */
    const char *list;              /* a configured list id (or the token's); NULL: every list */
    char rule[48];                 /* the rule that decided */
    char evidence[64];             /* the phrase found, "" when the status or type decided */
    char status[FB_STATUS_TEXT];   /* "" when none */
    char excerpt[FB_EXCERPT_MAX];  /* the start of the diagnostic */
    struct unsub_found tok;        /* the token of the returned message (fb_act_bind) */
    enum fb_binding binding;       /* what binds this recipient: nothing changes without it */
    char detail[PIPE_DETAIL_MAX];  /* kept in the history */
    uint64_t fingerprint;          /* soft bounces: the returned message */
    enum feedback_outcome outcome;
    unsigned soft_count;
    unsigned soft_days;            /* distinct days with a soft bounce in the window */
    int soft_suppressed;
};

/* One run: the options, the report read, and every action. */
struct fb_run {
    struct optinctl *ctl;
    const struct token_keys *keys;
    const char **url_bases;        /* the global unsubscribe_url, then each list's */
    size_t n_bases;
    enum fb_scope scope;
    int dry_run, json;
    enum fb_format format;
    const char *family;            /* who wrote it: "postfix", "qmail", "yahoo", ...; NULL */
    char why[256];                 /* why it cannot be used ("": it can) */
    char note[256];                /* why nothing was done although it could be read */
    char domain[ADDR_BUFSZ];       /* auth-failure: the sending domain */
    unsigned ignored;              /* recipients ignored (delayed, delivered, ...) */
    struct fb_act acts[FB_ACTS_MAX];
    size_t n;
    struct fb_evidence ev;         /* the VERP tag of the address the report came to (-r) */
    const char *rcpt;              /* that address, or NULL */
    unsigned soft_limit;           /* distinct days with a soft bounce that suppress */
    int64_t soft_expiry;           /* how long that suppression lasts */
    int64_t soft_window;
    const char *soft_window_text;  /* as given: "30d" */
    char soft_limit_text[16];
    struct change_ctx cc[FB_ACTING_KINDS];
    char kept[4200];               /* the Maildir file it was kept in, "" none */
};

/* report.c: reading a report */
/* fb_parse - the input as a MIME message; NULL when it is none (or JSON: SES) */
GMimeMessage *fb_parse(const GByteArray *raw);

/* fb_read - what the message (or, msg NULL, the raw input) reports, into run */
void fb_read(struct fb_run *run, GMimeMessage *msg, const char *raw);
/* fb_add - one more recipient, decided by dec; NULL when there is no room (logged) */
struct fb_act *fb_add(struct fb_run *run, enum fb_kind what, const char *stated,
                      const struct fb_decision *dec, const char *list);
/* fb_returned_values - token, List-Id, Message-ID and recipient from header values (NULL: absent) */
void fb_returned_values(const struct fb_run *run, const char *unsub, const char *list_id,
                        const char *msgid, const char *rcpt, struct fb_returned *ret);
/* fb_returned_read - the same from a parsed message or header block */
void fb_returned_read(const struct fb_run *run, GMimeObject *headers, struct fb_returned *ret);
/* fb_text_message - a text (an inline copy, a header block) parsed as a message; NULL */
GMimeMessage *fb_text_message(const char *text);
/* fb_part_text - the decoded content of a leaf part, NUL-terminated; g_free it */
char *fb_part_text(GMimeObject *obj);
/* fb_is - does the part have this MIME type? */
int fb_is(GMimeObject *obj, const char *type, const char *subtype);
/* fb_crlf_to_lf - a copy of a text with CR removed; g_free it */
char *fb_crlf_to_lf(const char *text);

/* fb_act_bind - keep the returned message's token with the action, for fb_bind_acts() */
void fb_act_bind(struct fb_act *a, const struct unsub_found *tok);

/* report_text.c: reports that are no multipart/report */
/* fb_read_other - SES JSON, a forwarded complaint, a text bounce or an auto-reply; 1 read, 0 none */
int fb_read_other(struct fb_run *run, GMimeMessage *msg, const char *raw);
/* fb_format_name - "dsn", "arf", "jmrp", "apple", "ses", "text", "auto-reply", "none" */
const char *fb_format_name(enum fb_format format);

/* feedback_json.c: the --json output */
/* fb_json_print - one JSON object on standard output: the report, each recipient, what was done */
void fb_json_print(const struct fb_run *run);

#endif
