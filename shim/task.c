/*
 * shim/task.c - tasks (goroutines): TSan ThreadStates that the runtime's
 * scheduler moves between threads.
 *
 * A ThreadState is not thread-safe: TSan assumes the goroutine it stands for
 * runs on one thread at a time. The scheduler normally guarantees that, but
 * a scheduler bug (a task resumed on two threads) would corrupt TSan as
 * surely as a shared Processor does, so rw_task_switch checks it with the
 * task's on_m word, moved only by compare-and-swap.
 */
#include "internal.h"

#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>

/* on_m with this bit: held by that M for one TSan call on the task's
 * ThreadState (starting a child from it, or an annotation on its behalf)
 * while it runs nowhere. Brief, so others wait it out rather than fail. */
#define RW__HOLD 0x80000000u

/* Hold t for one TSan call from the calling thread. Returns 1 if held
 * (call release_task after), 0 if t is this thread's current task
 * already, RW_EBUSY if it runs on another thread, or RW_ENOENT if it has
 * ended (its TSan state is gone; only racewire's record of it is left). */
static int hold_task(rw_task_t *t, struct rw__m *m, const char *what)
{
	for (;;) {
		uint32_t on = 0;
		if (atomic_compare_exchange_weak_explicit(&t->on_m, &on, m->id | RW__HOLD,
		                                          memory_order_acquire, memory_order_relaxed))
			return 1;
		if (on == m->id)
			return 0;
		if (on == RW__TASK_DEAD)
			return rw__fail(RW_ENOENT, "%s(T%u) on M%u: T%u has ended (rw_task_end)", what,
			                t->id, m->id, t->id);
		if (on && !(on & RW__HOLD))
			return rw__fail(RW_EBUSY, "%s(T%u) on M%u: T%u is running on M%u", what, t->id,
			                m->id, t->id, on);
		sched_yield();
	}
}

static void release_task(rw_task_t *t)
{
	atomic_store_explicit(&t->on_m, 0, memory_order_release);
}

/* Signals stay blocked across a fiber switch (guard_signals; fiber
 * backend). TSan's handler reads the thread's current context, which is
 * half switched inside __tsan_switch_to_fiber (its Processor unwired from
 * one, not yet wired to the other), and TSan queues a signal that arrives
 * in instrumented code on the current context, to deliver it when that
 * context next leaves an intercepted call or makes a TSan atomic
 * (ProcessPendingSignals, tsan_interceptors_posix.cpp): a context switched
 * away from (to run later on another thread, or to be destroyed) would
 * take the signal with it, to run late on the wrong thread or never
 * (ThreadFinish unmaps its queue). So: block everything first, with the
 * raw system call, so that nothing can be queued on the context being left
 * after the next step; then let that context deliver what it holds, by an
 * intercepted call that touches nothing (strncpy of zero bytes): each
 * handler runs here, on the thread its signal was sent to, with everything
 * blocked as TSan's own deferred delivery does. The other order leaves a
 * window between the two for a signal to be queued and carried away. The
 * call goes through a volatile pointer: a strncpy into a dead local is a
 * dead store, which gcc and clang delete, and with it the delivery (measured:
 * with a direct call, guarded runs of fiber_misuse signal-destroyed lost
 * 506-658 signals each, as unguarded ones do). Not pthread_sigmask: TSan
 * intercepts it and records the sigset's stack slot as written by the
 * context of the moment, and two contexts that share one stack would then
 * "race" on it. Unblocking, on the new context, delivers what arrived
 * meanwhile there: the thread it was sent to, the context that goes on. */
static char *(*volatile deliver_pending)(char *, const char *, size_t) = strncpy;

static int block_signals(sigset_t *saved)
{
	if (!(rw__be_caps & RW__BE_FIBERS) || !rw__g.opts.guard_signals)
		return 0;
	uint64_t all = ~(uint64_t)0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, saved, sizeof all);
	char c;
	deliver_pending(&c, "", 0);
	return 1;
}

static void restore_signals(int blocked, const sigset_t *saved)
{
	if (blocked)
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, saved, NULL, sizeof(uint64_t));
}

/* Creating a fiber makes it TSan's current context while TSan starts it
 * (FiberCreate): a signal arriving then would be queued on a fiber that has
 * not started, to be run wherever it first runs, or never. Blocked as a
 * switch is (block_signals). */
static void start_fiber(void *parent_thr, void **thr, uintptr_t pc)
{
	sigset_t saved;
	int blocked = block_signals(&saved);
	rw__be_task_start(parent_thr, thr, pc);
	restore_signals(blocked, &saved);
}

