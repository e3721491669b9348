/*
 * model_seed001: the race detector called with a retaken processor, on the
 * model M:N runtime (seed 001, Go issue 27660), in the shape of Go's
 * regression test misc/cgo/test/test27660.go: tasks that sleep in C
 * (md_cgocall) long enough for the monitor to retake their processor,
 * tasks that hammer mutex-protected counters, both created slowly.
 *
 * Hazard. The runtime runs md_cgocall in Go's PRE-FIX order in both modes
 * (this program sets md_config.unguarded_foreign, i.e. MD_UNGUARDED=foreign,
 * and unguarded_foreign_free itself): after the C call it acquires
 * (rw_foreign_exit) and frees the call's argument frame (16 md_alloc'ed
 * blocks) BEFORE it takes a processor back. By then the monitor may have
 * handed the processor to another thread. In LLVM 19's TSan the acquire
 * alone no longer touches the Processor; the frees do (its allocator
 * caches). So only racewire decides whether this is safe:
 *
 *   guarded (default; this program adds policy=borrow in front of
 *     RACEWIRE_OPTIONS): the acquire waits for the next rw_proc_wire and
 *     the frees run on racewire's fallback context under its lock. Must
 *     never fail: exit 0.
 *   unguarded: RACEWIRE_OPTIONS=guard_wiring=0:guard_foreign=0. The
 *     thread keeps answering TSan's GetProc with the context it had before
 *     the call, which another thread now drives: TSan's caches are
 *     corrupted (SEGV on the release runtime; a CHECK such as
 *     "((!thr->slot_locked)) != (0)" or tsan_dense_alloc.h on the debug
 *     runtime), or the run ends in any other failure.
 *
 * Knobs (environment): SEED001_SECONDS, run time (default 3; the program
 * exits 0 after it plus a short drain); SEED001_SLEEP_US, time in C per
 * call (default 1000, Go's test's C.usleep(1000): the processor is
 * retaken nearly every time; measured on 2 cores, release runtime,
 * unguarded: 1000 -> 95% of runs crash, mostly within 0.3 s; 200-300 ->
 * 90%; 100 -> 40-90%, load-dependent; 50 -> 0/12: too short to be
 * retaken); SEED001_PAIRS, sleeper/hammer pairs
 * (default 100, as Go's test; one pair per millisecond); SEED001_CHURN,
 * allocations per hammer round (default 4: more allocator traffic on the
 * retaken processor); SEED001_ORDER=fixed, the control: the runtime's own
 * (post-fix) order, which is safe even unguarded. MD_PROCS (default 2
 * here) and MD_ASYNCPREEMPT are the runtime's own.
 *
 * Run with -p 1 under the stress runner: the hazard is a race between two
 * of the program's own threads inside TSan and needs two free cores.
 */
#include <model.h>

#include "repro.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NLOCKS 100

static md_mutex_t *locks; /* heap: sync objects must not be on a stack */
static long *ints;
static md_wg_t wg = MD_WG_INIT;
static _Atomic int stop;
static _Atomic long calls, rounds;
static long sleep_us = 1000;
static int churn = 4;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "C.usleep": blocking C code. */
__attribute__((noinline)) static long c_usleep(void *arg)
{
	usleep((useconds_t)(long)arg);
	return 0;
}

/* for ctx.Err() == nil { C.usleep(...); runtime.Gosched() } */
static void sleeper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		md_cgocall(c_usleep, (void *)sleep_us);
		atomic_fetch_add(&calls, 1);
		md_yield();
	}
	md_wg_done(&wg);
}

/* for ctx.Err() == nil { j := rand.Intn(100); locks[j].Lock(); ints[j]++;
 * locks[j].Unlock() }, plus the allocations Go code makes on the way. */
