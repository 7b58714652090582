/*
 * NAME
 *	test_netaddr - TAP tests of addresses, networks and socket specs (policy/util/netaddr.c)
 * DESCRIPTION
 *	No test opens a socket except net_sockspec_connect against a listener it made on a
 *	private unix socket.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"
#include "util/netaddr.h"

/* canon - canonical text of text, or "-" when refused */
static const char *canon(const char *text)
{
    static char out[NET_IP_BUFSZ];

    return net_ip_canonical(text, out) == 0 ? out : "-";
}

/* in_net - is ip inside the one network net? -1 when either does not parse */
static int in_net(const char *net, const char *ip)
{
    struct net_cidr c;
    struct net_ip a;

    if (net_cidr_parse(net, &c) != 0 || net_ip_parse(ip, strlen(ip), &a) != 0)
        return -1;
    return net_cidr_match(&c, 1, &a);
}

/* test_ip - parsing, canonical forms, kinds */
static void test_ip(void)
{
    struct net_ip ip;

    ok(strcmp(canon("192.0.2.1"), "192.0.2.1") == 0, "IPv4 as it is");
    ok(strcmp(canon("2001:DB8:0:0::1"), "2001:db8::1") == 0, "IPv6 in RFC 5952 form");
    ok(strcmp(canon("::ffff:192.0.2.7"), "192.0.2.7") == 0, "IPv4-mapped becomes IPv4");
    ok(strcmp(canon("192.0.2.256"), "-") == 0 && strcmp(canon("192.0.2"), "-") == 0
       && strcmp(canon("fe80::1%eth0"), "-") == 0 && strcmp(canon("[::1]"), "-") == 0
       && strcmp(canon(""), "-") == 0 && strcmp(canon("example.org"), "-") == 0,
       "refused: out of range, short, zone, brackets, empty, a name");
    ok(net_ip_parse("10.0.0.1junk", 8, &ip) == 0 && net_ip_is_v4(&ip), "len bounds the text");
    ok(net_ip_parse("10.0.\0.1", 8, &ip) == -1, "NUL inside refused");
    net_ip_parse("127.3.2.1", 9, &ip);
    ok(net_ip_is_loopback(&ip), "127/8 is loopback");
    net_ip_parse("::1", 3, &ip);
    ok(net_ip_is_loopback(&ip) && !net_ip_is_v4(&ip), "::1 is loopback, IPv6");
    net_ip_parse("::ffff:127.0.0.1", 16, &ip);
    ok(net_ip_is_loopback(&ip), "mapped 127.0.0.1 is loopback");
    net_ip_parse("0.0.0.0", 7, &ip);
    ok(net_ip_is_unspecified(&ip), "0.0.0.0 unspecified");
    net_ip_parse("::", 2, &ip);
    ok(net_ip_is_unspecified(&ip) && !net_ip_is_loopback(&ip), ":: unspecified");
}

/* test_cidr - networks */
static void test_cidr(void)
{
    struct net_cidr c;

    ok(in_net("10.0.0.0/8", "10.255.1.2") == 1 && in_net("10.0.0.0/8", "11.0.0.1") == 0,
       "IPv4 /8");
    ok(in_net("192.0.2.128/25", "192.0.2.200") == 1 && in_net("192.0.2.128/25", "192.0.2.127") == 0,
       "IPv4 /25 (a bit inside an octet)");
    ok(in_net("192.0.2.1", "192.0.2.1") == 1 && in_net("192.0.2.1", "192.0.2.2") == 0,
       "a host without /");
    ok(in_net("0.0.0.0/0", "203.0.113.9") == 1 && in_net("0.0.0.0/0", "2001:db8::1") == 0,
       "IPv4 /0 holds every IPv4 address and no IPv6 one");
    ok(in_net("2001:db8::/32", "2001:db8:ffff::1") == 1 && in_net("2001:db8::/32", "2001:db9::1") == 0,
       "IPv6 /32");
    ok(in_net("::/0", "192.0.2.1") == 1, "IPv6 /0 holds mapped IPv4 too");
    ok(net_cidr_parse("10.0.0.0/33", &c) == -1 && net_cidr_parse("::/129", &c) == -1
       && net_cidr_parse("10.0.0.0/", &c) == -1 && net_cidr_parse("10.0.0.0/8x", &c) == -1
       && net_cidr_parse("10.0.0.0/-1", &c) == -1 && net_cidr_parse("10.0.0.0/0008", &c) == -1,
       "bad prefixes refused");
}

