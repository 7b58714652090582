/*
 * NAME
 *	pages 3
 * SUMMARY
 *	the HTML pages of optin-unsubd
 * SYNOPSIS
 *	#include "unsubd.h"
 *
 *	int	unsubd_page_status(enum unsubd_page page)
 *	char	*unsubd_page_render(page, lang, const struct page_args *args, size_t *len)
 *	void	unsubd_mask_address(const char *addr, char out[MASKED_BUFSZ])
 * DESCRIPTION
 *	Every answer of optin-unsubd is one small HTML5 document from the
 *	table pages[]: its status code, title, text and, for the two
 *	pages that change something, a form with one button. The document
 *	has its lang attribute, charset utf-8, a viewport, <meta
 *	name="robots" content="noindex">, inline CSS only (the server's
 *	Content-Security-Policy allows nothing else) and no script, image
 *	or other external asset. The form has no action, so it posts to
 *	the URL of the page itself, whatever path prefix the reverse proxy
 *	adds. The unsubscribe form sends List-Unsubscribe=One-Click (the
 *	RFC 8058 body) and via=page, so the history can tell a click on
 *	the page from a mailbox provider's one-click POST. A link at the
 *	bottom shows the page in the other language (?lang=, see lang.c).
 *
 *	Pages show the list's display_name (else its id) and the address
 *	masked ("a…@example.org") so a forwarded link does not show the
 *	whole address; both are HTML-escaped.
 *
 *	When the list (or the configuration) has a page template for the
 *	page and language (templates.c), the document is that template
 *	with its placeholders filled in instead: the same title, text, note
 *	and form, the list, the masked address and the language link, each
 *	HTML-escaped, so the organisation chooses the look and not what the
 *	page says or does.
 * DIAGNOSTICS
 *	unsubd_page_render() returns NULL when out of memory. Nothing here
 *	logs.
 * SEE ALSO
 *	optin-unsubd(8), RFC 8058
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unsubd.h"

enum form_kind {
    FORM_NONE,
    FORM_UNSUB,
    FORM_CONFIRM,
};

struct page_def {
    int status;
    enum form_kind form;
    const char *title[LANG_COUNT];
    const char *text[LANG_COUNT];      /* {list} and {address} are replaced */
    const char *note[LANG_COUNT];      /* a second paragraph, or NULL */
    const char *button[LANG_COUNT];
};

static const char *const lang_names[LANG_COUNT] = {[LANG_EN] = "English", [LANG_JA] = "日本語"};

