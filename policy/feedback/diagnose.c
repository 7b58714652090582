/*
 * NAME
 *	diagnose 3
 * SUMMARY
 *	why a bounce is hard, soft or neither: evidence from the status and the text
 * SYNOPSIS
 *	#include "feedback/diagnose.h"
 *
 *	enum fb_kind fb_diagnose(action, status, diag, struct fb_decision *d)
 *	int	fb_diagnose_status(diag, struct fb_status *st)
 *	const char *fb_autoreply(const struct fb_autoreply_fields *f)
 *	size_t	fb_rule_count(void)
 *	const char *fb_rule_at(i, enum fb_kind *kind)
 * DESCRIPTION
 *	fb_diagnose() decides what one failed recipient means, whatever
 *	format the report came in (a DSN, a text-only bounce, an SES
 *	notification): FB_HARD only on evidence that the address or its
 *	domain does not exist or that the mailbox is disabled; FB_SOFT for
 *	every other failure; FB_IGNORED for an Action other than failed
 *	(delayed, delivered, relayed, expanded, unknown: no final failure;
 *	"failure", "error" and "failed (reason)" of older MTAs are failed).
 *	Every decision names the rule that made it and keeps the status and
 *	the start of the diagnostic as evidence.
 *
 *	The status is the Status field when it is a full code; when it is
 *	missing, malformed or x.0.0 (Exim writes 5.0.0 and the real code in
 *	the text), the diagnostic's own: the enhanced code right after the
 *	SMTP reply code ("550 5.1.1", "550-5.1.1", "550 #5.1.1"), else x.0.0
 *	of a reply code alone ("550 Rejected"), else the first enhanced code
 *	in it. A code quoted later in a reply that opens with a bare reply
 *	code is not taken. A report with no code at all is a permanent
 *	failure (5.0.0, shown as ""). A Status that is no code at all
 *	("553 Exceeded maximum inbound message size") is read as diagnostic.
 *
 *	The text then decides, through the table fb_evidence: the soft rules
 *	first (our sender rejected, authentication, blocklists, loops, rate limits,
 *	spam, content, reputation, relaying denied, greylisting,
 *	mailbox full, message too large, temporary DNS and network trouble,
 *	forwarding, policy), so that a block wins over a quoted "user
 *	unknown" and a 5.1.1 or 5.2.1 used for a block is soft; then the
 *	hard rules (domain not found, mailbox disabled or moved, user
 *	unknown, in English, German, French, Spanish, Italian, Portuguese,
 *	Dutch, Polish, Russian, Chinese, Japanese and Korean). Phrases match
 *	whole words of the diagnostic lower-cased with punctuation as blanks;
 *	text between double quotes (another message quoted) is not read.
 *	A 4.x.x status is soft whatever the text says. Without a phrase,
 *	5.1.1 and 5.1.10 (bad mailbox) and 5.1.6 (moved) are hard; 5.0.0, a
 *	bare 550 and every other code are soft (no evidence).
 *
 *	fb_autoreply() tells an automatic reply (RFC 3834 Auto-Submitted:
 *	auto-replied, X-Autoreply, X-Autorespond, Precedence: auto_reply,
 *	an out-of-office or vacation Subject in several languages); a bounce
 *	carries Auto-Submitted too, so callers ask only about messages that
 *	are not recognised as reports.
 * DIAGNOSTICS
 *	None: every function answers; nothing here logs.
 * BUGS
 *	Phrases in other scripts match as written (case is folded in ASCII
 *	and Cyrillic only). A provider that writes a nonexistent user as a bare 5.5.0
 *	"mailbox unavailable" is counted soft.
 * SEE ALSO
 *	rules(3), textbounce(3), RFC 3463, RFC 3464, RFC 3834, RFC 5321
 */

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feedback/diagnose.h"
#include "util/text.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PHRASES(...) ((const char *const[]) {__VA_ARGS__, NULL})
#define NORM_MAX 2048            /* bytes of a diagnostic read for phrases */
#define FB_EXCERPT_CHARS 120     /* characters of the diagnostic kept as the excerpt */

