/*
 * tests/fidelity/atomic.c - ports of Go's src/runtime/race/testdata/atomic_test.go
 * (sync/atomic in race mode: release-acquire on the word's address).
 *
 * The model has only 64-bit atomics (md_atomic_*64): the Int32, Uint64
 * and Pointer variants use them on an int64 word, which keeps the shape
 * (which operation releases, which acquires) of each test.
 *
 * Gaps (fidelity gaps): TestRaceAtomicStoreLoad, TestRaceAtomicLoadStore,
 * TestRaceAtomicAddLoad, TestRaceAtomicAddStore mix an atomic operation
 * with a plain access of the same word. Go's race runtime performs the
 * atomic through __tsan_go_atomic*, which records an atomic access in the
 * word's shadow, so a plain access unordered with it is reported. md_atomic_*
 * only release/acquire and record no access (model/atomic.c says so), so
 * these races are missed. Kept as reproducers.
 * Skipped: TestNoRaceAtomicCrash (an atomic op on a nil pointer).
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

#define ATOMIC_PUBLISH(id, g, waiter)                                               \
	FCASE(id, NORACE)                                                           \
	{                                                                           \
		go0(g);                                                             \
		waiter();                                                           \
		wr(&F.x, 1);                                                        \
	}

ATOMIC_PUBLISH(NoRaceAtomicLoadAddInt32, x2_add, until_load_1)
ATOMIC_PUBLISH(NoRaceAtomicLoadStoreInt32, x2_store, until_load_1)
ATOMIC_PUBLISH(NoRaceAtomicStoreCASInt32, x2_store, until_cas_1_0)
ATOMIC_PUBLISH(NoRaceAtomicCASLoadInt32, x2_cas, until_load_1)
ATOMIC_PUBLISH(NoRaceAtomicCASCASInt32, x2_cas, until_cas_1_0)
ATOMIC_PUBLISH(NoRaceAtomicLoadInt64, x2_add, until_load_1)
ATOMIC_PUBLISH(NoRaceAtomicCASCASUInt64, x2_cas, until_cas_1_0)
ATOMIC_PUBLISH(NoRaceAtomicStoreCASUint64, x2_store, until_cas_1_0)

static void cascas2_g1(void)
{
	wr8(&F.b[0], 1);
	if (!md_atomic_cas64(&F.s, 0, 1))
		wr8(&F.b[1], 1);
	send(F.ch, 1);
}

static void cascas2_g2(void)
{
	wr8(&F.b[1], 1);
	if (!md_atomic_cas64(&F.s, 0, 1))
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

/* ---- reproducers of the gap: a plain access vs an atomic one ---------- */

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

#define GAP_WHY "md_atomic_* record no atomic access in the word's shadow, so a plain access of it races with nothing"

FGAP(RaceAtomicStoreLoad, RACE, GAP_WHY)
{
	F.c = mkchan(0);
	go0(atomic_store_c);
	rd((long *)&F.s); /* _ = a */
	recv(F.c);
}

FGAP(RaceAtomicLoadStore, RACE, GAP_WHY)
{
	F.c = mkchan(0);
	go0(atomic_load_c);
	wr((long *)&F.s, 1); /* a = 1 */
	recv(F.c);
}

FGAP(RaceAtomicAddLoad, RACE, GAP_WHY)
{
	F.c = mkchan(0);
	go0(atomic_add_c);
	rd((long *)&F.s);
	recv(F.c);
}

FGAP(RaceAtomicAddStore, RACE, GAP_WHY)
{
	F.c = mkchan(0);
	go0(atomic_add_c);
	wr((long *)&F.s, 42);
	recv(F.c);
}
