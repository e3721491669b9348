/*
 * Ownership of processor contexts and tasks, on the real TSan runtime:
 * wiring is exclusive, misuse returns an error whose message names both
 * threads and the context, and the fast path's live pointer follows the
 * wiring exactly.
 */
#include <criterion/criterion.h>
#include <racewire.h>

#include "start.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static rw_task_t *main_task;
static rw_proc_t *main_proc;

static void start(void)
{
	/* These tests read the fast path's pointer, which checked mode keeps NULL. */
	unit_init(RW_POLICY_ABORT, 0, &main_task, &main_proc);
}

TestSuite(wiring, .init = start);

Test(wiring, init_wires_p0_and_main_task)
{
	cr_expect_eq(rw_proc_current(), main_proc);
	cr_expect_eq(rw_proc_id(main_proc), 0);
	cr_expect_eq(rw_task_current(), main_task);
	cr_expect_eq(rw_task_id(main_task), 1);
	rw_task_t *t;
	rw_proc_t *p;
	cr_expect_eq(rw_init(NULL, &t, &p), RW_EALREADY);
}

Test(wiring, thread_cannot_wire_two)
{
	rw_proc_t *p1;
	cr_assert_eq(rw_proc_create(&p1), 0);
	cr_expect_eq(rw_proc_id(p1), 1);
	cr_expect_eq(rw_proc_wire(p1), RW_EBUSY);
	cr_expect_str_eq(rw_last_error(), "rw_proc_wire(P1) on M1: M1 already has P0 wired");
	cr_expect_eq(rw_proc_current(), main_proc);
}

struct other {
	rw_proc_t *p;
	int rc;
	char msg[320];
};

static void *wire_from_other_thread(void *arg)
{
	struct other *o = arg;
	o->rc = rw_proc_wire(o->p);
	strcpy(o->msg, rw_last_error());
	return NULL;
}

static struct other on_other_thread(void *(*fn)(void *), rw_proc_t *p)
{
	struct other o = {.p = p};
	pthread_t t;
	pthread_create(&t, NULL, fn, &o);
	pthread_join(t, NULL);
	return o;
}

Test(wiring, context_wired_elsewhere_is_refused_naming_both_threads)
{
	struct other o = on_other_thread(wire_from_other_thread, main_proc);
	cr_expect_eq(o.rc, RW_EBUSY);
	cr_expect_str_eq(o.msg, "rw_proc_wire(P0) on M2: P0 is wired to M1");
}

static void *unwire_from_other_thread(void *arg)
{
	struct other *o = arg;
	o->rc = rw_proc_unwire(o->p);
	strcpy(o->msg, rw_last_error());
	return NULL;
}

Test(wiring, unwire_by_non_owner_is_refused)
{
	struct other o = on_other_thread(unwire_from_other_thread, main_proc);
	cr_expect_eq(o.rc, RW_EPERM);
	cr_expect_str_eq(o.msg, "rw_proc_unwire(P0) on M2: M2 does not own it (P0, now wired to M1)");
	cr_expect_eq(rw_proc_current(), main_proc, "the owner keeps it");
}

Test(wiring, destroy_wired_then_wire_destroyed)
{
	rw_proc_t *p1;
	cr_assert_eq(rw_proc_create(&p1), 0);
	cr_assert_eq(rw_proc_unwire(main_proc), 0);
	cr_assert_eq(rw_proc_wire(p1), 0);
	cr_expect_eq(rw_proc_destroy(p1), RW_EBUSY);
	cr_expect_str_eq(rw_last_error(), "rw_proc_destroy(P1) on M1: P1 is wired to M1; unwire it first");
	cr_assert_eq(rw_proc_unwire(p1), 0);
	cr_assert_eq(rw_proc_destroy(p1), 0);
	cr_expect_eq(rw_proc_destroy(p1), RW_EALREADY);
	cr_expect_eq(rw_proc_wire(p1), RW_ENOENT);
	cr_expect_str_eq(rw_last_error(), "rw_proc_wire(P1) on M1: P1 was destroyed");
	cr_expect_null(rw_proc_current());
}

/* TSan binds its initial Processor to its init state; destroying it would
 * die in TSan: CHECK failed: tsan_rtl_proc.cpp:34 "((proc->thr)) == ((nullptr))". */
Test(wiring, initial_context_cannot_be_destroyed)
{
	cr_assert_eq(rw_proc_unwire(main_proc), 0);
	cr_expect_eq(rw_proc_destroy(main_proc), RW_EPERM);
	cr_expect(strstr(rw_last_error(), "P0 is TSan's initial context"), "%s", rw_last_error());
	cr_expect_eq(rw_proc_wire(main_proc), 0, "P0 is still usable");
}

