/*
 * NAME
 *	optinctl_feedback 1
 * SUMMARY
 *	optinctl feedback: bounces and complaints from a Postfix pipe(8) transport
 * SYNOPSIS
 *	#include "optinctl.h"
 *
 *	int	cmd_feedback(struct optinctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	cmd_feedback() implements "optinctl feedback": a delivery status
 *	notification (RFC 3464, multipart/report; report-type=delivery-status)
 *	or a complaint (ARF, RFC 5965, report-type=feedback-report), read on
 *	standard input and parsed with GMime. This file reads the message
 *	and writes the store; what a report means is decided by the rules of
 *	policy/feedback (rules(3)).
 *
 *	The recipient and list come from our token in the List-Unsubscribe
 *	of the returned message or headers (unsub_value_token(), with the
 *	configured unsubscribe URLs as bases), else from the report
 *	(Original-Recipient, Final-Recipient; Original-Rcpt-To) and the
 *	returned List-Id mapped by the configuration's match.list_id.
 *	fb_bounce_kind() says what a recipient's Action and Status mean: a
 *	hard bounce is suppressed (SUPPRESS_BOUNCE, source "bounce"); a soft
 *	bounce is counted (consent_softbounce_add) and suppressed as a bounce
 *	after --soft-limit within --soft-window; an abuse complaint
 *	unsubscribes from the list, or from every list with a complaint
 *	suppression under --complaint-scope all or when the list is not
 *	known (source "complaint"). A bounce that is no report but names
 *	X-Failed-Recipients (old Exim) counts as soft. A report applied twice
 *	changes nothing the second time: suppressions and unsubscriptions
 *	are not written again, and soft bounces about the same returned
 *	Message-ID count once.
 * DIAGNOSTICS
 *	One line per action on stderr ("optinctl: feedback: ..."), also to
 *	syslog when the configuration logs there (pipe.c). Exit status for
 *	Postfix (sysexits): 0 done (also: nothing to do, as for a success
 *	DSN); 65 (EX_DATAERR, Postfix bounces the message with the stderr
 *	text) when the message is not a report or its delivery-status part
 *	names no recipient; 75 (EX_TEMPFAIL, Postfix retries) when the store
 *	or the key file cannot be used; 64 for bad options (75 from main).
 * BUGS
 *	Only the first multipart/report of a message is read. A DSN with
 *	several recipient blocks and a per-recipient token acts on each
 *	block's own address.
 * SEE ALSO
 *	optinctl(1), rules(3), unsubscribe(3), consent(3), RFC 3464, RFC 3463,
 *	RFC 5965, RFC 8058
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "consent/consent.h"
#include "enforce/classify.h"
#include "feedback/rules.h"
#include "mail/addr.h"
#include "optinctl.h"
#include "pipe.h"
#include "unsubscribe/unsubscribe.h"
#include "util/log.h"
#include "util/timeutil.h"

#define FB_FIELD_MAX 1024          /* one report field */
#define FB_ACTS_MAX 64             /* recipients acted on per report */

/* What the returned message (message/rfc822 or text/rfc822-headers) tells. */
struct fb_returned {
    struct unsub_found tok;
    char list_id[LIST_ID_HEADER_BUFSZ];   /* "" when none */
    char msgid[256];               /* "" when none */
    char rcpt[ADDR_BUFSZ];         /* X-HmXmrOriginalRecipient, "" when none */
};

/* One thing to do to the store, and what came of it. */
struct fb_act {
    enum fb_kind what;             /* FB_HARD, FB_SOFT or FB_COMPLAINT */
    char addr[ADDR_BUFSZ];
    const char *list;              /* a configured list id (or the token's); NULL: every list */
    char detail[PIPE_DETAIL_MAX];
    uint64_t fingerprint;          /* soft bounces: the returned message */
    enum feedback_outcome outcome;
    unsigned soft_count;
    int soft_suppressed;
};

