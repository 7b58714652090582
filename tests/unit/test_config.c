/*
 * NAME
 *	test_config 1
 * SUMMARY
 *	TAP tests of config_load() and friends
 * SYNOPSIS
 *	top_srcdir=DIR tests/test_config
 * DESCRIPTION
 *	Loads milter/optin-milter.conf.sample (under $top_srcdir, default
 *	".") and checks the values and defaults it yields, then writes
 *	small configuration files into a private mkdtemp() directory and
 *	checks that each mistake is reported as "FILE:LINE: KEY: ..." and
 *	that nothing is returned. The directory is removed at the end.
 * DIAGNOSTICS
 *	TAP on stdout; a failed point prints the error text it got.
 *	Exit 99 when the temporary directory cannot be made.
 * SEE ALSO
 *	config(3), tests/tap.h
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "tap.h"

#define MAX_FILES 128
#define DAY 86400

/* The temporary directory, the files written into it and the last error text. */
struct fixture {
    char dir[256];
    char path[512];
    char *files[MAX_FILES];
    size_t nfiles;
    char err[4096];
};

/* write_file - put text into dir/name; fx->path names it afterwards */
static int write_file(struct fixture *fx, const char *name, const char *text)
{
    FILE *fp;

    snprintf(fx->path, sizeof fx->path, "%s/%s", fx->dir, name);
    if ((fp = fopen(fx->path, "w")) == NULL)
        return -1;
    fputs(text, fp);
    if (fclose(fp) != 0)
        return -1;
    if (fx->nfiles < MAX_FILES)
        fx->files[fx->nfiles++] = strdup(fx->path);
    return 0;
}

/* load_text - write a file and load it */
static struct optin_config *load_text(struct fixture *fx, const char *name, const char *text)
{
    fx->err[0] = '\0';
    if (write_file(fx, name, text) != 0) {
        snprintf(fx->err, sizeof fx->err, "cannot write %s", fx->path);
        return NULL;
    }
    return config_load(fx->path, fx->err, sizeof fx->err);
}

/* diag - show the error text under a failed point */
static void diag(const char *err)
{
    const char *p = err;

    while (*p != '\0') {
        size_t n = strcspn(p, "\n");

        printf("#   err: %.*s\n", (int) n, p);
        p += n + (p[n] == '\n');
    }
}

/* expect_error - the file does not load and err has "PATH:LINE: what" */
static void expect_error(struct fixture *fx, const char *name, const char *text, int line,
                         const char *what)
{
    struct optin_config *cfg = load_text(fx, name, text);
    char want[1024];

    if (line > 0)
        snprintf(want, sizeof want, "%s:%d: %s", fx->path, line, what);
    else
        snprintf(want, sizeof want, "%s: %s", fx->path, what);
    if (!ok(cfg == NULL && strstr(fx->err, want) != NULL, "%s: error \"%s\"", name, want))
        diag(fx->err);
    config_free(cfg);
}

/* count_lines - how many lines the error text has */
static int count_lines(const char *err)
{
    int n = 0;

    for (; *err != '\0'; err++)
        n += *err == '\n';
    return n;
}

/* has_items - a string list holds exactly these strings, in order (NULL-terminated) */
static int has_items(const struct string_list *sl, const char *const *want)
{
    size_t i;

    for (i = 0; want[i] != NULL; i++)
        if (i >= sl->count || strcmp(sl->items[i], want[i]) != 0)
            return 0;
    return i == sl->count;
}

/* str_is - two strings are equal, NULL only equal to NULL */
static int str_is(const char *got, const char *want)
{
    return got == NULL || want == NULL ? got == want : strcmp(got, want) == 0;
}

/* test_sample_globals - the sample's global keys and the defaults it leaves alone */
static void test_sample_globals(const struct optin_config *cfg)
{
    ok(str_is(cfg->database, "/var/lib/optin-milter"), "sample: database");
    ok(cfg->map_size == UINT64_C(4) << 30, "sample: map_size \"4G\" is 4 GiB");
    ok(cfg->max_readers == 512, "sample: max_readers default 512");
    ok(cfg->fold_local_part == 1, "sample: fold_local_part default true");
    ok(cfg->confirm_ttl == 7 * DAY, "sample: confirm_ttl default 7d");
    ok(str_is(cfg->socket, "unix:/var/spool/postfix/optin-milter/optin-milter.sock"), "sample: socket");
    ok(cfg->socket_mode == 0660, "sample: socket_mode default 0660");
    ok(str_is(cfg->user, "optin") && str_is(cfg->group, "postfix"), "sample: user and group");
    ok(cfg->pidfile == NULL, "sample: no pidfile by default");
    ok(str_is(cfg->log_target, "syslog") && str_is(cfg->syslog_facility, "mail"),
       "sample: log_target syslog, syslog_facility mail by default");
    ok(str_is(cfg->journal, "/var/log/optin-milter/decisions.log"), "sample: journal");
    ok(cfg->mode == MODE_ENFORCE, "sample: mode enforce");
    ok(str_is(cfg->marker_header, "X-Optin-List"), "sample: marker_header default");
    ok(str_is(cfg->keys, "/etc/optin-milter.keys"), "sample: keys");
    ok(str_is(cfg->unsubscribe_url, "https://unsubscribe.lists.example/u/"), "sample: unsubscribe_url");
    ok(str_is(cfg->unsubscribe_mailto, "unsubscribe@lists.example"), "sample: unsubscribe_mailto");
    ok(cfg->unattributed_bulk == BULK_REJECT && cfg->store_failure == STORE_FAIL_TEMPFAIL
       && cfg->all_recipients_denied == ALL_DENIED_REJECT && cfg->one_recipient_per_message == 0
       && str_is(cfg->verdict_header, "X-Optin-Verdict"),
       "sample: unattributed_bulk, store_failure, all_recipients_denied, one_recipient_per_message, "
       "verdict_header defaults");
}

