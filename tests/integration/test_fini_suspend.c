/*
 * Guarantees 6 and 7 (seed 000, Go issue 35775) against the real TSan
 * runtime, the finalization guard resting on the external-code word:
 * a suspender stops every thread in turn, the main thread included, and
 * takes `runtime_lock` while each is stopped; the main thread calls
 * rw_fini, whose exit path runs exit-time code that takes `runtime_lock`
 * (tests/progs/fini_suspend.c). Guarded, rw_fini marks the finalizing
 * thread as in external code first, the suspender skips it, and the
 * process exits 0. With RACEWIRE_OPTIONS=guard_suspend=0 the suspender
 * stops the finalizing thread while it holds `runtime_lock`, then blocks
 * on that lock and never resumes it: the process hangs. child_run kills a
 * run at its deadline; a run killed there counts as hung.
 *
 * Measured on an idle 2-core machine (release runtime; a guarded run
 * takes about 1.05 s, most of it TSan's atexit_sleep_ms):
 *   guarded:   20 release runs + 6 beside an unguarded run + 5 debug runs,
 *              all exit 0 (0 hangs of 31).
 *   unguarded: 30 release runs of 30 hung, and 5 debug runs of 5; in 20
 *              more, with a line per section, each hung in exit-time lock
 *              section 2 to 24 of 30 (median 4). gdb on a hung run: main
 *              in the suspend handler, interrupted in exit_time_code <-
 *              exit <- __tsan_fini <- rw_fini; the suspender in
 *              pthread_mutex_lock(&runtime_lock). 6 of 6 also hung beside
 *              a guarded run. Earlier tunings hung far less (see the
 *              program's comments).
 * So one hang is required within 5 unguarded runs; with fewer than two
 * CPUs, or none within 5 runs, the unguarded Test is skipped with the reason.
 */
#include "child.h"

/* A guarded run takes about 1 s; 10 s is a hang. */
#define GUARDED_DEADLINE 10
/* An unguarded run that does not hang ends within about 1 s too. */
#define UNGUARDED_DEADLINE 4

static void guarded_runs(const char *flavor, int runs)
{
	for (int run = 0; run < runs; run++) {
		struct child c = child_run(flavor, "fini_suspend", NULL, NULL, GUARDED_DEADLINE);
		cr_log_info("%s guarded run %d: %s", flavor, run, c.out);
		cr_assert(!c.timed_out, "%s run %d hung: the finalizing thread was suspended?\n%s", flavor,
		          run, c.out);
		cr_assert(c.exited && c.exit_code == 0, "%s run %d: want exit 0, got exit %d signal %d:\n%s",
		          flavor, run, c.exit_code, c.term_signal, c.out);
		cr_expect(strstr(c.out, "fini_suspend: exit-time code round 30 of 30 on the finalizing "
		                        "thread"), "%s run %d: exit-time code did not finish:\n%s",
		          flavor, run, c.out);
		cr_expect(!strstr(c.out, "ThreadSanitizer") && !strstr(c.out, "DATA RACE"),
		          "%s run %d:\n%s", flavor, run, c.out);
		cr_expect(!strstr(c.out, "racewire:"), "%s run %d: a racewire message:\n%s", flavor, run,
		          c.out);
		free(c.out);
	}
}

Test(fini_suspend, guarded_release_always_exits, .timeout = 60)
{
	guarded_runs("release", 3);
}

Test(fini_suspend, guarded_debug_always_exits, .timeout = 30)
{
	guarded_runs("debug", 1);
}

/* The hazard is real: unguarded, the process hangs in its exit-time code. */
Test(fini_suspend, unguarded_hangs_in_exit_time_code, .timeout = 60)
{
	static const char *const env[] = {"RACEWIRE_OPTIONS=guard_suspend=0", NULL};
	hazard_needs_cpus();
	int hangs = 0, run;
	for (run = 0; run < 5 && hangs == 0; run++) {
		struct child c = child_run("release", "fini_suspend", NULL, env, UNGUARDED_DEADLINE);
		cr_log_info("unguarded run %d (%s): %s", run, c.timed_out ? "hung" : "exited", c.out);
		cr_assert(!strstr(c.out, "racewire:"), "unguarded run %d: a racewire message:\n%s", run,
		          c.out);
		if (c.timed_out) {
			/* Hung where seed 000 hangs: inside the exit-time code,
			 * which started and never finished. */
			cr_expect(strstr(c.out, "fini_suspend: exit-time code round 1 of 30 "),
			          "hung before the exit-time code:\n%s", c.out);
			cr_expect(!strstr(c.out, "round 30 of 30"), "hung after the exit-time code:\n%s",
			          c.out);
			hangs++;
		} else {
			cr_assert(c.exited && c.exit_code == 0, "unguarded run %d: exit %d signal %d:\n%s",
			          run, c.exit_code, c.term_signal, c.out);
		}
		free(c.out);
	}
	if (hangs == 0)
		hazard_not_shown("no hang", run);
}
