/*
 * NAME
 *	test_token 1
 * SUMMARY
 *	TAP unit test for policy/unsubscribe/token.c
 * SYNOPSIS
 *	tests/test_token
 * DESCRIPTION
 *	Works in a private mkdtemp() directory, removed at the end. Most
 *	points use key files with fixed keys (bytes 0..31, or 32..63 for a
 *	foreign key with the same id), so every token and every outcome is
 *	the same on each run; token_keys_generate() is checked for its
 *	mode, ids and rotation, which do not depend on the random key.
 *	Covers round trips (ASCII, IDN A-label, SMTPUTF8 local part,
 *	list-level), determinism, opacity, every single-bit flip of the
 *	token bytes, truncation and extension, splicing and XOR-moving a
 *	token to another address, a foreign key, rotation and retirement,
 *	each key file error with its FILE:LINE, and the longest token.
 * DIAGNOSTICS
 *	TAP on standard output; failing points are followed by comment
 *	lines with what was obtained.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "unsubscribe/token.h"

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define BIN_MAX 512

static char dir[] = "/tmp/test_token.XXXXXX";

/* path_of - a file in the test directory (one of four rotating buffers) */
static const char *path_of(const char *name)
{
    static char bufs[4][256];
    static int next;
    char *p = bufs[next++ % 4];

    snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
    return p;
}

/* write_file - create name with text and mode; its path */
static const char *write_file(const char *name, const char *text, mode_t mode)
{
    const char *path = path_of(name);
    FILE *fp;

    unlink(path);
    if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF || fclose(fp) != 0
        || chmod(path, mode) != 0)
        printf("# cannot write %s: %s\n", path, strerror(errno));
    return path;
}

/* key_line - "ID BASE64" of the 32 bytes first, first+1, ... with a newline */
static const char *key_line(int id, int first)
{
    static char bufs[4][80];
    static int next;
    char *p = bufs[next++ % 4];
    unsigned char key[32];
    int n;

    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char) (first + i);
    n = snprintf(p, sizeof(bufs[0]), "%d ", id);
    sodium_bin2base64(p + n, sizeof(bufs[0]) - (size_t) n - 1, key, sizeof(key),
                      sodium_base64_VARIANT_ORIGINAL);
    strcat(p, "\n");
    return p;
}

/* load - token_keys_load that must succeed (NULL and a comment if not) */
static struct token_keys *load(const char *path)
{
    struct token_keys *keys;
    char err[512];

    if (token_keys_load(path, &keys, err, sizeof(err)) != 0) {
        printf("# load %s: %s\n", path, err);
        return NULL;
    }
    return keys;
}

/* to_bin - decode a token text to its bytes; their count */
static size_t to_bin(const char *text, unsigned char *bin)
{
    size_t len = 0;

    if (sodium_base642bin(bin, BIN_MAX, text, strlen(text), NULL, &len, NULL, B64URL) != 0)
        return 0;
    return len;
}

/* open_bin - token_open of raw bytes, encoded as base64url first */
static int open_bin(const struct token_keys *keys, const unsigned char *bin, size_t len)
{
    char text[2 * BIN_MAX], list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ];

    sodium_bin2base64(text, sizeof(text), bin, len, B64URL);
    return token_open(keys, text, strlen(text), list, addr);
}

/* round_trip - make then open gives back list and address */
static void round_trip(const struct token_keys *keys, const char *list, const char *addr,
                       const char *what)
{
    char tok[TOKEN_BUFSZ], l[LIST_ID_BUFSZ], a[ADDR_BUFSZ];
    int made = token_make(keys, list, addr, tok), rc = -1;

    if (made == 0)
        rc = token_open(keys, tok, strlen(tok), l, a);
    if (!ok(made == 0 && rc == 0 && strcmp(l, list) == 0 && strcmp(a, addr) == 0,
            "round trip: %s", what))
        printf("#   make %d open %d (%s) list \"%s\" addr \"%s\"\n", made, rc,
               optin_strerror(rc), made == 0 ? l : "", made == 0 ? a : "");
}

