/*
 * shim/internal.h - state shared by the guard layer's files. Private.
 */
#ifndef RACEWIRE_SHIM_INTERNAL_H
#define RACEWIRE_SHIM_INTERNAL_H

#include <racewire.h>
#include <racewire/flight.h>

#include "../backend/backend.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

/* rw_attach_t and rw_checkpoint_t keep signal masks without <signal.h>. */
_Static_assert(sizeof(sigset_t) <= sizeof(((rw_attach_t *)0)->saved_mask),
               "RW__SIGSET_WORDS is too small for this libc's sigset_t");

/* A context's owner word: the owning M's id, 0 when free, or this value
 * once destroyed. Only compare-and-swap moves it away from 0. */
#define RW__PROC_DEAD UINT32_MAX

struct rw_proc {
	_Atomic uint32_t owner;
	/* The last M that unwired it; for diagnoses only. */
	_Atomic uint32_t prev_owner;
	uint32_t id;
	/* TSan's Processor: fixed from creation to destruction. Touched by
	 * TSan only through the owner's GetProc answers. */
	void *tsan_proc;
};

struct rw_task {
	/* TSan's ThreadState for the task. Driven by one thread at a time:
	 * on_m says which, and only compare-and-swap takes it. */
	void *thr;
	_Atomic uint32_t on_m;
	uint32_t id;
	/* The M a callback pinned it to (0: none), read by other threads'
	 * rw_task_switch; pin_depth counts nested callbacks and is touched
	 * only by the thread running the task. */
	_Atomic uint32_t pinned_to;
	unsigned pin_depth;
	/* TSan shadow-stack frames the runtime entered (rw_func_enter) and
	 * has not left; kept in rw__hot.depth while the task is current. */
	long depth;
	/* The acquire that closes a foreign call (or opens a callback) is
	 * the task's, not the thread's: switched away with it owed, the
	 * task keeps it here, and it fires wherever the task runs next. Had
	 * it stayed with the thread, the next task run there would acquire
	 * what foreign code released: a race hidden, not a crash. */
	int acquire_owed;
	/* Fiber backend: the M whose own context this task stands for
	 * (rw_fiber_thread_task), 0 for a task of the runtime's. Such a task
	 * runs on that thread only and is never ended. */
	uint32_t own_m;
};

/* A task's on_m once rw_task_end ran: never an M number (those count up
 * from 1) nor one with RW__HOLD (task.c). The struct is kept, so a later
 * use of the handle is named (RW_ENOENT), never a use of freed memory. */
#define RW__TASK_DEAD 0x7fffffffu

/* The external-code word (guarantee 6): who may run what. */
enum {
	RW__EXT_FREE = 0,
	RW__EXT_THREAD = 1,    /* the thread is in external code */
	RW__EXT_SUSPENDER = 2, /* a suspender holds the thread */
	RW__EXT_DETACHED = 3,  /* a foreign thread between detach and attach */
	RW__EXT_EXITED = 4,    /* the thread has exited: its handle is all that is left */
};

/* A thread's handle: the part of its state other threads touch. Heap
 * allocated, listed in the registry from its first racewire call until the
 * thread exits (a detached thread keeps it: a suspender may still hold it).
 * Never freed: after the thread exits its ext word says RW__EXT_EXITED, so
 * a suspender that still has the handle is told so (RW_ENOENT) instead of
 * writing into memory malloc has handed to someone else. */
struct rw_thread {
	uint32_t id;
	pid_t tid;
	_Atomic uint32_t ext;    /* RW__EXT_*; changed only by CAS */
	struct rw__hot *hot;     /* the thread's fast-path pair, for rw_fini */
	struct rw_thread *next;
};

/* An unwind record: a transition that an unwind would skip. */
enum rw__record_kind { RW__REC_FOREIGN = 1, RW__REC_CALLBACK = 2 };
/* Everything an unwind needs is copied here: by the time
 * rw_checkpoint_restore pops a record, the frames that made it are gone,
 * rw_callback_t included, so cb is compared, never dereferenced, there. */
struct rw__cleanup {
	void (*fn)(void *);
	void *arg;
};
struct rw__record {
	enum rw__record_kind kind;
	const rw_callback_t *cb; /* RW__REC_CALLBACK: identity only */
	int left_ext;            /* the callback left external code on entry */
	rw_task_t *task;         /* the task the callback pinned */
	unsigned ncleanups;
	struct rw__cleanup cleanups[RW_CALLBACK_MAX_CLEANUPS];
};
#define RW__MAX_RECORDS 64

