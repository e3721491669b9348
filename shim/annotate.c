/*
 * shim/annotate.c - the annotation slow path and the no-context policy.
 *
 * The inline fast path (racewire/inline.h) lands here whenever the thread
 * has no live ThreadState: no context wired, no current task, rw_init not
 * done, or finalization under way. Each case is either a misuse, diagnosed
 * per the policy, or a moment when TSan must not be called at all.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* The external definitions of the inline annotations. */
extern inline void rw_acquire(const void *addr);
extern inline void rw_release(const void *addr);
extern inline void rw_release_merge(const void *addr);
extern inline void rw_release_acquire(const void *addr);
extern inline void rw_read(const void *addr, uintptr_t pc);
extern inline void rw_write(const void *addr, uintptr_t pc);
extern inline void rw_read_pc(const void *addr, uintptr_t callpc, uintptr_t pc);
extern inline void rw_write_pc(const void *addr, uintptr_t callpc, uintptr_t pc);
extern inline void rw_func_enter(uintptr_t pc);
extern inline void rw_func_exit(void);

static const char *const op_names[] = {
	[RW__ACQUIRE] = "rw_acquire",
	[RW__RELEASE] = "rw_release",
	[RW__RELEASE_MERGE] = "rw_release_merge",
	[RW__RELEASE_ACQUIRE] = "rw_release_acquire",
	[RW__READ] = "rw_read",
	[RW__WRITE] = "rw_write",
	[RW__READ_PC] = "rw_read_pc",
	[RW__WRITE_PC] = "rw_write_pc",
	[RW__READ_RANGE] = "rw_read_range",
	[RW__WRITE_RANGE] = "rw_write_range",
	[RW__FUNC_ENTER] = "rw_func_enter",
	[RW__FUNC_EXIT] = "rw_func_exit",
	[RW__MALLOC] = "rw_malloc",
	[RW__FREE] = "rw_free",
};

static const char *const policy_hint =
	"abort (set RACEWIRE_OPTIONS=policy=borrow or policy=drop to change)";

/* The annotation, on the state given. Mirrors the fast path, which also
 * keeps the frame depth checkpoints need. */
static void dispatch(enum rw__op op, void *thr, const void *addr, uintptr_t a, uintptr_t b)
{
	rw__be_annotate(thr, op, addr, a, b);
	if (op == RW__FUNC_ENTER)
		rw__hot.depth++;
	else if (op == RW__FUNC_EXIT)
		rw__hot.depth--;
}

/* Where the thread's last context went: usually the answer to "why has it
 * none?" (it was retaken while the thread was in foreign code). */
static const char *describe_last(const struct rw__m *m, char *buf, size_t n)
{
	if (m->last)
		return rw__describe_proc(m->last, buf, n);
	snprintf(buf, n, "none (this thread never wired one)");
	return buf;
}

/* The diagnosis for a call made with no context: who called, on which
 * task, and what became of the thread's last context. */
static _Noreturn void die_no_proc(struct rw__m *m, const char *call, const void *addr)
{
	char head[160], task[24], last[112];
	snprintf(head, sizeof head, "%s(%p) on M%u (tid %d) with no processor context wired",
	         call, addr, m->id, (int)m->tid);
	snprintf(task, sizeof task, "T%u", m->task->id);
	describe_last(m, last, sizeof last);
	rw__fatal(head,
	          "task", task,
	          "last context on this thread", last,
	          "held acquire", m->acquire_owed
	                  ? "yes: a foreign call returned on this thread; its acquire waits for "
	                    "rw_proc_wire"
	                  : "none",
	          "policy", policy_hint,
	          "invariant", "every annotation must come from a thread that owns a wired "
	                       "context (seed 001, Go issue 27660)",
	          "hint", "wire a context before annotating; the acquire that closes a foreign "
	                  "call belongs after the thread has a context again",
	          (const char *)NULL);
}

static _Noreturn void die_no_task(struct rw__m *m, const char *call, const void *addr)
{
	char head[160];
	snprintf(head, sizeof head, "%s(%p) on M%u (tid %d) with no current task",
	         call, addr, m->id, (int)m->tid);
	rw__fatal(head,
	          "invariant", "annotations run on the calling thread's current task "
	                       "(rw_task_switch); TSan needs its ThreadState",
	          "hint", "call rw_task_switch(task) when the scheduler starts running a task",
	          (const char *)NULL);
}

static const char *const refuse_policy =
	"abort (with policy=borrow or policy=drop the call is dropped, counted in rw_stats, and "
	"named in rw_last_error)";

/* A call its check refused: the FATAL block under the abort policy;
 * otherwise the call is dropped (TSan never sees it), counted, and its
 * message kept for rw_last_error. Never passed on. */
