/*
 * backend/go/go.c - the Go-mode backend: compiler-rt's lib/tsan/go runtime,
 * the one `go build -race` links, driven as Go drives it.
 *
 * Go mode keeps no thread-local state of its own: every entry point takes
 * the ThreadState it acts on, and TSan asks the runtime for the Processor
 * through the callback (callback.c). That is what makes an M:N runtime
 * possible, and what makes it fragile: TSan believes whatever it is passed.
 * The guard layer has already decided that each call here is allowed.
 */
#include "tsan_go.h"

#include <string.h>

const char rw__be_name[] = "go";
/* Go mode: every call names its ThreadState; shadow only in the
 * application range. */
const unsigned rw__be_caps = 0;

int rw__be_init(const struct rw__be_hooks *hooks, void **init_thr, void **init_proc, char *msg,
                size_t msglen)
{
	(void)msg;
	(void)msglen;
	/* Before __tsan_init: TSan may symbolize (and asks for no Processor,
	 * having handed none out yet) as soon as it is up. */
	rw__go_hooks = *hooks;
	__tsan_init(init_thr, init_proc, rw__go_callback);
	return 0;
}

void rw__be_map_shadow(uintptr_t addr, uintptr_t size)
{
	__tsan_map_shadow((void *)addr, size);
}

void rw__be_proc_create(void **proc)
{
	__tsan_proc_create(proc);
}

void rw__be_proc_destroy(void *proc)
{
	__tsan_proc_destroy(proc);
}

/* Go-mode TSan strips the outermost frame of every stack it reports: in Go
 * that frame is goexit, the return address of every goroutine's function.
 * Push a stand-in for it, so that all of the runtime's own frames show.
 * The new ThreadState runs nowhere yet; the caller's context serves TSan. */
void rw__be_task_start(void *parent_thr, void **thr, uintptr_t pc)
{
	__tsan_go_start(parent_thr, thr, (void *)pc);
	rw__go_func_enter(*thr, (void *)((uintptr_t)&rw__be_task_start + 1));
}

void rw__be_task_end(void *thr)
{
	__tsan_go_end(thr);
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
	void *p = (void *)addr;
	switch (op) {
	case RW__ACQUIRE: rw__go_acquire(thr, p); break;
	case RW__RELEASE: rw__go_release(thr, p); break;
	case RW__RELEASE_MERGE: rw__go_release_merge(thr, p); break;
	case RW__RELEASE_ACQUIRE: rw__go_release_acquire(thr, p); break;
	case RW__READ: rw__go_read(thr, p, (void *)a); break;
	case RW__WRITE: rw__go_write(thr, p, (void *)a); break;
	case RW__READ_PC: rw__go_read_pc(thr, p, a, b); break;
	case RW__WRITE_PC: rw__go_write_pc(thr, p, a, b); break;
	case RW__READ_RANGE: rw__go_read_range(thr, p, a, b); break;
	case RW__WRITE_RANGE: rw__go_write_range(thr, p, a, b); break;
	case RW__FUNC_ENTER: rw__go_func_enter(thr, (void *)a); break;
	case RW__FUNC_EXIT: rw__go_func_exit(thr); break;
	case RW__MALLOC: rw__go_malloc(thr, b, (uintptr_t)p, a); break;
	case RW__FREE: rw__go_free((uintptr_t)p, a); break;
	}
}

/* The argument block of __tsan_go_atomic*: the word's address, then the
 * operands, then the result, each where Go's assembly puts them. */
union atomic_block {
	uint8_t bytes[32];
	struct {
		void *addr;
		uint64_t w[3];
	} q;
};

uint64_t rw__be_atomic(void *thr, enum rw__atomic_op op, unsigned size, void *addr, uint64_t a,
                       uint64_t b, uintptr_t cpc, uintptr_t pc)
{
	union atomic_block blk;
	memset(&blk, 0, sizeof blk);
	blk.q.addr = addr;
	uint8_t *args = blk.bytes;
	int wide = size == 8;
	/* Operands at +8; a result at +16, except a load's at +8. */
	if (wide) {
		memcpy(args + 8, &a, 8);
		memcpy(args + 16, &b, 8); /* CAS: the new value */
	} else {
		uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b;
		memcpy(args + 8, &a32, 4);
		memcpy(args + 12, &b32, 4); /* CAS: the new value */
	}
	switch (op) {
	case RW__ATOMIC_LOAD:
		(wide ? __tsan_go_atomic64_load : __tsan_go_atomic32_load)(thr, cpc, pc, args);
		break;
	case RW__ATOMIC_STORE:
		(wide ? __tsan_go_atomic64_store : __tsan_go_atomic32_store)(thr, cpc, pc, args);
		return 0;
	case RW__ATOMIC_ADD:
		(wide ? __tsan_go_atomic64_fetch_add : __tsan_go_atomic32_fetch_add)(thr, cpc, pc, args);
		break;
	case RW__ATOMIC_AND:
		(wide ? __tsan_go_atomic64_fetch_and : __tsan_go_atomic32_fetch_and)(thr, cpc, pc, args);
		break;
	case RW__ATOMIC_OR:
		(wide ? __tsan_go_atomic64_fetch_or : __tsan_go_atomic32_fetch_or)(thr, cpc, pc, args);
		break;
	case RW__ATOMIC_EXCHANGE:
		(wide ? __tsan_go_atomic64_exchange : __tsan_go_atomic32_exchange)(thr, cpc, pc, args);
		break;
	case RW__ATOMIC_CAS:
		/* The swapped flag: one byte at +24 (64-bit) or +16 (32-bit). */
		(wide ? __tsan_go_atomic64_compare_exchange
		      : __tsan_go_atomic32_compare_exchange)(thr, cpc, pc, args);
		return args[wide ? 24 : 16] != 0;
	}
	int at = op == RW__ATOMIC_LOAD ? 8 : 16;
	if (wide) {
		uint64_t r;
		memcpy(&r, args + at, 8);
		return r;
	}
	uint32_t r;
	memcpy(&r, args + at, 4);
	return r;
}

uint64_t rw__be_report_count(void)
{
	uint64_t n = 0;
	__tsan_report_count(&n);
	return n;
}

void rw__be_fini(void)
{
	__tsan_fini();
}
