/*
 * backend/none/none.c - the `none` backend: racewire's guards without TSan.
 *
 * Every ownership and transition check in shim/ runs as with a real
 * backend; only the calls that would reach TSan do nothing. What the
 * guards need from a backend is that task and processor states are
 * distinct non-NULL handles (the fast path's guard is "thr != NULL").
 * Atomic operations are still performed: the runtime depends on them.
 */
#include "../backend.h"

#include <stdatomic.h>
#include <stdlib.h>

const char rw__be_name[] = "none";
const unsigned rw__be_caps = 0;

/* A handle: distinct, non-NULL, never dereferenced, never freed: a
 * number dressed as a pointer, so that creating one cannot fail. */
static void *new_handle(void)
{
	static _Atomic uintptr_t next;
	return (void *)((atomic_fetch_add_explicit(&next, 1, memory_order_relaxed) + 1) * 16);
}

static void free_handle(void *h)
{
	(void)h;
}

int rw__be_init(const struct rw__be_hooks *hooks, void **init_thr, void **init_proc, char *msg,
                size_t msglen)
{
	(void)hooks;
	(void)msg;
	(void)msglen;
	*init_thr = new_handle();
	*init_proc = new_handle();
	return 0;
}

void rw__be_map_shadow(uintptr_t addr, uintptr_t size)
{
	(void)addr;
	(void)size;
}

void rw__be_proc_create(void **proc)
{
	*proc = new_handle();
}

void rw__be_proc_destroy(void *proc)
{
	free_handle(proc);
}

void rw__be_task_start(void *parent_thr, void **thr, uintptr_t pc)
{
	(void)parent_thr;
	(void)pc;
	*thr = new_handle();
}

void rw__be_task_end(void *thr)
{
	free_handle(thr);
}

/* Nothing to switch: the fast path passes the task's state to each call. */
void rw__be_task_switch(void *from, void *to, unsigned flags)
{
	(void)from;
	(void)to;
	(void)flags;
}

/* Never called: RW__BE_FIBERS is not set. */
void *rw__be_thread_context(void)
{
	return NULL;
}

void rw__be_annotate(void *thr, enum rw__op op, const void *addr, uintptr_t a, uintptr_t b)
{
	(void)thr;
	(void)op;
	(void)addr;
	(void)a;
	(void)b;
}

uint64_t rw__be_atomic(void *thr, enum rw__atomic_op op, unsigned size, void *addr, uint64_t a,
                       uint64_t b, uintptr_t cpc, uintptr_t pc)
{
	(void)thr;
	(void)cpc;
	(void)pc;
	return rw__atomic_native(op, size, addr, a, b);
}

uint64_t rw__be_report_count(void)
{
	return 0;
}

void rw__be_fini(void)
{
	/* What __tsan_fini does, less the report: run exit-time code and
	 * exit with success (no race can have been reported). */
	exit(0);
}