/* test_round_trips - every kind of address, and the token's look */
static void test_round_trips(const struct token_keys *keys)
{
    char tok[TOKEN_BUFSZ], tok2[TOKEN_BUFSZ];
    unsigned char bin[BIN_MAX];

    round_trip(keys, "news", "user@example.com", "ASCII address");
    round_trip(keys, "news", "user@xn--r8jz45g.jp", "IDN domain as A-label");
    round_trip(keys, "news", "\xe3\x82\x86\xe3\x83\xbc\xe3\x81\x96@example.jp",
               "SMTPUTF8 local part");
    round_trip(keys, "news", "", "list-level token (no address)");
    round_trip(keys, "x", "a@b", "one-octet list");
    token_make(keys, "news", "user@example.com", tok);
    ok(tok[0] == 'A', "version 1 makes the text start with 'A' (never '-')");
    ok(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
       == strlen(tok), "text is base64url without padding");
    ok(to_bin(tok, bin) == 2 + 12 + strlen("news") + 1 + strlen("user@example.com") + 16,
       "bytes: version, id, 12-byte nonce, plaintext length, 16-byte tag");
    ok(bin[0] == 1 && bin[1] == 1, "version 1, key id 1");
    token_make(keys, "news", "firstname.lastname@gmx.de", tok2);    /* 25 octets */
    printf("# typical token (list \"news\", 25-octet address): %zu characters\n", strlen(tok2));
    token_make(keys, "newsletter-weekly", "firstname.lastname@gmx.de", tok2);
    printf("# with a 17-octet list id: %zu characters\n", strlen(tok2));
}

/* test_determinism - same input, same token; any change, another token */
static void test_determinism(const struct token_keys *keys)
{
    char a[TOKEN_BUFSZ], b[TOKEN_BUFSZ], c[TOKEN_BUFSZ], d[TOKEN_BUFSZ];

    token_make(keys, "news", "user@example.com", a);
    token_make(keys, "news", "user@example.com", b);
    token_make(keys, "news", "usex@example.com", c);
    token_make(keys, "offers", "user@example.com", d);
    ok(strcmp(a, b) == 0, "deterministic: same list and address give the same token");
    ok(strcmp(a, c) != 0, "another address gives another token");
    ok(strcmp(a, d) != 0, "another list gives another token");
    ok(memcmp(a + 3, c + 3, 16) != 0, "one changed address octet changes the nonce too");
}

/* test_opacity - neither list nor address (nor their parts) show in text or bytes */
static void test_opacity(const struct token_keys *keys)
{
    static const char *const parts[] = {"newsletter-weekly", "john.doe", "mail.example",
                                        "john.doe.1984@mail.example"};
    char tok[TOKEN_BUFSZ];
    unsigned char bin[BIN_MAX];
    size_t len;
    int clear = 1;

    token_make(keys, "newsletter-weekly", "john.doe.1984@mail.example", tok);
    len = to_bin(tok, bin);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (strstr(tok, parts[i]) != NULL || memmem(bin, len, parts[i], strlen(parts[i])))
            clear = 0;
        if (!clear)
            printf("#   \"%s\" visible\n", parts[i]);
    }
    ok(clear, "opaque: list, address and their parts appear neither in text nor in bytes");
}

/* test_bit_flips - every single-bit flip of every byte is refused, with the right code */
static void test_bit_flips(const struct token_keys *keys)
{
    char tok[TOKEN_BUFSZ];
    unsigned char bin[BIN_MAX];
    size_t len, bad = 0, tried = 0;

    token_make(keys, "news", "user@example.com", tok);
    len = to_bin(tok, bin);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            int want = i == 0 ? OPTIN_ETOKENMALFORMED : i == 1 ? OPTIN_ETOKENKEY : OPTIN_ETOKENFORGED;
            int rc;

            bin[i] ^= (unsigned char) (1u << bit);
            rc = open_bin(keys, bin, len);
            bin[i] ^= (unsigned char) (1u << bit);
            tried++;
            if (rc != want && bad++ < 5)
                printf("#   byte %zu bit %d: got %d, want %d\n", i, bit, rc, want);
        }
    }
    ok(bad == 0 && tried == len * 8, "all %zu single-bit flips refused (version: malformed, "
       "key id: unknown key, nonce/ciphertext/tag: forged)", tried);
    ok(open_bin(keys, bin, len) == 0, "the unflipped bytes still open");
}

