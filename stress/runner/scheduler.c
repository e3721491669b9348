/* The scheduler.  One thread, one poll(2) on a signalfd: SIGCHLD wakes us
 * when a run ends, SIGINT/SIGTERM/SIGHUP when we are asked to stop, and the
 * poll timeout is the nearest deadline (a run's timeout, the end of a kill
 * grace, the next progress line).  Nothing spins.
 *
 * Each run gets an output file of its own (unlinked, stdout and stderr
 * merged, O_APPEND so interleaved writers and the stack capture never
 * overwrite each other), closed when the run has been recorded.  A file
 * rather than a pipe means no run can block on a full pipe while we are
 * busy.  A file per run rather than per slot: a process that a run started
 * in a session of its own (setsid) escapes the group kill below and may keep
 * its fd, but all it can reach is its own run's file, which nobody reads any
 * more; it can never write into a later run's output.
 *
 * Reaping order matters: a run's leader is first seen with WNOWAIT, its
 * process group is SIGKILLed while the zombie leader still pins the group id
 * (so the id cannot have been reused by anyone), and only then is it reaped.
 * That guarantees no stray grandchild of a finished run keeps writing into
 * the slot's file during the next run.
 */
#include "scheduler.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "classify.h"
#include "junit.h"
#include "tap.h"
#include "diagnose.h"
#include "runlog.h"
#include "scan.h"
#include "stacks.h"

#define PROGRESS_INTERVAL_S 5.0
/* Back-off when the system is out of processes or memory for a spawn. */
#define SPAWN_RETRY_S 0.1
/* Stack capture gets both tools' timeouts plus slack, then is killed. */
#define CAPTURE_HARD_LIMIT_S (2 * RWS_STACK_TOOL_TIMEOUT_S + 5.0)

enum slot_state {
	SLOT_IDLE,
	SLOT_RUNNING,      /* deadline: the run's timeout */
	SLOT_CAPTURING,    /* hung; deadline: capture hard limit */
	SLOT_TERMINATING,  /* SIGTERM sent; deadline: end of the kill grace */
	SLOT_KILLED,       /* SIGKILL sent; waiting for the reap */
};

struct slot {
	enum slot_state state;
	int output_fd;      /* the current run's output; -1 when IDLE */
	pid_t pid;          /* leader = process group id; 0 once reaped */
	pid_t capture_pid;  /* stack capture process, 0 when none */
	int wait_status;
	double start;
	double deadline;    /* INFINITY when nothing is due */
	struct rws_run run;
};

struct scheduler {
	const struct rws_options *opts;
	struct rws_spawner *spawner;
	const char *diagnoser;
	int signal_fd;
	int joblog_fd;
	struct slot *slots;
	unsigned active;          /* slots not IDLE */
	uint64_t next_seq;
	bool seq_exhausted;       /* next_seq overflowed: nothing left */
	bool stop_starting;
	unsigned stop_requests;   /* SIGINT/SIGTERM/SIGHUP received */
	double job_start;
	double next_progress;
	double spawn_retry_at;
	uint64_t finished;        /* runs recorded, for TAP's numbering */
	struct rws_junit *junit;  /* NULL without --junit */
	struct rws_job_result *result;
};

