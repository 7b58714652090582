/*
 * NAME
 *	unsubd_request 3
 * SUMMARY
 *	what optin-unsubd takes from a request without libmicrohttpd: the
 *	client behind trusted proxies and the path as the log shows it
 * SYNOPSIS
 *	#include "unsubd.h"
 *
 *	void	unsubd_forwarded_client(const char *xff, const struct net_cidr *trusted,
 *					size_t n, struct net_ip *ip)
 *	const char *unsubd_shown_path(const char *path, char out[SHOWN_PATH_BUFSZ])
 * DESCRIPTION
 *	Behind a reverse proxy the peer is the proxy; the client is in
 *	X-Forwarded-For, which every proxy extends on the right with the
 *	address it was reached from. unsubd_forwarded_client() walks the
 *	header from the right while the current hop is a --trusted-proxy:
 *	each step replaces ip by the entry that hop wrote. The first hop
 *	that is not trusted is the client; entries further left are the
 *	client's own word and never read. A malformed entry (not an IPv4 or
 *	IPv6 address) ends the walk, leaving ip at the last good hop. An
 *	untrusted peer's header is not read at all.
 *
 *	unsubd_shown_path() makes a request path fit for one log line: a
 *	/u/ or /c/ token is cut to its first 8 characters, so the log never
 *	holds a working link; any other path to 64 characters, "..." marking
 *	the cut. Control bytes, space, backslash, double quote and every
 *	byte outside printable ASCII are written \xnn (text_escape(3) with
 *	TEXT_WORD and TEXT_ASCII).
 * DIAGNOSTICS
 *	None; nothing here logs.
 * SEE ALSO
 *	optin-unsubd(8), netaddr(3), text(3), RFC 7239
 */

#include <string.h>

#include "util/text.h"
#include "unsubd.h"

#define SHOWN_TOKEN_PATH 11     /* "/u/" and 8 characters of the token */
#define SHOWN_PATH_MAX 64       /* characters of any other path */

/* unsubd_forwarded_client - walk X-Forwarded-For from the right past the trusted proxies */
void unsubd_forwarded_client(const char *xff, const struct net_cidr *trusted, size_t n,
                             struct net_ip *ip)
{
    const char *end = xff ? xff + strlen(xff) : NULL;
    struct net_ip hop;

    while (end && end > xff && net_cidr_match(trusted, n, ip)) {
        const char *start = end, *a, *b = end;

        while (start > xff && start[-1] != ',')
            start--;
        for (a = start; a < b && (*a == ' ' || *a == '\t'); a++)
            ;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (net_ip_parse(a, (size_t) (b - a), &hop) != 0)
            break;
        *ip = hop;
        end = start > xff ? start - 1 : xff;
    }
}

/* unsubd_shown_path - a path for the log: tokens cut, at most 64 characters, unsafe bytes as \xnn */
const char *unsubd_shown_path(const char *path, char out[SHOWN_PATH_BUFSZ])
{
    size_t max = SHOWN_PATH_MAX;

    if (strncmp(path, "/u/", 3) == 0 || strncmp(path, "/c/", 3) == 0)
        max = SHOWN_TOKEN_PATH;
    return text_escape(path, strlen(path), max, TEXT_WORD | TEXT_ASCII, out, SHOWN_PATH_BUFSZ);
}
