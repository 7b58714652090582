/*
 * NAME
 *	chain 3
 * SUMMARY
 *	one journal line: its members, its chained hash and its redaction
 * SYNOPSIS
 *	#include "journal/chain.h"
 *
 *	int	chain_scan(const char *line, size_t len, struct chain_line *out)
 *	int	chain_hash(const char *line, const struct chain_line *cl,
 *			   const char *prev, char out[CHAIN_HASH_BUFSZ])
 *	int	chain_redact(char *line, const struct chain_line *cl)
 *	void	chain_nonce(char out[CHAIN_NONCE_HEX + 3],
 *			    const unsigned char random[CHAIN_NONCE_BYTES])
 * DESCRIPTION
 *	A journal line is one JSON object whose top-level members are
 *	strings and unsigned integers; it starts with "seq" and ends with
 *	"hash", 64 hex digits of SHA-256 over
 *
 *		"optin-journal-1\n" PREV "\n" CANONICAL
 *
 *	where PREV is the hash of the line before it (64 zeros before the
 *	first line ever) and CANONICAL is the line as stored, up to the comma
 *	that starts "hash", with two changes that make erasure possible
 *	without breaking the chain: the values of "recipient" and
 *	"recipient_raw" count as empty, and "pd" counts as "d:" and its
 *	digest. A line that names a recipient carries "pd":"n:NONCE", 32
 *	random hex digits; its digest is the first 16 bytes, in hex, of
 *	SHA-256 over "optin-journal-pd\n" NONCE "\n" RECIPIENT "\n"
 *	RECIPIENT_RAW (the values as stored, JSON escapes and all). So the
 *	hash binds the addresses through the digest, and chain_redact() can
 *	overwrite both values with '*' and the nonce with "d:" and the digest
 *	in place, leaving a line of the same length with the same hash. A
 *	redacted line whose values are not all '*' does not verify.
 *
 *	The first line written into a file also carries "prev", so each
 *	file can be checked on its own and a file whose first lines were
 *	cut away is found.
 *
 *	The same functions serve the writer (journal(3)), optinctl journal
 *	verify and optinctl forget, so what is written is what is checked.
 * DIAGNOSTICS
 *	chain_scan() returns -1 for a line that is not one JSON object of
 *	strings and unsigned integers with "seq" first and "hash" last (a
 *	torn line, or not ours). chain_hash() and chain_redact() return -1
 *	for a malformed "pd", or a redacted line with a value not all '*'.
 * SEE ALSO
 *	journal(3), optinctl(1) journal verify, libsodium's crypto_hash_sha256
 */

#include <string.h>
#include <stdlib.h>

#include <sodium.h>

#include "journal/chain.h"

#define CHAIN_TAG "optin-journal-1\n"
#define PD_TAG "optin-journal-pd\n"
#define DIGEST_BYTES (CHAIN_NONCE_HEX / 2)

/* Members chain_scan() records, by name. */
static const struct {
    const char *name;
    size_t offset;
} members[] = {
    {"time", offsetof(struct chain_line, time)},
    {"queue_id", offsetof(struct chain_line, queue_id)},
    {"list", offsetof(struct chain_line, list)},
    {"recipient", offsetof(struct chain_line, recipient)},
    {"recipient_raw", offsetof(struct chain_line, recipient_raw)},
    {"verdict", offsetof(struct chain_line, verdict)},
    {"reason", offsetof(struct chain_line, reason)},
    {"pd", offsetof(struct chain_line, pd)},
    {"prev", offsetof(struct chain_line, prev)},
    {"hash", offsetof(struct chain_line, hash)},
};

/* scan_string - past a JSON string starting at its opening quote; its content span; -1 if unterminated */
static int scan_string(const char *s, size_t len, size_t *pos, struct chain_span *span)
{
    size_t i = *pos + 1;

    while (i < len && s[i] != '"') {
        if ((unsigned char) s[i] < 0x20)
            return -1;
        i += s[i] == '\\' ? 2 : 1;
    }
    if (i >= len)
        return -1;
    span->off = *pos + 1;
    span->len = i - *pos - 1;
    span->present = 1;
    *pos = i + 1;
    return 0;
}

