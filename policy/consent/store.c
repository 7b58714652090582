/*
 * NAME
 *	store 3
 * SUMMARY
 *	LMDB consent store wrapper
 * SYNOPSIS
 *	#include "consent/store.h"
 *
 *	int	store_open(const struct store_options *opt, struct store **out,
 *			char *err, size_t errsz)
 *	void	store_close(struct store *st)
 *	int	store_read_begin(struct store *st, struct store_txn **out)
 *	void	store_read_end(struct store_txn *txn)
 *	int	store_write(struct store *st, store_write_fn fn, void *arg)
 *	int	store_get(), store_put(), store_del(), store_scan(), store_del_prefix()
 *	int	store_next_seq(struct store_txn *txn, uint64_t *seq)
 *	int	store_stat(), store_backup(), store_sync()
 * DESCRIPTION
 *	This module is the only place that talks to LMDB. One environment
 *	(a directory) holds the named databases of enum store_db and a
 *	schema version in the meta database.
 *
 *	store_open() opens the environment once per process, after any fork
 *	or privilege change, sets the same map size and reader count in every
 *	process, opens every named database in one transaction and shares the
 *	handles, clears reader slots left by dead processes, and checks the
 *	schema version. With create set it makes the directory and databases
 *	and a random key for erased-address hashes.
 *
 *	Readers take a short MDB_RDONLY snapshot inside one call and never
 *	wait for writers. Writers go through store_write(): the callback runs
 *	in a write transaction and is committed when it returns 0. When the
 *	map is full the transaction is aborted, the map doubled and the
 *	callback run again; when another process grew the map
 *	(MDB_MAP_RESIZED) the new size is adopted. Both need every
 *	transaction of this process to be finished, which a process-wide
 *	rwlock guarantees: transactions hold it shared, a resize exclusive.
 *
 *	History sequence numbers are counted in the write transaction and
 *	stored in the meta database just before the commit.
 *	The environment is opened with MDB_NOTLS: a reader slot belongs to its
 *	read transaction, not to a thread, so libmilter's short-lived worker
 *	threads leave no slot behind and no thread-exit destructor of LMDB can
 *	run after store_close().
 * DIAGNOSTICS
 *	Functions return 0, OPTIN_NOTFOUND for an absent key, or a negative
 *	code: an LMDB error, or -errno. optin_strerror() gives its text.
 *	store_backup() returns -EEXIST for a target directory that is not
 *	empty. store_open() also writes a one-line reason into err. Nothing here
 *	logs or exits.
 * BUGS
 *	The reader count is fixed by the process that creates the lock
 *	file; later openers inherit it.
 * SEE ALSO
 *	lmdb.h, mdb_stat(1), mdb_copy(1), Postfix slmdb.c
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "consent/store.h"
#include "util/bytes.h"

#define STORE_FORGET_KEY_LEN 32
#define STORE_MAX_GROW_TRIES 8

#define STORE_FULL_BELOW (1024 * 1024) /* free octets under which an EIO means a full disk */

struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE_DB_COUNT];
    pthread_rwlock_t resize_lock;     /* shared by transactions, exclusive for resizes */
    unsigned char forget_key[STORE_FORGET_KEY_LEN];
    int readonly;
    int absent[STORE_DB_COUNT];       /* an optional database a read-only open did not find */
};

struct store_txn {
    struct store *st;
    MDB_txn *txn;
    int write;
    int seq_loaded;
    uint64_t seq;
};

static const char *const store_db_names[STORE_DB_COUNT] = {
    [STORE_DB_META] = "meta",
    [STORE_DB_CONSENT] = "consent",
    [STORE_DB_SUPPRESS] = "suppress",
    [STORE_DB_HISTORY] = "history",
    [STORE_DB_CONFIRM] = "confirm",
    [STORE_DB_ERASED] = "erased",
    [STORE_DB_SOFTBOUNCE] = "softbounce",
    [STORE_DB_LASTSEND] = "lastsend",
    [STORE_DB_BATCH] = "batch",
};

static const char meta_schema[] = "schema_version";
static const char meta_forget_key[] = "forget_key";
static const char meta_seq[] = "history_seq";

