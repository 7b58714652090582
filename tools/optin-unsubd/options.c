/*
 * NAME
 *	unsubd_options 3
 * SUMMARY
 *	optin-unsubd's command line
 * SYNOPSIS
 *	#include "unsubd.h"
 *
 *	int	unsubd_options_parse(int argc, char **argv, struct unsubd_options *opt)
 * DESCRIPTION
 *	unsubd_options_parse() fills opt with the defaults (DEFAULT_LISTEN,
 *	DEFAULT_RATE, DEFAULT_MAX_BODY, DEFAULT_THREADS, the configuration
 *	OPTIN_DEFAULT_CONFIG), then with the command line: -c, -f, -l, -n,
 *	-P, -u, -V and the long options --trusted-proxy IP[/BITS] (up to
 *	TRUSTED_MAX, parsed by net_cidr_parse), --rate N[/min] (0 to
 *	1000000), --max-body BYTES (256 to 1M, size suffixes as in the
 *	configuration), --threads N (1 to 64), --public and --help. The
 *	listening address is only kept here; main.c parses it when it binds.
 * DIAGNOSTICS
 *	0 when the daemon is to run; OPTIONS_DONE after -V or --help (their
 *	output on stdout); EX_USAGE after printing on stderr what is wrong:
 *	"optin-unsubd: OPTION VALUE: expected ..." or the usage synopsis.
 * SEE ALSO
 *	optin-unsubd(8), getopt_long(3)
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config/config.h"
#include "util/timeutil.h"
#include "unsubd.h"


/* usage - the synopsis: on stdout when asked (--help), else on stderr with EX_USAGE */
static int usage(int asked)
{
    fprintf(asked ? stdout : stderr,
            "usage: optin-unsubd [-f] [-n] [-c config] [-l ADDR:PORT] [-u user] [-P pidfile]\n"
            "                    [--trusted-proxy IP[/BITS]]... [--rate N] [--max-body BYTES]\n"
            "                    [--threads N] [--public]\n"
            "  -c FILE              configuration (default %s)\n"
            "  -l ADDR:PORT         listen here (default %s; [::1]:PORT for IPv6)\n"
            "  -f                   stay in the foreground\n"
            "  -n                   check the configuration, store and key file as the user, then exit\n"
            "  -u USER              run as this user (default: the configuration's user)\n"
            "  -P FILE              write the pid here\n"
            "  --trusted-proxy IP   take the client from X-Forwarded-For when the peer is IP\n"
            "  --rate N             requests per client and minute (default %d; 0: no limit)\n"
            "  --max-body BYTES     largest request body (default %d)\n"
            "  --threads N          worker threads (default %d)\n"
            "  --public             allow a listening address other than loopback\n"
            "  -V, --version        print the version\n"
            "  --help               this text\n",
            OPTIN_DEFAULT_CONFIG, DEFAULT_LISTEN, DEFAULT_RATE, DEFAULT_MAX_BODY, DEFAULT_THREADS);
    return asked ? OPTIONS_DONE : EX_USAGE;
}

/* number_arg - an unsigned option value in [min, max], with an optional suffix ("/min") */
static int number_arg(const char *name, const char *text, const char *suffix, unsigned long min,
                      unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(text, &end, 10);
    if (suffix && strcmp(end, suffix) == 0)
        end += strlen(suffix);
    if (errno || end == text || *end || text[0] == '-' || *out < min || *out > max) {
        fprintf(stderr, "optin-unsubd: %s %s: expected a number from %lu to %lu\n", name, text,
                min, max);
        return -1;
    }
    return 0;
}

/* long_option - the options without a short form */
static int long_option(int c, const char *arg, struct unsubd_options *opt)
{
    unsigned long n;
    uint64_t size;

    switch (c) {
    case 'T':
        if (opt->trusted_count == TRUSTED_MAX
            || net_cidr_parse(arg, &opt->trusted[opt->trusted_count]) != 0) {
            fprintf(stderr, "optin-unsubd: --trusted-proxy %s: expected an IP address or "
                            "ADDRESS/BITS (at most %d)\n", arg, TRUSTED_MAX);
            return -1;
        }
        opt->trusted_count++;
        return 0;
    case 'R':
        if (number_arg("--rate", arg, "/min", 0, 1000000, &n) != 0)
            return -1;
        opt->rate = (unsigned) n;
        return 0;
    case 'B':
        if (size_parse(arg, &size) != 0 || size < 256 || size > 1024 * 1024) {
            fprintf(stderr, "optin-unsubd: --max-body %s: expected 256 to 1M bytes\n", arg);
            return -1;
        }
        opt->max_body = (size_t) size;
        return 0;
    case 'H':
        if (number_arg("--threads", arg, NULL, 1, 64, &n) != 0)
            return -1;
        opt->threads = (unsigned) n;
        return 0;
    default:
        opt->public_ok = 1;
        return 0;
    }
}

/* unsubd_options_parse - the command line over the defaults */
int unsubd_options_parse(int argc, char **argv, struct unsubd_options *opt)
{
    static const struct option longs[] = {
        {"trusted-proxy", required_argument, NULL, 'T'}, {"rate", required_argument, NULL, 'R'},
        {"max-body", required_argument, NULL, 'B'}, {"threads", required_argument, NULL, 'H'},
        {"public", no_argument, NULL, 'W'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'}, {0}};
    int c;

    *opt = (struct unsubd_options){.config = OPTIN_DEFAULT_CONFIG, .listen = DEFAULT_LISTEN,
                                   .rate = DEFAULT_RATE, .max_body = DEFAULT_MAX_BODY,
                                   .threads = DEFAULT_THREADS};
    while ((c = getopt_long(argc, argv, "c:fl:nP:u:V", longs, NULL)) != -1) {
        switch (c) {
        case 'c': opt->config = optarg; break;
        case 'f': opt->foreground = 1; break;
        case 'l': opt->listen = optarg; break;
        case 'n': opt->check_only = 1; break;
        case 'P': opt->pidfile = optarg; break;
        case 'u': opt->user = optarg; break;
        case 'V': printf("optin-unsubd %s\n", OPTIN_VERSION); return OPTIONS_DONE;
        case 'h': return usage(1);
        case 'T': case 'R': case 'B': case 'H': case 'W':
            if (long_option(c, optarg, opt) != 0)
                return EX_USAGE;
            break;
        default: return usage(0);
        }
    }
    return optind == argc ? 0 : usage(0);
}

