/*
 * NAME
 *	optinctl_report_text 1
 * SUMMARY
 *	optinctl feedback: reports that are no multipart/report (SES, JMRP, iCloud, text bounces)
 * SYNOPSIS
 *	#include "feedback.h"
 *
 *	int	fb_read_other(struct fb_run *run, GMimeMessage *msg, const char *raw)
 *	const char *fb_format_name(enum fb_format format)
 * DESCRIPTION
 *	fb_read_other() reads, in this order, what report.c found no DSN or
 *	ARF part in:
 *
 *	An Amazon SES notification: JSON in the notice (or, msg NULL, in the
 *	raw input), bare or wrapped by SNS (ses(3)). Bounced recipients are
 *	decided by ses_classify() and bound by fb_act_bind(); a complaint's
 *	complaintFeedbackType (abuse when SES gives none) by fb_complaint();
 *	a delivery is ignored. The token comes from the List-Unsubscribe
 *	that SES includes when told to send the headers.
 *
 *	A complaint forwarded with the complained message attached
 *	(message/rfc822): Microsoft JMRP's older format, told by the
 *	attached message's X-HmXmrOriginalRecipient or an X-MS- field; and
 *	iCloud, whose users forward spam as an attachment (Apple runs no
 *	ARF feedback loop), told by a From at apple.com, icloud.com, me.com
 *	or mac.com that is no mail system. The recipient is our token's,
 *	else X-HmXmrOriginalRecipient, else the attached message's one To.
 *
 *	A text bounce: tb_scan() of textbounce(3) names the writer and each
 *	failed recipient with its diagnostic, fb_diagnose() decides, fb_act_bind()
 *	binds; X-Failed-Recipients (Exim) adds recipients the text does not
 *	name. The returned message is an attached one, else the inline copy
 *	after the notice, read for our token. A warning that delivery is
 *	only delayed is ignored.
 *
 *	An automatic reply (fb_autoreply() of diagnose(3)): ignored. It is
 *	asked after the bounce signatures that no person writes (a bounce
 *	carries Auto-Submitted too) and before the weak ones (a From that is
 *	a mail system, a Subject that says undeliverable).
 * DIAGNOSTICS
 *	Sets run->why when a report names no recipient; nothing logged here.
 * SEE ALSO
 *	optinctl(1), ses(3), textbounce(3), diagnose(3), RFC 3834
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "feedback.h"
#include "feedback/ses.h"
#include "feedback/textbounce.h"

#define FB_SKIP_MAX 16               /* addresses of the report itself, never a recipient */

static const char *const fb_formats[] = {
    [FB_FMT_NONE] = "none", [FB_FMT_DSN] = "dsn", [FB_FMT_ARF] = "arf",
    [FB_FMT_JMRP] = "jmrp", [FB_FMT_APPLE] = "apple", [FB_FMT_SES] = "ses",
    [FB_FMT_TEXT] = "text", [FB_FMT_AUTOREPLY] = "auto-reply",
};

/* Complaints forwarded with the message attached: who sends them, told how. */
static const struct fb_forwarder {
    enum fb_format format;
    const char *family;
    const char *alone;                    /* a field of the attached message that tells it alone */
    const char *const *from;              /* else a From domain ... */
    const char *with;                     /* ... and, when set, a field the attached one has */
} fb_forwarders[] = {
    {.format = FB_FMT_JMRP, .family = "microsoft", .alone = "X-HmXmrOriginalRecipient",
     .from = (const char *const[]) {"@hotmail.", "@outlook.", "@msn.", "@live.", NULL},
     .with = "X-MS-"},
    {.format = FB_FMT_APPLE, .family = "icloud",
     .from = (const char *const[]) {"@apple.com", "@icloud.com", "@me.com", "@mac.com", NULL}},
};

/* The header fields whose addresses belong to the report, not to a recipient. */
static const char *const fb_own_fields[] = {
    "From", "To", "Cc", "Sender", "Reply-To", "Return-Path", "Delivered-To", "X-Original-To",
};

