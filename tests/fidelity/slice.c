/*
 * tests/fidelity/slice.c - ports of Go's
 * src/runtime/race/testdata/slice_test.go.
 *
 * A slice is a heap array (md_alloc) plus, where a test reassigns the
 * slice variable (so a closure captures it by reference and Go
 * instruments the variable itself), a header {ptr, len, cap} in .bss,
 * read and written as a whole (rdn/wrn). What Go's runtime annotates:
 * copy reads the source range and writes the target range (slicecopy);
 * append within capacity writes the new elements; append beyond it reads
 * the old elements (growslice) into a new array; string(b) and
 * string(runes) read the whole range; len and cap of a captured-by-value
 * slice read nothing.
 */
#include "cases.h"

struct slice {
	void *p;
	long len, cap;
};

static struct slice S; /* slice variables captured by reference */

static long *mkints(long n)
{
	return md_alloc((size_t)n * sizeof(long));
}

static void copyn(void *to, const void *from, size_t n)
{
	rdn(from, n);
	wrn(to, n);
}

/* append(s, ...) of n elements of size sz to a slice of len, cap: within
 * capacity the new elements are written in place; beyond it the old ones
 * are read into a new array. */
static void *append_n(void *p, long len, long cap, size_t sz, long n)
{
	if (len + n <= cap) {
		wrn((char *)p + (size_t)len * sz, (size_t)n * sz);
		return p;
	}
	char *np = md_alloc((size_t)(len + n) * sz * 2);
	rdn(p, (size_t)len * sz);
	wrn(np, (size_t)(len + n) * sz);
	return np;
}

static long *A, *B;

static void ch_true(void)
{
	send(F.ch, 1);
}

/* ---- element accesses --------------------------------------------------- */

static void a1_eq_1(void)
{
	wr(&A[1], 1);
	ch_true();
}

static void a0_eq_1(void)
{
	wr(&A[0], 1);
	ch_true();
}

FCASE(RaceSliceRW, RACE)
{
	F.ch = mkchan(1);
	A = mkints(2);
	go0(a1_eq_1);
	rd(&A[1]);
	recv(F.ch);
}

FCASE(NoRaceSliceRW, NORACE)
{
	F.ch = mkchan(1);
	A = mkints(2);
	go0(a0_eq_1);
	rd(&A[1]);
	recv(F.ch);
}

FCASE(RaceSliceWW, RACE)
{
	A = mkints(10);
	F.ch = mkchan(1);
	go0(a1_eq_1);
	wr(&A[1], 2);
	recv(F.ch);
}

static void arr0_eq_1(void)
{
	wr(&F.arr[0], 1);
	ch_true();
}

static void arr1_eq_1(void)
{
	wr(&F.arr[1], 1);
	ch_true();
}

FCASE(NoRaceArrayWW, NORACE)
{
	F.ch = mkchan(1);
	go0(arr0_eq_1);
	wr(&F.arr[1], 2);
	recv(F.ch);
}

FCASE(RaceArrayWW, RACE)
{
	F.ch = mkchan(1);
	go0(arr1_eq_1);
	wr(&F.arr[1], 2);
	recv(F.ch);
}

static signed char *BOOLS;

static void bools0_true(void)
{
	wr8(&BOOLS[0], 1);
	ch_true();
}

FCASE(NoRaceSliceWriteLen, NORACE)
{
	F.ch = mkchan(1);
	BOOLS = md_alloc(1);
	go0(bools0_true);
	long len = 1; /* _ = len(a): the header, captured by value */
	(void)len;
	recv(F.ch);
}

static void a50_eq_123(void)
{
	wr(&A[50], 123);
	ch_true();
}

FCASE(NoRaceSliceWriteCap, NORACE)
{
	F.ch = mkchan(1);
	A = mkints(100);
	go0(a50_eq_123);
	recv(F.ch);
}

/* ---- copy ------------------------------------------------------------------ */

static void rd_a5(void)
{
	rd(&A[5]);
	ch_true();
}

