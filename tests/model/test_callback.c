/*
 * test_callback: calls from C back into the model runtime, on threads C
 * created (attach/detach every time) and on runtime threads inside
 * md_cgocall (the task stays pinned to its thread while it parks).
 */
#include <criterion/criterion.h>
#include <model.h>
#include <racewire.h>

#include <pthread.h>

static md_mutex_t mu = MD_MUTEX_INIT;
static long *total;       /* heap, under mu */
static int64_t calls;     /* md_atomic_* */

static long add_one(void *arg)
{
	MD_FUNC_ENTER();
	md_mutex_lock(&mu);
	MD_READ(total);
	MD_WRITE(total);
	*total += (long)arg;
	md_mutex_unlock(&mu);
	md_atomic_add64(&calls, 1);
	MD_FUNC_EXIT();
	return (long)arg;
}

#define NTHREADS 4
#define NITER 200

static void *c_thread(void *arg)
{
	(void)arg;
	long sum = 0;
	for (int i = 0; i < NITER; i++)
		sum += md_callback(add_one, (void *)1L);
	return (void *)sum;
}

static long c_spawn_threads(void *arg)
{
	(void)arg;
	pthread_t t[NTHREADS];
	long sum = 0;
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, c_thread, NULL);
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
	}
	return sum;
}

static long c_result;
static long final_total;

static void foreign_main(void *arg)
{
	(void)arg;
	total = md_alloc(sizeof *total);
	c_result = md_cgocall(c_spawn_threads, NULL);
	md_mutex_lock(&mu);
	MD_READ(total);
	final_total = *total;
	md_mutex_unlock(&mu);
}

Test(callback, from_c_created_threads, .timeout = 120)
{
	md_init(2);
	md_run(foreign_main, NULL);
	cr_assert_eq(c_result, NTHREADS * NITER);
	cr_assert_eq(final_total, NTHREADS * NITER);
	cr_assert_eq(calls, NTHREADS * NITER);
	md_stats_t st;
	md_get_stats(&st);
	cr_assert_eq(st.attaches, NTHREADS * NITER, "every callback attached its thread");
}

Test(callback, from_c_created_threads_one_p, .timeout = 120)
{
	md_init(1);
	md_run(foreign_main, NULL);
	cr_assert_eq(final_total, NTHREADS * NITER);
}

/* ---- Inside md_cgocall: pinned while parked ------------------------------ */

static md_chan_t *ch;
static int moved;
static int cleanups_ran;
static unsigned pin_seen;

static void cleanup(void *arg)
{
	(void)arg;
	cleanups_ran++;
}

static long cb_parks(void *arg)
{
	(void)arg;
	unsigned m0 = md_thread_id();
	pin_seen = rw_task_pinned_to(rw_task_current());
	md_callback_defer(cleanup, NULL);
	long v;
	md_chan_recv(ch, &v); /* parks: the thread waits for this task */
	md_yield();
	if (md_thread_id() != m0)
		moved++;
	return v;
}

static long c_calls_back(void *arg)
{
	(void)arg;
	return md_callback(cb_parks, NULL);
}

static void feeder(void *arg)
{
	(void)arg;
	for (long i = 0; i < 100; i++)
		md_chan_send(ch, &i);
}

static long sum_back;
static unsigned depth_after;

static void cgo_main(void *arg)
{
	(void)arg;
	ch = md_chan_make(sizeof(long), 0);
	md_go(feeder, NULL);
	for (int i = 0; i < 100; i++)
		sum_back += md_cgocall(c_calls_back, NULL);
	depth_after = rw_foreign_depth();
}

Test(callback, inside_cgocall_stays_pinned, .timeout = 120)
{
	md_init(2);
	md_run(cgo_main, NULL);
	cr_assert_eq(sum_back, 99 * 100 / 2);
	cr_assert_eq(moved, 0, "a pinned callback task moved threads");
	cr_assert_eq(cleanups_ran, 100);
	cr_assert_neq(pin_seen, 0, "rw_task_pinned_to was 0 inside a callback");
	cr_assert_eq(depth_after, 0);
}
