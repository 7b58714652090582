/*
 * NAME
 *	journal 3
 * SUMMARY
 *	the decision journal: one JSON object per line, for audits
 * SYNOPSIS
 *	#include "enforce/journal.h"
 *
 *	int	journal_open(const char *path, struct journal **out,
 *			     char *err, size_t errsz)
 *	int	journal_reopen(struct journal *j)
 *	void	journal_close(struct journal *j)
 *	int	journal_write(struct journal *j, const struct journal_entry *e)
 * DESCRIPTION
 *	The journal is the record of every decision the milter takes, read
 *	by compliance officers and rotated by logrotate. Each decision is
 *	one line holding one JSON object, written by jansson in compact
 *	form, with these members in this order:
 *
 *	time		when it was decided, RFC 3339 UTC
 *			("2024-05-01T12:00:00Z")
 *	queue_id	the MTA's queue id, or the session id before it
 *	session_id	optin-milter's own id of the message ("optin-N.M"),
 *			on every line, so lines written before the queue id
 *			was known join the later ones
 *	client_addr	the SMTP client's address
 *	sender		the envelope sender
 *	list		the list id; absent for unattributed bulk mail
 *	recipient	the normalized recipient (the raw one, escaped,
 *			when it is not a valid address); absent for a
 *			decision about the whole message
 *	recipient_raw	the recipient exactly as the MTA gave it
 *	verdict		accept, reject, strip, tempfail, discard,
 *			would-reject, ...
 *	reason		why, e.g. "unsubscribed"
 *	mode		enforce or monitor
 *	method		the consent an accepted recipient relied on
 *	consent_time	when that consent was given, RFC 3339 UTC
 *	spf		the SPF result of list mail whose sender was
 *			checked (pass, fail, softfail, neutral, none,
 *			temperror, permerror; see spf(3))
 *	note		free text
 *
 *	A member whose string is NULL, or whose time is 0, is left out.
 *	Strings are escaped as JSON requires (quotes, backslashes and
 *	control characters); valid UTF-8 is kept as it is, and each byte
 *	that is not part of valid UTF-8 becomes U+FFFD, so that every line
 *	is valid JSON whatever the SMTP client sent.
 *
 *	journal_open() opens path with O_WRONLY, O_APPEND, O_CREAT and
 *	O_CLOEXEC; a new file gets mode 0640 less the umask. Each line,
 *	newline included, is handed to one write(2) call, under a mutex,
 *	so lines of concurrent threads never interleave, and O_APPEND
 *	keeps them whole against other processes appending to the same
 *	file. A short write is continued; if the rest cannot be written,
 *	the next line starts with a newline, so the torn line stands alone.
 *
 *	journal_reopen() opens the same path again and swaps the new
 *	descriptor in under the mutex: it is called from the reload thread
 *	after logrotate moved the file away. Lines written before the swap
 *	go to the moved file, lines after it to the new one.
 *
 *	journal_close() closes the file and frees the journal (NULL is
 *	fine); no other thread may use it then. Lines are not buffered, so
 *	there is nothing to flush.
 * DIAGNOSTICS
 *	journal_open() returns 0, or -errno after writing
 *	"PATH: cannot open: REASON" into err (cut at errsz, always
 *	NUL-terminated) and setting *out to NULL.
 *
 *	journal_reopen() returns 0, or -errno from open(2), in which case
 *	the journal keeps writing to the descriptor it had.
 *
 *	journal_write() returns 0, -EINVAL for a NULL argument, -ENOMEM,
 *	or -errno from write(2) (-EIO when write(2) wrote nothing).
 * SEE ALSO
 *	optin-milter.conf(5), jansson, logrotate(8), timeutil(3)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enforce/journal.h"
#include "util/timeutil.h"
#include "util/text.h"

#define JOURNAL_MODE 0640
#define JOURNAL_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)
#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

struct journal {
    pthread_mutex_t lock;              /* guards fd and torn */
    int fd;
    int torn;                          /* the last line was cut short: start the next with "\n" */
    char *path;
};

/* open_path - open the journal file; the descriptor or -errno */
static int open_path(const char *path)
{
    int fd;

    do
        fd = open(path, JOURNAL_FLAGS, JOURNAL_MODE);
    while (fd < 0 && errno == EINTR);
    return fd >= 0 ? fd : -errno;
}

/* add_string - set obj[key] to the string value, if there is one; 0 or -1 */
static int add_string(json_t *obj, const char *key, const char *value)
{
    json_t *s;
    char *fixed;

    if (value == NULL)
        return 0;
    if ((s = json_string(value)) == NULL && (fixed = text_repair(value)) != NULL) {
        s = json_string(fixed);      /* NULL only when out of memory */
        free(fixed);
    }
    return s != NULL ? json_object_set_new(obj, key, s) : -1;
}

