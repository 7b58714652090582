/*
 * NAME
 *	rules 3
 * SUMMARY
 *	what a bounce or a complaint means: the decisions of optinctl feedback
 * SYNOPSIS
 *	#include "feedback/rules.h"
 *
 *	enum fb_kind fb_classify(action, status, diag, struct fb_status *st)
 *	enum fb_kind fb_bounce_kind(action, status, diag, tok, st)
 *	int	fb_status_at(s, st), fb_status_find(text, cls, st)
 *	int	fb_verified(tok)
 *	const char *fb_dsn_address(recipients, tok)
 *	const char *fb_report_list(cfg, tok, list_id)
 *	uint64_t fb_fingerprint(returned_msgid, report_msgid)
 *	int	fb_soft_limit_valid(n), fb_soft_window_valid(seconds)
 *	int	fb_soft_suppresses(count, limit)
 *	int	fb_scope_parse(name)
 *	enum fb_kind fb_complaint(feedback_type, scope, report_list, &list)
 *	const char *fb_complaint_address(tok, rcpt_to, returned_rcpt)
 *	const struct fb_kind_rule *fb_kind_rule(kind)
 * DESCRIPTION
 *	The rules only: no MIME, no store, no command line. optinctl
 *	feedback reads a delivery status notification (RFC 3464) or a
 *	complaint (ARF, RFC 5965), asks these functions what it means, and
 *	writes that to the store with consent_feedback_suppress(),
 *	consent_feedback_unsubscribe() and consent_softbounce_add().
 *
 *	Bounces. fb_classify() reads one recipient block. Action delivered,
 *	relayed and expanded (and unknown actions) are ignored; delayed is
 *	a soft bounce. For failed, the Status decides; when it is missing,
 *	malformed or X.0.0 (Exim writes 5.0.0 and the real code in the
 *	text), the first code of the same class in the Diagnostic-Code is
 *	taken instead (of class 5, then 4, when there was no Status at all).
 *	A permanent failure (5.x.x) is hard when it says the address is bad:
 *	5.0.0, 5.1.x but 5.1.7 and 5.1.8 (those are about our sender), 5.2.0,
 *	5.2.1, 5.4.1 and 5.4.4; every other failure is soft: mailbox full
 *	(5.2.2), message too big, policy and spam blocks (5.7.x) say nothing
 *	final about the address. The table fb_hard_subjects holds this.
 *
 *	Anyone can send us a bounce, so fb_bounce_kind() lets a hard bounce
 *	stand only when fb_verified(): the returned message carries one of
 *	our tokens that opens and names a recipient; otherwise it counts as
 *	soft. With one recipient block and such a token, fb_dsn_address()
 *	gives the token's address: the DSN may name a forwarding target.
 *	fb_report_list() is the token's list (its configured id), else the
 *	list whose match.list_id is the returned List-Id.
 *
 *	Soft bounces are counted per address; fb_soft_suppresses() says the
 *	address is suppressed as a bounce once limit of them (default 5)
 *	fall within the window (default 30 days). Reports about one message
 *	(a delay warning, then the failure) count once: fb_fingerprint() is
 *	FNV-1a of the returned message's Message-ID, else the report's
 *	(0, counted each time, when there is neither).
 *
 *	Complaints. fb_complaint() looks the Feedback-Type up in the table
 *	fb_feedback_types: only abuse is a complaint; fraud, virus, other,
 *	not-spam, auth-failure and unknown types are ignored. A complaint
 *	unsubscribes from the report's list; with scope all, or when the
 *	list is not known, from every list with a complaint suppression.
 *	fb_complaint_address() names the recipient: our token's, else the
 *	report's Original-Rcpt-To, else the returned message's
 *	X-HmXmrOriginalRecipient.
 * DIAGNOSTICS
 *	None: every function answers; nothing here logs.
 * BUGS
 *	These rules carry known weaknesses, left as they are for now; see
 *	the comments at fb_classify() and fb_complaint().
 * SEE ALSO
 *	optinctl(1), consent(3), unsubscribe(3), RFC 3463, RFC 3464, RFC 5965
 */

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "enforce/classify.h"
#include "feedback/rules.h"

#define FB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct fb_kind_rule fb_kinds[] = {
    [FB_HARD] = {.name = "hard bounce", .source = "bounce", .reason = SUPPRESS_BOUNCE},
    [FB_SOFT] = {.name = "soft bounce", .source = "bounce", .reason = SUPPRESS_BOUNCE},
    [FB_COMPLAINT] = {.name = "complaint", .source = "complaint", .reason = SUPPRESS_COMPLAINT},
};

