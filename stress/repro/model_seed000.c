/*
 * model_seed000: the exiting thread suspended by the runtime, on the model
 * M:N runtime (seed 000, Go issue 35775 / commit 957259b: racefini's exit
 * raced with SuspendThread, leaving a process with a single, suspended
 * thread: a deadlock at exit).
 *
 * Shape. SEED000_SPINNERS tasks spin forever in MD_ASYNC_SAFE code, so the
 * model's monitor keeps preempting them by suspending their threads
 * (asynchronous preemption: SIGURG, the handler waits until resumed). The
 * main task works SEED000_MAIN_MS, then returns: md_main -> md_exit(0) ->
 * rw_fini -> __tsan_fini -> exit(). Its processor stays P_RUNNING with the
 * main task on it and its schedtick frozen, so the monitor goes on trying
 * to preempt the finalizing thread every time slice (preempt_us, set short
 * here) while exit runs. The runtime's exit-time code, an atexit handler
 * (it runs inside TSan's exit path on the finalizing thread, as C code
 * called by racefini could), takes `runtime_lock` in EXIT_ROUNDS short
 * sections, sleeping EXIT_HOLD_US while holding it and EXIT_GAP_US between.
 * The monitor's stop-the-world work, a hook the model calls while it holds
 * a thread suspended (md_set_suspend_hook), takes the same lock briefly.
 *
 * Hazard. If the monitor suspends the finalizing thread while that thread
 * holds runtime_lock, the monitor blocks on the lock and never resumes it:
 * the process hangs in exit, forever.
 *
 *   guarded (default RACEWIRE_OPTIONS): rw_fini marks the thread as in
 *     external code before TSan's exit path runs; from then on the
 *     monitor's rw_suspend_begin says RW_EBUSY and it skips the thread
 *     (md_stats.suspend_skipped counts it). Every run exits 0.
 *   unguarded: RACEWIRE_OPTIONS=guard_suspend=0. The external-code word is
 *     ignored; the monitor suspends the finalizing thread in the middle of
 *     a lock section and deadlocks on runtime_lock. The process never
 *     exits: the stress runner's timeout classifies the run as a hang
 *     (its stacks show the monitor in the hook's pthread_mutex_lock and the
 *     main thread in on_sigurg's futex wait under exit_time_code).
 *
 * Knobs (environment): SEED000_SPINNERS, spinning tasks (default 3);
 * SEED000_MAIN_MS, the main task's work before it exits (default 30);
 * SEED000_PREEMPT_US, the model's time slice (md_config.preempt_us; default
 * 200 here, the model's own default is 10000: the monitor then reaches the
 * finalizing thread only every 10 ms, 3 times during the 30 ms of exit-time
 * code); SEED000_ROUNDS, the exit-time lock sections (default 300, each
 * EXIT_HOLD_US = 500 us held and 500 us apart, as the library-level
 * reproducer tests/progs/fini_suspend.c, which has 30: ten times as many
 * suspension attempts at the finalizing thread per run, the windows this
 * program counts, for about 0.3 s more per run). MD_PROCS (default 2 here) is the
 * runtime's own. TSan's own atexit_sleep_ms (its Finalize sleeps that long
 * while other threads run; 1000 by default, as in Go) is set to 0 here, in
 * front of GORACE (by re-executing itself once: TSan reads the environment
 * the process started with), so a guarded run takes about 0.1 s instead of
 * 1.1 s; GORACE=atexit_sleep_ms=1000 restores it (the monitor then also skips, or
 * unguarded suspends, the thread during that second; it hangs the same).
 *
 * Output (first and last exit-time round):
 *   model_seed000: exit-time code round R of N (suspensions S, of the finalizing thread F, skipped busy B)
 * Exit: 0 (TSan's status from rw_fini; no race here), or a hang.
 */
#include <model.h>

