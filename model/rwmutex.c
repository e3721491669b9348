/*
 * model/rwmutex.c - md_rwmutex, with the race annotations of Go's
 * sync/rwmutex.go: RLock acquires &readerSem; RUnlock release-merges
 * &writerSem (readers do not order each other, but every reader
 * happens-before the next writer); Lock acquires both; Unlock release-
 * stores &readerSem (the next readers and writer happen-after it). Each
 * operation first reads the state word, as Go's `_ = rw.w.state`, so a
 * plain write of the mutex memory races with its use.
 *
 * Scheduling as Go's: a waiting writer blocks new readers; Unlock lets the
 * waiting readers in first, then the next writer.
 */
#include "internal.h"

static void unlock_rw(void *l)
{
	md__unlock(l);
}

/* Go reads rw.w.state first: a nil *RWMutex panics there, recoverably. */
static void nilcheck(md_rwmutex_t *rw)
{
	if (!rw)
		md_panic("invalid memory address or nil pointer dereference");
}

static void push(void **list, md_g_t *g)
{
	g->next = NULL;
	md_g_t **pp = (md_g_t **)list;
	while (*pp)
		pp = &(*pp)->next;
	*pp = g;
}

void md_rwmutex_rlock(md_rwmutex_t *rw)
{
	nilcheck(rw);
	RACE(rw_read(&rw->state, RW_CALLER_PC()));
	md__check_preempt();
	md__lock(&rw->lock);
	if (!rw->writer && !rw->wwait) {
		rw->readers++;
		md__unlock(&rw->lock);
	} else {
		/* Unlock counts us in before it wakes us. */
		push(&rw->rwaiters, md__m->curg);
		md__park(unlock_rw, &rw->lock);
	}
	RACE(rw_acquire(&rw->readerSem));
}

void md_rwmutex_runlock(md_rwmutex_t *rw)
{
	nilcheck(rw);
	RACE(rw_read(&rw->state, RW_CALLER_PC()));
	RACE(rw_release_merge(&rw->writerSem));
	md__lock(&rw->lock);
	if (rw->readers <= 0) {
		md__unlock(&rw->lock);
		md__fatal("md_rwmutex_runlock of an unlocked md_rwmutex");
	}
	md_g_t *w = NULL;
	if (--rw->readers == 0 && rw->wwaiters) {
		w = rw->wwaiters;
		rw->wwaiters = w->next;
		rw->wwait--;
		rw->writer = 1;
	}
	md__unlock(&rw->lock);
	if (w)
		md__ready(w);
}

void md_rwmutex_lock(md_rwmutex_t *rw)
{
	nilcheck(rw);
	RACE(rw_read(&rw->state, RW_CALLER_PC()));
	md__check_preempt();
	md__lock(&rw->lock);
	if (!rw->writer && !rw->readers && !rw->wwait) {
		rw->writer = 1;
		md__unlock(&rw->lock);
	} else {
		/* The last reader out, or Unlock, hands us the lock. */
		rw->wwait++;
		push(&rw->wwaiters, md__m->curg);
		md__park(unlock_rw, &rw->lock);
	}
	RACE(rw_acquire(&rw->readerSem));
	RACE(rw_acquire(&rw->writerSem));
}

void md_rwmutex_unlock(md_rwmutex_t *rw)
{
	nilcheck(rw);
	RACE(rw_read(&rw->state, RW_CALLER_PC()));
	RACE(rw_release(&rw->readerSem));
	md__lock(&rw->lock);
	if (!rw->writer) {
		md__unlock(&rw->lock);
		md__fatal("md_rwmutex_unlock of an unlocked md_rwmutex");
	}
	rw->writer = 0;
	md_g_t *wake = NULL;
	if (rw->rwaiters) {
		/* Readers that queued behind us go first. */
		wake = rw->rwaiters;
		rw->rwaiters = NULL;
		for (md_g_t *g = wake; g; g = g->next)
			rw->readers++;
	} else if (rw->wwaiters) {
		wake = rw->wwaiters;
		rw->wwaiters = wake->next;
		wake->next = NULL;
		rw->wwait--;
		rw->writer = 1;
	}
	md__unlock(&rw->lock);
	while (wake) {
		md_g_t *g = wake;
		wake = g->next;
		md__ready(g);
	}
}
