/*
 * NAME
 *	addr 3
 * SUMMARY
 *	canonical form of mailbox addresses and domains
 * SYNOPSIS
 *	#include "mail/addr.h"
 *
 *	enum addr_error addr_normalize(const char *in, size_t inlen,
 *					unsigned flags, char out[ADDR_BUFSZ]);
 *
 *	enum addr_error addr_normalize_domain(const char *in, size_t inlen,
 *					char out[ADDR_BUFSZ]);
 *
 *	const char *addr_domain(const char *normalized);
 *
 *	const char *addr_strerror(enum addr_error err);
 * DESCRIPTION
 *	This module turns the many spellings of one mailbox into one string,
 *	so that consent records, suppressions and log lines agree on what
 *	they talk about. It is the only place in optin-milter that parses an
 *	address; everything else compares its output with strcmp().
 *
 *	addr_normalize() converts the inlen octets at in (which need not be
 *	null-terminated and may contain a NUL, which is refused) into
 *	local-part "@" domain, written null-terminated to out:
 * .IP \(bu
 *	Input over 1024 octets is refused before anything else is done.
 *	Any C0 control octet (NUL, TAB, CR, LF, ...) or DEL anywhere is
 *	refused, as is input that is not well-formed UTF-8.
 * .IP \(bu
 *	Surrounding spaces and then one pair of <> (and spaces inside it)
 *	are removed. A TAB is a control character, not a blank. An RFC 5321
 *	source route ("@a.example,@b.example:") is dropped, as RFC 5321
 *	3.6.1 tells servers to; each of its domains must be valid.
 * .IP \(bu
 *	The address is split at the last "@", since a quoted local part
 *	may contain "@".
 * .IP \(bu
 *	The local part is put in Unicode NFC; with ADDR_FOLD_LOCAL it is
 *	also lower-cased with u8_tolower() (no language tailoring), so
 *	ASCII letters become plain ASCII lower case. It must then be a
 *	dot-atom (UTF-8 allowed, RFC 6531) or a quoted string. A quoted
 *	string is reduced to its shortest equivalent form: needless
 *	backslashes are dropped and the quotes themselves are dropped when
 *	the content is a valid dot-atom ("john"@x becomes john@x, while
 *	"a b"@x keeps its quotes).
 * .IP \(bu
 *	A domain literal must be one of RFC 5321 4.1.3: an IPv4 address
 *	("[192.0.2.1]", each part 0..255), an IPv6 address
 *	("[IPv6:2001:db8::1]") or a general literal ("[tag:content]", tag
 *	letters, digits and inner hyphens, content printable ASCII without
 *	brackets or backslash); it is kept as it is, lower-cased. Any other domain goes through libidn2 (UTS #46
 *	non-transitional processing, NFC input), so U-labels, A-labels and
 *	upper-case or full-width spellings all give the same lower-case
 *	A-label form; one trailing dot is removed. Plain ASCII host names
 *	take an equivalent short cut that allocates no memory. Each label
 *	must then be 1..63 letters, digits or hyphens, not starting or
 *	ending with a hyphen.
 * .IP \(bu
 *	Lengths are checked on the result: local part at most
 *	ADDR_LOCAL_MAX_LEN, domain at most ADDR_DOMAIN_MAX_LEN, the whole
 *	address at most ADDR_MAX_LEN octets.
 * .PP
 *	The result is idempotent: normalizing an output again gives the
 *	same output.
 *
 *	addr_normalize_domain() applies the same input checks and domain
 *	processing to a bare domain; a leading "@" is allowed and removed.
 *
 *	addr_mta_form() gives the spelling Postfix's smtpd stores for a RCPT
 *	TO argument, which is what smfi_delrcpt() must be given to match:
 *	blanks, <> and a source route removed, nothing else touched.
 *
 *	addr_domain() returns a pointer just after the last "@" of a
 *	normalized address, or the whole string when it has no "@" (a bare
 *	domain from addr_normalize_domain()).
 *
 *	addr_strerror() returns a short text for an addr_error value.
 * DIAGNOSTICS
 *	addr_normalize() and addr_normalize_domain() return ADDR_OK or the
 *	first problem found; on error out holds the empty string. An input
 *	too long to be examined is ADDR_TOO_LONG, whatever it contains.
 *	A memory shortage
 *	inside libunistring or libidn2 is reported as ADDR_BAD_LOCAL or
 *	ADDR_BAD_DOMAIN. No function here allocates memory that it does
 *	not release before returning; all are thread-safe.
 * SEE ALSO
 *	RFC 5321 (SMTP), RFC 6531 (SMTPUTF8), RFC 5891 (IDNA2008),
 *	UTS #46 (IDNA compatibility processing), idn2_to_ascii_8z(3),
 *	u8_normalize(3), u8_tolower(3).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <unicase.h>
#include <uninorm.h>
#include <unictype.h>
#include <unistr.h>

#include "mail/addr.h"
#include "util/netaddr.h"

#define ADDR_RAW_MAX 1024       /* longest input examined at all */
#define ADDR_LOCAL_WORK 256     /* scratch for a local part (> 2 x 64 + 2) */
#define ADDR_IDN_FLAGS (IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)

