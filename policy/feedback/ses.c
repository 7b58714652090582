/*
 * NAME
 *	ses 3
 * SUMMARY
 *	Amazon SES bounce, complaint and delivery notifications in JSON
 * SYNOPSIS
 *	#include "feedback/ses.h"
 *
 *	int	ses_parse(const char *text, struct ses_report *out)
 *	enum fb_kind ses_classify(r, rcpt, struct fb_decision *d)
 *	const char *ses_type_name(enum ses_type type)
 * DESCRIPTION
 *	SES reports what became of a message as a JSON notification, sent to
 *	an SNS topic whose subscribers get it by mail (the notification as
 *	the body) or wrapped in an SNS message ({"Type": "Notification",
 *	"Message": "<the notification as a string>"}). ses_parse() reads
 *	either from the first '{' of text (jansson; what follows the JSON,
 *	such as SNS's unsubscribe footer, is not read): notificationType (or
 *	eventType, for event publishing) Bounce, Complaint or Delivery; for a
 *	bounce, bounceType, bounceSubType and per bouncedRecipients entry
 *	emailAddress, action, status and diagnosticCode; for a complaint,
 *	complaintFeedbackType and the complainedRecipients; from mail, the
 *	Message-ID (commonHeaders.messageId, else SES's messageId) and, when
 *	SES was told to include the headers, List-Unsubscribe and List-Id.
 *
 *	ses_classify() follows the table ses_bounce_rules: Permanent with
 *	NoEmail is hard (SES found the address does not exist); Permanent
 *	General is decided by the recipient's status and diagnostic through
 *	fb_diagnose(); Permanent Suppressed or OnAccountSuppressionList (SES
 *	did not send: an earlier bounce on SES's own list, no new evidence),
 *	Transient (mailbox full, too large, content rejected, ...) and
 *	Undetermined are soft.
 * DIAGNOSTICS
 *	ses_parse() returns -1 for text that is not such a notification.
 *	Recipients past SES_RCPT_MAX are left.
 * SEE ALSO
 *	diagnose(3), rules(3); Amazon SES Developer Guide, "Amazon SNS
 *	notification contents for Amazon SES"
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "feedback/ses.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ses_types[] = {
    [SES_BOUNCE] = "Bounce",
    [SES_COMPLAINT] = "Complaint",
    [SES_DELIVERY] = "Delivery",
};

/* bounceType and bounceSubType (NULL: any) and what they mean. */
static const struct ses_bounce_rule {
    const char *type, *subtype;
    enum fb_kind kind;
    const char *rule;
    int by_text;                     /* decided by the recipient's status and diagnostic */
} ses_bounce_rules[] = {
    {.type = "Permanent", .subtype = "NoEmail", .kind = FB_HARD, .rule = "ses-no-email"},
    {.type = "Permanent", .subtype = "General", .by_text = 1, .rule = "ses-permanent"},
    {.type = "Permanent", .subtype = "Suppressed", .kind = FB_SOFT, .rule = "ses-suppressed"},
    {.type = "Permanent", .subtype = "OnAccountSuppressionList", .kind = FB_SOFT,
     .rule = "ses-suppressed"},
    {.type = "Transient", .kind = FB_SOFT, .rule = "ses-transient"},
    {.type = "Undetermined", .kind = FB_SOFT, .rule = "ses-undetermined"},
};

/* ses_copy - a string member of obj into out ("" when absent or not a string) */
static void ses_copy(json_t *obj, const char *key, char *out, size_t outsz)
{
    const char *v = json_string_value(json_object_get(obj, key));

    snprintf(out, outsz, "%s", v != NULL ? v : "");
}

/* ses_headers - List-Unsubscribe, List-Id and Message-ID from mail.headers, when present */
static void ses_headers(json_t *mail, struct ses_report *out)
{
    json_t *h;
    size_t i;

    json_array_foreach(json_object_get(mail, "headers"), i, h) {
        const char *name = json_string_value(json_object_get(h, "name"));

        if (name == NULL)
            continue;
        if (strcasecmp(name, "List-Unsubscribe") == 0)
            ses_copy(h, "value", out->list_unsubscribe, sizeof(out->list_unsubscribe));
        else if (strcasecmp(name, "List-Id") == 0)
            ses_copy(h, "value", out->list_id, sizeof(out->list_id));
    }
    ses_copy(json_object_get(mail, "commonHeaders"), "messageId", out->message_id,
             sizeof(out->message_id));
    if (out->message_id[0] == '\0')
        ses_copy(mail, "messageId", out->message_id, sizeof(out->message_id));
}

