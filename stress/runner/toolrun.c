/* Helper tools are run synchronously by whoever needs them: the stack
 * capture child (stacks.c) and the diagnosis step (diagnose.c).  Both accept
 * being blocked for the tool's deadline, so this is a plain poll loop and not
 * part of the scheduler's event loop.
 *
 * Hazard: the runner's main process reaps its run children with
 * waitid(P_ALL).  That is safe only because a tool is always reaped here,
 * with waitpid on its own pid, before control returns to the event loop.
 */
#include "toolrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"
#include "rws.h"

extern char **environ;

static void sleep_seconds(double seconds)
{
	struct timespec ts = {.tv_sec = (time_t)seconds,
			      .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int remaining_ms(double deadline)
{
	double left = deadline - rws_now();
	if (left <= 0)
		return 0;
	return left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
}

/* Reaps pid before the deadline if it exits, else kills its group first.
 * Polling with short sleeps is acceptable here: it happens at most once per
 * tool run, after its output is closed, when it is about to exit anyway. */
static void reap_with_deadline(pid_t pid, double deadline,
			       struct rws_tool_result *result)
{
	int status;
	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR)
			return;
		if (rws_now() >= deadline) {
			result->timed_out = true;
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		sleep_seconds(0.005);
	}
	if (!result->timed_out && WIFEXITED(status)) {
		result->exited = true;
		result->exit_status = WEXITSTATUS(status);
	}
}

int rws_run_tool(char *const argv[], bool merge_stderr, double timeout_s,
		 size_t max_output, struct rws_tool_result *result)
{
	*result = (struct rws_tool_result){0};
	size_t capacity = 4096;
	result->output = malloc(capacity);
	if (result->output == NULL)
		return -1;
	result->output[0] = '\0';

	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) != 0)
		return -1;

	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
	if (merge_stderr)
		posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
	else
		posix_spawn_file_actions_addopen(&actions, 2, "/dev/null",
						 O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&actions, 3);
	pid_t pid = -1;
	int rc = rws_spawnattr_for_child(&attr, 0);
	if (rc == 0) {
		rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
		posix_spawnattr_destroy(&attr);
	}
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	if (rc != 0) {
		close(pipe_fds[0]);
		return -1;
	}

	double deadline = rws_now() + timeout_s;
	for (;;) {
		struct pollfd pfd = {.fd = pipe_fds[0], .events = POLLIN};
		int ready = poll(&pfd, 1, remaining_ms(deadline));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			break; /* deadline (or poll failure): stop listening */
		char chunk[8192];
		ssize_t got = read(pipe_fds[0], chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break; /* EOF: the tool closed its output */
		size_t keep = (size_t)got;
		if (result->len + keep > max_output)
			keep = max_output - result->len;
		if (result->len + keep + 1 > capacity) {
			while (result->len + keep + 1 > capacity)
				capacity *= 2;
			char *bigger = realloc(result->output, capacity);
			if (bigger == NULL)
				keep = 0;
			else
				result->output = bigger;
		}
		memcpy(result->output + result->len, chunk, keep);
		result->len += keep;
		result->output[result->len] = '\0';
	}
	close(pipe_fds[0]);
	reap_with_deadline(pid, deadline, result);
	return 0;
}

void rws_tool_result_free(struct rws_tool_result *result)
{
	free(result->output);
	result->output = NULL;
}
