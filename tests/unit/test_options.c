/*
 * Option parsing: RACEWIRE_OPTIONS syntax, values, and that a bad item
 * leaves the options untouched and says what was wrong.
 */
#include <criterion/criterion.h>
#include <racewire.h>

#include <string.h>

Test(options, defaults)
{
	rw_options_t o;
	rw_options_default(&o);
	cr_expect_eq(o.policy, RW_POLICY_ABORT);
	cr_expect_eq(o.guard_wiring, 1);
	cr_expect_eq(o.guard_foreign, 1);
	cr_expect_eq(o.guard_callback, 1);
	cr_expect_eq(o.guard_signals, 1);
	cr_expect_eq(o.guard_unwind, 1);
	cr_expect_eq(o.guard_suspend, 1);
	cr_expect_eq(o.verbosity, 1);
	cr_expect_eq(o.symbolize, 1);
	cr_expect_null(o.symbolizer);
}

Test(options, every_separator_and_key)
{
	rw_options_t o;
	rw_options_default(&o);
	char err[256];
	cr_assert_eq(rw_options_parse(&o, " policy=drop:guard_wiring=0,verbosity=2\tsymbolize=0 ",
	                              err, sizeof err), 0, "%s", err);
	cr_expect_eq(o.policy, RW_POLICY_DROP);
	cr_expect_eq(o.guard_wiring, 0);
	cr_expect_eq(o.verbosity, 2);
	cr_expect_eq(o.symbolize, 0);
	cr_assert_eq(rw_options_parse(&o, "policy=borrow", err, sizeof err), 0);
	cr_expect_eq(o.policy, RW_POLICY_BORROW);
	cr_assert_eq(rw_options_parse(&o, "", err, sizeof err), 0);
	cr_expect_eq(o.policy, RW_POLICY_BORROW, "empty text changes nothing");
}

Test(options, guards_one_by_one_and_all_at_once)
{
	rw_options_t o;
	rw_options_default(&o);
	char err[256];
	cr_assert_eq(rw_options_parse(&o, "guard_callback=0", err, sizeof err), 0, "%s", err);
	cr_expect_eq(o.guard_callback, 0);
	cr_expect_eq(o.guard_foreign, 1);
	cr_assert_eq(rw_options_parse(&o, "guards=0", err, sizeof err), 0, "%s", err);
	cr_expect(!o.guard_wiring && !o.guard_foreign && !o.guard_callback && !o.guard_signals &&
	          !o.guard_unwind && !o.guard_suspend);
	cr_assert_eq(rw_options_parse(&o, "guards=0:guard_unwind=1", err, sizeof err), 0);
	cr_expect_eq(o.guard_unwind, 1, "later items win");
	cr_expect_eq(rw_options_parse(&o, "guards=yes", err, sizeof err), RW_EINVAL);
	cr_expect(strstr(err, "option guards: 'yes'"), "%s", err);
}

Test(options, unknown_option_lists_known_ones_and_changes_nothing)
{
	rw_options_t o;
	rw_options_default(&o);
	char err[256];
	cr_assert_eq(rw_options_parse(&o, "policy=drop:polcy=abort", err, sizeof err), RW_EINVAL);
	cr_expect(strstr(err, "unknown option 'polcy'"), "%s", err);
	cr_expect(strstr(err, "known options: policy, guard_wiring, guard_foreign, guard_callback, "
	                      "guard_signals, guard_unwind, guard_suspend, guards, verbosity, symbolize"),
	          "%s", err);
	cr_expect_eq(o.policy, RW_POLICY_ABORT, "all-or-nothing: policy=drop must not stick");
}

Test(options, bad_values_are_named)
{
	rw_options_t o;
	rw_options_default(&o);
	char err[256];
	cr_expect_eq(rw_options_parse(&o, "policy=abrt", err, sizeof err), RW_EINVAL);
	cr_expect(strstr(err, "'abrt' is not one of abort, borrow, drop"), "%s", err);
	cr_expect_eq(rw_options_parse(&o, "guard_wiring=2", err, sizeof err), RW_EINVAL);
	cr_expect(strstr(err, "option guard_wiring: '2' is not an integer in [0, 1]"), "%s", err);
	cr_expect_eq(rw_options_parse(&o, "verbosity=", err, sizeof err), RW_EINVAL);
	cr_expect(strstr(err, "option verbosity: ''"), "%s", err);
	cr_expect_eq(rw_options_parse(&o, "verbosity=1x", err, sizeof err), RW_EINVAL);
	cr_expect_eq(rw_options_parse(&o, "policy", err, sizeof err), RW_EINVAL);
	cr_expect(strstr(err, "'policy' is not of the form key=value"), "%s", err);
	cr_expect_eq(rw_options_parse(&o, "=drop", err, sizeof err), RW_EINVAL);
	char longitem[400]; /* items may be 319 bytes (flight paths) */
	memset(longitem, 'x', sizeof longitem - 1);
	longitem[sizeof longitem - 1] = '\0';
	cr_expect_eq(rw_options_parse(&o, longitem, err, sizeof err), RW_EINVAL);
	cr_expect(strstr(err, "too long"), "%s", err);
	cr_expect_eq(o.policy, RW_POLICY_ABORT);
	cr_expect_eq(rw_options_parse(NULL, "policy=drop", err, sizeof err), RW_EINVAL);
	cr_expect_eq(rw_options_parse(&o, "policy=drop", NULL, 0), 0, "err may be NULL");
}

/* The environment variable is applied by rw_init on top of the API's
 * options, and a bad one makes rw_init fail rather than run half-set. */
Test(options, env_overrides_api_options)
{
	setenv("RACEWIRE_OPTIONS", "policy=drop", 1);
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	rw_task_t *t;
	rw_proc_t *p;
	cr_assert_eq(rw_init(&o, &t, &p), 0, "%s", rw_last_error());
	rw_proc_unwire(p);
	rw_acquire(&o); /* dropped, not fatal */
	rw_stats_t s;
	rw_stats(&s);
	cr_expect_eq(s.dropped, 1);
}

Test(options, bad_env_fails_init_with_message)
{
	setenv("RACEWIRE_OPTIONS", "guard_wiring=maybe", 1);
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	rw_task_t *t;
	rw_proc_t *p;
	cr_assert_eq(rw_init(&o, &t, &p), RW_EINVAL);
	cr_expect(strstr(rw_last_error(), "RACEWIRE_OPTIONS: option guard_wiring: 'maybe'"),
	          "%s", rw_last_error());
	unsetenv("RACEWIRE_OPTIONS");
	cr_expect_eq(rw_init(&o, &t, &p), 0, "a failed init can be retried: %s", rw_last_error());
}
