/*
 * model_prims: the model runtime's select, RWMutex, Cond, map, pool,
 * zero-size channels and system calls, used correctly (each mode checks
 * its results, exits 3 on a wrong one, prints "model_prims MODE: done"
 * and ends clean: no race report) or misused (the modes named bad_*: the
 * runtime must stop with a FATAL message naming the misuse).
 * Run by tests/model/test_prims.c.
 */
#include <model.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *mode;
static md_wg_t wg = MD_WG_INIT;
static md_mutex_t mu = MD_MUTEX_INIT;
static md_rwmutex_t rw = MD_RWMUTEX_INIT;
static md_cond_t cond = MD_COND_INIT(&mu);
static md_chan_t *c1, *c2;
static long shared[4];   /* heap-like: globals are shadowed */
static long readers_in;  /* md_atomic-free: under mu */

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "model_prims %s: wrong: %s\n", mode, what);
		md_exit(3);
	}
}

/* ---- select ------------------------------------------------------------- */

static void send_c2_later(void *arg)
{
	(void)arg;
	md_yield();
	long v = 22;
	md_chan_send(c2, &v);
	md_wg_done(&wg);
}

static void close_c1(void *arg)
{
	(void)arg;
	md_chan_close(c1);
	md_wg_done(&wg);
}

static void send_on_closed(void *arg)
{
	md_chan_t *c = arg;
	md_select_case_t cs[] = {{.c = c, .dir = MD_SEND, .elem = &(long){1}}};
	md_select(cs, 1, 1);
}

static void mode_select(void)
{
	c1 = md_chan_make(sizeof(long), 0);
	c2 = md_chan_make(sizeof(long), 1);
	long v = 0;
	md_select_case_t cs[3] = {{.c = c1, .dir = MD_RECV, .elem = &v},
	                          {.c = c2, .dir = MD_RECV, .elem = &v},
	                          {.c = NULL, .dir = MD_RECV}};
	check(md_select(cs, 3, 0) == -1, "default when nothing is ready");
	long w = 5;
	md_chan_send(c2, &w);
	check(md_select(cs, 3, 0) == 1 && v == 5 && cs[1].ok == 1, "a ready buffered receive");
	md_wg_add(&wg, 1);
	md_go(send_c2_later, NULL);
	check(md_select(cs, 3, 1) == 1 && v == 22, "a blocked select woken by a send");
	/* A send case into a buffer with room. */
	md_select_case_t sc[] = {{.c = c1, .dir = MD_SEND, .elem = &w}, {.c = c2, .dir = MD_SEND, .elem = &w}};
	check(md_select(sc, 2, 0) == 1 && md_chan_len(c2) == 1, "a send into the buffer");
	check(md_chan_cap(c2) == 1 && md_chan_cap(c1) == 0, "cap");
	md_chan_recv(c2, &v);
	md_wg_add(&wg, 1);
	md_go(close_c1, NULL);
	v = 9;
	check(md_select(cs, 2, 1) == 0 && cs[0].ok == 0 && v == 0, "woken by close: ok 0, zeroed");
	void *pv;
	check(md_try(send_on_closed, c1, &pv) == 1 && !strcmp(pv, "send on closed channel"),
	      "a send case on a closed channel panics");
	md_wg_wait(&wg);
	/* Many rounds of two selects against each other over two channels. */
	cs[0].c = c1 = md_chan_make(sizeof(long), 0);
	for (long i = 0; i < 200; i++) {
		cs[1].c = c2 = md_chan_make(sizeof(long), 0);
		md_wg_add(&wg, 1);
		md_go(send_c2_later, NULL);
		check(md_select(cs, 2, 1) == 1 && v == 22, "round");
		md_wg_wait(&wg);
	}
}

/* ---- zero-size elements --------------------------------------------------- */

static void mode_zero(void)
{
	md_chan_t *c = md_chan_make(0, 3);
	for (int i = 0; i < 3; i++)
		md_chan_send(c, NULL);
	check(md_chan_len(c) == 3, "three tokens");
	for (int i = 0; i < 3; i++)
		check(md_chan_recv(c, NULL) == 1, "a token");
	md_chan_close(c);
	check(md_chan_recv(c, NULL) == 0, "closed");
}

/* ---- RWMutex and Cond ----------------------------------------------------- */

static void reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++) {
		md_rwmutex_rlock(&rw);
		md_mutex_lock(&mu);
		readers_in++;
		md_mutex_unlock(&mu);
		MD_READ(&shared[0]);
		check(shared[0] % 2 == 0, "a reader saw a writer halfway");
		md_yield();
		md_mutex_lock(&mu);
		readers_in--;
		md_mutex_unlock(&mu);
		md_rwmutex_runlock(&rw);
	}
	md_wg_done(&wg);
}

static void writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++) {
		md_rwmutex_lock(&rw);
		md_mutex_lock(&mu);
		check(readers_in == 0, "a reader inside with the writer");
		md_mutex_unlock(&mu);
		MD_WRITE(&shared[0]);
		shared[0]++;
		md_yield();
		MD_WRITE(&shared[0]);
		shared[0]++;
		md_rwmutex_unlock(&rw);
	}
	md_wg_done(&wg);
}

static void nil_rlock(void *arg)
{
	(void)arg;
	md_rwmutex_rlock(NULL);
}