int rw_task_start(rw_task_t *parent, uintptr_t pc, rw_task_t **out)
{
	struct rw__m *m = rw__self();
	if (!rw__is_inited())
		return rw__fail(RW_ENOTINIT, "rw_task_start: rw_init has not succeeded");
	if (!out)
		return rw__fail(RW_EINVAL, "rw_task_start on M%u: NULL out", m->id);
	/* Creating a child updates the parent's TSan state: a parent that is
	 * not this thread's current task is held for the call, so that two
	 * threads starting children of one parked task take turns. */
	int held = parent ? hold_task(parent, m, "rw_task_start") : 0;
	if (held < 0)
		return held;
	rw_task_t *t = calloc(1, sizeof *t);
	if (t && rw__after_fini()) {
		/* A task with no TSan state: all it would annotate is dropped
		 * anyway, and the runtime's spawn still succeeds. */
		t->id = atomic_fetch_add_explicit(&rw__g.next_task, 1, memory_order_relaxed) + 1;
		if (held)
			release_task(parent);
		*out = t;
		return 0;
	}
	int borrowed = t ? rw__need_proc("rw_task_start") : RW_ENOMEM;
	if (borrowed < 0) {
		if (held)
			release_task(parent);
		free(t);
		return borrowed == RW_ENOMEM ? rw__fail(RW_ENOMEM, "rw_task_start: out of memory")
		                             : borrowed;
	}
	t->id = atomic_fetch_add_explicit(&rw__g.next_task, 1, memory_order_relaxed) + 1;
	if (parent) {
		start_fiber(parent->thr, &t->thr, pc);
	} else {
		/* TSan's initial context is one ThreadState: creating a child
		 * updates the parent's clock, so starts from it take turns. */
		static pthread_mutex_t orphan_lock = PTHREAD_MUTEX_INITIALIZER;
		pthread_mutex_lock(&orphan_lock);
		start_fiber(rw__g.init_thr, &t->thr, pc);
		pthread_mutex_unlock(&orphan_lock);
	}
	rw__return_fallback(borrowed);
	if (held)
		release_task(parent);
	*out = t;
	return 0;
}

int rw_task_end(rw_task_t *t)
{
	struct rw__m *m = rw__self();
	if (!t)
		return rw__fail(RW_EINVAL, "rw_task_end(NULL) on M%u", m->id);
	/* A task inside a callback still has foreign frames to return into
	 * on its thread, and its callback record names it: ending it now
	 * would leave both pointing at a task with no TSan state. */
	uint32_t pin = atomic_load_explicit(&t->pinned_to, memory_order_acquire);
	if (pin && atomic_load_explicit(&t->on_m, memory_order_acquire) != RW__TASK_DEAD)
		return rw__fail(RW_EBUSY, "rw_task_end(T%u) on M%u: T%u is pinned to M%u by a callback "
		                "that has not exited", t->id, m->id, t->id, pin);
	int fibers = (rw__be_caps & RW__BE_FIBERS) != 0;
	/* A thread's own context belongs to TSan's thread: destroying it
	 * frees what TSan's allocator never handed out (a CHECK in its
	 * secondary allocator), and the thread's exit would finish it again. */
	if (fibers && t->own_m && rw__g.opts.guard_wiring)
		return rw__fail(RW_EPERM, "rw_task_end(T%u) on M%u: T%u is M%u's own context; a "
		                "thread's own context is never destroyed", t->id, m->id, t->id,
		                t->own_m);
	int current_fiber = 0;
	if (t == m->task) {
		/* A fiber is this thread's TSan context and its stack is the
		 * one we run on: switching TSan away would leave the code that
		 * follows on a stack TSan no longer knows, and destroying it
		 * as it stands frees the ThreadState TSan is using (a SEGV in
		 * the next TSan call). guard_wiring=0 destroys it anyway. */
		if (fibers && rw__g.opts.guard_wiring)
			return rw__fail(RW_EBUSY, "rw_task_end(T%u) on M%u: T%u is the current fiber of "
			                "M%u; switch to another task (or to none) first", t->id, m->id,
			                t->id, m->id);
		if (fibers)
			current_fiber = 1; /* unguarded: the reproducer's misuse */
		else
			rw_task_switch(NULL);
	}
	/* Taken for good, and never waited for: a task current elsewhere, or
	 * held by another thread for a TSan call on its behalf, is still in
	 * use, and ending it under that call would free TSan state the call
	 * is using. The runtime ends tasks it has stopped using; say so. */
	uint32_t on = 0;
	if (!current_fiber &&
	    !atomic_compare_exchange_strong_explicit(&t->on_m, &on, m->id | RW__HOLD,
	                                             memory_order_acquire, memory_order_relaxed)) {
		if (on == RW__TASK_DEAD)
			return rw__fail(RW_ENOENT, "rw_task_end(T%u) on M%u: T%u has already ended", t->id,
			                m->id, t->id);
		if (on & RW__HOLD)
			return rw__fail(RW_EBUSY, "rw_task_end(T%u) on M%u: T%u is held by M%u for a TSan "
			                "call on its behalf", t->id, m->id, t->id, on & ~RW__HOLD);
		return rw__fail(RW_EBUSY, "rw_task_end(T%u) on M%u: T%u is current on M%u", t->id,
		                m->id, t->id, on);
	}
	if (t->thr && !rw__after_fini()) {
		int borrowed = rw__need_proc("rw_task_end");
		if (borrowed < 0) {
			release_task(t);
			return borrowed;
		}
		/* Destroying a fiber makes it TSan's current context for its
		 * teardown; a signal arriving then finds a context that never
		 * ran (no TSan slot) and crashes TSan's handler
		 * (ClickHouse#52185). */
		sigset_t saved;
		int blocked = block_signals(&saved);
		rw__be_task_end(t->thr);
		restore_signals(blocked, &saved);
		rw__return_fallback(borrowed);
	}
	/* The struct stays (about 48 bytes per ended task, as Go keeps every
	 * g it made): a later switch, child start, annotation for it or
	 * second end finds RW__TASK_DEAD and names the task, instead of
	 * reading memory that malloc has handed to someone else. */
	t->thr = NULL;
	t->acquire_owed = 0;
	atomic_store_explicit(&t->on_m, RW__TASK_DEAD, memory_order_release);
	return 0;
}