/* Everything one run applies in one write transaction. */
struct fb_run {
    struct optinctl *ctl;
    const char **url_bases;        /* the global unsubscribe_url, then each list's */
    size_t n_bases;
    struct fb_act acts[FB_ACTS_MAX];
    size_t n;
    unsigned soft_limit;
    int64_t soft_window;
    const char *soft_window_text;  /* as given: "30d" */
    char soft_limit_text[16];
    struct change_ctx cc[FB_ACTING_KINDS];
};

/* fb_part_text - the decoded content of a leaf part, NUL-terminated; g_free it */
static char *fb_part_text(GMimeObject *obj)
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
    text = g_strndup((const char *) bytes->data, bytes->len);
    g_object_unref(mem);
    return text;
}

/* fb_headers_message - a header block (text/rfc822-headers) parsed as a message without body */
static GMimeMessage *fb_headers_message(GMimeObject *obj)
{
    char *text = fb_part_text(obj);
    GString *all = g_string_new(text);
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *msg;

    g_string_append(all, "\n\n");
    stream = g_mime_stream_mem_new_with_buffer(all->str, all->len);
    parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    g_string_free(all, TRUE);
    g_free(text);
    return msg;
}

/* fb_returned_read - token, List-Id, Message-ID and recipient of the returned message */
static void fb_returned_read(const struct fb_run *run, const struct token_keys *keys,
                             GMimeObject *headers, struct fb_returned *ret)
{
    char shown[sizeof(ret->msgid) + sizeof(TEXT_CUT_MARK)];
    const char *v;

    if ((v = g_mime_object_get_header(headers, "List-Unsubscribe")) != NULL)
        unsub_value_token(keys, v, run->url_bases, run->n_bases, &ret->tok);
    if ((v = g_mime_object_get_header(headers, "List-Id")) != NULL
        && list_id_extract(v, ret->list_id) != 0)
        ret->list_id[0] = '\0';
    if ((v = g_mime_object_get_header(headers, "Message-ID")) != NULL) {
        /* cut to the buffer without the cut mark: the fingerprint reads it */
        text_escape(v, strlen(v), sizeof(ret->msgid) - 1, PIPE_SHOWN, shown, sizeof(shown));
        shown[sizeof(ret->msgid) - 1] = '\0';
        memcpy(ret->msgid, shown, sizeof(ret->msgid));
    }
    if ((v = g_mime_object_get_header(headers, "X-HmXmrOriginalRecipient")) != NULL
        && addr_normalize(v, strlen(v), run->ctl->addr_flags, ret->rcpt) != ADDR_OK)
        ret->rcpt[0] = '\0';
}

/* fb_is - does the part have this MIME type? */
static int fb_is(GMimeObject *obj, const char *type, const char *subtype)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);

    return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

/* fb_find_report - the first multipart/report, depth first, not inside attached messages */
static GMimeMultipart *fb_find_report(GMimeObject *obj)
{
    GMimeMultipart *mp, *found;

    if (!GMIME_IS_MULTIPART(obj))
        return NULL;
    mp = GMIME_MULTIPART(obj);
    if (fb_is(obj, "multipart", "report"))
        return mp;
    for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
        if ((found = fb_find_report(g_mime_multipart_get_part(mp, i))) != NULL)
            return found;
    return NULL;
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

/* fb_address_field - "rfc822; user@example" (or utf-8;) normalized; 1 when usable */
static int fb_address_field(const struct optinctl *ctl, const char *block, const char *name,
                            char out[ADDR_BUFSZ])
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
        a = semi + 1;
    }
    return addr_normalize(a, strlen(a), ctl->addr_flags, out) == ADDR_OK;
}

/* fb_add - one more action (cleared), or NULL when the report names too many recipients */
static struct fb_act *fb_add(struct fb_run *run, enum fb_kind what, const char *addr,
                             const char *list)
{
    struct fb_act *a;

    if (run->n == FB_ACTS_MAX)
        return NULL;
    a = &run->acts[run->n++];
    memset(a, 0, sizeof(*a));
    a->what = what;
    a->list = list;
    snprintf(a->addr, sizeof(a->addr), "%s", addr);
    return a;
}

