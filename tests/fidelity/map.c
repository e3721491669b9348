/*
 * tests/fidelity/map.c - ports of Go's src/runtime/race/testdata/map_test.go
 * on md_map: a lookup, len and range read the map header, an assignment
 * and a delete write it; the key is read; the value is read by an
 * assignment and written into the variable a lookup fills. Keys and
 * values that Go tests race on are globals (TSan shadows them); the others
 * are C locals, which the model does not annotate.
 */
#include "cases.h"

#include <string.h>

static md_map_t *M;

static void ch_true(void)
{
	send(F.ch, 1);
}

static void mkmap_ii(void)
{
	M = md_map_make(sizeof(long), sizeof(long));
	F.ch = mkchan(1);
}

static void m_get1(void)
{
	long k = 1, v;
	md_map_get(M, &k, &v); /* _ = m[1] */
	ch_true();
}

static void m_set1(void)
{
	long k = 1, v = 1;
	md_map_set(M, &k, &v);
}

FCASE(RaceMapRW, RACE)
{
	mkmap_ii();
	go0(m_get1);
	m_set1();
	recv(F.ch);
}

FCASE(RaceMapRW2, RACE)
{
	mkmap_ii();
	go0(m_get1); /* _, _ = m[1] */
	m_set1();
	recv(F.ch);
}

static void m_get1_arr(void)
{
	long k = 1, v[2];
	md_map_get(M, &k, v); /* _ = m[1][1] */
	ch_true();
}

FCASE(RaceMapRWArray, RACE)
{
	M = md_map_make(sizeof(long), 2 * sizeof(long));
	F.ch = mkchan(1);
	go0(m_get1_arr);
	long k = 2, v[2] = {1, 2};
	md_map_set(M, &k, v);
	recv(F.ch);
}

FCASE(NoRaceMapRR, NORACE)
{
	mkmap_ii();
	go0(m_get1);
	long k = 1;
	md_map_get(M, &k, NULL);
	recv(F.ch);
}

static void nothing(const void *k, void *v, void *arg)
{
	(void)k, (void)v, (void)arg;
}

static void m_range(void)
{
	md_map_range(M, nothing, NULL);
	ch_true();
}

FCASE(RaceMapRange, RACE)
{
	mkmap_ii();
	go0(m_range);
	m_set1();
	recv(F.ch);
}

FCASE(RaceMapRange2, RACE)
{
	mkmap_ii();
	go0(m_range);
	m_set1();
	recv(F.ch);
}

FCASE(NoRaceMapRangeRange, NORACE)
{
	mkmap_ii();
	long k = 0, v = 0;
	md_map_set(M, &k, &v);
	go0(m_range);
	md_map_range(M, nothing, NULL);
	recv(F.ch);
}

/* map[string]bool: a string key is its {ptr, len} header here. */
struct str {
	const char *p;
	long len;
};

static void mkmap_sb(void)
{
	M = md_map_make(sizeof(struct str), 1);
	F.ch = mkchan(1);
}

static void m_len(void)
{
	md_map_len(M);
	ch_true();
}

static void m_set_empty(void)
{
	struct str k = {"", 0};
	char t = 1;
	md_map_set(M, &k, &t);
}

static void m_delete(const char *s)
{
	struct str k = {s, (long)strlen(s)};
	md_map_delete(M, &k);
}

static void m_delete_empty(void)
{
	m_delete("");
	ch_true();
}

static void m_delete_a(void)
{
	m_delete("a");
	ch_true();
}

FCASE(RaceMapLen, RACE)
{
	mkmap_sb();
	go0(m_len);
	m_set_empty();
	recv(F.ch);
}

FCASE(RaceMapDelete, RACE)
{
	mkmap_sb();
	go0(m_delete_empty);
	m_set_empty();
	recv(F.ch);
}

FCASE(RaceMapLenDelete, RACE)
{
	mkmap_sb();
	go0(m_delete_a);
	md_map_len(M);
	recv(F.ch);
}

/* The map variable itself: m captured by reference. */
static void mvar_make(void)
{
	wrp(&F.ptr, md_map_make(sizeof(long), sizeof(long)));
}

static void mvar_make_ch(void)
{
	mvar_make();
	ch_true();
}

static void mvar_set1(void)
{
	long k = 1, v = 1;
	md_map_set(rdp(&F.ptr), &k, &v);
	ch_true();
}

static void mvar_get1(void)
{
	long k = 1;
	md_map_get(rdp(&F.ptr), &k, NULL);
	ch_true();
}

FCASE(RaceMapVariable, RACE)
{
	F.ch = mkchan(1);
	mvar_make();
	go0(mvar_make_ch);
	mvar_make();
	recv(F.ch);
}

FCASE(RaceMapVariable2, RACE)
{
	F.ch = mkchan(1);
	mvar_make();
	go0(mvar_set1);
	mvar_make();
	recv(F.ch);
}

FCASE(RaceMapVariable3, RACE)
{
	F.ch = mkchan(1);
	mvar_make();
	go0(mvar_get1);
	mvar_make();
	recv(F.ch);
}

/* type Big struct{ x [17]int32 }: k := &Big{} escapes, the key is read. */
struct big {
	int32_t x[17];
};
static struct big *BK;

