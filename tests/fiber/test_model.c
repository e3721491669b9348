/*
 * tests/fiber/test_model.c - the model runtime on the fiber backend: its
 * programs compiled with clang -fsanitize=thread, so that TSan sees the
 * accesses the compiler instruments (MD_READ and MD_WRITE are empty there)
 * and the annotations the runtime makes, with tasks as TSan fibers that
 * switch without synchronizing, as Go's do. Each program runs as a child:
 * Criterion's runner does not survive TSan, and what is checked is how the
 * process ends (TSan's 66 after a report, 0 clean, an abort with a
 * diagnosis).
 *
 *  - model_race: a racy program reported with both stacks at file:line;
 *    channels, mutex, wait group, once, atomics, a callback from a C
 *    thread, close, and foreign calls whose processors the monitor
 *    retakes: clean; seed 001's and 002's pre-fix orderings, guarded: clean.
 *  - model_prims: select, zero-size channels, RWMutex, Cond, map, pool and
 *    system calls on one and two processors: clean; their misuse: the
 *    model's FATAL message and an abort.
 *  - the fidelity suite (tests/fidelity), every case on one processor,
 *    several at a time: each ends as Go's race detector says it must
 *    (RACE: exit 66 with a report; NORACE: exit 0, no report).
 */
#include "fiber_child.h"
#include "../model/prims_cases.h"

/* TSAN_OPTIONS for the children: the symbolizer (for file:line) when a
 * report is read, none when only the verdict counts (the fidelity suite:
 * symbolizing costs a process per report); no sleep at exit (TSan's
 * default waits a second for threads to report). */
static const char *tsan_env(int symbolize)
{
	static char env[256];
	if (symbolize)
		snprintf(env, sizeof env, "%s atexit_sleep_ms=0", symbolizer_env());
	else
		snprintf(env, sizeof env, "TSAN_OPTIONS=symbolize=0 atexit_sleep_ms=0");
	return env;
}

static struct child run_model(const char *prog, const char *mode, const char *procs,
                              const char *extra)
{
	char md_procs[32];
	snprintf(md_procs, sizeof md_procs, "MD_PROCS=%s", procs);
	const char *args[] = {mode, NULL};
	const char *env[] = {tsan_env(1), md_procs, extra, NULL};
	return child_run("fiber", prog, args, env, 60);
}

static void expect_clean(const char *prog, const char *mode, const char *procs, const char *extra)
{
	struct child c = run_model(prog, mode, procs, extra);
	cr_expect(!c.timed_out, "%s %s (MD_PROCS=%s) hung:\n%s", prog, mode, procs, c.out);
	cr_expect(c.exited && c.exit_code == 0, "%s %s (MD_PROCS=%s): exit %d signal %d:\n%s", prog,
	          mode, procs, c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "WARNING: ThreadSanitizer") == NULL, "%s %s: TSan spoke:\n%s", prog,
	          mode, c.out);
	cr_expect(strstr(c.out, ": done") != NULL, "%s %s: not done:\n%s", prog, mode, c.out);
	free(c.out);
}

/* ---- model_race ------------------------------------------------------------ */

Test(model, racy_program_reported_with_both_stacks, .timeout = 120)
{
	struct child c = run_model("model_race", "race", "2", NULL);
	cr_assert(!c.timed_out, "hung:\n%s", c.out);
	cr_expect(c.exited && c.exit_code == 66, "exit %d signal %d:\n%s", c.exit_code,
	          c.term_signal, c.out);
	cr_expect_eq(count_of(c.out, "WARNING: ThreadSanitizer: data race"), 1, "%s", c.out);
	cr_expect(strstr(c.out, "racy_writer_a "), "%s", c.out);
	cr_expect(strstr(c.out, "racy_writer_b "), "%s", c.out);
	cr_expect(strstr(c.out, "tests/model/progs/race.c:"), "no file:line:\n%s", c.out);
	free(c.out);
}

static const char *const race_modes[] = {"chan", "mutex", "wg",     "once",
                                         "atomic", "cgo", "closed", "churn"};

