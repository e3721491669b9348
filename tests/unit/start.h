/*
 * tests/unit/start.h - what every unit test program does first: rw_init,
 * quiet, with the policy and checked mode the suite asks for, and a way to
 * run a step on another thread and wait for it.
 */
#ifndef RW_TEST_START_H
#define RW_TEST_START_H

#include <criterion/criterion.h>
#include <racewire.h>

#include <pthread.h>

/* check_access: 1 or 0, or -1 for the default (on only with the debug
 * runtime). Suites that read the fast path's pointer pass 0: checked mode
 * keeps it NULL. */
static inline void unit_init(rw_policy_t policy, int check_access, rw_task_t **main_task,
                             rw_proc_t **main_proc)
{
	rw_options_t o;
	rw_options_default(&o);
	o.policy = policy;
	o.verbosity = 0;
	o.check_access = check_access;
	cr_assert_eq(rw_init(&o, main_task, main_proc), 0, "%s", rw_last_error());
}

/* fn(arg) on a new thread, joined: what it returned. */
static inline void *unit_in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *ret;
	pthread_create(&t, NULL, fn, arg);
	pthread_join(t, &ret);
	return ret;
}

#endif /* RW_TEST_START_H */