/* A plain switch is a happens-before edge from the task left to the task
 * taken (fiber backend; TSan's own default). Without it, everything the
 * fibers of one thread share without instrumented synchronization (the
 * thread's TLS, errno, a stack they both run on) would be reported as
 * racing. Go mode ignores flags. rw_fiber_switch chooses
 * (racewire/backend_fiber.h). */
int rw_task_switch(rw_task_t *t)
{
	return rw__task_switch(t, 0);
}

int rw__task_switch(rw_task_t *t, unsigned flags)
{
	struct rw__m *m = rw__self();
	rw_task_t *old = m->task;
	if (t == old)
		return 0;
	/* With fibers the claim is what stands between two threads and one
	 * TSan context (TSan's own check, proc1 == nullptr, is not atomic);
	 * guard_wiring=0 skips it, for reproducers only. */
	int claim = !(rw__be_caps & RW__BE_FIBERS) || rw__g.opts.guard_wiring;
	if (t && claim && t->own_m && t->own_m != m->id)
		return rw__fail(RW_EPERM, "rw_task_switch(T%u) on M%u: T%u is M%u's own context; it "
		                "runs on no other thread", t->id, m->id, t->id, t->own_m);
	if (t && claim) {
		/* Guarantee 3: a task inside a callback returns into foreign
		 * code on the thread's stack it came from; it may run nowhere
		 * else until the callback is over. */
		uint32_t pin = atomic_load_explicit(&t->pinned_to, memory_order_acquire);
		if (pin && pin != m->id)
			return rw__fail(RW_EPERM, "rw_task_switch(T%u) on M%u: T%u is pinned to M%u "
			                "during a callback", t->id, m->id, t->id, pin);
		for (;;) {
			uint32_t on = 0;
			if (atomic_compare_exchange_weak_explicit(&t->on_m, &on, m->id,
			                                          memory_order_acquire, memory_order_relaxed))
				break;
			if (on == RW__TASK_DEAD)
				return rw__fail(RW_ENOENT, "rw_task_switch(T%u) on M%u: T%u has ended "
				                "(rw_task_end)", t->id, m->id, t->id);
			if (on && !(on & RW__HOLD))
				return rw__fail(RW_EBUSY, "rw_task_switch(T%u) on M%u: T%u is current on M%u",
				                t->id, m->id, t->id, on);
			sched_yield(); /* held briefly by another thread's TSan call */
		}
	}
	if (old)
		old->depth = rw__hot.depth;
	rw__hot.depth = t ? t->depth : 0;
	/* An owed acquire is the task's (struct rw_task): it leaves with
	 * old and comes back with it, and t brings its own. One owed with
	 * no task (a foreign call made with none) belongs to nobody. */
	if (old)
		old->acquire_owed = m->acquire_owed;
	m->acquire_owed = t ? t->acquire_owed : 0;
	if (t)
		t->acquire_owed = 0;
	sigset_t saved;
	int blocked = block_signals(&saved);
	/* No annotation may reach TSan between its switch and ours. */
	__atomic_store_n(&rw__hot.thr, NULL, __ATOMIC_SEQ_CST);
	rw__be_task_switch(old ? old->thr : NULL, t ? t->thr : NULL, flags);
	m->task = t;
	rw__flight_note(RW_FL_TASK_SWITCH, m->wired, 0, 0);
	rw__refresh_hot(m);
	restore_signals(blocked, &saved);
	/* Released after this thread stopped pointing at it, so the next
	 * thread to take the task sees all it did (the acquire above). */
	if (old && (claim || atomic_load_explicit(&old->on_m, memory_order_relaxed) == m->id))
		atomic_store_explicit(&old->on_m, 0, memory_order_release);
	return 0;
}

