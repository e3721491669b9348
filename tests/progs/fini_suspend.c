/*
 * fini_suspend: seed 000's hazard (guarantees 6 and 7, the external-code
 * word and the finalization guard; Go issue 35775: a thread suspended
 * while it ran exit-time code left the process deadlocked).
 *
 * WORKERS threads each wire a context, run a task and annotate in a loop
 * on their own .bss words (no race between them). A suspender thread plays
 * the runtime's stop-the-world / asynchronous preemption: over and over it
 * goes through every thread, the workers and the main thread, and for each
 *   rw_suspend_begin(t): RW_EBUSY -> skip t (it is in external code);
 *   0 -> stop t with SIGUSR2 (its handler acknowledges and waits in
 *        sigsuspend), take `runtime_lock` briefly while t is stopped,
 *        resume t with SIGUSR1, wait for its acknowledgement,
 *        rw_suspend_end(t).
 * The main thread sleeps a little and calls rw_fini(). An atexit handler,
 * which runs inside TSan's exit path (exit() called by __tsan_fini) on the
 * finalizing thread, is the runtime's exit-time code: EXIT_ROUNDS times it
 * takes `runtime_lock` and holds it EXIT_HOLD_US (printing a line in the
 * first and last round, and sleeping, as code that flushes buffers to a
 * file would), then leaves it for EXIT_GAP_US.
 *
 * Tuning (measured on a 2-core machine, unguarded): with a holder that
 * busy-spins, the threads it starves wait milliseconds for a CPU and the
 * suspender manages only ~1 suspension per lock section; without the
 * random pause before each suspension it falls into lock step with the
 * lock sections and keeps reaching the same thread. 4 spinning sections:
 * 5 hangs in 20 runs; 100 short ones: 26 in 30; 30 sleeping sections of
 * 500 us with the pause: 30 in 30.
 *
 * Guarded (default): rw_fini marks the finalizing thread as in external
 * code before TSan's exit path runs, so the suspender skips it from then
 * on and the process exits with TSan's status (0: no race here). With
 * RACEWIRE_OPTIONS=guard_suspend=0, the suspender may stop the main thread
 * while its exit-time code holds runtime_lock, then block on runtime_lock
 * itself and never resume it: the process hangs. The tests kill it after a
 * timeout and count that as the hang.
 *
 * Output: a line in the first and the last exit-time round (R is 1 or 30):
 *   fini_suspend: exit-time code round R of 30 on the finalizing thread (suspensions S, skipped busy B)
 * where S counts completed suspensions and B the times the suspender
 * skipped a thread in external code (guarded: the finalizing thread).
 * Exit: TSan's status from rw_fini (0), or 3 if a racewire call failed.
 */
#include "prog.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 3
#define NTHREADS (WORKERS + 1) /* index 0: the main thread */
#ifndef MAIN_RUN_MS
#define MAIN_RUN_MS 30         /* main's work before rw_fini */
#endif
#define EXIT_ROUNDS 30         /* runtime_lock sections in exit-time code */
#define EXIT_HOLD_US 500       /* each held this long */
#define EXIT_GAP_US 500        /* with this much between them */
#define STOPPED_HOLD_US 20     /* the suspender holds runtime_lock this long */
#define SUSPEND_JITTER_US 50   /* random pause before each suspension */
#define WORKER_SLEEP_US 50     /* workers sleep this long between bursts */

static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;

static rw_thread_t *handles[NTHREADS];
static pthread_t threads[NTHREADS];
static rw_proc_t *procs[WORKERS];
static rw_task_t *tasks[WORKERS];
static _Atomic int ready;

/* The suspension handshake, one slot per thread. */
static _Atomic int stopped[NTHREADS], resume[NTHREADS];
static _Thread_local int my_index;
static sigset_t wait_mask; /* everything blocked but SIGUSR1 */

static _Atomic unsigned long suspensions, skipped_busy;

/* What the workers annotate: their own words in .bss (registered with TSan
 * by rw_init), 64 bytes apart. */
static long words[WORKERS][8];
static long main_word;

static void spin_us(long us)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

/* SIGUSR2: stop here until the suspender says resume. SIGUSR1 is blocked
 * while this runs (sa_mask), so a resume sent before sigsuspend stays
 * pending and ends it. */
static void on_suspend(int sig)
{
	(void)sig;
	int i = my_index;
	atomic_store(&stopped[i], 1);
	while (!atomic_load(&resume[i]))
		sigsuspend(&wait_mask);
	atomic_store(&resume[i], 0);
	atomic_store(&stopped[i], 0);
}

static void on_resume(int sig)
{
	(void)sig;
}

static void wait_for(_Atomic int *flag, int value)
{
	while (atomic_load(flag) != value)
		sched_yield();
}

