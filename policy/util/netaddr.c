/*
 * NAME
 *	netaddr 3
 * SUMMARY
 *	IP addresses, networks, socket addresses and socket specs as text
 * SYNOPSIS
 *	#include "util/netaddr.h"
 *
 *	int	net_ip_parse(text, len, struct net_ip *out)
 *	const char *net_ip_format(ip, out)
 *	int	net_cidr_parse(text, struct net_cidr *out)
 *	int	net_cidr_match(nets, n, ip)
 *	const char *net_sockaddr_format(sa, out, outsz)
 *	int	net_hostport_parse(text, ss, len, ip)
 *	int	net_listen_parse(text, ss, len, ip)
 *	const char *net_sockspec_parse(text, struct net_sockspec *out)
 *	int	net_sockspec_connect(spec)
 * DESCRIPTION
 *	The one place where text becomes an address and back: client
 *	addresses of the milter and of optin-unsubd, egress addresses of the
 *	SPF check, subscriber IPs kept with consent, --trusted-proxy networks,
 *	--listen addresses and the milter's own socket spec.
 *
 *	net_listen_parse() is net_hostport_parse() for an address to bind:
 *	it also takes port 0, for which the kernel picks a free port.
 *
 *	IPv4 addresses are kept as IPv4-mapped IPv6 addresses (16 octets),
 *	so one comparison serves both families; net_ip_format() writes them
 *	back as dotted quads. Text forms are inet_pton(3)'s: no zone index,
 *	no leading zeros in IPv4 octets.
 *
 *	A socket spec is libmilter's: unix:PATH, local:PATH or /PATH for a
 *	unix-domain socket, inet:PORT@HOST and inet6:PORT@HOST (the host may
 *	be left out with its '@': every address) for TCP.
 * DIAGNOSTICS
 *	Parsers return -1 (or a reason text, for socket specs) and leave
 *	nothing half-made that the caller could use by mistake.
 * SEE ALSO
 *	inet_pton(3), getaddrinfo(3), smfi_setconn(3)
 */

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/netaddr.h"

static const unsigned char v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* net_ip_parse - IPv4 or IPv6 text into the 16-octet form */
int net_ip_parse(const char *text, size_t len, struct net_ip *out)
{
    char buf[NET_IP_BUFSZ];
    struct in_addr v4;

    if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len) != NULL)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, &v4) == 1) {
        memcpy(out->a, v4_prefix, 12);
        memcpy(out->a + 12, &v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, buf, out->a) == 1 ? 0 : -1;
}

/* net_ip_is_v4 - IPv4-mapped */
int net_ip_is_v4(const struct net_ip *ip)
{
    return memcmp(ip->a, v4_prefix, 12) == 0;
}

/* net_ip_format - canonical text */
const char *net_ip_format(const struct net_ip *ip, char out[NET_IP_BUFSZ])
{
    if (net_ip_is_v4(ip))
        inet_ntop(AF_INET, ip->a + 12, out, NET_IP_BUFSZ);
    else
        inet_ntop(AF_INET6, ip->a, out, NET_IP_BUFSZ);
    return out;
}

/* net_ip_canonical - text to canonical text */
int net_ip_canonical(const char *text, char out[NET_IP_BUFSZ])
{
    struct net_ip ip;

    if (net_ip_parse(text, strlen(text), &ip) != 0)
        return -1;
    net_ip_format(&ip, out);
    return 0;
}

/* net_ip_is_loopback - 127/8 or ::1 */
int net_ip_is_loopback(const struct net_ip *ip)
{
    static const unsigned char v6_loopback[16] = {[15] = 1};

    return net_ip_is_v4(ip) ? ip->a[12] == 127 : memcmp(ip->a, v6_loopback, 16) == 0;
}

/* net_ip_is_unspecified - 0.0.0.0 or :: */
int net_ip_is_unspecified(const struct net_ip *ip)
{
    static const unsigned char zero[16];

    return memcmp(ip->a + (net_ip_is_v4(ip) ? 12 : 0), zero, net_ip_is_v4(ip) ? 4 : 16) == 0;
}

/* net_cidr_parse - an address with an optional prefix length */
int net_cidr_parse(const char *text, struct net_cidr *out)
{
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t) (slash - text) : strlen(text);
    unsigned max, bits;
    char *end;

    if (net_ip_parse(text, len, &out->ip) != 0)
        return -1;
    max = net_ip_is_v4(&out->ip) ? 32 : 128;
    bits = max;
    if (slash) {
        unsigned long v;

        if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
            return -1;
        v = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || v > max)
            return -1;
        bits = (unsigned) v;
    }
    out->bits = bits + (128 - max);
    return 0;
}