/* add_time - set obj[key] to t in RFC 3339 UTC, if it is not 0; 0 or -1 */
static int add_time(json_t *obj, const char *key, int64_t t)
{
    char buf[TIME_BUFSZ];

    if (t == 0)
        return 0;
    return add_string(obj, key, time_format(t, buf));
}

/* entry_object - the entry as a JSON object with its members in journal order, or NULL */
static json_t *entry_object(const struct journal_entry *e)
{
    json_t *obj = json_object();
    int bad;

    if (obj == NULL)
        return NULL;
    bad = add_time(obj, "time", e->time)
        | add_string(obj, "queue_id", e->queue_id)
        | add_string(obj, "session_id", e->session_id)
        | add_string(obj, "client_addr", e->client_addr)
        | add_string(obj, "sender", e->sender)
        | add_string(obj, "list", e->list)
        | add_string(obj, "recipient", e->recipient)
        | add_string(obj, "recipient_raw", e->recipient_raw)
        | add_string(obj, "verdict", e->verdict)
        | add_string(obj, "reason", e->reason)
        | add_string(obj, "mode", e->mode)
        | add_string(obj, "method", e->method)
        | add_time(obj, "consent_time", e->consent_time)
        | add_string(obj, "spf", e->spf)
        | add_string(obj, "note", e->note);
    if (bad != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/*
 * entry_line - "\n" (room for a torn line's end), the JSON text and "\n", allocated;
 * *len is the length of the line without the leading byte. NULL when out of memory.
 */
static char *entry_line(const struct journal_entry *e, size_t *len)
{
    json_t *obj = entry_object(e);
    char *buf = NULL;
    size_t n;

    if (obj == NULL)
        return NULL;
    n = json_dumpb(obj, NULL, 0, DUMP_FLAGS);
    if (n > 0 && (buf = malloc(n + 2)) != NULL) {
        buf[0] = '\n';
        if (json_dumpb(obj, buf + 1, n, DUMP_FLAGS) != n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n + 1] = '\n';
            *len = n + 1;
        }
    }
    json_decref(obj);
    return buf;
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

/* journal_open - open for appending (created 0640); err gets a reason */
int journal_open(const char *path, struct journal **out, char *err, size_t errsz)
{
    struct journal *j;
    int fd, rc;

    if (out != NULL)
        *out = NULL;
    if (path == NULL || *path == '\0' || out == NULL) {
        if (err != NULL && errsz > 0)
            snprintf(err, errsz, "journal: no path");
        return -EINVAL;
    }
    if ((j = calloc(1, sizeof *j)) == NULL || (j->path = strdup(path)) == NULL) {
        rc = -ENOMEM;
    } else if ((rc = pthread_mutex_init(&j->lock, NULL)) != 0) {
        rc = -rc;
    } else if ((fd = open_path(path)) < 0) {
        pthread_mutex_destroy(&j->lock);
        rc = fd;
    } else {
        j->fd = fd;
        *out = j;
        return 0;
    }
    if (err != NULL && errsz > 0)
        snprintf(err, errsz, "%s: cannot open: %s", path, strerror(-rc));
    if (j != NULL)
        free(j->path);
    free(j);
    return rc;
}

/* journal_reopen - open the path anew and swap the descriptor in; the old one stays on failure */
int journal_reopen(struct journal *j)
{
    int fd, old;

    if (j == NULL)
        return -EINVAL;
    if ((fd = open_path(j->path)) < 0)
        return fd;
    pthread_mutex_lock(&j->lock);
    old = j->fd;
    j->fd = fd;
    j->torn = 0;
    pthread_mutex_unlock(&j->lock);
    close(old);
    return 0;
}

/* journal_close - close the file and free the journal (NULL is fine) */
void journal_close(struct journal *j)
{
    if (j == NULL)
        return;
    close(j->fd);
    pthread_mutex_destroy(&j->lock);
    free(j->path);
    free(j);
}

/* journal_write - append one line with one write(2) under the mutex; 0 or -errno */
int journal_write(struct journal *j, const struct journal_entry *e)
{
    char *buf;
    size_t len, done;
    int rc, skip;

    if (j == NULL || e == NULL)
        return -EINVAL;
    if ((buf = entry_line(e, &len)) == NULL)
        return -ENOMEM;
    pthread_mutex_lock(&j->lock);
    skip = !j->torn;                   /* buf[0] is the "\n" that ends a torn line */
    rc = write_all(j->fd, buf + skip, len + 1 - (size_t) skip, &done);
    if (rc == 0)
        j->torn = 0;
    else if (done > (size_t) (1 - skip))
        j->torn = 1;                   /* part of this line is in the file */
    else if (done > 0)
        j->torn = 0;                   /* only the "\n" that ended the torn line */
    pthread_mutex_unlock(&j->lock);
    free(buf);
    return rc;
}
