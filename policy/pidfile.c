/*
 * NAME
 *	pidfile 3
 * SUMMARY
 *	the pidfile of optin-milter and optin-unsubd
 * SYNOPSIS
 *	#include "pidfile.h"
 *
 *	int	pidfile_write(const char *path)
 * DESCRIPTION
 *	pidfile_write() replaces path with our process id and a newline.
 *	It is written as root before privileges are dropped, so it never
 *	follows a symbolic link (O_NOFOLLOW): a link planted there cannot
 *	make us overwrite another file.
 * DIAGNOSTICS
 *	-1 with errno set; the caller logs. NULL path: nothing to do, 0.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "pidfile.h"

/* pidfile_write - our pid into path, never through a symbolic link */
int pidfile_write(const char *path)
{
    char text[32];
    int fd, len, saved;

    if (path == NULL)
        return 0;
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
        return -1;
    len = snprintf(text, sizeof(text), "%ld\n", (long) getpid());
    if (write(fd, text, (size_t) len) != len) {
        saved = errno ? errno : EIO;
        close(fd);
        errno = saved;
        return -1;
    }
    return close(fd);
}
