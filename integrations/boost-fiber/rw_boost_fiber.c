/*
 * integrations/boost-fiber/rw_boost_fiber.c - Boost.Fiber (1.74, as Debian
 * packages it) under clang's ThreadSanitizer, through racewire's fiber
 * backend, without rebuilding Boost.
 *
 * Boost.Context 1.74 has no TSan hooks: every fiber switch is a jump to a
 * saved stack pointer that TSan never hears of, so TSan goes on attributing
 * each fiber's accesses to whichever context it last knew on that thread
 * (false races between fibers that migrate, shadow stacks that underflow,
 * SEGVs). And Boost.Fiber's own synchronization (its mutexes, the
 * scheduler's queues, join) lives in libboost_fiber.so, which is not
 * instrumented, so TSan sees none of the ordering it provides.
 *
 * Both are fixed here by interposition. The executable defines the symbols
 * that libboost_fiber.so and the program call through the PLT (the
 * executable comes first in the dynamic linker's search order), announces
 * what TSan needs through racewire, and calls the real function found with
 * dlsym(RTLD_NEXT):
 *
 * - make_fcontext: a new context is a new racewire task (a TSan fiber),
 *   created by the context that makes it (so it happens-after its maker).
 * - jump_fcontext, ontop_fcontext: the switch is announced with
 *   rw_fiber_switch right before the real jump, in the same function (this
 *   file is not instrumented, so no shadow frame spans the switch). The
 *   target is found by its fcontext_t, a one-shot saved stack pointer: each
 *   context that suspends is recorded under the fcontext_t its resumer
 *   receives, and looked up (and forgotten) by the jump that resumes it.
 *   racewire claims the target atomically, so a context resumed on two
 *   threads is refused rather than run twice.
 * - A context's end: Boost.Context's fiber_entry ends with
 *   ontop_fcontext(next, rec, fiber_exit) where rec, the activation record,
 *   sits 64 bytes above the stack top the context was made with; when the
 *   context about to leave passes that pointer, it will never run again,
 *   and its task is ended on the next context once fiber_exit has freed its
 *   stack.
 * - Each thread's main context (its own stack) is the thread's own TSan
 *   context (rw_fiber_thread_task), so the thread's instrumented frames
 *   below Boost keep their shadow stack.
 * - Synchronization: mutex lock/try_lock acquire and unlock releases the
 *   mutex's address; scheduler::schedule and schedule_from_remote release
 *   the context made ready, and the context acquires it when resumed
 *   (context::resume); context::terminate releases and context::join
 *   acquires. Everything else in Boost.Fiber (channels, futures' shared
 *   state, condition variables) is header code compiled into the program,
 *   instrumented, or built on these.
 *
 * This file is compiled without -fsanitize=thread, and synchronizes its
 * own tables with atomics TSan cannot see: its bookkeeping must add no
 * ordering between fibers that the program does not have.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dlsym(RTLD_NEXT) */
#endif
#include <racewire.h>

#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *fcontext_t;
typedef struct {
	fcontext_t fctx;
	void *data;
} transfer_t;

/* A context known here. */
struct bctx {
	rw_task_t *task;
	void (*fn)(transfer_t); /* make_fcontext's entry */
	char *sp;               /* the stack top it was made with; NULL: a thread's main */
	int dying;              /* it passed its own activation record to ontop */
};

static fcontext_t (*real_make)(void *sp, size_t size, void (*fn)(transfer_t));
static transfer_t (*real_jump)(fcontext_t to, void *vp);
static transfer_t (*real_ontop)(fcontext_t to, void *vp, transfer_t (*fn)(transfer_t));

static _Noreturn void die(const char *what, const void *p)
{
	fprintf(stderr, "racewire: FATAL: boost-fiber: %s %p\n", what, p);
	fprintf(stderr, "racewire:   last error: %s\n", rw_last_error());
	abort();
}

static void *next_symbol(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p) {
		fprintf(stderr, "racewire: FATAL: boost-fiber: %s not found after the interposer "
		        "(link with -lboost_fiber -lboost_context): %s\n", name, dlerror());
		abort();
	}
	return p;
}

