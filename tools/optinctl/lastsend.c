/*
 * NAME
 *	lastsend 1
 * SUMMARY
 *	the last mail to each address and list: an incremental index over the journal
 * SYNOPSIS
 *	#include "optinctl.h"
 *
 *	int	lastsend_index(struct optinctl *ctl, unsigned long *lines)
 *	int	lastsend_of(struct store_txn *txn, const char *addr, json_t *out, int64_t *latest)
 *	int	lastsend_forget(struct store_txn *txn, const char *addr)
 *	int	cmd_journal_index(struct optinctl *ctl, int argc, char **argv)
 * DESCRIPTION
 *	The milter writes nothing to the store for a delivery: its receipt
 *	is a journal line. optinctl journal index (a systemd timer runs it
 *	every minute) reads the journal lines written since its last run
 *	and keeps, in the store's "lastsend" database, the time and queue id
 *	of the latest delivery (verdicts accept, accept-unchecked,
 *	would-reject, would-strip) to each address on each list, in one
 *	write transaction together with where it stopped: the file (device
 *	and inode), the offset after the last whole line, and that line's
 *	seq. The next run starts there; when that file was rotated away and
 *	compressed, it reads every file and skips the lines up to that seq.
 *	A line being written (no newline yet) is left for the next run. An
 *	update only ever moves a time forward, so two runs at once, or a run
 *	over lines already indexed, change nothing.
 *
 *	lastsend_of() lists one address's last deliveries (list, time,
 *	queue id) and the latest of them; lastsend_forget() removes them.
 * DIAGNOSTICS
 *	0, or -errno / a store error; cmd_journal_index exits 0, 66 when the
 *	journal cannot be read, 75 when the store cannot be written.
 * SEE ALSO
 *	optinctl(1), files(3), optinctl_journal(1)
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "consent/consent.h"
#include "journal/chain.h"
#include "journal/files.h"
#include "optinctl.h"
#include "util/bytes.h"
#include "util/timeutil.h"

#define STATE_KEY "journal_index"

/* Where the index stopped. */
struct index_state {
    unsigned long long dev, ino, offset;
    uint64_t seq;
};

/* What one run collects before its one write transaction. */
struct index_run {
    struct index_state from, to;
    int skip_by_seq;                    /* the start file is gone: skip lines up to from.seq */
    json_t *latest;                     /* "address\0list" (as "address\tlist") -> [time, queue id] */
    unsigned long lines;
    off_t file_done;                    /* offset after the last whole line of the file being read */
};

/* state_read - the stored state; all zero when none */
static int state_read(struct store *st, struct index_state *s)
{
    struct store_txn *txn;
    const void *val;
    size_t vlen;
    char buf[128];
    int rc;

    memset(s, 0, sizeof(*s));
    if ((rc = store_read_begin(st, &txn)) != 0)
        return rc;
    rc = store_get(txn, STORE_DB_META, STATE_KEY, sizeof(STATE_KEY) - 1, &val, &vlen);
    if (rc == 0 && vlen < sizeof(buf)) {
        memcpy(buf, val, vlen);
        buf[vlen] = '\0';
        if (sscanf(buf, "%llu %llu %llu %" SCNu64, &s->dev, &s->ino, &s->offset, &s->seq) != 4)
            memset(s, 0, sizeof(*s));
    }
    store_read_end(txn);
    return rc == OPTIN_NOTFOUND ? 0 : rc;
}

/* remember_delivery - a delivery line moves the latest time of its address and list forward */
static void remember_delivery(struct index_run *r, json_t *obj)
{
    const char *rcpt = json_text(obj, "recipient"), *list = json_text(obj, "list");
    char key[1200];
    json_t *old;
    int64_t t;

    if (!verdict_delivered(json_text(obj, "verdict")) || !*rcpt || !*list
        || time_parse(json_text(obj, "time"), &t) != 0)
        return;
    snprintf(key, sizeof(key), "%s\t%s", rcpt, list);
    old = json_object_get(r->latest, key);
    if (old == NULL || json_integer_value(json_array_get(old, 0)) < t)
        json_object_set_new(r->latest, key, json_pack("[I, s]", (json_int_t) t, json_text(obj, "queue_id")));
}

