/*
 * model/runtime.c - start and finish: md_init, md_run, md_main, md_exit.
 *
 * Start (racewire calls in order):
 *   rw_init          TSan up; P0's context wired to this thread, and the
 *                    main task T1 current (Go's raceinit at schedinit).
 *   rw_map_heap      the managed heap, before its first use (heap.c).
 *   rw_proc_create   one context per further P (Go's procresize calls
 *                    raceproccreate for each new P).
 *   rw_task_start    a root task, parent of the tasks that callbacks on
 *                    foreign threads run (Go creates those g's racectx
 *                    from the creating goroutine in oneNewExtraM).
 * Then md_run gives P0 (unwired first: rule R1 of sched.c) and the main
 * task to a new thread and waits; the first thread is not an M after that.
 *
 * Finish: md_exit(0) goes through rw_fini, as Go's main goroutine calls
 * racefini; rw_fini gives up the thread's context, takes the thread's
 * external-code word (so the monitor can never suspend it halfway through
 * exit: seed 000, Go issue 35775) and exits with TSan's status (66 after a
 * race). A nonzero status exits at once, as Go's os.Exit does in race mode
 * (runtime.beforeExit runs racefini only for status 0).
 */
#include "internal.h"

#include <string.h>
#include <unistd.h>


void md_config_default(md_config_t *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->async_preempt = 1;
	const char *e = getenv("MD_PROCS");
	if (e && atoi(e) > 0)
		cfg->nprocs = atoi(e);
	e = getenv("MD_ASYNCPREEMPT");
	if (e && *e == '0')
		cfg->async_preempt = 0;
	e = getenv("MD_UNGUARDED");
	if (e) {
		cfg->unguarded_foreign = strstr(e, "foreign") != NULL;
		cfg->unguarded_callback = strstr(e, "callback") != NULL;
	}
}

static int inited;

void md_init_config(const md_config_t *in)
{
	if (inited++)
		md__fatal("md_init called twice");
	md_config_t cfg;
	if (in)
		cfg = *in;
	else
		md_config_default(&cfg);
	if (cfg.nprocs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cfg.nprocs = n > 0 ? (int)n : 1;
	}
	if (cfg.nprocs > MD_MAXPROCS)
		cfg.nprocs = MD_MAXPROCS;
	if (!cfg.stack_size)
		cfg.stack_size = 256 << 10;
	if (!cfg.preempt_us)
		cfg.preempt_us = 10000;
	if (!cfg.retake_us)
		cfg.retake_us = 20;
	md_sched.cfg = cfg;
	md_sched.nprocs = cfg.nprocs;
	md__sched_init();

	rw_task_t *main_task;
	rw_proc_t *p0;
	/* NULL options: racewire's defaults plus RACEWIRE_OPTIONS, so a
	 * reproducer turns guards off without a rebuild. */
	md__rwcheck(rw_init(NULL, &main_task, &p0), "rw_init");
	md__heap_init();
	for (int i = 0; i < cfg.nprocs; i++) {
		md_p_t *p = calloc(1, sizeof *p);
		p->id = i;
		pthread_mutex_init(&p->qlock, NULL);
		if (i == 0)
			p->rw = p0;
		else
			md__rwcheck(rw_proc_create(&p->rw), "rw_proc_create");
		md_sched.allp[i] = p;
	}
	md__rwcheck(rw_task_start(main_task, RW_PC(), &md_sched.root_task), "rw_task_start(root)");
	md_sched.main_rw = main_task;
	md__signals_init();
}

void md_init(int nprocs)
{
	md_config_t cfg;
	md_config_default(&cfg);
	if (nprocs > 0)
		cfg.nprocs = nprocs;
	md_init_config(&cfg);
}

void md_run(void (*fn)(void *), void *arg)
{
	if (!inited)
		md_init(0);
	md_g_t *g = md__gnew(fn, arg);
	g->is_main = 1;
	/* The main task is racewire's T1, current on this thread since
	 * rw_init. This thread hands it and P0 to an M: un-current first
	 * (rule R2), unwire P0 (rule R1), then publish. */
	g->rw = md_sched.main_rw;
	md__rwcheck(rw_task_switch(NULL), "rw_task_switch(NULL)");
	md__rwcheck(rw_proc_unwire(md_sched.allp[0]->rw), "rw_proc_unwire(P0)");
	atomic_store(&g->status, G_RUNNABLE);
	md_p_t *p0 = md_sched.allp[0];
	p0->runnext = g;
	g->queued_on = p0;
	pthread_mutex_lock(&md_sched.lock);
	for (int i = md_sched.nprocs - 1; i > 0; i--) {
		md_p_t *p = md_sched.allp[i];
		atomic_store(&p->status, P_IDLE);
		p->link = md_sched.pidle;
		md_sched.pidle = p;
		atomic_fetch_add(&md_sched.npidle, 1);
	}
	pthread_mutex_unlock(&md_sched.lock);
	atomic_store(&md_sched.running, 1);
	md__monitor_start();
	md__newm(p0);
	while (!atomic_load(&md_sched.main_done))
		md__futex_wait(&md_sched.main_done, 0);
	md__monitor_stop();
}

static void (*main_fn)(void *);

static void main_task(void *arg)
{
	main_fn(arg);
	md_exit(0); /* Go's runtime.main: racefini, then exit(0) */
}

_Noreturn void md_main(void (*fn)(void *), void *arg)
{
	main_fn = fn;
	md_run(main_task, arg);
	md_exit(0);
}

_Noreturn void md_exit(int status)
{
	fflush(NULL);
	if (status != 0)
		_exit(status);
	/* The monitor may be about to suspend this thread: rw_fini takes the
	 * external-code word first (waiting while a suspender holds it), so
	 * either the suspension completes and resumes first, or it is skipped
	 * (RW_EBUSY) from then on. Never a thread suspended in exit. */
	rw_fini();
}
