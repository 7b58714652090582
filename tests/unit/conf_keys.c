/*
 * NAME
 *	conf_keys 1
 * SUMMARY
 *	list the configuration keys, or check that a file loads
 * SYNOPSIS
 *	conf_keys
 *	conf_keys FILE
 * DESCRIPTION
 *	Without an argument, conf_keys prints every key name that
 *	config_load() accepts, one per line, in the order of
 *	config_key_names(). tests/conf_documented.sh checks each one
 *	against optin-milter.conf(5).
 *
 *	With FILE, it runs config_load() on FILE and prints nothing when
 *	the file is valid.
 * DIAGNOSTICS
 *	Exit 0 on success; 1 when FILE does not load, after printing each
 *	problem as "conf_keys: FILE:LINE: KEY: reason" on stderr; 2 on a
 *	usage error.
 * SEE ALSO
 *	config(3), tests/conf_documented.sh
 */

#include <stdio.h>
#include <string.h>

#include "config/config.h"

/* check_file - load FILE; print its problems and return 1 if it does not load */
static int check_file(const char *path)
{
    char err[8192];
    struct optin_config *cfg = config_load(path, err, sizeof err);
    char *line, *next;

    if (cfg != NULL) {
        config_free(cfg);
        return 0;
    }
    for (line = err; *line != '\0'; line = next) {
        next = line + strcspn(line, "\n");
        if (*next != '\0')
            *next++ = '\0';
        fprintf(stderr, "conf_keys: %s\n", line);
    }
    return 1;
}

/* main - print the key names, or check one file */
int main(int argc, char **argv)
{
    const char *const *name;

    if (argc > 2) {
        fprintf(stderr, "usage: conf_keys [FILE]\n");
        return 2;
    }
    if (argc == 2)
        return check_file(argv[1]);
    for (name = config_key_names(); *name != NULL; name++)
        printf("%s\n", *name);
    return fflush(stdout) == 0 ? 0 : 1;
}
