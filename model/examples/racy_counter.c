/*
 * racy_counter: a deliberate data race. Tasks increment a shared heap
 * counter without a lock; TSan reports it with both stacks (bump_counter
 * at racy_counter.c:line) and the program exits 66. With "fixed" as the
 * argument the increments are under an md_mutex and it exits 0.
 */
#include <model.h>

#include <stdio.h>
#include <string.h>

static long *counter;
static md_mutex_t mu = MD_MUTEX_INIT;
static md_wg_t wg = MD_WG_INIT;
static int fixed;

__attribute__((noinline)) static void bump_counter(void)
{
	MD_FUNC_ENTER();
	if (fixed)
		md_mutex_lock(&mu);
	MD_READ(counter);
	MD_WRITE(counter);
	*counter += 1;
	if (fixed)
		md_mutex_unlock(&mu);
	MD_FUNC_EXIT();
}

static void worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		bump_counter();
		md_yield();
	}
	md_wg_done(&wg);
}

static void main_task(void *arg)
{
	(void)arg;
	counter = md_alloc(sizeof *counter);
	md_wg_add(&wg, 4);
	for (int i = 0; i < 4; i++)
		md_go(worker, NULL);
	md_wg_wait(&wg);
	MD_READ(counter);
	printf("racy_counter: %ld\n", *counter);
}

int main(int argc, char **argv)
{
	fixed = argc > 1 && !strcmp(argv[1], "fixed");
	md_init(0);
	md_main(main_task, NULL);
}
