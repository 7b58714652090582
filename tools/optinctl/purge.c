/*
 * NAME
 *	optinctl_purge 1
 * SUMMARY
 *	optinctl purge: remove what is older than the configured retention, never inside the legal minimum
 * SYNOPSIS
 *	optinctl purge [--dry-run]
 * DESCRIPTION
 *	With retention set in optin-milter.conf (a duration, at least 31
 *	days), removes what is older than now minus retention:
 *
 *	the journal's rotated files whose newest line is older, oldest
 *	first, stopping at the first file that must stay, so the files left
 *	are one unbroken chain (verify takes the first one's "prev" as its
 *	start); the file being written is never removed;
 *
 *	history events older, of addresses that no longer have consent (no
 *	pending or confirmed record on any list) and whose consent records
 *	need not be kept any more (one month after the last mail, Japan's
 *	Specified Electronic Mail Act, after bringing the last-send index up
 *	to date); the proof of a consent still relied on is kept whatever
 *	its age, and so are the anonymous events of erased addresses;
 *
 *	last-send entries older.
 *
 *	--dry-run counts the same and removes nothing.
 * DIAGNOSTICS
 *	Exit 0; 64 usage; 74 a journal file cannot be read or removed; 75
 *	the store cannot be written; 78 no retention configured.
 * SEE ALSO
 *	optinctl(1), optin-milter.conf(5), lastsend.c
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "consent/consent.h"
#include "journal/chain.h"
#include "journal/files.h"
#include "optinctl.h"
#include "util/bytes.h"
#include "util/timeutil.h"

#define MIN_RETENTION (31 * 86400)

/* What a purge found and removed. */
struct purge {
    struct optinctl *ctl;
    int64_t cutoff;
    int dry_run;
    unsigned long files, events, addresses, sends;
    json_t *doomed_history;              /* history keys to delete (as JSON strings of hex) */
    json_t *doomed_sends;
    struct store_txn *txn;
    char current[ADDR_BUFSZ];            /* the address whose events are being looked at */
    int current_keep, current_counted;
};

/* newest_time - journal_read callback: remember the time of the last journal line */
static int newest_time(char *line, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    json_t *obj;
    int64_t t;

    (void) lineno, (void) offset;
    if ((obj = json_loadb(line, len, 0, NULL)) != NULL
        && time_parse(json_text(obj, "time"), &t) == 0)
        *(int64_t *) arg = t;
    json_decref(obj);
    return 0;
}

/* purge_journal - remove the oldest rotated files that are wholly older than the cutoff; exit code */
static int purge_journal(struct purge *p)
{
    char **files = NULL;
    size_t n = 0;
    int rc = EX_OK;

    if (p->ctl->cfg->journal == NULL || journal_files(p->ctl->cfg->journal, &files, &n) != 0)
        return EX_OK;
    for (size_t i = 0; i < n && rc == EX_OK; i++) {
        int64_t newest = 0;

        if (strcmp(files[i], p->ctl->cfg->journal) == 0)
            break;                       /* the file being written stays */
        if (journal_read(files[i], newest_time, &newest) != 0 || newest == 0 || newest >= p->cutoff)
            break;                       /* the first file that must stay: the chain goes on from it */
        if (!p->dry_run && unlink(files[i]) != 0) {
            ctl_error(p->ctl, "purge: %s: %s", files[i], strerror(errno));
            rc = EX_IOERR;
        }
        p->files += rc == EX_OK;
    }
    journal_files_free(files, n);
    return rc;
}

/* has_consent - consent scan callback: stop at a pending or confirmed record */
static int has_consent(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct consent_record r;

    (void) key, (void) klen, (void) arg;
    return consent_decode(val, vlen, &r) == 0 && (r.state == CONSENT_PENDING || r.state == CONSENT_CONFIRMED);
}

/* keep_address - must the address's history stay? (consent relied on, or mailed within a month) */
static int keep_address(struct purge *p, struct store_txn *txn, const char *addr)
{
    json_t *sends = json_array();
    int64_t latest = 0;
    int keep;

    keep = store_scan(txn, STORE_DB_CONSENT, addr, strlen(addr) + 1, has_consent, NULL) != 0;
    if (!keep && lastsend_of(txn, addr, sends, &latest) == 0)
        keep = retention_until(latest) > p->ctl->now;
    json_decref(sends);
    return keep;
}

/* doomed_events_of - has the history scan doomed events of addr? (doomed_history is in key
 * order, "address\0" + sequence: a binary search for the first key not below "address\0") */
static int doomed_events_of(const struct purge *p, const char *addr)
{
    size_t lo = 0, hi = json_array_size(p->doomed_history), plen = strlen(addr) + 1;
    const json_t *k;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, klen;
        int c;

        k = json_array_get(p->doomed_history, mid);
        klen = json_string_length(k);
        c = memcmp(json_string_value(k), addr, klen < plen ? klen : plen);
        if (c < 0 || (c == 0 && klen < plen))
            lo = mid + 1;
        else
            hi = mid;
    }
    k = json_array_get(p->doomed_history, lo);      /* NULL past the end: length 0 */
    return json_string_length(k) > plen && memcmp(json_string_value(k), addr, plen) == 0;
}

