/* Tests of racewire-stress, driven from outside: each test runs the real
 * binary in a fresh temporary folder against the helper programs in
 * tests/runner/helpers/ and checks what it printed and left on disk
 * (runs.tsv, summary.json, run-<seq>-<class>.log).
 *
 * Timing is never asserted beyond generous bounds; every test has a
 * Criterion timeout so a runner that hangs fails instead of stalling CI.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <iconv.h>
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNNER RW_BIN_DIR "/racewire-stress"
#define HELPER(name) RW_HELPERS_DIR "/" name

/* ---- Running the runner --------------------------------------------------- */

struct job {
	char dir[64];       /* the test's temporary folder, also the cwd */
	char out[128];      /* <dir>/out, passed as --out */
	pid_t pid;
	int status;         /* raw wait status */
	char *stdout_text;
	char *stderr_text;
	char *summary;      /* <out>/summary.json, or NULL */
	char *runs_tsv;     /* <out>/runs.tsv, or NULL */
};

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, len = 0;
	char *text = malloc(cap);
	size_t got;
	while (text != NULL && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap)
			text = realloc(text, cap *= 2);
	}
	fclose(f);
	if (text != NULL)
		text[len] = '\0';
	return text;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void job_init(struct job *job)
{
	memset(job, 0, sizeof *job);
	strcpy(job->dir, "/tmp/rws-test-XXXXXX");
	cr_assert_not_null(mkdtemp(job->dir), "mkdtemp: %s", strerror(errno));
	snprintf(job->out, sizeof job->out, "%s/out", job->dir);
}

/* When nonzero, the runner is started with RLIMIT_FSIZE at this many bytes
 * (and SIGXFSZ ignored): writes past it fail with EFBIG, the way a full
 * disk makes them fail, which root cannot be kept from by permissions. */
static rlim_t job_fsize_limit;

/* Starts the runner with argv (NULL-terminated, without argv[0]); env_assignment
 * ("NAME=value") is added to its environment when not NULL. */
static void job_start(struct job *job, const char *env_assignment,
		      const char *const *args)
{
	const char *argv[64] = {RUNNER};
	size_t n = 1;
	for (; args[n - 1] != NULL; n++) {
		cr_assert_lt(n, 63);
		argv[n] = args[n - 1];
	}
	argv[n] = NULL;

	char out_path[160], err_path[160];
	snprintf(out_path, sizeof out_path, "%s/stdout.txt", job->dir);
	snprintf(err_path, sizeof err_path, "%s/stderr.txt", job->dir);
	fflush(NULL);
	job->pid = fork();
	cr_assert_geq(job->pid, 0, "fork: %s", strerror(errno));
	if (job->pid == 0) {
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (out < 0 || err < 0 || chdir(job->dir) != 0)
			_exit(127);
		dup2(out, 1);
		dup2(err, 2);
		if (env_assignment != NULL)
			putenv((char *)env_assignment);
		if (job_fsize_limit != 0) {
			struct rlimit limit = {job_fsize_limit, job_fsize_limit};
			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
				_exit(127);
		}
		execv(RUNNER, (char *const *)argv);
		_exit(127);
	}
}

/* Waits for the runner (killing it after timeout_s) and loads its outputs. */
static void job_wait(struct job *job, double timeout_s)
{
	double deadline = now_s() + timeout_s;
	bool timed_out = false;
	for (;;) {
		pid_t got = waitpid(job->pid, &job->status, WNOHANG);
		if (got == job->pid)
			break;
		cr_assert_geq(got, 0, "waitpid: %s", strerror(errno));
		if (now_s() > deadline) {
			timed_out = true;
			kill(job->pid, SIGKILL);
			waitpid(job->pid, &job->status, 0);
			break;
		}
		sleep_ms(10);
	}
	char path[256];
	snprintf(path, sizeof path, "%s/stdout.txt", job->dir);
	job->stdout_text = read_text(path);
	snprintf(path, sizeof path, "%s/stderr.txt", job->dir);
	job->stderr_text = read_text(path);
	snprintf(path, sizeof path, "%s/summary.json", job->out);
	job->summary = read_text(path);
	snprintf(path, sizeof path, "%s/runs.tsv", job->out);
	job->runs_tsv = read_text(path);
	cr_assert(!timed_out, "runner did not finish within %.0fs; stderr:\n%s",
		  timeout_s, job->stderr_text ? job->stderr_text : "");
}

static void job_run(struct job *job, double timeout_s, const char *env_assignment,
		    const char *const *args)
{
	job_start(job, env_assignment, args);
	job_wait(job, timeout_s);
}

static int job_exit_code(const struct job *job)
{
	cr_assert(WIFEXITED(job->status), "runner died by signal %d",
		  WIFSIGNALED(job->status) ? WTERMSIG(job->status) : 0);
	return WEXITSTATUS(job->status);
}

#define RUN(job, timeout, ...) \
	job_run((job), (timeout), NULL, (const char *const[]){__VA_ARGS__, NULL})

/* ---- Reading what it wrote ------------------------------------------------- */

/* The value after "key": among the summary's top-level fields (the runner
 * writes one per line, indented by two spaces; "interrupted" is also a key
 * inside "counts", so the indentation is what tells them apart). */
static const char *json_value(const char *json, const char *key)
{
	cr_assert_not_null(json, "no summary.json");
	char needle[64];
	snprintf(needle, sizeof needle, "\n  \"%s\": ", key);
	const char *at = strstr(json, needle);
	cr_assert_not_null(at, "summary.json has no field %s:\n%s", key, json);
	return at + strlen(needle);
}

static uint64_t json_u64(const char *json, const char *key)
{
	uint64_t value;
	cr_assert_eq(sscanf(json_value(json, key), "%" SCNu64, &value), 1,
		     "field %s is not a number", key);
	return value;
}

static double json_double(const char *json, const char *key)
{
	double value;
	cr_assert_eq(sscanf(json_value(json, key), "%lf", &value), 1,
		     "field %s is not a number", key);
	return value;
}

static bool json_true(const char *json, const char *key)
{
	return strncmp(json_value(json, key), "true", 4) == 0;
}

/* counts.<class>, from the one-line "counts" object. */
static uint64_t class_count(const struct job *job, const char *class)
{
	const char *counts = json_value(job->summary, "counts");
	char needle[64];
	snprintf(needle, sizeof needle, "\"%s\": ", class);
	const char *at = strstr(counts, needle);
	const char *end = strchr(counts, '}');
	cr_assert(at != NULL && at < end, "no counts.%s in:\n%s", class,
		  job->summary);
	uint64_t value;
	cr_assert_eq(sscanf(at + strlen(needle), "%" SCNu64, &value), 1);
	return value;
}

static size_t count_lines(const char *text)
{
	size_t lines = 0;
	for (; text != NULL && *text; text++)
		lines += *text == '\n';
	return lines;
}

