/*
 * tests/fidelity/cases.h - the race-detection fidelity suite: cases ported
 * from Go's race detector tests (src/runtime/race/testdata, the *_test.go files) to
 * programs on the model runtime.
 *
 * Each case is named after its Go original without the "Test" prefix
 * (TestNoRaceChanSync -> NoRaceChanSync) and expects RACE (TestRace*: TSan
 * must report a data race, exit 66) or NORACE (TestNoRace*: no report,
 * exit 0). `fidelity run NAME` runs one case in a fresh process.
 *
 * Porting conventions:
 *  - A Go variable captured by closures (escaped to Go's heap) is a field
 *    of the global fixture F (.bss; one case per process, so it starts
 *    zeroed) or a block from md_alloc. Never a C stack variable: TSan's Go
 *    mode does not shadow stacks.
 *  - Every access Go's compiler would instrument goes through rd/wr (and
 *    friends) below: noinline functions that bracket the annotation with
 *    MD_FUNC_ENTER/MD_FUNC_EXIT so reports carry stacks. Go's racereadpc
 *    and racewritepc annotate 1 byte, and so do MD_READ/MD_WRITE; ranges
 *    (array copies, append) use MD_READ_RANGE/MD_WRITE_RANGE.
 *  - A Go closure is a static function; `go f()` is go0(f) and `go f(i)`
 *    go1(f, i). The runner joins every task started with go0/go1 after the
 *    case returns (md_wg_wait on F.join), so the process never exits before
 *    a racing access has happened; the join comes after every access of
 *    the case, so it orders nothing the case is about.
 *  - Where Go sleeps to steer an interleaving (time.Sleep before a Lock,
 *    a Wait), the port uses a gate: a raw C atomic flag that TSan does not
 *    see, so it forces the same interleaving without adding a
 *    happens-before edge, making the outcome deterministic.
 */
#ifndef FIDELITY_CASES_H
#define FIDELITY_CASES_H

#include <model.h>

#include <stddef.h>
#include <stdint.h>

enum { NORACE = 0, RACE = 1 };

struct fcase {
	const char *name;
	int expect;      /* RACE or NORACE */
	void (*fn)(void);
	const char *gap; /* non-NULL: a Go test the model cannot express
	                  * faithfully yet (why); not listed, not run by the
	                  * suite; `fidelity gaps` lists them as reproducers */
};

void fidelity_register(const char *name, int expect, void (*fn)(void), const char *gap);

/* Define and register a case: FCASE(NoRaceChanSync, NORACE) { ... } */
#define FCASE(id, exp)                                                              \
	static void id(void);                                                       \
	__attribute__((constructor)) static void reg_##id(void)                     \
	{                                                                           \
		fidelity_register(#id, exp, id, NULL);                              \
	}                                                                           \
	static void id(void)

/* A case kept as a reproducer of a model/racewire limitation. */
#define FGAP(id, exp, why)                                                          \
	static void id(void);                                                       \
	__attribute__((constructor)) static void reg_##id(void)                     \
	{                                                                           \
		fidelity_register(#id, exp, id, why);                               \
	}                                                                           \
	static void id(void)

/* The fixture: the "captured variables" of every case. */
struct fixture {
	long v, v1, v2, x, y, z, f, i, stop;
	long arr[16];        /* a [N]int */
	long buf[16];
	signed char b[16];   /* int8 / byte variables, adjacent as in Go */
	struct { long x, y; } p, q;           /* Point */
	void *ptr;           /* a pointer variable (*T, slice base, ...) */
	void *ptr2;
	md_chan_t *c, *c1, *c2, *c3, *ch, *done, *compl, *comm, *mtx;
	md_mutex_t mu, mu2;
	md_wg_t wg;
	md_wg_t join;        /* the runner's join of go0/go1 tasks */
	md_once_t once;
	md_rwmutex_t rw;
	md_map_t *m;
	int64_t s;           /* a word used only with md_atomic_* */
	int64_t s2;
	int32_t s32;         /* an int32 used only with md_atomic_*32 */
};
extern struct fixture F;

/* Instrumented accesses (see the conventions above). */
long rd(const long *p);
void wr(long *p, long v);
signed char rd8(const signed char *p);
void wr8(signed char *p, signed char v);
void *rdp(void *const *p);
void wrp(void **p, void *v);
void rdn(const void *p, size_t n);   /* read a range (a copy's source) */
void wrn(void *p, size_t n);         /* write a range (a copy's target) */

/* The memory access itself, in a helper that annotates it. With Go-mode
 * TSan a relaxed atomic: the racy case is no undefined behaviour in C and
 * TSan sees only the annotation. Compiled with -fsanitize=thread (the
 * fiber backend) the access is what TSan sees: a plain one, volatile so
 * that it is kept (TSan never reports two atomics). */
#if defined(MD_COMPILER_INSTRUMENTED)
#define LOAD(p) (*(volatile __typeof__(*(p)) *)(p))
#define STORE(p, v) (*(volatile __typeof__(*(p)) *)(p) = (v))
#else
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#endif

/* Tasks. */
void go0(void (*fn)(void));
void go1(void (*fn)(long), long arg);

/* Channels of long. */
md_chan_t *mkchan(size_t cap);
void send(md_chan_t *c, long v);
long recv(md_chan_t *c);
int recv_ok(md_chan_t *c, long *v);

/* select over channels of long: SELECT(block, SSEND(c, v), SRECV(c), ...)
 * returns the index of the case that ran, or -1 (the default case, when
 * block is 0). A Go select with a default case is SELECT(0, ...). */
#define SSEND(ch, v) ((md_select_case_t){.c = (ch), .dir = MD_SEND, .elem = &(long){(v)}})
#define SRECV(ch) ((md_select_case_t){.c = (ch), .dir = MD_RECV, .elem = NULL})
#define SELECT(block, ...)                                                          \
	md_select((md_select_case_t[]){__VA_ARGS__},                                \
	          (int)(sizeof((md_select_case_t[]){__VA_ARGS__}) / sizeof(md_select_case_t)), \
	          (block))

/* md_try around fn: 1 if fn panicked (Go's defer + recover). */
int try0(void (*fn)(void));

/* Gates: timing without happens-before (raw atomics TSan never sees). */
void gate_open(int i);
void gate_wait(int i);
int gate_is_open(int i);

void sleep_ms(unsigned ms);

#endif