/* test_sample_lists - the two lists of the sample */
static void test_sample_lists(const struct optin_config *cfg)
{
    static const char *const news_list_id[] = {"news.example.org", NULL};
    static const char *const news_from[] = {"news-bounces@example.org", "news-*@lists.example.org", NULL};
    static const char *const offers_auth[] = {"crm-sender", NULL};
    static const char *const offers_daemon[] = {"BULK", NULL};
    static const char *const none[] = {NULL};
    const struct list_def *news = config_find_list(cfg, "news");
    const struct list_def *offers = config_find_list(cfg, "offers");

    ok(cfg->list_count == 2, "sample: two lists");
    if (!ok(news == &cfg->lists[0] && offers == &cfg->lists[1], "sample: lists news, offers in order"))
        return;
    ok(news->opt_in == OPT_IN_DOUBLE && offers->opt_in == OPT_IN_SINGLE, "sample: opt_in double, single");
    ok(news->max_consent_age == 0 && offers->max_consent_age == 730 * DAY,
       "sample: max_consent_age none and 730d");
    ok(news->mode == MODE_ENFORCE && offers->mode == MODE_MONITOR,
       "sample: news inherits enforce, offers sets monitor");
    ok(has_items(&news->match_list_id, news_list_id) && has_items(&news->match_envelope_from, news_from)
       && has_items(&news->match_auth_user, none) && has_items(&news->match_daemon_name, none),
       "sample: news matches list_id and envelope_from");
    ok(has_items(&offers->match_auth_user, offers_auth) && has_items(&offers->match_daemon_name, offers_daemon)
       && has_items(&offers->match_list_id, none) && has_items(&offers->match_envelope_from, none),
       "sample: offers matches auth_user and daemon_name");
    ok(news->unsubscribe_url == NULL && news->unsubscribe_mailto == NULL,
       "sample: news uses the global unsubscribe_url and unsubscribe_mailto");
    ok(str_is(offers->unsubscribe_url, "https://crm.lists.example/unsubscribe/")
       && offers->unsubscribe_mailto == NULL, "sample: offers has its own unsubscribe_url");
    ok(news->line > 0 && offers->line > news->line, "sample: list lines recorded");
    ok(config_find_list(cfg, "nope") == NULL && config_find_list(cfg, "NEWS") == NULL,
       "sample: config_find_list is exact");
}

/* test_sample - the shipped sample loads */
static void test_sample(struct fixture *fx)
{
    const char *top = getenv("top_srcdir");
    char path[512];
    struct optin_config *cfg;

    snprintf(path, sizeof path, "%s/milter/optin-milter.conf.sample", top != NULL ? top : ".");
    cfg = config_load(path, fx->err, sizeof fx->err);
    if (!ok(cfg != NULL && fx->err[0] == '\0', "sample %s loads", path)) {
        diag(fx->err);
        return;
    }
    ok(str_is(cfg->path, path), "sample: path recorded");
    test_sample_globals(cfg);
    test_sample_lists(cfg);
    config_free(cfg);
}

/* test_defaults - an empty file gives every default */
static void test_defaults(struct fixture *fx)
{
    struct optin_config *cfg = load_text(fx, "conf_empty.conf", "# nothing\n");

    if (!ok(cfg != NULL, "empty file loads")) {
        diag(fx->err);
        return;
    }
    ok(str_is(cfg->database, OPTIN_DEFAULT_DATABASE), "default database is OPTIN_DEFAULT_DATABASE");
    ok(cfg->map_size == UINT64_C(4) << 30 && cfg->max_readers == 512, "default map_size 4G, max_readers 512");
    ok(cfg->fold_local_part == 1 && cfg->confirm_ttl == 7 * DAY, "default fold_local_part, confirm_ttl");
    ok(cfg->feedback_maildir == NULL, "default feedback_maildir: none");
    ok(str_is(cfg->socket, "unix:/var/spool/postfix/optin-milter/optin-milter.sock") && cfg->socket_mode == 0660,
       "default socket and socket_mode");
    ok(cfg->user == NULL && cfg->group == NULL && cfg->pidfile == NULL && cfg->journal == NULL,
       "no user, group, pidfile or journal by default");
    ok(str_is(cfg->log_target, "syslog") && str_is(cfg->syslog_facility, "mail")
       && cfg->mode == MODE_ENFORCE && str_is(cfg->marker_header, "X-Optin-List"),
       "default log_target, syslog_facility, mode, marker_header");
    ok(str_is(cfg->keys, OPTIN_DEFAULT_KEYS), "default keys is OPTIN_DEFAULT_KEYS");
    ok(cfg->unsubscribe_url == NULL && cfg->unsubscribe_mailto == NULL,
       "no unsubscribe_url or unsubscribe_mailto by default");
    ok(cfg->unattributed_bulk == BULK_REJECT, "default unattributed_bulk reject");
    ok(cfg->store_failure == STORE_FAIL_TEMPFAIL, "default store_failure tempfail");
    ok(cfg->all_recipients_denied == ALL_DENIED_REJECT, "default all_recipients_denied reject");
    ok(cfg->one_recipient_per_message == 0 && cfg->rcpt_refusal_limit == 5
       && cfg->refuse_ambiguous_list_id == 1,
       "defaults: one_recipient_per_message false, rcpt_refusal_limit 5, refuse_ambiguous_list_id");
    ok(str_is(cfg->verdict_header, "X-Optin-Verdict"), "default verdict_header X-Optin-Verdict");
    ok(cfg->lists == NULL && cfg->list_count == 0, "no lists by default");
    config_free(cfg);
}

