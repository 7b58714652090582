/*
 * NAME
 *	test_verp - TAP tests of signed VERP return paths (policy/unsubscribe/verp.c)
 * DESCRIPTION
 *	Key files are made with token_keys_generate in a private temporary folder, removed at
 *	the end. A tag must verify for its own list and address only, in either case, under
 *	any key still in the file, and every forgery must fail.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status.h"
#include "tap.h"
#include "unsubscribe/verp.h"

static char dir[] = "/tmp/optin-test-verp.XXXXXX";

/* keys_at - a key file in the folder with n keys (the newest signs), loaded */
static struct token_keys *keys_at(const char *name, int n)
{
    char path[256], err[512];
    struct token_keys *keys = NULL;
    int id;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    for (int i = 0; i < n; i++)
        if (token_keys_generate(path, &id, err, sizeof(err)) != 0)
            printf("# keygen: %s\n", err);
    if (token_keys_load(path, &keys, err, sizeof(err)) != 0)
        printf("# load: %s\n", err);
    return keys;
}

/* test_tags - made, verified, bound to list and address */
static void test_tags(struct token_keys *keys, struct token_keys *other)
{
    char tag[VERP_TAG_BUFSZ], again[VERP_TAG_BUFSZ], upper[VERP_TAG_BUFSZ], flip[VERP_TAG_BUFSZ];
    int forged = 0;

    ok(verp_tag_make(keys, "news", "ann@example.org", tag) == 0 && strlen(tag) == VERP_TAG_LEN
       && strspn(tag, "abcdefghijklmnopqrstuvwxyz234567") == VERP_TAG_LEN,
       "a tag: 24 lower-case base32 characters (%s)", tag);
    ok(strstr(tag, "ann") == NULL, "the address is not in it");
    verp_tag_make(keys, "news", "ann@example.org", again);
    ok(strcmp(tag, again) == 0, "deterministic: the same list and address give the same tag");
    ok(verp_tag_verify(keys, tag, "news", "ann@example.org") == 0, "it verifies");
    for (size_t i = 0; i <= VERP_TAG_LEN; i++)
        upper[i] = (char) toupper((unsigned char) tag[i]);
    ok(verp_tag_verify(keys, upper, "news", "ann@example.org") == 0,
       "upper-cased by an MTA: still verifies");
    ok(verp_tag_verify(keys, tag, "news", "bob@example.org") == OPTIN_ETOKENFORGED,
       "moved to another address: forged");
    ok(verp_tag_verify(keys, tag, "offers", "ann@example.org") == OPTIN_ETOKENFORGED,
       "moved to another list: forged");
    ok(verp_tag_list_is(tag, "news") && !verp_tag_list_is(tag, "offers"), "it names its list");
    ok(verp_tag_verify(other, tag, "news", "ann@example.org") != 0, "another key file: refused");
    for (size_t i = 1; i < VERP_TAG_LEN; i++)
        for (int bit = 0; bit < 5; bit++) {
            const char *alpha = "abcdefghijklmnopqrstuvwxyz234567";
            size_t v = (size_t) (strchr(alpha, tag[i]) - alpha) ^ (1u << bit);

            memcpy(flip, tag, sizeof(flip));
            flip[i] = alpha[v];
            forged += verp_tag_verify(keys, flip, "news", "ann@example.org") != 0;
        }
    ok(forged == (VERP_TAG_LEN - 1) * 5, "every one-bit change after the key id is refused (%d)", forged);
    ok(verp_tag_verify(keys, "short", "news", "ann@example.org") == OPTIN_ETOKENMALFORMED
       && verp_tag_verify(keys, "aaaaaaaaaaaaaaaaaaaaaaa!", "news", "x@y") == OPTIN_ETOKENMALFORMED
       && verp_tag_verify(keys, "aaaaaaaaaaaaaaaaaaaaaaaa", "news", "x@y") == OPTIN_ETOKENMALFORMED,
       "malformed: short, a foreign character, key id 0");
    ok(verp_tag_make(keys, "", "ann@example.org", tag) == -1
       && verp_tag_make(NULL, "news", "ann@example.org", tag) == -1, "no list or no keys: none");
}

