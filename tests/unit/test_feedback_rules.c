/*
 * NAME
 *	test_feedback_rules - TAP tests of policy/feedback/rules.c
 * DESCRIPTION
 *	What optinctl feedback decides, without MIME or a store: RFC 3463
 *	status codes read from a Status field or a diagnostic, fb_classify()
 *	for every class and branch (5.1.1, 5.1.10, 5.1.2, 5.2.1, 5.4.x, 5.7.x,
 *	5.0.0, 4.x.x, malformed codes, a code only in the diagnostic, a code
 *	quoted after a bare reply, actions failed, delayed, delivered,
 *	relayed, expanded), the token rule for hard bounces and forwarded
 *	DSNs, the soft-bounce rule, what each Feedback-Type does and from
 *	which list, the list a report is about and the report fingerprint.
 *	Tokens are not opened here: a found token is written as token_open()
 *	would leave it. The evidence rules one by one are test_feedback_diagnose's.
 * DIAGNOSTICS
 *	TAP on standard output; a failing point is followed by a comment
 *	with what was obtained.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feedback/rules.h"
#include "tap.h"
#include "testconf.h"

/* kind_text - a kind as a word, for comments */
static const char *kind_text(enum fb_kind k)
{
    return fb_kind_name(k);
}

/* One case of fb_classify: the fields of a recipient block, and what they must give. */
struct classify_case {
    const char *action, *status, *diag;
    enum fb_kind want;
    const char *want_st;     /* the status it went by; NULL: not checked */
    const char *what;
};

/* One case of fb_status_at (cls 0) or fb_status_find (cls 4 or 5). */
struct status_case {
    const char *text;
    int cls;
    const char *want;        /* the code found; NULL: none */
    const char *what;
};

static const struct status_case status_cases[] = {
    {"5.1.1", 0, "5.1.1", "status 5.1.1"},
    {"4.2.2 (mailbox full)", 0, "4.2.2", "status followed by text"},
    {"5.1.10", 0, "5.1.10", "status 5.1.10: two-digit detail"},
    {"2.0.0", 0, "2.0.0", "status 2.0.0"},
    {"5.7.999", 0, "5.7.999", "three-digit detail"},
    {"3.1.1", 0, NULL, "class 3 is no status"},
    {"5.1", 0, NULL, "two parts: malformed"},
    {"5.1.1.2", 0, NULL, "four parts: malformed"},
    {"5.1.1234", 0, NULL, "four-digit detail: malformed"},
    {"55.1.1", 0, NULL, "two-digit class: malformed"},
    {"x5.1.1", 0, NULL, "text before: not at s"},
    {"", 0, NULL, "empty"},
    {"5.2.-1", 0, "5.2.-1", "a sign is read (kept)"},
    {"smtp; 550 5.1.1 <a@example.org>: User unknown", 5, "5.1.1",
     "diagnostic: the code after the SMTP reply"},
    {"smtp; 550-5.1.1 The email account does not exist", 5, "5.1.1",
     "diagnostic: 550-5.1.1 (multi-line reply)"},
    {"smtp; 550 #5.1.0 Address rejected", 5, "5.1.0", "diagnostic: #5.1.0"},
    {"smtp; 452 4.2.2 Over quota, 550 5.2.2 later", 5, "5.2.2",
     "diagnostic: the first code of the class asked for"},
    {"smtp; 452 4.2.2 Over quota", 5, NULL, "diagnostic: no code of class 5"},
    {"smtp; 452 4.2.2 Over quota", 4, "4.2.2", "diagnostic: class 4"},
    {"version 15.1.1 and 1.5.1.1", 5, NULL, "diagnostic: not inside a longer number or after a dot"},
    {"", 5, NULL, "diagnostic: empty"},
};

