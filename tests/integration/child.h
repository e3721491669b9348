/*
 * tests/integration/child.h - run a child program to completion, with a
 * deadline, capturing its stdout and stderr together.
 *
 * Integration tests run the real TSan runtime in a child because what they
 * check is how a process ends: TSan's exit status after a race, an abort
 * with racewire's diagnosis, a SEGV or CHECK failure inside TSan.
 */
#ifndef RW_TEST_CHILD_H
#define RW_TEST_CHILD_H

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct child {
	int exited;    /* 1: exit_code is valid; 0: killed by term_signal */
	int exit_code;
	int term_signal;
	int timed_out;
	char *out;     /* stdout + stderr, NUL-terminated */
	size_t len;
};

static inline double child_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start RW_PROGS_DIR/<flavor>/<prog> argv... with extra "K=V" environment
 * (NULL-terminated, may be NULL), its stdout and stderr on one pipe.
 * Returns the pid; *out_fd is the pipe's read end (close-on-exec). */
static inline pid_t child_spawn(const char *flavor, const char *prog, const char *const *args,
                                const char *const *env, int *out_fd)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s/%s", RW_PROGS_DIR, flavor, prog);
	cr_assert(access(path, X_OK) == 0, "child program %s is not built", path);

	int fds[2];
	cr_assert(pipe(fds) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		/* racewire's defaults unless the test says otherwise: a
		 * RACEWIRE_OPTIONS in the caller's environment (guards=0, say)
		 * must not turn a guarded run into an unguarded one. */
		unsetenv("RACEWIRE_OPTIONS");
		for (const char *const *e = env; e && *e; e++)
			putenv((char *)*e);
		const char *argv[16] = {path};
		for (int i = 0; args && args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	*out_fd = fds[0];
	return pid;
}

/* child_spawn, then wait for it to end, killing it after timeout_s. */
static inline struct child child_run(const char *flavor, const char *prog, const char *const *args,
                                     const char *const *env, double timeout_s)
{
	struct child c = {0};
	int fd;
	pid_t pid = child_spawn(flavor, prog, args, env, &fd);

	size_t cap = 1 << 16;
	c.out = malloc(cap);
	double deadline = child_now() + timeout_s;
	for (;;) {
		int wait_ms = (int)((deadline - child_now()) * 1000);
		if (wait_ms <= 0) {
			c.timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, wait_ms) < 0 && errno != EINTR)
			break;
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		if (c.len + 4096 + 1 > cap)
			c.out = realloc(c.out, cap *= 2);
		ssize_t n = read(fd, c.out + c.len, 4096);
		if (n <= 0)
			break;
		c.len += (size_t)n;
	}
	close(fd);
	c.out[c.len] = '\0';

	int status;
	waitpid(pid, &status, 0);
	c.exited = WIFEXITED(status);
	c.exit_code = c.exited ? WEXITSTATUS(status) : -1;
	c.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return c;
}

/*
 * The unguarded proofs (a guard switched off, the seed's hazard must show)
 * are races between a program's own threads: they fire only while those
 * threads truly run in parallel. On one CPU, or with every CPU busy, they
 * stop overlapping and nothing fires (test_unguarded.c: no crash in 8 runs
 * under 4x oversubscription). Such a run proves nothing either way, so the
 * Test is skipped with the reason (run.sh counts it as skipped), rather
 * than failed on a small or loaded machine or passed without evidence.
 */
static inline long hazard_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return sysconf(_SC_NPROCESSORS_ONLN);
	return CPU_COUNT(&set);
}

/* The 1-minute load average, or -1. */
static inline double hazard_load(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/* Call first: skip when fewer than two CPUs can run the hazard's threads. */
static inline void hazard_needs_cpus(void)
{
	long n = hazard_cpus();
	if (n < 2)
		cr_skip_test("the hazard needs two threads running in parallel; %ld CPU available", n);
}

/* Call when the hazard did not show within the bounded retries: skip,
 * saying how busy the machine was. Earlier cr_expect failures still fail
 * the Test (a failed expectation outranks a skip in Criterion). */
static inline void hazard_not_shown(const char *what, int runs)
{
	cr_skip_test("%s in %d unguarded run(s): cannot show the hazard here (%ld CPUs, load "
	             "average %.2f); it needs free cores",
	             what, runs, hazard_cpus(), hazard_load());
}

static inline int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#endif