/* fb_crlf_to_lf - a copy of a report text with CR removed; g_free it */
static char *fb_crlf_to_lf(const char *text)
{
    char *copy = g_strdup(text), *w, *r;

    for (w = r = copy; *r; r++)
        if (*r != '\r')
            *w++ = *r;
    *w = '\0';
    return copy;
}

/* fb_dsn_block - one recipient block as an action; 1 done or skipped, 0 ignored, -1 no room */
static int fb_dsn_block(struct fb_run *run, const char *block, const char *action,
                        const struct fb_returned *ret, const char *list, const char *report_msgid)
{
    char status[64], diag[FB_FIELD_MAX], addr[ADDR_BUFSZ], shown[PIPE_DETAIL_MAX];
    struct fb_status st;
    enum fb_kind what;
    struct fb_act *a;
    int failed;

    if (!fb_field(block, "Status", status, sizeof(status)))
        status[0] = '\0';
    if (!fb_field(block, "Diagnostic-Code", diag, sizeof(diag)))
        diag[0] = '\0';
    if ((what = fb_bounce_kind(action, status, diag, &ret->tok, &st)) == FB_IGNORED)
        return 0;
    if (!fb_address_field(run->ctl, block, "Original-Recipient", addr)
        && !fb_address_field(run->ctl, block, "Final-Recipient", addr)) {
        log_warn("feedback: a recipient block without a usable address: skipped");
        return 1;
    }
    if ((a = fb_add(run, what, addr, list)) == NULL)
        return -1;
    failed = strcasecmp(action, "failed") == 0;
    snprintf(a->detail, sizeof(a->detail), "%d.%d.%d %s%s%s", st.cls, st.subj, st.detail,
             failed ? "" : action, failed ? "" : " ",
             text_escape(diag, strlen(diag), 0, PIPE_SHOWN, shown, sizeof(shown)));
    g_strchomp(a->detail);
    a->fingerprint = fb_fingerprint(ret->msgid, report_msgid);
    return 1;
}

/* fb_dsn - the recipient blocks of a message/delivery-status part as actions; ignored counted */
static int fb_dsn(struct fb_run *run, const char *text, const struct fb_returned *ret,
                  const char *report_msgid, unsigned *ignored)
{
    char *copy = fb_crlf_to_lf(text), *block, *next, action[64];
    const char *list = fb_report_list(run->ctl->cfg, &ret->tok, ret->list_id), *addr;
    size_t first = run->n;
    int rc = 0, done;

    /* blocks are separated by empty lines; the first, without Action, is about the message */
    for (block = copy; block != NULL && *block; block = next) {
        if ((next = strstr(block, "\n\n")) != NULL) {
            *next = '\0';
            next += 2;
        }
        while (*block == '\n')
            block++;
        if (*block == '\0' || !fb_field(block, "Action", action, sizeof(action)))
            continue;   /* the per-message fields, or an empty block */
        if ((done = fb_dsn_block(run, block, action, ret, list, report_msgid)) < 0) {
            rc = -1;
            break;
        }
        *ignored += done == 0;
    }
    /* one recipient and a token naming the address we sent to: the token wins (forwarding) */
    if (rc == 0 && (addr = fb_dsn_address(run->n - first, &ret->tok)) != NULL)
        snprintf(run->acts[first].addr, sizeof(run->acts[first].addr), "%s", addr);
    g_free(copy);
    return rc;
}

/* fb_arf - the complaint of a message/feedback-report part as an action; 0 done, 1 not abuse */
static int fb_arf(struct fb_run *run, const char *text, const struct fb_returned *ret,
                  enum fb_scope scope, char *why, size_t whysz)
{
    char type[64] = "", rcpt_to[ADDR_BUFSZ] = "", *copy = fb_crlf_to_lf(text);
    const char *list, *addr;
    struct fb_act *a;

