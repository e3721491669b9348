/*
 * bench/annotate: what the guard costs on the annotation path.
 *
 * Each figure is racewire's call against the same TSan call made directly
 * with the ThreadState taken from a thread-local variable, which is what
 * any runtime must do without racewire. Also wire+unwire round trips, and
 * the transitions Go's cgo makes: a foreign call (enter, the wire that
 * takes the context back, exit) against the TSan calls Go's cgocall makes
 * (racereleasemerge before, raceacquire after), and a callback from inside
 * one (enter, wire, exit, unwire) against cgocallbackg's (raceacquire,
 * racereleasemerge).
 *
 *   annotate            time every pair; print ns per call and the ratio
 *   annotate --loop OP N   run one loop only (for callgrind, see run.sh):
 *                       OP is one of the loop names printed by the timed run
 *   annotate --checked --loop OP N   the same in checked mode (check_access=1)
 *
 * Checked mode and the misuse checks (issue 11) cost something only where
 * they run: read/write "checked" is every access through the slow path
 * with its address tested; func enter+exit is the fast path's depth test;
 * malloc+free is the live-block table; range is the shadowed-range test.
 */
#include <racewire.h>

/* Checked mode is switched on in the middle of the run, to measure it
 * beside unchecked in one process: racewire's own option word. */
#include "../shim/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* The direct baseline calls Go-mode TSan as a runtime of its own would,
 * so it declares the ABI itself (racewire.h keeps these names private). */
void __tsan_read(void *thr, void *addr, void *pc);
void __tsan_write(void *thr, void *addr, void *pc);
void __tsan_acquire(void *thr, void *addr);
void __tsan_release(void *thr, void *addr);
void __tsan_func_enter(void *thr, void *pc);
void __tsan_func_exit(void *thr);
void __tsan_malloc(void *thr, uintptr_t pc, uintptr_t p, uintptr_t sz);
void __tsan_free(uintptr_t p, uintptr_t sz);
void __tsan_read_range(void *thr, void *addr, uintptr_t size, uintptr_t pc);
void __tsan_release_merge(void *thr, void *addr);

#define HEAP ((char *)0xc000000000ull)
#define SLOTS 1024

static _Thread_local void *direct_thr; /* a runtime's own g.racectx */
static rw_proc_t *main_proc;
static char *heap;
/* Go's racecgosync, for the direct baselines of the transitions. In .bss,
 * which rw_init registers with TSan. */
static char direct_cgosync;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Each loop spreads its accesses over SLOTS words so that TSan's shadow
 * work resembles real traffic rather than one hot cell. noinline: the
 * callgrind run measures each loop by name. */
#define LOOP(name, body)                                                  \
	__attribute__((noinline)) static void name(long n)                \
	{                                                                 \
		uintptr_t pc = RW_PC();                                   \
		for (long i = 0; i < n; i++) {                            \
			char *a = heap + (size_t)(i & (SLOTS - 1)) * 8;   \
			body;                                             \
		}                                                         \
		(void)pc;                                                 \
	}

LOOP(rw_acq_rel, rw_release(a); rw_acquire(a))
LOOP(direct_acq_rel, __tsan_release(direct_thr, a); __tsan_acquire(direct_thr, a))
LOOP(rw_read_loop, rw_read(a, pc))
LOOP(direct_read, __tsan_read(direct_thr, a, (void *)pc))
LOOP(rw_write_loop, rw_write(a, pc))
LOOP(direct_write, __tsan_write(direct_thr, a, (void *)pc))
LOOP(wire_unwire, (void)a; rw_proc_unwire(main_proc); rw_proc_wire(main_proc))
LOOP(rw_func_pair, (void)a; rw_func_enter(pc); rw_func_exit())
LOOP(direct_func_pair, (void)a; __tsan_func_enter(direct_thr, (void *)pc); __tsan_func_exit(direct_thr))
LOOP(rw_malloc_free, rw_malloc(a, 8, pc); rw_free(a, 8))
LOOP(direct_malloc_free, __tsan_malloc(direct_thr, pc, (uintptr_t)a, 8); __tsan_free((uintptr_t)a, 8))
LOOP(rw_range, rw_read_range(a, 64, pc))
LOOP(direct_range, __tsan_read_range(direct_thr, a, 64, pc))

