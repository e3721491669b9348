/*
 * model/once.c - md_once: fn runs once; every md_once_do that returns
 * happens-after it (Go's sync.Once: an atomic load of done, which race mode
 * treats as an acquire, and the slow path under a mutex).
 */
#include "util.h"

void md_once_do(md_once_t *o, void (*fn)(void *), void *arg)
{
	if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE)) {
		RACE(rw_acquire(o));
		return;
	}
	md_mutex_lock(&o->m);
	if (!o->done) {
		fn(arg);
		RACE(rw_release(o));
		__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	}
	md_mutex_unlock(&o->m);
}
