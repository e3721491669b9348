/*
 * model/monitor.c - the monitor thread (Go's sysmon): retakes P's held in
 * foreign calls, asks long-running tasks to yield, preempts them by
 * suspending their thread, and wakes sleeping tasks.
 *
 * Retake (seed 001's other half): a P left in P_SYSCALL by md_cgocall for
 * more than one tick (retake_us, 20 us by default) while there is work is
 * taken by CAS P_SYSCALL -> P_HANDOFF and handed to another thread (an idle
 * M, or a new one). Its racewire context is already unwired
 * (rw_foreign_enter did it), so the new owner's rw_proc_wire succeeds; the
 * thread in C finds its P gone when it returns and waits for another one
 * before its owed acquire fires.
 *
 * Preemption by suspension (seed 000): the monitor may suspend a thread
 * only while it holds that thread's external-code word:
 *   rw_suspend_begin   RW_EBUSY: the thread is in C or in exit (rw_fini):
 *                      skip it. Never suspend a thread that is exiting:
 *                      Go issue 35775's ghost process.
 *   pthread_kill SIGURG; the handler acknowledges and blocks until resumed;
 *   decide: the interrupted pc is in MD_ASYNC_SAFE code and no annotation
 *      is under way (md__nopreempt == 0): a safe point;
 *   (a reproducer's hook, md_set_suspend_hook, runs here: seed 000);
 *   resume (telling the handler whether to yield), then rw_suspend_end.
 * The handler (below) checks that it runs on a runtime thread before
 * touching runtime state: md__m set, and for a thread C created,
 * rw_thread_is_attached() (seed 004: async-signal-safe, true only between
 * the end of attach and the start of detach).
 */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

_Thread_local int md__nopreempt __attribute__((tls_model("initial-exec")));

/* The linker's bounds of the MD_ASYNC_SAFE section (weak: a program may
 * have no such code). */
extern char __start_md_async_text[] __attribute__((weak));
extern char __stop_md_async_text[] __attribute__((weak));

static pthread_t mon_thread;

/* md_set_suspend_hook (model.h): reproducers only; NULL by default. */
typedef void (*md_suspend_hook_t)(unsigned m);
static _Atomic(md_suspend_hook_t) suspend_hook;

void md_set_suspend_hook(void (*fn)(unsigned m))
{
	atomic_store(&suspend_hook, fn);
}

static int async_safe_pc(uintptr_t pc)
{
	return __start_md_async_text && pc >= (uintptr_t)__start_md_async_text &&
	       pc < (uintptr_t)__stop_md_async_text;
}

/* ---- The signal handler (the suspended thread's side) --------------------- */

static void on_sigurg(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	int saved_errno = errno;
	md_m_t *m = md__m;
	/* Seed 004: only a runtime thread with its state fully built. */
	if (!m)
		goto out;
	if (m->foreign && !rw_thread_is_attached())
		goto out;
	ucontext_t *uc = ucv;
	m->sus_pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	m->sus_np = md__nopreempt;
	uint32_t s = SUS_REQUESTED;
	if (!atomic_compare_exchange_strong(&m->sus, &s, SUS_SUSPENDED))
		goto out; /* not asked, or the monitor gave up waiting */
	md__futex_wake(&m->sus, 1);
	while ((s = atomic_load(&m->sus)) == SUS_SUSPENDED)
		md__futex_wait(&m->sus, SUS_SUSPENDED);
	atomic_store(&m->sus, SUS_NONE);
	if (s == SUS_RESUME_PREEMPT && m->curg && m->p) {
		/* Yield from inside the handler. Its frame (the interrupted
		 * registers) stays on the task's stack and is returned through
		 * wherever the task runs next, as Go's injected asyncPreempt
		 * call. SIGURG is blocked while its handler runs: unblock it so
		 * this thread's next tasks can be preempted; the task gets its
		 * own mask back at sigreturn. */
		sigset_t urg;
		sigemptyset(&urg);
		sigaddset(&urg, SIGURG);
		pthread_sigmask(SIG_UNBLOCK, &urg, NULL);
		atomic_store(&m->curg->preempt, 0);
		atomic_fetch_add(&md_sched.st_async, 1);
		errno = saved_errno;
		md__gswitch(A_PREEMPT);
		return;
	}
out:
	errno = saved_errno;
}

void md__signals_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigurg;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGURG, &sa, NULL);
}

/* ---- The monitor's side ---------------------------------------------------- */

static void tiny_sleep(long ns)
{
	struct timespec ts = {0, ns};
	nanosleep(&ts, NULL);
}