/* test_mode_after_lists - a list without mode takes the global mode written after it */
static void test_mode_after_lists(struct fixture *fx)
{
    struct optin_config *cfg = load_text(fx, "conf_late_mode.conf",
                                         "lists = (\n"
                                         "  { id = \"a\"; },\n"
                                         "  { id = \"b\"; mode = \"enforce\"; match = { }; }\n"
                                         ");\n"
                                         "mode = \"monitor\";\n");

    if (!ok(cfg != NULL, "global mode after the lists loads")) {
        diag(fx->err);
        return;
    }
    ok(cfg->mode == MODE_MONITOR, "global mode monitor");
    ok(cfg->list_count == 2 && cfg->lists[0].mode == MODE_MONITOR, "list without mode inherits monitor");
    ok(cfg->list_count == 2 && cfg->lists[1].mode == MODE_ENFORCE, "list with mode keeps enforce");
    ok(cfg->list_count == 2 && cfg->lists[0].opt_in == OPT_IN_DOUBLE && cfg->lists[0].max_consent_age == 0,
       "list defaults: double opt-in, no age limit");
    ok(cfg->list_count == 2 && cfg->lists[0].match_list_id.count == 0 && cfg->lists[1].match_auth_user.count == 0,
       "missing and empty match groups are allowed");
    ok(cfg->list_count == 2 && cfg->lists[0].line == 2 && cfg->lists[1].line == 3, "list lines 2 and 3");
    ok(cfg->list_count == 2 && cfg->lists[0].unsubscribe_url == NULL && cfg->lists[0].unsubscribe_mailto == NULL,
       "list without overrides: unsubscribe_url and unsubscribe_mailto NULL");
    config_free(cfg);
}

/* test_other_forms - integers for sizes and durations, 64-bit integers, short modes, booleans */
static void test_other_forms(struct fixture *fx)
{
    static const char id63[] = "lists = ( { id = \"a123456789b123456789c123456789d123456789"
                               "e123456789f123456789a.-\"; max_consent_age = 86400; } );\n";
    struct optin_config *cfg = load_text(fx, "conf_forms.conf",
                                         "map_size = 8589934592L;\n"
                                         "max_readers = 32767;\n"
                                         "fold_local_part = false;\n"
                                         "confirm_ttl = 3600;\n"
                                         "socket = \"inet:8891@127.0.0.1\";\n"
                                         "socket_mode = \"600\";\n"
                                         "log_target = \"stderr\";\n"
                                         "syslog_facility = \"local7\";\n"
                                         "marker_header = \"X-Bulk-List\";\n"
                                         "lists = ();\n");

    if (ok(cfg != NULL, "integer and alternative forms load")) {
        ok(cfg->map_size == UINT64_C(8) << 30, "map_size 8589934592L");
        ok(cfg->max_readers == 32767 && cfg->fold_local_part == 0, "max_readers 32767, fold_local_part false");
        ok(cfg->confirm_ttl == 3600 && cfg->socket_mode == 0600, "confirm_ttl 3600, socket_mode \"600\"");
        ok(str_is(cfg->socket, "inet:8891@127.0.0.1") && str_is(cfg->log_target, "stderr")
           && str_is(cfg->syslog_facility, "local7") && str_is(cfg->marker_header, "X-Bulk-List"),
           "socket, log_target, syslog_facility, marker_header");
        ok(cfg->list_count == 0, "empty lists");
    } else {
        diag(fx->err);
    }
    config_free(cfg);
    cfg = load_text(fx, "conf_plain64.conf", "map_size = 4294967296;\nmax_readers = 0x40;\n");
    ok(cfg != NULL && cfg->map_size == UINT64_C(4) << 30 && cfg->max_readers == 64,
       "a plain map_size = 4294967296 is 4 GiB, not 0; hex 0x40 is 64");
    config_free(cfg);
    cfg = load_text(fx, "conf_id63.conf", id63);
    if (!ok(cfg != NULL && cfg->list_count == 1 && strlen(cfg->lists[0].id) == 63
            && cfg->lists[0].max_consent_age == DAY, "63-character id and integer max_consent_age"))
        diag(fx->err);
    config_free(cfg);
}

