/*
 * tests/fidelity/mop.c - ports of Go's src/runtime/race/testdata/mop_test.go
 * (memory operations: which reads and writes the compiler instruments, and
 * how plain channel synchronization orders them).
 *
 * In C the "expression" part of a Go test is spelled out: each read or
 * write Go's compiler instruments is an rd/wr (cases.h). Ported faithfully
 * where the shape is memory plus channels, mutexes, wait groups, panics.
 *
 * The rest of mop_test.go (interfaces, method values and thunks, calls,
 * file reads, single-task regressions) is in mop2.c.
 */
#include "cases.h"

#include <string.h>

/* Two goroutines that each end with `ch <- 1`, and the two receives. */
static void two(void (*g1)(void), void (*g2)(void))
{
	F.ch = mkchan(2);
	go0(g1);
	go0(g2);
	recv(F.ch);
	recv(F.ch);
}

static void done_ch(void)
{
	send(F.ch, 1);
}

/* ---- TestRaceIntRWGlobalFuncs: genuine globals ------------------------ */

long GlobalX, GlobalY;
md_chan_t *GlobalCh;

static void GlobalFunc1(void)
{
	wr(&GlobalY, rd(&GlobalX));
	send(GlobalCh, 1);
}

static void GlobalFunc2(void)
{
	wr(&GlobalX, 1);
	send(GlobalCh, 1);
}

FCASE(RaceIntRWGlobalFuncs, RACE)
{
	GlobalCh = mkchan(2);
	go0(GlobalFunc1);
	go0(GlobalFunc2);
	recv(GlobalCh);
	recv(GlobalCh);
}

/* ---- y = x vs x = 1 -------------------------------------------------- */

static void y_eq_x(void)
{
	wr(&F.y, rd(&F.x));
	done_ch();
}

static void x_eq_1(void)
{
	wr(&F.x, 1);
	done_ch();
}

FCASE(RaceIntRWClosures, RACE)
{
	two(y_eq_x, x_eq_1);
}

FCASE(NoRaceIntRWClosures, NORACE)
{
	F.ch = mkchan(1);
	go0(y_eq_x);
	recv(F.ch);
	go0(x_eq_1);
	recv(F.ch);
}

/* int32 variables: adjacent 4-byte words, accessed as such. */
static int32_t x32[2];

__attribute__((noinline)) static void wr32(int32_t *p, int32_t v)
{
	MD_FUNC_ENTER();
	MD_WRITE(p);
	STORE(p, v);
	MD_FUNC_EXIT();
}

__attribute__((noinline)) static int32_t rd32(const int32_t *p)
{
	MD_FUNC_ENTER();
	MD_READ(p);
	int32_t v = LOAD(p);
	MD_FUNC_EXIT();
	return v;
}

static void y32_eq_x32(void)
{
	wr32(&x32[1], rd32(&x32[0]));
	done_ch();
}

static void x32_eq_1(void)
{
	wr32(&x32[0], 1);
	done_ch();
}

FCASE(RaceInt32RWClosures, RACE)
{
	two(y32_eq_x32, x32_eq_1);
}

/* ---- switch ------------------------------------------------------------ */

static void x_eq_2(void)
{
	wr(&F.x, 2);
	done_ch();
}

static void switch_x_lt_2(void)
{
	if (rd(&F.x) < 2)
		wr(&F.x, 1);
	done_ch();
}

static void switch_x_lt_2_else(void)
{
	if (rd(&F.x) < 2)
		wr(&F.x, 1);
	else
		wr(&F.x, 5);
	done_ch();
}

FCASE(RaceCaseCondition, RACE)
{
	two(x_eq_2, switch_x_lt_2);
}

FCASE(RaceCaseCondition2, RACE)
{
	two(x_eq_2, switch_x_lt_2_else);
}

static void switch_default_x1(void)
{
	if (rd(&F.x) == 100) /* case x == 100 is evaluated first */
		wr(&F.x, -rd(&F.x));
	else
		wr(&F.x, 1);
	done_ch();
}

FCASE(RaceCaseBody, RACE)
{
	two(y_eq_x, switch_default_x1);
}

static void switch_z_nofall(void)
{
	if (rd(&F.z) == 1) {
	} else if (rd(&F.z) == 2) {
		wr(&F.x, 2);
	}
	done_ch();
}