/* index_line - one line: whole lines are consumed, deliveries of addresses not erased remembered */
static int index_line(char *line, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    struct index_run *r = arg;
    struct chain_line cl;
    json_t *obj;

    (void) lineno;
    if (chain_scan(line, len, &cl) != 0)
        return 0;                        /* torn, or not written whole yet: not consumed */
    r->file_done = offset + (off_t) len + 1;
    r->to.seq = cl.seq;
    if (r->skip_by_seq && cl.seq <= r->from.seq)
        return 0;
    r->lines++;
    if (cl.pd.present && line[cl.pd.off] == 'n' && (obj = json_loadb(line, len, 0, NULL)) != NULL) {
        remember_delivery(r, obj);
        json_decref(obj);
    }
    return 0;
}

/* index_write - store_write callback: the collected times (only forward) and the new state */
static int index_write(struct store_txn *txn, void *arg)
{
    struct index_run *r = arg;
    unsigned char val[8 + 128];
    const char *k;
    json_t *v;
    char state[128];
    int rc;

    json_object_foreach(r->latest, k, v) {
        char key[1200];
        const char *tab = strchr(k, '\t'), *qid = json_string_value(json_array_get(v, 1));
        int64_t t = json_integer_value(json_array_get(v, 0));
        const void *old;
        size_t olen, klen = strlen(k), qlen = strlen(qid);

        if (tab == NULL || klen >= sizeof(key) || qlen > 128)
            continue;
        memcpy(key, k, klen + 1);
        key[tab - k] = '\0';             /* "address\0list" */
        rc = store_get(txn, STORE_DB_LASTSEND, key, klen, &old, &olen);
        if (rc == 0 && olen >= 8 && (int64_t) bytes_get_u64(old) >= t)
            continue;
        if (rc != 0 && rc != OPTIN_NOTFOUND)
            return rc;
        bytes_put_u64(val, (uint64_t) t);
        memcpy(val + 8, qid, qlen);
        if ((rc = store_put(txn, STORE_DB_LASTSEND, key, klen, val, 8 + qlen)) != 0)
            return rc;
    }
    snprintf(state, sizeof(state), "%llu %llu %llu %" PRIu64, r->to.dev, r->to.ino, r->to.offset, r->to.seq);
    return store_put(txn, STORE_DB_META, STATE_KEY, sizeof(STATE_KEY) - 1, state, strlen(state));
}

/* index_files - read the new lines of the files into the run; 0 or -errno */
static int index_files(char **files, size_t n, struct index_run *r)
{
    size_t start = 0;
    struct stat st;
    int rc = 0;

    r->skip_by_seq = 1;
    for (size_t i = 0; i < n; i++)
        if (r->from.ino && stat(files[i], &st) == 0 && (unsigned long long) st.st_dev == r->from.dev
            && (unsigned long long) st.st_ino == r->from.ino && (unsigned long long) st.st_size >= r->from.offset) {
            start = i;
            r->skip_by_seq = 0;
        }
    r->to = r->from;
    for (size_t i = start; i < n && rc == 0; i++) {
        off_t from = !r->skip_by_seq && i == start ? (off_t) r->from.offset : 0;

        if (stat(files[i], &st) != 0)
            continue;
        r->file_done = from;
        if ((rc = journal_read_from(files[i], from, index_line, r)) != 0)
            break;
        r->to.dev = (unsigned long long) st.st_dev;
        r->to.ino = (unsigned long long) st.st_ino;
        r->to.offset = (unsigned long long) r->file_done;
    }
    return rc;
}