static const char *const addr_errtab[] = {
    [ADDR_OK] = "no error",
    [ADDR_EMPTY] = "empty address",
    [ADDR_CONTROL_CHAR] = "control character in address",
    [ADDR_BAD_UTF8] = "address is not valid UTF-8",
    [ADDR_NO_AT] = "no @ in address",
    [ADDR_EMPTY_LOCAL] = "empty local part",
    [ADDR_EMPTY_DOMAIN] = "empty domain",
    [ADDR_LOCAL_TOO_LONG] = "local part longer than 64 octets",
    [ADDR_DOMAIN_TOO_LONG] = "domain longer than 253 octets",
    [ADDR_TOO_LONG] = "address too long",
    [ADDR_BAD_DOMAIN] = "invalid domain",
    [ADDR_BAD_LOCAL] = "invalid local part",
    [ADDR_BAD_ROUTE] = "invalid source route",
    [ADDR_INVISIBLE_CHAR] = "invisible or direction-changing character in address "
                            "(Unicode format control)",
};

/* ascii_lower - lower-case ASCII letters in place, whatever the locale */
static void ascii_lower(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char) (s[i] - 'A' + 'a');
}

/* all_ascii - true when no octet has the high bit set */
static int all_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) s[i] >= 0x80)
            return 0;
    return 1;
}

