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
 */
#include <racewire.h>

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

	if (argc == 4 && strcmp(argv[1], "--loop") == 0) {
		const struct loop *l = find(argv[2]);
		if (!l) {
			fprintf(stderr, "annotate: unknown loop '%s'\n", argv[2]);
			return 2;
		}
		l->fn(atol(argv[3]));
		return 0;
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
	return 0;
}
