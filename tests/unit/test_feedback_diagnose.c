/*
 * NAME
 *	test_feedback_diagnose - TAP tests of diagnose.c, textbounce.c, ses.c and maildir.c
 * DESCRIPTION
 *	Every evidence rule of the classifier table with a diagnostic that
 *	must meet it (and the kind it decides), the status rules, quoted
 *	text, automatic replies by each header and in several languages; the
 *	text-bounce scanner per family (writer, recipients, the diagnostic of
 *	each, delay warnings, the start of the returned copy); SES
 *	notifications bare and wrapped by SNS; a Maildir delivery.
 * DIAGNOSTICS
 *	TAP on standard output; a failing point is followed by what was obtained.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feedback/diagnose.h"
#include "feedback/ses.h"
#include "feedback/textbounce.h"
#include "tap.h"
#include "util/maildir.h"

/* One diagnostic per evidence rule: the rule it must meet. */
static const struct rule_case {
    const char *rule, *status, *diag;
} rule_cases[] = {
    {"sender-rejected", "5.1.1", "550 5.1.1 <b@lists.example>: Sender address rejected: Domain not found"},
    {"authentication", "5.7.26", "550 5.7.26 This message does not pass DMARC"},
    {"blocklist", "5.7.1", "554 5.7.1 Client host blocked using zen.spamhaus.org"},
    {"rate-limit", "5.0.0", "550 5.0.0 Too many messages, rate limited"},
    {"spam", "5.2.1", "550 5.2.1 Message rejected as spam"},
    {"content", "5.7.1", "554 5.7.1 Message content rejected"},
    {"reputation", "5.7.1", "550 5.7.1 Poor sender reputation"},
    {"relay-denied", "5.7.1", "554 5.7.1 <x@y.example>: Relay access denied"},
    {"loop", "5.4.6", "554 5.4.6 Too many hops: mail loop"},
    {"greylisting", "5.7.1", "550 Greylisted for 5 minutes"},
    {"mailbox-full", "5.2.2", "552 5.2.2 Mailbox quota exceeded"},
    {"too-large", "5.3.4", "552 5.3.4 Message too large"},
    {"temporary", "5.4.4", "554 5.4.4 Host not found: temporary failure in name resolution"},
    {"forwarding", "5.0.0", "550 forwarding to <old@elsewhere.example> failed"},
    {"policy", "5.7.0", "550 5.7.0 Rejected by local policy"},
    {"domain-not-found", "5.1.2", "550 5.1.2 Host unknown (no such domain)"},
    {"mailbox-disabled", "5.2.1", "550 5.2.1 The account has been disabled"},
    {"mailbox-moved", "5.1.6", "550 5.1.6 Mailbox has moved, no forwarding address"},
    {"user-unknown", "5.0.0", "550 User unknown"},
};

/* Words of other languages that must be found. */
static const struct lang_case {
    const char *diag;
    enum fb_kind kind;
} lang_cases[] = {
    {"550 Empfänger unbekannt", FB_HARD}, {"550 Utilisateur inconnu", FB_HARD},
    {"550 Usuario desconocido", FB_HARD}, {"550 Utente sconosciuto", FB_HARD},
    {"550 Пользователь не найден", FB_HARD}, {"550 收件人不存在", FB_HARD},
    {"550 存在しません", FB_HARD}, {"550 받는 사람의 메일 주소가 존재하지 않습니다", FB_HARD},
    {"552 Postfach voll", FB_SOFT}, {"552 boîte pleine", FB_SOFT},
};

