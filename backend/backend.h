/*
 * backend/backend.h - the one seam between racewire's guards and a TSan
 * runtime. Private.
 *
 * Data flows one way: annotation -> guard (shim/) -> backend -> TSan. The
 * guard layer decides whether a call may reach TSan at all (the calling
 * thread owns a wired context, the task is not current elsewhere, TSan is
 * not finalizing); a backend only translates an allowed call into its
 * runtime's ABI. So a backend never checks ownership, and never includes
 * anything from shim/: what it needs from the guards (the calling thread's
 * Processor, a name for a PC, a diagnosis) it gets through rw__be_hooks.
 *
 * The hot annotations (read, write, acquire, release, func enter/exit) do
 * not go through these functions: they are inline in the public header, one
 * thread-local load and one compare, then the backend's own inline call
 * (include/racewire/backend_<name>.h). These functions carry the rest, and
 * rw__be_annotate carries the hot operations too when the slow path or a
 * parked task's annotation needs them.
 *
 * Opaque handles: "thr" is a task's state in the runtime (Go mode: a
 * ThreadState; fiber mode: a fiber), "proc" a processor's (Go mode: a
 * Processor; other backends may have none and return a token). Both are
 * non-NULL once created: the fast path's guard is "thr != NULL".
 */
#ifndef RACEWIRE_BACKEND_H
#define RACEWIRE_BACKEND_H

#include <racewire.h>

#include <stdint.h>

/* What a backend asks of the guard layer, and the settings it takes. */
struct rw__be_hooks {
	/* Fault in the shadow of mapped ranges at once (option
	 * prefault_shadow: 0 none, 1 data+bss, 2 every range as well): see
	 * rw__be_map_shadow. */
	int prefault_shadow;
	/* The executable's data and bss (writable PT_LOAD segments), known
	 * before the backend starts TSan: the go backend backs the bss with
	 * huge pages first (see rw__be_init). */
	uintptr_t data_begin, data_end;
	/* TSan asks which Processor the calling thread drives, from deep
	 * inside its allocator. Called only when the thread's own answer
	 * (rw__hot.tsan_proc) is NULL: returns what to answer (the guard
	 * layer may die with a diagnosis instead). */
	void *(*no_proc)(void);
	/* Name a code address for a report: 1 and *f filled, or 0. */
	int (*symbolize_code)(uintptr_t pc, rw_frame_t *f, uintptr_t *module_off);
	/* Name a global: 1 with its name, start and size, or 0. */
	int (*symbolize_data)(uintptr_t addr, const char **name, uintptr_t *start,
	                      uintptr_t *size);
};

/* The backend's name ("go", "none", ...), as RW__BACKEND_NAME says in the
 * public header; rw_init refuses a program compiled for another one. */
extern const char rw__be_name[];

/* What the guard layer must do differently for this backend (rw__be_caps).
 * RW__BE_ANY_ADDRESS: TSan shadows all application memory (C/C++ TSan), so
 * rw_init accepts a PIE executable and rw_map_heap has no range to check.
 * RW__BE_FIBERS: a task's state is TSan's current context of the thread
 * that runs it (a fiber): rw_task_switch makes TSan switch
 * (rw__be_task_switch), and a task that is current somewhere, or the thread's
 * own context, must never be destroyed or outlive its thread as current. */
#define RW__BE_ANY_ADDRESS 0x1u
#define RW__BE_FIBERS 0x2u
extern const unsigned rw__be_caps;

/* Start the runtime: the init task's state and the initial processor.
 * Returns 0, or a negative RW_E* code with msg filled. */
int rw__be_init(const struct rw__be_hooks *hooks, void **init_thr, void **init_proc, char *msg,
                size_t msglen);

/* Give [addr, addr+size) shadow memory: data and bss first (rw_init),
 * then each heap range. With prefault_shadow, the shadow pages are made
 * resident and writable now: TSan checks a cell and stores it without
 * atomicity, and a first touch of a shadow page by two tasks at once
 * stretches that window over a page fault, long enough for both to miss
 * their race. */
void rw__be_map_shadow(uintptr_t addr, uintptr_t size);

/* Processors. destroy must not be called for the initial processor. */
void rw__be_proc_create(void **proc);
void rw__be_proc_destroy(void *proc);

/* Tasks: start a child of parent's state (happens-after all parent did)
 * with a bottom frame, as every task needs (see backend/go/go.c); end one
 * that runs nowhere. Both need a Processor on the calling thread. */