/* One rule: a name, the kind it decides, and the phrases that are its evidence. */
struct fb_evidence {
    const char *name;
    enum fb_kind kind;
    const char *const *phrases;  /* lower case, words separated by one blank */
};

/* In order: the first rule with a phrase in the text decides. Soft rules come first. */
static const struct fb_evidence fb_evidence[] = {
    {.name = "sender-rejected", .kind = FB_SOFT, .phrases = PHRASES(
        "sender address rejected", "sender verify failed", "sender verification failed",
        "sender rejected", "sender domain", "envelope sender", "sender is not allowed",
        "sender denied")},
    {.name = "authentication", .kind = FB_SOFT, .phrases = PHRASES(
        "spf", "dkim", "dmarc", "authentication failed", "not authenticated", "unauthenticated",
        "failed authentication", "authentication checks", "sender policy framework",
        "domainkeys")},
    {.name = "blocklist", .kind = FB_SOFT, .phrases = PHRASES(
        "blacklist", "blacklisted", "blocklist", "blocklisted", "block list", "black list",
        "blocked", "dnsbl", "rbl", "spamhaus", "spamcop", "sorbs", "barracudacentral",
        "banned", "denylist", "denylisted", "listed on", "is listed", "blacklisted ip")},
    {.name = "loop", .kind = FB_SOFT, .phrases = PHRASES(
        "loop", "loops", "looping", "too many hops", "hop count", "loops back to myself",
        "maximum hop")},
    {.name = "rate-limit", .kind = FB_SOFT, .phrases = PHRASES(
        "rate limit", "rate limited", "rate limiting", "ratelimit", "ratelimited", "too many",
        "throttled", "throttling", "slow down", "sending rate", "limit exceeded",
        "exceeded the rate")},
    {.name = "spam", .kind = FB_SOFT, .phrases = PHRASES(
        "spam", "junk", "unsolicited", "bulk mail", "spam score", "phishing", "uce",
        "suspicious")},
    {.name = "content", .kind = FB_SOFT, .phrases = PHRASES(
        "content", "virus", "malware", "infected", "attachment", "backscatter",
        "message rejected due to")},
    {.name = "reputation", .kind = FB_SOFT, .phrases = PHRASES(
        "reputation", "sender score", "senderscore")},
    {.name = "relay-denied", .kind = FB_SOFT, .phrases = PHRASES(
        "relay access denied", "relaying denied", "relay not permitted", "unable to relay",
        "relaying not allowed", "relay denied", "we do not relay", "not permitted to relay",
        "relay not allowed", "relaying disallowed")},
    {.name = "greylisting", .kind = FB_SOFT, .phrases = PHRASES(
        "greylisted", "greylisting", "graylisted", "graylisting", "grey listed",
        "gray listed", "greylist", "graylist")},
    {.name = "mailbox-full", .kind = FB_SOFT, .phrases = PHRASES(
        "mailbox full", "mailbox is full", "mailbox has exceeded", "quota", "over quota",
        "overquota", "insufficient storage", "exceeded storage", "storage limit", "disk full",
        "mailbox size", "postfach voll", "postfach ist voll", "speicherplatz",
        "boîte pleine", "boite pleine", "boîte aux lettres pleine", "buzón lleno",
        "buzon lleno", "casella piena", "переполнен", "已满", "容量不足")},
    {.name = "too-large", .kind = FB_SOFT, .phrases = PHRASES(
        "too large", "too big", "size limit", "message size", "exceeds size",
        "exceeds the maximum", "maximum message size", "message length exceeds",
        "zu groß", "trop volumineux")},
    {.name = "temporary", .kind = FB_SOFT, .phrases = PHRASES(
        "temporary failure", "temporarily", "try again", "servfail", "timed out", "timeout",
        "dns lookup failed", "name server timeout", "connection refused", "connection reset",
        "network is unreachable", "no route to host", "lost connection")},
    {.name = "forwarding", .kind = FB_SOFT, .phrases = PHRASES(
        "forwarding to", "forwarded to", "could not be forwarded", "forward failed")},
    {.name = "policy", .kind = FB_SOFT, .phrases = PHRASES(
        "policy", "policies", "not permitted", "not allowed", "prohibited", "access denied",
        "refused", "denied", "administratively", "administrative prohibition")},
    {.name = "domain-not-found", .kind = FB_HARD, .phrases = PHRASES(
        "domain not found", "no such domain", "domain does not exist", "domain doesn t exist",
        "host unknown", "host not found", "unknown host", "nxdomain", "non existent domain",
        "nonexistent domain", "unrouteable address", "unroutable address",
        "unrouteable mail domain", "no mx record", "no mx records", "name or service not known",
        "unknown domain", "domain unknown", "domain name not found", "domaine inexistant",
        "domain existiert nicht", "домен не существует")},
    {.name = "mailbox-disabled", .kind = FB_HARD, .phrases = PHRASES(
        "account disabled", "account is disabled", "account has been disabled",
        "mailbox disabled", "mailbox is disabled", "mailbox has been disabled",
        "account deactivated", "account has been deactivated", "deactivated", "is disabled",
        "inactive account", "account is inactive", "account inactive", "mailbox inactive",
        "account suspended", "account has been suspended", "mailbox suspended",
        "no longer active", "no longer valid", "account closed", "account has been closed", "deaktiviert",
        "désactivé", "désactivée", "desactivado", "desactivada", "disattivato", "отключен",
        "заблокирован навсегда", "已停用", "已冻结", "被冻结")},
    {.name = "mailbox-moved", .kind = FB_HARD, .phrases = PHRASES(
        "has moved", "no forwarding address", "mailbox has moved")},
    {.name = "user-unknown", .kind = FB_HARD, .phrases = PHRASES(
        "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
        "no such account", "no such address", "no such person", "mailbox not found",
        "mailbox does not exist", "mailbox doesn t exist", "does not exist", "doesn t exist",
        "recipient not found", "recipientnotfound", "user not found", "address not found",
        "unknown recipient", "recipient unknown", "user not known", "recipient not known",
        "addressee not known", "recipient name is not recognized",
        "invalid final delivery userid", "unknown address", "address unknown",
        "addressee unknown", "unknown mailbox", "mailbox unknown", "invalid recipient",
        "invalid mailbox", "invalid address", "invalid user", "user invalid",
        "not a valid recipient", "not a valid mailbox", "is not a valid user",
        "no mailbox here by that name", "bad destination mailbox address",
        "unknown local part", "unknown or illegal alias", "unknown or illegal user",
        "user doesn t have a", "not our customer", "not listed in domino directory",
        "not listed in public name address book", "empfänger unbekannt", "benutzer unbekannt",
        "unbekannter empfänger", "unbekannter benutzer", "existiert nicht", "gibt es nicht",
        "utilisateur inconnu", "destinataire inconnu", "adresse inconnue", "n existe pas",
        "destinataire invalide", "adresse invalide", "usuario desconocido",
        "destinatario desconocido", "no existe", "utente sconosciuto",
        "destinatario sconosciuto", "non esiste", "usuário desconhecido",
        "usuario desconhecido", "não existe", "onbekende gebruiker", "bestaat niet",
        "nie istnieje", "nieznany użytkownik", "пользователь не найден",
        "нет такого пользователя", "не существует", "адресат не найден", "用户不存在",
        "收件人不存在", "邮箱不存在", "地址不存在", "帐户不存在", "账户不存在", "存在しません",
        "宛先不明", "존재하지 않", "없는 사용자")},
};

