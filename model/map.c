/*
 * model/map.c - md_map, Go's map as the race detector sees it: the map
 * header is the one race address of the whole table (runtime/map.go:
 * mapaccess racereadpc(h), mapassign and mapdelete racewritepc(h), and the
 * compiler's len(m) reads h.count, the header's first word), plus the key
 * read as an object (raceReadObjectPC) and the value copies the compiler
 * instruments. Buckets are runtime memory: Go does not annotate them.
 *
 * A chained hash table, doubled at load 1: enough for a model.
 */
#include "util.h"

#include <string.h>

struct entry {
	struct entry *next;
	uint64_t hash;
	char kv[]; /* key, then value */
};

struct md_map {
	size_t count; /* first: len(m) reads the header's first word */
	size_t keysize, valsize, nbuckets;
	struct entry **buckets;
	uint32_t lock; /* the model's own safety only: Go's map has none */
};

static uint64_t hash(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

md_map_t *md_map_make(size_t key_size, size_t val_size)
{
	md_map_t *m = md_alloc(sizeof *m);
	m->keysize = key_size;
	m->valsize = val_size;
	m->nbuckets = 8;
	m->buckets = md__heap_raw(m->nbuckets * sizeof *m->buckets);
	return m;
}

static struct entry **find(md_map_t *m, const void *key, uint64_t h)
{
	struct entry **pp = &m->buckets[h % m->nbuckets];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && !memcmp((*pp)->kv, key, m->keysize))
			break;
	return pp;
}

static void grow(md_map_t *m)
{
	size_t n = m->nbuckets * 2;
	struct entry **nb = md__heap_raw(n * sizeof *nb);
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct entry *e = m->buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = nb[e->hash % n];
			nb[e->hash % n] = e;
		}
	md__heap_raw_free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
}

int md_map_get(md_map_t *m, const void *key, void *val)
{
	RACE(rw_read_pc(m, RW_CALLER_PC(), (uintptr_t)md_map_get));
	RACE(if (md__app_mem(key)) rw_read_range(key, m->keysize, RW_CALLER_PC()));
	md__lock(&m->lock);
	struct entry *e = *find(m, key, hash(key, m->keysize));
	if (val) {
		if (e)
			memcpy(val, e->kv + m->keysize, m->valsize);
		else
			memset(val, 0, m->valsize);
	}
	md__unlock(&m->lock);
	if (val)
		RACE(if (md__app_mem(val)) rw_write_range(val, m->valsize, RW_CALLER_PC()));
	return e != NULL;
}

void md_map_set(md_map_t *m, const void *key, const void *val)
{
	RACE(rw_write_pc(m, RW_CALLER_PC(), (uintptr_t)md_map_set));
	RACE(if (md__app_mem(key)) rw_read_range(key, m->keysize, RW_CALLER_PC()));
	RACE(if (md__app_mem(val)) rw_read_range(val, m->valsize, RW_CALLER_PC()));
	uint64_t h = hash(key, m->keysize);
	md__lock(&m->lock);
	struct entry **pp = find(m, key, h);
	if (!*pp) {
		if (m->count >= m->nbuckets) {
			grow(m);
			pp = find(m, key, h);
		}
		struct entry *e = md__heap_raw(sizeof *e + m->keysize + m->valsize);
		e->hash = h;
		memcpy(e->kv, key, m->keysize);
		*pp = e;
		m->count++;
	}
	memcpy((*pp)->kv + m->keysize, val, m->valsize);
	md__unlock(&m->lock);
}

void md_map_delete(md_map_t *m, const void *key)
{
	RACE(rw_write_pc(m, RW_CALLER_PC(), (uintptr_t)md_map_delete));
	RACE(if (md__app_mem(key)) rw_read_range(key, m->keysize, RW_CALLER_PC()));
	md__lock(&m->lock);
	struct entry **pp = find(m, key, hash(key, m->keysize));
	struct entry *e = *pp;
	if (e) {
		*pp = e->next;
		m->count--;
	}
	md__unlock(&m->lock);
	if (e)
		md__heap_raw_free(e);
}

size_t md_map_len(md_map_t *m)
{
	RACE(rw_read(m, RW_CALLER_PC()));
	md__lock(&m->lock);
	size_t n = m->count;
	md__unlock(&m->lock);
	return n;
}

void md_map_range(md_map_t *m, void (*fn)(const void *key, void *val, void *arg), void *arg)
{
	RACE(rw_read_pc(m, RW_CALLER_PC(), (uintptr_t)md_map_range));
	/* Not under the lock: fn may block; it must not change the map. */
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct entry *e = m->buckets[i]; e; e = e->next)
			fn(e->kv, e->kv + m->keysize, arg);
}