/* is_atext - RFC 5322 atext, extended with UTF-8 octets by RFC 6531 */
static int is_atext(unsigned char c)
{
    if (c >= 0x80)
        return 1;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* is_dot_atom - atext runs separated by single dots, nothing else */
static int is_dot_atom(const uint8_t *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return 0;
        } else if (!is_atext(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* check_raw - refuse overlong input, control characters and bad UTF-8 */
static enum addr_error check_raw(const char *in, size_t inlen)
{
    int ascii = 1;

    if (inlen > ADDR_RAW_MAX)
        return ADDR_TOO_LONG;
    for (size_t i = 0; i < inlen; i++) {
        unsigned char c = (unsigned char) in[i];

        if (c < 0x20 || c == 0x7f)
            return ADDR_CONTROL_CHAR;
        ascii &= c < 0x80;
    }
    if (ascii)          /* valid UTF-8, and no format or line/paragraph separator is ASCII */
        return ADDR_OK;
    if (u8_check((const uint8_t *) in, inlen) != NULL)
        return ADDR_BAD_UTF8;
    for (size_t i = 0; i < inlen; ) {
        ucs4_t uc;
        int n = u8_mbtouc(&uc, (const uint8_t *) in + i, inlen - i);

        if ((uc >= 0x80 && uc <= 0x9f)
            || uc_is_general_category(uc, UC_CATEGORY_Cf)
            || uc_is_general_category(uc, UC_CATEGORY_Zl)
            || uc_is_general_category(uc, UC_CATEGORY_Zp))
            return ADDR_INVISIBLE_CHAR;
        i += (size_t) (n > 0 ? n : 1);
    }
    return ADDR_OK;
}

/* trim_blanks - drop leading and trailing spaces */
static void trim_blanks(const char **s, size_t *n)
{
    while (*n > 0 && **s == ' ') {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && (*s)[*n - 1] == ' ')
        (*n)--;
}

/* trim_address - drop surrounding spaces and one pair of angle brackets */
static void trim_address(const char **s, size_t *n)
{
    trim_blanks(s, n);
    if (*n >= 2 && (*s)[0] == '<' && (*s)[*n - 1] == '>') {
        (*s)++;
        *n -= 2;
        trim_blanks(s, n);
    }
}

static enum addr_error domain_canon(const char *s, size_t n, size_t maxlen, char *dst,
                                   size_t *dlen);

/* route_skip - drop an RFC 5321 source route ("@a.example,@b.example:"); -1 when malformed */
static int route_skip(const char **s, size_t *n)
{
    const char *colon;
    size_t i = 0, rlen;

    if (*n == 0 || (*s)[0] != '@' || (colon = memchr(*s, ':', *n)) == NULL)
        return 0;           /* no route ("@example.com" is an empty local part) */
    rlen = (size_t) (colon - *s);
    while (i < rlen) {          /* each At-domain: "@" Domain, separated by "," */
        char dom[ADDR_DOMAIN_MAX_LEN + 1];
        size_t start = i + 1, dlen;

        if ((*s)[i] != '@')
            return -1;
        for (i = start; i < rlen && (*s)[i] != ','; i++)
            ;
        if (domain_canon(*s + start, i - start, ADDR_DOMAIN_MAX_LEN, dom, &dlen) != ADDR_OK)
            return -1;
        if (i < rlen)
            i++;                /* the comma; an At-domain must follow */
        if (i == rlen && (*s)[i - 1] == ',')
            return -1;
    }
    *s = colon + 1;
    *n -= rlen + 1;
    return 0;
}

/* local_unicode - NFC (and optionally lower-case) a local part into work */
static enum addr_error local_unicode(const char *s, size_t n, unsigned flags,
                                     uint8_t work[ADDR_LOCAL_WORK], size_t *wlen)
{
    uint8_t nfc[ADDR_LOCAL_WORK];
    size_t nlen = sizeof(nfc);
    uint8_t *res;

    if (all_ascii(s, n)) {                      /* NFC is the identity */
        if (n > ADDR_LOCAL_WORK)
            return ADDR_LOCAL_TOO_LONG;
        memcpy(work, s, n);
        if (flags & ADDR_FOLD_LOCAL)
            ascii_lower((char *) work, n);
        *wlen = n;
        return ADDR_OK;
    }
    res = u8_normalize(UNINORM_NFC, (const uint8_t *) s, n, nfc, &nlen);
    if (res == NULL)
        return ADDR_BAD_LOCAL;
    if (res != nfc) {                           /* did not fit: far too long */
        free(res);
        return ADDR_LOCAL_TOO_LONG;
    }
    if ((flags & ADDR_FOLD_LOCAL) == 0) {
        memcpy(work, nfc, nlen);
        *wlen = nlen;
        return ADDR_OK;
    }
    *wlen = ADDR_LOCAL_WORK;
    res = u8_tolower(nfc, nlen, NULL, UNINORM_NFC, work, wlen);
    if (res == NULL)
        return ADDR_BAD_LOCAL;
    if (res != work) {
        free(res);
        return ADDR_LOCAL_TOO_LONG;
    }
    return ADDR_OK;
}

/* local_quoted - shortest equivalent form of a quoted-string local part */
static enum addr_error local_quoted(const uint8_t *s, size_t n,
                                    char dst[ADDR_LOCAL_MAX_LEN + 1], size_t *dlen)
{
    uint8_t text[ADDR_LOCAL_WORK];
    size_t tlen = 0;
    size_t len = 0;

    if (n < 2 || s[n - 1] != '"')
        return ADDR_BAD_LOCAL;
    for (size_t i = 1; i < n - 1; i++) {
        if (s[i] == '"')
            return ADDR_BAD_LOCAL;
        if (s[i] == '\\' && ++i >= n - 1)       /* escapes the closing quote */
            return ADDR_BAD_LOCAL;
        text[tlen++] = s[i];
    }
    if (tlen > 0 && is_dot_atom(text, tlen)) { /* quotes are not needed */
        if (tlen > ADDR_LOCAL_MAX_LEN)
            return ADDR_LOCAL_TOO_LONG;
        memcpy(dst, text, tlen);
        *dlen = tlen;
        return ADDR_OK;
    }
    dst[len++] = '"';
    for (size_t i = 0; i < tlen; i++) {
        int esc = text[i] == '"' || text[i] == '\\';

        if (len + (size_t) esc + 2 > ADDR_LOCAL_MAX_LEN) /* + closing quote */
            return ADDR_LOCAL_TOO_LONG;
        if (esc)
            dst[len++] = '\\';
        dst[len++] = (char) text[i];
    }
    dst[len++] = '"';
    *dlen = len;
    return ADDR_OK;
}

/* local_canon - canonical local part, without terminator, in dst */
static enum addr_error local_canon(const char *s, size_t n, unsigned flags,
                                   char dst[ADDR_LOCAL_MAX_LEN + 1], size_t *dlen)
{
    uint8_t work[ADDR_LOCAL_WORK];
    size_t wlen;
    enum addr_error err;

    if ((err = local_unicode(s, n, flags, work, &wlen)) != ADDR_OK)
        return err;
    if (wlen > 0 && work[0] == '"')
        return local_quoted(work, wlen, dst, dlen);
    if (!is_dot_atom(work, wlen))
        return ADDR_BAD_LOCAL;
    if (wlen > ADDR_LOCAL_MAX_LEN)
        return ADDR_LOCAL_TOO_LONG;
    memcpy(dst, work, wlen);
    *dlen = wlen;
    return ADDR_OK;
}

/* domain_labels - every label 1..63 letters, digits, inner hyphens */
static enum addr_error domain_labels(const char *s, size_t n)
{
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char) s[i] : '.';

        if (c == '.') {
            size_t llen = i - start;

            if (llen == 0 || llen > 63 || s[start] == '-' || s[i - 1] == '-')
                return ADDR_BAD_DOMAIN;
            start = i + 1;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return ADDR_BAD_DOMAIN;
        }
    }
    return ADDR_OK;
}

/* domain_plain - true for ASCII that idn2 would only lower-case */
static int domain_plain(const char *s, size_t n)
{
    size_t pos = 0;                             /* offset within the label */

    for (size_t i = 0; i < n; i++, pos++) {
        if ((unsigned char) s[i] >= 0x80)
            return 0;
        if (s[i] == '.')
            pos = (size_t) -1;
        else if (pos == 3 && s[i] == '-' && s[i - 1] == '-')
            return 0;                           /* A-label or reserved "??--" */
    }
    return 1;
}

/* literal_ipv4 - RFC 5321 IPv4-address-literal: four Snum (1*3DIGIT, 0..255) with dots */
static int literal_ipv4(const char *s, size_t n)
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        size_t digits = 0;
        unsigned v = 0;

        if (part > 0 && (i >= n || s[i++] != '.'))
            return 0;
        while (i < n && digits < 3 && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (unsigned) (s[i++] - '0');
            digits++;
        }
        if (digits == 0 || v > 255)
            return 0;
    }
    return i == n;
}

