/* store.h - the LMDB consent store wrapper: environment, named databases, transactions (see store.c) */
#ifndef OPTIN_STORE_H
#define OPTIN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define STORE_SCHEMA_VERSION 2     /* 2: the "token" database became "confirm" */

/* Return values follow status.h: 0, OPTIN_NOTFOUND (not an error), or a negative error. */

/* Named databases of the environment. */
enum store_db {
    STORE_DB_META,     /* schema_version, history sequence, forget key */
    STORE_DB_CONSENT,  /* "address\0list" -> consent record */
    STORE_DB_SUPPRESS, /* "address" | "@domain" -> suppression record */
    STORE_DB_HISTORY,  /* "address\0" + 8-byte big-endian sequence -> JSON event */
    STORE_DB_CONFIRM,  /* double opt-in confirmation code -> time, list, address */
    STORE_DB_ERASED,   /* "#keyedhash" -> suppression of an erased address */
    STORE_DB_SOFTBOUNCE, /* "keyedhash" -> recent soft bounces (time, report fingerprint) */
    STORE_DB_LASTSEND, /* "address\0list" -> last delivery (journal index); optional, made by writers */
    STORE_DB_BATCH,    /* 8-byte id -> JSON facts an import run's events share; optional, made by writers */
    STORE_DB_COUNT
};

struct store;
struct store_txn;

struct store_options {
    const char *path;     /* environment directory */
    uint64_t map_size;    /* bytes; grown on demand by writers */
    unsigned max_readers; /* reader slots; fixed by whoever creates the lock file */
    int readonly;         /* open for lookups only */
    int create;           /* create directory and databases if missing (optinctl init) */
    int nosync;           /* bulk load: no fsync per commit; call store_sync() at the end */
};

struct store_stats {
    uint64_t map_size;
    uint64_t used_bytes;  /* pages in use x page size */
    uint64_t page_size;
    unsigned max_readers;
    unsigned readers_used;
    uint64_t entries[STORE_DB_COUNT];
    unsigned schema_version;
};

/* store_open - open (or with create, initialise) the environment; err gets a one-line reason. */
int store_open(const struct store_options *opt, struct store **out, char *err, size_t errsz);
/* store_close - close the environment; no transaction may be live. */
void store_close(struct store *st);
/* store_sync - flush to disk (after a nosync bulk load). */
int store_sync(struct store *st);

/* store_read_begin - a short read-only snapshot; end it in the same thread and callback. */
int store_read_begin(struct store *st, struct store_txn **out);
/* store_read_end - release the snapshot. */
void store_read_end(struct store_txn *txn);

/*
 * store_write - run fn in a write transaction and commit when it returns 0.
 * fn must be re-runnable: on a full map the transaction is aborted, the map grown and fn run again.
 * A non-zero return from fn aborts the transaction and is returned as is.
 */
typedef int (*store_write_fn)(struct store_txn *txn, void *arg);
int store_write(struct store *st, store_write_fn fn, void *arg);

/* store_txn_store - the store a transaction belongs to. */
struct store *store_txn_store(struct store_txn *txn);

/* store_get - value (valid until the transaction ends; copy it) or OPTIN_NOTFOUND. */
int store_get(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              const void **val, size_t *vlen);
int store_put(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
              const void *val, size_t vlen);
/* store_del - delete one key; OPTIN_NOTFOUND when absent. */
int store_del(struct store_txn *txn, enum store_db db, const void *key, size_t klen);

/* store_scan - call fn for each key starting with prefix (plen 0: all), in key order; fn != 0 stops and is returned. */
typedef int (*store_scan_fn)(const void *key, size_t klen, const void *val, size_t vlen, void *arg);
int store_scan(struct store_txn *txn, enum store_db db, const void *prefix, size_t plen,
               store_scan_fn fn, void *arg);
/* store_del_prefix - delete every key starting with prefix; *deleted gets the count. */
int store_del_prefix(struct store_txn *txn, enum store_db db, const void *prefix, size_t plen,
                     uint64_t *deleted);

/* store_count - number of entries of a database in this snapshot (cheap: no tree walk). */
uint64_t store_count(struct store_txn *txn, enum store_db db);

/* store_next_seq - next value of the history sequence (write transactions only). */
int store_next_seq(struct store_txn *txn, uint64_t *seq);
/* store_peek_seq - the number store_next_seq will give next (the event about to be written). */
int store_peek_seq(struct store_txn *txn, uint64_t *seq);

#define STORE_HASH_HEXSZ 33
/* store_address_hash - keyed hash (hex) of a normalized address, for erased addresses. */
void store_address_hash(const struct store *st, const char *addr, char out[STORE_HASH_HEXSZ]);

/* store_stat - sizes and entry counts. */
int store_stat(struct store *st, struct store_stats *out);
/* store_backup - hot, compacted copy into dest (a directory that must not exist or be empty). */
int store_backup(struct store *st, const char *dest);

#endif