static const struct page_def pages[PAGE_COUNT] = {
    [PAGE_UNSUB_FORM] = {200, FORM_UNSUB,
        {"Unsubscribe", "配信停止"},
        {"Stop mail from the list “{list}” to {address}?",
         "{address} 宛ての「{list}」のメール配信を停止しますか？"},
        {"Nothing changes until you press the button.", "ボタンを押すまで何も変更されません。"},
        {"Unsubscribe", "配信を停止する"}},
    [PAGE_UNSUB_DONE] = {200, FORM_NONE,
        {"You are unsubscribed", "配信を停止しました"},
        {"The list “{list}” will send no more mail to {address}.",
         "{address} 宛てに「{list}」のメールが送られることはもうありません。"}, {0}, {0}},
    [PAGE_UNSUB_ALREADY] = {200, FORM_NONE,
        {"You are already unsubscribed", "すでに配信を停止しています"},
        {"The list “{list}” sends no more mail to {address}. Nothing else needs to be done.",
         "{address} 宛ての「{list}」のメール配信は停止済みです。これ以上の手続きは必要ありません。"},
        {0}, {0}},
    [PAGE_CONFIRM_FORM] = {200, FORM_CONFIRM,
        {"Confirm your subscription", "購読の確認"},
        {"Someone, probably you, asked for mail from the list “{list}” at {address}. "
         "Press the button to confirm.",
         "{address} 宛てに「{list}」のメール配信が申し込まれました。ボタンを押して確認してください。"},
        {"If you did not ask for it, close this page: nothing is sent without your confirmation.",
         "お心当たりがない場合は、このページを閉じてください。確認されない限りメールは送られません。"},
        {"Confirm subscription", "購読を確認する"}},
    [PAGE_CONFIRM_DONE] = {200, FORM_NONE,
        {"Subscription confirmed", "購読を確認しました"},
        {"Thank you. The list “{list}” will send its mail to {address}.",
         "ありがとうございます。{address} 宛てに「{list}」のメールをお送りします。"},
        {"Every message has a link to unsubscribe.", "配信停止のリンクは毎回のメールに記載されています。"},
        {0}},
    [PAGE_CONFIRM_UNKNOWN] = {404, FORM_NONE,
        {"Unknown confirmation link", "確認用リンクが見つかりません"},
        {"This confirmation link is unknown or has already been used. "
         "If you confirmed before, nothing more needs to be done.",
         "この確認用リンクは存在しないか、すでに使用されています。"
         "確認済みの場合は、これ以上の手続きは必要ありません。"}, {0}, {0}},
    [PAGE_CONFIRM_EXPIRED] = {410, FORM_NONE,
        {"Confirmation link expired", "確認用リンクの有効期限が切れています"},
        {"This confirmation link is too old. Please subscribe again to get a new one.",
         "お手数ですが、もう一度お申し込みください。新しい確認用リンクをお送りします。"}, {0}, {0}},
    [PAGE_CONFIRM_REVOKED] = {409, FORM_NONE,
        {"Nothing to confirm", "確認できません"},
        {"This subscription was cancelled after it was requested, so it cannot be confirmed. "
         "Please subscribe again if you want the mail.",
         "この申し込みはその後に配信停止されているため、確認できません。"
         "メールをご希望の場合は、もう一度お申し込みください。"}, {0}, {0}},
    [PAGE_BAD_LINK] = {400, FORM_NONE,
        {"Incomplete link", "リンクが不完全です"},
        {"This link is incomplete or damaged. Copy the whole link from the message, "
         "or use the unsubscribe link of a newer message.",
         "このリンクは途中で切れているか、壊れています。メールに記載されたリンクを最後までコピーするか、"
         "新しいメールの配信停止リンクをお使いください。"}, {0}, {0}},
    [PAGE_UNKNOWN_LINK] = {404, FORM_NONE,
        {"Link not valid", "無効なリンクです"},
        {"This link is not valid, or no longer valid. Use the unsubscribe link of a newer "
         "message, or contact the sender.",
         "このリンクは無効か、有効期間が終了しています。新しいメールの配信停止リンクをお使いいただくか、"
         "送信者にお問い合わせください。"}, {0}, {0}},
    [PAGE_BAD_FORM] = {400, FORM_NONE,
        {"Request not understood", "リクエストを処理できません"},
        {"The request did not say what to do. Please use the button on the page.",
         "操作の内容が指定されていません。ページのボタンからお試しください。"}, {0}, {0}},
    [PAGE_NOT_FOUND] = {404, FORM_NONE,
        {"Page not found", "ページが見つかりません"},
        {"There is no page at this address.", "このアドレスにページはありません。"}, {0}, {0}},
    [PAGE_METHOD] = {405, FORM_NONE,
        {"Method not allowed", "この操作はできません"},
        {"This page can only be shown (GET) or submitted (POST).",
         "このページは表示（GET）と送信（POST）のみ可能です。"}, {0}, {0}},
    [PAGE_TOO_LARGE] = {413, FORM_NONE,
        {"Request too large", "リクエストが大きすぎます"},
        {"The request is larger than this service accepts.",
         "このサービスが受け付ける大きさを超えています。"}, {0}, {0}},
    [PAGE_MEDIA_TYPE] = {415, FORM_NONE,
        {"Unsupported request format", "対応していない形式です"},
        {"Send the form as application/x-www-form-urlencoded or multipart/form-data.",
         "フォームは application/x-www-form-urlencoded または multipart/form-data で送信してください。"},
        {0}, {0}},
    [PAGE_RATE] = {429, FORM_NONE,
        {"Too many requests", "アクセスが集中しています"},
        {"Please wait a minute and try again.", "1分ほど待ってから、もう一度お試しください。"}, {0}, {0}},
    [PAGE_ERROR] = {500, FORM_NONE,
        {"Something went wrong", "エラーが発生しました"},
        {"Your request was not recorded. Please try again later.",
         "お手続きは記録されていません。しばらくしてからもう一度お試しください。"}, {0}, {0}},
    [PAGE_UNAVAILABLE] = {503, FORM_NONE,
        {"Service temporarily unavailable", "一時的にご利用いただけません"},
        {"Your request was not recorded. Please try again in a few minutes.",
         "お手続きは記録されていません。数分後にもう一度お試しください。"}, {0}, {0}},
};

