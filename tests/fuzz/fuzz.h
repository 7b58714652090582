/* fuzz.h - what the fuzz targets of tests/fuzz share: the libFuzzer entry points, and a copy of
 * the input as a NUL-terminated string (the parsers take C strings) */
#ifndef OPTIN_FUZZ_H
#define OPTIN_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unsubscribe/token.h"

#define FUZZ_PATH_MAX 96                 /* a path in a fuzz_tempdir() folder */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* fuzz_string - a malloc'd NUL-terminated copy of the input (NULs inside stay: C sees a prefix) */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s != NULL) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* fuzz_split - cut s at the first NUL or newline into two strings; returns the second part */
static inline char *fuzz_split(char *s, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (s[i] == '\0' || s[i] == '\n') {
            s[i] = '\0';
            return s + i + 1;
        }
    return s + size;
}

/* fuzz_tempdir - a private folder /tmp/optin-fuzz-NAME.XXXXXX into dir (aborts when it cannot be made) */
static inline void fuzz_tempdir(const char *name, char dir[FUZZ_PATH_MAX])
{
    snprintf(dir, FUZZ_PATH_MAX, "/tmp/optin-fuzz-%s.XXXXXX", name);
    if (mkdtemp(dir) == NULL)
        abort();
}

/* fuzz_path - dir/name into path (aborts when it does not fit) */
static inline void fuzz_path(const char *dir, const char *name, char path[FUZZ_PATH_MAX])
{
    if (snprintf(path, FUZZ_PATH_MAX, "%s/%s", dir, name) >= FUZZ_PATH_MAX)
        abort();
}

/* fuzz_write - write the formatted text into path (aborts when it cannot) */
__attribute__((format(printf, 2, 3)))
static inline void fuzz_write(const char *path, const char *fmt, ...)
{
    FILE *fp = fopen(path, "w");
    va_list ap;

    if (fp == NULL)
        abort();
    va_start(ap, fmt);
    vfprintf(fp, fmt, ap);
    va_end(ap);
    if (fclose(fp) != 0)
        abort();
}

/* fuzz_keyfile - a new token key file at path, loaded into *keys when keys is not NULL (aborts on failure) */
static inline void fuzz_keyfile(const char *path, struct token_keys **keys)
{
    char err[256];
    int id;

    if (token_keys_generate(path, &id, err, sizeof(err)) != 0
        || (keys != NULL && token_keys_load(path, keys, err, sizeof(err)) != 0))
        abort();
}

#endif
