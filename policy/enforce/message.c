/*
 * NAME
 *	message 3
 * SUMMARY
 *	the policy of one message, from MAIL to end of message
 * SYNOPSIS
 *	#include "enforce/message.h"
 *
 *	void	msg_init(m, env, own_id, client_addr, now)
 *	void	msg_mail(m, sender, auth_user, daemon_name)
 *	enum msg_step msg_spf_mail(m, reply)
 *	enum msg_step msg_rcpt(m, raw, len, non_smtpd, reply)
 *	void	msg_header(m, name, value)
 *	enum msg_step msg_eoh(m)
 *	void	msg_eom(m, plan)
 *	void	msg_free(m), msg_plan_free(plan)
 * DESCRIPTION
 *	Everything optin-milter decides lives here, free of libmilter, so it
 *	is tested without an MTA; the milter callbacks only map the answers
 *	to SMFIS_* codes and carry out the end-of-message plan.
 *
 *	At MAIL the list is looked for in the envelope (classify_envelope).
 *	When it is known there, each recipient is decided at RCPT: denied
 *	ones get 550 5.7.1 with the reason (enforce mode) or are only
 *	journalled (monitor mode). The MTA counts each refusal as a client
 *	error and hangs up after its limit (Postfix: 20, with a one-second
 *	sleep per error after 10), so an SMTP session gets at most
 *	rcpt_refusal_limit refusals between two messages that went through
 *	(struct msg_session, kept by the caller per connection); further
 *	denied recipients are accepted at RCPT and removed at end of message.
 *	Without an envelope match, or when RCPT replies are not allowed
 *	(Postfix non_smtpd_milters), recipients wait for the end of the
 *	message.
 *
 *	Headers may name the list (List-Id, the marker header) or mark bulk
 *	mail (Precedence: bulk/list/junk, List-Id, List-Unsubscribe). At the
 *	end of the headers a message that is neither is accepted at once,
 *	untouched: the MTA sends nothing more for it.
 *
 *	At end of message the remaining recipients are decided, denied ones
 *	removed (or only journalled in monitor mode), and a message with none
 *	left is rejected or discarded. A removal names each recipient as
 *	received and as Postfix's smtpd stores it (addr_mta_form: no source
 *	route), since smfi_delrcpt matches the stored spelling exactly and
 *	says nothing when it matches none. On the sendmail(1) path Postfix
 *	rewrites recipients (bang paths, %, trailing dots) before the milter
 *	sees them and matches removals against the original spelling, which
 *	the milter never sees; so there a message that would need a removal
 *	while others keep it is refused whole (verdict reject, reason
 *	cannot-strip for those with consent), never delivered unchecked.
 *	Recipients are counted by normalized address, so one mailbox given
 *	twice still gets one-click unsubscribe. List mail with List-Id fields
 *	that name different lists is refused (refuse_ambiguous_list_id). The message gets
 *	exactly one List-Unsubscribe (HTTPS URL first, then mailto, each with
 *	a token naming list and recipient) and one List-Unsubscribe-Post:
 *	headers already there are replaced, extra copies deleted, so filtering
 *	a message twice leaves one of each. With several recipients left the
 *	only honest header is a list-level mailto without one-click, and the
 *	journal says so. The marker header is always removed.
 *
 *	When egress_ips is configured, the envelope sender of list mail (or
 *	the HELO name for a null sender) must authorize those addresses in
 *	SPF (spf(3)), checked once per message: at MAIL when the list is
 *	known from the envelope (msg_spf_mail(), so a failing sender's
 *	MAIL gets the reply and none of its recipients is looked at), else
 *	at end of message. The list's spf_fail, spf_softfail and spf_error
 *	say what a result costs: reject (550 5.7.23 for fail and softfail,
 *	5.7.24 for temperror and permerror, RFC 7372), tempfail (451 4.7.23
 *	or 4.7.24) or journal; in monitor mode none refuses mail (verdicts
 *	would-reject, would-tempfail). pass, none and neutral cost nothing.
 *	Every journal line of a checked message carries the result, and
 *	with spf_trace_header the message leaves with exactly one
 *	"X-Optin-SPF: spf=RESULT smtp.mailfrom=DOMAIN egress=ADDRESS"
 *	(smtp.helo= for a null sender). Transactional mail is never checked.
 *
 *	Mail that looks like bulk but matches no list follows
 *	unattributed_bulk. A consent store that cannot answer makes list mail
 *	temp-fail (store_failure = tempfail); transactional mail never
 *	touches the store.
 * DIAGNOSTICS
 *	Every decision on list mail and on unattributed bulk mail is one
 *	journal line and one log line "ID: verdict: rcpt=<...> list=...
 *	reason=... mode=...". Each SPF check is logged as "ID: spf=RESULT
 *	smtp.mailfrom=DOMAIN egress=ADDRESS list=ID [cached] [detail=...]";
 *	a result that costs something is also a journal line without a
 *	recipient (reason spf-fail, spf-softfail, spf-temperror or
 *	spf-permerror, verdict reject, tempfail, warn, would-reject or
 *	would-tempfail). Store errors are logged as warnings. Nothing
 *	here is fatal: out of memory temp-fails the message.
 * SEE ALSO
 *	classify(3), decide(3), token(3), unsubscribe(3), journal(3), spf(3)
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enforce/classify.h"
#include "enforce/content.h"
#include "util/log.h"
#include "enforce/message.h"
#include "enforce/message_int.h"
#include "util/timeutil.h"
#include "unsubscribe/unsubscribe.h"
#include "unsubscribe/verp.h"
#include "util/text.h"

#define ADDR_RAW_FORM_BUFSZ 1100       /* addr_mta_form of any RCPT argument the MTA sends */
#define SPF_TRACE_HEADER "X-Optin-SPF"
#define SPF_NOTE_BUFSZ 400
#define CONTENT_HEADER_MAX 1000        /* of Content-Type and Content-Transfer-Encoding kept */

