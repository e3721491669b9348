/*
 * Memory TSan does not shadow, and heap blocks, on the real TSan runtime
 * with the drop policy: each refused call is named in rw_last_error,
 * counted, and never reaches TSan (which would fault or CHECK). The abort
 * policy's FATAL blocks, against both runtimes, are in
 * tests/integration/test_misuse.c.
 */
#include <criterion/criterion.h>

#include "../../shim/internal.h"

#include <string.h>
#include <sys/mman.h>

#define HEAP ((char *)0xc000000000ull)
#define HEAP_SIZE ((size_t)1 << 20)

static rw_task_t *main_task;
static rw_proc_t *p0;
static char *heap;

static void start_with(int check_access)
{
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	o.policy = RW_POLICY_DROP;
	o.check_access = check_access;
	cr_assert_eq(rw_init(&o, &main_task, &p0), 0, "%s", rw_last_error());
	heap = mmap(HEAP, HEAP_SIZE, PROT_READ | PROT_WRITE,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	cr_assert_eq(heap, HEAP);
	cr_assert_eq(rw_map_heap(heap, HEAP_SIZE), 0, "%s", rw_last_error());
}

static void start(void) { start_with(0); }
static void start_checked(void) { start_with(1); }

static uint64_t dropped(void)
{
	rw_stats_t s;
	rw_stats(&s);
	return s.dropped;
}

TestSuite(memory, .init = start);

Test(memory, ranges_outside_the_shadow_are_refused)
{
	char stack[32];
	uint64_t before = dropped();
	rw_read_range(stack, sizeof stack, RW_PC());
	cr_expect(strstr(rw_last_error(), "rw_read_range(0x"), "%s", rw_last_error());
	cr_expect(strstr(rw_last_error(), ", 32) on M1: [0x"), "%s", rw_last_error());
	cr_expect(strstr(rw_last_error(), "is not memory TSan shadows (dropped)"), "%s",
	          rw_last_error());
	rw_write_range(heap + HEAP_SIZE - 8, 16, RW_PC()); /* straddles the heap's end */
	cr_expect(strstr(rw_last_error(), "rw_write_range(0xc0000ffff8, 16)"), "%s", rw_last_error());
	rw_read_range((void *)0x10, 8, RW_PC()); /* below TSan's application range */
	rw_write_range((void *)(UINTPTR_MAX - 4), 16, RW_PC()); /* wraps around */
	cr_expect_eq(dropped() - before, 4);
	rw_write_range(heap, 64, RW_PC()); /* inside: passes */
	static char global[64];
	rw_read_range(global, sizeof global, RW_PC()); /* bss: passes */
	cr_expect_eq(dropped() - before, 4);
	cr_expect_eq(rw_report_count(), 0);
}

Test(memory, heap_calls_outside_the_shadow_are_refused)
{
	char stack[16];
	rw_malloc(stack, sizeof stack, RW_PC());
	cr_expect(strstr(rw_last_error(), "rw_malloc(0x"), "%s", rw_last_error());
	cr_expect(strstr(rw_last_error(), "is not memory TSan shadows"), "%s", rw_last_error());
	rw_free(stack, sizeof stack);
	cr_expect(strstr(rw_last_error(), "rw_free(0x"), "%s", rw_last_error());
}

Test(memory, double_free_is_named)
{
	rw_malloc(heap, 64, RW_PC());
	rw_free(heap, 64);
	rw_free(heap, 64);
	cr_expect_str_eq(rw_last_error(), "rw_free(0xc000000000, 64) on M1: double free: the block "
	                                  "of 64 bytes at 0xc000000000 was freed already (dropped)");
	rw_malloc(heap, 32, RW_PC()); /* the address is reused: a new block */
	rw_free(heap, 32);
	cr_expect_eq(rw_report_count(), 0);
}

Test(memory, free_of_no_block_is_named)
{
	uint64_t before = dropped();
	rw_free(heap + 256, 16);
	cr_expect_str_eq(rw_last_error(), "rw_free(0xc000000100, 16) on M1: no block was allocated "
	                                  "at 0xc000000100 (dropped)");
	cr_expect_eq(dropped() - before, 1);
}

Test(memory, free_of_another_size_is_named)
{
	rw_malloc(heap, 64, RW_PC());
	rw_free(heap, 48);
	cr_expect_str_eq(rw_last_error(), "rw_free(0xc000000000, 48) on M1: the block at "
	                                  "0xc000000000 was allocated with 64 bytes, not 48 (dropped)");
	rw_free(heap, 64); /* the block is still live: the right free works */
	cr_expect_eq(dropped(), 1);
}

Test(memory, malloc_over_a_live_block_is_named)
{
	rw_malloc(heap + 64, 64, RW_PC());
	rw_malloc(heap + 64, 128, RW_PC());
	cr_expect_str_eq(rw_last_error(), "rw_malloc(0xc000000040, 128) on M1: a live block of 64 "
	                                  "bytes is already there (allocated, never freed) (dropped)");
	rw_free(heap + 64, 64);
}

/* Many blocks: the table grows and keeps every live block. */
Test(memory, many_blocks_round_trip)
{
	uint64_t before = dropped();
	for (size_t i = 0; i < 20000; i++)
		rw_malloc(heap + i * 32, 16, RW_PC());
	for (size_t i = 0; i < 20000; i += 2)
		rw_free(heap + i * 32, 16);
	for (size_t i = 1; i < 20000; i += 2)
		rw_free(heap + i * 32, 16);
	cr_expect_eq(dropped(), before, "%s", rw_last_error());
	rw_free(heap + 32, 16);
	cr_expect(strstr(rw_last_error(), "no block was allocated") ||
	          strstr(rw_last_error(), "double free"), "%s", rw_last_error());
}

Test(memory, unbalanced_func_exit_is_refused)
{
	rw_func_enter(RW_PC());
	rw_func_exit();
	cr_expect_eq(rw__hot.depth, 0);
	uint64_t before = dropped();
	rw_func_exit();
	cr_expect_str_eq(rw_last_error(), "rw_func_exit on M1: T1 has no frame to leave (more "
	                                  "rw_func_exit than rw_func_enter) (dropped)");
	cr_expect_eq(dropped() - before, 1);
	cr_expect_eq(rw__hot.depth, 0, "never below the base");
	/* Depth is per task: T2's frames do not pay for T1's exits. */
	rw_task_t *t2;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t2), 0);
	rw_func_enter(RW_PC());
	cr_assert_eq(rw_task_switch(t2), 0);
	rw_func_exit();
	cr_expect_eq(dropped() - before, 2, "T2 entered nothing");
	cr_assert_eq(rw_task_switch(main_task), 0);
	rw_func_exit();
	cr_expect_eq(dropped() - before, 2, "T1's own frame");
}

