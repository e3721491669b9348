/*
 * worker_pool: a pool of tasks reads jobs from a channel, writes results
 * into a shared heap array (each job its own slot), and a wait group tells
 * the main task when all are done. Correct: TSan reports nothing (exit 0).
 *
 *   build/model/examples/worker_pool [workers] [jobs]
 */
#include <model.h>

#include <stdio.h>
#include <stdlib.h>

static md_chan_t *jobs;
static md_wg_t wg = MD_WG_INIT;
static long *results;
static md_mutex_t sum_mu = MD_MUTEX_INIT;
static long *sum; /* in the heap, under sum_mu */

static void worker(void *arg)
{
	(void)arg;
	MD_FUNC_ENTER();
	long j;
	while (md_chan_recv(jobs, &j)) {
		long r = j * j;
		MD_WRITE(&results[j]);
		results[j] = r;
		md_mutex_lock(&sum_mu);
		MD_READ(sum);
		MD_WRITE(sum);
		*sum += r;
		md_mutex_unlock(&sum_mu);
	}
	md_wg_done(&wg);
	MD_FUNC_EXIT();
}

static int nworkers = 8, njobs = 1000;

static void main_task(void *arg)
{
	(void)arg;
	MD_FUNC_ENTER();
	jobs = md_chan_make(sizeof(long), 16);
	results = md_alloc(sizeof(long) * (size_t)njobs);
	sum = md_alloc(sizeof *sum);
	md_wg_add(&wg, nworkers);
	for (int i = 0; i < nworkers; i++)
		md_go(worker, NULL);
	for (long j = 0; j < njobs; j++)
		md_chan_send(jobs, &j);
	md_chan_close(jobs);
	md_wg_wait(&wg);
	long check = 0;
	for (long j = 0; j < njobs; j++) {
		MD_READ(&results[j]);
		check += results[j];
	}
	MD_READ(sum);
	printf("worker_pool: %d workers, %d jobs, sum %ld (%s)\n", nworkers, njobs, *sum,
	       check == *sum ? "ok" : "MISMATCH");
	MD_FUNC_EXIT();
	if (check != *sum)
		md_exit(1);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nworkers = atoi(argv[1]);
	if (argc > 2)
		njobs = atoi(argv[2]);
	md_init(0);
	md_main(main_task, NULL);
}
