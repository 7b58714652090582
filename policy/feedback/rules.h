/* rules.h - what a bounce or a complaint means: the decisions of optinctl feedback (see rules.c) */
#ifndef OPTIN_FEEDBACK_RULES_H
#define OPTIN_FEEDBACK_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "consent/consent.h"
#include "unsubscribe/unsubscribe.h"

/* What a report, or one recipient of it, asks of the store. */
enum fb_kind {
    FB_HARD,         /* the address is bad: suppressed as a bounce */
    FB_SOFT,         /* a failure that says nothing final: counted */
    FB_COMPLAINT,    /* the recipient called it spam: unsubscribed */
    FB_OPTOUT,       /* the recipient asked to leave (ARF opt-out): unsubscribed from the list */
    FB_IGNORED,      /* nothing to do: delayed, delivered, relayed, expanded; auto-replies */
    FB_AUTH_FAILURE, /* ARF auth-failure: counted against the sending domain, not the recipient */
};
#define FB_ACTING_KINDS FB_IGNORED   /* how many kinds write the store: FB_HARD .. FB_OPTOUT */

/* How a kind that acts shows in the log and the history, and what it suppresses for. */
struct fb_kind_rule {
    const char *name;              /* "hard bounce" */
    const char *source;            /* history source: "bounce", "complaint" */
    enum suppress_reason reason;   /* the suppression it leads to */
};

/* A status code: class.subject.detail (RFC 3463). */
struct fb_status {
    int cls, subj, detail;
};

/* fb_kind_rule - name, history source and suppression reason of a kind that acts */
const struct fb_kind_rule *fb_kind_rule(enum fb_kind kind);
/* fb_kind_name - one word for any kind: "hard", "soft", "complaint", "opt-out", "ignored", ... */
const char *fb_kind_name(enum fb_kind kind);

/* fb_status_at - a status code at s ("5.1.1", "5.1.10"), not part of a longer number: 1 or 0 */
int fb_status_at(const char *s, struct fb_status *st);
/* fb_status_find - the first status code of class cls in a text (a Diagnostic-Code): 1 or 0 */
int fb_status_find(const char *text, int cls, struct fb_status *st);
/*
 * fb_classify - what a DSN recipient's Action, Status and Diagnostic-Code mean: FB_HARD,
 * FB_SOFT or FB_IGNORED, as fb_diagnose() of diagnose(3) decides; *st gets the status it
 * went by (from the diagnostic when the Status is missing, malformed or X.0.0).
 */
enum fb_kind fb_classify(const char *action, const char *status, const char *diag,
                         struct fb_status *st);
/* fb_verified - does the returned message carry one of our tokens naming a recipient? */
int fb_verified(const struct unsub_found *tok);
/* fb_dsn_address - the address to act on instead of the DSN's (forwarding), or NULL */
const char *fb_dsn_address(size_t recipients, const struct unsub_found *tok);
/* fb_report_list - the list a report is about: the token's, else the List-Id's; NULL unknown */
const char *fb_report_list(const struct optin_config *cfg, const struct unsub_found *tok,
                           const char *list_id);
/* fb_fingerprint - of the returned Message-ID, else the report's: reports of one message count once */
uint64_t fb_fingerprint(const char *returned_msgid, const char *report_msgid);

/* Soft bounces: suppressed at limit within window (consent_softbounce_add counts them). */
#define FB_SOFT_LIMIT 5
#define FB_SOFT_WINDOW (30 * 86400)
#define FB_SOFT_WINDOW_TEXT "30d"
#define FB_SOFT_EXPIRY (30 * 86400)    /* how long a soft-bounce suppression lasts */
/* fb_soft_limit_valid - is n a usable --soft-limit (1 .. SOFTBOUNCE_KEEP)? */
int fb_soft_limit_valid(long n);
/* fb_soft_window_valid - is a --soft-window of this many seconds usable? */
int fb_soft_window_valid(int64_t seconds);
/* fb_soft_suppresses - do count soft bounces within the window suppress the address? */
int fb_soft_suppresses(unsigned count, unsigned limit);

/* Complaints: from the report's list, or from every list. */
enum fb_scope {
    FB_SCOPE_LIST,
    FB_SCOPE_ALL,
};
/* fb_scope_parse - "list" or "all"; -1 otherwise */
int fb_scope_parse(const char *name);
/*
 * fb_complaint - what an ARF report of this Feedback-Type does: FB_COMPLAINT (abuse, fraud,
 * virus) with *list the list to unsubscribe from (NULL: every list, and a complaint
 * suppression); FB_OPTOUT with *list the report's list (NULL: every list, and a global
 * unsubscribe); FB_AUTH_FAILURE; FB_IGNORED (not-spam, other, unknown).
 */
enum fb_kind fb_complaint(const char *feedback_type, enum fb_scope scope, const char *report_list,
                          const char **list);
/* fb_complaint_address - whom a complaint is about: token, Original-Rcpt-To, returned; "" none */
const char *fb_complaint_address(const struct unsub_found *tok, const char *rcpt_to,
                                 const char *returned_rcpt);

#endif
