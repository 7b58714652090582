/*
 * NAME
 *	optinctl_feedback 1
 * SUMMARY
 *	optinctl mailto and feedback: unsubscribe mail, bounces and complaints
 * SYNOPSIS
 *	#include "optinctl.h"
 *
 *	int	cmd_mailto(struct optinctl *ctl, int argc, char **argv);
 *	int	cmd_feedback(struct optinctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	Both read one message on standard input, as a Postfix pipe(8)
 *	transport hands it over, and parse it with GMime.
 *
 *	cmd_mailto() implements "optinctl mailto [-r RECIPIENT]": the mail a
 *	recipient sends to the mailto: URI of List-Unsubscribe. The token is
 *	taken from the recipient's address extension (unsubscribe+TOKEN@...)
 *	when it opens, else from the Subject, which the URI sets to
 *	"unsubscribe TOKEN" (a "Re:", other case, extra blanks and a literal
 *	"%20" are tolerated). The token names the list and the address; a
 *	list-level token (sent when one message went to several recipients)
 *	names no address, and then the From address is unsubscribed. The
 *	address is unsubscribed from that list with consent_feedback_unsubscribe()
 *	(source "mailto", actor "optinctl-mailto").
 *
 *	cmd_feedback() implements "optinctl feedback": a delivery status
 *	notification (RFC 3464, multipart/report; report-type=delivery-status)
 *	or a complaint (ARF, RFC 5965, report-type=feedback-report). The
 *	recipient and list come from our token in the List-Unsubscribe of the
 *	returned message or headers, else from the report (Original-Recipient,
 *	Final-Recipient; Original-Rcpt-To) and the returned List-Id mapped by
 *	the configuration's match.list_id. fb_classify() says what a
 *	recipient's Action and Status mean: a hard bounce is suppressed
 *	(SUPPRESS_BOUNCE, source "bounce"); a soft bounce is counted
 *	(consent_softbounce_add) and suppressed as a bounce after
 *	--soft-limit within --soft-window; an abuse complaint unsubscribes
 *	from the list, or from every list with a complaint suppression under
 *	--complaint-scope all or when the list is not known (source
 *	"complaint"). A report applied twice changes nothing the second time:
 *	suppressions and unsubscriptions are not written again, and soft
 *	bounces about the same returned Message-ID count once.
 * DIAGNOSTICS
 *	One line per action on stderr ("optinctl: mailto: ..." or "optinctl:
 *	feedback: ..."), also to syslog when the configuration logs there.
 *	Exit status for Postfix (sysexits): 0 done (also: nothing to do, as
 *	for a success DSN); 65 (EX_DATAERR, Postfix bounces the message with
 *	the stderr text) when there is no valid token (mailto) or the message
 *	is not a report (feedback); 75 (EX_TEMPFAIL, Postfix retries) when
 *	the store or the key file cannot be used; 64 for bad options.
 * BUGS
 *	Only the first multipart/report of a message is read. A DSN with
 *	several recipient blocks and a per-recipient token acts on each
 *	block's own address.
 * SEE ALSO
 *	optinctl(1), consent(3), token(3), RFC 3464, RFC 3463, RFC 5965, RFC 8058
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mail/addr.h"
#include "enforce/classify.h"
#include "consent/consent.h"
#include "optinctl.h"
#include "util/timeutil.h"
#include "unsubscribe/token.h"

#define FB_INPUT_MAX (256u << 20)  /* a larger message is not ours to read */
#define FB_DETAIL_MAX 200          /* characters of a status and diagnostic kept in the history */
#define FB_FIELD_MAX 1024          /* one report field */
#define FB_ACTS_MAX 64             /* recipients acted on per report */

/* A token opened: the list and (empty for a list-level token) the address. */
struct fb_token {
    int rc;                        /* TOKEN_OK, TOKEN_E*, or -1: none seen */
    char list[TOKEN_LIST_BUFSZ];
    char addr[ADDR_BUFSZ];
};

/* What the returned message (message/rfc822 or text/rfc822-headers) tells. */
struct fb_returned {
    struct fb_token tok;
    char list_id[LIST_ID_HEADER_BUFSZ];   /* "" when none */
    char msgid[256];               /* "" when none */
    char rcpt[ADDR_BUFSZ];         /* X-HmXmrOriginalRecipient, "" when none */
};

enum fb_what { ACT_HARD, ACT_SOFT, ACT_COMPLAINT };

