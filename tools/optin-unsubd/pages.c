/*
 * NAME
 *	unsubd_pages 3
 * SUMMARY
 *	the parts of optin-unsubd that need neither libmicrohttpd nor the
 *	store: pages, language choice, client addresses, the rate limit
 *	and the command line
 * SYNOPSIS
 *	#include "unsubd.h"
 *
 *	int	unsubd_page_status(enum unsubd_page page)
 *	char	*unsubd_page_render(page, lang, const struct page_args *args, size_t *len)
 *	enum unsubd_lang unsubd_lang_pick(const char *accept_language)
 *	int	unsubd_lang_parse(const char *tag)
 *	void	unsubd_mask_address(const char *addr, char out[MASKED_BUFSZ])
 *	const char *unsubd_shown_path(const char *path, char out[SHOWN_PATH_BUFSZ])
 *	int	unsubd_ip_parse(), unsubd_net_parse(), unsubd_net_match()
 *	void	unsubd_forwarded_client(xff, trusted, n, unsigned char ip[16])
 *	int	unsubd_listen_parse(text, ss, len, ip)
 *	int	unsubd_rate_allow(struct rate_table *t, ip, now, int *retry)
 *	int	unsubd_options_parse(argc, argv, struct unsubd_options *opt)
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
 *	bottom shows the page in the other language (?lang=).
 *
 *	The language comes from Accept-Language (RFC 9110 section 12.5.4):
 *	each range with its q-value (default 1, q=0 refuses), matched on
 *	the primary subtag ("ja-JP" chooses Japanese), "*" standing for
 *	every language not named; the highest q wins, the earlier range on
 *	a tie, and English when nothing matches or the header is missing.
 *
 *	Pages show the list id and the address masked ("a…@example.org")
 *	so a forwarded link does not show the whole address; both are
 *	HTML-escaped.
 *
 *	Addresses are kept as 16 bytes, IPv4 as v4-mapped IPv6, so one
 *	comparison serves both. Behind trusted proxies the client is found
 *	by walking X-Forwarded-For from the right while the current hop is
 *	a trusted proxy (the entries further left are the client's word).
 *
 *	The rate limit counts requests per client and calendar minute in a
 *	fixed open-addressed table (RATE_SLOTS, RATE_PROBES probes) under
 *	one mutex; a new client takes a free or stale slot, or, when all
 *	probed slots are busy this minute, the first one (its count starts
 *	over: the table never grows and never refuses a client it cannot
 *	hold).
 * DIAGNOSTICS
 *	unsubd_page_render() returns NULL when out of memory;
 *	unsubd_options_parse() prints what is wrong with an option on
 *	stderr. Nothing here logs.
 * SEE ALSO
 *	optin-unsubd(8), RFC 8058, RFC 9110, RFC 7239
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "config/config.h"
#include "util/timeutil.h"
#include "unsubd.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

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

static const char *const lang_tags[LANG_COUNT] = {[LANG_EN] = "en", [LANG_JA] = "ja"};
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

/* unsubd_lang_tag - BCP 47 tag of a language */
const char *unsubd_lang_tag(enum unsubd_lang lang)
{
    return lang_tags[lang < LANG_COUNT ? lang : LANG_EN];
}

