/*
 * racewire.h - wire a managed runtime to ThreadSanitizer, safely.
 *
 * racewire sits between an M:N runtime (tasks G run by OS threads M that
 * hold processor contexts P) and compiler-rt's Go-mode ThreadSanitizer
 * runtime. Its one promise: no call reaches TSan unless the calling thread
 * owns a wired processor context, and TSan's "which Processor is this
 * thread using?" callback is answered from the calling thread's own wiring,
 * so it can never return a context that another thread is using.
 *
 * Why this matters (Go issue 27660, seed 001): TSan keeps per-processor
 * allocator caches in its Processor. Go's cgocall once issued raceacquire
 * after a foreign call but before getting its P back; by then sysmon had
 * handed the P to another thread, and two threads drove one Processor at
 * once. The symptom was "CHECK failed" deep inside TSan or a SEGV, far from
 * the cause. Here that misuse is caught at the call that makes it.
 *
 * Threading model. Any OS thread may call racewire. A thread becomes known
 * to racewire (an "M", numbered M1, M2, ...) the first time it wires a
 * context. Annotations use the calling thread's current task (set with
 * rw_task_switch) and its wired context (set with rw_proc_wire).
 *
 * Errors. Functions that can fail return 0 or a negative RW_E* code, as in
 * libuv; rw_last_error() gives the calling thread's message for the last
 * failure, naming the threads, contexts and tasks involved.
 *
 * The guarantees, numbered as everywhere in racewire:
 *   1 processor wiring: a context is wired to one thread at a time, and
 *     every TSan call comes from its owner (seed 001, Go issue 27660);
 *   2 the foreign-call bracket: the acquire that closes a foreign call
 *     waits for a wired context (seeds 001 and 003);
 *   3 callbacks stay pinned to their thread until their cleanups ran
 *     (seed 002, Go issue 47441);
 *   4 foreign threads attach and detach with every signal blocked
 *     (seed 004, Go issue 12277);
 *   5 unwinding across foreign frames is repaired by checkpoints (seed 003);
 *   6 suspension: a thread in external code is never suspended (the
 *     external-code word; seed 000, Go issue 35775);
 *   7 finalization runs once, unsuspendable, and TSan sees no call after
 *     it began (seed 000).
 *
 * Backends. The library is built for one TSan runtime (make BACKEND=...):
 * "go", compiler-rt's Go-mode runtime (the default), "none", the guards
 * without TSan, or "fiber", clang's C/C++ TSan with tasks as TSan fibers
 * (racewire/backend_fiber.h; docs/fiber.md). A program is compiled for the
 * same one (-DRW_BACKEND_NONE for none, -DRW_BACKEND_FIBER for fiber;
 * pkg-config's racewire-<backend>.pc says it); rw_init refuses a mismatch.
 *
 * Portability. This header needs only C11 (no feature-test macros) or
 * C++11, and declares no TSan symbol under TSan's own names.
 *
 * Layout. The Go-mode runtime only handles application memory in
 * [0x1000, 0xe000000000): link executables with -no-pie and put the managed
 * heap at a fixed address there (0xc000000000 is conventional).
 */
#ifndef RACEWIRE_H
#define RACEWIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rw_proc rw_proc_t; /* a processor context (one per P) */
typedef struct rw_task rw_task_t; /* a task (goroutine): a TSan ThreadState */

/* ---- Errors -------------------------------------------------------------- */

#define RW_EPERM    (-1)   /* the caller does not own what it acts on */
#define RW_ENOENT   (-2)   /* the context or task was destroyed or ended */
#define RW_ENOMEM   (-12)
#define RW_EBUSY    (-16)  /* owned by another thread, or still in use */
#define RW_EINVAL   (-22)  /* bad argument or option */
#define RW_ERANGE   (-34)  /* address range outside what TSan can shadow */
#define RW_EALREADY (-114) /* already done (second init, double destroy) */
#define RW_ENOTINIT (-4095) /* rw_init has not succeeded */

/* A static description of an RW_E* code ("RW_EBUSY: ..."). */
const char *rw_strerror(int err);

