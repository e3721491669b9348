/*
 * attach_storm: seed 004's hazard (guarantee 4, Go issue 12277: a signal
 * that arrived while a C-created thread was attaching found a g installed
 * but its signal stack not yet set up).
 *
 * ATTACHERS threads made with plain pthread_create play C-created threads.
 * Each loops: rw_thread_attach(setup), a little work, rw_thread_detach
 * (teardown). setup builds the thread's "runtime state" in steps, each a
 * short busy loop long (the window): the thread-local pointer `self`, then
 * the magic number, then the "signal stack ready" flag, then the id.
 * teardown takes it down in reverse order. A storm thread sends SIGUSR1 to
 * the attachers continuously. The handler asks rw_thread_is_attached() and,
 * if the thread claims to be attached, checks that the state is complete;
 * an incomplete one is a violation, counted in an atomic.
 *
 * Every attacher also starts with SIGUSR2 blocked and SIGUSR1 unblocked and
 * checks after each attach and each detach that its mask is still that
 * (racewire blocks every signal during the transitions and must give the
 * thread its own mask back).
 *
 * Guarded (default): no violation, ever. With RACEWIRE_OPTIONS=
 * guard_signals=0, racewire leaves signals deliverable during setup and
 * teardown and claims "attached" before setup and after teardown, so the
 * handler sees half-built state.
 *
 * Bounded by ITERATIONS attach cycles per thread and RUN_SECONDS. Prints
 *   attach_storm: cycles C signals S attached-signals A violations V mask-errors E
 * Exit 0: no violation; 1: violations; 4: the signal mask was not restored
 * (and no violation); 3: a racewire call failed. Optional argument: the
 * busy-loop length of one setup/teardown step (default SPIN_DEFAULT).
 */
#include "prog.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define ATTACHERS 3
#define ITERATIONS 200000
#define RUN_SECONDS 2.0
#define SPIN_DEFAULT 400
#define MAGIC 0x52574d31u /* "RWM1" */

/* The per-thread runtime state that setup builds. */
struct rtstate {
	volatile unsigned magic;
	volatile int sigstack_ready;
	volatile unsigned id;
};

static _Thread_local struct rtstate *volatile self;

static struct rtstate states[ATTACHERS];
static pthread_t attachers[ATTACHERS];
static unsigned spin_len = SPIN_DEFAULT;
static _Atomic int finished;
static _Atomic unsigned long cycles, signals, attached_signals, violations, mask_errors;
static _Atomic unsigned long violation_cycle = 0; /* first violating cycle + 1 */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One step of building or dismantling: a short busy loop, with compiler
 * barriers so the steps stay in program order. */
static void step(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	for (volatile unsigned i = 0; i < spin_len; i++)
		;
	atomic_signal_fence(memory_order_seq_cst);
}

static int setup(void *arg)
{
	struct rtstate *st = arg;
	self = st;
	step();
	st->magic = MAGIC;
	step();
	st->sigstack_ready = 1;
	step();
	st->id = (unsigned)(st - states) + 1;
	step();
	return 0;
}

static void teardown(void *arg)
{
	struct rtstate *st = arg;
	st->sigstack_ready = 0;
	step();
	st->magic = 0;
	step();
	st->id = 0;
	step();
	self = NULL;
	step();
}

/* Async-signal-safe: TLS reads (initial-exec, non-PIE), lock-free atomics. */
static void on_sigusr1(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&signals, 1, memory_order_relaxed);
	if (!rw_thread_is_attached())
		return;
	atomic_fetch_add_explicit(&attached_signals, 1, memory_order_relaxed);
	struct rtstate *s = self;
	if (!s || s->magic != MAGIC || !s->sigstack_ready) {
		if (atomic_fetch_add_explicit(&violations, 1, memory_order_relaxed) == 0)
			atomic_store(&violation_cycle, atomic_load(&cycles) + 1);
	}
}

/* SIGUSR2 blocked, SIGUSR1 deliverable: the thread's own mask. */
static int mask_is_own(void)
{
	sigset_t cur;
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	return sigismember(&cur, SIGUSR2) == 1 && sigismember(&cur, SIGUSR1) == 0;
}

static void *attacher(void *arg)
{
	struct rtstate *st = arg;
	sigset_t own;
	sigemptyset(&own);
	sigaddset(&own, SIGUSR2);
	pthread_sigmask(SIG_SETMASK, &own, NULL);

	double deadline = now() + RUN_SECONDS;
	for (unsigned i = 0; i < ITERATIONS; i++) {
		if ((i & 255) == 0 && now() > deadline)
			break;
		rw_attach_t a;
		prog_check(rw_thread_attach(&a, setup, st), "rw_thread_attach");
		if (!mask_is_own())
			atomic_fetch_add(&mask_errors, 1);
		if (!rw_thread_is_attached()) {
			fprintf(stderr, "attach_storm: not attached after rw_thread_attach\n");
			exit(3);
		}
		/* A little runtime work while attached. */
		for (volatile unsigned w = 0; w < spin_len; w++)
			;
		prog_check(rw_thread_detach(&a, teardown, st), "rw_thread_detach");
		if (!mask_is_own())
			atomic_fetch_add(&mask_errors, 1);
		if (rw_thread_is_attached()) {
			fprintf(stderr, "attach_storm: still attached after rw_thread_detach\n");
			exit(3);
		}
		atomic_fetch_add_explicit(&cycles, 1, memory_order_relaxed);
	}
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static void *storm(void *arg)
{
	(void)arg;
	/* An attacher that finished has not been joined yet, so its
	 * pthread_t stays valid while the storm runs. */
	while (atomic_load_explicit(&finished, memory_order_relaxed) < ATTACHERS)
		for (int i = 0; i < ATTACHERS; i++)
			pthread_kill(attachers[i], SIGUSR1);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && (spin_len = (unsigned)strtoul(argv[1], NULL, 10)) == 0)) {
		fprintf(stderr, "usage: attach_storm [spin]\n");
		return 2;
	}
	rw_task_t *main_task;
	rw_proc_t *main_proc;
	prog_start(&main_task, &main_proc);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	/* Only the attachers take the storm's signals. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);

	for (int i = 0; i < ATTACHERS; i++)
		if (pthread_create(&attachers[i], NULL, attacher, &states[i]) != 0) {
			perror("pthread_create");
			return 3;
		}
	pthread_t storm_thread;
	pthread_create(&storm_thread, NULL, storm, NULL);
	pthread_join(storm_thread, NULL); /* returns once every attacher finished */
	for (int i = 0; i < ATTACHERS; i++)
		pthread_join(attachers[i], NULL);

	unsigned long v = atomic_load(&violations), e = atomic_load(&mask_errors);
	printf("attach_storm: cycles %lu signals %lu attached-signals %lu violations %lu "
	       "mask-errors %lu\n",
	       atomic_load(&cycles), atomic_load(&signals), atomic_load(&attached_signals), v, e);
	if (v)
		printf("attach_storm: first violation during cycle %lu\n", atomic_load(&violation_cycle));
	fflush(stdout);
	return v ? 1 : e ? 4 : 0;
}
