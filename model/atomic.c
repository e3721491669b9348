/*
 * model/atomic.c - md_atomic_*: atomics with the race semantics of Go's
 * sync/atomic in race mode: a load acquires the word's address, a store
 * release-merges it, a read-modify-write does both. The release comes
 * before the operation and the acquire after it, so a load that sees a
 * store's value always acquires that store's release. The words are not
 * reported as plain accesses (two atomic stores never race), so they must
 * not also be accessed with MD_READ/MD_WRITE.
 */
#include "util.h"

int64_t md_atomic_load64(const int64_t *p)
{
	int64_t v = __atomic_load_n(p, __ATOMIC_SEQ_CST);
	RACE(rw_acquire(p));
	return v;
}

void md_atomic_store64(int64_t *p, int64_t v)
{
	RACE(rw_release_merge(p));
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

int64_t md_atomic_add64(int64_t *p, int64_t delta)
{
	RACE(rw_release_merge(p));
	int64_t v = __atomic_add_fetch(p, delta, __ATOMIC_SEQ_CST);
	RACE(rw_acquire(p));
	return v;
}

int md_atomic_cas64(int64_t *p, int64_t old, int64_t new_)
{
	RACE(rw_release_merge(p));
	int ok = __atomic_compare_exchange_n(p, &old, new_, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	RACE(rw_acquire(p));
	return ok;
}

int64_t md_atomic_swap64(int64_t *p, int64_t v)
{
	RACE(rw_release_merge(p));
	int64_t old = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
	RACE(rw_acquire(p));
	return old;
}
