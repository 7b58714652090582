/*
 * NAME
 *	content 3
 * SUMMARY
 *	what a list message's first body part must show: sender, postal address, contact, opt-out
 * SYNOPSIS
 *	#include "enforce/content.h"
 *
 *	int	content_first_text(const char *ctype, const char *cte,
 *				   const char *body, size_t len, char **out)
 *	unsigned content_missing(const struct list_def *list, const char *text)
 *	const char *content_describe(unsigned missing, char *buf, size_t size)
 * DESCRIPTION
 *	CAN-SPAM wants a valid postal address and an opt-out notice in
 *	commercial mail; Japan's Specified Electronic Mail Act wants the
 *	sender's name, the address or URL to which a recipient sends an
 *	opt-out with a statement that they may, the sender's postal address
 *	and a contact for questions and complaints. A list names what its
 *	mail must show (content_sender_name, content_postal_address,
 *	content_contact, content_unsubscribe); this module looks for them
 *	in the first text part of what the milter read of the body (at most
 *	content_max_bytes).
 *
 *	content_first_text() follows a multipart type into its first part, at
 *	most four levels deep, reads the part's headers (Content-Type with
 *	boundary and charset, Content-Transfer-Encoding), decodes base64
 *	and quoted-printable, converts the charset to UTF-8 with iconv(3)
 *	(ISO-2022-JP, Shift_JIS, ISO-8859-1, ...; left as it is when iconv
 *	does not know it), drops HTML tags and the common entities of a
 *	text/html part, collapses every run of white space (the ideographic
 *	space too) to one space and lower-cases ASCII letters. A part cut
 *	short by the size bound is used as far as it goes.
 *
 *	content_missing() looks for each required item, normalized the same
 *	way, as a substring; content_unsubscribe is a list of which any one
 *	will do (default "unsubscribe").
 * DIAGNOSTICS
 *	content_first_text() returns -1 only when out of memory. Nothing
 *	here logs.
 * SEE ALSO
 *	message(3), optin-milter.conf(5), iconv(3)
 */

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enforce/content.h"

#define MAX_DEPTH 4
#define PARAM_BUFSZ 200

/* lower - ASCII lower case */
static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* param - a Content-Type parameter (quoted or not) into buf; 0, or -1 when absent */
static int param(const char *ctype, const char *name, char *buf, size_t size)
{
    size_t n = strlen(name);

    for (const char *p = ctype; p && (p = strchr(p, ';')) != NULL; p++) {
        const char *v = p + 1;
        size_t len = 0;

        while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
            v++;
        if (strncasecmp(v, name, n) != 0 || v[n] != '=')
            continue;
        v += n + 1;
        if (*v == '"') {
            for (v++; v[len] && v[len] != '"' && len + 1 < size; len++)
                buf[len] = v[len];
        } else {
            for (; v[len] && !strchr("; \t\r\n", v[len]) && len + 1 < size; len++)
                buf[len] = v[len];
        }
        buf[len] = '\0';
        return len ? 0 : -1;
    }
    return -1;
}

/* is_type - does the Content-Type value start with this type/subtype prefix ("multipart/", "text/html")? */
static int is_type(const char *ctype, const char *prefix)
{
    while (ctype && (*ctype == ' ' || *ctype == '\t'))
        ctype++;
    return ctype && strncasecmp(ctype, prefix, strlen(prefix)) == 0;
}

