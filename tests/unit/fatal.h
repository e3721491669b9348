/*
 * tests/unit/fatal.h - run a misuse that racewire must stop with a FATAL
 * diagnosis, in a child process, and check what the diagnosis says.
 *
 * Criterion's `.signal = SIGABRT` only proves that something aborted: a
 * CHECK inside TSan, an assert in libc or a stray abort() would pass it
 * too. What racewire promises is an abort with its own headline
 * ("racewire: FATAL: ..." then "racewire:   key: value" lines) naming the
 * call, the thread and the invariant, so the test must read that text.
 * The misuse ends the process, so it runs in a forked child whose stderr
 * is a pipe the test reads to EOF before it reaps the child.
 *
 * The child runs `misuse` from scratch (rw_init included): TSan is never
 * initialised in the parent, so nothing of its state is forked. `misuse`
 * must not use Criterion's assertions (they report from the wrong process);
 * it writes what went wrong to stderr and calls _exit(2) instead.
 */
#ifndef RW_TEST_FATAL_H
#define RW_TEST_FATAL_H

#include <criterion/criterion.h>
#include <racewire.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* rw_init with the defaults (policy abort) and no banner, for the child:
 * on failure it says why and exits 2 instead of asserting. */
static inline void fatal_init_or_die(rw_task_t **main_task, rw_proc_t **p0)
{
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	if (rw_init(&o, main_task, p0) != 0) {
		fprintf(stderr, "rw_init: %s\n", rw_last_error());
		_exit(2);
	}
}

struct fatal {
	int status; /* waitpid's */
	char *err;  /* the child's stderr, NUL-terminated */
};

static inline struct fatal fatal_run(void (*misuse)(void))
{
	struct fatal r = {0};
	int fds[2];
	cr_assert(pipe(fds) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		/* The defaults, whatever the caller's environment says. */
		unsetenv("RACEWIRE_OPTIONS");
		misuse();
		static const char msg[] = "fatal_run: the misuse returned\n";
		ssize_t n = write(2, msg, sizeof msg - 1);
		(void)n;
		_exit(3);
	}
	close(fds[1]);
	size_t cap = 4096, len = 0;
	r.err = malloc(cap);
	for (;;) {
		if (len + 1024 + 1 > cap)
			r.err = realloc(r.err, cap *= 2);
		ssize_t n = read(fds[0], r.err + len, 1024);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	r.err[len] = '\0';
	close(fds[0]);
	cr_assert(waitpid(pid, &r.status, 0) == pid);
	return r;
}

/* The child died by SIGABRT, and its stderr starts a line with
 * "racewire: FATAL: " followed by `headline` (a prefix of the rest). */
static inline void expect_fatal(struct fatal *r, const char *headline)
{
	cr_expect(WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGABRT,
	          "want SIGABRT, got %s %d; stderr:\n%s", WIFSIGNALED(r->status) ? "signal" : "exit",
	          WIFSIGNALED(r->status) ? WTERMSIG(r->status) : WEXITSTATUS(r->status), r->err);
	const char *h = strstr(r->err, "racewire: FATAL: ");
	cr_expect(h && (h == r->err || h[-1] == '\n'), "no 'racewire: FATAL: ' line in:\n%s", r->err);
	if (h)
		cr_expect(strncmp(h + strlen("racewire: FATAL: "), headline, strlen(headline)) == 0,
		          "want 'racewire: FATAL: %s...', got:\n%s", headline, r->err);
}

/* One of the diagnosis's lines contains `text`. */
static inline void expect_line(struct fatal *r, const char *text)
{
	cr_expect(strstr(r->err, text), "missing '%s' in:\n%s", text, r->err);
}

#endif
