/*
 * What an annotation does with no context wired: abort with a diagnosis,
 * borrow the fallback context, or drop and count. Against real TSan.
 */
#include <criterion/criterion.h>
#include <racewire.h>

#include "start.h"

#include "fatal.h"

#include <signal.h>
#include <sys/mman.h>

static rw_task_t *main_task;
static rw_proc_t *main_proc;

static void start_with(rw_policy_t policy)
{
	unit_init(policy, -1, &main_task, &main_proc);
}

static char sync_word;

static void acquire_unwired(void)
{
	fatal_init_or_die(&main_task, &main_proc); /* policy abort: the default */
	if (rw_proc_unwire(main_proc) != 0)
		_exit(2);
	rw_acquire(&sync_word);
}

Test(policy, abort_is_default_and_aborts, .timeout = 30)
{
	struct fatal r = fatal_run(acquire_unwired);
	expect_fatal(&r, "rw_acquire(");
	expect_line(&r, " on M1 (tid ");
	expect_line(&r, " with no processor context wired\n");
	expect_line(&r, "racewire:   task: T1\n");
	expect_line(&r, "racewire:   last context on this thread: P0, now free (previous owner M1)\n");
	expect_line(&r, "racewire:   policy: abort ");
	expect_line(&r, "(seed 001, Go issue 27660)");
	free(r.err);
}

static void release_without_task(void)
{
	fatal_init_or_die(&main_task, &main_proc);
	if (rw_task_switch(NULL) != 0)
		_exit(2);
	rw_release(&sync_word);
}

Test(policy, abort_without_task, .timeout = 30)
{
	struct fatal r = fatal_run(release_without_task);
	expect_fatal(&r, "rw_release(");
	expect_line(&r, " on M1 (tid ");
	expect_line(&r, " with no current task\n");
	expect_line(&r, "racewire:   hint: call rw_task_switch(task) ");
	free(r.err);
}

Test(policy, drop_counts_and_skips)
{
	start_with(RW_POLICY_DROP);
	cr_assert_eq(rw_proc_unwire(main_proc), 0);
	rw_acquire(&sync_word);
	rw_release(&sync_word);
	rw_write(&sync_word, RW_PC());
	rw_stats_t s;
	rw_stats(&s);
	cr_expect_eq(s.dropped, 3);
	cr_expect_eq(s.violations, 3);
	cr_expect_eq(s.borrowed, 0);
	rw_task_t *t;
	cr_expect_eq(rw_task_start(main_task, RW_PC(), &t), RW_EPERM,
	             "a task start cannot be silently dropped");
}

/* Borrowed annotations really reach TSan: a race through the fallback is
 * reported like any other. */
Test(policy, borrow_runs_on_fallback_and_sees_races)
{
	start_with(RW_POLICY_BORROW);
	char *heap = mmap((void *)0xc000000000, 1 << 20, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	cr_assert_eq(heap, (void *)0xc000000000);
	cr_assert_eq(rw_map_heap(heap, 1 << 20), 0, "%s", rw_last_error());
	rw_task_t *a, *b;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &a), 0);
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &b), 0);
	cr_assert_eq(rw_proc_unwire(main_proc), 0);

	cr_assert_eq(rw_task_switch(a), 0);
	rw_write(heap, RW_PC());
	cr_assert_eq(rw_task_switch(b), 0);
	rw_write(heap, RW_PC());
	rw_stats_t s;
	rw_stats(&s);
	cr_expect_eq(s.borrowed, 2);
	cr_expect_eq(s.dropped, 0);
	cr_expect_eq(rw_report_count(), 1, "the race between a and b was reported");
	cr_expect_null(rw_proc_current(), "borrowing leaves nothing wired");
	cr_assert_eq(rw_task_switch(main_task), 0);
	cr_expect_eq(rw_task_end(a), 0, "task end borrows too: %s", rw_last_error());
}
