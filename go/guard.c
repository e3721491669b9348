/*
 * go/guard.c - racewire's Go-ABI guard, linked in front of compiler-rt's
 * Go-mode TSan object to make build/go/race_linux_amd64.syso.
 *
 * Go's runtime (runtime/race.go, race_amd64.s) calls __tsan_* directly, on
 * the g0 stack, with the C calling convention. go/build.sh renames the
 * entry points defined here to rw__tsan_* inside TSan's object (objcopy
 * --redefine-syms), so Go reaches these wrappers and they reach TSan. The
 * rest of TSan's entry points (read, write, func_enter/exit, atomic loads,
 * malloc) are left alone: they never touch the Processor on their fast
 * path and are the hot ones, so they cost nothing extra.
 *
 * The hazard (seed 001: Go issue 27660, fixed by Go commit e496e612b7f4
 * "runtime: never call into race detector with retaken P"): TSan's Processor is
 * Go's P.raceprocctx, found through the callback racecallbackthunk, which
 * reads g.m.p. A race call made by an M that does not own its P - inside
 * the syscall window of cgocall, where the P may already run on another M -
 * drives one Processor from two threads, and TSan's per-Processor caches
 * (sync objects, blocks, clocks) are corrupted with no error at the cause.
 * Here every wrapped entry point checks, before TSan sees the call, that
 * the calling M has a P and that the P is owned by this M (p.m == m); and
 * the first time TSan uses the Processor during the call (it asks Go for
 * it through the GetProc callback), the Processor is claimed for this OS
 * thread with one CAS, released when the call returns. Any failure is a
 * FATAL naming both threads.
 *
 * Nothing here may add an undefined symbol, a TLS section or a TLS
 * relocation to the object: Go's internal linker would reject it (go/build.sh
 * checks). So: no libc beyond what TSan's object already imports (abort,
 * exit, clock_gettime), raw system calls, no thread-locals. The calling
 * thread is found through Go's own TLS slot (g at %fs:-8), with the
 * offsets of g.m, m.p, ... pinned per Go version (go/pairs.tsv, checked
 * against the installed Go's go_asm.h at build time) and checked again at
 * __tsan_init.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <racewire/flight.h>

/* From the build (go/build.sh, out of go/pairs.tsv). */
#ifndef RW_GO_G_M
#error "build with go/build.sh: the Go offsets come from go/pairs.tsv"
#endif

typedef void (*rw_go_cb)(uintptr_t cmd, void *ctx);

/* TSan's entry points, renamed by go/build.sh. */
void rw__tsan_init(void **thrp, void **procp, rw_go_cb cb);
void rw__tsan_fini(void);
void rw__tsan_free(uintptr_t p, uintptr_t sz);
void rw__tsan_go_start(void *parent, void **pthr, void *pc);
void rw__tsan_go_end(void *thr);
void rw__tsan_proc_destroy(void *proc);
void __tsan_proc_create(void **pproc); /* not wrapped: called as TSan defines it */
void rw__tsan_acquire(void *thr, void *addr);
void rw__tsan_release(void *thr, void *addr);
void rw__tsan_release_merge(void *thr, void *addr);
void rw__tsan_release_acquire(void *thr, void *addr);
void rw__tsan_finalizer_goroutine(void *thr);
#define RW_ATOMIC_DECL(op) void rw__tsan_go_##op(void *thr, uintptr_t cpc, uintptr_t pc, void *a);
RW_ATOMIC_DECL(atomic32_store)
RW_ATOMIC_DECL(atomic64_store)
RW_ATOMIC_DECL(atomic32_fetch_add)
RW_ATOMIC_DECL(atomic64_fetch_add)
RW_ATOMIC_DECL(atomic32_exchange)
RW_ATOMIC_DECL(atomic64_exchange)
RW_ATOMIC_DECL(atomic32_compare_exchange)
RW_ATOMIC_DECL(atomic64_compare_exchange)

/* libc, already imported by TSan's object (go/build.sh checks). */
_Noreturn void abort(void);
_Noreturn void exit(int);
struct timespec;
int clock_gettime(int, struct timespec *);

/* ---- Options (RACEWIRE_OPTIONS, the C library's syntax) ------------------- */

struct rw__go_opts {
	int wiring;       /* guarantee 1: P present, P owned by this M, Processor claimed */
	int getproc;      /* guarantee 2: TSan asking for the Processor with no P */
	int fini;         /* guarantee 3: drop annotations once racefini has begun */
	int policy;       /* what a misplaced race call gets: P_ABORT, P_BORROW, P_DROP */
	int verbosity;
	int flight_events;
	char flight[256];
};
enum { P_ABORT, P_BORROW, P_DROP };
static struct rw__go_opts opt = {1, 1, 1, P_ABORT, 1, 256, ""};

#define KNOWN "policy, guards, guard_wiring, guard_getproc, guard_fini, verbosity, flight, flight_events"

/* ---- Raw system calls: nothing from libc the stock object lacks ---------- */

static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(r)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return r;
}
enum { SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_mmap = 9,
       SYS_getpid = 39, SYS_ftruncate = 77, SYS_gettid = 186, SYS_exit_group = 231 };