/* Per-thread state that the fast path does not read. The fast path reads
 * rw__hot (racewire/inline.h), which the functions here keep in step:
 *   rw__hot.tsan_proc == (wired ? wired->tsan_proc : NULL)
 *   rw__hot.thr       == (wired && task ? task->thr : NULL)
 * except when guard_wiring is off, where unwiring leaves both stale. */
struct rw__m {
	uint32_t id;       /* M number, from 1; 0 until the thread is known */
	pid_t tid;
	struct rw_thread *thread; /* its handle, once registered */
	rw_proc_t *wired;  /* the context this thread owns */
	rw_proc_t *last;   /* the last context it owned, for diagnoses */
	rw_task_t *task;   /* its current task */
	/* A foreign call returned and its acquire waits for a live
	 * ThreadState (guarantee 2). */
	int acquire_owed;
	int ext_held;      /* this thread holds its ext word (RW__EXT_THREAD) */
	int self_suspended; /* it took its own word as a suspender: never wait on it */
	/* Read by signal handlers: 1 only while fully attached. */
	volatile sig_atomic_t attached;
	unsigned nrecords;
	struct rw__record records[RW__MAX_RECORDS];
	struct rw_flight_ring *flight_ring; /* its flight-record ring */
	int flight_lost;   /* no ring was left for it: 1 + the give-back count then */
	char err[320];     /* rw_last_error */
};

extern _Thread_local struct rw__m rw__m;

/* The defaults, the one copy: rw_options_default and rw__g's initial
 * options (what annotations see before rw_init) both use it. */
#define RW__OPTIONS_DEFAULT                                                                \
	{                                                                                  \
		.policy = RW_POLICY_ABORT, .guard_wiring = 1, .guard_foreign = 1,          \
		.guard_callback = 1, .guard_signals = 1, .guard_unwind = 1,                \
		.guard_suspend = 1, .verbosity = 1, .symbolize = 1, .flight_events = 256,  \
		.prefault_shadow = 0,                                                      \
		.check_access = -1,                                                        \
	}
#define RW__FLIGHT_EVENTS_MIN 16
#define RW__FLIGHT_EVENTS_MAX (1 << 20)

/* Check options given as a struct against the text parser's limits. */
int rw__options_check(const rw_options_t *o, char *err, size_t errlen);

/* Process-wide state, set once by rw_init before it publishes `inited`. */
struct rw__global {
	_Atomic int inited; /* 0 no, 1 in rw_init, 2 done */
	rw_options_t opts;
	rw_proc_t *fallback;            /* RW_POLICY_BORROW's context */
	pthread_mutex_t fallback_lock;  /* whoever holds it owns fallback */
	_Atomic uint32_t next_m;
	pthread_mutex_t registry_lock;  /* guards threads */
	struct rw_thread *threads;      /* every registered thread */
	_Atomic uint32_t next_proc;
	_Atomic uint32_t next_task;
	_Atomic uint64_t dropped, borrowed, violations;
	_Atomic int finalizing;
	/* TSan's first ThreadState (its tid 0, as Go's g0 context): the
	 * parent of the main task, and what __tsan_fini finalizes on. */
	void *init_thr;
	/* P0: its Processor is bound to init_thr inside TSan for good, so it
	 * can never be destroyed (TSan CHECKs proc->thr == nullptr). */
	rw_proc_t *initial_proc;
};

extern struct rw__global rw__g;

/* The calling thread's state, registering it (an M number, a handle) on
 * first use. Inline: every transition starts with it, and once the thread
 * is registered it is one thread-local load and a compare (issue 17).
 * rw__self_slow is the out-of-line whole, for the first call and for a
 * caller that must ask again after running code that may have switched
 * stacks: the compiler keeps a thread-local address computed once per
 * function, so only a call it cannot see into asks the thread afresh. */
struct rw__m *rw__self_slow(void) __attribute__((noinline));
static inline struct rw__m *rw__self(void)
{
	struct rw__m *m = &rw__m;
	if (__builtin_expect(m->thread != NULL, 1))
		return m;
	return rw__self_slow();
}

/* End a callback's pinned window for a record already popped from the
 * stack: run its cleanups, last registered first, unpin its task, and
 * re-enter external code if the callback had left it (callback.c). */
void rw__callback_unwind(struct rw__record *r);

