/*
 * stale_proc: seed 001's misuse. Thread A owns context P1, unwires it (as
 * a thread entering foreign code does), and thread B wires P1 and works on
 * it. Then A goes on annotating, as Go's cgocall did when it issued
 * raceacquire before getting a P back (Go issue 27660).
 *
 * Guarded (default), A's first annotation is stopped with racewire's
 * diagnosis naming P1 and both threads. With RACEWIRE_OPTIONS=
 * guard_wiring=0, A keeps using P1's TSan Processor while B uses it too,
 * and TSan's allocator caches are corrupted: a "CHECK failed" with the
 * debug runtime, a SEGV with the release one. Both threads churn for at
 * most CHURN_SECONDS; if nothing broke by then, the program says so and
 * exits 0 (which the tests count as a failure to reproduce).
 */
#include "prog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define CHURN_SECONDS 5
#define SLOTS 4096

static char *heap;
static rw_proc_t *shared_proc;
static rw_task_t *task_a, *task_b;
static _Atomic int a_unwired, b_has_proc, stop;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int churning(unsigned round, double deadline)
{
	return !atomic_load_explicit(&stop, memory_order_relaxed) &&
	       ((round & 1023) != 0 || now() < deadline);
}

/* Heap blocks and sync objects both come from the per-Processor caches
 * that two threads must never drive at once. Two patterns, measured to
 * break TSan in different ways (see tests/integration/test_guard.c):
 *   blocks  every round allocates a block and two sync objects and frees
 *           them (freeing a block frees its sync objects): the caches are
 *           hammered, and the corruption soon faults.
 *   syncs   sync objects persist and one small block comes and goes: the
 *           corruption is subtler, and the debug runtime's CHECKs in the
 *           dense allocator catch it before anything faults. */
static int syncs_pattern;

static void churn(char *base, unsigned round)
{
	char *slot = base + (size_t)(round % SLOTS) * 64;
	if (syncs_pattern) {
		rw_release(slot);
		rw_acquire(slot + 8);
		rw_malloc(slot + 16, 32, RW_PC());
		rw_free(slot + 16, 32);
	} else {
		rw_malloc(slot, 64, RW_PC());
		rw_release(slot);
		rw_acquire(slot + 8);
		rw_free(slot, 64);
	}
}

static void *thread_b(void *arg)
{
	(void)arg;
	while (!atomic_load(&a_unwired))
		;
	prog_check(rw_proc_wire(shared_proc), "rw_proc_wire");
	prog_check(rw_task_switch(task_b), "rw_task_switch");
	atomic_store(&b_has_proc, 1);
	double deadline = now() + CHURN_SECONDS;
	for (unsigned i = 0; churning(i, deadline); i++)
		churn(heap + ((size_t)1 << 20), i);
	atomic_store(&stop, 1);
	return NULL;
}

static void *thread_a(void *arg)
{
	(void)arg;
	prog_check(rw_proc_wire(shared_proc), "rw_proc_wire");
	prog_check(rw_task_switch(task_a), "rw_task_switch");
	churn(heap, 0);
	/* Enter "foreign code": give the context up... */
	prog_check(rw_proc_unwire(shared_proc), "rw_proc_unwire");
	atomic_store(&a_unwired, 1);
	while (!atomic_load(&b_has_proc))
		;
	/* ...and, wrongly, keep annotating after B took it. */
	double deadline = now() + CHURN_SECONDS;
	for (unsigned i = 0; churning(i, deadline); i++)
		churn(heap + ((size_t)2 << 20), i);
	atomic_store(&stop, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "blocks") && strcmp(argv[1], "syncs"))) {
		fprintf(stderr, "usage: stale_proc [blocks|syncs]\n");
		return 2;
	}
	syncs_pattern = argc == 2 && strcmp(argv[1], "syncs") == 0;
	rw_task_t *main_task;
	rw_proc_t *main_proc;
	heap = prog_start(&main_task, &main_proc);
	prog_check(rw_proc_create(&shared_proc), "rw_proc_create");
	prog_check(rw_task_start(main_task, RW_PC(), &task_a), "rw_task_start");
	prog_check(rw_task_start(main_task, RW_PC(), &task_b), "rw_task_start");

	pthread_t a, b;
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_create(&b, NULL, thread_b, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("stale_proc: no crash after %d s of churn\n", CHURN_SECONDS);
	return 0;
}
