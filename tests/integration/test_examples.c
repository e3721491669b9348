/*
 * The README's integration example runs clean against the real runtime.
 */
#include "child.h"

Test(examples, minimal_runs_clean, .timeout = 60)
{
	/* Examples are linked against the runtime the build selected. */
	struct child c = child_run("../examples", "minimal", NULL, NULL, 30);
	cr_assert(c.exited && c.exit_code == 0, "exit %d signal %d:\n%s", c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "minimal: received 42"), "%s", c.out);
	cr_expect(!strstr(c.out, "DATA RACE"), "%s", c.out);
	free(c.out);
}