/* shown - a recipient fit for a log line and a reply: control bytes and % as ?, cut */
static const char *shown(const char *raw, char buf[SHOWN_BUFSZ])
{
    return text_escape(raw, strlen(raw), 0, TEXT_QUESTION | TEXT_PERCENT, buf, SHOWN_BUFSZ);
}

/* msg_mode - the mode of the message's list */
static const char *msg_mode(const struct msg_state *m)
{
    return m->list && m->list->mode == MODE_MONITOR ? "monitor" : "enforce";
}

/* rcpt_shown - the normalized recipient, or its raw form made printable when it is invalid */
const char *rcpt_shown(const struct decision *d, const char *raw, char buf[SHOWN_BUFSZ])
{
    return d->address[0] ? d->address : shown(raw, buf);
}

#define RECORD_LOG 1            /* a log line now */
#define RECORD_JOURNAL 2        /* a journal line in the transaction's batch */

/* msg_journal - one line into the transaction's batch (raw: the recipient as received) */
void msg_journal(struct msg_state *m, const char *raw, const char *rcpt, const char *verdict,
                        const char *reason, const struct decision *d, const char *note)
{
    struct journal_entry e = {
        .time = m->now, .queue_id = m->id, .session_id = m->own_id, .client_addr = m->client_addr,
        .sender = m->sender, .list = m->list ? m->list->id : NULL, .recipient = rcpt,
        .recipient_raw = raw, .verdict = verdict, .reason = reason, .mode = msg_mode(m),
        .note = note, .spf = m->spf_done ? spf_result_name(m->spf.result) : NULL,
    };

    if (rcpt != NULL)
        count_decision(m, verdict, reason);
    if (m->env->journal == NULL)
        return;
    if (d && d->allow) {
        e.method = consent_method_name(d->method);
        e.consent_time = d->has_record ? d->record.consented_at : d->consent_time;
    }
    if (d && d->allow && d->has_record) {      /* a receipt names the record it relied on */
        e.confirm_time = d->record.confirmed_at;
        e.consent_source = d->record.source;
        e.policy_version = d->record.policy_version;
        e.history_seq = d->record.history_seq;
    }
    if ((m->batch == NULL && (m->batch = journal_batch_new()) == NULL)
        || journal_batch_add(m->batch, &e) != 0)
        m->batch_failed = 1;
}

/* msg_record - one decision: a journal line, a log line, or both (see RECORD_*) */
static void msg_record_as(struct msg_state *m, int what, const char *raw, const char *rcpt,
                          const char *verdict, const char *reason, const struct decision *d,
                          const char *note)
{
    char buf[SHOWN_BUFSZ];

    if (what & RECORD_JOURNAL)
        msg_journal(m, raw, rcpt, verdict, reason, d, note);
    if (!(what & RECORD_LOG))
        return;
    log_info("%s: %s: rcpt=%s%s%s list=%s reason=%s mode=%s%s%s", m->id, verdict,
             rcpt ? "<" : "", rcpt ? shown(rcpt, buf) : "-", rcpt ? ">" : "", m->list ? m->list->id : "-", reason ? reason : "-",
             msg_mode(m), note ? " note=" : "", note ? note : "");
}

/* msg_record - one decision, logged and journalled */
static void msg_record(struct msg_state *m, const char *raw, const char *rcpt, const char *verdict,
                       const char *reason, const struct decision *d, const char *note)
{
    msg_record_as(m, RECORD_LOG | RECORD_JOURNAL, raw, rcpt, verdict, reason, d, note);
}

/* msg_init - a new message */
void msg_init(struct msg_state *m, const struct msg_env *env, struct msg_session *session,
              const char *own_id, const char *client_addr, int64_t now)
{
    memset(m, 0, sizeof(*m));
    m->env = env;
    m->session = session;
    snprintf(m->own_id, sizeof(m->own_id), "%s", own_id);
    snprintf(m->id, sizeof(m->id), "%s", own_id);
    m->client_addr = client_addr;
    m->now = now;
}

/* msg_free - release a message */
void msg_free(struct msg_state *m)
{
    for (size_t i = 0; i < m->nrcpts; i++) {
        free(m->rcpts[i].raw);
        free(m->rcpts[i].mta_form);
    }
    free(m->rcpts);
    free(m->sender);
    free(m->content_type);
    free(m->content_te);
    free(m->body);
    m->content_type = m->content_te = m->body = NULL;
    m->body_len = 0;
    journal_batch_free(m->batch);
    m->batch = NULL;
    m->rcpts = NULL;
    m->sender = NULL;
    m->nrcpts = m->cap = 0;
}

/* msg_set_queue_id - adopt the MTA's queue id */
void msg_set_queue_id(struct msg_state *m, const char *queue_id)
{
    if (queue_id == NULL || *queue_id == 0 || strcmp(m->id, queue_id) == 0)
        return;
    if (strcmp(m->id, m->own_id) == 0)
        log_info("%s: queue_id=%s", m->own_id, queue_id);
    snprintf(m->id, sizeof(m->id), "%s", queue_id);
}