/* The calling thread's message for its last failed racewire call, or "" if
 * none. Valid until that thread's next failing call. */
const char *rw_last_error(void);

/* ---- Options ------------------------------------------------------------- */

/* What an annotation does when its thread has no wired context. */
typedef enum rw_policy {
	/* Print a diagnosis (thread, task, call, the context's owners) and
	 * abort. The default: tests and CI want the first misuse, loudly. */
	RW_POLICY_ABORT = 0,
	/* Run the annotation on a global fallback context under a lock. Slow
	 * but safe; for rare runtime-internal work outside any P. */
	RW_POLICY_BORROW = 1,
	/* Drop the annotation and count it (rw_stats). Loses race coverage. */
	RW_POLICY_DROP = 2,
} rw_policy_t;

/* One frame of symbolized code, filled by a symbolizer hook. */
typedef struct rw_frame {
	const char *func; /* function name; must stay valid until return */
	const char *file; /* source file, or NULL */
	int line;         /* line, or 0 */
} rw_frame_t;

/* A runtime's symbolizer for its own (managed) PCs. Return 1 and fill *out
 * for a pc it knows, 0 to let racewire's DWARF symbolizer try. Called from
 * inside TSan while it prints a report: it must not call racewire. */
typedef int (*rw_symbolize_fn)(uintptr_t pc, rw_frame_t *out, void *arg);

typedef struct rw_options {
	rw_policy_t policy;      /* no wired context: see rw_policy_t */
	/* The guarantees, each on (1) by default. 0 switches one off so that
	 * a reproducer can show the bug it prevents; never in production.
	 * See the sections below for what each one does. */
	int guard_wiring;        /* 0: unwiring leaves the thread's stale
	                          * context in place for TSan, as Go's m.p
	                          * before the fix for issue 27660 (seed 001) */
	int guard_foreign;       /* 0: rw_foreign_exit acquires at once, even
	                          * with no context wired (seed 001) */
	int guard_callback;      /* 0: rw_callback_exit unpins first, runs the
	                          * cleanups, and checks nothing (seed 002) */
	int guard_signals;       /* 0: attach/detach leave signals unblocked and
	                          * publish the state early (seed 004) */
	int guard_unwind;        /* 0: rw_checkpoint_restore repairs nothing
	                          * (seed 003) */
	int guard_suspend;       /* 0: the external-code word is ignored:
	                          * suspenders may suspend threads in external
	                          * code (seed 000) */
	int verbosity;           /* 0 quiet, 1 (default) misuse messages on
	                          * stderr as well as in rw_last_error, 2 trace */
	int symbolize;           /* 1 (default): DWARF file:line in reports */
	/* Checked mode: every read, write and atomic is tested against the
	 * memory TSan shadows (data+bss, rw_map_heap) before TSan sees it,
	 * and refused like a bad range (see rw_read_range) instead of
	 * faulting inside TSan. 1 on, 0 off, -1 (default): on when the
	 * program is linked with compiler-rt's debug Go runtime (make
	 * TSAN=debug; detected by TSan's own build mark) and every guard
	 * is on (a guard is off only to show TSan's own failure), off
	 * otherwise. It takes every annotation off the inline fast path;
	 * make bench prints what that costs. */
	int check_access;
	/* A flight record (racewire/flight.h): recent events per thread in
	 * this file, readable after a crash with racewire-diagnose --flight.
	 * Empty (default): off. In the path, %p is the process id and %r the
	 * run number racewire-stress puts in RACEWIRE_RUN ("0" without it),
	 * so runs of one command line keep a record each; %% is a '%'.
	 * flight_events is the ring size per thread. */
	char flight[256];
	int flight_events;       /* 16 to 1048576, default 256 */
	/* Make shadow resident when it is registered: 0 (default) never, 1
	 * the shadow of data and bss (twice their size: 32 MiB for a 16 MiB
	 * bss, mostly TSan's own placeholders), 2 that of every heap range as
	 * well (twice the registered size in resident memory). Heap blocks
	 * annotated with rw_malloc have their shadow written, so faulted in,
	 * when they are allocated. TSan's check-then-store is not atomic: two
	 * writes at the same moment can both miss their race. This option was
	 * meant to keep a first-touch page fault from widening that window;
	 * bench/missrate measured the opposite (races on fresh globals missed
	 * only with it on: 16 of 20,000 against none of 20,000 with 0), so it
	 * is off unless asked for: it costs memory and closes nothing. */
	int prefault_shadow;
	rw_symbolize_fn symbolizer; /* optional managed-PC hook; API only */
	void *symbolizer_arg;
} rw_options_t;

