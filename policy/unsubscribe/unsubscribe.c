/*
 * NAME
 *	unsubscribe 3
 * SUMMARY
 *	the RFC 2369 / RFC 8058 List-Unsubscribe value for one recipient
 * SYNOPSIS
 *	#include "unsubscribe/unsubscribe.h"
 *
 *	int	unsub_value(mailto, url, token, char *out, size_t outsz)
 * DESCRIPTION
 *	Builds the value the milter adds as List-Unsubscribe (next to
 *	List-Unsubscribe-Post: List-Unsubscribe=One-Click):
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
 * DIAGNOSTICS
 *	0, or -1 when neither URI is given, the token, address or URL is
 *	refused, a line would reach 998 octets or out is too small (out is
 *	then ""). Nothing here logs.
 * SEE ALSO
 *	token(3), RFC 2369, RFC 8058, RFC 6068, RFC 5322
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "unsubscribe/unsubscribe.h"

#define LINE_MAX_OCTETS 998   /* RFC 5322 2.1.1, CRLF excluded: we stay strictly under */
#define MAILTO_SUBJECT "?subject=unsubscribe%20"

/* is_alnum - ASCII letter or digit (no locale) */
static int is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* token_ok - non-empty base64url */
static int token_ok(const char *t)
{
    if (*t == '\0')
        return 0;
    for (; *t; t++)
        if (!is_alnum(*t) && *t != '-' && *t != '_')
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
