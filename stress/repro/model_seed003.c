/*
 * model_seed003: a panic from runtime code called back from C, recovered
 * in the runtime frame that called C, on the model M:N runtime (seed 003,
 * Go issue 7470 / commit 1249d3a: Go calls C calls Go, the inner Go
 * panics, the outer Go recovers; the per-thread SEH chain kept records of
 * frames that no longer existed, and a LATER fault found no handler).
 *
 * Shape. Worker tasks, each in a loop:
 *   md_try( f -> md_cgocall(C) -> md_callback(g) [-> md_cgocall(C) ->
 *           md_callback(g)] -> a few instrumented frames -> md_panic )
 * then, as Go's TestCallbackPanicLocked does since that fix, check the
 * thread's state at the outer frame, and go on with work that depends on
 * it: yield (the task may migrate to another thread), a plain foreign
 * call, the next panic.
 *
 * Hazard. md_panic longjmps over the callback's exit and the foreign
 * call's exit. md_try restores a racewire checkpoint (rw_checkpoint_restore)
 * to repair what they would have undone: the thread's foreign-call records,
 * the callback's pin of the task, TSan's shadow call stack.
 *
 *   guarded (default RACEWIRE_OPTIONS): the state is repaired; thousands of
 *     panics, migrations and foreign calls later the run exits 0.
 *   unguarded: RACEWIRE_OPTIONS=guard_unwind=0. Nothing is repaired: after
 *     the first recovered panic the thread still counts itself inside a
 *     foreign call (a dangling record: the SEH record of the seed) and the
 *     task stays pinned to the thread by a callback that is gone, so it can
 *     never run elsewhere. The check after md_try exits 1 with
 *     "model_seed003: FAIL: ... after a recovered panic". With
 *     SEED003_CHECKS=0 the program goes on instead, as the Go tests did
 *     before the fix, and stumbles later: the records overflow (racewire's
 *     RW_ENOMEM, "more than 64 nested transitions", after ~32 panics on a
 *     thread: the model dies with "model: FATAL", SIGABRT).
 *
 * Knobs (environment): SEED003_SECONDS, run time (default 2; exit 0 after
 * it); SEED003_TASKS, worker tasks (default 4); SEED003_CHECKS, 0 to skip
 * the checks after md_try (default 1); SEED003_DEPTH, the largest number
 * of nested C -> runtime levels the panic crosses (default 2). MD_PROCS
 * (default 2 here) is the runtime's own.
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
static int ntasks = 4, checks = 1, maxdepth = 2;
static _Atomic long panics, migrations, calls;
static long *counter; /* heap: written by every round, under mu */
static md_mutex_t mu = MD_MUTEX_INIT;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct level {
	int depth;       /* levels of C -> runtime still to cross */
	long value;      /* the panic value */
};

static long go_inner(void *arg);

/* C code that calls back into the runtime. */
__attribute__((noinline)) static long c_calls_go(void *arg)
{
	return md_callback(go_inner, arg);
}

__attribute__((noinline)) static long c_nothing(void *arg)
{
	return (long)arg;
}

/* Instrumented frames the panic skips: their MD_FUNC_EXIT never runs. */
__attribute__((noinline)) static void frame3(struct level *l)
{
	MD_FUNC_ENTER();
	md_panic((void *)l->value);
}

__attribute__((noinline)) static void frame2(struct level *l)
{
	MD_FUNC_ENTER();
	md_mutex_lock(&mu);
	MD_WRITE(counter);
	(*counter)++;
	md_mutex_unlock(&mu);
	frame3(l);
	MD_FUNC_EXIT();
}

/* The callback: deeper into C again, or panic. */
static long go_inner(void *arg)
{
	struct level *l = arg;
	MD_FUNC_ENTER();
	if (--l->depth > 0)
		md_cgocall(c_calls_go, l);
	else
		frame2(l);
	MD_FUNC_EXIT();
	return 0;
}

