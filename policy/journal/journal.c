/*
 * NAME
 *	journal 3
 * SUMMARY
 *	the decision journal: hash-chained JSON lines, one transaction at a time
 * SYNOPSIS
 *	#include "journal/journal.h"
 *
 *	int	journal_open(const char *path, struct journal **out,
 *			     char *err, size_t errsz)
 *	void	journal_set_sync(struct journal *j, int seconds)
 *	int	journal_reopen(struct journal *j)
 *	int	journal_head(struct journal *j, uint64_t *seq, char hash[])
 *	void	journal_close(struct journal *j)
 *
 *	struct journal_batch *journal_batch_new(void)
 *	int	journal_batch_add(struct journal_batch *b,
 *				  const struct journal_entry *e)
 *	int	journal_commit(struct journal *j, struct journal_batch *b)
 *	int	journal_write(struct journal *j, const struct journal_entry *e)
 * DESCRIPTION
 *	The journal is the record of every decision, read by compliance
 *	officers, rotated by logrotate, checked by optinctl journal verify.
 *	Each decision is one line holding one JSON object with these members
 *	in this order:
 *
 *	seq		the line's number, 1 for the first line ever, one
 *			more for each line, across rotation and processes
 *	time		when it was decided, RFC 3339 UTC
 *	queue_id	the MTA's queue id, or the session id before it
 *	session_id	optin-milter's own id of the message ("optin-N.M")
 *	client_addr	the SMTP client's address
 *	sender		the envelope sender
 *	list		the list id; absent for unattributed bulk mail
 *	recipient	the normalized recipient (the raw one, escaped,
 *			when it is not a valid address); absent for a
 *			decision about the whole message
 *	recipient_raw	the recipient exactly as the MTA gave it
 *	verdict, reason, mode
 *	method, consent_time, confirm_time, consent_source,
 *	policy_version, history_seq
 *			the consent record a delivery relied on
 *	spf		the SPF result of list mail whose sender was checked
 *	note		free text
 *	pd		"n:" and a random nonce when the line names a
 *			recipient ("d:" and a digest once it was erased)
 *	prev		the hash of the line before, on the first line
 *			written into a file
 *	hash		SHA-256 chained over the line before (chain(3))
 *
 *	A member whose string is NULL, or whose number is 0, is left out.
 *	Strings are escaped as JSON requires (jsonw(3), the text jansson
 *	would write); valid UTF-8 is kept and each byte that is not becomes
 *	U+FFFD, so every line is valid JSON.
 *
 *	Lines are built into a batch (journal_batch_add(): no lock, no tree,
 *	no allocation once the batch has grown, and one getrandom(2) for the
 *	nonces of eight lines) and a batch is committed with one write(2):
 *	optin-milter commits one batch per SMTP transaction when it ends.
 *	Commits are grouped: a thread that commits while another is writing
 *	waits, and the next writer takes every batch waiting then into one
 *	write(2) and one fdatasync(2); each journal_commit() still returns
 *	only when its own lines were written and synced, with the group's
 *	result (a batch with a malformed line fails alone). The writer
 *	takes the process's mutex and an exclusive flock(2)
 *	on PATH.head, so every writer of the file (the milter's threads,
 *	optinctl feedback) continues one chain: the head file holds the
 *	sequence number and hash of the last line written. A writer whose
 *	own view of the end of the file still holds (the file has the size
 *	it left) needs no read; otherwise it reads the head file and the
 *	tail of the file and takes the later of the two. When PATH names
 *	another file than the one open (logrotate moved it) the writer
 *	opens PATH again first, so no line goes to a rotated file after a
 *	line of another writer went to the new one; journal_reopen() only
 *	makes that happen at once. When PATH cannot be opened, lines go on
 *	to the file open (a line in the moved file beats a line lost). The
 *	first line written into a file carries "prev". A line cut short by
 *	a write error is ended by a newline before the next one. A head
 *	file made by journal_open() gets the journal file's owner, group and
 *	mode, since every writer of the journal must take its lock. The
 *	journal file is opened for reading too, for its tail.
 *
 *	Durability: with journal_set_sync(j, 0) (the default) the file is
 *	fdatasync(2)ed before journal_commit() returns, so a receipt is on
 *	disk before the MTA is told the message may go; with N > 0 at most
 *	every N seconds, at the first commit after that: an operating-system
 *	crash may then lose the lines of the last N seconds. The head file
 *	is not synced: after a crash the later of head file and file tail
 *	wins, and lines lost by the crash show as missing in verify.
 * DIAGNOSTICS
 *	journal_open() returns 0, or -errno after writing
 *	"PATH: cannot open: REASON" into err and setting *out to NULL.
 *	journal_reopen() returns 0 or -errno from open(2); the journal then
 *	keeps its descriptor. journal_commit() and journal_write() return 0,
 *	-EINVAL, -ENOMEM, or -errno from flock(2), write(2) (-EIO when it
 *	wrote nothing) or fdatasync(2); the batch is emptied either way.
 *	Nothing here logs.
 * SEE ALSO
 *	chain(3), optin-milter.conf(5), optinctl(1), jansson, logrotate(8)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#define _DEFAULT_SOURCE 1                /* flock(2) */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal/journal.h"
