/*
 * NAME
 *	status 3
 * SUMMARY
 *	the one return convention of policy/ and its texts
 * SYNOPSIS
 *	#include "status.h"
 *
 *	const char *optin_strerror(int rc)
 *	int	optin_is_transient(int rc)
 *	int	optin_is_caller_error(int rc)
 * DESCRIPTION
 *	Three kinds of error share one negative range without overlap:
 *	-errno (small), LMDB's codes (MDB_KEYEXIST, -30799, to
 *	MDB_LAST_ERRCODE) and the project's own OPTIN_E* codes, -31000
 *	upwards.
 *	So a caller passes any return value up unchanged and decodes it in
 *	one place, here. OPTIN_NOTFOUND (1) is an answer, not an error.
 * DIAGNOSTICS
 *	optin_strerror() always returns a string; an unknown code reads
 *	"unknown error N".
 * SEE ALSO
 *	lmdb.h mdb_strerror(), errno(3)
 */

#include <errno.h>
#include <string.h>

#include <lmdb.h>

#include "status.h"

static const char *const own_errors[] = {
    [OPTIN_EFIELD - OPTIN_EFIELD] = "a field is too long or malformed",
    [OPTIN_ECODEUNKNOWN - OPTIN_EFIELD] = "unknown confirmation code",
    [OPTIN_ECODEEXPIRED - OPTIN_EFIELD] = "confirmation code expired",
    [OPTIN_ENOTPENDING - OPTIN_EFIELD] = "nothing pending to confirm",
    [OPTIN_ETOKENMALFORMED - OPTIN_EFIELD] =
        "malformed token (not base64url, wrong length or version, bad contents)",
    [OPTIN_ETOKENKEY - OPTIN_EFIELD] =
        "token made with a key that is not in the key file (retired or foreign)",
    [OPTIN_ETOKENFORGED - OPTIN_EFIELD] =
        "token fails authentication (altered, or made with another key)",
    [OPTIN_EKEYFILE - OPTIN_EFIELD] = "unusable key file",
};

/* optin_is_caller_error - one of the project's own codes */
int optin_is_caller_error(int rc)
{
    return rc >= OPTIN_EFIELD && rc < OPTIN_ELAST;
}

/* optin_strerror - text for a return value */
const char *optin_strerror(int rc)
{
    if (rc == 0)
        return "success";
    if (rc == OPTIN_NOTFOUND)
        return "not found";
    if (optin_is_caller_error(rc))
        return own_errors[rc - OPTIN_EFIELD];
    if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
        return mdb_strerror(rc);
    if (rc < 0 && rc > -4096)
        return strerror(-rc);
    return "unknown error";
}

/* optin_is_transient - errors worth retrying later */
int optin_is_transient(int rc)
{
    return rc == MDB_READERS_FULL || rc == MDB_MAP_RESIZED || rc == MDB_TXN_FULL
        || rc == MDB_MAP_FULL || rc == -EAGAIN || rc == -EBUSY || rc == -EINTR;
}