/* RFC 3464 section 2.3.3: what an Action says before the Status is read */
static const struct fb_action_rule {
    const char *name;
    enum fb_kind kind;
    int by_status;           /* failed: hard or soft as the status says */
} fb_actions[] = {
    {.name = "failed", .by_status = 1},
    {.name = "delayed", .kind = FB_SOFT},
    {.name = "delivered", .kind = FB_IGNORED},
    {.name = "relayed", .kind = FB_IGNORED},
    {.name = "expanded", .kind = FB_IGNORED},
};

/*
 * Per subject of a 5.s.d status (RFC 3463 section 3), the details that say the address is bad.
 * The ranges are open-ended as the rule always was ("5.2.d with d <= 1"); sscanf reads a sign.
 */
static const struct fb_hard_subject {
    size_t n;
    struct fb_range {
        int lo, hi;
    } hard[2];
} fb_hard_subjects[] = {
    [0] = {.n = 1, .hard = {{0, 0}}},                           /* 5.0.0 undefined */
    [1] = {.n = 2, .hard = {{INT_MIN, 6}, {9, INT_MAX}}},       /* addressing, but 5.1.7, 5.1.8 */
    [2] = {.n = 1, .hard = {{INT_MIN, 1}}},                     /* 5.2.0, 5.2.1 disabled */
    [4] = {.n = 2, .hard = {{1, 1}, {4, 4}}},                   /* no answer, unroutable */
};

/* RFC 5965 section 7.3 and its registry: what each Feedback-Type does */
static const struct fb_feedback_type {
    const char *name;
    enum fb_kind kind;
} fb_feedback_types[] = {
    {.name = "abuse", .kind = FB_COMPLAINT},
    {.name = "fraud", .kind = FB_IGNORED},
    {.name = "virus", .kind = FB_IGNORED},
    {.name = "other", .kind = FB_IGNORED},
    {.name = "not-spam", .kind = FB_IGNORED},
    {.name = "auth-failure", .kind = FB_IGNORED},
};

static const char *const fb_scopes[] = {
    [FB_SCOPE_LIST] = "list",
    [FB_SCOPE_ALL] = "all",
};

/* fb_kind_rule - name, history source and suppression reason of a kind that acts */
const struct fb_kind_rule *fb_kind_rule(enum fb_kind kind)
{
    return (unsigned) kind < FB_COUNT(fb_kinds) ? &fb_kinds[kind] : NULL;
}

/* fb_status_at - a status code at s ("5.1.1", "4.2.2", "5.1.10"), not part of a longer number */
int fb_status_at(const char *s, struct fb_status *st)
{
    int n = 0;

    if ((s[0] != '2' && s[0] != '4' && s[0] != '5')
        || sscanf(s, "%1d.%3d.%3d%n", &st->cls, &st->subj, &st->detail, &n) != 3)
        return 0;
    return s[n] != '.' && !(s[n] >= '0' && s[n] <= '9');
}

