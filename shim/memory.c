/*
 * shim/memory.c - what TSan shadows, and the heap blocks it was told of:
 * the checks that stand between a runtime's memory annotations and a
 * fault or a CHECK inside TSan.
 *
 * Go-mode TSan believes every address it is given. An access outside the
 * memory it shadows (data+bss, registered at rw_init, and the heap ranges
 * of rw_map_heap) reads unmapped shadow and faults inside TSan, far from
 * the annotation. A block allocated twice at one address trips a DCHECK in
 * the debug runtime (MetaMap::AllocBlock: the meta cell must be empty) and
 * leaks a block descriptor in the release one; a free of the wrong size
 * clears sync objects of neighbouring memory, or leaves the block's own.
 * So rw_malloc, rw_free and the range annotations check, before TSan sees
 * the call, that the range is shadowed, and the two heap calls keep a table
 * of live blocks. Single reads and writes are checked only in the opt-in
 * checked mode (check_access, see shim/annotate.c): their fast path stays
 * one thread-local load and one compare.
 */
#include "internal.h"

#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- Shadowed ranges ------------------------------------------------------
 * Append-only: a range, once registered, is never removed (TSan never
 * unmaps shadow either). Writers hold the heap lock (heap.c); readers take
 * no lock: they read n with acquire, and every range below n is complete. */
#define MAX_RANGES 256

static struct range {
	uintptr_t begin, end;
} ranges[MAX_RANGES];
static _Atomic unsigned nranges;

void rw__mem_add_range(uintptr_t begin, uintptr_t end)
{
	unsigned n = atomic_load_explicit(&nranges, memory_order_relaxed);
	/* The heap grows upward in adjacent steps: extend the last range
	 * rather than use a slot. Published by the store of end alone, which
	 * a reader sees whole or not at all. */
	if (n > 1 && begin >= ranges[n - 1].begin && begin <= ranges[n - 1].end) {
		__atomic_store_n(&ranges[n - 1].end, end, __ATOMIC_RELEASE);
		return;
	}
	if (n == MAX_RANGES) {
		/* Not checked past this: better to let a later access through
		 * than to refuse memory TSan does shadow. */
		ranges[n - 1].end = end > ranges[n - 1].end ? end : ranges[n - 1].end;
		return;
	}
	ranges[n].begin = begin;
	ranges[n].end = end;
	atomic_store_explicit(&nranges, n + 1, memory_order_release);
}

int rw__mem_shadowed(uintptr_t addr, size_t size)
{
	uintptr_t end = addr + (size ? size : 1);
	if (end < addr)
		return 0;
	unsigned n = atomic_load_explicit(&nranges, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (addr >= ranges[i].begin && end <= __atomic_load_n(&ranges[i].end, __ATOMIC_ACQUIRE))
			return 1;
	return 0;
}

/* "data+bss [a, b), heap [c, d)": what the message says is shadowed. */
int rw__mem_describe(char *buf, size_t len)
{
	unsigned n = atomic_load_explicit(&nranges, memory_order_acquire);
	int o = 0;
	for (unsigned i = 0; i < n && o >= 0 && (size_t)o < len; i++)
		o += snprintf(buf + o, len - (size_t)o, "%s%s [0x%" PRIxPTR ", 0x%" PRIxPTR ")",
		              i ? ", " : "", i ? "heap" : "data+bss", ranges[i].begin,
		              __atomic_load_n(&ranges[i].end, __ATOMIC_ACQUIRE));
	if (n == 0)
		o = snprintf(buf, len, "nothing (rw_init has not run)");
	return o;
}

/* ---- Live blocks ----------------------------------------------------------
 * A hash of the blocks rw_malloc announced and rw_free has not taken back,
 * split into stripes by address so that threads allocating different
 * blocks rarely meet on a lock. Open addressing; a freed block stays as a
 * tombstone (its size kept) until its slot is reused or the stripe grows,
 * so a second free of it is named as such. Memory: 16 bytes per live
 * block, about what TSan's own block descriptor takes. */
#define STRIPES 64 /* stripe_of takes 6 bits */
#define FREED ((size_t)1 << 63) /* in size: a tombstone */

struct slot {
	uintptr_t addr; /* 0: empty */
	size_t size;    /* with FREED: freed, this was its size */
};

/* Each stripe's lock is a word, not a mutex: held for a probe or two, and
 * a runtime calls rw_malloc on every allocation. Zero-initialized, so no
 * set-up call sits on that path. */
static struct stripe {
	_Atomic int lock;
	struct slot *slots;
	size_t cap, used; /* used counts live blocks and tombstones */
	char pad[64 - sizeof(int) - sizeof(void *) - 2 * sizeof(size_t)];
} stripes[STRIPES];

static void lock(struct stripe *s)
{
	for (unsigned spins = 0; atomic_exchange_explicit(&s->lock, 1, memory_order_acquire);) {
		while (atomic_load_explicit(&s->lock, memory_order_relaxed))
			if (++spins % 64 == 0)
				sched_yield();
			else
				__builtin_ia32_pause();
	}
}

static void unlock(struct stripe *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

/* Fibonacci hashing on the 8-byte granule: the top bits pick the stripe,
 * lower ones the slot, so neighbouring blocks spread over both. */
static uint64_t mix(uintptr_t a)
{
	return (uint64_t)(a >> 3) * 0x9E3779B97F4A7C15ull;
}

static size_t hash(uintptr_t a)
{
	return (size_t)(mix(a) >> 20);
}

static struct stripe *stripe_of(uintptr_t a)
{
	return &stripes[mix(a) >> 58]; /* 6 bits: STRIPES */
}

static struct slot *lookup(struct stripe *s, uintptr_t a)
{
	if (!s->cap)
		return NULL;
	for (size_t i = hash(a) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->slots[i].addr == a || s->slots[i].addr == 0)
			return &s->slots[i];
	}
}

/* Double the table, keeping live blocks only: old tombstones go. */
static int grow(struct stripe *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	struct slot *old = s->slots, *fresh = calloc(cap, sizeof *fresh);
	if (!fresh)
		return -1;
	size_t oldcap = s->cap;
	s->slots = fresh;
	s->cap = cap;
	s->used = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].addr && !(old[i].size & FREED)) {
			*lookup(s, old[i].addr) = old[i];
			s->used++;
		}
	}
	free(old);
	return 0;
}

