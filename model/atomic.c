/*
 * model/atomic.c - md_atomic_*: atomics with the race semantics of Go's
 * sync/atomic in race mode, where every operation is a call into the race
 * runtime (race_amd64.s -> __tsan_go_atomic32/64_*) that performs it and
 * records an atomic access of the word with its memory order. racewire's
 * rw_atomic* are those calls: the operation and its record are one, so a
 * load that sees a store's value always acquires that store's release,
 * and a plain access of the word unordered with an atomic one is a race.
 *
 * Without race detection the same operations are plain sequentially
 * consistent atomics (what Go's compiler intrinsifies them to).
 */
#include "util.h"

/* Go dereferences the word first: a nil pointer is a recoverable panic. */
#define NILCHECK(p)                                                                 \
	do {                                                                        \
		if (!(p))                                                           \
			md_panic("invalid memory address or nil pointer dereference"); \
	} while (0)


/* The arithmetic is done on the unsigned type (wrapping, as Go's). pc is
 * the caller's: the report shows the atomic call under it. */
#define DEFINE(bits, T)                                                             \
	T md_atomic_load##bits(const T *p)                                          \
	{                                                                           \
		NILCHECK(p);                                                        \
		return (T)rw_atomic##bits##_load((const uint##bits##_t *)p, RW_CALLER_PC()); \
	}                                                                           \
	void md_atomic_store##bits(T *p, T v)                                       \
	{                                                                           \
		NILCHECK(p);                                                        \
		rw_atomic##bits##_store((uint##bits##_t *)p, (uint##bits##_t)v, RW_CALLER_PC()); \
	}                                                                           \
	T md_atomic_add##bits(T *p, T delta)                                        \
	{                                                                           \
		NILCHECK(p);                                                        \
		uint##bits##_t d = (uint##bits##_t)delta;                           \
		return (T)(rw_atomic##bits##_fetch_add((uint##bits##_t *)p, d, RW_CALLER_PC()) + d); \
	}                                                                           \
	int md_atomic_cas##bits(T *p, T old, T new_)                                \
	{                                                                           \
		NILCHECK(p);                                                        \
		return rw_atomic##bits##_cas((uint##bits##_t *)p, (uint##bits##_t)old, \
		                             (uint##bits##_t)new_, RW_CALLER_PC()); \
	}                                                                           \
	T md_atomic_swap##bits(T *p, T v)                                           \
	{                                                                           \
		NILCHECK(p);                                                        \
		return (T)rw_atomic##bits##_exchange((uint##bits##_t *)p, (uint##bits##_t)v, \
		                                     RW_CALLER_PC());               \
	}


DEFINE(32, int32_t)
DEFINE(64, int64_t)
