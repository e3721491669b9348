/*
 * model/thread.c - OS threads (M's): creation, parking on a futex.
 *
 * A runtime thread learns its racewire handle (rw_thread_self) at start:
 * the monitor needs it to suspend the thread through racewire's suspension
 * word (rw_suspend_begin), and the pinning check maps racewire's M number
 * back to the runtime's M (md__pinned_m).
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* A one-token semaphore per M: a wakeup before the sleep is not lost. */
void md__notesleep(md_m_t *m)
{
	while (atomic_exchange(&m->park, 0) == 0)
		md__futex_wait(&m->park, 0);
}

void md__notewakeup(md_m_t *m)
{
	atomic_store(&m->park, 1);
	md__futex_wake(&m->park, 1);
}

md_m_t *md__mnew(int foreign)
{
	md_m_t *m = calloc(1, sizeof *m);
	if (!m)
		md__fatal("out of memory for an M");
	m->id = atomic_fetch_add(&md_sched.nm, 1);
	if (m->id >= MD_MAXM)
		md__fatal("more than %d threads", MD_MAXM);
	m->foreign = foreign;
	md_sched.allm[m->id] = m;
	atomic_fetch_add(&md_sched.st_threads, 1);
	return m;
}

/* The thread's racewire identity, once per thread. */
void md__m_register(md_m_t *m)
{
	md__m = m;
	m->tid = pthread_self();
	m->rw = rw_thread_self();
	md_sched.by_rw[rw_thread_id(m->rw) % MD_MAXM] = m;
	atomic_store(&m->in_use, 1);
}

/* model.h: async-signal-safe (a TLS load and an atomic load). */
int md_thread_ready(void)
{
	md_m_t *m = md__m;
	return m && atomic_load_explicit(&m->in_use, memory_order_relaxed);
}

static void *mstart(void *arg)
{
	md_m_t *m = arg;
	md__m_register(m);
	md__mstart_loop(m);
}

/* Start a thread that runs with p (already unwired and unowned). */
void md__newm(md_p_t *p)
{
	md_m_t *m = md__mnew(0);
	atomic_store(&m->nextp, p);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1 << 20);
	/* Runtime threads take the preemption signal; the creating thread
	 * may have it blocked (the monitor does). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, NULL, &old);
	sigset_t run = old;
	sigdelset(&run, SIGURG);
	pthread_sigmask(SIG_SETMASK, &run, NULL);
	pthread_t t;
	int rc = pthread_create(&t, &attr, mstart, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc)
		md__fatal("pthread_create: %s", strerror(rc));
}