static void refuse(struct rw__m *m, enum rw__op op, const char *head, const char *invariant,
                   const char *hint)
{
	atomic_fetch_add_explicit(&rw__g.violations, 1, memory_order_relaxed);
	rw__flight_note(RW_FL_VIOLATION, m->wired, (uintptr_t)__builtin_return_address(0), op);
	if (rw__g.opts.policy == RW_POLICY_ABORT) {
		char task[24];
		snprintf(task, sizeof task, "T%u", m->task ? m->task->id : 0);
		rw__fatal(head, "task", task, "invariant", invariant, "hint", hint,
		          "policy", refuse_policy, (const char *)NULL);
	}
	atomic_fetch_add_explicit(&rw__g.dropped, 1, memory_order_relaxed);
	rw__fail(RW_EINVAL, "%s (dropped)", head);
}

void rw__refuse_mem(enum rw__op op, const void *p, size_t size, const char *why, size_t size2)
{
	struct rw__m *m = rw__self();
	char head[200], shadowed[480];
	const char *invariant = "TSan is told only of memory it shadows, and of each heap block "
	                        "once between its malloc and its free";
	const char *hint = "annotate managed memory only, and pair every rw_malloc with one "
	                   "rw_free of the same size";
	if (strcmp(why, "outside") == 0) {
		snprintf(head, sizeof head, "%s(%p, %zu) on M%u: [%p, %p) is not memory TSan shadows",
		         op_names[op], p, size, m->id, p, (const void *)((uintptr_t)p + size));
		int n = snprintf(shadowed, sizeof shadowed, "annotate only what TSan shadows: ");
		rw__mem_describe(shadowed + n, sizeof shadowed - (size_t)n);
		refuse(m, op, head, "Go-mode TSan shadows only data+bss (rw_init) and the "
		       "rw_map_heap ranges; an access anywhere else faults inside TSan", shadowed);
		return;
	}
	if (strcmp(why, "live") == 0)
		snprintf(head, sizeof head, "rw_malloc(%p, %zu) on M%u: a live block of %zu bytes is "
		         "already there (allocated, never freed)", p, size, m->id, size2);
	else if (strcmp(why, "unknown") == 0)
		snprintf(head, sizeof head, "rw_free(%p, %zu) on M%u: no block was allocated at %p",
		         p, size, m->id, p);
	else if (strcmp(why, "twice") == 0)
		snprintf(head, sizeof head, "rw_free(%p, %zu) on M%u: double free: the block of %zu "
		         "bytes at %p was freed already", p, size, m->id, size2, p);
	else
		snprintf(head, sizeof head, "rw_free(%p, %zu) on M%u: the block at %p was allocated "
		         "with %zu bytes, not %zu", p, size, m->id, p, size2, size);
	refuse(m, op, head, invariant, hint);
}

/* What an annotation must satisfy whatever the context: a func-exit has a
 * frame to leave, a range is shadowed; in checked mode (check_access) a
 * single access is shadowed too. Returns 1 if the call may proceed. */
static int check(struct rw__m *m, enum rw__op op, const void *addr, uintptr_t a)
{
	switch (op) {
	case RW__FUNC_EXIT:
		if (m->task && rw__hot.depth <= 0) {
			char head[160];
			snprintf(head, sizeof head, "rw_func_exit on M%u: T%u has no frame to leave (more "
			         "rw_func_exit than rw_func_enter)", m->id, m->task->id);
			refuse(m, op, head, "TSan's shadow stack is never popped below the task's base "
			       "(the release runtime would corrupt it, the debug one CHECK)",
			       "pair every rw_func_exit with an rw_func_enter on the same task");
			return 0;
		}
		return 1;
	case RW__READ_RANGE:
	case RW__WRITE_RANGE:
		if (!rw__mem_shadowed((uintptr_t)addr, a)) {
			rw__refuse_mem(op, addr, a, "outside", 0);
			return 0;
		}
		return 1;
	case RW__READ:
	case RW__WRITE:
	case RW__READ_PC:
	case RW__WRITE_PC:
	case RW__ACQUIRE:
	case RW__RELEASE:
	case RW__RELEASE_MERGE:
	case RW__RELEASE_ACQUIRE:
		if (rw__g.opts.check_access > 0 && !rw__mem_shadowed((uintptr_t)addr, 1)) {
			rw__refuse_mem(op, addr, 1, "outside", 0);
			return 0;
		}
		return 1;
	default:
		return 1;
	}
}

