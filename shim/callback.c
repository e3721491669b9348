/*
 * shim/callback.c - callbacks from foreign code (guarantee 3; seed 002).
 *
 * Foreign code that calls into the runtime expects to be returned to on
 * its own thread: its frames live on that thread's stack. So the task
 * running the callback must not move to another thread until the callback
 * returns, and everything the callback does on the way out (cleanups,
 * deferred calls) must run inside that pinned window. Go issue 47441: the
 * unpin (unlockOSThread) ran before a deferred call that was a preemption
 * point; the task moved, and returned into C on the wrong stack, a SIGSEGV
 * far from the cause. Here the order is fixed, and the thread is checked
 * before returning.
 */
#include "internal.h"

#include <stdio.h>

static void pin(rw_task_t *t, uint32_t m)
{
	if (t->pin_depth++ == 0)
		atomic_store_explicit(&t->pinned_to, m, memory_order_release);
}

static void unpin(rw_task_t *t)
{
	if (t && t->pin_depth > 0 && --t->pin_depth == 0)
		atomic_store_explicit(&t->pinned_to, 0, memory_order_release);
}

/* The record of cb on the calling thread, innermost first, or NULL. */
static struct rw__record *find(struct rw__m *m, const rw_callback_t *cb)
{
	for (unsigned i = m->nrecords; i-- > 0;)
		if (m->records[i].kind == RW__REC_CALLBACK && m->records[i].cb == cb)
			return &m->records[i];
	return NULL;
}

/* Runs on a copy of the record, or on the record itself while it is still
 * on the stack: a cleanup may push records of its own. */
static void run_cleanups(struct rw__record *r)
{
	while (r->ncleanups > 0) {
		r->ncleanups--;
		r->cleanups[r->ncleanups].fn(r->cleanups[r->ncleanups].arg);
	}
}

/* rw_callback_enter seals the struct it fills: cb->depth carries, above
 * the record depth, 16 bits that hash the struct's address, its M and its
 * task. Stack garbage passes for an entered callback once in 65536, so a
 * callback exited on the wrong thread is told apart from one never entered
 * ("task moved" would send its author hunting for a scheduler bug). */
static unsigned seal_of(const rw_callback_t *cb, unsigned m, unsigned task)
{
	uint64_t h = ((uint64_t)(uintptr_t)cb ^ ((uint64_t)m << 32) ^ task) * 0x9E3779B97F4A7C15ull;
	return (unsigned)(h >> 48) | 1u; /* never 0: a zeroed struct is unsealed */
}

static int sealed(const rw_callback_t *cb)
{
	unsigned depth = cb->depth & 0xff;
	return depth >= 1 && depth <= RW__MAX_RECORDS && (cb->depth >> 8) == seal_of(cb, cb->m, cb->task);
}

int rw_callback_enter(rw_callback_t *cb)
{
	struct rw__m *m = rw__self();
	if (!cb)
		return rw__fail(RW_EINVAL, "rw_callback_enter(NULL) on M%u", m->id);
	if (!m->task)
		return rw__fail(RW_EPERM, "rw_callback_enter on M%u: no current task; switch to the "
		                "callback's task first", m->id);
	int rc = rw__push_record(m, RW__REC_CALLBACK, cb, "rw_callback_enter");
	if (rc)
		return rc;
	struct rw__record *r = &m->records[m->nrecords - 1];
	r->task = m->task;
	cb->m = m->id;
	cb->task = m->task->id;
	cb->depth = m->nrecords | seal_of(cb, m->id, m->task->id) << 8;
	/* Back in runtime code: the thread may be suspended again, as Go's
	 * cgocallbackg calls osPreemptExtExit. */
	if (m->ext_held) {
		rw__ext_exit(m);
		r->left_ext = 1;
	}
	pin(m->task, m->id);
	/* What foreign code did before calling back happens-before the
	 * callback: the acquire, owed until the thread has a context. */
	rw__acquire_foreign(m);
	rw__flight_note(RW_FL_CALLBACK_ENTER, m->wired, (uintptr_t)__builtin_return_address(0), 0);
	return 0;
}

