/*
 * NAME
 *	optinctl_report 1
 * SUMMARY
 *	optinctl feedback: reading a report with GMime (DSN and ARF, wherever they are nested)
 * SYNOPSIS
 *	#include "feedback.h"
 *
 *	GMimeMessage *fb_parse(const GByteArray *raw)
 *	void	fb_read(struct fb_run *run, GMimeMessage *msg, const char *raw)
 *	void	fb_act_bind(struct fb_act *a, const struct unsub_found *tok)
 *	struct fb_act *fb_add(run, what, stated, dec, list)
 *	void	fb_returned_values(run, unsub, list_id, msgid, rcpt, ret)
 *	void	fb_returned_read(run, GMimeObject *headers, ret)
 *	GMimeMessage *fb_text_message(const char *text)
 *	char	*fb_part_text(GMimeObject *obj)
 *	int	fb_is(GMimeObject *obj, const char *type, const char *subtype)
 *	char	*fb_crlf_to_lf(const char *text)
 * DESCRIPTION
 *	fb_read() finds what a message reports and fills run->acts, one per
 *	recipient, each with the decision of policy/feedback (diagnose(3),
 *	rules(3)) and what is to be done; it writes nothing. It looks first
 *	for a message/delivery-status (or global-delivery-status) or
 *	message/feedback-report part anywhere in the message, depth first,
 *	also inside multipart/mixed and attached messages (a DSN forwarded
 *	by a person or nested by a gateway); the parts beside it give the
 *	returned message or its header. Otherwise report_text.c reads the
 *	other shapes (fb_read_other()). What cannot be used sets run->why.
 *
 *	A DSN recipient block is decided by fb_diagnose() and bound by
 *	fb_bounce_kind() (a hard bounce needs our token); the family is told
 *	by the notice beside it (tb_family() of textbounce(3)), else "rfc3464".
 *	A block without Diagnostic-Code (OpenSMTPD, some gateways: "Status:
 *	5.0.0" alone) is read with what the notice says of that recipient
 *	(tb_scan()), so that "Domain does not exist" there is evidence.
 *	An ARF report's Feedback-Type is looked up with fb_complaint(): a
 *	complaint or opt-out names its recipient with fb_complaint_address();
 *	auth-failure names the sending domain (Reported-Domain, DKIM-Domain,
 *	else the domain of Original-Mail-From) and no recipient.
 * DIAGNOSTICS
 *	Warnings through log(3): "a recipient block without a usable
 *	address: skipped", "over 64 recipients: the rest left".
 * BUGS
 *	Only the first report part of a message is read.
 * SEE ALSO
 *	optinctl(1), diagnose(3), rules(3), textbounce(3), RFC 3464, RFC 5965,
 *	RFC 6522, RFC 6533, RFC 6591
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "enforce/classify.h"
#include "feedback.h"
#include "feedback/textbounce.h"
#include "util/log.h"

/* ARF reporters, told by User-Agent or From (lower case substrings). */
static const struct fb_arf_family {
    const char *marker;
    const char *family;
} fb_arf_families[] = {
    {"junk mail reporting program", "microsoft"}, {"hotmail", "microsoft"},
    {"outlook", "microsoft"}, {"yahoo", "yahoo"}, {"aol", "aol"}, {"comcast", "comcast"},
    {"mail.ru", "mailru"}, {"yandex", "yandex"}, {"fastmail", "fastmail"}, {"zoho", "zoho"},
    {"gmx", "gmx"}, {"web.de", "gmx"}, {"icloud", "icloud"}, {"apple", "icloud"},
};

/* fb_part_text - the decoded content of a leaf part, NUL-terminated; g_free it */
char *fb_part_text(GMimeObject *obj)
{
    GMimeDataWrapper *content;
    GMimeStream *mem;
    GByteArray *bytes;
    char *text;

    if (!GMIME_IS_PART(obj) || (content = g_mime_part_get_content(GMIME_PART(obj))) == NULL)
        return g_strdup("");
    mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(content, mem);
    bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    /* an empty part has no data at all, and g_strndup(NULL, 0) is NULL: found by fuzz_report */
    text = bytes->len > 0 ? g_strndup((const char *) bytes->data, bytes->len) : g_strdup("");
    g_object_unref(mem);
    return text;
}

