/* TAP output.  A run is "ok" when it passed, "ok ... # SKIP" when it says
 * nothing about the program (interrupted) or was excused by --ignore, and
 * "not ok" with a YAML block (class, status, log, verdict) otherwise, so a
 * TAP consumer shows the failure's log path without opening runs.tsv.  The
 * plan comes last because the number of runs of a --budget job is known
 * only at the end; everything else the runner prints on stdout goes out
 * as "# " comments so the stream stays TAP. */
#include "tap.h"

#include <inttypes.h>

#include "escape.h"

void rws_tap_start(FILE *out)
{
	fputs("TAP version 13\n", out);
	fflush(out);
}

void rws_tap_run(FILE *out, uint64_t number, const struct rws_run *run)
{
	const char *class = rws_class_name(run->class);
	if (run->class == RWS_CLASS_PASS) {
		fprintf(out, "ok %" PRIu64 " - run %" PRIu64 " pass\n", number,
			run->seq);
	} else if (run->class == RWS_CLASS_INTERRUPTED) {
		fprintf(out, "ok %" PRIu64 " - run %" PRIu64
			" # SKIP interrupted by the runner\n", number, run->seq);
	} else if (run->class == RWS_CLASS_IGNORED) {
		fprintf(out, "ok %" PRIu64 " - run %" PRIu64
			" # SKIP failure ignored by --ignore\n", number, run->seq);
	} else {
		fprintf(out, "not ok %" PRIu64 " - run %" PRIu64 " %s\n", number,
			run->seq, class);
		fprintf(out, "  ---\n  class: %s\n  seed: %" PRIu64
			"\n  exit_status: %d\n  signal: %d\n  duration_s: %.3f\n",
			class, run->seed, run->exit_status, run->term_signal,
			run->duration_s);
		fputs("  log: ", out);
		rws_json_string(out, run->log_path[0] ? run->log_path : "-");
		fputs("\n  verdict: ", out);
		rws_json_string(out, run->verdict[0] ? run->verdict : "-");
		if (run->flight_path[0] != '\0') {
			fputs("\n  flight: ", out);
			rws_json_string(out, run->flight_path);
		}
		fputs("\n  ...\n", out);
	}
	fflush(out);
}

void rws_tap_plan(FILE *out, uint64_t count)
{
	if (count == 0)
		fputs("1..0 # SKIP no run finished\n", out);
	else
		fprintf(out, "1..%" PRIu64 "\n", count);
	fflush(out);
}