Test(model, correct_programs_clean, .timeout = 600)
{
	for (size_t i = 0; i < sizeof race_modes / sizeof *race_modes; i++) {
		expect_clean("model_race", race_modes[i], "1", NULL);
		expect_clean("model_race", race_modes[i], "2", NULL);
	}
}

/* Seed 001's pre-fix ordering (the acquire right after the C call) and
 * seed 002's (a callback's cleanup as a preemption point), racewire's
 * guards on: nothing breaks, nothing is reported. */
Test(model, prefix_orders_guarded_are_safe, .timeout = 300)
{
	for (int i = 0; i < 2; i++) {
		expect_clean("model_race", "churn", "2", "MD_UNGUARDED=foreign");
		expect_clean("model_race", "cgo", "2", "MD_UNGUARDED=callback");
	}
}

/* ---- model_prims ----------------------------------------------------------- */

Test(model, primitives_clean, .timeout = 600)
{
	for (size_t i = 0; i < sizeof prims_modes / sizeof *prims_modes; i++) {
		expect_clean("model_prims", prims_modes[i], "1", NULL);
		expect_clean("model_prims", prims_modes[i], "2", NULL);
	}
}

Test(model, primitive_misuse_is_fatal_with_a_message, .timeout = 300)
{
	for (size_t i = 0; i < sizeof prims_misuse / sizeof *prims_misuse; i++) {
		struct child c = run_model("model_prims", prims_misuse[i][0], "1", NULL);
		cr_expect(!c.timed_out, "%s hung:\n%s", prims_misuse[i][0], c.out);
		cr_expect(!c.exited && c.term_signal == SIGABRT, "%s: exit %d signal %d:\n%s",
		          prims_misuse[i][0], c.exit_code, c.term_signal, c.out);
		char want[160];
		snprintf(want, sizeof want, "model: FATAL: %s", prims_misuse[i][1]);
		cr_expect(strstr(c.out, want), "%s: no \"%s\" in:\n%s", prims_misuse[i][0], want, c.out);
		free(c.out);
	}
}

Test(model, unknown_mode_is_named, .timeout = 60)
{
	struct child c = run_model("model_race", "no-such-mode", "1", NULL);
	cr_expect(c.exited && c.exit_code == 2, "exit %d signal %d:\n%s", c.exit_code,
	          c.term_signal, c.out);
	cr_expect(strstr(c.out, "model_race: unknown mode no-such-mode"), "%s", c.out);
	free(c.out);
}

/* ---- the fidelity suite ---------------------------------------------------- */

/* Cases that cannot agree with Go on this backend, each with its reason
 * (docs/fiber.md). None: every case of `fidelity list` runs. */
static const char *const fidelity_excluded[][2] = {
	{NULL, NULL},
};

static const char *excluded(const char *name)
{
	for (size_t i = 0; fidelity_excluded[i][0]; i++)
		if (!strcmp(fidelity_excluded[i][0], name))
			return fidelity_excluded[i][1];
	return NULL;
}

#define MAX_CASES 512
#define PARALLEL 4

struct fcase {
	char name[96];
	int race; /* expected */
};

struct running {
	pid_t pid;
	int fd;
	int idx;
	double deadline;
	char *out;
	size_t len, cap;
	int timed_out;
};

static int list_cases(struct fcase *cases)
{
	const char *args[] = {"list", NULL};
	const char *env[] = {tsan_env(0), NULL};
	struct child c = child_run("fiber", "fidelity", args, env, 60);
	cr_assert(c.exited && c.exit_code == 0, "fidelity list: exit %d signal %d:\n%s", c.exit_code,
	          c.term_signal, c.out);
	int n = 0;
	for (char *line = strtok(c.out, "\n"); line; line = strtok(NULL, "\n")) {
		char name[96], exp[16];
		cr_assert(sscanf(line, "%95s %15s", name, exp) == 2, "fidelity list: bad line '%s'",
		          line);
		cr_assert(!strcmp(exp, "RACE") || !strcmp(exp, "NORACE"),
		          "fidelity list: bad expectation in '%s'", line);
		cr_assert(n < MAX_CASES, "fidelity list: more than %d cases", MAX_CASES);
		snprintf(cases[n].name, sizeof cases[n].name, "%s", name);
		cases[n].race = !strcmp(exp, "RACE");
		n++;
	}
	free(c.out);
	return n;
}

