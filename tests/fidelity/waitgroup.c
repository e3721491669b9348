/*
 * tests/fidelity/waitgroup.c - ports of Go's
 * src/runtime/race/testdata/waitgroup_test.go (Done happens-before the
 * Wait that returns; Add/Done/Wait order nothing else).
 *
 * Add's first increment (v == delta) does race.Read(&wg.sema) and Wait's
 * first waiter race.Write(&wg.sema), as sync.WaitGroup does in race mode,
 * so an Add concurrent with a Wait is a race (TestRaceWaitGroupWrongAdd,
 * TestRaceWaitGroupReuse).
 */
#include "cases.h"

static void x_eq_j(long j)
{
	wr(&F.x, j);
	md_wg_done(&F.wg);
}

FCASE(NoRaceWaitGroup, NORACE)
{
	int n = 1;
	for (long i = 0; i < n; i++) {
		md_wg_add(&F.wg, 1);
		go1(x_eq_j, i);
	}
	md_wg_wait(&F.wg);
}

FCASE(RaceWaitGroup, RACE)
{
	int n = 2;
	for (long i = 0; i < n; i++) {
		md_wg_add(&F.wg, 1);
		go1(x_eq_j, i);
	}
	md_wg_wait(&F.wg);
}

FCASE(NoRaceWaitGroup2, NORACE)
{
	md_wg_add(&F.wg, 1);
	go1(x_eq_j, 1);
	md_wg_wait(&F.wg);
	wr(&F.x, 2);
}

/* Go sleeps 100ms after Wait so that both Waits (count 0) return before
 * either goroutine's Add(-1): then neither Wait acquires the other's
 * release. The port makes that interleaving certain with gates. */
static void wg_as_mutex(long v)
{
	md_wg_wait(&F.wg);
	gate_open((int)v);
	gate_wait(1);
	gate_wait(2);
	md_wg_add(&F.wg, +1);
	wr(&F.x, v);
	md_wg_add(&F.wg, -1);
	send(F.c, 1);
}

FCASE(RaceWaitGroupAsMutex, RACE)
{
	F.c = mkchan(2);
	go1(wg_as_mutex, 1);
	go1(wg_as_mutex, 2);
	recv(F.c);
	recv(F.c);
}

static void wrongwait_g(long v)
{
	md_wg_add(&F.wg, 1);
	md_yield();
	wr(&F.x, v);
	md_wg_done(&F.wg);
	send(F.c, 1);
}

/* Incorrect usage: Add is too late. */
FCASE(RaceWaitGroupWrongWait, RACE)
{
	F.c = mkchan(2);
	go1(wrongwait_g, 1);
	go1(wrongwait_g, 2);
	md_wg_wait(&F.wg);
	recv(F.c);
	recv(F.c);
}

static void wait_then_c(void)
{
	md_wg_wait(&F.wg);
	send(F.c, 1);
}

FCASE(NoRaceWaitGroupMultipleWait, NORACE)
{
	F.c = mkchan(2);
	go0(wait_then_c);
	go0(wait_then_c);
	md_wg_wait(&F.wg);
	recv(F.c);
	recv(F.c);
}

static void done_wait_then_c(void)
{
	md_wg_done(&F.wg);
	md_wg_wait(&F.wg);
	send(F.c, 1);
}

FCASE(NoRaceWaitGroupMultipleWait2, NORACE)
{
	F.c = mkchan(2);
	md_wg_add(&F.wg, 2);
	go0(done_wait_then_c);
	go0(done_wait_then_c);
	md_wg_wait(&F.wg);
	recv(F.c);
	recv(F.c);
}

enum { P = 3 };

static void data_p_42(long p)
{
	wr(&F.arr[p], 42);
	md_wg_done(&F.wg);
}

static void wait_read_all(void)
{
	md_wg_wait(&F.wg);
	for (int p = 0; p < P; p++)
		rd(&F.arr[p]);
	send(F.done, 1);
}

FCASE(NoRaceWaitGroupMultipleWait3, NORACE)
{
	F.done = mkchan(P);
	md_wg_add(&F.wg, P);
	for (long p = 0; p < P; p++)
		go1(data_p_42, p);
	for (int p = 0; p < P; p++)
		go0(wait_read_all);
	for (int p = 0; p < P; p++)
		recv(F.done);
}

/* Correct usage but still a race. */
FCASE(RaceWaitGroup2, RACE)
{
	md_wg_add(&F.wg, 2);
	go1(x_eq_j, 1);
	go1(x_eq_j, 2);
	md_wg_wait(&F.wg);
}

static void add_minus_one(void)
{
	md_wg_add(&F.wg, -1);
}

FCASE(NoRaceWaitGroupPanicRecover, NORACE)
{
	wr(&F.x, 1);
	if (!try0(add_minus_one)) /* panics: negative counter */
		md_exit(3);
	wr(&F.x, 2); /* in the deferred func */
}