/* Fill *opts with the defaults listed above. rw_init refuses a field out
 * of its range (RW_EINVAL naming it), as the text parser does. */
void rw_options_default(rw_options_t *opts);

/* Apply option text in the style of TSAN_OPTIONS ("policy=drop:verbosity=0";
 * ':' ',' or white space separate items) on top of *opts. On an unknown
 * option or a bad value, return RW_EINVAL, leave *opts untouched, and write
 * a message naming the item and listing what is accepted into err. */
int rw_options_parse(rw_options_t *opts, const char *text, char *err, size_t errlen);

/* ---- Start and finish ---------------------------------------------------- */

/* Initialize TSan and racewire once per process. opts may be NULL for the
 * defaults; the environment variable RACEWIRE_OPTIONS is then applied on top
 * (so CI can change a policy without a rebuild; a bad value there is an
 * error). TSan's own flags come from GORACE, as in Go.
 *
 * On success the initial context is wired to the calling thread, the main
 * task is its current task, and both are returned. Fails with RW_EALREADY
 * on a second call, RW_EINVAL on bad options, RW_ERANGE if the executable
 * was linked as PIE (its image lies outside TSan's application range). */
static inline int rw_init(const rw_options_t *opts, rw_task_t **main_task, rw_proc_t **main_proc);
int rw__init(const char *backend, const rw_options_t *opts, rw_task_t **main_task,
             rw_proc_t **main_proc);

/* The backend the library was built for: "go", "none" or "fiber". */
const char *rw_backend(void);

/* Finish (guarantee 7, seed 000, Go issue 35775): run TSan's finalization,
 * which runs exit-time code, prints the summary and exits the process with
 * TSan's status (66 after a race by default).
 *
 * Runs once. A second caller on another thread blocks forever, since the
 * first is exiting the process. A second call on the finalizing thread
 * itself (an atexit handler or destructor run by TSan's exit) would wait
 * for itself: it finishes that exit instead, with TSan's status (glibc
 * runs the remaining exit handlers), so the process always ends.
 * The finalizing thread first gives up its context, then marks itself as
 * in external code (rw_ext_enter: it waits while a suspender holds it), so
 * the runtime's suspender can never suspend it halfway through exit, the
 * deadlock of seed 000. From then on every annotation on every thread is
 * dropped and counted (rw_stats), never passed to a TSan that is exiting;
 * one already inside TSan when finalization begins completes. So are the
 * TSan calls of rw_task_start/end, rw_proc_create/destroy, rw_map_heap and
 * the _for annotations: those calls still succeed (a task is still made
 * or marked ended), so the runtime's other threads wind down without
 * errors. TSan itself runs on the fallback context. */
__attribute__((noreturn)) void rw_fini(void);

/* Number of races TSan has reported so far. Needs no context. */
uint64_t rw_report_count(void);

typedef struct rw_stats {
	uint64_t dropped;    /* annotations dropped: policy drop, before
	                      * rw_init, or after finalization began */
	uint64_t borrowed;   /* annotations run on the fallback context */
	uint64_t violations; /* annotations made with no wired context */
} rw_stats_t;
void rw_stats(rw_stats_t *out); /* out NULL: nothing, rw_last_error says so */

/* ---- Processor contexts (guarantee 1; seed 001) ------------------------- */

/* Create a context (one per runtime processor P). It starts unwired. */
int rw_proc_create(rw_proc_t **out);

