/*
 * model/foreign.c - md_cgocall: calling C code that may block or call
 * back, without holding the processor (Go's cgocall, entersyscall and
 * exitsyscall).
 *
 * The order is the whole point (seed 001, Go issue 27660):
 *
 *   rw_foreign_enter   release-merges "what C does", pushes an unwind
 *                      record, takes the thread's external-code word (the
 *                      monitor must not suspend a thread in C: seed 000)
 *                      and unwires the P's context, which it hands back.
 *   P -> P_SYSCALL     only now is the P published as retakable: the
 *                      monitor may give it to another thread, whose
 *                      rw_proc_wire must find it unwired (rule R1).
 *   fn(arg)            C runs with no P and no TSan Processor.
 *   exitsyscall        take the same P back (CAS P_SYSCALL -> P_HANDOFF),
 *                      else an idle one, else wait for one; rw_proc_wire.
 *   rw_foreign_exit    the owed acquire fires now that a context is wired.
 *
 * Pre-fix ordering (md_config.unguarded_foreign, MD_UNGUARDED=foreign):
 * rw_foreign_exit right after fn, before exitsyscall, as cgocall did before
 * Go's fix (with md_config.unguarded_foreign_free, the call's argument
 * frame is freed there too: see model.h). With racewire's guards on this
 * is still safe (the acquire waits for the wire; the frees, under
 * policy=borrow, run on the fallback context); with
 * RACEWIRE_OPTIONS=guard_wiring=0:guard_foreign=0 they run on the stale
 * Processor the monitor gave away: two threads drive one TSan Processor,
 * and TSan corrupts its caches (the acquire alone no longer does in LLVM
 * 19; the frees do: stress/repro/model_seed001.c).
 *
 * C runs on the task's own stack (Go switches to the g0 stack; the model's
 * task stacks are large enough, and it keeps C frames with their task).
 */
#include "internal.h"

/* No sync object of the model's own for "what C code did" (Go's
 * racecgosync): racewire's foreign bracket is that object. rw_foreign_enter
 * release-merges it, rw_foreign_exit acquires it, and a callback acquires
 * it on entry and release-merges it on exit, the four calls Go's cgocall
 * and cgocallbackg make. A second object of the model's own would double
 * each TSan call and add no edge (issue 17). */

/* Get a P back after C (Go's exitsyscall). The thread still has its task
 * current in racewire, and no context wired. */
void md__exitsyscall(md_m_t *m)
{
	md_p_t *p = m->oldp;
	m->oldp = NULL;
	int s = P_SYSCALL;
	/* Fast path: our P was not retaken. The CAS races with the monitor's
	 * retake CAS; exactly one wins. */
	if (p && atomic_compare_exchange_strong(&p->status, &s, P_HANDOFF)) {
		md__acquirep(m, p);
		return;
	}
	/* Retaken: any idle P, else wait in line (pidleput serves waiting
	 * threads first). The task stays on this thread throughout: racewire's
	 * foreign record is per thread, and its acquire belongs to this task. */
	md__wait_for_p(m);
}

/* The pre-fix argument frame (md_config.unguarded_foreign_free): cgo-style
 * marshalling of the call's argument into small heap blocks. */
#define ARGFRAME_BLOCKS 16
#define ARGFRAME_BLOCK 48

long md_cgocall(long (*fn)(void *), void *arg)
{
	md_m_t *m = md__m;
	md_g_t *g = m ? m->curg : NULL;
	if (!g || !m->p)
		md__fatal("md_cgocall outside a task");
	void *frame[ARGFRAME_BLOCKS];
	int nframe = 0;
	if (md_sched.cfg.unguarded_foreign && md_sched.cfg.unguarded_foreign_free) {
		for (; nframe < ARGFRAME_BLOCKS; nframe++) {
			frame[nframe] = md_alloc(ARGFRAME_BLOCK); /* a safe point too */
			MD_WRITE(frame[nframe]);
			*(void **)frame[nframe] = arg;
		}
	}
	md__check_preempt(); /* entering the runtime: a safe point */
	m = md__m;

	/* entersyscall */
	md_p_t *p = m->p;
	m->incgo++;
	atomic_fetch_add(&p->syscalltick, 1);
	rw_proc_t *released = NULL;
	md__rwcheck(rw_foreign_enter(&released), "rw_foreign_enter");
	if (released != p->rw)
		md__fatal("rw_foreign_enter released P%u, not the P of M%u",
		          rw_proc_id(released), m->id);
	p->m = NULL;
	m->p = NULL;
	m->oldp = p;
	atomic_store(&p->status, P_SYSCALL); /* now the monitor may retake it */

	long r = fn(arg);

	/* The task never left this thread while in C: any callback pinned
	 * it here. A different M means the pin was broken (issue 47441). */
	if (md__m != m)
		md__fatal("task %u returned from C on M%u, but called C on M%u "
		          "(a callback let it move: Go issue 47441)", g->id, md__m->id, m->id);
	if (md_sched.cfg.unguarded_foreign) {
		RACE(md__rwcheck(rw_foreign_exit(), "rw_foreign_exit")); /* PRE-FIX order */
		/* ... and the argument frame released with no P either:
		 * needs policy=borrow; unguarded, TSan frees on the stale
		 * Processor the monitor may have given to another thread. */
		for (int i = 0; i < nframe; i++)
			md_free(frame[i]);
	}
	md__exitsyscall(m);
	if (!md_sched.cfg.unguarded_foreign)
		RACE(md__rwcheck(rw_foreign_exit(), "rw_foreign_exit"));
	m->incgo--;
	md__check_preempt();
	return r;
}
