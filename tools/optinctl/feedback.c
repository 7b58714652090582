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
 *	cmd_feedback() implements "optinctl feedback": one report read on
 *	standard input, what it means decided by report.c and report_text.c
 *	(with the rules of policy/feedback: diagnose(3), rules(3),
 *	textbounce(3), ses(3)), and written to the store here.
 *
 *	A hard bounce is suppressed (SUPPRESS_BOUNCE, source "bounce"); a
 *	soft bounce is counted (consent_softbounce_add) and suppressed as a
 *	bounce after --soft-limit within --soft-window; a complaint
 *	unsubscribes from the list, or from every list with a complaint
 *	suppression under --complaint-scope all or when the list is not
 *	known (source "complaint"); an opt-out unsubscribes from the list
 *	(source "opt-out"; every list, global unsubscribe, when the list is
 *	not known); an auth-failure report is a log and journal line naming
 *	the sending domain. Only a recipient the report is bound to changes
 *	(binding(3): the VERP tag of -r, or a token naming exactly it); every
 *	recipient named, bound or not ("unverified"), is a journal line. A report applied twice changes nothing the
 *	second time: suppressions and unsubscriptions are not written again,
 *	and soft bounces about the same returned Message-ID count once.
 *
 *	A report that cannot be used (not a report, a format not known, no
 *	recipient in it) is kept in the configured feedback_maildir
 *	(maildir(3)) for a person to read, or only logged when none is set,
 *	and acknowledged either way: nothing is returned to its sender.
 *
 *	--dry-run reads and decides but opens no store and writes nothing
 *	(no Maildir, no journal); --json prints the decisions as one JSON
 *	object (feedback_json.c), of what would be done or what was done.
 * DIAGNOSTICS
 *	One line per action on stderr ("optinctl: feedback: ..."), also to
 *	syslog when the configuration logs there (pipe.c), with the rule
 *	that decided. Exit status for Postfix (sysexits): 0 done (also:
 *	nothing to do, a report kept or logged as unusable, an input that is
 *	no mail at all); 75 (EX_TEMPFAIL, Postfix retries) when the store,
 *	the key file or the Maildir cannot be used; 64 for bad options (75
 *	from main).
 * BUGS
 *	Only the first report part of a message is read. A DSN with several
 *	recipient blocks and a per-recipient token acts on each block's own
 *	address.
 * SEE ALSO
 *	optinctl(1), rules(3), diagnose(3), unsubscribe(3), consent(3),
 *	maildir(3), RFC 3464, RFC 3463, RFC 5965, RFC 8058
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "journal/journal.h"
#include "feedback.h"
#include "util/log.h"
#include "util/maildir.h"
#include "util/timeutil.h"

/* fb_soft - count one soft bounce; on soft_limit distinct days within the window, suppress it until it expires */
static int fb_soft(struct store_txn *txn, const struct fb_run *run, struct fb_act *a,
                   const struct change_ctx *cc)
{
    struct feedback_note note = {0};
    struct softbounce_tally t;
    char detail[PIPE_DETAIL_MAX];
    int rc;

    if ((rc = consent_softbounce_add(txn, a->addr, a->fingerprint, cc->now, run->soft_window,
                                     &a->soft_count)) != 0
        || (rc = consent_softbounce_tally(txn, a->addr, cc->now, run->soft_window, &t)) != 0)
        return rc;
    a->soft_days = t.days;
    if (!fb_soft_suppresses(t.days, run->soft_limit))
        return 0;
    snprintf(detail, sizeof(detail), "soft bounces on %u days within %s, the last %s", t.days,
             run->soft_window_text, a->detail);
    note.detail = detail;
    a->soft_suppressed = 1;
    if ((rc = consent_softbounce_suppress(txn, a->addr, cc->now + run->soft_expiry, &note, cc,
                                          &a->outcome)) == 0)
        rc = consent_softbounce_clear(txn, a->addr);
    return rc;
}

