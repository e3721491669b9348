/*
 * tests/fidelity/atomic.c - ports of Go's src/runtime/race/testdata/atomic_test.go
 * (sync/atomic in race mode: each operation is an atomic access recorded
 * with its memory order, through racewire's rw_atomic*: md_atomic_*).
 *
 * The Int32 tests use md_atomic_*32 on an int32 word, the Int64, Uint64
 * and Pointer tests md_atomic_*64 on an int64 word (a pointer's bits).
 * A plain access of a word racing with an atomic one is reported
 * (TestRaceAtomicStoreLoad and the three after it).
 */
#include "cases.h"

static void addint64_g1(void)
{
	wr8(&F.b[0], 1);
	if (md_atomic_add64(&F.s, 1) == 2)
		wr8(&F.b[1], 1);
	send(F.ch, 1);
}

static void addint64_g2(void)
{
	wr8(&F.b[1], 1);
	if (md_atomic_add64(&F.s, 1) == 2)
		wr8(&F.b[0], 1);
	send(F.ch, 1);
}

/* x1, x2 int8: adjacent bytes, which must not be confused either. */
FCASE(NoRaceAtomicAddInt64, NORACE)
{
	F.ch = mkchan(2);
	go0(addint64_g1);
	go0(addint64_g2);
	recv(F.ch);
	recv(F.ch);
}

FCASE(NoRaceAtomicAddInt32, NORACE)
{
	F.ch = mkchan(2);
	go0(addint64_g1);
	go0(addint64_g2);
	recv(F.ch);
	recv(F.ch);
}

static void raceadd_g1(void)
{
	wr8(&F.b[0], 1);
	if (md_atomic_add64(&F.s, 1) == 1)
		wr8(&F.b[1], 1);
	send(F.ch, 1);
}

static void raceadd_g2(void)
{
	wr8(&F.b[1], 1);
	if (md_atomic_add64(&F.s, 1) == 1)
		wr8(&F.b[0], 1);
	send(F.ch, 1);
}

FCASE(RaceAtomicAddInt64, RACE)
{
	F.ch = mkchan(2);
	go0(raceadd_g1);
	go0(raceadd_g2);
	recv(F.ch);
	recv(F.ch);
}

/* x = 2 then publish through s; the main task waits for s, then x = 1. */
static void x2_add(void) { wr(&F.x, 2); md_atomic_add64(&F.s, 1); }
static void x2_store(void) { wr(&F.x, 2); md_atomic_store64(&F.s, 1); }
static void x2_cas(void)
{
	wr(&F.x, 2);
	if (!md_atomic_cas64(&F.s, 0, 1))
		md_exit(3);
}

static void until_load_1(void)
{
	while (md_atomic_load64(&F.s) != 1)
		md_yield();
}

static void until_cas_1_0(void)
{
	while (!md_atomic_cas64(&F.s, 1, 0))
		md_yield();
}

static void x2_add32(void) { wr(&F.x, 2); md_atomic_add32(&F.s32, 1); }
static void x2_store32(void) { wr(&F.x, 2); md_atomic_store32(&F.s32, 1); }
static void x2_cas32(void)
{
	wr(&F.x, 2);
	if (!md_atomic_cas32(&F.s32, 0, 1))
		md_exit(3);
}

static void until_load32_1(void)
{
	while (md_atomic_load32(&F.s32) != 1)
		md_yield();
}

static void until_cas32_1_0(void)
{
	while (!md_atomic_cas32(&F.s32, 1, 0))
		md_yield();
}

#define ATOMIC_PUBLISH(id, g, waiter)                                               \
	FCASE(id, NORACE)                                                           \
	{                                                                           \
		go0(g);                                                             \
		waiter();                                                           \
		wr(&F.x, 1);                                                        \
	}

ATOMIC_PUBLISH(NoRaceAtomicLoadAddInt32, x2_add32, until_load32_1)
ATOMIC_PUBLISH(NoRaceAtomicLoadStoreInt32, x2_store32, until_load32_1)
ATOMIC_PUBLISH(NoRaceAtomicStoreCASInt32, x2_store32, until_cas32_1_0)
ATOMIC_PUBLISH(NoRaceAtomicCASLoadInt32, x2_cas32, until_load32_1)
ATOMIC_PUBLISH(NoRaceAtomicCASCASInt32, x2_cas32, until_cas32_1_0)
ATOMIC_PUBLISH(NoRaceAtomicLoadInt64, x2_add, until_load_1)
ATOMIC_PUBLISH(NoRaceAtomicCASCASUInt64, x2_cas, until_cas_1_0)
ATOMIC_PUBLISH(NoRaceAtomicStoreCASUint64, x2_store, until_cas_1_0)

