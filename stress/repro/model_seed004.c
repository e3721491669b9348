/*
 * model_seed004: signals while C-created threads attach to and detach from
 * the model M:N runtime (seed 004, Go issue 12277 / commit f8e6418: a
 * signal that arrived while a cgo-created thread was in needm or dropm
 * found a g installed but the signal stack not set up, or already gone,
 * and ran the Go handler on a bad stack).
 *
 * Shape. The main task calls into C (md_cgocall), which creates
 * SEED004_THREADS threads with plain pthread_create. Each loops calling
 * back into the runtime (md_callback): the model attaches the thread for
 * every call and detaches it after (rw_thread_attach with the model's
 * attach_setup, which publishes the thread's M; rw_thread_detach with
 * detach_teardown, which takes it down: Go's needm/dropm). The callback
 * runs as a task, annotates its own heap word, returns. A storm thread,
 * also made by C, sends SIGUSR1 to those threads without pause. The
 * handler (async-signal-safe) asks racewire whether the thread is attached
 * and, if so, asks the model whether the thread's runtime state is fully
 * built (md_thread_ready: its M published and in use). Attached but not
 * built is half-built state: a violation, counted.
 *
 * The model's own preemption signal is not used: its handler already
 * refuses a thread with no M, and the monitor never suspends C-created
 * threads. The window is widened by the model's MD_ATTACH_SPIN knob (a
 * busy loop at the start of attach setup and the end of detach teardown);
 * this program sets it to SEED004_SPIN (default 2000) unless MD_ATTACH_SPIN
 * is already set.
 *
 *   guarded (default RACEWIRE_OPTIONS): every signal is blocked during the
 *     transitions, "attached" is published after setup and retracted
 *     before teardown: 0 violations, exit 0.
 *   unguarded: RACEWIRE_OPTIONS=guard_signals=0. Signals stay deliverable
 *     and racewire claims "attached" before setup and after teardown, so
 *     the handler finds the thread attached with no M: violations, exit 1.
 *
 * Knobs (environment): SEED004_SECONDS, run time (default 0.5: the run
 * takes about 0.6 s; TSan's exit sleep, atexit_sleep_ms, is set to 0 in
 * front of GORACE by re-executing once, as model_seed000); SEED004_THREADS,
 * C-created threads (default 3); SEED004_SPIN (default 2000, see above; 0
 * leaves the windows as the model has them). MD_PROCS (default 2 here) is
 * the runtime's own.
 *
 * Output:
 *   model_seed004: callbacks C signals S attached-signals A violations V (T s)
 * Exit: 0 no violation; 1 violations; 3 a C-level failure (pthread).
 */
#include <model.h>

#include "repro.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXTHREADS 16

static int nthreads = 3;
static double seconds = 0.5;
static long *words; /* heap: one word per C thread, 8 words apart */
static pthread_t cthreads[MAXTHREADS];
static _Atomic int finished;
static _Atomic unsigned long callbacks, signals, attached_signals, violations;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Async-signal-safe: TLS loads and lock-free atomics only. */
static void on_sigusr1(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&signals, 1, memory_order_relaxed);
	if (!rw_thread_is_attached())
		return;
	atomic_fetch_add_explicit(&attached_signals, 1, memory_order_relaxed);
	if (!md_thread_ready())
		atomic_fetch_add_explicit(&violations, 1, memory_order_relaxed);
}

/* The callback: runtime code, run as a task on the attached thread. */
static long callback(void *arg)
{
	long *w = arg;
	MD_FUNC_ENTER();
	MD_READ(w);
	MD_WRITE(w);
	(*w)++;
	MD_FUNC_EXIT();
	return 0;
}

/* A thread C created: calls into the runtime again and again. */
static void *c_thread(void *arg)
{
	long *w = arg;
	double deadline = now() + seconds;
	for (unsigned i = 0;; i++) {
		if ((i & 63) == 0 && now() > deadline)
			break;
		md_callback(callback, w);
		atomic_fetch_add_explicit(&callbacks, 1, memory_order_relaxed);
	}
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static void *storm(void *arg)
{
	(void)arg;
	/* A C thread that finished has not been joined yet: its pthread_t
	 * stays valid while the storm runs. */
	while (atomic_load_explicit(&finished, memory_order_relaxed) < nthreads)
		for (int i = 0; i < nthreads; i++)
			pthread_kill(cthreads[i], SIGUSR1);
	return NULL;
}

/* C code called from the main task: start the threads, wait for them. */
static long c_run(void *arg)
{
	(void)arg;
	/* Only the C threads take the storm's signals. */
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &usr1, &old);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&cthreads[i], NULL, c_thread, &words[i * 8]) != 0)
			return 3;
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	pthread_t st;
	if (pthread_create(&st, NULL, storm, NULL) != 0)
		return 3;
	pthread_join(st, NULL); /* returns once every C thread finished */
	for (int i = 0; i < nthreads; i++)
		pthread_join(cthreads[i], NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

static void main_task(void *arg)
{
	(void)arg;
	words = md_alloc(sizeof *words * 8 * (size_t)nthreads);
	double t0 = now();
	long rc = md_cgocall(c_run, NULL);
	if (rc) {
		fprintf(stderr, "model_seed004: pthread_create failed\n");
		md_exit(3);
	}
	unsigned long v = atomic_load(&violations);
	md_stats_t st;
	md_get_stats(&st);
	/* Windows: attaches and detaches of C threads, each a moment a signal
	 * may find the thread's runtime state half built or half torn down. */
	repro_windows(2 * (unsigned long long)st.attaches);
	printf("model_seed004: callbacks %lu signals %lu attached-signals %lu violations %lu "
	       "(%.2f s, %llu attaches, MD_ATTACH_SPIN=%s)\n",
	       atomic_load(&callbacks), atomic_load(&signals), atomic_load(&attached_signals), v,
	       now() - t0, (unsigned long long)st.attaches, getenv("MD_ATTACH_SPIN"));
	if (v) {
		printf("model_seed004: FAIL: a signal found a thread attached with its runtime "
		       "state half-built (Go issue 12277)\n");
		md_exit(1);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *s;
	repro_skip_exit_sleep(argv, "model_seed004");
	if ((s = getenv("SEED004_SECONDS")))
		seconds = atof(s);
	if ((s = getenv("SEED004_THREADS")) && atoi(s) > 0)
		nthreads = atoi(s) < MAXTHREADS ? atoi(s) : MAXTHREADS;
	s = getenv("SEED004_SPIN");
	setenv("MD_ATTACH_SPIN", s ? s : "2000", 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	/* Runtime threads inherit this mask: none but the C threads take
	 * SIGUSR1 (c_run unblocks it for them). */
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);

	md_config_t cfg;
	md_config_default(&cfg);
	if (cfg.nprocs <= 0)
		cfg.nprocs = 2;
	md_init_config(&cfg);
	md_main(main_task, NULL);
}