/* fb_bind_acts - identity before action: each recipient bound by the VERP tag or its own token */
static void fb_bind_acts(struct fb_run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        struct fb_act *a = &run->acts[i];
        struct fb_evidence ev = run->ev;
        const char *list;

        ev.token = &a->tok;
        a->binding = fb_bind(run->keys, run->ctl->cfg, &ev, a->addr, &list);
        if (a->binding != FB_UNBOUND && list != NULL && run->scope == FB_SCOPE_LIST
            && (a->what == FB_COMPLAINT || a->what == FB_OPTOUT))
            a->list = list;     /* a complaint or opt-out about the list the tag or token names */
    }
}

/* fb_names_recipient - is this action about a usable recipient (journalled, bound or not)? */
static int fb_names_recipient(const struct fb_act *a)
{
    return a->what < FB_ACTING_KINDS && a->addr[0] != '\0';
}

/* fb_acts_on_store - does this action write the store? Only when bound to its recipient */
static int fb_acts_on_store(const struct fb_act *a)
{
    return fb_names_recipient(a) && a->binding != FB_UNBOUND;
}

/* fb_is_unverified - a recipient that no VERP tag or token binds: changes nothing, is counted */
static int fb_is_unverified(const struct fb_act *a)
{
    return fb_names_recipient(a) && a->binding == FB_UNBOUND;
}

/* fb_unverified - how many recipients the report names that nothing binds */
static uint64_t fb_unverified(const struct fb_run *run)
{
    uint64_t n = 0;

    for (size_t i = 0; i < run->n; i++)
        n += (uint64_t) fb_is_unverified(&run->acts[i]);
    return n;
}

/* fb_count_unverified - write callback: only the count of unbound recipients */
static int fb_count_unverified(struct store_txn *txn, void *arg)
{
    return consent_unverified_add(txn, fb_unverified(arg));
}

/* fb_apply - write callback: every action (re-runnable: the results are set afresh) */
static int fb_apply(struct store_txn *txn, void *arg)
{
    struct fb_run *run = arg;
    struct feedback_note note = {0};
    int rc = consent_unverified_add(txn, fb_unverified(run));

    for (size_t i = 0; rc == 0 && i < run->n; i++) {
        struct fb_act *a = &run->acts[i];
        const struct change_ctx *cc = &run->cc[a->what < FB_ACTING_KINDS ? a->what : 0];

        note.detail = a->detail;
        a->soft_suppressed = 0;
        if (!fb_acts_on_store(a))
            continue;
        if (a->what == FB_HARD)
            rc = consent_feedback_suppress(txn, a->addr, fb_kind_rule(a->what)->reason, &note, cc,
                                           &a->outcome);
        else if (a->what == FB_COMPLAINT || a->what == FB_OPTOUT)
            rc = consent_feedback_unsubscribe(txn, a->list, a->addr, fb_kind_rule(a->what)->reason,
                                              &note, cc, &a->outcome);
        else
            rc = fb_soft(txn, run, a, cc);
    }
    return rc;
}

/* fb_act_log - one line for one action taken (or, dry run, that would be) */
static void fb_act_log(const struct fb_run *run, const struct fb_act *a)
{
    const char *dry = run->dry_run ? " (dry run)" : "";

    if (a->addr[0] == '\0')
        log_warn("feedback: %s: not a usable address: left", a->stated);
    else if (fb_is_unverified(a))
        log_warn("feedback: unverified %s %s (%s) rule=%s: no VERP tag or token names this "
                 "recipient: nothing changed", fb_kind_rule(a->what)->name, a->addr, a->detail,
                 a->rule);
    else if (a->what == FB_SOFT)
        log_info("feedback: soft bounce %s (%s) rule=%s binding=%s: on %u day(s) within %s%s%s%s%s",
                 a->addr, a->detail, a->rule, fb_binding_name(a->binding),
                 a->soft_days, run->soft_window_text,
                 a->soft_suppressed ? ": suppressed (" : ", suppressed at ",
                 a->soft_suppressed ? feedback_outcome_name(a->outcome) : run->soft_limit_text,
                 a->soft_suppressed ? ", until expiry" : " days", dry);
    else
        log_info("feedback: %s %s%s%s (%s) rule=%s binding=%s: %s (%s)%s",
                 fb_kind_rule(a->what)->name, a->addr, a->what != FB_HARD ? " list=" : "",
                 a->what != FB_HARD ? (a->list ? a->list : "*") : "", a->detail, a->rule,
                 fb_binding_name(a->binding),
                 a->what == FB_HARD ? "suppressed" : "unsubscribed",
                 run->dry_run ? "not applied" : feedback_outcome_name(a->outcome), dry);
}