/* fb_format_name - the word for a format */
const char *fb_format_name(enum fb_format format)
{
    return (unsigned) format < sizeof(fb_formats) / sizeof(fb_formats[0]) ? fb_formats[format] : "?";
}

/* fb_notice - the text of a message's first text/plain (else text/html) not in an attachment */
static char *fb_notice(GMimeObject *obj, int html)
{
    char *text = NULL, *raw;

    if (GMIME_IS_MULTIPART(obj)) {
        for (int i = 0; text == NULL && i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++)
            text = fb_notice(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), html);
        return text;
    }
    if (!fb_is(obj, "text", html ? "html" : "plain")
        || (g_mime_object_get_content_disposition(obj) != NULL
            && g_mime_content_disposition_is_attachment(g_mime_object_get_content_disposition(obj))))
        return NULL;
    raw = fb_part_text(obj);
    text = fb_crlf_to_lf(raw);
    g_free(raw);
    if (html) {
        char *plain = tb_html_text(text);

        g_free(text);
        text = plain != NULL ? g_strdup(plain) : NULL;
        free(plain);
    }
    return text;
}

/* fb_attached - the first attached message, depth first, not inside another attached one */
static GMimeMessage *fb_attached(GMimeObject *obj)
{
    GMimeMessage *found = NULL;

    if (GMIME_IS_MESSAGE_PART(obj))
        return g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    for (int i = 0; GMIME_IS_MULTIPART(obj) && found == NULL
         && i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++)
        found = fb_attached(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i));
    return found;
}

/* fb_has_field - a header field of obj whose name starts with prefix */
static int fb_has_field(GMimeObject *obj, const char *prefix)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);

    for (int i = 0; list != NULL && i < g_mime_header_list_get_count(list); i++)
        if (strncasecmp(g_mime_header_get_name(g_mime_header_list_get_header_at(list, i)), prefix,
                        strlen(prefix)) == 0)
            return 1;
    return 0;
}

/* fb_any - does text hold one of the NULL-terminated needles (any case)? */
static int fb_any(const char *text, const char *const *needles)
{
    for (; text != NULL && needles != NULL && *needles != NULL; needles++)
        for (const char *p = text; *p; p++)
            if (strncasecmp(p, *needles, strlen(*needles)) == 0)
                return 1;
    return 0;
}

/* fb_one_to - the single To address of a message, normalized, into out; "" otherwise */
static void fb_one_to(const struct fb_run *run, GMimeMessage *msg, char out[ADDR_BUFSZ])
{
    InternetAddressList *to = g_mime_message_get_to(msg);
    InternetAddress *ia;
    const char *a;

    out[0] = '\0';
    if (to == NULL || internet_address_list_length(to) != 1
        || !INTERNET_ADDRESS_IS_MAILBOX(ia = internet_address_list_get_address(to, 0))
        || (a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))) == NULL
        || addr_normalize(a, strlen(a), run->ctl->addr_flags, out) != ADDR_OK)
        out[0] = '\0';
}

/* fb_forwarder_of - who forwarded the attached message as a complaint, or NULL */
static const struct fb_forwarder *fb_forwarder_of(GMimeMessage *msg, GMimeMessage *att)
{
    const char *from = g_mime_object_get_header(GMIME_OBJECT(msg), "From");

    for (size_t i = 0; i < sizeof(fb_forwarders) / sizeof(fb_forwarders[0]); i++) {
        const struct fb_forwarder *f = &fb_forwarders[i];

        if ((f->alone != NULL && fb_has_field(GMIME_OBJECT(att), f->alone))
            || (fb_any(from, f->from) && (f->with == NULL || fb_has_field(GMIME_OBJECT(att), f->with))))
            return f;
    }
    return NULL;
}