/* msg_mail - the envelope sender; list by envelope */
void msg_mail(struct msg_state *m, const char *sender, const char *auth_user, const char *daemon_name)
{
    char norm[ADDR_BUFSZ];

    free(m->sender);
    if (sender && addr_normalize(sender, strlen(sender), 0, norm) == ADDR_OK)
        sender = norm;      /* the journal shows the sender without <> and with a canonical domain */
    m->sender = strdup(sender ? sender : "");
    m->list = classify_envelope(m->env->cfg, sender, auth_user, daemon_name);
    m->list_source = m->list ? LIST_BY_ENVELOPE : LIST_NONE;
}

/* route_dropped - does the MTA's form differ from raw by more than blanks and <> (a source route)? */
static int route_dropped(const char *raw, const char *form)
{
    return strncmp(raw + strspn(raw, " <"), form, strlen(form)) != 0;
}

/* msg_keep_rcpt - remember an accepted recipient (d: decided at RCPT; late: to be removed at the end); -1 on ENOMEM */
static int msg_keep_rcpt(struct msg_state *m, const char *raw, size_t len,
                         const struct decision *d, int late)
{
    char form[ADDR_RAW_FORM_BUFSZ];
    struct msg_rcpt *r;

    if (m->nrcpts == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;

        if ((r = realloc(m->rcpts, cap * sizeof(*r))) == NULL)
            return -1;
        m->rcpts = r;
        m->cap = cap;
    }
    r = &m->rcpts[m->nrcpts];
    memset(r, 0, sizeof(*r));
    if ((r->raw = strndup(raw, len)) == NULL)
        return -1;
    if (addr_mta_form(raw, len, form, sizeof(form)) == 0 && route_dropped(r->raw, form)
        && (r->mta_form = strdup(form)) == NULL) {
        free(r->raw);
        return -1;
    }
    r->decided = r->at_rcpt = d != NULL;
    r->refusal_deferred = late;
    if (d)
        r->d = *d;
    m->nrcpts++;
    return 0;
}

/* set_reply - fill a reply */
__attribute__((format(printf, 4, 5)))
static void set_reply(struct msg_reply *reply, const char *rcode, const char *xcode,
                      const char *fmt, ...)
{
    va_list ap;

    reply->rcode = rcode;
    reply->xcode = xcode;
    va_start(ap, fmt);
    vsnprintf(reply->text, sizeof(reply->text), fmt, ap);
    va_end(ap);
}

/* ---- sender authorization (SPF) ---- */

/* What an SPF result costs a list: its action field, the reason and the enhanced codes. */
static const struct {
    const char *reason;
    size_t action;               /* offset of the enum spf_action in struct list_def */
    const char *x5, *x4;         /* RFC 7372: 5.7.23 failed, 5.7.24 could not be evaluated */
} spf_rules[] = {
    [SPFR_FAIL] = {"spf-fail", offsetof(struct list_def, spf_fail), "5.7.23", "4.7.23"},
    [SPFR_SOFTFAIL] = {"spf-softfail", offsetof(struct list_def, spf_softfail), "5.7.23", "4.7.23"},
    [SPFR_TEMPERROR] = {"spf-temperror", offsetof(struct list_def, spf_error), "5.7.24", "4.7.24"},
    [SPFR_PERMERROR] = {"spf-permerror", offsetof(struct list_def, spf_error), "5.7.24", "4.7.24"},
};

/* spf_active - is the sender of this list mail to be checked? */
static int spf_active(const struct msg_state *m)
{
    return m->list != NULL && m->env->spf != NULL && m->env->cfg->egress_ips.count > 0 && !m->spf_done;
}

/* spf_summary - "spf=fail smtp.mailfrom=lists.example egress=192.0.2.25" */
static void spf_summary(const struct msg_state *m, char *buf, size_t size)
{
    const struct spf_outcome *o = &m->spf;

    snprintf(buf, size, "spf=%s %s=%s egress=%s", spf_result_name(o->result),
             o->helo_identity ? "smtp.helo" : "smtp.mailfrom", o->domain[0] ? o->domain : "-",
             o->egress[0] ? o->egress : "-");
}

/* spf_run - check the sender once, log the result */
static void spf_run(struct msg_state *m)
{
    const struct optin_config *cfg = m->env->cfg;
    struct spf_request rq = {
        .sender = m->sender, .helo = cfg->helo_name,
        .egress = (const char *const *) cfg->egress_ips.items, .negress = cfg->egress_ips.count,
        .cache_ttl = cfg->spf_cache_ttl_max, .timeout_ms = (unsigned) cfg->spf_timeout * 1000u,
    };
    char summary[SPF_NOTE_BUFSZ];

    m->spf_done = 1;
    spf_check(m->env->spf, &rq, m->now, &m->spf);
    count_spf(m, spf_result_name(m->spf.result));
    spf_summary(m, summary, sizeof(summary));
    log_info("%s: %s list=%s%s%s%s", m->id, summary, m->list->id, m->spf.cached ? " cached" : "",
             m->spf.detail[0] ? " detail=" : "", m->spf.detail);
}

/* spf_enforce - what the result costs this list: journal it, maybe refuse the mail */
static enum msg_step spf_enforce(struct msg_state *m, struct msg_reply *reply)
{
    enum spf_result r = m->spf.result;
    char note[SPF_NOTE_BUFSZ + SPF_DETAIL_BUFSZ], buf[SHOWN_BUFSZ];
    enum spf_action action;
    int monitor = m->list->mode == MODE_MONITOR;
    const char *verdict;

