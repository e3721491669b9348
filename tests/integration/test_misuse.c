/*
 * The misuse promise against the real runtimes (release and debug): each
 * case of tests/progs/misuse.c ends with racewire's own words at the call
 * that made the mistake, never inside TSan. A FATAL case is checked for
 * its headline and what it names, and for TSan never being reached (no
 * "ThreadSanitizer" line, no CHECK, no SEGV); the others for their exit
 * status and output.
 */
#include "child.h"

static const char *const flavors[] = {"release", "debug"};

static struct child run(const char *flavor, const char *name)
{
	const char *args[] = {name, NULL};
	const char *env[] = {"RACEWIRE_OPTIONS=", "GORACE=halt_on_error=0", NULL};
	return child_run(flavor, "misuse", args, env, 60);
}

/* Dies by racewire's abort, with a FATAL block holding every string. */
static void expect_fatal(const char *name, const char *const *want)
{
	for (int f = 0; f < 2; f++) {
		struct child c = run(flavors[f], name);
		cr_expect(!c.timed_out, "%s %s: hung:\n%s", flavors[f], name, c.out);
		cr_expect(!c.exited && c.term_signal == SIGABRT,
		          "%s %s: want SIGABRT, got exit %d signal %d:\n%s", flavors[f], name,
		          c.exit_code, c.term_signal, c.out);
		cr_expect(strstr(c.out, "racewire: FATAL: "), "%s %s: no FATAL block:\n%s", flavors[f],
		          name, c.out);
		for (const char *const *w = want; *w; w++)
			cr_expect(strstr(c.out, *w), "%s %s: missing '%s':\n%s", flavors[f], name, *w,
			          c.out);
		cr_expect(!strstr(c.out, "ThreadSanitizer") && !strstr(c.out, "CHECK failed"),
		          "%s %s: TSan was reached:\n%s", flavors[f], name, c.out);
		cr_expect(!strstr(c.out, ": returned"), "%s %s: went on after the misuse:\n%s",
		          flavors[f], name, c.out);
		free(c.out);
	}
}

Test(misuse, func_exit_below_the_base, .timeout = 120)
{
	const char *want[] = {"racewire: FATAL: rw_func_exit on M1: T1 has no frame to leave",
	                      "racewire:   task: T1\n", "racewire:   invariant: TSan's shadow stack",
	                      NULL};
	expect_fatal("func_exit", want);
}

Test(misuse, range_outside_shadow, .timeout = 120)
{
	const char *want[] = {"racewire: FATAL: rw_read_range(0x", "is not memory TSan shadows",
	                      "racewire:   hint: annotate only what TSan shadows: data+bss [0x",
	                      "heap [0xc000000000, 0xc001000000)", NULL};
	expect_fatal("range_outside", want);
}

Test(misuse, double_free, .timeout = 120)
{
	const char *want[] = {"racewire: FATAL: rw_free(0xc000000000, 64) on M1: double free: the "
	                      "block of 64 bytes at 0xc000000000 was freed already", NULL};
	expect_fatal("free_twice", want);
}

Test(misuse, free_of_no_block, .timeout = 120)
{
	const char *want[] = {"racewire: FATAL: rw_free(0xc000001000, 32) on M1: no block was "
	                      "allocated at 0xc000001000", NULL};
	expect_fatal("free_unknown", want);
}

Test(misuse, free_of_another_size, .timeout = 120)
{
	const char *want[] = {"racewire: FATAL: rw_free(0xc000000000, 32) on M1: the block at "
	                      "0xc000000000 was allocated with 64 bytes, not 32", NULL};
	expect_fatal("free_size", want);
}

Test(misuse, malloc_over_a_live_block, .timeout = 120)
{
	const char *want[] = {"racewire: FATAL: rw_malloc(0xc000000000, 64) on M1: a live block of "
	                      "64 bytes is already there", NULL};
	expect_fatal("malloc_live", want);
}

