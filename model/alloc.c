/*
 * model/alloc.c - md_alloc and md_free: the managed heap's raw blocks
 * (heap.c) announced to the race detector, and a safe point.
 */
#include "internal.h"

void *md_alloc(size_t size)
{
	char *p = md__heap_raw(size);
	/* The block is new to TSan: its shadow is reset, and reports about it
	 * say "allocated by task N at <caller>". */
	RACE(rw_malloc(p, md__heap_size(p), RW_CALLER_PC()));
	md__check_preempt(); /* a runtime call is a safe point */
	return p;
}

void md_free(void *p)
{
	if (!p)
		return;
	RACE(rw_free(p, md__heap_size(p)));
	md__heap_raw_free(p);
}
