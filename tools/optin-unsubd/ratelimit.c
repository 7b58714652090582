/*
 * NAME
 *	unsubd_ratelimit 3
 * SUMMARY
 *	optin-unsubd's per-client rate limit
 * SYNOPSIS
 *	#include "unsubd.h"
 *
 *	struct rate_table table = {.lock = PTHREAD_MUTEX_INITIALIZER, .limit = N};
 *
 *	int	unsubd_rate_allow(struct rate_table *t, const struct net_ip *ip,
 *				  int64_t now, int *retry)
 * DESCRIPTION
 *	unsubd_rate_allow() counts one request of a client and says whether
 *	it is within t->limit requests of that client in the current
 *	calendar minute (limit 0: no limit, nothing counted). *retry gets
 *	the seconds to the next minute, for Retry-After.
 *
 *	The counts live in a fixed open-addressed table (RATE_SLOTS slots,
 *	RATE_PROBES probes from the address's FNV-1a hash) under one mutex.
 *	A new client takes the first probed slot that is free or was last
 *	used in an earlier minute; when all probed slots are busy this
 *	minute it takes the first one and its count starts over: the table
 *	never grows and never refuses a client it cannot hold.
 * DIAGNOSTICS
 *	None; nothing here logs.
 * BUGS
 *	Calendar minutes let a client send up to twice the limit across the
 *	turn of a minute.
 * SEE ALSO
 *	optin-unsubd(8)
 */

#include <string.h>

#include "unsubd.h"

/* rate_hash - FNV-1a of an address */
static uint32_t rate_hash(const struct net_ip *ip)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < sizeof(ip->a); i++)
        h = (h ^ ip->a[i]) * 16777619u;
    return h;
}

/* rate_slot_of - the client's slot (lock held): its own, else a free or stale one, else the first */
static struct rate_slot *rate_slot_of(struct rate_table *t, const struct net_ip *ip, int64_t minute)
{
    uint32_t h = rate_hash(ip);
    struct rate_slot *spare = NULL, *s;

    for (int i = 0; i < RATE_PROBES; i++) {
        struct rate_slot *p = &t->slot[(h + (uint32_t) i) % RATE_SLOTS];

        if (p->used && memcmp(p->ip.a, ip->a, sizeof(ip->a)) == 0)
            return p;
        if (spare == NULL && (!p->used || p->minute != minute))
            spare = p;
    }
    s = spare ? spare : &t->slot[h % RATE_SLOTS];
    *s = (struct rate_slot){.ip = *ip, .minute = minute, .count = 0, .used = 1};
    return s;
}

/* unsubd_rate_allow - count one request of a client in this minute; 0 when over the limit */
int unsubd_rate_allow(struct rate_table *t, const struct net_ip *ip, int64_t now, int *retry)
{
    int64_t minute = now / 60;
    struct rate_slot *s;
    int allowed;

    *retry = (int) (60 - now % 60);
    if (t->limit == 0)
        return 1;
    pthread_mutex_lock(&t->lock);
    s = rate_slot_of(t, ip, minute);
    if (s->minute != minute) {
        s->minute = minute;
        s->count = 0;
    }
    if ((allowed = s->count < t->limit))
        s->count++;
    pthread_mutex_unlock(&t->lock);
    return allowed;
}