/* test_rules - each rule of the table is met by its case, with the kind the table gives */
static void test_rules(void)
{
    size_t n = fb_rule_count();

    ok(n == sizeof(rule_cases) / sizeof(rule_cases[0]), "a case for each of the %zu rules", n);
    for (size_t i = 0; i < n; i++) {
        enum fb_kind want;
        const char *name = fb_rule_at(i, &want);
        struct fb_decision d;
        size_t c = 0;

        while (c < sizeof(rule_cases) / sizeof(rule_cases[0]) && strcmp(rule_cases[c].rule, name))
            c++;
        if (!ok(c < n && fb_diagnose("failed", rule_cases[c].status, rule_cases[c].diag, &d) == want
                && !strcmp(d.rule, name), "rule %s: %s", name, fb_kind_name(want)))
            printf("#   got %s by %s\n", fb_kind_name(d.kind), d.rule);
    }
    ok(fb_rule_at(n, &(enum fb_kind) {0}) == NULL, "no rule past the table");
}

/* test_decisions - status rules, evidence, excerpts, quotes and languages */
static void test_decisions(void)
{
    struct fb_decision d;
    struct fb_status st;

    ok(fb_diagnose("failed", "5.1.1", "", &d) == FB_HARD && !strcmp(d.rule, "status-bad-mailbox")
       && d.evidence == NULL, "5.1.1 alone: status-bad-mailbox, no phrase");
    ok(fb_diagnose("failed", "5.0.0", "550 Rejected", &d) == FB_SOFT
       && !strcmp(d.rule, "no-evidence") && !strcmp(d.status, "5.0.0"), "bare 550: no-evidence");
    ok(fb_diagnose("failed", "", "", &d) == FB_SOFT && d.status[0] == '\0' && d.st.cls == 5,
       "no code at all: a failure (5.0.0), status shown empty");
    ok(fb_diagnose("failed", "4.2.2", "452 4.2.2 Mailbox full", &d) == FB_SOFT
       && !strcmp(d.rule, "mailbox-full"), "4.x.x with a phrase: that rule, soft");
    ok(fb_diagnose("failed", "5.1.1", "550 5.1.1 User unknown", &d) == FB_HARD
       && !strcmp(d.evidence, "user unknown") && !strcmp(d.excerpt, "550 5.1.1 User unknown"),
       "evidence and excerpt kept");
    ok(fb_diagnose("failure", "5.1.1", "", &d) == FB_HARD, "Action: failure (older MTAs)");
    ok(fb_diagnose("failed (Bad destination mailbox address)", "5.1.1", "", &d) == FB_HARD,
       "Action: failed (reason)");
    ok(fb_diagnose("failed", "553 Exceeded maximum inbound message size", "", &d) == FB_SOFT
       && !strcmp(d.rule, "too-large"), "a Status that is no code is read as text");
    ok(fb_diagnose("failed", "5.0.0", "550 <a@x>: Recipient address rejected: User unknown in "
                   "relay recipient table", &d) == FB_HARD, "\"relay recipient table\" is no relaying");
    ok(fb_diagnose("failed", "5.0.0", "550 User x not listed in Domino Directory", &d) == FB_HARD,
       "Domino's wording is not a blocklist's \"listed\"");
    for (size_t i = 0; i < sizeof(lang_cases) / sizeof(lang_cases[0]); i++)
        ok(fb_diagnose("failed", "", lang_cases[i].diag, &d) == lang_cases[i].kind, "%s: %s",
           lang_cases[i].diag, fb_kind_name(lang_cases[i].kind));
    ok(fb_diagnose_status("smtp; 550-5.1.1 The account", &st) && st.subj == 1 && st.detail == 1,
       "status after a multi-line reply code");
    ok(fb_diagnose_status("Remote host said: 554 Rejected (#5.7.1)", &st) && st.cls == 5
       && st.subj == 0, "a reply code without a code after it: 5.0.0, a later code not taken");
    ok(fb_diagnose_status("Sorry, no mailbox here by that name. (#5.1.1)", &st) && st.subj == 1,
       "no reply code: the first code anywhere");
    ok(!fb_diagnose_status("no code here, port 25", &st), "no code: none");
}

