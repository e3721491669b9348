/*
 * misuse: a runtime's mistakes, one per subcommand, each of which racewire
 * must name at the call that makes it (tests/integration/test_misuse.c runs
 * them against the release and the debug runtime). Without the checks,
 * each one ends inside TSan: a SEGV, a CHECK, a corrupted shadow stack, a
 * hang at exit, or a race never reported.
 *
 *   func_exit     rw_func_exit with no frame entered: below the shadow
 *                 stack's base (release: silent corruption; debug: CHECK)
 *   range_outside rw_read_range of a C stack buffer: unshadowed memory
 *   free_twice    rw_free of a block already freed
 *   free_unknown  rw_free of an address never allocated
 *   free_size     rw_free with another size than the allocation's
 *   malloc_live   rw_malloc over a live block (debug: a DCHECK in TSan)
 *   checked_read  check_access=1, rw_read of a C stack variable
 *   hidden_race   a task switch after a foreign call returned with no
 *                 context: the owed acquire must stay with its task, so
 *                 the race below is reported (exit 66), not hidden
 *   fini_atexit   an atexit handler calls rw_fini again on the finalizing
 *                 thread: the process must exit with TSan's status
 *   after_fini    an atexit handler, run while TSan finalizes, makes
 *                 calls that would reach TSan: each skips TSan, is
 *                 counted as dropped, and none hangs or fails
 *   ended_task    switching to a task after rw_task_end: RW_ENOENT
 *   auto_read     check_access left at its default (-1), rw_read of a C
 *                 stack variable: refused with the debug runtime (checked
 *                 mode on by default); with the release one, unchecked, it
 *                 faults inside TSan (the hazard checked mode exists for)
 *   flight_threads  with flight=PATH: 200 threads come and go, 70 are alive
 *                 at once (more than the record's 64 rings), then one more
 *                 thread dies of a misuse: it must be in the record
 */
#include "prog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static rw_task_t *main_task;
static rw_proc_t *main_proc;
static char *heap;

static void report(const char *what, int rc)
{
	printf("%s: %d %s\n", what, rc, rc < 0 ? rw_last_error() : "");
	fflush(stdout);
}

static int func_exit(void)
{
	rw_func_enter(RW_PC());
	rw_func_exit();
	rw_func_exit(); /* one too many */
	return 0;
}

static int range_outside(void)
{
	char buf[64] = {0};
	rw_read_range(buf, sizeof buf, RW_PC());
	return buf[0];
}

static int free_twice(void)
{
	rw_malloc(heap, 64, RW_PC());
	rw_free(heap, 64);
	rw_free(heap, 64);
	return 0;
}

static int free_unknown(void)
{
	rw_free(heap + 4096, 32);
	return 0;
}

static int free_size(void)
{
	rw_malloc(heap, 64, RW_PC());
	rw_free(heap, 32);
	return 0;
}

static int malloc_live(void)
{
	rw_malloc(heap, 64, RW_PC());
	rw_malloc(heap, 64, RW_PC());
	return 0;
}

static int checked_read(void)
{
	int local = 1;
	rw_write(heap, RW_PC()); /* shadowed: passes */
	rw_read(&local, RW_PC());
	return local;
}

/* T3 writes x, then makes a foreign call (which releases "whatever
 * foreign code did") that returns while the thread has no context: the
 * acquire is owed to T3. The thread then switches to T2 and wires a
 * context. T2 never synchronized with T3; its read of x races with T3's
 * write. Had T3's owed acquire fired on T2, the foreign-call sync object
 * (which holds T3's write) would order them and the race would vanish. */
static int hidden_race(void)
{
	rw_task_t *t2, *t3;
	prog_check(rw_task_start(main_task, RW_PC(), &t2), "rw_task_start");
	prog_check(rw_task_start(main_task, RW_PC(), &t3), "rw_task_start");
	prog_check(rw_task_switch(t3), "rw_task_switch(T3)");
	rw_write(heap, RW_PC());
	rw_proc_t *released;
	prog_check(rw_foreign_enter(&released), "rw_foreign_enter");
	prog_check(rw_foreign_exit(), "rw_foreign_exit"); /* no context: owed to T3 */
	prog_check(rw_task_switch(t2), "rw_task_switch(T2)");
	prog_check(rw_proc_wire(released), "rw_proc_wire");
	rw_read(heap, RW_PC());
	prog_check(rw_task_switch(main_task), "rw_task_switch(T1)");
	printf("hidden_race: races reported: %llu\n", (unsigned long long)rw_report_count());
	fflush(stdout);
	rw_fini(); /* exits 66 after a race */
}

static void fini_again(void)
{
	printf("atexit: calling rw_fini again\n");
	fflush(stdout);
	rw_fini();
}

static int fini_atexit(void)
{
	atexit(fini_again);
	/* A race, so that TSan's status (66) is what the exit must keep. */
	rw_task_t *t2;
	prog_check(rw_task_start(main_task, RW_PC(), &t2), "rw_task_start");
	rw_write(heap, RW_PC());
	prog_check(rw_task_switch(t2), "rw_task_switch");
	rw_write(heap, RW_PC());
	prog_check(rw_task_switch(main_task), "rw_task_switch");
	rw_fini();
}