/* Column `column` (0-based) of data line `row` (0-based, after the header). */
static bool tsv_field(const char *tsv, size_t row, size_t column, char *out,
		      size_t out_size)
{
	const char *line = strchr(tsv, '\n');
	for (size_t r = 0; line != NULL && r < row; r++)
		line = strchr(line + 1, '\n');
	if (line == NULL || line[1] == '\0')
		return false;
	const char *p = line + 1;
	for (size_t c = 0; c < column; c++) {
		p = strpbrk(p, "\t\n");
		if (p == NULL || *p == '\n')
			return false;
		p++;
	}
	size_t len = strcspn(p, "\t\n");
	if (len >= out_size)
		len = out_size - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static char *read_log(const struct job *job, uint64_t seq, const char *class)
{
	char path[256];
	snprintf(path, sizeof path, "%s/run-%" PRIu64 "-%s.log", job->out, seq,
		 class);
	return read_text(path);
}

static bool process_alive(pid_t pid)
{
	if (kill(pid, 0) != 0)
		return false;
	/* An orphan's zombie awaiting its reaper is already dead. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *stat = read_text(path);
	if (stat == NULL)
		return false;
	const char *state = strrchr(stat, ')');
	bool zombie = state != NULL && state[1] == ' ' && state[2] == 'Z';
	free(stat);
	return !zombie;
}

static bool wait_until_dead(pid_t pid, double timeout_s)
{
	double deadline = now_s() + timeout_s;
	while (process_alive(pid)) {
		if (now_s() > deadline)
			return false;
		sleep_ms(20);
	}
	return true;
}

static double wilson_upper(double failures, double runs)
{
	const double z = 1.959963984540054;
	double p = failures / runs;
	return (p + z * z / (2 * runs) +
		z * sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs))) /
	       (1 + z * z / runs);
}

/* One run of a helper, expected to land in `class` with exit `code`. */
static void expect_single_run_class(const char *helper, const char *class,
				    int runner_exit, const char *trailer_part)
{
	struct job job;
	job_init(&job);
	RUN(&job, 30, "--count", "1", "--seed", "7", "-q", "--no-diagnose",
	    "--out", job.out, "--", helper);
	cr_assert_eq(job_exit_code(&job), runner_exit, "stderr:\n%s",
		     job.stderr_text);
	cr_assert_eq(class_count(&job, class), 1, "summary:\n%s", job.summary);
	cr_assert_eq(json_u64(job.summary, "runs"), 1);
	cr_assert_eq(count_lines(job.runs_tsv), 2, "runs.tsv:\n%s", job.runs_tsv);
	char field[64];
	cr_assert(tsv_field(job.runs_tsv, 0, 6, field, sizeof field));
	cr_assert_str_eq(field, class);
	if (strcmp(class, "pass") == 0) {
		cr_assert(tsv_field(job.runs_tsv, 0, 7, field, sizeof field));
		cr_assert_str_eq(field, "-");
		return;
	}
	char *log = read_log(&job, 0, class);
	cr_assert_not_null(log, "no run-0-%s.log", class);
	char trailer[256];
	snprintf(trailer, sizeof trailer,
		 "==== racewire-stress: run 0 seed 7 %s class=%s duration=",
		 trailer_part, class);
	cr_assert_not_null(strstr(log, trailer), "no trailer '%s' in:\n%s",
			   trailer, log);
	cr_assert_eq(log[strlen(log) - 1], '\n');
	cr_assert_not_null(strstr(log, " ====\n"));
}

/* ---- Classification -------------------------------------------------------- */

Test(classify, pass, .timeout = 30)
{
	expect_single_run_class(HELPER("pass"), "pass", 0, NULL);
}

Test(classify, nonzero_exit_is_other, .timeout = 30)
{
	expect_single_run_class(HELPER("fail"), "other", 1, "exit=1 signal=0");
}

Test(classify, sigsegv_is_signal, .timeout = 30)
{
	expect_single_run_class(HELPER("segv"), "signal", 1, "exit=-1 signal=11");
}

Test(classify, data_race_report_is_race, .timeout = 30)
{
	expect_single_run_class(HELPER("race"), "race", 1, "exit=66 signal=0");
}

Test(classify, cxx_tsan_data_race_report_is_race, .timeout = 30)
{
	expect_single_run_class(HELPER("race_cxx"), "race", 1, "exit=66 signal=0");
}

Test(classify, tsan_check_failure_beats_race, .timeout = 30)
{
	expect_single_run_class(HELPER("tsan_check"), "tsan_check", 1,
				"exit=66 signal=0");
}

Test(classify, racewire_fatal_beats_abort_signal, .timeout = 30)
{
	expect_single_run_class(HELPER("fatal"), "racewire", 1,
				"exit=-1 signal=6");
}

Test(classify, fail_regex_fails_a_clean_exit, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 30, "--count", "2", "-q", "--no-diagnose", "--fail",
	    "^pass helper", "--out", job.out, HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 1);
	cr_assert_eq(class_count(&job, "other"), 2, "%s", job.summary);
	cr_assert_eq(class_count(&job, "pass"), 0);
}

Test(classify, ignore_regex_makes_failure_ignored, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 30, "--count", "3", "-q", "--no-diagnose", "--ignore",
	    "failing on purpose", "--out", job.out, HELPER("fail"));
	cr_assert_eq(job_exit_code(&job), 0, "%s", job.stderr_text);
	cr_assert_eq(class_count(&job, "ignored"), 3, "%s", job.summary);
	cr_assert_eq(json_u64(job.summary, "failures"), 0);
	cr_assert_eq(json_u64(job.summary, "runs"), 3);
	char *log = read_log(&job, 2, "ignored");
	cr_assert_not_null(log, "ignored runs keep their log");
	cr_assert_not_null(strstr(log, "class=ignored"));
}

Test(classify, ignore_regex_not_matching_keeps_failure, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 30, "--count", "1", "-q", "--no-diagnose", "--ignore",
	    "no such text", "--out", job.out, HELPER("race"));
	cr_assert_eq(job_exit_code(&job), 1);
	cr_assert_eq(class_count(&job, "race"), 1);
}

/* ---- The job: counts, seeds, shards, statistics ----------------------------- */

