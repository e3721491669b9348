/*
 * model/heap.c - the managed heap at 0xc000000000.
 *
 * Go-mode TSan shadows only [0x1000, 0xe000000000), and gets told where the
 * heap is (rw_map_heap = __tsan_map_shadow): the heap lives at a fixed
 * address (MAP_FIXED_NOREPLACE: never clobber a mapping) and grows upward
 * in chunks, each registered BEFORE its first use (an access to unmapped
 * shadow faults inside TSan). racewire refuses a chunk below the first
 * one, since TSan would leave it without shadow.
 *
 * Allocation: size classes with free lists under one lock (a real runtime
 * has per-P caches; the annotations would be the same). md_alloc annotates
 * rw_malloc (TSan resets the block's shadow: no stale race history from a
 * previous block at that address), md_free annotates rw_free (a later
 * access is reported as a use after free); they are in alloc.c, on top of
 * this file's raw blocks. Runtime objects (G's, channel buffers) use the
 * raw blocks directly: heap memory, so usable as sync objects, but not
 * announced as user allocations.
 */
#include "util.h"


#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK ((size_t)64 << 20)
#define NCLASS 12 /* 16 .. 32768 */
#define HDR 16

struct hdr {
	uint32_t cls;   /* class index, or NCLASS for large */
	uint32_t pad;
	uint64_t size;  /* payload size class bytes (large: exact, page-rounded) */
};

struct freeblk {
	struct freeblk *next;
};

static uint32_t heap_lock;
static char *heap_cur, *heap_end;
static struct freeblk *freelist[NCLASS + 1];

static void grow(size_t need)
{
	size_t n = need > CHUNK ? (need + CHUNK - 1) / CHUNK * CHUNK : CHUNK;
	char *want = heap_end ? heap_end : (char *)MD_HEAP_BASE;
	char *p = mmap(want, n, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	if (p != want)
		md__fatal("managed heap: cannot map %zu bytes at %p: %s", n, (void *)want,
		          p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
	/* Register before the first byte is used (and before any annotation
	 * of it). Upward only: contiguous with the previous chunk. */
	RACE(md__rwcheck(rw_map_heap(p, n), "rw_map_heap"));
	if (!heap_cur)
		heap_cur = p;
	heap_end = p + n;
}

void md__heap_init(void)
{
	grow(CHUNK);
}

static unsigned class_of(size_t size, size_t *csize)
{
	size_t c = 16;
	for (unsigned i = 0; i < NCLASS; i++, c <<= 1)
		if (size <= c) {
			*csize = c;
			return i;
		}
	*csize = (size + 4095) & ~(size_t)4095;
	return NCLASS;
}

static void *alloc(size_t size)
{
	size_t csize;
	unsigned cls = class_of(size ? size : 1, &csize);
	md__lock(&heap_lock);
	struct hdr *h = NULL;
	if (cls < NCLASS) {
		if (freelist[cls]) {
			h = (struct hdr *)freelist[cls];
			freelist[cls] = freelist[cls]->next;
		}
	} else {
		/* Large: first fit of an exact size (enough for the model). */
		for (struct freeblk **pp = &freelist[NCLASS]; *pp; pp = &(*pp)->next)
			if (((struct hdr *)*pp)->size == csize) {
				h = (struct hdr *)*pp;
				*pp = (*pp)->next;
				break;
			}
	}
	if (!h) {
		if ((size_t)(heap_end - heap_cur) < csize + HDR)
			grow(csize + HDR);
		h = (struct hdr *)heap_cur;
		heap_cur += csize + HDR;
	}
	md__unlock(&heap_lock);
	h->cls = cls;
	h->size = csize;
	char *p = (char *)h + HDR;
	memset(p, 0, csize);
	return p;
}

void *md__heap_raw(size_t size)
{
	return alloc(size);
}

void md__heap_raw_free(void *p)
{
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	md__lock(&heap_lock);
	((struct freeblk *)h)->next = freelist[h->cls];
	freelist[h->cls] = (struct freeblk *)h;
	md__unlock(&heap_lock);
}

size_t md__heap_size(const void *p)
{
	return ((const struct hdr *)((const char *)p - HDR))->size;
}