/* scan_number - past an unsigned integer; its value; -1 if there is none */
static int scan_number(const char *s, size_t len, size_t *pos, uint64_t *value)
{
    size_t i = *pos;
    uint64_t v = 0;

    while (i < len && s[i] >= '0' && s[i] <= '9' && i - *pos < 20)
        v = v * 10 + (uint64_t) (s[i++] - '0');
    if (i == *pos)
        return -1;
    *value = v;
    *pos = i;
    return 0;
}

/* record_member - remember the span of a member chain_line keeps */
static void record_member(const char *line, const struct chain_span *key, const struct chain_span *val,
                          struct chain_line *out)
{
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        if (strlen(members[i].name) == key->len
            && memcmp(line + key->off, members[i].name, key->len) == 0)
            *(struct chain_span *) (void *) ((char *) out + members[i].offset) = *val;
}

/* chain_scan - the members of one line */
int chain_scan(const char *line, size_t len, struct chain_line *out)
{
    struct chain_span key, val;
    size_t pos = 1, member_start;
    uint64_t number;
    int first = 1;

    memset(out, 0, sizeof(*out));
    if (len < 2 || line[0] != '{' || line[len - 1] != '}')
        return -1;
    while (pos < len - 1) {
        member_start = pos;
        if (!first && line[pos++] != ',')
            return -1;
        if (pos >= len || line[pos] != '"' || scan_string(line, len, &pos, &key) != 0
            || pos >= len || line[pos++] != ':' || pos >= len)
            return -1;
        if (line[pos] == '"') {
            if (scan_string(line, len, &pos, &val) != 0)
                return -1;
            record_member(line, &key, &val, out);
            if (key.len == 4 && memcmp(line + key.off, "hash", 4) == 0)
                out->hash_member = member_start;
        } else if (scan_number(line, len, &pos, first ? &out->seq : &number) != 0) {
            return -1;                   /* strings and unsigned integers only */
        }
        if (first && (key.len != 3 || memcmp(line + key.off, "seq", 3) != 0))
            return -1;
        first = 0;
    }
    if (pos != len - 1 || !out->hash.present || out->hash.len != CHAIN_HASH_HEX
        || out->hash_member == 0 || out->hash.off + CHAIN_HASH_HEX + 2 != len)
        return -1;                       /* "hash" is the last member */
    return 0;
}

/* hex_encode - lower-case hex of n bytes into out (2n + 1) */
static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* all_stars - is the span empty, absent or all '*'? */
static int all_stars(const char *line, const struct chain_span *s)
{
    for (size_t i = 0; s->present && i < s->len; i++)
        if (line[s->off + i] != '*')
            return 0;
    return 1;
}

/* pd_digest - the digest of a line's personal values under its nonce: "d:" + 32 hex; -1 if pd is malformed */
static int pd_digest(const char *line, const struct chain_line *cl, char out[CHAIN_NONCE_HEX + 3])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    const char *pd = line + cl->pd.off;

    if (cl->pd.len != CHAIN_NONCE_HEX + 2 || pd[1] != ':' || (pd[0] != 'n' && pd[0] != 'd'))
        return -1;
    if (pd[0] == 'd') {                  /* redacted: the values must be gone */
        if (!all_stars(line, &cl->recipient) || !all_stars(line, &cl->recipient_raw))
            return -1;
        memcpy(out, pd, CHAIN_NONCE_HEX + 2);
        out[CHAIN_NONCE_HEX + 2] = '\0';
        return 0;
    }
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *) PD_TAG, sizeof(PD_TAG) - 1);
    crypto_hash_sha256_update(&st, (const unsigned char *) pd + 2, CHAIN_NONCE_HEX);
    crypto_hash_sha256_update(&st, (const unsigned char *) "\n", 1);
    if (cl->recipient.present)
        crypto_hash_sha256_update(&st, (const unsigned char *) line + cl->recipient.off, cl->recipient.len);
    crypto_hash_sha256_update(&st, (const unsigned char *) "\n", 1);
    if (cl->recipient_raw.present)
        crypto_hash_sha256_update(&st, (const unsigned char *) line + cl->recipient_raw.off,
                                  cl->recipient_raw.len);
    crypto_hash_sha256_final(&st, h);
    out[0] = 'd';
    out[1] = ':';
    hex_encode(h, DIGEST_BYTES, out + 2);
    return 0;
}