Test(misuse, checked_read_outside_shadow, .timeout = 120)
{
	const char *want[] = {"racewire: FATAL: rw_read(0x", ", 1) on M1: [0x",
	                      "is not memory TSan shadows", NULL};
	expect_fatal("checked_read", want);
}

/* The worst failure racewire can have is a race it hides. Before the
 * owed acquire went with its task, this printed "races reported: 0" and
 * exited 0. */
Test(misuse, owed_acquire_stays_with_its_task, .timeout = 120)
{
	for (int f = 0; f < 2; f++) {
		struct child c = run(flavors[f], "hidden_race");
		cr_expect(c.exited && c.exit_code == 66, "%s: want exit 66 (a race), got exit %d "
		          "signal %d:\n%s", flavors[f], c.exit_code, c.term_signal, c.out);
		cr_expect(strstr(c.out, "hidden_race: races reported: 1"), "%s:\n%s", flavors[f], c.out);
		cr_expect(strstr(c.out, "WARNING: DATA RACE"), "%s:\n%s", flavors[f], c.out);
		free(c.out);
	}
}

/* Seed 000's symptom was a process that never exits; an exit-time handler
 * calling rw_fini again used to pause forever. */
Test(misuse, rw_fini_from_an_atexit_handler, .timeout = 120)
{
	for (int f = 0; f < 2; f++) {
		struct child c = run(flavors[f], "fini_atexit");
		cr_expect(!c.timed_out, "%s: hung at exit:\n%s", flavors[f], c.out);
		cr_expect(c.exited && c.exit_code == 66, "%s: want TSan's status 66, got exit %d "
		          "signal %d:\n%s", flavors[f], c.exit_code, c.term_signal, c.out);
		cr_expect(strstr(c.out, "atexit: calling rw_fini again"), "%s:\n%s", flavors[f], c.out);
		free(c.out);
	}
}

/* The other threads of a runtime wind down while TSan finalizes: their
 * calls must neither reach TSan nor fail. */
Test(misuse, calls_after_fini_are_dropped_and_counted, .timeout = 120)
{
	for (int f = 0; f < 2; f++) {
		struct child c = run(flavors[f], "after_fini");
		cr_expect(!c.timed_out, "%s: hung:\n%s", flavors[f], c.out);
		cr_expect(c.exited && c.exit_code == 0, "%s: exit %d signal %d:\n%s", flavors[f],
		          c.exit_code, c.term_signal, c.out);
		const char *calls[] = {"rw_task_start", "rw_acquire_for", "rw_task_end",
		                       "rw_proc_create", "rw_map_heap"};
		for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
			char want[160];
			snprintf(want, sizeof want, "%s: 0 \n", calls[i]);
			cr_expect(strstr(c.out, want), "%s: missing '%s':\n%s", flavors[f], want, c.out);
		}
		cr_expect(strstr(c.out, "rw_task_switch: -2 rw_task_switch(T2) on M1: T2 has ended"),
		          "%s: the end was recorded:\n%s", flavors[f], c.out);
		cr_expect(strstr(c.out, "dropped after fini: 7\n"), "%s:\n%s", flavors[f], c.out);
		cr_expect(!strstr(c.out, "CHECK failed"), "%s:\n%s", flavors[f], c.out);
		free(c.out);
	}
}

Test(misuse, ended_task_handle, .timeout = 120)
{
	for (int f = 0; f < 2; f++) {
		struct child c = run(flavors[f], "ended_task");
		cr_expect(c.exited && c.exit_code == 0, "%s: exit %d signal %d:\n%s", flavors[f],
		          c.exit_code, c.term_signal, c.out);
		cr_expect(strstr(c.out, "rw_task_switch: -2 rw_task_switch(T2) on M1: T2 has ended "
		                        "(rw_task_end)"), "%s:\n%s", flavors[f], c.out);
		cr_expect(strstr(c.out, "rw_task_start: -2 rw_task_start(T2) on M1: T2 has ended"),
		          "%s:\n%s", flavors[f], c.out);
		cr_expect(strstr(c.out, "rw_release_for: -2 rw_release_for(T2) on M1: T2 has ended"),
		          "%s:\n%s", flavors[f], c.out);
		cr_expect(strstr(c.out, "rw_task_end: -2 rw_task_end(T2) on M1: T2 has already ended"),
		          "%s:\n%s", flavors[f], c.out);
		free(c.out);
	}
}

