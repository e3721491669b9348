/*
 * model.h - the public API of racewire's model M:N runtime.
 *
 * A compact Go-like runtime: tasks (G) with their own stacks, switched in
 * user space, run by OS threads (M) that hold processors (P). It exists to
 * show, in real code, where each racewire call goes and why; see
 * docs/integration-guide.md for the walk-through.
 *
 * Built once per racewire backend (Makefile): with the go backend every MD_
 * annotation macro below reaches TSan; the runtime's non-race build links
 * racewire's none backend (O/none), where the guards still check every
 * transition and the annotations do nothing, as a compiler would emit no
 * race instrumentation without -race.
 *
 * Rules for programs on the runtime, as for Go code:
 *  - Shared memory that the race detector should watch lives in the managed
 *    heap (md_alloc) or in globals. Never annotate stack memory (TSan does
 *    not shadow task or C stacks: annotating it faults inside TSan).
 *  - Synchronization objects (md_mutex_t, md_rwmutex_t, md_cond_t,
 *    md_wg_t, md_once_t, md_pool_t, words used with md_atomic_*) live in
 *    the heap or in globals for the same reason: their addresses are
 *    annotated (as sync objects, and the mutex, RWMutex, wait group and
 *    atomic words as accessed memory too).
 *  - A task must not block its thread in C without md_cgocall (that is
 *    what md_cgocall is for).
 */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <racewire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Configuration ------------------------------------------------------- */

typedef struct md_config {
	int nprocs;            /* processors (GOMAXPROCS); <= 0: env MD_PROCS,
	                        * else the number of CPUs */
	size_t stack_size;     /* task stack size; 0: 256 KiB (+1 guard page) */
	int async_preempt;     /* 1 (default): the monitor preempts long-running
	                        * tasks by suspending their thread; 0: only at
	                        * safe points (env MD_ASYNCPREEMPT=0) */
	unsigned preempt_us;   /* time slice before preemption; 0: 10000 */
	unsigned retake_us;    /* foreign call age before its P is retaken;
	                        * 0: 20 (the monitor's first tick, as sysmon) */
	/* Pre-fix orderings for the reproducers (env MD_UNGUARDED, a list
	 * separated by ',': "foreign", "callback"). Never in production. */
	int unguarded_foreign;  /* md_cgocall acquires (rw_foreign_exit) right
	                         * after the C call, before taking a P back:
	                         * Go before the fix of issue 27660 (seed 001) */
	int unguarded_callback; /* a callback's cleanup is a preemption point
	                         * run after the unpin: Go before the fix of
	                         * issue 47441 (seed 002). Effective as a bug
	                         * only with RACEWIRE_OPTIONS=guard_callback=0.
	                         * The callback also skips the model's own
	                         * "moved during a callback" check (Go before
	                         * the fix had none): the task returns into C
	                         * on whatever thread it is on. */
	int unguarded_foreign_free; /* with unguarded_foreign: md_cgocall
	                         * marshals its argument into a frame of heap
	                         * blocks (md_alloc) and frees them right after
	                         * the C call, before taking a P back: runtime
	                         * work outside a P, so it needs
	                         * RACEWIRE_OPTIONS=policy=borrow even guarded.
	                         * In LLVM 19's TSan the early acquire alone no
	                         * longer touches the Processor; a free does
	                         * (stress/repro/model_seed001.c). Config only
	                         * (no env token). */
} md_config_t;

/* Defaults, then the environment (MD_PROCS, MD_UNGUARDED, MD_ASYNCPREEMPT). */
void md_config_default(md_config_t *cfg);

/* Start the runtime on the calling thread: racewire, the heap, nprocs P's.
 * Call once per process, before anything else. nprocs <= 0: MD_PROCS or
 * the CPU count. md_init_config takes a full configuration (NULL: the
 * defaults and the environment). */
void md_init(int nprocs);
void md_init_config(const md_config_t *cfg);

/* Run fn(arg) as the main task and return when it returns (other tasks may
 * still be running; the runtime stays up). For tests. */
void md_run(void (*fn)(void *), void *arg);

/* Run fn(arg) as the main task, then exit like Go's runtime.main: through
 * md_exit(0). */
_Noreturn void md_main(void (*fn)(void *), void *arg);

/* Exit the process. Status 0 goes through racewire's rw_fini (TSan's
 * summary, exit status 66 after a race), as Go's racefini; a nonzero
 * status exits with it at once, as Go's os.Exit in race mode. */
_Noreturn void md_exit(int status);

/* ---- Tasks ---------------------------------------------------------------- */

/* Start fn(arg) as a new task; it happens-after everything the caller did
 * so far. Callable only from a task. */
void md_go(void (*fn)(void *), void *arg);

/* Give the processor to another task (Go's runtime.Gosched). */
void md_yield(void);

