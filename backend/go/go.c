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
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)

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
	/* TSan's Context constructor zeroes its 10 MiB placeholder in bss
	 * (mostly MetaMap's slab directories): 2,560 first-touch faults with
	 * 4 KiB pages, about half the CPU a short racewire process spends
	 * (0.13 -> 0.09 s per fidelity case run). Huge pages make them a few;
	 * the placeholder is written whole anyway, so the memory it costs is
	 * the rest of the 2 MiB pages around it. No-op without THP. */
	uintptr_t hb = (hooks->data_begin + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t he = hooks->data_end & ~(HUGE_PAGE - 1);
	if (he > hb)
		(void)madvise((void *)hb, he - hb, MADV_HUGEPAGE);
	__tsan_init(init_thr, init_proc, rw__go_callback);
	return 0;
}

/* compiler-rt's debug Go runtime (buildgo.sh's race_debug object, built
 * with its CHECKs on) defines __tsan::build_consistency_debug(), the
 * release one build_consistency_release(): TSan's own marks for telling
 * its builds apart. A weak reference to the debug mark tells them apart
 * at run time, for programs linked with either object from one library. */
extern char rw__tsan_debug_mark[] __asm__("_ZN6__tsan23build_consistency_debugEv")
	__attribute__((weak));

int rw__be_is_debug(void)
{
	return rw__tsan_debug_mark != NULL;
}


/* Go mode's shadow on linux/amd64 (tsan_platform.h, MappingGo48): two
 * bytes of shadow per byte of application memory, at +0x200000000000, in
 * the 64 KiB steps MapShadow maps it in. */
#define GO_SHADOW(x) ((((uintptr_t)(x)) & ~(uintptr_t)7) * 2 + 0x200000000000ull)
#define GO_SHADOW_STEP ((uintptr_t)64 << 10)

static void prefault(uintptr_t addr, uintptr_t size)
{
	uintptr_t b = GO_SHADOW(addr) & ~(GO_SHADOW_STEP - 1);
	uintptr_t e = (GO_SHADOW(addr + size) + GO_SHADOW_STEP - 1) & ~(GO_SHADOW_STEP - 1);
	/* Advice, never a store: it faults in what is mapped and changes no
	 * cell, so it is harmless even where the layout above is not the
	 * runtime's (an older TSan, such as Go 1.19's own object, keeps four
	 * bytes of shadow per byte: there it fails on unmapped pages, or
	 * faults in pages TSan mapped for itself). Before Linux 5.14 the
	 * advice does not exist and nothing is prefaulted.
	 *
	 * Huge pages first: the range is made resident whole anyway, so they
	 * cost no memory, and they turn the 8,192 faults of a 16 MiB bss (32
	 * MiB of shadow, mostly TSan's own placeholders) into 16. That makes
	 * the prefault almost free in time (0.02 s of CPU per process before,
	 * measured on the fidelity program). Without THP it is a no-op. */
	(void)madvise((void *)b, e - b, MADV_HUGEPAGE);
	(void)madvise((void *)b, e - b, MADV_POPULATE_WRITE);
}

/* The first range mapped is data+bss (TSan's MapShadow treats its first
 * call the same way); the rest are heap. Called under the guard layer's
 * heap lock, or by rw_init before anything else runs. */
void rw__be_map_shadow(uintptr_t addr, uintptr_t size)
{
	static int data_mapped;
	__tsan_map_shadow((void *)addr, size);
	int level = rw__go_hooks.prefault_shadow;
	if (level >= 2 || (level == 1 && !data_mapped))
		prefault(addr, size);
	data_mapped = 1;
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

/* And/or where the runtime has no entry for them: a load, then CAS until
 * it sticks. TSan records the load (acquire) and the CAS (acq_rel on
 * success), which orders and races like the single read-modify-write. */
static uint64_t bitop_by_cas(void *thr, enum rw__atomic_op op, unsigned size, void *addr,
                             uint64_t mask, uintptr_t cpc, uintptr_t pc)
{
	uint64_t old = rw__be_atomic(thr, RW__ATOMIC_LOAD, size, addr, 0, 0, cpc, pc);
	for (;;) {
		uint64_t new_val = op == RW__ATOMIC_AND ? (old & mask) : (old | mask);
		if (rw__be_atomic(thr, RW__ATOMIC_CAS, size, addr, old, new_val, cpc, pc))
			return old;
		old = rw__be_atomic(thr, RW__ATOMIC_LOAD, size, addr, 0, 0, cpc, pc);
	}
}

uint64_t rw__be_atomic(void *thr, enum rw__atomic_op op, unsigned size, void *addr, uint64_t a,
                       uint64_t b, uintptr_t cpc, uintptr_t pc)
{
	if ((op == RW__ATOMIC_AND && !__tsan_go_atomic32_fetch_and) ||
	    (op == RW__ATOMIC_OR && !__tsan_go_atomic32_fetch_or))
		return bitop_by_cas(thr, op, size, addr, a, cpc, pc);
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
