/*
 * The transition state machines on the real TSan runtime: foreign-call
 * brackets, the external-code word, callbacks, attach/detach, checkpoints
 * and finalization, each with its misuse.
 */
#include <criterion/criterion.h>

#include "start.h"
#include <sched.h>

#include "../../shim/internal.h"
#include "fatal.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static rw_task_t *main_task;
static rw_proc_t *p0;

static void start(void)
{
	unit_init(RW_POLICY_ABORT, -1, &main_task, &p0);
}

TestSuite(foreign, .init = start);

Test(foreign, enter_unwires_and_exit_owes_the_acquire_until_wired)
{
	rw_proc_t *released = NULL;
	cr_assert_eq(rw_foreign_enter(&released), 0, "%s", rw_last_error());
	cr_expect_eq(released, p0);
	cr_expect_null(rw_proc_current());
	cr_expect_eq(rw_foreign_depth(), 1);
	cr_expect_eq(rw__m.ext_held, 1, "in external code");
	cr_assert_eq(rw_foreign_exit(), 0, "%s", rw_last_error());
	cr_expect_eq(rw_foreign_depth(), 0);
	cr_expect_eq(rw__m.ext_held, 0);
	cr_expect_eq(rw__m.acquire_owed, 1, "no context: the acquire is held");
	cr_assert_eq(rw_proc_wire(p0), 0);
	cr_expect_eq(rw__m.acquire_owed, 0, "fired on wire");
	rw_stats_t s;
	rw_stats(&s);
	cr_expect_eq(s.violations, 0);
}

Test(foreign, exit_with_context_acquires_at_once)
{
	rw_proc_t *released;
	cr_assert_eq(rw_foreign_enter(&released), 0);
	cr_assert_eq(rw_proc_wire(released), 0);
	cr_assert_eq(rw_foreign_exit(), 0);
	cr_expect_eq(rw__m.acquire_owed, 0);
}

/* The reordering Go made for issue 27660 is enforced, not just allowed:
 * an access while the acquire is held is the seed-001 misuse. It ends the
 * process, so it runs in a child (fatal.h), from a suite with no .init. */
static void access_while_acquire_held(void)
{
	fatal_init_or_die(&main_task, &p0);
	rw_proc_t *released;
	if (rw_foreign_enter(&released) != 0 || rw_foreign_exit() != 0)
		_exit(2);
	static long word;
	rw_read(&word, RW_PC());
}

Test(foreign_fatal, access_while_acquire_held_is_diagnosed, .timeout = 30)
{
	struct fatal r = fatal_run(access_while_acquire_held);
	expect_fatal(&r, "rw_read(");
	expect_line(&r, " on M1 (tid ");
	expect_line(&r, " with no processor context wired\n");
	expect_line(&r, "racewire:   held acquire: yes: a foreign call returned on this thread");
	expect_line(&r, "(seed 001, Go issue 27660)");
	free(r.err);
}

