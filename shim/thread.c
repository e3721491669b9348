/*
 * shim/thread.c - per-thread state: the hot pair the inline fast path
 * reads, the rest, and the registry of threads.
 *
 * Both TLS blocks are initial-exec: the executable is linked non-PIE
 * (Go-mode TSan requires it), so each access is one %fs-relative load,
 * which is what makes the guard cost one load and one compare.
 *
 * The registry exists for two cross-thread needs: a suspender names the
 * thread it suspends (rw_thread_t), and rw_fini must switch every thread's
 * fast path off. A thread leaves it when it detaches or exits (a pthread
 * key destructor), before its TLS goes away.
 */
#include "internal.h"

#include <stdlib.h>
#include <unistd.h>

__thread struct rw__hot rw__hot __attribute__((tls_model("initial-exec")));
_Thread_local struct rw__m rw__m __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void on_thread_exit(void *arg)
{
	(void)arg;
	/* A thread must not end with one of the runtime's fibers as its TSan
	 * context: TSan finishes the thread on whatever context is current
	 * (a key destructor of its own, run after this one), and finishing a
	 * fiber there dies in a CHECK. So the thread is switched back to its
	 * own context first; the fiber stays alive and unclaimed, for the
	 * runtime to resume elsewhere or end. guard_wiring=0 leaves it. */
	struct rw__m *m = &rw__m;
	if ((rw__be_caps & RW__BE_FIBERS) && m->task && rw__g.opts.guard_wiring) {
		rw_task_switch(NULL);
	}
	rw__unregister();
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

struct rw__m *rw__self_slow(void)
{
	struct rw__m *m = &rw__m;
	if (__builtin_expect(m->thread != NULL, 1))
		return m;
	struct rw_thread *t = calloc(1, sizeof *t);
	if (!t)
		rw__fatal("out of memory registering a thread", (const char *)NULL);
	if (m->id == 0) {
		m->id = atomic_fetch_add_explicit(&rw__g.next_m, 1, memory_order_relaxed) + 1;
		m->tid = gettid();
	}
	t->id = m->id;
	t->tid = m->tid;
	t->hot = &rw__hot;
	pthread_once(&exit_key_once, make_exit_key);
	pthread_setspecific(exit_key, t);
	pthread_mutex_lock(&rw__g.registry_lock);
	t->next = rw__g.threads;
	rw__g.threads = t;
	m->thread = t;
	/* Registered after finalization began: this thread must not reach
	 * TSan either (see rw_fini). */
	if (atomic_load(&rw__g.finalizing))
		__atomic_store_n(&rw__hot.thr, NULL, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&rw__g.registry_lock);
	return m;
}

void rw__unregister(void)
{
	struct rw__m *m = &rw__m;
	struct rw_thread *t = m->thread;
	if (!t)
		return;
	pthread_mutex_lock(&rw__g.registry_lock);
	for (struct rw_thread **p = &rw__g.threads; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	m->thread = NULL;
	pthread_mutex_unlock(&rw__g.registry_lock);
	rw__flight_release(m); /* its ring, for a thread still to come */
	pthread_setspecific(exit_key, NULL);
	/* Kept, not freed (struct rw_thread): a suspender holding the handle
	 * now learns that the thread is gone. An exchange, since one may
	 * hold the word this instant; its rw_suspend_end then says so too. */
	t->hot = NULL;
	atomic_exchange_explicit(&t->ext, RW__EXT_EXITED, memory_order_acq_rel);
}

struct rw__m *rw__self_fresh(void)
{
	return &rw__m;
}

/* Fiber backend (racewire/backend_fiber.h). */
_Noreturn void rw_fiber_pthread_exit(void *retval)
{
	if (rw__m.task)
		rw_task_switch(NULL);
	pthread_exit(retval);
}

rw_thread_t *rw_thread_self(void)
{
	return rw__self()->thread;
}

unsigned rw_thread_id(const rw_thread_t *t)
{
	return t ? t->id : 0;
}

int rw__lend_fallback(void)
{
	if (rw__hot.tsan_proc)
		return 0;
	pthread_mutex_lock(&rw__g.fallback_lock);
	rw__hot.tsan_proc = rw__g.fallback->tsan_proc;
	return 1;
}

void rw__return_fallback(int lent)
{
	if (!lent)
		return;
	rw__hot.tsan_proc = NULL;
	pthread_mutex_unlock(&rw__g.fallback_lock);
}
