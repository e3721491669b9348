/*
 * backend/go/callback.c - the one callback through which Go-mode TSan asks
 * the runtime things (tsan_go.cpp go_runtime_cb).
 *
 * GetProc is asked at any moment from inside TSan (allocating a sync
 * object, freeing a block, ending a goroutine), and TSan trusts the answer
 * blindly. It is answered from the calling thread's own rw__hot.tsan_proc,
 * which the guard layer keeps non-NULL only while this thread owns its
 * context (or holds the fallback lock). A NULL there means a TSan call
 * slipped past the guards: the guard layer's no_proc hook decides what to
 * answer, or dies with a diagnosis, rather than letting TSan dereference
 * NULL inside its allocator.
 */
#include "tsan_go.h"

struct rw__be_hooks rw__go_hooks;

static void symbolize_code(struct rw__symbolize_code_ctx *c)
{
	rw_frame_t f = {0};
	uintptr_t off = 0;
	c->res = 0;
	if (!rw__go_hooks.symbolize_code || !rw__go_hooks.symbolize_code(c->pc, &f, &off))
		return;
	/* TSan copies the strings at once (internal_strdup). */
	c->func = (char *)f.func;
	c->file = (char *)f.file;
	c->line = f.line > 0 ? (uintptr_t)f.line : 0;
	c->off = off;
	c->res = 1;
}

static void symbolize_data(struct rw__symbolize_data_ctx *c)
{
	const char *name = NULL;
	uintptr_t start = 0, size = 0;
	c->res = 0;
	if (!rw__go_hooks.symbolize_data || !rw__go_hooks.symbolize_data(c->addr, &name, &start, &size))
		return;
	c->name = (char *)name;
	c->file = NULL;
	c->heap = 0;
	c->start = start;
	c->size = size;
	c->res = 1;
}

void rw__go_callback(uintptr_t cmd, void *ctx)
{
	switch (cmd) {
	case RW__CB_GET_PROC: {
		void *proc = rw__hot.tsan_proc;
		if (__builtin_expect(!proc, 0))
			proc = rw__go_hooks.no_proc();
		*(void **)ctx = proc;
		return;
	}
	case RW__CB_SYMBOLIZE_CODE:
		symbolize_code(ctx);
		return;
	case RW__CB_SYMBOLIZE_DATA:
		symbolize_data(ctx);
		return;
	}
}