    fb_field(copy, "Feedback-Type", type, sizeof(type));
    if (fb_complaint(type, scope, fb_report_list(run->ctl->cfg, &ret->tok, ret->list_id),
                     &list) != FB_COMPLAINT) {
        snprintf(why, whysz, "Feedback-Type %s is not a complaint", *type ? type : "missing");
        g_free(copy);
        return 1;
    }
    if (!fb_verified(&ret->tok))
        fb_address_field(run->ctl, copy, "Original-Rcpt-To", rcpt_to);
    g_free(copy);
    if (*(addr = fb_complaint_address(&ret->tok, rcpt_to, ret->rcpt)) == '\0') {
        snprintf(why, whysz, "no recipient: no token, no Original-Rcpt-To (redacted report?)");
        return 1;
    }
    if ((a = fb_add(run, FB_COMPLAINT, addr, list)) == NULL)
        return -1;
    snprintf(a->detail, sizeof(a->detail), "feedback-type=abuse%s%.160s",
             ret->msgid[0] ? " message-id=" : "", ret->msgid);
    return 0;
}

/* fb_soft - count one soft bounce; at the limit within the window, suppress it as a bounce */
static int fb_soft(struct store_txn *txn, const struct fb_run *run, struct fb_act *a,
                   const struct change_ctx *cc)
{
    struct feedback_note note = {0};
    char detail[PIPE_DETAIL_MAX];
    int rc;

    if ((rc = consent_softbounce_add(txn, a->addr, a->fingerprint, cc->now,
                                     run->soft_window, &a->soft_count)) != 0
        || !fb_soft_suppresses(a->soft_count, run->soft_limit))
        return rc;
    snprintf(detail, sizeof(detail), "%u soft bounces within %s, the last %s",
             a->soft_count, run->soft_window_text, a->detail);
    note.detail = detail;
    a->soft_suppressed = 1;
    if ((rc = consent_feedback_suppress(txn, a->addr, fb_kind_rule(FB_SOFT)->reason, &note, cc,
                                        &a->outcome)) == 0)
        rc = consent_softbounce_clear(txn, a->addr);
    return rc;
}

/* fb_apply - write callback: every action (re-runnable: the results are set afresh) */
static int fb_apply(struct store_txn *txn, void *arg)
{
    struct fb_run *run = arg;
    struct feedback_note note = {0};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < run->n; i++) {
        struct fb_act *a = &run->acts[i];
        const struct change_ctx *cc = &run->cc[a->what];
        enum suppress_reason reason = fb_kind_rule(a->what)->reason;

        note.detail = a->detail;
        a->soft_suppressed = 0;
        if (a->what == FB_HARD)
            rc = consent_feedback_suppress(txn, a->addr, reason, &note, cc, &a->outcome);
        else if (a->what == FB_COMPLAINT)
            rc = consent_feedback_unsubscribe(txn, a->list, a->addr, reason, &note, cc,
                                              &a->outcome);
        else
            rc = fb_soft(txn, run, a, cc);
    }
    return rc;
}

/* fb_report_log - one line per action taken */
static void fb_report_log(const struct fb_run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        const struct fb_act *a = &run->acts[i];

        if (a->what == FB_SOFT)
            log_info("feedback: soft bounce %s (%s): %u within %s%s%s%s",
                     a->addr, a->detail, a->soft_count, run->soft_window_text,
                     a->soft_suppressed ? ": suppressed (" : ", suppressed at ",
                     a->soft_suppressed ? feedback_outcome_name(a->outcome) : run->soft_limit_text,
                     a->soft_suppressed ? ")" : "");
        else
            log_info("feedback: %s %s%s%s (%s): %s (%s)", fb_kind_rule(a->what)->name,
                     a->addr, a->what == FB_COMPLAINT ? " list=" : "",
                     a->what == FB_COMPLAINT ? (a->list ? a->list : "*") : "", a->detail,
                     a->what == FB_COMPLAINT ? "unsubscribed" : "suppressed",
                     feedback_outcome_name(a->outcome));
    }
}

/* fb_usage - synopsis and option legend of feedback */
static int fb_usage(int asked)
{
    fputs("usage: optinctl [global options] feedback [--complaint-scope list|all]\n"
          "                [--soft-limit N] [--soft-window DURATION] < MESSAGE\n"
          "  --complaint-scope list|all  a complaint unsubscribes from its list (default)\n"
          "                              or from every list, with a complaint suppression\n"
          "  --soft-limit N              soft bounces that suppress an address (default 5)\n"
          "  --soft-window DURATION      ... when within this time (default 30d)\n"
          "MESSAGE is a DSN (RFC 3464) or an ARF complaint (RFC 5965).\n",
          asked ? stdout : stderr);
    return asked ? EX_OK : EX_USAGE;
}

