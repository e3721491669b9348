/* pingpong: two tasks bounce a value over two unbuffered channels; ns per
 * round trip (two sends, two receives, two task switches). Also the bare
 * task switch: two tasks md_yield to each other on one P.
 *
 * The task switch is measured on one P only. With two, the yielder may be
 * stolen by the other P's thread (measured: it was, in the race build, and
 * was not, in the norace one), and then each task's md_yield finds no
 * other task on its P and resumes itself: no switch between tasks at all,
 * while the figure was still divided by two switches per iteration. On one
 * P the two tasks strictly alternate, and the switches are counted, not
 * assumed: both tasks' yields inside the timed window. (The other half of
 * "race faster than norace" was bench/model/run.sh timing both builds at
 * once; see there.) */
#include <model.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int n = 200000;
static md_chan_t *ping, *pong;
static md_wg_t wg = MD_WG_INIT;
static volatile int yield_stop;
static volatile long yielder_yields;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void ponger(void *arg)
{
	(void)arg;
	long v;
	while (md_chan_recv(ping, &v))
		md_chan_send(pong, &v);
	md_wg_done(&wg);
}

static void yielder(void *arg)
{
	(void)arg;
	while (!yield_stop) {
		md_yield();
		yielder_yields++;
	}
	md_wg_done(&wg);
}

static void bench(void *arg)
{
	(void)arg;
	ping = md_chan_make(sizeof(long), 0);
	pong = md_chan_make(sizeof(long), 0);
	md_wg_add(&wg, 1);
	md_go(ponger, NULL);
	double t0 = now();
	for (long i = 0; i < n; i++) {
		md_chan_send(ping, &i);
		long v;
		md_chan_recv(pong, &v);
	}
	double t1 = now();
	md_chan_close(ping);
	md_wg_wait(&wg);
	printf("chan ping-pong %.0f ns/round trip (%d P)\n", (t1 - t0) / n, md_nprocs());

	if (md_nprocs() != 1)
		return; /* see the top comment */
	md_wg_add(&wg, 1);
	md_go(yielder, NULL);
	md_yield(); /* the yielder is running: its count moves from here */
	long y0 = yielder_yields;
	t0 = now();
	for (int i = 0; i < n; i++)
		md_yield();
	t1 = now();
	long switches = n + (yielder_yields - y0);
	yield_stop = 1;
	md_wg_wait(&wg);
	printf("task switch (md_yield) %.0f ns/switch\n", (t1 - t0) / switches);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		n = atoi(argv[1]);
	md_init(0);
	md_main(bench, NULL);
}
