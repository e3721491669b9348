/*
 * shim/suspend.c - the external-code word (guarantee 6; seed 000).
 *
 * On Windows, SuspendThread is asynchronous and ExitProcess kills every
 * other thread before running their pending suspensions: a thread that was
 * being suspended while another called exit left a ghost process behind
 * (Go issue 35775). POSIX suspension by signal has its own version: a
 * thread suspended while it runs exit-time code holds whatever that code
 * holds (stdio, TSan's report lock), and whoever needs it next waits
 * forever. Go's fix, and ours: a per-thread word that the thread takes
 * before external code and a suspender takes before suspending, each by
 * compare-and-swap, so the two never overlap.
 */
#include "internal.h"

#include <sched.h>
#include <time.h>

/* Wait for the word without spinning hot: a suspender holds it only while
 * the thread is stopped, typically microseconds; yield first, then sleep. */
static void backoff(unsigned attempt)
{
	if (attempt < 16) {
		__builtin_ia32_pause();
	} else if (attempt < 64) {
		sched_yield();
	} else {
		struct timespec ts = {0, 50 * 1000};
		nanosleep(&ts, NULL);
	}
}

int rw_ext_enter(void)
{
	struct rw__m *m = rw__self();
	if (m->ext_held)
		return rw__fail(RW_EALREADY, "rw_ext_enter on M%u: already in external code", m->id);
	return rw__ext_enter(m);
}

int rw__ext_enter_wait(struct rw__m *m)
{
	for (unsigned attempt = 0;; attempt++) {
		uint32_t expect = RW__EXT_FREE;
		if (atomic_compare_exchange_weak_explicit(&m->thread->ext, &expect, RW__EXT_THREAD,
		                                          memory_order_acquire, memory_order_relaxed))
			break;
		/* A detached thread is closed to suspenders already. */
		if (expect == RW__EXT_DETACHED)
			break;
		/* The suspender is this very thread (rw_suspend_begin on
		 * itself): waiting would wait for itself, for ever. */
		if (expect == RW__EXT_SUSPENDER && m->self_suspended)
			return rw__fail(RW_EBUSY, "rw_ext_enter on M%u: M%u holds its own suspension "
			                "word (rw_suspend_begin on itself); it would wait for itself: "
			                "call rw_suspend_end first", m->id, m->id);
		backoff(attempt);
	}
	m->ext_held = 1;
	return 0;
}

int rw_ext_exit(void)
{
	struct rw__m *m = rw__self();
	if (!m->ext_held)
		return rw__fail(RW_EPERM, "rw_ext_exit on M%u: not in external code", m->id);
	rw__ext_exit(m);
	return 0;
}


int rw_suspend_begin(rw_thread_t *t)
{
	if (!t)
		return rw__fail(RW_EINVAL, "rw_suspend_begin(NULL)");
	if (atomic_load_explicit(&t->ext, memory_order_acquire) == RW__EXT_EXITED)
		return rw__fail(RW_ENOENT, "rw_suspend_begin(M%u): M%u has exited", t->id, t->id);
	if (!rw__g.opts.guard_suspend)
		return 0;
	uint32_t expect = RW__EXT_FREE;
	if (atomic_compare_exchange_strong_explicit(&t->ext, &expect, RW__EXT_SUSPENDER,
	                                            memory_order_acquire, memory_order_relaxed)) {
		rw__flight_note(RW_FL_SUSPEND, NULL, 0, t->id);
		if (t == rw__m.thread)
			rw__m.self_suspended = 1; /* see rw_ext_enter */
		return 0;
	}
	if (expect == RW__EXT_DETACHED)
		return RW_ENOENT; /* a foreign thread outside the runtime: skip it */
	if (expect == RW__EXT_EXITED)
		return rw__fail(RW_ENOENT, "rw_suspend_begin(M%u): M%u has exited", t->id, t->id);
	/* Not an error worth a message: skipping is the protocol. */
	rw__flight_note(RW_FL_SUSPEND_SKIP, NULL, 0, t->id);
	return RW_EBUSY;
}

int rw_suspend_end(rw_thread_t *t)
{
	if (!t)
		return rw__fail(RW_EINVAL, "rw_suspend_end(NULL)");
	if (!rw__g.opts.guard_suspend)
		return 0;
	uint32_t expect = RW__EXT_SUSPENDER;
	if (t == rw__m.thread)
		rw__m.self_suspended = 0;
	if (!atomic_compare_exchange_strong_explicit(&t->ext, &expect, RW__EXT_FREE,
	                                             memory_order_release, memory_order_relaxed)) {
		if (expect == RW__EXT_EXITED)
			return rw__fail(RW_ENOENT, "rw_suspend_end(M%u): M%u has exited", t->id, t->id);
		return rw__fail(RW_EPERM, "rw_suspend_end(M%u): no suspender holds it", t->id);
	}
	return 0;
}