    if ((size_t) r >= sizeof(spf_rules) / sizeof(spf_rules[0]) || spf_rules[r].reason == NULL)
        return MSG_CONTINUE;
    action = *(const enum spf_action *) (const void *) ((const char *) m->list + spf_rules[r].action);
    verdict = action == SPF_ACT_JOURNAL ? "warn" : action == SPF_ACT_REJECT
              ? (monitor ? "would-reject" : "reject") : (monitor ? "would-tempfail" : "tempfail");
    spf_summary(m, note, SPF_NOTE_BUFSZ);
    if (m->spf.detail[0])
        snprintf(note + strlen(note), sizeof(note) - strlen(note), ": %s", m->spf.detail);
    msg_record(m, NULL, NULL, verdict, spf_rules[r].reason, NULL, note);
    if (action == SPF_ACT_JOURNAL || monitor)
        return MSG_CONTINUE;
    shown(m->spf.domain, buf);
    if (r == SPFR_FAIL || r == SPFR_SOFTFAIL)
        set_reply(reply, action == SPF_ACT_REJECT ? "550" : "451",
                  action == SPF_ACT_REJECT ? spf_rules[r].x5 : spf_rules[r].x4,
                  "SPF %s: %s does not authorize %s to send list %s", spf_result_name(r), buf,
                  m->spf.egress, m->list->id);
    else
        set_reply(reply, action == SPF_ACT_REJECT ? "550" : "451",
                  action == SPF_ACT_REJECT ? spf_rules[r].x5 : spf_rules[r].x4,
                  "SPF %s for %s, list %s%s", spf_result_name(r), buf, m->list->id,
                  action == SPF_ACT_REJECT ? "" : ": try again later");
    return action == SPF_ACT_REJECT ? MSG_REJECT : MSG_TEMPFAIL;
}

/* msg_spf_mail - at MAIL: check the sender of list mail known from the envelope */
enum msg_step msg_spf_mail(struct msg_state *m, struct msg_reply *reply)
{
    enum msg_step step;

    if (m->list_source != LIST_BY_ENVELOPE || !spf_active(m))
        return MSG_CONTINUE;
    spf_run(m);
    if ((step = spf_enforce(m, reply)) == MSG_REJECT || step == MSG_TEMPFAIL)
        count_message(m, step);     /* refused at MAIL: not "aborted" */
    return step;
}

/* store_failed - the consent store cannot answer: temp-fail, or deliver unchecked */
static enum msg_step store_failed(struct msg_state *m, const char *raw, const char *rcpt, int rc,
                                  struct msg_reply *reply)
{
    log_warn("%s: consent lookup failed: %s", m->id, m->env->store ? optin_strerror(rc)
                                                                   : "no consent database");
    count_store_error(m);
    if (m->env->cfg->store_failure == STORE_FAIL_ACCEPT) {
        /* journalled when the transaction ends, as a receipt if the mail goes */
        msg_record_as(m, RECORD_LOG, raw, rcpt, "accept-unchecked", "store-failure", NULL, NULL);
        return MSG_CONTINUE;
    }
    msg_record(m, raw, rcpt, "tempfail", "store-failure", NULL, NULL);
    set_reply(reply, "451", "4.3.0", "consent database unavailable for list %s, try again later",
              m->list ? m->list->id : "-");
    return MSG_TEMPFAIL;
}

/* unchecked_decision - "allowed" without a lookup, for store_failure = accept */
static void unchecked_decision(const char *raw, size_t len, const struct optin_config *cfg,
                               struct decision *d)
{
    memset(d, 0, sizeof(*d));
    d->addr_error = addr_normalize(raw, len, cfg->fold_local_part ? ADDR_FOLD_LOCAL : 0,
                                   d->address);
    if (d->addr_error != ADDR_OK)
        d->address[0] = 0;
    d->allow = 1;
    d->reason = REASON_CONSENT;
}

/* msg_decide - look up one recipient; 0 or a store error */
static int msg_decide(struct msg_state *m, const char *raw, size_t len, struct decision *d)
{
    if (m->env->store == NULL)
        return -1;
    return decide_address(m->env->store, m->list, raw, len,
                          m->env->cfg->fold_local_part ? ADDR_FOLD_LOCAL : 0, m->now, d);
}

/* refusal_allowed - may this session get one more RCPT refusal? (the MTA counts each as an error) */
static int refusal_allowed(const struct msg_state *m)
{
    unsigned limit = m->env->cfg->rcpt_refusal_limit;

    return m->session == NULL ? limit > 0 : m->session->rcpt_refusals < limit;
}

/* msg_rcpt - decide at RCPT when the list is known and replies are allowed */
enum msg_step msg_rcpt(struct msg_state *m, const char *raw, size_t len, int non_smtpd,
                       struct msg_reply *reply)
{
    struct decision d;
    char buf[SHOWN_BUFSZ], rawz[SHOWN_BUFSZ];
    int rc, unchecked = 0;

