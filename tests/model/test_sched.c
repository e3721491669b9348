/*
 * test_sched: the model runtime's scheduler. Each Test runs in its own
 * process (Criterion forks), so each starts its own runtime. Tasks record
 * results in globals; the assertions run after md_run returns, on the
 * test's thread (Criterion's asserts must not run on a task).
 */
#include <criterion/criterion.h>
#include <model.h>

#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static md_wg_t wg = MD_WG_INIT;
static int64_t counter; /* md_atomic_* word, in .bss */

/* ---- 10k tasks ------------------------------------------------------------ */

static void tiny(void *arg)
{
	(void)arg;
	md_atomic_add64(&counter, 1);
	md_wg_done(&wg);
}

static void spawn_10k(void *arg)
{
	(void)arg;
	md_wg_add(&wg, 10000);
	for (int i = 0; i < 10000; i++)
		md_go(tiny, NULL);
	md_wg_wait(&wg);
}

Test(sched, ten_thousand_tasks_complete, .timeout = 60)
{
	md_init(2);
	md_run(spawn_10k, NULL);
	cr_assert_eq(counter, 10000);
	md_stats_t st;
	md_get_stats(&st);
	cr_assert_geq(st.tasks_ended, 10000);
}

/* ---- Work stealing --------------------------------------------------------- */

static void busy(void *arg)
{
	(void)arg;
	volatile unsigned long x = 0;
	for (int i = 0; i < 200000; i++)
		x = x + (unsigned long)i;
	(void)x;
	md_wg_done(&wg);
}

static void spawn_busy(void *arg)
{
	(void)arg;
	/* All queued on this task's P: any other P runs them only by
	 * stealing (or via the global queue on overflow). */
	md_wg_add(&wg, 200);
	for (int i = 0; i < 200; i++)
		md_go(busy, NULL);
	md_wg_wait(&wg);
}

Test(sched, work_is_stolen, .timeout = 60)
{
	md_init(2);
	md_run(spawn_busy, NULL);
	md_stats_t st;
	md_get_stats(&st);
	cr_log_info("stolen: %lu of 200", (unsigned long)st.stolen);
	cr_assert_gt(st.stolen, 0, "no task ran on a P other than the one it was queued on");
}

/* ---- A P is retaken from a thread stuck in C ------------------------------ */

static _Atomic long progress;
static long before_c;
static _Atomic long after_c; /* read by the ticker, maybe on another thread */

/* Blocking C, holding no P: it returns once another task has ticked 100
 * times, which on a 1-P runtime only a retake of this P allows. A
 * handshake, not a sleep: how long it takes does not matter. Bounded (30 s
 * of yields) so that a runtime that never retakes fails the assertion
 * below instead of hanging; the spin is C's own work, as if it blocked. */
static long c_wait_for_ticks(void *arg)
{
	long start = (long)arg;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; atomic_load(&progress) < start + 100; i++) {
		sched_yield();
		if ((i & 1023) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 30)
				break;
		}
	}
	return 0;
}

static void sleeper(void *arg)
{
	(void)arg;
	before_c = atomic_load(&progress);
	md_cgocall(c_wait_for_ticks, (void *)before_c);
	atomic_store(&after_c, atomic_load(&progress));
	md_wg_done(&wg);
}

static void ticker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200000 && !atomic_load(&after_c); i++) {
		atomic_fetch_add(&progress, 1);
		md_yield();
	}
	md_wg_done(&wg);
}

static void retake_main(void *arg)
{
	(void)arg;
	md_wg_add(&wg, 2);
	md_go(sleeper, NULL);
	md_go(ticker, NULL);
	md_wg_wait(&wg);
}

Test(sched, p_retaken_from_foreign_call, .timeout = 60)
{
	md_init(1);
	md_run(retake_main, NULL);
	md_stats_t st;
	md_get_stats(&st);
	cr_log_info("progress during C call: %ld, retakes %lu", after_c - before_c,
	            (unsigned long)st.retakes);
	cr_assert_gt(after_c - before_c, 0, "no task ran on the 1-P runtime while a task was in C");
	cr_assert_gt(st.retakes, 0);
}

/* ---- Preemption ---------------------------------------------------------- */

static volatile int stop_flag;
static int spinner_saw_stop;

/* No calls at all: only asynchronous preemption can take the P away. */
MD_ASYNC_SAFE static void spin_no_safepoints(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < 40000000000ul && !stop_flag; i++)
		__asm__ volatile("" ::: "memory");
	spinner_saw_stop = stop_flag;
	md_wg_done(&wg);
}

static void spin_safepoints(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < 40000000000ul && !stop_flag; i++)
		md_safepoint();
	spinner_saw_stop = stop_flag;
	md_wg_done(&wg);
}

static void stopper(void *arg)
{
	(void)arg;
	stop_flag = 1;
	md_wg_done(&wg);
}

static void preempt_main(void *arg)
{
	md_wg_add(&wg, 2);
	md_go(arg, NULL);
	md_yield(); /* let the spinner take the only P */
	md_go(stopper, NULL);
	md_wg_wait(&wg);
}

Test(sched, spinning_task_preempted_by_suspension, .timeout = 60)
{
	md_init(1);
	md_run(preempt_main, (void *)spin_no_safepoints);
	md_stats_t st;
	md_get_stats(&st);
	cr_log_info("async preemptions %lu, requests %lu", (unsigned long)st.async_preempts,
	            (unsigned long)st.preempt_requests);
	cr_assert(spinner_saw_stop, "the spinner was never preempted");
	cr_assert_gt(st.async_preempts, 0);
}

Test(sched, safepoint_loop_preempted, .timeout = 60)
{
	md_config_t cfg;
	md_config_default(&cfg);
	cfg.nprocs = 1;
	cfg.async_preempt = 0;
	md_init_config(&cfg);
	md_run(preempt_main, (void *)spin_safepoints);
	md_stats_t st;
	md_get_stats(&st);
	cr_assert(spinner_saw_stop, "the spinner was never preempted");
	cr_assert_gt(st.preempt_requests, 0);
	cr_assert_eq(st.async_preempts, 0);
}

/* ---- Sleep ----------------------------------------------------------------- */

static void napper(void *arg)
{
	(void)arg;
	md_sleep_us(1000);
	md_atomic_add64(&counter, 1);
	md_wg_done(&wg);
}

static void sleep_main(void *arg)
{
	(void)arg;
	md_wg_add(&wg, 100);
	for (int i = 0; i < 100; i++)
		md_go(napper, NULL);
	md_wg_wait(&wg);
}

Test(sched, sleeping_tasks_wake, .timeout = 60)
{
	md_init(2);
	md_run(sleep_main, NULL);
	cr_assert_eq(counter, 100);
}