int rw_callback_defer(rw_callback_t *cb, void (*fn)(void *), void *arg)
{
	struct rw__m *m = rw__self();
	if (!cb || !fn)
		return rw__fail(RW_EINVAL, "rw_callback_defer: NULL %s", cb ? "fn" : "callback");
	struct rw__record *r = find(m, cb);
	if (!r)
		return rw__fail(RW_EPERM, "rw_callback_defer on M%u: not inside that callback", m->id);
	if (r->ncleanups == RW_CALLBACK_MAX_CLEANUPS)
		return rw__fail(RW_ENOMEM, "rw_callback_defer: more than %d cleanups",
		                RW_CALLBACK_MAX_CLEANUPS);
	r->cleanups[r->ncleanups++] = (struct rw__cleanup){fn, arg};
	return 0;
}

/* After the cleanups: unpin, then back into external code if the callback
 * had left it. */
static inline void finish(struct rw__m *m, struct rw__record *r)
{
	unpin(r->task);
	if (r->left_ext && !m->ext_held)
		rw__ext_enter(m);
}

void rw__callback_unwind(struct rw__record *r)
{
	run_cleanups(r);
	finish(&rw__m, r);
}

static _Noreturn void die_moved(struct rw__m *m, rw_callback_t *cb)
{
	rw__flight_note(RW_FL_VIOLATION, m->wired, (uintptr_t)__builtin_return_address(0), cb->m);
	char head[128], detail[160];
	snprintf(head, sizeof head, "task T%u moved from M%u to M%u during callback", cb->task,
	         cb->m, m->id);
	snprintf(detail, sizeof detail, "returning would run foreign code's frames on M%u's stack "
	         "from M%u", cb->m, m->id);
	rw__fatal(head,
	          "hazard", detail,
	          "invariant", "a callback's task stays on the thread it arrived on until every "
	                       "cleanup ran (seed 002, Go issue 47441)",
	          "hint", "the scheduler must honour rw_task_pinned_to; run cleanups through "
	                  "rw_callback_defer, not after rw_callback_exit",
	          (const char *)NULL);
}

int rw_callback_exit(rw_callback_t *cb)
{
	struct rw__m *m = rw__self();
	if (!cb)
		return rw__fail(RW_EINVAL, "rw_callback_exit(NULL) on M%u", m->id);

	/* The callback's record is on the stack of the thread it arrived
	 * on. Not on top here: either the task moved (fatal: returning
	 * would run foreign frames on another thread's stack) or there is
	 * no such callback (misuse, reported). */
	if (m->nrecords == 0 || m->records[m->nrecords - 1].cb != cb) {
		/* "Moved" only for a callback that was entered: a zeroed or
		 * garbage rw_callback_t, or one already exited, has no seal. */
		if (cb->m && cb->m != m->id && sealed(cb))
			die_moved(m, cb);
		if (m->nrecords == 0)
			return rw__fail(RW_EPERM, "rw_callback_exit on M%u: no callback to leave", m->id);
		if (!find(m, cb))
			return rw__fail(RW_EPERM, "rw_callback_exit on M%u: this callback was never "
			                "entered on M%u (or has exited already)", m->id, m->id);
		return rw__fail(RW_EPERM, "rw_callback_exit on M%u: the innermost transition is not "
		                "this callback", m->id);
	}

	if (!rw__g.opts.guard_callback) {
		/* Unguarded: Go before issue 47441. Unpin first, then run the
		 * cleanups, which may be preemption points, and check nothing. */
		struct rw__record r = m->records[--m->nrecords];
		rw_release_merge(&rw__foreign_sync);
		unpin(r.task);
		run_cleanups(&r);
		return 0;
	}

	unsigned index = m->nrecords - 1;
	run_cleanups(&m->records[index]); /* still pinned, record still pushed */
	/* The callback's work happens-before what foreign code does next. */
	rw_release_merge(&rw__foreign_sync);
	/* Ask again which thread this is: a cleanup may have switched
	 * stacks (rw__self_fresh is out of line, so its answer is not the
	 * thread-local address computed above). */
	m = rw__self_fresh();
	if (m->id != cb->m)
		die_moved(m, cb);
	if (m->nrecords != index + 1)
		return rw__fail(RW_EPERM, "rw_callback_exit on M%u: a cleanup left a transition open",
		                m->id);
	/* Popped, and finished in place rather than from a copy of the
	 * whole record: its cleanups all ran above, so nothing left to run
	 * can push a record over it (unpinning and re-entering external code
	 * push none). */
	finish(m, &m->records[--m->nrecords]);
	cb->m = 0; /* exited: a second exit is "never entered", not "moved" */
	rw__flight_note(RW_FL_CALLBACK_EXIT, m->wired, (uintptr_t)__builtin_return_address(0), 0);
	return 0;
}
