/*
 * backend/fiber/fiber.c - the fiber backend: compiler-rt's C/C++ TSan, the
 * runtime clang -fsanitize=thread links, with racewire tasks as TSan fibers.
 *
 * C/C++ TSan keeps the current context in its own thread-local variable and
 * gives every thread a Processor of its own; a fiber switch
 * (__tsan_switch_to_fiber) unwires that Processor from the current context
 * and wires it to the fiber (tsan_rtl_thread.cpp FiberSwitchImpl). It checks
 * almost nothing: a fiber current on another thread trips a non-atomic
 * CHECK (proc1 == nullptr) at best, and two threads drive one ThreadState
 * at worst. The guard layer has already claimed every task it passes here,
 * so this file only translates. Processors are racewire's tokens: TSan's
 * own are per thread and need no wiring.
 *
 * The library is not compiled with -fsanitize=thread: the switch below
 * costs no shadow frame, and racewire's bookkeeping is invisible to TSan.
 */
#include "../backend.h"

#include <stdatomic.h>
#include <stdlib.h>

void *rw__fib_get_current(void) __asm__("__tsan_get_current_fiber");
void *rw__fib_create(unsigned flags) __asm__("__tsan_create_fiber");
void rw__fib_destroy(void *fiber) __asm__("__tsan_destroy_fiber");
void rw__fib_switch_to(void *fiber, unsigned flags) __asm__("__tsan_switch_to_fiber");

/* C/C++ TSan's atomics (tsan_interface_atomic.cpp); morder as there. */
enum { MO_ACQUIRE = 2, MO_RELEASE = 3, MO_ACQ_REL = 4 };
uint32_t rw__fib_a32_load(const volatile uint32_t *a, int mo) __asm__("__tsan_atomic32_load");
void rw__fib_a32_store(volatile uint32_t *a, uint32_t v, int mo) __asm__("__tsan_atomic32_store");
uint32_t rw__fib_a32_add(volatile uint32_t *a, uint32_t v, int mo) __asm__("__tsan_atomic32_fetch_add");
uint32_t rw__fib_a32_and(volatile uint32_t *a, uint32_t v, int mo) __asm__("__tsan_atomic32_fetch_and");
uint32_t rw__fib_a32_or(volatile uint32_t *a, uint32_t v, int mo) __asm__("__tsan_atomic32_fetch_or");
uint32_t rw__fib_a32_xchg(volatile uint32_t *a, uint32_t v, int mo) __asm__("__tsan_atomic32_exchange");
int rw__fib_a32_cas(volatile uint32_t *a, uint32_t *c, uint32_t v, int mo, int fmo)
	__asm__("__tsan_atomic32_compare_exchange_strong");
uint64_t rw__fib_a64_load(const volatile uint64_t *a, int mo) __asm__("__tsan_atomic64_load");
void rw__fib_a64_store(volatile uint64_t *a, uint64_t v, int mo) __asm__("__tsan_atomic64_store");
uint64_t rw__fib_a64_add(volatile uint64_t *a, uint64_t v, int mo) __asm__("__tsan_atomic64_fetch_add");
uint64_t rw__fib_a64_and(volatile uint64_t *a, uint64_t v, int mo) __asm__("__tsan_atomic64_fetch_and");
uint64_t rw__fib_a64_or(volatile uint64_t *a, uint64_t v, int mo) __asm__("__tsan_atomic64_fetch_or");
uint64_t rw__fib_a64_xchg(volatile uint64_t *a, uint64_t v, int mo) __asm__("__tsan_atomic64_exchange");
int rw__fib_a64_cas(volatile uint64_t *a, uint64_t *c, uint64_t v, int mo, int fmo)
	__asm__("__tsan_atomic64_compare_exchange_strong");

const char rw__be_name[] = "fiber";
const unsigned rw__be_caps = RW__BE_ANY_ADDRESS | RW__BE_FIBERS;

/* The thread's own context (its ThreadState from pthread_create), kept when
 * the thread first switches to a task: what a switch to "no task" returns
 * to. NULL while the thread has never left it. */
static __thread void *own_ctx;

/* Races reported, counted by TSan's report hook (a weak default in the
 * runtime; this definition replaces it). */
