/*
 * NAME
 *	spf_dns 3
 * SUMMARY
 *	the DNS below the SPF check: a counting layer and the test zone
 * SYNOPSIS
 *	#include "mail/spf_dns.h"
 *
 *	int	spf_dns_push(SPF_server_t *server, struct spf_dns_layer *layer)
 *	int	spf_dns_zone_load(SPF_server_t *server, struct spf_dns_layer *layer,
 *				  const char *path, char *err, size_t errsz)
 *	void	spf_dns_layer_free(struct spf_dns_layer *layer)
 * DESCRIPTION
 *	spf_dns_push() puts a small resolver layer on top of libspf2's: it
 *	counts every lookup (atomically: workers run in parallel) and sleeps
 *	first for a name the zone file marked with DELAY, which is how the
 *	tests make a slow DNS without a network.
 *
 *	spf_dns_zone_load() fills libspf2's in-memory zone resolver
 *	(SPF_DNS_ZONE) from a file of lines "NAME TYPE DATA": TXT (quoted or
 *	not), A, AAAA, MX, "NAME TRYAGAIN" (a temporary DNS failure) and
 *	"NAME DELAY SECONDS" (1 to 60); '#' comments and blank lines. Call it
 *	before spf_dns_push(), while the zone is still the server's resolver.
 * DIAGNOSTICS
 *	spf_dns_zone_load() writes "FILE:LINE: reason" into err and returns
 *	-1; spf_dns_push() returns -1 when out of memory.
 * SEE ALSO
 *	spf(3), libspf2 spf_dns.h, spf_dns_zone.h
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* spf.h of libspf2 is not self-contained: these first, in this order */
#include <arpa/nameser.h>
#include <netdb.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#include "mail/spf_dns.h"

#define DELAY_MAX 60
#define ZONE_LINE_MAX 2048

/* layer_lookup - count, sleep for a DELAY name, then ask the layer below */
static SPF_dns_rr_t *layer_lookup(SPF_dns_server_t *d, const char *domain, ns_type type,
                                  int should_cache)
{
    struct spf_dns_layer *s = d->hook;

    __atomic_add_fetch(&s->lookups, 1, __ATOMIC_RELAXED);
    for (size_t i = 0; domain && i < s->ndelays; i++) {
        if (strcasecmp(s->delays[i].name, domain) == 0) {
            struct timespec t = {.tv_sec = s->delays[i].seconds};

            while (nanosleep(&t, &t) != 0 && errno == EINTR)
                ;
        }
    }
    return SPF_dns_lookup(d->layer_below, domain, type, should_cache);
}

/* layer_free - libspf2 frees the layers below after this one */
static void layer_free(SPF_dns_server_t *d)
{
    free(d);
}

/* spf_dns_push - put the counting layer on top of the server's resolver */
int spf_dns_push(SPF_server_t *server, struct spf_dns_layer *s)
{
    SPF_dns_server_t *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return -1;
    d->destroy = layer_free;
    d->lookup = layer_lookup;
    d->layer_below = server->resolver;
    d->name = "optin-count";
    d->hook = s;
    server->resolver = d;
    return 0;
}

/* zone_delay - "NAME DELAY SECONDS"; NULL or why not */
static const char *zone_delay(struct spf_dns_layer *s, const char *name, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    struct spf_delay *d;

    if (end == arg || *end != '\0' || v < 1 || v > DELAY_MAX)
        return "DELAY takes a number of seconds from 1 to 60";
    if ((d = realloc(s->delays, (s->ndelays + 1) * sizeof(*d))) == NULL)
        return "out of memory";
    s->delays = d;
    if ((d[s->ndelays].name = strdup(name)) == NULL)
        return "out of memory";
    d[s->ndelays++].seconds = (unsigned) v;
    return NULL;
}

/* zone_record - one line "NAME TYPE DATA"; NULL or why it is wrong */
static const char *zone_record(SPF_server_t *server, struct spf_dns_layer *s, char *line)
{
    SPF_dns_server_t *zone = server->resolver;
    char *name = strtok(line, " \t"), *type = name ? strtok(NULL, " \t") : NULL;
    char *data = type ? strtok(NULL, "") : NULL;
    size_t n;
    ns_type t;

    if (name == NULL || type == NULL)
        return "expected NAME TYPE [DATA]";
    if (strlen(name) > 253)
        return "name longer than 253 octets";
    while (data && (*data == ' ' || *data == '\t'))
        data++;
    if (data && (n = strlen(data)) >= 2 && data[0] == '"' && data[n - 1] == '"') {
        data[n - 1] = '\0';
        data++;
    }
    if (strcasecmp(type, "TRYAGAIN") == 0)        /* ns_t_any needs NULL data and an error, or libspf2 aborts */
        return SPF_dns_zone_add_str(zone, name, ns_t_any, TRY_AGAIN, NULL) == SPF_E_SUCCESS
                   ? NULL : "libspf2 refused the record";
    if (data == NULL || *data == '\0')
        return "missing data after the type";
    if (strcasecmp(type, "DELAY") == 0)
        return zone_delay(s, name, data);
    if (strcasecmp(type, "TXT") == 0)
        t = ns_t_txt;
    else if (strcasecmp(type, "A") == 0)
        t = ns_t_a;
    else if (strcasecmp(type, "AAAA") == 0)
        t = ns_t_aaaa;
    else if (strcasecmp(type, "MX") == 0)
        t = ns_t_mx;
    else
        return "expected the type TXT, A, AAAA, MX, TRYAGAIN or DELAY";
    if (SPF_dns_zone_add_str(zone, name, t, NETDB_SUCCESS, data) != SPF_E_SUCCESS)
        return "libspf2 refused the record (a bad address?)";
    return NULL;
}

/* spf_dns_zone_load - every record of the file into the server's zone resolver; 0 or -1 with err */
int spf_dns_zone_load(SPF_server_t *server, struct spf_dns_layer *s, const char *path, char *err,
                      size_t errsz)
{
    FILE *fp = fopen(path, "r");
    char line[ZONE_LINE_MAX];
    const char *why;
    int lineno = 0;

    if (fp == NULL) {
        snprintf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        size_t n = strcspn(line, "\r\n");

        lineno++;
        if (line[n] == '\0' && !feof(fp)) {
            snprintf(err, errsz, "%s:%d: line longer than %d octets", path, lineno, ZONE_LINE_MAX - 2);
            fclose(fp);
            return -1;
        }
        line[n] = '\0';
        if (line[strspn(line, " \t")] == '\0' || line[strspn(line, " \t")] == '#')
            continue;
        if ((why = zone_record(server, s, line)) != NULL) {
            snprintf(err, errsz, "%s:%d: %s", path, lineno, why);
            fclose(fp);
            return -1;
        }
    }
    fclose(fp);
    return 0;
}

/* spf_dns_layer_free - the DELAY names (the layer itself goes with the server) */
void spf_dns_layer_free(struct spf_dns_layer *s)
{
    for (size_t i = 0; i < s->ndelays; i++)
        free(s->delays[i].name);
    free(s->delays);
    s->delays = NULL;
    s->ndelays = 0;
}
