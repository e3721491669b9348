/*
 * tests/fiber/progs/fiber_misuse.c - each fiber guarantee's misuse, made for
 * real on clang's C/C++ TSan (compiled with -fsanitize=thread).
 *
 * Usage: fiber_misuse SCENARIO (claim, end-current, end-elsewhere, end-own,
 * thread-exit, pthread-exit, pthread-exit-raw, longjmp, inline-switch, helper-switch, switch, sigmask,
 * signal-destroyed, signal-migrated, signal-start-end, never-ran, no-task, race,
 * race-ordered). Run guarded (the default options) the
 * misuse is refused or repaired and the program prints "ok: SCENARIO" and
 * exits 0 (or as the scenario says); with the guard off
 * (RACEWIRE_OPTIONS=guard_...=0) TSan itself fails: a CHECK, a SEGV, or
 * "can't find longjmp buf", exit 66. tests/fiber/test_guarantees.c runs
 * both. Threads meet through mutex and condition handshakes, never sleeps.
 */
#include <racewire.h>

#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

/* These tasks share the threads' stacks (only the ucontext scenarios give
 * a task a stack of its own): every switch here is a happens-before edge,
 * or their frames would race on the stack slots they reuse. The race
 * scenario says RW_FIBER_NO_SYNC where it means it. */
#define rw_task_switch(t) rw_fiber_switch((t), RW_FIBER_SYNC)

static rw_task_t *main_task, *task;
static rw_proc_t *p0;

static void check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "fiber_misuse: %s: %s\n", what, rw_last_error());
		exit(2);
	}
}

/* ---- A one-way handshake ------------------------------------------------ */
struct flag {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int set;
};
#define FLAG_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0}
static void flag_set(struct flag *f)
{
	pthread_mutex_lock(&f->mu);
	f->set = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}
