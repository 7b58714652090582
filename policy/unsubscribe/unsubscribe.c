/*
 * NAME
 *	unsubscribe 3
 * SUMMARY
 *	the RFC 2369 / RFC 8058 List-Unsubscribe value for one recipient, and its token read back
 * SYNOPSIS
 *	#include "unsubscribe/token.h"
#include "unsubscribe/unsubscribe.h"
 *
 *	int	unsub_value(mailto, url, token, char *out, size_t outsz)
 *
 *	int	unsub_value_token(keys, value, url_bases, n_bases, struct unsub_found *found)
 *	int	unsub_text_token(keys, text, struct unsub_found *found)
 *	int	unsub_extension_token(keys, rcpt, struct unsub_found *found)
 * DESCRIPTION
 *	unsub_value() builds the value the milter adds as List-Unsubscribe
 *	(next to List-Unsubscribe-Post: List-Unsubscribe=One-Click):
 * .IP
 *	<https://u.example/1c/TOKEN>,
 *	\t<mailto:unsub@example?subject=unsubscribe%20TOKEN>
 * .PP
 *	The HTTPS URL comes first. RFC 8058 section 3.1 needs one HTTPS URI
 *	(mailto is optional) and RFC 2369 section 2 says clients take the
 *	URIs in order of preference, left to right; a client that follows
 *	that order and can do both then picks the one-click URI rather
 *	than sending mail. (Gmail and other large mailbox providers are
 *	reported to prefer the HTTPS URI whatever its place.)
 *
 *	The token is base64url (token.c), so it goes into both URIs as it
 *	is. The mailto address must be a plain dot-atom address whose
 *	characters need no percent-encoding (RFC 6068): letters, digits and
 *	. - _ ~ ! $ & ' * + = before the '@', letters, digits, '.' and '-'
 *	after it; so '<', '>', ',', '?', '%', blanks and non-ASCII are
 *	refused. The URL must be https:// with a host, printable ASCII
 *	without '<', '>', ',', '"' or '#' (a fragment would keep the token
 *	from the server); the token is appended to it as it is.
 *
 *	RFC 2369: "MTAs MUST NOT insert whitespace within the brackets", so
 *	the value is folded only after the comma, with "\n\t" (libmilter
 *	takes LF; the MTA writes CRLF). Every line, the first counted with
 *	"List-Unsubscribe: " in front, stays under 998 octets (RFC 5322
 *	section 2.1.1).
 *
 *	The other three read a token back, as optinctl does with returned
 *	mail (feedback) and unsubscribe mail (mailto), and open it with the
 *	keys (token_open). unsub_value_token() takes each <URI> of a value
 *	in turn: a mailto: URI by its subject= parameter, percent-decoded
 *	and read as by unsub_text_token(); any other URI by what follows
 *	one of the url_bases it starts with (the configured unsubscribe
 *	URLs; NULL entries are skipped), else by its trailing base64url
 *	characters. unsub_text_token() looks for "unsubscribe" (any case)
 *	followed by blanks, ':' or "%20" and the token, as often as it
 *	occurs: a Subject "Re:  UNSUBSCRIBE  TOKEN" still reads.
 *	unsub_extension_token() takes the address extension of
 *	unsubscribe+TOKEN@domain, or with '-' as the delimiter.
 *
 *	Each keeps in found the first token that opens (list, and address,
 *	"" for a list-level token) or else the most telling failure: a
 *	token that opens wins over a failure, and a forged or unknown-key
 *	token over a malformed candidate. Initialise found with
 *	UNSUB_FOUND_NONE; the three may be called one after another on the
 *	same found, and a token that opens later replaces the list and
 *	address kept earlier.
 * DIAGNOSTICS
 *	unsub_value(): 0, or -1 when neither URI is given, the token,
 *	address or URL is refused, a line would reach 998 octets or out is
 *	too small (out is then ""). The readers return found->rc: 0,
 *	an OPTIN_ETOKEN* code, or UNSUB_NONE (OPTIN_NOTFOUND) when no candidate was seen (also
 *	without keys). Nothing here logs.
 * BUGS
 *	The readers are lenient by design, and some of it is loose: the
 *	subject= of a mailto: URI is decoded to the end of the URI, other
 *	parameters included; the extension is cut at the first '+' (or
 *	'-') of the address, so a local part that holds one before the
 *	delimiter yields no token; "%X" takes sscanf's view of hex digits.
 * SEE ALSO
 *	token(3), RFC 2369, RFC 8058, RFC 6068, RFC 5322
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "unsubscribe/token.h"
#include "unsubscribe/unsubscribe.h"

#define LINE_MAX_OCTETS 998   /* RFC 5322 2.1.1, CRLF excluded: we stay strictly under */
#define UNSUB_WORD "unsubscribe"
#define MAILTO_SUBJECT "?subject=" UNSUB_WORD "%20"
#define DECODED_MAX 1024      /* a mailto subject read back */