static _Atomic uint64_t reports;
void rw__fib_on_report(void *rep) __asm__("__tsan_on_report");
void rw__fib_on_report(void *rep)
{
	(void)rep;
	atomic_fetch_add_explicit(&reports, 1, memory_order_relaxed);
}

/* A non-NULL token that is never dereferenced, for processors. */
static void *token(void)
{
	static _Atomic uintptr_t next;
	return (void *)((atomic_fetch_add_explicit(&next, 1, memory_order_relaxed) + 1) * 16);
}

int rw__be_init(const struct rw__be_hooks *hooks, void **init_thr, void **init_proc, char *msg,
                size_t msglen)
{
	(void)hooks; /* C/C++ TSan symbolizes itself and asks for no Processor */
	(void)msg;
	(void)msglen;
	/* C/C++ TSan started with the process; the initial context is the
	 * calling thread's own (tid 0 if rw_init runs on the main thread). */
	*init_thr = rw__fib_get_current();
	*init_proc = token();
	return 0;
}

void rw__be_map_shadow(uintptr_t addr, uintptr_t size)
{
	(void)addr; /* all application memory has shadow already */
	(void)size;
}

void rw__be_proc_create(void **proc)
{
	*proc = token();
}

void rw__be_proc_destroy(void *proc)
{
	(void)proc;
}

/* A new fiber happens-after everything its creator (the calling thread's
 * current context) did so far: __tsan_create_fiber syncs with it. The
 * parent argument names the same context whenever the runtime starts a
 * task from the task that creates it; pc is TSan's own caller pc. */
void rw__be_task_start(void *parent_thr, void **thr, uintptr_t pc)
{
	(void)parent_thr;
	(void)pc;
	*thr = rw__fib_create(0);
}

/* Only for a fiber current nowhere (the guard layer refused the rest):
 * TSan switches into it for the teardown and back. */
void rw__be_task_end(void *thr)
{
	rw__fib_destroy(thr);
}

/* TSan records the thread's TLS block as written by the thread's own
 * context when the thread starts (__tsan_tls_initialization). Every fiber
 * that runs on the thread reads that TLS (racewire's own fast path does),
 * so each must be ordered after that write even when switches carry no
 * ordering: the own context releases this thread's `born` once, before its
 * first switch away, and every fiber switched to on the thread acquires
 * it. Nothing the thread's context does later is carried. */
static __thread char born;
static __thread int born_released;

void rw__be_task_switch(void *from, void *to, unsigned flags)
{
	void *cur = rw__fib_get_current();
	if (!from && !own_ctx)
		own_ctx = cur;
	if (!born_released && cur == own_ctx) {
		rw__fib_release(&born);
		born_released = 1;
	}
	void *target = to ? to : own_ctx;
	if (!target || target == cur)
		return;
	rw__fib_switch_to(target, (flags & RW__SWITCH_NO_SYNC) ? 1u : 0u);
	if (born_released)
		rw__fib_acquire(&born);
}

void *rw__be_thread_context(void)
{
	if (!own_ctx)
		own_ctx = rw__fib_get_current();
	return own_ctx;
}

/* One operation on TSan's current context. */
static void annotate_current(enum rw__op op, const void *addr, uintptr_t a, uintptr_t b)
{
	void *p = (void *)addr;
	switch (op) {
	case RW__ACQUIRE: rw__fib_acquire(p); break;
	case RW__RELEASE:
	case RW__RELEASE_MERGE: rw__fib_release(p); break;
	case RW__RELEASE_ACQUIRE: rw__fib_release(p); rw__fib_acquire(p); break;
	case RW__READ: rw__fib_read1_pc(p, (void *)a); break;
	case RW__WRITE: rw__fib_write1_pc(p, (void *)a); break;
	case RW__READ_PC:
		rw__fib_func_entry((void *)a);
		rw__fib_read1_pc(p, (void *)b);
		rw__fib_func_exit();
		break;
	case RW__WRITE_PC:
		rw__fib_func_entry((void *)a);
		rw__fib_write1_pc(p, (void *)b);
		rw__fib_func_exit();
		break;
	case RW__READ_RANGE: rw__fib_read_range_pc(p, a, (void *)b); break;
	case RW__WRITE_RANGE: rw__fib_write_range_pc(p, a, (void *)b); break;
	case RW__FUNC_ENTER: rw__fib_func_entry((void *)a); break;
	case RW__FUNC_EXIT: rw__fib_func_exit(); break;
	case RW__MALLOC: rw__fib_acquire(p); break; /* see RW__HOT_MALLOC */
	case RW__FREE: rw__fib_release(p); break;
	}
}