/* Destroy an unwired context. RW_EBUSY if wired (the message names the
 * owner), RW_EALREADY if destroyed before, RW_EPERM for P0 (TSan binds its
 * initial Processor to its own init state for good, as Go's P0 keeps it). The memory is kept, so a later
 * misuse of the pointer is diagnosed rather than undefined. */
int rw_proc_destroy(rw_proc_t *p);

/* Wire p to the calling thread: an atomic ownership change. RW_EBUSY if p
 * is wired to another thread or this thread already has a context,
 * RW_ENOENT if p was destroyed. The ownership change is an acquire, so the
 * new owner sees all that the previous owner did with p. */
int rw_proc_wire(rw_proc_t *p);

/* Unwire p from the calling thread (a release). RW_EPERM if the calling
 * thread does not own p; the message names the owner. */
int rw_proc_unwire(rw_proc_t *p);

/* The context wired to the calling thread, or NULL. */
rw_proc_t *rw_proc_current(void);

/* A context's number as used in messages (P0 is the initial one). */
unsigned rw_proc_id(const rw_proc_t *p);

/* ---- Tasks --------------------------------------------------------------- */

/* Start a task whose creation happens-after everything parent did so far.
 * pc is where it was created (shown in reports). Needs a wired context.
 * parent may be NULL for a task with no creator in the runtime (a callback
 * arriving on a foreign thread): it is then a child of TSan's initial
 * context, and nothing the runtime did happens-before it. */
int rw_task_start(rw_task_t *parent, uintptr_t pc, rw_task_t **out);

/* End a task. Needs a wired context. Ending the calling thread's current
 * task switches the thread to none first. Refused with RW_EBUSY while the
 * task is current on another thread, pinned by a callback that has not
 * exited, or held by another thread for a TSan call on its behalf (the
 * message names the thread). TSan's state for the task is freed; the
 * handle's memory is kept (about 48 bytes, as Go keeps every g), so any
 * later use of it (rw_task_switch, rw_task_start with it as parent, the
 * _for annotations, a second rw_task_end) is RW_ENOENT naming the task,
 * never a use of freed memory. */
int rw_task_end(rw_task_t *t);

/* Make t the calling thread's current task (NULL: none), as the scheduler
 * switches tasks. RW_EBUSY if t is current on another thread: one task's
 * TSan state must never be driven by two threads at once. RW_ENOENT if t
 * has ended. An acquire owed by a foreign call or callback (below) belongs
 * to its task: it leaves with the task and fires when that task next runs
 * with a context wired, on whatever thread, never on another task. */
int rw_task_switch(rw_task_t *t);

/* The calling thread's current task, or NULL. */
rw_task_t *rw_task_current(void);

/* A task's number as used in messages (T1 is the main task). */
unsigned rw_task_id(const rw_task_t *t);


/* ---- Threads -------------------------------------------------------------- */

typedef struct rw_thread rw_thread_t; /* an M: a thread known to racewire */

/* The calling thread's handle, registering it (M1, M2, ...) on first use.
 * Its memory is kept after the thread exits (about 40 bytes per thread):
 * rw_suspend_begin or rw_suspend_end on the handle of a thread that has
 * exited is RW_ENOENT ("M3 has exited"), never a write into reused memory.
 * A runtime should still stop suspending a thread before it lets it exit,
 * as Go removes an M from allm. */
rw_thread_t *rw_thread_self(void);

/* A thread's number as used in messages (the N of "MN"). */
unsigned rw_thread_id(const rw_thread_t *t);

