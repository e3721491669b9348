/*
 * Lifetimes and the state machines' holes, on the real TSan runtime: every
 * handle outlives its misuse (an ended task, an exited thread, another
 * thread's attach record), and each mistake is an error naming what was
 * misused, never a use of freed memory or a deadlock.
 */
#include <criterion/criterion.h>

#include "start.h"

#include "../../shim/internal.h"

#include <pthread.h>
#include <string.h>

static rw_task_t *main_task;
static rw_proc_t *p0;

static void start(void)
{
	unit_init(RW_POLICY_ABORT, 0, &main_task, &p0);
}

TestSuite(lifetime, .init = start);

Test(lifetime, ended_task_is_named_by_every_call)
{
	rw_task_t *t;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t), 0);
	cr_assert_eq(rw_task_end(t), 0, "%s", rw_last_error());
	cr_expect_eq(rw_task_switch(t), RW_ENOENT);
	cr_expect_str_eq(rw_last_error(), "rw_task_switch(T2) on M1: T2 has ended (rw_task_end)");
	rw_task_t *child = NULL;
	cr_expect_eq(rw_task_start(t, RW_PC(), &child), RW_ENOENT);
	cr_expect_str_eq(rw_last_error(), "rw_task_start(T2) on M1: T2 has ended (rw_task_end)");
	cr_expect_null(child);
	static long word;
	cr_expect_eq(rw_acquire_for(t, &word), RW_ENOENT);
	cr_expect_str_eq(rw_last_error(), "rw_acquire_for(T2) on M1: T2 has ended (rw_task_end)");
	cr_expect_eq(rw_release_for(t, &word), RW_ENOENT);
	cr_expect_eq(rw_release_merge_for(t, &word), RW_ENOENT);
	cr_expect_eq(rw_task_end(t), RW_ENOENT);
	cr_expect_str_eq(rw_last_error(), "rw_task_end(T2) on M1: T2 has already ended");
	cr_expect_eq(rw_task_current(), main_task, "nothing changed");
	cr_expect_eq(rw_task_id(t), 2, "the handle still names its task");
}

Test(lifetime, ending_the_current_task_switches_away_first)
{
	rw_task_t *t;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t), 0);
	cr_assert_eq(rw_task_switch(t), 0);
	cr_expect_eq(rw_task_end(t), 0, "%s", rw_last_error());
	cr_expect_null(rw_task_current());
	cr_expect_null(rw__hot.thr, "the ended task's ThreadState is gone from the fast path");
	cr_expect_eq(rw_task_switch(t), RW_ENOENT);
}

struct current_elsewhere {
	rw_task_t *t;
	pthread_barrier_t *ready, *done;
};

static void *run_task(void *arg)
{
	struct current_elsewhere *c = arg;
	rw_task_switch(c->t);
	pthread_barrier_wait(c->ready);
	pthread_barrier_wait(c->done);
	rw_task_switch(NULL);
	return NULL;
}

Test(lifetime, ending_a_task_current_elsewhere_is_refused, .timeout = 30)
{
	rw_task_t *t;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t), 0);
	pthread_barrier_t ready, done;
	pthread_barrier_init(&ready, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	struct current_elsewhere c = {t, &ready, &done};
	pthread_t th;
	pthread_create(&th, NULL, run_task, &c);
	pthread_barrier_wait(&ready);
	cr_expect_eq(rw_task_end(t), RW_EBUSY);
	cr_expect_str_eq(rw_last_error(), "rw_task_end(T2) on M1: T2 is current on M2");
	pthread_barrier_wait(&done);
	pthread_join(th, NULL);
	cr_expect_eq(rw_task_end(t), 0, "once it runs nowhere: %s", rw_last_error());
}

Test(lifetime, ending_a_task_pinned_by_a_callback_is_refused)
{
	rw_callback_t cb;
	cr_assert_eq(rw_callback_enter(&cb), 0);
	cr_expect_eq(rw_task_end(main_task), RW_EBUSY);
	cr_expect_str_eq(rw_last_error(), "rw_task_end(T1) on M1: T1 is pinned to M1 by a callback "
	                                  "that has not exited");
	cr_expect_eq(rw_task_current(), main_task, "still current: the refusal changed nothing");
	cr_assert_eq(rw_callback_exit(&cb), 0, "%s", rw_last_error());
	cr_expect_eq(rw_task_end(main_task), 0, "%s", rw_last_error());
}

