/*
 * model_seed002: a callback's task moved to another thread before it
 * returned into C, on the model M:N runtime (seed 002, Go issue 47441), in
 * the shape of Go's TestCgoTracebackContextPreemption
 * (runtime/testdata/testprogcgo/tracebackctxt.go): tasks that call C
 * (md_cgocall), which calls back into the runtime (md_callback) over and
 * over; the callback does some busy work and has a deferred cleanup.
 *
 * Hazard. The runtime runs callbacks in Go's PRE-FIX order in both modes
 * (this program sets md_config.unguarded_callback, i.e.
 * MD_UNGUARDED=callback, itself): every callback registers one more
 * cleanup that is a preemption point (a yield), like the defer wrapper of
 * cgocallbackg1 in Go 1.17, and the runtime does not check the thread
 * after the callback (Go before the fix had no "m changed unexpectedly"
 * check). Whether the task stays on its thread is up to racewire:
 *
 *   guarded (default RACEWIRE_OPTIONS): rw_callback_exit runs the cleanups
 *     while the task is still pinned (the scheduler honours
 *     rw_task_pinned_to), so the yield gives the processor away but the
 *     task resumes on its own thread and returns into C there. Must never
 *     fail: exit 0.
 *   unguarded: RACEWIRE_OPTIONS=guard_callback=0. racewire unpins first,
 *     then runs the cleanups: the yield puts the task in a run queue, a
 *     thread running the other processor may steal it, and the callback
 *     returns into C on another thread. The C caller compares gettid()
 *     before and after md_callback and exits 1 with "C frame ... returned
 *     to on thread ..." (Go: "m changed unexpectedly in cgocallbackg", or a
 *     SIGSEGV from running C frames on another thread's stack).
 *
 * Knobs (environment): SEED002_SECONDS, run time (default 3; exit 0 after
 * it); SEED002_TASKS, tasks calling C (default 10, as Go's test; more
 * tasks, more stealing); SEED002_CALLBACKS, callbacks per C call (default
 * 4); SEED002_ORDER=fixed, the control: no preemption point in the
 * cleanup, safe even unguarded. MD_PROCS (default 2 here) is the
 * runtime's own.
 */
#include <model.h>

#include "repro.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static md_wg_t wg = MD_WG_INIT;
static double deadline;
static int ntasks = 10, ncallbacks = 4;
static long c_us = 50;
static _Atomic long callbacks, cleanups;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cleanup(void *arg)
{
	(void)arg;
	atomic_fetch_add(&cleanups, 1);
}

/* TracebackContextPreemptionGoFunction: "Do some busy work." */
static long go_function(void *arg)
{
	long i = (long)arg;
	md_callback_defer(cleanup, NULL);
	char *buf = md_alloc(32);
	int n = snprintf(buf, 32, "%ld\n", i);
	MD_WRITE_RANGE(buf, (size_t)n);
	md_free(buf);
	atomic_fetch_add(&callbacks, 1);
	return 0;
}

/* C: TracebackContextPreemptionCallGo, called with no processor; calls
 * back into the runtime and must be returned to on its own thread. */
struct call {
	unsigned task;
	long base;
};

__attribute__((noinline)) static long c_call_go(void *arg)
{
	struct call *c = arg;
	pid_t before = gettid();
	for (int k = 0; k < ncallbacks; k++) {
		if (c_us)
			usleep((useconds_t)c_us); /* C's own work, long enough for a retake */
		md_callback(go_function, (void *)(c->base + k));
		pid_t after = gettid();
		if (after != before) {
			repro_windows((unsigned long long)atomic_load(&callbacks));
			fprintf(stderr, "model_seed002: FAIL: task %u's C frame called back into the "
			        "runtime on thread %d and was returned to on thread %d: the callback's "
			        "task moved during its cleanup (Go issue 47441: \"m changed unexpectedly "
			        "in cgocallbackg\")\n", c->task, (int)before, (int)after);
			fflush(stderr);
			_exit(1);
		}
	}
	return 0;
}

static void caller(void *arg)
{
	long i = (long)(uintptr_t)arg;
	struct call c = {.task = md_task_id()};
	for (long j = 0; now() < deadline; j++) {
		c.base = (i << 32) + j * ncallbacks;
		md_cgocall(c_call_go, &c);
	}
	md_wg_done(&wg);
}

static double seconds = 3;

static void main_task(void *arg)
{
	(void)arg;
	double t0 = now();
	deadline = t0 + seconds;
	md_wg_add(&wg, ntasks);
	for (int i = 0; i < ntasks; i++)
		md_go(caller, (void *)(uintptr_t)i);
	md_wg_wait(&wg);
	long cb = atomic_load(&callbacks), cl = atomic_load(&cleanups);
	/* Windows: callbacks, each one a cleanup the task must not move in. */
	repro_windows((unsigned long long)cb);
	if (cb != cl) {
		fprintf(stderr, "model_seed002: FAIL: %ld callbacks but %ld cleanups ran\n", cb, cl);
		md_exit(1);
	}
	md_stats_t st;
	md_get_stats(&st);
	printf("model_seed002: %.1f s without incident (%d tasks, %ld callbacks, %llu threads)\n",
	       now() - t0, ntasks, cb, (unsigned long long)st.threads);
}

int main(void)
{
	const char *s;
	if ((s = getenv("SEED002_SECONDS")))
		seconds = atof(s);
	if ((s = getenv("SEED002_TASKS")))
		ntasks = atoi(s);
	if ((s = getenv("SEED002_CALLBACKS")))
		ncallbacks = atoi(s);
	if ((s = getenv("SEED002_C_US")))
		c_us = atol(s);
	md_config_t cfg;
	md_config_default(&cfg);
	if (cfg.nprocs <= 0)
		cfg.nprocs = 2;
	/* Go's pre-fix callback, in both modes (SEED002_ORDER=fixed: without
	 * the preemption point in the cleanup, a control: safe unguarded). */
	cfg.unguarded_callback = !((s = getenv("SEED002_ORDER")) && !strcmp(s, "fixed"));
	md_init_config(&cfg);
	md_main(main_task, NULL);
}