static void rd_b5(void)
{
	rd(&B[5]);
	ch_true();
}

static void wr_a5(void)
{
	wr(&A[5], 1);
	ch_true();
}

static void wr_b5(void)
{
	wr(&B[5], 1);
	ch_true();
}

static void ab10(void)
{
	F.ch = mkchan(1);
	A = mkints(10);
	B = mkints(10);
}

FCASE(RaceSliceCopyRead, RACE)
{
	ab10();
	go0(rd_a5);
	copyn(A, B, 10 * sizeof(long));
	recv(F.ch);
}

FCASE(NoRaceSliceWriteCopy, NORACE)
{
	ab10();
	go0(wr_a5);
	copyn(A, B, 5 * sizeof(long));
	recv(F.ch);
}

FCASE(RaceSliceCopyWrite2, RACE)
{
	ab10();
	go0(wr_b5);
	copyn(A, B, 10 * sizeof(long));
	recv(F.ch);
}

static signed char *BYTES;

static void bytes7_eq_1(void)
{
	wr8(&BYTES[7], 1);
	ch_true();
}

FCASE(RaceSliceCopyWrite3, RACE)
{
	static const char str[] = "qwertyqwerty"; /* a string literal: rodata */
	F.ch = mkchan(1);
	BYTES = md_alloc(10);
	go0(bytes7_eq_1);
	wrn(BYTES, 10); /* copy(a, "...") writes min(len) = 10 bytes */
	(void)str;
	recv(F.ch);
}

FCASE(NoRaceSliceCopyRead, NORACE)
{
	ab10();
	go0(rd_b5);
	copyn(A, B, 10 * sizeof(long));
	recv(F.ch);
}

/* []*int: pointer-sized elements, the same accesses. */
static void *P[10], *Q[10];

static void rd_p5(void)
{
	rdp(&P[5]);
	ch_true();
}

static void rd_q5(void)
{
	rdp(&Q[5]);
	ch_true();
}

static void wr_p5(void)
{
	wrp(&P[5], md_alloc(sizeof(long)));
	ch_true();
}

static void wr_q5(void)
{
	wrp(&Q[5], md_alloc(sizeof(long)));
	ch_true();
}

FCASE(RacePointerSliceCopyRead, RACE)
{
	F.ch = mkchan(1);
	go0(rd_p5);
	copyn(P, Q, sizeof P);
	recv(F.ch);
}

FCASE(NoRacePointerSliceWriteCopy, NORACE)
{
	F.ch = mkchan(1);
	go0(wr_p5);
	copyn(P, Q, 5 * sizeof(void *));
	recv(F.ch);
}

FCASE(RacePointerSliceCopyWrite2, RACE)
{
	F.ch = mkchan(1);
	go0(wr_q5);
	copyn(P, Q, sizeof P);
	recv(F.ch);
}

FCASE(NoRacePointerSliceCopyRead, NORACE)
{
	F.ch = mkchan(1);
	go0(rd_q5);
	copyn(P, Q, sizeof P);
	recv(F.ch);
}

/* ---- reslicing: only an assignment to the variable writes it ----------- */

static void a2_eq_1(void)
{
	wr(&A[2], 1);
	ch_true();
}

FCASE(NoRaceSliceWriteSlice2, NORACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(a2_eq_1);
	/* _ = a[0:5]: nothing read */
	recv(F.ch);
}

static void s_p2_eq_1(void)
{
	struct slice s;
	rdn(&S, sizeof S); /* a is captured by reference: read it */
	s = S;
	wr(&((long *)s.p)[2], 1);
	ch_true();
}

FCASE(RaceSliceWriteSlice, RACE)
{
	F.ch = mkchan(1);
	S = (struct slice){mkints(10), 10, 10};
	go0(s_p2_eq_1);
	wrn(&S, sizeof S); /* a = a[5:10] */
	S.p = (long *)S.p + 5;
	S.len = S.cap = 5;
	recv(F.ch);
}

