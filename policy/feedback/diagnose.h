/* diagnose.h - why a bounce is hard, soft or neither: evidence from status and text (see diagnose.c) */
#ifndef OPTIN_FEEDBACK_DIAGNOSE_H
#define OPTIN_FEEDBACK_DIAGNOSE_H

#include <stddef.h>

#include "feedback/rules.h"

#define FB_EXCERPT_MAX 161      /* bytes of the diagnostic kept with a decision, with the NUL */
#define FB_STATUS_TEXT 16       /* "5.1.10", "550", with the NUL */

/* One decision about one recipient: what, by which rule, on which evidence. */
struct fb_decision {
    enum fb_kind kind;
    const char *rule;                  /* the rule that decided: "user-unknown", "blocklist", ... */
    const char *evidence;              /* the phrase found, or NULL when the status decided */
    struct fb_status st;               /* the status it went by (x.0.0 from a reply code alone) */
    char status[FB_STATUS_TEXT];       /* st as text, or "" when there was none at all */
    char excerpt[FB_EXCERPT_MAX];      /* the start of the diagnostic, blanks folded, ASCII */
};

/*
 * fb_diagnose - what a failure report says of one recipient: its Action ("failed" for a
 * bounce that has none), Status (may be "" or malformed) and diagnostic text. Fills *d and
 * returns d->kind: FB_HARD only on evidence that the address or its domain does not exist
 * or the mailbox is disabled; FB_SOFT for every other failure; FB_IGNORED for an Action
 * other than failed.
 */
enum fb_kind fb_diagnose(const char *action, const char *status, const char *diag,
                         struct fb_decision *d);
/* fb_diagnose_status - the status a diagnostic states: the code after its reply code, else
 * x.0.0 of the reply code, else the first code in it; 1 found, 0 none */
int fb_diagnose_status(const char *diag, struct fb_status *st);

/* The fields of a message that tell an automatic reply. NULL: the field is absent. */
struct fb_autoreply_fields {
    const char *auto_submitted, *x_autoreply, *x_autorespond, *precedence, *subject;
};
/* fb_autoreply - the rule that makes this message an automatic reply ("vacation-subject"...), or NULL */
const char *fb_autoreply(const struct fb_autoreply_fields *f);

/* fb_rule_count - how many evidence rules the classifier has; fb_rule_at - the name of one */
size_t fb_rule_count(void);
const char *fb_rule_at(size_t i, enum fb_kind *kind);

#endif
