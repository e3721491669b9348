/*
 * test_race: programs on the model runtime run as children (TSan decides
 * how a process ends): a racy one is reported with symbolized stacks and
 * exits 66; correct ones (channels, mutex, wait group, once, atomics, a
 * callback on a C thread, close) report nothing and exit 0, on both the
 * release and the debug (internal CHECKs on) TSan runtime.
 */
#include "../integration/child.h"

static void expect_clean(const char *flavor, const char *mode, const char *const *env)
{
	const char *args[] = {mode, NULL};
	struct child c = child_run(flavor, "model_race", args, env, 60);
	cr_assert(!c.timed_out, "%s %s hung:\n%s", flavor, mode, c.out);
	cr_assert(c.exited && c.exit_code == 0, "%s %s: exit %d signal %d:\n%s", flavor, mode,
	          c.exit_code, c.term_signal, c.out);
	cr_assert_eq(count_of(c.out, "WARNING: DATA RACE"), 0, "%s", c.out);
	cr_assert(strstr(c.out, "done"), "%s", c.out);
	free(c.out);
}

static void expect_race(const char *flavor)
{
	const char *args[] = {"race", NULL};
	struct child c = child_run(flavor, "model_race", args, NULL, 60);
	cr_assert(!c.timed_out, "hung:\n%s", c.out);
	cr_assert(c.exited && c.exit_code == 66, "exit %d signal %d:\n%s", c.exit_code,
	          c.term_signal, c.out);
	cr_assert_eq(count_of(c.out, "WARNING: DATA RACE"), 1, "%s", c.out);
	cr_assert(strstr(c.out, "racy_writer_a()"), "%s", c.out);
	cr_assert(strstr(c.out, "racy_writer_b()"), "%s", c.out);
	cr_assert(strstr(c.out, "tests/model/progs/race.c:"), "no file:line:\n%s", c.out);
	cr_assert(strstr(c.out, "main_task()"), "no creation stack:\n%s", c.out);
	free(c.out);
}

Test(race, racy_program_reported, .timeout = 120)
{
	expect_race("release");
}

Test(race, racy_program_reported_debug_runtime, .timeout = 120)
{
	expect_race("debug");
}

static const char *const modes[] = {"chan", "mutex", "wg", "once", "atomic", "cgo", "closed", "churn"};

Test(race, correct_programs_clean, .timeout = 300)
{
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		expect_clean("release", modes[i], NULL);
}

Test(race, correct_programs_clean_debug_runtime, .timeout = 300)
{
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		expect_clean("debug", modes[i], NULL);
}

/* Seed 001's pre-fix ordering with racewire's guards on: the early
 * acquire is held until a P is wired, so nothing breaks. */
Test(race, prefix_foreign_order_guarded_is_safe, .timeout = 300)
{
	const char *env[] = {"MD_UNGUARDED=foreign", NULL};
	for (int i = 0; i < 3; i++)
		expect_clean("debug", "churn", env);
}

/* Seed 002's pre-fix cleanup (a preemption point) with racewire's guard
 * on: the cleanup runs pinned, the callback returns on its thread. */
Test(race, prefix_callback_order_guarded_is_safe, .timeout = 300)
{
	const char *env[] = {"MD_UNGUARDED=callback", NULL};
	for (int i = 0; i < 3; i++)
		expect_clean("release", "cgo", env);
}