__attribute__((noinline)) static void wr32(int32_t *p, int32_t v)
{
	MD_FUNC_ENTER();
	MD_WRITE(p);
	STORE(p, v);
	MD_FUNC_EXIT();
}

static void bk_x8_eq_1(void)
{
	wr32(&BK->x[8], 1);
	ch_true();
}

static void mkmap_big_bool(void)
{
	BK = md_alloc(sizeof *BK);
	M = md_map_make(sizeof(struct big), 1);
	F.ch = mkchan(1);
	go0(bk_x8_eq_1);
}

FCASE(RaceMapLookupPartKey, RACE)
{
	mkmap_big_bool();
	md_map_get(M, BK, NULL); /* _ = m[*k] */
	recv(F.ch);
}

FCASE(RaceMapLookupPartKey2, RACE)
{
	mkmap_big_bool();
	md_map_get(M, BK, NULL); /* _, _ = m[*k] */
	recv(F.ch);
}

FCASE(RaceMapDeletePartKey, RACE)
{
	mkmap_big_bool();
	md_map_delete(M, BK);
	recv(F.ch);
}

FCASE(RaceMapInsertPartKey, RACE)
{
	mkmap_big_bool();
	char t = 1;
	md_map_set(M, BK, &t);
	recv(F.ch);
}

FCASE(RaceMapInsertPartVal, RACE)
{
	BK = md_alloc(sizeof *BK); /* v := &Big{} */
	M = md_map_make(sizeof(long), sizeof(struct big));
	F.ch = mkchan(1);
	go0(bk_x8_eq_1);
	long k = 1;
	md_map_set(M, &k, BK); /* m[1] = *v */
	recv(F.ch);
}

/* Go issue 7561: conns[1][0], err = connect(): the element of the slice
 * stored in the map is written, and read by x := conns[1][0]. */
static void conns_assign(void)
{
	long k = 1;
	long *sl;
	md_map_get(M, &k, &sl); /* conns[1] */
	wr(&sl[0], 42);
	wrp(&F.ptr2, NULL);     /* err */
	ch_true();
}

FCASE(RaceMapAssignMultipleReturn, RACE)
{
	M = md_map_make(sizeof(long), sizeof(long *));
	F.ch = mkchan(1);
	long *arr = md_alloc(sizeof(long)); /* []int{0} */
	long k = 1;
	md_map_set(M, &k, &arr);
	go0(conns_assign);
	long *sl;
	md_map_get(M, &k, &sl);
	rd(&sl[0]); /* x := conns[1][0] */
	recv(F.ch);
}

/* BigKey [1000]*int and BigVal{x int; y [1000]*int}: variables. */
static void *BIGK[1000];
static struct {
	long x;
	void *y[1000];
} BIGV;

static void mkmap_bigk(void)
{
	M = md_map_make(sizeof BIGK, sizeof(long));
	F.ch = mkchan(1);
}

static void bigk_get(void)
{
	md_map_get(M, BIGK, NULL);
	ch_true();
}

static void bigk_set(void)
{
	long v = 1;
	md_map_set(M, BIGK, &v);
	ch_true();
}

static void bigk_delete(void)
{
	md_map_delete(M, BIGK);
	ch_true();
}

FCASE(RaceMapBigKeyAccess1, RACE)
{
	mkmap_bigk();
	go0(bigk_get);
	wrp(&BIGK[30], md_alloc(sizeof(long)));
	recv(F.ch);
}

FCASE(RaceMapBigKeyAccess2, RACE)
{
	mkmap_bigk();
	go0(bigk_get);
	wrp(&BIGK[30], md_alloc(sizeof(long)));
	recv(F.ch);
}

FCASE(RaceMapBigKeyInsert, RACE)
{
	mkmap_bigk();
	go0(bigk_set);
	wrp(&BIGK[30], md_alloc(sizeof(long)));
	recv(F.ch);
}

FCASE(RaceMapBigKeyDelete, RACE)
{
	mkmap_bigk();
	go0(bigk_delete);
	wrp(&BIGK[30], md_alloc(sizeof(long)));
	recv(F.ch);
}

static void bigv_set(void)
{
	long k = 1;
	md_map_set(M, &k, &BIGV); /* m[1] = v */
	ch_true();
}

static void bigv_get(void)
{
	long k = 1;
	md_map_get(M, &k, &BIGV); /* v = m[1] */
	ch_true();
}

static void mkmap_bigv(void)
{
	M = md_map_make(sizeof(long), sizeof BIGV);
	F.ch = mkchan(1);
}

FCASE(RaceMapBigValInsert, RACE)
{
	mkmap_bigv();
	go0(bigv_set);
	wrp(&BIGV.y[30], md_alloc(sizeof(long)));
	recv(F.ch);
}

FCASE(RaceMapBigValAccess1, RACE)
{
	mkmap_bigv();
	go0(bigv_get);
	wrp(&BIGV.y[30], md_alloc(sizeof(long)));
	recv(F.ch);
}

FCASE(RaceMapBigValAccess2, RACE)
{
	mkmap_bigv();
	go0(bigv_get); /* v, _ = m[1] */
	wrp(&BIGV.y[30], md_alloc(sizeof(long)));
	recv(F.ch);
}
