/*
 * NAME
 *	maildir 3
 * SUMMARY
 *	keep a message in a Maildir for a person to read
 * SYNOPSIS
 *	#include "util/maildir.h"
 *
 *	int	maildir_deliver(dir, data, len, now, path, pathsz, err, errsz)
 * DESCRIPTION
 *	maildir_deliver() writes one message the way Maildir readers expect
 *	(mutt, Dovecot, mblaze): the directory and its tmp/, new/ and cur/
 *	are made when missing (mode 0750), the message is written to
 *	tmp/NAME with O_EXCL, mode 0640 whatever the umask, synced, and
 *	renamed to new/NAME, so a reader never sees half a message. NAME is
 *	SECONDS.M<microseconds>P<pid>Q<count>.<host>, unique per process and
 *	call; a name already taken (EEXIST) is retried with the next count.
 * DIAGNOSTICS
 *	Returns 0, or -errno with a reason in err ("DIR/tmp: Permission
 *	denied", "write DIR/tmp/NAME: No space left on device"); a failed
 *	write leaves no file in tmp/.
 * SEE ALSO
 *	optinctl(1), maildir(5)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/maildir.h"

#define MAILDIR_TRIES 8              /* names tried before EEXIST is given up */
#define MAILDIR_PATH_MAX 4096

static const char *const maildir_subdirs[] = {"", "/tmp", "/new", "/cur"};

/* maildir_fail - -errno with "WHAT: reason" in err */
static int maildir_fail(int e, const char *what, char *err, size_t errsz)
{
    snprintf(err, errsz, "%s: %s", what, strerror(e));
    return -e;
}

/* maildir_make - dir and its subdirectories, each when missing */
static int maildir_make(const char *dir, char *err, size_t errsz)
{
    char path[MAILDIR_PATH_MAX];

    for (size_t i = 0; i < sizeof(maildir_subdirs) / sizeof(maildir_subdirs[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", dir, maildir_subdirs[i]);
        if (mkdir(path, 0750) != 0 && errno != EEXIST)
            return maildir_fail(errno, path, err, errsz);
    }
    return 0;
}

/* maildir_name - the next unique file name */
static void maildir_name(int64_t now, char *name, size_t namesz)
{
    static unsigned count;
    struct timeval tv;
    char host[256] = "localhost";

    gettimeofday(&tv, NULL);
    gethostname(host, sizeof(host) - 1);
    for (char *h = host; *h; h++)
        if (*h == '/' || *h == ':')
            *h = '_';
    snprintf(name, namesz, "%lld.M%06ldP%ldQ%u.%s", (long long) now, (long) tv.tv_usec,
             (long) getpid(), ++count, host);
}

/* maildir_write - all of data to fd through stdio, synced, mode 0640; fd closed; 0 or -errno */
static int maildir_write(int fd, const void *data, size_t len)
{
    FILE *f = fdopen(fd, "wb");
    int rc = 0;

    if (f == NULL) {
        rc = -errno;
        close(fd);
        return rc;
    }
    errno = EIO;
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fd) != 0 || fchmod(fd, 0640) != 0)
        rc = -errno;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* maildir_deliver - tmp/NAME written and synced, then renamed to new/NAME */
int maildir_deliver(const char *dir, const void *data, size_t len, int64_t now,
                    char *path, size_t pathsz, char *err, size_t errsz)
{
    char name[400], tmp[MAILDIR_PATH_MAX], dst[MAILDIR_PATH_MAX];
    int fd = -1, rc, tries;

    if ((rc = maildir_make(dir, err, errsz)) != 0)
        return rc;
    for (tries = 0; fd < 0 && tries < MAILDIR_TRIES; tries++) {
        maildir_name(now, name, sizeof(name));
        snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
        if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0640)) < 0 && errno != EEXIST)
            return maildir_fail(errno, tmp, err, errsz);
    }
    if (fd < 0)
        return maildir_fail(EEXIST, tmp, err, errsz);
    rc = maildir_write(fd, data, len);
    snprintf(dst, sizeof(dst), "%s/new/%s", dir, name);
    if (rc == 0 && rename(tmp, dst) != 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        snprintf(err, errsz, "write %s: %s", tmp, strerror(-rc));
        return rc;
    }
    if (path != NULL)
        snprintf(path, pathsz, "%s", dst);
    return 0;
}