/* ses_recipients - the entries of one recipients array */
static void ses_recipients(json_t *list, struct ses_report *out)
{
    json_t *r;
    size_t i;

    json_array_foreach(list, i, r) {
        struct ses_recipient *rc = &out->rcpt[out->n];

        if (out->n == SES_RCPT_MAX)
            break;
        if (json_is_string(r)) {           /* delivery.recipients: the addresses alone */
            snprintf(rc->addr, sizeof(rc->addr), "%s", json_string_value(r));
            out->n += rc->addr[0] != '\0';
            continue;
        }
        ses_copy(r, "emailAddress", rc->addr, sizeof(rc->addr));
        ses_copy(r, "action", rc->action, sizeof(rc->action));
        ses_copy(r, "status", rc->status, sizeof(rc->status));
        ses_copy(r, "diagnosticCode", rc->diag, sizeof(rc->diag));
        out->n += rc->addr[0] != '\0';
    }
}

/* ses_notification - a parsed notification object into out; 0, or -1 when it is none */
static int ses_notification(json_t *root, struct ses_report *out)
{
    const char *type = json_string_value(json_object_get(root, "notificationType"));
    json_t *b = json_object_get(root, "bounce"), *c = json_object_get(root, "complaint");
    size_t t;

    if (type == NULL)
        type = json_string_value(json_object_get(root, "eventType"));
    for (t = 0; type != NULL && t < COUNT(ses_types) && strcmp(type, ses_types[t]) != 0; t++)
        ;
    if (type == NULL || t == COUNT(ses_types) || !json_is_object(json_object_get(root, "mail")))
        return -1;
    out->type = (enum ses_type) t;
    ses_headers(json_object_get(root, "mail"), out);
    if (out->type == SES_BOUNCE) {
        ses_copy(b, "bounceType", out->bounce_type, sizeof(out->bounce_type));
        ses_copy(b, "bounceSubType", out->bounce_subtype, sizeof(out->bounce_subtype));
        ses_recipients(json_object_get(b, "bouncedRecipients"), out);
    } else if (out->type == SES_COMPLAINT) {
        ses_copy(c, "complaintFeedbackType", out->feedback_type, sizeof(out->feedback_type));
        ses_recipients(json_object_get(c, "complainedRecipients"), out);
    } else {
        ses_recipients(json_object_get(json_object_get(root, "delivery"), "recipients"), out);
    }
    return 0;
}

/* ses_parse - an SES notification, bare or inside an SNS message, from the first '{' */
int ses_parse(const char *text, struct ses_report *out)
{
    const char *brace = strchr(text, '{'), *inner;
    json_t *root, *msg = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (brace == NULL || (root = json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL)) == NULL)
        return -1;
    inner = json_string_value(json_object_get(root, "Message"));
    if (inner != NULL && (msg = json_loads(inner, 0, NULL)) != NULL)
        out->sns = 1;
    rc = ses_notification(msg != NULL ? msg : root, out);
    json_decref(msg);
    json_decref(root);
    return rc;
}

/* ses_classify - what a bounced recipient means, by the table ses_bounce_rules */
enum fb_kind ses_classify(const struct ses_report *r, const struct ses_recipient *rcpt,
                          struct fb_decision *d)
{
    const struct ses_bounce_rule *rule = NULL;

    for (size_t i = 0; rule == NULL && i < COUNT(ses_bounce_rules); i++)
        if (strcasecmp(r->bounce_type, ses_bounce_rules[i].type) == 0
            && (ses_bounce_rules[i].subtype == NULL
                || strcasecmp(r->bounce_subtype, ses_bounce_rules[i].subtype) == 0))
            rule = &ses_bounce_rules[i];
    fb_diagnose("failed", rcpt->status, rcpt->diag, d);
    if (rule == NULL || !rule->by_text) {
        d->kind = rule != NULL ? rule->kind : FB_SOFT;
        d->rule = rule != NULL ? rule->rule : "ses-unknown-type";
        d->evidence = NULL;
    }
    return d->kind;
}

/* ses_type_name - the notificationType of a type */
const char *ses_type_name(enum ses_type type)
{
    return (unsigned) type < COUNT(ses_types) ? ses_types[type] : "?";
}
