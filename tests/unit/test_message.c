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
             "one_recipient_per_message = true;\n"
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

/* rcpt - one smtpd recipient */
static enum msg_step rcpt(struct msg_state *m, const char *raw, struct msg_reply *r)
{
    memset(r, 0, sizeof(*r));
    return msg_rcpt(m, raw, strlen(raw), 0, r);
}

/* test_done_when - 3 consented and 2 unconsented, one recipient per message */
static void test_done_when(void)
{
    const char *consented[] = {"<c1@example.org>", "<C2@Example.ORG>", "<c3@example.org>"};
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;
    char token[TOKEN_BUFSZ], list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ];
    int good_tokens = 0, one_of_each = 0;

    for (int t = 0; t < 3; t++) {
        msg_init(&m, &env, "optin-1.1", "192.0.2.10", T0);
        msg_mail(&m, "<bounce-news-42@lists.example>", NULL, NULL);
        ok(rcpt(&m, consented[t], &r) == MSG_CONTINUE, "transaction %d: consented accepted", t + 1);
        if (t == 0) {
            ok(rcpt(&m, "<u1@example.org>", &r) == MSG_REJECT && strcmp(r.rcode, "550") == 0
               && strcmp(r.xcode, "5.7.1") == 0 && strstr(r.text, "no-record"),
               "unconsented: 550 5.7.1 with the reason (%s)", r.text);
            ok(rcpt(&m, "<c2@example.org>", &r) == MSG_TEMPFAIL && strcmp(r.rcode, "452") == 0
               && strcmp(r.xcode, "4.5.3") == 0, "second consented: 452 4.5.3");
            ok(rcpt(&m, "<u2@example.org>", &r) == MSG_REJECT, "second unconsented: 550 at once");
            ok(rcpt(&m, "<c3@example.org>", &r) == MSG_TEMPFAIL, "third consented: 452");
        }
        msg_header(&m, "Subject", "news");
        ok(msg_eoh(&m) == MSG_CONTINUE, "list mail goes on to end of message");
        msg_eom(&m, &p);
        const struct hdr_op *lu = find_op(&p, UNSUB_HEADER, 1);
        const struct hdr_op *post = find_op(&p, UNSUB_POST_HEADER, 1);
        one_of_each += p.step == MSG_CONTINUE && p.ndelrcpt == 0 && lu && lu->add && post
            && post->add && strcmp(post->value, UNSUB_POST_VALUE) == 0 && p.nops == 2;
        if (lu && sscanf(lu->value, "<https://u.lists.example/u/%511[A-Za-z0-9_-]>", token) == 1
            && token_open(env.keys, token, strlen(token), list, addr) == 0
            && strcmp(list, "news") == 0 && strncasecmp(addr, consented[t] + 1, 2) == 0)
            good_tokens++;
        msg_plan_free(&p);
        msg_free(&m);
    }
    ok(one_of_each == 3, "each message: one List-Unsubscribe and one List-Unsubscribe-Post");
    ok(good_tokens == 3, "each URL token names the list and its own recipient");
    ok(count_journal("\"verdict\":\"reject\"") == 2, "two journal lines explain the two rejects");
    ok(count_journal("\"verdict\":\"accept\"") == 3, "three accept lines with their consent");
    ok(count_journal("\"method\":\"single\"") == 3, "accepted lines name the consent relied on");
}

/* test_strip - list known from List-Id: strip at end, several left */
static void test_strip(void)
{
    const char *raws[] = {"<c1@example.org>", "<U1@Example.ORG>", "<c2@example.org>",
                          "<u2@example.org>", "<c3@example.org>"};
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;
    int all_continue = 1;

    msg_init(&m, &env, "optin-2.1", "192.0.2.10", T0);
    msg_mail(&m, "<app@shop.example>", NULL, NULL);
    for (int i = 0; i < 5; i++)
        all_continue &= rcpt(&m, raws[i], &r) == MSG_CONTINUE;
    ok(all_continue, "list unknown at RCPT: every recipient continues");
    msg_header(&m, "List-Id", "Our news\r\n <news.lists.example>");
    msg_header(&m, "List-Unsubscribe", "<https://app.example/old>");
    msg_eom(&m, &p);
    ok(p.step == MSG_CONTINUE && p.ndelrcpt == 2 && strcmp(p.delrcpt[0], "<U1@Example.ORG>") == 0
       && strcmp(p.delrcpt[1], "<u2@example.org>") == 0,
       "the two unconsented are removed exactly as received");
    const struct hdr_op *lu = find_op(&p, UNSUB_HEADER, 1);
    ok(lu && !lu->add && lu->index == 1 && strncmp(lu->value, "<mailto:", 8) == 0
       && !strstr(lu->value, "https"), "the app's header is replaced by a list-level mailto");
    ok(find_op(&p, UNSUB_POST_HEADER, 1) == NULL, "no one-click with several recipients");
    ok(count_journal("several-recipients") == 1, "journal warns about several recipients");
    msg_plan_free(&p);
    msg_free(&m);
}

/* test_transactional - no list, no bulk signs: accepted at end of headers */
static void test_transactional(void)
{
    struct msg_state m;
    struct msg_reply r;
    struct eom_plan p;

    msg_init(&m, &env, "optin-3.1", "192.0.2.10", T0);
    msg_mail(&m, "<orders@shop.example>", NULL, NULL);
    ok(rcpt(&m, "<u1@example.org>", &r) == MSG_CONTINUE, "transactional recipient continues");
    msg_header(&m, "Subject", "your order");
    ok(msg_eoh(&m) == MSG_ACCEPT, "transactional: accepted at end of headers");
    msg_free(&m);
    msg_init(&m, &env, "optin-3.2", "192.0.2.10", T0);
    msg_mail(&m, "<orders@shop.example>", NULL, NULL);
    rcpt(&m, "<u1@example.org>", &r);
    msg_header(&m, "Precedence", " bulk");
    ok(msg_eoh(&m) == MSG_CONTINUE, "bulk signs go on to end of message");
    msg_eom(&m, &p);
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
    msg_init(&m, &broken, "optin-4.1", "192.0.2.10", T0);
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
    test_done_when();
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