/* header_value - an unfolded header of a part's header block [h, end) into buf, or NULL */
static const char *header_value(const char *h, const char *end, const char *name, char *buf, size_t size)
{
    size_t n = strlen(name), len = 0;

    for (const char *line = h; line < end;) {
        const char *nl = memchr(line, '\n', (size_t) (end - line));

        nl = nl ? nl : end;
        if ((size_t) (nl - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            for (const char *v = line + n + 1; v < end && len + 1 < size; v++) {
                if (*v == '\n' && !(v + 1 < end && (v[1] == ' ' || v[1] == '\t')))
                    break;
                buf[len++] = *v == '\r' || *v == '\n' ? ' ' : *v;
            }
            buf[len] = '\0';
            return buf;
        }
        line = nl + 1;
    }
    return NULL;
}

/* first_part - the first part of a multipart body: its header block and body; 0, or -1 */
static int first_part(const char *body, size_t len, const char *boundary, const char **hdr,
                      const char **hdr_end, const char **part, size_t *part_len)
{
    size_t blen = strlen(boundary);
    const char *end = body + len, *p = body, *start = NULL;

    for (; p < end; p = memchr(p, '\n', (size_t) (end - p)) ? (const char *) memchr(p, '\n', (size_t) (end - p)) + 1 : end) {
        if ((size_t) (end - p) > blen + 2 && p[0] == '-' && p[1] == '-' && memcmp(p + 2, boundary, blen) == 0) {
            if (start == NULL) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));

                if (nl == NULL)
                    return -1;
                start = nl + 1;
            } else {
                end = p;                 /* the next boundary ends the part */
                break;
            }
        }
    }
    if (start == NULL)
        return -1;
    *hdr = start;
    if (start < end && (*start == '\n' || (*start == '\r' && start + 1 < end && start[1] == '\n'))) {
        *hdr_end = start;                /* no header at all: the body starts after the empty line */
        *part = start + (*start == '\r' ? 2 : 1);
        *part_len = (size_t) (end - *part);
        return 0;
    }
    for (p = start; p < end; p++)        /* the part's header block ends at an empty line */
        if (*p == '\n' && (p + 1 >= end || p[1] == '\n' || (p[1] == '\r' && p + 2 < end && p[2] == '\n')))
            break;
    *hdr_end = p;
    p += p < end && p + 1 < end && p[1] == '\r' ? 3 : 2;
    *part = p < end ? p : end;
    *part_len = (size_t) (end - *part);
    return 0;
}

/* b64 - the value of one base64 digit, or -1 */
static int b64(char c)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(digits, c) : NULL;

    return p ? (int) (p - digits) : -1;
}

/* hexval - the value of a hex digit, or -1 */
static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* decode - the part's bytes with its transfer encoding undone, into out (at least len + 1); its length */
static size_t decode(const char *cte, const char *in, size_t len, char *out)
{
    size_t n = 0;

    if (is_type(cte, "base64")) {
        unsigned acc = 0;
        int bits = 0;

        for (size_t i = 0; i < len; i++) {
            int v = b64(in[i]);

            if (v < 0)
                continue;
            acc = (acc << 6) | (unsigned) v;
            if ((bits += 6) >= 8) {
                bits -= 8;
                out[n++] = (char) ((acc >> bits) & 0xff);
            }
        }
    } else if (is_type(cte, "quoted-printable")) {
        for (size_t i = 0; i < len; i++) {
            if (in[i] == '=' && i + 1 < len && (in[i + 1] == '\n' || in[i + 1] == '\r')) {
                i += in[i + 1] == '\r' && i + 2 < len && in[i + 2] == '\n' ? 2 : 1;
            } else if (in[i] == '=' && i + 2 < len && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
                out[n++] = (char) (hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
                i += 2;
            } else {
                out[n++] = in[i];
            }
        }
    } else {
        memcpy(out, in, len);
        n = len;
    }
    out[n] = '\0';
    return n;
}

/* to_utf8 - text in charset as UTF-8 (allocated), or the text itself when the charset is unknown */
static char *to_utf8(const char *charset, char *text, size_t len)
{
    iconv_t cd;
    char *out, *in = text, *o;
    size_t left = len, room = 4 * len + 16;

    if (charset[0] == '\0' || strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "us-ascii") == 0
        || (cd = iconv_open("UTF-8", charset)) == (iconv_t) -1)
        return text;
    if ((out = malloc(room + 1)) == NULL) {
        iconv_close(cd);
        return text;
    }
    o = out;
    while (left > 0 && iconv(cd, &in, &left, &o, &room) == (size_t) -1 && errno == EILSEQ && left > 0) {
        in++;                            /* skip a byte that is not of this charset */
        left--;
    }
    iconv(cd, NULL, NULL, &o, &room);
    iconv_close(cd);
    *o = '\0';
    free(text);
    return out;
}

