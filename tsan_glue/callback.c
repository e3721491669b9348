/*
 * tsan_glue/callback.c - the one callback through which TSan asks the
 * runtime things (tsan_go.cpp go_runtime_cb).
 *
 * GetProc is asked at any moment from inside TSan (allocating a sync
 * object, freeing a block, ending a goroutine), and TSan trusts the answer
 * blindly. It is answered from the calling thread's own rw__hot.tsan_proc,
 * which is non-NULL only while this thread owns its context (or holds the
 * fallback lock). With the guard on, a NULL here means a TSan call slipped
 * past racewire's checks; dying with a diagnosis beats TSan dereferencing
 * NULL inside its allocator.
 */
#include "../shim/internal.h"
#include "tsan_go.h"

#include <stdio.h>

static _Noreturn void die_get_proc(void)
{
	struct rw__m *m = rw__self();
	char head[128];
	snprintf(head, sizeof head, "TSan asked for the processor of M%u (tid %d), which has none wired",
	         m->id, (int)m->tid);
	rw__fatal(head,
	          "invariant", "every TSan call that uses a Processor must come from a thread that "
	                       "owns a wired context (seed 001, Go issue 27660)",
	          "hint", "a TSan entry point was called directly, bypassing racewire",
	          (const char *)NULL);
}

void rw__tsan_callback(uintptr_t cmd, void *ctx)
{
	switch (cmd) {
	case RW__CB_GET_PROC: {
		void *proc = rw__hot.tsan_proc;
		if (__builtin_expect(!proc, 0) && rw__g.opts.guard_wiring)
			die_get_proc();
		*(void **)ctx = proc;
		return;
	}
	case RW__CB_SYMBOLIZE_CODE:
		rw__symbolize_code(ctx);
		return;
	case RW__CB_SYMBOLIZE_DATA:
		rw__symbolize_data(ctx);
		return;
	}
}
