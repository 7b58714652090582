/*
 * NAME
 *	test_message - TAP tests of the per-message policy, without an MTA
 * DESCRIPTION
 *	Drives policy/enforce/message.c the way the milter callbacks do, against a
 *	real configuration file, LMDB store, key file and journal in a
 *	temporary directory, and checks every answer and end-of-message plan.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enforce/message.h"
#include "tap.h"
#include "unsubscribe/unsubscribe.h"

#define T0 1714564800

static char dir[] = "/tmp/optin-test-msg.XXXXXX";
static struct msg_env env;
static struct optin_config *cfg;

/* write_file - a small text file */
static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((fp = fopen(path, "w")) != NULL) {
        fputs(text, fp);
        fclose(fp);
    }
}

struct sub {
    const char *list, *addr;
};

/* subscribe_all - write callback: single opt-in for each pair */
static int subscribe_all(struct store_txn *txn, void *arg)
{
    const struct sub *s = arg;
    struct change_ctx cc = {.now = T0 - 86400, .source = "test"};
    char token[CONFIRM_CODE_BUFSZ];
    int rc = 0;

    for (; s->addr && rc == 0; s++)
        rc = consent_subscribe(txn, s->list, s->addr, METHOD_SINGLE, &cc, token);
    return rc;
}

/* setup - configuration, keys, store, journal */
static int setup(void)
{
    static const struct sub subs[] = {
        {"news", "c1@example.org"}, {"news", "c2@example.org"}, {"news", "c3@example.org"},
        {NULL, NULL}};
    char text[2048], err[4096], path[256];
    struct store_options so = {.create = 1};
    int id;

    snprintf(text, sizeof(text),
             "database = \"%s/db\";\nkeys = \"%s/keys\";\njournal = \"%s/journal\";\n"
             "unsubscribe_url = \"https://u.lists.example/u/\";\n"
             "unsubscribe_mailto = \"unsubscribe@lists.example\";\n"
             "rcpt_refusal_limit = 2;\n"
             "lists = ( { id = \"news\"; opt_in = \"single\";\n"
             "  match = { envelope_from = [\"bounce-news-*@lists.example\"];\n"
             "            list_id = [\"news.lists.example\"]; }; } );\n", dir, dir, dir);
    write_file("conf", text);
    snprintf(path, sizeof(path), "%s/conf", dir);
    if ((cfg = config_load(path, err, sizeof(err))) == NULL) {
        printf("# %s", err);
        return -1;
    }
    so.path = cfg->database;
    if (token_keys_generate(cfg->keys, &id, err, sizeof(err)) != 0
        || token_keys_load(cfg->keys, (struct token_keys **) &env.keys, err, sizeof(err)) != 0
        || store_open(&so, &env.store, err, sizeof(err)) != 0
        || journal_open(cfg->journal, &env.journal, err, sizeof(err)) != 0) {
        printf("# %s\n", err);
        return -1;
    }
    env.cfg = cfg;
    return store_write(env.store, subscribe_all, (void *) subs);
}

/* count_journal - lines of the journal containing needle */
static int count_journal(const char *needle)
{
    char path[256], line[4096];
    int n = 0;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/journal", dir);
    if ((fp = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), fp))
        n += strstr(line, needle) != NULL;
    fclose(fp);
    return n;
}

/* find_op - the plan's operation on a header, or NULL */
static const struct hdr_op *find_op(const struct eom_plan *p, const char *name, int with_value)
{
    for (size_t i = 0; i < p->nops; i++)
        if (strcmp(p->ops[i].name, name) == 0 && (p->ops[i].value != NULL) == with_value)
            return &p->ops[i];
    return NULL;
}

/* eom - end of message as the milter runs it: the plan, then the receipts (msg_finish) */
static void eom(struct msg_state *m, struct eom_plan *p)
{
    msg_eom(m, p);
    p->step = msg_finish(m, p->step, &p->reply);
}

/* rcpt - one smtpd recipient */
static enum msg_step rcpt(struct msg_state *m, const char *raw, struct msg_reply *r)
{
    memset(r, 0, sizeof(*r));
    return msg_rcpt(m, raw, strlen(raw), 0, r);
}

