/*
 * NAME
 *	test_concurrency - TAP tests of readers and writers in several processes
 * DESCRIPTION
 *	Real processes on one real LMDB environment, each opening it after
 *	fork (never sharing an environment across fork):
 * .IP 1
 *	a writer process commits records one by one and announces each
 *	commit on a pipe; a reader process must see every announced record
 *	in its next snapshot (no stale read after commit) and lookups in
 *	between must never fail;
 * .IP 2
 *	four reader threads (as the milter's worker threads would) look up
 *	in a loop while another process writes large batches; no lookup
 *	may fail and readers must make progress while the writer holds its
 *	write transaction (readers never wait for writers).
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "consent/decide.h"
#include "tap.h"

#define T0 1714564800
#define ANNOUNCED 1500
#define BATCH_ROWS 20000
#define BATCHES 6

static char dir[] = "/tmp/optin-test-conc.XXXXXX";
static struct list_def news = {.id = "news", .opt_in = OPT_IN_SINGLE};

/* open_store - this process's own environment handle */
static struct store *open_store(int create)
{
    struct store_options opt = {.path = dir, .create = create, .max_readers = 126};
    struct store *st = NULL;
    char err[256];

    if (store_open(&opt, &st, err, sizeof(err)) != 0)
        fprintf(stderr, "open: %s\n", err);
    return st;
}

struct rows {
    int first, count;
};

/* write_rows - write callback: single opt-in for user<i>@example.com */
static int write_rows(struct store_txn *txn, void *arg)
{
    struct rows *r = arg;
    struct change_ctx cc = {.now = T0, .source = "test", .actor = "writer"};
    char addr[64], token[CONFIRM_CODE_BUFSZ];
    int rc = 0;

    for (int i = r->first; i < r->first + r->count && rc == 0; i++) {
        snprintf(addr, sizeof(addr), "user%d@example.com", i);
        rc = consent_subscribe(txn, "news", addr, METHOD_SINGLE, &cc, token);
    }
    return rc;
}

/* lookup - decide for user<i>; 1 allowed, 0 denied, -1 error */
static int lookup(struct store *st, int i)
{
    struct decision d;
    char addr[64];

    snprintf(addr, sizeof(addr), "user%d@example.com", i);
    if (decide_address(st, &news, addr, strlen(addr), ADDR_FOLD_LOCAL, T0, &d) != 0)
        return -1;
    return d.allow;
}

/* reader_process - child of part 1: check each announced commit; exit code tells the result */
static int reader_process(int announce_fd, int result_fd)
{
    struct store *st = open_store(0);
    struct pollfd pfd = {.fd = announce_fd, .events = POLLIN};
    long counts[3] = {0, 0, 0};   /* stale, errors, idle lookups */
    int idx, n = 0;

    if (st == NULL)
        return 3;
    while (n < ANNOUNCED) {
        if (poll(&pfd, 1, 0) == 1) {
            if (read(announce_fd, &idx, sizeof(idx)) != sizeof(idx))
                break;
            n++;
            if (lookup(st, idx) != 1)
                counts[0]++;
        } else {
            int r = lookup(st, (int) (random() % ANNOUNCED));

            counts[1] += r < 0;
            counts[2]++;
        }
    }
    store_close(st);
    if (write(result_fd, counts, sizeof(counts)) != sizeof(counts))
        return 4;
    return n == ANNOUNCED ? 0 : 5;
}

/* test_no_stale_read - part 1 */
static void test_no_stale_read(void)
{
    int announce[2], result[2], status;
    long counts[3] = {-1, -1, -1};
    struct store *st;
    pid_t pid;

    if (pipe(announce) < 0 || pipe(result) < 0)
        return;
    if ((pid = fork()) == 0) {
        close(announce[1]);
        close(result[0]);
        _exit(reader_process(announce[0], result[1]));
    }
    close(announce[0]);
    close(result[1]);
    st = open_store(0);
    for (int i = 0; st && i < ANNOUNCED; i++) {
        struct rows r = {i, 1};

        if (store_write(st, write_rows, &r) != 0)
            break;
        if (write(announce[1], &i, sizeof(i)) != sizeof(i))
            break;
    }
    close(announce[1]);
    store_close(st);
    if (read(result[0], counts, sizeof(counts)) != sizeof(counts))
        printf("# reader sent no result\n");
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader process saw every announcement");
    ok(counts[0] == 0, "no stale read after commit (%ld stale of %d)", counts[0], ANNOUNCED);
    ok(counts[1] == 0, "no lookup error during %ld in-between lookups", counts[2]);
}

struct reader_thread {
    pthread_t tid;
    struct store *st;
    volatile int *stop;
    unsigned seed;
    long lookups, errors;
};

/* reader_loop - thread body of part 2 */
static void *reader_loop(void *arg)
{
    struct reader_thread *rt = arg;
    while (!*rt->stop) {
        int r = lookup(rt->st, (int) (rand_r(&rt->seed) % (BATCH_ROWS * BATCHES)));

        rt->errors += r < 0;
        rt->lookups++;
    }
    return NULL;
}

/* writer_process - child of part 2: big batches, one transaction each */
static int writer_process(void)
{
    struct store *st = open_store(0);

    if (st == NULL)
        return 3;
    for (int b = 0; b < BATCHES; b++) {
        struct rows r = {ANNOUNCED + b * BATCH_ROWS, BATCH_ROWS};

        if (store_write(st, write_rows, &r) != 0)
            return 4;
    }
    store_close(st);
    return 0;
}

/* test_threads_vs_writer - part 2 */
static void test_threads_vs_writer(void)
{
    struct reader_thread rt[4];
    volatile int stop = 0;
    long lookups = 0, errors = 0;
    struct store *st;
    int status;
    pid_t pid;

    if ((pid = fork()) == 0)
        _exit(writer_process());
    st = open_store(0);
    for (int i = 0; i < 4; i++) {
        rt[i] = (struct reader_thread){.st = st, .stop = &stop, .seed = 42u + (unsigned) i};
        pthread_create(&rt[i].tid, NULL, reader_loop, &rt[i]);
    }
    waitpid(pid, &status, 0);
    stop = 1;
    for (int i = 0; i < 4; i++) {
        pthread_join(rt[i].tid, NULL);
        lookups += rt[i].lookups;
        errors += rt[i].errors;
    }
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer process committed %d rows",
       BATCH_ROWS * BATCHES);
    ok(errors == 0, "no error in %ld lookups by 4 threads", lookups);
    ok(lookups > 1000, "readers kept going while the writer wrote (%ld lookups)", lookups);
    ok(lookup(st, ANNOUNCED + BATCH_ROWS * BATCHES - 1) == 1, "last committed row visible");
    store_close(st);
}

int main(void)
{
    struct store *st;
    char cmd[200];

    srandom(42);
    if (mkdtemp(dir) == NULL || (st = open_store(1)) == NULL) {
        printf("Bail out! cannot create %s\n", dir);
        return 1;
    }
    store_close(st);
    test_no_stale_read();
    test_threads_vs_writer();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