Test(job, flaky_counts_logs_and_wilson_bound, .timeout = 60)
{
	struct job job;
	job_init(&job);
	RUN(&job, 60, "--count", "20", "-p", "4", "--seed", "100", "-q",
	    "--no-diagnose", "--out", job.out, HELPER("flaky"));
	cr_assert_eq(job_exit_code(&job), 1, "%s", job.stderr_text);
	/* Seeds 100..119: the odd ones, seq 1, 3, ..., 19, fail. */
	cr_assert_eq(json_u64(job.summary, "runs"), 20, "%s", job.summary);
	cr_assert_eq(json_u64(job.summary, "failures"), 10);
	cr_assert_eq(class_count(&job, "other"), 10);
	cr_assert_eq(class_count(&job, "pass"), 10);
	cr_assert_eq(json_u64(job.summary, "seed"), 100);
	cr_assert_float_eq(json_double(job.summary, "wilson_upper_95"),
			   wilson_upper(10, 20), 1e-5);
	cr_assert_eq(count_lines(job.runs_tsv), 21, "%s", job.runs_tsv);
	for (uint64_t seq = 0; seq < 20; seq++) {
		char *log = read_log(&job, seq, "other");
		if (seq % 2 == 0) {
			cr_assert_null(log, "passing run %" PRIu64 " kept a log", seq);
			continue;
		}
		cr_assert_not_null(log, "no log for failed run %" PRIu64, seq);
		char expect[128];
		/* The program saw its own seed and run number... */
		snprintf(expect, sizeof expect, "flaky helper seed=%" PRIu64
			 " run=%" PRIu64 "\n", 100 + seq, seq);
		cr_assert_not_null(strstr(log, expect), "%s", log);
		/* ...and the trailer says the same. */
		snprintf(expect, sizeof expect, "==== racewire-stress: run %" PRIu64
			 " seed %" PRIu64 " exit=1 signal=0 class=other duration=",
			 seq, 100 + seq);
		cr_assert_not_null(strstr(log, expect), "%s", log);
		free(log);
	}
	cr_assert_not_null(strstr(job.stdout_text, "failure rate 10/20 = 50.00%"),
			   "%s", job.stdout_text);
}

Test(job, zero_failures_still_bound_the_rate, .timeout = 60)
{
	struct job job;
	job_init(&job);
	RUN(&job, 60, "--count", "1000", "-q", "--no-diagnose", "--out", job.out,
	    HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 0, "%s", job.stderr_text);
	cr_assert_eq(json_u64(job.summary, "runs"), 1000);
	cr_assert_eq(json_u64(job.summary, "failures"), 0);
	/* 3.84/1003.84: the "rule of three" neighbourhood. */
	cr_assert_float_eq(json_double(job.summary, "wilson_upper_95"),
			   0.003827, 2e-6);
	cr_assert_not_null(strstr(job.stdout_text,
				  "failure rate 0/1000 = 0.00%, 95% upper bound 0.38%"),
			   "%s", job.stdout_text);
	cr_assert_eq(count_lines(job.runs_tsv), 1001);
}

Test(job, count_is_exact_and_each_seq_runs_once, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 30, "-p", "3", "--count", "7", "-q", "--no-diagnose", "--out",
	    job.out, HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 0);
	cr_assert_eq(json_u64(job.summary, "runs"), 7);
	cr_assert_eq(count_lines(job.runs_tsv), 8);
	bool seen[7] = {false};
	for (size_t row = 0; row < 7; row++) {
		char field[32];
		cr_assert(tsv_field(job.runs_tsv, row, 0, field, sizeof field));
		unsigned long seq = strtoul(field, NULL, 10);
		cr_assert_lt(seq, 7);
		cr_assert(!seen[seq], "seq %lu ran twice", seq);
		seen[seq] = true;
	}
}

Test(job, shard_runs_only_its_sequence_numbers, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 30, "--shard", "1/3", "--count", "10", "--seed", "50", "-q",
	    "--no-diagnose", "--out", job.out, HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 0);
	cr_assert_eq(json_u64(job.summary, "runs"), 3, "%s", job.summary);
	cr_assert_not_null(strstr(job.summary, "\"shard\": \"1/3\""));
	cr_assert_eq(count_lines(job.runs_tsv), 4);
	for (size_t row = 0; row < 3; row++) {
		char seq[32], seed[32];
		cr_assert(tsv_field(job.runs_tsv, row, 0, seq, sizeof seq));
		cr_assert(tsv_field(job.runs_tsv, row, 1, seed, sizeof seed));
		cr_assert_eq(strtoul(seq, NULL, 10) % 3, 1, "seq %s", seq);
		cr_assert_eq(strtoul(seed, NULL, 10), 50 + strtoul(seq, NULL, 10));
	}
}

Test(job, failfast_stops_at_the_first_failure, .timeout = 30)
{
	struct job job;
	job_init(&job);
	/* No --count: without failfast this would run until interrupted. */
	RUN(&job, 25, "-p", "2", "--failfast", "-q", "--no-diagnose", "--out",
	    job.out, HELPER("fail"));
	cr_assert_eq(job_exit_code(&job), 1);
	uint64_t failures = json_u64(job.summary, "failures");
	cr_assert_geq(failures, 1);
	/* Runs already going when the first failure arrived may finish, and
	 * those are at most the other parallel slots. */
	cr_assert_leq(json_u64(job.summary, "runs") + class_count(&job, "interrupted"),
		      2, "%s", job.summary);
	cr_assert_not_null(strstr(job.summary, "\"stopped_by\": \"failfast\""));
	cr_assert(!json_true(job.summary, "interrupted"));
}

Test(job, budget_stops_starting_runs, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--budget", "0.5", "-q", "--no-diagnose", "--out", job.out,
	    HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 0);
	cr_assert_geq(json_u64(job.summary, "runs"), 1);
	cr_assert_not_null(strstr(job.summary, "\"stopped_by\": \"budget\""));
	cr_assert_eq(count_lines(job.runs_tsv),
		     json_u64(job.summary, "runs") + 1);
}

Test(job, progress_line_and_quiet, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--budget", "5.5", "--no-diagnose", "--out", job.out,
	    HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 0);
	cr_assert_not_null(strstr(job.stderr_text, "5s: "), "%s", job.stderr_text);
	cr_assert_not_null(strstr(job.stderr_text, " runs so far, 0 failures (0.00%)"),
			   "%s", job.stderr_text);
}

/* ---- Hangs --------------------------------------------------------------------- */

static void parse_hang_pids(const char *log, pid_t *leader, pid_t *child)
{
	const char *at = strstr(log, "hang helper leader=");
	cr_assert_not_null(at, "%s", log);
	int l, c;
	cr_assert_eq(sscanf(at, "hang helper leader=%d child=%d", &l, &c), 2);
	*leader = l;
	*child = c;
}

Test(hang, stacks_captured_then_group_killed, .timeout = 90)
{
	struct job job;
	job_init(&job);
	RUN(&job, 80, "--count", "1", "--timeout", "1", "--kill-grace", "1",
	    "-q", "--no-diagnose", "--seed", "3", "--out", job.out,
	    HELPER("hang"));
	cr_assert_eq(job_exit_code(&job), 1);
	cr_assert_eq(class_count(&job, "hang"), 1, "%s", job.summary);
	char *log = read_log(&job, 0, "hang");
	cr_assert_not_null(log);
	pid_t leader, child;
	parse_hang_pids(log, &leader, &child);
	char marker[160];
	snprintf(marker, sizeof marker,
		 "\n==== racewire-stress: hang after 1s; stacks of pid %d (gdb) ====\n",
		 (int)leader);
	cr_assert_not_null(strstr(log, marker), "no '%s' in:\n%s", marker, log);
	cr_assert_not_null(strstr(strstr(log, marker), "#0"), "no frames:\n%s", log);
	cr_assert_not_null(strstr(log, "main"), "%s", log);
	/* The stacks come before the trailer, and SIGTERM ended the leader. */
	cr_assert_not_null(strstr(strstr(log, marker), "exit=-1 signal=15 class=hang"),
			   "%s", log);
	cr_assert(wait_until_dead(leader, 5), "leader %d survived", (int)leader);
	cr_assert(wait_until_dead(child, 5), "grandchild %d survived", (int)child);
}

