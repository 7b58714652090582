/* testconf.h - a configuration from text, through the real parser, for the C unit tests */
#ifndef OPTIN_TESTCONF_H
#define OPTIN_TESTCONF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

/* testconf_load - text written to a private temporary file and loaded; NULL (reason printed as a TAP comment) */
__attribute__((unused))
static struct optin_config *testconf_load(const char *text)
{
    char path[] = "/tmp/optin-test-conf.XXXXXX", err[2048];
    struct optin_config *cfg;
    int fd = mkstemp(path);

    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
        return NULL;
    close(fd);
    if ((cfg = config_load(path, err, sizeof(err))) == NULL)
        printf("# %s", err);
    unlink(path);
    return cfg;
}

#endif
