/*
 * racewire/backend_go.h - the Go-mode backend's inline half: the hot calls
 * of compiler-rt's lib/tsan/go ABI, which the fast path makes directly once
 * its guard passed. Included by racewire/inline.h; not for direct use.
 *
 * The prototypes carry private names bound to TSan's symbols with asm
 * labels, so that TSan's own names stay out of the user's namespace: C/C++
 * TSan declares __tsan_acquire(void *), Go mode __tsan_acquire(thr, addr),
 * and a program may include either.
 */
#ifndef RACEWIRE_BACKEND_GO_H
#define RACEWIRE_BACKEND_GO_H

#define RW__BACKEND_NAME "go"

void rw__go_read(void *thr, void *addr, void *pc) __asm__("__tsan_read");
void rw__go_write(void *thr, void *addr, void *pc) __asm__("__tsan_write");
void rw__go_read_pc(void *thr, void *addr, uintptr_t callpc, uintptr_t pc)
	__asm__("__tsan_read_pc");
void rw__go_write_pc(void *thr, void *addr, uintptr_t callpc, uintptr_t pc)
	__asm__("__tsan_write_pc");
void rw__go_read_range(void *thr, void *addr, uintptr_t size, uintptr_t pc)
	__asm__("__tsan_read_range");
void rw__go_write_range(void *thr, void *addr, uintptr_t size, uintptr_t pc)
	__asm__("__tsan_write_range");
void rw__go_func_enter(void *thr, void *pc) __asm__("__tsan_func_enter");
void rw__go_func_exit(void *thr) __asm__("__tsan_func_exit");
void rw__go_malloc(void *thr, uintptr_t pc, uintptr_t p, uintptr_t size) __asm__("__tsan_malloc");
void rw__go_free(uintptr_t p, uintptr_t size) __asm__("__tsan_free");
void rw__go_acquire(void *thr, void *addr) __asm__("__tsan_acquire");
void rw__go_release(void *thr, void *addr) __asm__("__tsan_release");
void rw__go_release_merge(void *thr, void *addr) __asm__("__tsan_release_merge");
void rw__go_release_acquire(void *thr, void *addr) __asm__("__tsan_release_acquire");

#define RW__HOT_ACQUIRE(thr, addr) rw__go_acquire((thr), (void *)(addr))
#define RW__HOT_RELEASE(thr, addr) rw__go_release((thr), (void *)(addr))
#define RW__HOT_RELEASE_MERGE(thr, addr) rw__go_release_merge((thr), (void *)(addr))
#define RW__HOT_RELEASE_ACQUIRE(thr, addr) rw__go_release_acquire((thr), (void *)(addr))
#define RW__HOT_READ(thr, addr, pc) rw__go_read((thr), (void *)(addr), (void *)(pc))
#define RW__HOT_WRITE(thr, addr, pc) rw__go_write((thr), (void *)(addr), (void *)(pc))
#define RW__HOT_READ_PC(thr, addr, callpc, pc) rw__go_read_pc((thr), (void *)(addr), (callpc), (pc))
#define RW__HOT_WRITE_PC(thr, addr, callpc, pc) \
	rw__go_write_pc((thr), (void *)(addr), (callpc), (pc))
#define RW__HOT_READ_RANGE(thr, addr, size, pc) \
	rw__go_read_range((thr), (void *)(addr), (size), (pc))
#define RW__HOT_WRITE_RANGE(thr, addr, size, pc) \
	rw__go_write_range((thr), (void *)(addr), (size), (pc))
#define RW__HOT_FUNC_ENTER(thr, pc) rw__go_func_enter((thr), (void *)(pc))
#define RW__HOT_FUNC_EXIT(thr) rw__go_func_exit(thr)
#define RW__HOT_MALLOC(thr, p, size, pc) rw__go_malloc((thr), (pc), (uintptr_t)(p), (size))
/* __tsan_free takes no ThreadState, but it asks GetProc for the caller's
 * Processor, so it needs the same proof of ownership as the rest. */
#define RW__HOT_FREE(thr, p, size) ((void)(thr), rw__go_free((uintptr_t)(p), (size)))

#endif /* RACEWIRE_BACKEND_GO_H */