static const struct classify_case classify_cases[] = {
    /* failures that say the address is bad */
    {"failed", "5.1.1", "smtp; 550 5.1.1 user unknown", FB_HARD, "5.1.1", "5.1.1 user unknown: hard"},
    {"failed", "5.1.1", "", FB_HARD, "5.1.1", "5.1.1 alone: hard (the code is evidence)"},
    {"failed", "5.1.10", "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound", FB_HARD, "5.1.10",
     "5.1.10 (Microsoft): hard, the detail kept"},
    {"failed", "5.1.2", "smtp; 550 5.1.2 Host unknown (Name server: example.invalid: host not found)",
     FB_HARD, "5.1.2", "5.1.2 with no-such-domain wording: hard"},
    {"failed", "5.1.6", "", FB_HARD, "5.1.6", "5.1.6 mailbox moved: hard"},
    {"failed", "5.2.1", "smtp; 550 5.2.1 The email account that you tried to reach is disabled",
     FB_HARD, "5.2.1", "5.2.1 with disabled wording: hard"},
    {"failed", "5.4.4", "Unrouteable address", FB_HARD, "5.4.4", "5.4.4 unrouteable address: hard"},
    {"FAILED", "5.1.1", "", FB_HARD, "5.1.1", "the action in any case"},
    /* failures that say nothing final about the address */
    {"failed", "5.1.2", "", FB_SOFT, "5.1.2", "5.1.2 alone: soft (no domain wording)"},
    {"failed", "5.1.0", "", FB_SOFT, "5.1.0", "5.1.0 alone: soft"},
    {"failed", "5.2.1", "", FB_SOFT, "5.2.1", "5.2.1 alone: soft (misused for blocks)"},
    {"failed", "5.2.0", "", FB_SOFT, "5.2.0", "5.2.0 alone: soft"},
    {"failed", "5.4.1", "", FB_SOFT, "5.4.1", "5.4.1 no answer: soft"},
    {"failed", "5.4.4", "", FB_SOFT, "5.4.4", "5.4.4 alone: soft"},
    {"failed", "5.0.0", "", FB_SOFT, "5.0.0", "5.0.0 and nothing better: soft"},
    {"failed", "5.2.-1", "", FB_SOFT, "5.2.-1", "5.2.-1 read with its sign: soft"},
    {"failed", "5.1.7", "", FB_SOFT, "5.1.7", "5.1.7 bad sender address: soft"},
    {"failed", "5.1.8", "", FB_SOFT, "5.1.8", "5.1.8 bad sender system: soft"},
    {"failed", "5.2.2", "", FB_SOFT, "5.2.2", "5.2.2 mailbox full: soft"},
    {"failed", "5.2.3", "", FB_SOFT, "5.2.3", "5.2.3 message too big: soft"},
    {"failed", "5.3.4", "", FB_SOFT, "5.3.4", "5.3.4 too big for the system: soft"},
    {"failed", "5.4.0", "", FB_SOFT, "5.4.0", "5.4.0: soft"},
    {"failed", "5.4.6", "", FB_SOFT, "5.4.6", "5.4.6 routing loop: soft"},
    {"failed", "5.4.7", "", FB_SOFT, "5.4.7", "5.4.7 delivery time expired: soft"},
    {"failed", "5.5.0", "", FB_SOFT, "5.5.0", "5.5.0 protocol: soft"},
    {"failed", "5.0.1", "", FB_SOFT, "5.0.1", "5.0.1: soft"},
    {"failed", "5.7.1", "smtp; 550 5.7.1 blocked as spam", FB_SOFT, "5.7.1",
     "5.7.1 policy block: soft"},
    {"failed", "5.7.26", "", FB_SOFT, "5.7.26", "5.7.26 authentication: soft"},
    {"failed", "5.100.1", "", FB_SOFT, "5.100.1", "a subject past the table: soft"},
    {"failed", "4.2.2", "smtp; 452 4.2.2 over quota", FB_SOFT, "4.2.2",
     "4.2.2 after the queue lifetime: soft"},
    {"failed", "4.1.1", "smtp; 450 4.1.1 user unknown", FB_SOFT, "4.1.1",
     "4.x.x is soft whatever the text says"},
    {"failed", "4.4.7", "", FB_SOFT, "4.4.7", "4.4.7: soft"},
    {"failed", "2.0.0", "", FB_SOFT, "2.0.0", "failed with a success code: soft"},
    /* a Status that is missing, malformed or X.0.0: the diagnostic */
    {"failed", "5.0.0", "smtp; 550 5.1.1 <a@x.example>: unknown user", FB_HARD, "5.1.1",
     "Exim 5.0.0: the code of the diagnostic (5.1.1): hard"},
    {"failed", "5.0.0", "smtp; 550 5.7.1 rejected as spam", FB_SOFT, "5.7.1",
     "Exim 5.0.0: the code of the diagnostic (5.7.1): soft"},
    {"failed", "5.0.0", "smtp; 452 4.2.2 over quota", FB_SOFT, "5.0.0",
     "5.0.0: a 4.x.x diagnostic is not taken, 5.0.0 stays: soft"},
    {"failed", "5.0.0", "smtp; 550 Rejected: it quotes \"550 5.1.1 User unknown\" of another host",
     FB_SOFT, "5.0.0", "a code and words quoted after a bare reply code are not taken: soft"},
    {"failed", "4.0.0", "smtp; 452 4.2.2 over quota", FB_SOFT, "4.2.2",
     "4.0.0: the 4.x.x of the diagnostic"},
    {"failed", "", "smtp; 550 5.1.1 user unknown", FB_HARD, "5.1.1",
     "no Status: the code only in the diagnostic: hard"},
    {"failed", "", "smtp; 452 4.2.2 over quota", FB_SOFT, "4.2.2",
     "no Status: a 4.x.x in the diagnostic: soft"},
    {"failed", "", "smtp; 550 user unknown", FB_HARD, "5.0.0",
     "no Status, a bare 550 with user unknown: hard on the wording"},
    {"failed", "", "smtp; 550 Requested action not taken: mailbox unavailable", FB_SOFT, "5.0.0",
     "a bare 550 without evidence: soft"},
    {"failed", "5.1", "", FB_SOFT, "5.0.0", "malformed Status 5.1, no code: a failure, soft"},
    {"failed", "user unknown", "smtp; 550 5.1.1 unknown", FB_HARD, "5.1.1",
     "malformed Status, code in the diagnostic: hard"},
    {"failed", "6.1.1", "", FB_SOFT, "5.0.0", "class 6: malformed, soft"},
    {"failed", "5.1.1", "smtp; 550 5.7.1 spam", FB_SOFT, "5.1.1",
     "a 5.1.1 Status whose text says spam: soft"},
    /* delayed, and the actions that need nothing */
    {"delayed", "4.4.1", "", FB_IGNORED, NULL, "delayed 4.4.1: ignored (not a failure yet)"},
    {"delayed", "", "", FB_IGNORED, NULL, "delayed without Status: ignored"},
    {"delayed", "5.1.1", "", FB_IGNORED, NULL, "delayed is never a bounce, even 5.1.1"},
    {"delivered", "2.0.0", "", FB_IGNORED, NULL, "delivered: ignored"},
    {"relayed", "2.0.0", "", FB_IGNORED, NULL, "relayed: ignored"},
    {"expanded", "2.0.0", "", FB_IGNORED, NULL, "expanded: ignored"},
    {"bounced", "5.1.1", "", FB_IGNORED, NULL, "an unknown action: ignored"},
    {"", "5.1.1", "", FB_IGNORED, NULL, "an empty action: ignored"},
};