/* The thread's own context as a task (fiber backend): created on first
 * use, while the thread has no task current, so that TSan's current
 * context is the thread's own. Switching to it from a fiber goes back to
 * the thread's context, as rw_task_switch(NULL) does, but it is a task:
 * annotations made there reach TSan. */
static __thread rw_task_t *own_task;

int rw_fiber_thread_task(rw_task_t **out)
{
	struct rw__m *m = rw__self();
	if (!rw__is_inited())
		return rw__fail(RW_ENOTINIT, "rw_fiber_thread_task: rw_init has not succeeded");
	if (!out)
		return rw__fail(RW_EINVAL, "rw_fiber_thread_task on M%u: NULL out", m->id);
	if (!(rw__be_caps & RW__BE_FIBERS))
		return rw__fail(RW_EINVAL, "rw_fiber_thread_task: the %s backend has no thread "
		                "contexts (fiber backend only)", rw__be_name);
	if (own_task) {
		*out = own_task;
		return 0;
	}
	if (m->task)
		return rw__fail(RW_EBUSY, "rw_fiber_thread_task on M%u: T%u is current; call it on "
		                "the thread's own context (before its first switch, or after "
		                "rw_task_switch(NULL))", m->id, m->task->id);
	rw_task_t *t = calloc(1, sizeof *t);
	if (!t)
		return rw__fail(RW_ENOMEM, "rw_fiber_thread_task: out of memory");
	t->id = atomic_fetch_add_explicit(&rw__g.next_task, 1, memory_order_relaxed) + 1;
	t->thr = rw__be_thread_context();
	t->own_m = m->id;
	own_task = t;
	*out = t;
	return 0;
}

rw_task_t *rw_task_current(void)
{
	return rw__m.task;
}

unsigned rw_task_id(const rw_task_t *t)
{
	return t ? t->id : 0;
}

unsigned rw_task_pinned_to(const rw_task_t *t)
{
	return t ? atomic_load_explicit(&t->pinned_to, memory_order_acquire) : 0;
}

/* The "_for" annotations: hold t (it must not be running) for one call on
 * the calling thread's context. */
static int for_task(rw_task_t *t, const void *addr, enum rw__op op, const char *what)
{
	struct rw__m *m = rw__self();
	if (!t)
		return rw__fail(RW_EINVAL, "%s(NULL) on M%u", what, m->id);
	int hold = hold_task(t, m, what);
	if (hold < 0)
		return hold;
	if (rw__after_fini()) {
		if (hold)
			release_task(t);
		return 0;
	}
	/* Not the hot path: the sync object's address is always checked. */
	if (!rw__mem_shadowed((uintptr_t)addr, 1)) {
		if (hold)
			release_task(t);
		return rw__fail(RW_ERANGE, "%s(T%u, %p) on M%u: %p is not memory TSan shadows "
		                "(data+bss, rw_map_heap)", what, t->id, addr, m->id, addr);
	}
	int borrowed = rw__need_proc(what);
	if (borrowed >= 0) {
		/* Fiber backend: the call is made by switching TSan to the
		 * parked task and back; a signal arriving then would be queued
		 * on that task and go wherever it runs next (block_signals). */
		sigset_t saved;
		int blocked = block_signals(&saved);
		rw__be_annotate(t->thr, op, addr, 0, 0);
		restore_signals(blocked, &saved);
		rw__return_fallback(borrowed);
	}
	if (hold)
		release_task(t);
	return borrowed < 0 ? borrowed : 0;
}

int rw_acquire_for(rw_task_t *t, const void *addr)
{
	return for_task(t, addr, RW__ACQUIRE, "rw_acquire_for");
}

int rw_release_for(rw_task_t *t, const void *addr)
{
	return for_task(t, addr, RW__RELEASE, "rw_release_for");
}

int rw_release_merge_for(rw_task_t *t, const void *addr)
{
	return for_task(t, addr, RW__RELEASE_MERGE, "rw_release_merge_for");
}
