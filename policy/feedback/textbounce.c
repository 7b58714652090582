/*
 * NAME
 *	textbounce 3
 * SUMMARY
 *	the failed recipients of a bounce written for people, with what it says of each
 * SYNOPSIS
 *	#include "feedback/textbounce.h"
 *
 *	const char *tb_family(const struct tb_input *in, int *strong)
 *	int	tb_scan(const struct tb_input *in, struct tb_result *out)
 *	size_t	tb_copy_start(const char *text)
 *	char	*tb_html_text(const char *html)
 * DESCRIPTION
 *	Many mail systems return mail without a delivery-status part: qmail
 *	and netqmail, Exim without DSN, Sendmail, Postfix with DSN turned off,
 *	Microsoft Exchange (5.5 to Office 365), Lotus/HCL Domino, OpenSMTPD,
 *	Courier, MDaemon, IMail, mail filters (Mimecast, Barracuda,
 *	Proofpoint, Cisco IronPort), and the mailbox providers' own MTAs
 *	(Gmail, Yahoo, AOL, GMX and Web.de, Mail.ru, Yandex, QQ, Naver, Orange,
 *	Free, T-Online, Comcast, iCloud). This module reads such a notice as
 *	text, without MIME: the caller gives the decoded text of the notice, its Subject
 *	and From, and the addresses that are not recipients (the report's
 *	From and To).
 *
 *	tb_family() names the writer from the table tb_families, first match
 *	wins: a signature in the text that no person writes (qmail's
 *	"qmail-send program", Exim's "mail delivery software", Sendmail's
 *	transcript, ...: strong), or a provider's domain in a From that is a
 *	mailer daemon or postmaster, or a filter's name beside such a From.
 *	Failing those, a From that is a mailer daemon or a Subject that says
 *	the mail was undeliverable is "generic" (weak: the caller asks first
 *	whether the message is an automatic reply).
 *
 *	tb_scan() cuts the notice where the returned message starts
 *	(tb_copy_start(): "--- Below this line is a copy of the message",
 *	"------ This is a copy of the message", "----- Original message
 *	-----", "Original message headers:", ... in several languages, or a
 *	Return-Path:, Received: or DKIM-Signature: line after an empty one), then
 *	reads it line by line: the first address of a line that is not
 *	skipped, not a mailer daemon's and not on a header line (From:,
 *	Return-Path:, Message-ID:, and the To:, Cc:, Subject:, Sent: a notice
 *	quotes of the returned message) opens a recipient; its whole line
 *	and the following lines, until another recipient is named, are its
 *	diagnostic (a recipient named again, as Exchange and Sendmail do,
 *	collects the whole line). An X.400 "SMTP=" before an address is not
 *	part of it. A notice that says delivery is only delayed and
 *	nothing is permanent sets delayed.
 *
 *	tb_html_text() makes text of an HTML-only notice.
 * DIAGNOSTICS
 *	None: tb_scan() returns -1 for a text it knows as no bounce; a notice
 *	with more than TB_RCPT_MAX recipients keeps the first ones.
 * BUGS
 *	Addresses with a non-ASCII local part are not recognised in the text.
 * SEE ALSO
 *	diagnose(3), optinctl(1)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* strndup */
#endif

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feedback/textbounce.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PHRASES(...) ((const char *const[]) {__VA_ARGS__, NULL})

