/* generation.h - reference-counted generations of a payload, swapped whole on reload (see generation.c) */
#ifndef OPTIN_GENERATION_H
#define OPTIN_GENERATION_H

#include <pthread.h>

struct generation;   /* one installed payload with its free function and reference count */

/*
 * Where a process keeps its current generation. Initialise with GENERATION_SLOT_INIT and
 * touch the fields only through the functions below.
 */
struct generation_slot {
    pthread_mutex_t lock;
    struct generation *current;     /* NULL before the first replace and after shutdown */
    struct generation *retired;     /* replaced ones still retained by someone */
    int shut;                       /* generation_shutdown() was called */
};

#define GENERATION_SLOT_INIT {.lock = PTHREAD_MUTEX_INITIALIZER}

/* generation_free_fn - frees one payload; called once, outside the slot's lock */
typedef void generation_free_fn(void *payload);

/*
 * generation_replace - payload becomes the current generation and the old one is released.
 * 0; -1 when the slot is shut down or out of memory (the payload stays the caller's).
 */
int generation_replace(struct generation_slot *slot, void *payload, generation_free_fn *free_payload);
/* generation_retain - the current payload, kept alive until generation_release; NULL when none */
void *generation_retain(struct generation_slot *slot);
/* generation_release - one reference less on a retained payload; the last one frees it */
void generation_release(struct generation_slot *slot, void *payload);
/* generation_shutdown - release the current generation; retain gives NULL and replace fails from now */
void generation_shutdown(struct generation_slot *slot);

#endif
