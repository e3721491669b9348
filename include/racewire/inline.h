/*
 * racewire/inline.h - the annotation fast path. Included by racewire.h; not
 * for direct use. Everything named rw__ is private to racewire.
 *
 * The guard on the hot path is one thread-local load and one compare:
 * rw__hot.thr is the TSan ThreadState of the thread's current task, and it
 * is non-NULL only while the thread owns a wired context (and has a task).
 * The shim keeps that invariant at every wire, unwire and task switch, in
 * that order: it clears rw__hot.thr before giving a context up and sets it
 * only after taking one. So a non-NULL value here proves ownership, and the
 * annotation may go straight to TSan. Anything else goes to rw__slow, which
 * applies the no-context policy.
 *
 * rw_fini clears every thread's pointer from the finalizing thread, so the
 * load is atomic (relaxed: still one plain mov on x86-64).
 *
 * These are C99/C11 inline definitions; shim/annotate.c emits the external
 * definitions for calls the compiler chooses not to inline.
 */
#ifndef RACEWIRE_INLINE_H
#define RACEWIRE_INLINE_H

#ifndef RACEWIRE_H
#error "include <racewire.h>, not racewire/inline.h"
#endif

/* The backend's inline half, chosen when the program is compiled, as the
 * library was built (pkg-config's racewire-<backend> says which): the
 * RW__HOT_* calls an allowed annotation makes. rw_init refuses a program
 * compiled for another backend than the library's. */
#if defined(RW_BACKEND_NONE)
#include "backend_none.h"
#elif defined(RW_BACKEND_FIBER)
#include "backend_fiber.h"
#else
#include "backend_go.h"
#endif

struct rw__hot {
	/* TSan ThreadState of the current task; NULL unless this thread owns
	 * a wired context and has a current task. */
	void *thr;
	/* The TSan Processor that the GetProc callback returns for this
	 * thread; NULL unless a context is wired (or borrowed). */
	void *tsan_proc;
	/* Frames entered with rw_func_enter and not left, for the current
	 * task: what rw_checkpoint_restore unwinds. */
	long depth;
};
/* __thread rather than _Thread_local: the same in C and C++ (where an
 * extern thread_local may go through a TLS wrapper call), and
 * initial-exec keeps the load one instruction. */
extern __thread struct rw__hot rw__hot __attribute__((tls_model("initial-exec")));

enum rw__op {
	RW__ACQUIRE,
	RW__RELEASE,
	RW__RELEASE_MERGE,
	RW__RELEASE_ACQUIRE,
	RW__READ,
	RW__WRITE,
	RW__READ_PC,
	RW__WRITE_PC,
	RW__READ_RANGE,
	RW__WRITE_RANGE,
	RW__FUNC_ENTER,
	RW__FUNC_EXIT,
	RW__MALLOC,
	RW__FREE,
};

/* Atomic operations (rw_atomic32_load and friends): performed and recorded. */
enum rw__atomic_op {
	RW__ATOMIC_LOAD,
	RW__ATOMIC_STORE,
	RW__ATOMIC_ADD,
	RW__ATOMIC_AND,
	RW__ATOMIC_OR,
	RW__ATOMIC_EXCHANGE,
	RW__ATOMIC_CAS,
};

/* The annotation slow path: no live ThreadState on this thread. */
void rw__slow(enum rw__op op, const void *addr, uintptr_t a, uintptr_t b);

/* Not inlined for the fiber backend in code compiled with -fsanitize=thread
 * (backend_fiber.h says why): the library's definitions (shim/annotate.c)
 * are called. */
#ifndef RW__FAST_PATH_OUT_OF_LINE

#define RW__LIKELY(x) __builtin_expect(!!(x), 1)
#define RW__LIVE() ((void *)__atomic_load_n(&rw__hot.thr, __ATOMIC_RELAXED))

inline void rw_acquire(const void *addr)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr))
		RW__HOT_ACQUIRE(thr, addr);
	else
		rw__slow(RW__ACQUIRE, addr, 0, 0);
}

inline void rw_release(const void *addr)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr))
		RW__HOT_RELEASE(thr, addr);
	else
		rw__slow(RW__RELEASE, addr, 0, 0);
}

inline void rw_release_merge(const void *addr)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr))
		RW__HOT_RELEASE_MERGE(thr, addr);
	else
		rw__slow(RW__RELEASE_MERGE, addr, 0, 0);
}

inline void rw_release_acquire(const void *addr)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr))
		RW__HOT_RELEASE_ACQUIRE(thr, addr);
	else
		rw__slow(RW__RELEASE_ACQUIRE, addr, 0, 0);
}

inline void rw_read(const void *addr, uintptr_t pc)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr))
		RW__HOT_READ(thr, addr, pc);
	else
		rw__slow(RW__READ, addr, pc, 0);
}

inline void rw_write(const void *addr, uintptr_t pc)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr))
		RW__HOT_WRITE(thr, addr, pc);
	else
		rw__slow(RW__WRITE, addr, pc, 0);
}

inline void rw_read_pc(const void *addr, uintptr_t callpc, uintptr_t pc)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr))
		RW__HOT_READ_PC(thr, addr, callpc, pc);
	else
		rw__slow(RW__READ_PC, addr, callpc, pc);
}

inline void rw_write_pc(const void *addr, uintptr_t callpc, uintptr_t pc)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr))
		RW__HOT_WRITE_PC(thr, addr, callpc, pc);
	else
		rw__slow(RW__WRITE_PC, addr, callpc, pc);
}

inline void rw_func_enter(uintptr_t pc)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr)) {
		RW__HOT_FUNC_ENTER(thr, pc);
		rw__hot.depth++;
	}
	else
		rw__slow(RW__FUNC_ENTER, 0, pc, 0);
}

/* The frame count is checked here, not only in the slow path: a func-exit
 * past the task's base would pop TSan's shadow stack below its start
 * (silent corruption in the release runtime, a CHECK in the debug one).
 * The count is the one this path keeps anyway, so the check is a compare
 * on a value it loads to decrement. */
inline void rw_func_exit(void)
{
	void *thr = RW__LIVE();
	if (RW__LIKELY(thr && rw__hot.depth > 0)) {
		RW__HOT_FUNC_EXIT(thr);
		rw__hot.depth--;
	}
	else
		rw__slow(RW__FUNC_EXIT, 0, 0, 0);
}

#undef RW__LIKELY
#undef RW__LIVE
#endif /* RW__FAST_PATH_OUT_OF_LINE */

#endif /* RACEWIRE_INLINE_H */
