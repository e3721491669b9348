/*
 * tests/fidelity/regression.c - ports of Go's
 * src/runtime/race/testdata/regression_test.go and issue12664_test.go:
 * compiler regressions (an instrumentation that once was missing or
 * crashed), kept for their memory shape: which variable each statement
 * reads or writes.
 */
#include "cases.h"

static md_map_t *M;

static void inner_len(void)
{
	long k = 0;
	md_map_t *inner;
	md_map_get(M, &k, &inner); /* m[0] */
	md_map_len(inner);         /* len(m[0]) */
	send(F.ch, 0);
}

FCASE(RaceUnaddressableMapLen, RACE)
{
	M = md_map_make(sizeof(long), sizeof(md_map_t *));
	F.ch = mkchan(1);
	long k = 0, v = 1;
	md_map_t *inner = md_map_make(sizeof(long), sizeof(long));
	md_map_set(M, &k, &inner);
	go0(inner_len);
	md_map_get(M, &k, &inner);
	md_map_set(inner, &k, &v); /* m[0][0] = 1 */
	recv(F.ch);
}

/* type stack []int with push (append) and pop (reslice); a goroutine
 * gets &s and does nothing. s escapes: its header is in .bss. */
static struct {
	long *p;
	long len, cap;
} stk;

static void nothing1(long s)
{
	(void)s;
}

FCASE(NoRaceStackPushPop, NORACE)
{
	go1(nothing1, (long)(uintptr_t)&stk);
	/* push(1): *s = append(*s, 1) */
	rdn(&stk, sizeof stk);
	long *np = md_alloc(sizeof(long));
	wr(np, 1);
	wrn(&stk, sizeof stk);
	stk.p = np;
	stk.len = stk.cap = 1;
	/* pop() */
	rdn(&stk, sizeof stk);
	long i = stk.len;
	long x = rd(&stk.p[i - 1]);
	wrn(&stk, sizeof stk);
	stk.len = i - 1;
	(void)x;
}

static long makeChanCalls;

__attribute__((noinline)) static md_chan_t *makeChan(void)
{
	wr(&makeChanCalls, rd(&makeChanCalls) + 1);
	md_chan_t **rc = md_alloc(sizeof *rc); /* &RpcChan{make(chan bool, 1)} */
	wrp((void **)rc, mkchan(1));
	send(rdp((void **)rc), 1);
	return rdp((void **)rc);
}

FCASE(NoRaceRpcChan, NORACE)
{
	wr(&makeChanCalls, 0);
	recv(makeChan()); /* call(): x := <-makeChan().c */
	if (rd(&makeChanCalls) != 1)
		md_panic("makeChanCalls != 1");
}

/* noRaceReturn: the result a escapes into the goroutine, which reads it
 * while the function reads it to return: two reads. */
static long *ret_a;

static void read_a(void)
{
	rd(ret_a);
	send(F.c, 1);
}

FCASE(NoRaceReturn, NORACE)
{
	F.c = mkchan(0);
	ret_a = md_alloc(sizeof(long));
	wr(ret_a, 42);
	go0(read_a);
	long a = rd(ret_a); /* return a, 10 */
	(void)a;
	recv(F.c);
}

/* for iface(x).Foo().b {}: Foo returns a new &struct{ b bool }. */
FCASE(NoRaceForInfiniteLoop, NORACE)
{
	signed char *b = md_alloc(1);
	while (rd8(b))
		;
}

/* ---- issue12664_test.go: globals read through conversions -------------- */

static struct {
	const char *p;
	long len;
} issue12664 = {"hi", 2};

static void issue12664_bye(void)
{
	wrn(&issue12664, sizeof issue12664);
	issue12664.p = "bye";
	md_chan_close(F.c);
}

FCASE(RaceIssue12664, RACE)
{
	F.c = md_chan_make(0, 0);
	go0(issue12664_bye);
	rdn(&issue12664, sizeof issue12664); /* fmt.Println(issue12664) */
	md_chan_recv(F.c, NULL);
}

static long issue12664_2, issue12664_3, issue12664_4;

static void i2_eq_1(void)
{
	wr(&issue12664_2, 1);
	md_chan_close(F.c);
}

static void i3_eq_1(void)
{
	wr(&issue12664_3, 1);
	md_chan_close(F.c);
}

static void i4_eq_1(void)
{
	wr(&issue12664_4, 1);
	md_chan_close(F.c);
}

FCASE(RaceIssue12664_2, RACE)
{
	F.c = md_chan_make(0, 0);
	go0(i2_eq_1);
	if (rd(&issue12664_2) == -1) /* func(x MyI){...}(issue12664_2) */
		md_chan_close(F.c);
	md_chan_recv(F.c, NULL);
}

FCASE(RaceIssue12664_3, RACE)
{
	F.c = md_chan_make(0, 0);
	go0(i3_eq_1);
	wr(&issue12664_3, 0); /* issue12664_3 = i.(MyT) */
	md_chan_recv(F.c, NULL);
}

FCASE(RaceIssue12664_4, RACE)
{
	F.c = md_chan_make(0, 0);
	go0(i4_eq_1);
	wr(&issue12664_4, 0);
	md_chan_recv(F.c, NULL);
}