static void switch_z_fall(void)
{
	if (rd(&F.z) == 1 || rd(&F.z) == 2) /* case z == 1: fallthrough */
		wr(&F.x, 2);
	done_ch();
}

FCASE(NoRaceCaseFallthrough, NORACE)
{
	wr(&F.z, 1);
	two(y_eq_x, switch_z_nofall);
}

FCASE(RaceCaseFallthrough, RACE)
{
	wr(&F.z, 1);
	two(y_eq_x, switch_z_fall);
}

/* ---- loops --------------------------------------------------------------- */

/* Go before 1.22: one loop variable v for all iterations, read by the
 * goroutines, written by the loop. */
static void range_body(long i)
{
	if (i == 0)
		wr(&F.x, rd(&F.v));
	else
		wr(&F.y, rd(&F.v));
	send(F.done, 1);
}

FCASE(RaceRange, RACE)
{
	enum { N = 2 };
	F.done = mkchan(N);
	for (long i = 0; i < N; i++) {
		wr(&F.v, rd(&F.arr[i])); /* for i, v := range a */
		go1(range_body, i);
		md_yield();
	}
	for (int i = 0; i < N; i++)
		recv(F.done);
}

static void send_x(void)
{
	send(F.c, rd(&F.x));
}

FCASE(RaceForInit, RACE)
{
	F.c = mkchan(0);
	go0(send_x);
	wr(&F.x, 42); /* for x = 42; false; {} */
	recv(F.c);
}

static void recv_until_closed_xinc(void)
{
	while (recv_ok(F.c, NULL))
		wr(&F.x, rd(&F.x) + 1);
	send(F.done, 1);
}

FCASE(NoRaceForInit, NORACE)
{
	F.done = mkchan(0);
	F.c = mkchan(0);
	go0(recv_until_closed_xinc);
	wr(&F.x, 42);
	for (int i = 0; i < 10; i++)
		send(F.c, 1);
	md_chan_close(F.c);
	recv(F.done);
}

static void recv_until_closed_stop(void)
{
	while (recv_ok(F.c, NULL))
		wr(&F.stop, 1);
	send(F.done, 1);
}

FCASE(RaceForTest, RACE)
{
	F.done = mkchan(0);
	F.c = mkchan(0);
	go0(recv_until_closed_stop);
	while (!rd(&F.stop))
		send(F.c, 1);
	md_chan_close(F.c);
	recv(F.done);
}

FCASE(RaceForIncr, RACE)
{
	F.done = mkchan(0);
	F.c = mkchan(0);
	go0(recv_until_closed_xinc);
	for (int i = 0; i < 10; wr(&F.x, rd(&F.x) + 1)) {
		i++;
		send(F.c, 1);
	}
	md_chan_close(F.c);
	recv(F.done);
}

static void xinc_done(void)
{
	wr(&F.x, rd(&F.x) + 1);
	send(F.done, 1);
}

FCASE(NoRaceForIncr, NORACE)
{
	F.done = mkchan(0);
	go0(xinc_done);
	/* Go: for i := 0; i < 0; x++ {}: the post statement never runs
	 * (++i is there for clang's -Wfor-loop-analysis; it never runs either). */
	for (int i = 0; i < 0; ++i, wr(&F.x, rd(&F.x) + 1)) {
	}
	recv(F.done);
}

/* ---- arithmetic: y = f(x, z) shapes ------------------------------------- */

static void y_eq_x_plus_z(void)
{
	wr(&F.y, rd(&F.x) + rd(&F.z));
	done_ch();
}

static void y_eq_x_plus_z_plus_z(void)
{
	wr(&F.y, rd(&F.x) + rd(&F.z) + rd(&F.z));
	done_ch();
}

static void f_eq_z_plus_x(void)
{
	wr(&F.f, rd(&F.z) + rd(&F.x));
	done_ch();
}

FCASE(RacePlus, RACE)
{
	two(y_eq_x_plus_z, y_eq_x_plus_z_plus_z);
}

FCASE(RacePlus2, RACE)
{
	two(x_eq_1, y_eq_x_plus_z);
}

FCASE(NoRacePlus, NORACE)
{
	two(y_eq_x_plus_z, f_eq_z_plus_x);
}

static void y_eq_z(void)
{
	wr(&F.y, rd(&F.z));
	done_ch();
}

static void x_eq_compl_y(void)
{
	wr(&F.x, ~rd(&F.y));
	done_ch();
}

