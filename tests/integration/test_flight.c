/*
 * The flight recorder: the record survives abort and SIGKILL, reads back
 * as the story of the crash, and the diagnoser refuses a bad record
 * cleanly.
 */
#include "child.h"

#include <fcntl.h>
#include <stdlib.h>

#define DIAGNOSE RW_PROGS_DIR "/../bin/racewire-diagnose"

static char dir[] = "/tmp/rw-flight-XXXXXX";

static void make_dir(void) { cr_assert_not_null(mkdtemp(dir)); }
static void remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(flight, .init = make_dir, .fini = remove_dir);

/* Runs the diagnoser; returns its output (malloc'd) and exit status. */
static char *diagnose(const char *args, int *status)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s %s 2>&1", DIAGNOSE, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	size_t n;
	while ((n = fread(out + len, 1, cap - 1 - len, p)) > 0)
		len += n;
	out[len] = '\0';
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

static const char *after(const char *hay, const char *needle)
{
	const char *p = hay ? strstr(hay, needle) : NULL;
	cr_assert_not_null(p, "missing '%s' in:\n%s", needle, hay);
	return p;
}

Test(flight, record_survives_abort_and_tells_the_story, .timeout = 60)
{
	char opt[256], args[512];
	snprintf(opt, sizeof opt, "RACEWIRE_OPTIONS=flight=%s/stale.flight", dir);
	const char *env[] = {opt, NULL};
	struct child c = child_run("release", "stale_proc", NULL, env, 60);
	cr_assert(!c.exited && c.term_signal == SIGABRT, "exit %d signal %d:\n%s", c.exit_code,
	          c.term_signal, c.out);
	/* racewire's own abort, not any abort: */
	cr_expect(strstr(c.out, "racewire: FATAL: rw_malloc(0xc000200000) on M2 (tid "), "%s", c.out);
	char log[300];
	snprintf(log, sizeof log, "%s/stale.log", dir);
	FILE *f = fopen(log, "w");
	fputs(c.out, f);
	fclose(f);
	free(c.out);

	int status;
	snprintf(args, sizeof args, "--flight %s/stale.flight %s", dir, log);
	char *out = diagnose(args, &status);
	cr_expect_eq(status, 0, "%s", out);
	/* M2 gave P1 up, M3 took it, then M2 annotated: in that order. */
	const char *timeline = after(out, "flight record: ");
	const char *unwire = after(timeline, "M2 P1 T2 unwire");
	const char *wire = after(unwire, "M3 P1 - wire");
	after(wire, "M2 P1 T2 VIOLATION rw_malloc");
	free(out);
}

Test(flight, record_survives_sigkill, .timeout = 60)
{
	char opt[256], args[512];
	snprintf(opt, sizeof opt, "RACEWIRE_OPTIONS=flight=%s/kill.flight", dir);
	const char *env[] = {opt, NULL};
	struct child c = child_run("release", "flight_kill", NULL, env, 60);
	cr_assert(!c.exited && c.term_signal == SIGKILL, "exit %d signal %d:\n%s", c.exit_code,
	          c.term_signal, c.out);
	free(c.out);
	int status;
	snprintf(args, sizeof args, "--flight %s/kill.flight /dev/null", dir);
	char *out = diagnose(args, &status);
	cr_expect_eq(status, 1, "an empty log is not recognised:\n%s", out);
	cr_expect_eq(count_of(out, "M1 P1 T1 unwire"), 3, "%s", out);
	cr_expect_eq(count_of(out, "M1 P0 T1 wire"), 3, "%s", out);
	after(out, "M1 P0 T1 foreign-enter");
	free(out);
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[300];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

Test(flight, bad_records_are_refused_by_name, .timeout = 60)
{
	static char junk[8192];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 131 + 7);
	write_file("empty.flight", "", 0);
	write_file("junk.flight", junk, sizeof junk);
	memcpy(junk, "RWFLIGHT", 8);
	write_file("badver.flight", junk, sizeof junk);
	struct {
		const char *file, *message;
	} cases[] = {
		{"empty.flight", "shorter than a flight record header"},
		{"junk.flight", "not a racewire flight record"},
		{"badver.flight", "unknown version"},
		{"missing.flight", "No such file or directory"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char args[512];
		int status;
		snprintf(args, sizeof args, "--flight %s/%s /dev/null", dir, cases[i].file);
		char *out = diagnose(args, &status);
		cr_expect_eq(status, 2, "%s: %s", cases[i].file, out);
		cr_expect(strstr(out, cases[i].file) && strstr(out, cases[i].message), "%s: %s",
		          cases[i].file, out);
		free(out);
	}
	int status;
	char *out = diagnose("--flight", &status);
	cr_expect_eq(status, 2);
	cr_expect(strstr(out, "--flight needs a file"), "%s", out);
	free(out);
}

Test(flight, unwritable_record_fails_init, .timeout = 60)
{
	const char *env[] = {"RACEWIRE_OPTIONS=flight=/nonexistent/dir/x.flight", NULL};
	struct child c = child_run("release", "race_pair", (const char *[]){"sync", NULL}, env, 60);
	cr_expect(c.exited && c.exit_code == 3, "exit %d:\n%s", c.exit_code, c.out);
	cr_expect(strstr(c.out, "flight record /nonexistent/dir/x.flight: No such file or directory"),
	          "%s", c.out);
	free(c.out);
}