    m->non_smtpd |= non_smtpd;
    if (m->list_source != LIST_BY_ENVELOPE || non_smtpd)
        return msg_keep_rcpt(m, raw, len, NULL, 0) == 0 ? MSG_CONTINUE : MSG_TEMPFAIL;
    snprintf(rawz, sizeof(rawz), "%.*s", (int) (len < sizeof(rawz) ? len : sizeof(rawz) - 1), raw);
    if ((rc = msg_decide(m, raw, len, &d)) != 0) {
        enum msg_step step;

        unchecked_decision(raw, len, m->env->cfg, &d);   /* for store_failure = accept */
        step = store_failed(m, rawz, rcpt_shown(&d, raw, buf), rc, reply);
        if (step != MSG_CONTINUE)
            return step;
        unchecked = 1;
    }
    if (!d.allow && m->list->mode == MODE_ENFORCE) {
        if (!refusal_allowed(m))    /* past the MTA's patience: removed at end of message */
            return msg_keep_rcpt(m, raw, len, &d, 1) == 0 ? MSG_CONTINUE : MSG_TEMPFAIL;
        if (m->session)
            m->session->rcpt_refusals++;
        msg_record(m, rawz, rcpt_shown(&d, raw, buf), "reject", decision_reason_name(d.reason), &d,
                   NULL);
        set_reply(reply, "550", "5.7.1", "<%s>: no consent for list %s (%s)",
                  shown(d.address[0] ? d.address : raw, buf), m->list->id,
                  decision_reason_name(d.reason));
        return MSG_REJECT;
    }
    if (!unchecked)     /* logged now, journalled when the transaction ends (msg_finish) */
        msg_record_as(m, RECORD_LOG, rawz, rcpt_shown(&d, raw, buf), d.allow ? "accept" : "would-reject",
                      decision_reason_name(d.reason), &d, NULL);
    m->monitor_denied += !d.allow;
    if (msg_keep_rcpt(m, raw, len, &d, 0) != 0)
        return MSG_TEMPFAIL;
    m->rcpts[m->nrcpts - 1].unchecked = unchecked;
    return MSG_CONTINUE;
}

/* msg_header - what one header says about the message */
void msg_header(struct msg_state *m, const char *name, const char *value)
{
    const struct optin_config *cfg = m->env->cfg;
    char id[LIST_ID_HEADER_BUFSZ];
    const struct list_def *l;

    m->bulk_signs += header_signals_bulk(name, value);
    m->unsub_count += strcasecmp(name, UNSUB_HEADER) == 0;
    m->unsub_post_count += strcasecmp(name, UNSUB_POST_HEADER) == 0;
    m->verdict_count += strcasecmp(name, cfg->verdict_header) == 0;
    m->spf_trace_count += strcasecmp(name, SPF_TRACE_HEADER) == 0;
    if (m->content_type == NULL && strcasecmp(name, "Content-Type") == 0)
        m->content_type = strndup(value, CONTENT_HEADER_MAX);
    if (m->content_te == NULL && strcasecmp(name, "Content-Transfer-Encoding") == 0)
        m->content_te = strndup(value, CONTENT_HEADER_MAX);
    if (strcasecmp(name, cfg->marker_header) == 0) {
        m->marker_count++;
        l = header_value_trim(value, id, sizeof(id)) == 0 ? config_find_list(cfg, id) : NULL;
        m->marker_unknown += l == NULL;
        if (l && m->list_source != LIST_BY_ENVELOPE) {
            m->list = l;
            m->list_source = LIST_BY_HEADER;
        }
        return;
    }
    if (strcasecmp(name, "List-Id") != 0 || list_id_extract(value, id) != 0)
        return;
    if (m->list_id_first[0] == '\0')
        snprintf(m->list_id_first, sizeof(m->list_id_first), "%s", id);
    else if (strcmp(m->list_id_first, id) != 0)
        m->list_id_conflict = 1;    /* RFC 2919 allows one: which list is this? */
    if (m->list_source == LIST_NONE && (l = classify_list_id(cfg, id)) != NULL) {
        m->list = l;
        m->list_source = LIST_BY_HEADER;
    }
}

/* config_reads_body - does any list check its mail's content? */
int config_reads_body(const struct optin_config *cfg)
{
    for (size_t i = 0; i < cfg->list_count; i++)
        if (cfg->lists[i].content_check != CONTENT_OFF)
            return 1;
    return 0;
}

/* msg_body - keep the first content_max_bytes of the body of list mail whose content is checked */
int msg_body(struct msg_state *m, const unsigned char *data, size_t len)
{
    size_t max = (size_t) m->env->cfg->content_max_bytes, take;
    char *grown;

    if (m->list == NULL || m->list->content_check == CONTENT_OFF || m->body_len >= max)
        return 1;
    take = len < max - m->body_len ? len : max - m->body_len;
    if ((grown = realloc(m->body, m->body_len + take + 1)) == NULL)
        return 1;                        /* checked on what was read */
    m->body = grown;
    memcpy(m->body + m->body_len, data, take);
    m->body_len += take;
    m->body[m->body_len] = '\0';
    return m->body_len >= max;
}

/* msg_eoh - accept at once what cannot be list mail */
enum msg_step msg_eoh(struct msg_state *m)
{
    m->eoh_seen = 1;
    if (m->list || m->bulk_signs || m->marker_count || m->list_id_conflict)
        return MSG_CONTINUE;
    if (m->session)
        m->session->rcpt_refusals = 0;  /* transactional mail goes: the MTA forgives */
    count_message(m, MSG_ACCEPT);
    return MSG_ACCEPT;
}

/* plan_op - append one header edit; marks the plan failed when out of memory */
static void plan_op(struct eom_plan *p, struct hdr_op op)
{
    if (p->nops == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        struct hdr_op *ops = realloc(p->ops, cap * sizeof(*ops));

        if (ops == NULL) {
            free(op.value);
            p->failed = 1;
            return;
        }
        p->ops = ops;
        p->cap = cap;
    }
    p->ops[p->nops++] = op;
}