/* test_autoreply - every header rule and Subjects in several languages */
static void test_autoreply(void)
{
    static const char *const subjects[] = {
        "Out of Office: news", "Automatic reply: news", "Abwesenheitsnotiz", "Réponse automatique",
        "Respuesta automática: fuera de la oficina", "Risposta automatica", "Автоответ", "自动回复",
    };
    struct fb_autoreply_fields f = {0};
    const char *r;

    ok(fb_autoreply(&f) == NULL, "no field: no auto-reply");
    f.auto_submitted = "auto-generated";
    ok(fb_autoreply(&f) == NULL, "Auto-Submitted: auto-generated is no reply");
    f.auto_submitted = "auto-replied";
    ok((r = fb_autoreply(&f)) && !strcmp(r, "auto-submitted"), "Auto-Submitted: auto-replied");
    f = (struct fb_autoreply_fields) {.x_autoreply = "yes"};
    ok((r = fb_autoreply(&f)) && !strcmp(r, "x-autoreply"), "X-Autoreply");
    f = (struct fb_autoreply_fields) {.x_autorespond = "1"};
    ok((r = fb_autoreply(&f)) && !strcmp(r, "x-autorespond"), "X-Autorespond");
    f = (struct fb_autoreply_fields) {.precedence = "auto_reply"};
    ok((r = fb_autoreply(&f)) && !strcmp(r, "precedence-auto-reply"), "Precedence: auto_reply");
    f = (struct fb_autoreply_fields) {.precedence = "bulk"};
    ok(fb_autoreply(&f) == NULL, "Precedence: bulk is no reply");
    for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
        f = (struct fb_autoreply_fields) {.subject = subjects[i]};
        ok((r = fb_autoreply(&f)) && !strcmp(r, "vacation-subject"), "Subject %s", subjects[i]);
    }
    f = (struct fb_autoreply_fields) {.subject = "Re: September news"};
    ok(fb_autoreply(&f) == NULL, "a plain reply is none");
}

/* One notice per family: From, Subject, text, the recipient and a phrase of its diagnostic. */
static const struct tb_case {
    const char *family, *from, *subject, *text, *rcpt, *diag_has;
} tb_cases[] = {
    {"qmail", "MAILER-DAEMON@q.example", "failure notice", "Hi. This is the qmail-send program at "
     "q.example.\n\n<a@x.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n--- Below "
     "this line is a copy of the message.\n\nFrom: News <news@lists.example>\n", "a@x.example",
     "no mailbox here"},
    {"exim", "Mail Delivery System <Mailer-Daemon@e.example>", "Mail delivery failed",
     "This message was created automatically by mail delivery software.\n\n  a@x.example\n    "
     "SMTP error from remote mail server after RCPT TO:<a@x.example>:\n    550 5.1.1 User unknown\n",
     "a@x.example", "RCPT TO:<a@x.example>: 550 5.1.1 User unknown"},
    {"sendmail", "MAILER-DAEMON@s.example", "Returned mail", "   ----- The following addresses "
     "had permanent fatal errors -----\n<a@x.example>\n    (reason: 550 5.1.1 User unknown)\n",
     "a@x.example", "reason: 550 5.1.1"},
    {"postfix", "MAILER-DAEMON@p.example", "Undelivered Mail", "This is the mail system at host "
     "p.example.\n\n<a@x.example>: host mx said: 550 5.1.1 User unknown\n", "a@x.example",
     "host mx said"},
    {"exchange", "postmaster@c.example", "Undeliverable", "Delivery has failed to these recipients "
     "or groups:\n\na@x.example\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'\n",
     "a@x.example", "5.1.10"},
    {"gmail", "mailer-daemon@googlemail.com", "Delivery Status Notification (Failure)",
     "** Address not found **\n\nYour message wasn't delivered to a@x.example because the address "
     "couldn't be found.\n", "a@x.example", "because the address"},
    {"yahoo", "MAILER-DAEMON@yahoo.example", "Failure Notice", "Sorry, we were unable to deliver "
     "your message to the following address.\n\n<a@x.example>:\n554: delivery error: dd This user "
     "doesn't have an account (a@x.example)\n", "a@x.example", "554: delivery error"},
    {"gmx", "mailer-daemon@gmx.net", "Mail delivery failed", "A message could not be delivered.\n"
     "a@x.example:\nreason: 550 Empfänger unbekannt\n", "a@x.example", "Empfänger"},
    {"domino", "Postmaster@d.example", "DELIVERY FAILURE", "was not delivered to:\n\n  a@x.example\n\n"
     "because:\n\n  User a@x.example not listed in Domino Directory\n", "a@x.example", "Domino"},
    {"mimecast", "postmaster@mimecast.example", "Message Delivery Failure", "Mimecast returned "
     "it.\n\na@x.example\nReason: 550 Rejected by policy\n", "a@x.example", "Rejected by policy"},
    {"generic", "MAILER-DAEMON@g.example", "Returned mail", "Your message to a@x.example could not "
     "be delivered.\n554 5.4.6 mail loop\n", "a@x.example", "mail loop"},
};