/* normalize - drop HTML tags and entities (html), collapse white space, lower-case ASCII; in place */
static void normalize(char *s, int html)
{
    static const struct {
        const char *name, *text;
    } entities[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", " "}, {"&quot;", "\""},
                    {"&#39;", "'"}, {"&apos;", "'"}};
    char *w = s;
    int space = 1;

    for (const char *r = s; *r;) {
        char c = *r;

        if (html && c == '<') {
            const char *close = strchr(r, '>');

            r = close ? close + 1 : r + strlen(r);
            c = ' ';
        } else if (html && c == '&') {
            size_t i;

            for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
                if (strncasecmp(r, entities[i].name, strlen(entities[i].name)) == 0)
                    break;
            if (i < sizeof(entities) / sizeof(entities[0])) {
                r += strlen(entities[i].name);
                c = entities[i].text[0];
            } else {
                r++;
            }
        } else if ((unsigned char) c == 0xe3 && (unsigned char) r[1] == 0x80 && (unsigned char) r[2] == 0x80) {
            r += 3;                      /* U+3000, the ideographic space */
            c = ' ';
        } else {
            r++;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (!space)
                *w++ = ' ';
            space = 1;
        } else {
            *w++ = lower(c);
            space = 0;
        }
    }
    if (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

/* content_first_text - the first text part, decoded, as normalized UTF-8 */
int content_first_text(const char *ctype, const char *cte, const char *body, size_t len, char **out)
{
    char boundary[PARAM_BUFSZ], charset[PARAM_BUFSZ] = "", type_buf[PARAM_BUFSZ], cte_buf[PARAM_BUFSZ];
    const char *type = ctype ? ctype : "text/plain", *enc = cte ? cte : "7bit";
    char *text;

    *out = NULL;
    for (int depth = 0; is_type(type, "multipart/") && depth < MAX_DEPTH; depth++) {
        const char *hdr, *hdr_end, *part;
        size_t part_len;

        if (param(type, "boundary", boundary, sizeof(boundary)) != 0
            || first_part(body, len, boundary, &hdr, &hdr_end, &part, &part_len) != 0)
            return 0;
        type = header_value(hdr, hdr_end, "Content-Type", type_buf, sizeof(type_buf));
        enc = header_value(hdr, hdr_end, "Content-Transfer-Encoding", cte_buf, sizeof(cte_buf));
        type = type ? type : "text/plain";
        enc = enc ? enc : "7bit";
        body = part;
        len = part_len;
    }
    if (!is_type(type, "text/"))
        return 0;
    if ((text = malloc(len + 1)) == NULL)
        return -1;
    len = decode(enc, body, len, text);
    param(type, "charset", charset, sizeof(charset));
    text = to_utf8(charset, text, len);
    normalize(text, is_type(type, "text/html"));
    *out = text;
    return 0;
}

/* has - does text hold item, normalized as text was? */
static int has(const char *text, const char *item)
{
    char *want = strdup(item);
    int found;

    if (want == NULL)
        return 1;                        /* out of memory: do not refuse mail for it */
    normalize(want, 0);
    found = strstr(text, want) != NULL;
    free(want);
    return found;
}

/* content_missing - the required items text lacks */
unsigned content_missing(const struct list_def *list, const char *text)
{
    unsigned missing = 0;
    int any = list->content_unsubscribe.count == 0 && text && has(text, "unsubscribe");

    if (text == NULL)
        return CONTENT_NO_TEXT;
    if (list->content_sender_name && !has(text, list->content_sender_name))
        missing |= CONTENT_SENDER_NAME;
    if (list->content_postal_address && !has(text, list->content_postal_address))
        missing |= CONTENT_POSTAL_ADDRESS;
    if (list->content_contact && !has(text, list->content_contact))
        missing |= CONTENT_CONTACT;
    for (size_t i = 0; i < list->content_unsubscribe.count && !any; i++)
        any = has(text, list->content_unsubscribe.items[i]);
    return any ? missing : missing | CONTENT_UNSUBSCRIBE;
}

/* content_describe - the missing items in words */
const char *content_describe(unsigned missing, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{CONTENT_NO_TEXT, "a text part"}, {CONTENT_SENDER_NAME, "the sender's name"},
                 {CONTENT_POSTAL_ADDRESS, "the postal address"}, {CONTENT_CONTACT, "a contact"},
                 {CONTENT_UNSUBSCRIBE, "an unsubscribe instruction"}};
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (missing & names[i].bit)
            used += (size_t) snprintf(buf + used, used < size ? size - used : 0, "%s%s",
                                      used ? ", " : "", names[i].name);
    return buf;
}
