/*
 * fuzz_config - libFuzzer target: the configuration file (libconfig syntax, every key's
 * validator, the integers read again from their lines), written to a temporary file and loaded.
 */
#include <stdio.h>
#include <unistd.h>

#include "config/config.h"
#include "fuzz.h"

static char path[FUZZ_PATH_MAX];

/* LLVMFuzzerInitialize - the temporary file the inputs are written to */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[FUZZ_PATH_MAX];

    (void) argc;
    (void) argv;
    fuzz_tempdir("config", dir);
    fuzz_path(dir, "fuzz.conf", path);
    return 0;
}

/* LLVMFuzzerTestOneInput - load one configuration file */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[8192];
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    config_free(config_load(path, err, sizeof(err)));
    return 0;
}