static void put(const char *s, size_t n)
{
	while (n > 0) {
		long w = sys3(SYS_write, 2, (long)s, (long)n);
		if (w == -4) /* EINTR */
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* A message is built in one buffer and written with one write(2), so two
 * threads dying at once do not interleave their lines. */
struct msg {
	char buf[1536];
	size_t n;
};
static void m_str(struct msg *m, const char *s)
{
	while (*s && m->n < sizeof m->buf)
		m->buf[m->n++] = *s++;
}
static void m_dec(struct msg *m, uint64_t v)
{
	char t[24];
	int i = 0;
	do t[i++] = (char)('0' + v % 10); while ((v /= 10) && i < 24);
	while (i > 0 && m->n < sizeof m->buf)
		m->buf[m->n++] = t[--i];
}
static void m_hex(struct msg *m, uint64_t v)
{
	char t[16];
	int i = 0;
	m_str(m, "0x");
	do t[i++] = "0123456789abcdef"[v & 15]; while ((v >>= 4) && i < 16);
	while (i > 0 && m->n < sizeof m->buf)
		m->buf[m->n++] = t[--i];
}

/* ---- Go's structures, through the pinned offsets --------------------------- */

#define AT(base, off) (*(uintptr_t *)((uintptr_t)(base) + (off)))

static int offsets_ok; /* g found at %fs:-8 and consistent, checked at __tsan_init */

/* Go keeps the current g in its TLS slot, at -8 from the thread pointer
 * (internal linking; and external linking when no C code adds
 * thread-locals to the executable, which __tsan_init checks). */
static inline uintptr_t go_g(void)
{
	uintptr_t g;
	__asm__("movq %%fs:-8, %0" : "=r"(g));
	return g;
}

/* ---- Entry points ------------------------------------------------------------ */

enum entry {
	E_NONE, E_FREE, E_GO_START, E_GO_END, E_PROC_DESTROY, E_ACQUIRE, E_RELEASE,
	E_RELEASE_MERGE, E_RELEASE_ACQUIRE, E_FINALIZER, E_A32_STORE, E_A64_STORE,
	E_A32_ADD, E_A64_ADD, E_A32_XCHG, E_A64_XCHG, E_A32_CAS, E_A64_CAS, E_GETPROC,
	E_COUNT
};
static const char *const entry_name[E_COUNT] = {
	[E_NONE] = "?",
	[E_FREE] = "__tsan_free (racefree)",
	[E_GO_START] = "__tsan_go_start (racegostart)",
	[E_GO_END] = "__tsan_go_end (racegoend)",
	[E_PROC_DESTROY] = "__tsan_proc_destroy (raceprocdestroy)",
	[E_ACQUIRE] = "__tsan_acquire (raceacquire)",
	[E_RELEASE] = "__tsan_release (racerelease)",
	[E_RELEASE_MERGE] = "__tsan_release_merge (racereleasemerge)",
	[E_RELEASE_ACQUIRE] = "__tsan_release_acquire (racereleaseacquire)",
	[E_FINALIZER] = "__tsan_finalizer_goroutine (racefingo)",
	[E_A32_STORE] = "__tsan_go_atomic32_store",
	[E_A64_STORE] = "__tsan_go_atomic64_store",
	[E_A32_ADD] = "__tsan_go_atomic32_fetch_add",
	[E_A64_ADD] = "__tsan_go_atomic64_fetch_add",
	[E_A32_XCHG] = "__tsan_go_atomic32_exchange",
	[E_A64_XCHG] = "__tsan_go_atomic64_exchange",
	[E_A32_CAS] = "__tsan_go_atomic32_compare_exchange",
	[E_A64_CAS] = "__tsan_go_atomic64_compare_exchange",
	[E_GETPROC] = "raceGetProcCmd (TSan asking Go for the Processor)",
};

/* ---- The flight record (racewire/flight.h's format) ------------------------- */

static struct rw_flight_header *fl_hdr;
static char *fl_base;
static size_t fl_ring_size;

static uint64_t now_ns(void)
{
	struct {
		long s, ns;
	} ts = {0, 0};
	clock_gettime(1 /* CLOCK_MONOTONIC */, (struct timespec *)&ts);
	return (uint64_t)ts.s * 1000000000u + (uint64_t)ts.ns;
}

static void flight_open(void)
{
	if (!opt.flight[0])
		return;
	uint32_t nslots = 256, nev = (uint32_t)opt.flight_events;
	fl_ring_size = sizeof(struct rw_flight_ring) + (size_t)nev * sizeof(struct rw_flight_event);
	size_t size = RW_FLIGHT_HEADER_SIZE + nslots * fl_ring_size;
	long fd = sys3(SYS_open, (long)opt.flight, 02 | 0100 | 01000 | 02000000 /* RDWR|CREAT|TRUNC|CLOEXEC */, 0644);
	if (fd < 0 || sys3(SYS_ftruncate, fd, (long)size, 0) < 0) {
		struct msg m;
		m.n = 0;
		m_str(&m, "racewire: warning: flight record '");
		m_str(&m, opt.flight);
		m_str(&m, "' cannot be created; no flight record\n");
		put(m.buf, m.n);
		if (fd >= 0)
			sys3(SYS_close, fd, 0, 0);
		return;
	}
	long p = sys6(SYS_mmap, 0, (long)size, 3 /* RW */, 1 /* SHARED */, fd, 0);
	sys3(SYS_close, fd, 0, 0);
	if (p < 0 && p > -4096)
		return;
	fl_hdr = (struct rw_flight_header *)p;
	fl_base = (char *)p + RW_FLIGHT_HEADER_SIZE;
	fl_hdr->version = RW_FLIGHT_VERSION;
	fl_hdr->nslots = nslots;
	fl_hdr->nevents = nev;
	fl_hdr->pid = (uint32_t)sys3(SYS_getpid, 0, 0, 0);
	fl_hdr->start_ns = now_ns();
	for (int i = 0; i < 8; i++)
		fl_hdr->magic[i] = RW_FLIGHT_MAGIC[i];
}

/* One ring per M, found through m.id; an M beyond the rings records nothing. */
static void flight(uintptr_t m, uint32_t kind, uint32_t proc, uint32_t task, uint64_t pc, uint64_t arg)
{
	if (!fl_hdr || !m)
		return;
	uint64_t id = *(int64_t *)(m + RW_GO_M_ID);
	if (id >= fl_hdr->nslots) {
		__atomic_fetch_add(&fl_hdr->lost_threads, 1, __ATOMIC_RELAXED);
		return;
	}
	struct rw_flight_ring *r = (struct rw_flight_ring *)(fl_base + id * fl_ring_size);
	if (r->tid == 0) {
		/* A ring belongs to one M for the process's life; only its M writes it. */
		r->m = (uint32_t)id;
		r->tid = (uint32_t)AT(m, RW_GO_M_PROCID);
		uint32_t used = __atomic_load_n(&fl_hdr->used_slots, __ATOMIC_RELAXED);
		while (used < id + 1 && !__atomic_compare_exchange_n(&fl_hdr->used_slots, &used, (uint32_t)id + 1,
		                                                    0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	uint64_t i = r->head;
	struct rw_flight_event *e = (struct rw_flight_event *)(r + 1) + i % fl_hdr->nevents;
	e->seq = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	e->ns = now_ns();
	e->kind = kind;
	e->proc = proc;
	e->task = task;
	e->pc = pc;
	e->arg = arg;
	__atomic_store_n(&e->seq, i + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->head, i + 1, __ATOMIC_RELEASE);
}

/* ---- Diagnoses ------------------------------------------------------------------ */

static uint64_t tid_of_m(uintptr_t m)
{
	uint64_t t = m ? AT(m, RW_GO_M_PROCID) : 0;
	/* m.procid is set in minit; m0 calls TSan before that (schedinit). */
	return t ? t : (uint64_t)sys3(SYS_gettid, 0, 0, 0);
}

static void fatal_head(struct msg *m, const char *headline, enum entry e, uintptr_t g)
{
	m_str(m, "racewire: FATAL: ");
	m_str(m, headline);
	m_str(m, "\nracewire:   entry point: ");
	m_str(m, entry_name[e]);
	m_str(m, "\nracewire:   this thread: tid ");
	uintptr_t gm = g ? AT(g, RW_GO_G_M) : 0;
	m_dec(m, tid_of_m(gm));
	if (gm) {
		m_str(m, " (M");
		m_dec(m, AT(gm, RW_GO_M_ID));
		m_str(m, ")");
	}
	m_str(m, "\nracewire:   goroutine: ");
	m_dec(m, g ? AT(g, RW_GO_G_GOID) : 0);
	m_str(m, " (Go goid; TSan ThreadState ");
	m_hex(m, g ? AT(g, RW_GO_G_RACECTX) : 0);
	m_str(m, ")");
}

static _Atomic uint64_t ndropped_calls;  /* policy=drop: misplaced race calls not run */
static _Atomic uint64_t nborrowed_calls; /* policy=borrow: run on a spare Processor */

/* The end of every diagnosis. policy=abort (the default): the FATAL block,
 * then abort, and Go's SIGABRT handler adds every goroutine's stack. The
 * other policies report the first misplaced call as a warning block and
 * count every one: borrow runs it on a spare Processor that only this
 * thread holds meanwhile (TSan's state stays whole and the call keeps its
 * happens-before edge); drop does not run it (the edge is lost). A call
 * that cannot be dropped (a goroutine start: Go needs its ThreadState; an
 * atomic: TSan does the operation) is borrowed under drop too. */
static void violation_end(struct msg *m, uintptr_t gm, enum entry e, int action)
{
	m_str(m, "\nracewire:   seed: 001 (Go issue 27660: a race call outside the M's ownership of its P)\n");
	flight(gm, RW_FL_VIOLATION, 0, 0, 0, (uint64_t)e);
	if (action == P_ABORT) {
		put(m->buf, m->n);
		abort();
	}
	_Atomic uint64_t *n = action == P_DROP ? &ndropped_calls : &nborrowed_calls;
	if (atomic_fetch_add(n, 1) == 0) {
		/* "racewire: FATAL: " becomes "racewire: dropped ...: " */
		const char *pre = action == P_DROP ? "racewire: dropped (policy=drop): "
		                                   : "racewire: run on a spare Processor (policy=borrow): ";
		struct msg w;
		w.n = 0;
		m_str(&w, pre);
		for (size_t i = 17; i < m->n && w.n < sizeof w.buf; i++)
			w.buf[w.n++] = m->buf[i];
		put(w.buf, w.n);
	}
}

static int droppable(enum entry e)
{
	return e != E_GO_START && e < E_A32_STORE;
}

static int action_for(enum entry e)
{
	if (opt.policy == P_DROP && !droppable(e))
		return P_BORROW;
	return opt.policy;
}

/* ---- Spare Processors (policy=borrow) ---------------------------------------------- */

/* Made at __tsan_init, each held by at most one M at a time (CAS on its
 * owner). While an M holds one, TSan's GetProc callback answers it for that
 * M (getproc_cb), so the whole call runs on it. */
#define NSPARE 4
static void *spare[NSPARE];
static _Atomic uintptr_t spare_m[NSPARE];
static _Atomic int spares_out; /* spares held now: GetProc's one-load fast check */

static int borrow(uintptr_t m)
{
	if (!spare[0])
		return 0; /* none made: the call runs as Go asked */
	for (;;) {
		for (int i = 0; i < NSPARE; i++) {
			uintptr_t z = 0;
			if (spare[i] && atomic_compare_exchange_strong(&spare_m[i], &z, m)) {
				atomic_fetch_add(&spares_out, 1);
				return i + 1;
			}
		}
		sys3(24 /* sched_yield */, 0, 0, 0); /* all held: each for one TSan call */
	}
}

static void *borrowed_by(uintptr_t m)
{
	for (int i = 0; i < NSPARE; i++)
		if (atomic_load_explicit(&spare_m[i], memory_order_relaxed) == m)
			return spare[i];
	return NULL;
}

/* ---- Processor claims: one owner word per Processor ------------------------------ */

/* Processors are Go's P.raceprocctx, a few per process. Open addressing, keyed
 * by the Processor's address, slots taken lazily and never given back: a
 * destroyed Processor's slot is free again (owner 0) for a new one at the same
 * address. The owner word is the claiming thread's tid << 8 | entry point. */
#define NSLOTS 1024
/* One cache line per slot: two Ps' claims never share a line. */
static struct slot {
	_Atomic uintptr_t proc;
	_Atomic uint64_t owner;
	uint64_t goid;   /* the claimer's goroutine, for the other thread's report */
	uint64_t pad[5];
} slots[NSLOTS] __attribute__((aligned(64)));

static struct slot *slot_of(uintptr_t proc)
{
	size_t i = (size_t)((proc >> 4) * 0x9e3779b97f4a7c15ull >> 54) & (NSLOTS - 1);
	for (size_t n = 0; n < NSLOTS; n++, i = (i + 1) & (NSLOTS - 1)) {
		uintptr_t k = atomic_load_explicit(&slots[i].proc, memory_order_relaxed);
		if (k == proc)
			return &slots[i];
		if (k == 0) {
			uintptr_t z = 0;
			if (atomic_compare_exchange_strong(&slots[i].proc, &z, proc) || z == proc)
				return &slots[i];
		}
	}
	return NULL; /* more Processors than slots: unguarded, never wrong */
}

static _Atomic uint64_t dropped;      /* annotations after racefini began */
static _Atomic int fini_begun;

/* Guarantee 1 applies: opt.wiring, and g found where the pinned offsets say
 * (__tsan_init); one load on the fast path instead of two. */
static int wiring_on;

/* ---- Per-M call state: claims taken when TSan uses the Processor ------------------ */

/* TSan's Go mode has no Processor of its own for a goroutine: every use of
 * one (a sync object or block allocated or freed, a free of Go memory) asks
 * Go through the GetProc callback (tsan_go.cpp, ThreadState::proc), which
 * racewire answers in getproc_cb. So the claim is taken there, the first
 * time the call uses the Processor, and held until the guarded call
 * returns: two threads are never inside TSan with one Processor at once,
 * and the calls that do not use it - nearly all acquires, releases and
 * atomics once their sync object exists - pay no atomic instruction. The
 * wiring check (a P, owned by this M) still runs on every call: seed 001's
 * call in the syscall window is named whether or not it needed the
 * Processor.
 *
 * The state of an M's guarded call lives in mstate[m.id]: Go never reuses
 * an M's id, and only the M writes its record (plain stores), so the fast
 * path has no atomics. Another thread reads it only to name the claimer.
 * An M whose id is beyond the table claims eagerly around every call
 * instead (wire_eager), as cheap to get right and rare. */
#define NMSTATE 1024
/* One cache line per M: Ms writing their own records never share a line. */
static struct mstate {
	uint32_t depth;       /* guarded calls in progress (nested: a callback into Go) */
	uint32_t entry;       /* the innermost call's entry point */
	uint32_t held;        /* claimed or spare is set: leave has work to do */
	struct slot *claimed; /* the claim getproc_cb took, released at depth 0 */
	int spare;            /* a spare Processor held (index + 1): policy=borrow */
	uint32_t pid;         /* P id + 1, for the flight record */
	uintptr_t m;          /* the M, set with claimed (the flight record's ring) */
	uint64_t pad[3];
} mstate[NMSTATE] __attribute__((aligned(64)));
_Static_assert(sizeof(struct mstate) == 64, "one cache line per M");

/* What a guarded call holds while TSan runs it. */
struct claim {
	struct mstate *ms; /* NULL: an eager claim (or none) */
	struct slot *s;    /* the eager claim: NULL, nothing to release */
	uintptr_t m;
	uint32_t pid;      /* P id + 1 for the flight record */
	int drop;          /* policy=drop and the call is misplaced: do not run it */
	int spare;         /* policy=borrow: the spare Processor held (index + 1) */
};

static __attribute__((noinline, cold)) void conflict(enum entry e, uintptr_t g, uintptr_t proc, uint64_t other)
{
	struct msg m;
	m.n = 0;
	fatal_head(&m, "two OS threads drive one TSan Processor at once", e, g);
	m_str(&m, "\nracewire:   other thread: tid ");
	m_dec(&m, other >> 8);
	m_str(&m, ", inside ");
	m_str(&m, entry_name[(other & 0xff) < E_COUNT ? other & 0xff : 0]);
	m_str(&m, "\nracewire:   processor: ");
	m_hex(&m, proc);
	violation_end(&m, g ? AT(g, RW_GO_G_M) : 0, e, action_for(e));
}

/* Claim slot s for the calling M: its owner word becomes this thread's
 * tid << 8 | the entry point, so that a second thread names both. Returns
 * 1 when claimed, 0 when this thread holds it already (an outer call on
 * this thread: it releases it), -1 when another thread holds it (after
 * the diagnosis, which returned only under policy borrow or drop). */
static int claim_slot(struct slot *s, enum entry e, uintptr_t g, uintptr_t m, uintptr_t proc)
{
	uint64_t self = tid_of_m(m) << 8 | (uint64_t)e;
	uint64_t cur = 0;
	if (atomic_compare_exchange_strong_explicit(&s->owner, &cur, self, memory_order_acquire,
	                                            memory_order_relaxed)) {
		s->goid = AT(g, RW_GO_G_GOID);
		return 1;
	}
	if ((cur >> 8) == (self >> 8))
		return 0;
	conflict(e, g, proc, cur);
	return -1;
}

static inline void release_slot(struct slot *s, uintptr_t m, uint32_t pid)
{
	if (fl_hdr)
		flight(m, RW_FL_UNWIRE, pid, 0, 0, 0);
	atomic_store_explicit(&s->owner, 0, memory_order_release);
}

/* Go itself points m.p at a P it does not own in one place: p.destroy
 * (procresize, the world stopped) sets m.p to the dying P so that TSan's
 * GetProc callback finds that P's Processor while racectxend ends its timer
 * goroutine ("This hack only works because we are the only thread
 * running"). That P is stopped (_Pgcstop) and owned by no M; in the syscall
 * window of seed 001 the P is _Psyscall, or running or idle elsewhere. */
static inline int stw_hack(uintptr_t p)
{
	return AT(p, RW_GO_P_M) == 0 && *(uint32_t *)(p + RW_GO_P_STATUS) == RW_GO_CONST__PGCSTOP;
}

/* The calling M holds no P, or a P it does not own: seed 001's misuse. */
static __attribute__((noinline, cold)) void miswired(enum entry e, uintptr_t g, uintptr_t m, uintptr_t p)
{
	struct msg msg;
	msg.n = 0;
	uintptr_t oldp = AT(m, RW_GO_M_OLDP);
	if (p == 0) {
		fatal_head(&msg, "race call from an M that holds no P (inside a syscall or cgo call window)", e, g);
		m_str(&msg, "\nracewire:   m.oldp: ");
		m_hex(&msg, oldp);
		p = oldp;
	} else {
		fatal_head(&msg, "race call from an M that does not own its P", e, g);
	}
	if (p) {
		uintptr_t owner = AT(p, RW_GO_P_M);
		m_str(&msg, "\nracewire:   P: ");
		m_dec(&msg, (uint32_t)*(int32_t *)(p + RW_GO_P_ID));
		m_str(&msg, ", processor ");
		m_hex(&msg, AT(p, RW_GO_P_RACEPROCCTX));
		m_str(&msg, ", now owned by ");
		if (owner) {
			m_str(&msg, "M");
			m_dec(&msg, AT(owner, RW_GO_M_ID));
			m_str(&msg, "\nracewire:   other thread: tid ");
			m_dec(&msg, tid_of_m(owner));
		} else {
			m_str(&msg, "no M (idle, or in a syscall)");
		}
	}
	violation_end(&msg, m, e, action_for(e));
}

/* After a diagnosis that returned (policy borrow or drop). */
static struct claim misplaced(struct claim c, enum entry e, uintptr_t m)
{
	if (action_for(e) == P_DROP)
		c.drop = 1;
	else
		c.spare = borrow(m);
	return c;
}

/* An M beyond mstate: claim the Processor around the whole call. */
static __attribute__((noinline)) struct claim wire_eager(struct claim c, enum entry e, uintptr_t g, uintptr_t p)
{
	uintptr_t proc = AT(p, RW_GO_P_RACEPROCCTX);
	struct slot *s = slot_of(proc);
	if (!s)
		return c;
	int r = claim_slot(s, e, g, c.m, proc);
	if (r < 0)
		return misplaced(c, e, c.m);
	if (r > 0) {
		c.s = s;
		if (fl_hdr)
			flight(c.m, RW_FL_WIRE, c.pid, (uint32_t)s->goid, 0, (uint64_t)e);
	}
	return c;
}

/* Check the calling M's wiring (guarantee 1) and open its guarded call; the
 * claim comes later, in getproc_cb, if TSan uses the Processor. Fast path:
 * four dependent loads (g, m, p, p.m), the M's id, two plain stores. */
static inline struct claim wire(enum entry e)
{
	struct claim c = {NULL, NULL, 0, 0, 0, 0};
	if (!wiring_on)
		return c;
	uintptr_t g = go_g();
	uintptr_t m = AT(g, RW_GO_G_M);
	uintptr_t p = AT(m, RW_GO_M_P);
	c.m = m;
	if (__builtin_expect(p == 0 || (AT(p, RW_GO_P_M) != m && !stw_hack(p)), 0)) {
		miswired(e, g, m, p);
		return misplaced(c, e, m);
	}
	if (fl_hdr)
		c.pid = (uint32_t)*(int32_t *)(p + RW_GO_P_ID) + 1;
	uint64_t id = AT(m, RW_GO_M_ID);
	if (__builtin_expect(id >= NMSTATE, 0))
		return wire_eager(c, e, g, p);
	struct mstate *ms = &mstate[id];
	ms->depth++;
	ms->entry = e;
	c.ms = ms;
	return c;
}

static void give_back_spare(int spare_index)
{
	atomic_fetch_sub(&spares_out, 1);
	atomic_store(&spare_m[spare_index - 1], 0);
}

/* The outermost guarded call of an M returns: what getproc_cb took for it. */
static __attribute__((noinline)) void end_claims(struct mstate *ms)
{
	if (ms->spare) {
		give_back_spare(ms->spare);
		ms->spare = 0;
	}
	if (ms->claimed) {
		release_slot(ms->claimed, ms->m, ms->pid);
		ms->claimed = NULL;
	}
	ms->held = 0;
}

static inline void leave(struct mstate *ms)
{
	if (--ms->depth == 0 && __builtin_expect(ms->held, 0))
		end_claims(ms);
}

static inline void unwire(struct claim c)
{
	if (__builtin_expect(c.spare, 0))
		give_back_spare(c.spare);
	if (c.ms)
		leave(c.ms);
	else if (c.s)
		release_slot(c.s, c.m, c.pid);
}

/* The fast path applies (the guard on, no flight record, racefini not
 * begun): one load instead of three. Cleared by __tsan_fini. */
static _Atomic int fast_on;

/* Every wrapped entry point starts here: guarantee 1's wiring check and
 * the M's call record, and nothing more. NULL sends the call to its slow
 * path (wire and unwire), which also handles the guard off, the flight
 * record, racefini, Go's own stop-the-world exception, a misplaced call
 * and an M beyond mstate. Four dependent loads (g, m, p, p.m), the M's
 * id, one increment and one store. */
static inline __attribute__((always_inline)) struct mstate *enter(enum entry e)
{
	if (__builtin_expect(!atomic_load_explicit(&fast_on, memory_order_relaxed), 0))
		return NULL;
	uintptr_t g = go_g();
	uintptr_t m = AT(g, RW_GO_G_M);
	uintptr_t p = AT(m, RW_GO_M_P);
	if (__builtin_expect(p == 0 || AT(p, RW_GO_P_M) != m, 0))
		return NULL;
	uint64_t id = AT(m, RW_GO_M_ID);
	if (__builtin_expect(id >= NMSTATE, 0))
		return NULL;
	struct mstate *ms = &mstate[id];
	ms->depth++;
	ms->entry = e; /* for a diagnosis only: no branch to keep the outer one */
	return ms;
}

/* Guarantee 3: once racefini has begun, TSan is finalizing; a late
 * annotation from another goroutine is dropped and counted, not run. */
static inline int late(void)
{
	if (__builtin_expect(atomic_load_explicit(&fini_begun, memory_order_relaxed), 0) && opt.fini) {
		atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
		return 1;
	}
	return 0;
}

/* ---- The GetProc callback (guarantee 2) ------------------------------------------- */

static rw_go_cb go_cb;

/* Guarantee 1's claim, taken the first time a guarded call's TSan work
 * uses the Processor (see mstate). Returns 1 when it answered the callback
 * itself: a claim lost to another thread under policy borrow or drop runs
 * the rest of the call on a spare Processor (drop cannot undo a call TSan
 * is already running). Calls outside a guarded entry point (malloc: Go
 * 1.19 passes no ThreadState, so TSan allocates no block) claim nothing. */
static int claim_on_use(uintptr_t g, uintptr_t m, void *ctx)
{
	uint64_t id = AT(m, RW_GO_M_ID);
	if (id >= NMSTATE)
		return 0; /* wire_eager claimed around the call */
	struct mstate *ms = &mstate[id];
	if (ms->depth == 0 || ms->claimed || ms->spare)
		return 0;
	uintptr_t p = AT(m, RW_GO_M_P);
	uintptr_t proc = AT(p, RW_GO_P_RACEPROCCTX);
	struct slot *s = slot_of(proc);
	if (!s)
		return 0;
	int r = claim_slot(s, (enum entry)ms->entry, g, m, proc);
	if (r > 0) {
		ms->claimed = s;
		ms->held = 1;
		ms->m = m;
		ms->pid = (uint32_t)*(int32_t *)(p + RW_GO_P_ID) + 1;
		if (fl_hdr)
			flight(m, RW_FL_WIRE, ms->pid, (uint32_t)s->goid, 0, ms->entry);
		return 0;
	}
	if (r < 0) {
		ms->spare = borrow(m);
		ms->held = ms->spare != 0;
		if (ms->spare) {
			*(void **)ctx = spare[ms->spare - 1];
			return 1;
		}
	}
	return 0;
}

/* TSan asks Go for the Processor (command 0, raceGetProcCmd); Go 1.19's
 * racecallbackthunk answers g.m.p.raceprocctx and, with no P, dereferences
 * nil and dies with SIGSEGV inside race_amd64.s, far from the cause. */
static void getproc_cb(uintptr_t cmd, void *ctx)
{
	if (cmd == 0 && offsets_ok) {
		uintptr_t g = go_g();
		uintptr_t m = AT(g, RW_GO_G_M);
		/* An M that holds a spare (policy=borrow, a misplaced call or a
		 * claim lost to another thread) runs its whole call on it. */
		if (__builtin_expect(atomic_load_explicit(&spares_out, memory_order_relaxed) != 0, 0)) {
			void *sp = borrowed_by(m);
			if (sp) {
				*(void **)ctx = sp;
				return;
			}
		}
		if (__builtin_expect(AT(m, RW_GO_M_P) == 0, 0) && opt.getproc) {
			struct msg msg;
			msg.n = 0;
			fatal_head(&msg, "TSan asked for the Processor on an M that holds no P", E_GETPROC, g);
			m_str(&msg, "\nracewire:   m.oldp: ");
			m_hex(&msg, AT(m, RW_GO_M_OLDP));
			m_str(&msg, "\nracewire:   note: unguarded, Go's racecallbackthunk dereferences the nil P (SIGSEGV)");
			violation_end(&msg, m, E_GETPROC, P_ABORT);
		}
		if (wiring_on && claim_on_use(g, m, ctx))
			return;
	}
	go_cb(cmd, ctx);
}

/* ---- Options --------------------------------------------------------------------- */

static _Noreturn void bad_options(const char *what, const char *item, size_t len)
{
	struct msg m;
	m.n = 0;
	m_str(&m, "racewire: FATAL: bad RACEWIRE_OPTIONS: ");
	m_str(&m, what);
	m_str(&m, "\nracewire:   item: ");
	for (size_t i = 0; i < len && m.n < sizeof m.buf; i++)
		m.buf[m.n++] = item[i];
	m_str(&m, "\nracewire:   known options: " KNOWN "\n");
	put(m.buf, m.n);
	sys3(SYS_exit_group, 2, 0, 0);
	__builtin_unreachable();
}

static int keyis(const char *item, size_t klen, const char *key)
{
	size_t i = 0;
	for (; i < klen && key[i]; i++)
		if (item[i] != key[i])
			return 0;
	return i == klen && key[i] == 0;
}

/* The C library's syntax: key=value items separated by ':', ',' or white
 * space. All or nothing: a bad item stops the program before Go runs, so a
 * typo never leaves a guard silently off. */
static void copy_opts(struct rw__go_opts *to, const struct rw__go_opts *from)
{
	/* By hand: a struct assignment may become a call to memcpy, which TSan's
	 * object does not import (built with -fno-tree-loop-distribute-patterns). */
	const char *f = (const char *)from;
	char *t = (char *)to;
	for (size_t i = 0; i < sizeof *to; i++)
		t[i] = f[i];
}

static void parse_options(const char *s)
{
	struct rw__go_opts o;
	copy_opts(&o, &opt);
	while (*s) {
		while (*s == ':' || *s == ',' || *s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		const char *item = s;
		while (*s && *s != ':' && *s != ',' && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		size_t len = (size_t)(s - item), klen = 0;
		while (klen < len && item[klen] != '=')
			klen++;
		if (klen == len)
			bad_options("an item is not key=value", item, len);
		const char *v = item + klen + 1;
		size_t vlen = len - klen - 1;
		if (keyis(item, klen, "flight")) {
			if (vlen == 0 || vlen >= sizeof o.flight)
				bad_options("flight needs a path of 1 to 255 characters", item, len);
			for (size_t i = 0; i < vlen; i++)
				o.flight[i] = v[i];
			o.flight[vlen] = 0;
			continue;
		}
		if (keyis(item, klen, "policy")) {
			if (keyis(v, vlen, "abort"))
				o.policy = P_ABORT;
			else if (keyis(v, vlen, "borrow"))
				o.policy = P_BORROW;
			else if (keyis(v, vlen, "drop"))
				o.policy = P_DROP;
			else
				bad_options("policy is abort, borrow or drop", item, len);
			continue;
		}
		long n = 0;
		if (vlen == 0 || vlen > 6)
			bad_options("the value is not a small integer", item, len);
		for (size_t i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				bad_options("the value is not a small integer", item, len);
			n = n * 10 + (v[i] - '0');
		}
		int *bit = NULL;
		if (keyis(item, klen, "guard_wiring"))
			bit = &o.wiring;
		else if (keyis(item, klen, "guard_getproc"))
			bit = &o.getproc;
		else if (keyis(item, klen, "guard_fini"))
			bit = &o.fini;
		if (bit || keyis(item, klen, "guards")) {
			if (n > 1)
				bad_options("a guard switch is 0 or 1", item, len);
			if (bit)
				*bit = (int)n;
			else
				o.wiring = o.getproc = o.fini = (int)n;
		} else if (keyis(item, klen, "verbosity")) {
			if (n > 2)
				bad_options("verbosity is 0, 1 or 2", item, len);
			o.verbosity = (int)n;
		} else if (keyis(item, klen, "flight_events")) {
			if (n < 16 || n > 65536)
				bad_options("flight_events is in [16, 65536]", item, len);
			o.flight_events = (int)n;
		} else {
			bad_options("unknown option", item, len);
		}
	}
	copy_opts(&opt, &o);
}

/* Read RACEWIRE_OPTIONS from /proc/self/environ: getenv is not among the
 * symbols TSan's object imports, and Go has no C environment yet at
 * __tsan_init (schedinit). */
static char envbuf[1 << 18];
static void read_options(void)
{
	long fd = sys3(SYS_open, (long)"/proc/self/environ", 0 | 02000000, 0);
	if (fd < 0)
		return;
	size_t len = 0;
	for (;;) {
		long r = sys3(SYS_read, fd, (long)(envbuf + len), (long)(sizeof envbuf - 1 - len));
		if (r == -4)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len >= sizeof envbuf - 1)
			break;
	}
	sys3(SYS_close, fd, 0, 0);
	envbuf[len] = 0;
	static const char key[] = "RACEWIRE_OPTIONS=";
	for (size_t i = 0; i < len; i++) {
		size_t j = 0;
		while (key[j] && envbuf[i + j] == key[j])
			j++;
		if (!key[j]) {
			parse_options(envbuf + i + j);
			return;
		}
		while (i < len && envbuf[i])
			i++;
	}
}

/* ---- The wrapped entry points ------------------------------------------------------- */

void __tsan_init(void **thrp, void **procp, rw_go_cb cb)
{
	read_options();
	/* raceinit runs on m0's g0 (schedinit): g.m.g0 must be g itself, or the
	 * g slot or the offsets are not what go/pairs.tsv says. */
	uintptr_t g = go_g();
	uintptr_t m = g ? AT(g, RW_GO_G_M) : 0;
	offsets_ok = m && AT(m, RW_GO_M_G0) == g;
	wiring_on = opt.wiring && offsets_ok;
	if (!offsets_ok && (opt.wiring || opt.getproc) && opt.verbosity >= 1) {
		static const char w[] = "racewire: warning: Go's g is not at %fs:-8 with the pinned offsets "
		                        "(C thread-locals in the executable?): Processor guards are off\n";
		put(w, sizeof w - 1);
	}
	go_cb = cb;
	flight_open();
	atomic_store(&fast_on, wiring_on && !fl_hdr);
	rw__tsan_init(thrp, procp, getproc_cb);
	if (opt.policy == P_BORROW || opt.policy == P_DROP)
		for (int i = 0; i < NSPARE; i++)
			__tsan_proc_create(&spare[i]);
}

void rw__tsan_exit(int code);
void rw__tsan_exit(int code)
{
	uint64_t n = atomic_load(&dropped);
	if (opt.verbosity >= 2) {
		struct msg m;
		m.n = 0;
		m_str(&m, "racewire: ");
		m_dec(&m, n);
		m_str(&m, " annotation(s) dropped after racefini began\n");
		put(m.buf, m.n);
	}
	uint64_t nd = atomic_load(&ndropped_calls);
	if (nd && opt.verbosity >= 1) {
		struct msg m;
		m.n = 0;
		m_str(&m, "racewire: ");
		m_dec(&m, nd);
		m_str(&m, " misplaced race call(s) dropped (policy=drop)\n");
		put(m.buf, m.n);
	}
	nd = atomic_load(&nborrowed_calls);
	if (nd && opt.verbosity >= 1) {
		struct msg m;
		m.n = 0;
		m_str(&m, "racewire: ");
		m_dec(&m, nd);
		m_str(&m, " misplaced race call(s) run on a spare Processor (policy=borrow)\n");
		put(m.buf, m.n);
	}
	if (fl_hdr)
		flight(offsets_ok ? AT(go_g(), RW_GO_G_M) : 0, RW_FL_FINALIZE, 0, 0, 0, n);
	exit(code);
}

void __tsan_fini(void)
{
	atomic_store(&fast_on, 0);
	atomic_store(&fini_begun, 1);
	rw__tsan_fini();
}

/* Each entry point is its fast path (enter, TSan, leave) in front of its
 * slow path (slow_NAME: late, wire, TSan, unwire), kept out of line so
 * that the fast path needs no frame for struct claim. */
#define RW_FAST(name, e, params, args)          \
	void __tsan_##name params                 \
	{                                         \
		struct mstate *ms = enter(e);     \
		if (__builtin_expect(!ms, 0)) {   \
			slow_##name args;         \
			return;                   \
		}                                 \
		rw__tsan_##name args;             \
		leave(ms);                        \
	}

static __attribute__((noinline)) void slow_free(uintptr_t p, uintptr_t sz)
{
	if (late())
		return;
	struct claim c = wire(E_FREE);
	if (c.drop)
		return;
	rw__tsan_free(p, sz);
	unwire(c);
}
RW_FAST(free, E_FREE, (uintptr_t p, uintptr_t sz), (p, sz))

/* Never dropped (after racefini, or by policy=drop): Go needs the new
 * ThreadState. */
static __attribute__((noinline)) void slow_go_start(void *parent, void **pthr, void *pc)
{
	struct claim c = wire(E_GO_START);
	rw__tsan_go_start(parent, pthr, pc);
	if (fl_hdr && c.m) {
		/* arg: the new goroutine's ThreadState */
		flight(c.m, RW_FL_TASK_SWITCH, c.pid, 0, (uint64_t)(uintptr_t)pc, (uint64_t)(uintptr_t)*pthr);
	}
	unwire(c);
}
RW_FAST(go_start, E_GO_START, (void *parent, void **pthr, void *pc), (parent, pthr, pc))

static __attribute__((noinline)) void slow_go_end(void *thr)
{
	if (late())
		return;
	struct claim c = wire(E_GO_END);
	if (c.drop)
		return;
	if (fl_hdr && c.m)
		flight(c.m, RW_FL_TASK_SWITCH, c.pid, 0, 0, 0);
	rw__tsan_go_end(thr);
	unwire(c);
}
RW_FAST(go_end, E_GO_END, (void *thr), (thr))

/* The Processor being destroyed is the argument, not the caller's (procresize
 * destroys other Ps' Processors during stop-the-world): claim that one. */
void __tsan_proc_destroy(void *proc)
{
	struct slot *s = opt.wiring ? slot_of((uintptr_t)proc) : NULL;
	uint64_t cur = 0;
	uintptr_t g = offsets_ok ? go_g() : 0;
	uintptr_t m = g ? AT(g, RW_GO_G_M) : 0;
	if (s && !atomic_compare_exchange_strong(&s->owner, &cur, tid_of_m(m) << 8 | E_PROC_DESTROY)) {
		conflict(E_PROC_DESTROY, g, (uintptr_t)proc, cur);
		if (action_for(E_PROC_DESTROY) == P_DROP)
			return;
	}
	rw__tsan_proc_destroy(proc);
	if (s)
		atomic_store(&s->owner, 0);
}

/* Acquire does not use the Processor (the sync object already exists or
 * nothing happens) but is the very call seed 001 made in the window: the
 * wiring is checked like every other call's. Acquires and releases after
 * racefini began are dropped (guarantee 3), and so are misplaced ones
 * under policy=drop. */
#define RW_SYNC(name, e)                                                \
	static __attribute__((noinline)) void slow_##name(void *thr, void *addr) \
	{                                                               \
		if (late())                                             \
			return;                                         \
		struct claim c = wire(e);                               \
		if (c.drop)                                             \
			return;                                         \
		rw__tsan_##name(thr, addr);                             \
		unwire(c); /* a spare, if policy=borrow lent one */     \
	}                                                               \
	RW_FAST(name, e, (void *thr, void *addr), (thr, addr))
RW_SYNC(acquire, E_ACQUIRE)
RW_SYNC(release, E_RELEASE)
RW_SYNC(release_merge, E_RELEASE_MERGE)
RW_SYNC(release_acquire, E_RELEASE_ACQUIRE)

static __attribute__((noinline)) void slow_finalizer_goroutine(void *thr)
{
	if (late())
		return;
	struct claim c = wire(E_FINALIZER);
	if (c.drop)
		return;
	rw__tsan_finalizer_goroutine(thr);
	unwire(c);
}
RW_FAST(finalizer_goroutine, E_FINALIZER, (void *thr), (thr))

/* Atomics do the operation itself inside TSan: never dropped (policy=drop
 * reports them and runs them). Loads do not use the Processor and are not
 * wrapped. */
#define RW_ATOMIC(op, e)                                                                      \
	static __attribute__((noinline)) void slow_go_##op(void *thr, uintptr_t cpc, uintptr_t pc, \
	                                                  void *a)                                \
	{                                                                                         \
		struct claim c = wire(e);                                                         \
		rw__tsan_go_##op(thr, cpc, pc, a);                                                \
		unwire(c);                                                                        \
	}                                                                                         \
	RW_FAST(go_##op, e, (void *thr, uintptr_t cpc, uintptr_t pc, void *a), (thr, cpc, pc, a))
RW_ATOMIC(atomic32_store, E_A32_STORE)
RW_ATOMIC(atomic64_store, E_A64_STORE)
RW_ATOMIC(atomic32_fetch_add, E_A32_ADD)
RW_ATOMIC(atomic64_fetch_add, E_A64_ADD)
RW_ATOMIC(atomic32_exchange, E_A32_XCHG)
RW_ATOMIC(atomic64_exchange, E_A64_XCHG)
RW_ATOMIC(atomic32_compare_exchange, E_A32_CAS)
RW_ATOMIC(atomic64_compare_exchange, E_A64_CAS)