/* fb_report_log - one line per action, and one for a report with nothing to do */
static void fb_report_log(const struct fb_run *run)
{
    size_t acting = 0;

    for (size_t i = 0; i < run->n; i++) {
        fb_act_log(run, &run->acts[i]);
        acting += fb_acts_on_store(&run->acts[i]);
    }
    if (run->domain[0] != '\0')
        log_info("feedback: auth-failure reported for the sending domain %s: counted against "
                 "the domain, no recipient changed%s", run->domain, run->dry_run ? " (dry run)" : "");
    else if (run->note[0] != '\0' && acting == 0)
        log_info("feedback: ignored: %s", run->note);
    else if (acting == 0 && run->ignored > 0)
        log_info("feedback: ignored: %u recipient(s) delayed, delivered, relayed or expanded",
                 run->ignored);
}

/* fb_journal_verdict - the journal verdict of one action: what was done, or "unverified" */
static const char *fb_journal_verdict(const struct fb_act *a)
{
    static const char *const done[FB_ACTING_KINDS] = {
        [FB_HARD] = "suppress", [FB_SOFT] = "count-soft",
        [FB_COMPLAINT] = "unsubscribe", [FB_OPTOUT] = "unsubscribe"};

    if (a->binding == FB_UNBOUND)
        return "unverified";
    if ((a->what == FB_COMPLAINT || a->what == FB_OPTOUT) && a->list == NULL)
        return "unsubscribe-all";
    return a->what == FB_SOFT && a->soft_suppressed ? "suppress-soft" : done[a->what];
}

/* fb_journal_act - the journal line of one recipient named by the report */
static int fb_journal_act(struct journal *j, const struct fb_run *run, const struct fb_act *a)
{
    char note[256];
    struct journal_entry e = {.time = run->ctl->now, .list = a->list, .recipient = a->addr,
                              .recipient_raw = a->stated, .verdict = fb_journal_verdict(a),
                              .reason = fb_kind_name(a->what), .note = note};

    snprintf(note, sizeof(note), "optinctl feedback: rule=%s binding=%s format=%s",
             a->rule, fb_binding_name(a->binding),
             fb_format_name(run->format));
    return journal_write(j, &e);
}

/* fb_journal - one journal line per recipient acted on or refused, and one for an auth-failure
 * report; 0, or -1 (logged) */
static int fb_journal(const struct fb_run *run)
{
    const char *path = run->ctl->cfg->journal;
    struct journal_entry e = {.time = run->ctl->now, .sender = run->domain,
                              .verdict = "auth-failure", .reason = "feedback-report",
                              .note = "optinctl feedback: counted against the sending domain"};
    struct journal *j = NULL;
    char err[256];
    int rc = 0;

    if (path == NULL || run->dry_run)
        return 0;
    if (journal_open(path, &j, err, sizeof(err)) != 0) {
        log_error("feedback: journal %s: %s", path, err);
        return -1;
    }
    for (size_t i = 0; rc == 0 && i < run->n; i++)
        if (fb_names_recipient(&run->acts[i]))
            rc = fb_journal_act(j, run, &run->acts[i]);
    if (rc == 0 && run->domain[0] != '\0')
        rc = journal_write(j, &e);
    journal_close(j);
    return rc;
}