/* store_rc - map an LMDB or errno return to the store convention */
static int store_rc(int rc)
{
    if (rc == MDB_NOTFOUND)
        return OPTIN_NOTFOUND;
    if (rc > 0)
        return -rc;
    return rc;
}

/* store_make_dir - create the environment directory if missing */
static int store_make_dir(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) == 0)
        return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
    if (errno != ENOENT)
        return -errno;
    if (mkdir(path, 0770) < 0)
        return -errno;
    return 0;
}

/* store_init_meta - write schema version and forget key in a new environment */
static int store_init_meta(struct store *st, MDB_txn *txn)
{
    MDB_val key = {sizeof(meta_schema) - 1, (void *) meta_schema};
    MDB_val val;
    char version[16];
    int rc;

    rc = mdb_get(txn, st->dbi[STORE_DB_META], &key, &val);
    if (rc != MDB_NOTFOUND)
        return rc;
    snprintf(version, sizeof(version), "%d", STORE_SCHEMA_VERSION);
    val.mv_size = strlen(version);
    val.mv_data = version;
    if ((rc = mdb_put(txn, st->dbi[STORE_DB_META], &key, &val, 0)) != 0)
        return rc;
    randombytes_buf(st->forget_key, sizeof(st->forget_key));
    key.mv_size = sizeof(meta_forget_key) - 1;
    key.mv_data = (void *) meta_forget_key;
    val.mv_size = sizeof(st->forget_key);
    val.mv_data = st->forget_key;
    return mdb_put(txn, st->dbi[STORE_DB_META], &key, &val, 0);
}

/* store_check_meta - verify the schema version and load the forget key */
static int store_check_meta(struct store *st, MDB_txn *txn, char *err, size_t errsz)
{
    MDB_val key = {sizeof(meta_schema) - 1, (void *) meta_schema};
    MDB_val val;
    char version[16];
    int rc;

    if ((rc = mdb_get(txn, st->dbi[STORE_DB_META], &key, &val)) != 0) {
        snprintf(err, errsz, "no schema version: %s", mdb_strerror(rc));
        return rc;
    }
    snprintf(version, sizeof(version), "%.*s", (int) (val.mv_size < 15 ? val.mv_size : 15),
             (char *) val.mv_data);
    if (atoi(version) != STORE_SCHEMA_VERSION) {
        snprintf(err, errsz, "schema version %s, this program needs %d%s", version,
                 STORE_SCHEMA_VERSION, atoi(version) < STORE_SCHEMA_VERSION
                 ? " (run optinctl init to upgrade it)" : "");
        return EPROTO;
    }
    key.mv_size = sizeof(meta_forget_key) - 1;
    key.mv_data = (void *) meta_forget_key;
    if ((rc = mdb_get(txn, st->dbi[STORE_DB_META], &key, &val)) != 0
        || val.mv_size != sizeof(st->forget_key)) {
        snprintf(err, errsz, "erased-address key missing or damaged");
        return rc ? rc : EPROTO;
    }
    memcpy(st->forget_key, val.mv_data, sizeof(st->forget_key));
    return 0;
}

/* store_upgrade_1 - schema 1 to 2: the "token" database's entries move to "confirm" */
static int store_upgrade_1(struct store *st, MDB_txn *txn)
{
    MDB_val key = {sizeof(meta_schema) - 1, (void *) meta_schema}, val = {1, "2"};
    MDB_dbi old, confirm;
    MDB_cursor *cur;
    int rc;

    if ((rc = mdb_dbi_open(txn, "confirm", MDB_CREATE, &confirm)) != 0)
        return rc;
    if ((rc = mdb_dbi_open(txn, "token", 0, &old)) == 0) {
        if ((rc = mdb_cursor_open(txn, old, &cur)) != 0)
            return rc;
        MDB_val k, v;
        while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
            if ((rc = mdb_put(txn, confirm, &k, &v, 0)) != 0)
                break;
        mdb_cursor_close(cur);
        if (rc != MDB_NOTFOUND || (rc = mdb_drop(txn, old, 1)) != 0)
            return rc;
    } else if (rc != MDB_NOTFOUND) {
        return rc;
    }
    return mdb_put(txn, st->dbi[STORE_DB_META], &key, &val, 0);
}