Test(lifetime, ending_a_held_task_is_refused)
{
	rw_task_t *t;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t), 0);
	/* As another thread's rw_acquire_for holds it for one TSan call. */
	atomic_store(&t->on_m, 7u | 0x80000000u);
	cr_expect_eq(rw_task_end(t), RW_EBUSY);
	cr_expect_str_eq(rw_last_error(), "rw_task_end(T2) on M1: T2 is held by M7 for a TSan call "
	                                  "on its behalf");
	atomic_store(&t->on_m, 0);
	cr_expect_eq(rw_task_end(t), 0, "%s", rw_last_error());
}

static void *self_handle(void *arg)
{
	(void)arg;
	return rw_thread_self();
}

Test(lifetime, suspending_an_exited_thread_is_refused)
{
	rw_thread_t *gone = unit_in_thread(self_handle, NULL);
	cr_assert_not_null(gone);
	/* Memory the exited thread's handle would have had goes round. */
	for (int i = 0; i < 64; i++)
		free(malloc(sizeof(struct rw_thread)));
	cr_expect_eq(rw_suspend_begin(gone), RW_ENOENT);
	cr_expect_str_eq(rw_last_error(), "rw_suspend_begin(M2): M2 has exited");
	cr_expect_eq(rw_suspend_end(gone), RW_ENOENT);
	cr_expect_str_eq(rw_last_error(), "rw_suspend_end(M2): M2 has exited");
}

/* A thread that takes its own suspension word must not then wait for
 * itself at its next external-code entry (a foreign call, rw_fini). */
Test(lifetime, suspending_itself_does_not_deadlock_the_thread, .timeout = 30)
{
	rw_thread_t *me = rw_thread_self();
	cr_assert_eq(rw_suspend_begin(me), 0);
	cr_expect_eq(rw_ext_enter(), RW_EBUSY);
	cr_expect_str_eq(rw_last_error(), "rw_ext_enter on M1: M1 holds its own suspension word "
	                                  "(rw_suspend_begin on itself); it would wait for itself: "
	                                  "call rw_suspend_end first");
	rw_proc_t *released;
	cr_expect_eq(rw_foreign_enter(&released), 0, "returns: %s", rw_last_error());
	cr_expect_eq(rw_foreign_exit(), 0);
	cr_expect_eq(rw_proc_wire(released), 0);
	cr_assert_eq(rw_suspend_end(me), 0);
	cr_expect_eq(rw_ext_enter(), 0, "free again: %s", rw_last_error());
	cr_expect_eq(rw_ext_exit(), 0);
}

static rw_attach_t other_attach;

static void *attach_and_stay(void *arg)
{
	(void)arg;
	cr_assert_eq(rw_thread_attach(&other_attach, NULL, NULL), 0, "%s", rw_last_error());
	return NULL;
}

struct detach_try {
	int rc;
	char msg[320];
};

static void *detach_with_anothers(void *arg)
{
	struct detach_try *d = arg;
	rw_attach_t mine;
	cr_assert_eq(rw_thread_attach(&mine, NULL, NULL), 0, "%s", rw_last_error());
	d->rc = rw_thread_detach(&other_attach, NULL, NULL);
	strcpy(d->msg, rw_last_error());
	cr_expect_eq(rw_thread_is_attached(), 1, "still attached");
	cr_expect_eq(rw_thread_detach(&mine, NULL, NULL), 0, "its own: %s", rw_last_error());
	return NULL;
}

Test(lifetime, detaching_with_another_threads_record_is_refused)
{
	unit_in_thread(attach_and_stay, NULL); /* M2 */
	struct detach_try d;
	unit_in_thread(detach_with_anothers, &d); /* M3 */
	cr_expect_eq(d.rc, RW_EPERM);
	cr_expect_str_eq(d.msg, "rw_thread_detach on M3: this rw_attach_t is M2's, not this "
	                        "thread's");
	cr_expect_eq(rw_thread_detach(NULL, NULL, NULL), RW_EINVAL);
}

TestSuite(holes, .init = start);

