/* cgocall: md_cgocall round trip to an empty C function, ns per call
 * (rw_foreign_enter/exit, P unwire/rewire, and back), and a callback
 * round trip from inside md_cgocall. */
#include <model.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int n = 500000;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) static long empty(void *arg)
{
	__asm__ volatile("" ::: "memory");
	return (long)arg;
}

static long cb(void *arg)
{
	return (long)arg;
}

static long c_calls_back(void *arg)
{
	return md_callback(cb, arg);
}

static void bench(void *arg)
{
	(void)arg;
	long s = 0;
	double t0 = now();
	for (int i = 0; i < n; i++)
		s += md_cgocall(empty, (void *)1L);
	double t1 = now();
	printf("cgocall round trip %.0f ns/op\n", (t1 - t0) / n);
	t0 = now();
	for (int i = 0; i < n / 5; i++)
		s += md_cgocall(c_calls_back, (void *)1L);
	t1 = now();
	printf("cgocall+callback round trip %.0f ns/op\n", (t1 - t0) / (n / 5));
	if (s != n + n / 5)
		md_exit(1);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		n = atoi(argv[1]);
	md_init(0);
	md_main(bench, NULL);
}