/* The verdict on one finished case: NULL if it agrees with Go. */
static const char *verdict(const struct fcase *fc, const struct running *r, int status)
{
	if (r->timed_out)
		return "hung";
	if (!WIFEXITED(status))
		return "killed by a signal";
	int code = WEXITSTATUS(status);
	int reports = count_of(r->out, "WARNING: ThreadSanitizer: data race");
	int other = count_of(r->out, "WARNING: ThreadSanitizer") - reports;
	if (other)
		return "TSan reported something other than a race";
	if (!strstr(r->out, ": done"))
		return "did not finish";
	if (fc->race)
		return code == 66 && reports > 0 ? NULL : "expected RACE, no report";
	return code == 0 && reports == 0 ? NULL : "expected NORACE, reported";
}

Test(model, fidelity_suite_agrees_with_go_on_one_processor, .timeout = 900)
{
	static struct fcase cases[MAX_CASES];
	int n = list_cases(cases);
	cr_assert(n > 300, "fidelity list: only %d cases", n);

	struct running run[PARALLEL];
	for (int i = 0; i < PARALLEL; i++)
		run[i].pid = 0;
	int next = 0, done = 0, failed = 0, skipped = 0;
	size_t report_cap = 1 << 16, report_len = 0;
	char *report = calloc(1, report_cap);
	const char *env[] = {tsan_env(0), "MD_PROCS=1", NULL};

	while (done + skipped < n) {
		/* Fill the free slots. */
		for (int i = 0; i < PARALLEL && next < n; i++) {
			if (run[i].pid)
				continue;
			while (next < n && excluded(cases[next].name)) {
				next++;
				skipped++;
			}
			if (next == n)
				break;
			const char *args[] = {"run", cases[next].name, NULL};
			run[i] = (struct running){.idx = next, .deadline = child_now() + 120};
			run[i].pid = child_spawn("fiber", "fidelity", args, env, &run[i].fd);
			run[i].cap = 1 << 14;
			run[i].out = malloc(run[i].cap);
			next++;
		}
		/* Read what the running ones say; reap the ones that ended. */
		struct pollfd pfd[PARALLEL];
		int map[PARALLEL], np = 0;
		for (int i = 0; i < PARALLEL; i++)
			if (run[i].pid) {
				pfd[np] = (struct pollfd){.fd = run[i].fd, .events = POLLIN};
				map[np++] = i;
			}
		if (!np)
			continue;
		if (poll(pfd, (nfds_t)np, 1000) < 0 && errno != EINTR)
			cr_assert_fail("poll: %s", strerror(errno));
		for (int k = 0; k < np; k++) {
			struct running *r = &run[map[k]];
			int ended = 0;
			if (pfd[k].revents & (POLLIN | POLLHUP)) {
				if (r->len + 4096 + 1 > r->cap)
					r->out = realloc(r->out, r->cap *= 2);
				ssize_t got = read(r->fd, r->out + r->len, 4096);
				if (got <= 0)
					ended = 1;
				else
					r->len += (size_t)got;
			}
			if (!ended && child_now() > r->deadline) {
				r->timed_out = 1;
				kill(r->pid, SIGKILL);
				ended = 1;
			}
			if (!ended)
				continue;
			close(r->fd);
			r->out[r->len] = '\0';
			int status;
			waitpid(r->pid, &status, 0);
			const struct fcase *fc = &cases[r->idx];
			const char *why = verdict(fc, r, status);
			if (why) {
				failed++;
				int w = snprintf(report + report_len, report_cap - report_len,
				                 "  %s (%s): %s\n", fc->name,
				                 fc->race ? "RACE" : "NORACE", why);
				if (w > 0 && report_len + (size_t)w < report_cap)
					report_len += (size_t)w;
				if (failed <= 3)
					cr_log_error("fidelity %s: %s; its output:\n%s", fc->name, why,
					             r->out);
			}
			free(r->out);
			r->pid = 0;
			done++;
		}
	}
	cr_expect_eq(failed, 0, "%d of %d fidelity cases disagree with Go on the fiber backend:\n%s",
	             failed, done, report);
	free(report);
}
