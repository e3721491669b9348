/* spawn: md_go + md_wg_done/wait round trip, ns per task. */
#include <model.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static md_wg_t wg = MD_WG_INIT;
static int n = 200000;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void child(void *arg)
{
	(void)arg;
	md_wg_done(&wg);
}

static void bench(void *arg)
{
	(void)arg;
	double t0 = now();
	for (int i = 0; i < n; i += 100) {
		md_wg_add(&wg, 100);
		for (int j = 0; j < 100; j++)
			md_go(child, NULL);
		md_wg_wait(&wg);
	}
	printf("spawn+join %.0f ns/op (%d tasks, %d P)\n", (now() - t0) / n, n, md_nprocs());
}

int main(int argc, char **argv)
{
	if (argc > 1)
		n = atoi(argv[1]);
	md_init(0);
	md_main(bench, NULL);
}
