/*
 * model/sched.c - the scheduler: run queues, work stealing, P hand-offs,
 * the g0 loop, and the task side of every task switch.
 *
 * The racewire rules this file keeps (see docs/integration-guide.md):
 *
 *  R1. A P's racewire context is wired to the thread that runs with the P
 *      (acquirep: rw_proc_wire) and unwired BEFORE the P is published to
 *      any other thread (releasep: rw_proc_unwire, then pidleput/handoffp/
 *      nextp). Publishing first would let the next owner's rw_proc_wire
 *      fail with RW_EBUSY; with racewire's guard off, two threads would
 *      drive one TSan Processor: seed 001, Go issue 27660.
 *  R2. The thread's racewire current task is the task whose stack it runs:
 *      rw_task_switch(g) right before switching to g, rw_task_switch(NULL)
 *      on g0 right after g switched away, and BEFORE g is published to a
 *      run queue or its wait lock is released (unlockf). Otherwise another
 *      thread could pick g up while it is still current here (RW_EBUSY:
 *      one TSan ThreadState driven by two threads).
 *  R3. A task pinned by a callback (rw_task_pinned_to) runs only on its
 *      thread: it never enters a run queue; its thread waits for it
 *      (Go's lockOSThread / stoplockedm / startlockedm; seed 002).
 *  R4. Task start and end: rw_task_start(parent = current task) in md_go,
 *      on the parent's thread, before the child is published (the child
 *      happens-after the parent's past); rw_task_end on g0 after the task
 *      switched away for good.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct md_sched md_sched;
_Thread_local md_m_t *md__m __attribute__((tls_model("initial-exec")));

/* A task switch orders nothing, as in Go: what one task did before a
 * switch is not ordered before what the next task on the thread does
 * (Go mode's rw_task_switch only moves the ThreadState). The fiber
 * backend's rw_task_switch synchronizes, as a context-switch library
 * means; the model asks it not to (docs/fiber.md). */
#ifdef RW_BACKEND_FIBER
#define task_switch(t) rw_fiber_switch((t), RW_FIBER_NO_SYNC)
#else
#define task_switch(t) rw_task_switch(t)
#endif

#ifdef RW_BACKEND_FIBER
/* Defined by the program (model/fiber/tsan_hooks.c), where TSan's
 * interceptors see the call: this library's own calls they ignore. */
void md__fiber_stack_reuse(void *lo, size_t len);
#endif

/* The M of the calling thread, read through a call: task code resumes on
 * whichever thread runs it next, and a thread-local address computed before
 * a task switch must not be reused after it. */
__attribute__((noinline)) static md_m_t *self(void)
{
	return md__m;
}

/* ---- Tasks ---------------------------------------------------------------- */

static void g_entry(void);