static int open_run_file(const char *dir)
{
	/* O_TMPFILE: never has a name, so nothing to clean up after a crash. */
	int fd = open(dir, O_TMPFILE | O_RDWR | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	char path[4096];
	snprintf(path, sizeof path, "%s/.racewire-stress-run-XXXXXX", dir);
	fd = mkostemp(path, O_APPEND | O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static struct slot *slot_of_leader(struct scheduler *s, pid_t pid)
{
	for (unsigned i = 0; i < s->opts->parallel; i++)
		if (s->slots[i].state != SLOT_IDLE && s->slots[i].pid == pid)
			return &s->slots[i];
	return NULL;
}

static struct slot *slot_of_capture(struct scheduler *s, pid_t pid)
{
	for (unsigned i = 0; i < s->opts->parallel; i++)
		if (s->slots[i].state != SLOT_IDLE &&
		    s->slots[i].capture_pid == pid)
			return &s->slots[i];
	return NULL;
}

/* SIGCONT too: a process that a killed gdb left stopped would otherwise
 * sit on the SIGTERM until the SIGKILL. */
static void terminate(struct scheduler *s, struct slot *slot)
{
	if (slot->pid == 0)
		return;
	if (s->opts->kill_grace_s <= 0) {
		kill(-slot->pid, SIGKILL);
		slot->state = SLOT_KILLED;
		slot->deadline = INFINITY;
		return;
	}
	kill(-slot->pid, SIGTERM);
	kill(-slot->pid, SIGCONT);
	slot->state = SLOT_TERMINATING;
	slot->deadline = rws_now() + s->opts->kill_grace_s;
}

static void on_timeout(struct scheduler *s, struct slot *slot, double now)
{
	slot->run.timed_out = true;
	if (s->opts->capture_stacks) {
		slot->capture_pid = rws_start_stack_capture(
			slot->pid, slot->output_fd, s->opts->timeout_s);
		if (slot->capture_pid > 0) {
			slot->state = SLOT_CAPTURING;
			slot->deadline = now + CAPTURE_HARD_LIMIT_S;
			return;
		}
		slot->capture_pid = 0;
	}
	terminate(s, slot);
}

static void handle_deadlines(struct scheduler *s)
{
	double now = rws_now();
	for (unsigned i = 0; i < s->opts->parallel; i++) {
		struct slot *slot = &s->slots[i];
		if (slot->state == SLOT_IDLE || now < slot->deadline)
			continue;
		switch (slot->state) {
		case SLOT_RUNNING:
			on_timeout(s, slot, now);
			break;
		case SLOT_CAPTURING:
			/* The reap of the capture process moves us on. */
			kill(-slot->capture_pid, SIGKILL);
			slot->deadline = INFINITY;
			break;
		case SLOT_TERMINATING:
			kill(-slot->pid, SIGKILL);
			slot->state = SLOT_KILLED;
			slot->deadline = INFINITY;
			break;
		default:
			slot->deadline = INFINITY;
			break;
		}
	}
}

static void cancel_running(struct scheduler *s, bool hard);

static void finish_run(struct scheduler *s, struct slot *slot)
{
	struct rws_run *run = &slot->run;
	run->duration_s = rws_now() - slot->start;
	if (WIFSIGNALED(slot->wait_status)) {
		run->exit_status = -1;
		run->term_signal = WTERMSIG(slot->wait_status);
	} else {
		run->exit_status = WEXITSTATUS(slot->wait_status);
		run->term_signal = 0;
	}

	struct rws_job_result *result = s->result;
	struct rws_scan scan;
	if (rws_scan_output(slot->output_fd, s->opts, &scan) != 0) {
		fprintf(stderr, "racewire-stress: cannot read run %" PRIu64
			"'s output: %s\n", run->seq, strerror(errno));
		result->results_lost = true;
	}
	rws_classify(run, &scan);
	run->windows = scan.windows;
	run->windows_seen = scan.windows_seen;

	rws_stats_add(&result->stats, run->class);
	if (run->class != RWS_CLASS_INTERRUPTED)
		result->stats.windows += run->windows;
	bool failure = rws_class_is_failure(run->class);
	/* Interrupted runs' output is partial and says nothing; ignored runs'
	 * is kept so a too-broad --ignore can be audited. */
	if (run->class != RWS_CLASS_PASS && run->class != RWS_CLASS_INTERRUPTED &&
	    rws_keep_run_log(s->opts->out_dir, slot->output_fd, run) != 0)
		result->results_lost = true;
	if (failure && s->diagnoser != NULL && run->log_path[0] != '\0')
		rws_diagnose(s->diagnoser, run->log_path, run->verdict,
			     sizeof run->verdict);
	/* A passing run's flight record is not evidence of anything; a failed
	 * one's stays under its own name, which no later run reuses. */
	if (run->flight_path[0] != '\0' &&
	    (!failure || access(run->flight_path, F_OK) != 0)) {
		unlink(run->flight_path);
		run->flight_path[0] = '\0';
	}
	if (rws_joblog_append(s->joblog_fd, run) != 0)
		result->results_lost = true;
	if (s->opts->tap)
		rws_tap_run(stdout, ++s->finished, run);
	if (s->junit != NULL && rws_junit_add(s->junit, run) != 0)
		result->results_lost = true;
	if (failure && result->listed_failure_count < RWS_LISTED_FAILURES)
		result->listed_failures[result->listed_failure_count++] = *run;

	close(slot->output_fd);
	slot->output_fd = -1;
	slot->state = SLOT_IDLE;
	slot->pid = 0;
	s->active--;

	/* Runs whose records cannot be kept are wasted, and a full disk does
	 * not heal by itself: stop, and let main report the loss. */
	if (result->results_lost && !s->stop_starting) {
		s->stop_starting = true;
		result->stopped_by = "lost-results";
		cancel_running(s, false);
	}
	if (failure && s->opts->failfast && !s->stop_starting) {
		s->stop_starting = true;
		result->stopped_by = "failfast";
		cancel_running(s, false);
	}
}

/* Reaps every child that has exited, without blocking. */
static void reap_children(struct scheduler *s)
{
	for (;;) {
		siginfo_t info;
		memset(&info, 0, sizeof info);
		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
			if (errno == EINTR)
				continue;
			return; /* ECHILD: no children at all */
		}
		pid_t pid = info.si_pid;
		if (pid == 0)
			return;
		struct slot *slot = slot_of_leader(s, pid);
		if (slot != NULL)
			kill(-pid, SIGKILL); /* leftovers of the run; see top */
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (slot != NULL) {
			slot->wait_status = status;
			slot->pid = 0;
			/* The capture process may still be writing into the
			 * output file; the run is finished when it is done. */
			if (slot->capture_pid == 0)
				finish_run(s, slot);
			else
				slot->deadline = rws_now() + CAPTURE_HARD_LIMIT_S;
			continue;
		}
		slot = slot_of_capture(s, pid);
		if (slot == NULL)
			continue; /* not ours to track (cannot happen) */
		slot->capture_pid = 0;
		if (slot->pid == 0)
			finish_run(s, slot);
		else
			terminate(s, slot);
	}
}

/* Stops every live run: for SIGINT/SIGTERM and --failfast.  hard skips the
 * grace (a second Ctrl-C means "now"). */
static void cancel_running(struct scheduler *s, bool hard)
{
	for (unsigned i = 0; i < s->opts->parallel; i++) {
		struct slot *slot = &s->slots[i];
		if (slot->state == SLOT_IDLE)
			continue;
		if (!slot->run.timed_out)
			slot->run.cancelled = true;
		if (slot->capture_pid != 0)
			kill(-slot->capture_pid, SIGKILL);
		if (slot->pid == 0)
			continue;
		if (hard) {
			kill(-slot->pid, SIGKILL);
			kill(-slot->pid, SIGCONT);
			slot->state = SLOT_KILLED;
			slot->deadline = INFINITY;
		} else if (slot->state == SLOT_RUNNING) {
			terminate(s, slot);
		} else if (slot->state == SLOT_CAPTURING) {
			/* The capture's reap sends the SIGTERM. */
			slot->deadline = INFINITY;
		}
	}
}

static void on_stop_request(struct scheduler *s)
{
	s->stop_requests++;
	s->result->stopped_by = "signal";
	s->stop_starting = true;
	s->result->interrupted = true;
	/* Runs that already ended before the signal are real results; record
	 * them before marking everything still alive as interrupted. */
	reap_children(s);
	cancel_running(s, s->stop_requests > 1);
}

static void drain_signals(struct scheduler *s)
{
	struct signalfd_siginfo info[16];
	for (;;) {
		ssize_t got = read(s->signal_fd, info, sizeof info);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		for (size_t i = 0; i < (size_t)got / sizeof info[0]; i++)
			if (info[i].ssi_signo != SIGCHLD)
				on_stop_request(s);
	}
}

static bool next_seq_of_shard(struct scheduler *s, uint64_t *seq)
{
	const struct rws_options *opts = s->opts;
	if (s->seq_exhausted)
		return false;
	if (opts->count != 0 && s->next_seq >= opts->count)
		return false;
	*seq = s->next_seq;
	if (s->next_seq > UINT64_MAX - opts->shard_count)
		s->seq_exhausted = true;
	else
		s->next_seq += opts->shard_count;
	return true;
}

static void start_runs(struct scheduler *s)
{
	const struct rws_options *opts = s->opts;
	double now = rws_now();
	if (now < s->spawn_retry_at)
		return;
	for (unsigned i = 0; i < opts->parallel && !s->stop_starting; i++) {
		struct slot *slot = &s->slots[i];
		if (slot->state != SLOT_IDLE)
			continue;
		if (opts->budget_s > 0 && now - s->job_start >= opts->budget_s) {
			s->stop_starting = true;
			s->result->stopped_by = "budget";
			break;
		}
		if (opts->windows_target > 0 &&
		    s->result->stats.windows >= opts->windows_target) {
			s->stop_starting = true;
			s->result->stopped_by = "windows";
			break;
		}
		uint64_t seq;
		if (!next_seq_of_shard(s, &seq)) {
			s->stop_starting = true;
			s->result->stopped_by = "count";
			break;
		}
		uint64_t seed = opts->seed + seq; /* wraps by design */
		int output_fd = open_run_file(opts->out_dir);
		if (output_fd < 0) {
			fprintf(stderr,
				"racewire-stress: cannot create a run's output file in %s: %s\n",
				opts->out_dir, strerror(errno));
			s->next_seq = seq;
			s->seq_exhausted = false;
			s->result->results_lost = true;
			s->result->stopped_by = "error";
			s->stop_starting = true;
			break;
		}
		char flight[4096] = "";
		if (opts->flight_dir != NULL)
			snprintf(flight, sizeof flight, "%s/run-%" PRIu64 ".flight",
				 opts->flight_dir, seq);
		pid_t pid = rws_spawn_run(s->spawner, output_fd, seq, seed,
					  flight[0] != '\0' ? flight : NULL);
		if (pid < 0) {
			int err = errno;
			close(output_fd);
			/* Give the sequence number back: it was not run. */
			s->next_seq = seq;
			s->seq_exhausted = false;
			if (err == EAGAIN || err == ENOMEM) {
				s->spawn_retry_at = now + SPAWN_RETRY_S;
				break;
			}
			fprintf(stderr, "racewire-stress: cannot start %s: %s\n",
				s->spawner->program_path, strerror(err));
			s->result->spawn_failed = true;
			s->result->stopped_by = "error";
			s->stop_starting = true;
			break;
		}
		slot->state = SLOT_RUNNING;
		slot->output_fd = output_fd;
		slot->pid = pid;
		slot->capture_pid = 0;
		slot->start = now;
		slot->deadline = opts->timeout_s > 0 ? now + opts->timeout_s
						     : INFINITY;
		slot->run = (struct rws_run){
			.seq = seq,
			.seed = seed,
			.start_wall = rws_wall_now(),
		};
		memcpy(slot->run.flight_path, flight, sizeof flight);
		s->active++;
	}
}

static int poll_timeout_ms(const struct scheduler *s)
{
	double next = INFINITY;
	for (unsigned i = 0; i < s->opts->parallel; i++)
		if (s->slots[i].state != SLOT_IDLE && s->slots[i].deadline < next)
			next = s->slots[i].deadline;
	if (!s->opts->quiet && s->next_progress < next)
		next = s->next_progress;
	if (!s->stop_starting && s->spawn_retry_at > 0 && s->spawn_retry_at < next)
		next = s->spawn_retry_at;
	if (next == INFINITY)
		return -1;
	double wait_s = next - rws_now();
	if (wait_s <= 0)
		return 0;
	/* +1: never wake a hair early and go round once more for nothing. */
	return wait_s > 3600 ? 3600 * 1000 : (int)(wait_s * 1000) + 1;
}

int rws_run_job(const struct rws_options *opts, struct rws_spawner *spawner,
		int signal_fd, int joblog_fd, const char *diagnoser,
		struct rws_junit *junit, struct rws_job_result *result)
{
	*result = (struct rws_job_result){.stopped_by = "none"};
	struct scheduler s = {
		.opts = opts,
		.spawner = spawner,
		.diagnoser = diagnoser,
		.signal_fd = signal_fd,
		.joblog_fd = joblog_fd,
		.next_seq = opts->shard_index,
		.junit = junit,
		.result = result,
	};
	s.slots = calloc(opts->parallel, sizeof *s.slots);
	if (s.slots == NULL) {
		fputs("racewire-stress: out of memory\n", stderr);
		return -1;
	}
	for (unsigned i = 0; i < opts->parallel; i++)
		s.slots[i].output_fd = -1;
	/* Fail before the first run, not after the last, if the folder will
	 * not take the runs' output files. */
	int probe = open_run_file(opts->out_dir);
	if (probe < 0) {
		fprintf(stderr,
			"racewire-stress: cannot create output files in %s: %s\n",
			opts->out_dir, strerror(errno));
		free(s.slots);
		return -1;
	}
	close(probe);
	s.job_start = rws_now();
	s.next_progress = s.job_start + PROGRESS_INTERVAL_S;

	for (;;) {
		start_runs(&s);
		if (s.stop_starting && s.active == 0)
			break;
		struct pollfd pfd = {.fd = signal_fd, .events = POLLIN};
		int ready = poll(&pfd, 1, poll_timeout_ms(&s));
		if (ready < 0 && errno != EINTR) {
			perror("racewire-stress: poll");
			break;
		}
		if (ready > 0)
			drain_signals(&s);
		reap_children(&s);
		handle_deadlines(&s);
		double now = rws_now();
		if (now >= s.next_progress) {
			if (!opts->quiet)
				rws_print_progress(stderr, opts,
						   now - s.job_start,
						   &result->stats, s.active);
			while (s.next_progress <= now)
				s.next_progress += PROGRESS_INTERVAL_S;
		}
	}

	result->elapsed_s = rws_now() - s.job_start;
	for (unsigned i = 0; i < opts->parallel; i++)
		if (s.slots[i].output_fd >= 0)
			close(s.slots[i].output_fd);
	free(s.slots);
	return 0;
}
