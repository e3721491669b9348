/*
 * tests/fidelity/sync.c - ports of Go's src/runtime/race/testdata/sync_test.go.
 *
 * Skipped: TestNoRaceCond, TestRaceCond (the model has no sync.Cond);
 * TestNoRaceNilMutexCrash (a nil *sync.RWMutex; no RWMutex, and the point
 * is a nil-pointer panic inside Lock); TestNoRaceAfterFunc2 (timer.Stop).
 * Adapted: time.AfterFunc(d, f) is "start a task that sleeps d, then runs
 * f": Go's timer goroutine also starts after (happens-after) the
 * AfterFunc call and nothing else; the model has no timers.
 *
 * Go has no race test of sync.Once in testdata; the Once cases at the end
 * follow the shape of the Mutex ones (Once's f happens-before any Do
 * returns), written for this suite.
 */
#include "cases.h"

/* ---- TestRaceAnnounceThreads ------------------------------------------ */

static void announce_g(void);

static void announce_anon_x1(void)
{
	wr(&F.x, 1);
	send(F.done, 1);
}

static void announce_f(void)
{
	wr(&F.x, 1);
	go0(announce_g);
	go0(announce_anon_x1);
	wr(&F.x, 2);
	send(F.done, 1);
}

static void announce_g(void)
{
	for (int i = 0; i < 2; i++) {
		go0(announce_anon_x1);
		send(F.done, 1);
	}
}

static void announce_h(void)
{
	wr(&F.x, 1);
	wr(&F.x, 2);
	go0(announce_f);
	send(F.done, 1);
}

FCASE(RaceAnnounceThreads, RACE)
{
	enum { N = 7 };
	F.done = mkchan(N); /* allDone */
	go0(announce_h);
	for (int i = 0; i < N; i++)
		recv(F.done);
}

/* ---- time.AfterFunc ------------------------------------------------------ */

struct afterfunc {
	unsigned ms;
	void (*f)(void);
};

static void afterfunc_task(long a)
{
	struct afterfunc af = *(struct afterfunc *)a;
	md_free((void *)a);
	sleep_ms(af.ms);
	af.f();
}

static void after_func(unsigned ms, void (*f)(void))
{
	struct afterfunc *af = md_alloc(sizeof *af);
	af->ms = ms;
	af->f = f;
	go1(afterfunc_task, (long)af);
}

static void af1_f(void)
{
	wr(&F.i, rd(&F.i) - 1);
	if (rd(&F.i) >= 0)
		after_func(0, af1_f);
	else
		send(F.c, 1);
}

FCASE(NoRaceAfterFunc1, NORACE)
{
	wr(&F.i, 2);
	F.c = mkchan(0);
	after_func(0, af1_f);
	recv(F.c);
}

static void x1_c(void)
{
	wr(&F.x, 1);
	send(F.c, 1);
}

static void x2_c(void)
{
	wr(&F.x, 2);
	send(F.c, 1);
}

FCASE(NoRaceAfterFunc3, NORACE)
{
	F.c = mkchan(1);
	after_func(10, x1_c);
	recv(F.c);
}

FCASE(RaceAfterFunc3, RACE)
{
	F.c = mkchan(2);
	after_func(10, x1_c);
	after_func(20, x2_c);
	recv(F.c);
	recv(F.c);
}

/* ---- TestRaceGoroutineCreationStack ------------------------------------ */

static void cs_f1(void)
{
	wr(&F.x, 1);
	send(F.ch, 1);
}

static void cs_f2(void) { go0(cs_f1); }
static void cs_f3(void) { go0(cs_f2); }
static void cs_f4(void) { go0(cs_f3); }

FCASE(RaceGoroutineCreationStack, RACE)
{
	F.ch = mkchan(1);
	go0(cs_f4);
	wr(&F.x, 2);
	recv(F.ch);
}

/* ---- sync.Once (this suite's own, in the shape of the Mutex tests) ---- */

static void once_init(void *arg)
{
	(void)arg;
	wr(&F.x, 42);
}

static void once_reader(void)
{
	md_once_do(&F.once, once_init, NULL);
	rd(&F.x);
	send(F.ch, 1);
}

FCASE(NoRaceOnce, NORACE)
{
	F.ch = mkchan(3);
	for (int i = 0; i < 3; i++)
		go0(once_reader);
	md_once_do(&F.once, once_init, NULL);
	wr(&F.y, rd(&F.x));
	for (int i = 0; i < 3; i++)
		recv(F.ch);
}

static void once_noop(void *arg)
{
	(void)arg;
}

static void once_then_read(void)
{
	md_once_do(&F.once, once_noop, NULL);
	rd(&F.x);
	send(F.ch, 1);
}

