/* Tests of make stress's table (stress/main.sh), driven from outside: each
 * test writes a reproducers file of its own (STRESS_ROWS) whose rows run
 * the runner's helper programs (tests/runner/helpers/), runs main.sh with
 * the real racewire-stress, and checks each row's verdict in the table.
 *
 * What is tested is the judging: a row's guarded job (pass: no run fails;
 * named: every run is stopped by racewire's FATAL naming an entry point)
 * and its unguarded job (fails: one run fails; latent: any outcome but a
 * racewire verdict, reported as how many runs failed), and bad rows.
 * Every row's guarded job takes its 0.3 s budget: no timing is asserted.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAIN_SH RW_SOURCE_DIR "/stress/main.sh"
#define OUT_DIR RW_BIN_DIR "/.." /* main.sh's O: bin/ and the helpers are under it */

struct result {
	int status; /* main.sh's exit status, or 128 + signal */
	char *out;  /* its stdout and stderr */
	char dir[64];
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *text = calloc(1, (size_t)n + 1);
	cr_assert_not_null(text);
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

/* Run main.sh on ROWS (the reproducers file's text; NULL: a file that does
 * not exist), logs and output in a fresh temporary folder. */
static struct result run_main(const char *rows)
{
	struct result r = {0};
	strcpy(r.dir, "/tmp/rws-main-XXXXXX");
	cr_assert_not_null(mkdtemp(r.dir), "mkdtemp: %s", strerror(errno));
	char tsv[128], logs[128], out[128];
	snprintf(tsv, sizeof tsv, "%s/rows.tsv", r.dir);
	snprintf(logs, sizeof logs, "%s/logs", r.dir);
	snprintf(out, sizeof out, "%s/out.txt", r.dir);
	if (rows != NULL) {
		FILE *f = fopen(tsv, "we");
		cr_assert_not_null(f);
		fputs(rows, f);
		fclose(f);
	}
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		FILE *o = freopen(out, "w", stdout);
		if (o == NULL || dup2(1, 2) < 0)
			_exit(127);
		setenv("STRESS_ROWS", tsv, 1);
		setenv("STRESS_OUT", logs, 1);
		setenv("STRESS_UNGUARDED", "2", 1);
		unsetenv("STRESS_BUDGET");
		unsetenv("STRESS_WINDOWS");
		unsetenv("RACEWIRE_OPTIONS");
		execlp("bash", "bash", MAIN_SH, OUT_DIR, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp(out);
	return r;
}

static void cleanup(struct result *r)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
	cr_expect_eq(system(cmd), 0);
	free(r->out);
}

/* The table line of NAME's MODE job ("guarded", "unguarded", or "-" for a
 * bad row), copied. */
static char *table_line(const char *out, const char *name, const char *mode)
{
	size_t len = strlen(name);
	for (const char *p = out; *p != '\0';) {
		const char *end = strchrnul(p, '\n');
		if (strncmp(p, name, len) == 0 && p[len] == ' ') {
			char mode_field[16] = "";
			/* Columns: name, seed, mode, ... */
			if (sscanf(p + len, " %*s %15s", mode_field) == 1 &&
			    strcmp(mode_field, mode) == 0)
				return strndup(p, (size_t)(end - p));
		}
		p = *end != '\0' ? end + 1 : end;
	}
	cr_assert_fail("no table line for %s %s in:\n%s", name, mode, out);
	return NULL;
}

static void expect_verdict(const char *out, const char *name, const char *mode, const char *verdict)
{
	char *line = table_line(out, name, mode);
	size_t n = strlen(line), v = strlen(verdict);
	cr_expect(n >= v && strcmp(line + n - v, verdict) == 0,
	          "%s %s: want the verdict \"%s\", got:\n%s", name, mode, verdict, line);
	free(line);
}

/* "named: N of N: yes" with N > 0. */
static void expect_named_all(const char *out, const char *name)
{
	char *line = table_line(out, name, "guarded");
	const char *v = strstr(line, "named: ");
	unsigned named = 0, runs = 0;
	char ok[8] = "";
	cr_expect(v != NULL && sscanf(v, "named: %u of %u: %7s", &named, &runs, ok) == 3, "%s", line);
	cr_expect(runs > 0 && named == runs && strcmp(ok, "yes") == 0, "%s", line);
	free(line);
}

#define ROW(name, prog, guarded, unguarded)                                            \
	name "\t001\ttests/runner/helpers/" prog "\t-\tguards=0\t10\t1\t0.3\t" guarded \
	     "\t" unguarded "\n"

Test(main_job, named_and_latent_rows, .timeout = 180)
{
	struct result r =
	    run_main("# a comment line\n" ROW("named-latent", "named", "named", "latent"));
	expect_named_all(r.out, "named-latent");
	expect_verdict(r.out, "named-latent", "unguarded", "latent: 0 of 2 failed: yes");
	cr_expect(strstr(r.out, "stress: every result as expected\n"), "%s", r.out);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cleanup(&r);
}

Test(main_job, rows_not_as_expected, .timeout = 300)
{
	struct result r = run_main(
	    /* Guarded runs that pass name nothing. */
	    ROW("named-silent", "pass", "named", "latent")
	    /* A racewire FATAL that names no entry point (not the guard's
	     * verdict on a call) is not "named"; and a racewire verdict with
	     * the guard off is never latent. */
	    ROW("named-unnamed", "fatal", "named", "latent")
	    /* A latent row whose unguarded run fails says so, and is allowed. */
	    ROW("latent-fails", "fail", "pass", "latent")
	    /* Eight columns: the defaults, pass and fails. */
	    "plain\t001\ttests/runner/helpers/pass\t-\tguards=0\t10\t1\t0.3\n"
	    /* An expectation main.sh does not know. */
	    ROW("bad-expect", "pass", "named", "sometimes"));
	{
		char *line = table_line(r.out, "named-silent", "guarded");
		cr_expect(strstr(line, "named: 0 of ") && strstr(line, ": NO"), "%s", line);
		free(line);
	}
	expect_verdict(r.out, "named-silent", "unguarded", "latent: 0 of 2 failed: yes");
	{
		char *line = table_line(r.out, "named-unnamed", "guarded");
		cr_expect(strstr(line, "named: 0 of ") && strstr(line, "racewire "), "%s", line);
		cr_expect(strstr(line, ": NO"), "%s", line);
		free(line);
	}
	expect_verdict(r.out, "named-unnamed", "unguarded", "not latent: 1 of 1 failed: NO");
	expect_verdict(r.out, "latent-fails", "guarded", "no failure: NO");
	expect_verdict(r.out, "latent-fails", "unguarded", "not latent: 1 of 1 failed: yes");
	expect_verdict(r.out, "plain", "guarded", "no failure, short of 100000 windows: yes");
	expect_verdict(r.out, "plain", "unguarded", "fails: NO");
	expect_verdict(r.out, "bad-expect", "-", "bad expectations 'named' 'sometimes': NO");
	cr_expect(strstr(r.out,
	                 "rows.tsv: row bad-expect: expectations must be pass or named, then fails or "
	                 "latent, not 'named' 'sometimes'\n"),
	          "%s", r.out);
	cr_expect(strstr(r.out, "stress: some results are not as expected\n"), "%s", r.out);
	cr_expect_eq(r.status, 1, "exit %d:\n%s", r.status, r.out);
	cleanup(&r);
}

Test(main_job, missing_rows_file, .timeout = 60)
{
	struct result r = run_main(NULL);
	cr_expect_eq(r.status, 2, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "stress: cannot read the reproducers file /tmp/rws-main-"), "%s",
	          r.out);
	cr_expect(strstr(r.out, "/rows.tsv\n"), "%s", r.out);
	cleanup(&r);
}