Test(foreign, misuse)
{
	cr_expect_eq(rw_foreign_exit(), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_foreign_exit on M1: no foreign call to leave");
	cr_expect_eq(rw_foreign_enter(NULL), RW_EINVAL);
	rw_proc_t *released;
	cr_assert_eq(rw_proc_unwire(p0), 0);
	cr_expect_eq(rw_foreign_enter(&released), RW_EPERM);
	cr_expect(strstr(rw_last_error(), "no context wired"), "%s", rw_last_error());
}

Test(foreign, nesting_through_a_callback)
{
	rw_proc_t *r1, *r2;
	rw_callback_t cb;
	cr_assert_eq(rw_foreign_enter(&r1), 0);
	/* Foreign code calls back in: the runtime gives the thread a context
	 * and the task, then the callback calls out again. */
	cr_assert_eq(rw_proc_wire(r1), 0);
	cr_assert_eq(rw_callback_enter(&cb), 0, "%s", rw_last_error());
	cr_expect_eq(rw__m.ext_held, 0, "a callback leaves external code");
	cr_assert_eq(rw_foreign_enter(&r2), 0);
	cr_expect_eq(rw_foreign_depth(), 2);
	cr_expect_eq(rw_callback_exit(&cb), RW_EPERM, "the inner foreign call is still open");
	cr_assert_eq(rw_proc_wire(r2), 0);
	cr_assert_eq(rw_foreign_exit(), 0);
	cr_assert_eq(rw_callback_exit(&cb), 0, "%s", rw_last_error());
	cr_expect_eq(rw__m.ext_held, 1, "back in the outer foreign call");
	cr_assert_eq(rw_proc_unwire(r1), 0);
	cr_assert_eq(rw_foreign_exit(), 0);
	cr_expect_eq(rw_foreign_depth(), 0);
	cr_assert_eq(rw_proc_wire(p0), 0);
}

TestSuite(ext, .init = start);

Test(ext, word_misuse)
{
	cr_assert_eq(rw_ext_enter(), 0);
	cr_expect_eq(rw_ext_enter(), RW_EALREADY);
	cr_assert_eq(rw_ext_exit(), 0);
	cr_expect_eq(rw_ext_exit(), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_ext_exit on M1: not in external code");
	cr_expect_eq(rw_suspend_end(rw_thread_self()), RW_EPERM);
	cr_expect_eq(rw_suspend_begin(NULL), RW_EINVAL);
}

Test(ext, suspender_skips_a_thread_in_external_code)
{
	rw_thread_t *me = rw_thread_self();
	cr_assert_eq(rw_ext_enter(), 0);
	cr_expect_eq(rw_suspend_begin(me), RW_EBUSY);
	cr_assert_eq(rw_ext_exit(), 0);
	cr_expect_eq(rw_suspend_begin(me), 0);
	cr_expect_eq(rw_suspend_begin(me), RW_EBUSY, "one suspender at a time");
	cr_expect_eq(rw_suspend_end(me), 0);
}

static rw_thread_t *worker_thread;
static _Atomic pid_t worker_tid;
static _Atomic int worker_ready, worker_entered, worker_go;

static void *enter_external(void *arg)
{
	(void)arg;
	worker_thread = rw_thread_self();
	atomic_store(&worker_tid, (pid_t)syscall(SYS_gettid));
	atomic_store(&worker_ready, 1);
	while (!atomic_load(&worker_go))
		;
	rw_ext_enter();
	atomic_store(&worker_entered, 1);
	rw_ext_exit();
	return NULL;
}

/* How often thread tid has blocked (slept, waited) so far, or -1. */
static long voluntary_switches(pid_t tid)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
	FILE *f = fopen(path, "r");
	long n = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/* While a suspender holds a thread, that thread cannot enter external
 * code: it waits until the suspender lets go.
 *
 * No sleep decides the outcome. The worker busy-waits for "go" and then
 * calls rw_ext_enter, so once it has blocked twice since "go" it is inside
 * rw_ext_enter, backing off after failed attempts on the word (nothing
 * else on its way blocks). Only then is "not entered" checked; a bounded
 * loop (yields, no sleep) caps the wait should the back-off ever stop
 * blocking, and the check holds whenever it is made. */
Test(ext, thread_waits_for_suspender, .timeout = 30)
{
	pthread_t t;
	pthread_create(&t, NULL, enter_external, NULL);
	while (!atomic_load(&worker_ready))
		;
	pid_t tid = atomic_load(&worker_tid);
	cr_assert_eq(rw_suspend_begin(worker_thread), 0);
	long before = voluntary_switches(tid);
	cr_assert_geq(before, 0, "cannot read /proc/self/task/%d/status", (int)tid);
	atomic_store(&worker_go, 1);
	for (int i = 0; i < 1000000 && voluntary_switches(tid) < before + 2; i++)
		sched_yield();
	cr_expect_eq(atomic_load(&worker_entered), 0, "entered while a suspender held it");
	cr_assert_eq(rw_suspend_end(worker_thread), 0);
	pthread_join(t, NULL);
	cr_expect_eq(atomic_load(&worker_entered), 1);
}

TestSuite(callback, .init = start);

static int order[4], norder;
static void note(void *arg) { order[norder++] = (int)(intptr_t)arg; }

Test(callback, pins_runs_cleanups_last_first_then_unpins)
{
	rw_callback_t cb;
	cr_assert_eq(rw_callback_enter(&cb), 0);
	cr_expect_eq(rw_task_pinned_to(main_task), 1);
	cr_assert_eq(rw_callback_defer(&cb, note, (void *)1), 0);
	cr_assert_eq(rw_callback_defer(&cb, note, (void *)2), 0);
	cr_assert_eq(rw_callback_exit(&cb), 0);
	cr_expect_eq(norder, 2);
	cr_expect(order[0] == 2 && order[1] == 1, "last registered runs first");
	cr_expect_eq(rw_task_pinned_to(main_task), 0);
}

static void *switch_to_main_task(void *arg)
{
	(void)arg;
	int rc = rw_task_switch(main_task);
	static char msg[320];
	strcpy(msg, rw_last_error());
	return rc == RW_EPERM ? msg : NULL;
}

Test(callback, pinned_task_cannot_run_elsewhere)
{
	rw_callback_t cb;
	cr_assert_eq(rw_callback_enter(&cb), 0);
	cr_assert_eq(rw_task_switch(NULL), 0); /* the task is off-CPU, pinned */
	char *msg = unit_in_thread(switch_to_main_task, NULL);
	cr_assert_not_null(msg);
	cr_expect_str_eq(msg, "rw_task_switch(T1) on M2: T1 is pinned to M1 during a callback");
	cr_assert_eq(rw_task_switch(main_task), 0, "its own thread may run it");
	cr_assert_eq(rw_callback_exit(&cb), 0);
}

static void *exit_elsewhere(void *cb)
{
	rw_callback_exit(cb);
	return NULL;
}

/* A callback that would return into foreign code from another thread dies
 * with a message instead of a SEGV on the wrong stack. */
static void callback_exit_elsewhere(void)
{
	fatal_init_or_die(&main_task, &p0);
	static rw_callback_t cb;
	if (rw_callback_enter(&cb) != 0)
		_exit(2);
	unit_in_thread(exit_elsewhere, &cb);
}

Test(callback_fatal, exit_on_another_thread_is_fatal, .timeout = 30)
{
	struct fatal r = fatal_run(callback_exit_elsewhere);
	expect_fatal(&r, "task T1 moved from M1 to M2 during callback\n");
	expect_line(&r, "racewire:   hazard: returning would run foreign code's frames on M1's stack "
	                "from M2\n");
	expect_line(&r, "(seed 002, Go issue 47441)");
	free(r.err);
}

Test(callback, misuse)
{
	rw_callback_t cb;
	memset(&cb, 0, sizeof cb);
	cr_expect_eq(rw_callback_exit(&cb), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_callback_exit on M1: no callback to leave");
	cr_assert_eq(rw_callback_enter(&cb), 0);
	for (int i = 0; i < RW_CALLBACK_MAX_CLEANUPS; i++)
		cr_assert_eq(rw_callback_defer(&cb, note, NULL), 0);
	cr_expect_eq(rw_callback_defer(&cb, note, NULL), RW_ENOMEM);
	norder = 0;
	cr_assert_eq(rw_callback_exit(&cb), 0);
	cr_assert_eq(rw_task_switch(NULL), 0);
	cr_expect_eq(rw_callback_enter(&cb), RW_EPERM, "no current task");
}

Test(callback, acquires_on_entry_when_wired_and_owes_it_otherwise)
{
	rw_callback_t cb;
	cr_assert_eq(rw_callback_enter(&cb), 0);
	cr_expect_eq(rw__m.acquire_owed, 0, "wired: the acquire fired at once");
	cr_assert_eq(rw_callback_exit(&cb), 0);
	cr_assert_eq(rw_proc_unwire(p0), 0);
	cr_assert_eq(rw_callback_enter(&cb), 0);
	cr_expect_eq(rw__m.acquire_owed, 1, "no context: owed until the wire");
	cr_assert_eq(rw_proc_wire(p0), 0);
	cr_expect_eq(rw__m.acquire_owed, 0);
	cr_assert_eq(rw_callback_exit(&cb), 0);
}

TestSuite(for_task, .init = start);

static long handed_over; /* .bss */

/* A channel hands a value to a parked receiver: the sender releases, and
 * acquires on the receiver's behalf (Go's raceacquireg), so the receiver's
 * read after it wakes is ordered after the sender's write. */
Test(for_task, acquire_for_a_parked_task_orders_its_later_reads)
{
	rw_task_t *receiver;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &receiver), 0);
	rw_write(&handed_over, RW_PC());
	rw_release(&handed_over);
	cr_assert_eq(rw_acquire_for(receiver, &handed_over), 0, "%s", rw_last_error());
	cr_assert_eq(rw_task_switch(receiver), 0);
	rw_read(&handed_over, RW_PC());
	cr_expect_eq(rw_report_count(), 0, "the handoff was not ordered");
	cr_assert_eq(rw_task_switch(main_task), 0);
	cr_expect_eq(rw_release_for(receiver, &handed_over), 0);
	cr_expect_eq(rw_release_merge_for(main_task, &handed_over), 0, "the current task is fine");
	cr_expect_eq(rw_acquire_for(NULL, &handed_over), RW_EINVAL);
}

static void *run_task_elsewhere(void *t)
{
	rw_task_switch(t);
	return NULL;
}

Test(for_task, refused_while_the_task_runs_elsewhere)
{
	rw_task_t *t;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t), 0);
	unit_in_thread(run_task_elsewhere, t); /* that thread exits with t current */
	cr_expect_eq(rw_acquire_for(t, &handed_over), RW_EBUSY);
	cr_expect_str_eq(rw_last_error(), "rw_acquire_for(T2) on M1: T2 is running on M2");
}