/* test_textbounce - writer, recipient and diagnostic per family; skips, copies, delays */
static void test_textbounce(void)
{
    static const char *const skip[] = {"bounce@lists.example", NULL};
    struct tb_result *r = malloc(sizeof(*r));
    struct tb_input in = {.skip = skip};
    char *plain;
    int strong;

    for (size_t i = 0; r != NULL && i < sizeof(tb_cases) / sizeof(tb_cases[0]); i++) {
        const struct tb_case *c = &tb_cases[i];

        in = (struct tb_input) {.from = c->from, .subject = c->subject, .text = c->text, .skip = skip};
        if (!ok(tb_scan(&in, r) == 0 && !strcmp(r->family, c->family) && r->n == 1
                && !strcmp(r->rcpt[0].addr, c->rcpt) && strstr(r->rcpt[0].diag, c->diag_has),
                "%s: %s with its diagnostic", c->family, c->rcpt))
            printf("#   got %s n=%zu %s: %s\n", r->family ? r->family : "-", r->n,
                   r->n ? r->rcpt[0].addr : "", r->n ? r->rcpt[0].diag : "");
    }
    in = (struct tb_input) {.from = "Reader <r@x.example>", .subject = "Hello", .text = "a@x.example"};
    ok(tb_scan(&in, r) == -1 && tb_family(&in, &strong) == NULL, "a person's mail is no bounce");
    in = (struct tb_input) {.from = "MAILER-DAEMON@m.example", .subject = "Warning: message delayed",
                            .text = "has not yet been delivered to\n\n  a@x.example\n", .skip = skip};
    ok(tb_scan(&in, r) == 0 && r->delayed, "a delay warning");
    in.text = "Failed to: bounce@lists.example, postmaster@m.example\nMessage-ID: <a@b.example>\n";
    ok(tb_scan(&in, r) == 0 && r->n == 0, "the report's own, daemon and Message-ID addresses skipped");
    ok(tb_copy_start("notice\n\nReturn-Path: <x@y>\n") == 8, "a Return-Path after a blank line "
       "starts the copy");
    ok(tb_copy_start("no copy") == 7, "no copy: the end");
    plain = tb_html_text("<p>To <b>a&#64;x.example</b>&nbsp;&lt;ok&gt;</p>");
    ok(plain && !strcmp(plain, "To a@x.example <ok>\n"), "HTML made text");
    free(plain);
    free(r);
}