int rw__block_alloc(uintptr_t a, size_t size, size_t *live_size)
{
	struct stripe *s = stripe_of(a);
	lock(s);
	if ((s->used + 1) * 4 > s->cap * 3 && grow(s) < 0) {
		unlock(s);
		return 0; /* no memory for the table: unchecked, not refused */
	}
	struct slot *sl = lookup(s, a);
	if (sl->addr == a && !(sl->size & FREED)) {
		*live_size = sl->size;
		unlock(s);
		return RW_EBUSY;
	}
	if (sl->addr == 0)
		s->used++;
	sl->addr = a;
	sl->size = size & ~FREED;
	unlock(s);
	return 0;
}

int rw__block_free(uintptr_t a, size_t size, size_t *alloc_size)
{
	struct stripe *s = stripe_of(a);
	lock(s);
	struct slot *sl = lookup(s, a);
	int rc = 0;
	if (!sl || sl->addr != a) {
		rc = RW_ENOENT;
	} else if (sl->size & FREED) {
		*alloc_size = sl->size & ~FREED;
		rc = RW_EALREADY;
	} else if (sl->size != (size & ~FREED)) {
		*alloc_size = sl->size;
		rc = RW_EINVAL;
	} else {
		sl->size |= FREED;
	}
	unlock(s);
	return rc;
}

/* ---- The annotations ------------------------------------------------------
 * Out of line: each takes a lock or walks the ranges, which dwarfs a call,
 * and TSan's own work for them (resetting or walking shadow) dwarfs both.
 * A checked call that fails goes to rw__refuse_mem (annotate.c): the FATAL
 * block under the abort policy, else dropped, counted and named. */

static int live_and_shadowed(void *thr, const void *p, size_t size)
{
	return thr && rw__mem_shadowed((uintptr_t)p, size);
}

#define LIVE() ((void *)__atomic_load_n(&rw__hot.thr, __ATOMIC_RELAXED))

void rw_read_range(const void *addr, size_t size, uintptr_t pc)
{
	void *thr = LIVE();
	if (live_and_shadowed(thr, addr, size))
		RW__HOT_READ_RANGE(thr, addr, size, pc);
	else
		rw__slow(RW__READ_RANGE, addr, size, pc);
}

void rw_write_range(const void *addr, size_t size, uintptr_t pc)
{
	void *thr = LIVE();
	if (live_and_shadowed(thr, addr, size))
		RW__HOT_WRITE_RANGE(thr, addr, size, pc);
	else
		rw__slow(RW__WRITE_RANGE, addr, size, pc);
}

/* Before rw_init and after rw_fini began nothing is checked: the call is
 * dropped in rw__slow, as every annotation is then. */
static int checking(void)
{
	return rw__is_inited() && !atomic_load_explicit(&rw__g.finalizing, memory_order_acquire);
}

void rw_malloc(const void *p, size_t size, uintptr_t pc)
{
	if (checking()) {
		if (!rw__mem_shadowed((uintptr_t)p, size)) {
			rw__refuse_mem(RW__MALLOC, p, size, "outside", 0);
			return;
		}
		size_t live = 0;
		if (rw__block_alloc((uintptr_t)p, size, &live) < 0) {
			rw__refuse_mem(RW__MALLOC, p, size, "live", live);
			return;
		}
	}
	void *thr = LIVE();
	if (thr)
		RW__HOT_MALLOC(thr, p, size, pc);
	else
		rw__slow(RW__MALLOC, p, size, pc);
}

void rw_free(const void *p, size_t size)
{
	if (checking()) {
		if (!rw__mem_shadowed((uintptr_t)p, size)) {
			rw__refuse_mem(RW__FREE, p, size, "outside", 0);
			return;
		}
		size_t was = 0;
		int rc = rw__block_free((uintptr_t)p, size, &was);
		if (rc < 0) {
			rw__refuse_mem(RW__FREE, p, size,
			               rc == RW_ENOENT ? "unknown" : rc == RW_EALREADY ? "twice" : "size",
			               was);
			return;
		}
	}
	void *thr = LIVE();
	if (thr)
		RW__HOT_FREE(thr, p, size);
	else
		rw__slow(RW__FREE, p, size, 0);
}