/* fb_status_find - the first status code of class cls in a text (a Diagnostic-Code) */
int fb_status_find(const char *text, int cls, struct fb_status *st)
{
    for (const char *p = text; *p; p++) {
        int after_number = p > text && ((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.');

        if (*p == '0' + cls && !after_number && fb_status_at(p, st))
            return 1;
    }
    return 0;
}

/* fb_action - the rule of an Action value, NULL when unknown */
static const struct fb_action_rule *fb_action(const char *action)
{
    for (size_t i = 0; i < FB_COUNT(fb_actions); i++)
        if (strcasecmp(action, fb_actions[i].name) == 0)
            return &fb_actions[i];
    return NULL;
}

/* fb_hard - does a permanent failure with this status say the address is bad? */
static int fb_hard(const struct fb_status *st)
{
    const struct fb_hard_subject *h;

    if (st->cls != 5 || st->subj < 0 || (size_t) st->subj >= FB_COUNT(fb_hard_subjects))
        return 0;
    h = &fb_hard_subjects[st->subj];
    for (size_t i = 0; i < h->n; i++)
        if (st->detail >= h->hard[i].lo && st->detail <= h->hard[i].hi)
            return 1;
    return 0;
}

/*
 * fb_classify - what one recipient block means (see DESCRIPTION). Known weaknesses, kept:
 * any 5.0.0 without a better code is hard, and so is 5.4.1/5.4.4 (often the receiver's
 * trouble); the code in the diagnostic is taken even when it only quotes another message.
 */
enum fb_kind fb_classify(const char *action, const char *status, const char *diag,
                         struct fb_status *st)
{
    const struct fb_action_rule *rule = fb_action(action);
    int known = fb_status_at(status, st);
    struct fb_status d;

    if (rule == NULL || (!rule->by_status && rule->kind == FB_IGNORED))
        return FB_IGNORED;
    if (!rule->by_status) {                /* delayed */
        if (!known)
            *st = (struct fb_status) {4, 0, 0};
        return rule->kind;
    }
    if (!known || (st->subj == 0 && st->detail == 0)) {   /* Exim: 5.0.0, the code in the text */
        if (fb_status_find(diag, known ? st->cls : 5, &d) || (!known && fb_status_find(diag, 4, &d)))
            *st = d;
        else if (!known)
            *st = (struct fb_status) {4, 0, 0};
    }
    return fb_hard(st) ? FB_HARD : FB_SOFT;
}

/* fb_verified - does the returned message carry one of our tokens naming a recipient? */
int fb_verified(const struct unsub_found *tok)
{
    return tok != NULL && tok->rc == 0 && tok->addr[0] != '\0';
}

/* fb_bounce_kind - fb_classify; anyone can forge a report, so a hard bounce needs our token */
enum fb_kind fb_bounce_kind(const char *action, const char *status, const char *diag,
                            const struct unsub_found *tok, struct fb_status *st)
{
    enum fb_kind kind = fb_classify(action, status, diag, st);

    return kind == FB_HARD && !fb_verified(tok) ? FB_SOFT : kind;
}

/* fb_dsn_address - one recipient and a token naming the address we sent to: the token wins */
const char *fb_dsn_address(size_t recipients, const struct unsub_found *tok)
{
    return recipients == 1 && fb_verified(tok) ? tok->addr : NULL;
}

/* fb_report_list - the list a report is about: the token's, else the returned List-Id's; NULL */
const char *fb_report_list(const struct optin_config *cfg, const struct unsub_found *tok,
                           const char *list_id)
{
    const struct list_def *l;

    if (tok != NULL && tok->rc == 0)
        return (l = config_find_list(cfg, tok->list)) != NULL ? l->id : tok->list;
    if (list_id != NULL && list_id[0] && (l = classify_list_id(cfg, list_id)) != NULL)
        return l->id;
    return NULL;
}

/*
 * fb_fingerprint - FNV-1a of a Message-ID (the returned one, else the report's); 0 when none.
 * The offset basis is one digit short of FNV's (14695981039346656037): soft bounces already
 * stored carry fingerprints made with it, so it stays.
 */
uint64_t fb_fingerprint(const char *returned_msgid, const char *report_msgid)
{
    const char *msgid = returned_msgid != NULL && *returned_msgid ? returned_msgid : report_msgid;
    uint64_t h = 1469598103934665603ULL;

    if (msgid == NULL || *msgid == '\0')
        return 0;
    for (; *msgid; msgid++)
        h = (h ^ (unsigned char) *msgid) * 1099511628211ULL;
    return h ? h : 1;
}

/* fb_soft_limit_valid - 1 .. SOFTBOUNCE_KEEP: the store remembers no more than that */
int fb_soft_limit_valid(long n)
{
    return n >= 1 && n <= SOFTBOUNCE_KEEP;
}

/* fb_soft_window_valid - a window of some time */
int fb_soft_window_valid(int64_t seconds)
{
    return seconds > 0;
}

/* fb_soft_suppresses - limit soft bounces within the window make a bounce suppression */
int fb_soft_suppresses(unsigned count, unsigned limit)
{
    return count >= limit;
}

/* fb_scope_parse - "list" or "all"; -1 otherwise */
int fb_scope_parse(const char *name)
{
    for (size_t i = 0; name != NULL && i < FB_COUNT(fb_scopes); i++)
        if (strcmp(name, fb_scopes[i]) == 0)
            return (int) i;
    return -1;
}

/*
 * fb_complaint - what a Feedback-Type does, and from which list (NULL: every list). Known
 * weakness, kept: an abuse report about a list message we cannot place unsubscribes from
 * every list, and a complaint is taken at its word (no token needed, unlike a hard bounce).
 */
enum fb_kind fb_complaint(const char *feedback_type, enum fb_scope scope, const char *report_list,
                          const char **list)
{
    enum fb_kind kind = FB_IGNORED;

    for (size_t i = 0; feedback_type != NULL && i < FB_COUNT(fb_feedback_types); i++)
        if (strcasecmp(feedback_type, fb_feedback_types[i].name) == 0)
            kind = fb_feedback_types[i].kind;
    *list = kind == FB_COMPLAINT && scope == FB_SCOPE_LIST ? report_list : NULL;
    return kind;
}

/* fb_complaint_address - our token's recipient, else Original-Rcpt-To, else the returned one */
const char *fb_complaint_address(const struct unsub_found *tok, const char *rcpt_to,
                                 const char *returned_rcpt)
{
    if (fb_verified(tok))
        return tok->addr;
    if (rcpt_to != NULL && rcpt_to[0])
        return rcpt_to;
    return returned_rcpt != NULL ? returned_rcpt : "";
}
