/* addr.h - address normalization used by every part of optin-milter (see addr.c) */
#ifndef OPTIN_ADDR_H
#define OPTIN_ADDR_H

#include <stddef.h>

/* RFC 5321: a path is at most 256 octets with its <>, so an address is at most 254. */
#define ADDR_MAX_LEN 254
#define ADDR_LOCAL_MAX_LEN 64
#define ADDR_DOMAIN_MAX_LEN 253
#define ADDR_BUFSZ (ADDR_MAX_LEN + 1)

/* addr_normalize flags */
#define ADDR_FOLD_LOCAL 0x1 /* fold the local part's case (Unicode-aware) */

enum addr_error {
    ADDR_OK = 0,
    ADDR_EMPTY,            /* nothing left after stripping <> and blanks (includes "<>") */
    ADDR_CONTROL_CHAR,     /* NUL, CR, LF, TAB or any other C0/DEL control character */
    ADDR_BAD_UTF8,         /* not valid UTF-8 */
    ADDR_NO_AT,            /* no '@' separating local part and domain */
    ADDR_EMPTY_LOCAL,      /* nothing before the '@' */
    ADDR_EMPTY_DOMAIN,     /* nothing after the '@' */
    ADDR_LOCAL_TOO_LONG,   /* local part over 64 octets */
    ADDR_DOMAIN_TOO_LONG,  /* domain (A-label form) over 253 octets */
    ADDR_TOO_LONG,         /* whole address over 254 octets */
    ADDR_BAD_DOMAIN,       /* libidn2 refused the domain, or it is not a valid host name */
    ADDR_BAD_LOCAL,        /* local part syntax (unbalanced quotes, spaces outside quotes, ...) */
    ADDR_BAD_ROUTE,        /* a source route ("@a,@b:") that is not a list of domains */
    ADDR_INVISIBLE_CHAR,   /* a C1 control, or a Unicode format or separator character (soft
                            * hyphen, zero-width space, BOM, bidi overrides): what is shown
                            * would not be the address */
};

/*
 * addr_normalize - canonical form of one mailbox address.
 * Input may be "<User@Example.COM>", "user@例え.jp", with surrounding blanks.
 * Output (NUL-terminated, at most ADDR_MAX_LEN octets): local part in NFC
 * (case-folded with ADDR_FOLD_LOCAL), "@", domain as lowercase A-label without
 * trailing dot. Domain literals ([192.0.2.1], [IPv6:...]) are kept, lowercased.
 */
enum addr_error addr_normalize(const char *in, size_t inlen, unsigned flags,
                               char out[ADDR_BUFSZ]);

/* addr_normalize_domain - canonical A-label form of a bare domain (for @domain suppression). */
enum addr_error addr_normalize_domain(const char *in, size_t inlen, char out[ADDR_BUFSZ]);

/*
 * addr_mta_form - the path of a RCPT TO argument as Postfix's smtpd stores it: surrounding
 * blanks, one pair of <> and an RFC 5321 source route removed, nothing else changed (what
 * smfi_delrcpt must be given to match). 0, or -1 when it does not fit out or is malformed.
 */
int addr_mta_form(const char *raw, size_t len, char *out, size_t outsz);

/* addr_domain - pointer to the domain part of a normalized address (after the last '@'). */
const char *addr_domain(const char *normalized);

/* addr_strerror - short reason text for an addr_error, e.g. "control character in address". */
const char *addr_strerror(enum addr_error err);

#endif
