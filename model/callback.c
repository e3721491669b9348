/*
 * model/callback.c - calls from C back into the runtime (Go's cgocallback,
 * cgocallbackg, needm and dropm).
 *
 * Two cases:
 *
 * 1. On a runtime thread inside md_cgocall: the calling task itself runs
 *    the callback, on its stack above the C frames.
 *      rw_callback_enter  pins the task to this thread (the C frames below
 *                         must be returned to on this thread), leaves
 *                         external code (the monitor may suspend us again,
 *                         Go's osPreemptExtExit) and owes the acquire of
 *                         what C did before calling back (racecgosync);
 *      exitsyscall        take a P back, rw_proc_wire (foreign.c), which
 *                         fires the owed acquire;
 *      fn(arg)            may park, yield, be preempted: the scheduler keeps
 *                         the task on this thread (rw_task_pinned_to, rule
 *                         R3 in sched.c);
 *      rw_callback_exit   runs the registered cleanups (md_callback_defer)
 *                         STILL PINNED, release-merges what the callback
 *                         did, for C, checks the thread, then unpins and
 *                         re-enters external code: the fix of Go issue 47441
 *                         (seed 002), where unlockOSThread ran before a
 *                         deferred call that was a preemption point;
 *      entersyscall       unwire and release the P for the rest of the C
 *                         call (the foreign bracket is still open).
 *
 * 2. On a thread C created (md__m is NULL): attach it first.
 *      rw_thread_attach   with every signal blocked, runs setup: an M for
 *                         the thread, published in md__m (what the signal
 *                         handler looks at), its racewire handle; restores
 *                         the thread's mask. rw_thread_is_attached() turns
 *                         true only after setup, so a signal in between
 *                         sees nothing half-built (seed 004, Go issue 12277).
 *      wait for a P, start a task (parent: the root task; the HB with the
 *      runtime comes from racecgosync), run it pinned on this thread,
 *      end it, give the P back;
 *      rw_thread_detach   with signals blocked, teardown unpublishes the M.
 *
 * Pre-fix switch (md_config.unguarded_callback, MD_UNGUARDED=callback):
 * the callback registers one more cleanup that is a preemption point (a
 * yield), like the defer wrapper of issue 47441. racewire's guard runs it
 * pinned (the task stays); with RACEWIRE_OPTIONS=guard_callback=0 racewire
 * unpins first, the yield lets another thread take the task, and the
 * callback returns on the wrong thread.
 */
#include "internal.h"

#include <string.h>

struct md_cbframe {
	struct md_cbframe *prev;
	long (*fn)(void *);
	void *arg;
	long result;
	md_m_t *m;                /* the thread the callback arrived on */
	rw_callback_t cb;
};

void md_callback_defer(void (*fn)(void *), void *arg)
{
	md_m_t *m = md__m;
	struct md_cbframe *f = m && m->curg ? m->curg->cbtop : NULL;
	if (!f)
		md__fatal("md_callback_defer outside a callback");
	md__rwcheck(rw_callback_defer(&f->cb, fn, arg), "rw_callback_defer");
}

/* The pre-fix cleanup: a preemption point. */
static void cleanup_yield(void *arg)
{
	(void)arg;
	md_yield();
}

static void pin(md_g_t *g, struct md_cbframe *f)
{
	f->prev = g->cbtop;
	g->cbtop = f;
	md__rwcheck(rw_callback_enter(&f->cb), "rw_callback_enter");
	if (md_sched.cfg.unguarded_callback)
		md_callback_defer(cleanup_yield, NULL);
}

static void unpin(md_g_t *g, struct md_cbframe *f)
{
	md__rwcheck(rw_callback_exit(&f->cb), "rw_callback_exit");
	g->cbtop = f->prev;
}

/* Case 1: inside md_cgocall on a runtime thread. */
static long callback_in_cgocall(md_m_t *m, long (*fn)(void *), void *arg)
{
	md_g_t *g = m->curg;
	struct md_cbframe f = {.fn = fn, .arg = arg, .m = m};
	pin(g, &f);
	/* P wired: annotations may reach TSan again, and the acquire that
	 * rw_callback_enter owed (what C did before calling back) fires. */
	md__exitsyscall(m);

	long r = fn(arg);

	unpin(g, &f); /* rw_callback_exit release-merges what fn did, for C */
	/* Go's checkm after cgocallbackg1: returning into C on another
	 * thread would run its frames on the wrong thread. racewire's guard
	 * dies first with a clearer message; this catches a broken pin.
	 * Not in the pre-fix mode (unguarded_callback): Go before the fix had
	 * no such check, and the task returns into C on whatever thread it
	 * is on, for the C frames to find out (stress/repro/model_seed002.c). */
	m = md__m;
	if (m != f.m && !md_sched.cfg.unguarded_callback)
		md__fatal("task %u moved from M%u to M%u during a callback (Go issue 47441)",
		          g->id, f.m->id, m->id);
	/* Back to C: give the P up again (the foreign bracket of the outer
	 * md_cgocall is still open; rw_callback_exit re-entered external
	 * code). Unwire before publishing P_SYSCALL (rule R1). */
	md_p_t *p = m->p;
	atomic_fetch_add(&p->syscalltick, 1);
	md__releasep(m);
	m->oldp = p;
	atomic_store(&p->status, P_SYSCALL);
	return r;
}