/* The owed acquire of a foreign call is its task's: a switch away leaves
 * it with the task, and it fires when that task runs again with a
 * context, on whatever thread. tests/integration/test_misuse.c shows the
 * race it would otherwise hide. */
Test(holes, owed_acquire_goes_with_its_task)
{
	rw_task_t *t2;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t2), 0);
	rw_proc_t *released;
	cr_assert_eq(rw_foreign_enter(&released), 0);
	cr_assert_eq(rw_foreign_exit(), 0);
	cr_expect_eq(rw__m.acquire_owed, 1, "T1's acquire, owed");
	cr_assert_eq(rw_task_switch(t2), 0);
	cr_expect_eq(rw__m.acquire_owed, 0, "T2 owes nothing");
	cr_expect_eq(main_task->acquire_owed, 1, "T1 keeps its own");
	cr_assert_eq(rw_proc_wire(released), 0);
	cr_expect_eq(main_task->acquire_owed, 1, "a wire for T2 does not fire T1's acquire");
	cr_assert_eq(rw_task_switch(main_task), 0);
	cr_expect_eq(main_task->acquire_owed, 0);
	cr_expect_eq(rw__m.acquire_owed, 0, "T1 back with a context: fired");
	cr_expect_eq(rw_task_end(t2), 0);
}

Test(holes, foreign_exit_by_another_task_is_refused)
{
	rw_task_t *t2;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t2), 0);
	rw_proc_t *released;
	cr_assert_eq(rw_foreign_enter(&released), 0);
	cr_assert_eq(rw_task_switch(t2), 0);
	cr_expect_eq(rw_foreign_exit(), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_foreign_exit on M1: the open foreign call is T1's, the "
	                                  "current task is T2; switch back to T1 first");
	cr_expect_eq(rw_foreign_depth(), 1, "the call is still open");
	cr_assert_eq(rw_task_switch(main_task), 0);
	cr_expect_eq(rw_foreign_exit(), 0, "%s", rw_last_error());
}

Test(holes, exiting_a_callback_never_entered_says_so)
{
	rw_callback_t never;
	memset(&never, 0, sizeof never);
	cr_expect_eq(rw_callback_exit(&never), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_callback_exit on M1: no callback to leave");
	/* Inside another callback, and with stack garbage that looks like a
	 * callback entered on another thread: named, not "task moved". */
	rw_callback_t outer;
	cr_assert_eq(rw_callback_enter(&outer), 0);
	rw_callback_t garbage = {.m = 5, .task = 9, .depth = 3};
	cr_expect_eq(rw_callback_exit(&garbage), RW_EPERM, "not 'task moved'");
	cr_expect_str_eq(rw_last_error(), "rw_callback_exit on M1: this callback was never entered "
	                                  "on M1 (or has exited already)");
	cr_expect_eq(rw_callback_exit(&never), RW_EPERM);
	cr_expect(strstr(rw_last_error(), "was never entered"), "%s", rw_last_error());
	cr_expect_eq(rw_callback_exit(&outer), 0);
}

Test(holes, exiting_a_callback_twice_says_so)
{
	rw_callback_t cb;
	cr_assert_eq(rw_callback_enter(&cb), 0);
	cr_assert_eq(rw_callback_exit(&cb), 0);
	cr_expect_eq(rw_callback_exit(&cb), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_callback_exit on M1: no callback to leave");
	/* Exited on another thread after a real exit: not "moved" either. */
	rw_callback_t outer;
	cr_assert_eq(rw_callback_enter(&outer), 0);
	cr_expect_eq(rw_callback_exit(&cb), RW_EPERM);
	cr_expect(strstr(rw_last_error(), "was never entered on M1 (or has exited already)"), "%s",
	          rw_last_error());
	cr_expect_eq(rw_callback_exit(&outer), 0);
}

Test(holes, exiting_an_outer_callback_first_is_named)
{
	rw_callback_t outer, inner;
	cr_assert_eq(rw_callback_enter(&outer), 0);
	cr_assert_eq(rw_callback_enter(&inner), 0);
	cr_expect_eq(rw_callback_exit(&outer), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_callback_exit on M1: the innermost transition is not "
	                                  "this callback");
	cr_expect_eq(rw_callback_exit(&inner), 0);
	cr_expect_eq(rw_callback_exit(&outer), 0);
}