/* fb_options - options of feedback; -1 to go on, else an exit status */
static int fb_options(struct optinctl *ctl, int argc, char **argv, struct fb_run *run,
                      enum fb_scope *scope)
{
    enum { OPT_SCOPE = 256, OPT_LIMIT, OPT_WINDOW };
    static const struct option opts[] = {
        {"complaint-scope", required_argument, NULL, OPT_SCOPE},
        {"soft-limit", required_argument, NULL, OPT_LIMIT},
        {"soft-window", required_argument, NULL, OPT_WINDOW},
        {"help", no_argument, NULL, 'h'}, {0}};
    char *end;
    long n;
    int c, s;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == OPT_SCOPE && (s = fb_scope_parse(optarg)) >= 0) {
            *scope = (enum fb_scope) s;
        } else if (c == OPT_LIMIT && fb_soft_limit_valid(n = strtol(optarg, &end, 10))
                   && *end == '\0') {
            run->soft_limit = (unsigned) n;
        } else if (c == OPT_WINDOW && duration_parse(optarg, &run->soft_window) == 0
                   && fb_soft_window_valid(run->soft_window)) {
            run->soft_window_text = optarg;
        } else {
            if (c == OPT_SCOPE || c == OPT_LIMIT || c == OPT_WINDOW)
                ctl_error(ctl, "feedback: --%s %s: expected %s", opts[c - OPT_SCOPE].name, optarg,
                          c == OPT_SCOPE ? "list or all" : c == OPT_LIMIT
                          ? "a number from 1 to 64" : "a duration like 30d");
            return fb_usage(c == 'h');
        }
    }
    return optind == argc ? -1 : fb_usage(0);
}

/* fb_report_parts - read the parts of a multipart/report into ret and the two report texts */
static void fb_report_parts(const struct fb_run *run, const struct token_keys *keys,
                            GMimeMultipart *report, struct fb_returned *ret, char **dsn, char **arf)
{
    for (int i = 0; i < g_mime_multipart_get_count(report); i++) {
        GMimeObject *part = g_mime_multipart_get_part(report, i);
        GMimeMessage *headers = NULL;

        if (*dsn == NULL && (fb_is(part, "message", "delivery-status")
                             || fb_is(part, "message", "global-delivery-status")))
            *dsn = fb_part_text(part);
        else if (*arf == NULL && fb_is(part, "message", "feedback-report"))
            *arf = fb_part_text(part);
        else if (GMIME_IS_MESSAGE_PART(part)
                 && (headers = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part))) != NULL)
            fb_returned_read(run, keys, GMIME_OBJECT(headers), ret);
        else if ((fb_is(part, "text", "rfc822-headers") || fb_is(part, "message", "global-headers"))
                 && (headers = fb_headers_message(part)) != NULL) {
            fb_returned_read(run, keys, GMIME_OBJECT(headers), ret);
            g_object_unref(headers);
        }
    }
}

/* fb_plain_bounce - a bounce that is no report but names X-Failed-Recipients (old Exim) */
static int fb_plain_bounce(struct fb_run *run, GMimeMessage *msg, const char *list)
{
    const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), "X-Failed-Recipients");
    char **addrs, norm[ADDR_BUFSZ];
    struct fb_act *a;

    if (v == NULL)
        return 0;
    addrs = g_strsplit(v, ",", 0);
    for (char **p = addrs; *p; p++)
        if (addr_normalize(*p, strlen(*p), run->ctl->addr_flags, norm) == ADDR_OK
            && (a = fb_add(run, FB_PLAIN_BOUNCE, norm, list)) != NULL)
            snprintf(a->detail, sizeof(a->detail), "5.0.0 X-Failed-Recipients, no delivery-status");
    g_strfreev(addrs);
    return run->n > 0;
}