/* Without a phrase: the codes that are evidence by themselves (RFC 3463 X.1.1, X.1.6, X.1.10). */
static const struct fb_status_rule {
    struct fb_status st;
    const char *name;
} fb_hard_statuses[] = {
    {.st = {5, 1, 1}, .name = "status-bad-mailbox"},
    {.st = {5, 1, 10}, .name = "status-bad-mailbox"},
    {.st = {5, 1, 6}, .name = "status-mailbox-moved"},
};

/* The rule of a status without evidence, by class. */
static const char *const fb_class_rules[] = {
    [2] = "success-code",
    [4] = "transient",
    [5] = "no-evidence",
};

/* Automatic replies: header values (lower case, substring) and Subject phrases (normalized). */
static const struct fb_autoreply_rule {
    const char *name;
    size_t field;                      /* offset in struct fb_autoreply_fields */
    const char *const *values;         /* NULL: any value */
} fb_autoreply_rules[] = {
    {.name = "auto-submitted", .field = offsetof(struct fb_autoreply_fields, auto_submitted),
     .values = PHRASES("auto replied")},
    {.name = "x-autoreply", .field = offsetof(struct fb_autoreply_fields, x_autoreply)},
    {.name = "x-autorespond", .field = offsetof(struct fb_autoreply_fields, x_autorespond)},
    {.name = "precedence-auto-reply", .field = offsetof(struct fb_autoreply_fields, precedence),
     .values = PHRASES("auto reply")},
    {.name = "vacation-subject", .field = offsetof(struct fb_autoreply_fields, subject),
     .values = PHRASES("out of office", "out of the office", "automatic reply", "auto reply",
                       "autoreply", "auto response", "autoresponse", "vacation",
                       "away from the office", "abwesenheitsnotiz", "automatische antwort",
                       "abwesend", "réponse automatique", "reponse automatique",
                       "absent du bureau", "absence", "respuesta automática",
                       "respuesta automatica", "fuera de la oficina", "risposta automatica",
                       "fuori ufficio", "automatisch antwoord", "afwezig",
                       "resposta automática", "resposta automatica", "автоответ",
                       "автоматический ответ", "自动回复", "自動返信", "不在通知", "자동 응답")},
};