/* literal_general - RFC 5321 General-address-literal: Ldh-str ":" 1*dcontent (IPv6: must parse) */
static int literal_general(const char *s, size_t n)
{
    struct net_ip ip;
    size_t tag = 0;

    while (tag < n && (s[tag] == '-' || (s[tag] >= '0' && s[tag] <= '9')
                       || ((s[tag] | 0x20) >= 'a' && (s[tag] | 0x20) <= 'z')))
        tag++;
    if (tag == 0 || tag >= n || s[tag] != ':' || s[0] == '-' || s[tag - 1] == '-' || tag + 1 == n)
        return 0;
    if (tag == 4 && strncasecmp(s, "IPv6", 4) == 0)     /* IPv6 in IPv6 form, not mapped IPv4 text */
        return net_ip_parse(s + 5, n - 5, &ip) == 0 && memchr(s + 5, ':', n - 5) != NULL;
    for (size_t i = tag + 1; i < n; i++)
        if ((unsigned char) s[i] < 33 || (unsigned char) s[i] > 126 || s[i] == '[' || s[i] == '\\'
            || s[i] == ']')
            return 0;
    return 1;
}

/* domain_literal - "[...]" checked by RFC 5321 4.1.3, kept verbatim but lower-cased */
static enum addr_error domain_literal(const char *s, size_t n, size_t maxlen,
                                      char *dst, size_t *dlen)
{
    if (n < 3 || s[n - 1] != ']')
        return ADDR_BAD_DOMAIN;
    if (!literal_ipv4(s + 1, n - 2) && !literal_general(s + 1, n - 2))
        return ADDR_BAD_DOMAIN;
    if (n > maxlen)
        return ADDR_DOMAIN_TOO_LONG;
    memcpy(dst, s, n);
    ascii_lower(dst, n);
    *dlen = n;
    return ADDR_OK;
}

