/* preflight.h - can the daemons work as configured? checked as their own user (see preflight.c) */
#ifndef OPTIN_PREFLIGHT_H
#define OPTIN_PREFLIGHT_H

#include "config/config.h"

enum preflight_program {
    PREFLIGHT_MILTER,      /* reads the store; writes journal and socket */
    PREFLIGHT_UNSUBD,      /* writes the store */
};

struct preflight {
    const struct optin_config *cfg;
    const char *config_path;       /* as given with -c, for the fix commands */
    const char *socket;            /* the milter's connection spec (-p or socket); NULL: none */
    const char *user;              /* the daemon's user (NULL: runs as it was started) */
    enum preflight_program program;
};

#define PREFLIGHT_TEXT_MAX 8192

struct preflight_result {
    unsigned problems;             /* everything found */
    unsigned fatal;                /* of those, the ones a start cannot get past */
    char text[PREFLIGHT_TEXT_MAX]; /* per problem "what is wrong\n  fix: command\n"; notes "note: ...\n" */
};

/* preflight_run - every check for pf; the number of problems (also in res) */
unsigned preflight_run(const struct preflight *pf, struct preflight_result *res);

#endif