#include "util/jsonw.h"
#include "util/timeutil.h"

#define JOURNAL_MODE 0640
#define JOURNAL_FLAGS (O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC)  /* read: the tail, to continue the chain */
#define HEAD_FLAGS (O_RDWR | O_CREAT | O_CLOEXEC)
#define HEAD_SUFFIX ".head"
#define HEAD_LEN (20 + 1 + CHAIN_HASH_HEX + 1)   /* "%020" PRIu64 " HASH\n" */
#define TAIL_BYTES 65536                         /* a line is never longer */
#define LINE_EXTRA 128                           /* seq, prev and hash around an entry */

/* A commit waiting for the group writer: the batch, and its result once written. */
struct commit_wait {
    const struct journal_batch *batch;
    int rc, done;
    struct commit_wait *next;
};

struct journal {
    pthread_mutex_t queue_lock;        /* guards the four members that follow */
    pthread_cond_t written;            /* a group was written: look at your done */
    struct commit_wait *queue, **queue_tail;
    int writing;                       /* a thread is writing a group */
    pthread_mutex_t lock;              /* guards everything below */
    int fd, headfd;
    char *path, *head_path;
    dev_t dev;                         /* the file fd is open on */
    ino_t ino;
    int known;                         /* seq, hash and end describe the file's end */
    off_t end;
    uint64_t seq;
    char hash[CHAIN_HASH_BUFSZ];
    int sync_seconds;
    time_t last_sync;
};

/* Serialized entries, one per "\n"-terminated text, without seq, prev and hash. */
struct journal_batch {
    char *text;
    size_t len, cap, count;
    unsigned char pool[8 * CHAIN_NONCE_BYTES];   /* random bytes for the next nonces */
    size_t pool_used;
};

/* open_path - open a file with flags, retrying EINTR; the descriptor or -errno */
static int open_path(const char *path, int flags)
{
    int fd;

    do
        fd = open(path, flags, JOURNAL_MODE);
    while (fd < 0 && errno == EINTR);
    return fd >= 0 ? fd : -errno;
}

/* open_head - open the head file; a new one gets the journal file's owner, group and mode, since
 * every writer of the journal must be able to take its lock; the descriptor or -errno */
static int open_head(const char *path, int journal_fd)
{
    struct stat st;
    int fd = open_path(path, HEAD_FLAGS | O_EXCL);

    if (fd == -EEXIST)
        return open_path(path, HEAD_FLAGS);
    if (fd >= 0 && fstat(journal_fd, &st) == 0) {
        if (fchown(fd, st.st_uid, st.st_gid) != 0 && fchown(fd, (uid_t) -1, st.st_gid) != 0)
            (void) 0;                    /* not ours to give away: the mode still follows */
        if (fchmod(fd, st.st_mode & 0666) != 0)
            (void) 0;
    }
    return fd;
}