/* ---- fcontext_t -> context, a small open-addressing table ------------------
 * One entry per suspended context. A spinlock of uninstrumented atomics:
 * a pthread mutex would be a happens-before edge, in TSan's eyes, between
 * every two fibers that switch on any threads. */
#define TABLE_SIZE (1u << 16) /* suspended contexts at once: far more than any test */
static struct {
	fcontext_t key;
	struct bctx *val;
} table[TABLE_SIZE];
static int table_lock;
#define TOMB ((fcontext_t)1)

static void lock_table(void)
{
	while (__atomic_exchange_n(&table_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void unlock_table(void)
{
	__atomic_store_n(&table_lock, 0, __ATOMIC_RELEASE);
}

static size_t slot_of(fcontext_t k)
{
	uintptr_t x = (uintptr_t)k >> 4;
	x ^= x >> 17;
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 20) & (TABLE_SIZE - 1);
}

static void put(fcontext_t k, struct bctx *c)
{
	lock_table();
	size_t i = slot_of(k);
	for (size_t n = 0; n < TABLE_SIZE; n++, i = (i + 1) & (TABLE_SIZE - 1)) {
		if (table[i].key == NULL || table[i].key == TOMB || table[i].key == k) {
			table[i].key = k;
			table[i].val = c;
			unlock_table();
			return;
		}
	}
	unlock_table();
	die("more suspended contexts than the table holds; at", k);
}

static struct bctx *take(fcontext_t k)
{
	lock_table();
	size_t i = slot_of(k);
	for (size_t n = 0; n < TABLE_SIZE; n++, i = (i + 1) & (TABLE_SIZE - 1)) {
		if (table[i].key == NULL)
			break;
		if (table[i].key == k) {
			struct bctx *c = table[i].val;
			table[i].key = TOMB;
			table[i].val = NULL;
			unlock_table();
			return c;
		}
	}
	unlock_table();
	return NULL;
}

/* ---- Per thread -----------------------------------------------------------
 * Read after a jump through these noinline functions: the code that
 * resumes may run on another thread than the code that jumped, and a
 * thread-local address computed before the jump would be the old
 * thread's. */
static __thread struct bctx *tl_cur;   /* the context running here */
static __thread struct bctx *tl_from;  /* the context that jumped here */
static __thread transfer_t (*tl_ontop_fn)(transfer_t);
static __thread void *tl_resuming;     /* the boost::fibers::context resumed */

__attribute__((noinline)) static struct bctx *get_cur(void) { return tl_cur; }

/* The context running on this thread; on a thread's first switch, its
 * main context, which is the thread's own TSan context. */
__attribute__((noinline)) static struct bctx *current(void)
{
	if (tl_cur)
		return tl_cur;
	if (!rw_proc_current()) {
		rw_proc_t *p;
		if (rw_proc_create(&p) < 0 || rw_proc_wire(p) < 0)
			die("cannot wire a context on thread", (void *)pthread_self());
	}
	rw_task_t *t;
	if (rw_task_switch(NULL) < 0 || rw_fiber_thread_task(&t) < 0 || rw_task_switch(t) < 0)
		die("cannot take the thread's own context on thread", (void *)pthread_self());
	struct bctx *c = calloc(1, sizeof *c);
	if (!c)
		die("out of memory on thread", (void *)pthread_self());
	c->task = t;
	tl_cur = c;
	return c;
}

/* Arrived on a context, by a jump or an ontop: remember where the
 * context that jumped here is suspended, and take what the one that made
 * this context ready released. */
__attribute__((noinline)) static void arrive(transfer_t t)
{
	struct bctx *from = tl_from;
	tl_from = NULL;
	if (from && t.fctx)
		put(t.fctx, from);
	void *ready = tl_resuming;
	tl_resuming = NULL;
	if (ready)
		rw_acquire(ready);
}

__attribute__((noinline)) static struct bctx *leave_for(fcontext_t to, void *vp)
{
	struct bctx *self = current();
	struct bctx *target = take(to);
	if (!target)
		die("jump to a context it never saw suspend:", to);
	if (self->sp && (char *)vp == self->sp + 64)
		self->dying = 1; /* Boost.Context's fiber_exit: see the top */
	tl_from = self;
	tl_cur = target;
	return target;
}

/* ---- Boost.Context ------------------------------------------------------------ */
static void entry(transfer_t t)
{
	arrive(t);
	get_cur()->fn(t);
	die("a context's entry function returned, in", get_cur());
}

fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));
fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t))
{
	if (!real_make)
		real_make = (fcontext_t(*)(void *, size_t, void (*)(transfer_t)))next_symbol("make_fcontext");
	struct bctx *self = current();
	struct bctx *c = calloc(1, sizeof *c);
	if (!c)
		die("out of memory making a context at", sp);
	if (rw_task_start(self->task, (uintptr_t)__builtin_return_address(0), &c->task) < 0)
		die("rw_task_start failed for the context at", sp);
	c->fn = fn;
	c->sp = sp;
	fcontext_t f = real_make(sp, size, entry);
	put(f, c);
	return f;
}

