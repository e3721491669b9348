/* Running a helper tool (gdb, eu-stack, the diagnoser) to completion with a
 * deadline, collecting what it prints. */
#ifndef RWS_TOOLRUN_H
#define RWS_TOOLRUN_H

#include <stdbool.h>
#include <stddef.h>

struct rws_tool_result {
	char *output;      /* NUL-terminated, malloc'd; never NULL on return 0 */
	size_t len;
	bool exited;       /* exited on its own (else: failed to start/killed) */
	int exit_status;   /* valid when exited */
	bool timed_out;
};

/* Runs argv (searched in PATH) with stdin from /dev/null, in a process group
 * of its own so that a deadline kills everything it started.  stdout, and
 * stderr too when merge_stderr, go to the result; at most max_output bytes
 * are kept.  Blocks the caller for at most timeout_s (plus a kill).  Returns
 * 0, or -1 when it could not even be started. */
int rws_run_tool(char *const argv[], bool merge_stderr, double timeout_s,
		 size_t max_output, struct rws_tool_result *result);
void rws_tool_result_free(struct rws_tool_result *result);

#endif