static void hammer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	while (!atomic_load(&stop)) {
		seed = seed * 1103515245u + 12345u;
		unsigned j = (seed >> 16) % NLOCKS;
		md_mutex_lock(&locks[j]);
		MD_READ(&ints[j]);
		MD_WRITE(&ints[j]);
		ints[j]++;
		md_mutex_unlock(&locks[j]);
		for (int i = 0; i < churn; i++) {
			long *b = md_alloc(32 + (size_t)((seed >> 8) % 8) * 16);
			MD_WRITE(b);
			*b = (long)j;
			md_free(b);
		}
		atomic_fetch_add(&rounds, 1);
		md_safepoint();
	}
	md_wg_done(&wg);
}

static double seconds = 3;
static int pairs = 100;

static void main_task(void *arg)
{
	(void)arg;
	locks = md_alloc(sizeof *locks * NLOCKS);
	ints = md_alloc(sizeof *ints * NLOCKS);
	double t0 = now(), deadline = t0 + seconds;
	int started = 0;
	/* "Slowly create threads so that ThreadSanitizer is forced to
	 * frequently resize its SyncClocks." */
	for (int i = 0; i < pairs && now() < deadline; i++) {
		md_wg_add(&wg, 2);
		md_go(sleeper, (void *)(uintptr_t)i);
		md_go(hammer, (void *)(uintptr_t)i);
		started++;
		md_sleep_us(1000);
	}
	/* Windows: processors retaken from a task in C, each one a foreign
	 * call that returns (acquire, frees) with its processor gone.  Reported
	 * as it goes, so a run that crashes still says how far it got. */
	md_stats_t progress;
	while (now() < deadline) {
		md_sleep_us(20000);
		md_get_stats(&progress);
		repro_windows(progress.retakes);
	}
	atomic_store(&stop, 1);
	md_wg_wait(&wg);
	long total = 0;
	for (int i = 0; i < NLOCKS; i++) {
		md_mutex_lock(&locks[i]);
		MD_READ(&ints[i]);
		total += ints[i];
		md_mutex_unlock(&locks[i]);
	}
	md_stats_t st;
	md_get_stats(&st);
	repro_windows(st.retakes);
	if (total != atomic_load(&rounds)) {
		fprintf(stderr, "model_seed001: FAIL: counters sum to %ld, %ld increments made\n", total,
		        atomic_load(&rounds));
		md_exit(1);
	}
	rw_stats_t rs;
	rw_stats(&rs);
	printf("model_seed001: %.1f s without incident (%d task pairs, %ld foreign calls, "
	       "%llu processors retaken, %llu threads, %ld increments, %llu annotations with no "
	       "processor run on racewire's fallback)\n",
	       now() - t0, started, atomic_load(&calls), (unsigned long long)st.retakes,
	       (unsigned long long)st.threads, total, (unsigned long long)rs.borrowed);
}

int main(void)
{
	const char *s;
	if ((s = getenv("SEED001_SECONDS")))
		seconds = atof(s);
	if ((s = getenv("SEED001_SLEEP_US")))
		sleep_us = atol(s);
	if ((s = getenv("SEED001_PAIRS")))
		pairs = atoi(s);
	if ((s = getenv("SEED001_CHURN")))
		churn = atoi(s);

	/* The pre-fix order's frees are runtime work outside a processor:
	 * racewire must borrow its fallback for them. Items given later in
	 * RACEWIRE_OPTIONS (the run's own) override this one. */
	char opts[512];
	s = getenv("RACEWIRE_OPTIONS");
	snprintf(opts, sizeof opts, "policy=borrow%s%s", s && *s ? ":" : "", s ? s : "");
	setenv("RACEWIRE_OPTIONS", opts, 1);

	md_config_t cfg;
	md_config_default(&cfg);
	if (cfg.nprocs <= 0)
		cfg.nprocs = 2;
	/* Go's pre-fix cgocall, in both modes (SEED001_ORDER=fixed: the
	 * runtime's own order instead, a control: safe even unguarded). */
	int fixed = (s = getenv("SEED001_ORDER")) && !strcmp(s, "fixed");
	cfg.unguarded_foreign = !fixed;
	cfg.unguarded_foreign_free = !fixed;
	md_init_config(&cfg);
	md_main(main_task, NULL);
}
