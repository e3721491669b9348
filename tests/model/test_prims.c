/*
 * test_prims: the model runtime's select, zero-size channels, RWMutex,
 * Cond, map, sync.Pool and system calls (tests/model/progs/prims.c), each
 * used correctly on one and two processors and on both TSan runtimes:
 * results right, no race report, exit 0. And their misuse: a select case
 * that is neither send nor receive, a blocking select with no channel,
 * too many cases, unlocking an unlocked RWMutex: a FATAL message naming
 * it, and an abort.
 */
#include "../integration/child.h"
#include "prims_cases.h"

static void expect_clean(const char *flavor, const char *mode, const char *procs)
{
	const char *args[] = {mode, NULL};
	char md_procs[32];
	snprintf(md_procs, sizeof md_procs, "MD_PROCS=%s", procs);
	const char *env[] = {"GORACE=atexit_sleep_ms=0", md_procs, NULL};
	struct child c = child_run(flavor, "model_prims", args, env, 60);
	cr_assert(!c.timed_out, "%s %s hung:\n%s", flavor, mode, c.out);
	cr_assert(c.exited && c.exit_code == 0, "%s %s (%s): exit %d signal %d:\n%s", flavor, mode,
	          md_procs, c.exit_code, c.term_signal, c.out);
	cr_assert_eq(count_of(c.out, "WARNING: DATA RACE"), 0, "%s", c.out);
	cr_assert(strstr(c.out, ": done"), "%s", c.out);
	free(c.out);
}

Test(prims, correct_use_clean, .timeout = 300)
{
	for (size_t i = 0; i < sizeof prims_modes / sizeof *prims_modes; i++) {
		expect_clean("release", prims_modes[i], "1");
		expect_clean("release", prims_modes[i], "2");
	}
}

Test(prims, correct_use_clean_debug_runtime, .timeout = 300)
{
	for (size_t i = 0; i < sizeof prims_modes / sizeof *prims_modes; i++)
		expect_clean("debug", prims_modes[i], "2");
}

Test(prims, misuse_is_fatal_with_a_message, .timeout = 120)
{
	for (size_t i = 0; i < sizeof prims_misuse / sizeof *prims_misuse; i++) {
		const char *args[] = {prims_misuse[i][0], NULL};
		const char *env[] = {"GORACE=atexit_sleep_ms=0", NULL};
		struct child c = child_run("release", "model_prims", args, env, 30);
		cr_assert(!c.timed_out, "%s hung:\n%s", prims_misuse[i][0], c.out);
		cr_expect(!c.exited && c.term_signal == SIGABRT, "%s: exit %d signal %d:\n%s",
		          prims_misuse[i][0], c.exit_code, c.term_signal, c.out);
		char want[160];
		snprintf(want, sizeof want, "model: FATAL: %s", prims_misuse[i][1]);
		cr_expect(strstr(c.out, want), "%s: no \"%s\" in:\n%s", prims_misuse[i][0], want, c.out);
		free(c.out);
	}
}
