/*
 * shim/foreign.c - the foreign-call bracket (guarantee 2; seeds 001, 003).
 *
 * TSan cannot see what foreign code does, so racewire makes the call a
 * synchronization point, as Go does with racecgosync: entering releases
 * (merges) a sync object, returning acquires it, and so everything the
 * runtime did before the call happens-before what it does after any call
 * that returned later. The acquire is the dangerous half: the thread gave
 * its context up for the call, and the acquire must not reach TSan before
 * the thread owns one again. Go got this order wrong until issue 27660.
 */
#include "internal.h"

/* In .bss, which rw_init registers with TSan. */
char rw__foreign_sync;

int rw_foreign_enter(rw_proc_t **released)
{
	struct rw__m *m = rw__self();
	if (!released)
		return rw__fail(RW_EINVAL, "rw_foreign_enter(NULL) on M%u", m->id);
	if (!m->wired)
		return rw__fail(RW_EPERM, "rw_foreign_enter on M%u: no context wired; a foreign call "
		                "starts from a running task", m->id);
	int rc = rw__push_record(m, RW__REC_FOREIGN, NULL, "rw_foreign_enter");
	if (rc)
		return rc;
	m->records[m->nrecords - 1].task = m->task; /* whose acquire exit owes */
	rw_release_merge(&rw__foreign_sync);
	rw_proc_t *p = m->wired;
	rw__flight_note(RW_FL_FOREIGN_ENTER, p, (uintptr_t)__builtin_return_address(0), 0);
	/* The checks of rw_proc_unwire and rw_ext_enter hold here (p is
	 * this thread's); only a thread already in external code goes the
	 * public way, which says so. */
	rw__unwire(m, p);
	if (m->ext_held)
		rw_ext_enter();
	else
		rw__ext_enter(m);
	*released = p;
	return 0;
}

int rw_foreign_exit(void)
{
	struct rw__m *m = rw__self();
	if (m->nrecords == 0 || m->records[m->nrecords - 1].kind != RW__REC_FOREIGN)
		return rw__fail(RW_EPERM, "rw_foreign_exit on M%u: %s", m->id,
		                m->nrecords ? "the innermost transition is a callback, not a foreign call"
		                            : "no foreign call to leave");
	/* The acquire exit owes is the calling task's: owed to another task
	 * than the one that made the call, it would give that task a
	 * happens-before edge it never had, and hide its races. */
	rw_task_t *caller = m->records[m->nrecords - 1].task;
	if (caller != m->task)
		return rw__fail(RW_EPERM, "rw_foreign_exit on M%u: the open foreign call is T%u's, the "
		                "current task is T%u; switch back to T%u first", m->id,
		                rw_task_id(caller), rw_task_id(m->task), rw_task_id(caller));
	m->nrecords--;
	if (m->ext_held)
		rw__ext_exit(m);
	if (!rw__g.opts.guard_foreign) {
		/* Unguarded: Go before issue 27660, acquiring at once with
		 * whatever the thread has (nothing, or a stale context). */
		rw_acquire(&rw__foreign_sync);
		return 0;
	}
	rw__acquire_foreign(m); /* now if a context is wired, else owed */
	rw__flight_note(RW_FL_FOREIGN_EXIT, m->wired, (uintptr_t)__builtin_return_address(0),
	                m->acquire_owed);
	return 0;
}

unsigned rw_foreign_depth(void)
{
	struct rw__m *m = &rw__m;
	unsigned n = 0;
	for (unsigned i = 0; i < m->nrecords; i++)
		n += m->records[i].kind == RW__REC_FOREIGN;
	return n;
}