/* test_ses - notifications bare and in SNS, and their classification */
static void test_ses(void)
{
    static const char bounce[] = "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":"
        "\"Permanent\",\"bounceSubType\":\"%s\",\"bouncedRecipients\":[{\"emailAddress\":"
        "\"a@x.example\",\"status\":\"%s\",\"diagnosticCode\":\"%s\"}]},\"mail\":{\"messageId\":"
        "\"ses-1\",\"headers\":[{\"name\":\"List-Id\",\"value\":\"<news.lists.example>\"}]}}";
    struct ses_report *r = malloc(sizeof(*r));
    struct fb_decision d;
    char text[1024];

    snprintf(text, sizeof(text), bounce, "NoEmail", "5.1.1", "smtp; 550 5.1.1 user unknown");
    ok(r && ses_parse(text, r) == 0 && r->type == SES_BOUNCE && r->n == 1 && !r->sns
       && !strcmp(r->rcpt[0].addr, "a@x.example") && !strcmp(r->list_id, "<news.lists.example>")
       && !strcmp(r->message_id, "ses-1"), "a bare bounce notification");
    ok(ses_classify(r, &r->rcpt[0], &d) == FB_HARD && !strcmp(d.rule, "ses-no-email"),
       "Permanent NoEmail: hard");
    snprintf(text, sizeof(text), bounce, "General", "5.7.1", "smtp; 550 5.7.1 blocked");
    ses_parse(text, r);
    ok(ses_classify(r, &r->rcpt[0], &d) == FB_SOFT && !strcmp(d.rule, "blocklist"),
       "Permanent General: the diagnostic decides");
    snprintf(text, sizeof(text), bounce, "Suppressed", "5.1.1", "");
    ses_parse(text, r);
    ok(ses_classify(r, &r->rcpt[0], &d) == FB_SOFT && !strcmp(d.rule, "ses-suppressed"),
       "Permanent Suppressed: soft (SES's own list)");
    ok(ses_parse("{\"Type\":\"Notification\",\"Message\":\"{\\\"notificationType\\\":\\\"Complaint\\\","
                 "\\\"complaint\\\":{\\\"complainedRecipients\\\":[{\\\"emailAddress\\\":\\\"c@x.example"
                 "\\\"}]},\\\"mail\\\":{}}\"}\n--\nfooter", r) == 0 && r->sns
       && r->type == SES_COMPLAINT && r->n == 1 && r->feedback_type[0] == '\0',
       "an SNS-wrapped complaint, the footer after it not read");
    ok(ses_parse("{\"eventType\":\"Delivery\",\"delivery\":{\"recipients\":[\"d@x.example\"]},"
                 "\"mail\":{}}", r) == 0 && r->type == SES_DELIVERY && r->n == 1,
       "event publishing: eventType Delivery with its address list");
    ok(ses_parse("{\"hello\":1}", r) == -1 && ses_parse("not json", r) == -1,
       "other JSON or text: not SES");
    free(r);
}

/* test_maildir - one message kept: in new/, mode 0640, tmp/ empty */
static void test_maildir(void)
{
    char dir[] = "/tmp/test_maildir.XXXXXX", path[4200], err[256], sub[300];
    struct stat sb;

    if (!ok(mkdtemp(dir) != NULL, "a temporary directory"))
        return;
    snprintf(sub, sizeof(sub), "%s/md", dir);
    ok(maildir_deliver(sub, "Subject: x\n\nbody\n", 17, 1756800000, path, sizeof(path), err,
                       sizeof(err)) == 0 && strstr(path, "/md/new/1756800000.") != NULL,
       "delivered into new/");
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640 && sb.st_size == 17, "mode 0640, whole");
    snprintf(sub, sizeof(sub), "%s/md/tmp", dir);
    ok(rmdir(sub) == 0, "tmp/ left empty");
    ok(maildir_deliver("/proc/no/such/dir", "x", 1, 0, NULL, 0, err, sizeof(err)) < 0 && err[0],
       "an unwritable place: an error with its reason");
    snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
    ok(system(sub) == 0, "cleaned up");
}

/* main - every group */
int main(void)
{
    test_rules();
    test_decisions();
    test_autoreply();
    test_textbounce();
    test_ses();
    test_maildir();
    return tap_done();
}
