/*
 * NAME
 *	rules 3
 * SUMMARY
 *	what a bounce or a complaint means: the decisions of optinctl feedback
 * SYNOPSIS
 *	#include "feedback/rules.h"
 *
 *	enum fb_kind fb_classify(action, status, diag, struct fb_status *st)
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
 *	const char *fb_kind_name(kind)
 * DESCRIPTION
 *	The rules only: no MIME, no store, no command line. optinctl
 *	feedback reads a delivery status notification (RFC 3464) or a
 *	complaint (ARF, RFC 5965), asks these functions what it means, and
 *	writes that to the store with consent_feedback_suppress(),
 *	consent_feedback_unsubscribe() and consent_softbounce_add().
 *
 *	Bounces. fb_classify() reads one recipient block through
 *	fb_diagnose() of diagnose(3): hard only on evidence that the address
 *	or its domain does not exist or the mailbox is disabled, soft for
 *	every other failure, ignored for delayed, delivered, relayed,
 *	expanded and unknown actions.
 *
 *	Anyone can send us a report, so what a report may change is decided
 *	apart, recipient by recipient (binding(3)): these rules only say what
 *	a report means. fb_verified() says the returned message carries one
 *	of our tokens that opens and names a recipient. With one recipient
 *	block and such a token, fb_dsn_address() gives the token's address:
 *	the DSN may name a forwarding target, and binding(3) then binds the
 *	token's own address.
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
 *	fb_feedback_types: abuse, fraud and virus are complaints; opt-out is
 *	the recipient asking to leave the list (FB_OPTOUT); auth-failure is
 *	about the sending domain (FB_AUTH_FAILURE, never the recipient);
 *	not-spam, other and unknown types are ignored. A complaint
 *	unsubscribes from the report's list; with scope all, or when the
 *	list is not known, from every list with a complaint suppression. An
 *	opt-out unsubscribes from the report's list whatever the scope, or
 *	when it is not known from every list with a global unsubscribe.
 *	fb_complaint_address() names the recipient: our token's, else the
 *	report's Original-Rcpt-To, else the returned message's
 *	X-HmXmrOriginalRecipient.
 * DIAGNOSTICS
 *	None: every function answers; nothing here logs.
 * BUGS
 *	A complaint is taken at its word (no token needed); see fb_complaint().
 * SEE ALSO
 *	optinctl(1), diagnose(3), consent(3), unsubscribe(3), RFC 3463, RFC 3464, RFC 5965
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "enforce/classify.h"
#include "feedback/diagnose.h"
#include "feedback/rules.h"

#define FB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct fb_kind_rule fb_kinds[] = {
    [FB_HARD] = {.name = "hard bounce", .source = "bounce", .reason = SUPPRESS_BOUNCE},
    [FB_SOFT] = {.name = "soft bounce", .source = "bounce", .reason = SUPPRESS_BOUNCE},
    [FB_COMPLAINT] = {.name = "complaint", .source = "complaint", .reason = SUPPRESS_COMPLAINT},
    [FB_OPTOUT] = {.name = "opt-out", .source = "opt-out", .reason = SUPPRESS_GLOBAL_UNSUB},
};

static const char *const fb_kind_names[] = {
    [FB_HARD] = "hard", [FB_SOFT] = "soft", [FB_COMPLAINT] = "complaint",
    [FB_OPTOUT] = "opt-out", [FB_IGNORED] = "ignored", [FB_AUTH_FAILURE] = "auth-failure",
};

/* RFC 5965 section 7.3 and its registry: what each Feedback-Type does */
static const struct fb_feedback_type {
    const char *name;
    enum fb_kind kind;
} fb_feedback_types[] = {
    {.name = "abuse", .kind = FB_COMPLAINT},
    {.name = "fraud", .kind = FB_COMPLAINT},
    {.name = "virus", .kind = FB_COMPLAINT},
    {.name = "opt-out", .kind = FB_OPTOUT},
    {.name = "auth-failure", .kind = FB_AUTH_FAILURE},
    {.name = "other", .kind = FB_IGNORED},
    {.name = "not-spam", .kind = FB_IGNORED},
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

/* fb_kind_name - one word for any kind, "?" for none */
const char *fb_kind_name(enum fb_kind kind)
{
    return (unsigned) kind < FB_COUNT(fb_kind_names) ? fb_kind_names[kind] : "?";
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

/* fb_classify - what one recipient block means: fb_diagnose() of diagnose(3) */
enum fb_kind fb_classify(const char *action, const char *status, const char *diag,
                         struct fb_status *st)
{
    struct fb_decision d;

    fb_diagnose(action, status, diag, &d);
    *st = d.st;
    return d.kind;
}

/* fb_verified - does the returned message carry one of our tokens naming a recipient? */
int fb_verified(const struct unsub_found *tok)
{
    return tok != NULL && tok->rc == 0 && tok->addr[0] != '\0';
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
 * weakness, kept: a complaint about a list message we cannot place unsubscribes from every
 * list, and a complaint is taken at its word (no token needed, unlike a hard bounce).
 */
enum fb_kind fb_complaint(const char *feedback_type, enum fb_scope scope, const char *report_list,
                          const char **list)
{
    enum fb_kind kind = FB_IGNORED;

    for (size_t i = 0; feedback_type != NULL && i < FB_COUNT(fb_feedback_types); i++)
        if (strcasecmp(feedback_type, fb_feedback_types[i].name) == 0)
            kind = fb_feedback_types[i].kind;
    *list = (kind == FB_COMPLAINT && scope == FB_SCOPE_LIST) || kind == FB_OPTOUT ? report_list
            : NULL;
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
