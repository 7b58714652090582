/*
 * NAME
 *	peers 3
 * SUMMARY
 *	who may open a milter session on a TCP socket (milter_clients)
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	int	peers_setup(const struct optin_config *cfg, char *err, size_t errsz)
 *	int	accept(int fd, struct sockaddr *addr, socklen_t *len)
 * DESCRIPTION
 *	libmilter trusts whoever connects to its socket: a malformed macro
 *	packet (a name without a value) makes its smfi_getsymval() read past
 *	the end of its list and the whole milter crash, and any peer can ask
 *	for verdicts. A UNIX-domain socket is guarded by its mode and group
 *	(optin-milter.conf(5): socket_mode, group). A TCP socket is guarded
 *	here: libmilter has no hook between accept(2) and its first read, so
 *	this module defines accept() itself; the dynamic linker binds
 *	libmilter's call to it, and it calls the C library's. A peer whose
 *	address is in no network of milter_clients is closed at once, before
 *	libmilter reads a byte, and reported to libmilter as EINTR, which its
 *	listener retries without counting it as a failure.
 *
 *	peers_setup() parses milter_clients once, before libmilter starts;
 *	the table is read-only from then on, so the listener thread reads it
 *	without a lock. With no milter_clients (a UNIX socket, or TCP on
 *	loopback, which config(3) requires then) every peer is accepted.
 * DIAGNOSTICS
 *	peers_setup() returns -1 with the reason in err when the C library's
 *	accept cannot be found or a network does not parse. A refused peer is
 *	logged: "milter socket: connection from ADDRESS refused: not in
 *	milter_clients".
 * SEE ALSO
 *	optin-milter(8), optin-milter.conf(5), netaddr(3)
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE      /* RTLD_NEXT */
#endif

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "milter.h"
#include "util/log.h"
#include "util/netaddr.h"

typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);

static accept_fn libc_accept;          /* set once by peers_setup, before any thread */
static struct net_cidr *allowed;       /* read-only once libmilter runs */
static size_t allowed_count;

/* peers_setup - the C library's accept and the milter_clients networks; 0, or -1 with err */
int peers_setup(const struct optin_config *cfg, char *err, size_t errsz)
{
    const struct string_list *list = &cfg->milter_clients;

    if ((libc_accept = (accept_fn) dlsym(RTLD_NEXT, "accept")) == NULL) {
        snprintf(err, errsz, "accept(2) of the C library not found: %s", dlerror());
        return -1;
    }
    if (list->count == 0)
        return 0;
    if ((allowed = calloc(list->count, sizeof(*allowed))) == NULL) {
        snprintf(err, errsz, "milter_clients: out of memory");
        return -1;
    }
    for (size_t i = 0; i < list->count; i++)
        if (net_cidr_parse(list->items[i], &allowed[i]) != 0) {
            snprintf(err, errsz, "milter_clients: %s is no network", list->items[i]);
            return -1;
        }
    allowed_count = list->count;
    return 0;
}

/* peer_allowed - may this peer talk to the milter? (UNIX peers: the socket's mode decided) */
static int peer_allowed(const struct sockaddr *sa)
{
    struct net_ip ip;

    if (allowed_count == 0 || sa->sa_family == AF_UNIX)
        return 1;
    return net_sockaddr_ip(sa, &ip) == 0 && net_cidr_match(allowed, allowed_count, &ip);
}

/* accept - libmilter's accept(2): the C library's, then the peer checked (see DESCRIPTION) */
int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct sockaddr_storage own;
    socklen_t own_len = sizeof(own);
    char shown[NET_IP_BUFSZ + 16];
    int conn;

    if (libc_accept == NULL                 /* peers_setup not called: the C library's, unfiltered */
        && (libc_accept = (accept_fn) dlsym(RTLD_NEXT, "accept")) == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if ((conn = libc_accept(fd, (struct sockaddr *) &own, &own_len)) < 0)
        return conn;
    if (!peer_allowed((struct sockaddr *) &own)) {
        log_warn("milter socket: connection from %s refused: not in milter_clients",
                 net_sockaddr_format((struct sockaddr *) &own, shown, sizeof(shown)));
        close(conn);
        errno = EINTR;
        return -1;
    }
    if (addr != NULL && len != NULL) {
        memcpy(addr, &own, own_len < *len ? own_len : *len);
        *len = own_len;
    }
    return conn;
}