/* One thing to do to the store, and what came of it. */
struct fb_act {
    enum fb_what what;
    char addr[ADDR_BUFSZ];
    const char *list;              /* a configured list id (or the token's); NULL: every list */
    char detail[FB_DETAIL_MAX];
    uint64_t fingerprint;          /* soft bounces: the returned message */
    enum feedback_outcome outcome;
    unsigned soft_count;
    int soft_suppressed;
};

/* Everything one run applies in one write transaction. */
struct fb_run {
    struct optinctl *ctl;
    struct fb_act acts[FB_ACTS_MAX];
    size_t n;
    unsigned soft_limit;
    int64_t soft_window;
    const char *soft_window_text;  /* as given: "30d" */
    char soft_limit_text[16];
    struct change_ctx cc[3];       /* by enum fb_what: bounce, bounce, complaint */
};

static const char *const fb_what_names[] = {
    [ACT_HARD] = "hard bounce", [ACT_SOFT] = "soft bounce", [ACT_COMPLAINT] = "complaint",
};

/* fb_log - one line on stderr, and to syslog when the configuration logs there */
static void __attribute__((format(printf, 3, 4)))
fb_log(const struct optinctl *ctl, int prio, const char *fmt, ...)
{
    static const struct {
        const char *name;
        int facility;
    } facilities[] = {
        {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0},
        {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
        {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
        {"local7", LOG_LOCAL7},
    };
    const char *target = ctl->cfg->log_target, *fac = ctl->cfg->syslog_facility;
    static int opened;
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ctl_error(ctl, "%s", line);
    if (target == NULL || strcmp(target, "syslog") != 0)
        return;
    if (!opened) {
        int facility = LOG_MAIL;

        for (size_t i = 0; fac && i < sizeof(facilities) / sizeof(facilities[0]); i++)
            if (strcmp(fac, facilities[i].name) == 0)
                facility = facilities[i].facility;
        openlog(ctl->progname, LOG_PID, facility);
        opened = 1;
    }
    syslog(prio, "%s", line);
}

/* fb_printable - a value fit for a log line or the history: printable ASCII, cut to fit */
static const char *fb_printable(const char *raw, char *out, size_t outsz)
{
    size_t o = 0;
    int blank = 0;

    for (; *raw && o + 1 < outsz; raw++) {
        unsigned char c = (unsigned char) *raw;

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            blank = o > 0;
            continue;
        }
        if (blank && o + 2 < outsz)
            out[o++] = ' ';
        blank = 0;
        out[o++] = c < 0x20 || c >= 0x7f ? '?' : (char) c;
    }
    out[o] = '\0';
    return out;
}

/* fb_read_message - the message on standard input, parsed; NULL and *rc on failure */
static GMimeMessage *fb_read_message(const struct optinctl *ctl, const char *what, int *rc)
{
    GByteArray *buf = g_byte_array_new();
    GMimeMessage *msg = NULL;
    GMimeParser *parser;
    GMimeStream *stream;
    unsigned char chunk[65536];
    ssize_t n;

    while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || buf->len + (size_t) n > FB_INPUT_MAX) {
            fb_log(ctl, LOG_ERR, "%s: standard input: %s", what,
                   n < 0 ? strerror(errno) : "message over 256 MiB");
            *rc = n < 0 ? EX_TEMPFAIL : EX_DATAERR;
            g_byte_array_unref(buf);
            return NULL;
        }
        g_byte_array_append(buf, chunk, (guint) n);
    }
    stream = g_mime_stream_mem_new_with_byte_array(buf);   /* takes buf */
    parser = g_mime_parser_new_with_stream(stream);
    if (buf->len > 0)
        msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    if (msg == NULL || g_mime_message_get_mime_part(msg) == NULL) {
        fb_log(ctl, LOG_WARNING, "%s: standard input is not a mail message", what);
        *rc = EX_DATAERR;
        if (msg != NULL)
            g_object_unref(msg);
        return NULL;
    }
    return msg;
}

/* fb_keys - the token keys, or NULL with *rc = EX_TEMPFAIL (missing or unusable key file) */
static struct token_keys *fb_keys(const struct optinctl *ctl, const char *what, int *rc)
{
    const char *path = ctl->cfg->keys != NULL ? ctl->cfg->keys : OPTIN_DEFAULT_KEYS;
    struct token_keys *keys = NULL;
    char err[512];
    int krc;

    *rc = 0;
    if ((krc = token_keys_load(path, &keys, err, sizeof(err))) == TOKEN_OK)
        return keys;
    fb_log(ctl, LOG_ERR, "%s: token keys: %s", what, err);
    *rc = EX_TEMPFAIL;      /* without keys no token can be read: keep the mail and retry */
    return NULL;
}