/* ---- Foreign calls (guarantee 2; seeds 001 and 003) -----------------------
 *
 * Bracket every call from a task into foreign (C) code that may block or
 * call back: rw_foreign_enter before, rw_foreign_exit after.
 *
 * Enter release-merges a sync object that stands for "whatever foreign
 * code did", pushes an unwind record on the thread, marks the thread as in
 * external code (rw_ext_enter), and unwires the thread's context, handing
 * it to the caller in *released: the runtime may leave it for its monitor
 * to retake (Go's sysmon) and try to take it back afterwards.
 *
 * Exit pops the record, leaves external code, and owes the matching
 * acquire. The acquire fires only while a context is wired: at once if
 * the runtime already wired one, else at the thread's next rw_proc_wire
 * (with a current task). Until then every annotation on the thread is a
 * misuse, diagnosed per the policy, with the held acquire named. This is
 * the reordering Go made for issue 27660: raceacquire after exitsyscall.
 *
 * The owed acquire is the calling task's: if the thread switches to another
 * task before it fires, the task keeps it (see rw_task_switch). Fired on
 * another task, it would order that task after whatever foreign code did
 * and hide its races.
 *
 * Brackets nest (foreign code calls back into the runtime, which calls
 * out again). Exit without enter is RW_EPERM; so is an exit while another
 * task than the one that entered is current (the message names both). */
int rw_foreign_enter(rw_proc_t **released);
int rw_foreign_exit(void);

/* How many foreign brackets the calling thread is inside. */
unsigned rw_foreign_depth(void);

/* ---- Callbacks from foreign code (guarantee 3; seed 002) ------------------
 *
 * When foreign code calls into the runtime, bracket the callback with
 * rw_callback_enter and rw_callback_exit, in the callback's own frame.
 * Enter pins the current task to the calling thread: rw_task_switch
 * refuses to run it on any other thread, and rw_task_pinned_to tells the
 * scheduler where it must stay. Enter also acquires the foreign-call sync
 * object and exit release-merges it, as Go's cgocallbackg does with
 * racecgosync: what foreign code did before calling back happens-before
 * the callback, and the callback happens-before what follows a later
 * foreign call's return. (Enter's acquire, like a foreign call's, waits for
 * a wired context if the thread has none yet.) Register the callback's cleanups with
 * rw_callback_defer: exit runs them (last registered first) while still
 * pinned, then checks that it is on the thread the callback arrived on,
 * and only then unpins. A callback that would return into foreign code on
 * another thread's stack dies with "task T4 moved from M3 to M5 during
 * callback" instead (Go issue 47441: an unlockOSThread that ran before a
 * deferred call, which was a preemption point). */
#define RW_CALLBACK_MAX_CLEANUPS 8
typedef struct rw_callback {
	/* Private: set by rw_callback_enter. The cleanups live in racewire's
	 * per-thread record, not here: an unwind (rw_checkpoint_restore)
	 * runs them after this struct's frame is gone. */
	unsigned m, task, depth;
} rw_callback_t;

int rw_callback_enter(rw_callback_t *cb);
/* RW_ENOMEM past RW_CALLBACK_MAX_CLEANUPS. */
int rw_callback_defer(rw_callback_t *cb, void (*fn)(void *), void *arg);
/* RW_EPERM, naming the case: "no callback to leave", "this callback was
 * never entered on M2 (or has exited already)" (enter seals the struct, so
 * a zeroed or garbage one is never taken for a moved task), or "the
 * innermost transition is not this callback". */
int rw_callback_exit(rw_callback_t *cb);

/* The M number a task is pinned to, or 0. */
unsigned rw_task_pinned_to(const rw_task_t *t);

/* ---- Foreign threads (guarantee 4; seed 004) ------------------------------
 *
 * A thread that foreign code created and that calls into the runtime must
 * be attached first and detached when it leaves for good (Go's needm and
 * dropm). Both transitions run with every signal blocked; setup and
 * teardown (the runtime's own per-thread work: its M, a signal stack) run
 * inside, and the thread's own signal mask is restored after each.
 *
 * rw_thread_is_attached() is for signal handlers: it is async-signal-safe
 * and is true only between the end of attach and the start of detach, so
 * a handler never sees half-built state (Go issue 12277: a signal during
 * needm found a g installed but the signal stack not yet set up). */
/* Room for a kernel-sized sigset_t without <signal.h>'s feature macros
 * (shim/attach.c checks that it fits). */
#define RW__SIGSET_WORDS (128 / sizeof(unsigned long))