/* A safe point: yield if the monitor asked this task to (Go's
 * compiler-inserted stack-check preemption). Cheap when not asked. */
void md_safepoint(void);

/* The current task's id (1 is the main task), or 0 outside any task. */
unsigned md_task_id(void);
/* The current processor's index, or -1. */
int md_proc_id(void);
/* The current thread's runtime M number (0 is the initial thread). */
unsigned md_thread_id(void);
int md_nprocs(void);

/* Code in functions marked MD_ASYNC_SAFE may be preempted asynchronously
 * (by suspension) at any instruction: the stand-in for the safe-point
 * tables a compiler emits for managed code. Only pure task code belongs
 * there: no libc calls that keep per-thread state (malloc, stdio), since
 * the task may resume on another thread. Annotations (MD_READ, ...) are
 * safe: they are marked no-preempt for their duration. */
#define MD_ASYNC_SAFE __attribute__((section("md_async_text"), noinline))

/* Sleep the task (not the thread) for at least us microseconds. */
void md_sleep_us(unsigned us);

typedef struct md_stats {
	uint64_t tasks_started, tasks_ended;
	uint64_t stolen;          /* tasks run by a P other than the one they
	                           * were queued on (work stealing) */
	uint64_t retakes;         /* P's retaken from foreign calls */
	uint64_t preempt_requests;/* safe-point preemption requests */
	uint64_t async_preempts;  /* tasks preempted by suspension */
	uint64_t suspend_skipped; /* rw_suspend_begin said RW_EBUSY */
	uint64_t threads;         /* M's created */
	uint64_t attaches;        /* foreign threads attached */
} md_stats_t;
void md_get_stats(md_stats_t *out);

/* ---- Hooks for the reproducers (stress/repro/model_seed000.c, 004.c) ------
 *
 * md_set_suspend_hook: fn(m) is called by the monitor, on its own thread,
 * while it holds thread Mm suspended (after the handler's acknowledgement,
 * before the resume): the runtime work a stop-the-world does with the world
 * stopped, such as taking a runtime lock (seed 000). NULL (the default):
 * nothing. fn must not suspend or wait for a task.
 *
 * md_thread_ready: async-signal-safe, for signal handlers: 1 if the calling
 * thread's runtime state is fully built (its M published in the thread and
 * in use), else 0. Whenever rw_thread_is_attached() is true it must be 1
 * (seed 004). The environment knob MD_ATTACH_SPIN=N (default 0: off) adds a
 * busy loop of N iterations at the start of a foreign thread's attach setup
 * and at the end of its detach teardown, widening the window that seed 004
 * is about (racewire blocks signals there unless guard_signals=0). */
void md_set_suspend_hook(void (*fn)(unsigned m));
int md_thread_ready(void);

/* ---- Foreign calls and callbacks ----------------------------------------- */

/* Call fn(arg), C code that may block or call back, without holding the
 * processor: while it runs, the monitor may hand the P to another thread
 * (Go's cgocall / entersyscall / exitsyscall). Returns fn's result. */
long md_cgocall(long (*fn)(void *), void *arg);

/* Call back into the runtime from C: fn(arg) runs as a task. From a thread
 * inside md_cgocall it is the calling task, pinned to the thread; from a
 * thread C created it is a fresh task on a thread attached for the
 * duration (Go's needm/dropm). Returns fn's result. */
long md_callback(long (*fn)(void *), void *arg);

/* In a callback: register fn(arg) to run when the callback returns, still
 * pinned to its thread (Go's deferred calls in cgocallbackg1). */
void md_callback_defer(void (*fn)(void *), void *arg);

/* ---- System calls ----------------------------------------------------------
 *
 * read, pread and write through md_cgocall, with the race annotations of
 * Go's syscall package: Write release-merges one global sync object
 * (syscall.ioSync) and reads the bytes it wrote; Read and Pread write the
 * bytes they got and, on success, acquire ioSync, so what a task did
 * before writing a file happens-before what another does after reading
 * it. The buffer is annotated only in the heap or globals. Return as the
 * system calls (-1 and errno on error). */
long md_sys_read(int fd, void *buf, size_t n);
long md_sys_pread(int fd, void *buf, size_t n, long off);
long md_sys_write(int fd, const void *buf, size_t n);

/* ---- Panic and recover --------------------------------------------------- */

/* Run fn(arg); if it (or anything it calls, through C frames and
 * callbacks) panics, return 1 with the panic value in *value; else 0. */
int md_try(void (*fn)(void *), void *arg, void **value);

/* Unwind to the innermost md_try of the current task. With none, print
 * "panic: ..." and exit 2, as Go. */
_Noreturn void md_panic(void *value);

/* ---- Heap ----------------------------------------------------------------- */

#define MD_HEAP_BASE ((uintptr_t)0xc000000000ull)

