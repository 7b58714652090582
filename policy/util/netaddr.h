/* netaddr.h - IP addresses, networks, socket addresses and socket specs as text (see netaddr.c) */
#ifndef OPTIN_NETADDR_H
#define OPTIN_NETADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NET_IP_BUFSZ INET6_ADDRSTRLEN     /* 46: the longest text form, NUL included */
#define NET_SOCKSPEC_HOST_MAX 255

/* An IP address: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one form serves both. */
struct net_ip {
    unsigned char a[16];
};

/* An address or a network: "192.0.2.0/24", "2001:db8::/32". */
struct net_cidr {
    struct net_ip ip;
    unsigned bits;                        /* prefix length of the 128 */
};

/* net_ip_parse - IPv4 or IPv6 text of len octets, no brackets or zone; 0, or -1 */
int net_ip_parse(const char *text, size_t len, struct net_ip *out);
/* net_ip_format - canonical text: dotted quad for IPv4, RFC 5952 for IPv6; returns out */
const char *net_ip_format(const struct net_ip *ip, char out[NET_IP_BUFSZ]);
/* net_ip_canonical - the canonical text of an address given as text; 0, or -1 */
int net_ip_canonical(const char *text, char out[NET_IP_BUFSZ]);
/* net_ip_is_v4 - an IPv4 address (IPv4-mapped form) */
int net_ip_is_v4(const struct net_ip *ip);
/* net_ip_is_loopback - 127.0.0.0/8 or ::1 */
int net_ip_is_loopback(const struct net_ip *ip);
/* net_ip_is_unspecified - 0.0.0.0 or :: */
int net_ip_is_unspecified(const struct net_ip *ip);

/* net_cidr_parse - "IP" (a host) or "IP/BITS" (BITS of the IPv4 or IPv6 address); 0, or -1 */
int net_cidr_parse(const char *text, struct net_cidr *out);
/* net_cidr_match - is ip inside one of the n networks? */
int net_cidr_match(const struct net_cidr *nets, size_t n, const struct net_ip *ip);

/* net_sockaddr_ip - the address of an AF_INET or AF_INET6 socket address; 0, or -1 for others */
int net_sockaddr_ip(const struct sockaddr *sa, struct net_ip *out);
/* net_sockaddr_format - "192.0.2.1", "2001:db8::1", "local" (AF_UNIX) or "unknown"; returns out */
const char *net_sockaddr_format(const struct sockaddr *sa, char *out, size_t outsz);

/* net_hostport_parse - "ADDRESS:PORT" or "[IPV6]:PORT" (port 1-65535) as a socket address; 0, or -1 */
int net_hostport_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                       struct net_ip *ip);
/* net_listen_parse - an address to bind: as net_hostport_parse, but port 0 (the kernel picks) too */
int net_listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                     struct net_ip *ip);

/* A libmilter connection spec: unix:PATH, local:PATH, /PATH, inet:PORT@HOST, inet6:PORT@HOST. */
enum net_sockspec_kind {
    SOCKSPEC_UNIX,
    SOCKSPEC_INET,
    SOCKSPEC_INET6,
};

struct net_sockspec {
    enum net_sockspec_kind kind;
    char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];   /* SOCKSPEC_UNIX */
    char service[32];                                           /* port number or service name */
    char host[NET_SOCKSPEC_HOST_MAX + 1];                       /* "" = any address */
};

/* net_sockspec_parse - one connection spec; NULL, or the reason it is not one */
const char *net_sockspec_parse(const char *text, struct net_sockspec *out);
/* net_sockspec_connect - a stream socket connected to the spec (no host: loopback); fd, or -1 */
int net_sockspec_connect(const struct net_sockspec *spec);

#endif
