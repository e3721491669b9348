/*
 * shim/checkpoint.c - repairing per-thread state after an unwind
 * (guarantee 5; seed 003).
 *
 * A panic (or longjmp) from inner runtime code across foreign frames to an
 * outer runtime frame skips the exits of every transition in between, and
 * every rw_func_exit of the frames it skips. Left alone, the thread keeps
 * a foreign-call depth it is no longer at, a task pinned by a callback
 * that is gone, a signal mask from the inner frames, and TSan's shadow
 * call stack keeps the skipped frames: reports show frames that are not on
 * the stack, and the shadow stack grows with every panic (OCaml's TSan
 * support repairs it the same way, one func-exit per skipped frame).
 */
#include "internal.h"

#include <signal.h>

int rw_checkpoint(rw_checkpoint_t *cp)
{
	struct rw__m *m = rw__self();
	if (!cp)
		return rw__fail(RW_EINVAL, "rw_checkpoint(NULL) on M%u", m->id);
	cp->m = m->id;
	cp->task = m->task ? m->task->id : 0;
	cp->records = m->nrecords;
	cp->func_depth = rw__hot.depth;
	cp->proc = m->wired;
	cp->fiber = m->task;
	pthread_sigmask(SIG_SETMASK, NULL, (sigset_t *)cp->mask);
	return 0;
}

/* TSan's func-exit for each frame entered since the checkpoint. It needs
 * only the task's ThreadState, but TSan may allocate trace space and ask
 * for a Processor, so lend the fallback if the thread has none. */
static void pop_frames(struct rw__m *m, long to_depth)
{
	long n = rw__hot.depth - to_depth;
	if (n <= 0 || !m->task)
		return;
	/* TSan is finalizing (and rw_fini holds the fallback for good):
	 * the frames are forgotten, not popped. */
	if (atomic_load(&rw__g.finalizing)) {
		rw__hot.depth = to_depth;
		return;
	}
	int lent = rw__lend_fallback();
	for (long i = 0; i < n; i++)
		rw__be_annotate(m->task->thr, RW__FUNC_EXIT, NULL, 0, 0);
	rw__return_fallback(lent);
	rw__hot.depth = to_depth;
}

int rw_checkpoint_restore(const rw_checkpoint_t *cp)
{
	struct rw__m *m = rw__self();
	if (!cp)
		return rw__fail(RW_EINVAL, "rw_checkpoint_restore(NULL) on M%u", m->id);
	if (cp->m != m->id)
		return rw__fail(RW_EPERM, "rw_checkpoint_restore on M%u: the checkpoint was taken on M%u",
		                m->id, cp->m);
	unsigned task = m->task ? m->task->id : 0;
	/* Fiber backend: the unwind leaves the current fiber for the
	 * checkpoint's, whose stack the longjmp lands on; TSan must be told
	 * before the jump (see racewire.h). Unguarded, it is not. */
	if (cp->task != task && (rw__be_caps & RW__BE_FIBERS) && rw__g.opts.guard_unwind) {
		int rc = rw_task_switch(cp->fiber);
		if (rc < 0)
			return rc;
		task = cp->task;
	}
	if (cp->task != task)
		return rw__fail(RW_EPERM, "rw_checkpoint_restore on M%u: the checkpoint is T%u's, the "
		                "current task is T%u", m->id, cp->task, task);
	if (cp->records > m->nrecords || cp->func_depth > rw__hot.depth)
		return rw__fail(RW_EINVAL, "rw_checkpoint_restore on M%u: the checkpoint is deeper than "
		                "the thread (%u records, %ld frames; now %u, %ld): restored twice?",
		                m->id, cp->records, cp->func_depth, m->nrecords, rw__hot.depth);
	if (!rw__g.opts.guard_unwind)
		return 0; /* unguarded: whatever the skipped frames left stays */

	rw__flight_note(RW_FL_RESTORE, m->wired, (uintptr_t)__builtin_return_address(0),
	                (uint64_t)(rw__hot.depth - cp->func_depth));
	pop_frames(m, cp->func_depth);
	while (m->nrecords > cp->records) {
		struct rw__record r = m->records[--m->nrecords];
		if (r.kind == RW__REC_FOREIGN) {
			/* The foreign call did return, by jumping: leave external
			 * code, and owe its acquire like a normal return. */
			if (m->ext_held)
				rw_ext_exit();
			m->acquire_owed = 1;
		} else {
			rw__callback_unwind(&r);
		}
	}
	pthread_sigmask(SIG_SETMASK, (sigset_t *)cp->mask, NULL);
	if (!m->wired && cp->proc) {
		int rc = rw_proc_wire(cp->proc);
		if (rc < 0)
			return rc; /* names the owner; wire another context */
	}
	rw__refresh_hot(m); /* fires an owed acquire if it can */
	return 0;
}