/* unsubd_lang_parse - a ?lang= value: one of our tags, else -1 */
int unsubd_lang_parse(const char *tag)
{
    for (int i = 0; tag && i < LANG_COUNT; i++)
        if (strcasecmp(tag, lang_tags[i]) == 0)
            return i;
    return -1;
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
            html_put(fp, args && args->list ? args->list : "?");
            text = p + sizeof(list_mark) - 1;
        } else if (strncmp(p, addr_mark, sizeof(addr_mark) - 1) == 0) {
            html_put(fp, args && args->address ? args->address : "?");
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

/* unsubd_page_render - the HTML document of a page in a language */
char *unsubd_page_render(enum unsubd_page page, enum unsubd_lang lang, const struct page_args *args,
                         size_t *len)
{
    const struct page_def *def = &pages[page < PAGE_COUNT ? page : PAGE_ERROR];
    enum unsubd_lang other = lang == LANG_EN ? LANG_JA : LANG_EN;
    char *buf = NULL;
    size_t size = 0;
    FILE *fp;

    if (lang >= LANG_COUNT)
        lang = LANG_EN;
    if ((fp = open_memstream(&buf, &size)) == NULL)
        return NULL;
    fprintf(fp, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta name=\"robots\" content=\"noindex\">\n<title>", lang_tags[lang]);
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
            lang_tags[other], lang_tags[other], lang_tags[other], lang_names[other]);
    if (fclose(fp) != 0 || buf == NULL) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

/* parse_q - a q-value "q=0.8" (after the ';') as 0..1000; -1 when malformed */
static int parse_q(const char *p, const char *end)
{
    int q, scale = 100;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=' || (p[2] != '0' && p[2] != '1'))
        return -1;
    q = p[2] == '1' ? 1000 : 0;
    p += 3;
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
            q += (*p - '0') * scale;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p == end && q <= 1000 ? q : -1;
}

/* range_matches - does a language range (primary subtag compared) name our tag? */
static int range_matches(const char *range, size_t rlen, const char *tag)
{
    size_t tlen = strlen(tag);

    return rlen >= tlen && strncasecmp(range, tag, tlen) == 0 && (rlen == tlen || range[tlen] == '-');
}

/* unsubd_lang_pick - the language Accept-Language prefers among ours */
enum unsubd_lang unsubd_lang_pick(const char *header)
{
    int q_of[LANG_COUNT], pos_of[LANG_COUNT], star_q = -1, star_pos = 0, pos = 0;
    enum unsubd_lang best = LANG_EN;

    for (int i = 0; i < LANG_COUNT; i++)
        q_of[i] = -1, pos_of[i] = 0;
    for (const char *p = header; p && *p; pos++) {
        const char *end = p + strcspn(p, ","), *semi, *r = p;
        size_t rlen;
        int q = 1000;

        while (r < end && (*r == ' ' || *r == '\t'))
            r++;
        semi = memchr(r, ';', (size_t) (end - r));
        rlen = strcspn(r, " \t;,");
        if (semi && (q = parse_q(semi + 1, end)) < 0)
            q = -2;                               /* malformed element: ignored */
        if (q >= 0 && rlen == 1 && *r == '*' && star_q < 0)
            star_q = q, star_pos = pos;
        for (int i = 0; q >= 0 && i < LANG_COUNT; i++)
            if (q_of[i] < 0 && range_matches(r, rlen, lang_tags[i]))
                q_of[i] = q, pos_of[i] = pos;
        p = *end ? end + 1 : end;
    }
    for (int i = 0; i < LANG_COUNT; i++)
        if (q_of[i] < 0 && star_q >= 0)
            q_of[i] = star_q, pos_of[i] = star_pos;
    for (int i = 1; i < LANG_COUNT; i++)
        if (q_of[i] > 0 && (q_of[i] > q_of[best] || (q_of[i] == q_of[best] && pos_of[i] < pos_of[best])))
            best = (enum unsubd_lang) i;
    return best;
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

/* unsubd_shown_path - a path for the log: tokens cut, at most 64 octets, unsafe bytes as \xNN */
const char *unsubd_shown_path(const char *path, char out[SHOWN_PATH_BUFSZ])
{
    size_t o = 0, limit = 64;

    if ((strncmp(path, "/u/", 3) == 0 || strncmp(path, "/c/", 3) == 0) && strlen(path) > 11)
        limit = 11;                               /* "/u/" and 8 characters of the token */
    for (size_t i = 0; path[i] && o + 8 < SHOWN_PATH_BUFSZ; i++) {
        unsigned char c = (unsigned char) path[i];

        if (i == limit) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '"')
            o += (size_t) snprintf(out + o, SHOWN_PATH_BUFSZ - o, "\\x%02X", c);
        else
            out[o++] = (char) c;
    }
    out[o] = '\0';
    return out;
}

/* --- client addresses --- */

/* unsubd_ip_parse - IPv4 or IPv6 text (len octets) as 16 bytes; 0, or -1 when not an address */
int unsubd_ip_parse(const char *s, size_t len, unsigned char out[16])
{
    char buf[IP_TEXT_BUFSZ];
    struct in_addr v4;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

/* unsubd_ip_is_v4 - a v4-mapped address? */
int unsubd_ip_is_v4(const unsigned char a[16])
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* unsubd_ip_text - canonical text of an address (IPv4 dotted for v4-mapped) */
void unsubd_ip_text(const unsigned char a[16], char out[IP_TEXT_BUFSZ])
{
    if (unsubd_ip_is_v4(a))
        inet_ntop(AF_INET, a + 12, out, IP_TEXT_BUFSZ);
    else
        inet_ntop(AF_INET6, a, out, IP_TEXT_BUFSZ);
}

/* unsubd_sockaddr_ip - the 16-byte address of an IPv4 or IPv6 peer; -1 for anything else */
int unsubd_sockaddr_ip(const struct sockaddr *sa, unsigned char out[16])
{
    if (sa && sa->sa_family == AF_INET) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *) (const void *) sa)->sin_addr, 4);
        return 0;
    }
    if (sa && sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *) (const void *) sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

