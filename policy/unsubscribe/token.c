/*
 * NAME
 *	token 3
 * SUMMARY
 *	opaque, authenticated unsubscribe tokens naming a list and a recipient
 * SYNOPSIS
 *	#include "unsubscribe/token.h"
 *
 *	int	token_keys_load(path, struct token_keys **out, err, errsz)
 *	void	token_keys_free(struct token_keys *keys)
 *	int	token_keys_generate(path, int *new_id, err, errsz)
 *	int	token_make(keys, list, addr, char out[TOKEN_BUFSZ])
 *	int	token_open(keys, token, len, list, addr)
 * DESCRIPTION
 *	A token is what the one-click URL and the mailto subject carry
 *	(RFC 8058 section 3.1: the URI identifies list and recipient by
 *	itself and holds a hard-to-forge part). Its bytes are
 * .IP
 *	version (1, =1) | key id (1) | nonce (12) | ciphertext | tag (16)
 * .PP
 *	sealed with ChaCha20-Poly1305 (IETF) over the plaintext
 *	"LIST\0ADDRESS", the first two bytes as associated data. The nonce
 *	is synthetic (SIV style): the first 12 bytes of a keyed BLAKE2b
 *	(crypto_generichash) of version, key id and plaintext. So the same
 *	key, list and address always give the same token, a message
 *	filtered twice gets the same header, and no randomness is needed
 *	per message; two different plaintexts never share a nonce unless
 *	the 96-bit hash collides. The text form is base64url without
 *	padding (RFC 4648 section 5); version 1 makes every token start
 *	with 'A', never with '-'. The ciphertext hides list and address,
 *	not their length.
 *
 *	The key file holds one key a line, "ID BASE64KEY": ID decimal
 *	1..255, the key 32 bytes in standard base64 (padded), blank lines
 *	and '#' comments allowed. The first key signs, every key verifies,
 *	so a key is rotated by putting a new one first (token_keys_generate,
 *	optinctl keygen) and retired by deleting its line once no mail that
 *	carries its tokens is worth honouring. The file must not be open
 *	to group or others. Each master key yields three subkeys through
 *	crypto_kdf_derive_from_key, context "optinTok": 1 encrypts, 2 makes
 *	the nonce, 3 authenticates VERP return paths (token_keys_mac,
 *	verp(3)). Subkeys live in sodium_malloc() memory, read-only once
 *	loaded (so token_open() is thread-safe) and wiped by
 *	token_keys_free(); master keys and file text are wiped after use.
 *
 *	token_keys_generate() validates the existing file as the loader
 *	does, then writes the header comment, the new key and the old lines
 *	to PATH.tmp (O_EXCL, mode 0600 or the old file's mode, the old
 *	file's owner), fsyncs it, renames it over PATH and fsyncs the
 *	directory.
 * DIAGNOSTICS
 *	token_keys_load() and token_keys_generate() return 0, -errno when a
 *	file cannot be read or written, or OPTIN_EKEYFILE for bad content,
 *	a too open mode, or no free key id; err gets "FILE:LINE: reason",
 *	"FILE: mode 0644: must not be accessible by group or others (chmod
 *	600)" or "FILE: system error". token_make() returns -1 for a list
 *	of 0 or over LIST_ID_MAX (63) octets, an address over 254 octets, or a control
 *	character in either. token_open() returns OPTIN_ETOKENMALFORMED,
 *	OPTIN_ETOKENKEY or OPTIN_ETOKENFORGED (tag check in constant time by
 *	libsodium). Nothing here logs.
 * SEE ALSO
 *	unsubscribe(3), optinctl(1), RFC 8058, RFC 4648, libsodium
 *	crypto_aead_chacha20poly1305_ietf, crypto_kdf, crypto_generichash
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "unsubscribe/token.h"

#define TOKEN_VERSION 1
#define TOKEN_HDR 2                                   /* version, key id */
#define TOKEN_NONCE crypto_aead_chacha20poly1305_ietf_NPUBBYTES   /* 12 */
#define TOKEN_TAG crypto_aead_chacha20poly1305_ietf_ABYTES        /* 16 */
#define TOKEN_LIST_MAX (LIST_ID_BUFSZ - 1)
#define TOKEN_PT_MAX (TOKEN_LIST_MAX + 1 + ADDR_MAX_LEN)
#define TOKEN_BIN_MIN (TOKEN_HDR + TOKEN_NONCE + 2 + TOKEN_TAG)  /* one-octet list, no address */
#define TOKEN_BIN_MAX (TOKEN_HDR + TOKEN_NONCE + TOKEN_PT_MAX + TOKEN_TAG)
#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