Test(hang, sigterm_ignored_gets_sigkill, .timeout = 60)
{
	struct job job;
	job_init(&job);
	RUN(&job, 50, "--count", "1", "--timeout", "0.5", "--kill-grace", "0.5",
	    "--no-stacks", "-q", "--no-diagnose", "--out", job.out,
	    HELPER("hang"), "--ignore-term");
	cr_assert_eq(job_exit_code(&job), 1);
	cr_assert_eq(class_count(&job, "hang"), 1);
	char *log = read_log(&job, 0, "hang");
	cr_assert_not_null(log);
	cr_assert_null(strstr(log, "stacks of pid"), "--no-stacks:\n%s", log);
	cr_assert_not_null(strstr(log, "exit=-1 signal=9 class=hang"), "%s", log);
	pid_t leader, child;
	parse_hang_pids(log, &leader, &child);
	cr_assert(wait_until_dead(leader, 5));
	cr_assert(wait_until_dead(child, 5), "grandchild %d survived", (int)child);
}

Test(hang, parallel_hangs_each_get_their_stacks, .timeout = 90)
{
	/* Both slots hang at once: the captures run side by side, each run's
	 * stacks land in its own log, and neither blocks the other's kill. */
	struct job job;
	job_init(&job);
	RUN(&job, 80, "-p", "2", "--count", "2", "--timeout", "1",
	    "--kill-grace", "0.2", "-q", "--no-diagnose", "--out", job.out,
	    HELPER("hang"));
	cr_assert_eq(job_exit_code(&job), 1);
	cr_assert_eq(class_count(&job, "hang"), 2, "%s", job.summary);
	cr_assert_eq(count_lines(job.runs_tsv), 3);
	for (uint64_t seq = 0; seq < 2; seq++) {
		char *log = read_log(&job, seq, "hang");
		cr_assert_not_null(log, "no log for run %" PRIu64, seq);
		pid_t leader, child;
		parse_hang_pids(log, &leader, &child);
		char marker[160];
		snprintf(marker, sizeof marker, "stacks of pid %d (", (int)leader);
		cr_assert_not_null(strstr(log, marker), "%s", log);
		cr_assert(wait_until_dead(child, 5));
		free(log);
	}
}

/* ---- Interruption ------------------------------------------------------------------ */

Test(interrupt, sigint_mid_job_leaves_complete_records, .timeout = 60)
{
	struct job job;
	job_init(&job);
	job_start(&job, NULL, (const char *const[]){
		"-p", "2", "-q", "--no-diagnose", "--kill-grace", "1", "--out",
		job.out, HELPER("flaky"), NULL});
	sleep_ms(1500);
	double sent = now_s();
	kill(job.pid, SIGINT);
	job_wait(&job, 20);
	cr_assert_lt(now_s() - sent, 15, "slow to stop");
	/* Odd seeds failed, so exit 1; the JSON says it was interrupted. */
	cr_assert_eq(job_exit_code(&job), 1, "%s", job.stderr_text);
	cr_assert(json_true(job.summary, "interrupted"), "%s", job.summary);
	uint64_t runs = json_u64(job.summary, "runs");
	cr_assert_gt(runs, 2);
	cr_assert_eq(count_lines(job.runs_tsv),
		     runs + class_count(&job, "interrupted") + 1,
		     "%s", job.summary);
	cr_assert_not_null(strstr(job.stdout_text, "\ninterrupted\n"), "%s",
			   job.stdout_text);
}

Test(interrupt, sigint_kills_running_groups_not_counted, .timeout = 60)
{
	struct job job;
	job_init(&job);
	char pid_dir_assignment[128];
	snprintf(pid_dir_assignment, sizeof pid_dir_assignment,
		 "RWTEST_PID_DIR=%s", job.dir);
	job_start(&job, pid_dir_assignment, (const char *const[]){
		"-p", "2", "-q", "--no-diagnose", "--kill-grace", "0.5",
		"--timeout", "600", "--out", job.out, HELPER("hang"),
		"--ignore-term", NULL});
	sleep_ms(1000);
	kill(job.pid, SIGINT);
	job_wait(&job, 20);
	cr_assert_eq(job_exit_code(&job), 0, "%s", job.stderr_text);
	cr_assert(json_true(job.summary, "interrupted"));
	cr_assert_eq(json_u64(job.summary, "runs"), 0, "%s", job.summary);
	cr_assert_eq(json_u64(job.summary, "failures"), 0);
	cr_assert_eq(class_count(&job, "interrupted"), 2);
	cr_assert_eq(count_lines(job.runs_tsv), 3, "%s", job.runs_tsv);
	char field[32];
	cr_assert(tsv_field(job.runs_tsv, 0, 6, field, sizeof field));
	cr_assert_str_eq(field, "interrupted");
	/* Interrupted runs keep no log, so the helpers left their pids in
	 * files; both runs, leaders and grandchildren, must be gone. */
	DIR *dir = opendir(job.dir);
	cr_assert_not_null(dir);
	int helpers_seen = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		if (strncmp(entry->d_name, "hang-", 5) != 0)
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", job.dir, entry->d_name);
		char *pids = read_text(path);
		int leader, child;
		cr_assert(pids != NULL && sscanf(pids, "%d %d", &leader, &child) == 2);
		cr_assert(wait_until_dead(leader, 5), "leader %d survived", leader);
		cr_assert(wait_until_dead(child, 5), "grandchild %d survived", child);
		helpers_seen++;
		free(pids);
	}
	closedir(dir);
	cr_assert_eq(helpers_seen, 2);
}

/* ---- Diagnosis ---------------------------------------------------------------------- */

Test(diagnose, verdict_recorded_in_tsv_table_and_summary, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--count", "2", "-q", "--diagnose", HELPER("diag"),
	    "--out", job.out, HELPER("fail"));
	cr_assert_eq(job_exit_code(&job), 1);
	char verdict[128];
	cr_assert(tsv_field(job.runs_tsv, 0, 8, verdict, sizeof verdict));
	cr_assert(strncmp(verdict, "diag verdict for run-", 21) == 0, "'%s'",
		  verdict);
	cr_assert_not_null(strstr(job.stdout_text, "diag verdict for run-1-other.log"),
			   "%s", job.stdout_text);
	cr_assert_not_null(strstr(job.summary, "\"verdict\": \"diag verdict for run-"),
			   "%s", job.summary);
}

