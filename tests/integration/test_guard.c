/*
 * The processor-wiring guard against the hazard it exists for (seed 001,
 * Go issue 27660): a thread that keeps annotating after its context was
 * wired to another thread. Guarded, racewire stops the first such call and
 * names the threads. test_unguarded.c shows the same program really
 * corrupting TSan with the guard off, which is what makes this mean
 * something.
 */
#include "child.h"

static void check_guarded(const char *flavor)
{
	struct child c = child_run(flavor, "stale_proc", NULL, NULL, 60);
	cr_assert(!c.exited && c.term_signal == SIGABRT, "%s: want SIGABRT, got exit %d signal %d:\n%s",
	          flavor, c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "racewire: FATAL: rw_malloc(0xc000200000) on M2 (tid "), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "with no processor context wired\n"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "racewire:   task: T2\n"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "racewire:   last context on this thread: P1, now wired to M3 "
	                        "(previous owner M2)\n"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "seed 001"), "%s:\n%s", flavor, c.out);
	cr_expect(!strstr(c.out, "ThreadSanitizer"), "%s: TSan was reached:\n%s", flavor, c.out);
	free(c.out);
}

Test(guard, stale_context_is_diagnosed_release, .timeout = 90) { check_guarded("release"); }
Test(guard, stale_context_is_diagnosed_debug, .timeout = 90) { check_guarded("debug"); }