/* fb_text_message - a text parsed as a message (a header block gets an empty body); NULL */
GMimeMessage *fb_text_message(const char *text)
{
    GString *all = g_string_new(text);
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *msg;

    while (all->len > 0 && (all->str[0] == '\n' || all->str[0] == '\r'))
        g_string_erase(all, 0, 1);
    g_string_append(all, "\n\n");
    stream = g_mime_stream_mem_new_with_buffer(all->str, all->len);
    parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    g_string_free(all, TRUE);
    return msg;
}

/* fb_returned_values - token, List-Id, Message-ID and recipient from their header values */
void fb_returned_values(const struct fb_run *run, const char *unsub, const char *list_id,
                        const char *msgid, const char *rcpt, struct fb_returned *ret)
{
    char shown[sizeof(ret->msgid) + sizeof(TEXT_CUT_MARK)];

    if (unsub != NULL && ret->tok.rc != 0)
        unsub_value_token(run->keys, unsub, run->url_bases, run->n_bases, &ret->tok);
    if (list_id != NULL && list_id_extract(list_id, ret->list_id) != 0)
        ret->list_id[0] = '\0';
    if (msgid != NULL) {
        /* cut to the buffer without the cut mark: the fingerprint reads it */
        text_escape(msgid, strlen(msgid), sizeof(ret->msgid) - 1, PIPE_SHOWN, shown,
                    sizeof(shown));
        shown[sizeof(ret->msgid) - 1] = '\0';
        memcpy(ret->msgid, shown, sizeof(ret->msgid));
    }
    if (rcpt != NULL && addr_normalize(rcpt, strlen(rcpt), run->ctl->addr_flags, ret->rcpt)
        != ADDR_OK)
        ret->rcpt[0] = '\0';
}

/* fb_returned_read - token, List-Id, Message-ID and recipient of a returned message */
void fb_returned_read(const struct fb_run *run, GMimeObject *headers, struct fb_returned *ret)
{
    fb_returned_values(run, g_mime_object_get_header(headers, "List-Unsubscribe"),
                       g_mime_object_get_header(headers, "List-Id"),
                       g_mime_object_get_header(headers, "Message-ID"),
                       g_mime_object_get_header(headers, "X-HmXmrOriginalRecipient"), ret);
}

/* fb_is - does the part have this MIME type? */
int fb_is(GMimeObject *obj, const char *type, const char *subtype)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);

    return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

/* fb_is_report_part - a DSN or ARF part */
static int fb_is_report_part(GMimeObject *obj)
{
    return fb_is(obj, "message", "delivery-status") || fb_is(obj, "message", "global-delivery-status")
           || fb_is(obj, "message", "feedback-report");
}

/* fb_find_report - the first DSN or ARF part, depth first, in attached messages too; *parent */
static GMimeObject *fb_find_report(GMimeObject *obj, GMimeMultipart **parent)
{
    GMimeObject *found = NULL;
    GMimeMessage *inner;

    if (GMIME_IS_MESSAGE_PART(obj)) {
        inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        return inner != NULL ? fb_find_report(g_mime_message_get_mime_part(inner), parent) : NULL;
    }
    if (!GMIME_IS_MULTIPART(obj))
        return NULL;
    for (int i = 0; found == NULL && i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++) {
        GMimeObject *part = g_mime_multipart_get_part(GMIME_MULTIPART(obj), i);

        if (fb_is_report_part(part)) {
            *parent = GMIME_MULTIPART(obj);
            found = part;
        } else {
            found = fb_find_report(part, parent);
        }
    }
    return found;
}

/* fb_siblings - the returned message or header block, and the notice text, beside a report */
static void fb_siblings(const struct fb_run *run, GMimeMultipart *mp, struct fb_returned *ret,
                        char **notice)
{
    for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
        GMimeObject *part = g_mime_multipart_get_part(mp, i);
        GMimeMessage *headers = NULL;
        char *text;

        if (GMIME_IS_MESSAGE_PART(part)
            && (headers = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part))) != NULL) {
            fb_returned_read(run, GMIME_OBJECT(headers), ret);
        } else if (fb_is(part, "text", "rfc822-headers") || fb_is(part, "message", "global-headers")) {
            text = fb_part_text(part);
            if ((headers = fb_text_message(text)) != NULL) {
                fb_returned_read(run, GMIME_OBJECT(headers), ret);
                g_object_unref(headers);
            }
            g_free(text);
        } else if (*notice == NULL && fb_is(part, "text", "plain")) {
            *notice = fb_part_text(part);
        } else if (*notice == NULL && GMIME_IS_MULTIPART(part) && !fb_is(part, "multipart", "report")) {
            fb_siblings(run, GMIME_MULTIPART(part), ret, notice);   /* alternative, related */
        }
    }
}