static void expect_dash_verdict(const char *mode_assignment)
{
	struct job job;
	job_init(&job);
	job_run(&job, 40, mode_assignment, (const char *const[]){
		"--count", "1", "-q", "--diagnose", HELPER("diag"), "--out",
		job.out, HELPER("fail"), NULL});
	cr_assert_eq(job_exit_code(&job), 1, "%s", job.stderr_text);
	cr_assert_eq(json_u64(job.summary, "runs"), 1);
	char verdict[128];
	cr_assert(tsv_field(job.runs_tsv, 0, 8, verdict, sizeof verdict));
	cr_assert_str_eq(verdict, "-");
}

Test(diagnose, hanging_diagnoser_gives_dash, .timeout = 60)
{
	expect_dash_verdict("RWTEST_DIAG_MODE=sleep");
}

Test(diagnose, crashing_diagnoser_gives_dash, .timeout = 30)
{
	expect_dash_verdict("RWTEST_DIAG_MODE=crash");
}

Test(diagnose, failing_diagnoser_gives_dash, .timeout = 30)
{
	expect_dash_verdict("RWTEST_DIAG_MODE=garbage");
}

Test(diagnose, missing_diagnoser_gives_dash, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--count", "1", "-q", "--diagnose", "/nonexistent/diag",
	    "--out", job.out, HELPER("fail"));
	cr_assert_eq(job_exit_code(&job), 1);
	char verdict[128];
	cr_assert(tsv_field(job.runs_tsv, 0, 8, verdict, sizeof verdict));
	cr_assert_str_eq(verdict, "-");
}

/* ---- Arguments ----------------------------------------------------------------------- */

struct bad_args_case {
	const char *args[8];
	const char *must_name;   /* the message must mention this */
};

Test(args, bad_arguments_exit_2_naming_the_problem, .timeout = 60)
{
	static const struct bad_args_case cases[] = {
		{{"--bogus", HELPER("pass")}, "--bogus"},
		{{"-Z", HELPER("pass")}, "-Z"},
		{{"--count"}, "--count"},
		{{"--count", "abc", HELPER("pass")}, "abc"},
		{{"--count", "0", HELPER("pass")}, "--count"},
		{{"-p", "0", HELPER("pass")}, "--parallel"},
		{{"--timeout", "-1", HELPER("pass")}, "--timeout"},
		{{"--timeout", "1x", HELPER("pass")}, "1x"},
		{{"--seed", "-5", HELPER("pass")}, "--seed"},
		{{"--shard", "3/2", HELPER("pass")}, "3/2"},
		{{"--shard", "1", HELPER("pass")}, "--shard"},
		{{"--fail", "(", HELPER("pass")}, "--fail"},
		{{"--ignore", "a[", HELPER("pass")}, "--ignore"},
		{{"--windows", "0", HELPER("pass")}, "--windows"},
		{{"--junit", "", HELPER("pass")}, "--junit"},
		{{"--count", "3"}, "no command"},
		{{"--count", "1", "--", "/nonexistent/program"}, "/nonexistent/program"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct job job;
		job_init(&job);
		const char *args[12];
		size_t n = 0;
		args[n++] = "--out";
		args[n++] = job.out;
		for (size_t a = 0; cases[i].args[a] != NULL; a++)
			args[n++] = cases[i].args[a];
		args[n] = NULL;
		job_run(&job, 10, NULL, args);
		cr_expect_eq(job_exit_code(&job), 2, "case %zu (%s): exit %d", i,
			     cases[i].must_name, job_exit_code(&job));
		cr_expect_not_null(strstr(job.stderr_text, cases[i].must_name),
				   "case %zu: message does not name '%s':\n%s", i,
				   cases[i].must_name, job.stderr_text);
		if (i < 16)
			cr_expect_not_null(strstr(job.stderr_text, "usage:"),
					   "case %zu: no usage", i);
		cr_expect_eq(count_lines(job.runs_tsv), 0, "case %zu ran runs", i);
	}
}

Test(args, help_exits_0_with_usage, .timeout = 10)
{
	struct job job;
	job_init(&job);
	RUN(&job, 10, "--help");
	cr_assert_eq(job_exit_code(&job), 0);
	cr_assert_not_null(strstr(job.stdout_text, "usage: racewire-stress"));
}

Test(args, command_without_double_dash_keeps_its_options, .timeout = 30)
{
	struct job job;
	job_init(&job);
	/* --ignore-term must reach the helper, not the runner. */
	RUN(&job, 25, "--count", "1", "-q", "--no-diagnose", "--timeout", "0.3",
	    "--kill-grace", "0.2", "--no-stacks", "--out", job.out, HELPER("hang"),
	    "--ignore-term");
	cr_assert_eq(job_exit_code(&job), 1, "%s", job.stderr_text);
	char *log = read_log(&job, 0, "hang");
	cr_assert_not_null(log);
	/* Ignoring SIGTERM proves the helper got its flag. */
	cr_assert_not_null(strstr(log, "signal=9"), "%s", log);
	cr_assert_not_null(strstr(job.summary, "\"--ignore-term\""), "%s",
			   job.summary);
}

Test(args, json_path_option, .timeout = 30)
{
	struct job job;
	job_init(&job);
	char json_path[200];
	snprintf(json_path, sizeof json_path, "%s/elsewhere.json", job.dir);
	RUN(&job, 25, "--count", "2", "-q", "--no-diagnose", "--json", json_path,
	    "--out", job.out, HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 0);
	char *summary = read_text(json_path);
	cr_assert_not_null(summary);
	cr_assert_eq(json_u64(summary, "runs"), 2);
	cr_assert_null(job.summary, "default summary written despite --json");
}

/* ---- Hygiene ----------------------------------------------------------------------- */

Test(hygiene, runs_get_only_stdin_stdout_stderr, .timeout = 30)
{
	/* An fd the runner inherits without O_CLOEXEC (as from a CI harness)
	 * must not reach the runs either. */
	int stray = open("/dev/null", O_RDONLY);
	cr_assert_geq(stray, 0);
	cr_assert_neq(dup2(stray, 57), -1);
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--count", "1", "-q", "--no-diagnose", "--fail", ".",
	    "--out", job.out, "/bin/ls", "-1", "/proc/self/fd");
	close(57);
	close(stray);
	cr_assert_eq(job_exit_code(&job), 1);
	char *log = read_log(&job, 0, "other");
	cr_assert_not_null(log);
	/* ls lists 0, 1, 2 and its own directory fd, 3; nothing else. */
	int fds = 0;
	for (const char *line = log; *line != '\0' && strncmp(line, "====", 4) != 0;
	     line = strchr(line, '\n') + 1) {
		int fd = atoi(line);
		cr_assert_leq(fd, 3, "run saw fd %d:\n%s", fd, log);
		fds++;
	}
	cr_assert_eq(fds, 4, "%s", log);
}

/* ---- The whole output counts ----------------------------------------------------- */

Test(scan, report_after_64_mib_of_output_counts, .timeout = 60)
{
	struct job job;
	job_init(&job);
	/* 65 MiB of 100-byte lines, then the report. */
	RUN(&job, 50, "--count", "1", "-q", "--no-diagnose", "--out", job.out,
	    HELPER("bigout"), "68157440");
	cr_assert_eq(job_exit_code(&job), 1, "%s", job.stderr_text);
	cr_assert_eq(class_count(&job, "race"), 1, "%s", job.summary);
}