/* is_alnum - ASCII letter or digit (no locale) */
static int is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* is_b64url - a character of a base64url token */
static int is_b64url(char c)
{
    return is_alnum(c) || c == '-' || c == '_';
}

/* token_ok - non-empty base64url */
static int token_ok(const char *t)
{
    if (*t == '\0')
        return 0;
    for (; *t; t++)
        if (!is_b64url(*t))
            return 0;
    return 1;
}

/* mailto_ok - a dot-atom address that needs no percent-encoding in a mailto URI */
static int mailto_ok(const char *m)
{
    const char *at = strchr(m, '@');

    if (at == NULL || at == m || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return 0;
    for (const char *p = m; p < at; p++)
        if (!is_alnum(*p) && strchr(".-_~!$&'*+=", *p) == NULL)
            return 0;
    for (const char *p = at + 1; *p; p++)
        if (!is_alnum(*p) && *p != '.' && *p != '-')
            return 0;
    return 1;
}

/* url_ok - https://HOST..., printable ASCII without the characters that would break the value */
static int url_ok(const char *u)
{
    if (strncasecmp(u, "https://", 8) != 0 || u[8] == '\0' || u[8] == '/')
        return 0;
    for (; *u; u++)
        if ((unsigned char) *u <= 0x20 || (unsigned char) *u >= 0x7f || strchr("<>,\"#", *u))
            return 0;
    return 1;
}

/* unsub_value - "<URL>,\n\t<mailto:...>", either part optional */
int unsub_value(const char *mailto, const char *url, const char *token, char *out, size_t outsz)
{
    size_t tlen, first = 0, second = 0, len = 0;

    if (out == NULL || outsz == 0)
        return -1;
    out[0] = '\0';
    if ((mailto == NULL && url == NULL) || token == NULL || !token_ok(token)
        || (mailto != NULL && !mailto_ok(mailto)) || (url != NULL && !url_ok(url)))
        return -1;
    tlen = strlen(token);
    /* line lengths: the first carries the field name and, if a second follows, the comma */
    if (url != NULL)
        first = strlen(UNSUB_HEADER ": <") + strlen(url) + tlen + strlen(">");
    if (mailto != NULL) {
        size_t m = strlen("<mailto:") + strlen(mailto) + strlen(MAILTO_SUBJECT) + tlen + 1;

        if (url == NULL) {
            first = strlen(UNSUB_HEADER ": ") + m;
        } else {
            first += 1;              /* the comma */
            second = 1 + m;          /* the tab */
        }
    }
    if (first >= LINE_MAX_OCTETS || second >= LINE_MAX_OCTETS)
        return -1;
    if (url != NULL)
        len = (size_t) snprintf(out, outsz, "<%s%s>%s", url, token, mailto ? ",\n\t" : "");
    if (mailto != NULL && len < outsz)
        len += (size_t) snprintf(out + len, outsz - len, "<mailto:%s%s%s>",
                                 mailto, MAILTO_SUBJECT, token);
    if (len >= outsz) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* found_try - open one candidate; keep the most telling outcome in found->rc */
static int found_try(const struct token_keys *keys, const char *s, size_t len,
                     struct unsub_found *found)
{
    char list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ];
    int rc;

    if (keys == NULL || len == 0)
        return UNSUB_NONE;
    rc = len < TOKEN_BUFSZ ? token_open(keys, s, len, list, addr) : OPTIN_ETOKENMALFORMED;
    if (rc == 0) {
        memcpy(found->list, list, sizeof(list));
        memcpy(found->addr, addr, sizeof(addr));
    }
    if (found->rc != 0
        && (found->rc == UNSUB_NONE || rc == 0 || rc != OPTIN_ETOKENMALFORMED))
        found->rc = rc;
    return rc;
}

/* separator_len - octets of the separator at s between "unsubscribe" and a token; 0: none */
static size_t separator_len(const char *s)
{
    if (*s == ' ' || *s == '\t' || *s == ':' || *s == '\r' || *s == '\n')
        return 1;
    return strncmp(s, "%20", 3) == 0 ? 3 : 0;
}

/* unsub_text_token - "unsubscribe TOKEN" anywhere in text: any case, blanks, ':' or "%20" between */
int unsub_text_token(const struct token_keys *keys, const char *text, struct unsub_found *found)
{
    const char *p = text, *q, *start;
    size_t sep;

    while (p != NULL && (p = strcasestr(p, UNSUB_WORD)) != NULL) {
        for (q = p += strlen(UNSUB_WORD); (sep = separator_len(q)) > 0; q += sep)
            ;
        for (start = q; is_b64url(*q); q++)
            ;
        if (q > start && found_try(keys, start, (size_t) (q - start), found) == 0)
            return 0;
    }
    return found->rc;
}

/* pct_decode - %XX of a URI component (a '+' stays) */
static void pct_decode(const char *s, size_t len, char *out, size_t outsz)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 1 < outsz; i++) {
        unsigned hi, lo;

        if (s[i] == '%' && i + 2 < len && sscanf(s + i + 1, "%1x%1x", &hi, &lo) == 2) {
            out[o++] = (char) (hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
}

/* mailto_uri_token - the token in the subject= of a mailto: URI (len octets, up to its '>') */
static void mailto_uri_token(const struct token_keys *keys, const char *uri, size_t len,
                             struct unsub_found *found)
{
    char decoded[DECODED_MAX];
    const char *p;

    for (p = uri; p < uri + len && (p = strpbrk(p, "?&")) != NULL && p < uri + len; p++)
        if (strncasecmp(p + 1, "subject=", 8) == 0) {
            pct_decode(p + 9, (size_t) (uri + len - p - 9), decoded, sizeof(decoded));
            unsub_text_token(keys, decoded, found);
            return;
        }
}

/* uri_token - the token of one URI: a mailto subject, what follows a known base, or the end */
static void uri_token(const struct token_keys *keys, const char *uri, size_t len,
                      const char *const *url_bases, size_t n_bases, struct unsub_found *found)
{
    size_t i;

    if (len > 7 && strncasecmp(uri, "mailto:", 7) == 0) {
        mailto_uri_token(keys, uri, len, found);
        return;
    }
    for (i = 0; i < n_bases; i++) {
        size_t blen = url_bases[i] ? strlen(url_bases[i]) : 0;

        if (blen > 0 && blen < len && strncmp(uri, url_bases[i], blen) == 0
            && found_try(keys, uri + blen, len - blen, found) == 0)
            return;
    }
    for (i = len; i > 0 && is_b64url(uri[i - 1]); i--)
        ;
    found_try(keys, uri + i, len - i, found);
}

/* unsub_value_token - the token of a List-Unsubscribe value: each <URI> in turn */
int unsub_value_token(const struct token_keys *keys, const char *value,
                      const char *const *url_bases, size_t n_bases, struct unsub_found *found)
{
    const char *open, *close;

    for (; value != NULL && (open = strchr(value, '<')) != NULL; value = close + 1) {
        if ((close = strchr(open, '>')) == NULL)
            break;
        uri_token(keys, open + 1, (size_t) (close - open - 1), url_bases, n_bases, found);
        if (found->rc == 0)
            break;
    }
    return found->rc;
}

/* unsub_extension_token - the token in the address extension: unsubscribe+TOKEN@ (or -TOKEN@) */
int unsub_extension_token(const struct token_keys *keys, const char *rcpt,
                          struct unsub_found *found)
{
    const char *at = strrchr(rcpt, '@'), *delim;

    for (const char *d = "+-"; *d && found->rc != 0; d++)
        if (at != NULL && (delim = strchr(rcpt, *d)) != NULL && delim < at)
            found_try(keys, delim + 1, (size_t) (at - delim - 1), found);
    return found->rc;
}