/* How an entry member becomes a JSON member. */
enum member_kind {
    MEMBER_STRING,                       /* left out when NULL */
    MEMBER_NONEMPTY,                     /* left out when NULL or "" (a record's optional fields) */
    MEMBER_TIME,                         /* RFC 3339, left out when 0 */
    MEMBER_COUNT,                        /* an integer, left out when 0 */
};

#define ENTRY(name, kind) {#name, offsetof(struct journal_entry, name), kind}

/* The members of a line, in journal order (pd, prev and hash are the chain's). */
static const struct {
    const char *name;
    size_t offset;
    enum member_kind kind;
} entry_members[] = {
    ENTRY(time, MEMBER_TIME), ENTRY(queue_id, MEMBER_STRING), ENTRY(session_id, MEMBER_STRING),
    ENTRY(client_addr, MEMBER_STRING), ENTRY(sender, MEMBER_STRING), ENTRY(list, MEMBER_STRING),
    ENTRY(recipient, MEMBER_STRING), ENTRY(recipient_raw, MEMBER_STRING),
    ENTRY(verdict, MEMBER_STRING), ENTRY(reason, MEMBER_STRING), ENTRY(mode, MEMBER_STRING),
    ENTRY(method, MEMBER_STRING), ENTRY(consent_time, MEMBER_TIME), ENTRY(confirm_time, MEMBER_TIME),
    ENTRY(consent_source, MEMBER_NONEMPTY), ENTRY(policy_version, MEMBER_NONEMPTY),
    ENTRY(history_seq, MEMBER_COUNT), ENTRY(spf, MEMBER_STRING), ENTRY(note, MEMBER_STRING),
};

/* put_member - one member of the entry, as its kind says (left out when empty) */
static void put_member(struct jsonw *w, const struct journal_entry *e, size_t i)
{
    const void *field = (const char *) e + entry_members[i].offset;
    const char *name = entry_members[i].name, *str = NULL;
    char buf[TIME_BUFSZ];

    switch (entry_members[i].kind) {
    case MEMBER_TIME:
        if (*(const int64_t *) field != 0)
            str = time_format(*(const int64_t *) field, buf);
        break;
    case MEMBER_COUNT:
        if (*(const uint64_t *) field != 0)
            jsonw_uint(w, name, *(const uint64_t *) field);
        return;
    case MEMBER_NONEMPTY:
        str = *(const char *const *) field;
        str = str && *str ? str : NULL;
        break;
    default:
        str = *(const char *const *) field;
    }
    if (str != NULL)
        jsonw_string(w, name, str);
}

/* next_nonce - "n:" and fresh random hex from the batch's pool, refilled with one call when used up */
static void next_nonce(struct journal_batch *b, char out[CHAIN_NONCE_HEX + 3])
{
    if (b->pool_used == 0 || b->pool_used >= sizeof(b->pool)) {
        randombytes_buf(b->pool, sizeof(b->pool));
        b->pool_used = 0;
    }
    chain_nonce(out, b->pool + b->pool_used);
    sodium_memzero(b->pool + b->pool_used, CHAIN_NONCE_BYTES);  /* each nonce is used once */
    b->pool_used += CHAIN_NONCE_BYTES;
}

/* journal_batch_new - an empty batch */
struct journal_batch *journal_batch_new(void)
{
    return calloc(1, sizeof(struct journal_batch));
}

/* journal_batch_add - the entry as one JSON line at the end of the batch (no tree, no allocation
 * once the batch has grown) */
int journal_batch_add(struct journal_batch *b, const struct journal_entry *e)
{
    char nonce[CHAIN_NONCE_HEX + 3];
    struct jsonw w;

    if (b == NULL || e == NULL)
        return -EINVAL;
    jsonw_begin(&w, &b->text, &b->len, &b->cap);
    for (size_t i = 0; i < sizeof(entry_members) / sizeof(entry_members[0]); i++)
        put_member(&w, e, i);
    if (e->recipient || e->recipient_raw) {
        next_nonce(b, nonce);
        jsonw_string(&w, "pd", nonce);
    }
    if (jsonw_end(&w, '\n') != 0)
        return -ENOMEM;
    b->count++;
    return 0;
}

