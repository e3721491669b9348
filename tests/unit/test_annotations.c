/*
 * Every annotation reaches TSan: each variant is used for one side of a
 * race between two tasks (one thread switching between them: TSan orders
 * by happens-before, not by OS thread), and rw_report_count says whether
 * TSan saw it. The release variants must order what they should.
 */
#include <criterion/criterion.h>
#include <racewire.h>

#include <sys/mman.h>

static rw_task_t *main_task, *a, *b;
static rw_proc_t *p0;
static char *heap;

static void start(void)
{
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	cr_assert_eq(rw_init(&o, &main_task, &p0), 0, "%s", rw_last_error());
	heap = mmap((void *)0xc000000000, 1 << 20, PROT_READ | PROT_WRITE,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	cr_assert_eq(heap, (char *)0xc000000000);
	cr_assert_eq(rw_map_heap(heap, 1 << 20), 0);
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &a), 0);
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &b), 0);
}

TestSuite(annotations, .init = start);

static void as(rw_task_t *t) { cr_assert_eq(rw_task_switch(t), 0, "%s", rw_last_error()); }

Test(annotations, write_range_races_with_a_read_inside_it)
{
	as(a);
	rw_write_range(heap, 64, RW_PC());
	as(b);
	rw_read(heap + 40, RW_PC());
	cr_expect_eq(rw_report_count(), 1);
}

Test(annotations, read_range_races_with_a_write_inside_it)
{
	as(a);
	rw_read_range(heap + 128, 32, RW_PC());
	as(b);
	rw_write(heap + 136, RW_PC());
	cr_expect_eq(rw_report_count(), 1);
}

Test(annotations, pc_variants_race)
{
	as(a);
	rw_write_pc(heap + 256, RW_PC(), RW_PC());
	as(b);
	rw_read_pc(heap + 256, RW_PC(), RW_PC());
	cr_expect_eq(rw_report_count(), 1);
}

Test(annotations, reads_alone_do_not_race)
{
	as(a);
	rw_read(heap + 512, RW_PC());
	rw_read_range(heap + 512, 8, RW_PC());
	as(b);
	rw_read_pc(heap + 512, RW_PC(), RW_PC());
	cr_expect_eq(rw_report_count(), 0);
}

static long sync_word; /* .bss */

/* Each release flavour, then an acquire, orders a write before a read. */
Test(annotations, release_variants_order)
{
	void (*releases[])(const void *) = {rw_release, rw_release_merge, rw_release_acquire};
	for (int i = 0; i < 3; i++) {
		char *x = heap + 1024 + i * 64;
		as(a);
		rw_write(x, RW_PC());
		releases[i](&sync_word);
		as(b);
		rw_acquire(&sync_word);
		rw_read(x, RW_PC());
	}
	cr_expect_eq(rw_report_count(), 0);
}

/* A freed block's shadow is reset: a later owner of the memory does not
 * race with the previous one's accesses. */
Test(annotations, free_resets_the_block)
{
	char *blk = heap + 4096;
	as(a);
	rw_malloc(blk, 64, RW_PC());
	rw_write(blk, RW_PC());
	rw_free(blk, 64);
	as(b);
	rw_malloc(blk, 64, RW_PC());
	rw_write(blk, RW_PC());
	cr_expect_eq(rw_report_count(), 0);
}

Test(annotations, func_enter_exit_balance_the_depth)
{
	as(a);
	rw_func_enter(RW_CALLER_PC());
	rw_func_enter(RW_CALLER_PC());
	cr_expect_eq(rw__hot.depth, 2);
	rw_func_exit();
	rw_func_exit();
	cr_expect_eq(rw__hot.depth, 0);
}