/* fb_forwarded - a complaint forwarded with the message attached (JMRP, iCloud); 1 read, 0 none */
static int fb_forwarded(struct fb_run *run, GMimeMessage *msg)
{
    GMimeMessage *att = fb_attached(g_mime_message_get_mime_part(msg));
    struct fb_returned ret = {.tok = UNSUB_FOUND_NONE};
    struct fb_decision dec = {.kind = FB_COMPLAINT, .rule = "forwarded-complaint"};
    const struct fb_forwarder *f;
    const char *list, *addr;
    struct fb_act *a;

    if (att == NULL || (f = fb_forwarder_of(msg, att)) == NULL)
        return 0;
    run->format = f->format;
    run->family = f->family;
    fb_returned_read(run, GMIME_OBJECT(att), &ret);
    if (ret.rcpt[0] == '\0')
        fb_one_to(run, att, ret.rcpt);
    fb_complaint("abuse", run->scope, fb_report_list(run->ctl->cfg, &ret.tok, ret.list_id), &list);
    if (*(addr = fb_complaint_address(&ret.tok, "", ret.rcpt)) == '\0') {
        snprintf(run->why, sizeof(run->why), "a forwarded complaint that names no recipient");
        return 1;
    }
    if ((a = fb_add(run, FB_COMPLAINT, addr, &dec, list)) != NULL) {
        fb_act_bind(a, &ret.tok);
        snprintf(a->detail, sizeof(a->detail), "%s complaint%s%.160s", f->family,
                 ret.msgid[0] ? " message-id=" : "", ret.msgid);
    }
    return 1;
}

/* fb_ses_complaint - the complained recipients of an SES complaint */
static void fb_ses_complaint(struct fb_run *run, const struct ses_report *r,
                             const struct fb_returned *ret)
{
    const char *type = r->feedback_type[0] ? r->feedback_type : "abuse", *list;
    struct fb_decision dec = {.rule = "ses-complaint", .evidence = type};
    enum fb_kind kind = fb_complaint(type, run->scope,
                                     fb_report_list(run->ctl->cfg, &ret->tok, ret->list_id), &list);
    struct fb_act *a;

    if (kind != FB_COMPLAINT && kind != FB_OPTOUT) {
        snprintf(run->note, sizeof(run->note), "complaintFeedbackType %s is not a complaint", type);
        if (kind == FB_AUTH_FAILURE)
            snprintf(run->domain, sizeof(run->domain), "unknown");
        return;
    }
    dec.kind = kind;
    for (size_t i = 0; i < r->n; i++) {
        const char *addr = r->n == 1 && fb_verified(&ret->tok) ? ret->tok.addr : r->rcpt[i].addr;

        if ((a = fb_add(run, kind, addr, &dec, list)) == NULL)
            break;
        fb_act_bind(a, &ret->tok);
        snprintf(a->detail, sizeof(a->detail), "ses complaint feedback-type=%s", type);
    }
}

/* fb_ses - an Amazon SES notification */
static void fb_ses(struct fb_run *run, const struct ses_report *r, const char *report_msgid)
{
    struct fb_returned ret = {.tok = UNSUB_FOUND_NONE};
    const char *list, *addr;
    struct fb_decision dec;
    struct fb_act *a;

    run->format = FB_FMT_SES;
    run->family = r->sns ? "ses-sns" : "ses";
    fb_returned_values(run, r->list_unsubscribe[0] ? r->list_unsubscribe : NULL,
                       r->list_id[0] ? r->list_id : NULL, r->message_id, NULL, &ret);
    list = fb_report_list(run->ctl->cfg, &ret.tok, ret.list_id);
    if (r->type == SES_COMPLAINT)
        fb_ses_complaint(run, r, &ret);
    for (size_t i = 0; r->type == SES_BOUNCE && i < r->n; i++) {
        ses_classify(r, &r->rcpt[i], &dec);
        addr = r->n == 1 && fb_verified(&ret.tok) ? ret.tok.addr : r->rcpt[i].addr;
        if ((a = fb_add(run, dec.kind, addr, &dec, list)) == NULL)
            break;
        fb_act_bind(a, &ret.tok);
        a->fingerprint = fb_fingerprint(ret.msgid, report_msgid);
    }
    if (r->type == SES_DELIVERY) {
        run->ignored += (unsigned) r->n;
        snprintf(run->note, sizeof(run->note), "an SES delivery notification");
    }
    if (r->n == 0)
        snprintf(run->why, sizeof(run->why), "an SES %s notification without recipients",
                 ses_type_name(r->type));
}