/* test_sockaddr - socket addresses and host:port */
static void test_sockaddr(void)
{
    struct sockaddr_storage ss;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct net_ip ip;
    socklen_t len;
    char out[64];

    ok(net_hostport_parse("127.0.0.1:8025", &ss, &len, &ip) == 0 && ss.ss_family == AF_INET
       && strcmp(net_sockaddr_format((struct sockaddr *) &ss, out, sizeof(out)), "127.0.0.1") == 0,
       "ADDRESS:PORT");
    ok(net_hostport_parse("[::1]:443", &ss, &len, &ip) == 0 && ss.ss_family == AF_INET6
       && len == sizeof(struct sockaddr_in6)
       && strcmp(net_sockaddr_format((struct sockaddr *) &ss, out, sizeof(out)), "::1") == 0,
       "[IPV6]:PORT");
    ok(net_hostport_parse("::1:443", &ss, &len, &ip) == -1, "IPv6 without brackets refused");
    ok(net_hostport_parse("[192.0.2.1]:80", &ss, &len, &ip) == -1, "IPv4 in brackets refused");
    ok(net_hostport_parse("127.0.0.1:0", &ss, &len, &ip) == -1
       && net_hostport_parse("127.0.0.1:65536", &ss, &len, &ip) == -1
       && net_hostport_parse("127.0.0.1:", &ss, &len, &ip) == -1
       && net_hostport_parse("127.0.0.1", &ss, &len, &ip) == -1
       && net_hostport_parse("localhost:80", &ss, &len, &ip) == -1, "bad ports and names refused");
    ok(net_listen_parse("127.0.0.1:0", &ss, &len, &ip) == 0 && ss.ss_family == AF_INET
       && ((struct sockaddr_in *) &ss)->sin_port == 0, "to listen: port 0 lets the kernel pick");
    ok(net_listen_parse("[::1]:8025", &ss, &len, &ip) == 0 && ss.ss_family == AF_INET6
       && ntohs(((struct sockaddr_in6 *) &ss)->sin6_port) == 8025 && net_ip_is_loopback(&ip),
       "to listen: [IPV6]:PORT");
    ok(net_listen_parse("127.0.0.1:65536", &ss, &len, &ip) == -1
       && net_listen_parse("::1:8025", &ss, &len, &ip) == -1
       && net_listen_parse("127.0.0.1:", &ss, &len, &ip) == -1, "to listen: the rest as host:port");
    ok(strcmp(net_sockaddr_format((struct sockaddr *) &sun, out, sizeof(out)), "local") == 0,
       "AF_UNIX shows as local");
    ok(strcmp(net_sockaddr_format(NULL, out, sizeof(out)), "unknown") == 0, "none: unknown");
}

/* test_sockspec - libmilter connection specs */
static void test_sockspec(void)
{
    struct net_sockspec sp;
    char longpath[200];

    ok(net_sockspec_parse("unix:/run/optin/m.sock", &sp) == NULL && sp.kind == SOCKSPEC_UNIX
       && strcmp(sp.path, "/run/optin/m.sock") == 0, "unix:PATH");
    ok(net_sockspec_parse("local:/x.sock", &sp) == NULL && sp.kind == SOCKSPEC_UNIX, "local:PATH");
    ok(net_sockspec_parse("/x.sock", &sp) == NULL && sp.kind == SOCKSPEC_UNIX, "bare /PATH");
    ok(net_sockspec_parse("inet:8891@127.0.0.1", &sp) == NULL && sp.kind == SOCKSPEC_INET
       && strcmp(sp.service, "8891") == 0 && strcmp(sp.host, "127.0.0.1") == 0, "inet:PORT@HOST");
    ok(net_sockspec_parse("inet6:8891@[::1]", &sp) == NULL && sp.kind == SOCKSPEC_INET6
       && strcmp(sp.host, "[::1]") == 0, "inet6:PORT@HOST");
    ok(net_sockspec_parse("inet:8891", &sp) == NULL && sp.host[0] == '\0', "inet:PORT: any address");
    ok(net_sockspec_parse("inet:milter@localhost", &sp) == NULL, "a service name");
    ok(net_sockspec_parse("unix:relative.sock", &sp) != NULL
       && strstr(net_sockspec_parse("unix:relative.sock", &sp), "absolute") != NULL,
       "a relative path refused, saying why");
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    ok(net_sockspec_parse(longpath, &sp) != NULL, "a path over sun_path refused");
    ok(net_sockspec_parse("inet:99999@localhost", &sp) != NULL
       && net_sockspec_parse("inet:0@localhost", &sp) != NULL
       && net_sockspec_parse("inet:@localhost", &sp) != NULL
       && net_sockspec_parse("inet:25@", &sp) != NULL
       && net_sockspec_parse("inet:Smtp@h", &sp) != NULL, "bad ports refused");
    ok(net_sockspec_parse("tcp:25", &sp) != NULL, "unknown scheme refused");
}

/* test_connect - net_sockspec_connect reaches a unix listener */
static void test_connect(void)
{
    char dir[] = "/tmp/test_netaddr.XXXXXX", spec_text[160];
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct net_sockspec sp;
    int lfd, fd;

    if (mkdtemp(dir) == NULL) {
        ok(0, "mkdtemp");
        return;
    }
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    ok(lfd >= 0 && bind(lfd, (struct sockaddr *) &sun, sizeof(sun)) == 0 && listen(lfd, 1) == 0,
       "a private listener");
    snprintf(spec_text, sizeof(spec_text), "unix:%s", sun.sun_path);
    net_sockspec_parse(spec_text, &sp);
    fd = net_sockspec_connect(&sp);
    ok(fd >= 0, "connect to unix:PATH");
    if (fd >= 0)
        close(fd);
    close(lfd);
    unlink(sun.sun_path);
    ok(net_sockspec_connect(&sp) == -1, "nothing listening: -1");
    rmdir(dir);
}

int main(void)
{
    test_ip();
    test_cidr();
    test_sockaddr();
    test_sockspec();
    test_connect();
    return tap_done();
}
