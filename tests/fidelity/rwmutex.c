/*
 * tests/fidelity/rwmutex.c - ports of Go's
 * src/runtime/race/testdata/rwmutex_test.go: a writer happens-after every
 * earlier reader and writer; readers happen-after the earlier writer but
 * not each other; a Mutex and an RWMutex order nothing between them.
 */
#include "cases.h"

/* x int16 */
static int16_t x16;

__attribute__((noinline)) static void wr16(int16_t *p, int16_t v)
{
	MD_FUNC_ENTER();
	MD_WRITE(p);
	STORE(p, v);
	MD_FUNC_EXIT();
}

static void mu1_x1(void)
{
	md_mutex_lock(&F.mu);
	wr16(&x16, 1);
	send(F.ch, 1);
	md_mutex_unlock(&F.mu); /* deferred */
}

static void mu2_x2(void)
{
	md_rwmutex_lock(&F.rw);
	wr16(&x16, 2);
	md_rwmutex_unlock(&F.rw);
	send(F.ch, 1);
}

FCASE(RaceMutexRWMutex, RACE)
{
	F.ch = mkchan(2);
	go0(mu1_x1);
	go0(mu2_x2);
	recv(F.ch);
	recv(F.ch);
}

static void w_x2(void)
{
	md_rwmutex_lock(&F.rw);
	wr(&F.x, 2);
	send(F.ch, 1);
	md_rwmutex_unlock(&F.rw); /* deferred */
}

static void r_y_eq_x(void)
{
	md_rwmutex_rlock(&F.rw);
	wr(&F.y, rd(&F.x));
	md_rwmutex_runlock(&F.rw);
	send(F.ch, 1);
}

FCASE(NoRaceRWMutex, NORACE)
{
	F.y = 1;
	F.ch = mkchan(2);
	go0(w_x2);
	go0(r_y_eq_x);
	recv(F.ch);
	recv(F.ch);
}

static void r_y_eq_x_plus(long k)
{
	md_rwmutex_rlock(&F.rw);
	wr(&F.y, rd(&F.x) + k);
	md_rwmutex_runlock(&F.rw);
	send(F.ch, 1);
}

FCASE(RaceRWMutexMultipleReaders, RACE)
{
	F.y = 1;
	F.ch = mkchan(4);
	go0(w_x2);
	go1(r_y_eq_x_plus, 1);
	go1(r_y_eq_x_plus, 2);
	go1(r_y_eq_x_plus, 3);
	for (int i = 0; i < 4; i++)
		recv(F.ch);
	rd(&F.y);
}

static void r_x_plus(long k)
{
	md_rwmutex_rlock(&F.rw);
	long y = rd(&F.x) + k;
	(void)y;
	md_rwmutex_runlock(&F.rw);
	send(F.ch, 1);
}

FCASE(NoRaceRWMutexMultipleReaders, NORACE)
{
	F.ch = mkchan(4);
	go0(w_x2);
	go1(r_x_plus, 1);
	go1(r_x_plus, 2);
	go1(r_x_plus, 3);
	for (int i = 0; i < 4; i++)
		recv(F.ch);
}

static void r_x_sleep(long ms)
{
	if (ms)
		sleep_ms((unsigned)ms);
	md_rwmutex_rlock(&F.rw);
	rd(&F.x);
	md_rwmutex_runlock(&F.rw);
	send(F.ch, 1);
}

/* Both readers release-merge writerSem: the writer happens-after both,
 * not only the last. */
FCASE(NoRaceRWMutexTransitive, NORACE)
{
	F.ch = mkchan(2);
	go1(r_x_sleep, 0);
	go1(r_x_sleep, 10);
	sleep_ms(20);
	md_rwmutex_lock(&F.rw);
	wr(&F.x, 42);
	md_rwmutex_unlock(&F.rw);
	recv(F.ch);
	recv(F.ch);
}
