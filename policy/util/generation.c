/*
 * NAME
 *	generation 3
 * SUMMARY
 *	reference-counted generations of a payload, swapped whole on reload
 * SYNOPSIS
 *	#include "util/generation.h"
 *
 *	static struct generation_slot slot = GENERATION_SLOT_INIT;
 *
 *	int	generation_replace(&slot, void *payload, generation_free_fn *free_payload)
 *	void	*generation_retain(&slot)
 *	void	generation_release(&slot, void *payload)
 *	void	generation_shutdown(&slot)
 * DESCRIPTION
 *	A daemon that reloads its configuration keeps it as a payload in a
 *	slot. Each unit of work (a message, an HTTP request) retains the
 *	current payload when it begins and releases it when it ends, so it
 *	sees one configuration from start to end. generation_replace()
 *	installs a new payload at once; the one it replaces stays alive
 *	until its last user releases it, and is then freed with the free
 *	function it was installed with, outside the lock and in the thread
 *	of that last release.
 *
 *	The slot holds one reference to its current payload. A payload is
 *	installed once; release finds its bookkeeping by the payload
 *	pointer, among the current one and the retired ones still in use
 *	(a short list: one per reload whose old payload is still held).
 *
 *	generation_shutdown() drops the current payload at exit: retain
 *	gives NULL from then on and replace fails, so a late reload cannot
 *	install a payload that nobody would free.
 *
 *	Nothing here knows what a payload is: which new payloads are
 *	acceptable (the consent store's settings, for instance) is for the
 *	caller to decide before it replaces.
 *
 *	Every function may be called from any thread; one mutex per slot
 *	guards the pointers and the counts, and is held only for them.
 * DIAGNOSTICS
 *	generation_replace() returns -1 after shutdown or when out of
 *	memory; the payload is then still the caller's to free. Releasing a
 *	payload the slot does not know is ignored. Nothing is logged.
 * SEE ALSO
 *	milter-greylist conf_retain()/conf_release(), optin-milter(8), optin-unsubd(8)
 */

#include <stdlib.h>

#include "util/generation.h"

struct generation {
    void *payload;
    generation_free_fn *free_payload;
    unsigned refs;
    struct generation *next;        /* in the slot's retired list */
};

/* retire_locked - gen stops being current (lock held); gen when nobody else holds it */
static struct generation *retire_locked(struct generation_slot *slot, struct generation *gen)
{
    if (--gen->refs == 0)
        return gen;
    gen->next = slot->retired;      /* kept until its last release */
    slot->retired = gen;
    return NULL;
}

/* release_locked - a user's reference less (lock held); gen when that was the last one */
static struct generation *release_locked(struct generation_slot *slot, struct generation *gen)
{
    struct generation **link;

    if (--gen->refs > 0)
        return NULL;
    for (link = &slot->retired; *link != gen; link = &(*link)->next)
        ;                           /* the current one always has the slot's reference */
    *link = gen->next;
    return gen;
}

/* discard - free a generation and its payload (no lock held) */
static void discard(struct generation *gen)
{
    if (gen == NULL)
        return;
    gen->free_payload(gen->payload);
    free(gen);
}

/* generation_replace - install payload as current; the old one goes when its last user is done */
int generation_replace(struct generation_slot *slot, void *payload, generation_free_fn *free_payload)
{
    struct generation *gen = calloc(1, sizeof(*gen)), *old, *dead = NULL;

    if (gen == NULL)
        return -1;
    *gen = (struct generation){.payload = payload, .free_payload = free_payload, .refs = 1};
    pthread_mutex_lock(&slot->lock);
    if (slot->shut) {
        pthread_mutex_unlock(&slot->lock);
        free(gen);
        return -1;
    }
    old = slot->current;
    slot->current = gen;
    if (old)
        dead = retire_locked(slot, old);
    pthread_mutex_unlock(&slot->lock);
    discard(dead);
    return 0;
}

/* generation_retain - one more reference on the current generation */
void *generation_retain(struct generation_slot *slot)
{
    void *payload = NULL;

    pthread_mutex_lock(&slot->lock);
    if (slot->current) {
        slot->current->refs++;
        payload = slot->current->payload;
    }
    pthread_mutex_unlock(&slot->lock);
    return payload;
}

/* generation_release - find the payload's generation, current or retired, and drop a reference */
void generation_release(struct generation_slot *slot, void *payload)
{
    struct generation *gen, *dead = NULL;

    if (payload == NULL)
        return;
    pthread_mutex_lock(&slot->lock);
    gen = slot->current;
    if (gen == NULL || gen->payload != payload)
        for (gen = slot->retired; gen && gen->payload != payload; gen = gen->next)
            ;
    if (gen)
        dead = release_locked(slot, gen);
    pthread_mutex_unlock(&slot->lock);
    discard(dead);
}

/* generation_shutdown - drop the slot's own reference; no retain or replace succeeds afterwards */
void generation_shutdown(struct generation_slot *slot)
{
    struct generation *old, *dead = NULL;

    pthread_mutex_lock(&slot->lock);
    old = slot->current;
    slot->current = NULL;
    slot->shut = 1;
    if (old)
        dead = retire_locked(slot, old);
    pthread_mutex_unlock(&slot->lock);
    discard(dead);
}