/* domain_idn - libidn2 conversion to lower-case A-labels */
static enum addr_error domain_idn(const char *s, size_t n, size_t maxlen,
                                  char *dst, size_t *dlen)
{
    char input[ADDR_RAW_MAX + 1];
    char *ace = NULL;
    size_t len;
    int rc;

    if (n > ADDR_RAW_MAX)
        return ADDR_DOMAIN_TOO_LONG;
    memcpy(input, s, n);
    input[n] = '\0';
    rc = idn2_to_ascii_8z(input, &ace, ADDR_IDN_FLAGS);
    if (rc != IDN2_OK) {
        idn2_free(ace);
        return rc == IDN2_TOO_BIG_DOMAIN ? ADDR_DOMAIN_TOO_LONG : ADDR_BAD_DOMAIN;
    }
    len = strlen(ace);
    if (len > 0 && ace[len - 1] == '.')         /* "。" maps to a dot too */
        len--;
    if (len > maxlen) {
        idn2_free(ace);
        return ADDR_DOMAIN_TOO_LONG;
    }
    memcpy(dst, ace, len);
    idn2_free(ace);
    ascii_lower(dst, len);
    *dlen = len;
    return ADDR_OK;
}

/* domain_canon - canonical domain, without terminator, in dst[maxlen + 1] */
static enum addr_error domain_canon(const char *s, size_t n, size_t maxlen,
                                    char *dst, size_t *dlen)
{
    enum addr_error err;

    if (n == 0)
        return ADDR_EMPTY_DOMAIN;
    if (s[0] == '[')
        return domain_literal(s, n, maxlen, dst, dlen);
    if (domain_plain(s, n)) {
        if (s[n - 1] == '.')
            n--;
        if (n > maxlen)
            return ADDR_DOMAIN_TOO_LONG;
        memcpy(dst, s, n);
        ascii_lower(dst, n);
        *dlen = n;
    } else if ((err = domain_idn(s, n, maxlen, dst, dlen)) != ADDR_OK) {
        return err;
    }
    return domain_labels(dst, *dlen);
}