transfer_t jump_fcontext(fcontext_t to, void *vp);
transfer_t jump_fcontext(fcontext_t to, void *vp)
{
	if (!real_jump)
		real_jump = (transfer_t(*)(fcontext_t, void *))next_symbol("jump_fcontext");
	struct bctx *target = leave_for(to, vp);
	if (rw_fiber_switch(target->task, RW_FIBER_SYNC) < 0)
		die("rw_fiber_switch refused the jump to", to);
	transfer_t t = real_jump(to, vp);
	arrive(t);
	return t;
}

/* Runs on the target, before the caller's function: Boost.Fiber's
 * resume_with lambdas, and fiber_exit, which frees a dead context's stack. */
static transfer_t ontop_entry(transfer_t t)
{
	struct bctx *from = tl_from;
	tl_from = NULL;
	transfer_t (*fn)(transfer_t) = tl_ontop_fn;
	tl_ontop_fn = NULL;
	if (from && from->dying) {
		/* Forget its last fcontext_t: nobody may jump there again. */
		transfer_t r = fn(t);
		if (rw_task_end(from->task) < 0)
			die("cannot end the task of the finished context", from);
		free(from);
		arrive((transfer_t){NULL, NULL});
		return r;
	}
	if (from && t.fctx)
		put(t.fctx, from);
	transfer_t r = fn(t);
	arrive((transfer_t){NULL, NULL}); /* takes what a resume released */
	return r;
}

transfer_t ontop_fcontext(fcontext_t to, void *vp, transfer_t (*fn)(transfer_t));
transfer_t ontop_fcontext(fcontext_t to, void *vp, transfer_t (*fn)(transfer_t))
{
	if (!real_ontop)
		real_ontop = (transfer_t(*)(fcontext_t, void *, transfer_t (*)(transfer_t)))next_symbol(
			"ontop_fcontext");
	struct bctx *target = leave_for(to, vp);
	tl_ontop_fn = fn;
	if (rw_fiber_switch(target->task, RW_FIBER_SYNC) < 0)
		die("rw_fiber_switch refused the jump to", to);
	transfer_t t = real_ontop(to, vp, ontop_entry);
	arrive(t);
	return t;
}

/* ---- Boost.Fiber's synchronization ----------------------------------------------
 * C definitions under the C++ names (Itanium ABI: `this` first). */
typedef void (*fn_v)(void *);
typedef bool (*fn_b)(void *);
typedef void (*fn_vv)(void *, void *);
#define REAL(var, name, type)                           \
	static type var;                                \
	if (!var)                                       \
		var = (type)next_symbol(name)