/* store_schema - the schema version of the environment; 0 when none is written */
static int store_schema(struct store *st, MDB_txn *txn)
{
    MDB_val key = {sizeof(meta_schema) - 1, (void *) meta_schema}, val;
    char version[16];

    if (mdb_get(txn, st->dbi[STORE_DB_META], &key, &val) != 0)
        return 0;
    snprintf(version, sizeof(version), "%.*s", (int) (val.mv_size < 15 ? val.mv_size : 15),
             (char *) val.mv_data);
    return atoi(version);
}

/* store_open_dbs - open every named database in one transaction and keep the handles */
static int store_open_dbs(struct store *st, int create, char *err, size_t errsz)
{
    unsigned flags = create ? MDB_CREATE : 0;
    MDB_txn *txn;
    int rc;

    if ((rc = mdb_txn_begin(st->env, NULL, st->readonly ? MDB_RDONLY : 0, &txn)) != 0) {
        snprintf(err, errsz, "cannot begin transaction: %s", mdb_strerror(rc));
        return rc;
    }
    /* the meta database first: an older schema is upgraded by init, refused otherwise */
    for (int db = 0; db < STORE_DB_COUNT; db++) {
        rc = mdb_dbi_open(txn, store_db_names[db], flags, &st->dbi[db]);
        if (rc == MDB_NOTFOUND && db >= STORE_DB_LASTSEND) {     /* added after schema 2 */
            if (st->readonly) {
                st->absent[db] = 1;
                continue;
            }
            rc = mdb_dbi_open(txn, store_db_names[db], MDB_CREATE, &st->dbi[db]);
        }
        if (rc != 0) {
            if (rc == MDB_NOTFOUND && db > STORE_DB_META && store_schema(st, txn) == 1)
                snprintf(err, errsz, "schema version 1, this program needs %d: "
                         "run optinctl init to upgrade it", STORE_SCHEMA_VERSION);
            else if (rc == MDB_NOTFOUND)
                snprintf(err, errsz, "database \"%s\" missing: not initialised (run optinctl init)",
                         store_db_names[db]);
            else
                snprintf(err, errsz, "cannot open database \"%s\": %s", store_db_names[db],
                         mdb_strerror(rc));
            goto txn_abort;
        }
        if (db == STORE_DB_META && create && store_schema(st, txn) == 1
            && (rc = store_upgrade_1(st, txn)) != 0) {
            snprintf(err, errsz, "cannot upgrade schema 1 to 2: %s", mdb_strerror(rc));
            goto txn_abort;
        }
    }
    if (create && (rc = store_init_meta(st, txn)) != 0) {
        snprintf(err, errsz, "cannot initialise: %s", mdb_strerror(rc));
        goto txn_abort;
    }
    if ((rc = store_check_meta(st, txn, err, errsz)) != 0)
        goto txn_abort;
    if ((rc = mdb_txn_commit(txn)) != 0)
        snprintf(err, errsz, "cannot commit: %s", mdb_strerror(rc));
    return rc;

txn_abort:
    mdb_txn_abort(txn);
    return rc;
}

/* store_open - open (or create) the environment */
int store_open(const struct store_options *opt, struct store **out, char *err, size_t errsz)
{
    unsigned env_flags = 0;
    struct store *st;
    int rc, dead;

    if (sodium_init() < 0) {
        snprintf(err, errsz, "libsodium initialisation failed");
        return -EIO;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        snprintf(err, errsz, "out of memory");
        return -ENOMEM;
    }
    st->readonly = opt->readonly;
    pthread_rwlock_init(&st->resize_lock, NULL);
    if (opt->create && (rc = store_make_dir(opt->path)) != 0) {
        snprintf(err, errsz, "%s: cannot create: %s", opt->path, strerror(-rc));
        goto free_store;
    }
    if ((rc = mdb_env_create(&st->env)) != 0)
        goto env_error;
    mdb_env_set_maxdbs(st->env, STORE_DB_COUNT + 2);
    if (opt->max_readers)
        mdb_env_set_maxreaders(st->env, opt->max_readers);
    if (opt->map_size)
        mdb_env_set_mapsize(st->env, (size_t) opt->map_size);
    env_flags |= MDB_NOTLS;  /* readers belong to transactions, not threads: no TLS destructor
                              * runs after store_close (libmilter's threads exit on their own) */
    env_flags |= opt->readonly ? MDB_RDONLY : 0;
    env_flags |= opt->nosync ? MDB_NOSYNC : 0;
    if ((rc = mdb_env_open(st->env, opt->path, env_flags, 0660)) != 0)
        goto env_error;
    mdb_reader_check(st->env, &dead);
    if ((rc = store_open_dbs(st, opt->create, err, errsz)) != 0) {
        rc = store_rc(rc);
        goto env_close;
    }
    *out = st;
    return 0;

env_error:
    snprintf(err, errsz, "%s: %s", opt->path,
             rc == ENOENT ? "no consent database here (run optinctl init)" : mdb_strerror(rc));
    rc = store_rc(rc);
env_close:
    mdb_env_close(st->env);
free_store:
    pthread_rwlock_destroy(&st->resize_lock);
    free(st);
    return rc;
}