/* The calling thread's state, asked afresh: the address of rw__m from a
 * call the compiler cannot see into, for code that ran something that may
 * have switched stacks (see rw__self). No registration: a thread that runs
 * tasks is registered already, and one that is not has M number 0, which
 * is never a callback's. */
struct rw__m *rw__self_fresh(void) __attribute__((noinline));
/* rw_task_switch with the backend's switch flags (RW__SWITCH_*); the fiber
 * backend's rw_fiber_switch calls it (racewire/backend_fiber.h). */
int rw__task_switch(rw_task_t *t, unsigned flags);

/* Forget the calling thread: it is exiting. */
void rw__unregister(void);

/* The sync object that stands for "whatever foreign code did" (foreign.c):
 * released (merged) on entry to foreign code, acquired after return. */
extern char rw__foreign_sync;

static inline bool rw__is_inited(void)
{
	return atomic_load_explicit(&rw__g.inited, memory_order_acquire) == 2;
}

/* Calls that reach TSan outside the annotation path (starting and ending
 * tasks, contexts, annotations for a parked task, heap registration) skip
 * their TSan call once rw_fini began, as annotations are dropped then: TSan
 * is finalizing and exiting the process, and a call into it now may find
 * its state half torn down (guarantee 7). The racewire side of the call
 * still happens (a task is still marked ended, a handle still made), so
 * the runtime's other threads wind down without errors. Returns 1, and
 * counts the call in rw_stats' dropped, if the TSan call must be skipped. */
int rw__after_fini(void);

/* Record a failure message for rw_last_error (and print it when
 * verbosity >= 1). Returns err, so callers can `return rw__fail(...)`. */
int rw__fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Push an unwind record; RW_ENOMEM when too deep. Inline: every foreign
 * call and callback pushes one (issue 17). */
static inline int rw__push_record(struct rw__m *m, enum rw__record_kind kind,
                                  const rw_callback_t *cb, const char *what)
{
	if (m->nrecords == RW__MAX_RECORDS)
		return rw__fail(RW_ENOMEM, "%s on M%u: more than %d nested transitions", what, m->id,
		                RW__MAX_RECORDS);
	/* Field by field: a compound literal would zero the whole cleanups
	 * array too, on every transition (issue 17); only ncleanups of it is
	 * ever read before being written. */
	struct rw__record *r = &m->records[m->nrecords++];
	r->kind = kind;
	r->cb = cb;
	r->left_ext = 0;
	r->task = NULL;
	r->ncleanups = 0;
	return 0;
}

/* Print a fatal diagnosis block and abort. The first line starts with
 * "racewire: FATAL: "; each detail is "racewire:   key: value". Details
 * are given as alternating key, value strings ending with NULL. */
_Noreturn void rw__fatal(const char *headline, ...);

/* Describe a context's ownership for messages: "P2, now wired to M5
 * (previous owner M3)". Writes into buf and returns it. */
const char *rw__describe_proc(const rw_proc_t *p, char *buf, size_t n);

/* Recompute rw__hot.thr from the thread's wiring and task, and fire an
 * owed foreign-call acquire once the thread can.
 *
 * Setting the pointer, the store is seq_cst and so is the check of
 * `finalizing` after it; rw_fini stores `finalizing` and then clears every
 * thread's pointer, also seq_cst. Whichever runs second sees the other: a
 * pointer set here after finalization began is cleared, here or there,
 * before TSan is entered. Clearing it needs no such order (a NULL can
 * never let a call through), so that store is relaxed: a plain move, not
 * the locked exchange a seq_cst store is on x86-64. Inline: every wire
 * and task switch ends with it (issue 17). */
static inline void rw__refresh_hot(struct rw__m *m)
{
	void *thr = (rw__hot.tsan_proc && m->task) ? m->task->thr : NULL;
	if (!thr) {
		__atomic_store_n(&rw__hot.thr, NULL, __ATOMIC_RELAXED);
		return;
	}
	/* Checked mode keeps the fast path closed: every annotation goes to
	 * rw__slow, which checks its address before TSan sees it. */
	__atomic_store_n(&rw__hot.thr, rw__g.opts.check_access > 0 ? NULL : thr, __ATOMIC_SEQ_CST);
	if (atomic_load(&rw__g.finalizing)) {
		__atomic_store_n(&rw__hot.thr, NULL, __ATOMIC_SEQ_CST);
		return;
	}
	/* Guarantee 2: the acquire that closes a foreign call fires only
	 * now that the thread owns a context and runs a task. */
	if (m->acquire_owed) {
		m->acquire_owed = 0;
		RW__HOT_ACQUIRE(thr, &rw__foreign_sync);
	}
}