/* fb_b64url - a character of a base64url token */
static int fb_b64url(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_';
}

/* fb_token_try - open one candidate; keep the most telling failure in tok->rc */
static int fb_token_try(const struct token_keys *keys, const char *s, size_t len,
                        struct fb_token *tok)
{
    char list[TOKEN_LIST_BUFSZ], addr[ADDR_BUFSZ];
    int rc;

    if (keys == NULL || len == 0)
        return -1;
    rc = len < TOKEN_BUFSZ ? token_open(keys, s, len, list, addr) : TOKEN_EMALFORMED;
    if (rc == TOKEN_OK) {
        memcpy(tok->list, list, sizeof(list));
        memcpy(tok->addr, addr, sizeof(addr));
    }
    if (tok->rc != TOKEN_OK && (tok->rc < 0 || rc == TOKEN_OK || rc != TOKEN_EMALFORMED))
        tok->rc = rc;
    return rc;
}

/* fb_text_token - "unsubscribe TOKEN" anywhere in text: any case, blanks, ':' or "%20" between */
static int fb_text_token(const struct token_keys *keys, const char *text, struct fb_token *tok)
{
    const char *p = text, *q, *start;

    while (p != NULL && (p = strcasestr(p, "unsubscribe")) != NULL) {
        for (q = p += 11; *q == ' ' || *q == '\t' || *q == ':' || *q == '\r' || *q == '\n'
             || strncmp(q, "%20", 3) == 0; q += strncmp(q, "%20", 3) == 0 ? 3 : 1)
            ;
        for (start = q; fb_b64url((unsigned char) *q); q++)
            ;
        if (q > start && fb_token_try(keys, start, (size_t) (q - start), tok) == TOKEN_OK)
            return TOKEN_OK;
    }
    return tok->rc;
}