#include "repro.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_HOLD_US 500    /* each exit-time section holds the lock this long */
#define EXIT_GAP_US 500     /* with this much between them */
#define STOPPED_HOLD_US 20  /* the monitor holds the lock this long per suspension */

static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static int spinners = 3, main_ms = 30, rounds = 300;
static _Atomic unsigned fini_m = ~0u; /* the finalizing thread's M number */
static _Atomic unsigned long suspensions, fini_suspensions;

static void spin_us(long us)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

/* Sleep for us microseconds, suspensions or not (a signal interrupts the
 * sleep; the deadline stays). */
static void hold_us(long us)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += us * 1000;
	t.tv_sec += t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/* The monitor's stop-the-world work, with thread Mm held suspended. */
static void while_suspended(unsigned m)
{
	pthread_mutex_lock(&runtime_lock);
	spin_us(STOPPED_HOLD_US);
	pthread_mutex_unlock(&runtime_lock);
	atomic_fetch_add_explicit(&suspensions, 1, memory_order_relaxed);
	if (m == atomic_load_explicit(&fini_m, memory_order_relaxed))
		atomic_fetch_add_explicit(&fini_suspensions, 1, memory_order_relaxed);
}

/* The runtime's exit-time code: runs inside TSan's exit path (exit(),
 * called by __tsan_fini) on the finalizing thread. */
static void exit_time_code(void)
{
	atomic_store(&fini_m, md_thread_id());
	for (int r = 1; r <= rounds; r++) {
		pthread_mutex_lock(&runtime_lock);
		if (r == 1 || r == rounds) {
			md_stats_t st;
			md_get_stats(&st);
			printf("model_seed000: exit-time code round %d of %d (suspensions %lu, of the "
			       "finalizing thread %lu, skipped busy %llu)\n",
			       r, rounds, atomic_load(&suspensions), atomic_load(&fini_suspensions),
			       (unsigned long long)st.suspend_skipped);
			fflush(stdout);
		}
		/* Windows: the finalization itself, and every suspension the
		 * monitor aimed at the finalizing thread (made unguarded,
		 * refused with RW_EBUSY guarded), reported each round so a
		 * run that hangs still says how far it got. */
		md_stats_t now_st;
		md_get_stats(&now_st);
		repro_windows(1 + atomic_load(&fini_suspensions) + now_st.suspend_skipped);
		hold_us(EXIT_HOLD_US);
		pthread_mutex_unlock(&runtime_lock);
		hold_us(EXIT_GAP_US);
	}
}

/* Pure task code, preemptible at any instruction. */
MD_ASYNC_SAFE static void spin_forever(volatile unsigned long *n)
{
	for (;;)
		(*n)++;
}

static void spinner(void *arg)
{
	(void)arg;
	volatile unsigned long n = 0;
	spin_forever(&n);
}

static void main_task(void *arg)
{
	(void)arg;
	for (int i = 0; i < spinners; i++)
		md_go(spinner, NULL);
	md_sleep_us((unsigned)main_ms * 1000);
	/* Returning exits through md_exit(0) -> rw_fini on this thread. */
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *s;
	if ((s = getenv("SEED000_SPINNERS")))
		spinners = atoi(s);
	if ((s = getenv("SEED000_MAIN_MS")))
		main_ms = atoi(s);
	if ((s = getenv("SEED000_ROUNDS")) && atoi(s) > 0)
		rounds = atoi(s);
	repro_skip_exit_sleep(argv, "model_seed000");

	md_config_t cfg;
	md_config_default(&cfg);
	if (cfg.nprocs <= 0)
		cfg.nprocs = 2;
	cfg.preempt_us = 200;
	if ((s = getenv("SEED000_PREEMPT_US")) && atoi(s) > 0)
		cfg.preempt_us = (unsigned)atoi(s);
	md_init_config(&cfg);
	md_set_suspend_hook(while_suspended);
	atexit(exit_time_code);
	md_main(main_task, NULL);
}
