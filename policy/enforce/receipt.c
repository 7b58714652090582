/*
 * NAME
 *	receipt 3
 * SUMMARY
 *	the end of a transaction: its receipts and its one journal write
 * SYNOPSIS
 *	#include "enforce/message.h"
 *
 *	enum msg_step msg_finish(struct msg_state *m, enum msg_step step,
 *				 struct msg_reply *reply)
 *	void	msg_abort(struct msg_state *m)
 * DESCRIPTION
 *	The lines of a transaction (refusals at RCPT, removals and warnings
 *	at end of message) wait in its batch (journal(3)); a recipient that
 *	stays in the message has no line yet. msg_finish() is called at end
 *	of message with the step the milter is about to answer: when the
 *	message goes (CONTINUE or ACCEPT) each such recipient gets its
 *	receipt (accept, accept-unchecked, or in monitor mode would-reject
 *	or would-strip), citing the consent record it relied on; when it is
 *	refused, temp-failed or discarded, a line with that verdict and
 *	reason not-sent. msg_abort() (RSET, a new MAIL, a lost connection)
 *	gives them verdict aborted. Then the batch is written with one
 *	journal_commit().
 * DIAGNOSTICS
 *	A failed write is logged as "ID: journal write failed: REASON: N
 *	lines lost". For a message that was going, the list's
 *	journal_failure decides: tempfail (the step becomes MSG_TEMPFAIL,
 *	451 4.3.0, logged) or deliver (logged).
 * SEE ALSO
 *	message(3), journal(3), optin-milter.conf(5)
 */

#include <stdio.h>
#include <string.h>

#include "enforce/message.h"
#include "enforce/message_int.h"
#include "util/log.h"

/* What a recipient still in the message is journalled as when the transaction ends without delivery. */
static const char *const undelivered_verdicts[] = {
    [MSG_REJECT] = "reject", [MSG_TEMPFAIL] = "tempfail", [MSG_DISCARD] = "discard",
};

/* receipt_verdict - the verdict of a recipient that stays in a delivered message */
static const char *receipt_verdict(const struct msg_rcpt *r)
{
    if (r->unchecked)
        return "accept-unchecked";
    if (r->d.allow)
        return "accept";
    return r->at_rcpt ? "would-reject" : "would-strip";
}

/* finish_lines - a line for each recipient still in the message: receipts, or why it was not sent */
static void finish_lines(struct msg_state *m, const char *not_sent, const char *note)
{
    char buf[SHOWN_BUFSZ];

    for (size_t i = 0; i < m->nrcpts; i++) {
        struct msg_rcpt *r = &m->rcpts[i];

        if (!r->decided || r->journalled)
            continue;       /* never looked at (not list mail), or refused or removed already */
        r->journalled = 1;
        if (not_sent)
            msg_journal(m, r->raw, rcpt_shown(&r->d, r->raw, buf), not_sent, "not-sent", NULL, note);
        else
            msg_journal(m, r->raw, rcpt_shown(&r->d, r->raw, buf), receipt_verdict(r),
                        r->unchecked ? "store-failure" : decision_reason_name(r->d.reason),
                        r->unchecked ? NULL : &r->d, NULL);
    }
}

/* commit_lines - the transaction's lines in one journal write; 0, or -1 when lines were lost */
static int commit_lines(struct msg_state *m)
{
    size_t n = journal_batch_count(m->batch);
    int rc;

    m->finished = 1;
    if (m->batch_failed) {
        log_error("%s: journal: out of memory: lines of this transaction lost", m->id);
        count_journal_error(m, n);
        journal_batch_clear(m->batch);
        return -1;
    }
    if (n == 0 || m->env->journal == NULL)
        return 0;
    if ((rc = journal_commit(m->env->journal, m->batch)) != 0) {
        log_error("%s: journal write failed: %s: %zu lines lost", m->id, optin_strerror(rc), n);
        count_journal_error(m, n);
        return -1;
    }
    return 0;
}

/* msg_finish_journal - the receipts or not-sent lines, written; the step, or the journal's 451 */
static enum msg_step msg_finish_journal(struct msg_state *m, enum msg_step step,
                                        struct msg_reply *reply, int delivered)
{
    enum journal_failure_action policy = m->list ? m->list->journal_failure
                                                 : m->env->cfg->journal_failure;

    finish_lines(m, delivered ? NULL : undelivered_verdicts[step],
                 delivered ? NULL : "the message was refused at end of message: nothing was sent");
    if (commit_lines(m) == 0 || !delivered)
        return step;
    if (policy == JOURNAL_FAIL_DELIVER) {
        log_error("%s: delivered without its journal lines (journal_failure = deliver)", m->id);
        return step;
    }
    log_error("%s: message temp-failed: its receipts could not be journalled "
              "(journal_failure = tempfail)", m->id);
    reply->rcode = "451";
    reply->xcode = "4.3.0";
    snprintf(reply->text, sizeof(reply->text), "decision journal unavailable, try again later");
    return MSG_TEMPFAIL;
}

/* msg_finish - the transaction's lines as the milter answers step; the step to answer */
enum msg_step msg_finish(struct msg_state *m, enum msg_step step, struct msg_reply *reply)
{
    int delivered = step == MSG_CONTINUE || step == MSG_ACCEPT;

    if (m->finished)
        return step;
    step = msg_finish_journal(m, step, reply, delivered);
    count_message(m, step);
    return step;
}

/* msg_abort - the transaction ended before end of message: nothing was sent */
void msg_abort(struct msg_state *m)
{
    if (m->finished)
        return;
    finish_lines(m, "aborted", "the transaction ended before end of message: nothing was sent");
    commit_lines(m);
    if (m->sender != NULL)
        count_message(m, MSG_ABORTED);
}