/* store_close - close the environment */
void store_close(struct store *st)
{
    if (st == NULL)
        return;
    mdb_env_close(st->env);
    pthread_rwlock_destroy(&st->resize_lock);
    sodium_memzero(st->forget_key, sizeof(st->forget_key));
    free(st);
}

/* store_disk_full - rc, or -ENOSPC for an I/O error on a full file system: LMDB turns a short
 * write into EIO, which would send the reader looking for a failing disk */
static int store_disk_full(struct store *st, int rc)
{
    const char *path = NULL;
    struct statvfs fs;
    unsigned long long left;

    if (rc != -EIO || mdb_env_get_path(st->env, &path) != 0 || statvfs(path, &fs) != 0)
        return rc;
    left = (unsigned long long) (geteuid() == 0 ? fs.f_bfree : fs.f_bavail) * fs.f_frsize;
    return left < STORE_FULL_BELOW ? -ENOSPC : rc;
}

/* store_sync - flush buffers to disk */
int store_sync(struct store *st)
{
    return store_disk_full(st, store_rc(mdb_env_sync(st->env, 1)));
}

/* store_adopt_size - take over a map size another process set (no transaction live) */
static void store_adopt_size(struct store *st)
{
    pthread_rwlock_wrlock(&st->resize_lock);
    mdb_env_set_mapsize(st->env, 0);
    pthread_rwlock_unlock(&st->resize_lock);
}

/* store_grow - double the map after MDB_MAP_FULL (no transaction live) */
static int store_grow(struct store *st)
{
    MDB_envinfo info;
    int rc;

    pthread_rwlock_wrlock(&st->resize_lock);
    mdb_env_info(st->env, &info);
    rc = mdb_env_set_mapsize(st->env, info.me_mapsize * 2);
    pthread_rwlock_unlock(&st->resize_lock);
    return store_rc(rc);
}

/* store_txn_begin - begin a transaction under the shared resize lock */
static int store_txn_begin(struct store *st, int write, struct store_txn **out)
{
    struct store_txn *t;
    int rc, tries = 0;

    if ((t = calloc(1, sizeof(*t))) == NULL)
        return -ENOMEM;
    t->st = st;
    t->write = write;
    for (;;) {
        pthread_rwlock_rdlock(&st->resize_lock);
        rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
        if (rc == 0)
            break;
        pthread_rwlock_unlock(&st->resize_lock);
        if (rc != MDB_MAP_RESIZED || ++tries > 3) {
            free(t);
            return store_rc(rc);
        }
        store_adopt_size(st);
    }
    *out = t;
    return 0;
}

/* store_txn_end - abort (reads) or after commit: release lock and memory */
static void store_txn_end(struct store_txn *t, int abort)
{
    if (abort)
        mdb_txn_abort(t->txn);
    pthread_rwlock_unlock(&t->st->resize_lock);
    free(t);
}

/* store_read_begin - begin a read-only snapshot */
int store_read_begin(struct store *st, struct store_txn **out)
{
    return store_txn_begin(st, 0, out);
}

/* store_read_end - end a read-only snapshot */
void store_read_end(struct store_txn *txn)
{
    if (txn)
        store_txn_end(txn, 1);
}