/* test_lengths - truncated, extended and non-base64url texts */
static void test_lengths(const struct token_keys *keys)
{
    char tok[TOKEN_BUFSZ], txt[TOKEN_BUFSZ + 8], l[LIST_ID_BUFSZ], a[ADDR_BUFSZ];
    unsigned char bin[BIN_MAX];
    size_t len, n, bad = 0;

    token_make(keys, "news", "user@example.com", tok);
    n = strlen(tok);
    for (size_t cut = 0; cut < n; cut++)
        if (token_open(keys, tok, cut, l, a) == 0)
            bad++;
    ok(bad == 0, "every truncation of the text (0..%zu characters) is refused", n - 1);
    len = to_bin(tok, bin);
    ok(open_bin(keys, bin, len - 1) == OPTIN_ETOKENFORGED, "one byte cut from the tag: forged");
    bin[len] = 0;
    ok(open_bin(keys, bin, len + 1) == OPTIN_ETOKENFORGED, "one byte appended: forged");
    snprintf(txt, sizeof(txt), "%sA", tok);
    ok(token_open(keys, txt, strlen(txt), l, a) != 0, "one character appended: refused");
    snprintf(txt, sizeof(txt), "%s=", tok);
    ok(token_open(keys, txt, strlen(txt), l, a) == OPTIN_ETOKENMALFORMED, "padding '=': malformed");
    memcpy(txt, tok, n + 1);
    txt[5] = '+';
    ok(token_open(keys, txt, n, l, a) == OPTIN_ETOKENMALFORMED, "standard base64 '+': malformed");
    txt[5] = '\0';
    ok(token_open(keys, txt, n, l, a) == OPTIN_ETOKENMALFORMED, "NUL inside the length: malformed");
    memset(txt, 'A', TOKEN_BUFSZ);
    ok(token_open(keys, txt, TOKEN_BUFSZ, l, a) == OPTIN_ETOKENMALFORMED, "TOKEN_BUFSZ characters: "
       "malformed");
    ok(token_open(keys, "", 0, l, a) == OPTIN_ETOKENMALFORMED && l[0] == 0 && a[0] == 0,
       "empty token: malformed, outputs empty");
    bin[0] = 2;
    ok(open_bin(keys, bin, len) == OPTIN_ETOKENMALFORMED, "version 2: malformed");
}

/* test_moving - a token cannot be moved to another address or spliced */
static void test_moving(const struct token_keys *keys)
{
    const char *from = "alice@example.com", *to = "mally@example.com";   /* same length */
    char ta[TOKEN_BUFSZ], tb[TOKEN_BUFSZ];
    unsigned char a[BIN_MAX], b[BIN_MAX], x[BIN_MAX];
    size_t len, off = 2 + 12 + strlen("news") + 1;     /* address in the ciphertext */

    token_make(keys, "news", from, ta);
    token_make(keys, "news", to, tb);
    len = to_bin(ta, a);
    ok(to_bin(tb, b) == len, "two same-length addresses give same-length tokens");
    /* ChaCha20 is a stream cipher: knowing the address, flip it to another */
    memcpy(x, a, len);
    for (size_t i = 0; i < strlen(from); i++)
        x[off + i] ^= (unsigned char) (from[i] ^ to[i]);
    ok(open_bin(keys, x, len) == OPTIN_ETOKENFORGED, "address rewritten in the ciphertext: forged");
    memcpy(x, a, 14);
    memcpy(x + 14, b + 14, len - 14);
    ok(open_bin(keys, x, len) == OPTIN_ETOKENFORGED, "A's nonce with B's ciphertext and tag: forged");
    memcpy(x, b, len - 16);
    memcpy(x + len - 16, a + len - 16, 16);
    ok(open_bin(keys, x, len) == OPTIN_ETOKENFORGED, "B's ciphertext with A's tag: forged");
}

/* test_foreign - a token from another key file with the same id is forged */
static void test_foreign(const struct token_keys *keys)
{
    struct token_keys *other = load(write_file("foreign", key_line(1, 32), 0600));
    char tok[TOKEN_BUFSZ], l[LIST_ID_BUFSZ], a[ADDR_BUFSZ];

    if (!ok(other != NULL, "foreign key file (same id 1, other key) loads"))
        return;
    token_make(other, "news", "user@example.com", tok);
    ok(token_open(keys, tok, strlen(tok), l, a) == OPTIN_ETOKENFORGED,
       "token of a foreign key with the same id: forged");
    ok(token_open(other, tok, strlen(tok), l, a) == 0, "it opens with its own key");
    token_keys_free(other);
}