void *md_alloc(size_t size);   /* zeroed, 16-byte aligned, never NULL */
void md_free(void *p);

/* ---- Synchronization ----------------------------------------------------- */

typedef struct md_chan md_chan_t;
/* A channel of elements of elem_size bytes; cap 0 is unbuffered. */
md_chan_t *md_chan_make(size_t elem_size, size_t cap);
void md_chan_send(md_chan_t *c, const void *elem);
/* 1 and *elem filled; 0 if closed and drained (*elem zeroed). */
int md_chan_recv(md_chan_t *c, void *elem);
void md_chan_close(md_chan_t *c);   /* panics on a closed channel */
size_t md_chan_len(md_chan_t *c);
size_t md_chan_cap(md_chan_t *c);  /* len and cap synchronize nothing */

/* select: one case per channel operation (Go's scase). */
enum { MD_SEND = 1, MD_RECV = 2 };
#define MD_SELECT_MAX 64
typedef struct md_select_case {
	md_chan_t *c;  /* NULL: a nil channel, never ready */
	int dir;       /* MD_SEND or MD_RECV */
	void *elem;    /* send: the value; receive: where it goes (NULL:
	                * discarded) */
	int ok;        /* receive, out: 1 a value, 0 the channel is closed */
} md_select_case_t;
/* Run one ready case, chosen at random among the ready ones, and return
 * its index. None ready: block is 1, wait for one; block is 0, return -1
 * (the default case). A send case on a closed channel panics, as Go. At
 * most MD_SELECT_MAX cases; with no non-NULL channel a blocking select is
 * fatal (Go: blocks forever). */
int md_select(md_select_case_t *cases, int n, int block);

/* A map of fixed-size keys and values, compared and hashed bytewise, with
 * Go's race annotations (runtime/map.go and the compiler's): a lookup,
 * len and range read the map (racereadpc on the header), an assignment
 * and a delete write it (racewritepc); the key is read (raceReadObjectPC);
 * an assignment reads the value it stores and a lookup writes the
 * variable it fills, as the compiler instruments those copies. Keys and
 * values passed here are annotated only if they are in TSan's application
 * range (the heap, globals): stack copies are not, as everywhere in the
 * model. The map's entries are runtime memory, never annotated. */
typedef struct md_map md_map_t;
md_map_t *md_map_make(size_t key_size, size_t val_size);
/* 1 and *val filled (val may be NULL); 0 and *val zeroed if absent. */
int md_map_get(md_map_t *m, const void *key, void *val);
void md_map_set(md_map_t *m, const void *key, const void *val);
void md_map_delete(md_map_t *m, const void *key);
size_t md_map_len(md_map_t *m);
/* fn(key, val, arg) for every entry, in no particular order; fn must not
 * change the map (Go allows it; the model does not). */
void md_map_range(md_map_t *m, void (*fn)(const void *key, void *val, void *arg), void *arg);

typedef struct md_mutex {
	uint32_t state;   /* private */
	uint32_t lock;    /* private: waiter-list lock */
	void *waiters;    /* private */
} md_mutex_t;
#define MD_MUTEX_INIT {0, 0, 0}
void md_mutex_lock(md_mutex_t *m);
void md_mutex_unlock(md_mutex_t *m);

typedef struct md_wg {
	int64_t count;    /* private */
	uint32_t lock;    /* private */
	uint32_t sema;    /* private: Go's wg.sema, a race address */
	void *waiters;    /* private */
} md_wg_t;
#define MD_WG_INIT {0, 0, 0, 0}
void md_wg_add(md_wg_t *wg, int64_t delta);
void md_wg_done(md_wg_t *wg);
void md_wg_wait(md_wg_t *wg);

/* A reader/writer mutex with Go's sync/rwmutex.go race annotations:
 * readers acquire readerSem and release-merge writerSem, the writer
 * acquires both and releases readerSem; every operation reads the state
 * word (Go's `_ = rw.w.state`), so a plain write of the mutex races. */
typedef struct md_rwmutex {
	uint32_t state;   /* private: read by every operation */
	uint32_t lock;    /* private */
	uint32_t readerSem, writerSem; /* private: race addresses */
	int readers;      /* private: active readers */
	int writer;       /* private: a writer holds it */
	int wwait;        /* private: writers waiting */
	void *rwaiters, *wwaiters; /* private */
} md_rwmutex_t;
#define MD_RWMUTEX_INIT {0, 0, 0, 0, 0, 0, 0, 0, 0}
void md_rwmutex_rlock(md_rwmutex_t *rw);
void md_rwmutex_runlock(md_rwmutex_t *rw);
void md_rwmutex_lock(md_rwmutex_t *rw);
void md_rwmutex_unlock(md_rwmutex_t *rw);

