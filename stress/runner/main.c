/* racewire-stress: run a program many times in parallel and sort the runs
 * into pass and the failure classes a TSan-instrumented runtime produces.
 * See README.md beside this file. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "diagnose.h"
#include "launch.h"
#include "junit.h"
#include "merge.h"
#include "report.h"
#include "runlog.h"
#include "scheduler.h"
#include "tap.h"

/* EXIT_LOST: a job whose results did not all reach the disk must not look
 * like a clean one to CI, whatever the runs did. */
enum { EXIT_PASS = 0, EXIT_FAILURES = 1, EXIT_USAGE = 2, EXIT_LOST = 3 };

/* SIGCHLD, SIGINT, SIGTERM and SIGHUP are blocked and read from a signalfd
 * by the event loop, so no handler ever runs at an awkward moment.  SIGPIPE
 * is ignored so "racewire-stress ... | head" cannot kill us before runs.tsv
 * and the summary are written.  Children get all of these reset (launch.c). */
static int take_over_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Creates and removes path + ".tmp", the temporary the file will be written
 * through at the end: an hour of runs must not end in "cannot create". */
static int probe_writable(const char *path, const char *what)
{
	size_t len = strlen(path) + 8;
	char *tmp = malloc(len);
	if (tmp == NULL)
		return -1;
	snprintf(tmp, len, "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (f == NULL) {
		fprintf(stderr, "racewire-stress: cannot write %s %s: %s\n", what,
			path, strerror(errno));
		free(tmp);
		return -1;
	}
	fclose(f);
	unlink(tmp);
	free(tmp);
	return 0;
}

static uint64_t seed_from_clock(void)
{
	return (uint64_t)(rws_wall_now() * 1e6);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "merge") == 0)
		return rws_merge_main(argc - 2, argv + 2);
	struct rws_options opts;
	switch (rws_parse_args(argc, argv, &opts)) {
	case RWS_PARSE_OK:
		break;
	case RWS_PARSE_HELP:
		return EXIT_PASS;
	default:
		rws_free_options(&opts);
		return EXIT_USAGE;
	}
	if (!opts.seed_given)
		opts.seed = seed_from_clock();

	if (rws_make_dirs(opts.out_dir) != 0) {
		fprintf(stderr, "racewire-stress: cannot create --out folder %s: %s\n",
			opts.out_dir, strerror(errno));
		rws_free_options(&opts);
		return EXIT_LOST;
	}
	char default_json[4096];
	if (opts.json_path == NULL) {
		snprintf(default_json, sizeof default_json, "%s/summary.json",
			 opts.out_dir);
		opts.json_path = default_json;
	}
	char flight_probe[4096];
	if (opts.flight_dir != NULL) {
		snprintf(flight_probe, sizeof flight_probe, "%s/run-probe.flight",
			 opts.flight_dir);
		if (rws_make_dirs(opts.flight_dir) != 0) {
			fprintf(stderr, "racewire-stress: cannot create --flight folder %s: %s\n",
				opts.flight_dir, strerror(errno));
			rws_free_options(&opts);
			return EXIT_LOST;
		}
		if (probe_writable(flight_probe, "flight records like") != 0) {
			rws_free_options(&opts);
			return EXIT_LOST;
		}
	}
	struct rws_junit *junit = NULL;
	if (probe_writable(opts.json_path, "the summary") != 0 ||
	    (opts.junit_path != NULL &&
	     (junit = rws_junit_open(opts.junit_path)) == NULL)) {
		rws_free_options(&opts);
		return EXIT_LOST;
	}
	char *default_diagnoser = NULL;
	if (opts.diagnose_cmd == NULL && !opts.diagnose_disabled)
		default_diagnoser = rws_default_diagnoser();
	const char *diagnoser = opts.diagnose_cmd != NULL ? opts.diagnose_cmd
							  : default_diagnoser;

	struct rws_spawner spawner;
	if (rws_spawner_init(&spawner, opts.command, opts.flight_dir) != 0) {
		rws_spawner_free(&spawner);
		rws_junit_free(junit);
		free(default_diagnoser);
		rws_free_options(&opts);
		return EXIT_USAGE;
	}
	char joblog_path[4096];
	snprintf(joblog_path, sizeof joblog_path, "%s/runs.tsv", opts.out_dir);
	int joblog_fd = rws_joblog_open(joblog_path);
	int signal_fd = take_over_signals();
	if (joblog_fd < 0 || signal_fd < 0) {
		if (signal_fd < 0)
			perror("racewire-stress: signalfd");
		rws_spawner_free(&spawner);
		rws_junit_free(junit);
		free(default_diagnoser);
		rws_free_options(&opts);
		return joblog_fd < 0 ? EXIT_LOST : EXIT_USAGE;
	}

	/* Static only for its size (the listed failures carry 4 KiB paths);
	 * main is its one user. */
	static struct rws_job_result result;
	if (opts.tap)
		rws_tap_start(stdout);
	int rc = rws_run_job(&opts, &spawner, signal_fd, joblog_fd, diagnoser,
			     junit, &result);
	close(signal_fd);
	close(joblog_fd);

	struct rws_job_report report = {
		.opts = &opts,
		.stats = &result.stats,
		.elapsed_s = result.elapsed_s,
		.interrupted = result.interrupted,
		.stopped_by = result.stopped_by,
		.listed_failures = result.listed_failures,
		.listed_failure_count = result.listed_failure_count,
		.json_path = opts.json_path,
		.diagnoser = diagnoser,
	};
	bool lost = rc != 0 || result.results_lost;
	if (rc == 0) {
		if (rws_write_json_summary(&report) != 0)
			lost = true;
		if (junit != NULL &&
		    rws_junit_finish(junit, &opts, result.elapsed_s) != 0)
			lost = true;
		if (opts.tap) {
			rws_print_final_table_as_comments(stdout, &report);
			rws_tap_plan(stdout, rws_stats_runs(&result.stats) +
				result.stats.by_class[RWS_CLASS_INTERRUPTED]);
		} else {
			rws_print_final_table(stdout, &report);
		}
	}
	if (lost)
		fprintf(stderr, "racewire-stress: results were lost (see the messages "
			"above): exit status %d\n", EXIT_LOST);

	int status = EXIT_PASS;
	if (result.spawn_failed)
		status = EXIT_USAGE;
	else if (lost)
		status = EXIT_LOST;
	else if (rws_stats_failures(&result.stats) > 0)
		status = EXIT_FAILURES;
	rws_junit_free(junit);
	rws_spawner_free(&spawner);
	free(default_diagnoser);
	rws_free_options(&opts);
	return status;
}
