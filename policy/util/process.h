/* process.h - what the daemons do as root before serving: pidfile, user switch (see process.c) */
#ifndef OPTIN_PROCESS_H
#define OPTIN_PROCESS_H

/* process_write_pidfile - our pid into path (NULL: nothing), never through a symlink; 0 or -1 (logged) */
int process_write_pidfile(const char *path);
/* process_become - switch to user and its groups (already that user: nothing); 0 or -1 (logged) */
int process_become(const char *user);

#endif
