/* status.h - the one return convention of policy/ (see status.c) */
#ifndef OPTIN_STATUS_H
#define OPTIN_STATUS_H

/*
 * Every function of policy/ that can fail returns an int:
 *   0               success
 *   OPTIN_NOTFOUND  looked up, nothing there: an answer, not an error (the only value > 0)
 *   < 0             an error: -errno from the system (-ENOMEM, -ENOSPC, -EIO, -EBADMSG for a
 *                   damaged stored record), an LMDB code as LMDB returns it (MDB_MAP_FULL...),
 *                   or one of the OPTIN_E* codes below. optin_strerror() names any of them.
 */
#define OPTIN_NOTFOUND 1

enum optin_error {              /* -31000 upwards: below LMDB's codes, far from -errno */
    OPTIN_EFIELD = -31000,    /* a field is too long or malformed (the caller's input) */
    OPTIN_ECODEUNKNOWN,       /* double opt-in confirmation code never made, or already used */
    OPTIN_ECODEEXPIRED,       /* confirmation code older than confirm_ttl */
    OPTIN_ENOTPENDING,        /* nothing to confirm any more (unsubscribed since, or gone) */
    OPTIN_ETOKENMALFORMED,    /* unsubscribe token: not base64url, cut, wrong version */
    OPTIN_ETOKENKEY,          /* unsubscribe token made with a key the key file does not hold */
    OPTIN_ETOKENFORGED,       /* unsubscribe token fails authentication */
    OPTIN_EKEYFILE,           /* the key file's content or mode is unusable */
    OPTIN_ELAST
};

/* optin_strerror - text for any return value of policy/ ("not found" for OPTIN_NOTFOUND) */
const char *optin_strerror(int rc);
/* optin_is_transient - worth trying again later: reader table full, map resized, busy, ... */
int optin_is_transient(int rc);
/* optin_is_caller_error - an OPTIN_E* code, i.e. the input was refused, the system is fine */
int optin_is_caller_error(int rc);

#endif
