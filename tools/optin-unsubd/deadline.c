/*
 * NAME
 *	unsubd_deadline 3
 * SUMMARY
 *	optin-unsubd: a time limit on each request, from its first byte to its answer
 * SYNOPSIS
 *	#include "deadline.h"
 *
 *	int	deadline_start(struct deadline_table *t, unsigned seconds)
 *	void	deadline_stop(struct deadline_table *t)
 *	void	deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
 *				enum MHD_ConnectionNotificationCode code)
 *	void	deadline_answered(struct deadline_table *t, struct MHD_Connection *conn)
 *	void	deadline_next(struct deadline_table *t, struct MHD_Connection *conn)
 * DESCRIPTION
 *	libmicrohttpd closes a connection that stays silent for its timeout,
 *	but a client that sends one byte every few seconds is never silent:
 *	a few hundred of them hold every connection slot (slowloris). This
 *	module bounds the whole request instead.
 *
 *	deadline_notify() is libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION
 *	callback: it keeps every open connection, with its socket and the
 *	time its current request began, in a list under a mutex.
 *	deadline_answered() says the request has its answer (then the client
 *	is only reading), deadline_next() that a kept-alive connection waits
 *	for its next request (the clock starts again).
 *
 *	deadline_start() runs a thread that once a second shuts down the
 *	socket (shutdown(2), both directions) of every connection whose
 *	request has gone unanswered for longer than seconds; libmicrohttpd
 *	then sees the end of the stream and closes the connection in its own
 *	thread. The socket is shut down, never closed here, and a connection
 *	leaves the list (CLOSED) before libmicrohttpd closes its socket, so
 *	no other connection's socket is touched. deadline_stop() joins the
 *	thread; call it after MHD_stop_daemon().
 * DIAGNOSTICS
 *	deadline_start() returns -1 when the thread cannot be made. Each
 *	connection cut is logged: "client=IP outcome=request-too-slow
 *	seconds=N".
 * SEE ALSO
 *	optin-unsubd(8), http.c
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "util/log.h"
#include "util/netaddr.h"

/* One open connection. */
struct deadline_slot {
    struct deadline_slot *prev, *next;
    int fd;
    time_t began;          /* when its current request began (or the previous one ended) */
    int answered;          /* the current request has its answer: no limit */
    int cut;               /* already shut down */
    char client[NET_IP_BUFSZ];
};

/* now_seconds - a clock that never goes back */
static time_t now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* slot_of - the slot libmicrohttpd keeps for a connection, or NULL */
static struct deadline_slot *slot_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info != NULL ? info->socket_context : NULL;
}

/* deadline_notify - a connection opens (kept) or closes (dropped) */
void deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code)
{
    struct deadline_table *t = cls;
    struct deadline_slot *s = *socket_context;
    const union MHD_ConnectionInfo *info;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        if ((s = calloc(1, sizeof(*s))) == NULL)
            return;                           /* no limit for this one; nothing else breaks */
        info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        s->fd = info != NULL ? info->connect_fd : -1;
        info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (info != NULL && info->client_addr != NULL)
            net_sockaddr_format(info->client_addr, s->client, sizeof(s->client));
        else
            snprintf(s->client, sizeof(s->client), "unknown");
        s->began = now_seconds();
        pthread_mutex_lock(&t->lock);
        s->next = t->head;
        if (t->head != NULL)
            t->head->prev = s;
        t->head = s;
        pthread_mutex_unlock(&t->lock);
        *socket_context = s;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && s != NULL) {
        pthread_mutex_lock(&t->lock);
        if (s->prev != NULL)
            s->prev->next = s->next;
        else
            t->head = s->next;
        if (s->next != NULL)
            s->next->prev = s->prev;
        pthread_mutex_unlock(&t->lock);
        free(s);
        *socket_context = NULL;
    }
}

/* deadline_mark - set a connection's state: answered, or waiting for its next request */
static void deadline_mark(struct deadline_table *t, struct MHD_Connection *conn, int answered)
{
    struct deadline_slot *s = slot_of(conn);

    if (s == NULL)
        return;
    pthread_mutex_lock(&t->lock);
    s->answered = answered;
    if (!answered)
        s->began = now_seconds();
    pthread_mutex_unlock(&t->lock);
}

/* deadline_answered - the current request of conn has its answer */
void deadline_answered(struct deadline_table *t, struct MHD_Connection *conn)
{
    deadline_mark(t, conn, 1);
}

/* deadline_next - conn is kept alive for another request: its clock starts again */
void deadline_next(struct deadline_table *t, struct MHD_Connection *conn)
{
    deadline_mark(t, conn, 0);
}

/* deadline_sweep - the thread: once a second, cut what has taken too long */
static void *deadline_sweep(void *arg)
{
    struct deadline_table *t = arg;

    pthread_mutex_lock(&t->lock);
    while (!t->stopping) {
        struct timespec wake;
        time_t now = now_seconds();

        for (struct deadline_slot *s = t->head; s != NULL; s = s->next)
            if (!s->answered && !s->cut && s->fd >= 0 && now - s->began > (time_t) t->seconds) {
                s->cut = 1;
                shutdown(s->fd, SHUT_RDWR);
                log_info("client=%s outcome=request-too-slow seconds=%u", s->client, t->seconds);
            }
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_sec += 1;
        pthread_cond_timedwait(&t->wake, &t->lock, &wake);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

/* deadline_start - the table and its thread; 0, or -1 */
int deadline_start(struct deadline_table *t, unsigned seconds)
{
    t->head = NULL;
    t->seconds = seconds;
    t->stopping = 0;
    if (pthread_mutex_init(&t->lock, NULL) != 0 || pthread_cond_init(&t->wake, NULL) != 0)
        return -1;
    if (pthread_create(&t->thread, NULL, deadline_sweep, t) != 0)
        return -1;
    t->running = 1;
    return 0;
}

/* deadline_stop - end the thread (after MHD_stop_daemon: no connection is left) */
void deadline_stop(struct deadline_table *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    t->stopping = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    t->running = 0;
}
