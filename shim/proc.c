/*
 * shim/proc.c - processor contexts and their wiring to threads.
 *
 * The invariant (guarantee 1, seed 001): a context is wired to at most one
 * thread, a thread has at most one context wired, and TSan only ever sees a
 * context through the GetProc answer of the thread that owns it.
 *
 * Ownership is the context's owner word, moved only by compare-and-swap
 * (0 -> M on wire, M -> 0 on unwire, 0 -> DEAD on destroy). Wiring is an
 * acquire and unwiring a release, so everything the previous owner did to
 * TSan's Processor (its allocator caches) happens-before the next owner's
 * first use. The thread-local mirror (rw__hot) is set only after the CAS
 * succeeds and cleared before the releasing store: at no instant do two
 * threads both believe they may hand the Processor to TSan.
 */
#include "internal.h"

#include <stdlib.h>

static int need_init(const char *what)
{
	if (rw__is_inited())
		return 0;
	return rw__fail(RW_ENOTINIT, "%s: rw_init has not succeeded", what);
}

int rw_proc_create(rw_proc_t **out)
{
	int rc = need_init("rw_proc_create");
	if (rc)
		return rc;
	if (!out)
		return rw__fail(RW_EINVAL, "rw_proc_create(NULL)");
	rw_proc_t *p = calloc(1, sizeof *p);
	if (!p)
		return rw__fail(RW_ENOMEM, "rw_proc_create: out of memory");
	p->id = atomic_fetch_add_explicit(&rw__g.next_proc, 1, memory_order_relaxed);
	/* After rw_fini began, a context without a Processor: wiring it
	 * still works, and every TSan call on it is dropped anyway. */
	if (!rw__after_fini())
		rw__be_proc_create(&p->tsan_proc);
	*out = p;
	return 0;
}

int rw_proc_destroy(rw_proc_t *p)
{
	struct rw__m *m = rw__self();
	if (!p)
		return rw__fail(RW_EINVAL, "rw_proc_destroy(NULL) on M%u", m->id);
	if (p == rw__g.fallback)
		return rw__fail(RW_EPERM, "rw_proc_destroy on M%u: the fallback context is racewire's own",
		                m->id);
	if (p == rw__g.initial_proc)
		return rw__fail(RW_EPERM, "rw_proc_destroy(P0) on M%u: P0 is TSan's initial context, bound "
		                "to its init state for the life of the process; it cannot be destroyed",
		                m->id);
	uint32_t owner = 0;
	if (!atomic_compare_exchange_strong_explicit(&p->owner, &owner, RW__PROC_DEAD,
	                                             memory_order_acq_rel, memory_order_relaxed)) {
		if (owner == RW__PROC_DEAD)
			return rw__fail(RW_EALREADY, "rw_proc_destroy(P%u) on M%u: P%u was already destroyed",
			                p->id, m->id, p->id);
		return rw__fail(RW_EBUSY, "rw_proc_destroy(P%u) on M%u: P%u is wired to M%u; unwire it first",
		                p->id, m->id, p->id, owner);
	}
	/* Nobody can wire it now, and the acquire above saw the last owner's
	 * release, so TSan may tear the Processor down from this thread. */
	if (p->tsan_proc && !rw__after_fini())
		rw__be_proc_destroy(p->tsan_proc);
	p->tsan_proc = NULL;
	/* p itself is kept: a later wire of this pointer gets RW_ENOENT, not
	 * a use-after-free. Runtimes create a handful of contexts. */
	return 0;
}

int rw_proc_wire(rw_proc_t *p)
{
	struct rw__m *m = rw__self();
	if (!p)
		return rw__fail(RW_EINVAL, "rw_proc_wire(NULL) on M%u", m->id);
	if (m->wired)
		return rw__fail(RW_EBUSY, "rw_proc_wire(P%u) on M%u: M%u already has P%u wired",
		                p->id, m->id, m->id, m->wired->id);
	uint32_t owner = 0;
	if (!atomic_compare_exchange_strong_explicit(&p->owner, &owner, m->id,
	                                             memory_order_acquire, memory_order_relaxed)) {
		if (owner == RW__PROC_DEAD)
			return rw__fail(RW_ENOENT, "rw_proc_wire(P%u) on M%u: P%u was destroyed",
			                p->id, m->id, p->id);
		return rw__fail(RW_EBUSY, "rw_proc_wire(P%u) on M%u: P%u is wired to M%u",
		                p->id, m->id, p->id, owner);
	}
	m->wired = p;
	m->last = p;
	rw__hot.tsan_proc = p->tsan_proc;
	rw__flight_note(RW_FL_WIRE, p, 0, 0);
	rw__refresh_hot(m);
	return 0;
}

int rw_proc_unwire(rw_proc_t *p)
{
	struct rw__m *m = rw__self();
	if (!p)
		return rw__fail(RW_EINVAL, "rw_proc_unwire(NULL) on M%u", m->id);
	if (m->wired != p) {
		char desc[96];
		return rw__fail(RW_EPERM, "rw_proc_unwire(P%u) on M%u: M%u does not own it (%s)",
		                p->id, m->id, m->id, rw__describe_proc(p, desc, sizeof desc));
	}
	rw__unwire(m, p);
	return 0;
}

rw_proc_t *rw_proc_current(void)
{
	return rw__m.wired;
}

unsigned rw_proc_id(const rw_proc_t *p)
{
	return p ? p->id : 0;
}