/* unsubd_net_parse - "IP" or "IP/BITS" */
int unsubd_net_parse(const char *text, struct ip_net *out)
{
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t) (slash - text) : strlen(text);
    char *end;
    long bits;

    if (unsubd_ip_parse(text, len, out->addr) != 0)
        return -1;
    out->bits = 128;
    if (slash == NULL)
        return 0;
    errno = 0;
    bits = strtol(slash + 1, &end, 10);
    if (errno || end == slash + 1 || *end || bits < 0 || bits > (unsubd_ip_is_v4(out->addr) ? 32 : 128))
        return -1;
    out->bits = (unsigned) bits + (unsubd_ip_is_v4(out->addr) ? 96 : 0);
    return 0;
}

/* net_contains - is the address inside the network? */
static int net_contains(const struct ip_net *n, const unsigned char a[16])
{
    unsigned full = n->bits / 8, rest = n->bits % 8;

    if (memcmp(n->addr, a, full) != 0)
        return 0;
    return rest == 0 || ((n->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}



/* unsubd_net_match - inside one of the networks? */
int unsubd_net_match(const struct ip_net *nets, size_t n, const unsigned char ip[16])
{
    for (size_t i = 0; i < n; i++)
        if (net_contains(&nets[i], ip))
            return 1;
    return 0;
}

/* unsubd_forwarded_client - walk X-Forwarded-For from the right past the trusted proxies */
void unsubd_forwarded_client(const char *xff, const struct ip_net *trusted, size_t n,
                             unsigned char ip[16])
{
    const char *end = xff ? xff + strlen(xff) : NULL;
    unsigned char hop[16];

    while (end && end > xff && unsubd_net_match(trusted, n, ip)) {
        const char *start = end, *a, *b = end;

        while (start > xff && start[-1] != ',')
            start--;
        for (a = start; a < b && (*a == ' ' || *a == '\t'); a++)
            ;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (unsubd_ip_parse(a, (size_t) (b - a), hop) != 0)
            break;
        memcpy(ip, hop, 16);
        end = start > xff ? start - 1 : xff;
    }
}

/* unsubd_listen_parse - "ADDR:PORT" or "[IPV6]:PORT" as a socket address */
int unsubd_listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                        unsigned char ip[16])
{
    const char *colon = strrchr(text, ':'), *host = text;
    size_t hlen = colon ? (size_t) (colon - text) : 0;
    unsigned long port;
    char *end;

    if (colon == NULL || hlen == 0)
        return -1;
    if (host[0] == '[' && host[hlen - 1] == ']')
        host++, hlen -= 2;
    errno = 0;
    port = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port > 65535 || unsubd_ip_parse(host, hlen, ip) != 0)
        return -1;
    memset(ss, 0, sizeof(*ss));
    if (unsubd_ip_is_v4(ip)) {
        struct sockaddr_in *sin = (struct sockaddr_in *) (void *) ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t) port);
        memcpy(&sin->sin_addr, ip + 12, 4);
        *len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) (void *) ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t) port);
        memcpy(&sin6->sin6_addr, ip, 16);
        *len = sizeof(*sin6);
    }
    return 0;
}