TestSuite(checked, .init = start_checked);

Test(checked, reads_and_writes_are_checked_before_tsan)
{
	cr_expect_null(rw__hot.thr, "checked mode keeps the inline path closed");
	int local = 0;
	uint64_t before = dropped();
	rw_read(&local, RW_PC());
	cr_expect(strstr(rw_last_error(), "rw_read(0x"), "%s", rw_last_error());
	cr_expect(strstr(rw_last_error(), ", 1) on M1: [0x"), "%s", rw_last_error());
	rw_write_pc(&local, RW_PC(), RW_PC());
	cr_expect(strstr(rw_last_error(), "rw_write_pc(0x"), "%s", rw_last_error());
	uint32_t word = 0;
	cr_expect_eq(rw_atomic32_fetch_add(&word, 2, RW_PC()), 0, "the operation still happens");
	cr_expect_eq(word, 2);
	cr_expect_eq(dropped() - before, 3);
	/* Shadowed memory goes through, and a race there is still seen. */
	rw_task_t *t2;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t2), 0);
	rw_write(heap, RW_PC());
	cr_assert_eq(rw_task_switch(t2), 0);
	rw_write(heap, RW_PC());
	cr_assert_eq(rw_task_switch(main_task), 0);
	cr_expect_eq(dropped() - before, 3);
	cr_expect_eq(rw_report_count(), 1, "the race between T1 and T2 is reported");
	rw_stats_t s;
	rw_stats(&s);
	cr_expect_eq(s.violations, 3, "only the refused calls are violations");
}

Test(checked, no_context_still_follows_the_policy)
{
	cr_assert_eq(rw_proc_unwire(p0), 0);
	uint64_t before = dropped();
	rw_write(heap, RW_PC());
	cr_expect_eq(dropped() - before, 1, "policy drop, as unchecked");
	cr_assert_eq(rw_proc_wire(p0), 0);
	rw_write(heap, RW_PC());
	cr_expect_eq(dropped() - before, 1);
}
