/*
 * tests/fiber/test_boost_fiber.c - Boost.Fiber's work-stealing scheduler
 * (Debian's 1.74, not rebuilt) under clang-19's TSan with
 * integrations/boost-fiber linked in: the correctly synchronized program
 * reports nothing, crashes never, and its fibers do migrate; the racy one
 * reports its race with both stacks at file:line; the same program linked
 * as packaged fails. Each run takes seconds: 200-run figures come from
 * racewire-stress (integrations/boost-fiber/README.md), not from here.
 */
#include "fiber_child.h"

static struct child run(const char *prog, double timeout_s)
{
	const char *env[] = {symbolizer_env(), NULL};
	return child_run("fiber", prog, NULL, env, timeout_s);
}

Test(boost_fiber, work_stealing_reports_nothing, .timeout = 200)
{
	int migrated_runs = 0;
	for (int i = 0; i < 3; i++) {
		struct child c = run("boost_work_stealing", 60);
		cr_assert(c.exited && c.exit_code == 0, "run %d: exit %d signal %d timeout %d:\n%s", i,
		          c.exit_code, c.term_signal, c.timed_out, c.out);
		cr_assert(strstr(c.out, "ThreadSanitizer") == NULL, "run %d:\n%s", i, c.out);
		cr_assert(strstr(c.out, "work_stealing: 4 threads, 200 fibers x 20 rounds") != NULL,
		          "%s", c.out);
		cr_assert(strstr(c.out, "total right") != NULL, "%s", c.out);
		/* "N fibers ran on more than one thread", N > 0: they migrated. */
		const char *m = strstr(c.out, "rounds, ");
		migrated_runs += m && atoi(m + strlen("rounds, ")) > 0;
	}
	cr_expect(migrated_runs > 0, "no fiber migrated in 3 runs");
}

Test(boost_fiber, racy_variant_reports_the_race, .timeout = 100)
{
	struct child c = run("boost_work_stealing_racy", 90);
	cr_expect(c.exited && c.exit_code == 66, "exit %d signal %d:\n%s", c.exit_code,
	          c.term_signal, c.out);
	cr_expect(count_of(c.out, "WARNING: ThreadSanitizer: data race") >= 1, "%s", c.out);
	/* Both stacks at file:line, in the racy function. */
	cr_expect(count_of(c.out, "bump_racy() ") >= 2, "%s", c.out);
	cr_expect(count_of(c.out, "work_stealing.cpp:") >= 2, "%s", c.out);
	cr_expect(strstr(c.out, "SEGV") == NULL && strstr(c.out, "CHECK failed") == NULL, "%s",
	          c.out);
}

/* As packaged, TSan hears of no switch: false reports (exit 66), a SEGV,
 * or a hang (14 of 20 runs here; the child is killed after 30 s); never a
 * clean exit (none in 20 runs). */
Test(boost_fiber, baseline_as_packaged_fails, .timeout = 100)
{
	struct child c = run("boost_work_stealing_baseline", 30);
	int clean = c.exited && c.exit_code == 0 && !c.timed_out;
	cr_expect(!clean, "the baseline ran clean:\n%s", c.out);
	cr_expect(c.timed_out || c.term_signal || strstr(c.out, "ThreadSanitizer") != NULL, "%s",
	          c.out);
}