/*
 * fb_norm - text lower-cased, ASCII punctuation and blanks as one blank, a blank at each end;
 * what stands between double quotes is left out (a quoted reply is not this one's evidence)
 */
static char *fb_norm(const char *text)
{
    size_t len = strnlen(text, NORM_MAX), o = 0;
    char *out = malloc(len + 3);

    if (out == NULL)
        return NULL;
    out[o++] = ' ';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        const char *close = c == '"' ? memchr(text + i + 1, '"', len - i - 1) : NULL;

        if (close != NULL) {                 /* a quotation: another message's words */
            i = (size_t) (close - text);
            c = ' ';
        }
        int quote = c == 0xe2 && i + 2 < len && (unsigned char) text[i + 1] == 0x80
                    && ((unsigned char) text[i + 2] == 0x98 || (unsigned char) text[i + 2] == 0x99);
        int blank = c < 0x80 ? !isalnum(c) : quote || (c == 0xc2 && i + 1 < len
                                                      && (unsigned char) text[i + 1] == 0xa0);

        if (blank) {
            if (out[o - 1] != ' ')
                out[o++] = ' ';
            i += quote ? 2 : c == 0xc2;
        } else if (c == 0xd0 && i + 1 < len && (unsigned char) text[i + 1] >= 0x90
                   && (unsigned char) text[i + 1] <= 0xaf) {   /* Cyrillic capitals */
            unsigned char n = (unsigned char) text[++i];

            out[o++] = (char) (n < 0xa0 ? 0xd0 : 0xd1);
            out[o++] = (char) (n < 0xa0 ? n + 0x20 : n - 0x20);
        } else {
            out[o++] = c < 0x80 ? (char) tolower(c) : (char) c;
        }
    }
    if (out[o - 1] != ' ')
        out[o++] = ' ';
    out[o] = '\0';
    return out;
}