/* drop_key1 - the key file without the line of key 1 */
static const char *drop_key1(const char *from, const char *name)
{
    char text[4096] = "", line[256];
    FILE *fp = fopen(from, "r");

    while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
        if (strncmp(line, "1 ", 2) != 0)
            strncat(text, line, sizeof(text) - strlen(text) - 1);
    if (fp != NULL)
        fclose(fp);
    return write_file(name, text, 0600);
}

/* count_lines - lines of a file equal to text (with its newline) */
static int count_lines(const char *path, const char *text)
{
    char line[256];
    FILE *fp = fopen(path, "r");
    int n = 0;

    while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
        n += strcmp(line, text) == 0;
    if (fp != NULL)
        fclose(fp);
    return n;
}

/* test_rotation - a second key signs, the first still verifies until its line goes */
static void test_rotation(void)
{
    struct token_keys *keys;
    char t1[TOKEN_BUFSZ], t3[TOKEN_BUFSZ], err[512], l[LIST_ID_BUFSZ], a[ADDR_BUFSZ];
    unsigned char bin[BIN_MAX];
    const char *rot;
    int id2 = 0, id3 = 0, rc2, rc3;

    snprintf(err, sizeof(err), "# ours\n%s", key_line(1, 0));
    rot = write_file("rot", err, 0600);
    if ((keys = load(rot)) == NULL)
        return;
    token_make(keys, "news", "user@example.com", t1);
    token_keys_free(keys);
    rc2 = token_keys_generate(rot, &id2, err, sizeof(err));
    ok(rc2 == 0 && id2 == 2, "keygen on a file with key 1 adds key 2 (got %d)", id2);
    rc3 = token_keys_generate(rot, &id3, err, sizeof(err));
    ok(rc3 == 0 && id3 == 3, "again: key 3 (got %d)", id3);
    ok(count_lines(rot, "# optin-milter token keys: the first signs, all verify (optinctl keygen)\n")
       == 1 && count_lines(rot, "# ours\n") == 1 && count_lines(rot, key_line(1, 0)) == 1,
       "one header line, the old comment and key 1 kept as they were");
    if ((keys = load(rot)) == NULL)
        return;
    token_make(keys, "news", "user@example.com", t3);
    ok(to_bin(t3, bin) > 2 && bin[1] == 3, "new tokens carry key id 3");
    ok(token_open(keys, t1, strlen(t1), l, a) == 0 && strcmp(a, "user@example.com") == 0,
       "tokens of key 1 still open after rotation");
    ok(strcmp(t1, t3) != 0, "the same recipient gets a new token under the new key");
    token_keys_free(keys);
    if ((keys = load(drop_key1(rot, "rot2"))) == NULL)
        return;
    ok(token_open(keys, t1, strlen(t1), l, a) == OPTIN_ETOKENKEY,
       "key 1 removed from the file: its tokens give unknown key");
    ok(token_open(keys, t3, strlen(t3), l, a) == 0, "key 3 tokens still open");
    token_keys_free(keys);
}

/* file_mode - permission bits of a file, or -1 */
static int file_mode(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (int) (st.st_mode & 07777) : -1;
}

