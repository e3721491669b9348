/*
 * seed001_retake: the race detector called with a retaken processor
 * (seed 001, Go issue 27660), in the shape of Go's own regression test
 * (misc/cgo/test/test27660.go): tasks that sleep in foreign code long
 * enough for a monitor to retake their processor, while other work
 * hammers synchronization on those processors.
 *
 * The runtime here keeps Go's pre-fix order on purpose: a worker leaves
 * the foreign call (rw_foreign_exit, which owes the acquire on the foreign
 * sync object) BEFORE it gets a processor back, and frees the call's
 * argument block there too, as runtime-internal work (policy=borrow). In
 * LLVM 19's TSan an acquire alone no longer touches the Processor (it did
 * in the TSan of 2018, through its clock cache), but a free does.
 *
 * racewire makes that order safe: the acquire waits for the next
 * rw_proc_wire, and the free runs on the fallback context under its lock.
 * With RACEWIRE_OPTIONS=guard_wiring=0:guard_foreign=0 both run at once on
 * the context the thread had before the call, which the monitor may have
 * handed to another thread by then: TSan's Processor is driven by two
 * threads and its allocator caches are corrupted (SEGV, or a CHECK on the
 * debug runtime).
 *
 * Knobs (environment): SEED001_SECONDS (default 4); SEED001_SLEEP_US, the
 * time a worker spends in foreign code (default 100: long enough to be
 * retaken, short enough to come back while the new owner is busy);
 * SEED001_CHURN, synchronization rounds between foreign calls (default
 * 256: a long busy stretch on the processor for the stale thread to hit).
 */
#include "../../tests/progs/prog.h"
#include "repro.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define NPROCS 2
#define WORKERS 3
#define SLOTS 1024

enum { P_IDLE, P_RUNNING, P_SYSCALL };

/* The runtime's own view of its processors; racewire's ownership word is
 * separate and checks this one. */
static struct proc {
	rw_proc_t *ctx;
	_Atomic int state;
	_Atomic long since_ns; /* when it entered P_SYSCALL */
} procs[NPROCS];

static char *heap;
static double deadline;
static long sleep_us = 100;
static int churn_rounds = 256;
#define ARG_BLOCKS 16
static _Atomic int stop;
static _Atomic long calls, retaken; /* reported at the end */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long now_ns(void) { return (long)(now() * 1e9); }

/* Take any idle processor: the scheduler's acquirep. */
static struct proc *take_idle(void)
{
	for (;;) {
		for (int i = 0; i < NPROCS; i++) {
			int idle = P_IDLE;
			if (atomic_compare_exchange_strong(&procs[i].state, &idle, P_RUNNING)) {
				prog_check(rw_proc_wire(procs[i].ctx), "rw_proc_wire");
				return &procs[i];
			}
		}
		if (atomic_load(&stop))
			return NULL;
		sched_yield();
	}
}

/* Sync objects and blocks come from the per-Processor caches. */
static void churn(char *base, unsigned round)
{
	char *slot = base + (size_t)(round % SLOTS) * 64;
	rw_malloc(slot, 64, RW_PC());
	rw_release(slot);
	rw_acquire(slot + 8);
	rw_free(slot, 64);
}

/* "C.usleep": blocking foreign code. */
__attribute__((noinline)) static void c_usleep(long us) { usleep((useconds_t)us); }

