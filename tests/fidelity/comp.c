/*
 * tests/fidelity/comp.c - ports of Go's
 * src/runtime/race/testdata/comp_test.go: composite values. Fields are
 * distinct memory; an assignment of the whole struct writes every field;
 * a field reached through a pointer field reads the pointer first;
 * conversions between identical types copy nothing new.
 */
#include "cases.h"

struct P {
	long x, y;
};
struct S {
	struct P s1, s2;
};

static struct S s;

static void ch_true(void)
{
	send(F.c, 1);
}

static void s2x_eq_1(void)
{
	wr(&s.s2.x, 1);
	ch_true();
}

static void s1x_eq_1(void)
{
	wr(&s.s1.x, 1);
	ch_true();
}

static void s2y_eq_1(void)
{
	wr(&s.s2.y, 1);
	ch_true();
}

FCASE(NoRaceComp, NORACE)
{
	F.c = mkchan(1);
	go0(s2x_eq_1);
	wr(&s.s2.y, 2);
	recv(F.c);
}

FCASE(NoRaceComp2, NORACE)
{
	F.c = mkchan(1);
	go0(s1x_eq_1);
	wr(&s.s1.y, 2);
	recv(F.c);
}

FCASE(RaceComp, RACE)
{
	F.c = mkchan(1);
	go0(s2y_eq_1);
	wr(&s.s2.y, 2);
	recv(F.c);
}

FCASE(RaceComp2, RACE)
{
	F.c = mkchan(1);
	go0(s1x_eq_1);
	wrn(&s, sizeof s); /* s = S{} */
	recv(F.c);
}

FCASE(RaceComp3, RACE)
{
	F.c = mkchan(1);
	go0(s2y_eq_1);
	wrn(&s, sizeof s);
	recv(F.c);
}

static struct S *sarr;

static void sx_s2y_eq_1(void)
{
	wr(&sarr[rd(&F.x)].s2.y, 1);
	ch_true();
}

FCASE(RaceCompArray, RACE)
{
	F.c = mkchan(1);
	sarr = md_alloc(10 * sizeof *sarr);
	F.x = 4;
	go0(sx_s2y_eq_1);
	wr(&F.x, 5);
	recv(F.c);
}

/* P2 is P: conversions are the same memory. */
static struct P p;

static void px_eq_1(void)
{
	wr(&p.x, 1);
	ch_true();
}

FCASE(RaceConv1, RACE)
{
	F.c = mkchan(1);
	go0(px_eq_1);
	rd(&p.x); /* _ = P(p).x */
	recv(F.c);
}

FCASE(RaceConv2, RACE)
{
	F.c = mkchan(1);
	go0(px_eq_1);
	struct P *ptr = &p;
	rd(&ptr->x); /* _ = P(*ptr).x */
	recv(F.c);
}

FCASE(RaceConv3, RACE)
{
	F.c = mkchan(1);
	go0(s1x_eq_1);
	rd(&s.s1.x); /* _ = P2(S(s).s1).x */
	recv(F.c);
}

static struct {
	struct P V[4];
} X;

static void xv1x_eq_1(void)
{
	wr(&X.V[1].x, 1);
	ch_true();
}

FCASE(RaceConv4, RACE)
{
	F.c = mkchan(1);
	go0(xv1x_eq_1);
	rd(&X.V[1].x); /* _ = P2(X(x).V[1]).x */
	recv(F.c);
}

/* type Ptr struct{ s1, s2 *P } */
static struct {
	struct P *s1, *s2;
} ptr;

static void ptr_init(void)
{
	F.c = mkchan(1);
	ptr.s1 = md_alloc(sizeof(struct P));
	ptr.s2 = md_alloc(sizeof(struct P));
	wrn(&ptr, sizeof ptr);
}

static void ptr_s1x_eq_1(void)
{
	struct P *q = rdp((void **)&ptr.s1);
	wr(&q->x, 1);
	ch_true();
}

static void ptr_s2x_eq_1(void)
{
	struct P *q = rdp((void **)&ptr.s2);
	wr(&q->x, 1);
	ch_true();
}

FCASE(NoRaceCompPtr, NORACE)
{
	ptr_init();
	go0(ptr_s1x_eq_1);
	struct P *q = rdp((void **)&ptr.s1);
	wr(&q->y, 2);
	recv(F.c);
}

FCASE(NoRaceCompPtr2, NORACE)
{
	ptr_init();
	go0(ptr_s1x_eq_1);
	rdn(&ptr, sizeof ptr); /* _ = p */
	recv(F.c);
}

FCASE(RaceCompPtr, RACE)
{
	ptr_init();
	go0(ptr_s2x_eq_1);
	struct P *q = rdp((void **)&ptr.s2);
	wr(&q->x, 2);
	recv(F.c);
}

FCASE(RaceCompPtr2, RACE)
{
	ptr_init();
	go0(ptr_s2x_eq_1);
	wrp((void **)&ptr.s2, md_alloc(sizeof(struct P)));
	recv(F.c);
}
