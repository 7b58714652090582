/*
 * NAME
 *	files 3
 * SUMMARY
 *	the journal's files: the rotated ones, their lines, redaction
 * SYNOPSIS
 *	#include "journal/files.h"
 *
 *	int	journal_files(const char *path, char ***out, size_t *n)
 *	int	journal_read(const char *file, journal_line_fn *fn, void *arg)
 *	int	journal_read_from(const char *file, off_t from,
 *				  journal_line_fn *fn, void *arg)
 *	int	journal_redact_file(const char *file, journal_match_fn *match,
 *				    void *arg, size_t *count)
 * DESCRIPTION
 *	journal_files() lists PATH and every file next to it whose name is
 *	PATH followed by "." or "-" (logrotate's PATH.1, PATH.2.gz and
 *	dateext's PATH-20241201.gz), but not PATH.head, PATH.tmp* or
 *	PATH.lock, ordered by the sequence number of their first line, so
 *	whatever the naming scheme the oldest comes first. Files holding
 *	no journal line come last.
 *
 *	journal_read() reads a file through zlib, which reads plain and
 *	gzip'd files alike, in blocks, and hands each line to fn without
 *	its newline, NUL-terminated, with its number (from 1) and byte
 *	offset (meaningful for a plain file only). A last line without a
 *	newline is handed over too. journal_read_from() starts at an offset
 *	(of the uncompressed text).
 *
 *	journal_redact_file() applies chain_redact() to each line match()
 *	picks. A plain file is changed in place with pwrite(2), which never
 *	moves a byte, so the milter may go on appending meanwhile. A gzip'd
 *	file is written anew beside it (PATH.tmpXXXXXX, same mode), synced
 *	and renamed over it; nothing is renamed when no line matched.
 * DIAGNOSTICS
 *	-errno from opendir(3), open(2), gzread(3), write(2) or rename(2);
 *	-ENOMEM. Nothing here logs.
 * SEE ALSO
 *	chain(3), journal(3), optinctl(1), zlib
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#define _DEFAULT_SOURCE 1                /* mkstemp, fchmod */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "journal/files.h"

#define READ_BLOCK 65536

/* One file found, with the sequence number of its first line. */
struct found {
    char *path;
    uint64_t first_seq;
    int empty;
};

/* first_seq_of - stop at the first chained line and keep its seq */
static int first_seq_of(char *line, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    struct chain_line cl;

    (void) lineno, (void) offset;
    if (chain_scan(line, len, &cl) != 0)
        return 0;
    *(uint64_t *) arg = cl.seq;
    return 1;
}

/* by_first_seq - order of found files: oldest first, empty ones last */
static int by_first_seq(const void *a, const void *b)
{
    const struct found *x = a, *y = b;

    if (x->empty != y->empty)
        return x->empty - y->empty;
    if (x->first_seq != y->first_seq)
        return x->first_seq < y->first_seq ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* is_rotated - is name (in the journal's directory) base or a rotated copy of it? */
static int is_rotated(const char *name, const char *base)
{
    size_t n = strlen(base);
    const char *rest = name + n;

    if (strncmp(name, base, n) != 0)
        return 0;
    if (*rest == '\0')
        return 1;
    return (*rest == '.' || *rest == '-') && strcmp(rest, ".head") != 0
        && strncmp(rest, ".tmp", 4) != 0 && strcmp(rest, ".lock") != 0;
}

/* journal_files - PATH and its rotated copies, oldest first */
int journal_files(const char *path, char ***out, size_t *n)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t) (slash - path) + (slash == path)) : strdup(".");
    const char *base = slash ? slash + 1 : path;
    struct found *f = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    DIR *d;
    int rc = 0;

    *out = NULL;
    *n = 0;
    if (dir == NULL)
        return -ENOMEM;
    if ((d = opendir(dir)) == NULL) {
        free(dir);
        return -errno;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!is_rotated(de->d_name, base))
            continue;
        if (count == cap) {
            struct found *g = realloc(f, (cap = cap ? cap * 2 : 16) * sizeof(*f));

            if (g == NULL) {
                rc = -ENOMEM;
                break;
            }
            f = g;
        }
        f[count].first_seq = 0;
        if ((f[count].path = malloc(strlen(dir) + strlen(de->d_name) + 2)) == NULL) {
            rc = -ENOMEM;
            break;
        }
        sprintf(f[count].path, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", de->d_name);
        f[count].empty = journal_read(f[count].path, first_seq_of, &f[count].first_seq) != 1;
        count++;
    }
    closedir(d);
    free(dir);
    if (rc == 0 && count > 0 && (*out = calloc(count, sizeof(char *))) == NULL)
        rc = -ENOMEM;
    if (rc == 0)
        qsort(f, count, sizeof(*f), by_first_seq);
    for (size_t i = 0; i < count; i++) {
        if (rc == 0)
            (*out)[i] = f[i].path;
        else
            free(f[i].path);
    }
    *n = rc == 0 ? count : 0;
    free(f);
    return rc;
}

/* journal_files_free - free the list */
void journal_files_free(char **files, size_t n)
{
    for (size_t i = 0; files && i < n; i++)
        free(files[i]);
    free(files);
}

