/*
 * racewire/backend_fiber.h - the fiber backend's inline half: compiler-rt's
 * C/C++ ThreadSanitizer (clang -fsanitize=thread), where a racewire task is
 * a TSan fiber. Included by racewire/inline.h; not for direct use, except
 * for rw_fiber_switch below, which a runtime calls by name.
 *
 * C/C++ TSan keeps the current context (ThreadState) in its own
 * thread-local variable and every entry point acts on it: the "thr" that
 * the fast path loads is only the proof that the calling thread has a
 * current task and a wired context (the guard), never passed to TSan. A
 * task becomes TSan's current context when rw_task_switch (or
 * rw_fiber_switch) makes it the thread's current task.
 *
 * The prototypes carry private names bound to TSan's symbols with asm
 * labels, so that a program may include <sanitizer/tsan_interface.h> too.
 */
#ifndef RACEWIRE_BACKEND_FIBER_H
#define RACEWIRE_BACKEND_FIBER_H

#define RW__BACKEND_NAME "fiber"

/* In code compiled with -fsanitize=thread the annotations are calls into
 * the (uninstrumented) library, not the inline fast path, for two reasons.
 * clang treats a thread-local's address as fixed within a function
 * (llvm.threadlocal.address) and may compute it once: a task that blocks
 * and resumes on another thread would then test the old thread's
 * rw__hot, and annotate through a context that thread may have given
 * away. And TSan would instrument the fast path's own accesses to rw__hot
 * (the frame depth is a plain read-modify-write): with unsynchronized
 * switches (RW_FIBER_NO_SYNC) the fibers that run one after the other on
 * a thread would race on it. Out of line, the thread-local is read afresh
 * at each call, by code TSan does not see. Uninstrumented code (the
 * library, a runtime's own uninstrumented core) keeps the inline path. */
/* (RW__FAST_PATH_OUT_OF_LINE: set in racewire.h, before the
 * declarations.) */

void rw__fib_acquire(void *addr) __asm__("__tsan_acquire");
void rw__fib_release(void *addr) __asm__("__tsan_release");
void rw__fib_read1_pc(void *addr, void *pc) __asm__("__tsan_read1_pc");
void rw__fib_write1_pc(void *addr, void *pc) __asm__("__tsan_write1_pc");
void rw__fib_read_range_pc(void *addr, unsigned long size, void *pc)
	__asm__("__tsan_read_range_pc");
void rw__fib_write_range_pc(void *addr, unsigned long size, void *pc)
	__asm__("__tsan_write_range_pc");
void rw__fib_func_entry(void *pc) __asm__("__tsan_func_entry");
void rw__fib_func_exit(void) __asm__("__tsan_func_exit");

/* C/C++ TSan has one release, which merges clocks: a release-store is
 * recorded as a release (it can only hide a race that a later release by
 * another context would have ordered anyway, never report a false one). */
#define RW__HOT_ACQUIRE(thr, addr) ((void)(thr), rw__fib_acquire((void *)(addr)))
#define RW__HOT_RELEASE(thr, addr) ((void)(thr), rw__fib_release((void *)(addr)))
#define RW__HOT_RELEASE_MERGE(thr, addr) ((void)(thr), rw__fib_release((void *)(addr)))
#define RW__HOT_RELEASE_ACQUIRE(thr, addr) \
	((void)(thr), rw__fib_release((void *)(addr)), rw__fib_acquire((void *)(addr)))
/* rw_read/rw_write are Go mode's one-byte accesses. */
#define RW__HOT_READ(thr, addr, pc) ((void)(thr), rw__fib_read1_pc((void *)(addr), (void *)(pc)))
#define RW__HOT_WRITE(thr, addr, pc) ((void)(thr), rw__fib_write1_pc((void *)(addr), (void *)(pc)))
/* An access from a callee: its call site as a frame of its own. */
#define RW__HOT_READ_PC(thr, addr, callpc, pc)                                    \
	((void)(thr), rw__fib_func_entry((void *)(callpc)),                         \
	 rw__fib_read1_pc((void *)(addr), (void *)(pc)), rw__fib_func_exit())
#define RW__HOT_WRITE_PC(thr, addr, callpc, pc)                                   \
	((void)(thr), rw__fib_func_entry((void *)(callpc)),                         \
	 rw__fib_write1_pc((void *)(addr), (void *)(pc)), rw__fib_func_exit())