static void y_eq_compl_z(void)
{
	wr(&F.y, ~rd(&F.z));
	done_ch();
}

FCASE(RaceComplement, RACE)
{
	two(x_eq_compl_y, y_eq_compl_z);
}

static void x_eq_y_div(void)
{
	wr(&F.x, rd(&F.y) / (rd(&F.z) + 1));
	done_ch();
}

FCASE(RaceDiv, RACE)
{
	two(x_eq_y_div, y_eq_z);
}

static void x_eq_y_div3(void)
{
	wr(&F.x, (long)((uint32_t)rd(&F.y) / 3));
	done_ch();
}

FCASE(RaceDivConst, RACE)
{
	two(x_eq_y_div3, y_eq_z);
}

static void x_eq_y_mod(void)
{
	wr(&F.x, rd(&F.y) % (rd(&F.z) + 1));
	done_ch();
}

FCASE(RaceMod, RACE)
{
	two(x_eq_y_mod, y_eq_z);
}

static void x_eq_y_mod3(void)
{
	wr(&F.x, rd(&F.y) % 3);
	done_ch();
}

FCASE(RaceModConst, RACE)
{
	two(x_eq_y_mod3, y_eq_z);
}

static void x_eq_y_rot(void)
{
	uint32_t y = (uint32_t)rd(&F.y);
	wr(&F.x, (long)(y << 12 | y >> 20));
	done_ch();
}

FCASE(RaceRotate, RACE)
{
	two(x_eq_y_rot, y_eq_z);
}

/* ---- function arguments --------------------------------------------------- */

__attribute__((noinline)) static void emptyFunc(long x)
{
	__asm__ volatile("" ::"r"(x));
}

static void call_emptyFunc_x(void)
{
	emptyFunc(rd(&F.x));
	send(F.ch, 1);
}

FCASE(RaceFuncArgument, RACE)
{
	F.ch = mkchan(1);
	go0(call_emptyFunc_x);
	wr(&F.x, 1);
	recv(F.ch);
}

static void x_eq_42(void)
{
	wr(&F.x, 42);
	done_ch();
}

static void arg_ignored(long y)
{
	(void)y;
	done_ch();
}

FCASE(RaceFuncArgument2, RACE)
{
	F.ch = mkchan(2);
	go0(x_eq_42);
	go1(arg_ignored, rd(&F.x)); /* go func(y int) {...}(x) */
	recv(F.ch);
	recv(F.ch);
}

static void byte_arg(long y)
{
	(void)y;
	send(F.ch, 0);
}

FCASE(NoRaceFuncArgsRW, NORACE)
{
	F.ch = mkchan(1);
	go1(byte_arg, rd8(&F.b[0]));
	wr8(&F.b[0], 1);
	recv(F.ch);
}

static void byte_ptr_arg(long y)
{
	rd8((const signed char *)y);
	send(F.ch, 0);
}

FCASE(RaceFuncArgsRW, RACE)
{
	F.ch = mkchan(1);
	go1(byte_ptr_arg, (long)&F.b[0]);
	wr8(&F.b[0], 1);
	recv(F.ch);
}

/* ---- composite values -------------------------------------------------- */

static void a3_eq_1(void)
{
	wr(&F.arr[3], 1);
	send(F.ch, 1);
}

FCASE(RaceArrayCopy, RACE)
{
	F.ch = mkchan(1);
	go0(a3_eq_1);
	static const long init[5] = {1, 2, 3, 4, 5};
	wrn(F.arr, sizeof init); /* a = [5]int{1, 2, 3, 4, 5} */
	memcpy(F.arr, init, sizeof init);
	recv(F.ch);
}

static void p_eq_point11(void)
{
	wrn(&F.p, sizeof F.p);
	send(F.ch, 1);
}

FCASE(RaceStructRW, RACE)
{
	F.ch = mkchan(1);
	go0(p_eq_point11);
	rdn(&F.p, sizeof F.p); /* q := p */
	recv(F.ch);
	wrn(&F.p, sizeof F.p); /* p = q */
}

static void px_eq_1(void)
{
	wr(&F.p.x, 1);
	send(F.ch, 1);
}

FCASE(RaceStructFieldRW1, RACE)
{
	F.ch = mkchan(1);
	go0(px_eq_1);
	rd(&F.p.x);
	recv(F.ch);
}