FCASE(NoRaceSliceWriteSlice, NORACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(a2_eq_1);
	recv(F.ch);
}

static void len_only(void)
{
	ch_true(); /* _ = len(a) of []struct{}: nothing read */
}

FCASE(NoRaceSliceLenCap, NORACE)
{
	F.ch = mkchan(1);
	go0(len_only);
	recv(F.ch);
}

/* type Str struct{ a, b []int }: ranging over s.a reads s.a's header,
 * s.b[5] = 5 reads s.b's header and writes an element of b. */
static struct slice STR[2];

static void range_str_a(void)
{
	rdn(&STR[0], sizeof STR[0]);
	ch_true();
}

FCASE(NoRaceStructSlicesRangeWrite, NORACE)
{
	F.ch = mkchan(1);
	wrn(&STR[0], sizeof STR[0]);
	STR[0] = (struct slice){mkints(10), 10, 10};
	wrn(&STR[1], sizeof STR[1]);
	STR[1] = (struct slice){mkints(10), 10, 10};
	go0(range_str_a);
	rdn(&STR[1], sizeof STR[1]);
	wr(&((long *)STR[1].p)[5], 5);
	recv(F.ch);
}

static void a3_eq_3(void)
{
	wr(&A[3], 3);
	ch_true();
}

/* s2 := s shares the array: s2[3] and s[3] are one element. */
FCASE(RaceSliceDifferent, RACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	long *s2 = A;
	go0(a3_eq_3);
	wr(&s2[3], 3);
	recv(F.ch);
}

FCASE(RaceSliceRangeWrite, RACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(a3_eq_3);
	for (int i = 0; i < 10; i++) /* for _, v := range s */
		rd(&A[i]);
	recv(F.ch);
}

FCASE(NoRaceSliceRangeWrite, NORACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(a3_eq_3);
	/* for range s {}: reads no element */
	recv(F.ch);
}

/* ---- the slice variable itself ------------------------------------------ */

static void s_append_3(void)
{
	rdn(&S, sizeof S);
	struct slice s = S;
	void *np = append_n(s.p, s.len, s.cap, sizeof(long), 1);
	wrn(&S, sizeof S); /* s = append(s, 3) */
	S.p = np;
	S.len = s.len + 1;
	S.cap = np == s.p ? s.cap : 2 * (s.len + 1);
	ch_true();
}

static void s10(void)
{
	F.ch = mkchan(1);
	S = (struct slice){mkints(10), 10, 10};
}

FCASE(RaceSliceRangeAppend, RACE)
{
	s10();
	go0(s_append_3);
	rdn(&S, sizeof S); /* for range s */
	recv(F.ch);
}

static void a_append_3(void)
{
	append_n(A, 10, 10, sizeof(long), 1); /* _ = append(s, 3) */
	ch_true();
}

FCASE(NoRaceSliceRangeAppend, NORACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(a_append_3);
	/* for range s {}: s captured by value, nothing read */
	recv(F.ch);
}

static void s_reassign_20(void)
{
	wrn(&S, sizeof S); /* s = make([]int, 20) */
	S = (struct slice){mkints(20), 20, 20};
}

static void sv_write(void)
{
	rdn(&S, sizeof S);
	wr(&((long *)S.p)[3], 3);
	ch_true();
}

static void sv_read(void)
{
	rdn(&S, sizeof S);
	rd(&((long *)S.p)[3]);
	ch_true();
}

static void sv_range(void)
{
	rdn(&S, sizeof S);
	ch_true();
}

static void sv_append(void)
{
	rdn(&S, sizeof S);
	append_n(S.p, S.len, S.cap, sizeof(long), 1);
	ch_true();
}

static void sv_copy_to(void)
{
	long *s2 = mkints(10);
	rdn(&S, sizeof S);
	copyn(S.p, s2, 10 * sizeof(long));
	ch_true();
}

static void sv_copy_from(void)
{
	long *s2 = mkints(10);
	rdn(&S, sizeof S);
	copyn(s2, S.p, 10 * sizeof(long));
	ch_true();
}