/* list_message - MAIL with the envelope naming list news, then the recipients; replies counted */
static void list_message(struct msg_state *m, struct msg_session *sess, const char *id,
                         const char *const *raws, size_t n, int *refused)
{
    struct msg_reply r;

    msg_init(m, &env, sess, id, "192.0.2.10", T0);
    msg_mail(m, "<bounce-news-42@lists.example>", NULL, NULL);
    *refused = 0;
    for (size_t i = 0; i < n; i++)
        *refused += rcpt(m, raws[i], &r) == MSG_REJECT;
}

/* test_refusal_limit - at most rcpt_refusal_limit (2) refusals a session, the rest stripped */
static void test_refusal_limit(void)
{
    const char *raws[] = {"<c1@example.org>", "<u1@example.org>", "<u2@example.org>",
                          "<u3@example.org>", "<c2@example.org>", "<u4@example.org>"};
    struct msg_session sess = {0};
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;
    int refused;

    list_message(&m, &sess, "optin-1.1", raws, 6, &refused);
    ok(refused == 2 && sess.rcpt_refusals == 2, "two refusals at RCPT (the limit), then none");
    eom(&m, &p);
    ok(p.step == MSG_CONTINUE && p.ndelrcpt == 2 && strcmp(p.delrcpt[0], "<u3@example.org>") == 0
       && strcmp(p.delrcpt[1], "<u4@example.org>") == 0, "the others are removed at the end");
    ok(count_journal("\"recipient\":\"u3@example.org\",\"recipient_raw\":\"<u3@example.org>\","
                     "\"verdict\":\"strip\"") == 1, "journal: u3 strip, raw and normalized");
    ok(count_journal("rcpt_refusal_limit reached") == 2, "journal: why they were not refused");
    ok(sess.rcpt_refusals == 0, "a message that goes resets the session's count");
    msg_plan_free(&p);
    msg_free(&m);
    list_message(&m, &sess, "optin-1.2", raws + 1, 1, &refused);
    ok(refused == 1, "the next message gets its refusal again");
    memset(&r, 0, sizeof(r));
    msg_free(&m);
    list_message(&m, NULL, "optin-1.3", raws, 6, &refused);
    ok(refused == 4, "without a session (no MTA counting): every denied recipient refused");
    msg_free(&m);
}

/* test_routes - a source-routed recipient is removed by the spelling Postfix stores */
static void test_routes(void)
{
    const char *raws[] = {"<@a.example,@b.example:U20@Example.ORG>", "<c1@example.org>"};
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;

    msg_init(&m, &env, NULL, "optin-5.1", "192.0.2.10", T0);
    msg_mail(&m, "<app@shop.example>", NULL, NULL);
    rcpt(&m, raws[0], &r);
    rcpt(&m, raws[1], &r);
    msg_header(&m, "List-Id", "<news.lists.example>");
    eom(&m, &p);
    ok(p.step == MSG_CONTINUE && p.ndelrcpt == 2 && strcmp(p.delrcpt[0], raws[0]) == 0
       && strcmp(p.delrcpt[1], "U20@Example.ORG") == 0,
       "removed as received and without its route (as smtpd stores it)");
    ok(count_journal("\"recipient\":\"u20@example.org\",\"recipient_raw\":"
                     "\"<@a.example,@b.example:U20@Example.ORG>\"") == 1,
       "journal: normalized u20@example.org beside the raw form");
    msg_plan_free(&p);
    msg_free(&m);
}

/* nonsmtpd - a sendmail(1) message to raws, list by List-Id; the plan */
static void nonsmtpd(const char *id, const char *const *raws, size_t n, struct eom_plan *p)
{
    struct msg_state m;
    struct msg_reply r;

    msg_init(&m, &env, NULL, id, "127.0.0.1", T0);
    msg_mail(&m, "<app@shop.example>", NULL, NULL);
    for (size_t i = 0; i < n; i++)
        msg_rcpt(&m, raws[i], strlen(raws[i]), 1, &r);
    msg_header(&m, "List-Id", "<news.lists.example>");
    eom(&m, p);
    msg_free(&m);
}