/* A foreign call as md_cgocall makes it: enter gives the context up, the
 * wire (exitsyscall) takes it back, exit acquires. */
static rw_proc_t *released;
LOOP(foreign, (void)a; rw_foreign_enter(&released); rw_proc_wire(released); rw_foreign_exit())
LOOP(direct_foreign, (void)a; __tsan_release_merge(direct_thr, &direct_cgosync);
     __tsan_acquire(direct_thr, &direct_cgosync))

/* A callback as the model's callback_in_cgocall makes it, inside one open
 * foreign call: enter pins and owes the acquire, the wire (exitsyscall)
 * fires it, exit release-merges and unpins, the unwire goes back to C. */
__attribute__((noinline)) static void callback(long n)
{
	rw_callback_t cb;
	rw_foreign_enter(&released);
	for (long i = 0; i < n; i++) {
		rw_callback_enter(&cb);
		rw_proc_wire(released);
		rw_callback_exit(&cb);
		rw_proc_unwire(released);
	}
	rw_foreign_exit();
	rw_proc_wire(released);
}
LOOP(direct_callback, (void)a; __tsan_acquire(direct_thr, &direct_cgosync);
     __tsan_release_merge(direct_thr, &direct_cgosync))

struct loop {
	const char *name;
	void (*fn)(long);
	int calls_per_iter;
};

static const struct loop loops[] = {
	{"rw_acq_rel", rw_acq_rel, 2},
	{"direct_acq_rel", direct_acq_rel, 2},
	{"rw_read", rw_read_loop, 1},
	{"direct_read", direct_read, 1},
	{"rw_write", rw_write_loop, 1},
	{"direct_write", direct_write, 1},
	{"wire_unwire", wire_unwire, 1},
	{"rw_func_pair", rw_func_pair, 2},
	{"direct_func_pair", direct_func_pair, 2},
	{"rw_malloc_free", rw_malloc_free, 2},
	{"direct_malloc_free", direct_malloc_free, 2},
	{"rw_range", rw_range, 1},
	{"direct_range", direct_range, 1},
	{"foreign", foreign, 1},
	{"direct_foreign", direct_foreign, 1},
	{"callback", callback, 1},
	{"direct_callback", direct_callback, 1},
};

static const struct loop *find(const char *name)
{
	for (size_t i = 0; i < sizeof loops / sizeof *loops; i++)
		if (strcmp(loops[i].name, name) == 0)
			return &loops[i];
	return NULL;
}

/* Best of several rounds: the minimum is the figure least disturbed by
 * whatever else the machine is doing. */
static double ns_per_iter(const struct loop *l, long n)
{
	double best = 1e30;
	l->fn(n / 10);
	for (int round = 0; round < 7; round++) {
		double t0 = now_ns();
		l->fn(n);
		double t = (now_ns() - t0) / (double)n;
		if (t < best)
			best = t;
	}
	return best;
}

/* Checked mode from here on: every annotation through rw__slow. */
static void enter_checked_mode(void)
{
	rw__g.opts.check_access = 1;
	rw_proc_unwire(main_proc);
	rw_proc_wire(main_proc); /* refreshes the fast path's pointer: NULL */
}

static void pair(const char *what, const char *ours, const char *direct, long n, double target)
{
	const struct loop *a = find(ours), *b = find(direct);
	double ta = ns_per_iter(a, n), tb = ns_per_iter(b, n);
	double ratio = ta / tb;
	printf("%-18s racewire %6.2f ns  direct %6.2f ns  ratio %.3f  (target <= %.2f: %s)\n", what,
	       ta, tb, ratio, target, ratio <= target ? "met" : "MISSED");
}