static void preempt_by_suspension(md_m_t *m, md_g_t *g)
{
	if (m->foreign || !atomic_load(&m->in_use))
		return; /* foreign threads may exit: cooperative preemption only */
	int rc = rw_suspend_begin(m->rw);
	if (rc == RW_EBUSY) {
		atomic_fetch_add(&md_sched.st_skipped, 1);
		return; /* in external code: C, or exiting */
	}
	md__rwcheck(rc, "rw_suspend_begin");
	uint32_t s = SUS_NONE;
	if (atomic_compare_exchange_strong(&m->sus, &s, SUS_REQUESTED)) {
		pthread_kill(m->tid, SIGURG);
		/* Wait for the acknowledgement, a bounded time: the thread may
		 * have the signal blocked (attach/detach, a handler). */
		for (int i = 0; i < 200 && atomic_load(&m->sus) == SUS_REQUESTED; i++)
			tiny_sleep(10000);
		s = SUS_REQUESTED;
		if (!atomic_compare_exchange_strong(&m->sus, &s, SUS_NONE)) {
			/* Suspended. The reproducers' stop-the-world work
			 * (md_set_suspend_hook; none by default). */
			md_suspend_hook_t hook = atomic_load(&suspend_hook);
			if (hook)
				hook(m->id);
			/* Decide, then resume. */
			int preempt = async_safe_pc(m->sus_pc) && m->sus_np == 0 && m->curg == g &&
			              atomic_load(&g->preempt);
			atomic_store(&m->sus, preempt ? SUS_RESUME_PREEMPT : SUS_RESUME);
			md__futex_wake(&m->sus, 1);
		}
	}
	md__rwcheck(rw_suspend_end(m->rw), "rw_suspend_end");
}

static int retake(uint64_t now)
{
	int n = 0;
	for (int i = 0; i < md_sched.nprocs; i++) {
		md_p_t *p = md_sched.allp[i];
		int s = atomic_load(&p->status);
		if (s == P_SYSCALL) {
			uint64_t t = atomic_load(&p->syscalltick);
			if (p->mon_syscalltick != t) {
				p->mon_syscalltick = t;
				p->mon_when = now;
				continue;
			}
			if (now - p->mon_when < (uint64_t)md_sched.cfg.retake_us * 1000)
				continue;
			/* Nothing else to run and idle P's around: leave it (Go
			 * retakes anyway after 10 ms). */
			if (md__runq_empty(p) && atomic_load(&md_sched.gq_len) == 0 &&
			    atomic_load(&md_sched.npidle) > 0 && now - p->mon_when < 10000000)
				continue;
			if (atomic_compare_exchange_strong(&p->status, &s, P_HANDOFF)) {
				atomic_fetch_add(&md_sched.st_retakes, 1);
				md__handoffp(p);
				n++;
			}
		} else if (s == P_RUNNING) {
			uint64_t t = atomic_load(&p->schedtick);
			if (p->mon_schedtick != t) {
				p->mon_schedtick = t;
				p->mon_when = now;
				continue;
			}
			if (now - p->mon_when < (uint64_t)md_sched.cfg.preempt_us * 1000)
				continue;
			p->mon_when = now;
			md_m_t *m = p->m;
			md_g_t *g = m ? m->curg : NULL;
			if (!g)
				continue;
			atomic_store(&g->preempt, 1);
			atomic_fetch_add(&md_sched.st_preq, 1);
			if (md_sched.cfg.async_preempt)
				preempt_by_suspension(m, g);
			n++;
		}
	}
	return n;
}

static void wake_sleepers(uint64_t now)
{
	md_g_t *due = NULL;
	pthread_mutex_lock(&md_sched.lock);
	for (md_g_t **pp = &md_sched.sleepers; *pp;) {
		md_g_t *g = *pp;
		if (g->wake_ns <= now) {
			*pp = g->next;
			g->next = due;
			due = g;
		} else {
			pp = &g->next;
		}
	}
	pthread_mutex_unlock(&md_sched.lock);
	while (due) {
		md_g_t *g = due;
		due = g->next;
		md__ready(g);
	}
}

static void *monitor(void *arg)
{
	(void)arg;
	long delay = 20000;
	int idle = 0;
	while (atomic_load(&md_sched.running)) {
		tiny_sleep(delay);
		uint64_t now = md__nanotime();
		wake_sleepers(now);
		if (retake(now) == 0 && md_sched.sleepers == NULL) {
			if (++idle > 50 && delay < 10000000)
				delay *= 2;
		} else {
			idle = 0;
			delay = 20000;
		}
		if (md_sched.sleepers && delay > 100000)
			delay = 100000;
	}
	return NULL;
}

void md__monitor_start(void)
{
	/* The monitor never runs tasks and is never suspended: it keeps
	 * SIGURG blocked. */
	sigset_t urg, old;
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	pthread_sigmask(SIG_BLOCK, &urg, &old);
	pthread_create(&mon_thread, NULL, monitor, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void md__monitor_stop(void)
{
	atomic_store(&md_sched.running, 0);
	pthread_join(mon_thread, NULL);
}
