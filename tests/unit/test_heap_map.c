/*
 * rw_map_heap against real TSan: a good heap is mapped and usable, and a
 * bad range is refused with a message instead of a later SEGV in TSan.
 */
#include <criterion/criterion.h>
#include <racewire.h>

#include "start.h"

#include <string.h>
#include <sys/mman.h>

static rw_task_t *main_task;
static rw_proc_t *main_proc;

static void start(void)
{
	unit_init(RW_POLICY_ABORT, -1, &main_task, &main_proc);
}

TestSuite(heap_map, .init = start);

static char *map_at(uintptr_t addr, size_t size)
{
	char *p = mmap((void *)addr, size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	cr_assert_eq(p, (char *)addr);
	return p;
}

Test(heap_map, heap_grows_upward_and_is_usable)
{
	char *h1 = map_at(0xc000000000, 1 << 20);
	cr_assert_eq(rw_map_heap(h1, 1 << 20), 0, "%s", rw_last_error());
	char *h2 = map_at(0xc000100000, 1 << 20);
	cr_assert_eq(rw_map_heap(h2, 1 << 20), 0, "%s", rw_last_error());
	cr_expect_eq(rw_map_heap(h1 + 4096, 4096), 0, "already covered");
	rw_malloc(h2, 64, RW_PC());
	rw_write(h2 + 8, RW_PC());
	rw_free(h2, 64);
	cr_expect_eq(rw_report_count(), 0);
}

Test(heap_map, below_first_heap_is_refused)
{
	char *h1 = map_at(0xc000000000, 1 << 20);
	cr_assert_eq(rw_map_heap(h1, 1 << 20), 0);
	cr_expect_eq(rw_map_heap((void *)0xb000000000, 1 << 20), RW_ERANGE);
	cr_expect(strstr(rw_last_error(), "starts below the first heap range at 0xc000000000"),
	          "%s", rw_last_error());
}

Test(heap_map, outside_application_range_is_refused)
{
	cr_expect_eq(rw_map_heap((void *)0x7f0000000000, 4096), RW_ERANGE);
	cr_expect(strstr(rw_last_error(), "outside TSan's application range"), "%s", rw_last_error());
	static char in_bss[64];
	cr_expect_eq(rw_map_heap(in_bss, sizeof in_bss), RW_ERANGE, "data+bss is not heap");
	cr_expect(strstr(rw_last_error(), "data+bss"), "%s", rw_last_error());
	cr_expect_eq(rw_map_heap((void *)0xc000000000, 0), RW_EINVAL);
}

/* Unrounded, the second call would end in the meta-shadow step the first
 * one already mapped, and TSan would die: CHECK failed: tsan_rtl.cpp
 * "((meta_end)) > ((mapped_meta_end))". */
Test(heap_map, adjacent_small_ranges_do_not_trip_tsan)
{
	char *h = map_at(0xc000000000, 4 << 16);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(rw_map_heap(h + (i << 16), 1 << 16), 0, "%s", rw_last_error());
	rw_malloc(h + (3 << 16), 64, RW_PC());
	rw_write(h + (3 << 16), RW_PC());
	cr_expect_eq(rw_report_count(), 0);
}