_Static_assert(sodium_base64_ENCODED_LEN(TOKEN_BIN_MAX, B64URL) <= TOKEN_BUFSZ,
               "the longest token must fit TOKEN_BUFSZ");

#define KEY_BYTES crypto_kdf_KEYBYTES                 /* 32, master key */
#define KDF_CONTEXT "optinTok"
#define SUBKEY_ENCRYPT 1
#define SUBKEY_NONCE 2
#define SUBKEY_VERP 3                                 /* the MAC of VERP return paths */
#define KEY_ID_MAX 255
#define KEYFILE_MAX (256 * 1024)                      /* 255 keys need about 12 KiB */
#define KEYFILE_HEADER "# optin-milter token keys: the first signs, all verify (optinctl keygen)"

_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == 32, "32-byte AEAD key");
_Static_assert(sizeof(KDF_CONTEXT) - 1 == crypto_kdf_CONTEXTBYTES, "8-byte KDF context");

struct token_key {
    unsigned char id;
    unsigned char enc[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
    unsigned char nonce[crypto_generichash_KEYBYTES];
    unsigned char verp[crypto_generichash_KEYBYTES];
};

struct token_keys {
    size_t count;                          /* key[0] signs */
    struct token_key key[KEY_ID_MAX];
};

/* The text of a key file and what fstat said of it. */
struct key_text {
    char *buf;                             /* sodium_malloc'd, NUL-terminated */
    size_t len;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

/* fail - format err and return rc */
__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errsz, int rc, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errsz > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* text_free - wipe and release a key file's text */
static void text_free(struct key_text *kt)
{
    if (kt->buf != NULL)
        sodium_free(kt->buf);        /* sodium_free zeroes before unmapping */
    kt->buf = NULL;
}

/* read_all - read up to max octets from fd; the count, or -errno */
static ssize_t read_all(int fd, char *buf, size_t max)
{
    size_t got = 0;

    while (got < max) {
        ssize_t n = read(fd, buf + got, max - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        got += (size_t) n;
    }
    return (ssize_t) got;
}

/* text_read - the whole key file in locked memory, after the type and mode checks */
static int text_read(const char *path, struct key_text *kt, char *err, size_t errsz)
{
    struct stat st;
    ssize_t n;
    int fd, rc;

    kt->buf = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
        return fail(err, errsz, -errno, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = fail(err, errsz, -errno, "%s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = fail(err, errsz, OPTIN_EKEYFILE, "%s: not a regular file", path);
    } else if (st.st_mode & 077) {
        rc = fail(err, errsz, OPTIN_EKEYFILE,
                  "%s: mode %04o: must not be accessible by group or others (chmod 600)",
                  path, (unsigned) (st.st_mode & 07777));
    } else if (st.st_size > KEYFILE_MAX) {
        rc = fail(err, errsz, OPTIN_EKEYFILE, "%s: larger than %d octets: not a key file",
                  path, KEYFILE_MAX);
    } else if ((kt->buf = sodium_malloc((size_t) st.st_size + 1)) == NULL) {
        rc = fail(err, errsz, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
    } else if ((n = read_all(fd, kt->buf, (size_t) st.st_size + 1)) < 0) {
        rc = fail(err, errsz, (int) n, "%s: %s", path, strerror((int) -n));
    } else if (n > st.st_size) {
        rc = fail(err, errsz, -EAGAIN, "%s: changed while being read: try again", path);
    } else {
        kt->buf[n] = '\0';
        kt->len = (size_t) n;
        kt->mode = st.st_mode & 07777;
        kt->uid = st.st_uid;
        kt->gid = st.st_gid;
        rc = 0;
    }
    close(fd);
    if (rc != 0)
        text_free(kt);
    return rc;
}

/* parse_id - the decimal key id (1..255) at the start of s, advancing *used; 0 with why if none */
static int parse_id(const char *s, size_t len, size_t *used, char *why, size_t whysz)
{
    long v = 0;
    size_t n = 0;

    while (n < len && s[n] >= '0' && s[n] <= '9') {
        if (n < 4)
            v = v * 10 + (s[n] - '0');
        n++;
    }
    if (n == 0 || n == len || (s[n] != ' ' && s[n] != '\t')) {
        snprintf(why, whysz, "expected \"ID BASE64KEY\" with ID a number 1..255");
        return 0;
    }
    if (n > 3 || v < 1 || v > KEY_ID_MAX) {
        snprintf(why, whysz, "key id %.*s%s out of range 1..255", (int) (n > 8 ? 8 : n), s,
                 n > 8 ? "..." : "");
        return 0;
    }
    *used = n;
    return (int) v;
}

/*
 * parse_line - one key file line of len octets (no newline): 0 for a blank or comment
 * line, the id with master filled for a key line, -1 with why for anything else.
 */
static int parse_line(const char *p, size_t len, unsigned char master[KEY_BYTES],
                      char *why, size_t whysz)
{
    unsigned char raw[2 * KEY_BYTES];
    const char *end;
    size_t rawlen, used;
    int id;

    if (memchr(p, '\0', len) != NULL) {
        snprintf(why, whysz, "NUL byte in line");
        return -1;
    }
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
        len--;
    for (; len > 0 && (*p == ' ' || *p == '\t'); len--)
        p++;
    if (len == 0 || *p == '#')
        return 0;
    if ((id = parse_id(p, len, &used, why, whysz)) == 0)
        return -1;
    for (p += used, len -= used; len > 0 && (*p == ' ' || *p == '\t'); len--)
        p++;
    if (sodium_base642bin(raw, sizeof(raw), p, len, NULL, &rawlen, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || end != p + len) {
        snprintf(why, whysz, "key is not standard base64 (padded) of 32 bytes");
        id = -1;
    } else if (rawlen != KEY_BYTES) {
        snprintf(why, whysz, "key is %zu bytes, expected %d", rawlen, KEY_BYTES);
        id = -1;
    } else {
        memcpy(master, raw, KEY_BYTES);
    }
    sodium_memzero(raw, sizeof(raw));
    return id;
}

/* key_derive - the two subkeys of a master key */
static void key_derive(struct token_key *k, int id, const unsigned char master[KEY_BYTES])
{
    k->id = (unsigned char) id;
    crypto_kdf_derive_from_key(k->enc, sizeof(k->enc), SUBKEY_ENCRYPT, KDF_CONTEXT, master);
    crypto_kdf_derive_from_key(k->nonce, sizeof(k->nonce), SUBKEY_NONCE, KDF_CONTEXT, master);
    crypto_kdf_derive_from_key(k->verp, sizeof(k->verp), SUBKEY_VERP, KDF_CONTEXT, master);
}

/*
 * parse_keys - every line of a key file's text into keys (in file order; keys may be NULL
 * to only validate); *max_id gets the highest id.
 */
static int parse_keys(const char *path, const struct key_text *kt, struct token_keys *keys,
                      int *max_id, char *err, size_t errsz)
{
    unsigned char master[KEY_BYTES];
    int seen[KEY_ID_MAX + 1] = {0};         /* line of each id */
    char why[128];
    const char *line = kt->buf, *nl;
    int lineno = 0, id, rc = 0;

    *max_id = 0;
    for (; line < kt->buf + kt->len && rc == 0; line = nl + 1) {
        if ((nl = memchr(line, '\n', (size_t) (kt->buf + kt->len - line))) == NULL)
            nl = kt->buf + kt->len;
        lineno++;
        if ((id = parse_line(line, (size_t) (nl - line), master, why, sizeof(why))) < 0) {
            rc = fail(err, errsz, OPTIN_EKEYFILE, "%s:%d: %s", path, lineno, why);
        } else if (id > 0 && seen[id]) {
            rc = fail(err, errsz, OPTIN_EKEYFILE, "%s:%d: duplicate key id %d (also on line %d)",
                      path, lineno, id, seen[id]);
        } else if (id > 0) {
            seen[id] = lineno;
            if (id > *max_id)
                *max_id = id;
            if (keys != NULL)
                key_derive(&keys->key[keys->count++], id, master);
        }
    }
    sodium_memzero(master, sizeof(master));
    return rc;
}

/* token_keys_free - wipe and release */
void token_keys_free(struct token_keys *keys)
{
    if (keys != NULL)
        sodium_free(keys);           /* makes the pages writable, zeroes, unmaps */
}

/* keys_alloc - an empty key set in guarded memory */
static struct token_keys *keys_alloc(void)
{
    struct token_keys *keys;

    if (sodium_init() < 0 || (keys = sodium_malloc(sizeof(*keys))) == NULL)
        return NULL;
    keys->count = 0;
    return keys;
}

/* token_keys_load - read, check and derive every key of the key file */
int token_keys_load(const char *path, struct token_keys **out, char *err, size_t errsz)
{
    struct key_text kt;
    struct token_keys *keys;
    int max_id, rc;

    *out = NULL;
    if (path == NULL)
        return fail(err, errsz, -EINVAL, "no token key file configured");
    if ((keys = keys_alloc()) == NULL)
        return fail(err, errsz, -ENOMEM, "%s: cannot initialise libsodium or lock memory", path);
    if ((rc = text_read(path, &kt, err, errsz)) != 0) {
        token_keys_free(keys);
        return rc;
    }
    rc = parse_keys(path, &kt, keys, &max_id, err, errsz);
    text_free(&kt);
    if (rc == 0 && keys->count == 0)
        rc = fail(err, errsz, OPTIN_EKEYFILE, "%s: no keys (create one with optinctl keygen)",
                  path);
    if (rc != 0) {
        token_keys_free(keys);
        return rc;
    }
    sodium_mprotect_readonly(keys);  /* read-only from here on: shared by every thread */
    *out = keys;
    return 0;
}

/* write_all - write every octet or fail with -errno */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* write_lines - the header, the new key line, then the old text without its header lines */
static int write_lines(int fd, const char *keyline, const struct key_text *old)
{
    const char *line, *end, *nl;
    int rc;

    if ((rc = write_all(fd, KEYFILE_HEADER "\n", sizeof(KEYFILE_HEADER))) != 0
        || (rc = write_all(fd, keyline, strlen(keyline))) != 0 || old == NULL)
        return rc;
    end = old->buf + old->len;
    for (line = old->buf; line < end && rc == 0; line = nl + 1) {
        if ((nl = memchr(line, '\n', (size_t) (end - line))) == NULL)
            nl = end;                /* a last line without its newline gets one */
        if ((size_t) (nl - line) == sizeof(KEYFILE_HEADER) - 1
            && memcmp(line, KEYFILE_HEADER, sizeof(KEYFILE_HEADER) - 1) == 0)
            continue;
        if ((rc = write_all(fd, line, (size_t) (nl - line))) == 0)
            rc = write_all(fd, "\n", 1);
    }
    return rc;
}

/* sync_dir - fsync the directory of path so the rename is durable */
static void sync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd;

    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int) (slash - path), path);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void) fsync(fd);            /* best effort: the new file itself is already synced */
        close(fd);
    }
}

/* tmp_owner - give the new file the old one's owner, group and mode (never a weaker mode) */
static int tmp_owner(int fd, const struct key_text *old)
{
    if (old == NULL)
        return fchmod(fd, 0600) == 0 ? 0 : -errno;
    /* as root, keep the milter user's ownership; otherwise only our own file can be rewritten */
    if (fchown(fd, old->uid, old->gid) != 0 && old->uid != geteuid())
        return -errno;
    return fchmod(fd, old->mode & 0700) == 0 ? 0 : -errno;
}

/* write_file - the new key file through PATH.tmp: create, fill, fsync, rename */
static int write_file(const char *path, const char *keyline, const struct key_text *old,
                      char *err, size_t errsz)
{
    char tmp[PATH_MAX];
    int fd, rc;

    if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return fail(err, errsz, -ENAMETOOLONG, "%s: %s", path, strerror(ENAMETOOLONG));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return fail(err, errsz, -errno, "%s: %s%s", tmp, strerror(errno),
                    errno == EEXIST ? " (left by an interrupted keygen? check and remove it)" : "");
    if ((rc = tmp_owner(fd, old)) != 0
        || (rc = write_lines(fd, keyline, old)) != 0
        || (rc = fsync(fd) == 0 ? 0 : -errno) != 0) {
        close(fd);
        unlink(tmp);
        return fail(err, errsz, rc, "%s: %s", tmp, strerror(-rc));
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
        return fail(err, errsz, rc, "%s: %s", path, strerror(-rc));
    }
    sync_dir(path);
    return 0;
}

/* token_keys_generate - a new random key with the next id, first in the (new or rewritten) file */
int token_keys_generate(const char *path, int *new_id, char *err, size_t errsz)
{
    unsigned char master[KEY_BYTES];
    char keyline[8 + sodium_base64_ENCODED_LEN(KEY_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    struct key_text kt = {0};
    int exists, max_id = 0, rc;

    *new_id = 0;
    if (path == NULL)
        return fail(err, errsz, -EINVAL, "no token key file configured");
    if (sodium_init() < 0)
        return fail(err, errsz, -ENOSYS, "%s: cannot initialise libsodium", path);
    rc = text_read(path, &kt, err, errsz);
    if (rc != 0 && rc != -ENOENT)
        return rc;
    exists = rc == 0;
    if (exists && (rc = parse_keys(path, &kt, NULL, &max_id, err, errsz)) != 0) {
        text_free(&kt);
        return rc;
    }
    if (max_id == KEY_ID_MAX) {
        text_free(&kt);
        return fail(err, errsz, OPTIN_EKEYFILE,
                    "%s: key id %d is in use and ids only grow: start a new key file "
                    "(tokens of the old one stop verifying)", path, KEY_ID_MAX);
    }
    randombytes_buf(master, sizeof(master));
    rc = snprintf(keyline, sizeof(keyline), "%d ", max_id + 1);
    sodium_bin2base64(keyline + rc, sizeof(keyline) - (size_t) rc - 1, master, sizeof(master),
                      sodium_base64_VARIANT_ORIGINAL);
    strcat(keyline, "\n");
    sodium_memzero(master, sizeof(master));
    rc = write_file(path, keyline, exists ? &kt : NULL, err, errsz);
    sodium_memzero(keyline, sizeof(keyline));
    text_free(&kt);
    if (rc == 0)
        *new_id = max_id + 1;
    return rc;
}

/* has_control - does the string hold a C0 control character or DEL? */
static int has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

/* synthetic_nonce - first 12 bytes of keyed BLAKE2b over header and plaintext */
static void synthetic_nonce(const struct token_key *k, const unsigned char *hdr,
                            const unsigned char *pt, size_t ptlen, unsigned char nonce[TOKEN_NONCE])
{
    crypto_generichash_state st;
    unsigned char h[crypto_generichash_BYTES];

    crypto_generichash_init(&st, k->nonce, sizeof(k->nonce), sizeof(h));
    crypto_generichash_update(&st, hdr, TOKEN_HDR);
    crypto_generichash_update(&st, pt, ptlen);
    crypto_generichash_final(&st, h, sizeof(h));
    memcpy(nonce, h, TOKEN_NONCE);
}

/* token_make - seal "LIST\0ADDRESS" under the signing key, as base64url */
int token_make(const struct token_keys *keys, const char *list, const char *addr,
               char out[TOKEN_BUFSZ])
{
    unsigned char pt[TOKEN_PT_MAX], bin[TOKEN_BIN_MAX];
    const struct token_key *k;
    size_t llen = strlen(list), alen = strlen(addr), ptlen;
    unsigned long long clen;

    out[0] = '\0';
    if (keys == NULL || keys->count == 0 || llen == 0 || llen > TOKEN_LIST_MAX
        || alen > ADDR_MAX_LEN || has_control(list, llen) || has_control(addr, alen))
        return -1;
    k = &keys->key[0];
    memcpy(pt, list, llen + 1);
    memcpy(pt + llen + 1, addr, alen);
    ptlen = llen + 1 + alen;
    bin[0] = TOKEN_VERSION;
    bin[1] = k->id;
    synthetic_nonce(k, bin, pt, ptlen, bin + TOKEN_HDR);
    crypto_aead_chacha20poly1305_ietf_encrypt(bin + TOKEN_HDR + TOKEN_NONCE, &clen, pt, ptlen,
                                              bin, TOKEN_HDR, NULL, bin + TOKEN_HDR, k->enc);
    sodium_bin2base64(out, TOKEN_BUFSZ, bin, TOKEN_HDR + TOKEN_NONCE + (size_t) clen, B64URL);
    return 0;
}

/* find_key - the key with that id, or NULL */
static const struct token_key *find_key(const struct token_keys *keys, unsigned char id)
{
    for (size_t i = 0; i < keys->count; i++)
        if (keys->key[i].id == id)
            return &keys->key[i];
    return NULL;
}

/* decode - base64url text to token bytes after the length and alphabet checks; length or 0 */
static size_t decode(const char *token, size_t len, unsigned char bin[TOKEN_BIN_MAX])
{
    const char *end;
    size_t binlen;

    if (len < sodium_base64_ENCODED_LEN(TOKEN_BIN_MIN, B64URL) - 1
        || len > sodium_base64_ENCODED_LEN(TOKEN_BIN_MAX, B64URL) - 1)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = token[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '-' || c == '_'))
            return 0;
    }
    /* libsodium also refuses a last character with stray low bits: one text per token */
    if (sodium_base642bin(bin, TOKEN_BIN_MAX, token, len, NULL, &binlen, &end, B64URL) != 0
        || end != token + len || binlen < TOKEN_BIN_MIN)
        return 0;
    return binlen;
}

/* token_open - verify in constant time and decode; 0 or OPTIN_ETOKEN* */
int token_open(const struct token_keys *keys, const char *token, size_t len,
               char list[LIST_ID_BUFSZ], char addr[ADDR_BUFSZ])
{
    unsigned char bin[TOKEN_BIN_MAX], pt[TOKEN_PT_MAX];
    const struct token_key *k;
    const unsigned char *nul;
    unsigned long long ptlen;
    size_t binlen, llen, alen;

    list[0] = addr[0] = '\0';
    if ((binlen = decode(token, len, bin)) == 0 || bin[0] != TOKEN_VERSION)
        return OPTIN_ETOKENMALFORMED;
    if (keys == NULL || (k = find_key(keys, bin[1])) == NULL)
        return OPTIN_ETOKENKEY;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, &ptlen, NULL,
                                                  bin + TOKEN_HDR + TOKEN_NONCE,
                                                  binlen - TOKEN_HDR - TOKEN_NONCE,
                                                  bin, TOKEN_HDR, bin + TOKEN_HDR, k->enc) != 0)
        return OPTIN_ETOKENFORGED;
    /* authentic, so made by us: the checks below only guard against our own old bugs */
    if ((nul = memchr(pt, '\0', (size_t) ptlen)) == NULL)
        return OPTIN_ETOKENMALFORMED;
    llen = (size_t) (nul - pt);
    alen = (size_t) ptlen - llen - 1;
    if (llen == 0 || llen > TOKEN_LIST_MAX || alen > ADDR_MAX_LEN
        || has_control((const char *) pt, llen)                /* a NUL counts as control */
        || has_control((const char *) nul + 1, alen))
        return OPTIN_ETOKENMALFORMED;
    memcpy(list, pt, llen);
    list[llen] = '\0';
    memcpy(addr, nul + 1, alen);
    addr[alen] = '\0';
    return 0;
}

/* token_keys_mac - a MAC of data with the VERP subkey of key id (0: the signing key) */
int token_keys_mac(const struct token_keys *keys, int id, const void *data, size_t len,
                   unsigned char *out, size_t outlen, int *used_id)
{
    const struct token_key *k = NULL;

    if (keys == NULL || keys->count == 0 || outlen < crypto_generichash_BYTES_MIN
        || outlen > crypto_generichash_BYTES_MAX)
        return -1;
    for (size_t i = 0; i < keys->count && k == NULL; i++)
        if (id == 0 ? i == 0 : keys->key[i].id == id)
            k = &keys->key[i];
    if (k == NULL)
        return OPTIN_ETOKENKEY;
    crypto_generichash(out, outlen, data, len, k->verp, sizeof(k->verp));
    if (used_id)
        *used_id = k->id;
    return 0;
}