static void flag_wait(struct flag *f)
{
	pthread_mutex_lock(&f->mu);
	while (!f->set)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

/* A thread that wires a context of its own and runs `task` (or exits on it). */
static struct flag running = FLAG_INIT, may_leave = FLAG_INIT;
static int leave_on_task; /* 1: return with the task current; 2: rw_fiber_pthread_exit;
                           * 3: pthread_exit itself */

/* Not instrumented at all: it returns with the task current, and an
 * instrumented return would pop the fiber's shadow stack for a frame
 * pushed on the thread's own context. */
__attribute__((disable_sanitizer_instrumentation)) static void *runner(void *arg)
{
	(void)arg;
	rw_proc_t *p;
	check(rw_proc_create(&p), "rw_proc_create");
	check(rw_proc_wire(p), "rw_proc_wire");
	check(rw_task_switch(task), "rw_task_switch(task) on the runner");
	flag_set(&running);
	flag_wait(&may_leave);
	if (leave_on_task) {
		check(rw_proc_unwire(p), "rw_proc_unwire");
		if (leave_on_task == 2)
			rw_fiber_pthread_exit(NULL);
		if (leave_on_task == 3)
			pthread_exit(NULL); /* TSan checks the context at the call */
		return NULL;
	}
	check(rw_task_switch(NULL), "rw_task_switch(NULL)");
	check(rw_proc_unwire(p), "rw_proc_unwire");
	return NULL;
}

/* Another thread has `task` current; this one tries to switch to it. */
static int claim(void)
{
	pthread_t th;
	pthread_create(&th, NULL, runner, NULL);
	flag_wait(&running);
	int rc = rw_task_switch(task); /* unguarded: TSan's proc1 CHECK */
	printf("rw_task_switch(task) while current on the runner: %d\n", rc);
	flag_set(&may_leave);
	pthread_join(th, NULL);
	if (rc != RW_EBUSY)
		return 1;
	/* The same task is free now, and may run here. */
	check(rw_task_switch(task), "rw_task_switch(task) after the runner left it");
	check(rw_task_switch(main_task), "rw_task_switch(main)");
	check(rw_task_end(task), "rw_task_end");
	return 0;
}

/* The current fiber ended: refused; unguarded, TSan frees the context it
 * is running on and its next call faults. */
static int end_current(void)
{
	check(rw_task_switch(task), "rw_task_switch(task)");
	int rc = rw_task_end(task);
	printf("rw_task_end(current): %d\n", rc);
	static int x;
	rw_write(&x, RW_PC()); /* unguarded: on a freed ThreadState */
	free(malloc(64));
	check(rw_task_switch(main_task), "rw_task_switch(main)");
	check(rw_task_end(task), "rw_task_end after switching away");
	return rc == RW_EBUSY ? 0 : 1;
}

/* A fiber current on another thread is not destroyed either. */
static int end_elsewhere(void)
{
	pthread_t th;
	pthread_create(&th, NULL, runner, NULL);
	flag_wait(&running);
	int rc = rw_task_end(task);
	printf("rw_task_end(current on the runner): %d\n", rc);
	flag_set(&may_leave);
	pthread_join(th, NULL);
	check(rw_task_end(task), "rw_task_end once free");
	return rc == RW_EBUSY ? 0 : 1;
}

/* The thread's own context, as a task, is never destroyed; unguarded,
 * TSan frees a ThreadState its allocator never handed out. */
static int end_own(void)
{
	rw_task_t *own;
	check(rw_task_switch(NULL), "rw_task_switch(NULL)");
	check(rw_fiber_thread_task(&own), "rw_fiber_thread_task");
	check(rw_task_switch(task), "rw_task_switch(task)");
	int rc = rw_task_end(own);
	printf("rw_task_end(own context): %d\n", rc);
	check(rw_task_switch(own), "rw_task_switch(own)");
	free(malloc(64));
	return rc == RW_EPERM ? 0 : 1;
}

/* The fiber backend's API: its failure modes and their messages. */
static rw_task_t *main_own;
static void *other_thread(void *arg)
{
	(void)arg;
	rw_proc_t *p;
	check(rw_proc_create(&p), "rw_proc_create");
	check(rw_proc_wire(p), "rw_proc_wire");
	int rc = rw_task_switch(main_own);
	printf("rw_task_switch(M1's own context) on M2: %d %s\n", rc, rw_last_error());
	check(rw_proc_unwire(p), "rw_proc_unwire");
	return NULL;
}

static int api(void)
{
	int bad = 0;
	bad |= strcmp(rw_backend(), "fiber") != 0;
	static char heap[4096];
	bad |= rw_map_heap(heap, sizeof heap) != 0; /* any address: all is shadowed */
	int rc = rw_map_heap(heap, 0);
	printf("rw_map_heap(size 0): %d %s\n", rc, rw_last_error());
	bad |= rc != RW_EINVAL;
	rc = rw_fiber_thread_task(NULL);
	printf("rw_fiber_thread_task(NULL): %d %s\n", rc, rw_last_error());
	bad |= rc != RW_EINVAL;
	rc = rw_fiber_thread_task(&main_own); /* T1 is current */
	printf("rw_fiber_thread_task with T1 current: %d %s\n", rc, rw_last_error());
	bad |= rc != RW_EBUSY;
	check(rw_task_switch(NULL), "rw_task_switch(NULL)");
	check(rw_fiber_thread_task(&main_own), "rw_fiber_thread_task");
	rw_task_t *again;
	check(rw_fiber_thread_task(&again), "rw_fiber_thread_task again");
	bad |= again != main_own;
	pthread_t th;
	pthread_create(&th, NULL, other_thread, NULL);
	pthread_join(th, NULL);
	check(rw_task_switch(main_task), "rw_task_switch(main)");
	return bad;
}

/* A thread calls pthread_exit with a fiber current: guarded,
 * racewire switches it back to its own context first and the fiber is
 * left unclaimed; unguarded, TSan finishes the thread on the fiber. */
static int thread_exit(int how)
{
	leave_on_task = how;
	pthread_t th;
	pthread_create(&th, NULL, runner, NULL);
	flag_wait(&running);
	flag_set(&may_leave);
	pthread_join(th, NULL);
	check(rw_task_switch(task), "rw_task_switch(task) after its thread exited");
	check(rw_task_switch(main_task), "rw_task_switch(main)");
	check(rw_task_end(task), "rw_task_end");
	return 0;
}

/* ---- Real context switches (ucontext) ------------------------------------- */
static ucontext_t main_uc, fiber_uc;
static jmp_buf landing;
static rw_checkpoint_t cp;

/* Unwind from a fiber to a setjmp taken on the main task: restore the
 * checkpoint (which switches TSan back to the main task), then jump. */
static void fiber_longjmp(void)
{
	int rc = rw_checkpoint_restore(&cp);
	printf("rw_checkpoint_restore from the fiber: %d\n", rc);
	longjmp(landing, 1); /* unguarded: TSan looks in the fiber's buffers */
}

static int longjmp_across(void)
{
	static char stack[256 << 10];
	getcontext(&fiber_uc);
	fiber_uc.uc_stack.ss_sp = stack;
	fiber_uc.uc_stack.ss_size = sizeof stack;
	fiber_uc.uc_link = NULL;
	makecontext(&fiber_uc, fiber_longjmp, 0);
	check(rw_checkpoint(&cp), "rw_checkpoint");
	if (setjmp(landing) == 0) {
		rw_fiber_switch(task, RW_FIBER_SYNC);
		swapcontext(&main_uc, &fiber_uc);
		return 1; /* the fiber never returns here */
	}
	if (rw_task_current() != main_task)
		return 1;
	/* The fiber's stack was abandoned by the jump; it ran nowhere now. */
	check(rw_task_end(task), "rw_task_end");
	return 0;
}

/* Ping-pong between the main task and a fiber. Announced inline, right
 * before swapcontext, as rw_fiber_switch must be; "helper" announces it
 * from an instrumented function that returns first (Tencent/flare#197). */
static int use_helper;
static volatile long rounds;

/* A helper 16 instrumented frames deep, as a scheduler's switch path can
 * be: each of its frames returns after the switch was announced. */
__attribute__((noinline)) static void announce(rw_task_t *t, int depth)
{
	if (depth > 0)
		announce(t, depth - 1);
	else
		rw_fiber_switch(t, RW_FIBER_SYNC);
	rounds++; /* an instrumented access after the call: no tail call */
}

/* The scheduler side (main) may use the helper; the fiber side always
 * announces inline. So each round trip leaves the helper's frames popped from the
 * fiber's shadow stack that was never pushed there: it sinks by 16 frames
 * a round until TSan writes below it. */
static void to_fiber(void)
{
	if (use_helper)
		announce(task, 15);
	else
		rw_fiber_switch(task, RW_FIBER_SYNC);
	swapcontext(&main_uc, &fiber_uc);
}

static void pong(void)
{
	for (;;) {
		rw_fiber_switch(main_task, RW_FIBER_SYNC);
		swapcontext(&fiber_uc, &main_uc);
	}
}

__attribute__((noinline)) static void deep(int n)
{
	if (n > 0)
		deep(n - 1);
	rounds++;
}

static int ping_pong(void)
{
	static char stack[256 << 10];
	getcontext(&fiber_uc);
	fiber_uc.uc_stack.ss_sp = stack;
	fiber_uc.uc_stack.ss_size = sizeof stack;
	makecontext(&fiber_uc, pong, 0);
	for (int i = 0; i < 200000; i++) {
		to_fiber();
		deep(8);
	}
	printf("%ld rounds\n", rounds);
	return 0;
}

/* The thread's own signal mask survives a switch (signals are blocked
 * across it, then the mask is put back). */
static int keeps_mask(void)
{
	sigset_t want, got;
	sigemptyset(&want);
	sigaddset(&want, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &want, NULL);
	check(rw_task_switch(task), "rw_task_switch(task)");
	pthread_sigmask(SIG_SETMASK, NULL, &got);
	int same = sigismember(&got, SIGUSR1) && !sigismember(&got, SIGUSR2) &&
	           !sigismember(&got, SIGINT);
	check(rw_task_switch(main_task), "rw_task_switch(main)");
	pthread_sigmask(SIG_SETMASK, NULL, &got);
	same = same && sigismember(&got, SIGUSR1) && !sigismember(&got, SIGUSR2);
	return same ? 0 : 1;
}

/* ---- Signals queued on a fiber ----------------------------------------------
 * C/C++ TSan does not run an asynchronous signal's handler when the signal
 * arrives in instrumented code: its sighandler queues the signal on the
 * thread's current context (TSan's ThreadState: here, the current fiber)
 * and delivers it when that same context next leaves an intercepted call
 * or makes a TSan atomic (ProcessPendingSignals, tsan_interceptors_posix.cpp,
 * tsan_interface_atomic.cpp). A fiber switched away from before it made
 * one takes the signal with it: delivered late, on
 * whatever thread runs the fiber next, or never, if the fiber is destroyed
 * (ThreadFinish unmaps its ThreadSignalContext). racewire's switch blocks
 * signals and lets the context being left deliver what it holds first
 * (guard_signals).
 *
 * A sender thread signals the running thread (SIGUSR1, pthread_kill) one
 * at a time, and sends the next when the handler ran or when the running
 * thread has finished three more cycles (each cycle makes TSan atomic
 * operations on the thread's own context, which deliver what it holds, as
 * intercepted calls do: by then a signal queued anywhere but on a fiber has
 * run). The handler counts deliveries and the ones that ran on a thread
 * other than the one signalled. After the last cycle the main thread's
 * atomic loads deliver what its own context still holds; then every signal
 * sent must have run, each on its thread.
 * No timing: the program decides from the counts alone. */
#define SIG_CYCLES 10000

static pthread_t sig_thread;     /* the thread signalled */
static _Atomic pid_t sig_target; /* its tid, for the handler */
static _Atomic unsigned sig_sent, sig_delivered, sig_wrong_thread, sig_cycles;
static _Atomic int sig_stop;

static void on_usr1(int sig)
{
	(void)sig;
	if (gettid() != atomic_load(&sig_target))
		atomic_fetch_add(&sig_wrong_thread, 1);
	atomic_fetch_add(&sig_delivered, 1);
}

static void *signaller(void *arg)
{
	(void)arg;
	while (!atomic_load(&sig_stop)) {
		unsigned want = atomic_load(&sig_sent) + 1;
		atomic_store(&sig_sent, want);
		pthread_kill(sig_thread, SIGUSR1);
		/* Counted from here, once the signal is pending: counted from
		 * before, a sender preempted in between would send the next
		 * while this one is still queued, and the two would merge. */
		unsigned cycle = atomic_load(&sig_cycles);
		while (atomic_load(&sig_delivered) < want && atomic_load(&sig_cycles) < cycle + 3 &&
		       !atomic_load(&sig_stop))
			sched_yield();
	}
	return NULL;
}

/* A fiber's work between switches: instrumented stores, no intercepted
 * call and no atomic, so a signal arriving now is queued on the fiber. */
static int sig_work[2048];
__attribute__((noinline)) static void fiber_work(void)
{
	for (int i = 0; i < 2048; i++)
		sig_work[i] += i;
}

static pthread_t sig_start(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sig_thread = pthread_self();
	atomic_store(&sig_target, gettid());
	pthread_t th;
	pthread_create(&th, NULL, signaller, NULL);
	return th;
}

static int sig_finish(pthread_t th)
{
	atomic_store(&sig_stop, 1);
	pthread_join(th, NULL);
	/* The first atomic load delivers what this context still holds. */
	unsigned sent = atomic_load(&sig_sent), got = atomic_load(&sig_delivered);
	unsigned wrong = atomic_load(&sig_wrong_thread);
	printf("signals: %u sent, %u delivered, %u on another thread, %u cycles\n", sent, got,
	       wrong, atomic_load(&sig_cycles));
	/* For racewire-stress: each signal sent was one chance to lose it. */
	printf("racewire-windows: %u\n", sent);
	if (got < sent)
		printf("lost: %u signal(s) never delivered\n", sent - got);
	if (wrong)
		printf("moved: %u signal(s) delivered on a thread they were not sent to\n", wrong);
	return got < sent || wrong ? 1 : 0;
}

/* Signals queued on a fiber that is then destroyed: each cycle starts a
 * fiber, runs its work, switches back and ends it. Unguarded, a signal
 * that arrived during the work is destroyed with the fiber. */
static int signal_destroyed(void)
{
	pthread_t th = sig_start();
	for (int i = 0; i < SIG_CYCLES; i++) {
		rw_task_t *f;
		check(rw_task_start(main_task, RW_PC(), &f), "rw_task_start");
		check(rw_task_switch(f), "rw_task_switch(f)");
		fiber_work();
		check(rw_task_switch(main_task), "rw_task_switch(main)");
		check(rw_task_end(f), "rw_task_end(f)");
		atomic_fetch_add(&sig_cycles, 1);
	}
	return sig_finish(th);
}

/* Signals queued on a fiber that then migrates: each cycle runs the fiber's
 * work here, switches back, and hands the fiber to a second thread, which
 * runs it up to an intercepted call and hands it back. Unguarded, a signal
 * sent to this thread during the work runs on the other. */
static pthread_mutex_t hand_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hand_cv = PTHREAD_COND_INITIALIZER;
static int hand_turn; /* 1: the fiber is the other thread's; 0: back; -1: stop */
static _Atomic unsigned host_rounds;

static void *migrate_host(void *arg)
{
	(void)arg;
	rw_proc_t *p;
	check(rw_proc_create(&p), "rw_proc_create");
	check(rw_proc_wire(p), "rw_proc_wire");
	for (;;) {
		pthread_mutex_lock(&hand_mu);
		while (hand_turn == 0)
			pthread_cond_wait(&hand_cv, &hand_mu);
		int stop = hand_turn < 0;
		pthread_mutex_unlock(&hand_mu);
		if (stop)
			break;
		check(rw_task_switch(task), "rw_task_switch(task) on the host");
		/* The fiber's first TSan atomic here: it delivers what the
		 * fiber holds (tsan_interface_atomic.cpp's ATOMIC_IMPL). */
		atomic_fetch_add(&host_rounds, 1);
		check(rw_task_switch(NULL), "rw_task_switch(NULL) on the host");
		pthread_mutex_lock(&hand_mu);
		hand_turn = 0;
		pthread_cond_broadcast(&hand_cv);
		pthread_mutex_unlock(&hand_mu);
	}
	check(rw_proc_unwire(p), "rw_proc_unwire");
	return NULL;
}

static void hand_over(int turn)
{
	pthread_mutex_lock(&hand_mu);
	hand_turn = turn;
	pthread_cond_broadcast(&hand_cv);
	while (turn > 0 && hand_turn != 0)
		pthread_cond_wait(&hand_cv, &hand_mu);
	pthread_mutex_unlock(&hand_mu);
}

static int signal_migrated(void)
{
	pthread_t host;
	pthread_create(&host, NULL, migrate_host, NULL);
	pthread_t th = sig_start();
	for (int i = 0; i < SIG_CYCLES; i++) {
		check(rw_task_switch(task), "rw_task_switch(task)");
		/* Longer than in signal-destroyed: the hand-over's own waits
		 * take most signals here, on the right context. */
		for (int k = 0; k < 32; k++)
			fiber_work();
		check(rw_task_switch(main_task), "rw_task_switch(main)");
		hand_over(1);
		atomic_fetch_add(&sig_cycles, 1);
	}
	int rc = sig_finish(th);
	hand_over(-1);
	pthread_join(host, NULL);
	return rc;
}

/* Signals while TSan starts or ends a fiber that never ran (ClickHouse#49673,
 * #52185): __tsan_create_fiber and __tsan_destroy_fiber make the fiber
 * TSan's current context while they build or tear down its ThreadState,
 * which has no TSan slot before ThreadStart attaches one and none after
 * ThreadFinish detaches it. A signal TSan handles at once (SIGSEGV, SIGBUS,
 * SIGPIPE, ... even sent by another thread: is_sync_signal) then runs its
 * handler on that context and dies in `CHECK failed: ...
 * "((thr->slot)) != (0)"`. Guarded, signals are blocked across both. A
 * second thread sends SIGPIPE to this one without pause while it starts and
 * ends 100,000 tasks it never runs. */
#define START_END_CYCLES 100000
static volatile sig_atomic_t pipes;

/* Not instrumented, and no TSan atomic: TSan runs a "synchronous" signal's
 * handler at once, wherever it lands, even inside its own runtime, and a
 * handler that calls back into TSan can wait there for a lock the code it
 * interrupted holds (guarded runs hung so, about 1 in 10). Only this thread
 * runs it and reads the count. */
__attribute__((disable_sanitizer_instrumentation)) static void on_pipe(int sig)
{
	(void)sig;
	pipes = pipes + 1;
}

static void *piper(void *arg)
{
	(void)arg;
	while (!atomic_load(&sig_stop)) {
		pthread_kill(sig_thread, SIGPIPE);
		sched_yield();
	}
	return NULL;
}

/* racewire-stress's progress line, cumulative, in one write. */
static void windows(unsigned n)
{
	char line[48];
	int len = snprintf(line, sizeof line, "racewire-windows: %u\n", n);
	if (write(1, line, (size_t)len) < 0)
		exit(3);
}

static int signal_start_end(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_pipe;
	sigaction(SIGPIPE, &sa, NULL);
	sig_thread = pthread_self();
	pthread_t th;
	pthread_create(&th, NULL, piper, NULL);
	for (unsigned i = 1; i <= START_END_CYCLES; i++) {
		rw_task_t *f;
		check(rw_task_start(main_task, RW_PC(), &f), "rw_task_start");
		check(rw_task_end(f), "rw_task_end");
		if (i % 1000 == 0)
			windows(i);
	}
	atomic_store(&sig_stop, 1);
	pthread_join(th, NULL);
	printf("%d never-run tasks started and ended, %d SIGPIPEs handled\n", START_END_CYCLES,
	       (int)pipes);
	return 0;
}

/* Ending fibers that never ran, with no signal about: 4 threads start
 * 20,000 tasks each and end them without running them, every other one
 * ended by another thread, up to 1,024 alive at once. zio (lalinsky/zio#598)
 * saw such fibers crash in ThreadContext::OnFinished after a few thousand;
 * clang-19's runtime survives this with or without racewire's guards (no
 * trace part to walk: TSan records nothing for a fiber before it runs), so
 * it is a check that it stays so, not a reproducer. */
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static rw_task_t *pool[1024];
static int npool;

static void *never_ran_thread(void *arg)
{
	(void)arg;
	rw_proc_t *p;
	check(rw_proc_create(&p), "rw_proc_create");
	check(rw_proc_wire(p), "rw_proc_wire");
	rw_task_t *own;
	check(rw_fiber_thread_task(&own), "rw_fiber_thread_task");
	for (int i = 0; i < 20000; i++) {
		rw_task_t *f, *other = NULL;
		check(rw_task_start(own, RW_PC(), &f), "rw_task_start");
		pthread_mutex_lock(&pool_mu);
		if ((i & 1) && npool < 1024)
			pool[npool++] = f, f = NULL;
		else if (npool)
			other = pool[--npool];
		pthread_mutex_unlock(&pool_mu);
		if (f)
			check(rw_task_end(f), "rw_task_end");
		if (other)
			check(rw_task_end(other), "rw_task_end(another thread's)");
	}
	check(rw_proc_unwire(p), "rw_proc_unwire");
	return NULL;
}

static int never_ran(void)
{
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, never_ran_thread, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < npool; i++)
		check(rw_task_end(pool[i]), "rw_task_end");
	printf("80000 never-run tasks ended\n");
	return 0;
}

