/*
 * rw_init's edges: concurrent callers get answers consistent with what
 * follows, a failed init is rolled back and may be retried, and the
 * flight path's %p, %r and %% are expanded (or refused when too long).
 */
#include <criterion/criterion.h>
#include <racewire.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RACERS 8

static pthread_barrier_t go;

struct racer {
	int init_rc;
	int after_rc; /* rw_proc_create right after: never RW_ENOTINIT */
	char msg[320];
};

static void *race_init(void *arg)
{
	struct racer *r = arg;
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	rw_task_t *t;
	rw_proc_t *p;
	pthread_barrier_wait(&go);
	r->init_rc = rw_init(&o, &t, &p);
	strcpy(r->msg, rw_last_error());
	rw_proc_t *q;
	r->after_rc = rw_proc_create(&q);
	return NULL;
}

Test(init, concurrent_callers_agree_with_what_follows, .timeout = 30)
{
	struct racer r[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_init(&go, NULL, RACERS);
	for (int i = 0; i < RACERS; i++)
		pthread_create(&th[i], NULL, race_init, &r[i]);
	int won = 0;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		if (r[i].init_rc == 0) {
			won++;
			continue;
		}
		cr_expect_eq(r[i].init_rc, RW_EALREADY, "racer %d: %d %s", i, r[i].init_rc, r[i].msg);
		cr_expect_str_eq(r[i].msg, "rw_init: already initialized");
	}
	cr_expect_eq(won, 1);
	for (int i = 0; i < RACERS; i++)
		cr_expect_eq(r[i].after_rc, 0, "racer %d was told 'already initialized', then "
		             "rw_proc_create said %d", i, r[i].after_rc);
}

Test(init, failed_init_rolls_back_and_may_be_retried)
{
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	strcpy(o.flight, "/nonexistent-dir/racewire-flight");
	rw_task_t *t = NULL;
	rw_proc_t *p = NULL;
	cr_expect_eq(rw_init(&o, &t, &p), RW_EINVAL);
	cr_expect(strstr(rw_last_error(), "flight record /nonexistent-dir/racewire-flight: "),
	          "%s", rw_last_error());
	cr_expect_null(t);
	rw_proc_t *q;
	cr_expect_eq(rw_proc_create(&q), RW_ENOTINIT, "nothing was published");
	o.flight[0] = '\0';
	cr_expect_eq(rw_init(&o, &t, &p), 0, "%s", rw_last_error());
	cr_expect_eq(rw_task_current(), t);
}

Test(init, flight_path_expands_pid_run_and_percent)
{
	char dir[] = "/tmp/rw-init-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	setenv("RACEWIRE_RUN", "17", 1);
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	snprintf(o.flight, sizeof o.flight, "%s/f-%%p-%%r-%%%%.bin", dir);
	rw_task_t *t;
	rw_proc_t *p;
	cr_assert_eq(rw_init(&o, &t, &p), 0, "%s", rw_last_error());
	char want[300];
	snprintf(want, sizeof want, "%s/f-%d-17-%%.bin", dir, (int)getpid());
	struct stat st;
	cr_expect_eq(stat(want, &st), 0, "no record at %s", want);
	unlink(want);
	rmdir(dir);
}

Test(init, flight_path_too_long_once_expanded_is_refused)
{
	unsetenv("RACEWIRE_RUN");
	rw_options_t o;
	rw_options_default(&o);
	o.verbosity = 0;
	/* 255 bytes of "%p": each becomes the pid, several digits. */
	for (size_t i = 0; i + 2 < sizeof o.flight; i += 2)
		memcpy(o.flight + i, "%p", 2);
	o.flight[sizeof o.flight - 1] = '\0';
	rw_task_t *t;
	rw_proc_t *p;
	cr_expect_eq(rw_init(&o, &t, &p), RW_EINVAL);
	cr_expect(strstr(rw_last_error(), "the expanded path is too long"), "%s", rw_last_error());
	o.flight[0] = '\0';
	cr_expect_eq(rw_init(&o, &t, &p), 0, "%s", rw_last_error());
}