/* x is written after the Do, not inside f: Once orders nothing of it. */
FCASE(RaceOnceOutside, RACE)
{
	F.ch = mkchan(1);
	md_once_do(&F.once, once_noop, NULL);
	go0(once_then_read);
	wr(&F.x, 1);
	recv(F.ch);
}

/* ---- sync.Cond (sync_test.go) ------------------------------------------ */

static md_cond_t cond = MD_COND_INIT(&F.mu);

static void cond_signal(void)
{
	wr(&F.x, 1);
	md_mutex_lock(&F.mu);
	wr(&F.f, 1); /* condition */
	md_cond_signal(&cond);
	md_mutex_unlock(&F.mu);
}

FCASE(NoRaceCond, NORACE)
{
	go0(cond_signal);
	md_mutex_lock(&F.mu);
	while (rd(&F.f) != 1)
		md_cond_wait(&cond);
	md_mutex_unlock(&F.mu);
	wr(&F.x, 2);
}

/* Go sleeps 10 ms so that main enters the Wait loop, and 10 ms so that it
 * leaves it before x = 3; gates give the same order. */
static void cond_signal_late(void)
{
	gate_wait(0);
	wr(&F.x, 1);
	md_mutex_lock(&F.mu);
	wr(&F.f, 1);
	md_cond_signal(&cond);
	md_mutex_unlock(&F.mu);
	gate_wait(1);
	md_mutex_lock(&F.mu);
	wr(&F.x, 3);
	md_mutex_unlock(&F.mu);
	send(F.done, 1);
}

static void cond_open_gate0(void)
{
	sleep_ms(10);
	gate_open(0);
}

FCASE(RaceCond, RACE)
{
	F.done = mkchan(0);
	go0(cond_signal_late);
	go0(cond_open_gate0);
	md_mutex_lock(&F.mu);
	while (rd(&F.f) != 1)
		md_cond_wait(&cond);
	md_mutex_unlock(&F.mu);
	wr(&F.x, 2);
	gate_open(1);
	recv(F.done);
}

static void nil_rlock(void)
{
	md_rwmutex_t *othermutex = NULL;
	md_rwmutex_rlock(othermutex);
}

FCASE(NoRaceNilMutexCrash, NORACE)
{
	long *panics = md_alloc(sizeof *panics);
	if (try0(nil_rlock)) {
		md_mutex_lock(&F.mu);
		wr(panics, rd(panics) + 1);
		md_mutex_unlock(&F.mu);
	} else {
		md_panic("no panic");
	}
}

/* time.AfterFunc(10ns, f) runs f in a goroutine of its own after 10 ns;
 * the model has no timers: a task that sleeps, then runs f. Nothing else
 * touches x (timer.Stop is deferred after the test body). */
static void afterfunc2(void)
{
	md_sleep_us(1);
	wr(&F.x, 1);
}

FCASE(NoRaceAfterFunc2, NORACE)
{
	go0(afterfunc2);
}

/* ---- sync.Pool (pool_test.go) -------------------------------------------- */

static void *new_bytes(void)
{
	return md_alloc(10); /* make([]byte, 10) */
}

static md_pool_t *pool;
static signed char *pool_x;

/* The pool is the task's argument: Go's p is per iteration. */
static void pool_get_write(long p)
{
	signed char *y = md_pool_get((md_pool_t *)(uintptr_t)p);
	wr8(&y[0], 2);
	send(F.c, 1);
}

/* Put drops one item in four: ten rounds, so that some round reuses x in
 * the task while the main task still writes it. */
FCASE(RacePool, RACE)
{
	for (int i = 0; i < 10; i++) {
		F.c = mkchan(0);
		pool = md_alloc(sizeof *pool);
		pool->new_fn = new_bytes;
		pool->seed = (uint32_t)i;
		pool_x = md_pool_get(pool);
		wr8(&pool_x[0], 1);
		md_pool_put(pool, pool_x);
		go1(pool_get_write, (long)(uintptr_t)pool);
		wr8(&pool_x[0], 3);
		recv(F.c);
	}
}

static void pool_get_put(long p)
{
	signed char *y = md_pool_get((md_pool_t *)(uintptr_t)p);
	wr8(&y[0], 2);
	md_pool_put((md_pool_t *)(uintptr_t)p, y);
}

FCASE(NoRacePool, NORACE)
{
	for (int i = 0; i < 10; i++) {
		pool = md_alloc(sizeof *pool);
		pool->new_fn = new_bytes;
		pool_x = md_pool_get(pool);
		wr8(&pool_x[0], 1);
		md_pool_put(pool, pool_x);
		go1(pool_get_put, (long)(uintptr_t)pool);
		sleep_ms(10); /* Go: 100 ms */
		pool_x = md_pool_get(pool);
		wr8(&pool_x[0], 3);
	}
}