/* Who wrote a notice. Phrases are lower case; a match is a case-blind substring. */
static const struct tb_writer {
    const char *name;
    const char *const *body;     /* a signature in the text */
    const char *const *from;     /* a domain or name in the From field */
    int daemon;                  /* only when From is a daemon or the Subject a bounce's */
} tb_families[] = {
    {.name = "mimecast", .body = PHRASES("mimecast"), .from = PHRASES("mimecast"), .daemon = 1},
    {.name = "barracuda", .body = PHRASES("barracuda"), .from = PHRASES("barracuda"),
     .daemon = 1},
    {.name = "proofpoint", .body = PHRASES("pphosted", "proofpoint"),
     .from = PHRASES("pphosted", "proofpoint"), .daemon = 1},
    {.name = "ironport", .body = PHRASES("was invalid and could not be delivered", "ironport"),
     .from = PHRASES("ironport"), .daemon = 1},
    {.name = "zimbra", .body = PHRASES("zimbra"), .from = PHRASES("zimbra"), .daemon = 1},
    {.name = "gmail", .body = PHRASES("** address not found **", "** message not delivered **",
                                      "the response from the remote server was"),
     .from = PHRASES("googlemail.com", "gmail.com", "google.com")},
    {.name = "yahoo", .body = PHRASES("sorry, we were unable to deliver your message"),
     .from = PHRASES("yahoo.")},
    {.name = "aol", .from = PHRASES("aol.com"), .daemon = 1},
    {.name = "gmx", .from = PHRASES("gmx.", "web.de"), .daemon = 1},
    {.name = "mailru", .from = PHRASES("mail.ru"), .daemon = 1},
    {.name = "yandex", .body = PHRASES("яндекс"), .from = PHRASES("yandex."), .daemon = 1},
    {.name = "qq", .from = PHRASES("qq.com", "foxmail"), .daemon = 1},
    {.name = "naver", .from = PHRASES("naver.com"), .daemon = 1},
    {.name = "orange", .from = PHRASES("orange.fr", "wanadoo.fr"), .daemon = 1},
    {.name = "free", .from = PHRASES("free.fr"), .daemon = 1},
    {.name = "t-online", .from = PHRASES("t-online."), .daemon = 1},
    {.name = "comcast", .from = PHRASES("comcast.net"), .daemon = 1},
    {.name = "icloud", .from = PHRASES("icloud.com", "me.com", "mac.com", "apple.com"),
     .daemon = 1},
    {.name = "exchange", .body = PHRASES("delivery has failed to these recipients",
                                         "did not reach the following recipient", "msexch:ims",
                                         "diagnostic information for administrators",
                                         "your message couldn't be delivered",
                                         "remote server returned")},
    {.name = "qmail", .body = PHRASES("this is the qmail-send program",
                                      "i'm afraid i wasn't able to deliver your message")},
    {.name = "opensmtpd", .body = PHRASES("this is the mailer-daemon, please do not reply",
                                          "an error has occurred while attempting to deliver")},
    {.name = "courier", .body = PHRASES("running the courier mail server")},
    {.name = "mdaemon", .body = PHRASES("mdaemon", "had permanent fatal delivery errors")},
    {.name = "domino", .body = PHRASES("domino directory", "was not delivered to:")},
    {.name = "exim", .body = PHRASES("this message was created automatically by mail delivery",
                                     "the following address(es) failed")},
    {.name = "sendmail", .body = PHRASES("----- transcript of session follows -----",
                                         "the following addresses had permanent fatal errors")},
    {.name = "postfix", .body = PHRASES("this is the mail system at host")},
    {.name = "imail", .body = PHRASES("invalid final delivery userid")},
};

/* A From that is a mail system's, and Subjects that say mail came back. */
static const char *const tb_daemon_from[] = {
    "mailer-daemon", "mailer_daemon", "postmaster", "mail delivery", "mail-daemon",
    "maildaemon", "delivery subsystem", "mail administrator", "mail system", NULL,
};
static const char *const tb_bounce_subject[] = {
    "undeliver", "undelivered", "delivery status notification", "returned mail",
    "delivery failure", "failure notice", "mail delivery failed", "could not be delivered",
    "delivery failed", "non remis", "unzustellbar", "nicht zustellbar", "no entregado",
    "non recapitato", "non-delivery", "nondeliverable", "未送达", "退信", "전송 실패",
    "не доставлено", "недоставленное", "returned to sender", NULL,
};

