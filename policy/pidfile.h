/* pidfile.h - the pidfile of a daemon (see pidfile.c) */
#ifndef OPTIN_PIDFILE_H
#define OPTIN_PIDFILE_H

/* pidfile_write - write our pid to path (NULL: nothing); 0, or -1 with errno set */
int pidfile_write(const char *path);

#endif
