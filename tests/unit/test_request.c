/*
 * NAME
 *	test_request - TAP tests of what optin-unsubd takes from a request (request.c):
 *	the X-Forwarded-For walk past trusted proxies and the path as logged
 * DESCRIPTION
 *	Trusted proxies: 127.0.0.1, 10.0.0.0/8 and 2001:db8::/32. Each walk
 *	case gives the peer, the header and the client that must come out.
 */

#include <string.h>

#include "tap.h"
#include "unsubd.h"

struct walk_case {
    const char *peer;
    const char *xff;           /* NULL: no header */
    const char *want;
    const char *why;
};

static const struct walk_case walk_cases[] = {
    {"127.0.0.1", "203.0.113.9, 198.51.100.7", "198.51.100.7",
     "the rightmost address behind a trusted peer"},
    {"127.0.0.1", "203.0.113.9, 10.1.2.3", "203.0.113.9", "a trusted hop is walked past"},
    {"127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1", "a chain of trusted hops: the leftmost"},
    {"127.0.0.1", "1.1.1.1, 198.51.100.7, 10.0.0.5", "198.51.100.7",
     "an untrusted hop stops the walk (the client's own word further left is not read)"},
    {"192.0.2.1", "198.51.100.7", "192.0.2.1", "an untrusted peer's header is ignored"},
    {"127.0.0.1", NULL, "127.0.0.1", "no header: the peer"},
    {"127.0.0.1", "", "127.0.0.1", "an empty header: the peer"},
    {"127.0.0.1", "203.0.113.9, bogus", "127.0.0.1", "a malformed last entry: the peer stays"},
    {"127.0.0.1", "203.0.113.9, garbage, 10.0.0.5", "10.0.0.5",
     "a malformed entry ends the walk at the last good hop"},
    {"127.0.0.1", "203.0.113.9,", "127.0.0.1", "an empty last entry is malformed"},
    {"127.0.0.1", "198.51.100.7:4711", "127.0.0.1", "an address with a port is malformed"},
    {"127.0.0.1", "[2001:db8::1]", "127.0.0.1", "a bracketed address is malformed"},
    {"127.0.0.1", " \t198.51.100.7 \t", "198.51.100.7", "blanks around an entry"},
    {"127.0.0.1", "203.0.113.9,198.51.100.7", "198.51.100.7", "no blank after the comma"},
    {"2001:db8::9", "2001:db8:ffff::5, 2001:db8::1", "2001:db8:ffff::5",
     "IPv6 proxies inside 2001:db8::/32"},
    {"2001:db8::9", "198.51.100.7, 2001:db8::1", "198.51.100.7", "an IPv4 client behind IPv6 proxies"},
    {"127.0.0.1", "2001:DB8:0:0:0:0:0:1", "2001:db8::1",
     "an IPv6 entry, canonical text afterwards, and trusted: the header is used up"},
    {"::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7", "a v4-mapped peer is the IPv4 peer"},
};

static struct net_cidr trusted[3];

/* walk - the client of one case as text */
static const char *walk(const struct walk_case *c, char out[NET_IP_BUFSZ])
{
    struct net_ip ip;

    if (net_ip_parse(c->peer, strlen(c->peer), &ip) != 0)
        return "(bad peer)";
    unsubd_forwarded_client(c->xff, trusted, 3, &ip);
    return net_ip_format(&ip, out);
}

/* test_walk - every case of the table, and no trusted proxy at all */
static void test_walk(void)
{
    char got[NET_IP_BUFSZ];
    struct net_ip ip;

    ok(net_cidr_parse("127.0.0.1", &trusted[0]) == 0 && net_cidr_parse("10.0.0.0/8", &trusted[1]) == 0
       && net_cidr_parse("2001:db8::/32", &trusted[2]) == 0, "the trusted networks parse");
    for (size_t i = 0; i < sizeof(walk_cases) / sizeof(walk_cases[0]); i++) {
        const struct walk_case *c = &walk_cases[i];

        ok(strcmp(walk(c, got), c->want) == 0, "peer %s, X-Forwarded-For \"%s\" -> %s: %s (got %s)",
           c->peer, c->xff ? c->xff : "(none)", c->want, c->why, got);
    }
    net_ip_parse("127.0.0.1", 9, &ip);
    unsubd_forwarded_client("198.51.100.7", trusted, 0, &ip);
    ok(strcmp(net_ip_format(&ip, got), "127.0.0.1") == 0, "no trusted proxy: the header is never read");
}

/* shown_is - unsubd_shown_path gives want */
static int shown_is(const char *path, const char *want)
{
    char out[SHOWN_PATH_BUFSZ];

    unsubd_shown_path(path, out);
    if (strcmp(out, want) != 0)
        printf("# shown \"%s\", want \"%s\"\n", out, want);
    return strcmp(out, want) == 0;
}

/* test_shown_path - what a log line shows of a path */
static void test_shown_path(void)
{
    char long_path[200], want[80];

    ok(shown_is("/u/AQHbQEG1xyzxyzxyzxyz", "/u/AQHbQEG1..."), "a /u/ token cut to 8 characters");
    ok(shown_is("/c/0123456789abcdef", "/c/01234567..."), "a /c/ token cut to 8 characters");
    ok(shown_is("/u/ABCDEFGH", "/u/ABCDEFGH"), "a token of 8 characters is shown whole");
    ok(shown_is("/u/", "/u/"), "no token");
    ok(shown_is("/", "/"), "the root");
    ok(shown_is("/x y\"z\\", "/x\\x20y\\x22z\\x5c"), "space, quote and backslash escaped");
    ok(shown_is("/a\tb\x7f", "/a\\x09b\\x7f"), "control bytes and DEL escaped");
    ok(shown_is("/\xc3\xa9t\xc3\xa9", "/\\xc3\\xa9t\\xc3\\xa9"), "bytes outside ASCII escaped");
    ok(shown_is("/u/\x01\x02\x03\x04\x05\x06\x07\x08\x09",
                "/u/\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08..."),
       "an escaped token is cut at 8 characters too");
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    memset(want, 'a', 64);
    want[0] = '/';
    strcpy(want + 64, "...");
    ok(shown_is(long_path, want), "another path cut at 64 characters");
    ok(shown_is("/unsubscribe/AQHbQEG1xyz", "/unsubscribe/AQHbQEG1xyz"), "only /u/ and /c/ are tokens");
}

int main(void)
{
    test_walk();
    test_shown_path();
    return tap_done();
}