/* long_text - head, then fill up to len octets in total, then tail; in buf */
static const char *long_text(char *buf, size_t len, const char *head, char fill, const char *tail)
{
    size_t h = strlen(head), t = strlen(tail);

    memcpy(buf, head, h);
    memset(buf + h, fill, len - h - t);
    memcpy(buf + len - t, tail, t + 1);
    return buf;
}

/* test_enforcement_keys - a good value for each enforcement key, and the list overrides */
static void test_enforcement_keys(struct fixture *fx)
{
    struct optin_config *cfg = load_text(fx, "conf_enforce.conf",
                                         "keys = \"/etc/optin/keys\";\n"
                                         "unsubscribe_url = \"HTTPS://Unsub.Example:8443/u?list=news&t=\";\n"
                                         "unsubscribe_mailto = \"unsub+news.bulk@lists-1.example\";\n"
                                         "unattributed_bulk = \"tempfail\";\n"
                                         "store_failure = \"accept\";\n"
                                         "all_recipients_denied = \"discard\";\n"
                                         "rcpt_refusal_limit = 0;\n"
                                         "refuse_ambiguous_list_id = false;\n"
                                         "verdict_header = \"X-Test-Verdict\";\n"
                                         "lists = ( { id = \"a\"; unsubscribe_url = \"https://a.example/\";\n"
                                         "  unsubscribe_mailto = \"leave-a@a.example\"; } );\n");

    if (ok(cfg != NULL, "enforcement keys load")) {
        ok(str_is(cfg->keys, "/etc/optin/keys"), "keys");
        ok(str_is(cfg->unsubscribe_url, "HTTPS://Unsub.Example:8443/u?list=news&t="),
           "unsubscribe_url: HTTPS in capitals, port, query");
        ok(str_is(cfg->unsubscribe_mailto, "unsub+news.bulk@lists-1.example"), "unsubscribe_mailto with + and .");
        ok(cfg->unattributed_bulk == BULK_TEMPFAIL, "unattributed_bulk tempfail");
        ok(cfg->store_failure == STORE_FAIL_ACCEPT, "store_failure accept");
        ok(cfg->all_recipients_denied == ALL_DENIED_DISCARD, "all_recipients_denied discard");
        ok(cfg->rcpt_refusal_limit == 0 && cfg->refuse_ambiguous_list_id == 0,
           "rcpt_refusal_limit 0, refuse_ambiguous_list_id false");
        ok(str_is(cfg->verdict_header, "X-Test-Verdict"), "verdict_header");
        ok(cfg->list_count == 1 && str_is(cfg->lists[0].unsubscribe_url, "https://a.example/")
           && str_is(cfg->lists[0].unsubscribe_mailto, "leave-a@a.example"),
           "list unsubscribe_url and unsubscribe_mailto");
    } else {
        diag(fx->err);
    }
    config_free(cfg);
    cfg = load_text(fx, "conf_enforce2.conf", "unattributed_bulk = \"accept\";\nstore_failure = \"tempfail\";\n"
                    "all_recipients_denied = \"reject\";\none_recipient_per_message = false;\n");
    if (!ok(cfg != NULL && cfg->unattributed_bulk == BULK_ACCEPT && cfg->store_failure == STORE_FAIL_TEMPFAIL
            && cfg->all_recipients_denied == ALL_DENIED_REJECT && cfg->one_recipient_per_message == 0,
            "unattributed_bulk accept; store_failure tempfail, all_recipients_denied reject, "
            "one_recipient_per_message false written out"))
        diag(fx->err);
    config_free(cfg);
}

/* test_enforcement_limits - unsubscribe_url up to 400 octets, unsubscribe_mailto up to 254 */
static void test_enforcement_limits(struct fixture *fx)
{
    char url[512], mail[512], text[1200];
    struct optin_config *cfg;

    long_text(url, 400, "https://u.example/", 'a', "/");
    long_text(mail, 254, "a@", 'b', ".example");
    snprintf(text, sizeof text, "unsubscribe_url = \"%s\";\nunsubscribe_mailto = \"%s\";\n", url, mail);
    cfg = load_text(fx, "conf_limits.conf", text);
    if (!ok(cfg != NULL && str_is(cfg->unsubscribe_url, url) && str_is(cfg->unsubscribe_mailto, mail),
            "unsubscribe_url of 400 octets and unsubscribe_mailto of 254 octets load"))
        diag(fx->err);
    config_free(cfg);
    snprintf(text, sizeof text, "# long\nunsubscribe_url = \"%s\";\n", long_text(url, 401, "https://u.example/", 'a', "/"));
    expect_error(fx, "conf_url_long.conf", text, 2, "unsubscribe_url: expected a URL of at most 400 octets");
    snprintf(text, sizeof text, "# long\n\nunsubscribe_mailto = \"%s\";\n", long_text(mail, 255, "a@", 'b', ".example"));
    expect_error(fx, "conf_mailto_long.conf", text, 3, "unsubscribe_mailto: expected an address of at most 254 octets");
}

/* A file that must not load, the line of the mistake and the start of its message. */
struct bad_case {
    const char *name;
    const char *text;
    int line;
    const char *what;
};