/* fb_copy_text - where the copy's header starts: the line at copy_at when it is a header field
 * of the copy, else after it ("Original message follows.", "Content-Type: message/rfc822")
 * and the blank lines that follow */
static const char *fb_copy_text(const char *notice, size_t copy_at)
{
    const char *line = notice + copy_at, *name = line;

    while (*name && (g_ascii_isalnum(*name) || *name == '-'))
        name++;
    if (*name == ':' && name > line && g_ascii_strncasecmp(line, "content-type:", 13) != 0)
        return line;
    line += strcspn(line, "\n");
    while (*line == '\n')
        line++;
    return line;
}

/* fb_text_returned - the returned message: an attached one, else the copy after the notice */
static void fb_text_returned(const struct fb_run *run, GMimeMessage *msg, const char *notice,
                             size_t copy_at, struct fb_returned *ret)
{
    GMimeMessage *copy = msg != NULL ? fb_attached(g_mime_message_get_mime_part(msg)) : NULL;

    if (copy != NULL) {
        fb_returned_read(run, GMIME_OBJECT(copy), ret);
        return;
    }
    if (notice[copy_at] == '\0')
        return;
    if ((copy = fb_text_message(fb_copy_text(notice, copy_at))) != NULL) {
        fb_returned_read(run, GMIME_OBJECT(copy), ret);
        g_object_unref(copy);
    }
}

/* fb_failed_header - X-Failed-Recipients (Exim) addresses the text did not name */
static void fb_failed_header(GMimeMessage *msg, struct tb_result *tb)
{
    const char *v = msg != NULL ? g_mime_object_get_header(GMIME_OBJECT(msg), "X-Failed-Recipients")
                    : NULL;
    char **addrs = v != NULL ? g_strsplit(v, ",", 0) : NULL;

    for (char **p = addrs; p != NULL && *p != NULL && tb->n < TB_RCPT_MAX; p++) {
        size_t i = 0;

        g_strstrip(*p);
        while (i < tb->n && strcasecmp(tb->rcpt[i].addr, *p) != 0)
            i++;
        if (i == tb->n && **p && strlen(*p) < ADDR_BUFSZ) {
            snprintf(tb->rcpt[tb->n].addr, sizeof(tb->rcpt[0].addr), "%s", *p);
            tb->rcpt[tb->n++].diag[0] = '\0';
        }
    }
    g_strfreev(addrs);
}

/* fb_text - a text bounce read by tb_scan(): each recipient decided and bound */
static void fb_text(struct fb_run *run, GMimeMessage *msg, const char *notice, struct tb_result *tb)
{
    struct fb_returned ret = {.tok = UNSUB_FOUND_NONE};
    const char *list, *addr, *action = tb->delayed ? "delayed" : "failed";
    struct fb_decision dec;
    size_t first = run->n;
    struct fb_act *a;

    run->format = FB_FMT_TEXT;
    run->family = tb->family;
    fb_text_returned(run, msg, notice, tb->copy_at, &ret);
    fb_failed_header(msg, tb);
    list = fb_report_list(run->ctl->cfg, &ret.tok, ret.list_id);
    for (size_t i = 0; i < tb->n; i++) {
        if (fb_diagnose(action, "", tb->rcpt[i].diag, &dec) == FB_IGNORED) {
            run->ignored++;
            continue;
        }
        if ((a = fb_add(run, dec.kind, tb->rcpt[i].addr, &dec, list)) == NULL)
            break;
        fb_act_bind(a, &ret.tok);
        a->fingerprint = fb_fingerprint(ret.msgid, msg != NULL ? g_mime_message_get_message_id(msg)
                                        : NULL);
    }
    if ((addr = fb_dsn_address(run->n - first, &ret.tok)) != NULL)
        snprintf(run->acts[first].addr, sizeof(run->acts[first].addr), "%s", addr);
    if (tb->n == 0)
        snprintf(run->why, sizeof(run->why), "a bounce (%s) that names no recipient", tb->family);
}