typedef struct rw_attach {
	unsigned long saved_mask[RW__SIGSET_WORDS]; /* private: the mask before attach */
	int attached;                               /* private */
} rw_attach_t;

int rw_thread_attach(rw_attach_t *a, int (*setup)(void *arg), void *arg);
/* RW_EPERM with an rw_attach_t that another thread attached with (its
 * saved signal mask is that thread's), or when not attached. */
int rw_thread_detach(rw_attach_t *a, void (*teardown)(void *arg), void *arg);
int rw_thread_is_attached(void);

/* ---- Unwinding (guarantee 5; seed 003) ------------------------------------
 *
 * A panic or longjmp from inner runtime code across foreign frames to an
 * outer runtime frame skips every transition in between. Take a checkpoint
 * at the outer frame (where the recover or setjmp is); after the jump,
 * restore it on the same thread. Restore puts back what the skipped frames
 * would have undone: it pops the unwind records (a skipped foreign bracket
 * leaves external code and owes its acquire; a skipped callback runs its
 * pending cleanups and unpins), restores the signal mask, calls TSan's
 * func-exit once for every frame entered since the checkpoint (so report
 * stacks stay right and TSan's shadow stack does not grow with each
 * panic), and wires the checkpoint's context again if the thread has none
 * (RW_EBUSY if another thread holds it: wire another, the owed acquire
 * fires then). Restoring on another thread, on another task, or a
 * checkpoint deeper than the current state is RW_EPERM / RW_EINVAL.
 *
 * Fiber backend: TSan checks a longjmp against the jump buffers of its
 * current fiber, at the longjmp itself ("can't find longjmp buf" when the
 * setjmp ran on another fiber). So restore before the longjmp, on the
 * thread that will jump: a checkpoint taken on another task switches that
 * task back in first (claimed like any switch; RW_EBUSY if it is current
 * elsewhere), and the rest of the repair applies to it. */
typedef struct rw_checkpoint {
	/* Private. */
	unsigned m, task, records;
	long func_depth;
	rw_proc_t *proc;
	unsigned long mask[RW__SIGSET_WORDS];
	rw_task_t *fiber; /* the task, for the fiber backend's restore */
} rw_checkpoint_t;

int rw_checkpoint(rw_checkpoint_t *cp);
int rw_checkpoint_restore(const rw_checkpoint_t *cp);

/* ---- Suspension (guarantee 6; seed 000) -----------------------------------
 *
 * Each thread has an external-code word, changed only by compare-and-swap
 * (Go's preemptExtLock). A thread about to run external code that could
 * call exit (foreign calls do this for you; so does rw_fini) takes it with
 * rw_ext_enter, waiting without spinning hot while a suspender holds it,
 * and gives it back with rw_ext_exit. The runtime's suspender (asynchronous
 * preemption, stop-the-world) must call rw_suspend_begin before suspending
 * a thread: RW_EBUSY means the thread is in external code and must be
 * skipped, RW_ENOENT that it is a detached foreign thread (skip it too);
 * 0 means the suspender holds the word, and the thread cannot
 * enter external code until rw_suspend_end. So a thread in exit-time code
 * is never suspended (the ghost-process deadlock of Go issue 35775).
 * A callback (rw_callback_enter) leaves external code for its duration
 * and re-enters it on exit, as Go's cgocallbackg does. */
int rw_ext_enter(void);  /* RW_EALREADY if the thread already holds it */
int rw_ext_exit(void);   /* RW_EPERM if it does not hold it */
/* RW_ENOENT (with a message) for a thread that has exited. A thread may
 * take its own word (a test's shortcut); until its rw_suspend_end, its
 * rw_ext_enter is RW_EBUSY instead of waiting for itself, so a foreign
 * call or rw_fini made meanwhile cannot deadlock it. */
int rw_suspend_begin(rw_thread_t *t);
int rw_suspend_end(rw_thread_t *t); /* RW_EPERM if no suspender held it */

/* ---- Memory -------------------------------------------------------------- */