/* fb_keep - a report that cannot be used: kept in the Maildir, or logged; an exit status */
static int fb_keep(struct fb_run *run, const GByteArray *raw)
{
    const char *dir = run->ctl->cfg->feedback_maildir;
    char err[512];

    if (dir == NULL || run->dry_run || raw->len == 0) {
        log_warn("feedback: %s: %s", run->why, run->dry_run ? "would be kept (dry run)"
                 : dir == NULL ? "acknowledged, not kept (no feedback_maildir)"
                 : "empty input: nothing to keep");
        return EX_OK;
    }
    if (maildir_deliver(dir, raw->data, raw->len, run->ctl->now, run->kept, sizeof(run->kept),
                        err, sizeof(err)) != 0) {
        log_error("feedback: %s: cannot keep it: %s: retry later", run->why, err);
        return EX_TEMPFAIL;
    }
    log_warn("feedback: %s: kept in %s", run->why, run->kept);
    return EX_OK;
}

/* fb_usage - synopsis and option legend of feedback */
static int fb_usage(int asked)
{
    fputs("usage: optinctl [global options] feedback [--complaint-scope list|all]\n"
          "                [--soft-limit N] [--soft-window DURATION] [--soft-expiry DURATION]\n"
          "                [-r ADDRESS] [--dry-run] [--json] < MESSAGE\n"
          "  --complaint-scope list|all  a complaint unsubscribes from its list (default)\n"
          "                              or from every list, with a complaint suppression\n"
          "  --soft-limit N              days with a soft bounce that suppress (default 5)\n"
          "  --soft-window DURATION      ... when within this time (default 30d)\n"
          "  --soft-expiry DURATION      how long that suppression lasts (default 30d)\n"
          "  -r, --rcpt ADDRESS          the address the report came to (Postfix pipe(8)\n"
          "                              ${recipient}): its signed VERP tag binds a recipient\n"
          "  -n, --dry-run               decide, print, change nothing (no store opened)\n"
          "  --json                      print the decisions as one JSON object\n"
          "MESSAGE is a bounce (DSN, SES, or one written for people) or a complaint.\n"
          "It changes a recipient only when the VERP tag of -r or an unsubscribe token\n"
          "in the returned message names that recipient.\n",
          asked ? stdout : stderr);
    return asked ? EX_OK : EX_USAGE;
}