/* by_offset - qsort order of spans */
static int by_offset(const void *a, const void *b)
{
    const struct chain_span *x = a, *y = b;

    return x->off < y->off ? -1 : x->off > y->off;
}

/* chain_hash - SHA-256 over the tag, prev and the canonical line */
int chain_hash(const char *line, const struct chain_line *cl, const char *prev,
               char out[CHAIN_HASH_BUFSZ])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    char digest[CHAIN_NONCE_HEX + 3];
    struct chain_span cut[3];
    size_t ncut = 0, pos = 0;

    if (cl->pd.present && pd_digest(line, cl, digest) != 0)
        return -1;
    if ((cl->recipient.present || cl->recipient_raw.present) && !cl->pd.present)
        return -1;                       /* an address the chain would not bind */
    if (cl->recipient.present)
        cut[ncut++] = cl->recipient;
    if (cl->recipient_raw.present)
        cut[ncut++] = cl->recipient_raw;
    if (cl->pd.present)
        cut[ncut++] = cl->pd;
    qsort(cut, ncut, sizeof(cut[0]), by_offset);
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *) CHAIN_TAG, sizeof(CHAIN_TAG) - 1);
    crypto_hash_sha256_update(&st, (const unsigned char *) prev, CHAIN_HASH_HEX);
    crypto_hash_sha256_update(&st, (const unsigned char *) "\n", 1);
    for (size_t i = 0; i < ncut; i++) {
        crypto_hash_sha256_update(&st, (const unsigned char *) line + pos, cut[i].off - pos);
        if (cut[i].off == cl->pd.off)
            crypto_hash_sha256_update(&st, (const unsigned char *) digest, CHAIN_NONCE_HEX + 2);
        pos = cut[i].off + cut[i].len;
    }
    crypto_hash_sha256_update(&st, (const unsigned char *) line + pos, cl->hash_member - pos);
    crypto_hash_sha256_final(&st, h);
    hex_encode(h, sizeof(h), out);
    return 0;
}

/* chain_redact - '*' over the personal values, the nonce replaced by the digest; same length, same hash */
int chain_redact(char *line, const struct chain_line *cl)
{
    char digest[CHAIN_NONCE_HEX + 3];

    if (!cl->pd.present || pd_digest(line, cl, digest) != 0)
        return -1;
    memcpy(line + cl->pd.off, digest, CHAIN_NONCE_HEX + 2);
    if (cl->recipient.present)
        memset(line + cl->recipient.off, '*', cl->recipient.len);
    if (cl->recipient_raw.present)
        memset(line + cl->recipient_raw.off, '*', cl->recipient_raw.len);
    return 0;
}

/* chain_nonce - "n:" and the 32 hex digits of the caller's random bytes */
void chain_nonce(char out[CHAIN_NONCE_HEX + 3], const unsigned char random[CHAIN_NONCE_BYTES])
{
    out[0] = 'n';
    out[1] = ':';
    hex_encode(random, CHAIN_NONCE_BYTES, out + 2);
}

/* chain_value - a string member's value as stored, into buf */
const char *chain_value(const char *line, const struct chain_span *s, char *buf, size_t size)
{
    size_t n = s->present ? s->len : 0;

    if (size == 0)
        return "";
    if (n >= size)
        n = size - 1;
    memcpy(buf, line + s->off, n);
    buf[n] = '\0';
    return buf;
}