/* The lowest and the end of the addresses Go-mode TSan can shadow. */
#define RW_APP_MEM_BEGIN 0x000000001000ull
#define RW_APP_MEM_END   0x00e000000000ull

/* Register managed heap memory [addr, addr+size) with TSan. The heap must
 * lie inside the application range and grow upward: a range that starts
 * below the first registered heap range is refused (TSan would leave it
 * without shadow and fault on the first access), and so is one within
 * 128 KiB of the executable's data+bss. Each registration is rounded up to
 * a 128 KiB boundary (TSan's meta-shadow step; unrounded, two adjacent
 * small ranges kill TSan with a CHECK). A range already covered is
 * accepted and does nothing. RW_ERANGE with a message on refusal. */
int rw_map_heap(void *addr, size_t size);

/* ---- Annotations ----------------------------------------------------------
 *
 * The hot path is inline: one thread-local load and one compare, then the
 * TSan call. The thread-local "live" pointer is non-NULL only while the
 * thread owns a wired context and has a current task; otherwise the call
 * goes to the slow path, which applies the policy (rw_policy_t). The
 * address of a single access or sync operation is not checked there: one
 * outside shadowed memory faults inside TSan, unless checked mode
 * (check_access, on by default with the debug runtime) is on, which sends
 * every annotation through the slow path to be checked first.
 *
 * pc arguments are code addresses (TSan symbolizes pc-1, so a return
 * address names the call's line). RW_PC() is a pc inside the function that
 * uses it, for accesses; RW_CALLER_PC() is the call site in the caller, for
 * rw_func_enter, which pushes the caller's frame as Go's racefuncenter does.
 */

/* A return address inside the function that calls it. Not inlined, so
 * that it is one. */
uintptr_t rw_here(void) __attribute__((noinline));
#define RW_PC() rw_here()
#define RW_CALLER_PC() ((uintptr_t)__builtin_return_address(0))

/* Inline, but for the fiber backend in code compiled with -fsanitize=thread,
 * which calls the library's definitions (racewire/backend_fiber.h says
 * why). */
#if defined(RW_BACKEND_FIBER) && defined(__SANITIZE_THREAD__)
#define RW__FAST_PATH_OUT_OF_LINE 1
#elif defined(RW_BACKEND_FIBER) && defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RW__FAST_PATH_OUT_OF_LINE 1
#endif
#endif
#ifdef RW__FAST_PATH_OUT_OF_LINE
#define RW__INLINE
#else
#define RW__INLINE inline
#endif

RW__INLINE void rw_acquire(const void *addr);
RW__INLINE void rw_release(const void *addr);          /* release-store */
RW__INLINE void rw_release_merge(const void *addr);    /* release, merging clocks */
RW__INLINE void rw_release_acquire(const void *addr);  /* release-store, acquire */
RW__INLINE void rw_read(const void *addr, uintptr_t pc);
RW__INLINE void rw_write(const void *addr, uintptr_t pc);
/* Access from a callee: callpc is the call site, pc the access. */
RW__INLINE void rw_read_pc(const void *addr, uintptr_t callpc, uintptr_t pc);
RW__INLINE void rw_write_pc(const void *addr, uintptr_t callpc, uintptr_t pc);
/* Ranges, and the heap calls below, are checked before TSan sees them (not
 * inline: TSan's work for them dwarfs a call): a range outside the memory
 * TSan shadows (data+bss, registered by rw_init, and the rw_map_heap
 * ranges) is refused, never passed on to fault inside TSan. A refused call
 * follows the policy: abort prints a FATAL block naming the call and the
 * registered ranges; borrow and drop drop it, count it (rw_stats) and leave
 * the message in rw_last_error. */
void rw_read_range(const void *addr, size_t size, uintptr_t pc);
void rw_write_range(const void *addr, size_t size, uintptr_t pc);
RW__INLINE void rw_func_enter(uintptr_t pc);
/* Leaves the frame of the last rw_func_enter of the current task. With no
 * such frame (every frame entered on this task has been left) it is
 * refused like a bad range above: TSan's shadow stack is never popped
 * below the task's base. */
