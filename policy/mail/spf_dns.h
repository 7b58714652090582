/* spf_dns.h - the DNS below the SPF check: a counting layer and the test zone (see spf_dns.c) */
#ifndef OPTIN_SPF_DNS_H
#define OPTIN_SPF_DNS_H

#include <stddef.h>

/* A name whose lookups sleep first (zone file DELAY). */
struct spf_delay {
    char *name;
    unsigned seconds;
};

/* The state of the counting layer: owned by the caller, alive as long as the server. */
struct spf_dns_layer {
    unsigned long lookups;          /* every lookup asked for, counted atomically */
    struct spf_delay *delays;
    size_t ndelays;
};

struct SPF_server_struct;

/* spf_dns_push - put the counting (and delaying) layer on top of the server's resolver; 0 or -1 */
int spf_dns_push(struct SPF_server_struct *server, struct spf_dns_layer *layer);
/* spf_dns_zone_load - the file's records into the server's zone resolver; 0, or -1 with err */
int spf_dns_zone_load(struct SPF_server_struct *server, struct spf_dns_layer *layer,
                      const char *path, char *err, size_t errsz);
/* spf_dns_layer_free - release the DELAY names */
void spf_dns_layer_free(struct spf_dns_layer *layer);

#endif