/* Where the returned message starts (a line holding one of these). */
static const char *const tb_cut_marks[] = {
    "below this line is a copy of the message", "is a copy of the message",
    "content-type: message/rfc822", "content-type: text/rfc822-headers",
    "original message follows", "----- original message", "original message headers",
    "copy of the original message", "unsent message follows", "returned mail follows",
    "message headers follow", "original message header", "ursprüngliche nachricht",
    "message d'origine", "mensaje original", "исходное сообщение", "원본 메시지", "原始邮件",
    "元のメッセージ", NULL,
};

/* A warning, not a failure; and what makes a notice final even so. */
static const char *const tb_delay_marks[] = {
    "this is a warning message only", "has not yet been delivered", "will continue to try",
    "will keep trying", "still trying", "delivery has been delayed", "delivery delayed",
    "message delayed", "delivery is delayed", "not been delivered yet", NULL,
};
static const char *const tb_final_marks[] = {
    "permanent error", "permanent fatal", "given up", "giving up", "could not be delivered",
    "wasn't delivered", "was not delivered", NULL,
};

/* Header fields (at the start of a line, blanks skipped) whose addresses are no recipient:
 * the returned message's, and those a notice quotes of it ("Your message  To: list@...",
 * Exchange, GroupWise). */
static const char *const tb_header_names[] = {
    "from:", "return-path:", "sender:", "reply-to:", "list-", "received:", "message-id:",
    "in-reply-to:", "references:", "dkim-signature:", "x-", "errors-to:", "to:", "cc:", "bcc:",
    "subject:", "sent:", "date:", NULL,
};
/* Lines that open a returned message when no cut mark came before. */
static const char *const tb_copy_headers[] = {"return-path:", "received:", "dkim-signature:", NULL};

/* Local parts of the mail system, never a recipient. */
static const char *const tb_system_locals[] = {
    "mailer-daemon", "postmaster", "mailer_daemon", "mail-daemon", "maildaemon", NULL,
};

