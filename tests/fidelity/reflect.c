/*
 * tests/fidelity/reflect.c - ports of Go's
 * src/runtime/race/testdata/reflect_test.go: reflect reads and writes
 * memory as the compiler would (Elem().Int() reads, Set writes through
 * typedmemmove, reflect.Copy is typedslicecopy: reads the source range and
 * writes the target range).
 */
#include "cases.h"

static long *I;

static void elem_set_1(void)
{
	wr(I, 1); /* v.Elem().Set(reflect.ValueOf(1)) */
	send(F.ch, 1);
}

FCASE(RaceReflectRW, RACE)
{
	F.ch = mkchan(1);
	I = md_alloc(sizeof *I); /* i escapes through reflect.ValueOf(&i) */
	go0(elem_set_1);
	rd(I); /* v.Elem().Int() */
	recv(F.ch);
}

FCASE(RaceReflectWW, RACE)
{
	F.ch = mkchan(1);
	I = md_alloc(sizeof *I);
	go0(elem_set_1);
	wr(I, 2);
	recv(F.ch);
}

static char *A;

static void copy_v_v(void)
{
	rdn(A, 2); /* reflect.Copy(v, v) */
	wrn(A, 2);
}

static void copy_g(void)
{
	copy_v_v();
	send(F.ch, 1);
}

FCASE(RaceReflectCopyWW, RACE)
{
	F.ch = mkchan(1);
	A = md_alloc(2);
	go0(copy_g);
	copy_v_v();
	recv(F.ch);
}