void rw__slow(enum rw__op op, const void *addr, uintptr_t a, uintptr_t b)
{
	struct rw__m *m = rw__self();

	/* TSan is exiting (or was never started): it must not be entered.
	 * Dropping is the only safe answer, and it is no misuse. */
	if (!rw__is_inited() || atomic_load_explicit(&rw__g.finalizing, memory_order_acquire)) {
		atomic_fetch_add_explicit(&rw__g.dropped, 1, memory_order_relaxed);
		return;
	}
	if (!check(m, op, addr, a))
		return;
	/* The thread may call TSan after all: the call came here for its
	 * check alone (checked mode keeps the fast path's pointer NULL; a
	 * range or func-exit that passed its check). */
	if (rw__hot.tsan_proc && m->task && m->task->thr) {
		dispatch(op, m->task->thr, addr, a, b);
		return;
	}
	atomic_fetch_add_explicit(&rw__g.violations, 1, memory_order_relaxed);
	rw__flight_note(RW_FL_VIOLATION, m->last, (uintptr_t)__builtin_return_address(0), op);
	switch (rw__g.opts.policy) {
	case RW_POLICY_DROP:
		atomic_fetch_add_explicit(&rw__g.dropped, 1, memory_order_relaxed);
		return;
	case RW_POLICY_ABORT:
		if (!m->task)
			die_no_task(m, op_names[op], addr);
		die_no_proc(m, op_names[op], addr);
	case RW_POLICY_BORROW:
		/* Borrowing lends a Processor, not a ThreadState. */
		if (!m->task)
			die_no_task(m, op_names[op], addr);
		break;
	}
	int lent = rw__lend_fallback();
	dispatch(op, m->task->thr, addr, a, b);
	rw__return_fallback(lent);
	atomic_fetch_add_explicit(&rw__g.borrowed, 1, memory_order_relaxed);
}

static const char *const atomic_names[] = {
	[RW__ATOMIC_LOAD] = "rw_atomic_load",
	[RW__ATOMIC_STORE] = "rw_atomic_store",
	[RW__ATOMIC_ADD] = "rw_atomic_fetch_add",
	[RW__ATOMIC_AND] = "rw_atomic_fetch_and",
	[RW__ATOMIC_OR] = "rw_atomic_fetch_or",
	[RW__ATOMIC_EXCHANGE] = "rw_atomic_exchange",
	[RW__ATOMIC_CAS] = "rw_atomic_cas",
};

/* The atomic's slow path: the same decisions as rw__slow, except that a
 * dropped record still performs the operation. */
uint64_t rw__slow_atomic(enum rw__atomic_op op, unsigned size, void *addr, uint64_t a, uint64_t b,
                         uintptr_t cpc, uintptr_t pc)
{
	struct rw__m *m = rw__self();
	if (!rw__is_inited() || atomic_load_explicit(&rw__g.finalizing, memory_order_acquire)) {
		atomic_fetch_add_explicit(&rw__g.dropped, 1, memory_order_relaxed);
		return rw__atomic_native(op, size, addr, a, b);
	}
	/* Checked mode: here for the address check alone. A refused address
	 * is not recorded, but the operation still happens, as documented. */
	if (rw__hot.tsan_proc && m->task && m->task->thr) {
		if (!rw__mem_shadowed((uintptr_t)addr, size)) {
			rw__refuse_mem(RW__WRITE, addr, size, "outside", 0);
			return rw__atomic_native(op, size, addr, a, b);
		}
		return rw__be_atomic(m->task->thr, op, size, addr, a, b, cpc, pc);
	}
	atomic_fetch_add_explicit(&rw__g.violations, 1, memory_order_relaxed);
	rw__flight_note(RW_FL_VIOLATION, m->last, cpc, op);
	switch (rw__g.opts.policy) {
	case RW_POLICY_DROP:
		atomic_fetch_add_explicit(&rw__g.dropped, 1, memory_order_relaxed);
		return rw__atomic_native(op, size, addr, a, b);
	case RW_POLICY_ABORT:
		if (!m->task)
			die_no_task(m, atomic_names[op], addr);
		die_no_proc(m, atomic_names[op], addr);
	case RW_POLICY_BORROW:
		if (!m->task)
			die_no_task(m, atomic_names[op], addr);
		break;
	}
	int lent = rw__lend_fallback();
	uint64_t r = rw__be_atomic(m->task->thr, op, size, addr, a, b, cpc, pc);
	rw__return_fallback(lent);
	atomic_fetch_add_explicit(&rw__g.borrowed, 1, memory_order_relaxed);
	return r;
}

int rw__need_proc(const char *what)
{
	struct rw__m *m = rw__self();
	if (rw__hot.tsan_proc)
		return 0;
	atomic_fetch_add_explicit(&rw__g.violations, 1, memory_order_relaxed);
	switch (rw__g.opts.policy) {
	case RW_POLICY_ABORT: {
		char head[128], last[112];
		snprintf(head, sizeof head, "%s on M%u (tid %d) with no processor context wired",
		         what, m->id, (int)m->tid);
		describe_last(m, last, sizeof last);
		rw__fatal(head,
		          "last context on this thread", last,
		          "policy", policy_hint,
		          "invariant", "TSan calls that use a Processor must come from a thread that "
		                       "owns a wired context (seed 001, Go issue 27660)",
		          (const char *)NULL);
	}
	case RW_POLICY_DROP:
		return rw__fail(RW_EPERM, "%s on M%u: no processor context wired (policy drop)",
		                what, m->id);
	case RW_POLICY_BORROW:
		break;
	}
	atomic_fetch_add_explicit(&rw__g.borrowed, 1, memory_order_relaxed);
	return rw__lend_fallback();
}

uintptr_t rw_here(void)
{
	return (uintptr_t)__builtin_return_address(0);
}