/* Case 2: a thread C created. */
static md_m_t *free_foreign_ms;
static uint32_t foreign_lock;

/* MD_ATTACH_SPIN=N (model.h; default 0: off): a busy loop at the start of
 * attach setup and at the end of detach teardown, widening the window in
 * which the thread's M is not yet (or no longer) published. For the seed
 * 004 reproducer (stress/repro/model_seed004.c); with racewire's guard on,
 * signals are blocked there and it costs only time. */
static _Atomic long attach_spin = -1;

static void attach_window(void)
{
	long n = atomic_load_explicit(&attach_spin, memory_order_relaxed);
	if (n < 0) {
		const char *e = getenv("MD_ATTACH_SPIN");
		n = e ? atol(e) : 0;
		if (n < 0)
			n = 0;
		atomic_store_explicit(&attach_spin, n, memory_order_relaxed);
	}
	for (volatile long i = 0; i < n; i++)
		;
}

static int attach_setup(void *arg)
{
	/* Signals are blocked here (racewire): publishing md__m and the
	 * racewire handle cannot be seen half-done by a signal handler. */
	md_m_t **out = arg;
	attach_window();
	md__lock(&foreign_lock);
	md_m_t *m = free_foreign_ms;
	if (m)
		free_foreign_ms = m->link;
	md__unlock(&foreign_lock);
	if (!m)
		m = md__mnew(1);
	md__m_register(m);
	*out = m;
	return 0;
}

static void detach_teardown(void *arg)
{
	md_m_t *m = arg;
	atomic_store(&m->in_use, 0);
	md__m = NULL;
	md__lock(&foreign_lock);
	m->link = free_foreign_ms;
	free_foreign_ms = m;
	md__unlock(&foreign_lock);
	attach_window();
}

/* The callback task on a foreign thread. */
static void foreign_cb_task(void *arg)
{
	struct md_cbframe *f = arg;
	md_g_t *g = md__m->curg;
	pin(g, f); /* the thread has its P: rw_callback_enter acquires at once */
	f->result = f->fn(f->arg);
	unpin(g, f); /* release-merges what fn did, for C */
	md__gswitch(A_CBRET); /* back to the C thread's stack (g0_loop checks the M) */
	__builtin_unreachable();
}

static long callback_foreign_thread(long (*fn)(void *), void *arg)
{
	md_m_t *m = NULL;
	rw_attach_t a;
	md__rwcheck(rw_thread_attach(&a, attach_setup, &m), "rw_thread_attach");
	atomic_fetch_add(&md_sched.st_attaches, 1);
	md__wait_for_p(m);

	struct md_cbframe f = {.fn = fn, .arg = arg, .m = m};
	md_g_t *g = md__gnew(foreign_cb_task, &f);
	g->cb_foreign = 1;
	/* Parent: the root task, which never runs (rw_task_start refuses a
	 * parent running on another thread). Starting a child updates the
	 * parent's TSan state (its clock, its slot: __tsan_go_start locks the
	 * parent's slot), so foreign threads that call back at once must take
	 * turns: without root_lock two of them drive the root task's
	 * ThreadState together (SEGV in __tsan::SlotLock under ThreadCreate,
	 * found by stress/repro/model_seed004.c with 3 threads). */
	static pthread_mutex_t root_lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&root_lock);
	md__rwcheck(rw_task_start(md_sched.root_task, RW_CALLER_PC(), &g->rw),
	            "rw_task_start(callback)");
	pthread_mutex_unlock(&root_lock);
	atomic_store(&g->status, G_RUNNABLE);
	m->curg = g;
	md__run_locked(m, g); /* until the callback task switches back */

	RACE(md__rwcheck(rw_task_end(g->rw), "rw_task_end(callback)"));
	atomic_fetch_add(&md_sched.st_ended, 1);
	md__gfree(g);
	md_p_t *p = m->p;
	md__releasep(m);
	md__handoffp(p);
	md__rwcheck(rw_thread_detach(&a, detach_teardown, m), "rw_thread_detach");
	return f.result;
}

long md_callback(long (*fn)(void *), void *arg)
{
	md_m_t *m = md__m;
	if (!m)
		return callback_foreign_thread(fn, arg);
	if (!m->curg || !m->incgo || m->p)
		md__fatal("md_callback on M%u: not inside md_cgocall", m->id);
	return callback_in_cgocall(m, fn, arg);
}