/* keep_history - history_keep_fn: keep_address, and whether the address is counted already */
static int keep_history(struct store_txn *txn, const char *addr, void *arg)
{
    struct purge *p = arg;

    if (keep_address(p, txn, addr))
        return HISTORY_KEEP;
    return doomed_events_of(p, addr) ? HISTORY_DROP_COUNTED : HISTORY_DROP;
}

/* doom - remember a key to delete */
static void doom(json_t *list, const void *key, size_t klen)
{
    json_array_append_new(list, json_stringn(key, klen));
}

/* history_old - history scan callback, in key order (address by address): old events of addresses
 * that may go */
static int history_old(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct purge *p = arg;
    const char *addr = key;
    json_t *ev;
    int64_t t;

    if (klen < 9 || addr[0] == '#' || strnlen(addr, klen) >= ADDR_BUFSZ)
        return 0;                        /* erased addresses' events name no one: kept */
    if (strcmp(addr, p->current) != 0) {
        snprintf(p->current, sizeof(p->current), "%s", addr);
        p->current_keep = keep_address(p, p->txn, addr);
        p->current_counted = 0;
    }
    if (p->current_keep || (ev = json_loadb(val, vlen, 0, NULL)) == NULL)
        return 0;
    if (time_parse(json_text(ev, "time"), &t) == 0 && t < p->cutoff) {
        doom(p->doomed_history, key, klen);
        p->addresses += !p->current_counted;
        p->current_counted = 1;
    }
    json_decref(ev);
    return 0;
}

/* send_old - lastsend scan callback: entries older than the cutoff */
static int send_old(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct purge *p = arg;

    if (vlen >= 8 && (int64_t) bytes_get_u64(val) < p->cutoff)
        doom(p->doomed_sends, key, klen);
    return 0;
}

/* purge_store - store_write callback: find, then delete, old history events and last sends */
static int purge_store(struct store_txn *txn, void *arg)
{
    struct purge *p = arg;
    uint64_t kept, kept_addresses;
    json_t *k;
    size_t i;
    int rc;

    json_array_clear(p->doomed_history);
    json_array_clear(p->doomed_sends);
    p->addresses = 0;
    p->current[0] = '\0';
    p->txn = txn;
    if ((rc = store_scan(txn, STORE_DB_HISTORY, "", 0, history_old, p)) < 0
        || (rc = store_scan(txn, STORE_DB_LASTSEND, "", 0, send_old, p)) < 0)
        return rc;
    p->events = json_array_size(p->doomed_history);
    p->sends = json_array_size(p->doomed_sends);
    /* import events kept in their records (history.c): the records stay, the events go */
    if ((rc = history_purge_batch_events(txn, p->cutoff, p->dry_run, keep_history, p, &kept,
                                         &kept_addresses)) != 0)
        return rc < 0 ? rc : -EBADMSG;
    p->events += kept;
    p->addresses += kept_addresses;
    if (p->dry_run)
        return 0;
    json_array_foreach(p->doomed_history, i, k)
        if ((rc = store_del(txn, STORE_DB_HISTORY, json_string_value(k), json_string_length(k))) < 0)
            return rc;
    json_array_foreach(p->doomed_sends, i, k)
        if ((rc = store_del(txn, STORE_DB_LASTSEND, json_string_value(k), json_string_length(k))) < 0)
            return rc;
    return 0;
}

/* cmd_purge - remove what is older than the retention */
int cmd_purge(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'}, {0}};
    struct purge p = {.ctl = ctl};
    char cutoff[TIME_BUFSZ];
    unsigned long lines;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hn", opts, NULL)) != -1) {
        if (c != 'n') {
            fputs("usage: optinctl [global options] purge [--dry-run]\n", c == 'h' ? stdout : stderr);
            return c == 'h' ? EX_OK : EX_USAGE;
        }
        p.dry_run = 1;
    }
    if (optind != argc) {
        fputs("usage: optinctl [global options] purge [--dry-run]\n", stderr);
        return EX_USAGE;
    }
    if (ctl->cfg->retention == 0) {
        ctl_error(ctl, "purge: no retention in %s: nothing is old enough to remove", ctl->config_path);
        return EX_CONFIG;
    }
    p.cutoff = ctl->now - ctl->cfg->retention;
    if ((rc = ctl_open_store(ctl, 0, 0)) != EX_OK)
        return rc;
    if ((rc = lastsend_index(ctl, &lines)) != 0) {
        ctl_error(ctl, "purge: the journal index cannot be brought up to date: %s", optin_strerror(rc));
        return EX_TEMPFAIL;
    }
    p.doomed_history = json_array();
    p.doomed_sends = json_array();
    rc = store_write(ctl->store, purge_store, &p);
    json_decref(p.doomed_history);
    json_decref(p.doomed_sends);
    if (rc != 0) {
        ctl_error(ctl, "purge: %s", optin_strerror(rc));
        return EX_TEMPFAIL;
    }
    if ((rc = purge_journal(&p)) != EX_OK)
        return rc;
    printf("purge%s: older than %s: %lu journal file%s, %lu history event%s of %lu address%s, "
           "%lu last-send entr%s %s\n", p.dry_run ? " --dry-run" : "", time_format(p.cutoff, cutoff),
           p.files, p.files == 1 ? "" : "s", p.events, p.events == 1 ? "" : "s", p.addresses,
           p.addresses == 1 ? "" : "es", p.sends, p.sends == 1 ? "y" : "ies",
           p.dry_run ? "would be removed" : "removed");
    return EX_OK;
}