FCASE(NoRaceStructFieldRW1, NORACE)
{
	F.ch = mkchan(1);
	go0(px_eq_1);
	wr(&F.p.y, 1);
	recv(F.ch);
	rdn(&F.p, sizeof F.p);
}

/* p := &Point{}: the goroutine reads the pointer, then writes p.x. */
static void pptr_x_eq_1(void)
{
	long *p = rdp(&F.ptr);
	wr(&p[0], 1);
	send(F.ch, 1);
}

FCASE(NoRaceStructFieldRW2, NORACE)
{
	F.ch = mkchan(1);
	F.ptr = md_alloc(2 * sizeof(long));
	go0(pptr_x_eq_1);
	long *p = rdp(&F.ptr);
	wr(&p[1], 1); /* p.y = 1 */
	recv(F.ch);
	rdn(p, 2 * sizeof(long));
}

FCASE(RaceStructFieldRW2, RACE)
{
	F.ch = mkchan(1);
	F.ptr = md_alloc(2 * sizeof(long));
	go0(pptr_x_eq_1);
	long *p = rdp(&F.ptr);
	rd(&p[0]); /* _ = p.x */
	recv(F.ch);
}

/* NamedPoint{name string; p Point}: p.p.x sits after a 2-word string. */
static void named_ppx_eq_1(void)
{
	long *np = F.ptr;
	wr(&np[2], 1);
	send(F.ch, 1);
}

FCASE(RaceStructFieldRW3, RACE)
{
	F.ch = mkchan(1);
	F.ptr = md_alloc(4 * sizeof(long));
	go0(named_ppx_eq_1);
	rd(&((long *)F.ptr)[2]);
	recv(F.ch);
}

/* Interfaces and strings are two words; writing one writes both. */
static void iface_a_eq_1(void)
{
	wrn(&F.q, sizeof F.q);
	send(F.ch, 1);
}

FCASE(RaceEfaceWW, RACE)
{
	F.ch = mkchan(1);
	go0(iface_a_eq_1);
	wrn(&F.q, sizeof F.q); /* a = 2 */
	recv(F.ch);
	rdn(&F.q, sizeof F.q);
}

FCASE(RaceIfaceCmpNil, RACE)
{
	F.ch = mkchan(1);
	wrn(&F.q, sizeof F.q); /* a = DummyWriter{1} */
	go0(iface_a_eq_1);
	rd(&F.q.x); /* a == nil reads the type word */
	recv(F.ch);
}

FCASE(RaceStringRW, RACE)
{
	F.ch = mkchan(1);
	go0(iface_a_eq_1);  /* s = "abacaba" */
	rdn(&F.q, sizeof F.q); /* _ = s */
	recv(F.ch);
}

/* var p *int = &x: *p = 5 vs y = *p */
static void star_p_eq_5(void)
{
	wr(rdp(&F.ptr), 5);
	send(F.ch, 1);
}

FCASE(RaceIntptrRW, RACE)
{
	F.ch = mkchan(1);
	F.ptr = &F.x;
	go0(star_p_eq_5);
	wr(&F.y, rd(rdp(&F.ptr)));
	wr(&F.x, rd(&F.y));
	recv(F.ch);
}

/* complex128 is 16 bytes; a float64 write is 8. */
static void cplx_w(void)
{
	wrn(F.buf, 16);
	send(F.ch, 1);
}

FCASE(RaceComplex128WW, RACE)
{
	F.ch = mkchan(1);
	go0(cplx_w);
	wrn(F.buf, 16);
	recv(F.ch);
	rdn(F.buf, 16);
	wrn(F.buf, 16);
}

static void float_w(void)
{
	wr(&F.buf[0], 1);
	send(F.ch, 1);
}

FCASE(RaceFloat64WW, RACE)
{
	F.ch = mkchan(1);
	go0(float_w);
	wr(&F.buf[0], 2);
	recv(F.ch);
	wr(&F.y, rd(&F.buf[0]));
	wr(&F.buf[0], rd(&F.y));
}

/* A function variable: f = func... vs y := f(1). */
static long square(long x) { return x * x; }
static long ident(long x) { return x; }
static long (*fvar)(long) = square;

__attribute__((noinline)) static long (*rd_fvar(void))(long)
{
	MD_FUNC_ENTER();
	MD_READ(&fvar);
	long (*f)(long) = LOAD(&fvar);
	MD_FUNC_EXIT();
	return f;
}