/* journal_batch_count - lines waiting */
size_t journal_batch_count(const struct journal_batch *b)
{
    return b ? b->count : 0;
}

/* journal_batch_clear - forget the lines */
void journal_batch_clear(struct journal_batch *b)
{
    if (b != NULL)
        b->len = b->count = 0;
}

/* journal_batch_free - free a batch */
void journal_batch_free(struct journal_batch *b)
{
    if (b == NULL)
        return;
    free(b->text);
    free(b);
}

/* write_all - write len bytes to fd, continuing short writes; 0 or -errno, *done what was written */
static int write_all(int fd, const char *buf, size_t len, size_t *done)
{
    ssize_t n;

    for (*done = 0; *done < len; *done += (size_t) n) {
        n = write(fd, buf + *done, len - *done);
        if (n < 0 && errno == EINTR)
            n = 0;
        else if (n < 0)
            return -errno;
        else if (n == 0)
            return -EIO;
    }
    return 0;
}

/* head_read - the head file's sequence number and hash; 0, or -1 when it holds none */
static int head_read(int fd, uint64_t *seq, char hash[CHAIN_HASH_BUFSZ])
{
    char buf[HEAD_LEN + 1];
    ssize_t n = pread(fd, buf, HEAD_LEN, 0);
    char *end;

    if (n != HEAD_LEN || buf[20] != ' ' || buf[HEAD_LEN - 1] != '\n')
        return -1;
    buf[20] = '\0';
    *seq = strtoull(buf, &end, 10);
    if (*end != '\0' || strspn(buf + 21, "0123456789abcdef") != CHAIN_HASH_HEX)
        return -1;
    memcpy(hash, buf + 21, CHAIN_HASH_HEX);
    hash[CHAIN_HASH_HEX] = '\0';
    return 0;
}

/* head_write - record the head in the head file (not synced: the file tail wins after a crash) */
static void head_write(struct journal *j)
{
    char buf[HEAD_LEN + 1];

    snprintf(buf, sizeof(buf), "%020" PRIu64 " %s\n", j->seq, j->hash);
    if (pwrite(j->headfd, buf, HEAD_LEN, 0) != HEAD_LEN)
        return;                          /* the tail of the file still tells the truth */
}

/* tail_read - the last whole chained line of fd (size bytes); 0 found, -1 none; *ends_nl the last byte */
static int tail_read(int fd, off_t size, uint64_t *seq, char hash[CHAIN_HASH_BUFSZ], int *ends_nl)
{
    size_t want = size > TAIL_BYTES ? TAIL_BYTES : (size_t) size;
    char *buf = malloc(want + 1);
    struct chain_line cl;
    ssize_t n;
    int found = -1;

    *ends_nl = 1;
    if (buf == NULL || want == 0 || (n = pread(fd, buf, want, size - (off_t) want)) != (ssize_t) want) {
        free(buf);
        return -1;
    }
    *ends_nl = buf[want - 1] == '\n';
    for (size_t end = want; end > 0 && found != 0; end--) {
        size_t start;

        if (buf[end - 1] != '\n')
            continue;
        for (start = end - 1; start > 0 && buf[start - 1] != '\n'; start--)
            ;
        if (chain_scan(buf + start, end - 1 - start, &cl) == 0) {
            *seq = cl.seq;
            memcpy(hash, buf + start + cl.hash.off, CHAIN_HASH_HEX);
            hash[CHAIN_HASH_HEX] = '\0';
            found = 0;
        }
        end = start + 1;
    }
    free(buf);
    return found;
}

/* file_follow - make fd the file PATH names now (logrotate may have moved it); its size, or -errno.
 * When PATH cannot be opened, fd stays: a line in the moved file beats a line lost. */