/* Threads starting children of one parked task take turns on its TSan
 * state (unserialized, TSan crashes in SlotLock under ThreadCreate). */
static rw_task_t *shared_parent;

static void *start_children(void *arg)
{
	rw_proc_t *p;
	if (rw_proc_create(&p) != 0 || rw_proc_wire(p) != 0)
		return NULL;
	for (int i = 0; i < 200; i++) {
		rw_task_t *child;
		if (rw_task_start(shared_parent, RW_PC(), &child) != 0 || rw_task_end(child) != 0)
			return NULL;
	}
	rw_proc_unwire(p);
	return arg;
}

Test(for_task, children_of_one_parked_task_from_many_threads, .timeout = 60)
{
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &shared_parent), 0);
	pthread_t t[4];
	static int tags[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, start_children, &tags[i]);
	for (int i = 0; i < 4; i++) {
		void *ok;
		pthread_join(t[i], &ok);
		cr_expect_not_null(ok, "thread %d: %s", i, rw_last_error());
	}
	cr_assert_eq(rw_task_switch(shared_parent), 0, "no hold left behind");
	cr_assert_eq(rw_task_switch(main_task), 0);
}

Test(for_task, orphan_tasks_start_from_tsans_initial_context)
{
	rw_task_t *t;
	cr_assert_eq(rw_task_start(NULL, RW_PC(), &t), 0, "%s", rw_last_error());
	cr_assert_eq(rw_task_switch(t), 0);
	rw_write(&handed_over, RW_PC());
	cr_assert_eq(rw_task_switch(main_task), 0);
	cr_expect_eq(rw_task_end(t), 0);
	cr_expect_eq(rw_task_start(main_task, RW_PC(), NULL), RW_EINVAL);
}

