/*
 * model/mutex.c - md_mutex: a task mutex with Go's race annotations
 * (sync/mutex.go: race.Acquire(m) at the end of Lock, race.Release(m) at
 * the start of Unlock). Contended lockers park; Unlock hands the lock to
 * the first waiter directly (FIFO). state: bit 0 locked, bit 1 waiters.
 */
#include "internal.h"

/* The state word's operations are atomics as Go's sync.Mutex makes them
 * (atomic.CompareAndSwapInt32(&m.state, ...)): in race mode, recorded
 * atomic accesses of the word (rw_atomic32_*), so a plain write of the
 * mutex memory racing with its use is reported (TestRaceMutexOverwrite).
 * A failed CAS reloads the word: the retry loops need only a fresh value. */
#define PC RW_CALLER_PC()
static uint32_t st_load(uint32_t *p, uintptr_t pc)
{
	return rw_atomic32_load(p, pc);
}

static int st_cas(uint32_t *p, uint32_t *old, uint32_t new_, uintptr_t pc)
{
	if (rw_atomic32_cas(p, *old, new_, pc))
		return 1;
	*old = rw_atomic32_load(p, pc);
	return 0;
}

static void st_store(uint32_t *p, uint32_t v, uintptr_t pc)
{
	rw_atomic32_store(p, v, pc);
}

static void unlock_waiters(void *l)
{
	md__unlock(l);
}

void md_mutex_lock(md_mutex_t *mu)
{
	uintptr_t pc = PC;
	md__check_preempt();
	uint32_t z = 0;
	if (st_cas(&mu->state, &z, 1, pc))
		goto acquired;
	for (int i = 0; i < 40; i++) {
		z = 0;
		if (st_load(&mu->state, pc) == 0 && st_cas(&mu->state, &z, 1, pc))
			goto acquired;
		__builtin_ia32_pause();
	}
	md__lock(&mu->lock);
	for (;;) {
		uint32_t s = st_load(&mu->state, pc);
		if (!(s & 1)) {
			if (st_cas(&mu->state, &s, s | 1, pc)) {
				md__unlock(&mu->lock);
				goto acquired;
			}
			continue;
		}
		if ((s & 2) || st_cas(&mu->state, &s, s | 2, pc))
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
	uintptr_t pc = PC;
	RACE(rw_release(mu));
	uint32_t one = 1;
	if (st_cas(&mu->state, &one, 0, pc))
		return;
	if (!(one & 1))
		md__fatal("md_mutex_unlock of an unlocked mutex");
	md__lock(&mu->lock);
	md_g_t *g = mu->waiters;
	if (g) {
		mu->waiters = g->next;
		st_store(&mu->state, mu->waiters ? 3u : 1u, pc);
	} else {
		st_store(&mu->state, 0, pc);
	}
	md__unlock(&mu->lock);
	if (g)
		md__ready(g);
}