__attribute__((noinline)) static void wr_fvar(long (*f)(long))
{
	MD_FUNC_ENTER();
	MD_WRITE(&fvar);
	STORE(&fvar, f);
	MD_FUNC_EXIT();
}

static void f_eq_ident(void)
{
	wr_fvar(ident);
	send(F.ch, 1);
}

FCASE(RaceFuncVariableRW, RACE)
{
	F.ch = mkchan(1);
	go0(f_eq_ident);
	long y = rd_fvar()(1);
	recv(F.ch);
	(void)y;
}

FCASE(RaceFuncVariableWW, RACE)
{
	F.ch = mkchan(1);
	go0(f_eq_ident);
	wr_fvar(square);
	recv(F.ch);
}

static void call_fvar(void)
{
	rd_fvar()(0);
	send(F.ch, 1);
}

FCASE(RaceFuncItself, RACE)
{
	F.ch = mkchan(0);
	go0(call_fvar);
	wr_fvar(ident);
	recv(F.ch);
}

/* ---- panics ------------------------------------------------------------ */

/* var y int = 1 / zero: reads zero, panics (recovered by the caller). */
static void divide_by_zero(void)
{
	if (rd(&F.z) == 0)
		md_panic("integer divide by zero");
}

static long panic_x;

static void racepanic_g1(void)
{
	if (!try0(divide_by_zero))
		md_exit(3);
	wr(&panic_x, 1);
	done_ch();
}

static void racepanic_g2(void)
{
	if (!try0(divide_by_zero))
		md_exit(3);
	wr(&panic_x, 2);
	done_ch();
}

FCASE(RacePanic, RACE)
{
	two(racepanic_g1, racepanic_g2);
	if (rd(&F.z) != 0)
		md_exit(3);
}

static void err_eq_err2(void)
{
	wrn(&F.q, sizeof F.q); /* err = errors.New("err2") */
	send(F.ch, 1);
}

static void panic_err(void)
{
	rdn(&F.q, sizeof F.q); /* panic(err) reads err */
	md_panic("err");
}

FCASE(RacePanicArg, RACE)
{
	F.ch = mkchan(1);
	wrn(&F.q, sizeof F.q); /* err := errors.New("err") */
	go0(err_eq_err2);
	try0(panic_err);
	recv(F.ch); /* in the deferred func, after recover() */
}

FCASE(NoRaceBlank, NORACE)
{
	F.ch = mkchan(1);
	go0(done_ch); /* _, _ = a[0], a[1]: nothing instrumented */
	recv(F.ch);
	wr(&F.arr[1], rd(&F.arr[0]));
}

/* ---- slices ------------------------------------------------------------- */

/* a := make([]int, 10); append(a, 1) copies a's 10 elements. */
static void append_a(void)
{
	long *a = F.ptr;
	long *n = md_alloc(20 * sizeof(long));
	rdn(a, 10 * sizeof(long));
	memcpy(n, a, 10 * sizeof(long));
	send(F.ch, 1);
}

FCASE(RaceAppendRW, RACE)
{
	F.ch = mkchan(0);
	F.ptr = md_alloc(10 * sizeof(long));
	go0(append_a);
	wr(&((long *)F.ptr)[0], 1);
	recv(F.ch);
}

/* The slice header {ptr, len, cap} is F.arr[0..2]. */
static void a_eq_append(void)
{
	wrn(&F.arr[0], 3 * sizeof(long));
	send(F.ch, 1);
}

FCASE(RaceAppendLenRW, RACE)
{
	F.ch = mkchan(0);
	go0(a_eq_append);
	rd(&F.arr[1]); /* len(a) */
	recv(F.ch);
}

FCASE(RaceAppendCapRW, RACE)
{
	F.ch = mkchan(0);
	go0(a_eq_append);
	rd(&F.arr[2]); /* cap(a) */
	recv(F.ch);
}

/* []X{x, y int}: copy(y, x) reads all; x[1].y = 42 writes one field. */
static void copy_slice_struct(void)
{
	rdn(F.ptr, 10 * 2 * sizeof(long));
	send(F.ch, 1);
}

FCASE(RaceSliceStruct, RACE)
{
	F.ch = mkchan(1);
	F.ptr = md_alloc(10 * 2 * sizeof(long));
	go0(copy_slice_struct);
	wr(&((long *)F.ptr)[1 * 2 + 1], 42);
	recv(F.ch);
}