/* The acquire of the foreign sync object that closes a foreign call and
 * opens a callback (guarantee 2): made now if the thread has a live
 * ThreadState, which proves it owns a wired context exactly as it does for
 * the fast path's annotations, else owed until a wire makes one live
 * (rw__refresh_hot). Inline, and straight to the backend's hot call: in
 * the runtime's usual order (exitsyscall wires before rw_foreign_exit)
 * this is all a foreign call's return costs besides TSan's acquire. */
static inline void rw__acquire_foreign(struct rw__m *m)
{
	void *thr = (void *)__atomic_load_n(&rw__hot.thr, __ATOMIC_RELAXED);
	/* Checked mode keeps that pointer NULL while the thread is live: ask
	 * what rw__refresh_hot asks instead, or the acquire would wait for a
	 * wire that already happened, and the callback's first accesses
	 * would race with what foreign code did before it. */
	if (!thr && rw__g.opts.check_access > 0 && rw__hot.tsan_proc && m->task &&
	    !atomic_load_explicit(&rw__g.finalizing, memory_order_relaxed))
		thr = m->task->thr;
	if (__builtin_expect(thr != NULL, 1))
		RW__HOT_ACQUIRE(thr, &rw__foreign_sync);
	else
		m->acquire_owed = 1;
}

/* The halves of rw_proc_unwire, rw_ext_enter and rw_ext_exit after their
 * checks, for the transitions that have made those checks already (a
 * foreign call unwires the context it just found wired). */
static inline void rw__flight_note(enum rw_flight_kind kind, const rw_proc_t *p, uintptr_t pc,
                                   uint64_t arg);
static inline void rw__unwire(struct rw__m *m, rw_proc_t *p)
{
	if (rw__g.opts.guard_wiring) {
		/* Relaxed is enough: only this thread reads its pointer (rw_fini
		 * only clears it, so no order against it matters for a clear),
		 * and the release store of the owner word below keeps both
		 * clears before the context is free for another thread. */
		__atomic_store_n(&rw__hot.thr, NULL, __ATOMIC_RELAXED);
		rw__hot.tsan_proc = NULL;
	}
	/* Unguarded, the thread keeps answering GetProc with p and keeps its
	 * live ThreadState: exactly Go's m.p left pointing at a P that sysmon
	 * handed to another M (seed 001). Reproducers use this. */
	m->wired = NULL;
	rw__flight_note(RW_FL_UNWIRE, p, 0, 0);
	atomic_store_explicit(&p->prev_owner, m->id, memory_order_relaxed);
	atomic_store_explicit(&p->owner, 0, memory_order_release);
}

/* Take the thread's external-code word (guarantee 6). Inline: one CAS when
 * the word is free, which it is unless a suspender holds the thread right
 * now; rw__ext_enter_wait (suspend.c) waits that suspender out. */
int rw__ext_enter_wait(struct rw__m *m);
static inline int rw__ext_enter(struct rw__m *m)
{
	if (rw__g.opts.guard_suspend) {
		uint32_t expect = RW__EXT_FREE;
		/* A detached thread's word (DETACHED) is closed to suspenders
		 * already: nothing to take. */
		if (!atomic_compare_exchange_strong_explicit(&m->thread->ext, &expect, RW__EXT_THREAD,
		                                             memory_order_acquire, memory_order_relaxed) &&
		    expect != RW__EXT_DETACHED) {
			return rw__ext_enter_wait(m);
		}
	}
	m->ext_held = 1;
	return 0;
}

/* Give the word back. Only this thread moves its word away from THREAD: a
 * suspender takes it only from FREE (a CAS), and attach and detach run on
 * the thread itself. So a load and a release store do what a CAS would,
 * without a locked instruction on every foreign return (issue 17); a
 * detached thread's word (DETACHED) is left as it is. */
static inline void rw__ext_exit(struct rw__m *m)
{
	m->ext_held = 0;
	if (rw__g.opts.guard_suspend &&
	    atomic_load_explicit(&m->thread->ext, memory_order_relaxed) == RW__EXT_THREAD)
		atomic_store_explicit(&m->thread->ext, RW__EXT_FREE, memory_order_release);
}