Test(scan, report_inside_one_long_line_across_segments, .timeout = 30)
{
	/* One line of 65,531 bytes and then the report, so the marker
	 * straddles the scanner's 64 KiB segment border, and one just past
	 * a 256 KiB read chunk. */
	static const char *const sizes[] = {"65531", "262141"};
	for (size_t i = 0; i < 2; i++) {
		struct job job;
		job_init(&job);
		RUN(&job, 25, "--count", "1", "-q", "--no-diagnose", "--out",
		    job.out, HELPER("bigout"), sizes[i], "long");
		cr_assert_eq(job_exit_code(&job), 1, "%s", job.stderr_text);
		cr_assert_eq(class_count(&job, "race"), 1, "size %s: %s", sizes[i],
			     job.summary);
	}
}

Test(scan, windows_summed_from_the_fixed_line_only, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--count", "3", "-q", "--no-diagnose", "--out", job.out,
	    HELPER("windows"));
	cr_assert_eq(job_exit_code(&job), 0, "%s", job.stderr_text);
	char field[32];
	cr_assert(tsv_field(job.runs_tsv, 0, 9, field, sizeof field));
	cr_assert_str_eq(field, "25", "%s", job.runs_tsv);
	cr_assert_eq(json_u64(job.summary, "windows"), 75, "%s", job.summary);
	cr_assert_not_null(strstr(job.stdout_text, "hazard windows 75, 95% upper bound per window"),
			   "%s", job.stdout_text);
	/* A program that prints no count has "-", and 0 in the sum. */
	struct job plain;
	job_init(&plain);
	RUN(&plain, 25, "--count", "1", "-q", "--no-diagnose", "--out", plain.out,
	    HELPER("pass"));
	cr_assert(tsv_field(plain.runs_tsv, 0, 9, field, sizeof field));
	cr_assert_str_eq(field, "-");
	cr_assert_eq(json_u64(plain.summary, "windows"), 0);
}

Test(scan, windows_target_stops_starting_runs, .timeout = 30)
{
	/* 25 windows a run, one run at a time: the third run reaches 60. */
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--windows", "60", "-p", "1", "-q", "--no-diagnose",
	    "--out", job.out, HELPER("windows"));
	cr_assert_eq(job_exit_code(&job), 0, "%s", job.stderr_text);
	cr_assert_eq(json_u64(job.summary, "runs"), 3, "%s", job.summary);
	cr_assert_eq(json_u64(job.summary, "windows"), 75);
	cr_assert_eq(json_u64(job.summary, "windows_target"), 60);
	cr_assert_not_null(strstr(job.summary, "\"stopped_by\": \"windows\""),
			   "%s", job.summary);
}

/* ---- A run's output is its own ------------------------------------------------------ */