/* test_nonsmtpd - sendmail(1): no removal the milter cannot see through */
static void test_nonsmtpd(void)
{
    const char *mixed[] = {"c1@example.org", "u14@example.org", "c2@example.org"};
    const char *denied[] = {"u14@example.org", "u17@example.org"};
    struct eom_plan p;

    nonsmtpd("optin-6.1", mixed, 3, &p);
    ok(p.step == MSG_REJECT && p.ndelrcpt == 0 && strcmp(p.reply.rcode, "550") == 0
       && strstr(p.reply.text, "1 of 3 recipients have no consent"),
       "some without consent: refused whole, nothing removed (%s)", p.reply.text);
    ok(count_journal("\"recipient\":\"c1@example.org\",\"recipient_raw\":\"c1@example.org\","
                     "\"verdict\":\"reject\",\"reason\":\"cannot-strip\"") == 1,
       "journal: the one with consent is not recorded as sent");
    msg_plan_free(&p);
    nonsmtpd("optin-6.2", denied, 2, &p);
    ok(p.step == MSG_REJECT && p.ndelrcpt == 0, "nobody with consent: rejected as before");
    msg_plan_free(&p);
    nonsmtpd("optin-6.3", mixed, 1, &p);
    ok(p.step == MSG_CONTINUE && p.ndelrcpt == 0, "everybody with consent: delivered");
    msg_plan_free(&p);
}

/* test_duplicates - one mailbox given twice is one recipient: one-click stays */
static void test_duplicates(void)
{
    const char *raws[] = {"<c1@example.org>", "<C1@Example.ORG>", "<u1@example.org>"};
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;
    int warnings = count_journal("several-recipients");

    msg_init(&m, &env, NULL, "optin-7.1", "192.0.2.10", T0);
    msg_mail(&m, "<app@shop.example>", NULL, NULL);
    for (int i = 0; i < 3; i++)
        rcpt(&m, raws[i], &r);
    msg_header(&m, "List-Id", "<news.lists.example>");
    eom(&m, &p);
    ok(p.step == MSG_CONTINUE && find_op(&p, UNSUB_POST_HEADER, 1) != NULL
       && strncmp(find_op(&p, UNSUB_HEADER, 1)->value, "<https://", 9) == 0,
       "c1 twice: one-click List-Unsubscribe for c1");
    ok(count_journal("several-recipients") == warnings, "no several-recipients warning");
    msg_plan_free(&p);
    msg_free(&m);
}

/* test_ambiguous - two List-Id fields naming different lists: refused */
static void test_ambiguous(void)
{
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;

    msg_init(&m, &env, NULL, "optin-8.1", "192.0.2.10", T0);
    msg_mail(&m, "<app@shop.example>", NULL, NULL);
    rcpt(&m, "<c1@example.org>", &r);
    msg_header(&m, "List-Id", "<news.lists.example>");
    msg_header(&m, "List-Id", "Other <offers.lists.example>");
    ok(msg_eoh(&m) == MSG_CONTINUE, "goes on to end of message");
    eom(&m, &p);
    ok(p.step == MSG_REJECT && strstr(p.reply.text, "several List-Id fields"),
       "refused: %s", p.reply.text);
    ok(count_journal("\"verdict\":\"reject\",\"reason\":\"ambiguous-list-id\"") == 1,
       "journal: reject ambiguous-list-id");
    msg_plan_free(&p);
    msg_free(&m);
    msg_init(&m, &env, NULL, "optin-8.2", "192.0.2.10", T0);
    msg_mail(&m, "<app@shop.example>", NULL, NULL);
    rcpt(&m, "<c1@example.org>", &r);
    msg_header(&m, "List-Id", "<news.lists.example>");
    msg_header(&m, "List-Id", "Same, other phrase <NEWS.lists.example>");
    eom(&m, &p);
    ok(p.step == MSG_CONTINUE, "the same list-id twice is not ambiguous");
    msg_plan_free(&p);
    msg_free(&m);
}