/* ci/stress-long.sh refuses, before building anything, what has no
 * failure rate to bound: an unknown row, and a named row run guarded
 * (racewire stops every such run by design). */
static struct result run_stress_long(const char *args)
{
	struct result r = {0};
	char cmd[512];
	snprintf(cmd, sizeof cmd, "bash '%s/ci/stress-long.sh' %s 2>&1", RW_SOURCE_DIR, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t cap = 4096, n = 0;
	r.out = calloc(1, cap);
	cr_assert_not_null(r.out);
	for (size_t k; (k = fread(r.out + n, 1, cap - 1 - n, p)) > 0;) {
		n += k;
		if (n == cap - 1) {
			r.out = realloc(r.out, cap *= 2);
			cr_assert_not_null(r.out);
		}
	}
	r.out[n] = 0;
	int st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return r;
}

Test(stress_long, refuses_unknown_and_named_rows, .timeout = 60)
{
	struct result r = run_stress_long("-b 1 no-such-row");
	cr_expect_eq(r.status, 2, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "stress-long: no reproducer 'no-such-row' in stress/reproducers.tsv; known:\n"),
	          "%s", r.out);
	cr_expect(strstr(r.out, "  seed001-cgo-retake\n"), "%s", r.out);
	free(r.out);

	r = run_stress_long("-b 1 go-seed001-release");
	cr_expect_eq(r.status, 2, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "stress-long: go-seed001-release is a 'named' row: racewire stops every "
	                        "guarded run by design;"),
	          "%s", r.out);
	free(r.out);
}
