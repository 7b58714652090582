/* classify.h - is this message list mail, and of which list? (see classify.c) */
#ifndef OPTIN_CLASSIFY_H
#define OPTIN_CLASSIFY_H

#include <stddef.h>

#include "config/config.h"

#define LIST_ID_HEADER_BUFSZ 256

/* classify_envelope - the first list whose envelope_from, auth_user or daemon_name matches; NULL if none. */
const struct list_def *classify_envelope(const struct optin_config *cfg, const char *sender,
                                         const char *auth_user, const char *daemon_name);
/* classify_list_id - the first list whose match.list_id equals id (case-insensitive); NULL if none. */
const struct list_def *classify_list_id(const struct optin_config *cfg, const char *id);
/* list_id_extract - the <list-id> of a List-Id value (RFC 2919; folds and a phrase allowed), lowercased; 0 or -1. */
int list_id_extract(const char *value, char out[LIST_ID_HEADER_BUFSZ]);
/* header_signals_bulk - Precedence: bulk/list/junk, List-Id, List-Unsubscribe(-Post): 1 or 0. */
int header_signals_bulk(const char *name, const char *value);
/* header_value_trim - copy a header value without folds and surrounding blanks; 0 or -1 when too long. */
int header_value_trim(const char *value, char *out, size_t outsz);

#endif