/* Lend the fallback Processor to this thread for racewire's own repair
 * work (not an annotation, so no policy applies); returns 1 if it did. */
int rw__lend_fallback(void);
void rw__return_fallback(int lent);

/* Run a TSan call that needs a Processor but has no ThreadState fast path
 * (task start/end, annotations for a parked task) on behalf of `what`.
 * With a context wired, returns 0 at once. Without one, applies the
 * policy: abort with a diagnosis, borrow the fallback (returns 1: the
 * caller passes it to rw__return_fallback after its TSan call), or
 * RW_EPERM for drop. */
int rw__need_proc(const char *what);


/* Heap registration rules, as pure logic (unit-tested alone). */
struct rw__heap_layout {
	uintptr_t data_begin, data_end; /* the executable's data+bss */
	uintptr_t heap_begin, heap_end; /* registered heap, 0 if none */
};
/* Returns 0 if [addr, addr+size) may be mapped as new heap, 1 if already
 * covered (nothing to do), or RW_EINVAL / RW_ERANGE with msg filled. */
int rw__heap_check(const struct rw__heap_layout *l, uintptr_t addr, size_t size,
                   char *msg, size_t msglen);
/* Where a registration of [addr, addr+size) really ends: rounded up to
 * TSan's meta-shadow step (see heap.c). heap_end holds such values. */
uintptr_t rw__heap_registered_end(uintptr_t addr, size_t size);

/* The flight recorder (flight.c): open the record, note an event on the
 * calling thread's ring. Noting does nothing while no record is open, and
 * that check is inline: with the recorder off (the usual case) a
 * transition pays one load and one branch per note, not a call (issue
 * 17). rw__flight_header is set by rw_init before any other thread can
 * call racewire, and cleared only by its rollback. */
int rw__flight_open(const char *path, unsigned nevents);
void rw__flight_close(void); /* rw_init's rollback: nothing recorded yet */
extern struct rw_flight_header *rw__flight_header;
void rw__flight_record(enum rw_flight_kind kind, const rw_proc_t *p, uintptr_t pc, uint64_t arg);
static inline void rw__flight_note(enum rw_flight_kind kind, const rw_proc_t *p, uintptr_t pc,
                                   uint64_t arg)
{
	if (__builtin_expect(rw__flight_header != NULL, 0))
		rw__flight_record(kind, p, pc, arg);
}
/* The calling thread is exiting: give its ring back for reuse. */
void rw__flight_release(struct rw__m *m);

/* What TSan shadows, and the live heap blocks (memory.c). add_range is
 * called under the heap lock (heap.c); the rest take no lock of the
 * caller's. block_alloc: 0, or RW_EBUSY with the live block's size;
 * block_free: 0, RW_ENOENT (no block), RW_EALREADY (freed before) or
 * RW_EINVAL (another size), with the allocation's size. */
void rw__mem_add_range(uintptr_t begin, uintptr_t end);
int rw__mem_shadowed(uintptr_t addr, size_t size);
int rw__mem_describe(char *buf, size_t len);
int rw__block_alloc(uintptr_t a, size_t size, size_t *live_size);
int rw__block_free(uintptr_t a, size_t size, size_t *alloc_size);

/* A memory annotation that its check refused (annotate.c): why is
 * "outside" (not shadowed), "live" (malloc over a live block of `size2`
 * bytes), "unknown" (free of no block), "twice" (freed before) or "size"
 * (allocated with `size2` bytes). Abort policy: the FATAL block; else
 * dropped, counted and named in rw_last_error. */
void rw__refuse_mem(enum rw__op op, const void *p, size_t size, const char *why, size_t size2);

/* The atomic operations' slow path (annotate.c). */
uint64_t rw__slow_atomic(enum rw__atomic_op op, unsigned size, void *addr, uint64_t a, uint64_t b,
                         uintptr_t cpc, uintptr_t pc);

/* 1 if the program is linked with a debug build of the TSan runtime (its
 * internal CHECKs on): checked mode's default. A backend that can tell
 * defines it; otherwise the weak default in init.c says 0. */
int rw__be_is_debug(void);

/* What the backend asks of the guards (init.c, symbolize.c). */
void *rw__no_proc(void);
int rw__symbolize_code(uintptr_t pc, rw_frame_t *f, uintptr_t *module_off);
int rw__symbolize_data(uintptr_t addr, const char **name, uintptr_t *start, uintptr_t *size);

#endif /* RACEWIRE_SHIM_INTERNAL_H */