FCASE(RaceSliceVarWrite, RACE)
{
	s10();
	go0(sv_write);
	s_reassign_20();
	recv(F.ch);
}

FCASE(RaceSliceVarRead, RACE)
{
	s10();
	go0(sv_read);
	s_reassign_20();
	recv(F.ch);
}

FCASE(RaceSliceVarRange, RACE)
{
	s10();
	go0(sv_range);
	s_reassign_20();
	recv(F.ch);
}

FCASE(RaceSliceVarAppend, RACE)
{
	s10();
	go0(sv_append);
	s_reassign_20();
	recv(F.ch);
}

FCASE(RaceSliceVarCopy, RACE)
{
	s10();
	go0(sv_copy_to);
	s_reassign_20();
	recv(F.ch);
}

FCASE(RaceSliceVarCopy2, RACE)
{
	s10();
	go0(sv_copy_from);
	s_reassign_20();
	recv(F.ch);
}

/* ---- append ---------------------------------------------------------------- */

static void a_append_cap20(void)
{
	append_n(A, 10, 20, sizeof(long), 1);
	ch_true();
}

/* len 10, cap 20: both appends write element 10 in place. */
FCASE(RaceSliceAppend, RACE)
{
	F.ch = mkchan(1);
	A = mkints(20);
	go0(a_append_cap20);
	append_n(A, 10, 20, sizeof(long), 1);
	recv(F.ch);
}

FCASE(RaceSliceAppendWrite, RACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(a_append_3);
	wr(&A[0], 42);
	recv(F.ch);
}

/* append(s, s2...): grow (read s), then copy s2 in (read s2). */
static void a_append_b(void)
{
	void *np = append_n(A, 10, 10, sizeof(long), 10);
	copyn((long *)np + 10, B, 10 * sizeof(long));
	ch_true();
}

FCASE(RaceSliceAppendSlice, RACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	B = mkints(10);
	go0(a_append_b);
	wr(&A[0], 42);
	recv(F.ch);
}

FCASE(RaceSliceAppendSlice2, RACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	B = mkints(10); /* s2foobar */
	go0(a_append_b);
	wr(&B[5], 42);
	recv(F.ch);
}

static void bytes_append_str(void)
{
	append_n(BYTES, 10, 10, 1, 6); /* append(s, "qwerty"...) */
	ch_true();
}

FCASE(RaceSliceAppendString, RACE)
{
	F.ch = mkchan(1);
	BYTES = md_alloc(10);
	go0(bytes_append_str);
	wr8(&BYTES[0], 42);
	recv(F.ch);
}

static void *PP[20];

static void pp_append_cap20(void)
{
	append_n(PP, 10, 20, sizeof(void *), 1);
	ch_true();
}

FCASE(RacePointerSliceAppend, RACE)
{
	F.ch = mkchan(1);
	go0(pp_append_cap20);
	append_n(PP, 10, 20, sizeof(void *), 1);
	recv(F.ch);
}

static void p_append_1(void)
{
	append_n(P, 10, 10, sizeof(void *), 1);
	ch_true();
}

FCASE(RacePointerSliceAppendWrite, RACE)
{
	F.ch = mkchan(1);
	go0(p_append_1);
	wrp(&P[0], md_alloc(sizeof(long)));
	recv(F.ch);
}

static void p_append_q(void)
{
	void **np = append_n(P, 10, 10, sizeof(void *), 10);
	copyn(np + 10, Q, sizeof Q);
	ch_true();
}

FCASE(RacePointerSliceAppendSlice, RACE)
{
	F.ch = mkchan(1);
	go0(p_append_q);
	wrp(&P[0], md_alloc(sizeof(long)));
	recv(F.ch);
}

FCASE(RacePointerSliceAppendSlice2, RACE)
{
	F.ch = mkchan(1);
	go0(p_append_q);
	wrp(&Q[5], NULL);
	recv(F.ch);
}

/* ---- index expressions read the index variable ------------------------ */

