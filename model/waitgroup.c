/*
 * model/waitgroup.c - md_wg, with Go's sync/waitgroup.go annotations:
 * Done (a negative Add) release-merges the group, so Wait, which acquires
 * it once the count is zero, happens-after every Done. And the misuse Go
 * reports: an Add that starts the counter from zero must happen-before a
 * Wait that blocks, or reuse races with the waiter. Go models it as a
 * plain read of wg.sema in that Add (reads do not race with each other:
 * several tasks may add from zero at once) and a plain write in the first
 * Wait that blocks (only the first: concurrent Waits must not race).
 */
#include "internal.h"

static void unlock_wg(void *l)
{
	md__unlock(l);
}

void md_wg_add(md_wg_t *wg, int64_t delta)
{
	if (delta < 0)
		RACE(rw_release_merge(wg));
	md__lock(&wg->lock);
	wg->count += delta;
	if (wg->count < 0) {
		md__unlock(&wg->lock);
		md_panic("md_wg: negative counter");
	}
	int from_zero = delta > 0 && wg->count == delta;
	md_g_t *wake = NULL;
	if (wg->count == 0) {
		wake = wg->waiters;
		wg->waiters = NULL;
	}
	md__unlock(&wg->lock);
	if (from_zero)
		RACE(rw_read(&wg->sema, RW_CALLER_PC()));
	while (wake) {
		md_g_t *g = wake;
		wake = g->next;
		md__ready(g);
	}
}

void md_wg_done(md_wg_t *wg)
{
	md_wg_add(wg, -1);
}

void md_wg_wait(md_wg_t *wg)
{
	md__check_preempt();
	md__lock(&wg->lock);
	if (wg->count == 0) {
		md__unlock(&wg->lock);
		RACE(rw_acquire(wg));
		return;
	}
	md_g_t *g = md__m->curg;
	int first = wg->waiters == NULL;
	g->next = wg->waiters;
	wg->waiters = g;
	/* Annotated before parking but after queueing: the write is made
	 * while the counter is known nonzero, as Go's after its CAS. */
	if (first)
		RACE(rw_write(&wg->sema, RW_CALLER_PC()));
	md__park(unlock_wg, &wg->lock);
	RACE(rw_acquire(wg));
}