/* An annotation with no task current dies with racewire's diagnosis. */
static int no_task(void)
{
	static int sync;
	check(rw_task_switch(NULL), "rw_task_switch(NULL)");
	rw_acquire(&sync);
	return 1; /* not reached: policy abort */
}

/* Two fibers on two threads write one global: TSan reports it, with both
 * stacks at file:line; ordered by rw_release/rw_acquire, it does not. */
int shared; /* not static: a global only written would be optimized away */
static rw_task_t *writer_task;
static struct flag written = FLAG_INIT;
static int ordered;

__attribute__((noinline)) static void write_shared(int v)
{
	shared = v;
}

static void *writer(void *arg)
{
	(void)arg;
	rw_proc_t *p;
	check(rw_proc_create(&p), "rw_proc_create");
	check(rw_proc_wire(p), "rw_proc_wire");
	check(rw_task_switch(writer_task), "rw_task_switch(writer)");
	write_shared(1);
	if (ordered)
		rw_release(&written);
	/* Unsynchronized switches: only rw_release/rw_acquire order them. */
	check(rw_fiber_switch(NULL, RW_FIBER_NO_SYNC), "rw_fiber_switch(NULL)");
	check(rw_proc_unwire(p), "rw_proc_unwire");
	flag_set(&written);
	return NULL;
}

