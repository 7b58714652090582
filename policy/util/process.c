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
 *	int	process_capture(char *const argv[], char *out, size_t outsz)
 *	int	process_in_child(const char *user, int (*fn)(void *arg), void *arg)
 * DESCRIPTION
 *	process_write_pidfile() replaces path with our process id and a
 *	newline. It runs as root before privileges are dropped, so it never
 *	follows a symbolic link (O_NOFOLLOW): a link planted there cannot
 *	make us overwrite another file.
 *
 *	process_become() drops every supplementary group, takes the user's
 *	groups and then its gid and uid. A process already running as that
 *	user does nothing; one running as another unprivileged user fails.
 *
 *	process_capture() runs a helper program (postconf: an absolute path is
 *	best, argv[0] is looked up in PATH otherwise) with every signal
 *	unblocked and keeps what it prints on its standard output; process_in_child() runs a function in
 *	a forked child that first becomes a user, so that a check sees
 *	exactly what that user's process will see. The child shares nothing
 *	with the caller but what fn writes to memory mapped MAP_SHARED
 *	before the fork, and ends with _exit().
 * DIAGNOSTICS
 *	process_write_pidfile() and process_become() log what failed
 *	("pidfile PATH: reason", "cannot become USER: reason") and return -1;
 *	0 on success. process_capture() and process_in_child() log nothing:
 *	-1 when the child could not run or died, else its exit status.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
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
int process_become(const char *user_name)
{
    char user[256];     /* user_name may live in getpwnam's own buffer, which the lookup reuses */
    struct passwd *pw;

    snprintf(user, sizeof(user), "%s", user_name);
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

/* process_capture - a helper's standard output and exit status */
int process_capture(char *const argv[], char *out, size_t outsz)
{
    size_t len = 0;
    ssize_t n;
    pid_t pid;
    int pipefd[2], status, devnull;

    if (outsz == 0 || pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    if ((pid = fork()) < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        sigset_t none;

        sigemptyset(&none);     /* the daemons block TERM, HUP, INT and USR1: the helper must not */
        sigprocmask(SIG_SETMASK, &none, NULL);
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(pipefd[1], STDOUT_FILENO);     /* dup2's copies are not close-on-exec */
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pipefd[1]);
    while ((n = read(pipefd[0], out + len, outsz - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t) n;
        if (len == outsz - 1) {     /* full: drain the rest so the child can finish */
            char sink[512];
            while (read(pipefd[0], sink, sizeof(sink)) > 0)
                ;
            break;
        }
    }
    out[len] = '\0';
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* process_in_child - fn's answer, computed by a child that became user */
int process_in_child(const char *user, int (*fn)(void *arg), void *arg)
{
    pid_t pid;
    int status;

    fflush(NULL);
    if ((pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        if (user != NULL && process_become(user) != 0)
            _exit(255);
        _exit(fn(arg) & 0xff);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) != 255 ? WEXITSTATUS(status) : -1;
}