/* fb_run_new - a run with the default soft-bounce rule and the configured URL bases; NULL */
static struct fb_run *fb_run_new(struct optinctl *ctl)
{
    const struct optin_config *cfg = ctl->cfg;
    struct fb_run *run = calloc(1, sizeof(*run));

    if (run == NULL || (run->url_bases = calloc(cfg->list_count + 1, sizeof(char *))) == NULL) {
        free(run);
        return NULL;
    }
    run->ctl = ctl;
    run->url_bases[0] = cfg->unsubscribe_url;
    for (size_t i = 0; i < cfg->list_count; i++)
        run->url_bases[i + 1] = cfg->lists[i].unsubscribe_url;
    run->n_bases = cfg->list_count + 1;
    run->soft_limit = FB_SOFT_LIMIT;
    run->soft_window = FB_SOFT_WINDOW;
    run->soft_window_text = FB_SOFT_WINDOW_TEXT;
    for (int i = 0; i < FB_ACTING_KINDS; i++)
        run->cc[i] = (struct change_ctx) {.now = ctl->now, .actor = "optinctl-feedback",
                                          .source = fb_kind_rule((enum fb_kind) i)->source};
    return run;
}

/* fb_read_report - the report's parts, then its actions into run; an exit status */
static int fb_read_report(struct fb_run *run, GMimeMessage *msg, const struct token_keys *keys,
                          enum fb_scope scope)
{
    struct fb_returned ret = {.tok = UNSUB_FOUND_NONE};
    const char *msgid = g_mime_message_get_message_id(msg);
    GMimeMultipart *report;
    char *dsn = NULL, *arf = NULL, why[256] = "";
    unsigned ignored = 0;
    int rc = EX_OK;

    if ((report = fb_find_report(g_mime_message_get_mime_part(msg))) != NULL)
        fb_report_parts(run, keys, report, &ret, &dsn, &arf);
    if (dsn != NULL) {
        if (fb_dsn(run, dsn, &ret, msgid, &ignored) != 0)
            log_warn("feedback: over %d recipients: the rest left", FB_ACTS_MAX);
        if (run->n == 0 && ignored == 0) {
            log_warn("feedback: the delivery-status part names no recipient");
            rc = EX_DATAERR;
        }
    } else if (arf != NULL) {
        if (fb_arf(run, arf, &ret, scope, why, sizeof(why)) > 0)
            log_warn("feedback: report ignored: %s", why);
    } else if (!fb_plain_bounce(run, msg, fb_report_list(run->ctl->cfg, &ret.tok, ret.list_id))) {
        log_warn("feedback: not a delivery status notification (RFC 3464) "
                 "or a feedback report (RFC 5965)");
        rc = EX_DATAERR;
    }
    if (rc == EX_OK && run->n == 0 && ignored > 0)
        log_info("feedback: ignored: %u recipient(s) delivered, relayed or expanded", ignored);
    g_free(dsn);
    g_free(arf);
    return rc;
}

/* cmd_feedback - optinctl feedback: a DSN or an ARF report on standard input */
int cmd_feedback(struct optinctl *ctl, int argc, char **argv)
{
    struct fb_run *run = fb_run_new(ctl);
    enum fb_scope scope = FB_SCOPE_LIST;
    struct token_keys *keys = NULL;
    GMimeMessage *msg = NULL;
    int rc;

    if (run == NULL)
        return EX_TEMPFAIL;
    if ((rc = fb_options(ctl, argc, argv, run, &scope)) != -1)
        goto done;
    snprintf(run->soft_limit_text, sizeof(run->soft_limit_text), "%u", run->soft_limit);
    pipe_log_open(ctl);
    if ((msg = pipe_read_message("feedback", &rc)) == NULL
        || (keys = pipe_keys(ctl, "feedback", &rc)) == NULL)
        goto done;
    if ((rc = fb_read_report(run, msg, keys, scope)) == EX_OK && run->n > 0
        && (rc = pipe_store_write(ctl, "feedback", fb_apply, run)) == EX_OK)
        fb_report_log(run);
done:
    token_keys_free(keys);
    if (msg != NULL)
        g_object_unref(msg);
    free(run->url_bases);
    free(run);
    return rc;
}
