/* The event loop: keeps N runs going, times them out, reaps and records
 * them, and stops on count, budget, failfast or a signal. */
#ifndef RWS_SCHEDULER_H
#define RWS_SCHEDULER_H

#include <stdbool.h>

#include "junit.h"
#include "launch.h"
#include "report.h"
#include "rws.h"
#include "stats.h"

struct rws_job_result {
	struct rws_stats stats;
	double elapsed_s;
	bool interrupted;
	bool spawn_failed;         /* the program could not be started */
	bool results_lost;         /* a log, runs.tsv line or report not written */
	const char *stopped_by;
	struct rws_run listed_failures[RWS_LISTED_FAILURES];
	unsigned listed_failure_count;
};

/* Runs the whole job.  signal_fd is a signalfd for SIGCHLD, SIGINT, SIGTERM
 * and SIGHUP (all blocked by the caller); joblog_fd is runs.tsv.  diagnoser
 * may be NULL, and junit (--junit's collector) too.  Returns 0, or -1 if
 * the loop itself could not be set up. */
int rws_run_job(const struct rws_options *opts, struct rws_spawner *spawner,
		int signal_fd, int joblog_fd, const char *diagnoser,
		struct rws_junit *junit, struct rws_job_result *result);

#endif
