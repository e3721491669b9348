/* What people read: the progress line, the final table, the JSON summary. */
#ifndef RWS_REPORT_H
#define RWS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "rws.h"
#include "stats.h"

/* Failed runs listed in the final table and the summary. */
#define RWS_LISTED_FAILURES 10

struct rws_job_report {
	const struct rws_options *opts;
	const struct rws_stats *stats;
	double elapsed_s;
	bool interrupted;          /* SIGINT/SIGTERM stopped the job */
	const char *stopped_by;    /* count, budget, failfast, signal */
	const struct rws_run *listed_failures;
	unsigned listed_failure_count;
	const char *json_path;
	const char *diagnoser;     /* NULL when none */
	unsigned merged_shards;    /* merge: shard folders combined; 0 = a job */
	unsigned shards_missing;   /* merge: shards of 0..N-1 not given */
};

/* "12s: N runs so far, F failures (P%), A active, R runs/s, about T left"
 * (time left for a --count or --budget job), then per-class counts. */
void rws_print_progress(FILE *stream, const struct rws_options *opts,
			double elapsed_s, const struct rws_stats *stats,
			unsigned active);
void rws_print_final_table(FILE *stream, const struct rws_job_report *report);
/* The same table with every line prefixed "# " (TAP comments). */
void rws_print_final_table_as_comments(FILE *stream,
				       const struct rws_job_report *report);
/* Writes the summary via a temporary file and rename, so a reader never
 * sees half a summary.  Returns 0, or -1 with a message on stderr. */
int rws_write_json_summary(const struct rws_job_report *report);

#endif