/* fb_options - options of feedback; -1 to go on, else an exit status */
static int fb_options(struct optinctl *ctl, int argc, char **argv, struct fb_run *run)
{
    enum { OPT_SCOPE = 256, OPT_LIMIT, OPT_WINDOW, OPT_EXPIRY, OPT_JSON };
    static const struct option opts[] = {
        {"complaint-scope", required_argument, NULL, OPT_SCOPE},
        {"soft-limit", required_argument, NULL, OPT_LIMIT},
        {"soft-window", required_argument, NULL, OPT_WINDOW},
        {"soft-expiry", required_argument, NULL, OPT_EXPIRY},
        {"json", no_argument, NULL, OPT_JSON},
        {"rcpt", required_argument, NULL, 'r'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'}, {0}};
    char *end;
    long n;
    int c, s;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hnr:", opts, NULL)) != -1) {
        if (c == OPT_SCOPE && (s = fb_scope_parse(optarg)) >= 0) {
            run->scope = (enum fb_scope) s;
        } else if (c == OPT_LIMIT && fb_soft_limit_valid(n = strtol(optarg, &end, 10))
                   && *end == '\0') {
            run->soft_limit = (unsigned) n;
        } else if (c == OPT_WINDOW && duration_parse(optarg, &run->soft_window) == 0
                   && fb_soft_window_valid(run->soft_window)) {
            run->soft_window_text = optarg;
        } else if (c == OPT_EXPIRY && duration_parse(optarg, &run->soft_expiry) == 0
                   && fb_soft_window_valid(run->soft_expiry)) {
            /* parsed into run->soft_expiry */
        } else if (c == 'r') {
            run->rcpt = optarg;     /* its VERP tag is read once the configuration is known */
        } else if (c == OPT_JSON || c == 'n') {
            *(c == 'n' ? &run->dry_run : &run->json) = 1;
        } else {
            if (c == OPT_SCOPE || c == OPT_LIMIT || c == OPT_WINDOW || c == OPT_EXPIRY)
                ctl_error(ctl, "feedback: --%s %s: expected %s", opts[c - OPT_SCOPE].name, optarg,
                          c == OPT_SCOPE ? "list or all" : c == OPT_LIMIT
                          ? "a number from 1 to 64" : "a duration like 30d");
            return fb_usage(c == 'h');
        }
    }
    return optind == argc ? -1 : fb_usage(0);
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
    run->scope = FB_SCOPE_LIST;
    run->soft_limit = FB_SOFT_LIMIT;
    run->soft_window = FB_SOFT_WINDOW;
    run->soft_window_text = FB_SOFT_WINDOW_TEXT;
    run->soft_expiry = FB_SOFT_EXPIRY;
    for (int i = 0; i < FB_ACTING_KINDS; i++)
        run->cc[i] = (struct change_ctx) {.now = ctl->now, .actor = "optinctl-feedback",
                                          .source = fb_kind_rule((enum fb_kind) i)->source};
    return run;
}


/* fb_handle - read the report, then apply, keep or log it; an exit status */
static int fb_handle(struct fb_run *run, const GByteArray *raw)
{
    GMimeMessage *msg = fb_parse(raw);
    char *text = raw->len > 0 ? g_strndup((const char *) raw->data, raw->len) : g_strdup("");
    size_t acting = 0;
    int rc = EX_OK;

    fb_read(run, msg, text);
    fb_bind_acts(run);
    for (size_t i = 0; i < run->n; i++)
        acting += fb_acts_on_store(&run->acts[i]);
    if (run->why[0] != '\0' && acting == 0)
        rc = fb_keep(run, raw);
    else if (acting > 0 && !run->dry_run)
        rc = pipe_store_write(run->ctl, "feedback", fb_apply, run);
    else if (fb_unverified(run) > 0 && !run->dry_run
             && pipe_store_write(run->ctl, "feedback", fb_count_unverified, run) != EX_OK)
        log_warn("feedback: the count of unverified reports was not written");
    if (rc == EX_OK && fb_journal(run) != 0)
        rc = EX_TEMPFAIL;
    if (rc == EX_OK) {
        fb_report_log(run);
        if (run->json)
            fb_json_print(run);
    }
    if (msg != NULL)
        g_object_unref(msg);
    g_free(text);
    return rc;
}

/* cmd_feedback - optinctl feedback: a report on standard input */
int cmd_feedback(struct optinctl *ctl, int argc, char **argv)
{
    struct fb_run *run = fb_run_new(ctl);
    struct token_keys *keys = NULL;
    GByteArray *raw = NULL;
    int rc;

    if (run == NULL)
        return EX_TEMPFAIL;
    if ((rc = fb_options(ctl, argc, argv, run)) != -1)
        goto done;
    snprintf(run->soft_limit_text, sizeof(run->soft_limit_text), "%u", run->soft_limit);
    pipe_log_open(ctl);
    g_mime_init();
    if ((raw = pipe_read_bytes("feedback", &rc)) == NULL) {
        rc = rc == EX_DATAERR ? EX_OK : rc;       /* over the size limit: logged, not returned */
        goto done;
    }
    if ((keys = pipe_keys(ctl, "feedback", &rc)) == NULL)
        goto done;
    run->keys = keys;
    if (run->rcpt != NULL && !fb_evidence_verp(ctl->cfg, run->rcpt, &run->ev))
        log_info("feedback: delivered to %s: no VERP tag in it", run->rcpt);
    rc = fb_handle(run, raw);
done:
    token_keys_free(keys);
    if (raw != NULL)
        g_byte_array_unref(raw);
    free(run->url_bases);
    free(run);
    return rc;
}