#define RW__HOT_READ_RANGE(thr, addr, size, pc) \
	((void)(thr), rw__fib_read_range_pc((void *)(addr), (size), (void *)(pc)))
#define RW__HOT_WRITE_RANGE(thr, addr, size, pc) \
	((void)(thr), rw__fib_write_range_pc((void *)(addr), (size), (void *)(pc)))
#define RW__HOT_FUNC_ENTER(thr, pc) ((void)(thr), rw__fib_func_entry((void *)(pc)))
#define RW__HOT_FUNC_EXIT(thr) ((void)(thr), rw__fib_func_exit())
/* C/C++ TSan exports no way to reset a block's shadow (its malloc
 * interceptor does that for the allocator it intercepts). A runtime's own
 * block is announced as a hand-off instead: a free releases the block's
 * address and the allocation that reuses it acquires, so the new owner is
 * ordered after everything the block's last owner did with it, as if the
 * allocator's lock were visible. */
#define RW__HOT_MALLOC(thr, p, size, pc) \
	((void)(thr), (void)(size), (void)(pc), rw__fib_acquire((void *)(p)))
#define RW__HOT_FREE(thr, p, size) ((void)(thr), (void)(size), rw__fib_release((void *)(p)))

/* ---- Switching fibers ------------------------------------------------------
 *
 * rw_fiber_switch(t, flags) makes t the calling thread's current task
 * (NULL: the thread's own context) and TSan's current fiber: call it
 * immediately before the runtime's own context switch (swapcontext,
 * jump_fcontext, a hand-written stack switch), in the same function. It is
 * rw_task_switch with a choice of flags. RW_FIBER_SYNC (what rw_task_switch
 * does; TSan's own default) makes the switch a happens-before edge from the
 * fiber left to t: what a context-switch library such as Boost.Context
 * means by a switch, and what fibers that share a thread's TLS (errno,
 * racewire's own state) or a stack need. RW_FIBER_NO_SYNC does not (Go
 * mode's meaning of a task switch): races between fibers that ran one
 * after the other on one thread are then reported, and so is every
 * instrumented access to memory they share through the thread.
 * Same errors as rw_task_switch: RW_EBUSY, naming both threads, if t is
 * current on another thread, RW_EPERM if it is pinned elsewhere.
 *
 * Why always inline, and why "immediately before": TSan keeps a shadow call
 * stack per fiber. An instrumented function entered on fiber A pushed its
 * frame on A's shadow stack; if it announces the switch to B and then
 * returns, its func-exit pops B's shadow stack, which never had that frame:
 * B's stack underflows, and the next __tsan_func_entry on B writes below
 * its buffer and crashes (Tencent/flare#197). Announced inline, in the
 * function that performs the real switch, the frame is popped on the fiber
 * that pushed it, when that fiber runs again. So never wrap this call in a
 * helper of your own that returns before the switch; if you must have a
 * helper, make it always_inline too. racewire's own library is not
 * instrumented, so the call inside costs no frame. */
/* The calling thread's own context (the TSan state the thread started
 * with) as a task, for a runtime whose threads run code of their own
 * between fibers (Boost.Fiber's main context on each thread): switch to it
 * to go back to the thread's context with annotations still allowed.
 * Created on first call, which must come while the thread has no task
 * current (RW_EBUSY otherwise); later calls return the same task. It runs
 * on no other thread (rw_task_switch: RW_EPERM) and is never ended
 * (rw_task_end: RW_EPERM: destroying a thread's own context trips a CHECK
 * in TSan's allocator). */
int rw_fiber_thread_task(rw_task_t **out);

/* pthread_exit for a thread that may have a fiber current: switches back
 * to the thread's own context first. TSan intercepts pthread_exit and
 * checks, at the call, that the thread's own context is current (CHECK
 * failed: ... cur_thread_placeholder); racewire cannot wrap it there. A
 * thread that returns from its start routine with a fiber current is
 * switched back by racewire itself (unless guard_wiring=0). */
_Noreturn void rw_fiber_pthread_exit(void *retval);

#define RW_FIBER_SYNC 0u
#define RW_FIBER_NO_SYNC 1u
int rw__task_switch(rw_task_t *t, unsigned flags);
static inline __attribute__((always_inline)) int rw_fiber_switch(rw_task_t *t, unsigned flags)
{
	return rw__task_switch(t, flags);
}

#endif /* RACEWIRE_BACKEND_FIBER_H */
