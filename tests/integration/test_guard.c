/*
 * The processor-wiring guard against the hazard it exists for (seed 001,
 * Go issue 27660): a thread that keeps annotating after its context was
 * wired to another thread. Guarded, racewire stops the first such call and
 * names the threads; unguarded, the same program really corrupts TSan.
 * The unguarded half is what proves the guarded half means something.
 */
#include "child.h"

static const char *const unguarded_env[] = {"RACEWIRE_OPTIONS=guard_wiring=0", NULL};

static void check_guarded(const char *flavor)
{
	struct child c = child_run(flavor, "stale_proc", NULL, NULL, 60);
	cr_assert(!c.exited && c.term_signal == SIGABRT, "%s: want SIGABRT, got exit %d signal %d:\n%s",
	          flavor, c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "racewire: FATAL: rw_release(0xc000200000) on M2 (tid "), "%s:\n%s", flavor, c.out);
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

/* Release runtime: no internal CHECKs, so the corruption shows as a crash
 * by signal (measured: SEGV in every run). */
Test(guard, unguarded_stale_context_crashes_release, .timeout = 120)
{
	struct child c = child_run("release", "stale_proc", NULL, unguarded_env, 60);
	cr_assert(!c.timed_out, "timed out:\n%s", c.out);
	cr_expect(!c.exited && (c.term_signal == SIGSEGV || c.term_signal == SIGBUS),
	          "want a crash by signal, got exit %d signal %d:\n%s", c.exit_code, c.term_signal, c.out);
	cr_expect(!strstr(c.out, "racewire: FATAL"), "the guard was on:\n%s", c.out);
	free(c.out);
}

/* Debug runtime: TSan's own CHECKs catch the corruption, usually in the
 * dense allocator (measured: "CHECK failed" in 5 runs of 6, a SEGV in the
 * other). Every run must crash; a CHECK must show within three runs. */
Test(guard, unguarded_stale_context_fails_tsan_check_debug, .timeout = 240)
{
	int checks = 0;
	for (int run = 0; run < 3 && checks == 0; run++) {
		struct child c = child_run("debug", "stale_proc", NULL, unguarded_env, 60);
		cr_assert(!c.timed_out, "timed out:\n%s", c.out);
		cr_assert(!(c.exited && c.exit_code == 0), "run %d survived the misuse:\n%s", run, c.out);
		if (strstr(c.out, "ThreadSanitizer: CHECK failed: ")) {
			checks++;
			cr_expect(c.exited && c.exit_code == 66, "exit %d:\n%s", c.exit_code, c.out);
		}
		free(c.out);
	}
	cr_expect_eq(checks, 1, "no TSan CHECK failure in 3 unguarded runs");
}