/* plan_header - set a header to exactly one instance with value (NULL: remove every instance) */
static void plan_header(struct eom_plan *p, const char *name, int present, const char *value)
{
    for (int i = present; i >= (value ? 2 : 1); i--)     /* from the highest index down */
        plan_op(p, (struct hdr_op){.name = name, .index = i});
    if (value == NULL)
        return;
    plan_op(p, (struct hdr_op){.name = name, .add = present == 0, .index = present ? 1 : 0,
                               .value = strdup(value)});
    if (!p->failed && p->ops[p->nops - 1].value == NULL)
        p->failed = 1;
}

/* unsub_problem - why no List-Unsubscribe could be built, for the log */
static const char *unsub_problem(const struct msg_state *m, const struct msg_rcpt *only,
                                 size_t left, const char *mailto)
{
    if (m->env->keys == NULL)
        return "no token key file loaded";
    if (left > 1 && mailto == NULL)
        return "several recipients and no unsubscribe_mailto";
    if (left == 1 && only->d.address[0] == 0)
        return "the recipient address is not valid";
    return "the token or header could not be built";
}

/* plan_unsubscribe - the List-Unsubscribe pair for the recipients left */
static void plan_unsubscribe(struct msg_state *m, struct eom_plan *p, const struct msg_rcpt *only,
                             size_t left)
{
    const char *url = m->list->unsubscribe_url ? m->list->unsubscribe_url
                                               : m->env->cfg->unsubscribe_url;
    const char *mailto = m->list->unsubscribe_mailto ? m->list->unsubscribe_mailto
                                                     : m->env->cfg->unsubscribe_mailto;
    char token[TOKEN_BUFSZ], value[UNSUB_VALUE_BUFSZ];
    int ok = 0, one_click = 0;

    if (url == NULL && mailto == NULL)
        return;     /* the milter was not asked to manage these headers: the app's stay */
    if (m->env->keys && left == 1 && only->d.address[0]
        && token_make(m->env->keys, m->list->id, only->d.address, token) == 0) {
        ok = unsub_value(mailto, url, token, value, sizeof(value)) == 0;
        one_click = ok && url != NULL;
    } else if (m->env->keys && left > 1 && mailto
               && token_make(m->env->keys, m->list->id, "", token) == 0) {
        ok = unsub_value(mailto, NULL, token, value, sizeof(value)) == 0;
    }
    if (left > 1)
        msg_record(m, NULL, NULL, "warn", "several-recipients", NULL,
                   ok ? "list-level mailto only, no one-click: send one recipient per message"
                      : unsub_problem(m, only, left, mailto));
    else if (!ok)
        log_warn("%s: no List-Unsubscribe added: %s", m->id, unsub_problem(m, only, left, mailto));
    /* an unverifiable header of the application's is never left in place */
    plan_header(p, UNSUB_HEADER, m->unsub_count, ok ? value : NULL);
    plan_header(p, UNSUB_POST_HEADER, m->unsub_post_count, one_click ? UNSUB_POST_VALUE : NULL);
}

/* eom_decide_all - decide the recipients left for the end; 0 or a store error */
static int eom_decide_all(struct msg_state *m)
{
    int rc;

    for (size_t i = 0; i < m->nrcpts; i++) {
        struct msg_rcpt *r = &m->rcpts[i];

        if (r->decided)
            continue;
        if ((rc = msg_decide(m, r->raw, strlen(r->raw), &r->d)) != 0)
            return rc;
        r->decided = 1;
    }
    return 0;
}

/* same_mailbox - is every recipient in left[0, n) the same valid normalized address? */
static int same_mailbox(const struct msg_rcpt *const *left, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (left[0]->d.address[0] == '\0' || strcmp(left[i]->d.address, left[0]->d.address) != 0)
            return 0;
    return n > 0;
}

/* plan_delrcpt - remove r by every spelling the MTA may have stored: as received and its MTA form */
static void plan_delrcpt(struct eom_plan *p, const struct msg_rcpt *r)
{
    if (p->delrcpt == NULL)
        return;
    p->delrcpt[p->ndelrcpt++] = r->raw;
    if (r->mta_form)
        p->delrcpt[p->ndelrcpt++] = r->mta_form;
}

/* eom_strip - remove (or in monitor mode only journal) the denied recipients; how many are left */
static size_t eom_strip(struct msg_state *m, struct eom_plan *p, const struct msg_rcpt **only)
{
    int enforce = m->list->mode == MODE_ENFORCE;
    const struct msg_rcpt **left;
    size_t nleft = 0;
    char buf[SHOWN_BUFSZ];

    left = calloc(m->nrcpts ? m->nrcpts : 1, sizeof(*left));
    if (left == NULL || (p->delrcpt = calloc(2 * m->nrcpts + 1, sizeof(char *))) == NULL)
        p->failed = 1;          /* never deliver to someone we could not remove */
    for (size_t i = 0; i < m->nrcpts; i++) {
        struct msg_rcpt *r = &m->rcpts[i];

        if (r->d.allow || !enforce || r->unchecked) {
            if (left)
                left[nleft] = r;
            nleft++;                /* journalled by msg_finish, as a receipt if the mail goes */
            if (!r->at_rcpt && !r->unchecked) {
                m->monitor_denied += !r->d.allow;
                msg_record_as(m, RECORD_LOG, r->raw, rcpt_shown(&r->d, r->raw, buf),
                              r->d.allow ? "accept" : "would-strip",
                              decision_reason_name(r->d.reason), &r->d, NULL);
            }
            continue;
        }
        plan_delrcpt(p, r);
        r->journalled = 1;
        msg_record(m, r->raw, rcpt_shown(&r->d, r->raw, buf), "strip",
                   decision_reason_name(r->d.reason), &r->d,
                   r->refusal_deferred ? "removed at end of message: rcpt_refusal_limit reached" : NULL);
    }
    *only = nleft && left ? left[0] : NULL;
    if (left && nleft > 1 && same_mailbox(left, nleft))
        nleft = 1;              /* one mailbox given twice: Postfix delivers one copy */
    free(left);
    return nleft;
}

