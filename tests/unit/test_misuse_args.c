/*
 * Arguments: NULL wherever a pointer is taken, and every rw_options_t
 * field out of its range through the API, each refused with RW_EINVAL (or
 * the code documented for it) and a message naming what was wrong.
 */
#include <criterion/criterion.h>
#include <racewire.h>

#include "start.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rw_task_t *main_task;
static rw_proc_t *p0;

static void start(void)
{
	unit_init(RW_POLICY_ABORT, 0, &main_task, &p0);
}

TestSuite(null_args, .init = start);

#define EXPECT_ERR(call, code, text)                                                          \
	do {                                                                                  \
		cr_expect_eq((call), (code), "%s", #call);                                    \
		cr_expect(strstr(rw_last_error(), (text)), "%s: '%s'", #call, rw_last_error()); \
	} while (0)

Test(null_args, every_pointer_taking_call)
{
	rw_task_t *t;
	rw_proc_t *p;
	EXPECT_ERR(rw_init(NULL, NULL, &p), RW_EALREADY, "already initialized");
	EXPECT_ERR(rw_proc_create(NULL), RW_EINVAL, "rw_proc_create(NULL)");
	EXPECT_ERR(rw_proc_destroy(NULL), RW_EINVAL, "rw_proc_destroy(NULL) on M1");
	EXPECT_ERR(rw_proc_wire(NULL), RW_EINVAL, "rw_proc_wire(NULL) on M1");
	EXPECT_ERR(rw_proc_unwire(NULL), RW_EINVAL, "rw_proc_unwire(NULL) on M1");
	EXPECT_ERR(rw_task_start(main_task, 0, NULL), RW_EINVAL, "rw_task_start on M1: NULL out");
	EXPECT_ERR(rw_task_end(NULL), RW_EINVAL, "rw_task_end(NULL) on M1");
	EXPECT_ERR(rw_foreign_enter(NULL), RW_EINVAL, "rw_foreign_enter(NULL) on M1");
	EXPECT_ERR(rw_callback_enter(NULL), RW_EINVAL, "rw_callback_enter(NULL) on M1");
	EXPECT_ERR(rw_callback_exit(NULL), RW_EINVAL, "rw_callback_exit(NULL) on M1");
	rw_callback_t cb;
	EXPECT_ERR(rw_callback_defer(NULL, free, NULL), RW_EINVAL, "rw_callback_defer: NULL callback");
	EXPECT_ERR(rw_callback_defer(&cb, NULL, NULL), RW_EINVAL, "rw_callback_defer: NULL fn");
	EXPECT_ERR(rw_thread_attach(NULL, NULL, NULL), RW_EINVAL, "rw_thread_attach(NULL)");
	EXPECT_ERR(rw_thread_detach(NULL, NULL, NULL), RW_EINVAL, "rw_thread_detach(NULL) on M1");
	EXPECT_ERR(rw_checkpoint(NULL), RW_EINVAL, "rw_checkpoint(NULL) on M1");
	EXPECT_ERR(rw_checkpoint_restore(NULL), RW_EINVAL, "rw_checkpoint_restore(NULL) on M1");
	EXPECT_ERR(rw_suspend_begin(NULL), RW_EINVAL, "rw_suspend_begin(NULL)");
	EXPECT_ERR(rw_suspend_end(NULL), RW_EINVAL, "rw_suspend_end(NULL)");
	EXPECT_ERR(rw_acquire_for(NULL, &t), RW_EINVAL, "rw_acquire_for(NULL) on M1");
	EXPECT_ERR(rw_release_for(NULL, &t), RW_EINVAL, "rw_release_for(NULL) on M1");
	EXPECT_ERR(rw_release_merge_for(NULL, &t), RW_EINVAL, "rw_release_merge_for(NULL) on M1");
	EXPECT_ERR(rw_map_heap(NULL, 4096), RW_ERANGE, "lies outside TSan's application range");
	rw_stats(NULL);
	cr_expect_str_eq(rw_last_error(), "rw_stats(NULL)");
	char err[64];
	cr_expect_eq(rw_options_parse(NULL, "policy=drop", err, sizeof err), RW_EINVAL);
	cr_expect_str_eq(err, "rw_options_parse: NULL argument");
	rw_options_t o;
	rw_options_default(&o);
	cr_expect_eq(rw_options_parse(&o, NULL, err, sizeof err), RW_EINVAL);
	rw_options_default(NULL); /* does nothing */
	/* Queries of a NULL handle answer 0, as documented. */
	cr_expect_eq(rw_proc_id(NULL), 0);
	cr_expect_eq(rw_task_id(NULL), 0);
	cr_expect_eq(rw_thread_id(NULL), 0);
	cr_expect_eq(rw_task_pinned_to(NULL), 0);
	cr_expect_eq(rw_report_count(), 0);
}

/* The parked-task annotations are not on the hot path: their address is
 * checked like a range's, and refused with RW_ERANGE. */
Test(null_args, parked_task_annotations_check_the_address)
{
	rw_task_t *t;
	cr_assert_eq(rw_task_start(main_task, RW_PC(), &t), 0);
	EXPECT_ERR(rw_acquire_for(t, NULL), RW_ERANGE, "rw_acquire_for(T2, (nil)) on M1: (nil) is "
	           "not memory TSan shadows");
	int local;
	EXPECT_ERR(rw_release_for(t, &local), RW_ERANGE, "is not memory TSan shadows");
	static long global;
	cr_expect_eq(rw_release_merge_for(t, &global), 0, "%s", rw_last_error());
}

/* rw_init through the API takes no value the text parser would refuse. */
struct field_case {
	const char *name;
	void (*set)(rw_options_t *, int);
	int bad[4];
	int nbad;
	const char *range;
};

#define SETTER(f) static void set_##f(rw_options_t *o, int v) { o->f = v; }
SETTER(guard_wiring)
SETTER(guard_foreign)
SETTER(guard_callback)
SETTER(guard_signals)
SETTER(guard_unwind)
SETTER(guard_suspend)
SETTER(verbosity)
SETTER(symbolize)
SETTER(flight_events)
SETTER(check_access)
static void set_policy(rw_options_t *o, int v) { o->policy = (rw_policy_t)v; }

static const struct field_case fields[] = {
	{"policy", set_policy, {-1, 3, INT_MAX}, 3, "[0, 2]"},
	{"guard_wiring", set_guard_wiring, {-1, 2, INT_MIN}, 3, "[0, 1]"},
	{"guard_foreign", set_guard_foreign, {-1, 2}, 2, "[0, 1]"},
	{"guard_callback", set_guard_callback, {-1, 2}, 2, "[0, 1]"},
	{"guard_signals", set_guard_signals, {-1, 2}, 2, "[0, 1]"},
	{"guard_unwind", set_guard_unwind, {-1, 2}, 2, "[0, 1]"},
	{"guard_suspend", set_guard_suspend, {-1, 7}, 2, "[0, 1]"},
	{"verbosity", set_verbosity, {-1, 3}, 2, "[0, 2]"},
	{"symbolize", set_symbolize, {-1, 2}, 2, "[0, 1]"},
	{"flight_events", set_flight_events, {0, 15, (1 << 20) + 1, INT_MAX}, 4, "[16, 1048576]"},
	{"check_access", set_check_access, {-2, 2}, 2, "[-1, 1]"},
};

Test(options_api, every_field_out_of_range_is_named)
{
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		for (int b = 0; b < fields[i].nbad; b++) {
			rw_options_t o;
			rw_options_default(&o);
			o.verbosity = 0;
			fields[i].set(&o, fields[i].bad[b]);
			if (strcmp(fields[i].name, "verbosity") == 0)
				o.verbosity = fields[i].bad[b];
			rw_task_t *t = NULL;
			rw_proc_t *p = NULL;
			cr_expect_eq(rw_init(&o, &t, &p), RW_EINVAL, "%s=%d", fields[i].name,
			             fields[i].bad[b]);
			char want[96];
			snprintf(want, sizeof want, "rw_init: option %s: %d is not in %s", fields[i].name,
			         fields[i].bad[b], fields[i].range);
			cr_expect_str_eq(rw_last_error(), want);
			cr_expect_null(t, "nothing returned on failure");
		}
	}
	/* Each field's edges are accepted: the last init succeeds. */
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	o.flight_events = 16;
	o.check_access = -1;
	rw_task_t *t;
	rw_proc_t *p;
	cr_expect_eq(rw_init(&o, &t, &p), 0, "a failed init may be retried: %s", rw_last_error());
}

Test(options_api, unterminated_flight_path_is_refused)
{
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	memset(o.flight, 'x', sizeof o.flight);
	rw_task_t *t;
	rw_proc_t *p;
	cr_expect_eq(rw_init(&o, &t, &p), RW_EINVAL);
	cr_expect_str_eq(rw_last_error(), "rw_init: option flight: the path is not NUL-terminated "
	                                  "within 256 bytes");
}

Test(options_api, check_access_from_text)
{
	rw_options_t o;
	rw_options_default(&o);
	cr_expect_eq(o.check_access, -1, "auto by default");
	char err[256];
	cr_expect_eq(rw_options_parse(&o, "check_access=1", err, sizeof err), 0, "%s", err);
	cr_expect_eq(o.check_access, 1);
	cr_expect_eq(rw_options_parse(&o, "check_access=2", err, sizeof err), RW_EINVAL);
	cr_expect_str_eq(err, "option check_access: '2' is not an integer in [-1, 1]");
}