/* unsubd_ip_is_loopback - 127.0.0.0/8 or ::1 */
int unsubd_ip_is_loopback(const unsigned char ip[16])
{
    static const unsigned char v6[16] = {[15] = 1};

    return (unsubd_ip_is_v4(ip) && ip[12] == 127) || memcmp(ip, v6, 16) == 0;
}


/* --- the rate limit --- */

/* rate_hash - FNV-1a of an address */
static uint32_t rate_hash(const unsigned char a[16])
{
    uint32_t h = 2166136261u;

    for (int i = 0; i < 16; i++)
        h = (h ^ a[i]) * 16777619u;
    return h;
}

/* unsubd_rate_allow - count one request of a client in this minute; 0 when over the limit */
int unsubd_rate_allow(struct rate_table *t, const unsigned char ip[16], int64_t now, int *retry)
{
    int64_t minute = now / 60;
    uint32_t h = rate_hash(ip);
    struct rate_slot *s = NULL, *spare = NULL;
    int allowed;

    *retry = (int) (60 - now % 60);
    if (t->limit == 0)
        return 1;
    pthread_mutex_lock(&t->lock);
    for (int i = 0; i < RATE_PROBES && s == NULL; i++) {
        struct rate_slot *p = &t->slot[(h + (uint32_t) i) % RATE_SLOTS];

        if (p->used && memcmp(p->ip, ip, 16) == 0)
            s = p;
        else if (spare == NULL && (!p->used || p->minute != minute))
            spare = p;
    }
    if (s == NULL) {   /* new client: a free or stale slot; when all are busy, the first */
        s = spare ? spare : &t->slot[h % RATE_SLOTS];
        memcpy(s->ip, ip, 16);
        s->used = 1;
        s->minute = minute;
        s->count = 0;
    }
    if (s->minute != minute) {
        s->minute = minute;
        s->count = 0;
    }
    if ((allowed = s->count < t->limit))
        s->count++;
    pthread_mutex_unlock(&t->lock);
    return allowed;
}



/* --- the command line --- */

/* usage - the synopsis: on stdout when asked (--help), else on stderr with EX_USAGE */
static int usage(int asked)
{
    fprintf(asked ? stdout : stderr,
            "usage: optin-unsubd [-f] [-n] [-c config] [-l ADDR:PORT] [-u user] [-P pidfile]\n"
            "                    [--trusted-proxy IP[/BITS]]... [--rate N] [--max-body BYTES]\n"
            "                    [--threads N] [--public]\n"
            "  -c FILE              configuration (default %s)\n"
            "  -l ADDR:PORT         listen here (default %s; [::1]:PORT for IPv6)\n"
            "  -f                   stay in the foreground\n"
            "  -n                   check configuration and key file, then exit\n"
            "  -u USER              run as this user (default: the configuration's user)\n"
            "  -P FILE              write the pid here\n"
            "  --trusted-proxy IP   take the client from X-Forwarded-For when the peer is IP\n"
            "  --rate N             requests per client and minute (default %d; 0: no limit)\n"
            "  --max-body BYTES     largest request body (default %d)\n"
            "  --threads N          worker threads (default %d)\n"
            "  --public             allow a listening address other than loopback\n"
            "  -V                   print the version\n",
            OPTIN_DEFAULT_CONFIG, DEFAULT_LISTEN, DEFAULT_RATE, DEFAULT_MAX_BODY, DEFAULT_THREADS);
    return asked ? OPTIONS_DONE : EX_USAGE;
}

