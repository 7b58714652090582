/* spf.h - does the envelope sender authorize our own egress addresses? libspf2 behind a cache (see spf.c) */
#ifndef OPTIN_SPF_H
#define OPTIN_SPF_H

#include <stddef.h>
#include <stdint.h>

#define SPF_DOMAIN_BUFSZ 256
#define SPF_ADDR_BUFSZ 46           /* INET6_ADDRSTRLEN */
#define SPF_DETAIL_BUFSZ 160
#define SPF_MAX_EGRESS 16           /* egress addresses checked per message; more are ignored */

/*
 * RFC 7208 results, plus "skipped" (nothing was checked). Ordered from best to worst:
 * with several egress addresses the worst result of any of them is the answer.
 */
enum spf_result {
    SPFR_SKIPPED,       /* not checked: null sender without helo_name, no egress address, no checker */
    SPFR_PASS,
    SPFR_NONE,          /* no SPF record, or a sender domain that cannot have one */
    SPFR_NEUTRAL,
    SPFR_SOFTFAIL,
    SPFR_TEMPERROR,     /* DNS trouble, or no answer within the time allowed */
    SPFR_PERMERROR,     /* a broken record: syntax, more than 10 DNS mechanisms, ... */
    SPFR_FAIL,
};

/* One check: the sender's domain (or the HELO name for a null sender) against each egress address. */
struct spf_request {
    const char *sender;             /* envelope sender, with or without <>; "" or "<>": null sender */
    const char *helo;               /* our MTA's HELO name, the identity of a null sender (NULL: none) */
    const char *const *egress;      /* our egress addresses, IPv4 or IPv6 text */
    size_t negress;
    int64_t cache_ttl;              /* seconds a result is reused (0: not cached) */
    unsigned timeout_ms;            /* how long spf_check() waits for DNS (0: 10 s) */
};

struct spf_outcome {
    enum spf_result result;
    int helo_identity;              /* the HELO name was checked (null sender) */
    int cached;                     /* every address was answered from the cache */
    char domain[SPF_DOMAIN_BUFSZ];  /* the domain checked, lowercase ("" when none) */
    char egress[SPF_ADDR_BUFSZ];    /* the egress address that gave the result */
    char detail[SPF_DETAIL_BUFSZ];  /* why, for the log: libspf2's message, "timed out", ... */
};

struct spf_stats {
    unsigned long checks;           /* spf_check() calls that looked anything up */
    unsigned long cache_hits, cache_misses;   /* per (domain, egress address) */
    unsigned long dns_lookups;      /* DNS lookups libspf2 asked its resolver for */
    unsigned long timeouts;         /* evaluations given up on after timeout_ms */
    unsigned long running;          /* evaluations running now */
};

struct spf;

/*
 * spf_open - the process's one checker: real DNS through libspf2's resolver and cache, or,
 * with zone_file, the records of that file only (a test aid; see spf.c for its format).
 * NULL with a reason in err when the zone file is unusable.
 */
struct spf *spf_open(const char *zone_file, char *err, size_t errsz);
/* spf_close - wait (at most 5 s) for running evaluations, then free (NULL is fine). */
void spf_close(struct spf *s);
/* spf_check - check one sender at time now (seconds); fills out and returns out->result. */
enum spf_result spf_check(struct spf *s, const struct spf_request *rq, int64_t now,
                          struct spf_outcome *out);
/* spf_result_name - "pass", "fail", ..., "skipped" */
const char *spf_result_name(enum spf_result r);
/* spf_stats - counters since spf_open */
void spf_stats(struct spf *s, struct spf_stats *st);

#endif
