/*
 * Race reports through racewire, against the real Go-mode TSan runtime,
 * release and debug: a race is reported once with both stacks symbolized;
 * the same program ordered by release/acquire is clean; compiler-rt's own
 * go/test.c scenario, ported to the racewire API, behaves as it does there.
 */
#include "child.h"

static const char *const flavors[] = {"release", "debug"};

static void check_race_report(const char *flavor)
{
	const char *args[] = {"race", NULL};
	struct child c = child_run(flavor, "race_pair", args, NULL, 60);
	cr_assert(!c.timed_out, "%s: race_pair timed out:\n%s", flavor, c.out);
	cr_assert(c.exited && c.exit_code == 66, "%s: want exit 66, got exit %d signal %d:\n%s",
	          flavor, c.exit_code, c.term_signal, c.out);
	cr_expect_eq(count_of(c.out, "WARNING: DATA RACE"), 1, "%s: want one report:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "Found 1 data race(s)"), "%s:\n%s", flavor, c.out);
	/* Both stacks, symbolized through DWARF: function, file and line. */
	cr_expect(strstr(c.out, "Read at 0x00c000000000 by goroutine 3:\n  read_shared_word()\n"
	                        "      tests/progs/race_pair.c:"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "  reader_thread()\n      tests/progs/race_pair.c:"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "Previous write at 0x00c000000000 by goroutine 2:\n  write_shared_word()\n"
	                        "      tests/progs/race_pair.c:"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "Goroutine 3 (running) created at:\n  main()\n"), "%s:\n%s", flavor, c.out);
	cr_expect(!strstr(c.out, "??"), "%s: unsymbolized frame:\n%s", flavor, c.out);
	free(c.out);
}

static void check_clean(const char *flavor)
{
	const char *args[] = {"sync", NULL};
	struct child c = child_run(flavor, "race_pair", args, NULL, 60);
	cr_assert(c.exited && c.exit_code == 0, "%s: want exit 0, got exit %d signal %d:\n%s",
	          flavor, c.exit_code, c.term_signal, c.out);
	cr_expect(!strstr(c.out, "DATA RACE"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "race_pair sync: 0 report(s) before fini"), "%s:\n%s", flavor, c.out);
	free(c.out);
}

static void check_go_test_port(const char *flavor)
{
	struct child c = child_run(flavor, "go_test_port", NULL, NULL, 60);
	cr_assert(c.exited && c.exit_code == 66, "%s: want exit 66, got exit %d signal %d:\n%s",
	          flavor, c.exit_code, c.term_signal, c.out);
	cr_expect_eq(count_of(c.out, "WARNING: DATA RACE"), 1, "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "Read at 0x00c000010000 by goroutine 3:"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "Previous write at 0x00c000010000 by goroutine 2:"), "%s:\n%s", flavor, c.out);
	cr_expect(strstr(c.out, "go_test_port: 1 report(s)"), "%s:\n%s", flavor, c.out);
	cr_expect(!strstr(c.out, "CHECK failed"), "%s:\n%s", flavor, c.out);
	free(c.out);
}

Test(reports, race_is_reported_release, .timeout = 90) { check_race_report(flavors[0]); }
Test(reports, race_is_reported_debug, .timeout = 90) { check_race_report(flavors[1]); }
Test(reports, release_acquire_is_clean_release, .timeout = 90) { check_clean(flavors[0]); }
Test(reports, release_acquire_is_clean_debug, .timeout = 90) { check_clean(flavors[1]); }
/* A runtime names its own (managed) PCs through the symbolizer hook;
 * racewire's DWARF symbolizer covers the rest of the stack. */
Test(reports, symbolizer_hook_names_managed_frames, .timeout = 90)
{
	const char *args[] = {"hook", NULL};
	struct child c = child_run("release", "race_pair", args, NULL, 60);
	cr_assert(c.exited && c.exit_code == 66, "exit %d signal %d:\n%s", c.exit_code,
	          c.term_signal, c.out);
	cr_expect(strstr(c.out, "Previous write at 0x00c000000000 by goroutine 2:\n"
	                        "  managed.Writer()\n      writer.mg:7 "), "%s", c.out);
	cr_expect(strstr(c.out, "  read_shared_word()\n      tests/progs/race_pair.c:"), "%s", c.out);
	free(c.out);
}

Test(reports, go_test_port_release, .timeout = 90) { check_go_test_port(flavors[0]); }
Test(reports, go_test_port_debug, .timeout = 90) { check_go_test_port(flavors[1]); }
