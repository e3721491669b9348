/*
 * tests/fidelity/mutex.c - ports of Go's src/runtime/race/testdata/mutex_test.go
 * (Unlock happens-before the next Lock).
 *
 * TestRaceMutexOverwrite, mu = sync.Mutex{} racing with mu.Lock(): Go's
 * Lock is an atomic CAS on mu.state, which race mode records as an atomic
 * access that a plain write races with; so is md_mutex_lock's.
 */
#include "cases.h"

static void lock_defer_x1(void)
{
	md_mutex_lock(&F.mu);
	wr(&F.x, 1);
	send(F.ch, 1);
	md_mutex_unlock(&F.mu); /* defer mu.Unlock() */
}

static void lock_x2_unlock(void)
{
	md_mutex_lock(&F.mu);
	wr(&F.x, 2);
	md_mutex_unlock(&F.mu);
	send(F.ch, 1);
}

FCASE(NoRaceMutex, NORACE)
{
	F.ch = mkchan(2);
	go0(lock_defer_x1);
	go0(lock_x2_unlock);
	recv(F.ch);
	recv(F.ch);
}

static void x1_lock_defer(void)
{
	wr(&F.x, 1);
	md_mutex_lock(&F.mu);
	send(F.ch, 1);
	md_mutex_unlock(&F.mu);
}

static void x2_lock_unlock(void)
{
	wr(&F.x, 2);
	md_mutex_lock(&F.mu);
	md_mutex_unlock(&F.mu);
	send(F.ch, 1);
}

FCASE(RaceMutex, RACE)
{
	F.ch = mkchan(2);
	go0(x1_lock_defer);
	go0(x2_lock_unlock);
	recv(F.ch);
	recv(F.ch);
}

static void mu1_x1(void)
{
	md_mutex_lock(&F.mu);
	wr8(&F.b[0], 1);
	send(F.ch, 1);
	md_mutex_unlock(&F.mu);
}

static void mu2_x2(void)
{
	md_mutex_lock(&F.mu2);
	wr8(&F.b[0], 2);
	md_mutex_unlock(&F.mu2);
	send(F.ch, 1);
}

FCASE(RaceMutex2, RACE)
{
	F.ch = mkchan(2);
	go0(mu1_x1);
	go0(mu2_x2);
	recv(F.ch);
	recv(F.ch);
}

/* Go: the second goroutine waits 100us (<-time.After(1e5)) so its Lock
 * comes after the first one's Unlock; the port uses a gate (no
 * happens-before of its own) to make that interleaving certain. */
static void purehb_g1(void)
{
	wr(&F.x, 1);
	md_mutex_lock(&F.mu);
	md_mutex_unlock(&F.mu);
	gate_open(0);
	send(F.ch, 1);
}

static void purehb_g2(void)
{
	gate_wait(0);
	md_mutex_lock(&F.mu);
	md_mutex_unlock(&F.mu);
	wr(&F.x, 1);
	send(F.ch, 1);
}

FCASE(NoRaceMutexPureHappensBefore, NORACE)
{
	F.ch = mkchan(2);
	go0(purehb_g1);
	go0(purehb_g2);
	recv(F.ch);
	recv(F.ch);
}

static void sem_g1(void)
{
	wr(&F.x, 1);
	md_mutex_unlock(&F.mu);
	send(F.ch, 1);
}

FCASE(NoRaceMutexSemaphore, NORACE)
{
	F.ch = mkchan(2);
	md_mutex_lock(&F.mu);
	go0(sem_g1);
	go0(lock_x2_unlock);
	recv(F.ch);
	recv(F.ch);
}

/* from doc/go_mem.html */
static void hello_world_unlock(void)
{
	wrn(&F.q, sizeof F.q); /* a = "hello, world" */
	md_mutex_unlock(&F.mu);
}

FCASE(NoRaceMutexExampleFromHtml, NORACE)
{
	md_mutex_lock(&F.mu);
	go0(hello_world_unlock);
	md_mutex_lock(&F.mu);
	rdn(&F.q, sizeof F.q);
	md_mutex_unlock(&F.mu); /* (Go leaves it locked; the join needs none) */
}

/* Reproducer of the gap above: expected RACE, the model reports none. */
static md_mutex_t *heap_mu;

static void overwrite_mutex(void)
{
	wrn(heap_mu, sizeof *heap_mu); /* mu = sync.Mutex{} (annotation only:
	                                  * the memory is zero already) */
	gate_open(0);
	send(F.c, 1);
}

FCASE(RaceMutexOverwrite, RACE)
{
	F.c = mkchan(1);
	heap_mu = md_alloc(sizeof *heap_mu);
	go0(overwrite_mutex);
	gate_wait(0); /* no happens-before: the write and Lock stay unordered */
	md_mutex_lock(heap_mu);
	md_mutex_unlock(heap_mu);
	recv(F.c);
}
