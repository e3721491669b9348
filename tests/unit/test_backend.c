/*
 * The backend seam: the library names its backend, refuses a program
 * compiled for another, and performs atomic operations on every backend
 * (recording them where there is a TSan). Built and run for each backend.
 */
#include <criterion/criterion.h>
#include <racewire.h>

#include "start.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>

static rw_task_t *main_task;
static rw_proc_t *main_proc;

static void start_with(rw_policy_t policy)
{
	unit_init(policy, -1, &main_task, &main_proc);
}

static int is_none(void)
{
	return strcmp(rw_backend(), "none") == 0;
}

Test(backend, names_the_one_it_was_built_for)
{
	cr_expect_str_eq(rw_backend(), RW__BACKEND_NAME);
}

/* A program compiled for one backend and linked with another would have
 * its inline annotations do the wrong thing silently: refused, and the
 * refusal leaves rw_init free to succeed when asked properly. */
Test(backend, mismatch_is_refused_then_init_works)
{
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	rw_task_t *t;
	rw_proc_t *p;
	cr_assert_eq(rw__init("fiber", &o, &t, &p), RW_EINVAL);
	cr_expect(strstr(rw_last_error(), "compiled for racewire's \"fiber\" backend") != NULL, "%s",
	          rw_last_error());
	cr_expect(strstr(rw_last_error(), rw_backend()) != NULL, "%s", rw_last_error());
	cr_assert_eq(rw__init(NULL, &o, &t, &p), RW_EINVAL);
	start_with(RW_POLICY_ABORT);
	cr_expect_eq(rw_proc_current(), main_proc);
}

static uint32_t w32;
static uint64_t w64;

Test(backend, atomics_perform_their_operation)
{
	start_with(RW_POLICY_ABORT);
	uintptr_t pc = RW_PC();
	rw_atomic32_store(&w32, 5, pc);
	cr_expect_eq(rw_atomic32_load(&w32, pc), 5);
	cr_expect_eq(rw_atomic32_fetch_add(&w32, 3, pc), 5);
	cr_expect_eq(rw_atomic32_fetch_and(&w32, 0xc, pc), 8);
	cr_expect_eq(rw_atomic32_fetch_or(&w32, 1, pc), 8);
	cr_expect_eq(rw_atomic32_exchange(&w32, 42, pc), 9);
	cr_expect_eq(rw_atomic32_cas(&w32, 41, 7, pc), 0, "a failed CAS says so");
	cr_expect_eq(w32, 42);
	cr_expect_eq(rw_atomic32_cas(&w32, 42, 7, pc), 1);
	cr_expect_eq(w32, 7);

	rw_atomic64_store(&w64, 1ull << 40, pc);
	cr_expect_eq(rw_atomic64_load(&w64, pc), 1ull << 40);
	cr_expect_eq(rw_atomic64_fetch_add(&w64, 1, pc), 1ull << 40);
	cr_expect_eq(rw_atomic64_fetch_and(&w64, 1, pc), (1ull << 40) + 1);
	cr_expect_eq(rw_atomic64_fetch_or(&w64, 1ull << 50, pc), 1);
	cr_expect_eq(rw_atomic64_exchange(&w64, 3, pc), (1ull << 50) | 1);
	cr_expect_eq(rw_atomic64_cas(&w64, 2, 9, pc), 0);
	cr_expect_eq(rw_atomic64_cas(&w64, 3, 9, pc), 1);
	cr_expect_eq(w64, 9);
	rw_stats_t s;
	rw_stats(&s);
	cr_expect_eq(s.violations, 0);
}

/* The program depends on an atomic's effect: a dropped record still
 * performs it. */
Test(backend, dropped_atomics_still_happen)
{
	start_with(RW_POLICY_DROP);
	cr_assert_eq(rw_proc_unwire(main_proc), 0);
	rw_atomic32_store(&w32, 11, RW_PC());
	cr_expect_eq(rw_atomic32_fetch_add(&w32, 1, RW_PC()), 11);
	cr_expect_eq(rw_atomic64_cas(&w64, 0, 5, RW_PC()), 1);
	cr_expect_eq(w32, 12);
	cr_expect_eq(w64, 5);
	rw_stats_t s;
	rw_stats(&s);
	cr_expect_eq(s.dropped, 3);
	cr_expect_eq(s.violations, 3);
}

/* Every backend keeps the guards: with no context, abort is abort. */
Test(backend, atomics_without_context_follow_the_policy, .signal = SIGABRT)
{
	start_with(RW_POLICY_ABORT);
	cr_assert_eq(rw_proc_unwire(main_proc), 0);
	rw_atomic32_load(&w32, RW_PC());
}

Test(backend, annotations_without_context_abort_on_every_backend, .signal = SIGABRT)
{
	start_with(RW_POLICY_ABORT);
	cr_assert_eq(rw_proc_unwire(main_proc), 0);
	rw_write(&w32, RW_PC());
}

/* With TSan: a plain access racing with an atomic one is a race, two
 * atomics are not, as in Go's race runtime. */
static void two_tasks(rw_task_t **a, rw_task_t **b)
{
	cr_assert_eq(rw_task_start(main_task, RW_PC(), a), 0);
	cr_assert_eq(rw_task_start(main_task, RW_PC(), b), 0);
}

Test(backend, atomic_against_plain_access_is_a_race)
{
	start_with(RW_POLICY_ABORT);
	if (is_none())
		cr_skip_test("the none backend reports no races");
	rw_task_t *a, *b;
	two_tasks(&a, &b);
	cr_assert_eq(rw_task_switch(a), 0);
	rw_atomic32_store(&w32, 1, RW_PC());
	cr_assert_eq(rw_task_switch(b), 0);
	rw_write(&w32, RW_PC());
	cr_expect_eq(rw_report_count(), 1);
	cr_assert_eq(rw_task_switch(main_task), 0);
}

Test(backend, atomics_do_not_race_with_each_other)
{
	start_with(RW_POLICY_ABORT);
	if (is_none())
		cr_skip_test("the none backend reports no races");
	rw_task_t *a, *b;
	two_tasks(&a, &b);
	cr_assert_eq(rw_task_switch(a), 0);
	rw_atomic64_store(&w64, 1, RW_PC());
	rw_atomic32_fetch_add(&w32, 1, RW_PC());
	cr_assert_eq(rw_task_switch(b), 0);
	rw_atomic64_load(&w64, RW_PC());
	rw_atomic32_cas(&w32, 1, 2, RW_PC());
	cr_expect_eq(rw_report_count(), 0);
	cr_assert_eq(rw_task_switch(main_task), 0);
}

/* An atomic store releases and a load that sees it acquires: the plain
 * write before the store happens-before the plain read after the load. */
static uint64_t payload;

Test(backend, atomics_order_plain_accesses)
{
	start_with(RW_POLICY_ABORT);
	if (is_none())
		cr_skip_test("the none backend reports no races");
	rw_task_t *a, *b;
	two_tasks(&a, &b);
	cr_assert_eq(rw_task_switch(a), 0);
	rw_write(&payload, RW_PC());
	rw_atomic32_store(&w32, 1, RW_PC());
	cr_assert_eq(rw_task_switch(b), 0);
	cr_assert_eq(rw_atomic32_load(&w32, RW_PC()), 1);
	rw_read(&payload, RW_PC());
	cr_expect_eq(rw_report_count(), 0);
	cr_assert_eq(rw_task_switch(main_task), 0);
}