/* eom_unremovable - a sendmail(1) submission that would need recipients removed: refused whole */
static int eom_unremovable(struct msg_state *m, struct eom_plan *p)
{
    size_t denied = 0, allowed = 0;
    char buf[SHOWN_BUFSZ], note[200];

    if (!m->non_smtpd || m->list->mode != MODE_ENFORCE)
        return 0;
    for (size_t i = 0; i < m->nrcpts; i++) {
        denied += !m->rcpts[i].d.allow;
        allowed += m->rcpts[i].d.allow;
    }
    if (denied == 0 || allowed == 0)
        return 0;               /* nothing to remove, or nobody left: no removal needed */
    snprintf(note, sizeof(note), "%zu of %zu recipients have no consent and cannot be removed from "
             "a sendmail(1) submission", denied, denied + allowed);
    for (size_t i = 0; i < m->nrcpts; i++) {
        const struct msg_rcpt *r = &m->rcpts[i];

        msg_record(m, r->raw, rcpt_shown(&r->d, r->raw, buf), "reject",
                   r->d.allow ? "cannot-strip" : decision_reason_name(r->d.reason), &r->d, note);
        m->rcpts[i].journalled = 1;
    }
    p->step = MSG_REJECT;
    set_reply(&p->reply, "550", "5.7.1", "list %s: %s (the MTA rewrites addresses before the "
              "milter sees them): send it again without them, or one recipient per message",
              m->list->id, note);
    return 1;
}

/* eom_ambiguous - several List-Id fields naming different lists: refused (refuse_ambiguous_list_id) */
static int eom_ambiguous(struct msg_state *m, struct eom_plan *p)
{
    int monitor = m->list->mode == MODE_MONITOR;

    if (!m->list_id_conflict || !m->env->cfg->refuse_ambiguous_list_id)
        return 0;
    msg_record(m, NULL, NULL, monitor ? "would-reject" : "reject", "ambiguous-list-id", NULL,
               "List-Id fields name different lists (RFC 2919 allows one)");
    if (monitor)
        return 0;
    p->step = MSG_REJECT;
    set_reply(&p->reply, "550", "5.7.1", "several List-Id fields naming different lists: "
              "which list is this? (RFC 2919 allows one)");
    return 1;
}

/* plan_verp - one recipient left: a signed VERP return path, so its bounces name it (verp(3)) */
static void plan_verp(struct msg_state *m, struct eom_plan *p, const struct msg_rcpt *only,
                      size_t left)
{
    const char *pattern = m->list->verp_return_path ? m->list->verp_return_path
                                                    : m->env->cfg->verp_return_path;
    char path[VERP_PATH_BUFSZ];

    if (pattern == NULL || left != 1 || only == NULL || only->d.address[0] == '\0'
        || m->list->mode != MODE_ENFORCE)
        return;
    if (m->env->keys == NULL
        || verp_return_path(m->env->keys, pattern, m->list->id, only->d.address, path) != 0) {
        log_warn("%s: no VERP return path for rcpt=<%s>: %s", m->id, only->d.address,
                 m->env->keys ? "it could not be made" : "no token key file loaded");
        return;
    }
    if ((p->new_sender = strdup(path)) == NULL)
        p->failed = 1;
    log_debug("%s: return path %s for rcpt=<%s> list=%s", m->id, path, only->d.address,
              m->list->id);
}

/* eom_content - the list's content check on the first body part: a warn line, or a refusal */
static int eom_content(struct msg_state *m, struct eom_plan *p)
{
    int refuse = m->list->content_check == CONTENT_REFUSE, monitor = m->list->mode == MODE_MONITOR;
    char *text = NULL, missing_text[200], note[300];
    unsigned missing;

    if (m->list->content_check == CONTENT_OFF)
        return 0;
    if (content_first_text(m->content_type, m->content_te, m->body ? m->body : "", m->body_len, &text) != 0) {
        p->failed = 1;
        return 1;
    }
    missing = content_missing(m->list, text);
    free(text);
    if (missing == 0)
        return 0;
    content_describe(missing, missing_text, sizeof(missing_text));
    snprintf(note, sizeof(note), "the first body part lacks %s", missing_text);
    msg_record(m, NULL, NULL, !refuse ? "warn" : monitor ? "would-reject" : "reject", "content-missing",
               NULL, note);
    if (!refuse || monitor)
        return 0;
    p->step = MSG_REJECT;
    set_reply(&p->reply, "550", "5.7.1", "list %s: the message does not show %s", m->list->id,
              missing_text);
    return 1;
}

