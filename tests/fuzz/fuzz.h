/* fuzz.h - what the fuzz targets of tests/fuzz share: the libFuzzer entry points, and a copy of
 * the input as a NUL-terminated string (the parsers take C strings) */
#ifndef OPTIN_FUZZ_H
#define OPTIN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

#endif