static void cascas2_g1(void)
{
	wr8(&F.b[0], 1);
	if (!md_atomic_cas32(&F.s32, 0, 1))
		wr8(&F.b[1], 1);
	send(F.ch, 1);
}

static void cascas2_g2(void)
{
	wr8(&F.b[1], 1);
	if (!md_atomic_cas32(&F.s32, 0, 1))
		wr8(&F.b[0], 1);
	send(F.ch, 1);
}

FCASE(NoRaceAtomicCASCASInt32_2, NORACE)
{
	F.ch = mkchan(2);
	go0(cascas2_g1);
	go0(cascas2_g2);
	recv(F.ch);
	recv(F.ch);
}

/* StorePointer/LoadPointer: the pointer's bits in an int64 word. */
static long y_target = 2;

static void x2_store_ptr(void)
{
	wr(&F.x, 2);
	md_atomic_store64(&F.s, (int64_t)(intptr_t)&y_target);
}

FCASE(NoRaceAtomicLoadStorePointer, NORACE)
{
	go0(x2_store_ptr);
	while (md_atomic_load64(&F.s) != (int64_t)(intptr_t)&y_target)
		md_yield();
	wr(&F.x, 1);
}

/* ---- a plain access vs an atomic one (var a uint64) ------------------- */

static void atomic_store_c(void)
{
	md_atomic_store64(&F.s, 1);
	send(F.c, 1);
}

static void atomic_load_c(void)
{
	(void)md_atomic_load64(&F.s);
	send(F.c, 1);
}

static void atomic_add_c(void)
{
	md_atomic_add64(&F.s, 1);
	send(F.c, 1);
}

FCASE(RaceAtomicStoreLoad, RACE)
{
	F.c = mkchan(0);
	go0(atomic_store_c);
	rd((long *)&F.s); /* _ = a */
	recv(F.c);
}

FCASE(RaceAtomicLoadStore, RACE)
{
	F.c = mkchan(0);
	go0(atomic_load_c);
	wr((long *)&F.s, 1); /* a = 1 */
	recv(F.c);
}

FCASE(RaceAtomicAddLoad, RACE)
{
	F.c = mkchan(0);
	go0(atomic_add_c);
	rd((long *)&F.s);
	recv(F.c);
}

FCASE(RaceAtomicAddStore, RACE)
{
	F.c = mkchan(0);
	go0(atomic_add_c);
	wr((long *)&F.s, 42);
	recv(F.c);
}

static void nil_add32(void)
{
	int32_t *nilptr = NULL;
	md_atomic_add32(nilptr, 1);
}

FCASE(NoRaceAtomicCrash, NORACE)
{
	long *panics = md_alloc(sizeof *panics);
	if (try0(nil_add32)) {
		md_mutex_lock(&F.mu);
		wr(panics, rd(panics) + 1);
		md_mutex_unlock(&F.mu);
	} else {
		md_panic("no panic");
	}
}

/* Go issue 42599 (a deferred atomic store scanned by the GC): a tree of
 * goroutines, each storing 1 then, deferred, 0 to its own foo.bar. Go's
 * depth is 11 (4095 goroutines); 6 here (127): the shape, not the count,
 * is the test, and the model has no GC to scan the deferred call. */
static void do_fork(long arg)
{
	int64_t *bar = (int64_t *)(uintptr_t)(arg & ~15L);
	long depth = arg & 15;
	md_atomic_store64(bar, 1);
	if (depth > 0)
		for (int i = 0; i < 2; i++) {
			int64_t *f2 = md_alloc(sizeof *f2);
			go1(do_fork, (long)(uintptr_t)f2 | (depth - 1));
		}
	md_atomic_store64(bar, 0); /* deferred */
}

FCASE(NoRaceDeferAtomicStore, NORACE)
{
	int64_t *f = md_alloc(sizeof *f);
	do_fork((long)(uintptr_t)f | 6);
}
