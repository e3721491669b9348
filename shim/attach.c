/*
 * shim/attach.c - attaching and detaching foreign threads (guarantee 4;
 * seed 004).
 *
 * A thread that foreign code created has no runtime state until it calls
 * in. Building that state (and tearing it down when the thread leaves)
 * takes several steps, and a signal handler that runs in between may find
 * the thread looking attached while its signal stack or M is not yet set
 * up, or already gone (Go issue 12277: a signal during needm ran the Go
 * handler on a bad signal stack). The fix is Go's: block every signal for
 * the whole transition, publish "attached" last on the way in and retract
 * it first on the way out, and give the thread back its own mask after.
 */
#include "internal.h"

#include <sched.h>
#include <signal.h>

int rw_thread_attach(rw_attach_t *a, int (*setup)(void *arg), void *arg)
{
	struct rw__m *m = &rw__m;
	if (!a)
		return rw__fail(RW_EINVAL, "rw_thread_attach(NULL)");
	if (m->attached)
		return rw__fail(RW_EALREADY, "rw_thread_attach on M%u: already attached", m->id);

	sigset_t all;
	sigfillset(&all);
	int guarded = rw__g.opts.guard_signals;
	if (guarded) {
		pthread_sigmask(SIG_SETMASK, &all, (sigset_t *)a->saved_mask);
	} else {
		/* Unguarded: Go before issue 12277. Signals stay deliverable
		 * and the thread claims to be attached before it is. */
		pthread_sigmask(SIG_SETMASK, NULL, (sigset_t *)a->saved_mask);
		m->attached = 1;
	}
	m = rw__self(); /* registers the thread: its M number, its handle */
	/* Attached again after a detach: suspenders may take it again. */
	uint32_t detached = RW__EXT_DETACHED;
	atomic_compare_exchange_strong(&m->thread->ext, &detached, RW__EXT_FREE);
	int rc = setup ? setup(arg) : 0;
	if (rc < 0) {
		m->attached = 0;
		atomic_store(&m->thread->ext, RW__EXT_DETACHED);
		pthread_sigmask(SIG_SETMASK, (sigset_t *)a->saved_mask, NULL);
		return rw__fail(rc, "rw_thread_attach: the runtime's setup failed (%d)", rc);
	}
	m->attached = 1; /* last: everything above is in place */
	rw__flight_note(RW_FL_ATTACH, m->wired, (uintptr_t)__builtin_return_address(0), 0);
	/* The attaching M, so a detach with another thread's rw_attach_t
	 * (and its saved signal mask) is refused. */
	a->attached = (int)m->id;
	if (guarded)
		pthread_sigmask(SIG_SETMASK, (sigset_t *)a->saved_mask, NULL);
	return 0;
}

int rw_thread_detach(rw_attach_t *a, void (*teardown)(void *arg), void *arg)
{
	struct rw__m *m = &rw__m;
	if (!a)
		return rw__fail(RW_EINVAL, "rw_thread_detach(NULL) on M%u", m->id);
	if (!a->attached || !m->attached)
		return rw__fail(RW_EPERM, "rw_thread_detach on M%u: the thread is not attached", m->id);
	if ((uint32_t)a->attached != m->id)
		return rw__fail(RW_EPERM, "rw_thread_detach on M%u: this rw_attach_t is M%d's, not "
		                "this thread's", m->id, a->attached);
	if (m->wired || m->task || m->nrecords || m->ext_held)
		return rw__fail(RW_EBUSY, "rw_thread_detach on M%u: still %s; give it up first", m->id,
		                m->wired ? "has a context wired"
		                : m->task ? "has a current task"
		                : m->nrecords ? "inside a transition" : "in external code");
	sigset_t all, ignored;
	sigfillset(&all);
	if (rw__g.opts.guard_signals) {
		pthread_sigmask(SIG_SETMASK, &all, &ignored);
		m->attached = 0; /* first: nothing below is attached state */
		if (teardown)
			teardown(arg);
	} else {
		if (teardown)
			teardown(arg);
		m->attached = 0;
	}
	a->attached = 0;
	rw__flight_note(RW_FL_DETACH, NULL, (uintptr_t)__builtin_return_address(0), 0);
	/* Keep the handle (a suspender may hold it) but close it to
	 * suspenders, waiting out one that holds it now. It is freed when
	 * the thread exits. */
	for (;;) {
		uint32_t expect = RW__EXT_FREE;
		if (atomic_compare_exchange_weak(&m->thread->ext, &expect, RW__EXT_DETACHED))
			break;
		sched_yield();
	}
	/* The mask the thread had before it ever called in. */
	pthread_sigmask(SIG_SETMASK, (sigset_t *)a->saved_mask, NULL);
	return 0;
}

int rw_thread_is_attached(void)
{
	return rw__m.attached != 0;
}