/* fb_has - does the normalized text hold the phrase as whole words (ASCII ends only)? */
static int fb_has(const char *norm, const char *phrase)
{
    size_t n = strlen(phrase);

    for (const char *p = strstr(norm, phrase); p != NULL; p = strstr(p + 1, phrase)) {
        int start_ok = (unsigned char) phrase[0] >= 0x80 || p[-1] == ' ';
        int end_ok = (unsigned char) phrase[n - 1] >= 0x80 || p[n] == ' ';

        if (start_ok && end_ok)
            return 1;
    }
    return 0;
}

/* fb_evidence_find - the first rule with a phrase in the text; *phrase gets it; NULL none */
static const struct fb_evidence *fb_evidence_find(const char *norm, const char **phrase)
{
    for (size_t i = 0; norm != NULL && i < COUNT(fb_evidence); i++)
        for (const char *const *p = fb_evidence[i].phrases; *p != NULL; p++)
            if (fb_has(norm, *p)) {
                *phrase = *p;
                return &fb_evidence[i];
            }
    return NULL;
}

/* fb_reply_code_at - a reply code 4yz or 5yz at s followed by a blank or '-': its class, 0 */
static int fb_reply_code_at(const char *s, const char *start)
{
    if (s > start && (isalnum((unsigned char) s[-1]) || s[-1] == '.' || s[-1] == '#'))
        return 0;
    if ((s[0] != '4' && s[0] != '5') || !isdigit((unsigned char) s[1])
        || !isdigit((unsigned char) s[2]) || (s[3] != ' ' && s[3] != '-'))
        return 0;
    return s[0] - '0';
}

/* fb_diagnose_status - the code after the first reply code, its x.0.0, or the first code */
int fb_diagnose_status(const char *diag, struct fb_status *st)
{
    for (const char *p = diag; *p; p++) {
        int cls = fb_reply_code_at(p, diag);
        const char *q = p + 4;

        if (cls == 0)
            continue;
        q += *q == '#';
        if (fb_status_at(q, st) && st->cls == cls)
            return 1;
        *st = (struct fb_status) {cls, 0, 0};
        return 1;
    }
    return fb_status_find(diag, 5, st) || fb_status_find(diag, 4, st);
}

/* fb_status_text - a status as text */
static void fb_status_text(const struct fb_status *st, char out[FB_STATUS_TEXT])
{
    snprintf(out, FB_STATUS_TEXT, "%d.%d.%d", st->cls % 10, st->subj % 1000, st->detail % 1000);
}

/* fb_resolve_status - the status a recipient went by (see DESCRIPTION) into d */
static void fb_resolve_status(const char *status, const char *diag, struct fb_decision *d)
{
    int known = status != NULL && fb_status_at(status, &d->st);
    struct fb_status s;

    if (known && !(d->st.subj == 0 && d->st.detail == 0)) {
        fb_status_text(&d->st, d->status);
        return;
    }
    if (fb_diagnose_status(diag, &s) && (!known || s.cls == d->st.cls)) {
        d->st = s;
        fb_status_text(&d->st, d->status);
    } else if (known) {
        fb_status_text(&d->st, d->status);
    } else {
        d->st = (struct fb_status) {5, 0, 0};   /* a failure without any code */
        d->status[0] = '\0';
    }
}

/* fb_status_decides - a code that is evidence by itself: its rule name, else NULL */
static const char *fb_status_decides(const struct fb_status *st)
{
    for (size_t i = 0; i < COUNT(fb_hard_statuses); i++)
        if (st->cls == fb_hard_statuses[i].st.cls && st->subj == fb_hard_statuses[i].st.subj
            && st->detail == fb_hard_statuses[i].st.detail)
            return fb_hard_statuses[i].name;
    return NULL;
}

/* Action words that mean failed: RFC 3464's, and what older MTAs write ("failed (reason)") */
static const char *const fb_failed_actions[] = {"failed", "failure", "error"};

