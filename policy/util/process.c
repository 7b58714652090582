/*
 * NAME
 *	process 3
 * SUMMARY
 *	pidfile and user switch of optin-milter and optin-unsubd
 * SYNOPSIS
 *	#include "util/process.h"
 *
 *	int	process_write_pidfile(const char *path)
 *	int	process_become(const char *user)
 * DESCRIPTION
 *	process_write_pidfile() replaces path with our process id and a
 *	newline. It runs as root before privileges are dropped, so it never
 *	follows a symbolic link (O_NOFOLLOW): a link planted there cannot
 *	make us overwrite another file.
 *
 *	process_become() drops every supplementary group, takes the user's
 *	groups and then its gid and uid. A process already running as that
 *	user does nothing; one running as another unprivileged user fails.
 * DIAGNOSTICS
 *	Both log what failed ("pidfile PATH: reason", "cannot become USER:
 *	reason") and return -1; 0 on success.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/process.h"

/* process_write_pidfile - our pid into path, never through a symbolic link */
int process_write_pidfile(const char *path)
{
    char text[32];
    int fd, len;

    if (path == NULL)
        return 0;
    len = snprintf(text, sizeof(text), "%ld\n", (long) getpid());
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0
        || write(fd, text, (size_t) len) != len || close(fd) != 0) {
        log_error("pidfile %s: %s", path, strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

/* process_become - switch to an unprivileged user */
int process_become(const char *user)
{
    struct passwd *pw;

    if ((pw = getpwnam(user)) == NULL) {
        log_error("user %s: no such user", user);
        return -1;
    }
    if (getuid() == pw->pw_uid)
        return 0;
    if (getuid() != 0) {
        log_error("cannot become %s: not started as root", user);
        return -1;
    }
    if (setgroups(0, NULL) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0
        || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
        log_error("cannot become %s: %s", user, strerror(errno));
        return -1;
    }
    return 0;
}