/* store_save_seq - write the history sequence counter back to meta */
static int store_save_seq(struct store_txn *t)
{
    unsigned char buf[8];
    MDB_val key = {sizeof(meta_seq) - 1, (void *) meta_seq};
    MDB_val val = {sizeof(buf), buf};

    if (!t->seq_loaded)
        return 0;
    bytes_put_u64(buf, t->seq);
    return mdb_put(t->txn, t->st->dbi[STORE_DB_META], &key, &val, 0);
}

/* store_write - run fn in a write transaction; grow the map and retry when full */
int store_write(struct store *st, store_write_fn fn, void *arg)
{
    struct store_txn *t;
    int rc;

    if (st->readonly)
        return -EROFS;
    for (int tries = 0; tries < STORE_MAX_GROW_TRIES; tries++) {
        if ((rc = store_txn_begin(st, 1, &t)) != 0)
            return rc;
        rc = fn(t, arg);
        if (rc == 0 && (rc = store_rc(store_save_seq(t))) == 0) {
            rc = store_disk_full(st, store_rc(mdb_txn_commit(t->txn)));
            store_txn_end(t, 0);
        } else {
            store_txn_end(t, 1);
        }
        if (rc != MDB_MAP_FULL)
            return rc;
        if ((rc = store_grow(st)) != 0)
            return rc;
    }
    return MDB_MAP_FULL;
}

/* store_txn_store - the store of a transaction */
struct store *store_txn_store(struct store_txn *txn)
{
    return txn->st;
}

/* store_get - look up one key */
int store_get(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              const void **val, size_t *vlen)
{
    MDB_val k = {klen, (void *) key};
    MDB_val v;
    int rc;

    if (txn->st->absent[db])
        return OPTIN_NOTFOUND;
    if ((rc = mdb_get(txn->txn, txn->st->dbi[db], &k, &v)) != 0)
        return store_rc(rc);
    *val = v.mv_data;
    *vlen = v.mv_size;
    return 0;
}

/* store_put - insert or replace one key */
int store_put(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              const void *val, size_t vlen)
{
    MDB_val k = {klen, (void *) key};
    MDB_val v = {vlen, (void *) val};

    if (txn->st->absent[db])
        return -EROFS;
    return store_rc(mdb_put(txn->txn, txn->st->dbi[db], &k, &v, 0));
}

/* store_del - delete one key */
int store_del(struct store_txn *txn, enum store_db db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *) key};

    if (txn->st->absent[db])
        return OPTIN_NOTFOUND;
    return store_rc(mdb_del(txn->txn, txn->st->dbi[db], &k, NULL));
}

/* store_scan - visit keys with a prefix in order */
int store_scan(struct store_txn *txn, enum store_db db, const void *prefix, size_t plen,
               store_scan_fn fn, void *arg)
{
    MDB_cursor *cur;
    MDB_val k = {plen, (void *) prefix};
    MDB_val v;
    int rc;

    if (txn->st->absent[db])
        return 0;
    if ((rc = mdb_cursor_open(txn->txn, txn->st->dbi[db], &cur)) != 0)
        return store_rc(rc);
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == 0) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
            break;
        if ((rc = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, arg)) != 0)
            goto cursor_close;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    rc = (rc == MDB_NOTFOUND) ? 0 : store_rc(rc);
cursor_close:
    mdb_cursor_close(cur);
    return rc;
}