static int race(void)
{
	int order = ordered; /* read here: the task does not see main's writes */
	check(rw_task_start(main_task, RW_PC(), &writer_task), "rw_task_start(writer)");
	pthread_t th;
	pthread_create(&th, NULL, writer, NULL);
	flag_wait(&written);
	pthread_join(th, NULL);
	check(rw_fiber_switch(task, RW_FIBER_NO_SYNC), "rw_fiber_switch(task)");
	if (order)
		rw_acquire(&written);
	write_shared(2);
	check(rw_task_switch(main_task), "rw_task_switch(main)");
	printf("reports: %llu\n", (unsigned long long)rw_report_count());
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fiber_misuse SCENARIO\n");
		return 2;
	}
	const char *s = argv[1];
	check(rw_init(NULL, &main_task, &p0), "rw_init");
	check(rw_task_start(main_task, RW_PC(), &task), "rw_task_start");
	int rc;
	if (!strcmp(s, "claim"))
		rc = claim();
	else if (!strcmp(s, "end-current"))
		rc = end_current();
	else if (!strcmp(s, "end-elsewhere"))
		rc = end_elsewhere();
	else if (!strcmp(s, "api"))
		rc = api();
	else if (!strcmp(s, "end-own"))
		rc = end_own();
	else if (!strcmp(s, "thread-exit"))
		rc = thread_exit(1);
	else if (!strcmp(s, "pthread-exit"))
		rc = thread_exit(2);
	else if (!strcmp(s, "pthread-exit-raw"))
		rc = thread_exit(3);
	else if (!strcmp(s, "longjmp"))
		rc = longjmp_across();
	else if (!strcmp(s, "inline-switch"))
		rc = ping_pong();
	else if (!strcmp(s, "helper-switch"))
		use_helper = 1, rc = ping_pong();
	else if (!strcmp(s, "switch")) {
		/* For make stress, whose unguarded run can only set
		 * RACEWIRE_OPTIONS: the announcement discipline is the
		 * guarantee here, and guard_wiring=0 turns it off too. */
		const char *o = getenv("RACEWIRE_OPTIONS");
		use_helper = o && (strstr(o, "guard_wiring=0") || strstr(o, "guards=0"));
		rc = ping_pong();
	}
	else if (!strcmp(s, "sigmask"))
		rc = keeps_mask();
	else if (!strcmp(s, "signal-destroyed"))
		rc = signal_destroyed();
	else if (!strcmp(s, "signal-migrated"))
		rc = signal_migrated();
	else if (!strcmp(s, "signal-start-end"))
		rc = signal_start_end();
	else if (!strcmp(s, "never-ran"))
		rc = never_ran();
	else if (!strcmp(s, "no-task"))
		rc = no_task();
	else if (!strcmp(s, "race"))
		rc = race();
	else if (!strcmp(s, "race-ordered"))
		ordered = 1, rc = race();
	else {
		fprintf(stderr, "fiber_misuse: unknown scenario '%s'\n", s);
		return 2;
	}
	if (rc)
		return rc;
	printf("ok: %s\n", s);
	rw_fini();
}