void rw__be_task_start(void *parent_thr, void **thr, uintptr_t pc);
void rw__be_task_end(void *thr);

/* The calling thread's current task changes from `from` to `to` (either
 * NULL: the thread's own context). Called by rw_task_switch after it
 * claimed `to`, before it publishes it. flags: RW__SWITCH_* (fiber
 * backend: whether the switch itself is a happens-before edge). A no-op
 * where a task's state is passed to every TSan call (Go mode). */
#define RW__SWITCH_NO_SYNC 0x1u
void rw__be_task_switch(void *from, void *to, unsigned flags);

/* RW__BE_FIBERS only: the calling thread's own context (the state TSan
 * gave the thread when it started), while it is TSan's current one. */
void *rw__be_thread_context(void);

/* Any hot operation, on the state given (the slow path's borrow, the
 * annotations for a parked task). a and b are the operation's further
 * arguments in the order of the public call. */
void rw__be_annotate(void *thr, enum rw__op op, const void *addr, uintptr_t a, uintptr_t b);

/* An atomic operation performed and recorded as one (Go mode's
 * __tsan_go_atomic*): op on a 4- or 8-byte word. For CAS, a is the
 * expected value and b the new one, and the result is 1 if it swapped;
 * otherwise a is the operand and the result is the old value (the loaded
 * one for a load). cpc is the caller's pc, pc the atomic call's own. */
uint64_t rw__be_atomic(void *thr, enum rw__atomic_op op, unsigned size, void *addr, uint64_t a,
                       uint64_t b, uintptr_t cpc, uintptr_t pc);

/* The operation alone, unrecorded: what an atomic annotation still does
 * when the policy drops it, and all the none backend does. */
static inline uint64_t rw__atomic_native(enum rw__atomic_op op, unsigned size, void *addr,
                                         uint64_t a, uint64_t b)
{
	if (size == 8) {
		uint64_t *w = (uint64_t *)addr;
		switch (op) {
		case RW__ATOMIC_LOAD: return __atomic_load_n(w, __ATOMIC_ACQUIRE);
		case RW__ATOMIC_STORE: __atomic_store_n(w, a, __ATOMIC_RELEASE); return 0;
		case RW__ATOMIC_ADD: return __atomic_fetch_add(w, a, __ATOMIC_ACQ_REL);
		case RW__ATOMIC_AND: return __atomic_fetch_and(w, a, __ATOMIC_ACQ_REL);
		case RW__ATOMIC_OR: return __atomic_fetch_or(w, a, __ATOMIC_ACQ_REL);
		case RW__ATOMIC_EXCHANGE: return __atomic_exchange_n(w, a, __ATOMIC_ACQ_REL);
		case RW__ATOMIC_CAS:
			return __atomic_compare_exchange_n(w, &a, b, 0, __ATOMIC_ACQ_REL,
			                                   __ATOMIC_ACQUIRE);
		}
		return 0;
	}
	uint32_t *w = (uint32_t *)addr, a32 = (uint32_t)a;
	switch (op) {
	case RW__ATOMIC_LOAD: return __atomic_load_n(w, __ATOMIC_ACQUIRE);
	case RW__ATOMIC_STORE: __atomic_store_n(w, a32, __ATOMIC_RELEASE); return 0;
	case RW__ATOMIC_ADD: return __atomic_fetch_add(w, a32, __ATOMIC_ACQ_REL);
	case RW__ATOMIC_AND: return __atomic_fetch_and(w, a32, __ATOMIC_ACQ_REL);
	case RW__ATOMIC_OR: return __atomic_fetch_or(w, a32, __ATOMIC_ACQ_REL);
	case RW__ATOMIC_EXCHANGE: return __atomic_exchange_n(w, a32, __ATOMIC_ACQ_REL);
	case RW__ATOMIC_CAS:
		return __atomic_compare_exchange_n(w, &a32, (uint32_t)b, 0, __ATOMIC_ACQ_REL,
		                                   __ATOMIC_ACQUIRE);
	}
	return 0;
}

/* Races reported so far. Needs no Processor. */
uint64_t rw__be_report_count(void);

/* Finish: run exit-time code, print the summary, exit with the runtime's
 * status. On the init task's state, with the thread's fast path off. */
_Noreturn void rw__be_fini(void);

#endif /* RACEWIRE_BACKEND_H */