/* Run on thr's state: TSan acts on its current context only, so an
 * operation for a parked task (held by the guard layer for the call) is
 * made by switching to it and back without synchronizing. */
static void *enter(void *thr)
{
	void *cur = rw__fib_get_current();
	if (thr == cur)
		return NULL;
	rw__fib_switch_to(thr, 1);
	return cur;
}

static void leave(void *prev)
{
	if (prev)
		rw__fib_switch_to(prev, 1);
}

void rw__be_annotate(void *thr, enum rw__op op, const void *addr, uintptr_t a, uintptr_t b)
{
	void *prev = enter(thr);
	annotate_current(op, addr, a, b);
	leave(prev);
}

static uint64_t atomic32(enum rw__atomic_op op, volatile uint32_t *w, uint32_t a, uint32_t b)
{
	switch (op) {
	case RW__ATOMIC_LOAD: return rw__fib_a32_load(w, MO_ACQUIRE);
	case RW__ATOMIC_STORE: rw__fib_a32_store(w, a, MO_RELEASE); return 0;
	case RW__ATOMIC_ADD: return rw__fib_a32_add(w, a, MO_ACQ_REL);
	case RW__ATOMIC_AND: return rw__fib_a32_and(w, a, MO_ACQ_REL);
	case RW__ATOMIC_OR: return rw__fib_a32_or(w, a, MO_ACQ_REL);
	case RW__ATOMIC_EXCHANGE: return rw__fib_a32_xchg(w, a, MO_ACQ_REL);
	case RW__ATOMIC_CAS: return rw__fib_a32_cas(w, &a, b, MO_ACQ_REL, MO_ACQUIRE) != 0;
	}
	return 0;
}

static uint64_t atomic64(enum rw__atomic_op op, volatile uint64_t *w, uint64_t a, uint64_t b)
{
	switch (op) {
	case RW__ATOMIC_LOAD: return rw__fib_a64_load(w, MO_ACQUIRE);
	case RW__ATOMIC_STORE: rw__fib_a64_store(w, a, MO_RELEASE); return 0;
	case RW__ATOMIC_ADD: return rw__fib_a64_add(w, a, MO_ACQ_REL);
	case RW__ATOMIC_AND: return rw__fib_a64_and(w, a, MO_ACQ_REL);
	case RW__ATOMIC_OR: return rw__fib_a64_or(w, a, MO_ACQ_REL);
	case RW__ATOMIC_EXCHANGE: return rw__fib_a64_xchg(w, a, MO_ACQ_REL);
	case RW__ATOMIC_CAS: return rw__fib_a64_cas(w, &a, b, MO_ACQ_REL, MO_ACQUIRE) != 0;
	}
	return 0;
}

/* C/C++ TSan's atomics take no pc: reports show the caller's frame. */
uint64_t rw__be_atomic(void *thr, enum rw__atomic_op op, unsigned size, void *addr, uint64_t a,
                       uint64_t b, uintptr_t cpc, uintptr_t pc)
{
	(void)cpc;
	(void)pc;
	void *prev = enter(thr);
	uint64_t r = size == 8 ? atomic64(op, addr, a, b)
	                       : atomic32(op, addr, (uint32_t)a, (uint32_t)b);
	leave(prev);
	return r;
}

uint64_t rw__be_report_count(void)
{
	return atomic_load_explicit(&reports, memory_order_relaxed);
}

/* Finish on the thread's own context: C/C++ TSan finalizes from an atexit
 * handler on whatever context is current, and exits 66 after a race
 * (its exitcode flag), as Go mode's __tsan_fini does. */
void rw__be_fini(void)
{
	if (own_ctx && own_ctx != rw__fib_get_current())
		rw__fib_switch_to(own_ctx, 1);
	exit(0);
}