/* fb_pct_decode - %XX of a URI component (a '+' stays) */
static void fb_pct_decode(const char *s, size_t len, char *out, size_t outsz)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 1 < outsz; i++) {
        unsigned hi, lo;

        if (s[i] == '%' && i + 2 < len && sscanf(s + i + 1, "%1x%1x", &hi, &lo) == 2) {
            out[o++] = (char) (hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
}

/* fb_uri_token - the token of one List-Unsubscribe URI (mailto subject, or the end of the URL) */
static void fb_uri_token(const struct optinctl *ctl, const struct token_keys *keys, const char *uri,
                         size_t len, struct fb_token *tok)
{
    char decoded[1024];
    const char *p;
    size_t i;

    if (len > 7 && strncasecmp(uri, "mailto:", 7) == 0) {
        for (p = uri; p < uri + len && (p = strpbrk(p, "?&")) != NULL && p < uri + len; p++)
            if (strncasecmp(p + 1, "subject=", 8) == 0) {
                fb_pct_decode(p + 9, (size_t) (uri + len - p - 9), decoded, sizeof(decoded));
                fb_text_token(keys, decoded, tok);
                return;
            }
        return;
    }
    /* the configured URLs, the token appended to them; else the trailing token characters */
    for (i = 0; i <= ctl->cfg->list_count; i++) {
        const char *base = i == 0 ? ctl->cfg->unsubscribe_url : ctl->cfg->lists[i - 1].unsubscribe_url;
        size_t blen = base ? strlen(base) : 0;

        if (blen > 0 && blen < len && strncmp(uri, base, blen) == 0
            && fb_token_try(keys, uri + blen, len - blen, tok) == TOKEN_OK)
            return;
    }
    for (i = len; i > 0 && fb_b64url((unsigned char) uri[i - 1]); i--)
        ;
    fb_token_try(keys, uri + i, len - i, tok);
}

/* fb_header_token - the token of a List-Unsubscribe value: each <URI> in turn */
static void fb_header_token(const struct optinctl *ctl, const struct token_keys *keys,
                            const char *value, struct fb_token *tok)
{
    const char *open, *close;

    for (; value != NULL && (open = strchr(value, '<')) != NULL; value = close + 1) {
        if ((close = strchr(open, '>')) == NULL)
            return;
        fb_uri_token(ctl, keys, open + 1, (size_t) (close - open - 1), tok);
        if (tok->rc == TOKEN_OK)
            return;
    }
}

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
static void fb_returned_read(const struct optinctl *ctl, const struct token_keys *keys,
                             GMimeObject *headers, struct fb_returned *ret)
{
    const char *v;

    if ((v = g_mime_object_get_header(headers, "List-Unsubscribe")) != NULL)
        fb_header_token(ctl, keys, v, &ret->tok);
    if ((v = g_mime_object_get_header(headers, "List-Id")) != NULL
        && list_id_extract(v, ret->list_id) != 0)
        ret->list_id[0] = '\0';
    if ((v = g_mime_object_get_header(headers, "Message-ID")) != NULL)
        fb_printable(v, ret->msgid, sizeof(ret->msgid));
    if ((v = g_mime_object_get_header(headers, "X-HmXmrOriginalRecipient")) != NULL
        && addr_normalize(v, strlen(v), ctl->addr_flags, ret->rcpt) != ADDR_OK)
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

/* A status code: class.subject.detail (RFC 3463). */
struct fb_status {
    int cls, subj, detail;
};

/* fb_status_at - a status code at s ("5.1.1", "4.2.2", "5.1.10"), not part of a longer number */
static int fb_status_at(const char *s, struct fb_status *st)
{
    int n = 0;

    if ((s[0] != '2' && s[0] != '4' && s[0] != '5')
        || sscanf(s, "%1d.%3d.%3d%n", &st->cls, &st->subj, &st->detail, &n) != 3)
        return 0;
    return s[n] != '.' && !(s[n] >= '0' && s[n] <= '9');
}

/* fb_status_find - the first status code of class cls in a text (a Diagnostic-Code) */
static int fb_status_find(const char *text, int cls, struct fb_status *st)
{
    for (const char *p = text; *p; p++) {
        int after_number = p > text && ((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.');

        if (*p == '0' + cls && !after_number && fb_status_at(p, st))
            return 1;
    }
    return 0;
}

/*
 * fb_classify - what one recipient block means. Hard (the address is bad): 5.0.0, 5.1.x but
 * 5.1.7 and 5.1.8 (our sender), 5.2.0, 5.2.1, 5.4.1 and 5.4.4. Every other failure, 4.x.x and
 * Action: delayed, is soft: mailbox full (5.2.2), too big, policy and spam blocks (5.7.x) say
 * nothing final about the address. delivered, relayed and expanded are ignored (-1).
 */
static int fb_classify(const char *action, const char *status, const char *diag,
                       struct fb_status *st)
{
    int known = fb_status_at(status, st);
    struct fb_status d;

    if (strcasecmp(action, "delayed") == 0) {
        if (!known)
            *st = (struct fb_status) {4, 0, 0};
        return ACT_SOFT;
    }
    if (strcasecmp(action, "failed") != 0)
        return -1;
    if (!known || (st->subj == 0 && st->detail == 0)) {   /* Exim: 5.0.0, the code in the diagnostic */
        if (fb_status_find(diag, known ? st->cls : 5, &d) || (!known && fb_status_find(diag, 4, &d)))
            *st = d;
        else if (!known)
            *st = (struct fb_status) {4, 0, 0};
    }
    if (st->cls != 5)
        return ACT_SOFT;
    if ((st->subj == 0 && st->detail == 0) || (st->subj == 1 && st->detail != 7 && st->detail != 8)
        || (st->subj == 2 && st->detail <= 1) || (st->subj == 4 && (st->detail == 1 || st->detail == 4)))
        return ACT_HARD;
    return ACT_SOFT;
}

/* fb_fingerprint - FNV-1a of a Message-ID: the same message's reports count once */
static uint64_t fb_fingerprint(const char *msgid)
{
    uint64_t h = 1469598103934665603ULL;

    if (msgid == NULL || *msgid == '\0')
        return 0;
    for (; *msgid; msgid++)
        h = (h ^ (unsigned char) *msgid) * 1099511628211ULL;
    return h ? h : 1;
}

/* fb_list_of - the list a report is about: the token's, else the returned List-Id's; NULL */
static const char *fb_list_of(const struct optinctl *ctl, const struct fb_returned *ret)
{
    const struct list_def *l;

    if (ret->tok.rc == TOKEN_OK)
        return (l = config_find_list(ctl->cfg, ret->tok.list)) != NULL ? l->id : ret->tok.list;
    if (ret->list_id[0] && (l = classify_list_id(ctl->cfg, ret->list_id)) != NULL)
        return l->id;
    return NULL;
}

/* fb_verified - does the returned message carry one of our tokens naming a recipient? */
static int fb_verified(const struct fb_returned *ret)
{
    return ret != NULL && ret->tok.rc == TOKEN_OK && ret->tok.addr[0] != '\0';
}

/* fb_add - one more action (cleared), or NULL when the report names too many recipients */
static struct fb_act *fb_add(struct fb_run *run, enum fb_what what, const char *addr,
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

/* fb_dsn - the recipient blocks of a message/delivery-status part as actions; ignored counted */
static int fb_dsn(struct fb_run *run, const char *text, const struct fb_returned *ret,
                  const char *report_msgid, unsigned *ignored)
{
    const struct optinctl *ctl = run->ctl;
    char *copy = g_strdup(text), *block, *next, *w;
    char action[64], status[64], diag[FB_FIELD_MAX], addr[ADDR_BUFSZ], shown[FB_DETAIL_MAX];
    const char *list = fb_list_of(ctl, ret);
    size_t first = run->n;
    struct fb_status st;
    struct fb_act *a;
    int what, rc = 0;

    for (w = block = copy; *block; block++)   /* CRLF to LF */
        if (*block != '\r')
            *w++ = *block;
    *w = '\0';
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
        if (!fb_field(block, "Status", status, sizeof(status)))
            status[0] = '\0';
        if (!fb_field(block, "Diagnostic-Code", diag, sizeof(diag)))
            diag[0] = '\0';
        if ((what = fb_classify(action, status, diag, &st)) < 0) {
            (*ignored)++;
            continue;
        }
        if (what == ACT_HARD && !fb_verified(ret))
            what = ACT_SOFT;    /* anyone can forge a report: a hard bounce needs our token */
        if (!fb_address_field(ctl, block, "Original-Recipient", addr)
            && !fb_address_field(ctl, block, "Final-Recipient", addr)) {
            fb_log(ctl, LOG_WARNING, "feedback: a recipient block without a usable address: skipped");
            continue;
        }
        if ((a = fb_add(run, what, addr, list)) == NULL) {
            rc = -1;
            break;
        }
        snprintf(a->detail, sizeof(a->detail), "%d.%d.%d %s%s%s", st.cls, st.subj, st.detail,
                 strcasecmp(action, "failed") ? action : "", strcasecmp(action, "failed") ? " " : "",
                 fb_printable(diag, shown, sizeof(shown)));
        g_strchomp(a->detail);
        a->fingerprint = fb_fingerprint(ret->msgid[0] ? ret->msgid : report_msgid);
    }
    /* one recipient and a token naming the address we sent to: the token wins (forwarding) */
    if (rc == 0 && run->n == first + 1 && ret->tok.rc == TOKEN_OK && ret->tok.addr[0])
        snprintf(run->acts[first].addr, sizeof(run->acts[first].addr), "%s", ret->tok.addr);
    g_free(copy);
    return rc;
}

/* fb_arf - the complaint of a message/feedback-report part as an action; 0 done, 1 not abuse */
static int fb_arf(struct fb_run *run, const char *text, const struct fb_returned *ret,
                  const char *scope, char *why, size_t whysz)
{
    const struct optinctl *ctl = run->ctl;
    char type[64] = "", addr[ADDR_BUFSZ] = "", *copy = g_strdup(text), *w, *r;
    const char *list = strcmp(scope, "all") == 0 ? NULL : fb_list_of(ctl, ret);
    struct fb_act *a;

    for (w = r = copy; *r; r++)
        if (*r != '\r')
            *w++ = *r;
    *w = '\0';
    if (!fb_field(copy, "Feedback-Type", type, sizeof(type)) || strcasecmp(type, "abuse") != 0) {
        snprintf(why, whysz, "Feedback-Type %s is not a complaint", *type ? type : "missing");
        g_free(copy);
        return 1;
    }
    if (ret->tok.rc == TOKEN_OK && ret->tok.addr[0])
        snprintf(addr, sizeof(addr), "%s", ret->tok.addr);
    else if (!fb_address_field(ctl, copy, "Original-Rcpt-To", addr) && ret->rcpt[0])
        snprintf(addr, sizeof(addr), "%s", ret->rcpt);
    g_free(copy);
    if (addr[0] == '\0') {
        snprintf(why, whysz, "no recipient: no token, no Original-Rcpt-To (redacted report?)");
        return 1;
    }
    if ((a = fb_add(run, ACT_COMPLAINT, addr, list)) == NULL)
        return -1;
    snprintf(a->detail, sizeof(a->detail), "feedback-type=abuse%s%.160s",
             ret->msgid[0] ? " message-id=" : "", ret->msgid);
    return 0;
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

        note.detail = a->detail;
        a->soft_suppressed = 0;
        if (a->what == ACT_HARD) {
            rc = consent_feedback_suppress(txn, a->addr, SUPPRESS_BOUNCE, &note, cc, &a->outcome);
        } else if (a->what == ACT_COMPLAINT) {
            rc = consent_feedback_unsubscribe(txn, a->list, a->addr, SUPPRESS_COMPLAINT, &note, cc,
                                              &a->outcome);
        } else if ((rc = consent_softbounce_add(txn, a->addr, a->fingerprint, cc->now,
                                                run->soft_window, &a->soft_count)) == 0
                   && a->soft_count >= run->soft_limit) {
            char detail[FB_DETAIL_MAX];

            snprintf(detail, sizeof(detail), "%u soft bounces within %s, the last %s",
                     a->soft_count, run->soft_window_text, a->detail);
            note.detail = detail;
            a->soft_suppressed = 1;
            if ((rc = consent_feedback_suppress(txn, a->addr, SUPPRESS_BOUNCE, &note, cc,
                                                &a->outcome)) == 0)
                rc = consent_softbounce_clear(txn, a->addr);
        }
    }
    return rc;
}

/* fb_store_write - open the store and apply; an exit status (store trouble: EX_TEMPFAIL) */
static int fb_store_write(struct optinctl *ctl, const char *what, store_write_fn fn, void *arg)
{
    int rc;

    if ((rc = ctl_open_store(ctl, 0, 0)) != EX_OK) {
        fb_log(ctl, LOG_ERR, "%s: consent store not usable: retry later", what);
        return EX_TEMPFAIL;
    }
    if ((rc = store_write(ctl->store, fn, arg)) != 0) {
        fb_log(ctl, LOG_ERR, "%s: store: %s: retry later", what,
               rc < 0 ? store_strerror(rc) : "a value the store refused");
        return EX_TEMPFAIL;
    }
    return EX_OK;
}

/* fb_report_log - one line per action taken */
static void fb_report_log(const struct fb_run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        const struct fb_act *a = &run->acts[i];

        if (a->what == ACT_SOFT)
            fb_log(run->ctl, LOG_INFO, "feedback: soft bounce %s (%s): %u within %s%s%s%s",
                   a->addr, a->detail, a->soft_count, run->soft_window_text,
                   a->soft_suppressed ? ": suppressed (" : ", suppressed at ",
                   a->soft_suppressed ? feedback_outcome_name(a->outcome) : run->soft_limit_text,
                   a->soft_suppressed ? ")" : "");
        else
            fb_log(run->ctl, LOG_INFO, "feedback: %s %s%s%s (%s): %s (%s)", fb_what_names[a->what],
                   a->addr, a->what == ACT_COMPLAINT ? " list=" : "",
                   a->what == ACT_COMPLAINT ? (a->list ? a->list : "*") : "", a->detail,
                   a->what == ACT_COMPLAINT ? "unsubscribed" : "suppressed",
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
                      const char **scope)
{
    enum { OPT_SCOPE = 256, OPT_LIMIT, OPT_WINDOW };
    static const struct option opts[] = {
        {"complaint-scope", required_argument, NULL, OPT_SCOPE},
        {"soft-limit", required_argument, NULL, OPT_LIMIT},
        {"soft-window", required_argument, NULL, OPT_WINDOW},
        {"help", no_argument, NULL, 'h'}, {0}};
    char *end;
    long n;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == OPT_SCOPE && (strcmp(optarg, "list") == 0 || strcmp(optarg, "all") == 0)) {
            *scope = optarg;
        } else if (c == OPT_LIMIT && (n = strtol(optarg, &end, 10)) >= 1 && n <= SOFTBOUNCE_KEEP
                   && *end == '\0') {
            run->soft_limit = (unsigned) n;
        } else if (c == OPT_WINDOW && duration_parse(optarg, &run->soft_window) == 0
                   && run->soft_window > 0) {
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
static void fb_report_parts(const struct optinctl *ctl, const struct token_keys *keys,
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
            fb_returned_read(ctl, keys, GMIME_OBJECT(headers), ret);
        else if ((fb_is(part, "text", "rfc822-headers") || fb_is(part, "message", "global-headers"))
                 && (headers = fb_headers_message(part)) != NULL) {
            fb_returned_read(ctl, keys, GMIME_OBJECT(headers), ret);
            g_object_unref(headers);
        }
    }
}

/* fb_plain_bounce - a bounce that is no report but names X-Failed-Recipients (old Exim): soft */
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
            && (a = fb_add(run, ACT_SOFT, norm, list)) != NULL)       /* no token: never hard */
            snprintf(a->detail, sizeof(a->detail), "5.0.0 X-Failed-Recipients, no delivery-status");
    g_strfreev(addrs);
    return run->n > 0;
}

/* cmd_feedback - optinctl feedback: a DSN or an ARF report on standard input */
int cmd_feedback(struct optinctl *ctl, int argc, char **argv)
{
    struct fb_run *run = calloc(1, sizeof(*run));
    struct fb_returned ret = {.tok.rc = -1};
    struct token_keys *keys = NULL;
    const char *scope = "list", *msgid;
    char *dsn = NULL, *arf = NULL, why[256] = "";
    GMimeMessage *msg = NULL;
    GMimeMultipart *report;
    unsigned ignored = 0;
    int rc;

    if (run == NULL)
        return EX_TEMPFAIL;
    run->ctl = ctl;
    run->soft_limit = 5;
    run->soft_window = 30 * 86400;
    run->soft_window_text = "30d";
    if ((rc = fb_options(ctl, argc, argv, run, &scope)) != -1)
        goto done;
    snprintf(run->soft_limit_text, sizeof(run->soft_limit_text), "%u", run->soft_limit);
    for (int i = 0; i < 3; i++)
        run->cc[i] = (struct change_ctx) {.now = ctl->now, .actor = "optinctl-feedback",
                                          .source = i == ACT_COMPLAINT ? "complaint" : "bounce"};
    g_mime_init();
    if ((msg = fb_read_message(ctl, "feedback", &rc)) == NULL
        || ((keys = fb_keys(ctl, "feedback", &rc)) == NULL && rc != 0))
        goto done;
    msgid = g_mime_message_get_message_id(msg);
    if ((report = fb_find_report(g_mime_message_get_mime_part(msg))) != NULL)
        fb_report_parts(ctl, keys, report, &ret, &dsn, &arf);
    rc = EX_OK;
    if (dsn != NULL) {
        if (fb_dsn(run, dsn, &ret, msgid, &ignored) != 0)
            fb_log(ctl, LOG_WARNING, "feedback: over %d recipients: the rest left", FB_ACTS_MAX);
        if (run->n == 0 && ignored == 0) {
            fb_log(ctl, LOG_WARNING, "feedback: the delivery-status part names no recipient");
            rc = EX_DATAERR;
        }
    } else if (arf != NULL) {
        if (fb_arf(run, arf, &ret, scope, why, sizeof(why)) > 0)
            fb_log(ctl, LOG_WARNING, "feedback: report ignored: %s", why);
    } else if (!fb_plain_bounce(run, msg, fb_list_of(ctl, &ret))) {
        fb_log(ctl, LOG_WARNING, "feedback: not a delivery status notification (RFC 3464) "
               "or a feedback report (RFC 5965)");
        rc = EX_DATAERR;
    }
    if (rc == EX_OK && run->n == 0 && ignored > 0)
        fb_log(ctl, LOG_INFO, "feedback: ignored: %u recipient(s) delivered, relayed or expanded",
               ignored);
    if (rc == EX_OK && run->n > 0 && (rc = fb_store_write(ctl, "feedback", fb_apply, run)) == EX_OK)
        fb_report_log(run);
done:
    g_free(dsn);
    g_free(arf);
    token_keys_free(keys);
    if (msg != NULL)
        g_object_unref(msg);
    free(run);
    return rc;
}

/* --- mailto --- */

struct mailto_args {
    const char *list;
    const char *addr;
    struct feedback_note note;
    struct change_ctx cc;
    enum feedback_outcome outcome;
};

/* mailto_txn - write callback of mailto */
static int mailto_txn(struct store_txn *txn, void *arg)
{
    struct mailto_args *a = arg;

    return consent_feedback_unsubscribe(txn, a->list, a->addr, SUPPRESS_GLOBAL_UNSUB, &a->note,
                                        &a->cc, &a->outcome);
}

/* mailto_extension_token - the token in the recipient's extension: unsubscribe+TOKEN@ (or -TOKEN@) */
static void mailto_extension_token(const struct token_keys *keys, const char *rcpt,
                                   struct fb_token *tok)
{
    const char *at = strrchr(rcpt, '@'), *delim;

    for (const char *d = "+-"; *d && tok->rc != TOKEN_OK; d++)
        if (at != NULL && (delim = strchr(rcpt, *d)) != NULL && delim < at)
            fb_token_try(keys, delim + 1, (size_t) (at - delim - 1), tok);
}

/* mailto_sender - the normalized From address, for a list-level token; 0 or -1 */
static int mailto_sender(const struct optinctl *ctl, GMimeMessage *msg, char out[ADDR_BUFSZ])
{
    InternetAddressList *from = g_mime_message_get_from(msg);
    InternetAddress *ia;
    const char *a;

    if (from == NULL || internet_address_list_length(from) != 1
        || !INTERNET_ADDRESS_IS_MAILBOX(ia = internet_address_list_get_address(from, 0))
        || (a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))) == NULL)
        return -1;
    return addr_normalize(a, strlen(a), ctl->addr_flags, out) == ADDR_OK ? 0 : -1;
}

/* mailto_token - the token of the message: the address extension, else the Subject; 65 on failure */
static int mailto_token(const struct optinctl *ctl, const struct token_keys *keys,
                        GMimeMessage *msg, const char *rcpt, struct fb_token *tok)
{
    const char *subject = g_mime_message_get_subject(msg);
    char shown[CTL_PRINTABLE_BUFSZ];

    if (rcpt != NULL)
        mailto_extension_token(keys, rcpt, tok);
    if (tok->rc != TOKEN_OK && subject != NULL)
        fb_text_token(keys, subject, tok);
    if (tok->rc == TOKEN_OK)
        return EX_OK;
    if (tok->rc < 0)
        fb_log(ctl, LOG_NOTICE, "mailto: no unsubscribe token in the recipient address or the "
               "Subject (expected \"unsubscribe TOKEN\"; Subject: %s)",
               ctl_printable(subject ? subject : "", shown));
    else
        fb_log(ctl, LOG_NOTICE, "mailto: the unsubscribe token is not valid: %s",
               tok->rc == TOKEN_EFORGED ? "it does not verify (altered, or not made here)"
               : token_strerror(tok->rc));
    return EX_DATAERR;
}

/* mailto_usage - synopsis of mailto */
static int mailto_usage(int asked)
{
    fputs("usage: optinctl [global options] mailto [-r RECIPIENT] < MESSAGE\n"
          "  -r, --recipient ADDRESS  the envelope recipient (Postfix pipe: ${recipient});\n"
          "                           a token in its extension (unsubscribe+TOKEN@) is used\n"
          "MESSAGE is the mail sent to the List-Unsubscribe mailto: address; without a token\n"
          "in the recipient, its Subject must be \"unsubscribe TOKEN\".\n",
          asked ? stdout : stderr);
    return asked ? EX_OK : EX_USAGE;
}

/* cmd_mailto - optinctl mailto: the unsubscribe mail of one recipient on standard input */
int cmd_mailto(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"recipient", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'}, {0}};
    struct mailto_args a = {.cc = {.now = ctl->now, .source = "mailto", .actor = "optinctl-mailto"}};
    struct fb_token tok = {.rc = -1};
    struct token_keys *keys = NULL;
    GMimeMessage *msg = NULL;
    const char *rcpt = NULL, *msgid;
    char from[ADDR_BUFSZ], detail[FB_DETAIL_MAX];
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hr:", opts, NULL)) != -1) {
        if (c != 'r')
            return mailto_usage(c == 'h');
        rcpt = optarg;
    }
    if (optind != argc)
        return mailto_usage(0);
    g_mime_init();
    if ((msg = fb_read_message(ctl, "mailto", &rc)) == NULL)
        goto done;
    if ((keys = fb_keys(ctl, "mailto", &rc)) == NULL) {
        rc = EX_TEMPFAIL;   /* without keys no token verifies: keep the mail until fixed */
        goto done;
    }
    if ((rc = mailto_token(ctl, keys, msg, rcpt, &tok)) != EX_OK)
        goto done;
    a.list = tok.list;
    a.addr = tok.addr;
    if (tok.addr[0] == '\0') {   /* a list-level token: the sender unsubscribes itself */
        if (mailto_sender(ctl, msg, from) != 0) {
            fb_log(ctl, LOG_NOTICE, "mailto: list-level token for %s and no usable From address",
                   tok.list);
            rc = EX_DATAERR;
            goto done;
        }
        a.addr = from;
    }
    msgid = g_mime_message_get_message_id(msg);
    snprintf(detail, sizeof(detail), "%s%s%s%s", tok.addr[0] ? "" : "list-level token: From; ",
             msgid ? "message-id <" : "", msgid ? msgid : "", msgid ? ">" : "");
    a.note.detail = fb_printable(detail, detail, sizeof(detail));
    if ((rc = fb_store_write(ctl, "mailto", mailto_txn, &a)) == EX_OK)
        fb_log(ctl, LOG_INFO, "mailto: unsubscribed %s from list %s (%s)", a.addr, a.list,
               feedback_outcome_name(a.outcome));
done:
    token_keys_free(keys);
    if (msg != NULL)
        g_object_unref(msg);
    return rc;
}
