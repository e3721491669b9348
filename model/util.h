/*
 * model/util.h - the model runtime's leaf utilities: what every part of it
 * uses and what knows nothing of tasks, threads or processors (the fatal
 * exit, racewire error checks, the internal spin lock, futexes, the clock,
 * the managed heap's raw blocks).
 *
 * The dependency graph is one-directional: util.h and its files (util.c,
 * heap.c, atomic.c, once.c, map.c) never include internal.h, the
 * scheduler's structures; internal.h includes util.h.
 */
#ifndef MODEL_UTIL_H
#define MODEL_UTIL_H

#include "model.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Marks the runtime's racewire calls that are race detection proper
 * (annotations, not transitions), so that they can be found at a glance.
 * There is no build without them: the runtime's non-race build links
 * racewire's none backend, which keeps every guard and drops the calls
 * into TSan. */
#define RACE(stmt) do { stmt; } while (0)

/* TSan's Go mode shadows only [0x1000, 0xe000000000): the heap and
 * globals. Copies a caller keeps on a task or C stack are outside it and
 * are not annotated (annotating them would fault inside TSan). */
static inline int md__app_mem(const void *p)
{
	return (uintptr_t)p >= 0x1000 && (uintptr_t)p < 0xe000000000ull;
}

/* util.c */
_Noreturn void md__fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void md__rwcheck(int rc, const char *what);
uint64_t md__nanotime(void);

/* Internal spin lock with sched_yield backoff (runtime objects only; never
 * held across a task switch except by the g0 "unlockf" protocol). */
void md__lock(uint32_t *l);
void md__unlock(uint32_t *l);

void md__futex_wait(_Atomic uint32_t *w, uint32_t val);
void md__futex_wake(_Atomic uint32_t *w, int n);

/* heap.c: blocks of the managed heap, not announced to the race detector
 * (runtime objects: G's, channel buffers, map entries). alloc.c builds
 * md_alloc/md_free on them. */
void md__heap_init(void);
void *md__heap_raw(size_t size);     /* zeroed; never NULL */
void md__heap_raw_free(void *p);
size_t md__heap_size(const void *p); /* the block's usable size */

#endif
