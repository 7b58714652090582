/*
 * NAME
 *	verp 3
 * SUMMARY
 *	signed VERP return paths: which list and recipient a bounce is about
 * SYNOPSIS
 *	#include "unsubscribe/verp.h"
 *
 *	const char *verp_pattern_check(const char *pattern)
 *	int	verp_return_path(keys, pattern, list, addr, out)
 *	int	verp_tag_of(pattern, rcpt, tag)
 *	int	verp_tag_verify(keys, tag, list, addr)
 * DESCRIPTION
 *	List mail with one recipient leaves with an envelope sender such as
 *	bounce+TAG@lists.example, so that a bounce comes back to an address
 *	that says which list and which recipient it is about, and a report
 *	changes state only for the recipient it is bound to.
 *
 *	A tag is 15 octets in lower-case base32 (RFC 4648 alphabet, no
 *	padding): 24 characters, which fit the 64-octet local part with room
 *	for a prefix and survive MTAs that lower-case local parts (decoding
 *	takes either case). The octets: the id of the key that made it, 3
 *	octets of an unkeyed BLAKE2b hash of the list id (to pick the list
 *	before checking), and an 88-bit keyed BLAKE2b MAC of the list id and
 *	the normalized address, with the VERP subkey of the token key file
 *	(token_keys_mac). The address is not in the tag, in clear or
 *	otherwise: a tag is checked against an address the report names. No
 *	one without the key makes a tag, moves one to another address or
 *	list, or learns the address from it; the tag of one (list, address)
 *	never changes while its key is in the file, so a message filtered
 *	twice keeps its sender.
 * DIAGNOSTICS
 *	-1 or an OPTIN_ETOKEN* code; nothing here logs.
 * SEE ALSO
 *	token(3), message(3), RFC 5321 4.5.3.1.1, RFC 4648
 */

#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "mail/addr.h"
#include "unsubscribe/verp.h"

#define TAG_OCTETS 15
#define TAG_LIST_OCTETS 3
#define TAG_MAC_OCTETS (TAG_OCTETS - 1 - TAG_LIST_OCTETS)
#define MAC_FULL 16                      /* the MAC computed; its first TAG_MAC_OCTETS are kept */
#define LOCAL_MAX 64

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

_Static_assert(TAG_OCTETS * 8 <= VERP_TAG_LEN * 5 && TAG_OCTETS * 8 > (VERP_TAG_LEN - 1) * 5,
               "24 base32 characters carry 15 octets");

/* b32_encode - octets as lower-case base32 without padding */
static void b32_encode(const unsigned char *in, size_t n, char *out)
{
    unsigned buf = 0, bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32[(buf << (5 - bits)) & 31];
    out[o] = '\0';
}