static off_t file_follow(struct journal *j, int *reopen_error)
{
    struct stat st;
    int fd;

    *reopen_error = 0;
    if (stat(j->path, &st) == 0 && st.st_dev == j->dev && st.st_ino == j->ino)
        return st.st_size;
    if ((fd = open_path(j->path, JOURNAL_FLAGS)) < 0) {
        *reopen_error = fd;
        return fstat(j->fd, &st) == 0 ? st.st_size : -EIO;
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -EIO;
    }
    close(j->fd);
    j->fd = fd;
    j->dev = st.st_dev;
    j->ino = st.st_ino;
    j->known = 0;
    return st.st_size;
}

/* head_recover - learn the end of the chain from the head file and the file's tail; *first: no line in it yet */
static void head_recover(struct journal *j, off_t size, int *first, int *ends_nl)
{
    uint64_t seq_t = 0, seq_h = 0;
    char hash_t[CHAIN_HASH_BUFSZ], hash_h[CHAIN_HASH_BUFSZ];
    int have_t = size > 0 && tail_read(j->fd, size, &seq_t, hash_t, ends_nl) == 0;
    int have_h = head_read(j->headfd, &seq_h, hash_h) == 0;

    if (size == 0)
        *ends_nl = 1;
    *first = !have_t;
    if (have_t && (!have_h || seq_t >= seq_h)) {
        j->seq = seq_t;
        memcpy(j->hash, hash_t, sizeof(hash_t));
    } else if (have_h) {
        j->seq = seq_h;                  /* later than the file: rotated, or lines lost in a crash */
        memcpy(j->hash, hash_h, sizeof(hash_h));
    } else {
        j->seq = 0;
        snprintf(j->hash, sizeof(j->hash), "%s", CHAIN_GENESIS);
    }
}

/* chain_lines - the batch as chained lines after the head into out; its length, or 0 when a line is malformed */
static size_t chain_lines(struct journal *j, const struct journal_batch *b, int first, char *out)
{
    size_t len = 0;
    const char *p = b->text, *end = b->text + b->len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        char *line = out + len;
        struct chain_line cl;
        size_t n;

        n = (size_t) sprintf(line, "{\"seq\":%" PRIu64, j->seq + 1);
        if (nl - p > 2) {                /* the members, without the braces */
            line[n++] = ',';
            memcpy(line + n, p + 1, (size_t) (nl - p) - 2);
            n += (size_t) (nl - p) - 2;
        }
        if (first)
            n += (size_t) sprintf(line + n, ",\"prev\":\"%s\"", j->hash);
        n += (size_t) sprintf(line + n, ",\"hash\":\"%s\"}", CHAIN_GENESIS);
        if (chain_scan(line, n, &cl) != 0 || chain_hash(line, &cl, j->hash, j->hash) != 0)
            return 0;
        memcpy(line + cl.hash.off, j->hash, CHAIN_HASH_HEX);
        line[n++] = '\n';
        len += n;
        j->seq++;
        first = 0;
        p = nl + 1;
    }
    return len;
}

/* sync_due - fdatasync now? (every commit, or once the interval passed) */
static int sync_due(struct journal *j)
{
    time_t now = time(NULL);

    if (j->sync_seconds > 0 && now - j->last_sync < j->sync_seconds)
        return 0;
    j->last_sync = now;
    return 1;
}

/* group_fail - every commit of the group still counted as written gets rc instead */
static void group_fail(struct commit_wait *group, int rc)
{
    for (struct commit_wait *w = group; w != NULL; w = w->next)
        if (w->rc == 0)
            w->rc = rc;
}

/* group_size - room for the group's chained lines: its text and what chaining adds to each line */
static size_t group_size(const struct commit_wait *group)
{
    size_t size = 1;                     /* the newline that ends a torn line */

    for (const struct commit_wait *w = group; w != NULL; w = w->next)
        size += w->batch->len + w->batch->count * (LINE_EXTRA + 2 * CHAIN_HASH_HEX);
    return size;
}

/* group_chain - each batch's lines chained into out + 1; their length. A batch with a malformed
 * line gets -EINVAL and leaves the chain as it was; *first is cleared by the first line. */
