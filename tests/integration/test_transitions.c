/*
 * Guarantees 2 and 5 against the real runtime, release and debug:
 * happens-before through the foreign-call bracket, and the state an unwind
 * across foreign frames leaves, repaired or not.
 */
#include "child.h"

static void bracket_orders_through_c(const char *flavor)
{
	const char *with[] = {"bracket", NULL}, *without[] = {"none", NULL};
	struct child c = child_run(flavor, "foreign_bracket", with, NULL, 60);
	cr_expect(c.exited && c.exit_code == 0, "%s: want exit 0, got exit %d signal %d:\n%s", flavor,
	          c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "foreign_bracket bracket: 0 report(s)"), "%s:\n%s", flavor, c.out);
	free(c.out);

	/* The control: without the bracket the same program races. */
	c = child_run(flavor, "foreign_bracket", without, NULL, 60);
	cr_expect(c.exited && c.exit_code == 66, "%s: want exit 66, got exit %d signal %d:\n%s", flavor,
	          c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "Read at 0x00c000000000 by goroutine 3:\n  consume()"), "%s:\n%s",
	          flavor, c.out);
	cr_expect(strstr(c.out, "Previous write at 0x00c000000000 by goroutine 2:\n  produce()"),
	          "%s:\n%s", flavor, c.out);
	free(c.out);
}

Test(transitions, foreign_bracket_release, .timeout = 120) { bracket_orders_through_c("release"); }
Test(transitions, foreign_bracket_debug, .timeout = 120) { bracket_orders_through_c("debug"); }

static void unwind_repaired(const char *flavor)
{
	struct child c = child_run(flavor, "unwind", NULL, NULL, 60);
	cr_assert(c.exited && c.exit_code == 66, "%s: want exit 66, got exit %d signal %d:\n%s", flavor,
	          c.exit_code, c.term_signal, c.out);
	/* The report's stack is the real one: nothing the panics skipped. */
	cr_expect(strstr(c.out, "Write at 0x00c000000000 by main goroutine:\n"
	                        "  racy_access()\n      tests/progs/unwind.c:"), "%s:\n%s", flavor, c.out);
	const char *outer = strstr(c.out, "  outer_frame()\n      tests/progs/unwind.c:");
	cr_assert(outer, "%s:\n%s", flavor, c.out);
	const char *next = strchr(strchr(outer + 3, '\n') + 1, '\n') + 1;
	cr_expect(strncmp(next, "  main()\n", 9) == 0, "%s: outer_frame's caller is not main:\n%s",
	          flavor, c.out);
	cr_expect(!strstr(c.out, "c_function()"), "%s: a skipped frame is in the report:\n%s", flavor,
	          c.out);
	cr_expect(strstr(c.out, "unwind: after 10 panics: foreign depth 0, main task pinned to M0"),
	          "%s:\n%s", flavor, c.out);
	free(c.out);
}

Test(transitions, unwind_repaired_release, .timeout = 120) { unwind_repaired("release"); }
Test(transitions, unwind_repaired_debug, .timeout = 120) { unwind_repaired("debug"); }

/* The control: with the repair off, TSan's shadow stack keeps every frame
 * the ten panics skipped, and racewire's records and pinning dangle. */
Test(transitions, unwind_unrepaired_stacks_are_wrong, .timeout = 120)
{
	static const char *const env[] = {"RACEWIRE_OPTIONS=guard_unwind=0", NULL};
	struct child c = child_run("release", "unwind", NULL, env, 60);
	cr_assert(c.exited && c.exit_code == 66, "exit %d signal %d:\n%s", c.exit_code, c.term_signal,
	          c.out);
	cr_expect_geq(count_of(c.out, "  c_function()\n"), 5, "stale frames expected:\n%s", c.out);
	cr_expect(strstr(c.out, "unwind: after 10 panics: foreign depth 10, main task pinned to M1"),
	          "%s", c.out);
	free(c.out);
}