static void rd_v(void)
{
	rd(&F.v);
	ch_true();
}

static void v_eq_1(void)
{
	wr(&F.v, 1);
	ch_true();
}

FCASE(NoRaceSliceIndexAccess, NORACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(rd_v);
	wr(&A[rd(&F.v)], 1);
	recv(F.ch);
}

FCASE(NoRaceSliceIndexAccess2, NORACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(rd_v);
	rd(&A[rd(&F.v)]);
	recv(F.ch);
}

FCASE(RaceSliceIndexAccess, RACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(v_eq_1);
	wr(&A[rd(&F.v) & 1], 1);
	recv(F.ch);
}

FCASE(RaceSliceIndexAccess2, RACE)
{
	F.ch = mkchan(1);
	A = mkints(10);
	go0(v_eq_1);
	rd(&A[rd(&F.v) & 1]);
	recv(F.ch);
}

/* ---- strings ------------------------------------------------------------------ */

static void bytes_to_string(void)
{
	rdn(BYTES, 10); /* slicebytetostring */
	send(F.c, 0);
}

FCASE(RaceSliceByteToString, RACE)
{
	F.c = mkchan(0);
	BYTES = md_alloc(10);
	go0(bytes_to_string);
	wr8(&BYTES[0], 42);
	recv(F.c);
}

static int32_t *RUNES;

static void runes_to_string(void)
{
	rdn(RUNES, 10 * sizeof(int32_t)); /* slicerunetostring */
	send(F.c, 0);
}

__attribute__((noinline)) static void wr32(int32_t *p, int32_t v)
{
	MD_FUNC_ENTER();
	MD_WRITE(p);
	STORE(p, v);
	MD_FUNC_EXIT();
}

FCASE(RaceSliceRuneToString, RACE)
{
	F.c = mkchan(0);
	RUNES = md_alloc(10 * sizeof(int32_t));
	go0(runes_to_string);
	wr32(&RUNES[9], 42);
	recv(F.c);
}

/* A string variable is a {ptr, len} header. */
static struct {
	const char *p;
	long len;
} STR1, STR2;

static void concat_s(void)
{
	rdn(&STR1, sizeof STR1); /* s + " world" reads s */
	send(F.c, 0);
}

FCASE(RaceConcatString, RACE)
{
	STR1.p = "hello";
	STR1.len = 5;
	F.c = mkchan(1);
	go0(concat_s);
	wrn(&STR1, sizeof STR1); /* s = "world" */
	STR1.p = "world";
	recv(F.c);
}

static void compare_s1_s2(void)
{
	rdn(&STR1, sizeof STR1);
	rdn(&STR2, sizeof STR2);
	send(F.c, 0);
}

FCASE(RaceCompareString, RACE)
{
	STR1.p = "hello";
	STR2.p = "world";
	STR1.len = STR2.len = 5;
	F.c = mkchan(1);
	go0(compare_s1_s2);
	rdn(&STR2, sizeof STR2); /* s1 = s2 */
	wrn(&STR1, sizeof STR1);
	STR1 = STR2;
	recv(F.c);
}

static void i_eq_3(void)
{
	wr(&F.i, 3);
	send(F.done, 1);
}

FCASE(RaceSlice3, RACE)
{
	F.done = mkchan(0);
	A = mkints(10);
	F.i = 2;
	go0(i_eq_3);
	rd(&F.i); /* _ = x[:1:i] */
	recv(F.done);
}

static void data_to_string(void)
{
	rdn(BYTES, 11); /* _ = string(data) */
	md_wg_done(&F.wg);
}

/* Go issue 36794: copy with overlapping ranges is still a write. */
FCASE(RaceSlice4, RACE)
{
	BYTES = md_alloc(11); /* []byte("hello there") */
	wrn(BYTES, 11);
	md_wg_add(&F.wg, 1);
	go0(data_to_string);
	copyn(BYTES, BYTES + 2, 9);
	md_wg_wait(&F.wg);
}
