/*
 * NAME
 *	test_ratelimit - TAP tests of optin-unsubd's per-client rate limit (ratelimit.c)
 * DESCRIPTION
 *	Deterministic: the time is passed in, never read, and the clients
 *	are made from counters. The table's slots are public (unsubd.h), so
 *	the full-table cases fill them directly and then look at what the
 *	limit did to them.
 */

#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "unsubd.h"

#define MINUTE0 (int64_t) 1714564800     /* a whole minute: 2024-05-01T12:00:00Z */

static struct rate_table table = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* client - a distinct IPv4 client per n (10.x.y.z) */
static struct net_ip client(unsigned n)
{
    char text[NET_IP_BUFSZ];
    struct net_ip ip;

    snprintf(text, sizeof(text), "10.%u.%u.%u", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    net_ip_parse(text, strlen(text), &ip);
    return ip;
}

/* fresh - an empty table with a limit */
static void fresh(unsigned limit)
{
    memset(table.slot, 0, sizeof(table.slot));
    table.limit = limit;
}

/* allow - one request of client n at now */
static int allow(unsigned n, int64_t now)
{
    struct net_ip ip = client(n);
    int retry;

    return unsubd_rate_allow(&table, &ip, now, &retry);
}

/* slots_of - how many slots hold client n */
static int slots_of(unsigned n)
{
    struct net_ip ip = client(n);
    int found = 0;

    for (int i = 0; i < RATE_SLOTS; i++)
        found += table.slot[i].used && memcmp(table.slot[i].ip.a, ip.a, sizeof(ip.a)) == 0;
    return found;
}

/* test_limit - per client and calendar minute, with the seconds to wait */
static void test_limit(void)
{
    struct net_ip ip = client(1), v6;
    int retry = -1, all = 1;

    fresh(3);
    for (int i = 0; i < 3; i++)
        all &= unsubd_rate_allow(&table, &ip, MINUTE0 + i, &retry);
    ok(all, "limit 3: three requests in a minute pass");
    ok(!unsubd_rate_allow(&table, &ip, MINUTE0 + 10, &retry), "the fourth is refused");
    ok(retry == 50, "retry: 50 s to the next minute at :10 (got %d)", retry);
    ok(!unsubd_rate_allow(&table, &ip, MINUTE0 + 59, &retry) && retry == 1,
       "still refused at :59, retry 1 s (got %d)", retry);
    ok(unsubd_rate_allow(&table, &ip, MINUTE0 + 60, &retry) && retry == 60,
       "the next calendar minute starts over, one second later (retry %d)", retry);
    ok(allow(2, MINUTE0 + 60), "another client is counted apart");
    ok(slots_of(1) == 1, "a client keeps one slot across minutes");
    net_ip_parse("2001:db8::1", 11, &v6);
    ok(unsubd_rate_allow(&table, &v6, MINUTE0 + 60, &retry), "an IPv6 client is counted too");
}

/* test_no_limit - limit 0 counts nothing */
static void test_no_limit(void)
{
    int all = 1, retry = -1, used = 0;
    struct net_ip ip = client(7);

    fresh(0);
    for (int i = 0; i < 1000; i++)
        all &= allow(7, MINUTE0);
    ok(all, "limit 0: a thousand requests in a minute pass");
    for (int i = 0; i < RATE_SLOTS; i++)
        used += table.slot[i].used;
    ok(used == 0, "limit 0: nothing is counted");
    unsubd_rate_allow(&table, &ip, MINUTE0 + 45, &retry);
    ok(retry == 15, "limit 0: retry is still the seconds to the next minute (got %d)", retry);
}

/* test_probing - half a table of clients: each keeps its own slot, or starts over when pushed out */
static void test_probing(void)
{
    const unsigned n = RATE_SLOTS / 2;
    unsigned held = 0, consistent = 1, all = 1;

    fresh(1);
    for (unsigned i = 0; i < n; i++)
        all &= allow(1000 + i, MINUTE0);
    ok(all, "%u new clients, limit 1: each first request passes", n);
    for (unsigned i = 0; i < n; i++) {
        int present = slots_of(1000 + i) == 1;

        held += present;
        consistent &= allow(1000 + i, MINUTE0 + 1) == !present;
    }
    ok(consistent, "second requests: refused for clients in the table, passed for pushed-out ones");
    ok(held >= n - n / 100, "probing keeps nearly every client at half load (%u of %u)", held, n);
}

/* fill - every slot busy: another client at the limit, last seen in minute */
static void fill(int64_t minute)
{
    for (int i = 0; i < RATE_SLOTS; i++)
        table.slot[i] = (struct rate_slot){.ip = client(100000 + (unsigned) i), .minute = minute,
                                           .count = table.limit, .used = 1};
}

/* test_full - a full table never refuses a new client; stale slots are taken first */
static void test_full(void)
{
    int fillers = 0, stale = 0;

    fresh(1);
    fill(MINUTE0 / 60);
    ok(allow(5, MINUTE0), "table full this minute: a new client is not refused");
    ok(slots_of(5) == 1, "it took one slot");
    for (int i = 0; i < RATE_SLOTS; i++)
        fillers += table.slot[i].used && table.slot[i].minute == MINUTE0 / 60
            && table.slot[i].count == 1;
    ok(fillers == RATE_SLOTS, "the slot it took starts over at 1 (all %d slots at the limit)", fillers);
    ok(!allow(5, MINUTE0 + 1), "its next request in the minute is refused");

    fresh(1);
    fill(MINUTE0 / 60 - 1);
    table.slot[0].minute = MINUTE0 / 60;           /* one filler is busy this minute */
    ok(allow(6, MINUTE0) && slots_of(6) == 1, "table full of last minute's clients: a new one gets a slot");
    for (int i = 0; i < RATE_SLOTS; i++)
        stale += table.slot[i].minute == MINUTE0 / 60 - 1;
    ok(stale == RATE_SLOTS - 2, "it took a stale slot (%d of %d stale left)", stale, RATE_SLOTS - 1);
    ok(slots_of(100000) == 1, "the client busy this minute kept its slot");
}

int main(void)
{
    test_limit();
    test_no_limit();
    test_probing();
    test_full();
    return tap_done();
}
