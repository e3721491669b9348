/*
 * model/mutex.c - md_mutex: a task mutex with Go's race annotations
 * (sync/mutex.go: race.Acquire(m) at the end of Lock, race.Release(m) at
 * the start of Unlock). Contended lockers park; Unlock hands the lock to
 * the first waiter directly (FIFO). state: bit 0 locked, bit 1 waiters.
 */
#include "internal.h"

static void unlock_waiters(void *l)
{
	md__unlock(l);
}

void md_mutex_lock(md_mutex_t *mu)
{
	md__check_preempt();
	uint32_t z = 0;
	if (__atomic_compare_exchange_n(&mu->state, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		goto acquired;
	for (int i = 0; i < 40; i++) {
		z = 0;
		if (__atomic_load_n(&mu->state, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&mu->state, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			goto acquired;
		__builtin_ia32_pause();
	}
	md__lock(&mu->lock);
	for (;;) {
		uint32_t s = __atomic_load_n(&mu->state, __ATOMIC_RELAXED);
		if (!(s & 1)) {
			if (__atomic_compare_exchange_n(&mu->state, &s, s | 1, 0, __ATOMIC_ACQUIRE,
			                                __ATOMIC_RELAXED)) {
				md__unlock(&mu->lock);
				goto acquired;
			}
			continue;
		}
		if ((s & 2) || __atomic_compare_exchange_n(&mu->state, &s, s | 2, 0, __ATOMIC_RELAXED,
		                                           __ATOMIC_RELAXED))
			break;
	}
	md_g_t *g = md__m->curg;
	g->next = NULL;
	md_g_t **pp = (md_g_t **)&mu->waiters;
	while (*pp)
		pp = &(*pp)->next;
	*pp = g;
	md__park(unlock_waiters, &mu->lock);
	/* Unlock handed us the lock. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
acquired:
	RACE(rw_acquire(mu));
}

void md_mutex_unlock(md_mutex_t *mu)
{
	RACE(rw_release(mu));
	uint32_t one = 1;
	if (__atomic_compare_exchange_n(&mu->state, &one, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return;
	if (!(one & 1))
		md__fatal("md_mutex_unlock of an unlocked mutex");
	md__lock(&mu->lock);
	md_g_t *g = mu->waiters;
	if (g) {
		mu->waiters = g->next;
		__atomic_store_n(&mu->state, mu->waiters ? 3u : 1u, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&mu->state, 0, __ATOMIC_RELEASE);
	}
	md__unlock(&mu->lock);
	if (g)
		md__ready(g);
}
