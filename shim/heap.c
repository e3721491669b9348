/*
 * shim/heap.c - registering memory with TSan's shadow.
 *
 * Go-mode TSan (tsan_rtl.cpp MapShadow) takes its first __tsan_map_shadow
 * call as the executable's data+bss and every later call as managed heap,
 * which it maps only upward from the end it has already mapped: a range
 * below the first heap range gets no shadow, and the first access to it
 * faults inside TSan. It checks none of this. We do, and refuse with a
 * message instead of a SEGV later.
 *
 * Its meta shadow (sync objects, heap blocks) is half the size of the
 * memory it describes and is mapped in 64 KiB steps, so in 128 KiB steps of
 * application memory, and each heap call must end in a later step than the
 * one before (CHECK_GT(meta_end, mapped_meta_end), fatal in release builds
 * too). Two adjacent 64 KiB registrations would trip it. So racewire
 * registers every heap range rounded up to the end of its 128 KiB step, and
 * treats a range that ends inside an already registered step as covered.
 */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>

/* Application bytes per 64 KiB of meta shadow: TSan's coarsest step. Two
 * ranges within one step share shadow pages; a heap mapping laid there
 * would replace data's (MAP_FIXED) and lose its sync objects. */
#define META_STEP ((uintptr_t)128 << 10)

static uintptr_t round_down(uintptr_t x) { return x & ~(META_STEP - 1); }
static uintptr_t round_up(uintptr_t x) { return (x + META_STEP - 1) & ~(META_STEP - 1); }

int rw__heap_check(const struct rw__heap_layout *l, uintptr_t addr, size_t size,
                   char *msg, size_t msglen)
{
	uintptr_t end = addr + size;
	if (size == 0) {
		snprintf(msg, msglen, "rw_map_heap(0x%" PRIxPTR ", 0): empty range", addr);
		return RW_EINVAL;
	}
	if (end < addr || addr < RW_APP_MEM_BEGIN || end > RW_APP_MEM_END) {
		snprintf(msg, msglen,
		         "rw_map_heap: [0x%" PRIxPTR ", 0x%" PRIxPTR ") lies outside TSan's application "
		         "range [0x%llx, 0x%llx); put the heap at a fixed address such as 0xc000000000",
		         addr, end, RW_APP_MEM_BEGIN, RW_APP_MEM_END);
		return RW_ERANGE;
	}
	if (l->data_end && round_down(addr) < round_up(l->data_end) &&
	    round_down(l->data_begin) < round_up(end)) {
		snprintf(msg, msglen,
		         "rw_map_heap: [0x%" PRIxPTR ", 0x%" PRIxPTR ") comes within 128 KiB of the "
		         "executable's data+bss [0x%" PRIxPTR ", 0x%" PRIxPTR "), whose shadow it would replace",
		         addr, end, l->data_begin, l->data_end);
		return RW_ERANGE;
	}
	if (l->heap_end && addr < l->heap_begin) {
		snprintf(msg, msglen,
		         "rw_map_heap: [0x%" PRIxPTR ", 0x%" PRIxPTR ") starts below the first heap range "
		         "at 0x%" PRIxPTR "; Go-mode TSan maps heap shadow only upward, so this range "
		         "would have none", addr, end, l->heap_begin);
		return RW_ERANGE;
	}
	if (l->heap_end && end <= l->heap_end)
		return 1;
	return 0;
}

uintptr_t rw__heap_registered_end(uintptr_t addr, size_t size)
{
	return round_up(addr + size);
}

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rw__heap_layout layout;

/* Called once by rw_init, before any heap: TSan's first map_shadow call. */
void rw__map_data(uintptr_t begin, uintptr_t end)
{
	layout.data_begin = begin;
	layout.data_end = end;
	rw__be_map_shadow(begin, end - begin);
	rw__mem_add_range(begin, end);
}

int rw_map_heap(void *addr, size_t size)
{
	if (!rw__is_inited())
		return rw__fail(RW_ENOTINIT, "rw_map_heap: rw_init has not succeeded");
	if (rw__after_fini())
		return 0; /* TSan is finalizing: nothing will use the range */
	/* C/C++ TSan shadows every application address already: nothing to
	 * check or map, but the range is the runtime's heap all the same, so
	 * rw_malloc, rw_free and the range annotations accept it. */
	if (rw__be_caps & RW__BE_ANY_ADDRESS) {
		if (!size)
			return rw__fail(RW_EINVAL, "rw_map_heap(%p, 0): empty range", addr);
		pthread_mutex_lock(&heap_lock);
		rw__mem_add_range((uintptr_t)addr, (uintptr_t)addr + size);
		pthread_mutex_unlock(&heap_lock);
		return 0;
	}
	char msg[sizeof rw__m.err];
	pthread_mutex_lock(&heap_lock);
	int rc = rw__heap_check(&layout, (uintptr_t)addr, size, msg, sizeof msg);
	if (rc == 0) {
		uintptr_t end = rw__heap_registered_end((uintptr_t)addr, size);
		rw__be_map_shadow((uintptr_t)addr, end - (uintptr_t)addr);
		rw__mem_add_range((uintptr_t)addr, end);
		if (!layout.heap_end)
			layout.heap_begin = (uintptr_t)addr;
		layout.heap_end = end;
	}
	pthread_mutex_unlock(&heap_lock);
	if (rc < 0)
		return rw__fail(rc, "%s", msg);
	return 0;
}