/* status_text - a status as "c.s.d" */
static const char *status_text(const struct fb_status *st, char buf[48])
{
    snprintf(buf, 48, "%d.%d.%d", st->cls, st->subj, st->detail);
    return buf;
}

/* test_status - reading RFC 3463 codes at a place and in a text */
static void test_status(void)
{
    for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
        const struct status_case *c = &status_cases[i];
        struct fb_status st = {-1, -1, -1};
        int got = c->cls ? fb_status_find(c->text, c->cls, &st) : fb_status_at(c->text, &st);
        char shown[48];

        if (!ok(got == (c->want != NULL) && (!got || !strcmp(status_text(&st, shown), c->want)),
                "%s", c->what))
            printf("#   got %d %s\n", got, status_text(&st, shown));
    }
}

/* test_classify - every class and branch of the classifier */
static void test_classify(void)
{
    for (size_t i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]); i++) {
        const struct classify_case *c = &classify_cases[i];
        struct fb_status st = {-1, -1, -1};
        enum fb_kind got = fb_classify(c->action, c->status, c->diag, &st);
        char shown[48];

        if (!ok(got == c->want && (!c->want_st || !strcmp(status_text(&st, shown), c->want_st)),
                "%s", c->what))
            printf("#   got %s %s, want %s %s\n", kind_text(got), status_text(&st, shown),
                   kind_text(c->want), c->want_st ? c->want_st : "");
    }
}