/* test_generate - create, modes, refusals */
static void test_generate(void)
{
    const char *gen = path_of("gen"), *p;
    struct token_keys *keys;
    char err[512], want[512];
    int id = -1, rc;
    mode_t old = umask(0277);                  /* O_CREAT alone would give 0400 */

    rc = token_keys_generate(gen, &id, err, sizeof(err));
    umask(old);
    ok(rc == 0 && id == 1, "keygen creates a missing file with key 1 (rc %d: %s)", rc,
       rc ? err : "");
    ok(file_mode(gen) == 0600, "created mode 0600 whatever the umask (got %04o)",
       (unsigned) file_mode(gen));
    ok(access(path_of("gen.tmp"), F_OK) != 0, "no .tmp file left behind");
    keys = load(gen);
    ok(keys != NULL, "the new file loads");
    token_keys_free(keys);
    chmod(gen, 0400);
    ok(token_keys_generate(gen, &id, err, sizeof(err)) == 0 && id == 2 && file_mode(gen) == 0400,
       "keygen keeps a stricter 0400 (never weakens the mode)");
    p = write_file("open", key_line(1, 0), 0644);
    snprintf(want, sizeof(want), "%s: mode 0644: must not be accessible by group or others "
             "(chmod 600)", p);
    rc = token_keys_generate(p, &id, err, sizeof(err));
    ok(rc == OPTIN_EKEYFILE && strcmp(err, want) == 0 && file_mode(p) == 0644,
       "keygen refuses a 0644 file and leaves it alone");
    p = write_file("stale", key_line(1, 0), 0600);
    write_file("stale.tmp", "", 0600);
    rc = token_keys_generate(p, &id, err, sizeof(err));
    ok(rc == -EEXIST && strstr(err, "stale.tmp") && count_lines(p, key_line(1, 0)) == 1,
       "keygen refuses to reuse a stale FILE.tmp (%s)", err);
    p = write_file("full", key_line(255, 0), 0600);
    rc = token_keys_generate(p, &id, err, sizeof(err));
    ok(rc == OPTIN_EKEYFILE && strstr(err, "255"), "keygen refuses when id 255 is taken (%s)",
       err);
    p = write_file("badgen", "# x\n1 nope\n", 0600);
    snprintf(want, sizeof(want), "%s:2: ", p);
    rc = token_keys_generate(p, &id, err, sizeof(err));
    ok(rc == OPTIN_EKEYFILE && strncmp(err, want, strlen(want)) == 0,
       "keygen validates the existing file (%s)", err);
    rc = token_keys_generate(path_of("nodir/keys"), &id, err, sizeof(err));
    ok(rc == -ENOENT, "keygen in a missing directory: -ENOENT (%s)", err);
}

/* bad_file - a key file that must be refused at line; the message starts with "FILE:LINE: " */
static void bad_file(const char *text, int line, const char *what)
{
    const char *p = write_file("bad", text, 0600);
    struct token_keys *keys = NULL;
    char err[512] = "", want[300];
    int rc = token_keys_load(p, &keys, err, sizeof(err));

    snprintf(want, sizeof(want), "%s:%d: ", p, line);
    if (!ok(rc == OPTIN_EKEYFILE && keys == NULL && strncmp(err, want, strlen(want)) == 0,
            "refused with FILE:%d: %s", line, what))
        printf("#   rc %d err \"%s\"\n", rc, err);
    else
        printf("#   %s\n", err + strlen(dir) + 1);
}