static size_t group_chain(struct journal *j, struct commit_wait *group, int *first, char *out)
{
    size_t len = 0, n;

    for (struct commit_wait *w = group; w != NULL; w = w->next) {
        uint64_t seq = j->seq;
        char hash[CHAIN_HASH_BUFSZ];

        memcpy(hash, j->hash, sizeof(hash));
        if ((n = chain_lines(j, w->batch, *first, out + 1 + len)) == 0) {
            j->seq = seq;
            memcpy(j->hash, hash, sizeof(hash));
            w->rc = -EINVAL;
            continue;
        }
        w->rc = 0;
        len += n;
        *first = 0;
    }
    return len;
}

/* commit_locked - append the group's batches under both locks: one write(2), one fdatasync(2);
 * each commit's result in its rc */
static void commit_locked(struct journal *j, struct commit_wait *group)
{
    int first = 0, ends_nl = 1, rc, reopen_error;
    off_t size = file_follow(j, &reopen_error);
    size_t len, done;
    char *out;

    group_fail(group, 0);                /* rc is set by group_chain */
    if (size < 0 || (out = malloc(group_size(group))) == NULL) {
        group_fail(group, size < 0 ? (int) size : -ENOMEM);
        return;
    }
    if (!j->known || size != j->end)
        head_recover(j, size, &first, &ends_nl);
    else
        first = size == 0;
    out[0] = '\n';
    if ((len = group_chain(j, group, &first, out)) == 0) {
        free(out);
        return;
    }
    rc = write_all(j->fd, out + ends_nl, len + 1 - (size_t) ends_nl, &done);
    free(out);
    if (rc != 0) {
        j->known = 0;                    /* the next commit reads what really is there */
        group_fail(group, rc);
        return;
    }
    j->known = 1;
    j->end = size + (off_t) done;
    head_write(j);
    if (sync_due(j) && fdatasync(j->fd) != 0)
        group_fail(group, -errno);
}

/* lock_file - flock(2) retrying EINTR; 0 or -errno */
static int lock_file(int fd, int op)
{
    int rc;

    do
        rc = flock(fd, op);
    while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : -errno;
}

/* write_group - take every waiting commit and write them together, under both locks */
static void write_group(struct journal *j)
{
    struct commit_wait *group = j->queue;
    int rc;

    j->queue = NULL;
    j->queue_tail = &j->queue;
    j->writing = 1;
    pthread_mutex_unlock(&j->queue_lock);
    pthread_mutex_lock(&j->lock);
    if ((rc = lock_file(j->headfd, LOCK_EX)) == 0) {
        commit_locked(j, group);
        lock_file(j->headfd, LOCK_UN);
    } else {
        group_fail(group, rc);
    }
    pthread_mutex_unlock(&j->lock);
    pthread_mutex_lock(&j->queue_lock);
    for (struct commit_wait *w = group; w != NULL; w = w->next)
        w->done = 1;
    j->writing = 0;
    pthread_cond_broadcast(&j->written);
}

/* journal_commit - chain and append the batch; commits that wait meanwhile go in one write(2) */
int journal_commit(struct journal *j, struct journal_batch *b)
{
    struct commit_wait self = {.batch = b};

    if (j == NULL || b == NULL)
        return -EINVAL;
    if (b->count == 0)
        return 0;
    pthread_mutex_lock(&j->queue_lock);
    *j->queue_tail = &self;
    j->queue_tail = &self.next;
    while (!self.done) {
        if (!j->writing)
            write_group(j);              /* ours, and whatever queued behind it */
        else
            pthread_cond_wait(&j->written, &j->queue_lock);
    }
    pthread_mutex_unlock(&j->queue_lock);
    journal_batch_clear(b);
    return self.rc;
}

/* journal_write - one entry, committed at once */
int journal_write(struct journal *j, const struct journal_entry *e)
{
    struct journal_batch b = {0};
    int rc;

    if (j == NULL || e == NULL)
        return -EINVAL;
    if ((rc = journal_batch_add(&b, e)) == 0)
        rc = journal_commit(j, &b);
    free(b.text);
    return rc;
}

