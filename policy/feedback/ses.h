/* ses.h - Amazon SES bounce, complaint and delivery notifications in JSON (see ses.c) */
#ifndef OPTIN_FEEDBACK_SES_H
#define OPTIN_FEEDBACK_SES_H

#include <stddef.h>

#include "feedback/diagnose.h"
#include "mail/addr.h"

#define SES_RCPT_MAX 50              /* SES names at most 50 recipients a message */

enum ses_type {
    SES_BOUNCE,
    SES_COMPLAINT,
    SES_DELIVERY,
};

/* One recipient SES names. */
struct ses_recipient {
    char addr[ADDR_BUFSZ];           /* emailAddress as SES writes it */
    char action[16];                 /* bouncedRecipients: "failed", ...; "" when not given */
    char status[FB_STATUS_TEXT];     /* "5.1.1"; "" when not given */
    char diag[512];                  /* diagnosticCode; "" when not given */
};

/* What one notification says. */
struct ses_report {
    enum ses_type type;
    int sns;                         /* it came wrapped in an SNS notification */
    char bounce_type[32];            /* Permanent, Transient, Undetermined */
    char bounce_subtype[48];         /* General, NoEmail, Suppressed, MailboxFull, ... */
    char feedback_type[32];          /* complaintFeedbackType ("abuse", ...); "" when not given */
    char message_id[256];            /* the Message-ID of the mail, else SES's messageId */
    char list_unsubscribe[1024];     /* from mail.headers, when SES included them */
    char list_id[256];
    size_t n;
    struct ses_recipient rcpt[SES_RCPT_MAX];
};

/* ses_parse - the notification (or SNS message carrying one) that starts text; 0, -1 none */
int ses_parse(const char *text, struct ses_report *out);
/* ses_classify - what a recipient of an SES bounce means (by bounceType and bounceSubType) */
enum fb_kind ses_classify(const struct ses_report *r, const struct ses_recipient *rcpt,
                          struct fb_decision *d);
/* ses_type_name - "Bounce", "Complaint", "Delivery" */
const char *ses_type_name(enum ses_type type);

#endif