static void mode_rwmutex(void)
{
	md_wg_add(&wg, 6);
	for (int i = 0; i < 4; i++)
		md_go(reader, NULL);
	md_go(writer, NULL);
	md_go(writer, NULL);
	md_wg_wait(&wg);
	check(shared[0] == 200, "two writers, 50 rounds, 2 each");
	void *pv;
	check(md_try(nil_rlock, NULL, &pv) == 1, "a nil RWMutex panics");
}

static void cond_waiter(void *arg)
{
	(void)arg;
	md_mutex_lock(&mu);
	while (shared[1] == 0)
		md_cond_wait(&cond);
	shared[2]++;
	md_mutex_unlock(&mu);
	md_wg_done(&wg);
}

static void mode_cond(void)
{
	md_wg_add(&wg, 3);
	for (int i = 0; i < 3; i++)
		md_go(cond_waiter, NULL);
	md_cond_signal(&cond); /* nobody may be waiting yet: not lost, not harmful */
	md_yield();
	md_mutex_lock(&mu);
	shared[1] = 1;
	md_cond_broadcast(&cond);
	md_mutex_unlock(&mu);
	md_wg_wait(&wg);
	check(shared[2] == 3, "broadcast wakes every waiter");
}

/* ---- map ------------------------------------------------------------------- */

static void sum_vals(const void *k, void *v, void *arg)
{
	(void)k;
	*(long *)arg += *(long *)v;
}

static void mode_map(void)
{
	md_map_t *m = md_map_make(sizeof(long), sizeof(long));
	for (long k = 0; k < 1000; k++) {
		long v = k * 2;
		md_map_set(m, &k, &v);
	}
	check(md_map_len(m) == 1000, "len 1000");
	long k = 777, v = 0;
	check(md_map_get(m, &k, &v) == 1 && v == 1554, "get 777");
	md_map_delete(m, &k);
	check(md_map_get(m, &k, &v) == 0 && v == 0, "deleted, zeroed");
	check(md_map_len(m) == 999, "len 999");
	long sum = 0;
	md_map_range(m, sum_vals, &sum);
	check(sum == 999 * 1000 - 1554, "range sums every value");
	k = 5;
	v = 1;
	md_map_set(m, &k, &v);
	check(md_map_get(m, &k, &v) == 1 && v == 1 && md_map_len(m) == 999, "overwrite");
}

/* ---- pool and system calls ------------------------------------------------ */

static void *new_item(void)
{
	return md_alloc(8);
}

static void mode_pool(void)
{
	static md_pool_t pool = MD_POOL_INIT(new_item);
	int reused = 0;
	for (int i = 0; i < 100; i++) {
		void *x = md_pool_get(&pool);
		check(x != NULL, "get");
		md_pool_put(&pool, x);
		reused += md_pool_get(&pool) == x;
	}
	/* One put in four is dropped at random. */
	check(reused > 50 && reused < 100, "some puts kept, some dropped");
}

static void mode_sys(void)
{
	int fd[2];
	check(pipe(fd) == 0, "pipe");
	char *buf = md_alloc(8);
	memcpy(buf, "abc", 3);
	check(md_sys_write(fd[1], buf, 3) == 3, "write 3");
	memset(buf, 0, 8);
	check(md_sys_read(fd[0], buf, 8) == 3 && !memcmp(buf, "abc", 3), "read 3");
	close(fd[1]);
	check(md_sys_read(fd[0], buf, 8) == 0, "end of file");
	check(md_sys_read(-1, buf, 8) == -1, "a bad descriptor fails");
	close(fd[0]);
}

/* ---- misuse ----------------------------------------------------------------- */

static void mode_bad(void)
{
	md_chan_t *c = md_chan_make(sizeof(long), 0);
	if (!strcmp(mode, "bad_select_dir")) {
		md_select_case_t cs[] = {{.c = c, .dir = 7}};
		md_select(cs, 1, 0);
	} else if (!strcmp(mode, "bad_select_none")) {
		md_select_case_t cs[] = {{.c = NULL, .dir = MD_RECV}};
		md_select(cs, 1, 1);
	} else if (!strcmp(mode, "bad_select_many")) {
		static md_select_case_t cs[MD_SELECT_MAX + 1];
		md_select(cs, MD_SELECT_MAX + 1, 0);
	} else if (!strcmp(mode, "bad_unlock")) {
		md_rwmutex_unlock(&rw);
	} else if (!strcmp(mode, "bad_runlock")) {
		md_rwmutex_runlock(&rw);
	} else {
		fprintf(stderr, "model_prims: unknown mode %s\n", mode);
		md_exit(2);
	}
}

static void main_task(void *arg)
{
	(void)arg;
	if (!strcmp(mode, "select"))
		mode_select();
	else if (!strcmp(mode, "zero"))
		mode_zero();
	else if (!strcmp(mode, "rwmutex"))
		mode_rwmutex();
	else if (!strcmp(mode, "cond"))
		mode_cond();
	else if (!strcmp(mode, "map"))
		mode_map();
	else if (!strcmp(mode, "pool"))
		mode_pool();
	else if (!strcmp(mode, "sys"))
		mode_sys();
	else
		mode_bad();
	printf("model_prims %s: done\n", mode);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: model_prims select|zero|rwmutex|cond|map|pool|sys|bad_*\n");
		return 2;
	}
	mode = argv[1];
	md_init(0);
	md_main(main_task, NULL);
}