TestSuite(attach, .init = start);

struct seen {
	int blocked_in_setup, attached_in_setup, blocked_in_teardown, attached_in_teardown;
	int attached_after, mask_restored, detached_after;
};

static int all_blocked(void)
{
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	return sigismember(&now, SIGUSR1) && sigismember(&now, SIGTERM) && sigismember(&now, SIGURG);
}

static int setup(void *arg)
{
	struct seen *s = arg;
	s->blocked_in_setup = all_blocked();
	s->attached_in_setup = rw_thread_is_attached();
	return 0;
}

static void teardown(void *arg)
{
	struct seen *s = arg;
	s->blocked_in_teardown = all_blocked();
	s->attached_in_teardown = rw_thread_is_attached();
}

static void *c_thread(void *arg)
{
	struct seen *s = arg;
	sigset_t own;
	sigemptyset(&own);
	sigaddset(&own, SIGUSR2); /* the thread's own mask, to be kept */
	pthread_sigmask(SIG_SETMASK, &own, NULL);
	rw_attach_t a;
	if (rw_thread_attach(&a, setup, s) != 0)
		return NULL;
	s->attached_after = rw_thread_is_attached();
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	s->mask_restored = sigismember(&now, SIGUSR2) && !sigismember(&now, SIGUSR1);
	rw_thread_detach(&a, teardown, s);
	s->detached_after = !rw_thread_is_attached();
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	s->mask_restored &= sigismember(&now, SIGUSR2) && !sigismember(&now, SIGUSR1);
	return s;
}