static void x2_ch(void)
{
	wr(&F.x, 2);
	send(F.ch, 1);
}

static void x1_negative_add(void)
{
	wr(&F.x, 1);
	md_wg_add(&F.wg, -1);
}

static void panicrecover2_g(void)
{
	try0(x1_negative_add);
	go0(x2_ch); /* deferred: recover(); go f() */
}

FCASE(NoRaceWaitGroupPanicRecover2, NORACE)
{
	F.ch = mkchan(1);
	go0(panicrecover2_g);
	recv(F.ch);
}

static void x_eq_42_done(void)
{
	wr(&F.x, 42);
	md_wg_done(&F.wg);
}

static void sleep_y_eq_42_done(void)
{
	sleep_ms(10);
	wr(&F.y, 42);
	md_wg_done(&F.wg);
}

FCASE(NoRaceWaitGroupTransitive, NORACE)
{
	md_wg_add(&F.wg, 2);
	go0(x_eq_42_done);
	go0(sleep_y_eq_42_done);
	md_wg_wait(&F.wg);
	rd(&F.x);
	rd(&F.y);
}

static void data_p_inc(long p)
{
	wr(&F.arr[p], rd(&F.arr[p]) + 1);
	md_wg_done(&F.wg);
}

FCASE(NoRaceWaitGroupReuse, NORACE)
{
	for (int try = 0; try < 3; try++) {
		md_wg_add(&F.wg, P);
		for (long p = 0; p < P; p++)
			go1(data_p_inc, p);
		md_wg_wait(&F.wg);
		for (int p = 0; p < P; p++)
			wr(&F.arr[p], rd(&F.arr[p]) + 1);
	}
}

static void wait_inc_all(void)
{
	md_wg_wait(&F.wg);
	for (int p = 0; p < P; p++)
		wr(&F.arr[p], rd(&F.arr[p]) + 1);
	send(F.done, 1);
}

FCASE(NoRaceWaitGroupReuse2, NORACE)
{
	for (int try = 0; try < 3; try++) {
		md_wg_add(&F.wg, P);
		for (long p = 0; p < P; p++)
			go1(data_p_inc, p);
		F.done = mkchan(0);
		go0(wait_inc_all);
		md_wg_wait(&F.wg);
		recv(F.done);
		for (int p = 0; p < P; p++)
			wr(&F.arr[p], rd(&F.arr[p]) + 1);
	}
}

static void add_wait_done(void)
{
	md_wg_add(&F.wg, 1);
	send(F.c, 1); /* waiting <- true */
	md_wg_done(&F.wg);
}

FCASE(NoRaceWaitGroupConcurrentAdd, NORACE)
{
	enum { NP = 4 };
	F.c = mkchan(NP);
	for (int p = 0; p < NP; p++)
		go0(add_wait_done);
	for (int p = 0; p < NP; p++)
		recv(F.c);
	md_wg_wait(&F.wg);
}

/* Add concurrent with Wait, no data at all. */
static void add_sleep_done(void)
{
	md_wg_add(&F.wg, 1);
	gate_wait(0);
	md_wg_done(&F.wg);
	send(F.c, 1);
}

FCASE(RaceWaitGroupWrongAdd, RACE)
{
	F.c = mkchan(2);
	go0(add_sleep_done);
	go0(add_sleep_done);
	sleep_ms(50);
	gate_open(0);
	md_wg_wait(&F.wg);
	recv(F.c);
	recv(F.c);
}

/* Round k's waiter task blocks in Wait (the first waiter: it writes
 * wg.sema); round k+1's Add from zero reads wg.sema, unordered with that
 * write: the Dones release the group, not the waiter. Go sleeps 50 ms in
 * each worker and 100 ms in the main loop; gates keep that order. */
static long reuse_data[3][3];

static void reuse_worker(long tp)
{
	gate_wait((int)(tp / 3));
	wr(&reuse_data[tp / 3][tp % 3], rd(&reuse_data[tp / 3][tp % 3]) + 1);
	md_wg_done(&F.wg);
}

static void reuse_waiter(long t)
{
	md_wg_wait(&F.wg);
	for (int p = 0; p < 3; p++)
		wr(&reuse_data[t][p], rd(&reuse_data[t][p]) + 1);
	send(F.done, 1);
}

FCASE(RaceWaitGroupReuse, RACE)
{
	F.done = mkchan(3);
	for (long t = 0; t < 3; t++) {
		md_wg_add(&F.wg, 3);
		for (long p = 0; p < 3; p++)
			go1(reuse_worker, t * 3 + p);
		go1(reuse_waiter, t);
		sleep_ms(5); /* the waiter blocks in Wait */
		gate_open((int)t);
		md_wg_wait(&F.wg);
	}
	for (int t = 0; t < 3; t++)
		recv(F.done);
}