/* lastsend_index - index the journal lines written since the last run; 0 or an error */
int lastsend_index(struct optinctl *ctl, unsigned long *lines)
{
    struct index_run r = {0};
    char **files = NULL;
    size_t n = 0;
    int rc;

    *lines = 0;
    if (ctl->cfg->journal == NULL)
        return 0;
    if ((rc = state_read(ctl->store, &r.from)) != 0)
        return rc;
    if ((rc = journal_files(ctl->cfg->journal, &files, &n)) != 0)
        return rc == -ENOENT ? 0 : rc;   /* no journal folder yet: nothing sent */
    if ((r.latest = json_object()) == NULL)
        rc = -ENOMEM;
    if (rc == 0)
        rc = index_files(files, n, &r);
    if (rc == 0)
        rc = store_write(ctl->store, index_write, &r);
    *lines = r.lines;
    json_decref(r.latest);
    journal_files_free(files, n);
    return rc;
}

/* Collecting one address's last deliveries. */
struct lastsend_scan {
    size_t skip;
    json_t *out;
    int64_t latest;
};

/* lastsend_entry - store_scan callback: one list's last delivery */
static int lastsend_entry(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    struct lastsend_scan *s = arg;
    char list[LIST_ID_BUFSZ], when[TIME_BUFSZ], qid[129];
    int64_t t;

    if (vlen < 8 || klen - s->skip >= sizeof(list) || vlen - 8 >= sizeof(qid))
        return 0;
    memcpy(list, (const char *) key + s->skip, klen - s->skip);
    list[klen - s->skip] = '\0';
    memcpy(qid, (const char *) val + 8, vlen - 8);
    qid[vlen - 8] = '\0';
    t = (int64_t) bytes_get_u64(val);
    if (t > s->latest)
        s->latest = t;
    json_array_append_new(s->out, json_pack("{s:s, s:s, s:s}", "list", list, "time",
                                            time_format(t, when), "queue_id", qid));
    return 0;
}

/* lastsend_of - one address's last delivery per list into out; *latest the latest (0: none) */
int lastsend_of(struct store_txn *txn, const char *addr, json_t *out, int64_t *latest)
{
    struct lastsend_scan s = {.skip = strlen(addr) + 1, .out = out};
    int rc = store_scan(txn, STORE_DB_LASTSEND, addr, strlen(addr) + 1, lastsend_entry, &s);

    *latest = s.latest;
    return rc;
}

/* retention_until - one calendar month after the last mail (Japan's Specified Electronic Mail Act) */
int64_t retention_until(int64_t last_send)
{
    time_t t = (time_t) last_send;
    struct tm tm;

    if (last_send == 0 || gmtime_r(&t, &tm) == NULL)
        return 0;
    tm.tm_mon += 1;                      /* timegm carries December into January */
    return (int64_t) timegm(&tm);
}

/* lastsend_forget - remove one address's last deliveries */
int lastsend_forget(struct store_txn *txn, const char *addr)
{
    uint64_t deleted;

    return store_del_prefix(txn, STORE_DB_LASTSEND, addr, strlen(addr) + 1, &deleted);
}

/* cmd_journal_index - optinctl journal index: bring the last-send index up to date */
int cmd_journal_index(struct optinctl *ctl, int argc, char **argv)
{
    unsigned long lines;
    int rc;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--quiet") != 0)) {
        fprintf(stderr, "usage: optinctl [global options] journal index [--quiet]\n");
        return EX_USAGE;
    }
    if (ctl->cfg->journal == NULL) {
        ctl_error(ctl, "journal index: no journal configured in %s", ctl->config_path);
        return EX_CONFIG;
    }
    if ((rc = ctl_open_store(ctl, 0, 0)) != EX_OK)
        return rc;
    if ((rc = lastsend_index(ctl, &lines)) != 0) {
        ctl_error(ctl, "journal index: %s", optin_strerror(rc));
        return rc == -ENOENT ? EX_NOINPUT : EX_TEMPFAIL;
    }
    if (argc < 2)
        printf("indexed %lu journal line%s\n", lines, lines == 1 ? "" : "s");
    return EX_OK;
}