RW__INLINE void rw_func_exit(void);
/* A heap block was allocated at p (inside a registered heap range), or is
 * freed. racewire keeps a table of live blocks (16 bytes each): a malloc
 * at the address of a live block (never freed), a free of an address with
 * no block (never allocated), a second free, and a free whose size is not
 * the allocation's are refused as above, naming both sizes. Not detected:
 * a block that starts inside another live block. */
void rw_malloc(const void *p, size_t size, uintptr_t pc);
void rw_free(const void *p, size_t size);

/* Synchronization on behalf of a task that is not running (parked), on the
 * calling thread's context: Go's raceacquireg / racereleaseg, which a
 * channel uses when it hands a value to a waiting goroutine. The task is
 * held for the call, so it cannot start running meanwhile: RW_EBUSY if it
 * is current on another thread, RW_ENOENT if it has ended, RW_ERANGE if addr
 * is not memory TSan shadows (checked always: not the hot path). Not
 * inline: rare, and slower. */
int rw_acquire_for(rw_task_t *t, const void *addr);
int rw_release_for(rw_task_t *t, const void *addr);
int rw_release_merge_for(rw_task_t *t, const void *addr);

/* ---- Atomic operations ----------------------------------------------------
 *
 * A runtime's atomics, performed and recorded as atomic accesses with their
 * memory order, as Go mode's __tsan_go_atomic* record sync/atomic: a load
 * acquires, a store releases, the read-modify-writes and a successful CAS
 * do both (a failed CAS acquires). So a plain rw_read or rw_write racing
 * with one of these is reported, as in Go, and two atomics never race.
 * pc is the caller's (RW_PC()); the report shows the atomic call on top.
 *
 * The operation always happens, whatever the annotation's fate: with no
 * wired context it follows the policy like any annotation, and where the
 * policy drops the record (drop, or after finalization began), the
 * operation is still performed, unrecorded. fetch_* return the old value;
 * cas returns 1 if it swapped. Not inline: TSan's atomic path dwarfs a
 * call. addr must be naturally aligned and in shadowed memory; only checked
 * mode (check_access) checks it: a refused address performs the operation
 * unrecorded. */
uint32_t rw_atomic32_load(const uint32_t *addr, uintptr_t pc);
void rw_atomic32_store(uint32_t *addr, uint32_t val, uintptr_t pc);
uint32_t rw_atomic32_fetch_add(uint32_t *addr, uint32_t delta, uintptr_t pc);
uint32_t rw_atomic32_fetch_and(uint32_t *addr, uint32_t mask, uintptr_t pc);
uint32_t rw_atomic32_fetch_or(uint32_t *addr, uint32_t mask, uintptr_t pc);
uint32_t rw_atomic32_exchange(uint32_t *addr, uint32_t val, uintptr_t pc);
int rw_atomic32_cas(uint32_t *addr, uint32_t old_val, uint32_t new_val, uintptr_t pc);
uint64_t rw_atomic64_load(const uint64_t *addr, uintptr_t pc);
void rw_atomic64_store(uint64_t *addr, uint64_t val, uintptr_t pc);
uint64_t rw_atomic64_fetch_add(uint64_t *addr, uint64_t delta, uintptr_t pc);
uint64_t rw_atomic64_fetch_and(uint64_t *addr, uint64_t mask, uintptr_t pc);
uint64_t rw_atomic64_fetch_or(uint64_t *addr, uint64_t mask, uintptr_t pc);
uint64_t rw_atomic64_exchange(uint64_t *addr, uint64_t val, uintptr_t pc);
int rw_atomic64_cas(uint64_t *addr, uint64_t old_val, uint64_t new_val, uintptr_t pc);

#include "racewire/inline.h"

/* rw_init names the backend the program was compiled for (inline.h). */
static inline int rw_init(const rw_options_t *opts, rw_task_t **main_task, rw_proc_t **main_proc)
{
	return rw__init(RW__BACKEND_NAME, opts, main_task, main_proc);
}

#ifdef __cplusplus
}
#endif

#endif /* RACEWIRE_H */