/* addr_normalize - canonical form of one address */
enum addr_error addr_normalize(const char *in, size_t inlen, unsigned flags,
                               char out[ADDR_BUFSZ])
{
    char local[ADDR_LOCAL_MAX_LEN + 1];
    char domain[ADDR_DOMAIN_MAX_LEN + 1];
    size_t llen, dlen, n = inlen;
    const char *s = in;
    const char *at = NULL;
    enum addr_error err;

    out[0] = '\0';
    if (in == NULL)
        return ADDR_EMPTY;
    if ((err = check_raw(in, inlen)) != ADDR_OK)
        return err;
    trim_address(&s, &n);
    if (route_skip(&s, &n) != 0)
        return ADDR_BAD_ROUTE;
    if (n == 0)
        return ADDR_EMPTY;
    for (size_t i = n; i > 0 && at == NULL; i--)
        if (s[i - 1] == '@')
            at = s + i - 1;
    if (at == NULL)
        return ADDR_NO_AT;
    if (at == s)
        return ADDR_EMPTY_LOCAL;
    if (at == s + n - 1)
        return ADDR_EMPTY_DOMAIN;
    if ((err = local_canon(s, (size_t) (at - s), flags, local, &llen)) != ADDR_OK)
        return err;
    err = domain_canon(at + 1, (size_t) (s + n - at - 1), ADDR_DOMAIN_MAX_LEN,
                       domain, &dlen);
    if (err != ADDR_OK)
        return err;
    if (llen + 1 + dlen > ADDR_MAX_LEN)
        return ADDR_TOO_LONG;
    memcpy(out, local, llen);
    out[llen] = '@';
    memcpy(out + llen + 1, domain, dlen);
    out[llen + 1 + dlen] = '\0';
    return ADDR_OK;
}

/* addr_normalize_domain - canonical A-label form of a bare domain */
enum addr_error addr_normalize_domain(const char *in, size_t inlen, char out[ADDR_BUFSZ])
{
    size_t maxlen = ADDR_DOMAIN_MAX_LEN < ADDR_BUFSZ - 1 ?
        ADDR_DOMAIN_MAX_LEN : ADDR_BUFSZ - 1;
    size_t dlen, n = inlen;
    const char *s = in;
    enum addr_error err;

    out[0] = '\0';
    if (in == NULL)
        return ADDR_EMPTY;
    if ((err = check_raw(in, inlen)) != ADDR_OK)
        return err;
    trim_blanks(&s, &n);
    if (n == 0)
        return ADDR_EMPTY;
    if (s[0] == '@') {
        s++;
        n--;
    }
    if ((err = domain_canon(s, n, maxlen, out, &dlen)) != ADDR_OK) {
        out[0] = '\0';
        return err;
    }
    out[dlen] = '\0';
    return ADDR_OK;
}

/* addr_mta_form - the path as the MTA stores it from RCPT TO: no blanks, no <>, no source route */
int addr_mta_form(const char *raw, size_t len, char *out, size_t outsz)
{
    const char *s = raw;
    size_t n = len;

    trim_address(&s, &n);
    if (route_skip(&s, &n) != 0 || n >= outsz || memchr(s, '\0', n) != NULL)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* addr_domain - the part after the last '@', or all of a bare domain */
const char *addr_domain(const char *normalized)
{
    const char *at;

    if (normalized == NULL)
        return "";
    at = strrchr(normalized, '@');
    return at != NULL ? at + 1 : normalized;
}

/* addr_strerror - short reason text for an addr_error */
const char *addr_strerror(enum addr_error err)
{
    size_t idx = (size_t) err;

    if (idx < sizeof(addr_errtab) / sizeof(addr_errtab[0]) && addr_errtab[idx] != NULL)
        return addr_errtab[idx];
    return "unknown address error";
}
