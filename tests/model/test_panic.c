/*
 * test_panic: md_panic unwinding from a callback, through C frames and
 * md_cgocall, to md_try in the calling task, many times; racewire's
 * per-thread state is repaired each time (rw_foreign_depth 0, the task
 * unpinned, the callback's cleanups run), and work goes on afterwards.
 */
#include <criterion/criterion.h>
#include <model.h>
#include <racewire.h>

#include <stdint.h>

static int cleanups;
static long *heap_word;

static void cleanup(void *arg)
{
	(void)arg;
	cleanups++;
}

__attribute__((noinline)) static long panicking_callback(void *arg)
{
	MD_FUNC_ENTER();
	md_callback_defer(cleanup, NULL);
	MD_WRITE(heap_word);
	*heap_word += 1;
	md_panic(arg); /* skips MD_FUNC_EXIT, the callback and md_cgocall */
}

static long c_frame(void *arg)
{
	return md_callback(panicking_callback, arg) + 1000; /* never returns here */
}

__attribute__((noinline)) static void body(void *arg)
{
	MD_FUNC_ENTER();
	md_cgocall(c_frame, arg);
	MD_FUNC_EXIT();
}

static int recovered, wrong_value, bad_depth, bad_pin;
static md_wg_t wg = MD_WG_INIT;
static int64_t after;

static void more_work(void *arg)
{
	(void)arg;
	md_atomic_add64(&after, 1);
	md_wg_done(&wg);
}

static void panic_main(void *arg)
{
	(void)arg;
	heap_word = md_alloc(sizeof *heap_word);
	for (intptr_t i = 1; i <= 2000; i++) {
		void *v = NULL;
		if (md_try(body, (void *)i, &v))
			recovered++;
		if (v != (void *)i)
			wrong_value++;
		if (rw_foreign_depth() != 0)
			bad_depth++;
		if (rw_task_pinned_to(rw_task_current()) != 0)
			bad_pin++;
		if (i % 100 == 0)
			md_yield();
	}
	md_wg_add(&wg, 100);
	for (int i = 0; i < 100; i++)
		md_go(more_work, NULL);
	md_wg_wait(&wg);
	/* Annotations still reach TSan from this task and thread. */
	MD_WRITE(heap_word);
	*heap_word += 1;
}

Test(panic, recover_through_c_frames, .timeout = 120)
{
	md_init(2);
	md_run(panic_main, NULL);
	cr_assert_eq(recovered, 2000);
	cr_assert_eq(wrong_value, 0);
	cr_assert_eq(bad_depth, 0, "rw_foreign_depth was not 0 after a recover");
	cr_assert_eq(bad_pin, 0, "task still pinned after a recover");
	cr_assert_eq(cleanups, 2000, "the callback's cleanups did not run on unwind");
	cr_assert_eq(after, 100);
	cr_assert_eq(*heap_word, 2001);
}

static void plain_panic(void *arg)
{
	md_panic(arg);
}

static int plain_ok;

static void plain_main(void *arg)
{
	(void)arg;
	for (intptr_t i = 1; i <= 1000; i++) {
		void *v;
		if (md_try(plain_panic, (void *)i, &v) && v == (void *)i)
			plain_ok++;
	}
}

Test(panic, recover_without_c_frames, .timeout = 60)
{
	md_init(1);
	md_run(plain_main, NULL);
	cr_assert_eq(plain_ok, 1000);
}