/* test_rotation - a new signing key: old tags verify while their key is in the file */
static void test_rotation(void)
{
    char path[256], err[512], tag1[VERP_TAG_BUFSZ], tag2[VERP_TAG_BUFSZ];
    struct token_keys *keys = keys_at("rot", 1), *rotated;
    int id;

    verp_tag_make(keys, "news", "ann@example.org", tag1);
    snprintf(path, sizeof(path), "%s/rot", dir);
    token_keys_generate(path, &id, err, sizeof(err));
    token_keys_load(path, &rotated, err, sizeof(err));
    verp_tag_make(rotated, "news", "ann@example.org", tag2);
    ok(strcmp(tag1, tag2) != 0, "the new key makes another tag");
    ok(verp_tag_verify(rotated, tag1, "news", "ann@example.org") == 0
       && verp_tag_verify(rotated, tag2, "news", "ann@example.org") == 0,
       "old and new tags verify after rotation");
    ok(verp_tag_verify(keys, tag2, "news", "ann@example.org") == OPTIN_ETOKENKEY,
       "a tag of a key the file does not hold: unknown key");
    token_keys_free(keys);
    token_keys_free(rotated);
}

/* test_paths - patterns, return paths, tags found again */
static void test_paths(struct token_keys *keys)
{
    char path[VERP_PATH_BUFSZ], tag[VERP_TAG_BUFSZ], want[VERP_TAG_BUFSZ];

    ok(verp_pattern_check("bounce+%s@lists.example") == NULL, "bounce+%%s@lists.example is usable");
    ok(verp_pattern_check("%s@bounces.lists.example") == NULL, "a tag alone as the local part");
    ok(verp_pattern_check("bounce@lists.example") != NULL
       && verp_pattern_check("b+%s+%s@x.example") != NULL
       && verp_pattern_check("bounce+%d@x.example") != NULL
       && verp_pattern_check("bounce@%s.example") != NULL
       && verp_pattern_check("a-very-long-prefix-that-leaves-no-room-for-the-tag-%s@x.example") != NULL
       && verp_pattern_check("bounce+%s@") != NULL && verp_pattern_check("bo unce+%s@x.example") != NULL,
       "refused: no %%s, two, another %%, in the domain, too long, no domain, a blank");
    ok(verp_return_path(keys, "bounce+%s@lists.example", "news", "ann@example.org", path) == 0
       && strncmp(path, "bounce+", 7) == 0 && strchr(path, '@') - path <= 64,
       "a return path whose local part fits 64 octets (%s)", path);
    verp_tag_make(keys, "news", "ann@example.org", want);
    ok(verp_tag_of("bounce+%s@lists.example", path, tag) == 0 && strcmp(tag, want) == 0,
       "the tag found again in the envelope recipient");
    for (char *p = path; *p; p++)
        *p = (char) toupper((unsigned char) *p);
    ok(verp_tag_of("bounce+%s@lists.example", path, tag) == 0
       && verp_tag_verify(keys, tag, "news", "ann@example.org") == 0,
       "upper-cased by a receiving MTA: found and verified");
    ok(verp_tag_of("bounce+%s@lists.example", "bounce@lists.example", tag) == -1
       && verp_tag_of("bounce+%s@lists.example", "other+abc@lists.example", tag) == -1
       && verp_tag_of("bounce+%s@lists.example", "bounce+aaaa@other.example", tag) == -1,
       "recipients that do not follow the pattern: no tag");
}

int main(void)
{
    struct token_keys *keys, *other;
    char cmd[300];

    if (mkdtemp(dir) == NULL)
        return 99;
    keys = keys_at("keys", 1);
    other = keys_at("other", 1);
    if (!ok(keys != NULL && other != NULL, "two key files"))
        return tap_done();
    test_tags(keys, other);
    test_rotation();
    test_paths(keys);
    token_keys_free(keys);
    token_keys_free(other);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? tap_done() : 99;
}
