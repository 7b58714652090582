/* chain.h - one journal line: its members, its chained hash, its redaction (see chain.c) */
#ifndef OPTIN_CHAIN_H
#define OPTIN_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define CHAIN_HASH_HEX 64          /* SHA-256 in lower-case hex */
#define CHAIN_HASH_BUFSZ (CHAIN_HASH_HEX + 1)
#define CHAIN_NONCE_HEX 32         /* the personal-data nonce or digest, after "n:" or "d:" */
#define CHAIN_NONCE_BYTES (CHAIN_NONCE_HEX / 2)
#define CHAIN_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* Where a member's value lies in the line: the bytes between the quotes of a string. */
struct chain_span {
    size_t off, len;
    int present;
};

/* The members a line is checked and redacted by. */
struct chain_line {
    uint64_t seq;                  /* 0: absent */
    struct chain_span time, queue_id, list, recipient, recipient_raw, verdict, reason;
    struct chain_span pd;          /* "n:NONCE" (personal data present) or "d:DIGEST" (redacted) */
    struct chain_span prev;        /* only on the first line of a file */
    struct chain_span hash;
    size_t hash_member;            /* offset of the "," before "hash": what the hash covers ends there */
};

/* chain_scan - find the members of one line (no newline); 0, or -1 when it is not a journal line. */
int chain_scan(const char *line, size_t len, struct chain_line *out);
/* chain_hash - the hash the line must carry, chained to prev (64 hex); 0, or -1 when pd is malformed. */
int chain_hash(const char *line, const struct chain_line *cl, const char *prev,
               char out[CHAIN_HASH_BUFSZ]);
/* chain_redact - overwrite the personal values with '*' and turn pd into its digest, in place, same length. */
int chain_redact(char *line, const struct chain_line *cl);
/* chain_nonce - a new line's pd member from the caller's fresh random bytes: "n:" + 32 hex. */
void chain_nonce(char out[CHAIN_NONCE_HEX + 3], const unsigned char random[CHAIN_NONCE_BYTES]);
/* chain_value - copy a string member's value (still JSON-escaped) into buf; buf, or "" when absent. */
const char *chain_value(const char *line, const struct chain_span *s, char *buf, size_t size);

#endif