/* cidr_contains - the first bits of both addresses agree */
static int cidr_contains(const struct net_cidr *n, const struct net_ip *ip)
{
    unsigned full = n->bits / 8, rest = n->bits % 8;

    if (memcmp(n->ip.a, ip->a, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((n->ip.a[full] ^ ip->a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* net_cidr_match - inside any of the networks */
int net_cidr_match(const struct net_cidr *nets, size_t n, const struct net_ip *ip)
{
    for (size_t i = 0; i < n; i++)
        if (cidr_contains(&nets[i], ip))
            return 1;
    return 0;
}

/* net_sockaddr_ip - the address of an IPv4 or IPv6 socket address */
int net_sockaddr_ip(const struct sockaddr *sa, struct net_ip *out)
{
    if (sa == NULL)
        return -1;
    if (sa->sa_family == AF_INET) {
        memcpy(out->a, v4_prefix, 12);
        memcpy(out->a + 12, &((const struct sockaddr_in *) (const void *) sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out->a, &((const struct sockaddr_in6 *) (const void *) sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

/* net_sockaddr_format - printable client address */
const char *net_sockaddr_format(const struct sockaddr *sa, char *out, size_t outsz)
{
    struct net_ip ip;
    char buf[NET_IP_BUFSZ];

    if (net_sockaddr_ip(sa, &ip) == 0)
        snprintf(out, outsz, "%s", net_ip_format(&ip, buf));
    else
        snprintf(out, outsz, "%s", sa != NULL && sa->sa_family == AF_UNIX ? "local" : "unknown");
    return out;
}

/* port_parse - lowest to 65535, digits only */
static int port_parse(const char *s, unsigned lowest, unsigned *port)
{
    unsigned long v;
    char *end;

    if (*s < '0' || *s > '9' || strlen(s) > 5)
        return -1;
    v = strtoul(s, &end, 10);
    if (*end != '\0' || v < lowest || v > 65535)
        return -1;
    *port = (unsigned) v;
    return 0;
}

/* hostport_parse - "ADDRESS:PORT" or "[IPV6]:PORT" with a port from lowest to 65535 */
static int hostport_parse(const char *text, unsigned lowest, struct sockaddr_storage *ss,
                          socklen_t *len, struct net_ip *ip)
{
    const char *host = text, *colon;
    size_t hlen;
    unsigned port;

    if (text[0] == '[') {
        const char *close = strchr(text, ']');

        if (close == NULL || close[1] != ':')
            return -1;
        host = text + 1;
        hlen = (size_t) (close - host);
        colon = close + 1;
        if (net_ip_parse(host, hlen, ip) != 0 || net_ip_is_v4(ip))
            return -1;
    } else {
        if ((colon = strrchr(text, ':')) == NULL)
            return -1;
        hlen = (size_t) (colon - text);
        if (net_ip_parse(host, hlen, ip) != 0 || !net_ip_is_v4(ip))
            return -1;
    }
    if (port_parse(colon + 1, lowest, &port) != 0)
        return -1;
    memset(ss, 0, sizeof(*ss));
    if (net_ip_is_v4(ip)) {
        struct sockaddr_in *sin = (struct sockaddr_in *) ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((unsigned short) port);
        memcpy(&sin->sin_addr, ip->a + 12, 4);
        *len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((unsigned short) port);
        memcpy(&sin6->sin6_addr, ip->a, 16);
        *len = sizeof(*sin6);
    }
    return 0;
}

/* net_hostport_parse - "ADDRESS:PORT" or "[IPV6]:PORT", port 1 to 65535 */
int net_hostport_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                       struct net_ip *ip)
{
    return hostport_parse(text, 1, ss, len, ip);
}

/* net_listen_parse - an address to listen on: as net_hostport_parse, and port 0 lets the kernel pick */
int net_listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                     struct net_ip *ip)
{
    return hostport_parse(text, 0, ss, len, ip);
}

/* sockspec_path - an absolute path that fits sun_path */
static const char *sockspec_path(const char *path, struct net_sockspec *out)
{
    if (path[0] != '/')
        return "expected an absolute socket path";
    if (strlen(path) >= sizeof(out->path))
        return "expected a socket path shorter than 108 bytes";
    out->kind = SOCKSPEC_UNIX;
    strcpy(out->path, path);
    return NULL;
}

/* sockspec_service - "PORT@HOST" or "PORT" / "PORT@": a port 1-65535 or a service name */
static const char *sockspec_service(const char *spec, struct net_sockspec *out)
{
    static const char reason[] = "expected inet:PORT@HOST with a port from 1 to 65535";
    size_t n = strcspn(spec, "@");
    unsigned port;

    if (n == 0 || n >= sizeof(out->service))
        return reason;
    memcpy(out->service, spec, n);
    out->service[n] = '\0';
    if (strspn(out->service, "0123456789") == n ? port_parse(out->service, 1, &port) != 0
        : strspn(out->service, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
        return reason;
    if (spec[n] == '@' && (spec[n + 1] == '\0' || strlen(spec + n + 1) > NET_SOCKSPEC_HOST_MAX))
        return reason;
    snprintf(out->host, sizeof(out->host), "%s", spec[n] == '@' ? spec + n + 1 : "");
    return NULL;
}

/* net_sockspec_parse - one libmilter connection spec */
const char *net_sockspec_parse(const char *text, struct net_sockspec *out)
{
    memset(out, 0, sizeof(*out));
    if (strncmp(text, "unix:", 5) == 0)
        return sockspec_path(text + 5, out);
    if (strncmp(text, "local:", 6) == 0)
        return sockspec_path(text + 6, out);
    if (text[0] == '/')
        return sockspec_path(text, out);
    if (strncmp(text, "inet:", 5) == 0) {
        out->kind = SOCKSPEC_INET;
        return sockspec_service(text + 5, out);
    }
    if (strncmp(text, "inet6:", 6) == 0) {
        out->kind = SOCKSPEC_INET6;
        return sockspec_service(text + 6, out);
    }
    return "expected unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST";
}

/* net_sockspec_connect - connect to where the spec listens (any address: loopback) */
int net_sockspec_connect(const struct net_sockspec *spec)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int fd = -1;

    if (spec->kind == SOCKSPEC_UNIX) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};

        memcpy(sun.sun_path, spec->path, strlen(spec->path) + 1);
        if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0
            && connect(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0) {
            close(fd);
            fd = -1;
        }
        return fd;
    }
    hints.ai_family = spec->kind == SOCKSPEC_INET ? AF_INET : AF_INET6;
    if (getaddrinfo(spec->host[0] ? spec->host : NULL, spec->service, &hints, &res) != 0)
        return -1;
    if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0
        && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}
