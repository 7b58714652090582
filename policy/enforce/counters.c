/*
 * NAME
 *	counters 3
 * SUMMARY
 *	what optin-milter counts for its metrics file
 * SYNOPSIS
 *	#include "enforce/message.h"
 *
 *	const struct metrics_family enforce_metric_families[]
 *	const size_t enforce_metric_family_count
 *
 *	#include "enforce/message_int.h"
 *
 *	void	count_decision(const struct msg_state *m, const char *verdict, const char *reason)
 *	void	count_message(struct msg_state *m, int step)
 *	void	count_store_error(const struct msg_state *m)
 *	void	count_spf(const struct msg_state *m, const char *result)
 *	void	count_journal_error(const struct msg_state *m, size_t lines_lost)
 * DESCRIPTION
 *	The families optin-milter writes (metrics(3) renders them), and the
 *	calls message.c and receipt.c make where something happens: every
 *	recipient decision that is journalled (so the counts of a list, a
 *	verdict and a reason equal what optinctl report counts in the
 *	journal), every message when it ends (once: transactional mail at
 *	the end of its headers, the rest at end of message or when the
 *	transaction is aborted), every store lookup that failed, every SPF
 *	result, every journal write that failed and the lines it lost.
 *	With no metrics registry in the message's environment nothing is
 *	counted.
 * SEE ALSO
 *	metrics(3), optin-milter(8) METRICS
 */

#include "enforce/message.h"
#include "enforce/message_int.h"
#include "util/metrics.h"

const struct metrics_family enforce_metric_families[] = {
    {"optin_milter_messages_total", METRICS_COUNTER,
     "Messages ended, by kind (list, transactional, unattributed, unclassified) and outcome "
     "(delivered, rejected, tempfailed, discarded, aborted)."},
    {"optin_milter_recipients_total", METRICS_COUNTER,
     "Recipient decisions of list mail by list, verdict and reason: one per journal line."},
    {"optin_milter_store_errors_total", METRICS_COUNTER,
     "Consent lookups that failed or found no consent store (store_failure applied)."},
    {"optin_milter_journal_errors_total", METRICS_COUNTER,
     "Transactions whose journal lines could not be written."},
    {"optin_milter_journal_lines_lost_total", METRICS_COUNTER,
     "Journal lines lost with those transactions."},
    {"optin_milter_spf_results_total", METRICS_COUNTER,
     "SPF checks of list senders by result."},
    {"optin_milter_reply_seconds", METRICS_HISTOGRAM,
     "Time optin-milter took to answer a milter step that used the consent store or SPF."},
    {"optin_milter_start_time_seconds", METRICS_GAUGE,
     "When this optin-milter process started, in seconds since the epoch."},
    {"optin_milter_metrics_time_seconds", METRICS_GAUGE,
     "When this file was written, in seconds since the epoch."},
};
const size_t enforce_metric_family_count =
    sizeof(enforce_metric_families) / sizeof(enforce_metric_families[0]);

/* What each end of a message is called. */
static const char *const outcome_names[] = {
    [MSG_CONTINUE] = "delivered", [MSG_ACCEPT] = "delivered", [MSG_REJECT] = "rejected",
    [MSG_TEMPFAIL] = "tempfailed", [MSG_DISCARD] = "discarded",
};

/* message_kind - list, transactional, unattributed (bulk without a list) or unclassified */
static const char *message_kind(const struct msg_state *m)
{
    if (m->list)
        return "list";
    if (m->bulk_signs || m->marker_count || m->list_id_conflict)
        return "unattributed";
    return m->eoh_seen ? "transactional" : "unclassified";
}

/* count_decision - one journalled recipient decision */
void count_decision(const struct msg_state *m, const char *verdict, const char *reason)
{
    metrics_count(m->env->metrics, "optin_milter_recipients_total", 1,
                  "list", m->list ? m->list->id : "", "verdict", verdict,
                  "reason", reason ? reason : "", NULL);
}

/* count_message - the message's end, once: step is what the milter answers (MSG_ABORTED: none) */
void count_message(struct msg_state *m, int step)
{
    if (m->counted)
        return;
    m->counted = 1;
    metrics_count(m->env->metrics, "optin_milter_messages_total", 1, "kind", message_kind(m),
                  "outcome", step < 0 || step > MSG_DISCARD ? "aborted" : outcome_names[step], NULL);
}

/* count_store_error - a lookup that failed */
void count_store_error(const struct msg_state *m)
{
    metrics_count(m->env->metrics, "optin_milter_store_errors_total", 1, NULL);
}

/* count_spf - one SPF result */
void count_spf(const struct msg_state *m, const char *result)
{
    metrics_count(m->env->metrics, "optin_milter_spf_results_total", 1, "result", result, NULL);
}

/* count_journal_error - a transaction's lines not written */
void count_journal_error(const struct msg_state *m, size_t lines_lost)
{
    metrics_count(m->env->metrics, "optin_milter_journal_errors_total", 1, NULL);
    metrics_count(m->env->metrics, "optin_milter_journal_lines_lost_total", lines_lost, NULL);
}