Test(isolation, setsid_leftover_cannot_write_into_a_later_run, .timeout = 60)
{
	struct job job;
	job_init(&job);
	char fifo[160];
	snprintf(fifo, sizeof fifo, "%s/go", job.dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
	snprintf(fifo, sizeof fifo, "%s/done", job.dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
	RUN(&job, 50, "--count", "2", "-p", "1", "-t", "20", "-q",
	    "--no-diagnose", "--out", job.out, HELPER("escapee"), job.dir);
	cr_assert_eq(job_exit_code(&job), 0, "stdout:\n%s\nstderr:\n%s",
		     job.stdout_text, job.stderr_text);
	cr_assert_eq(class_count(&job, "pass"), 2, "%s", job.summary);
	/* The escaped process did write (run 1 waited for it). */
	cr_assert_not_null(strstr(job.runs_tsv, "\tpass\t"), "%s", job.runs_tsv);
}

/* ---- Results are never lost silently ----------------------------------------------- */

Test(lost, unwritable_summary_fails_before_the_first_run, .timeout = 30)
{
	struct job job;
	job_init(&job);
	char json[200];
	snprintf(json, sizeof json, "%s/no/such/folder/summary.json", job.dir);
	RUN(&job, 25, "--count", "3", "-q", "--no-diagnose", "--json", json,
	    "--out", job.out, HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 3, "%s", job.stderr_text);
	cr_assert_not_null(strstr(job.stderr_text, "no/such/folder/summary.json"),
			   "%s", job.stderr_text);
	cr_assert_eq(count_lines(job.runs_tsv), 0, "runs started: %s", job.runs_tsv);
}

Test(lost, unwritable_junit_and_out_fail_before_the_first_run, .timeout = 30)
{
	struct job job;
	job_init(&job);
	char junit[200];
	snprintf(junit, sizeof junit, "%s/missing/junit.xml", job.dir);
	RUN(&job, 25, "--count", "3", "-q", "--junit", junit, "--out", job.out,
	    HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 3, "%s", job.stderr_text);
	cr_assert_not_null(strstr(job.stderr_text, "missing/junit.xml"), "%s",
			   job.stderr_text);
	cr_assert_null(job.runs_tsv);

	struct job under_file;
	job_init(&under_file);
	char out[200];
	snprintf(out, sizeof out, "%s/stdout.txt/out", under_file.dir);
	RUN(&under_file, 25, "--count", "1", "-q", "--out", out, HELPER("pass"));
	cr_assert_eq(job_exit_code(&under_file), 3, "%s", under_file.stderr_text);
	cr_assert_not_null(strstr(under_file.stderr_text, "cannot create --out folder"),
			   "%s", under_file.stderr_text);
}

Test(lost, a_full_disk_mid_job_exits_3_not_0, .timeout = 60)
{
	/* runs.tsv outgrows 4 KiB after some 50 runs of a passing program. */
	struct job job;
	job_init(&job);
	job_fsize_limit = 4096;
	RUN(&job, 50, "--count", "200", "-q", "--no-diagnose", "--out", job.out,
	    HELPER("pass"));
	job_fsize_limit = 0;
	cr_assert_eq(job_exit_code(&job), 3, "%s", job.stderr_text);
	cr_assert_not_null(strstr(job.stderr_text, "cannot append to runs.tsv"),
			   "%s", job.stderr_text);
	cr_assert_not_null(strstr(job.stderr_text, "results were lost"), "%s",
			   job.stderr_text);
}

/* ---- Reports stay valid whatever they carry ----------------------------------------- */

/* UTF-8 checked by glibc's iconv, not by the runner's own code. */
static bool valid_utf8(const char *text)
{
	iconv_t cd = iconv_open("UTF-8", "UTF-8");
	cr_assert_neq(cd, (iconv_t)-1);
	size_t in_left = strlen(text), out_left = in_left * 2 + 16;
	char *out = malloc(out_left), *out_p = out;
	char *in = (char *)text;
	size_t rc = iconv(cd, &in, &in_left, &out_p, &out_left);
	iconv_close(cd);
	free(out);
	return rc != (size_t)-1 && in_left == 0;
}

static bool has_raw_control(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			return true;
	return false;
}

Test(reports, summary_valid_json_whatever_the_bytes, .timeout = 30)
{
	cr_assert(!valid_utf8("bad \xff"), "iconv does not reject invalid UTF-8");
	struct job job;
	job_init(&job);
	job_run(&job, 25, "RWTEST_DIAG_MODE=bytes", (const char *const[]){
		"--count", "1", "-q", "--diagnose", HELPER("diag"), "--fail",
		"\xff|x", "--out", job.out, HELPER("fail"), "arg\xc3\x28\x01", NULL});
	cr_assert_eq(job_exit_code(&job), 1, "%s", job.stderr_text);
	cr_assert(valid_utf8(job.summary), "summary is not UTF-8:\n%s", job.summary);
	cr_assert(!has_raw_control(job.summary), "%s", job.summary);
	cr_assert_not_null(strstr(job.summary, "\"verdict\": \"bad \xef\xbf\xbd"),
			   "%s", job.summary);
	cr_assert_not_null(strstr(job.summary, "\\u0001"), "%s", job.summary);
	cr_assert_not_null(strstr(job.summary, "<&\\\"'>"), "%s", job.summary);
}

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

Test(reports, junit_one_case_per_run_escaped, .timeout = 30)
{
	struct job job;
	job_init(&job);
	char junit[200];
	snprintf(junit, sizeof junit, "%s/junit.xml", job.dir);
	job_run(&job, 25, "RWTEST_DIAG_MODE=bytes", (const char *const[]){
		"--count", "4", "-q", "--diagnose", HELPER("diag"), "--junit",
		junit, "--out", job.out, HELPER("flaky"), NULL});
	char *xml = read_text(junit);
	cr_assert_not_null(xml, "no %s; stderr:\n%s", junit, job.stderr_text);
	uint64_t failures = json_u64(job.summary, "failures");
	cr_assert(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
	cr_assert(valid_utf8(xml), "%s", xml);
	cr_assert(!has_raw_control(xml), "%s", xml);
	cr_assert_eq(count_of(xml, "<testcase "), 4, "%s", xml);
	cr_assert_eq(count_of(xml, "<failure "), failures, "%s", xml);
	char totals[128];
	snprintf(totals, sizeof totals, "tests=\"4\" failures=\"%" PRIu64 "\"",
		 failures);
	cr_assert_not_null(strstr(xml, totals), "%s", xml);
	if (failures > 0) {
		cr_assert_not_null(strstr(xml, "&lt;&amp;&quot;&apos;&gt;"), "%s", xml);
		cr_assert_not_null(strstr(xml, "log: "), "%s", xml);
		cr_assert_not_null(strstr(xml, "-other.log"), "%s", xml);
	}
	/* Markup is balanced: every case opened is closed. */
	cr_assert_eq(count_of(xml, "<testcase ") - count_of(xml, "/>\n    <testcase")
		     - (strstr(xml, "\"/>\n  </testsuite>") != NULL),
		     count_of(xml, "</testcase>"), "%s", xml);
	cr_assert_not_null(strstr(xml, "</testsuite>\n</testsuites>\n"));
	free(xml);
}

Test(reports, tap_version_13_a_point_per_run_and_the_plan, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--count", "4", "--tap", "--no-diagnose", "--out", job.out,
	    HELPER("flaky"));
	const char *tap = job.stdout_text;
	cr_assert(strncmp(tap, "TAP version 13\n", 15) == 0, "%s", tap);
	uint64_t failures = json_u64(job.summary, "failures");
	cr_assert_eq(count_of(tap, "\nnot ok "), failures, "%s", tap);
	cr_assert_eq(count_of(tap, "\nok ") + failures, 4, "%s", tap);
	cr_assert_eq(count_of(tap, "\n  ---\n"), failures, "%s", tap);
	size_t len = strlen(tap);
	cr_assert(len > 5 && strcmp(tap + len - 5, "1..4\n") == 0, "%s", tap);
	/* Everything else on stdout is a TAP comment. */
	for (const char *line = tap; *line; line = strchr(line, '\n') + 1) {
		bool known = !strncmp(line, "TAP version", 11) || !strncmp(line, "ok ", 3) ||
			     !strncmp(line, "not ok ", 7) || !strncmp(line, "  ", 2) ||
			     !strncmp(line, "# ", 2) || !strncmp(line, "1..", 3);
		cr_assert(known, "not TAP: %.*s", (int)strcspn(line, "\n"), line);
	}
}

/* ---- A flight record per run --------------------------------------------------------- */

Test(flight, a_record_per_run_kept_for_failures, .timeout = 30)
{
	struct job job;
	job_init(&job);
	char flight_dir[200];
	snprintf(flight_dir, sizeof flight_dir, "%s/flight", job.dir);
	job_run(&job, 25, "RACEWIRE_OPTIONS=verbosity=0", (const char *const[]){
		"--count", "4", "-p", "2", "-q", "--no-diagnose", "--flight",
		flight_dir, "--out", job.out, HELPER("flightrec"), NULL});
	cr_assert_eq(job_exit_code(&job), 1, "%s", job.stderr_text);
	for (int seq = 0; seq < 4; seq++) {
		char path[256];
		snprintf(path, sizeof path, "%s/run-%d.flight", flight_dir, seq);
		char *record = read_text(path);
		if (seq % 2 == 0) {
			cr_expect_null(record, "passing run %d's record kept", seq);
			continue;
		}
		cr_assert_not_null(record, "failed run %d has no %s", seq, path);
		char want[64];
		snprintf(want, sizeof want, "flight record of run %d\n", seq);
		cr_assert_str_eq(record, want);
		free(record);
		char *log = read_log(&job, (uint64_t)seq, "other");
		cr_assert_not_null(log);
		char options[300];
		snprintf(options, sizeof options,
			 "options: verbosity=0:flight=%s/run-%d.flight\n", flight_dir, seq);
		cr_assert_not_null(strstr(log, options), "%s", log);
		free(log);
	}
	cr_assert_not_null(strstr(job.runs_tsv, "/run-1.flight\n"), "%s", job.runs_tsv);
}

Test(flight, bad_folder_is_refused, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--count", "1", "--flight", "a:b", "--out", job.out,
	    HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 2);
	cr_assert_not_null(strstr(job.stderr_text, "bad value for --flight: 'a:b'"),
			   "%s", job.stderr_text);
	struct job under_file;
	job_init(&under_file);
	char dir[200];
	snprintf(dir, sizeof dir, "%s/stdout.txt/flight", under_file.dir);
	RUN(&under_file, 25, "--count", "1", "--flight", dir, "--out",
	    under_file.out, HELPER("pass"));
	cr_assert_eq(job_exit_code(&under_file), 3);
	cr_assert_not_null(strstr(under_file.stderr_text, "cannot create --flight folder"),
			   "%s", under_file.stderr_text);
}

/* ---- Progress ------------------------------------------------------------------------ */

Test(job, progress_line_shows_rate_and_time_left, .timeout = 30)
{
	struct job job;
	job_init(&job);
	RUN(&job, 25, "--budget", "5.5", "--no-diagnose", "--out", job.out,
	    HELPER("pass"));
	cr_assert_eq(job_exit_code(&job), 0);
	cr_assert_not_null(strstr(job.stderr_text, " runs/s, about "), "%s",
			   job.stderr_text);
	cr_assert_not_null(strstr(job.stderr_text, "s left"), "%s", job.stderr_text);
}

/* ---- merge --------------------------------------------------------------------------- */

static void run_shard(struct job *job, const char *dir, const char *shard,
		      const char *helper)
{
	job_init(job);
	/* "DIR/shard-I-of-N-<program>" */
	const char *slash = strchr(shard, '/');
	const char *program = strrchr(helper, '/') + 1;
	snprintf(job->out, sizeof job->out, "%.40s/shard-%.*s-of-%.8s-%.16s", dir,
		 (int)(slash - shard), shard, slash + 1, program);
	RUN(job, 25, "--count", "6", "--shard", shard, "-q", "--no-diagnose",
	    "--out", job->out, helper);
}

struct merged {
	int status;
	char *out, *err;
};

/* racewire-stress merge ARGS..., run like any job (in its own folder). */
static struct merged merge(const char *const *args)
{
	const char *argv[16] = {"merge"};
	size_t n = 1;
	for (; args[n - 1] != NULL; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	struct job job;
	job_init(&job);
	job_run(&job, 25, NULL, argv);
	return (struct merged){job_exit_code(&job), job.stdout_text,
			       job.stderr_text};
}

Test(merge, shards_combine_into_one_job, .timeout = 60)
{
	struct job a, b, c;
	char dir[] = "/tmp/rws-merge-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	run_shard(&a, dir, "0/3", HELPER("flaky"));
	run_shard(&b, dir, "1/3", HELPER("flaky"));
	run_shard(&c, dir, "2/3", HELPER("flaky"));
	char out[200];
	snprintf(out, sizeof out, "%s/all", dir);
	struct merged m = merge((const char *const[]){out, a.out, b.out, c.out, NULL});
	uint64_t failures = json_u64(a.summary, "failures") +
			    json_u64(b.summary, "failures") +
			    json_u64(c.summary, "failures");
	cr_assert_eq(m.status, failures > 0 ? 1 : 0, "%s", m.err);
	char path[260];
	snprintf(path, sizeof path, "%s/summary.json", out);
	char *summary = read_text(path);
	cr_assert_not_null(summary, "%s", m.err);
	cr_assert_eq(json_u64(summary, "runs"), 6);
	cr_assert_eq(json_u64(summary, "failures"), failures);
	cr_assert_eq(json_u64(summary, "merged_shards"), 3);
	cr_assert_eq(json_u64(summary, "shards_missing"), 0);
	char rate[64];
	snprintf(rate, sizeof rate, "failure rate %" PRIu64 "/6 = ", failures);
	cr_assert_not_null(strstr(m.out, rate), "%s", m.out);
	snprintf(path, sizeof path, "%s/runs.tsv", out);
	char *tsv = read_text(path);
	cr_assert_eq(count_lines(tsv), 7, "%s", tsv);
	/* Every failed run's log is in OUT, and runs.tsv points there. */
	for (size_t row = 0; row < 6; row++) {
		char log[300];
		cr_assert(tsv_field(tsv, row, 7, log, sizeof log));
		if (strcmp(log, "-") == 0)
			continue;
		cr_assert(strncmp(log, out, strlen(out)) == 0, "%s", log);
		cr_assert_eq(access(log, R_OK), 0, "%s missing", log);
	}
	cr_assert_not_null(strstr(m.out, "merged from 3 shard folders"), "%s", m.out);
	free(summary);
	free(tsv);

	/* Two of three: merged, with the missing shard named. */
	snprintf(out, sizeof out, "%s/partial", dir);
	m = merge((const char *const[]){out, a.out, c.out, NULL});
	cr_assert_lt(m.status, 2, "%s", m.err);
	cr_assert_not_null(strstr(m.out, "missing shards of 3: 1\n"), "%s", m.out);
}

Test(merge, bad_folders_are_refused_naming_them, .timeout = 60)
{
	char dir[] = "/tmp/rws-merge-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct job a, b, other, dup;
	run_shard(&a, dir, "0/2", HELPER("pass"));
	run_shard(&b, dir, "1/2", HELPER("pass"));
	run_shard(&other, dir, "1/2", HELPER("flaky"));
	job_init(&dup);
	snprintf(dup.out, sizeof dup.out, "%s/dup", dir);
	RUN(&dup, 25, "--count", "6", "--shard", "0/2", "-q", "--no-diagnose",
	    "--out", dup.out, HELPER("pass"));
	char out[200], missing[200];
	snprintf(out, sizeof out, "%s/m", dir);
	snprintf(missing, sizeof missing, "%s/nowhere", dir);

	struct merged m = merge((const char *const[]){out, a.out, missing, NULL});
	cr_assert_eq(m.status, 2);
	cr_assert_not_null(strstr(m.err, "nowhere: no such folder"), "%s", m.err);
	m = merge((const char *const[]){out, a.out, other.out, NULL});
	cr_assert_eq(m.status, 2);
	cr_assert_not_null(strstr(m.err, "not shards of one job"), "%s", m.err);
	m = merge((const char *const[]){out, a.out, dup.out, NULL});
	cr_assert_eq(m.status, 2);
	cr_assert_not_null(strstr(m.err, "are both shard 0/2"), "%s", m.err);
	m = merge((const char *const[]){out, NULL});
	cr_assert_eq(m.status, 2);
	cr_assert_not_null(strstr(m.err, "no shard folders given"), "%s", m.err);
	cr_assert_not_null(strstr(m.err, "usage: racewire-stress merge OUT DIR..."));
	cr_assert_neq(access(out, F_OK), 0, "OUT created despite an error");

	/* A shard cut short: one line fewer in runs.tsv than its summary says. */
	char path[260];
	snprintf(path, sizeof path, "%s/runs.tsv", b.out);
	char *tsv = read_text(path);
	*strrchr(tsv, '\n') = '\0';
	*(strrchr(tsv, '\n') + 1) = '\0';
	FILE *f = fopen(path, "w");
	fputs(tsv, f);
	fclose(f);
	free(tsv);
	m = merge((const char *const[]){out, a.out, b.out, NULL});
	cr_assert_eq(m.status, 2);
	cr_assert_not_null(strstr(m.err, "the folder is incomplete"), "%s", m.err);

	/* Not an output folder at all; and OUT that already holds a job. */
	m = merge((const char *const[]){out, dir, NULL});
	cr_assert_eq(m.status, 2);
	cr_assert_not_null(strstr(m.err, "cannot read summary.json"), "%s", m.err);
	m = merge((const char *const[]){a.out, dup.out, NULL});
	cr_assert_eq(m.status, 2);
	cr_assert_not_null(strstr(m.err, "already holds a job"), "%s", m.err);
}