/* found - a token as token_open would leave it: rc, list and address */
static struct unsub_found found(int rc, const char *list, const char *addr)
{
    struct unsub_found f = UNSUB_FOUND_NONE;

    f.rc = rc;
    snprintf(f.list, sizeof(f.list), "%s", list);
    snprintf(f.addr, sizeof(f.addr), "%s", addr);
    return f;
}

/* test_token_rules - a hard bounce needs our token; the token's address for forwarded mail */
static void test_token_rules(void)
{
    struct unsub_found ours = found(0, "news", "a@example.org");
    struct unsub_found list_level = found(0, "news", "");
    struct unsub_found forged = found(OPTIN_ETOKENFORGED, "", "");
    struct unsub_found none = UNSUB_FOUND_NONE;
    struct fb_status st;

    ok(fb_verified(&ours), "verified: our token naming a recipient");
    ok(!fb_verified(&list_level), "not verified: a list-level token names no recipient");
    ok(!fb_verified(&forged), "not verified: a forged token");
    ok(!fb_verified(&none), "not verified: no token");
    ok(!fb_verified(NULL), "not verified: nothing");
    ok(fb_classify("failed", "5.1.1", "", &st) == FB_HARD, "5.1.1: hard (binding(3) decides who)");
    ok(fb_classify("failed", "4.2.2", "", &st) == FB_SOFT, "4.2.2: soft");
    ok(fb_classify("relayed", "2.0.0", "", &st) == FB_IGNORED, "relayed: ignored");

    ok(fb_dsn_address(1, &ours) != NULL && strcmp(fb_dsn_address(1, &ours), "a@example.org") == 0,
       "one recipient and our token: the token's address (forwarding)");
    ok(fb_dsn_address(2, &ours) == NULL, "two recipients: each its own address");
    ok(fb_dsn_address(0, &ours) == NULL, "no recipient: nothing");
    ok(fb_dsn_address(1, &list_level) == NULL, "a list-level token: the DSN's address");
    ok(fb_dsn_address(1, &forged) == NULL, "a forged token: the DSN's address");
}

/* test_soft_rule - the soft-bounce limit and window */
static void test_soft_rule(void)
{
    ok(FB_SOFT_LIMIT == 5 && FB_SOFT_WINDOW == 30 * 86400 && strcmp(FB_SOFT_WINDOW_TEXT, "30d") == 0,
       "defaults: 5 within 30d");
    ok(!fb_soft_suppresses(4, FB_SOFT_LIMIT), "4 of 5: counted, not suppressed");
    ok(fb_soft_suppresses(5, FB_SOFT_LIMIT), "the 5th within the window suppresses");
    ok(fb_soft_suppresses(6, FB_SOFT_LIMIT), "more than the limit suppresses");
    ok(fb_soft_suppresses(1, 1), "limit 1: the first suppresses");
    ok(!fb_soft_suppresses(0, 1), "none counted: nothing");
    ok(!fb_soft_limit_valid(0) && !fb_soft_limit_valid(-1), "limit 0 or below: refused");
    ok(fb_soft_limit_valid(1) && fb_soft_limit_valid(SOFTBOUNCE_KEEP), "limit 1 .. 64: taken");
    ok(!fb_soft_limit_valid(SOFTBOUNCE_KEEP + 1), "limit over what the store keeps: refused");
    ok(fb_soft_window_valid(1) && fb_soft_window_valid(7 * 86400), "a window of some time");
    ok(!fb_soft_window_valid(0) && !fb_soft_window_valid(-86400), "window 0 or negative: refused");
}