/* fb_skip_list - the addresses of the report's own fields, into skip (NULL-terminated) */
static void fb_skip_list(GMimeMessage *msg, char store[FB_SKIP_MAX][ADDR_BUFSZ],
                         const char *skip[FB_SKIP_MAX + 1])
{
    size_t n = 0;

    for (size_t f = 0; msg != NULL && f < sizeof(fb_own_fields) / sizeof(fb_own_fields[0]); f++) {
        const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), fb_own_fields[f]);
        InternetAddressList *l = v != NULL ? internet_address_list_parse(NULL, v) : NULL;

        for (int i = 0; l != NULL && n < FB_SKIP_MAX && i < internet_address_list_length(l); i++) {
            InternetAddress *ia = internet_address_list_get_address(l, i);

            if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
                snprintf(store[n], ADDR_BUFSZ, "%s",
                         internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
                skip[n] = store[n];
                n++;
            }
        }
        if (l != NULL)
            g_object_unref(l);
    }
    skip[n] = NULL;
}

/* fb_autoreply_of - the auto-reply rule a message meets, or NULL */
static const char *fb_autoreply_of(GMimeMessage *msg)
{
    GMimeObject *o = GMIME_OBJECT(msg);
    struct fb_autoreply_fields f = {
        .auto_submitted = g_mime_object_get_header(o, "Auto-Submitted"),
        .x_autoreply = g_mime_object_get_header(o, "X-Autoreply"),
        .x_autorespond = g_mime_object_get_header(o, "X-Autorespond"),
        .precedence = g_mime_object_get_header(o, "Precedence"),
        .subject = g_mime_message_get_subject(msg),
    };

    return fb_autoreply(&f);
}

/* fb_read_other - SES, a forwarded complaint, a text bounce or an auto-reply (see DESCRIPTION) */
int fb_read_other(struct fb_run *run, GMimeMessage *msg, const char *raw)
{
    char *notice = NULL, skip_store[FB_SKIP_MAX][ADDR_BUFSZ];
    const char *skip[FB_SKIP_MAX + 1], *auto_rule;
    struct tb_input in = {.skip = skip};
    struct ses_report *ses = g_malloc(sizeof(*ses));
    struct tb_result *tb = g_malloc(sizeof(*tb));
    int done = 1, strong;

    if (msg != NULL && (notice = fb_notice(g_mime_message_get_mime_part(msg), 0)) == NULL)
        notice = fb_notice(g_mime_message_get_mime_part(msg), 1);
    in.text = notice != NULL ? notice : msg == NULL ? raw : "";
    in.subject = msg != NULL ? g_mime_message_get_subject(msg) : NULL;
    in.from = msg != NULL ? g_mime_object_get_header(GMIME_OBJECT(msg), "From") : NULL;
    fb_skip_list(msg, skip_store, skip);
    if (ses_parse(in.text, ses) == 0)
        fb_ses(run, ses, msg != NULL ? g_mime_message_get_message_id(msg) : NULL);
    else if (msg == NULL)
        done = 0;
    else if (tb_scan(&in, tb) == 0 && tb->strong)
        fb_text(run, msg, in.text, tb);
    else if (tb_family(&in, &strong) == NULL && fb_forwarded(run, msg))
        done = 1;     /* no mail system's From, no bounce Subject: a person's complaint */
    else if ((auto_rule = fb_autoreply_of(msg)) != NULL) {
        run->format = FB_FMT_AUTOREPLY;
        run->family = auto_rule;
        snprintf(run->note, sizeof(run->note), "an automatic reply (%s)", auto_rule);
        done = 1;
    } else if (tb_scan(&in, tb) == 0)
        fb_text(run, msg, in.text, tb);
    else
        done = 0;
    g_free(tb);
    g_free(ses);
    g_free(notice);
    return done;
}