/*
 * fb_ignored_action - an Action that reports no final failure (RFC 3464 section 2.3.3:
 * delayed, delivered, relayed, expanded; an unknown one is nothing to act on either)
 */
static int fb_ignored_action(const char *action)
{
    size_t n = action != NULL ? strcspn(action, " \t(;") : 0;

    for (size_t i = 0; action != NULL && i < COUNT(fb_failed_actions); i++)
        if (n == strlen(fb_failed_actions[i]) && strncasecmp(action, fb_failed_actions[i], n) == 0)
            return 0;
    return action != NULL;
}

/* fb_diagnose - what one recipient of a failure report means (see DESCRIPTION) */
enum fb_kind fb_diagnose(const char *action, const char *status, const char *diag,
                         struct fb_decision *d)
{
    const struct fb_evidence *ev;
    const char *phrase = NULL, *by_status;
    struct fb_status st;
    char *norm, *both = NULL;

    memset(d, 0, sizeof(*d));
    diag = diag != NULL ? diag : "";
    if (status != NULL && *status && !fb_status_at(status, &st)
        && (both = malloc(strlen(status) + strlen(diag) + 2)) != NULL) {
        sprintf(both, "%s %s", status, diag);   /* "Status: 553 Exceeded ...": read it too */
        diag = both;
    }
    text_escape(diag, strlen(diag), FB_EXCERPT_CHARS, TEXT_FOLD_BLANKS, d->excerpt,
                sizeof(d->excerpt));
    if (fb_ignored_action(action)) {
        d->kind = FB_IGNORED;
        d->rule = "not-a-failure";
        if (fb_status_at(status != NULL ? status : "", &d->st))
            fb_status_text(&d->st, d->status);
        free(both);
        return d->kind;
    }
    fb_resolve_status(status, diag, d);
    norm = fb_norm(diag);
    ev = fb_evidence_find(norm, &phrase);
    free(norm);
    free(both);
    if (d->st.cls == 5 && ev != NULL) {
        d->kind = ev->kind;
        d->rule = ev->name;
        d->evidence = phrase;
    } else if (d->st.cls == 5 && (by_status = fb_status_decides(&d->st)) != NULL) {
        d->kind = FB_HARD;
        d->rule = by_status;
    } else {
        d->kind = FB_SOFT;
        d->rule = ev != NULL && ev->kind == FB_SOFT ? ev->name
                  : d->st.cls >= 0 && (size_t) d->st.cls < COUNT(fb_class_rules)
                  && fb_class_rules[d->st.cls] != NULL ? fb_class_rules[d->st.cls] : "no-evidence";
        d->evidence = ev != NULL && ev->kind == FB_SOFT ? phrase : NULL;
    }
    return d->kind;
}

/* fb_autoreply - the first automatic-reply rule that a field meets, or NULL */
const char *fb_autoreply(const struct fb_autoreply_fields *f)
{
    for (size_t i = 0; i < COUNT(fb_autoreply_rules); i++) {
        const struct fb_autoreply_rule *r = &fb_autoreply_rules[i];
        const char *value = *(const char *const *) ((const char *) f + r->field);
        char *norm;
        int hit = 0;

        if (value == NULL)
            continue;
        if (r->values == NULL)
            return r->name;
        if ((norm = fb_norm(value)) == NULL)
            continue;
        for (const char *const *p = r->values; *p != NULL && !hit; p++)
            hit = fb_has(norm, *p);
        free(norm);
        if (hit)
            return r->name;
    }
    return NULL;
}

/* fb_rule_count - how many evidence rules there are */
size_t fb_rule_count(void)
{
    return COUNT(fb_evidence);
}

/* fb_rule_at - the name and kind of evidence rule i (i < fb_rule_count()) */
const char *fb_rule_at(size_t i, enum fb_kind *kind)
{
    if (i >= COUNT(fb_evidence))
        return NULL;
    *kind = fb_evidence[i].kind;
    return fb_evidence[i].name;
}