/* fb_crlf_to_lf - a copy of a report text with CR removed; g_free it */
char *fb_crlf_to_lf(const char *text)
{
    char *copy = g_strdup(text), *w, *r;

    for (w = r = copy; *r; r++)
        if (*r != '\r')
            *w++ = *r;
    *w = '\0';
    return copy;
}

/* fb_field - a field of one header-style block ("Name: value", folded lines joined); 1 if found */
static int fb_field(const char *block, const char *name, char *out, size_t outsz)
{
    size_t nlen = strlen(name), o = 0;
    const char *line = block, *p;

    for (; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        if (strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
            continue;
        for (p = line + nlen + 1; *p && o + 1 < outsz; p++) {
            if (*p == '\n' && p[1] != ' ' && p[1] != '\t')
                break;
            out[o++] = *p == '\n' || *p == '\t' || *p == '\r' ? ' ' : *p;
        }
        out[o] = '\0';
        g_strstrip(out);
        return 1;
    }
    return 0;
}

/* fb_address_field - "rfc822; user@example" (or utf-8;): the address as written; 1 when there */
static int fb_address_field(const char *block, const char *name, char out[ADDR_BUFSZ])
{
    char value[FB_FIELD_MAX], *semi;
    const char *a = value;

    if (!fb_field(block, name, value, sizeof(value)))
        return 0;
    if ((semi = strchr(value, ';')) != NULL) {
        *semi = '\0';
        g_strstrip(value);
        if (strcasecmp(value, "rfc822") != 0 && strcasecmp(value, "utf-8") != 0)
            return 0;
        a = g_strstrip(semi + 1);
    }
    snprintf(out, ADDR_BUFSZ, "%.*s", ADDR_BUFSZ - 1, a);
    return out[0] != '\0';
}

/* fb_add - one more recipient; the address normalized, the decision and detail kept */
struct fb_act *fb_add(struct fb_run *run, enum fb_kind what, const char *stated,
                      const struct fb_decision *dec, const char *list)
{
    char shown[PIPE_DETAIL_MAX - FB_STATUS_TEXT - 1];
    struct fb_act *a;

    if (run->n == FB_ACTS_MAX) {
        log_warn("feedback: over %d recipients: the rest left", FB_ACTS_MAX);
        return NULL;
    }
    a = &run->acts[run->n++];
    memset(a, 0, sizeof(*a));
    a->kind = dec->kind;
    a->what = what;
    a->list = list;
    snprintf(a->stated, sizeof(a->stated), "%s", stated);
    if (addr_normalize(stated, strlen(stated), run->ctl->addr_flags, a->addr) != ADDR_OK)
        a->addr[0] = '\0';
    snprintf(a->rule, sizeof(a->rule), "%s", dec->rule != NULL ? dec->rule : "");
    snprintf(a->evidence, sizeof(a->evidence), "%s", dec->evidence != NULL ? dec->evidence : "");
    snprintf(a->status, sizeof(a->status), "%s", dec->status);
    snprintf(a->excerpt, sizeof(a->excerpt), "%s", dec->excerpt);
    text_escape(dec->excerpt, strlen(dec->excerpt), 0, PIPE_SHOWN, shown, sizeof(shown));
    snprintf(a->detail, sizeof(a->detail), "%s%s%s", dec->status[0] ? dec->status : "-",
             shown[0] ? " " : "", shown);
    return a;
}

/* fb_notice_diag - what the notice says of addr when the block has no Diagnostic-Code */
static void fb_notice_diag(const struct tb_result *notice, const char *addr, char *diag,
                           size_t size)
{
    for (size_t i = 0; notice != NULL && diag[0] == '\0' && i < notice->n; i++)
        if (strcasecmp(notice->rcpt[i].addr, addr) == 0)
            snprintf(diag, size, "%s", notice->rcpt[i].diag);
}

/* fb_dsn_block - one recipient block as an action; 1 done or skipped, 0 ignored, -1 no room */
static int fb_dsn_block(struct fb_run *run, const char *block, const char *action,
                        const struct fb_returned *ret, const char *list, const char *report_msgid,
                        const struct tb_result *notice)
{
    char status[64], diag[FB_FIELD_MAX], addr[ADDR_BUFSZ];
    struct fb_decision dec;
    struct fb_status st;
    enum fb_kind what;
    struct fb_act *a;

    if (!fb_field(block, "Status", status, sizeof(status)))
        status[0] = '\0';
    int named = fb_address_field(block, "Original-Recipient", addr)
                || fb_address_field(block, "Final-Recipient", addr);

    if (!fb_field(block, "Diagnostic-Code", diag, sizeof(diag)))
        diag[0] = '\0';
    if (named)
        fb_notice_diag(notice, addr, diag, sizeof(diag));
    if ((what = fb_classify(action, status, diag, &st)) == FB_IGNORED)
        return 0;
    fb_diagnose(action, status, diag, &dec);
    if (!named) {
        log_warn("feedback: a recipient block without a usable address: skipped");
        return 1;
    }
    if ((a = fb_add(run, what, addr, &dec, list)) == NULL)
        return -1;
    fb_act_bind(a, &ret->tok);
    a->fingerprint = fb_fingerprint(ret->msgid, report_msgid);
    return 1;
}

/* fb_dsn - the recipient blocks of a message/delivery-status part as actions */
static void fb_dsn(struct fb_run *run, const char *text, const struct fb_returned *ret,
                   const char *report_msgid, const struct tb_result *notice)
{
    char *copy = fb_crlf_to_lf(text), *block, *next, action[64];
    const char *list = fb_report_list(run->ctl->cfg, &ret->tok, ret->list_id), *addr;
    size_t first = run->n, usable = 0;
    int done = 0;

    /* blocks are separated by empty lines; the first, without Action, is about the message */
    for (block = copy; done >= 0 && block != NULL && *block; block = next) {
        if ((next = strstr(block, "\n\n")) != NULL) {
            *next = '\0';
            next += 2;
        }
        while (*block == '\n')
            block++;
        if (*block == '\0' || !fb_field(block, "Action", action, sizeof(action)))
            continue;   /* the per-message fields, or an empty block */
        done = fb_dsn_block(run, block, action, ret, list, report_msgid, notice);
        run->ignored += done == 0;
    }
    /* one recipient and a token naming the address we sent to: the token wins (forwarding) */
    if ((addr = fb_dsn_address(run->n - first, &ret->tok)) != NULL)
        snprintf(run->acts[first].addr, sizeof(run->acts[first].addr), "%s", addr);
    for (size_t i = first; i < run->n; i++)
        usable += run->acts[i].addr[0] != '\0';
    if (usable == 0 && run->ignored == 0)
        snprintf(run->why, sizeof(run->why), "the delivery-status part names no usable recipient");
    g_free(copy);
}

/* fb_auth_domain - the sending domain an auth-failure report is about */
static void fb_auth_domain(const char *report, char out[ADDR_BUFSZ])
{
    char v[FB_FIELD_MAX] = "";
    const char *at;

    if (fb_field(report, "Reported-Domain", v, sizeof(v)) || fb_field(report, "DKIM-Domain", v, sizeof(v)))
        snprintf(out, ADDR_BUFSZ, "%s", v);
    else if (fb_field(report, "Original-Mail-From", v, sizeof(v)) && (at = strrchr(v, '@')) != NULL)
        snprintf(out, ADDR_BUFSZ, "%.*s", (int) strcspn(at + 1, "> \t"), at + 1);
    else
        snprintf(out, ADDR_BUFSZ, "unknown");
}

/* fb_arf_family - the reporter of an ARF report, by its User-Agent or From */
static const char *fb_arf_family(const char *user_agent, const char *from)
{
    for (size_t i = 0; i < sizeof(fb_arf_families) / sizeof(fb_arf_families[0]); i++)
        if ((user_agent != NULL && strcasestr(user_agent, fb_arf_families[i].marker) != NULL)
            || (from != NULL && strcasestr(from, fb_arf_families[i].marker) != NULL))
            return fb_arf_families[i].family;
    return "arf";
}

/* fb_arf - the complaint, opt-out or auth-failure of a message/feedback-report part */
static void fb_arf(struct fb_run *run, const char *text, const struct fb_returned *ret,
                   const char *from)
{
    char type[64] = "", agent[256] = "", rcpt_to[ADDR_BUFSZ] = "", *copy = fb_crlf_to_lf(text);
    const char *list, *addr;
    struct fb_decision dec = {.rule = "feedback-type"};
    enum fb_kind kind;
    struct fb_act *a;

    fb_field(copy, "Feedback-Type", type, sizeof(type));
    fb_field(copy, "User-Agent", agent, sizeof(agent));
    run->family = fb_arf_family(agent, from);
    kind = fb_complaint(type, run->scope, fb_report_list(run->ctl->cfg, &ret->tok, ret->list_id),
                        &list);
    if (kind == FB_AUTH_FAILURE)
        fb_auth_domain(copy, run->domain);
    else if (kind == FB_IGNORED)
        snprintf(run->note, sizeof(run->note), "Feedback-Type %s is not a complaint",
                 *type ? type : "missing");
    if (!fb_verified(&ret->tok) && fb_address_field(copy, "Original-Rcpt-To", rcpt_to)
        && addr_normalize(rcpt_to, strlen(rcpt_to), run->ctl->addr_flags, rcpt_to) != ADDR_OK)
        rcpt_to[0] = '\0';
    g_free(copy);
    if (kind != FB_COMPLAINT && kind != FB_OPTOUT)
        return;
    if (*(addr = fb_complaint_address(&ret->tok, rcpt_to, ret->rcpt)) == '\0') {
        snprintf(run->why, sizeof(run->why),
                 "no recipient: no token, no Original-Rcpt-To (redacted report?)");
        return;
    }
    dec.kind = kind;
    dec.evidence = type;
    if ((a = fb_add(run, kind, addr, &dec, list)) != NULL) {
        fb_act_bind(a, &ret->tok);
        snprintf(a->detail, sizeof(a->detail), "feedback-type=%s%s%.160s", type,
                 ret->msgid[0] ? " message-id=" : "", ret->msgid);
    }
}

/* fb_read_report - a DSN or ARF part found at report, beside the parts of parent */
static void fb_read_report(struct fb_run *run, GMimeMessage *msg, GMimeObject *report,
                           GMimeMultipart *parent)
{
    struct fb_returned ret = {.tok = UNSUB_FOUND_NONE};
    char *text = fb_part_text(report), *notice = NULL;
    const char *from = g_mime_object_get_header(GMIME_OBJECT(msg), "From");
    struct tb_input in = {.subject = g_mime_message_get_subject(msg), .from = from};
    struct tb_result *scanned = g_malloc(sizeof(*scanned));
    int strong;

    fb_siblings(run, parent, &ret, &notice);
    if (fb_is(report, "message", "feedback-report")) {
        run->format = FB_FMT_ARF;
        fb_arf(run, text, &ret, from);
    } else {
        run->format = FB_FMT_DSN;
        in.text = notice != NULL ? notice : "";
        if ((run->family = tb_family(&in, &strong)) == NULL || strcmp(run->family, "generic") == 0)
            run->family = "rfc3464";
        fb_dsn(run, text, &ret, g_mime_message_get_message_id(msg),
               notice != NULL && tb_scan(&in, scanned) == 0 ? scanned : NULL);
    }
    g_free(scanned);
    g_free(notice);
    g_free(text);
}

/* fb_parse - the input as a mail message; NULL when it is none (an empty or JSON input) */
GMimeMessage *fb_parse(const GByteArray *raw)
{
    GMimeMessage *msg = NULL;
    GMimeParser *parser;
    GMimeStream *stream;
    const guint8 *p = raw->data;

    if (raw->len == 0)
        return NULL;
    while (p < raw->data + raw->len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p == raw->data + raw->len || *p == '{')
        return NULL;
    stream = g_mime_stream_mem_new_with_buffer((const char *) raw->data, raw->len);
    parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    if (msg != NULL && g_mime_message_get_mime_part(msg) == NULL) {
        g_object_unref(msg);
        msg = NULL;
    }
    return msg;
}

/* fb_act_bind - keep the returned message's token with the action */
void fb_act_bind(struct fb_act *a, const struct unsub_found *tok)
{
    a->tok = *tok;
}

/* fb_read - what the message reports (see DESCRIPTION), into run */
void fb_read(struct fb_run *run, GMimeMessage *msg, const char *raw)
{
    GMimeMultipart *parent = NULL;
    GMimeObject *report = NULL;

    run->format = FB_FMT_NONE;
    if (msg != NULL)
        report = fb_find_report(g_mime_message_get_mime_part(msg), &parent);
    if (report != NULL && parent != NULL)
        fb_read_report(run, msg, report, parent);
    else if (!fb_read_other(run, msg, raw))
        snprintf(run->why, sizeof(run->why), "not a delivery status notification (RFC 3464), "
                 "a feedback report (RFC 5965) or a bounce of a known form");
}