Test(attach, transitions_run_with_signals_blocked_and_publish_last)
{
	struct seen s = {0};
	cr_assert_not_null(unit_in_thread(c_thread, &s));
	cr_expect(s.blocked_in_setup, "setup ran with signals deliverable");
	cr_expect(!s.attached_in_setup, "attached was published before setup finished");
	cr_expect(s.attached_after);
	cr_expect(s.blocked_in_teardown);
	cr_expect(!s.attached_in_teardown, "attached still published during teardown");
	cr_expect(s.detached_after);
	cr_expect(s.mask_restored, "the thread's own mask was not restored");
}

Test(attach, misuse)
{
	rw_attach_t a;
	memset(&a, 0, sizeof a);
	cr_expect_eq(rw_thread_detach(&a, NULL, NULL), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_thread_detach on M1: the thread is not attached");
	cr_assert_eq(rw_thread_attach(&a, NULL, NULL), 0);
	cr_expect_eq(rw_thread_attach(&a, NULL, NULL), RW_EALREADY);
	cr_expect_eq(rw_thread_detach(&a, NULL, NULL), RW_EBUSY, "P0 and T1 are still here");
	cr_expect(strstr(rw_last_error(), "has a context wired"), "%s", rw_last_error());
}

struct handle_check {
	int id_kept, skipped_detached, suspendable_again, ext_while_detached;
};

static void *detach_keeps_handle(void *arg)
{
	struct handle_check *hc = arg;
	rw_attach_t a;
	if (rw_thread_attach(&a, NULL, NULL) != 0)
		return NULL;
	rw_thread_t *h = rw_thread_self();
	unsigned id = rw_thread_id(h);
	if (rw_thread_detach(&a, NULL, NULL) != 0)
		return NULL;
	/* Fill freed memory, so that a freed handle would show. */
	for (int i = 0; i < 64; i++)
		memset(malloc(48), 0xab, 48);
	hc->id_kept = rw_thread_id(h) == id && rw_thread_self() == h;
	hc->skipped_detached = rw_suspend_begin(h) == RW_ENOENT;
	hc->ext_while_detached = rw_ext_enter() == 0 && rw_ext_exit() == 0;
	if (rw_thread_attach(&a, NULL, NULL) != 0)
		return NULL;
	hc->suspendable_again = rw_suspend_begin(h) == 0 && rw_suspend_end(h) == 0;
	rw_thread_detach(&a, NULL, NULL);
	return hc;
}

/* A suspender may hold a foreign thread's handle across its detach: the
 * handle stays valid (until the thread exits) and says "skip me". */
Test(attach, detach_keeps_the_handle_and_closes_it_to_suspenders)
{
	struct handle_check hc = {0};
	cr_assert_not_null(unit_in_thread(detach_keeps_handle, &hc));
	cr_expect(hc.id_kept, "the handle was freed or replaced at detach");
	cr_expect(hc.skipped_detached, "a detached thread must be skipped (RW_ENOENT)");
	cr_expect(hc.ext_while_detached, "external code must not wait on a detached thread");
	cr_expect(hc.suspendable_again, "attached again: suspendable again");
}

static int failing_setup(void *arg) { (void)arg; return RW_ENOMEM; }

Test(attach, failed_setup_leaves_nothing_behind)
{
	struct seen s = {0};
	(void)s;
	rw_attach_t a;
	cr_expect_eq(rw_thread_attach(&a, failing_setup, NULL), RW_ENOMEM);
	cr_expect(!rw_thread_is_attached());
}

TestSuite(checkpoint, .init = start);

Test(checkpoint, restore_undoes_what_an_unwind_skipped)
{
	rw_checkpoint_t cp;
	sigset_t before;
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	rw_func_enter(RW_PC());
	cr_assert_eq(rw_checkpoint(&cp), 0);
	long depth = rw__hot.depth;

	/* runtime -> C -> callback -> panic, as the unwind would leave it */
	rw_func_enter(RW_PC());
	rw_func_enter(RW_PC());
	rw_proc_t *released;
	cr_assert_eq(rw_foreign_enter(&released), 0);
	cr_assert_eq(rw_proc_wire(released), 0);
	rw_callback_t cb;
	cr_assert_eq(rw_callback_enter(&cb), 0);
	cr_assert_eq(rw_callback_defer(&cb, note, (void *)7), 0);
	rw_func_enter(RW_PC());
	sigset_t blocked;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);
	cr_assert_eq(rw_proc_unwire(released), 0);

	norder = 0;
	cr_assert_eq(rw_checkpoint_restore(&cp), 0, "%s", rw_last_error());
	cr_expect_eq(rw__hot.depth, depth);
	cr_expect_eq(rw_foreign_depth(), 0);
	cr_expect_eq(rw__m.nrecords, 0);
	cr_expect_eq(rw__m.ext_held, 0);
	cr_expect_eq(rw_task_pinned_to(main_task), 0);
	cr_expect(norder == 1 && order[0] == 7, "the callback's cleanup ran");
	cr_expect_eq(rw_proc_current(), p0, "the checkpoint's context is wired again");
	cr_expect_eq(rw__m.acquire_owed, 0, "the skipped foreign call's acquire fired");
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	cr_expect(!sigismember(&now, SIGUSR1), "mask restored");
	rw_func_exit();
	cr_expect_eq(rw__hot.depth, 0);
	cr_expect_eq(rw_checkpoint_restore(&cp), RW_EINVAL, "deeper than the thread now");
}

