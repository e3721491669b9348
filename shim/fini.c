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

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static _Atomic int once;
static _Atomic pid_t finalizer; /* the thread that runs the finalization */
static _Atomic int exit_status = -1; /* what TSan passed to exit(), once it did */

/* on_exit's handlers run last registered first, so this one, registered
 * just before TSan's finalization calls exit, runs before every atexit
 * handler the program registered: by then the status is known. */
static void note_status(int status, void *arg)
{
	(void)arg;
	atomic_store(&exit_status, status);
}

/* rw_fini again on the thread that is finalizing: an exit-time handler (an
 * atexit function, a destructor) of the very exit TSan started. Pausing
 * would wait for this thread itself, forever: seed 000's symptom, a
 * process that never ends. The exit under way is the one to finish: exit
 * again with its status, which runs the handlers still pending and flushes
 * stdio (glibc finishes the outer exit's list from a nested call). */
static _Noreturn void reenter(void)
{
	int status = atomic_load(&exit_status);
	if (status >= 0)
		exit(status);
	/* Re-entered before TSan reached exit: from a signal handler that
	 * interrupted its finalization. It cannot be finished from here. */
	static const char msg[] = "racewire: error: rw_fini re-entered on the finalizing thread "
	                          "before TSan's exit (a signal handler?); exiting with status 1\n";
	ssize_t unused = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)unused;
	_exit(1);
}

_Noreturn void rw_fini(void)
{
	if (atomic_exchange(&once, 1)) {
		if (atomic_load(&finalizer) == gettid())
			reenter();
		/* Another thread is exiting the process: wait for it. */
		for (;;)
			pause();
	}
	atomic_store(&finalizer, gettid());
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
	on_exit(note_status, NULL);
	rw__be_fini();
}
