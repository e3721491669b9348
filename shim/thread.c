/*
 * shim/thread.c - the per-thread state: the hot pair the inline fast path
 * reads, and the rest.
 *
 * Both are initial-exec TLS: the executable is linked non-PIE (Go-mode TSan
 * requires it), so each access is one %fs-relative load, which is what makes
 * the guard on the annotation path cost one load and one compare.
 */
#include "internal.h"

#include <unistd.h>

_Thread_local struct rw__hot rw__hot __attribute__((tls_model("initial-exec")));
_Thread_local struct rw__m rw__m __attribute__((tls_model("initial-exec")));

struct rw__m *rw__self(void)
{
	struct rw__m *m = &rw__m;
	if (__builtin_expect(m->id == 0, 0)) {
		m->id = atomic_fetch_add_explicit(&rw__g.next_m, 1, memory_order_relaxed) + 1;
		m->tid = gettid();
	}
	return m;
}

void rw__refresh_hot(struct rw__m *m)
{
	rw__hot.thr = (rw__hot.tsan_proc && m->task) ? m->task->thr : NULL;
}
