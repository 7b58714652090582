/*
 * NAME
 *	test_classify - TAP tests of list matching and bulk signs
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforce/classify.h"
#include "tap.h"
#include "testconf.h"

/* id_of - the id of a matched list, or "-" */
static const char *id_of(const struct list_def *l)
{
    return l ? l->id : "-";
}

int main(void)
{
    struct optin_config *cfg = testconf_load(
        "lists = (\n"
        " { id = \"news\"; match = { envelope_from = [\"bounce-news-*@lists.example\"];\n"
        "                          list_id = [\"news.lists.example\"]; }; },\n"
        " { id = \"offers\"; match = { auth_user = [\"shopapp\"]; daemon_name = [\"BULK\"]; }; },\n"
        " { id = \"all\"; match = { envelope_from = [\"*@lists.example\"]; }; }\n"
        ");\n");
    char out[LIST_ID_HEADER_BUFSZ], big[600];

    if (!ok(cfg != NULL, "configuration loads"))
        return tap_done();
    ok(!strcmp(id_of(classify_envelope(cfg, "<bounce-news-u=x.org@lists.example>", NULL, NULL)),
               "news"), "VERP sender matches its glob");
    ok(!strcmp(id_of(classify_envelope(cfg, "Bounce-NEWS-1@LISTS.example", NULL, NULL)), "news"),
       "glob is case-insensitive");
    ok(!strcmp(id_of(classify_envelope(cfg, "<other@lists.example>", NULL, NULL)), "all"),
       "first matching list in file order");
    ok(!strcmp(id_of(classify_envelope(cfg, "<app@shop.example>", "shopapp", NULL)), "offers"),
       "SASL login matches auth_user");
    ok(!strcmp(id_of(classify_envelope(cfg, "<app@shop.example>", NULL, "BULK")), "offers"),
       "daemon_name of a bulk-only service");
    ok(classify_envelope(cfg, "<>", NULL, NULL) == NULL, "null sender matches no pattern");
    ok(classify_envelope(cfg, "<app@shop.example>", "someone", "smtpd") == NULL,
       "transactional sender matches nothing");
    ok(!strcmp(id_of(classify_list_id(cfg, "NEWS.lists.example")), "news"),
       "List-Id compared case-insensitively");
    ok(classify_list_id(cfg, "other.example") == NULL, "unknown List-Id");

    ok(list_id_extract("Our News <news.lists.example>", out) == 0
       && !strcmp(out, "news.lists.example"), "List-Id with a phrase");
    ok(list_id_extract("\"a <b> c\"\r\n\t<News.Lists.Example>", out) == 0
       && !strcmp(out, "news.lists.example"), "folded, last <...> wins, lowercased");
    ok(list_id_extract("news.lists.example", out) == -1, "no brackets: refused");
    ok(list_id_extract("<>", out) == -1, "empty id refused");
    ok(list_id_extract("<a b>", out) == -1, "blank inside refused");
    memset(big, 'a', sizeof(big));
    big[0] = '<';
    big[sizeof(big) - 2] = '>';
    big[sizeof(big) - 1] = 0;
    ok(list_id_extract(big, out) == -1, "overlong id refused");

    ok(header_signals_bulk("Precedence", " bulk"), "Precedence: bulk");
    ok(header_signals_bulk("precedence", "List"), "Precedence: list, any case");
    ok(header_signals_bulk("Precedence", "junk\r\n "), "Precedence: junk with a fold");
    ok(!header_signals_bulk("Precedence", "first-class"), "Precedence: first-class is not bulk");
    ok(header_signals_bulk("List-Id", "<x>"), "List-Id");
    ok(header_signals_bulk("List-Unsubscribe", "<mailto:x@y>"), "List-Unsubscribe");
    ok(header_signals_bulk("list-unsubscribe-post", "List-Unsubscribe=One-Click"),
       "List-Unsubscribe-Post");
    ok(!header_signals_bulk("Subject", "bulk"), "other headers are not signs");
    ok(header_value_trim("  a\r\n\t b  ", out, sizeof(out)) == 0 && !strcmp(out, "a b"),
       "unfold and trim");
    ok(header_value_trim("abcdef", out, 4) == -1, "too long for the buffer");
    config_free(cfg);
    return tap_done();
}
