/*
 * shim/fini.c - the finalizer guard (guarantee 7; seed 000).
 *
 * __tsan_fini runs exit-time code and exits the process. Two things must
 * not happen meanwhile: the runtime's suspender stopping this thread
 * halfway (the deadlock of Go issue 35775, where racefini's exit raced with
 * SuspendThread), and other threads feeding annotations to a TSan that is
 * tearing itself down.
 */
#include "internal.h"

#include <stdlib.h>
#include <unistd.h>

_Noreturn void rw_fini(void)
{
	static _Atomic int once;
	if (atomic_exchange(&once, 1)) {
		/* The first caller is exiting the process: wait for it. */
		for (;;)
			pause();
	}
	if (!rw__is_inited())
		exit(0);
	struct rw__m *m = rw__self();
	rw__flight_note(RW_FL_FINALIZE, m->wired, (uintptr_t)__builtin_return_address(0), 0);

	/* Give up the context, then enter external code: a suspender that
	 * holds this thread's word is waited out, and none can take it
	 * after this. */
	if (m->wired)
		rw_proc_unwire(m->wired);
	if (!m->ext_held)
		rw_ext_enter();

	/* Switch every thread's fast path off. A thread that sets its
	 * pointer again re-checks `finalizing` afterwards (rw__refresh_hot);
	 * seq_cst on both sides means one of the two clears it. */
	atomic_store(&rw__g.finalizing, 1);
	pthread_mutex_lock(&rw__g.registry_lock);
	for (struct rw_thread *t = rw__g.threads; t; t = t->next)
		__atomic_store_n(&t->hot->thr, NULL, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&rw__g.registry_lock);

	/* TSan's Finalize may ask for a Processor: the fallback, held for
	 * good, since the process is exiting. */
	pthread_mutex_lock(&rw__g.fallback_lock);
	rw__hot.tsan_proc = rw__g.fallback->tsan_proc;
	rw__be_fini();
}
