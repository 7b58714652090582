/* token.h - opaque, authenticated unsubscribe tokens naming a list and a recipient (see token.c) */
#ifndef OPTIN_TOKEN_H
#define OPTIN_TOKEN_H

#include <stddef.h>

#include "consent/consent.h"
#include "mail/addr.h"
#include "status.h"

#define TOKEN_BUFSZ 512              /* base64url text of the longest token, NUL included */


struct token_keys;

/*
 * token_keys_load - read the key file: one key a line, "ID BASE64KEY" (ID 1..255,
 * key 32 bytes), '#' comments; the first key signs, all keys verify.
 * Refuses a file readable by group or others. Errors as "FILE:LINE: reason" in err.
 * 0, -errno (cannot read) or OPTIN_EKEYFILE (content, mode); same for generate.
 */
int token_keys_load(const char *path, struct token_keys **out, char *err, size_t errsz);
/* token_keys_free - wipe and release */
void token_keys_free(struct token_keys *keys);
/*
 * token_keys_generate - put a new random key, with the next free id, first in the key file
 * (created mode 0600 if missing; replaced atomically); the old keys stay to verify.
 * *new_id gets its id. Errors in err.
 */
int token_keys_generate(const char *path, int *new_id, char *err, size_t errsz);

/*
 * token_make - base64url token for (list, normalized address); addr "" makes a
 * list-level token. Opaque (encrypted, no address in clear), authenticated,
 * deterministic for the same key, list and address. 0, or -1 when too long.
 */
int token_make(const struct token_keys *keys, const char *list, const char *addr,
               char out[TOKEN_BUFSZ]);
/*
 * token_keys_mac - keyed BLAKE2b (outlen 16..64 octets) of data with the VERP subkey of key
 * id, or of the signing key when id is 0 (*used_id gets its id). 0, OPTIN_ETOKENKEY for an
 * id the file does not hold, -1 for no keys or a bad length.
 */
int token_keys_mac(const struct token_keys *keys, int id, const void *data, size_t len,
                   unsigned char *out, size_t outlen, int *used_id);
/* token_open - verify in constant time and decode; 0 or OPTIN_ETOKEN* (status.h). */
int token_open(const struct token_keys *keys, const char *token, size_t len,
               char list[LIST_ID_BUFSZ], char addr[ADDR_BUFSZ]);

#endif