struct worker {
	rw_task_t *task;
	int index;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct proc *p = take_idle();
	if (!p)
		return NULL;
	prog_check(rw_task_switch(w->task), "rw_task_switch");
	char *mine = heap + (size_t)(w->index + 1) * (1 << 20);
	for (unsigned round = 0; now() < deadline; round++) {
		for (int i = 0; i < churn_rounds; i++)
			churn(mine, round * (unsigned)churn_rounds + (unsigned)i);

		/* cgocall: entersyscall leaves the P in syscall state, where
		 * the monitor may retake it. Unwire first, then publish: the
		 * other order lets the monitor hand out a context this thread
		 * still owns (racewire's rw_proc_wire refuses it, naming both
		 * threads; that is how this ordering was found). */
		/* Marshal the call's arguments into a frame of small blocks. */
		char *args = mine + ((size_t)1 << 19) + (round % 64) * 64 * ARG_BLOCKS;
		for (int i = 0; i < ARG_BLOCKS; i++) {
			rw_malloc(args + i * 64, 64, RW_PC());
			rw_write(args + i * 64, RW_PC());
		}
		rw_proc_t *released;
		prog_check(rw_foreign_enter(&released), "rw_foreign_enter");
		atomic_store(&p->since_ns, now_ns());
		atomic_store(&p->state, P_SYSCALL);
		c_usleep(sleep_us);
		/* Go before the fix: endcgo's raceacquire, then exitsyscall;
		 * and the argument block is released before exitsyscall too. */
		prog_check(rw_foreign_exit(), "rw_foreign_exit");
		for (int i = 0; i < ARG_BLOCKS; i++)
			rw_free(args + i * 64, 64);
		atomic_fetch_add(&calls, 1);
		int syscall = P_SYSCALL;
		if (atomic_compare_exchange_strong(&p->state, &syscall, P_RUNNING)) {
			prog_check(rw_proc_wire(p->ctx), "rw_proc_wire");
		} else {
			atomic_fetch_add(&retaken, 1);
			prog_check(rw_task_switch(NULL), "rw_task_switch");
			p = take_idle(); /* retaken: get any processor */
			if (!p)
				break;
			prog_check(rw_task_switch(w->task), "rw_task_switch");
		}
	}
	atomic_store(&stop, 1);
	return NULL;
}

/* sysmon's retake: a processor in a foreign call for more than 20 us goes
 * to whoever needs one. */
static void *monitor(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		for (int i = 0; i < NPROCS; i++) {
			int syscall = P_SYSCALL;
			if (now_ns() - atomic_load(&procs[i].since_ns) > 20000)
				atomic_compare_exchange_strong(&procs[i].state, &syscall, P_IDLE);
		}
		usleep(10);
	}
	return NULL;
}

int main(void)
{
	const char *s = getenv("SEED001_SECONDS");
	double seconds = s ? atof(s) : 4;
	if ((s = getenv("SEED001_SLEEP_US")))
		sleep_us = atol(s);
	if ((s = getenv("SEED001_CHURN")))
		churn_rounds = atoi(s);

	/* Runtime-internal work outside a processor borrows the fallback. */
	rw_options_t opts;
	rw_options_default(&opts);
	opts.policy = RW_POLICY_BORROW;
	rw_task_t *main_task;
	rw_proc_t *p0;
	heap = prog_start_with(&opts, &main_task, &p0);
	procs[0].ctx = p0;
	prog_check(rw_proc_unwire(p0), "rw_proc_unwire");
	for (int i = 1; i < NPROCS; i++)
		prog_check(rw_proc_create(&procs[i].ctx), "rw_proc_create");
	prog_check(rw_proc_wire(p0), "rw_proc_wire");
	static struct worker workers[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		workers[i].index = i;
		prog_check(rw_task_start(main_task, RW_PC(), &workers[i].task), "rw_task_start");
	}
	prog_check(rw_proc_unwire(p0), "rw_proc_unwire");

	deadline = now() + seconds;
	pthread_t t[WORKERS + 1];
	pthread_create(&t[WORKERS], NULL, monitor, NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, &workers[i]);
	for (int i = 0; i <= WORKERS; i++)
		pthread_join(t[i], NULL);
	/* Windows: processors retaken from a worker in C. */
	fflush(stdout);
	repro_windows((unsigned long long)atomic_load(&retaken));
	printf("seed001_retake: %.1f s without incident (%ld foreign calls, %ld processors "
	       "retaken)\n", seconds, atomic_load(&calls), atomic_load(&retaken));
	return 0;
}