/* The outer runtime frame's callee: calls C. */
static void go_outer(void *arg)
{
	MD_FUNC_ENTER();
	md_cgocall(c_calls_go, arg);
	MD_FUNC_EXIT();
}

static _Noreturn void fail(const char *what, unsigned task, long round)
{
	repro_windows((unsigned long long)atomic_load(&panics));
	fprintf(stderr, "model_seed003: FAIL: task %u, round %ld, on M%u: %s after a recovered panic "
	        "(the unwind across C frames left per-thread state behind: seed 003)\n",
	        task, round, md_thread_id(), what);
	fflush(stderr);
	md_exit(1);
}

static void worker(void *arg)
{
	long i = (long)(uintptr_t)arg;
	unsigned me = md_task_id();
	for (long round = 0; now() < deadline; round++) {
		struct level l = {.depth = 1 + (int)(round % maxdepth), .value = (i << 32) | round};
		void *v = NULL;
		if (!md_try(go_outer, &l, &v))
			fail("md_try returned without the panic", me, round);
		if ((long)v != l.value)
			fail("a wrong panic value", me, round);
		atomic_fetch_add(&panics, 1);
		if (checks) {
			/* As Go's TestCallbackPanicLocked after the fix: the outer
			 * frame's state is back. */
			unsigned depth = rw_foreign_depth();
			if (depth != 0) {
				char msg[96];
				snprintf(msg, sizeof msg, "the thread is still %u foreign call(s) deep", depth);
				fail(msg, me, round);
			}
			unsigned pin = rw_task_pinned_to(rw_task_current());
			if (pin != 0) {
				char msg[96];
				snprintf(msg, sizeof msg, "the task is still pinned to M%u by a callback that "
				         "is gone", pin);
				fail(msg, me, round);
			}
		}
		/* Work that depends on it: move around, call C, count. */
		unsigned before = md_thread_id();
		for (int k = 0; k < 4; k++)
			md_yield();
		if (md_thread_id() != before)
			atomic_fetch_add(&migrations, 1);
		if (md_cgocall(c_nothing, (void *)round) != round)
			fail("a foreign call returned a wrong value", me, round);
		atomic_fetch_add(&calls, 1);
	}
	md_wg_done(&wg);
}

static double seconds = 2;

static void main_task(void *arg)
{
	(void)arg;
	counter = md_alloc(sizeof *counter);
	double t0 = now();
	deadline = t0 + seconds;
	md_wg_add(&wg, ntasks);
	for (int i = 0; i < ntasks; i++)
		md_go(worker, (void *)(uintptr_t)i);
	md_wg_wait(&wg);
	md_mutex_lock(&mu);
	MD_READ(counter);
	long n = *counter;
	md_mutex_unlock(&mu);
	/* Windows: panics recovered through C frames, each an unwind that
	 * must leave no per-thread state behind. */
	repro_windows((unsigned long long)atomic_load(&panics));
	if (n != atomic_load(&panics)) {
		fprintf(stderr, "model_seed003: FAIL: %ld panics, counter %ld\n", atomic_load(&panics), n);
		md_exit(1);
	}
	printf("model_seed003: %.1f s without incident (%d tasks, %ld panics recovered through C, "
	       "%ld migrations after one, %ld foreign calls)\n", now() - t0, ntasks,
	       atomic_load(&panics), atomic_load(&migrations), atomic_load(&calls));
}

int main(void)
{
	const char *s;
	if ((s = getenv("SEED003_SECONDS")))
		seconds = atof(s);
	if ((s = getenv("SEED003_TASKS")))
		ntasks = atoi(s);
	if ((s = getenv("SEED003_CHECKS")))
		checks = atoi(s);
	if ((s = getenv("SEED003_DEPTH")) && atoi(s) > 0)
		maxdepth = atoi(s);
	md_config_t cfg;
	md_config_default(&cfg);
	if (cfg.nprocs <= 0)
		cfg.nprocs = 2;
	md_init_config(&cfg);
	md_main(main_task, NULL);
}
