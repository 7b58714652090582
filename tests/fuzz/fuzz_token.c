/*
 * fuzz_token - libFuzzer target: everything that takes a token or tag from outside: token_open,
 * the List-Unsubscribe value, Subject and extension readers (unsubscribe.c), and VERP tags
 * (verp_tag_of, verp_tag_verify) under a fixed key file made once in a temporary folder. A
 * token the key did not make must never open.
 */
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "mail/addr.h"
#include "unsubscribe/token.h"
#include "unsubscribe/unsubscribe.h"
#include "unsubscribe/verp.h"

static struct token_keys *keys;

/* LLVMFuzzerInitialize - one key file, generated and loaded once */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[FUZZ_PATH_MAX], path[FUZZ_PATH_MAX];

    (void) argc;
    (void) argv;
    fuzz_tempdir("token", dir);
    fuzz_path(dir, "keys", path);
    fuzz_keyfile(path, &keys);
    unlink(path);
    rmdir(dir);
    return 0;
}

/* LLVMFuzzerTestOneInput - the input as a token, a header value, a Subject and a recipient */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const bases[] = {"https://u.lists.example/u/", NULL};
    char *s = fuzz_string(data, size), list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ];
    char tag[VERP_TAG_BUFSZ];
    struct unsub_found found;

    if (s == NULL || keys == NULL)
        return 0;
    if (token_open(keys, s, size, list, addr) == 0 && size > 0)
        abort();                          /* no input we did not sign opens */
    unsub_value_token(keys, s, bases, 2, &found);
    unsub_text_token(keys, s, &found);
    unsub_extension_token(keys, s, &found);
    if (verp_tag_of("bounce+%s@lists.example", s, tag) == 0)
        verp_tag_verify(keys, tag, "news", "someone@example.org");
    free(s);
    return 0;
}
