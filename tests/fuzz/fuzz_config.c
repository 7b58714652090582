/*
 * fuzz_config - libFuzzer target: the configuration file (libconfig syntax, every key's
 * validator, the integers read again from their lines), written to a temporary file and loaded.
 */
#include <stdio.h>
#include <unistd.h>

#include "config/config.h"
#include "fuzz.h"

static char path[64];

/* LLVMFuzzerInitialize - the temporary file the inputs are written to */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/optin-fuzz-config.XXXXXX";

    (void) argc;
    (void) argv;
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
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