md_g_t *md__gnew(void (*fn)(void *), void *arg)
{
	md_g_t *g = NULL;
	pthread_mutex_lock(&md_sched.lock);
	if (md_sched.gfree) {
		g = md_sched.gfree;
		md_sched.gfree = g->next;
	}
	pthread_mutex_unlock(&md_sched.lock);
#ifdef RW_BACKEND_FIBER
	/* C/C++ TSan shadows task stacks too: the new task's accesses to a
	 * reused stack would race with the dead task's, which nothing orders
	 * (switches do not synchronize). The stack is mapped afresh, through
	 * TSan's mmap, which forgets what the old task did there. */
	if (g)
		md__fiber_stack_reuse(g->stack_lo + (size_t)sysconf(_SC_PAGESIZE),
		                      g->stack_len - (size_t)sysconf(_SC_PAGESIZE));
#endif
	if (!g) {
		/* G's are runtime objects in the managed heap: the address of
		 * g->race_sync is a sync object, and TSan only has metadata
		 * for heap and global memory (never for stacks). */
		g = md__heap_raw(sizeof *g);
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		g->stack_len = md_sched.cfg.stack_size + page;
		g->stack_lo = mmap(NULL, g->stack_len, PROT_READ | PROT_WRITE,
		                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (g->stack_lo == MAP_FAILED)
			md__fatal("mmap task stack: %s", strerror(errno));
		/* The guard page: a stack overflow faults here instead of
		 * writing over the neighbouring mapping. */
		mprotect(g->stack_lo, page, PROT_NONE);
	}
	g->fn = fn;
	g->arg = arg;
	g->id = atomic_fetch_add(&md_sched.ngid, 1) + 1;
	g->next = NULL;
	g->queued_on = NULL;
	g->preempt = 0;
	g->lockedm = NULL;
	g->lockcount = 0;
	g->trys = NULL;
	g->cbtop = NULL;
	g->is_main = 0;
	g->cb_foreign = 0;
	atomic_store(&g->status, G_IDLE);
	md__ctx_make(&g->ctx, g->stack_lo + g->stack_len, g_entry);
	atomic_fetch_add(&md_sched.st_started, 1);
	return g;
}

void md__gfree(md_g_t *g)
{
	atomic_store(&g->status, G_DEAD);
	pthread_mutex_lock(&md_sched.lock);
	g->next = md_sched.gfree;
	md_sched.gfree = g;
	pthread_mutex_unlock(&md_sched.lock);
}

/* Every task starts here, on its own stack. */
static void g_entry(void)
{
	md_g_t *g = self()->curg;
	g->fn(g->arg);
	md__gswitch(A_DEAD);
	__builtin_unreachable();
}

/* ---- Run queues ----------------------------------------------------------- */

static void globrunqput(md_g_t *g)
{
	pthread_mutex_lock(&md_sched.lock);
	g->next = NULL;
	if (md_sched.gq_tail)
		md_sched.gq_tail->next = g;
	else
		md_sched.gq_head = g;
	md_sched.gq_tail = g;
	atomic_fetch_add(&md_sched.gq_len, 1);
	pthread_mutex_unlock(&md_sched.lock);
}

static md_g_t *globrunqget_locked(void)
{
	md_g_t *g = md_sched.gq_head;
	if (g) {
		md_sched.gq_head = g->next;
		if (!md_sched.gq_head)
			md_sched.gq_tail = NULL;
		atomic_fetch_sub(&md_sched.gq_len, 1);
	}
	return g;
}

static md_g_t *globrunqget(void)
{
	if (atomic_load(&md_sched.gq_len) == 0)
		return NULL;
	pthread_mutex_lock(&md_sched.lock);
	md_g_t *g = globrunqget_locked();
	pthread_mutex_unlock(&md_sched.lock);
	return g;
}

static void runqput(md_p_t *p, md_g_t *g, int next)
{
	g->queued_on = p;
	pthread_mutex_lock(&p->qlock);
	if (next) {
		md_g_t *old = p->runnext;
		p->runnext = g;
		if (!old) {
			pthread_mutex_unlock(&p->qlock);
			return;
		}
		g = old;
	}
	if (p->qtail - p->qhead < MD_RUNQ) {
		p->runq[p->qtail++ % MD_RUNQ] = g;
		pthread_mutex_unlock(&p->qlock);
		return;
	}
	/* Full: move half to the global queue, as Go's runqputslow. */
	md_g_t *batch[MD_RUNQ / 2 + 1];
	unsigned n = 0;
	while (n < MD_RUNQ / 2)
		batch[n++] = p->runq[p->qhead++ % MD_RUNQ];
	batch[n++] = g;
	pthread_mutex_unlock(&p->qlock);
	for (unsigned i = 0; i < n; i++)
		globrunqput(batch[i]);
}

static md_g_t *runqget(md_p_t *p)
{
	pthread_mutex_lock(&p->qlock);
	md_g_t *g = p->runnext;
	if (g)
		p->runnext = NULL;
	else if (p->qhead != p->qtail)
		g = p->runq[p->qhead++ % MD_RUNQ];
	pthread_mutex_unlock(&p->qlock);
	return g;
}

int md__runq_empty(md_p_t *p)
{
	pthread_mutex_lock(&p->qlock);
	int empty = !p->runnext && p->qhead == p->qtail;
	pthread_mutex_unlock(&p->qlock);
	return empty;
}

/* Take half of victim's queue into p's; return one of them. */
static md_g_t *runqsteal(md_p_t *p, md_p_t *victim)
{
	md_g_t *batch[MD_RUNQ / 2 + 1];
	unsigned n = 0;
	pthread_mutex_lock(&victim->qlock);
	unsigned avail = victim->qtail - victim->qhead;
	unsigned take = avail - avail / 2;
	while (n < take)
		batch[n++] = victim->runq[victim->qhead++ % MD_RUNQ];
	if (n == 0 && victim->runnext) {
		batch[n++] = victim->runnext;
		victim->runnext = NULL;
	}
	pthread_mutex_unlock(&victim->qlock);
	if (n == 0)
		return NULL;
	if (n > 1) {
		pthread_mutex_lock(&p->qlock);
		for (unsigned i = 1; i < n; i++)
			p->runq[p->qtail++ % MD_RUNQ] = batch[i];
		pthread_mutex_unlock(&p->qlock);
	}
	return batch[0];
}

/* ---- P ownership (rule R1) -------------------------------------------------- */

void md__acquirep(md_m_t *m, md_p_t *p)
{
	/* Wire first, then use: every annotation this thread makes from now
	 * on reaches TSan with this P's Processor, which no other thread can
	 * hold (racewire checks the ownership change atomically). */
	RACE(md__rwcheck(rw_proc_wire(p->rw), "rw_proc_wire"));
	p->m = m;
	m->p = p;
	atomic_store(&p->status, P_RUNNING);
}

void md__releasep(md_m_t *m)
{
	md_p_t *p = m->p;
	p->m = NULL;
	m->p = NULL;
	/* Unwire before the P becomes visible to anyone else (rule R1). */
	RACE(md__rwcheck(rw_proc_unwire(p->rw), "rw_proc_unwire"));
}

static md_p_t *pidleget_locked(void)
{
	md_p_t *p = md_sched.pidle;
	if (p) {
		md_sched.pidle = p->link;
		atomic_fetch_sub(&md_sched.npidle, 1);
	}
	return p;
}

md_p_t *md__pidleget(void)
{
	if (atomic_load(&md_sched.npidle) == 0)
		return NULL;
	pthread_mutex_lock(&md_sched.lock);
	md_p_t *p = pidleget_locked();
	pthread_mutex_unlock(&md_sched.lock);
	return p;
}

/* An unwired P with no owner: give it to an M waiting for one (a foreign
 * call returning, a pinned task made ready), else make it idle. */
static void pidleput_locked(md_p_t *p)
{
	md_m_t *w = md_sched.pwait_head;
	if (w) {
		md_sched.pwait_head = w->link;
		if (!md_sched.pwait_head)
			md_sched.pwait_tail = NULL;
		atomic_fetch_sub(&md_sched.npwait, 1);
		atomic_store(&p->status, P_HANDOFF);
		atomic_store(&w->nextp, p);
		md__notewakeup(w);
		return;
	}
	atomic_store(&p->status, P_IDLE);
	p->link = md_sched.pidle;
	md_sched.pidle = p;
	atomic_fetch_add(&md_sched.npidle, 1);
}

static void pidleput(md_p_t *p)
{
	pthread_mutex_lock(&md_sched.lock);
	pidleput_locked(p);
	pthread_mutex_unlock(&md_sched.lock);
}

/* Start an M (idle or new) that runs with p. */
static void startm(md_p_t *p, int spinning)
{
	pthread_mutex_lock(&md_sched.lock);
	md_m_t *m = md_sched.midle;
	if (m)
		md_sched.midle = m->link;
	pthread_mutex_unlock(&md_sched.lock);
	atomic_store(&p->status, P_HANDOFF);
	if (!m) {
		md__newm(p);
		if (spinning)
			atomic_fetch_sub(&md_sched.nmspinning, 1);
		return;
	}
	m->spinning = spinning;
	atomic_store(&m->nextp, p);
	md__notewakeup(m);
}

/* p is unowned and unwired (released, or retaken from a foreign call). */
void md__handoffp(md_p_t *p)
{
	if (atomic_load(&md_sched.npwait) == 0 &&
	    (!md__runq_empty(p) || atomic_load(&md_sched.gq_len) > 0)) {
		startm(p, 0);
		return;
	}
	pidleput(p);
}

/* Some task became runnable: wake an idle P with a spinning M if there is
 * none spinning already (Go's wakep). */
void md__wakep(void)
{
	if (atomic_load(&md_sched.npidle) == 0)
		return;
	int zero = 0;
	if (!atomic_compare_exchange_strong(&md_sched.nmspinning, &zero, 1))
		return;
	md_p_t *p = md__pidleget();
	if (!p) {
		atomic_fetch_sub(&md_sched.nmspinning, 1);
		return;
	}
	startm(p, 1);
}

/* Wait until this M holds a P, then wire it. For a foreign call that lost
 * its P, and for a pinned task's thread. */
void md__wait_for_p(md_m_t *m)
{
	pthread_mutex_lock(&md_sched.lock);
	md_p_t *p = pidleget_locked();
	if (!p) {
		atomic_store(&m->nextp, NULL);
		m->link = NULL;
		if (md_sched.pwait_tail)
			md_sched.pwait_tail->link = m;
		else
			md_sched.pwait_head = m;
		md_sched.pwait_tail = m;
		atomic_fetch_add(&md_sched.npwait, 1);
	}
	pthread_mutex_unlock(&md_sched.lock);
	while (!p) {
		p = atomic_exchange(&m->nextp, NULL);
		if (!p)
			md__notesleep(m);
	}
	md__acquirep(m, p);
}

/* Park this M until it is handed a P. */
static void stopm(md_m_t *m)
{
	pthread_mutex_lock(&md_sched.lock);
	m->link = md_sched.midle;
	md_sched.midle = m;
	pthread_mutex_unlock(&md_sched.lock);
	md_p_t *p;
	while (!(p = atomic_exchange(&m->nextp, NULL)))
		md__notesleep(m);
	md__acquirep(m, p);
}

/* ---- Pinning (rule R3) ---------------------------------------------------- */

md_m_t *md__pinned_m(md_g_t *g)
{
	/* racewire is the authority: it pinned the task in
	 * rw_callback_enter and unpins it when the callback's cleanups ran. */
	unsigned id = rw_task_pinned_to(g->rw);
	if (id)
		return md_sched.by_rw[id % MD_MAXM];
	return g->lockedm; /* md_try's own pin (panic.c) */
}

/* ---- Finding work ---------------------------------------------------------- */

static void resetspinning(md_m_t *m)
{
	if (!m->spinning)
		return;
	m->spinning = 0;
	/* The last spinning M found work: maybe there is more (Go). */
	if (atomic_fetch_sub(&md_sched.nmspinning, 1) == 1)
		md__wakep();
}

static md_g_t *findrunnable(md_m_t *m)
{
	unsigned seed = m->id * 2654435761u;
top:;
	md_p_t *p = m->p;
	md_g_t *g;
	/* Fairness: look at the global queue now and then (Go: every 61). */
	if (atomic_load(&p->schedtick) % 61 == 0 && (g = globrunqget()))
		return g;
	if ((g = runqget(p)) || (g = globrunqget()))
		return g;

	/* Steal: become spinning, look at every other P a few times. */
	if (!m->spinning) {
		m->spinning = 1;
		atomic_fetch_add(&md_sched.nmspinning, 1);
	}
	int n = md_sched.nprocs;
	for (int round = 0; round < 4 && n > 1; round++) {
		seed = seed * 1103515245u + 12345u;
		for (int i = 0; i < n; i++) {
			md_p_t *v = md_sched.allp[(seed + (unsigned)i) % (unsigned)n];
			if (v != p && (g = runqsteal(p, v)))
				return g;
		}
	}

	/* Nothing: give the P back and sleep. */
	pthread_mutex_lock(&md_sched.lock);
	if ((g = globrunqget_locked())) {
		pthread_mutex_unlock(&md_sched.lock);
		return g;
	}
	md__releasep(m);
	pidleput_locked(p);
	pthread_mutex_unlock(&md_sched.lock);
	int was_spinning = m->spinning;
	if (was_spinning) {
		m->spinning = 0;
		atomic_fetch_sub(&md_sched.nmspinning, 1);
	}
	/* Re-check after dropping "spinning": a task queued while we were
	 * spinning did not wake anyone (Go's findrunnable does the same). */
	int work = atomic_load(&md_sched.gq_len) > 0;
	for (int i = 0; i < n && !work; i++)
		work = !md__runq_empty(md_sched.allp[i]);
	if (work) {
		md_p_t *p2 = md__pidleget();
		if (p2) {
			md__acquirep(m, p2);
			if (was_spinning) {
				m->spinning = 1;
				atomic_fetch_add(&md_sched.nmspinning, 1);
			}
			goto top;
		}
	}
	stopm(m);
	goto top;
}

/* ---- Running a task ------------------------------------------------------- */

static void execute(md_m_t *m, md_g_t *g)
{
	md_p_t *p = m->p;
	if (g->queued_on && g->queued_on != p)
		atomic_fetch_add(&md_sched.st_stolen, 1);
	g->queued_on = NULL;
	atomic_store(&g->status, G_RUNNING);
	m->curg = g;
	atomic_fetch_add(&p->schedtick, 1);
	/* Rule R2: the thread's TSan ThreadState becomes g's before one
	 * instruction of g runs. racewire refuses if g is current elsewhere
	 * or pinned to another thread. */
	RACE(md__rwcheck(task_switch(g->rw), "rw_task_switch"));
	md__ctx_switch(&m->g0, &g->ctx);
	/* Back on g0: g switched away (m->action says why). */
	RACE(md__rwcheck(task_switch(NULL), "rw_task_switch(NULL)"));
	m->curg = NULL;
}

/* The pinned task g left its thread m (parked or yielded): keep m for g
 * alone. Give the P away so other tasks run meanwhile, wait until g is
 * runnable, then get a P back (Go's stoplockedm). */
static void lockedm_wait(md_m_t *m, md_g_t *g)
{
	if (atomic_load(&g->status) == G_RUNNABLE && atomic_load(&md_sched.gq_len) == 0 &&
	    md__runq_empty(m->p))
		return; /* a yield with nobody else to run */
	md_p_t *p = m->p;
	md__releasep(m);
	md__handoffp(p);
	while (atomic_load(&g->status) != G_RUNNABLE)
		md__notesleep(m);
	md__wait_for_p(m);
}

/* The g0 loop of an M. locked: run only that (pinned) task, and return
 * when it switches back with A_CBRET (a callback on a foreign thread). */
static void g0_loop(md_m_t *m, md_g_t *locked)
{
	md_g_t *g = locked;
	for (;;) {
		if (!g) {
			g = findrunnable(m);
			resetspinning(m);
		}
		execute(m, g);
		enum g0_action a = m->action;
		m->action = A_NONE;
		md_m_t *pin = NULL;
		switch (a) {
		case A_DEAD:
			/* Rule R4: the task is not current anywhere now. */
			RACE(md__rwcheck(rw_task_end(g->rw), "rw_task_end"));
			atomic_fetch_add(&md_sched.st_ended, 1);
			if (g->is_main) {
				atomic_store(&md_sched.main_done, 1);
				md__futex_wake(&md_sched.main_done, 1);
			}
			md__gfree(g);
			g = NULL;
			continue;
		case A_CBRET:
			if (g != locked)
				md__fatal("callback task %u returned on M%u, not on the foreign thread it "
				          "came from: its C frames are on another thread's stack "
				          "(the bug of Go issue 47441)", g->id, m->id);
			return;
		case A_PARK:
			pin = md__pinned_m(g);
			/* Rule R2: the task was made not current above; only now
			 * may a waker find it. */
			m->unlockf(m->unlockarg);
			break;
		case A_YIELD:
		case A_PREEMPT:
			atomic_store(&g->status, G_RUNNABLE);
			pin = md__pinned_m(g);
			if (pin)
				break;
			if (a == A_PREEMPT)
				globrunqput(g);
			else
				runqput(m->p, g, 0);
			/* Threads are waiting for a P to finish a foreign call:
			 * let one have ours (keeps them from starving behind
			 * busy tasks). */
			if (atomic_load(&md_sched.npwait) > 0) {
				md_p_t *p = m->p;
				md__releasep(m);
				pidleput(p);
				stopm(m);
			}
			g = NULL;
			continue;
		default:
			md__fatal("g0: task %u switched with no action", g->id);
		}
		if (pin && pin != m)
			md__fatal("task %u parked on M%u but is pinned to M%u", g->id, m->id, pin->id);
		if (pin) {
			lockedm_wait(m, g);
			continue; /* run g again here */
		}
		if (locked)
			md__fatal("foreign callback task %u parked without its pin", locked->id);
		g = NULL; /* parked, unpinned: run something else */
	}
}

/* A new M: wait for the P we were given, then schedule forever. */
_Noreturn void md__mstart_loop(md_m_t *m)
{
	md_p_t *p;
	while (!(p = atomic_exchange(&m->nextp, NULL)))
		md__notesleep(m);
	md__acquirep(m, p);
	g0_loop(m, NULL);
	md__fatal("M%u: scheduler returned", m->id);
}

/* Foreign-thread callbacks enter here: run g, pinned, until A_CBRET. */
void md__run_locked(md_m_t *m, md_g_t *g)
{
	g0_loop(m, g);
}

/* ---- The task side of a switch ------------------------------------------- */

void md__gswitch(enum g0_action a)
{
	md_m_t *m = self();
	md_g_t *g = m->curg;
	m->action = a;
	md__ctx_switch(&g->ctx, &m->g0);
	/* Resumed, perhaps on another thread: self() again if needed. */
}

void md__park(void (*unlockf)(void *), void *arg)
{
	md_m_t *m = self();
	atomic_store(&m->curg->status, G_WAITING);
	m->unlockf = unlockf;
	m->unlockarg = arg;
	md__gswitch(A_PARK);
}

void md__ready(md_g_t *g)
{
	md_m_t *pin = md__pinned_m(g);
	if (pin) {
		/* Rule R3: straight to its thread, which waits for it. */
		atomic_store(&g->status, G_RUNNABLE);
		md__notewakeup(pin);
		return;
	}
	atomic_store(&g->status, G_RUNNABLE);
	md_m_t *m = self();
	if (m && m->p && m->curg)
		runqput(m->p, g, 1);
	else
		globrunqput(g);
	md__wakep();
}

void md__check_preempt(void)
{
	md_m_t *m = self();
	if (m && m->curg && atomic_load(&m->curg->preempt)) {
		atomic_store(&m->curg->preempt, 0);
		md__gswitch(A_PREEMPT);
	}
}

void md_safepoint(void)
{
	md__check_preempt();
}

void md_yield(void)
{
	md_m_t *m = self();
	if (!m || !m->curg)
		md__fatal("md_yield outside a task");
	md__gswitch(A_YIELD);
}

void md_go(void (*fn)(void *), void *arg)
{
	md_m_t *m = self();
	if (!m || !m->curg || !m->p)
		md__fatal("md_go outside a task");
	md_g_t *g = md__gnew(fn, arg);
	/* Rule R4: the child's clock starts from the parent's, here on the
	 * parent's thread, before anyone can run the child. pc is the md_go
	 * call site: reports say "Goroutine N created at: ...". */
	RACE(md__rwcheck(rw_task_start(m->curg->rw, RW_CALLER_PC(), &g->rw), "rw_task_start"));
	atomic_store(&g->status, G_RUNNABLE);
	runqput(m->p, g, 1);
	md__wakep();
}

unsigned md_task_id(void)
{
	md_m_t *m = self();
	return m && m->curg ? m->curg->id : 0;
}

int md_proc_id(void)
{
	md_m_t *m = self();
	return m && m->p ? m->p->id : -1;
}

unsigned md_thread_id(void)
{
	md_m_t *m = self();
	return m ? m->id : 0;
}

int md_nprocs(void)
{
	return md_sched.nprocs;
}

void md_get_stats(md_stats_t *o)
{
	o->tasks_started = atomic_load(&md_sched.st_started);
	o->tasks_ended = atomic_load(&md_sched.st_ended);
	o->stolen = atomic_load(&md_sched.st_stolen);
	o->retakes = atomic_load(&md_sched.st_retakes);
	o->preempt_requests = atomic_load(&md_sched.st_preq);
	o->async_preempts = atomic_load(&md_sched.st_async);
	o->suspend_skipped = atomic_load(&md_sched.st_skipped);
	o->threads = atomic_load(&md_sched.st_threads);
	o->attaches = atomic_load(&md_sched.st_attaches);
}

/* md_sleep_us: the monitor wakes sleepers (a timer heap in a real one). */
static void unlock_sched(void *arg)
{
	pthread_mutex_unlock(arg);
}

void md_sleep_us(unsigned us)
{
	md_m_t *m = self();
	md_g_t *g = m->curg;
	g->wake_ns = md__nanotime() + (uint64_t)us * 1000;
	pthread_mutex_lock(&md_sched.lock);
	g->next = md_sched.sleepers;
	md_sched.sleepers = g;
	md__park(unlock_sched, &md_sched.lock);
}

void md__sched_init(void)
{
	pthread_mutex_init(&md_sched.lock, NULL);
}