/* journal_head - the end of the chain as the files say, under the locks */
int journal_head(struct journal *j, uint64_t *seq, char hash[CHAIN_HASH_BUFSZ])
{
    off_t size;
    int rc, first, ends_nl;

    if (j == NULL)
        return -EINVAL;
    pthread_mutex_lock(&j->lock);
    if ((rc = lock_file(j->headfd, LOCK_EX)) == 0) {
        if ((size = file_follow(j, &first)) < 0) {
            rc = (int) size;
        } else {
            if (!j->known || size != j->end)
                head_recover(j, size, &first, &ends_nl);
            j->known = 1;
            j->end = size;
            *seq = j->seq;
            memcpy(hash, j->hash, CHAIN_HASH_BUFSZ);
        }
        lock_file(j->headfd, LOCK_UN);
    }
    pthread_mutex_unlock(&j->lock);
    return rc;
}

/* journal_open - open the file and its head file */
int journal_open(const char *path, struct journal **out, char *err, size_t errsz)
{
    struct journal *j = NULL;
    struct stat st;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (path == NULL || *path == '\0' || out == NULL) {
        if (err != NULL && errsz > 0)
            snprintf(err, errsz, "journal: no path");
        return -EINVAL;
    }
    if (sodium_init() < 0 || (j = calloc(1, sizeof *j)) == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    j->fd = j->headfd = -1;
    if ((j->path = strdup(path)) == NULL
        || (j->head_path = malloc(strlen(path) + sizeof(HEAD_SUFFIX))) == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    sprintf(j->head_path, "%s%s", path, HEAD_SUFFIX);
    if ((j->fd = open_path(path, JOURNAL_FLAGS)) < 0 || (j->headfd = open_head(j->head_path, j->fd)) < 0) {
        rc = j->fd < 0 ? j->fd : j->headfd;
        goto fail;
    }
    if (fstat(j->fd, &st) != 0) {
        rc = -errno;
        goto fail;
    }
    if ((rc = pthread_mutex_init(&j->lock, NULL)) != 0
        || (rc = pthread_mutex_init(&j->queue_lock, NULL)) != 0
        || (rc = pthread_cond_init(&j->written, NULL)) != 0) {
        rc = -rc;
        goto fail;
    }
    j->queue_tail = &j->queue;
    j->dev = st.st_dev;
    j->ino = st.st_ino;
    *out = j;
    return 0;
fail:
    if (err != NULL && errsz > 0)
        snprintf(err, errsz, "%s: cannot open: %s", j && j->fd < 0 ? path : j ? j->head_path : path,
                 strerror(-rc));
    if (j != NULL) {
        if (j->fd >= 0)
            close(j->fd);
        free(j->path);
        free(j->head_path);
    }
    free(j);
    return rc;
}

/* journal_set_sync - fdatasync after every commit (0) or at most every seconds */
void journal_set_sync(struct journal *j, int seconds)
{
    if (j != NULL)
        j->sync_seconds = seconds < 0 ? 0 : seconds;
}

/* journal_reopen - open the path anew at once, rather than at the next commit */
int journal_reopen(struct journal *j)
{
    off_t size;
    int reopen_error;

    if (j == NULL)
        return -EINVAL;
    pthread_mutex_lock(&j->lock);
    size = file_follow(j, &reopen_error);
    pthread_mutex_unlock(&j->lock);
    return reopen_error ? reopen_error : size < 0 ? (int) size : 0;
}

/* journal_close - close the files and free the journal (NULL is fine) */
void journal_close(struct journal *j)
{
    if (j == NULL)
        return;
    if (j->fd >= 0 && j->sync_seconds > 0)
        fdatasync(j->fd);                /* what the interval had not synced yet */
    close(j->fd);
    close(j->headfd);
    pthread_mutex_destroy(&j->lock);
    pthread_mutex_destroy(&j->queue_lock);
    pthread_cond_destroy(&j->written);
    free(j->path);
    free(j->head_path);
    free(j);
}