static void *restore_elsewhere(void *cp)
{
	return (void *)(intptr_t)rw_checkpoint_restore(cp);
}

Test(checkpoint, misuse)
{
	rw_checkpoint_t cp;
	cr_assert_eq(rw_checkpoint(&cp), 0);
	cr_expect_eq((int)(intptr_t)unit_in_thread(restore_elsewhere, &cp), RW_EPERM);
	cr_assert_eq(rw_task_switch(NULL), 0);
	cr_expect_eq(rw_checkpoint_restore(&cp), RW_EPERM);
	cr_expect_str_eq(rw_last_error(), "rw_checkpoint_restore on M1: the checkpoint is T1's, the "
	                                  "current task is T0");
	cr_expect_eq(rw_checkpoint(NULL), RW_EINVAL);
}

TestSuite(fini, .init = start);

static _Noreturn void *fini_too(void *arg)
{
	(void)arg;
	rw_fini();
}

static _Atomic int annotating;

struct worker {
	rw_proc_t *p;
	rw_task_t *t;
};

static _Noreturn void *keep_annotating(void *arg)
{
	static long word;
	struct worker *w = arg;
	rw_proc_wire(w->p);
	rw_task_switch(w->t);
	atomic_store(&annotating, 1);
	for (;;) {
		rw_write(&word, RW_PC());
		rw_acquire(&word);
	}
}

/* Runs inside the backend's exit (TSan's, after its Finalize): the
 * annotating thread, which never stops, must be turned away from now on.
 * Its next annotation is dropped; wait for one (bounded), since without
 * TSan's Finalize to delay it, exit can get here before the thread ran. */
static void check_dropped(void)
{
	for (long i = 0; i < 100000000; i++) {
		rw_stats_t s;
		rw_stats(&s);
		if (s.dropped > 0)
			return;
		sched_yield();
	}
	_exit(7);
}

/* Two finalizers and an annotating thread: one finalization runs, the
 * annotations stop reaching TSan, the process exits with TSan's status. */
Test(fini, runs_once_and_drops_late_annotations, .exit_code = 0, .timeout = 30)
{
	atexit(check_dropped);
	static struct worker w;
	cr_assert_eq(rw_proc_create(&w.p), 0);
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &w.t), 0);
	pthread_t a, b;
	pthread_create(&a, NULL, keep_annotating, &w);
	while (!atomic_load(&annotating))
		;
	pthread_create(&b, NULL, fini_too, NULL);
	rw_fini();
}