/* Checked mode's default follows the runtime: on with the debug one, so
 * a stray access is named; off with the release one, where the same
 * access faults inside TSan (the hazard the mode is for). */
Test(misuse, checked_mode_is_on_by_default_with_the_debug_runtime, .timeout = 120)
{
	struct child c = run("debug", "auto_read");
	cr_expect(!c.exited && c.term_signal == SIGABRT, "debug: exit %d signal %d:\n%s",
	          c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "racewire: FATAL: rw_read(0x"), "debug:\n%s", c.out);
	cr_expect(strstr(c.out, "is not memory TSan shadows"), "debug:\n%s", c.out);
	free(c.out);
	c = run("release", "auto_read");
	cr_expect(!c.exited && c.term_signal == SIGSEGV,
	          "release, unchecked: want a SEGV inside TSan, got exit %d signal %d:\n%s",
	          c.exit_code, c.term_signal, c.out);
	cr_expect(!strstr(c.out, "racewire: FATAL"), "release:\n%s", c.out);
	free(c.out);
}

/* Many threads: rings of exited threads are reused, so the thread that
 * crashed is in the record; those that found no ring are counted. */
#include <racewire/flight.h>

static void check_flight(const char *flavor)
{
	char path[] = "/tmp/rw-misuse-flight-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	char opt[64];
	snprintf(opt, sizeof opt, "RACEWIRE_OPTIONS=flight=%s", path);
	const char *args[] = {"flight_threads", NULL};
	const char *env[] = {opt, NULL};
	struct child c = child_run(flavor, "misuse", args, env, 60);
	cr_expect(!c.exited && c.term_signal == SIGABRT, "%s: exit %d signal %d:\n%s", flavor,
	          c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "racewire: FATAL: rw_write(0xc000000000) on M202 "), "%s:\n%s",
	          flavor, c.out);
	free(c.out);

	struct rw_flight_header h;
	cr_assert_eq(pread(fd, &h, sizeof h, 0), (ssize_t)sizeof h);
	cr_expect_eq(memcmp(h.magic, RW_FLIGHT_MAGIC, 8), 0);
	cr_expect_eq(h.nslots, 64);
	cr_expect_eq(h.used_slots, 64);
	cr_expect_eq(h.lost_threads, 7, "%s: 71 threads alive at once, 64 rings", flavor);
	cr_expect_eq(h.reused_rings, 131, "%s: 130 threads after the crowd, and the crasher", flavor);
	size_t ring_bytes = sizeof(struct rw_flight_ring) + h.nevents * sizeof(struct rw_flight_event);
	int found = 0;
	for (uint32_t s = 0; s < h.nslots; s++) {
		struct rw_flight_ring r;
		off_t off = RW_FLIGHT_HEADER_SIZE + (off_t)(s * ring_bytes);
		cr_assert_eq(pread(fd, &r, sizeof r, off), (ssize_t)sizeof r);
		if (r.m != 202)
			continue;
		found = 1;
		cr_assert_eq(r.head, 2, "%s: a reused ring starts again at 0", flavor);
		struct rw_flight_event e;
		cr_assert_eq(pread(fd, &e, sizeof e, off + (off_t)sizeof r + (off_t)sizeof e),
		             (ssize_t)sizeof e);
		cr_expect_eq(e.seq, 2);
		cr_expect_eq(e.kind, RW_FL_VIOLATION, "%s: the crash is the last event", flavor);
	}
	cr_expect(found, "%s: the crashing thread M202 is not in the record", flavor);
	close(fd);
	unlink(path);
}

Test(misuse, flight_record_keeps_the_crashing_thread, .timeout = 120)
{
	check_flight("release");
	check_flight("debug");
}
