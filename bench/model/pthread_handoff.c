/* pthread_handoff: the baseline for a task switch: two OS threads hand a
 * token back and forth with a pthread mutex and condition variable; ns
 * per handoff (one thread wakes the other). No runtime involved; built in
 * both variants only because the Makefile builds every bench twice. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int n = 200000;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *other(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < n; i++) {
		while (turn != 1)
			pthread_cond_wait(&cv, &mu);
		turn = 0;
		pthread_cond_signal(&cv);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		n = atoi(argv[1]);
	pthread_t t;
	pthread_create(&t, NULL, other, NULL);
	double t0 = now();
	pthread_mutex_lock(&mu);
	for (int i = 0; i < n; i++) {
		turn = 1;
		pthread_cond_signal(&cv);
		while (turn != 0)
			pthread_cond_wait(&cv, &mu);
	}
	pthread_mutex_unlock(&mu);
	double t1 = now();
	pthread_join(t, NULL);
	printf("pthread mutex/condvar handoff %.0f ns/switch\n", (t1 - t0) / n / 2);
	return 0;
}