/* test_errors_enforcement - each bad value of the enforcement keys, with its file:line */
static void test_errors_enforcement(struct fixture *fx)
{
    static const char url_msg[] = "unsubscribe_url: expected a URL of printable ASCII";
    static const char mailto_msg[] = "unsubscribe_mailto: expected a plain address local@domain";
    static const struct bad_case cases[] = {
        {"conf_keys_empty.conf", "\nkeys = \"\";\n", 2, "keys: expected a non-empty string"},
        {"conf_fb_maildir.conf", "feedback_maildir = \"unread\";\n", 1,
         "feedback_maildir: expected an absolute path"},
        {"conf_keys_int.conf", "keys = 1;\n", 1, "keys: expected a string, not an integer"},
        {"conf_url_http.conf", "unsubscribe_url = \"http://u.example/\";\n", 1,
         "unsubscribe_url: expected a URL starting with https:// (got \"http://u.example/\")"},
        {"conf_url_mailto.conf", "unsubscribe_url = \"mailto:u@example.org\";\n", 1,
         "unsubscribe_url: expected a URL starting with https://"},
        {"conf_url_nohost.conf", "unsubscribe_url = \"https://\";\n", 1, "unsubscribe_url: expected a host name"},
        {"conf_url_nohost2.conf", "unsubscribe_url = \"https:///u\";\n", 1, "unsubscribe_url: expected a host name"},
        {"conf_url_space.conf", "unsubscribe_url = \"https://u.example/a b\";\n", 1, url_msg},
        {"conf_url_tab.conf", "unsubscribe_url = \"https://u.example/\\t\";\n", 1, url_msg},
        {"conf_url_lt.conf", "unsubscribe_url = \"https://u.example/<x\";\n", 1, url_msg},
        {"conf_url_gt.conf", "unsubscribe_url = \"https://u.example/x>\";\n", 1, url_msg},
        {"conf_url_comma.conf", "unsubscribe_url = \"https://u.example/a,b\";\n", 1, url_msg},
        {"conf_url_quote.conf", "unsubscribe_url = \"https://u.example/\\\"\";\n", 1, url_msg},
        {"conf_url_utf8.conf", "unsubscribe_url = \"https://b\xc3\xbc" "cher.example/\";\n", 1, url_msg},
        {"conf_url_type.conf", "unsubscribe_url = [ \"https://u.example/\" ];\n", 1,
         "unsubscribe_url: expected a string, not an array"},
        {"conf_mailto_empty.conf", "unsubscribe_mailto = \"\";\n", 1, mailto_msg},
        {"conf_mailto_noat.conf", "unsubscribe_mailto = \"unsubscribe\";\n", 1, mailto_msg},
        {"conf_mailto_twoat.conf", "unsubscribe_mailto = \"a@b@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_nolocal.conf", "unsubscribe_mailto = \"@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_nodomain.conf", "unsubscribe_mailto = \"a@\";\n", 1, mailto_msg},
        {"conf_mailto_space.conf", "unsubscribe_mailto = \"a b@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_angle.conf", "unsubscribe_mailto = \"<a@example.org>\";\n", 1, mailto_msg},
        {"conf_mailto_comma.conf", "unsubscribe_mailto = \"a@example.org,b@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_query.conf", "unsubscribe_mailto = \"a@example.org?subject=x\";\n", 1, mailto_msg},
        {"conf_mailto_pct.conf", "unsubscribe_mailto = \"a%b@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_quote.conf", "unsubscribe_mailto = \"\\\"a\\\"@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_hash.conf", "unsubscribe_mailto = \"a#b@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_scheme.conf", "unsubscribe_mailto = \"mailto:a@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_dots.conf", "unsubscribe_mailto = \"a..b@example.org\";\n", 1, mailto_msg},
        {"conf_mailto_ddots.conf", "unsubscribe_mailto = \"a@example..org\";\n", 1, mailto_msg},
        {"conf_mailto_utf8.conf", "unsubscribe_mailto = \"j\xc3\xb6rg@example.org\";\n", 1, mailto_msg},
        {"conf_bulk.conf", "\nunattributed_bulk = \"drop\";\n", 2,
         "unattributed_bulk: expected \"reject\", \"tempfail\" or \"accept\" (got \"drop\")"},
        {"conf_bulk_case.conf", "unattributed_bulk = \"Reject\";\n", 1, "unattributed_bulk: expected \"reject\""},
        {"conf_store_failure.conf", "store_failure = \"reject\";\n", 1,
         "store_failure: expected \"tempfail\" or \"accept\" (got \"reject\")"},
        {"conf_all_denied.conf", "all_recipients_denied = \"accept\";\n", 1,
         "all_recipients_denied: expected \"reject\" or \"discard\" (got \"accept\")"},
        {"conf_one_rcpt.conf", "one_recipient_per_message = \"yes\";\n", 1,
         "one_recipient_per_message: expected true or false, not a string"},
        {"conf_one_rcpt2.conf", "one_recipient_per_message = true;\n", 1,
         "one_recipient_per_message: removed: Postfix counts every 452 as a client error"},
        {"conf_refusals.conf", "rcpt_refusal_limit = 1001;\n", 1,
         "rcpt_refusal_limit: expected an integer from 0 to 1000"},
        {"conf_verdict.conf", "verdict_header = \"X Verdict\";\n", 1, "verdict_header: expected a header field name"},
        {"conf_verdict_colon.conf", "verdict_header = \"X-Verdict:\";\n", 1, "verdict_header: expected a header field name"},
        {"conf_verdict_empty.conf", "verdict_header = \"\";\n", 1, "verdict_header: expected a header field name"},
        {"conf_list_url.conf", "lists = (\n  { id = \"a\";\n    unsubscribe_url = \"ftp://a.example/\"; }\n);\n", 3,
         "lists[0].unsubscribe_url: expected a URL starting with https://"},
        {"conf_list_mailto.conf", "lists = ( { id = \"a\"; },\n  { id = \"b\";\n    unsubscribe_mailto = \"b\"; } );\n", 3,
         "lists[1].unsubscribe_mailto: expected a plain address"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(fx, cases[i].name, cases[i].text, cases[i].line, cases[i].what);
}

/* test_include - @include is read relative to the file's directory */
static void test_include(struct fixture *fx)
{
    struct optin_config *cfg;
    char want[1024];

    write_file(fx, "conf_part.conf", "user = \"included\";\n");
    cfg = load_text(fx, "conf_include.conf", "@include \"conf_part.conf\"\n");
    if (!ok(cfg != NULL && str_is(cfg->user, "included"), "@include relative to the file's directory"))
        diag(fx->err);
    config_free(cfg);
    write_file(fx, "conf_badpart.conf", "user = \"x\";\nbogus = 1;\n");
    snprintf(want, sizeof want, "%s:2: bogus: unknown key", fx->path);
    cfg = load_text(fx, "conf_include_bad.conf", "@include \"conf_badpart.conf\"\n");
    if (!ok(cfg == NULL && strstr(fx->err, want) != NULL, "an error in an included file names that file"))
        diag(fx->err);
    config_free(cfg);
    /* libconfig 1.5 calls exit() on a folder: refused before it reads (the fuzzer found "") */
    cfg = load_text(fx, "conf_include_dir.conf", "user = \"x\";\n@include \"\"\n");
    if (!ok(cfg == NULL && strstr(fx->err, ":2: @include \"\": expected a file") != NULL,
            "@include of the configuration's own folder: an error with file:line, the process goes on"))
        diag(fx->err);
    config_free(cfg);
    write_file(fx, "conf_include_nested.conf", "@include \"/dev/null/..\"\n@include \"/tmp\"\n");
    cfg = load_text(fx, "conf_include_outer.conf", "@include \"conf_include_nested.conf\"\n");
    if (!ok(cfg == NULL && strstr(fx->err, "conf_include_nested.conf:2: @include \"/tmp\": expected a file") != NULL,
            "... also in a file that an included file includes"))
        diag(fx->err);
    config_free(cfg);
}

/* test_errors_global - mistakes in top-level keys */
static void test_errors_global(struct fixture *fx)
{
    expect_error(fx, "conf_unknown.conf", "user = \"optin\";\n\nbogus = 1;\n", 3, "bogus: unknown key");
    expect_error(fx, "conf_type.conf", "# readers\nmax_readers = \"512\";\n", 2,
                 "max_readers: expected an integer, not a string");
    expect_error(fx, "conf_bool.conf", "fold_local_part = 1;\n", 1,
                 "fold_local_part: expected true or false, not an integer");
    expect_error(fx, "conf_duration.conf", "confirm_ttl = \"7 days\";\n", 1,
                 "confirm_ttl: expected a duration");
    expect_error(fx, "conf_ttl0.conf", "confirm_ttl = \"0\";\n", 1, "confirm_ttl: expected a duration greater than 0");
    expect_error(fx, "conf_size.conf", "\nmap_size = \"4Q\";\n", 2, "map_size: expected a size");
    expect_error(fx, "conf_size0.conf", "map_size = 0;\n", 1, "map_size: expected a size");
    expect_error(fx, "conf_float.conf", "map_size = 4.5;\n", 1, "map_size: expected a size like \"4G\" or a number of bytes, not a float");
    expect_error(fx, "conf_readers.conf", "max_readers = 40000;\n", 1, "max_readers: expected an integer from 1 to 32767");
    /* libconfig 1.5 wraps these to 1 and 86400 and says nothing: read as written, refused */
    expect_error(fx, "conf_readers64.conf", "user = \"x\"; max_readers = 4294967297;\n", 1,
                 "max_readers: expected an integer from 1 to 32767 (got \"4294967297\")");
    expect_error(fx, "conf_ttl64.conf", "confirm_ttl = 4295053696;\n", 1,
                 "confirm_ttl: expected a duration of at most 100 years");
    expect_error(fx, "conf_size_huge.conf", "map_size = 99999999999999999999999;\n", 1,
                 "map_size: expected a size like \"4G\" (units K, M, G, T) or a number of bytes "
                 "(got \"99999999999999999999999\")");
    expect_error(fx, "conf_size_small.conf", "map_size = \"64K\";\n", 1,
                 "map_size: expected at least \"1M\"");
    expect_error(fx, "conf_sockmode_world.conf", "socket_mode = \"0666\";\n", 1,
                 "socket_mode: expected no access for others");
    expect_error(fx, "conf_sockmode.conf", "socket_mode = 0660;\n", 1,
                 "socket_mode: expected an octal mode string like \"0660\", not an integer");
    expect_error(fx, "conf_sockmode2.conf", "socket_mode = \"01777\";\n", 1, "socket_mode: expected an octal mode");
    expect_error(fx, "conf_socket.conf", "socket = \"tcp:25\";\n", 1, "socket: expected unix:/PATH");
    expect_error(fx, "conf_socket2.conf", "socket = \"inet:99999@localhost\";\n", 1, "socket: expected inet:PORT@HOST");
    expect_error(fx, "conf_socket3.conf", "socket = \"unix:relative.sock\";\n", 1, "socket: expected an absolute socket path");
    expect_error(fx, "conf_target.conf", "log_target = \"file\";\n", 1, "log_target: expected \"syslog\" or \"stderr\" (got \"file\")");
    expect_error(fx, "conf_facility.conf", "syslog_facility = \"local8\";\n", 1, "syslog_facility: expected");
    expect_error(fx, "conf_loglevel.conf", "log_level = \"verbose\";\n", 1,
                 "log_level: expected \"debug\", \"info\", \"notice\", \"warning\" or \"error\" (got \"verbose\")");
    expect_error(fx, "conf_mode.conf", "mode = \"strict\";\n", 1, "mode: expected \"enforce\" or \"monitor\"");
    expect_error(fx, "conf_marker.conf", "marker_header = \"X-List:\";\n", 1, "marker_header: expected a header field name");
    expect_error(fx, "conf_empty_user.conf", "user = \"\";\n", 1, "user: expected a non-empty string");
    expect_error(fx, "conf_lists_type.conf", "lists = \"news\";\n", 1, "lists: expected a list of groups");
}

/* test_errors_lists - mistakes inside the lists and their match groups */
static void test_errors_lists(struct fixture *fx)
{
    expect_error(fx, "conf_list_unknown.conf", "lists = (\n  { id = \"a\";\n    colour = \"red\"; }\n);\n", 3,
                 "lists[0].colour: unknown key");
    expect_error(fx, "conf_match_unknown.conf",
                 "lists = ( { id = \"a\"; },\n  { id = \"b\";\n    match = {\n      listid = [ \"x\" ]; }; } );\n", 4,
                 "lists[1].match.listid: unknown key");
    expect_error(fx, "conf_dup.conf", "lists = (\n  { id = \"news\"; },\n  { id = \"News\"; }\n);\n", 3,
                 "lists[1].id: expected a unique id, \"News\" is taken by the list at line 2");
    expect_error(fx, "conf_badid.conf", "lists = ( { id = \"news letter\"; } );\n", 1,
                 "lists[0].id: expected 1 to 63 characters");
    expect_error(fx, "conf_longid.conf",
                 "lists = ( { id = \"a123456789b123456789c123456789d123456789e123456789f123456789abcde\"; } );\n", 1,
                 "lists[0].id: expected 1 to 63 characters");
    expect_error(fx, "conf_noid.conf", "lists = (\n  { id = \"a\"; },\n  {\n    opt_in = \"single\"; }\n);\n", 3,
                 "lists[1].id: missing");
    expect_error(fx, "conf_optin.conf", "lists = ( { id = \"a\"; opt_in = \"triple\"; } );\n", 1,
                 "lists[0].opt_in: expected \"single\" or \"double\"");
    expect_error(fx, "conf_age.conf", "lists = ( { id = \"a\";\n max_consent_age = \"2 years\"; } );\n", 2,
                 "lists[0].max_consent_age: expected a duration");
    expect_error(fx, "conf_notgroup.conf", "lists = ( \"news\" );\n", 1, "lists[0]: expected a group");
    expect_error(fx, "conf_match_type.conf", "lists = ( { id = \"a\";\n match = { auth_user = \"crm\"; }; } );\n", 2,
                 "lists[0].match.auth_user: expected an array of strings");
    expect_error(fx, "conf_match_elem.conf", "lists = ( { id = \"a\";\n match = { daemon_name = [ 1, 2 ]; }; } );\n", 2,
                 "lists[0].match.daemon_name[0]: expected a string, not an integer");
    expect_error(fx, "conf_match_empty.conf", "lists = ( { id = \"a\";\n match = { envelope_from = [ \"\" ]; }; } );\n", 2,
                 "lists[0].match.envelope_from[0]: expected a non-empty string");
    expect_error(fx, "conf_match_angle.conf", "lists = ( { id = \"a\";\n match = { list_id = [ \"<a.example>\" ]; }; } );\n", 2,
                 "lists[0].match.list_id[0]: expected a List-Id value without <>");
    expect_error(fx, "conf_match_group.conf", "lists = ( { id = \"a\";\n match = [ \"x\" ]; } );\n", 2,
                 "lists[0].match: expected a group");
}

/* test_errors_file - unreadable files, syntax errors, several errors, short buffers */
static void test_errors_file(struct fixture *fx)
{
    struct optin_config *cfg;
    char small[16];

    snprintf(fx->path, sizeof fx->path, "%s/conf_missing.conf", fx->dir);
    cfg = config_load(fx->path, fx->err, sizeof fx->err);
    if (!ok(cfg == NULL && strstr(fx->err, ": cannot read: No such file or directory") != NULL
            && strncmp(fx->err, fx->path, strlen(fx->path)) == 0, "missing file: \"FILE: cannot read: ...\""))
        diag(fx->err);
    cfg = config_load(fx->dir, fx->err, sizeof fx->err);
    if (!ok(cfg == NULL && strstr(fx->err, ": cannot read: Is a directory") != NULL, "a directory cannot be read"))
        diag(fx->err);
    expect_error(fx, "conf_syntax.conf", "user = \"optin\";\nmode = ;\n", 2, "syntax error");
    expect_error(fx, "conf_twice.conf", "user = \"a\";\nuser = \"b\";\n", 2, "duplicate setting name");
    expect_error(fx, "conf_many.conf", "bogus = 1;\nmax_readers = 0;\nlists = ( { id = \"a\"; x = 1; } );\n",
                 1, "bogus: unknown key");
    ok(count_lines(fx->err) == 3 && strstr(fx->err, ":2: max_readers") != NULL
       && strstr(fx->err, ":3: lists[0].x: unknown key\n") != NULL, "all three errors reported, in file order");
    cfg = config_load(fx->path, small, sizeof small);
    ok(cfg == NULL && strlen(small) == sizeof small - 1, "error text is cut at errsz");
    cfg = config_load(fx->path, NULL, 0);
    ok(cfg == NULL, "NULL err buffer is fine");
}

/* test_api - config_key_names, config_free and config_find_list edge cases */
static void test_api(void)
{
    const char *const *names = config_key_names();
    size_t n = 0, dups = 0;

    while (names[n] != NULL)
        n++;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            dups += strcmp(names[i], names[j]) == 0;
    ok(n == 60 && dups == 0, "config_key_names: 60 distinct names (got %zu, %zu repeated)", n, dups);
    ok(strcmp(names[0], "database") == 0 && strcmp(names[n - 1], "daemon_name") == 0,
       "config_key_names: database first, daemon_name last");
    config_free(NULL);
    ok(config_find_list(NULL, "a") == NULL, "config_free(NULL), config_find_list(NULL, ...)");
}

/* test_reload_rule - which store setting a reload would change, and the refusal it makes */
static void test_reload_rule(struct fixture *fx)
{
    static const struct {
        const char *name, *text, *changed;
    } news[] = {
        {"reload_same.conf", "database = \"/srv/a\";\nmode = \"monitor\";\n", NULL},
        {"reload_db.conf", "database = \"/srv/b\";\n", "database"},
        {"reload_map.conf", "database = \"/srv/a\";\nmap_size = \"8G\";\n", "map_size"},
        {"reload_readers.conf", "database = \"/srv/a\";\nmax_readers = 64;\n", "max_readers"},
    };
    struct optin_config *old = load_text(fx, "reload_old.conf", "database = \"/srv/a\";\n"), *cfg;
    char err[512], want[512];

    if (!ok(old != NULL, "reload: the running configuration loads")) {
        diag(fx->err);
        return;
    }
    for (size_t i = 0; i < sizeof(news) / sizeof(news[0]); i++) {
        const char *got;

        if ((cfg = load_text(fx, news[i].name, news[i].text)) == NULL) {
            ok(0, "reload: %s loads", news[i].name);
            diag(fx->err);
            continue;
        }
        got = config_store_settings_differ(old, cfg);
        ok(news[i].changed ? got && strcmp(got, news[i].changed) == 0 : got == NULL,
           "reload: %s changes %s", news[i].name, news[i].changed ? news[i].changed : "no store setting");
        err[0] = want[0] = '\0';
        if (news[i].changed)
            snprintf(want, sizeof(want), "%s: %s changed: database, map_size and max_readers "
                     "cannot change on reload (restart optin-test)\n", fx->path, news[i].changed);
        ok(news[i].changed ? config_reload_check(old, cfg, "optin-test", err, sizeof(err)) == -1
                                 && strcmp(err, want) == 0
                           : config_reload_check(old, cfg, "optin-test", err, sizeof(err)) == 0 && !err[0],
           "reload: config_reload_check %s", news[i].changed ? "refuses, naming file and setting"
                                                             : "lets it replace");
        if (i == 0)
            ok(config_reload_check(NULL, cfg, "optin-test", err, sizeof(err)) == 0,
               "reload: nothing running yet, nothing to compare");
        config_free(cfg);
    }
    config_free(old);
}

/* cleanup - remove every file written and the directory */
static void cleanup(struct fixture *fx)
{
    for (size_t i = 0; i < fx->nfiles; i++) {
        unlink(fx->files[i]);
        free(fx->files[i]);
    }
    ok(rmdir(fx->dir) == 0, "temporary directory removed");
}

/* main - run every group of tests in a private temporary directory */
int main(void)
{
    struct fixture fx = {.nfiles = 0};
    const char *tmp = getenv("TMPDIR");

    snprintf(fx.dir, sizeof fx.dir, "%s/optin-test-config.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(fx.dir) == NULL) {
        printf("Bail out! mkdtemp %s failed\n", fx.dir);
        return 99;
    }
    test_sample(&fx);
    test_defaults(&fx);
    test_mode_after_lists(&fx);
    test_other_forms(&fx);
    test_enforcement_keys(&fx);
    test_enforcement_limits(&fx);
    test_errors_enforcement(&fx);
    test_include(&fx);
    test_errors_global(&fx);
    test_errors_lists(&fx);
    test_errors_file(&fx);
    test_api();
    test_reload_rule(&fx);
    cleanup(&fx);
    return tap_done();
}
