/* postfix.h - the unix milter sockets Postfix's smtpd and cleanup services connect to (see postfix.c) */
#ifndef OPTIN_POSTFIX_H
#define OPTIN_POSTFIX_H

#include <stddef.h>

#define POSTFIX_MILTERS_MAX 32

struct postfix_milter {
    char service[96];      /* master.cf service/type: "smtp/inet", "cleanup/unix" */
    char spec[256];        /* the address as main.cf or master.cf writes it: "unix:/optin/optin.sock" */
    char path[512];        /* where that service looks for it, outside any chroot */
    int chrooted;          /* the service runs chrooted in the queue directory */
};

struct postfix_view {
    char queue_directory[256];
    size_t count;
    struct postfix_milter milters[POSTFIX_MILTERS_MAX];
};

/* postfix_view_read - ask postconf (MAIL_CONFIG honoured); 0, or -1 when postconf cannot answer */
int postfix_view_read(struct postfix_view *view);

#endif
