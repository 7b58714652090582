/* process.h - what the daemons do as root before serving: pidfile, user switch (see process.c) */
#ifndef OPTIN_PROCESS_H
#define OPTIN_PROCESS_H

#include <stddef.h>

/* process_write_pidfile - our pid into path (NULL: nothing), never through a symlink; 0 or -1 (logged) */
int process_write_pidfile(const char *path);
/* process_become - switch to user and its groups (already that user: nothing); 0 or -1 (logged) */
int process_become(const char *user);

/* process_capture - run argv[0] (PATH searched), its stdout into out (NUL-ended, cut at outsz - 1),
 * stderr discarded; its exit status, or -1 when it could not run or was killed */
int process_capture(char *const argv[], char *out, size_t outsz);
/* process_in_child - run fn(arg) in a forked child as user (NULL: as we are); fn's return
 * value (0..255), or -1 when the child could not become user or died */
int process_in_child(const char *user, int (*fn)(void *arg), void *arg);

#endif
