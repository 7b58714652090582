/* deadline.h - optin-unsubd: a time limit on each request (deadline.c) */
#ifndef OPTIN_UNSUBD_DEADLINE_H
#define OPTIN_UNSUBD_DEADLINE_H

#include <pthread.h>

#include <microhttpd.h>

struct deadline_slot;

/* The open connections and the thread that cuts the slow ones. */
struct deadline_table {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    struct deadline_slot *head;     /* under lock */
    unsigned seconds;
    int stopping, running;
};

/* deadline_start - the table and its sweeping thread; 0, or -1 */
int deadline_start(struct deadline_table *t, unsigned seconds);
/* deadline_stop - end and join the thread (after MHD_stop_daemon) */
void deadline_stop(struct deadline_table *t);
/* deadline_notify - MHD_OPTION_NOTIFY_CONNECTION callback; cls is the table */
void deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code);
/* deadline_answered - the current request of conn has its answer: no limit until the next */
void deadline_answered(struct deadline_table *t, struct MHD_Connection *conn);
/* deadline_next - conn waits for another request: its clock starts again */
void deadline_next(struct deadline_table *t, struct MHD_Connection *conn);

#endif