/* store_del_prefix - delete every key with a prefix */
int store_del_prefix(struct store_txn *txn, enum store_db db, const void *prefix, size_t plen,
                     uint64_t *deleted)
{
    MDB_cursor *cur;
    MDB_val k = {plen, (void *) prefix};
    MDB_val v;
    int rc;

    *deleted = 0;
    if (txn->st->absent[db])
        return 0;
    if ((rc = mdb_cursor_open(txn->txn, txn->st->dbi[db], &cur)) != 0)
        return store_rc(rc);
    for (;;) {
        k.mv_size = plen;
        k.mv_data = (void *) prefix;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc != 0 || k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
            break;
        if ((rc = mdb_cursor_del(cur, 0)) != 0)
            break;
        (*deleted)++;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : store_rc(rc);
}

/* store_count - entries of one database in the transaction's snapshot */
uint64_t store_count(struct store_txn *txn, enum store_db db)
{
    MDB_stat ms;

    if (txn->st->absent[db])
        return 0;
    return mdb_stat(txn->txn, txn->st->dbi[db], &ms) == 0 ? ms.ms_entries : 0;
}

/* seq_load - read the history sequence counter into the write transaction once; 0 or a store error */
static int seq_load(struct store_txn *txn)
{
    MDB_val key = {sizeof(meta_seq) - 1, (void *) meta_seq};
    MDB_val val;
    int rc;

    if (!txn->write)
        return -EROFS;
    if (!txn->seq_loaded) {
        rc = mdb_get(txn->txn, txn->st->dbi[STORE_DB_META], &key, &val);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return store_rc(rc);
        txn->seq = 0;
        if (rc == 0 && val.mv_size == 8)
            txn->seq = bytes_get_u64(val.mv_data);
        txn->seq_loaded = 1;
    }
    return 0;
}

/* store_next_seq - next history sequence number */
int store_next_seq(struct store_txn *txn, uint64_t *seq)
{
    int rc = seq_load(txn);

    if (rc == 0)
        *seq = ++txn->seq;
    return rc;
}

/* store_peek_seq - the number store_next_seq will give next, without taking it */
int store_peek_seq(struct store_txn *txn, uint64_t *seq)
{
    int rc = seq_load(txn);

    if (rc == 0)
        *seq = txn->seq + 1;
    return rc;
}

/* store_address_hash - keyed BLAKE2b of a normalized address, hex */
void store_address_hash(const struct store *st, const char *addr, char out[STORE_HASH_HEXSZ])
{
    unsigned char mac[16];

    crypto_generichash(mac, sizeof(mac), (const unsigned char *) addr, strlen(addr),
                       st->forget_key, sizeof(st->forget_key));
    sodium_bin2hex(out, STORE_HASH_HEXSZ, mac, sizeof(mac));
}

/* store_stat - sizes, reader use and entry counts */
int store_stat(struct store *st, struct store_stats *out)
{
    struct store_txn *t;
    MDB_envinfo info;
    MDB_stat ms;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = store_read_begin(st, &t)) != 0)
        return rc;
    mdb_env_info(st->env, &info);
    mdb_env_stat(st->env, &ms);
    out->map_size = info.me_mapsize;
    out->page_size = ms.ms_psize;
    out->used_bytes = (uint64_t) (info.me_last_pgno + 1) * ms.ms_psize;
    out->max_readers = info.me_maxreaders;
    out->readers_used = info.me_numreaders;
    out->schema_version = STORE_SCHEMA_VERSION;
    for (int db = 0; db < STORE_DB_COUNT; db++) {
        if ((rc = mdb_stat(t->txn, st->dbi[db], &ms)) != 0)
            break;
        out->entries[db] = ms.ms_entries;
    }
    store_read_end(t);
    return store_rc(rc);
}

/* dir_is_empty - 1 when a directory has no entries, 0 when it has, -errno on error */
static int dir_is_empty(const char *path)
{
    struct dirent *de;
    DIR *dir;
    int empty = 1;

    if ((dir = opendir(path)) == NULL)
        return -errno;
    while (empty && (de = readdir(dir)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = 0;
    closedir(dir);
    return empty;
}

/* store_backup - hot compacted copy into an empty or new directory */
int store_backup(struct store *st, const char *dest)
{
    char path[PATH_MAX];
    int rc, fd;

    if (mkdir(dest, 0700) < 0) {
        if (errno != EEXIST)
            return -errno;
        if ((rc = dir_is_empty(dest)) <= 0)
            return rc < 0 ? rc : -EEXIST;
    }
    /* the copy holds consent, history and the erasure key: 0600 whatever the umask */
    if (snprintf(path, sizeof(path), "%s/data.mdb", dest) >= (int) sizeof(path))
        return -ENAMETOOLONG;
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return -errno;
    pthread_rwlock_rdlock(&st->resize_lock);
    rc = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT);
    pthread_rwlock_unlock(&st->resize_lock);
    if (rc == 0 && fsync(fd) < 0)
        rc = errno;
    if (close(fd) < 0 && rc == 0)
        rc = errno;
    if (rc != 0)
        unlink(path);
    return store_rc(rc);
}

