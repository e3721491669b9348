/*
 * model/pool.c - md_pool, sync.Pool as race mode makes it (sync/pool.go):
 * Put does race.ReleaseMerge(poolRaceAddr(x)) and, one time in four at
 * random, drops x ("randomly drop x on floor to encourage code that
 * relies on getting its own item back to fail"); Get does
 * race.Acquire(poolRaceAddr(x)) for the item it returns. The pool's own
 * bookkeeping is not annotated (Go disables race there). A full pool
 * drops too (Go's has no bound; the model's has 16 slots).
 */
#include "util.h"

/* poolRaceAddr: Go hashes the item's address into a small array of
 * sync words, so unrelated items may share one (only more edges); the
 * model uses the item's address. */
static const void *race_addr(const void *x)
{
	return x;
}

void md_pool_put(md_pool_t *p, void *x)
{
	if (!x)
		return;
	md__lock(&p->lock);
	p->seed = p->seed * 1664525u + 1013904223u;
	int drop = (p->seed >> 16) % 4 == 0 || p->n == (int)(sizeof p->items / sizeof p->items[0]);
	md__unlock(&p->lock);
	if (drop)
		return;
	RACE(rw_release_merge(race_addr(x)));
	md__lock(&p->lock);
	p->items[p->n++] = x;
	md__unlock(&p->lock);
}

void *md_pool_get(md_pool_t *p)
{
	md__lock(&p->lock);
	void *x = p->n ? p->items[--p->n] : NULL;
	md__unlock(&p->lock);
	if (x)
		RACE(rw_acquire(race_addr(x)));
	else if (p->new_fn)
		x = p->new_fn();
	return x;
}