/* tb_contains - does text hold needle, ASCII letters in any case? */
static int tb_contains(const char *text, const char *needle)
{
    size_t n = strlen(needle);

    for (const char *p = text; text != NULL && *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    return 0;
}

/* tb_any - does text hold one of the NULL-terminated needles? */
static int tb_any(const char *text, const char *const *needles)
{
    for (; text != NULL && needles != NULL && *needles != NULL; needles++)
        if (tb_contains(text, *needles))
            return 1;
    return 0;
}

/* tb_family - the writer of a notice (see DESCRIPTION); *strong: told by the text itself */
const char *tb_family(const struct tb_input *in, int *strong)
{
    size_t cut = tb_copy_start(in->text);
    char *notice = strndup(in->text, cut);
    int daemon = tb_any(in->from, tb_daemon_from), bounce = tb_any(in->subject, tb_bounce_subject);
    const char *name = NULL;

    *strong = daemon;
    for (size_t i = 0; notice != NULL && name == NULL && i < COUNT(tb_families); i++) {
        const struct tb_writer *w = &tb_families[i];

        if (w->daemon && !daemon && !bounce)
            continue;
        if (tb_any(notice, w->body)) {
            name = w->name;
            *strong = 1;
        } else if ((daemon || bounce) && tb_any(in->from, w->from)) {
            name = w->name;
        }
    }
    if (name == NULL && (daemon || bounce))
        name = "generic";
    free(notice);
    return name;
}

/* tb_line_end - the end of the line at p (its '\n' or the NUL) */
static const char *tb_line_end(const char *p)
{
    const char *nl = strchr(p, '\n');

    return nl != NULL ? nl : p + strlen(p);
}

/* tb_copy_start - the offset of the first line that starts the returned message */
size_t tb_copy_start(const char *text)
{
    for (const char *line = text; *line; ) {
        const char *end = tb_line_end(line);
        char *copy = strndup(line, (size_t) (end - line));
        int cut = copy != NULL && tb_any(copy, tb_cut_marks);

        for (const char *const *h = tb_copy_headers; !cut && *h != NULL; h++)
            cut = line > text && line[-1] == '\n' && (line - 1 == text || line[-2] == '\n')
                  && strncasecmp(line, *h, strlen(*h)) == 0;

        free(copy);
        if (cut)
            return (size_t) (line - text);
        line = *end ? end + 1 : end;
    }
    return strlen(text);
}

/* tb_local_char - may c stand in the local part of an address as text writes it? */
static int tb_local_char(int c)
{
    return isalnum(c) || (c != 0 && strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* tb_addr_at - an address around the '@' at at (line [start, end)): its bounds; 1 or 0 */
static int tb_addr_at(const char *start, const char *end, const char *at, const char **a,
                      const char **b)
{
    const char *l = at, *r = at + 1, *dot = NULL;

    while (l > start && tb_local_char((unsigned char) l[-1]))
        l--;
    while (l < at && (*l == '.' || *l == '\''))          /* "'user@" or ".user@": not the address */
        l++;
    if (at - l > 5 && strncasecmp(l, "smtp=", 5) == 0)  /* X.400 "dda:SMTP=user@" (Exchange) */
        l += 5;
    while (r < end && (isalnum((unsigned char) *r) || *r == '-' || *r == '.'))
        dot = *r++ == '.' ? r : dot;
    while (r > at + 1 && (r[-1] == '.' || r[-1] == '-'))
        r--;
    if (l == at || dot == NULL || dot >= r || r - l >= ADDR_BUFSZ)
        return 0;
    *a = l;
    *b = r;
    return 1;
}

/* tb_skipped - is this address the report's own, or a mail system's? */
static int tb_skipped(const struct tb_input *in, const char *addr)
{
    const char *at = strchr(addr, '@');

    for (const char *const *s = in->skip; s != NULL && *s != NULL; s++)
        if (strcasecmp(*s, addr) == 0)
            return 1;
    for (const char *const *s = tb_system_locals; *s != NULL; s++)
        if (strncasecmp(addr, *s, strlen(*s)) == 0 && addr + strlen(*s) == at)
            return 1;
    return 0;
}

/* tb_append - more text to a recipient's diagnostic, blanks folded */
static void tb_append(struct tb_recipient *r, const char *p, const char *end)
{
    size_t o = strlen(r->diag);

    while (p < end && (isspace((unsigned char) *p) || *p == ':' || *p == '>' || *p == ','))
        p++;                               /* what joined it to the address */
    if (p < end && o > 0 && o + 1 < sizeof(r->diag))
        r->diag[o++] = ' ';
    for (; p < end && o + 1 < sizeof(r->diag); p++) {
        int blank = isspace((unsigned char) *p);

        if (blank && o > 0 && r->diag[o - 1] == ' ')
            continue;
        r->diag[o++] = blank ? ' ' : *p;
    }
    while (o > 0 && r->diag[o - 1] == ' ')
        o--;
    r->diag[o] = '\0';
}

/* tb_recipient - the recipient with this address, a new one, or NULL when there is no room */
static struct tb_recipient *tb_recipient(struct tb_result *out, const char *a, size_t len)
{
    for (size_t i = 0; i < out->n; i++)
        if (strlen(out->rcpt[i].addr) == len && strncasecmp(out->rcpt[i].addr, a, len) == 0)
            return &out->rcpt[i];
    if (out->n == TB_RCPT_MAX)
        return NULL;
    memcpy(out->rcpt[out->n].addr, a, len);
    out->rcpt[out->n].addr[len] = '\0';
    out->rcpt[out->n].diag[0] = '\0';
    return &out->rcpt[out->n++];
}

/* tb_line_anchor - the first recipient a line names (where its address starts and ends in
 * *from and *rest) */
static struct tb_recipient *tb_line_anchor(const struct tb_input *in, struct tb_result *out,
                                           const char *line, const char *end, const char **from,
                                           const char **rest)
{
    const char *lead = line;
    char addr[ADDR_BUFSZ];
    const char *a, *b;

    while (lead < end && (*lead == ' ' || *lead == '\t'))
        lead++;
    for (const char *const *h = tb_header_names; *h != NULL; h++)
        if (strncasecmp(lead, *h, strlen(*h)) == 0)
            return NULL;                   /* a header of the returned message, not a recipient */
    for (const char *p = memchr(line, '@', (size_t) (end - line)); p != NULL && p < end;
         p = p + 1 < end ? memchr(p + 1, '@', (size_t) (end - p - 1)) : NULL) {
        if (!tb_addr_at(line, end, p, &a, &b))
            continue;
        memcpy(addr, a, (size_t) (b - a));
        addr[b - a] = '\0';
        if (tb_skipped(in, addr))
            continue;
        *from = a;
        *rest = b;
        return tb_recipient(out, a, (size_t) (b - a));
    }
    return NULL;
}

/* tb_delayed - a warning that nothing has failed yet */
static int tb_delayed(const struct tb_input *in, const char *notice)
{
    int warns = tb_any(notice, tb_delay_marks)
                || (in->subject != NULL && (tb_contains(in->subject, "delayed")
                                            || tb_contains(in->subject, "(delay)")));

    return warns && !tb_any(notice, tb_final_marks);
}

/* tb_scan - family, recipients and the diagnostic of each (see DESCRIPTION) */
int tb_scan(const struct tb_input *in, struct tb_result *out)
{
    const char *line, *end, *rest, *from;
    struct tb_recipient *cur = NULL, *named;
    char *notice;

    memset(out, 0, sizeof(*out));
    if ((out->family = tb_family(in, &out->strong)) == NULL)
        return -1;
    out->copy_at = tb_copy_start(in->text);
    if ((notice = strndup(in->text, out->copy_at)) == NULL)
        return -1;
    out->delayed = tb_delayed(in, notice);
    for (line = notice; *line; line = *end ? end + 1 : end) {
        end = tb_line_end(line);
        rest = from = line;
        if ((named = tb_line_anchor(in, out, line, end, &from, &rest)) != NULL && named == cur)
            rest = line;                   /* named again: the whole line is about it */
        else if (named != NULL)
            tb_append(named, line, from);  /* "Invalid final delivery userid: user@..." */
        if (named != NULL)
            cur = named;
        if (cur != NULL)
            tb_append(cur, rest, end);
    }
    free(notice);
    return 0;
}

/* HTML entities an NDR uses, and what they stand for. */
static const struct tb_entity {
    const char *name;
    const char *text;
} tb_entities[] = {
    {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&#39;", "'"},
    {"&apos;", "'"}, {"&nbsp;", " "}, {"&#64;", "@"},
};

/* tb_html_text - tags dropped (a line break for block ends), entities decoded */
char *tb_html_text(const char *html)
{
    char *out = malloc(strlen(html) + 1), *o = out;
    int in_tag = 0;

    for (const char *p = html; out != NULL && *p; p++) {
        size_t i = 0;

        if (in_tag || *p == '<') {
            in_tag = *p != '>';
            if (*p == '<' && (strncasecmp(p, "<br", 3) == 0 || strncasecmp(p, "</p", 3) == 0
                              || strncasecmp(p, "</div", 5) == 0 || strncasecmp(p, "</tr", 4) == 0))
                *o++ = '\n';
            continue;
        }
        while (*p == '&' && i < COUNT(tb_entities)
               && strncasecmp(p, tb_entities[i].name, strlen(tb_entities[i].name)) != 0)
            i++;
        if (*p == '&' && i < COUNT(tb_entities)) {
            *o++ = tb_entities[i].text[0];
            p += strlen(tb_entities[i].name) - 1;
        } else {
            *o++ = *p;
        }
    }
    if (out != NULL)
        *o = '\0';
    return out;
}