/* complaint_is - fb_complaint gives want and the list want_list (NULL: every list) */
static void complaint_is(const char *type, enum fb_scope scope, const char *report_list,
                         enum fb_kind want, const char *want_list, const char *what)
{
    const char *list = "unset";
    enum fb_kind got = fb_complaint(type, scope, report_list, &list);

    if (!ok(got == want && (list == want_list || (list && want_list && !strcmp(list, want_list))),
            "%s", what))
        printf("#   got %s list %s\n", kind_text(got), list ? list : "(every list)");
}

/* test_complaints - what each Feedback-Type does, from which list, for which reason */
static void test_complaints(void)
{
    const struct fb_kind_rule *r;

    ok(fb_scope_parse("list") == FB_SCOPE_LIST && fb_scope_parse("all") == FB_SCOPE_ALL,
       "scopes list and all");
    ok(fb_scope_parse("some") == -1 && fb_scope_parse("ALL") == -1 && fb_scope_parse("") == -1
       && fb_scope_parse(NULL) == -1, "other scopes refused (exact spelling)");
    complaint_is("abuse", FB_SCOPE_LIST, "news", FB_COMPLAINT, "news",
                 "abuse, scope list: unsubscribed from the report's list");
    complaint_is("Abuse", FB_SCOPE_LIST, "news", FB_COMPLAINT, "news", "Abuse in another case");
    complaint_is("abuse", FB_SCOPE_ALL, "news", FB_COMPLAINT, NULL,
                 "abuse, scope all: every list");
    complaint_is("abuse", FB_SCOPE_LIST, NULL, FB_COMPLAINT, NULL,
                 "abuse, list not known: every list (kept)");
    complaint_is("fraud", FB_SCOPE_LIST, "news", FB_COMPLAINT, "news", "fraud: a complaint");
    complaint_is("virus", FB_SCOPE_ALL, "news", FB_COMPLAINT, NULL, "virus: a complaint (scope all)");
    complaint_is("opt-out", FB_SCOPE_LIST, "news", FB_OPTOUT, "news",
                 "opt-out: unsubscribe from the report's list");
    complaint_is("opt-out", FB_SCOPE_ALL, "news", FB_OPTOUT, "news",
                 "opt-out: the report's list whatever the complaint scope");
    complaint_is("opt-out", FB_SCOPE_LIST, NULL, FB_OPTOUT, NULL,
                 "opt-out, list not known: every list");
    complaint_is("auth-failure", FB_SCOPE_LIST, "news", FB_AUTH_FAILURE, NULL,
                 "auth-failure: the sending domain's, no list");
    complaint_is("other", FB_SCOPE_ALL, "news", FB_IGNORED, NULL, "other: ignored");
    complaint_is("not-spam", FB_SCOPE_LIST, "news", FB_IGNORED, NULL, "not-spam: ignored");
    complaint_is("dislike", FB_SCOPE_LIST, "news", FB_IGNORED, NULL, "an unknown type: ignored");
    complaint_is("", FB_SCOPE_LIST, "news", FB_IGNORED, NULL, "a missing type: ignored");
    r = fb_kind_rule(FB_COMPLAINT);
    ok(r && r->reason == SUPPRESS_COMPLAINT && !strcmp(r->source, "complaint")
       && !strcmp(r->name, "complaint"), "a complaint: complaint suppression, source complaint");
    r = fb_kind_rule(FB_HARD);
    ok(r && r->reason == SUPPRESS_BOUNCE && !strcmp(r->source, "bounce")
       && !strcmp(r->name, "hard bounce"), "a hard bounce: bounce suppression, source bounce");
    r = fb_kind_rule(FB_SOFT);
    ok(r && r->reason == SUPPRESS_BOUNCE && !strcmp(r->source, "bounce")
       && !strcmp(r->name, "soft bounce"), "soft bounces: bounce suppression, source bounce");
    r = fb_kind_rule(FB_OPTOUT);
    ok(r && r->reason == SUPPRESS_GLOBAL_UNSUB && !strcmp(r->source, "opt-out"),
       "an opt-out: source opt-out, a global unsubscribe when the list is not known");
    ok(fb_kind_rule(FB_IGNORED) == NULL && fb_kind_rule(FB_AUTH_FAILURE) == NULL,
       "ignored and auth-failure write nothing");
    ok(!strcmp(fb_kind_name(FB_OPTOUT), "opt-out") && !strcmp(fb_kind_name(FB_AUTH_FAILURE),
       "auth-failure") && !strcmp(fb_kind_name((enum fb_kind) 99), "?"), "kind names");
}

