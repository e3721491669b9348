/* Stack capture runs in a forked copy of the runner so the event loop keeps
 * reaping and timing the other runs while gdb takes its time (attaching to a
 * process with many threads and symbolising can take seconds).
 *
 * Ordering: the stacks must be taken while the hung process is still alive
 * and unsignalled, so the scheduler sends SIGTERM only after this process
 * has been reaped.  The marker line text is an interface: racewire-diagnose
 * looks for it, so it must not change.
 */
#include "stacks.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toolrun.h"

#define MAX_STACK_OUTPUT (16u << 20)

static void write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t wrote = write(fd, data, len);
		if (wrote <= 0)
			return; /* nothing better to do in a dying helper */
		data += wrote;
		len -= (size_t)wrote;
	}
}

/* The marker must start a line even if the program's last write did not end
 * with a newline. */
static bool output_ends_mid_line(int fd)
{
	struct stat st;
	char last;
	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return false;
	return pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
}

static bool looks_like_stacks(const struct rws_tool_result *result)
{
	return result->exited && result->exit_status == 0 &&
	       strstr(result->output, "#0") != NULL;
}

static void capture_and_exit(pid_t leader, int output_fd, double hang_after_s)
{
	/* Own group: the scheduler's hard deadline kills us and our tools in
	 * one kill(-pid).  Never talk to debuginfod servers: no network, and
	 * a stalled download would eat the whole tool timeout. */
	setpgid(0, 0);
	unsetenv("DEBUGINFOD_URLS");

	char pid_text[32];
	snprintf(pid_text, sizeof pid_text, "%d", (int)leader);
	char *gdb_argv[] = {"gdb", "-nx", "-batch", "-p", pid_text,
			    "-ex", "thread apply all bt", NULL};
	char *eu_stack_argv[] = {"eu-stack", "-p", pid_text, NULL};

	const char *tool = "none";
	struct rws_tool_result result = {0};
	if (rws_run_tool(gdb_argv, true, RWS_STACK_TOOL_TIMEOUT_S,
			 MAX_STACK_OUTPUT, &result) == 0 &&
	    looks_like_stacks(&result)) {
		tool = "gdb";
	} else {
		rws_tool_result_free(&result);
		if (rws_run_tool(eu_stack_argv, true, RWS_STACK_TOOL_TIMEOUT_S,
				 MAX_STACK_OUTPUT, &result) == 0 &&
		    looks_like_stacks(&result))
			tool = "eu-stack";
	}

	char marker[256];
	int marker_len = snprintf(marker, sizeof marker,
		"%s==== racewire-stress: hang after %gs; stacks of pid %d (%s) ====\n",
		output_ends_mid_line(output_fd) ? "\n" : "", hang_after_s,
		(int)leader, tool);
	write_all(output_fd, marker, (size_t)marker_len);
	if (strcmp(tool, "none") == 0) {
		static const char why[] =
			"(neither gdb nor eu-stack could read the stacks; "
			"are they installed, and may we ptrace?)\n";
		write_all(output_fd, why, sizeof why - 1);
	} else {
		write_all(output_fd, result.output, result.len);
		if (result.len > 0 && result.output[result.len - 1] != '\n')
			write_all(output_fd, "\n", 1);
	}
	_exit(0);
}

pid_t rws_start_stack_capture(pid_t leader, int output_fd, double hang_after_s)
{
	pid_t pid = fork();
	if (pid == 0)
		capture_and_exit(leader, output_fd, hang_after_s);
	/* Set the group from this side too, so a kill(-pid) right after fork
	 * cannot miss a child that has not run setpgid yet. */
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}