static void sleep_us(long us)
{
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
}

/* Sleep for us microseconds, signals or not (a suspension interrupts
 * the sleep; the deadline stays). */
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

static void *suspender(void *arg)
{
	(void)arg;
	unsigned seed = (unsigned)getpid();
	for (;;) {
		for (int i = 0; i < NTHREADS; i++) {
			/* A random pause between suspensions, as preemption ticks
			 * and stop-the-world requests come: without it the
			 * suspender falls into lock step with the exit-time code's
			 * lock sections and always reaches the same thread. */
			spin_us(rand_r(&seed) % SUSPEND_JITTER_US);
			rw_thread_t *t = handles[i];
			int rc = rw_suspend_begin(t);
			if (rc == RW_EBUSY) {
				atomic_fetch_add_explicit(&skipped_busy, 1, memory_order_relaxed);
				continue;
			}
			prog_check(rc, "rw_suspend_begin");
			pthread_kill(threads[i], SIGUSR2);
			wait_for(&stopped[i], 1);
			/* The world (this thread) is stopped: runtime work. */
			pthread_mutex_lock(&runtime_lock);
			spin_us(STOPPED_HOLD_US);
			pthread_mutex_unlock(&runtime_lock);
			atomic_store(&resume[i], 1);
			pthread_kill(threads[i], SIGUSR1);
			wait_for(&stopped[i], 0);
			prog_check(rw_suspend_end(t), "rw_suspend_end");
			atomic_fetch_add_explicit(&suspensions, 1, memory_order_relaxed);
		}
	}
	return NULL;
}

static void *worker(void *arg)
{
	int w = (int)(intptr_t)arg;
	my_index = w + 1;
	prog_check(rw_proc_wire(procs[w]), "rw_proc_wire");
	prog_check(rw_task_switch(tasks[w]), "rw_task_switch");
	handles[w + 1] = rw_thread_self();
	atomic_fetch_add(&ready, 1);
	/* Bursts of work with short sleeps between them, as a runtime's
	 * threads block now and then: the suspender's signals then land
	 * within microseconds instead of waiting for a CPU. */
	for (unsigned long n = 0;; n++) {
		rw_write(&words[w][n & 7], RW_PC());
		rw_read(&words[w][(n + 3) & 7], RW_PC());
		words[w][n & 7] = (long)n;
		if ((n & 255) == 255)
			sleep_us(WORKER_SLEEP_US);
	}
	return NULL;
}

/* The runtime's exit-time code: runs inside TSan's exit path (exit(),
 * called by __tsan_fini) on the finalizing thread. */
static void exit_time_code(void)
{
	for (int r = 1; r <= EXIT_ROUNDS; r++) {
		pthread_mutex_lock(&runtime_lock);
		if (r == 1 || r == EXIT_ROUNDS) {
			printf("fini_suspend: exit-time code round %d of %d on the finalizing thread "
			       "(suspensions %lu, skipped busy %lu)\n",
			       r, EXIT_ROUNDS, atomic_load(&suspensions), atomic_load(&skipped_busy));
			fflush(stdout);
		}
		hold_us(EXIT_HOLD_US);
		pthread_mutex_unlock(&runtime_lock);
		hold_us(EXIT_GAP_US);
	}
}

int main(void)
{
	rw_task_t *main_task;
	rw_proc_t *main_proc;
	prog_start(&main_task, &main_proc);
	atexit(exit_time_code);

	sigfillset(&wait_mask);
	sigdelset(&wait_mask, SIGUSR1);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_suspend;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_resume;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	my_index = 0;
	threads[0] = pthread_self();
	handles[0] = rw_thread_self();
	for (int w = 0; w < WORKERS; w++) {
		prog_check(rw_proc_create(&procs[w]), "rw_proc_create");
		prog_check(rw_task_start(main_task, RW_PC(), &tasks[w]), "rw_task_start");
	}
	for (int w = 0; w < WORKERS; w++)
		if (pthread_create(&threads[w + 1], NULL, worker, (void *)(intptr_t)w) != 0) {
			perror("pthread_create");
			return 3;
		}
	while (atomic_load(&ready) < WORKERS)
		sched_yield();

	/* The suspender never suspends itself, so it takes neither signal. */
	sigset_t both, old;
	sigemptyset(&both);
	sigaddset(&both, SIGUSR1);
	sigaddset(&both, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &both, &old);
	pthread_t s;
	pthread_create(&s, NULL, suspender, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* The main task works a little, then the runtime exits. */
	for (int ms = 0; ms < MAIN_RUN_MS; ms++) {
		rw_write(&main_word, RW_PC());
		hold_us(1000);
	}
	rw_fini();
}