/* number_arg - an unsigned option value in [min, max], with an optional suffix ("/min") */
static int number_arg(const char *name, const char *text, const char *suffix, unsigned long min,
                      unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(text, &end, 10);
    if (suffix && strcmp(end, suffix) == 0)
        end += strlen(suffix);
    if (errno || end == text || *end || text[0] == '-' || *out < min || *out > max) {
        fprintf(stderr, "optin-unsubd: %s %s: expected a number from %lu to %lu\n", name, text,
                min, max);
        return -1;
    }
    return 0;
}

/* long_option - the options without a short form */
static int long_option(int c, const char *arg, struct unsubd_options *opt)
{
    unsigned long n;
    uint64_t size;

    switch (c) {
    case 'T':
        if (opt->trusted_count == TRUSTED_MAX || unsubd_net_parse(arg, &opt->trusted[opt->trusted_count]) != 0) {
            fprintf(stderr, "optin-unsubd: --trusted-proxy %s: expected an IP address or "
                            "ADDRESS/BITS (at most %d)\n", arg, TRUSTED_MAX);
            return -1;
        }
        opt->trusted_count++;
        return 0;
    case 'R':
        if (number_arg("--rate", arg, "/min", 0, 1000000, &n) != 0)
            return -1;
        opt->rate = (unsigned) n;
        return 0;
    case 'B':
        if (size_parse(arg, &size) != 0 || size < 256 || size > 1024 * 1024) {
            fprintf(stderr, "optin-unsubd: --max-body %s: expected 256 to 1M bytes\n", arg);
            return -1;
        }
        opt->max_body = (size_t) size;
        return 0;
    case 'H':
        if (number_arg("--threads", arg, NULL, 1, 64, &n) != 0)
            return -1;
        opt->threads = (unsigned) n;
        return 0;
    default:
        opt->public_ok = 1;
        return 0;
    }
}

/* unsubd_options_parse - the command line over the defaults */
int unsubd_options_parse(int argc, char **argv, struct unsubd_options *opt)
{
    static const struct option longs[] = {
        {"trusted-proxy", required_argument, NULL, 'T'}, {"rate", required_argument, NULL, 'R'},
        {"max-body", required_argument, NULL, 'B'}, {"threads", required_argument, NULL, 'H'},
        {"public", no_argument, NULL, 'W'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;

    *opt = (struct unsubd_options){.config = OPTIN_DEFAULT_CONFIG, .listen = DEFAULT_LISTEN,
                                   .rate = DEFAULT_RATE, .max_body = DEFAULT_MAX_BODY,
                                   .threads = DEFAULT_THREADS};
    while ((c = getopt_long(argc, argv, "c:fl:nP:u:V", longs, NULL)) != -1) {
        switch (c) {
        case 'c': opt->config = optarg; break;
        case 'f': opt->foreground = 1; break;
        case 'l': opt->listen = optarg; break;
        case 'n': opt->check_only = 1; break;
        case 'P': opt->pidfile = optarg; break;
        case 'u': opt->user = optarg; break;
        case 'V': printf("optin-unsubd %s\n", PACKAGE_VERSION); return OPTIONS_DONE;
        case 'h': return usage(1);
        case 'T': case 'R': case 'B': case 'H': case 'W':
            if (long_option(c, optarg, opt) != 0)
                return EX_USAGE;
            break;
        default: return usage(0);
        }
    }
    return optind == argc ? 0 : usage(0);
}

