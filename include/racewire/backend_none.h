/*
 * racewire/backend_none.h - the `none` backend's inline half: guards only,
 * no TSan. Every ownership and transition check still runs (the fast path's
 * guard stays, and a call without a wired context still goes to the slow
 * path and its policy); an allowed annotation does nothing. For a
 * runtime's non-race builds that should still catch its transition bugs.
 * Included by racewire/inline.h; not for direct use.
 */
#ifndef RACEWIRE_BACKEND_NONE_H
#define RACEWIRE_BACKEND_NONE_H

#define RW__BACKEND_NAME "none"

#define RW__HOT_ACQUIRE(thr, addr) ((void)(thr), (void)(addr))
#define RW__HOT_RELEASE(thr, addr) ((void)(thr), (void)(addr))
#define RW__HOT_RELEASE_MERGE(thr, addr) ((void)(thr), (void)(addr))
#define RW__HOT_RELEASE_ACQUIRE(thr, addr) ((void)(thr), (void)(addr))
#define RW__HOT_READ(thr, addr, pc) ((void)(thr), (void)(addr), (void)(pc))
#define RW__HOT_WRITE(thr, addr, pc) ((void)(thr), (void)(addr), (void)(pc))
#define RW__HOT_READ_PC(thr, addr, callpc, pc) ((void)(thr), (void)(addr), (void)(callpc), (void)(pc))
#define RW__HOT_WRITE_PC(thr, addr, callpc, pc) \
	((void)(thr), (void)(addr), (void)(callpc), (void)(pc))
#define RW__HOT_READ_RANGE(thr, addr, size, pc) ((void)(thr), (void)(addr), (void)(size), (void)(pc))
#define RW__HOT_WRITE_RANGE(thr, addr, size, pc) \
	((void)(thr), (void)(addr), (void)(size), (void)(pc))
#define RW__HOT_FUNC_ENTER(thr, pc) ((void)(thr), (void)(pc))
#define RW__HOT_FUNC_EXIT(thr) ((void)(thr))
#define RW__HOT_MALLOC(thr, p, size, pc) ((void)(thr), (void)(p), (void)(size), (void)(pc))
#define RW__HOT_FREE(thr, p, size) ((void)(thr), (void)(p), (void)(size))

#endif /* RACEWIRE_BACKEND_NONE_H */