int main(int argc, char **argv)
{
	rw_options_t o;
	rw_options_default(&o);
	o.check_access = 0; /* measured on its own, below */
	rw_task_t *main_task;
	if (rw_init(&o, &main_task, &main_proc) < 0) {
		fprintf(stderr, "rw_init: %s\n", rw_last_error());
		return 1;
	}
	heap = mmap(HEAP, 1 << 20, PROT_READ | PROT_WRITE,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (heap != HEAP || rw_map_heap(heap, 1 << 20) < 0) {
		fprintf(stderr, "heap at %p: %s\n", (void *)HEAP, rw_last_error());
		return 1;
	}
	/* The direct baseline drives the same task's ThreadState: the main
	 * task is current, so the fast path's own pointer is it. */
	direct_thr = rw__hot.thr;

	int checked = argc > 1 && strcmp(argv[1], "--checked") == 0;
	if (checked) {
		argc--;
		argv++;
		enter_checked_mode();
	}
	if (argc == 4 && strcmp(argv[1], "--loop") == 0) {
		const struct loop *l = find(argv[2]);
		if (!l) {
			fprintf(stderr, "annotate: unknown loop '%s'\n", argv[2]);
			return 2;
		}
		l->fn(atol(argv[3]));
		return 0;
	}
	if (checked) {
		fprintf(stderr, "usage: annotate --checked --loop NAME N\n");
		return 2;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: annotate [--loop NAME N]\n");
		return 2;
	}
	const long n = 2000000;
	printf("racewire bench: ns per call (best of 7 rounds of %ld), TSan release runtime\n", n);
	pair("acquire+release", "rw_acq_rel", "direct_acq_rel", n, 1.05);
	pair("read", "rw_read", "direct_read", n, 1.10);
	pair("write", "rw_write", "direct_write", n, 1.10);
	double w = ns_per_iter(find("wire_unwire"), n);
	printf("%-18s %6.2f ns per wire+unwire pair  (target < 50 ns: %s)\n", "wire+unwire", w,
	       w < 50 ? "met" : "MISSED");
	/* The transitions' target is Go's own cost: the TSan calls its cgo
	 * makes, and nothing else (issue 17). */
	double f = ns_per_iter(find("foreign"), n), fd = ns_per_iter(find("direct_foreign"), n);
	printf("%-18s racewire %6.2f ns  Go's TSan calls %6.2f ns  extra %6.2f ns\n",
	       "foreign call", f, fd, f - fd);
	double c = ns_per_iter(find("callback"), n), cd = ns_per_iter(find("direct_callback"), n);
	printf("%-18s racewire %6.2f ns  Go's TSan calls %6.2f ns  extra %6.2f ns\n",
	       "callback", c, cd, c - cd);
	/* The misuse checks, each where it runs (no targets: what they cost). */
	struct { const char *what, *ours, *direct; } checks[] = {
		{"func enter+exit", "rw_func_pair", "direct_func_pair"},
		{"malloc+free", "rw_malloc_free", "direct_malloc_free"},
		{"read_range 64", "rw_range", "direct_range"},
	};
	for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
		const struct loop *a = find(checks[i].ours), *b = find(checks[i].direct);
		double ta = ns_per_iter(a, n / 4), tb = ns_per_iter(b, n / 4);
		printf("%-18s racewire %6.2f ns  direct %6.2f ns  ratio %.3f  (checked: depth, "
		       "block table, range)\n", checks[i].what, ta, tb, ta / tb);
	}
	double rd = ns_per_iter(find("rw_read"), n), wr = ns_per_iter(find("rw_write"), n);
	enter_checked_mode();
	double crd = ns_per_iter(find("rw_read"), n), cwr = ns_per_iter(find("rw_write"), n);
	printf("%-18s checked %6.2f ns  unchecked %6.2f ns  ratio %.3f  (check_access=1)\n",
	       "read", crd, rd, crd / rd);
	printf("%-18s checked %6.2f ns  unchecked %6.2f ns  ratio %.3f  (check_access=1)\n",
	       "write", cwr, wr, cwr / wr);
	return 0;
}
