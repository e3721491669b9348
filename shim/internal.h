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
	/* Fiber backend: the M whose own context this task stands for
	 * (rw_fiber_thread_task), 0 for a task of the runtime's. Such a task
	 * runs on that thread only and is never ended. */
	uint32_t own_m;
};

/* The external-code word (guarantee 6): who may run what. */
enum {
	RW__EXT_FREE = 0,
	RW__EXT_THREAD = 1,    /* the thread is in external code */
	RW__EXT_SUSPENDER = 2, /* a suspender holds the thread */
	RW__EXT_DETACHED = 3,  /* a foreign thread between detach and attach */
};

/* A thread's handle: the part of its state other threads touch. Heap
 * allocated, listed in the registry from its first racewire call until the
 * thread exits (a detached thread keeps it: a suspender may still hold it). */
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
	/* Read by signal handlers: 1 only while fully attached. */
	volatile sig_atomic_t attached;
	unsigned nrecords;
	struct rw__record records[RW__MAX_RECORDS];
	struct rw_flight_ring *flight_ring; /* its flight-record ring */
	int flight_lost;   /* no ring was left for it */
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
 * first use. */
struct rw__m *rw__self(void);

/* Push an unwind record (foreign.c); RW_ENOMEM when too deep. */
int rw__push_record(struct rw__m *m, enum rw__record_kind kind, const rw_callback_t *cb,
                    const char *what);

/* End a callback's pinned window for a record already popped from the
 * stack: run its cleanups, last registered first, unpin its task, and
 * re-enter external code if the callback had left it (callback.c). */
void rw__callback_unwind(struct rw__record *r);

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

/* Record a failure message for rw_last_error (and print it when
 * verbosity >= 1). Returns err, so callers can `return rw__fail(...)`. */
int rw__fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print a fatal diagnosis block and abort. The first line starts with
 * "racewire: FATAL: "; each detail is "racewire:   key: value". Details
 * are given as alternating key, value strings ending with NULL. */
_Noreturn void rw__fatal(const char *headline, ...);

/* Describe a context's ownership for messages: "P2, now wired to M5
 * (previous owner M3)". Writes into buf and returns it. */
const char *rw__describe_proc(const rw_proc_t *p, char *buf, size_t n);

/* Recompute rw__hot.thr from the thread's wiring and task, and fire an
 * owed foreign-call acquire once the thread can. */
void rw__refresh_hot(struct rw__m *m);

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
 * calling thread's ring. Noting does nothing while no record is open. */
int rw__flight_open(const char *path, unsigned nevents);
void rw__flight_close(void); /* rw_init's rollback: nothing recorded yet */
void rw__flight_note(enum rw_flight_kind kind, const rw_proc_t *p, uintptr_t pc, uint64_t arg);

/* The atomic operations' slow path (annotate.c). */
uint64_t rw__slow_atomic(enum rw__atomic_op op, unsigned size, void *addr, uint64_t a, uint64_t b,
                         uintptr_t cpc, uintptr_t pc);

/* What the backend asks of the guards (init.c, symbolize.c). */
void *rw__no_proc(void);
int rw__symbolize_code(uintptr_t pc, rw_frame_t *f, uintptr_t *module_off);
int rw__symbolize_data(uintptr_t addr, const char **name, uintptr_t *start, uintptr_t *size);

#endif /* RACEWIRE_SHIM_INTERNAL_H */