#define MUTEX(cls, mangled)                                                       \
	void _ZN5boost6fibers##mangled##4lockEv(void *self);                       \
	void _ZN5boost6fibers##mangled##4lockEv(void *self)                        \
	{                                                                          \
		REAL(real, "_ZN5boost6fibers" #mangled "4lockEv", fn_v); \
		real(self);                                                        \
		rw_acquire(self);                                                  \
	}                                                                          \
	bool _ZN5boost6fibers##mangled##8try_lockEv(void *self);                   \
	bool _ZN5boost6fibers##mangled##8try_lockEv(void *self)                    \
	{                                                                          \
		REAL(real, "_ZN5boost6fibers" #mangled "8try_lockEv", fn_b); \
		bool ok = real(self);                                              \
		if (ok)                                                            \
			rw_acquire(self);                                          \
		return ok;                                                         \
	}                                                                          \
	void _ZN5boost6fibers##mangled##6unlockEv(void *self);                     \
	void _ZN5boost6fibers##mangled##6unlockEv(void *self)                      \
	{                                                                          \
		REAL(real, "_ZN5boost6fibers" #mangled "6unlockEv", fn_v); \
		rw_release(self);                                                  \
		real(self);                                                        \
	}

MUTEX(mutex, 5mutex)
MUTEX(recursive_mutex, 15recursive_mutex)
MUTEX(timed_mutex, 11timed_mutex)
MUTEX(recursive_timed_mutex, 21recursive_timed_mutex)

/* scheduler::schedule(context*), schedule_from_remote(context*): ctx is
 * made ready by the running context. */
void _ZN5boost6fibers9scheduler8scheduleEPNS0_7contextE(void *self, void *ctx);
void _ZN5boost6fibers9scheduler8scheduleEPNS0_7contextE(void *self, void *ctx)
{
	REAL(real, "_ZN5boost6fibers9scheduler8scheduleEPNS0_7contextE", fn_vv);
	rw_release(ctx);
	real(self, ctx);
}

void _ZN5boost6fibers9scheduler20schedule_from_remoteEPNS0_7contextE(void *self, void *ctx);
void _ZN5boost6fibers9scheduler20schedule_from_remoteEPNS0_7contextE(void *self, void *ctx)
{
	REAL(real, "_ZN5boost6fibers9scheduler20schedule_from_remoteEPNS0_7contextE",
	     fn_vv);
	rw_release(ctx);
	real(self, ctx);
}

/* context::resume(...) on the context to run: it acquires, on arrival,
 * what was released when it was made ready. */
void _ZN5boost6fibers7context6resumeEv(void *self);
void _ZN5boost6fibers7context6resumeEv(void *self)
{
	REAL(real, "_ZN5boost6fibers7context6resumeEv", fn_v);
	tl_resuming = self;
	real(self);
}

void _ZN5boost6fibers7context6resumeEPS1_(void *self, void *ready);
void _ZN5boost6fibers7context6resumeEPS1_(void *self, void *ready)
{
	REAL(real, "_ZN5boost6fibers7context6resumeEPS1_", fn_vv);
	tl_resuming = self;
	real(self, ready);
}

void _ZN5boost6fibers7context6resumeERSt11unique_lockINS0_6detail13spinlock_ttasEE(void *self,
                                                                                  void *lk);
void _ZN5boost6fibers7context6resumeERSt11unique_lockINS0_6detail13spinlock_ttasEE(void *self,
                                                                                  void *lk)
{
	REAL(real, "_ZN5boost6fibers7context6resumeERSt11unique_lockINS0_6detail13spinlock_ttasEE",
	     fn_vv);
	tl_resuming = self;
	real(self, lk);
}

/* A fiber's end happens-before the return of a join on it. terminate()
 * returns a boost::context::fiber, a class with a destructor: by the ABI,
 * the caller passes where to build it first and `this` second. */
typedef void *(*fn_sret)(void *, void *);
void *_ZN5boost6fibers7context9terminateEv(void *ret, void *self);
void *_ZN5boost6fibers7context9terminateEv(void *ret, void *self)
{
	REAL(real, "_ZN5boost6fibers7context9terminateEv", fn_sret);
	rw_release((char *)self + 1);
	return real(ret, self);
}

void _ZN5boost6fibers7context4joinEv(void *self);
void _ZN5boost6fibers7context4joinEv(void *self)
{
	REAL(real, "_ZN5boost6fibers7context4joinEv", fn_v);
	real(self);
	rw_acquire((char *)self + 1);
}

/* racewire starts before main, with the main thread on its own context
 * as a task; RACEWIRE_OPTIONS applies. */
__attribute__((constructor)) static void start(void)
{
	rw_task_t *main_task;
	rw_proc_t *p0;
	if (rw_init(NULL, &main_task, &p0) < 0)
		die("rw_init failed:", NULL);
	(void)current();
}
