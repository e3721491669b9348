/*
 * shim/atomic.c - atomic operations, performed and recorded as atomic
 * accesses (racewire.h, "Atomic operations").
 *
 * An atomic annotation differs from every other in one way: the program
 * depends on its effect. So whatever the guard decides about recording it,
 * the operation itself always happens; only TSan's record of it is subject
 * to the policy.
 */
#include "internal.h"

/* The atomic's own frame in reports: its entry, as Go passes the
 * sync/atomic function's pc, plus one because TSan symbolizes pc-1. */
#define SELF_PC(fn) ((uintptr_t)&(fn) + 1)

static inline uint64_t atomic_op(enum rw__atomic_op op, unsigned size, void *addr, uint64_t a,
                                 uint64_t b, uintptr_t cpc, uintptr_t pc)
{
	void *thr = __atomic_load_n(&rw__hot.thr, __ATOMIC_RELAXED);
	if (__builtin_expect(thr != NULL, 1))
		return rw__be_atomic(thr, op, size, addr, a, b, cpc, pc);
	return rw__slow_atomic(op, size, addr, a, b, cpc, pc);
}

uint32_t rw_atomic32_load(const uint32_t *addr, uintptr_t pc)
{
	return (uint32_t)atomic_op(RW__ATOMIC_LOAD, 4, (void *)addr, 0, 0, pc,
	                           SELF_PC(rw_atomic32_load));
}

void rw_atomic32_store(uint32_t *addr, uint32_t val, uintptr_t pc)
{
	atomic_op(RW__ATOMIC_STORE, 4, addr, val, 0, pc, SELF_PC(rw_atomic32_store));
}

uint32_t rw_atomic32_fetch_add(uint32_t *addr, uint32_t delta, uintptr_t pc)
{
	return (uint32_t)atomic_op(RW__ATOMIC_ADD, 4, addr, delta, 0, pc,
	                           SELF_PC(rw_atomic32_fetch_add));
}

uint32_t rw_atomic32_fetch_and(uint32_t *addr, uint32_t mask, uintptr_t pc)
{
	return (uint32_t)atomic_op(RW__ATOMIC_AND, 4, addr, mask, 0, pc,
	                           SELF_PC(rw_atomic32_fetch_and));
}

uint32_t rw_atomic32_fetch_or(uint32_t *addr, uint32_t mask, uintptr_t pc)
{
	return (uint32_t)atomic_op(RW__ATOMIC_OR, 4, addr, mask, 0, pc,
	                           SELF_PC(rw_atomic32_fetch_or));
}

uint32_t rw_atomic32_exchange(uint32_t *addr, uint32_t val, uintptr_t pc)
{
	return (uint32_t)atomic_op(RW__ATOMIC_EXCHANGE, 4, addr, val, 0, pc,
	                           SELF_PC(rw_atomic32_exchange));
}

int rw_atomic32_cas(uint32_t *addr, uint32_t old_val, uint32_t new_val, uintptr_t pc)
{
	return (int)atomic_op(RW__ATOMIC_CAS, 4, addr, old_val, new_val, pc,
	                      SELF_PC(rw_atomic32_cas));
}

uint64_t rw_atomic64_load(const uint64_t *addr, uintptr_t pc)
{
	return atomic_op(RW__ATOMIC_LOAD, 8, (void *)addr, 0, 0, pc, SELF_PC(rw_atomic64_load));
}

void rw_atomic64_store(uint64_t *addr, uint64_t val, uintptr_t pc)
{
	atomic_op(RW__ATOMIC_STORE, 8, addr, val, 0, pc, SELF_PC(rw_atomic64_store));
}

uint64_t rw_atomic64_fetch_add(uint64_t *addr, uint64_t delta, uintptr_t pc)
{
	return atomic_op(RW__ATOMIC_ADD, 8, addr, delta, 0, pc, SELF_PC(rw_atomic64_fetch_add));
}

uint64_t rw_atomic64_fetch_and(uint64_t *addr, uint64_t mask, uintptr_t pc)
{
	return atomic_op(RW__ATOMIC_AND, 8, addr, mask, 0, pc, SELF_PC(rw_atomic64_fetch_and));
}

uint64_t rw_atomic64_fetch_or(uint64_t *addr, uint64_t mask, uintptr_t pc)
{
	return atomic_op(RW__ATOMIC_OR, 8, addr, mask, 0, pc, SELF_PC(rw_atomic64_fetch_or));
}

uint64_t rw_atomic64_exchange(uint64_t *addr, uint64_t val, uintptr_t pc)
{
	return atomic_op(RW__ATOMIC_EXCHANGE, 8, addr, val, 0, pc, SELF_PC(rw_atomic64_exchange));
}

int rw_atomic64_cas(uint64_t *addr, uint64_t old_val, uint64_t new_val, uintptr_t pc)
{
	return (int)atomic_op(RW__ATOMIC_CAS, 8, addr, old_val, new_val, pc,
	                      SELF_PC(rw_atomic64_cas));
}