static const char page_style[] =
    "body{font-family:system-ui,sans-serif;font-size:1.1rem;line-height:1.6;max-width:36em;"
    "margin:2em auto;padding:0 1em;color:#1b1b1b;background:#fff}"
    "h1{font-size:1.5rem}"
    "button{font:inherit;padding:.6em 1.4em;border:2px solid #0b3d91;border-radius:6px;"
    "background:#0b3d91;color:#fff;cursor:pointer}"
    "button:focus{outline:3px solid #e8a200;outline-offset:3px}"
    "a{color:#0b3d91}"
    "footer{margin-top:3em;font-size:.95rem}";

/* unsubd_page_status - status code of a page */
int unsubd_page_status(enum unsubd_page page)
{
    return page < PAGE_COUNT ? pages[page].status : 500;
}

/* html_put - text HTML-escaped */
static void html_put(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&#39;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

/* text_put - a page text with {list} and {address} replaced by escaped values */
static void text_put(FILE *fp, const char *text, const struct page_args *args)
{
    static const char list_mark[] = "{list}", addr_mark[] = "{address}";
    const char *p;

    while ((p = strchr(text, '{')) != NULL) {
        fwrite(text, 1, (size_t) (p - text), fp);
        if (strncmp(p, list_mark, sizeof(list_mark) - 1) == 0) {
            html_put(fp, args->list ? args->list : "?");
            text = p + sizeof(list_mark) - 1;
        } else if (strncmp(p, addr_mark, sizeof(addr_mark) - 1) == 0) {
            html_put(fp, args->address ? args->address : "?");
            text = p + sizeof(addr_mark) - 1;
        } else {
            fputc('{', fp);
            text = p + 1;
        }
    }
    fputs(text, fp);
}

/* form_put - the one-button form of a page (posts to the page's own URL) */
static void form_put(FILE *fp, const struct page_def *def, enum unsubd_lang lang)
{
    fputs("<form method=\"post\">\n", fp);
    if (def->form == FORM_UNSUB)
        fputs("<input type=\"hidden\" name=\"" FORM_UNSUB_NAME "\" value=\"" FORM_UNSUB_VALUE "\">\n"
              "<input type=\"hidden\" name=\"" FORM_VIA_NAME "\" value=\"" FORM_VIA_PAGE "\">\n", fp);
    else
        fputs("<input type=\"hidden\" name=\"" FORM_CONFIRM_NAME "\" value=\"" FORM_CONFIRM_VALUE
              "\">\n", fp);
    fputs("<button type=\"submit\">", fp);
    html_put(fp, def->button[lang]);
    fputs("</button>\n</form>\n", fp);
}

/* placeholder_put - the value of one template placeholder, escaped */
static void placeholder_put(FILE *fp, const char *name, size_t len, const struct page_def *def,
                            enum unsubd_lang lang, const struct page_args *args)
{
    enum unsubd_lang other = lang == LANG_EN ? LANG_JA : LANG_EN;

#define IS(s) (len == sizeof(s) - 1 && strncmp(name, s, len) == 0)
    if (IS("title"))
        html_put(fp, def->title[lang]);
    else if (IS("text"))
        text_put(fp, def->text[lang], args);
    else if (IS("note") && def->note[lang])
        text_put(fp, def->note[lang], args);
    else if (IS("form") && def->form != FORM_NONE)
        form_put(fp, def, lang);
    else if (IS("list"))
        html_put(fp, args->list ? args->list : "");
    else if (IS("list_id"))
        html_put(fp, args->list_id ? args->list_id : "");
    else if (IS("address"))
        html_put(fp, args->address ? args->address : "");
    else if (IS("lang"))
        html_put(fp, unsubd_lang_tag(lang));
    else if (IS("other_lang"))
        html_put(fp, unsubd_lang_tag(other));
    else if (IS("other_lang_name"))
        html_put(fp, lang_names[other]);
#undef IS
}

/* template_put - the organisation's template with every placeholder filled in */
static void template_put(FILE *fp, const char *tpl, const struct page_def *def,
                         enum unsubd_lang lang, const struct page_args *args)
{
    const char *p, *end;

    while ((p = strstr(tpl, "{{")) != NULL && (end = strstr(p + 2, "}}")) != NULL) {
        fwrite(tpl, 1, (size_t) (p - tpl), fp);
        placeholder_put(fp, p + 2, (size_t) (end - p - 2), def, lang, args);
        tpl = end + 2;
    }
    fputs(tpl, fp);
}

/* unsubd_page_render - the HTML document of a page in a language */
char *unsubd_page_render(enum unsubd_page page, enum unsubd_lang lang, const struct page_args *args,
                         size_t *len)
{
    static const struct page_args none;
    const struct page_def *def = &pages[page < PAGE_COUNT ? page : PAGE_ERROR];
    enum unsubd_lang other = lang == LANG_EN ? LANG_JA : LANG_EN;
    const char *other_tag = unsubd_lang_tag(other);
    char *buf = NULL;
    size_t size = 0;
    FILE *fp;

    if (lang >= LANG_COUNT)
        lang = LANG_EN;
    if (args == NULL)
        args = &none;
    if ((fp = open_memstream(&buf, &size)) == NULL)
        return NULL;
    if (args->tpl != NULL) {
        template_put(fp, args->tpl, def, lang, args);
        goto done;
    }
    fprintf(fp, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta name=\"robots\" content=\"noindex\">\n<title>", unsubd_lang_tag(lang));
    html_put(fp, def->title[lang]);
    fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<h1>", page_style);
    html_put(fp, def->title[lang]);
    fputs("</h1>\n<p>", fp);
    text_put(fp, def->text[lang], args);
    fputs("</p>\n", fp);
    if (def->form != FORM_NONE)
        form_put(fp, def, lang);
    if (def->note[lang]) {
        fputs("<p>", fp);
        text_put(fp, def->note[lang], args);
        fputs("</p>\n", fp);
    }
    fprintf(fp, "</main>\n<footer>\n<p><a href=\"?lang=%s\" hreflang=\"%s\" lang=\"%s\">%s</a></p>\n"
                "</footer>\n</body>\n</html>\n",
            other_tag, other_tag, other_tag, lang_names[other]);
done:
    if (fclose(fp) != 0 || buf == NULL) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

/* unsubd_mask_address - first character of the local part, "…", then "@domain" */
void unsubd_mask_address(const char *addr, char out[MASKED_BUFSZ])
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    size_t first = 1;

    if (at == NULL || at == addr) {
        snprintf(out, MASKED_BUFSZ, "…");
        return;
    }
    while (addr + first < at && ((unsigned char) addr[first] & 0xC0) == 0x80)
        first++;                                  /* the whole first UTF-8 character */
    snprintf(out, MASKED_BUFSZ, "%.*s…%s", (int) first, addr, at);
}