/* A condition variable over a mutex (sync.Cond): no race annotations of
 * its own, as in Go; the happens-before comes from the mutex. */
typedef struct md_cond {
	md_mutex_t *L;
	uint32_t lock;    /* private */
	uint32_t wait, notify; /* private: tickets (Go's notifyList) */
	void *waiters;    /* private */
} md_cond_t;
#define MD_COND_INIT(l) {(l), 0, 0, 0, 0}
void md_cond_wait(md_cond_t *c);
void md_cond_signal(md_cond_t *c);
void md_cond_broadcast(md_cond_t *c);

/* sync.Pool in race mode: Put release-merges the item's address (Go's
 * poolRaceAddr) and drops one item in four at random, so that code
 * relying on getting its own item back shows its race; Get acquires the
 * address of the item it returns. new_fn makes an item when the pool is
 * empty (NULL: return NULL). */
typedef struct md_pool {
	void *(*new_fn)(void);
	uint32_t lock;    /* private */
	uint32_t seed;    /* private */
	int n;            /* private */
	void *items[16];  /* private */
} md_pool_t;
#define MD_POOL_INIT(fn) {(fn), 0, 0, 0, {0}}
void *md_pool_get(md_pool_t *p);
void md_pool_put(md_pool_t *p, void *x);

typedef struct md_once {
	uint32_t done;    /* private */
	md_mutex_t m;     /* private */
} md_once_t;
#define MD_ONCE_INIT {0, MD_MUTEX_INIT}
void md_once_do(md_once_t *o, void (*fn)(void *), void *arg);

/* Atomics with Go's sync/atomic race semantics: performed through
 * racewire's atomic annotations (rw_atomic*, Go mode's __tsan_go_atomic*),
 * so each is an atomic access of the word with its memory order: loads
 * acquire, stores release, read-modify-writes do both. Two atomics never
 * race; a plain access (MD_READ/MD_WRITE) racing with one is reported, as
 * in Go. A NULL word panics (Go: a nil dereference, recoverable). */
int32_t md_atomic_load32(const int32_t *p);
void md_atomic_store32(int32_t *p, int32_t v);
int32_t md_atomic_add32(int32_t *p, int32_t delta);   /* the new value */
int md_atomic_cas32(int32_t *p, int32_t old, int32_t new_);
int32_t md_atomic_swap32(int32_t *p, int32_t v);
int64_t md_atomic_load64(const int64_t *p);
void md_atomic_store64(int64_t *p, int64_t v);
int64_t md_atomic_add64(int64_t *p, int64_t delta);   /* the new value */
int md_atomic_cas64(int64_t *p, int64_t old, int64_t new_);
int64_t md_atomic_swap64(int64_t *p, int64_t v);

/* ---- Instrumentation: what a compiler would emit ---------------------------
 *
 * MD_FUNC_ENTER()/MD_FUNC_EXIT() bracket an instrumented function (Go's
 * racefuncenter/racefuncexit): reports then name it with file:line. They
 * must pair on every path, except across md_panic (md_try repairs it).
 * MD_READ(p)/MD_WRITE(p) annotate an access to a heap or global address.
 * The no-preempt counter makes each annotation atomic with respect to
 * asynchronous preemption, so a task never resumes on another thread in
 * the middle of one. */
extern _Thread_local int md__nopreempt __attribute__((tls_model("initial-exec")));
#if defined(RW_BACKEND_FIBER) && defined(RW__FAST_PATH_OUT_OF_LINE)
/* Compiled with -fsanitize=thread for the fiber backend: the compiler
 * emits these (docs/fiber.md); the runtime itself is not instrumented. */
#define MD_COMPILER_INSTRUMENTED 1
#define MD_FUNC_ENTER() ((void)0)
#define MD_FUNC_EXIT() ((void)0)
#define MD_READ(p) ((void)(p))
#define MD_WRITE(p) ((void)(p))
#define MD_READ_RANGE(p, n) ((void)(p), (void)(n))
#define MD_WRITE_RANGE(p, n) ((void)(p), (void)(n))
#else
#define MD__NP(stmt) do { md__nopreempt++; stmt; md__nopreempt--; } while (0)
#define MD_FUNC_ENTER() MD__NP(rw_func_enter(RW_CALLER_PC()))
#define MD_FUNC_EXIT() MD__NP(rw_func_exit())
#define MD_READ(p) MD__NP(rw_read((const void *)(p), RW_PC()))
#define MD_WRITE(p) MD__NP(rw_write((const void *)(p), RW_PC()))
#define MD_READ_RANGE(p, n) MD__NP(rw_read_range((const void *)(p), (n), RW_PC()))
#define MD_WRITE_RANGE(p, n) MD__NP(rw_write_range((const void *)(p), (n), RW_PC()))
#endif

#ifdef __cplusplus
}
#endif

#endif /* MODEL_H */
