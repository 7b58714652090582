/*
 * NAME
 *	test_generation - TAP tests of reference-counted generations (policy/util/generation.c)
 * DESCRIPTION
 *	Payloads live in a static array and are never really freed: the free
 *	function only marks them and counts, so a payload used after its
 *	free, or freed twice, is seen rather than crashing. The threaded part
 *	checks that a payload a thread holds is never freed under it, and
 *	that every replaced payload is freed exactly once in the end.
 */

#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "tap.h"
#include "util/generation.h"

#define PAYLOADS 200
#define READERS 4
#define READER_ROUNDS 20000

struct payload {
    int id;
    int frees;                 /* how often the free function ran for it (atomic) */
};

static struct payload payloads[PAYLOADS];
static int total_frees;        /* atomic */

/* payload_free - the free function: count, never release the memory */
static void payload_free(void *p)
{
    struct payload *pl = p;

    __atomic_add_fetch(&pl->frees, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&total_frees, 1, __ATOMIC_SEQ_CST);
}

/* frees_of - how often payload i was freed */
static int frees_of(int i)
{
    return __atomic_load_n(&payloads[i].frees, __ATOMIC_SEQ_CST);
}

/* reset - every payload fresh, nothing freed */
static void reset(void)
{
    memset(payloads, 0, sizeof(payloads));
    for (int i = 0; i < PAYLOADS; i++)
        payloads[i].id = i;
    total_frees = 0;
}

/* test_basics - retain, release and replace with one user at a time */
static void test_basics(void)
{
    struct generation_slot slot = GENERATION_SLOT_INIT;
    struct payload *a, *b;

    reset();
    ok(generation_retain(&slot) == NULL, "an empty slot: retain gives NULL");
    ok(generation_replace(&slot, &payloads[0], payload_free) == 0, "the first replace installs");
    a = generation_retain(&slot);
    ok(a == &payloads[0], "retain gives the current payload");
    generation_release(&slot, a);
    ok(frees_of(0) == 0, "releasing a retained current payload does not free it");

    a = generation_retain(&slot);
    ok(generation_replace(&slot, &payloads[1], payload_free) == 0, "replace while the old one is held");
    ok(frees_of(0) == 0, "the old payload lives while it is retained");
    b = generation_retain(&slot);
    ok(b == &payloads[1], "retain after replace gives the new payload");
    generation_release(&slot, a);
    ok(frees_of(0) == 1, "the old payload is freed at its last release");
    ok(frees_of(1) == 0, "the current one is not");
    generation_release(&slot, b);
    ok(frees_of(1) == 0, "the current one survives its users' releases");

    ok(generation_replace(&slot, &payloads[2], payload_free) == 0 && frees_of(1) == 1,
       "replacing an unheld payload frees it at once");
    generation_release(&slot, NULL);
    generation_release(&slot, &payloads[50]);
    ok(total_frees == 2 && generation_retain(&slot) == &payloads[2],
       "releasing NULL or an unknown payload changes nothing");
    generation_release(&slot, &payloads[2]);
    generation_shutdown(&slot);
}

/* test_several_retired - two old generations held at once, released out of order */
static void test_several_retired(void)
{
    struct generation_slot slot = GENERATION_SLOT_INIT;
    struct payload *a1, *a2, *b;

    reset();
    generation_replace(&slot, &payloads[0], payload_free);
    a1 = generation_retain(&slot);
    a2 = generation_retain(&slot);
    generation_replace(&slot, &payloads[1], payload_free);
    b = generation_retain(&slot);
    generation_replace(&slot, &payloads[2], payload_free);
    ok(total_frees == 0, "two retired generations, both held: nothing freed");
    generation_release(&slot, b);
    ok(frees_of(1) == 1 && frees_of(0) == 0, "the younger one goes first when released first");
    generation_release(&slot, a1);
    ok(frees_of(0) == 0, "one of two references released: still alive");
    generation_release(&slot, a2);
    ok(frees_of(0) == 1, "the second release frees it");
    ok(frees_of(2) == 0 && generation_retain(&slot) == &payloads[2], "the current one is untouched");
    generation_release(&slot, &payloads[2]);
    generation_shutdown(&slot);
    ok(frees_of(2) == 1, "shutdown frees the unheld current payload");
}

/* test_shutdown - after shutdown nothing is current and nothing can be installed */
static void test_shutdown(void)
{
    struct generation_slot slot = GENERATION_SLOT_INIT;
    struct payload *held;

    reset();
    generation_replace(&slot, &payloads[0], payload_free);
    held = generation_retain(&slot);
    generation_shutdown(&slot);
    ok(frees_of(0) == 0, "shutdown with a user: the payload lives on");
    ok(generation_retain(&slot) == NULL, "retain after shutdown gives NULL");
    ok(generation_replace(&slot, &payloads[1], payload_free) == -1,
       "replace after shutdown fails");
    ok(frees_of(1) == 0, "... and leaves the refused payload to the caller");
    generation_release(&slot, held);
    ok(frees_of(0) == 1, "the last user's release frees it after shutdown");
    generation_shutdown(&slot);
    ok(total_frees == 1, "a second shutdown frees nothing more");
}

static struct generation_slot shared_slot = GENERATION_SLOT_INIT;
static int seen_freed;         /* atomic: a reader held a payload that had been freed */

/* reader - retain, look at the payload twice with a yield between, release; many times */
static void *reader(void *arg)
{
    (void) arg;
    for (int i = 0; i < READER_ROUNDS; i++) {
        struct payload *p = generation_retain(&shared_slot);

        if (p == NULL)
            continue;
        if (__atomic_load_n(&p->frees, __ATOMIC_SEQ_CST) != 0)
            __atomic_store_n(&seen_freed, 1, __ATOMIC_SEQ_CST);
        if (i % 64 == 0)
            sched_yield();
        if (__atomic_load_n(&p->frees, __ATOMIC_SEQ_CST) != 0)
            __atomic_store_n(&seen_freed, 1, __ATOMIC_SEQ_CST);
        generation_release(&shared_slot, p);
    }
    return NULL;
}

/* test_threads - readers retain and release while the main thread replaces */
static void test_threads(void)
{
    pthread_t tid[READERS];
    int started = 0, once = 1;

    reset();
    generation_replace(&shared_slot, &payloads[0], payload_free);
    for (int i = 0; i < READERS; i++)
        started += pthread_create(&tid[i], NULL, reader, NULL) == 0;
    for (int i = 1; i < PAYLOADS; i++) {
        generation_replace(&shared_slot, &payloads[i], payload_free);
        if (i % 10 == 0)
            sched_yield();
    }
    for (int i = 0; i < READERS; i++)
        if (i < started)
            pthread_join(tid[i], NULL);
    ok(started == READERS, "%d reader threads started", READERS);
    ok(!__atomic_load_n(&seen_freed, __ATOMIC_SEQ_CST), "no reader ever held a freed payload");
    ok(total_frees == PAYLOADS - 1, "every replaced payload freed (%d of %d)", total_frees,
       PAYLOADS - 1);
    for (int i = 0; i < PAYLOADS - 1; i++)
        once &= frees_of(i) == 1;
    ok(once, "each exactly once");
    ok(frees_of(PAYLOADS - 1) == 0, "the current one is not freed");
    generation_shutdown(&shared_slot);
    ok(total_frees == PAYLOADS && frees_of(PAYLOADS - 1) == 1, "shutdown frees the last one");
}

int main(void)
{
    test_basics();
    test_several_retired();
    test_shutdown();
    test_threads();
    return tap_done();
}