static void store_item(long p)
{
	wrn((void *)p, 2 * sizeof(long)); /* *p = Item{} */
	send(F.ch, 1);
}

FCASE(RaceStructInd, RACE)
{
	F.ch = mkchan(1);
	go1(store_item, (long)&F.p);
	wr(&F.p.y, 42);
	recv(F.ch);
}

/* ---- the crawler from the mailing list: unprotected map `seen` -------- */

/* The map is a heap object: an assignment writes it, a lookup reads it
 * (Go's mapassign/mapaccess annotate the map). */
static long *seen;
/* Compiled with -fsanitize=thread, the access TSan sees stands for the
 * map's header, a word no entry uses; the entries stay atomic. */
#define SEEN_HEADER 7
static md_wg_t crawl_wg = MD_WG_INIT;

__attribute__((noinline)) static void seen_set(long u)
{
	MD_FUNC_ENTER();
	MD_WRITE(seen);
#if defined(MD_COMPILER_INSTRUMENTED)
	STORE(&seen[SEEN_HEADER], 0); /* what TSan sees: the map written */
#endif
	__atomic_store_n(&seen[u], 1, __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
}

__attribute__((noinline)) static long seen_get(long u)
{
	MD_FUNC_ENTER();
	MD_READ(seen);
#if defined(MD_COMPILER_INSTRUMENTED)
	(void)LOAD(&seen[SEEN_HEADER]); /* what TSan sees: the map read */
#endif
	long v = __atomic_load_n(&seen[u], __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
	return v;
}

static void crawl(long arg)
{
	long u = arg & 0xff, d = arg >> 8;
	long nurl = 0;
	seen_set(u);
	if (d > 0) {
		for (long uu = 1; uu <= 3; uu++) /* "a", "b", "c" */
			if (!seen_get(uu)) {
				md_wg_add(&crawl_wg, 1);
				go1(crawl, uu | (d - 1) << 8);
				nurl++;
			}
	}
	md_wg_done(&crawl_wg);
	send(F.ch, nurl); /* deferred */
}

FCASE(RaceCrawl, RACE)
{
	F.ch = mkchan(100);
	seen = md_alloc(8 * sizeof(long));
	md_wg_add(&crawl_wg, 1);
	go1(crawl, 0 | 3 << 8); /* url "dummyurl", depth 3 */
	md_wg_wait(&crawl_wg);
}

/* ---- pointers and indirection ------------------------------------------ */

static void star_x_eq_1(void)
{
	wr(rdp(&F.ptr), 1);
	send(F.ch, 1);
}

FCASE(RaceIndirection, RACE)
{
	F.ch = mkchan(1);
	F.ptr = &F.y;
	go0(star_x_eq_1);
	wr(rdp(&F.ptr), 2);
	recv(F.ch);
	rd(rdp(&F.ptr));
}

static void rune_x_eq_1(void)
{
	wr(&F.x, 1);
	send(F.c, 1);
}

FCASE(RaceRune, RACE)
{
	F.c = mkchan(0);
	go0(rune_x_eq_1);
	rd(&F.x);
	recv(F.c);
}

/* Two goroutines pass a pointer to one's "local" (escaped) variable. */
static void tls_g1(void)
{
	long *x = md_alloc(sizeof *x);
	md_chan_send(F.comm, &x);
	wr(x, 1);
	long *p;
	md_chan_recv(F.comm, &p);
	wr(x, rd(p));
	send(F.done, 1);
}

static void tls_g2(void)
{
	long *p;
	md_chan_recv(F.comm, &p);
	wr(p, 2);
	md_chan_send(F.comm, &p);
	send(F.done, 1);
}

FCASE(RaceTLS, RACE)
{
	F.comm = md_chan_make(sizeof(long *), 0);
	F.done = mkchan(2);
	go0(tls_g1);
	go0(tls_g2);
	recv(F.done);
	recv(F.done);
}

/* Adapted: no GC; each goroutine allocates, writes, frees after a delay;
 * a block reused by the other must not be reported (md_alloc resets its
 * shadow as Go's allocator does). */
static void realloc_body(long ms)
{
	sleep_ms((unsigned)ms);
	for (int i = 0; i < 50; i++) {
		long *x = md_alloc(sizeof *x);
		wr(x, i);
		md_free(x);
	}
	send(F.done, 1);
}

FCASE(NoRaceHeapReallocation, NORACE)
{
	enum { n = 2 };
	F.done = mkchan(n);
	for (long i = 0; i < n; i++)
		go1(realloc_body, i);
	for (int i = 0; i < n; i++)
		recv(F.done);
}

/* ---- short-circuit evaluation: C's && and || match Go's -------------- */

static void x1_c(void)
{
	wr(&F.x, 1);
	send(F.c, 1);
}

static void y1_c(void)
{
	wr(&F.y, 1);
	send(F.c, 1);
}

#define SHORTCIRCUIT(id, exp, writer, cond)                                         \
	FCASE(id, exp)                                                              \
	{                                                                           \
		F.c = mkchan(0);                                                    \
		go0(writer);                                                        \
		if (cond) {                                                         \
		}                                                                   \
		recv(F.c);                                                          \
	}

SHORTCIRCUIT(RaceAnd, RACE, x1_c, rd(&F.x) == 1 && rd(&F.y) == 1)
SHORTCIRCUIT(RaceAnd2, RACE, x1_c, rd(&F.y) == 0 && rd(&F.x) == 1)
SHORTCIRCUIT(NoRaceAnd, NORACE, x1_c, rd(&F.y) == 1 && rd(&F.x) == 1)
SHORTCIRCUIT(RaceOr, RACE, x1_c, rd(&F.x) == 1 || rd(&F.y) == 1)
SHORTCIRCUIT(RaceOr2, RACE, x1_c, rd(&F.y) == 1 || rd(&F.x) == 1)
SHORTCIRCUIT(NoRaceOr, NORACE, x1_c, rd(&F.y) == 0 || rd(&F.x) == 1)
SHORTCIRCUIT(NoRaceShortCalc, NORACE, y1_c, rd(&F.x) == 0 || rd(&F.y) == 0)
SHORTCIRCUIT(NoRaceShortCalc2, NORACE, y1_c, rd(&F.x) == 1 && rd(&F.y) == 0)

/* ---- mutexes inside calls --------------------------------------------- */

static void locked_x42(void)
{
	md_mutex_lock(&F.mu);
	wr(&F.x, 42);
	md_mutex_unlock(&F.mu);
	send(F.ch, 1);
}

__attribute__((noinline)) static long lock_and_43(md_mutex_t *mu)
{
	md_mutex_lock(mu);
	return 43;
}

FCASE(NoRaceFuncUnlock, NORACE)
{
	F.ch = mkchan(1);
	go0(locked_x42);
	wr(&F.x, lock_and_43(&F.mu)); /* the write comes after the call */
	md_mutex_unlock(&F.mu);
	recv(F.ch);
}

__attribute__((noinline)) static void lock_with_arg(long x)
{
	(void)x;
	md_mutex_lock(&F.mu);
}

/* Go's test relies on the main goroutine taking the mutex first, as it
 * does when the new goroutine waits in its P's runnext. A goroutine run at
 * once by another processor could read x, lock and unlock before main
 * locks: main's Lock then acquires the read, and there is no race to
 * report (Go does not guarantee the order either; tests/fidelity/README.md,
 * "On two processors"). Gate 0 keeps Go's order without an edge. */
static void asfunc3_g(void)
{
	gate_wait(0);
	lock_with_arg(rd(&F.x)); /* the read of x is outside the mutex */
	md_mutex_unlock(&F.mu);
	send(F.c, 1);
}

FCASE(RaceAsFunc3, RACE)
{
	F.c = mkchan(1);
	go0(asfunc3_g);
	md_mutex_lock(&F.mu);
	gate_open(0);
	wr(&F.x, 42);
	md_mutex_unlock(&F.mu);
	recv(F.c);
}

__attribute__((noinline)) static long lock_and_42(void)
{
	md_mutex_lock(&F.mu);
	return 42;
}

static void asfunc4_g(void)
{
	wr(&F.x, lock_and_42()); /* the write of x is under the mutex */
	md_mutex_unlock(&F.mu);
	send(F.c, 1);
}

FCASE(NoRaceAsFunc4, NORACE)
{
	F.c = mkchan(1);
	go0(asfunc4_g);
	md_mutex_lock(&F.mu);
	wr(&F.x, 42);
	md_mutex_unlock(&F.mu);
	recv(F.c);
}

/* ---- reads and writes of simple variables, more shapes ----------------- */

static void y_eq_42_c(void)
{
	wr(&F.y, 42);
	send(F.c, 1);
}

FCASE(RaceStructInit, RACE)
{
	F.c = mkchan(1);
	go0(y_eq_42_c);
	rd(&F.y); /* x := X{x: y} */
	recv(F.c);
}

FCASE(RaceArrayInit, RACE)
{
	F.c = mkchan(1);
	go0(y_eq_42_c);
	rd(&F.y); /* x := []int{0, y, 42} */
	recv(F.c);
}

static void x_eq_42_c(void)
{
	wr(&F.x, 42);
	send(F.c, 1);
}

FCASE(RaceMethodCall, RACE)
{
	F.c = mkchan(1);
	go0(x_eq_42_c);
	emptyFunc(rd(&F.x)); /* i.Foo(x) */
	recv(F.c);
}

FCASE(NoRaceAddrExpr, NORACE)
{
	F.c = mkchan(1);
	go0(x_eq_42_c);
	long *px = &F.x; /* _ = &x: no access */
	(void)px;
	recv(F.c);
}

/* a := AddrT2{p: &AddrT{x: 42}}: &a.p.x reads a.p. */
static void ap_eq_new(void)
{
	wrp(&F.ptr, md_alloc(sizeof(long)));
	send(F.c, 1);
}

FCASE(RaceAddrExpr, RACE)
{
	F.c = mkchan(1);
	F.ptr = md_alloc(sizeof(long));
	go0(ap_eq_new);
	(void)rdp(&F.ptr);
	recv(F.c);
}

FCASE(RaceBlockAs, RACE)
{
	F.c = mkchan(1);
	go0(x_eq_42_c);
	long y = rd(&F.y), x = rd(&F.x); /* x, y = y, x */
	wr(&F.x, y);
	wr(&F.y, x);
	recv(F.c);
}

static void xy_eq_f(void)
{
	wr(&F.x, 42);
	wr(&F.y, 43);
	send(F.done, 1);
}

FCASE(RaceBlockCall1, RACE)
{
	F.done = mkchan(0);
	go0(xy_eq_f);
	rd(&F.x);
	recv(F.done);
	if (rd(&F.x) != 42 || rd(&F.y) != 43)
		md_exit(3);
}

FCASE(RaceBlockCall2, RACE)
{
	F.done = mkchan(0);
	go0(xy_eq_f);
	rd(&F.y);
	recv(F.done);
	if (rd(&F.x) != 42 || rd(&F.y) != 43)
		md_exit(3);
}

/* func() (x int) { go func() { x = 42 }(); return }(): x escapes. */
static void heapparam_g(void)
{
	wr(F.ptr, 42);
	send(F.done, 1);
}

__attribute__((noinline)) static long heapparam_f(void)
{
	F.ptr = md_alloc(sizeof(long));
	go0(heapparam_g);
	return rd(F.ptr);
}

FCASE(RaceHeapParam, RACE)
{
	F.done = mkchan(0);
	(void)heapparam_f();
	recv(F.done);
}

/* Y{x X{y int64; Empty}; y int64}: reading y.x vs writing y.y. */
static void send_yx(void)
{
	long x = rd(&F.p.x);
	send(F.c, x);
}

FCASE(NoRaceEmptyStruct, NORACE)
{
	F.c = mkchan(0);
	go0(send_yx);
	wr(&F.p.y, 42);
	recv(F.c);
}

/* Y{x X{x, y int}}: c <- y reads all of it. */
static void send_y(void)
{
	rdn(&F.p, sizeof F.p);
	send(F.c, 0);
}

FCASE(RaceNestedStruct, RACE)
{
	F.c = mkchan(0);
	go0(send_y);
	wr(&F.p.y, 42);
	recv(F.c);
}

/* A producer reuses its buffer after sending a slice of it. */
static void producer_5654(void)
{
	long *buf = md_alloc(16);
	for (int i = 0; i < 8; i++) {
		wrn(buf, 16); /* data.Read(buf) */
		md_chan_send(F.c, &buf);
	}
	md_chan_close(F.c);
}

FCASE(RaceIssue5654, RACE)
{
	F.c = md_chan_make(sizeof(long *), 0);
	go0(producer_5654);
	long *s;
	while (md_chan_recv(F.c, &s))
		rdn(s, 16); /* res += string(s) */
}