/* gz_errno - the error of a failed gzread as -errno */
static int gz_errno(gzFile gz)
{
    int zerr;

    gzerror(gz, &zerr);
    return zerr == Z_ERRNO ? (errno ? -errno : -EIO) : zerr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
}

/* journal_read - every line of a plain or gzip'd file */
int journal_read(const char *file, journal_line_fn *fn, void *arg)
{
    return journal_read_from(file, 0, fn, arg);
}

/* journal_read_from - the lines from an offset (uncompressed) on */
int journal_read_from(const char *file, off_t from, journal_line_fn *fn, void *arg)
{
    gzFile gz = gzopen(file, "rb");
    size_t cap = 2 * READ_BLOCK, have = 0;
    char *buf = malloc(cap + 1);
    unsigned long lineno = 0;
    off_t base = from;                   /* file offset of buf[0] */
    int rc = 0, got = 0;

    if (gz == NULL || buf == NULL) {
        rc = gz == NULL ? (errno ? -errno : -ENOMEM) : -ENOMEM;
        goto done;
    }
    if (from > 0 && gzseek(gz, from, SEEK_SET) != from) {
        rc = -ESPIPE;
        goto done;
    }
    while (rc == 0 && (got = gzread(gz, buf + have, (unsigned) (cap - have))) > 0) {
        size_t start = 0;

        have += (size_t) got;
        for (char *nl; rc == 0 && (nl = memchr(buf + start, '\n', have - start)) != NULL;) {
            *nl = '\0';
            rc = fn(buf + start, (size_t) (nl - buf) - start, ++lineno, base + (off_t) start, arg);
            start = (size_t) (nl - buf) + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        base += (off_t) start;
        if (have == cap) {               /* a line longer than the buffer: make room */
            char *bigger = realloc(buf, 2 * cap + 1);

            if (bigger == NULL) {
                rc = -ENOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (rc == 0 && got < 0)
        rc = gz_errno(gz);
    if (rc == 0 && have > 0) {           /* the last line had no newline (torn, or being written) */
        buf[have] = '\0';
        rc = fn(buf, have, ++lineno, base, arg);
    }
done:
    if (gz != NULL)
        gzclose(gz);
    free(buf);
    return rc;
}

/* What a redaction pass carries from line to line. */
struct redaction {
    journal_match_fn *match;
    void *arg;
    int fd;                              /* plain file: written in place */
    gzFile out;                          /* gzip'd file: every line written anew */
    size_t count;
};

/* redact_line - redact one line if it matches; write it out (gzip) or in place (plain) */
static int redact_line(char *line, size_t len, unsigned long lineno, off_t offset, void *arg)
{
    struct redaction *r = arg;
    struct chain_line cl;
    int hit;

    (void) lineno;
    hit = chain_scan(line, len, &cl) == 0 && cl.pd.present && line[cl.pd.off] == 'n'
          && r->match(line, &cl, r->arg) && chain_redact(line, &cl) == 0;
    r->count += hit != 0;
    if (r->out != NULL) {
        line[len] = '\n';
        return gzwrite(r->out, line, (unsigned) len + 1) == (int) len + 1 ? 0 : gz_errno(r->out);
    }
    if (hit && pwrite(r->fd, line, len, offset) != (ssize_t) len)
        return errno ? -errno : -EIO;
    return 0;
}

/* is_gzip - does the file start with the gzip magic? */
static int is_gzip(int fd)
{
    unsigned char magic[2];

    return pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/* redact_gzip - write a redacted copy of a gzip'd file and rename it over the original */
static int redact_gzip(const char *file, int fd, struct redaction *r)
{
    struct stat st;
    char *tmp = malloc(strlen(file) + 12);
    int tfd = -1, rc;

    if (tmp == NULL || fstat(fd, &st) != 0) {
        free(tmp);
        return -ENOMEM;
    }
    sprintf(tmp, "%s.tmpXXXXXX", file);
    if ((tfd = mkstemp(tmp)) < 0 || fchmod(tfd, st.st_mode & 07777) != 0
        || (r->out = gzdopen(dup(tfd), "wb")) == NULL) {
        rc = -errno;
        goto done;
    }
    rc = journal_read(file, redact_line, r);
    if (gzclose(r->out) != Z_OK && rc == 0)
        rc = -EIO;
    r->out = NULL;
    if (rc == 0 && r->count > 0 && fsync(tfd) != 0)
        rc = -errno;
    if (rc == 0 && r->count > 0 && rename(tmp, file) != 0)
        rc = -errno;
done:
    if (tfd >= 0)
        close(tfd);
    if (rc != 0 || r->count == 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* journal_redact_file - redact the lines match picks, in place or by rewriting a gzip'd file */
int journal_redact_file(const char *file, journal_match_fn *match, void *arg, size_t *count)
{
    struct redaction r = {.match = match, .arg = arg, .fd = -1};
    int rc;

    *count = 0;
    if ((r.fd = open(file, O_RDWR | O_CLOEXEC)) < 0)
        return -errno;
    if (is_gzip(r.fd))
        rc = redact_gzip(file, r.fd, &r);
    else if ((rc = journal_read(file, redact_line, &r)) == 0 && r.count > 0 && fdatasync(r.fd) != 0)
        rc = -errno;
    close(r.fd);
    *count = r.count;
    return rc;
}