/* test_strip - list known from List-Id: strip at end, several left */
static void test_strip(void)
{
    const char *raws[] = {"<c1@example.org>", "<U1@Example.ORG>", "<c2@example.org>",
                          "<u2@example.org>", "<c3@example.org>"};
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;
    int all_continue = 1, warnings = count_journal("several-recipients");

    msg_init(&m, &env, NULL, "optin-2.1", "192.0.2.10", T0);
    msg_mail(&m, "<app@shop.example>", NULL, NULL);
    for (int i = 0; i < 5; i++)
        all_continue &= rcpt(&m, raws[i], &r) == MSG_CONTINUE;
    ok(all_continue, "list unknown at RCPT: every recipient continues");
    msg_header(&m, "List-Id", "Our news\r\n <news.lists.example>");
    msg_header(&m, "List-Unsubscribe", "<https://app.example/old>");
    eom(&m, &p);
    ok(p.step == MSG_CONTINUE && p.ndelrcpt == 2 && strcmp(p.delrcpt[0], "<U1@Example.ORG>") == 0
       && strcmp(p.delrcpt[1], "<u2@example.org>") == 0,
       "the two unconsented are removed exactly as received");
    const struct hdr_op *lu = find_op(&p, UNSUB_HEADER, 1);
    ok(lu && !lu->add && lu->index == 1 && strncmp(lu->value, "<mailto:", 8) == 0
       && !strstr(lu->value, "https"), "the app's header is replaced by a list-level mailto");
    ok(find_op(&p, UNSUB_POST_HEADER, 1) == NULL, "no one-click with several recipients");
    ok(count_journal("several-recipients") == warnings + 1, "journal warns about several recipients");
    msg_plan_free(&p);
    msg_free(&m);
}

/* test_transactional - no list, no bulk signs: accepted at end of headers */
static void test_transactional(void)
{
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;

    msg_init(&m, &env, NULL, "optin-3.1", "192.0.2.10", T0);
    msg_mail(&m, "<orders@shop.example>", NULL, NULL);
    ok(rcpt(&m, "<u1@example.org>", &r) == MSG_CONTINUE, "transactional recipient continues");
    msg_header(&m, "Subject", "your order");
    ok(msg_eoh(&m) == MSG_ACCEPT, "transactional: accepted at end of headers");
    msg_free(&m);
    msg_init(&m, &env, NULL, "optin-3.2", "192.0.2.10", T0);
    msg_mail(&m, "<orders@shop.example>", NULL, NULL);
    rcpt(&m, "<u1@example.org>", &r);
    msg_header(&m, "Precedence", " bulk");
    ok(msg_eoh(&m) == MSG_CONTINUE, "bulk signs go on to end of message");
    eom(&m, &p);
    ok(p.step == MSG_REJECT && strcmp(p.reply.rcode, "550") == 0,
       "unattributed bulk mail is rejected by default");
    msg_plan_free(&p);
    msg_free(&m);
}

/* test_store_failure - no store: list mail temp-fails */
static void test_store_failure(void)
{
    struct msg_env broken = env;
    struct msg_state m;
    struct msg_reply r;

    broken.store = NULL;
    msg_init(&m, &broken, NULL, "optin-4.1", "192.0.2.10", T0);
    msg_mail(&m, "<bounce-news-1@lists.example>", NULL, NULL);
    ok(rcpt(&m, "<c1@example.org>", &r) == MSG_TEMPFAIL && strcmp(r.rcode, "451") == 0
       && strcmp(r.xcode, "4.3.0") == 0, "store unavailable: 451 4.3.0, never accepted unchecked");
    msg_free(&m);
}

int main(void)
{
    char cmd[300];

    if (mkdtemp(dir) == NULL || setup() != 0) {
        printf("Bail out! setup failed\n");
        return 1;
    }
    test_refusal_limit();
    test_routes();
    test_nonsmtpd();
    test_duplicates();
    test_ambiguous();
    test_strip();
    test_transactional();
    test_store_failure();
    journal_close(env.journal);
    token_keys_free((struct token_keys *) env.keys);
    store_close(env.store);
    config_free(cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