/* test_complaint_address - whom a complaint is about */
static void test_complaint_address(void)
{
    struct unsub_found ours = found(0, "news", "a@example.org");
    struct unsub_found list_level = found(0, "news", "");
    struct unsub_found none = UNSUB_FOUND_NONE;

    ok(!strcmp(fb_complaint_address(&ours, "b@example.org", "c@example.org"), "a@example.org"),
       "our token first");
    ok(!strcmp(fb_complaint_address(&list_level, "b@example.org", "c@example.org"),
               "b@example.org"), "a list-level token: Original-Rcpt-To");
    ok(!strcmp(fb_complaint_address(&none, "", "c@example.org"), "c@example.org"),
       "no Original-Rcpt-To: the returned X-HmXmrOriginalRecipient");
    ok(!strcmp(fb_complaint_address(&none, "", ""), ""), "nothing: no recipient (redacted)");
}

/* test_fingerprint - reports about one message count once */
static void test_fingerprint(void)
{
    uint64_t a = fb_fingerprint("<m1@example.org>", NULL);

    ok(fb_fingerprint(NULL, NULL) == 0 && fb_fingerprint("", "") == 0, "no Message-ID: 0");
    /* FNV-1a with the offset basis one digit short (1469598103934665603): the stored
     * fingerprints were made so, and must stay as they are (kept) */
    ok(fb_fingerprint("a", NULL) == UINT64_C(0x44bd8ad473cd9906), "\"a\": the value stored so far");
    ok(fb_fingerprint("foobar", NULL) == UINT64_C(0x88fad7c0a8ff07f2),
       "\"foobar\": the value stored so far");
    ok(a != 0 && a == fb_fingerprint("<m1@example.org>", "<report@x>"),
       "the returned Message-ID wins over the report's");
    ok(a == fb_fingerprint("", "<m1@example.org>"), "without it, the report's");
    ok(a == fb_fingerprint(NULL, "<m1@example.org>"), "... also when it is NULL");
    ok(a != fb_fingerprint("<m2@example.org>", NULL), "another message, another fingerprint");
    ok(fb_fingerprint("<M1@example.org>", NULL) != a, "case counts");
}

/* test_report_list - the token's list, else the List-Id's */
static void test_report_list(void)
{
    struct optin_config *cfg = testconf_load(
        "lists = (\n"
        " { id = \"news\"; opt_in = \"single\"; match = { list_id = [\"news.lists.example\"]; }; },\n"
        " { id = \"offers\"; opt_in = \"single\"; match = { list_id = [\"offers.lists.example\"]; }; }\n"
        ");\n");
    struct unsub_found news = found(0, "news", "a@example.org");
    struct unsub_found gone = found(0, "gone", "");
    struct unsub_found forged = found(OPTIN_ETOKENFORGED, "", "");
    const char *l;

    if (!ok(cfg != NULL, "configuration loads"))
        return;
    l = fb_report_list(cfg, &news, "offers.lists.example");
    ok(l && !strcmp(l, "news") && l == config_find_list(cfg, "news")->id,
       "the token's list wins over the List-Id, as the configured id");
    l = fb_report_list(cfg, &gone, NULL);
    ok(l && !strcmp(l, "gone"), "a token's list no longer configured: still the token's");
    l = fb_report_list(cfg, &forged, "offers.lists.example");
    ok(l && !strcmp(l, "offers"), "a forged token: the List-Id's list");
    ok(fb_report_list(cfg, NULL, "other.example") == NULL, "an unknown List-Id: not known");
    ok(fb_report_list(cfg, &forged, "") == NULL, "neither: not known");
    config_free(cfg);
}

/* main - every group */
int main(void)
{
    test_status();
    test_classify();
    test_token_rules();
    test_soft_rule();
    test_complaints();
    test_complaint_address();
    test_fingerprint();
    test_report_list();
    return tap_done();
}