/* b32_decode - base32 in either case into exactly n octets; -1 when malformed */
static int b32_decode(const char *in, size_t len, unsigned char *out, size_t n)
{
    unsigned buf = 0, bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(b32, in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);

        if (in[i] == '\0' || p == NULL)
            return -1;
        buf = (buf << 5) | (unsigned) (p - b32);
        bits += 5;
        if (bits >= 8) {
            if (o == n)
                return -1;
            out[o++] = (unsigned char) (buf >> (bits - 8));
            bits -= 8;
        }
    }
    return o == n && (buf & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

/* list_hash - the first octets of an unkeyed hash of the list id */
static void list_hash(const char *list, unsigned char out[TAG_LIST_OCTETS])
{
    unsigned char h[crypto_generichash_BYTES_MIN];

    crypto_generichash(h, sizeof(h), (const unsigned char *) list, strlen(list), NULL, 0);
    memcpy(out, h, TAG_LIST_OCTETS);
}

/* tag_mac - the MAC of (list, addr) under key id (0: the signing key) */
static int tag_mac(const struct token_keys *keys, int id, const char *list, const char *addr,
                   unsigned char mac[MAC_FULL], int *used_id)
{
    unsigned char data[LIST_ID_BUFSZ + ADDR_BUFSZ + 4];
    size_t llen = strlen(list), alen = strlen(addr);

    if (llen == 0 || llen > LIST_ID_MAX || alen == 0 || alen >= ADDR_BUFSZ)
        return -1;
    memcpy(data, "v1", 2);
    memcpy(data + 2, list, llen + 1);               /* the NUL keeps list and address apart */
    memcpy(data + 3 + llen, addr, alen);
    return token_keys_mac(keys, id, data, 3 + llen + alen, mac, MAC_FULL, used_id);
}

/* verp_tag_make - key id, list hash, MAC */
int verp_tag_make(const struct token_keys *keys, const char *list, const char *addr,
                  char out[VERP_TAG_BUFSZ])
{
    unsigned char bin[TAG_OCTETS], mac[MAC_FULL];
    int id;

    out[0] = '\0';
    if (tag_mac(keys, 0, list, addr, mac, &id) != 0)
        return -1;
    bin[0] = (unsigned char) id;
    list_hash(list, bin + 1);
    memcpy(bin + 1 + TAG_LIST_OCTETS, mac, TAG_MAC_OCTETS);
    b32_encode(bin, sizeof(bin), out);
    return 0;
}

/* pattern_split - the parts before and after the one "%s"; -1 when there is not exactly one */
static int pattern_split(const char *pattern, size_t *prefix, const char **suffix)
{
    const char *s = strstr(pattern, "%s");

    if (s == NULL || strstr(s + 2, "%s") != NULL || strchr(pattern, '%') != s
        || strchr(s + 2, '%') != NULL)
        return -1;
    *prefix = (size_t) (s - pattern);
    *suffix = s + 2;
    return 0;
}

/* verp_pattern_check - one %s in the local part, the rest a valid address */
const char *verp_pattern_check(const char *pattern)
{
    char sample[VERP_PATH_BUFSZ], norm[ADDR_BUFSZ];
    const char *suffix, *at;
    size_t prefix;

    if (pattern_split(pattern, &prefix, &suffix) != 0)
        return "expected one %s for the tag, and no other %";
    if ((at = strrchr(pattern, '@')) == NULL || at < pattern + prefix)
        return "expected the %s in the local part, before the @";
    if ((size_t) (at - pattern) - 2 + VERP_TAG_LEN > LOCAL_MAX)
        return "expected a local part that stays within 64 octets with a 24-character tag";
    if (strlen(pattern) - 2 + VERP_TAG_LEN >= sizeof(sample))
        return "expected a shorter return path";
    memcpy(sample, pattern, prefix);
    memset(sample + prefix, 'a', VERP_TAG_LEN);
    strcpy(sample + prefix + VERP_TAG_LEN, suffix);
    if (addr_normalize(sample, strlen(sample), 0, norm) != ADDR_OK || strchr(sample, '"') != NULL
        || strchr(sample, ' ') != NULL)
        return "expected a plain mail address such as bounce+%s@lists.example";
    return NULL;
}

/* verp_return_path - the pattern with the tag in it */
int verp_return_path(const struct token_keys *keys, const char *pattern, const char *list,
                     const char *addr, char out[VERP_PATH_BUFSZ])
{
    char tag[VERP_TAG_BUFSZ];
    const char *suffix;
    size_t prefix;

    out[0] = '\0';
    if (verp_pattern_check(pattern) != NULL || pattern_split(pattern, &prefix, &suffix) != 0
        || verp_tag_make(keys, list, addr, tag) != 0)
        return -1;
    memcpy(out, pattern, prefix);
    memcpy(out + prefix, tag, VERP_TAG_LEN);
    strcpy(out + prefix + VERP_TAG_LEN, suffix);
    return 0;
}

/* verp_tag_of - the tag of an envelope recipient made from pattern, in any case */
int verp_tag_of(const char *pattern, const char *rcpt, char tag[VERP_TAG_BUFSZ])
{
    const char *suffix;
    size_t prefix, slen, rlen;

    tag[0] = '\0';
    if (pattern_split(pattern, &prefix, &suffix) != 0)
        return -1;
    rcpt += rcpt[0] == '<';
    rlen = strcspn(rcpt, ">");
    slen = strlen(suffix);
    if (rlen != prefix + VERP_TAG_LEN + slen || strncasecmp(rcpt, pattern, prefix) != 0
        || strncasecmp(rcpt + prefix + VERP_TAG_LEN, suffix, slen) != 0)
        return -1;
    memcpy(tag, rcpt + prefix, VERP_TAG_LEN);
    tag[VERP_TAG_LEN] = '\0';
    return 0;
}

/* verp_tag_list_is - the tag's list hash is the list's */
int verp_tag_list_is(const char *tag, const char *list)
{
    unsigned char bin[TAG_OCTETS], h[TAG_LIST_OCTETS];

    if (strlen(tag) != VERP_TAG_LEN || b32_decode(tag, VERP_TAG_LEN, bin, sizeof(bin)) != 0)
        return 0;
    list_hash(list, h);
    return memcmp(bin + 1, h, TAG_LIST_OCTETS) == 0;
}

/* verp_tag_verify - the tag of exactly this list and address */
int verp_tag_verify(const struct token_keys *keys, const char *tag, const char *list,
                    const char *addr)
{
    unsigned char bin[TAG_OCTETS], mac[MAC_FULL];
    int rc;

    if (strlen(tag) != VERP_TAG_LEN || b32_decode(tag, VERP_TAG_LEN, bin, sizeof(bin)) != 0
        || bin[0] == 0)
        return OPTIN_ETOKENMALFORMED;
    if ((rc = tag_mac(keys, bin[0], list, addr, mac, NULL)) != 0)
        return rc < 0 && rc != -1 ? rc : OPTIN_ETOKENMALFORMED;
    if (!verp_tag_list_is(tag, list)
        || sodium_memcmp(bin + 1 + TAG_LIST_OCTETS, mac, TAG_MAC_OCTETS) != 0)
        return OPTIN_ETOKENFORGED;
    return 0;
}