static rw_task_t *parked;

static void calls_after_fini(void)
{
	rw_task_t *t;
	rw_proc_t *p;
	report("rw_task_start", rw_task_start(main_task, RW_PC(), &t));
	report("rw_acquire_for", rw_acquire_for(parked, heap));
	report("rw_task_end", rw_task_end(parked));
	report("rw_task_switch", rw_task_switch(parked)); /* ended all the same */
	report("rw_proc_create", rw_proc_create(&p));
	report("rw_map_heap", rw_map_heap(heap + PROG_HEAP_SIZE, 1 << 20));
	rw_write(heap, RW_PC()); /* dropped */
	rw_malloc(heap + 128, 16, RW_PC());
	rw_stats_t s;
	rw_stats(&s);
	printf("dropped after fini: %llu\n", (unsigned long long)s.dropped);
	fflush(stdout);
}

static int after_fini(void)
{
	prog_check(rw_task_start(main_task, RW_PC(), &parked), "rw_task_start");
	atexit(calls_after_fini);
	rw_fini();
}

static int ended_task(void)
{
	rw_task_t *t;
	prog_check(rw_task_start(main_task, RW_PC(), &t), "rw_task_start");
	prog_check(rw_task_end(t), "rw_task_end");
	/* Allocations after the end reuse whatever malloc has: the handle
	 * must still be recognised as ended. */
	for (int i = 0; i < 64; i++)
		free(malloc(48));
	report("rw_task_switch", rw_task_switch(t));
	report("rw_task_start", rw_task_start(t, RW_PC(), &t));
	report("rw_release_for", rw_release_for(t, heap));
	report("rw_task_end", rw_task_end(t));
	return 0;
}

static int auto_read(void)
{
	int local = 1;
	rw_read(&local, RW_PC());
	return local;
}

/* Each thread wires a context of its own for a moment: that registers it
 * and records two events in its ring. */
static pthread_mutex_t turn = PTHREAD_MUTEX_INITIALIZER;

static void *brief_thread(void *arg)
{
	rw_proc_t *p = arg;
	pthread_mutex_lock(&turn);
	prog_check(rw_proc_wire(p), "rw_proc_wire");
	prog_check(rw_proc_unwire(p), "rw_proc_unwire");
	pthread_mutex_unlock(&turn);
	return NULL;
}

static pthread_barrier_t all_alive, may_leave;

static void *crowd_thread(void *arg)
{
	brief_thread(arg);
	pthread_barrier_wait(&all_alive);
	pthread_barrier_wait(&may_leave);
	return NULL;
}

static void *crashing_thread(void *arg)
{
	(void)arg;
	prog_check(rw_task_switch(parked), "rw_task_switch");
	rw_write(heap, RW_PC()); /* no context wired: FATAL, recorded as a violation */
	return NULL;
}

static int flight_threads(void)
{
	enum { CROWD = 70, COMERS = 130 };
	rw_proc_t *p;
	prog_check(rw_proc_create(&p), "rw_proc_create");
	pthread_barrier_init(&all_alive, NULL, CROWD + 1);
	pthread_barrier_init(&may_leave, NULL, CROWD + 1);
	pthread_t crowd[CROWD];
	/* 70 alive at once, and the main thread: 7 find no ring. */
	for (int i = 0; i < CROWD; i++)
		pthread_create(&crowd[i], NULL, crowd_thread, p);
	pthread_barrier_wait(&all_alive);
	pthread_barrier_wait(&may_leave);
	for (int i = 0; i < CROWD; i++)
		pthread_join(crowd[i], NULL);
	/* Then threads one at a time: each reuses a ring given back. */
	for (int i = 0; i < COMERS; i++) {
		pthread_t t;
		pthread_create(&t, NULL, brief_thread, p);
		pthread_join(t, NULL);
	}
	prog_check(rw_task_start(main_task, RW_PC(), &parked), "rw_task_start");
	pthread_t t;
	pthread_create(&t, NULL, crashing_thread, NULL);
	pthread_join(t, NULL);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
	int checked;
} cases[] = {
	{"func_exit", func_exit, 0},         {"range_outside", range_outside, 0},
	{"free_twice", free_twice, 0},       {"free_unknown", free_unknown, 0},
	{"free_size", free_size, 0},         {"malloc_live", malloc_live, 0},
	{"checked_read", checked_read, 1},   {"hidden_race", hidden_race, 0},
	{"fini_atexit", fini_atexit, 0},     {"after_fini", after_fini, 0},
	{"ended_task", ended_task, 0},       {"auto_read", auto_read, -1},
	{"flight_threads", flight_threads, 0},
};

int main(int argc, char **argv)
{
	for (size_t i = 0; argc == 2 && i < sizeof cases / sizeof *cases; i++) {
		if (strcmp(argv[1], cases[i].name) != 0)
			continue;
		rw_options_t o;
		rw_options_default(&o);
		o.check_access = cases[i].checked;
		heap = prog_start_with(&o, &main_task, &main_proc);
		cases[i].fn();
		printf("%s: returned\n", cases[i].name);
		return 0;
	}
	fprintf(stderr, "usage: misuse CASE; cases:");
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\n");
	return 2;
}