/* test_bad_files - every key file error, with its place */
static void test_bad_files(void)
{
    char text[512], err[512], want[512];
    struct token_keys *keys = NULL;
    const char *p;
    int rc;

    bad_file("abc AAAA\n", 1, "id not a number");
    bad_file("# c\n\n0 AAAA\n", 3, "id 0");
    bad_file("256 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 1, "id 256");
    bad_file("1000000000000 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 1, "huge id");
    bad_file("1AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 1, "no blank after the id");
    bad_file("1\n", 1, "id without key");
    bad_file("1 !!!!AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", 1, "bad base64");
    bad_file("1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", 1, "unpadded base64");
    bad_file("1 AAECAwQFBgcICQoLDA0ODw==\n", 1, "16-byte key");
    bad_file("1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\n", 1,
             "48-byte key");
    bad_file("1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= extra\n", 1, "trailing word");
    snprintf(text, sizeof(text), "%s%s# c\n%s", key_line(1, 0), key_line(2, 32), key_line(1, 64));
    bad_file(text, 4, "duplicate id");
    p = write_file("bad", "# only comments\n\n", 0600);
    rc = token_keys_load(p, &keys, err, sizeof(err));
    ok(rc == OPTIN_EKEYFILE && strstr(err, "no keys"), "a file without keys is refused (%s)",
       err);
    p = write_file("bad", key_line(1, 0), 0644);
    snprintf(want, sizeof(want), "%s: mode 0644: must not be accessible by group or others "
             "(chmod 600)", p);
    ok(token_keys_load(p, &keys, err, sizeof(err)) == OPTIN_EKEYFILE && strcmp(err, want) == 0,
       "mode 0644 refused with the chmod hint");
    p = write_file("bad", key_line(1, 0), 0640);
    ok(token_keys_load(p, &keys, err, sizeof(err)) == OPTIN_EKEYFILE, "mode 0640 refused");
    ok(token_keys_load(path_of("missing"), &keys, err, sizeof(err)) == -ENOENT
       && strstr(err, "missing") != NULL, "a missing file: -ENOENT naming it");
    snprintf(text, sizeof(text), "  # indented comment\r\n\t%.*s \t\r\n", 46, key_line(7, 0));
    p = write_file("bad", text, 0600);
    keys = load(p);
    ok(keys != NULL, "CRLF, indentation and trailing blanks are accepted");
    token_keys_free(keys);
}

/* test_limits - the longest list and address fit TOKEN_BUFSZ; longer ones are refused */
static void test_limits(const struct token_keys *keys)
{
    char list[80], addr[300], tok[TOKEN_BUFSZ], l[LIST_ID_BUFSZ], a[ADDR_BUFSZ];
    int rc;

    memset(list, 'L', LIST_ID_MAX);
    list[LIST_ID_MAX] = '\0';
    snprintf(addr, sizeof(addr), "%.64s@%.63s.%.63s.%.61s",
             "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
             "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
    ok(strlen(addr) == ADDR_MAX_LEN, "test address is %zu octets", strlen(addr));
    rc = token_make(keys, list, addr, tok);
    ok(rc == 0 && strlen(tok) < TOKEN_BUFSZ,
       "63-octet list + 254-octet address: %zu characters < TOKEN_BUFSZ %d", strlen(tok),
       TOKEN_BUFSZ);
    ok(token_open(keys, tok, strlen(tok), l, a) == 0 && strcmp(l, list) == 0
       && strcmp(a, addr) == 0, "the longest token opens");
    strcat(list, "L");
    ok(token_make(keys, list, "a@b", tok) == -1 && tok[0] == '\0', "64-octet list refused");
    strcat(addr, "c");
    ok(token_make(keys, "news", addr, tok) == -1, "255-octet address refused");
    ok(token_make(keys, "", "a@b", tok) == -1, "empty list refused");
    ok(token_make(keys, "news", "a\r\n@b", tok) == -1, "control characters refused");
    ok(token_make(NULL, "news", "a@b", tok) == -1, "no keys: refused");
}

/* test_strerror - a distinct text per code */
static void test_strerror(void)
{
    ok(strcmp(optin_strerror(OPTIN_ETOKENMALFORMED), optin_strerror(OPTIN_ETOKENFORGED)) != 0
       && strcmp(optin_strerror(OPTIN_ETOKENKEY), optin_strerror(OPTIN_ETOKENFORGED)) != 0
       && strcmp(optin_strerror(OPTIN_ETOKENMALFORMED), optin_strerror(OPTIN_ETOKENKEY)) != 0
       && optin_strerror(99) != NULL, "optin_strerror: one text per code");
}

/* cleanup - remove every file the test made, then the directory */
static void cleanup(void)
{
    static const char *const names[] = {"fixed", "foreign", "rot", "rot2", "gen", "open",
                                        "stale", "stale.tmp", "full", "badgen", "bad"};

    int rc;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(path_of(names[i]));
    rc = rmdir(dir);
    ok(rc == 0, "temporary directory removed%s%s", rc ? ": " : "", rc ? strerror(errno) : "");
}

/* main - fixed keys for tokens, generated ones for keygen */
int main(void)
{
    struct token_keys *keys;

    if (sodium_init() < 0 || mkdtemp(dir) == NULL) {
        printf("Bail out! sodium_init or mkdtemp failed\n");
        return 1;
    }
    if ((keys = load(write_file("fixed", key_line(1, 0), 0600))) == NULL) {
        printf("Bail out! fixed key file does not load\n");
        return 1;
    }
    test_round_trips(keys);
    test_determinism(keys);
    test_opacity(keys);
    test_bit_flips(keys);
    test_lengths(keys);
    test_moving(keys);
    test_foreign(keys);
    test_limits(keys);
    token_keys_free(keys);
    test_rotation();
    test_generate();
    test_bad_files();
    test_strerror();
    cleanup();
    return tap_done();
}