Test(wiring, handoff_between_threads)
{
	cr_assert_eq(rw_proc_unwire(main_proc), 0);
	cr_expect_null(rw_proc_current());
	cr_expect_null(rw__hot.thr, "unwired: the fast path must not reach TSan");
	cr_expect_null(rw__hot.tsan_proc);
	struct other o = on_other_thread(wire_from_other_thread, main_proc);
	cr_expect_eq(o.rc, 0, "%s", o.msg);
	/* That thread exited still owning P0: the context stays its. */
	cr_expect_eq(rw_proc_wire(main_proc), RW_EBUSY);
	cr_expect_str_eq(rw_last_error(), "rw_proc_wire(P0) on M1: P0 is wired to M2");
}

Test(wiring, live_pointer_needs_context_and_task)
{
	cr_expect_not_null(rw__hot.thr);
	cr_assert_eq(rw_task_switch(NULL), 0);
	cr_expect_null(rw__hot.thr, "no task");
	cr_expect_not_null(rw__hot.tsan_proc, "still wired");
	cr_assert_eq(rw_task_switch(main_task), 0);
	cr_expect_not_null(rw__hot.thr);
}

static void *switch_from_other_thread(void *arg)
{
	struct other *o = arg;
	o->rc = rw_task_switch((rw_task_t *)o->p);
	strcpy(o->msg, rw_last_error());
	return NULL;
}

Test(wiring, task_runs_on_one_thread_at_a_time)
{
	struct other o = on_other_thread(switch_from_other_thread, (rw_proc_t *)main_task);
	cr_expect_eq(o.rc, RW_EBUSY);
	cr_expect_str_eq(o.msg, "rw_task_switch(T1) on M2: T1 is current on M1");
	cr_expect_eq(rw_task_end(main_task), 0, "ending the current task: %s", rw_last_error());
	cr_expect_null(rw_task_current());
}

static long global_word; /* in .bss: shadowed since rw_init */

Test(wiring, tasks_start_and_end)
{
	rw_task_t *t;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t), 0, "%s", rw_last_error());
	cr_expect_eq(rw_task_id(t), 2);
	cr_assert_eq(rw_task_switch(t), 0);
	rw_write(&global_word, RW_PC());
	cr_assert_eq(rw_task_switch(main_task), 0);
	cr_expect_eq(rw_task_end(t), 0, "%s", rw_last_error());
	cr_expect_eq(rw_task_start(main_task, 0, NULL), RW_EINVAL);
	cr_expect_eq(rw_report_count(), 0);
}

Test(wiring, null_arguments)
{
	cr_expect_eq(rw_proc_wire(NULL), RW_EINVAL);
	cr_expect_eq(rw_proc_unwire(NULL), RW_EINVAL);
	cr_expect_eq(rw_proc_destroy(NULL), RW_EINVAL);
	cr_expect_eq(rw_proc_create(NULL), RW_EINVAL);
	cr_expect_eq(rw_task_end(NULL), RW_EINVAL);
	cr_expect_str_eq(rw_strerror(RW_EBUSY), "RW_EBUSY: owned by another thread or in use");
}

/* Many threads race to wire one context; exactly one may win each round. */
#define RACERS 8
#define ROUNDS 2000
static _Atomic int owners_now, max_owners;

static void *contend(void *arg)
{
	rw_proc_t *p = arg;
	for (int i = 0; i < ROUNDS; i++) {
		if (rw_proc_wire(p) != 0)
			continue;
		int n = atomic_fetch_add(&owners_now, 1) + 1;
		int m = atomic_load(&max_owners);
		while (n > m && !atomic_compare_exchange_weak(&max_owners, &m, n))
			;
		atomic_fetch_sub(&owners_now, 1);
		cr_assert_eq(rw_proc_unwire(p), 0);
	}
	return NULL;
}

Test(wiring, wiring_is_exclusive_under_contention, .timeout = 60)
{
	cr_assert_eq(rw_proc_unwire(main_proc), 0);
	pthread_t t[RACERS];
	for (int i = 0; i < RACERS; i++)
		pthread_create(&t[i], NULL, contend, main_proc);
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	cr_expect_eq(atomic_load(&max_owners), 1);
}

/* Its own suite: no rw_init. */
Test(before_init, calls_fail_cleanly)
{
	rw_proc_t *p;
	cr_expect_eq(rw_proc_create(&p), RW_ENOTINIT);
	cr_expect_eq(rw_map_heap((void *)0xc000000000, 4096), RW_ENOTINIT);
	rw_acquire(&p); /* dropped: TSan was never started */
	rw_stats_t s;
	rw_stats(&s);
	cr_expect_eq(s.dropped, 1);
	cr_expect_eq(rw_report_count(), 0);
}
