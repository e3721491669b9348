/*
 * model/panic.c - md_panic and md_try: unwinding across C frames.
 *
 * md_panic longjmps to the innermost md_try of the task, skipping every
 * frame in between: runtime frames, C frames, callbacks, md_cgocall. Each
 * skipped transition leaves per-thread state behind (seed 003: Go's SEH
 * chain on windows/386 kept records of frames that no longer existed):
 * racewire's foreign-call records and external-code word, a callback's
 * pin and cleanups, the signal mask, TSan's shadow call stack (one
 * rw_func_enter per skipped instrumented frame). So md_try takes a
 * racewire checkpoint (rw_checkpoint) where it stands, and after the jump
 * restores it (rw_checkpoint_restore) on the same thread: records popped
 * (a skipped md_cgocall owes its acquire, fired at once since the callback
 * left a P wired), callback cleanups run and the task unpinned, the mask
 * restored, TSan's frames exited. The model repairs its own per-thread
 * state the same way (incgo, the callback chain).
 *
 * racewire checkpoints belong to a thread, and the model's tasks migrate
 * between threads. So md_try pins its task to the thread for its duration
 * (a model pin, like Go's lockOSThread): a panic always lands on the
 * checkpoint's thread. See the report: a per-task checkpoint would let a
 * runtime avoid that.
 */
#include "internal.h"

#include <setjmp.h>

struct md_try_frame {
	jmp_buf jb;
	struct md_try_frame *prev;
	int incgo;
	struct md_cbframe *cbtop;
	md_m_t *saved_lockedm;
	int saved_lockcount;
	rw_checkpoint_t cp;
};

/* A model pin for md_try (in race builds md__pinned_m also honours it). */
static void try_pin(md_g_t *g, md_m_t *m)
{
	if (g->lockcount++ == 0)
		g->lockedm = m;
}

static void try_unpin(md_g_t *g)
{
	if (--g->lockcount == 0)
		g->lockedm = NULL;
}

__attribute__((noinline)) static int try_body(struct md_try_frame *f, void (*fn)(void *), void *arg)
{
	md_m_t *m = md__m;
	md_g_t *g = m->curg;
	if (setjmp(f->jb) == 0) {
		fn(arg);
		return 0;
	}
	(void)g;
	return 1;
}

int md_try(void (*fn)(void *), void *arg, void **value)
{
	md_m_t *m = md__m;
	md_g_t *g = m ? m->curg : NULL;
	if (!g)
		md__fatal("md_try outside a task");
	struct md_try_frame f;
	f.prev = g->trys;
	f.incgo = m->incgo;
	f.cbtop = g->cbtop;
	try_pin(g, m);
	f.saved_lockedm = g->lockedm;
	f.saved_lockcount = g->lockcount;
	md__rwcheck(rw_checkpoint(&f.cp), "rw_checkpoint");
	g->trys = &f;
	int panicked = try_body(&f, fn, arg);
	m = md__m;
	g = m->curg;
	g->trys = f.prev;
	if (panicked) {
		/* Repair: the model's state first, then racewire's. */
		m->incgo = f.incgo;
		g->cbtop = f.cbtop;
		g->lockedm = f.saved_lockedm;
		g->lockcount = f.saved_lockcount;
		m->oldp = NULL;
		md__rwcheck(rw_checkpoint_restore(&f.cp), "rw_checkpoint_restore");
		if (value)
			*value = g->panicval;
	}
	try_unpin(g);
	return panicked;
}

_Noreturn void md_panic(void *value)
{
	md_m_t *m = md__m;
	md_g_t *g = m ? m->curg : NULL;
	if (!g || !g->trys) {
		fprintf(stderr, "panic: %p\n\ntask %u [running]\n", value, g ? g->id : 0);
		md_exit(2);
	}
	g->panicval = value;
	longjmp(g->trys->jb, 1);
}