/* eom_unattributed - bulk-looking mail that matches no list */
static void eom_unattributed(struct msg_state *m, struct eom_plan *p)
{
    static const struct {
        enum msg_step step;
        const char *verdict, *rcode, *xcode;
    } actions[] = {
        [BULK_REJECT] = {MSG_REJECT, "reject", "550", "5.7.1"},
        [BULK_TEMPFAIL] = {MSG_TEMPFAIL, "tempfail", "451", "4.7.1"},
        [BULK_ACCEPT] = {MSG_ACCEPT, "accept", NULL, NULL},
    };
    enum bulk_action a = m->env->cfg->unattributed_bulk;

    msg_record(m, NULL, NULL, actions[a].verdict, "unattributed-bulk", NULL,
               m->marker_unknown ? "marker header names no configured list" : NULL);
    p->step = actions[a].step;
    if (actions[a].rcode)
        set_reply(&p->reply, actions[a].rcode, actions[a].xcode,
                  "bulk mail that matches no list definition is not accepted");
    if (p->step == MSG_ACCEPT && m->marker_count)
        p->step = MSG_CONTINUE;     /* still remove the marker header */
}

/* eom_all_denied - no recipient left: reject or discard the message */
static void eom_all_denied(struct msg_state *m, struct eom_plan *p)
{
    int discard = m->env->cfg->all_recipients_denied == ALL_DENIED_DISCARD;

    msg_record(m, NULL, NULL, discard ? "discard" : "reject", "no-recipient-with-consent", NULL, NULL);
    p->step = discard ? MSG_DISCARD : MSG_REJECT;
    if (!discard)
        set_reply(&p->reply, "550", "5.7.1", "no recipient has consent for list %s",
                  m->list->id);
    free(p->delrcpt);
    p->delrcpt = NULL;
    p->ndelrcpt = 0;
}

/* plan_verdict - the monitor-mode verdict header */
static void plan_verdict(struct msg_state *m, struct eom_plan *p, size_t left)
{
    char value[200];

    if (m->list->mode != MODE_MONITOR) {
        if (m->verdict_count)
            plan_header(p, m->env->cfg->verdict_header, m->verdict_count, NULL);
        return;
    }
    snprintf(value, sizeof(value), "list=%s; mode=monitor; recipients=%zu; would-deny=%zu",
             m->list->id, left, m->monitor_denied);
    plan_header(p, m->env->cfg->verdict_header, m->verdict_count, value);
}

/* eom_store_failed - the store failed at end of message: temp-fail, or one line per recipient */
static enum msg_step eom_store_failed(struct msg_state *m, struct eom_plan *p, int rc)
{
    char buf[SHOWN_BUFSZ];

    if (m->env->cfg->store_failure != STORE_FAIL_ACCEPT)
        return p->step = store_failed(m, NULL, NULL, rc, &p->reply);
    log_warn("%s: consent lookup failed: %s", m->id,
             m->env->store ? optin_strerror(rc) : "no consent database");
    count_store_error(m);
    for (size_t i = 0; i < m->nrcpts; i++) {
        struct msg_rcpt *r = &m->rcpts[i];

        if (r->decided)
            continue;
        unchecked_decision(r->raw, strlen(r->raw), m->env->cfg, &r->d);
        r->decided = r->unchecked = 1;
        msg_record_as(m, RECORD_LOG, r->raw, rcpt_shown(&r->d, r->raw, buf), "accept-unchecked",
                      "store-failure", NULL, NULL);
    }
    return MSG_CONTINUE;
}

/* plan_spf_trace - exactly one X-Optin-SPF with the result (spf_trace_header), or none when unchecked */
static void plan_spf_trace(struct msg_state *m, struct eom_plan *p)
{
    char value[SPF_NOTE_BUFSZ];

    if (!m->env->cfg->spf_trace_header || !m->spf_done)
        return;
    spf_summary(m, value, sizeof(value));
    plan_header(p, SPF_TRACE_HEADER, m->spf_trace_count, m->spf.result == SPFR_SKIPPED ? NULL : value);
}

/* msg_eom - the end-of-message plan */
void msg_eom(struct msg_state *m, struct eom_plan *p)
{
    const struct msg_rcpt *only = NULL;
    size_t left;
    int rc;

    memset(p, 0, sizeof(*p));
    p->step = MSG_CONTINUE;
    if (m->list == NULL) {
        if (m->bulk_signs || m->marker_unknown)
            eom_unattributed(m, p);
        else
            p->step = MSG_ACCEPT;
        plan_header(p, m->env->cfg->marker_header, m->marker_count, NULL);
        return;
    }
    if (spf_active(m)) {     /* list known from the headers only */
        spf_run(m);
        if ((p->step = spf_enforce(m, &p->reply)) != MSG_CONTINUE)
            return;
    }
    if (eom_ambiguous(m, p) || eom_content(m, p))
        return;
    if ((rc = eom_decide_all(m)) != 0 && eom_store_failed(m, p, rc) != MSG_CONTINUE)
        return;
    if (eom_unremovable(m, p))
        return;
    left = eom_strip(m, p, &only);
    if (left == 0) {
        eom_all_denied(m, p);
        return;
    }
    plan_unsubscribe(m, p, only, left);
    plan_verp(m, p, only, left);
    plan_verdict(m, p, left);
    plan_spf_trace(m, p);
    plan_header(p, m->env->cfg->marker_header, m->marker_count, NULL);
    if (m->session && !p->failed)
        m->session->rcpt_refusals = 0;  /* the MTA forgives a client's errors once mail goes */
}

/* msg_plan_free - release a plan */
void msg_plan_free(struct eom_plan *p)
{
    for (size_t i = 0; i < p->nops; i++)
        free(p->ops[i].value);
    free(p->ops);
    free(p->delrcpt);
    free(p->new_sender);
    memset(p, 0, sizeof(*p));
}
