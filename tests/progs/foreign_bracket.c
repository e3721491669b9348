/*
 * foreign_bracket: happens-before through foreign code (guarantee 2).
 *
 * Task A writes a heap word, then calls C, which posts a semaphore. Task B,
 * on another thread, is blocked in a C call waiting on that semaphore;
 * when it returns, B reads the word. TSan cannot see the semaphore.
 *   foreign_bracket bracket   both C calls go through rw_foreign_enter/exit:
 *                             A's entry releases and B's return acquires the
 *                             foreign sync object: no report, exit 0.
 *   foreign_bracket none      the same calls without the bracket: TSan
 *                             reports the write/read pair, exit 66.
 * B leaves the bracket before wiring its context again, so the acquire is
 * held and fires at the wire, the order guarantee 2 enforces.
 */
#include "prog.h"

#include <pthread.h>
#include <semaphore.h>
#include <string.h>

static long *shared;
static sem_t c_side; /* C-level synchronization, invisible to TSan */
static int bracketed;
static rw_proc_t *p1;
static rw_task_t *task_b;

/* "Foreign code": not instrumented. */
__attribute__((noinline)) static void c_post(void) { sem_post(&c_side); }
__attribute__((noinline)) static void c_wait(void) { while (sem_wait(&c_side) != 0); }

static void call_c(void (*fn)(void))
{
	rw_proc_t *released = NULL;
	if (bracketed)
		prog_check(rw_foreign_enter(&released), "rw_foreign_enter");
	fn();
	if (bracketed) {
		prog_check(rw_foreign_exit(), "rw_foreign_exit");
		prog_check(rw_proc_wire(released), "rw_proc_wire");
	}
}

__attribute__((noinline)) static void produce(void)
{
	rw_func_enter(RW_CALLER_PC());
	rw_write(shared, RW_PC());
	*shared = 42;
	call_c(c_post);
	rw_func_exit();
}

__attribute__((noinline)) static void consume(void)
{
	rw_func_enter(RW_CALLER_PC());
	call_c(c_wait);
	rw_read(shared, RW_PC());
	if (*shared != 42)
		abort();
	rw_func_exit();
}

static void *thread_b(void *arg)
{
	(void)arg;
	prog_check(rw_proc_wire(p1), "rw_proc_wire");
	prog_check(rw_task_switch(task_b), "rw_task_switch");
	consume();
	prog_check(rw_task_switch(NULL), "rw_task_switch");
	prog_check(rw_proc_unwire(p1), "rw_proc_unwire");
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "bracket") && strcmp(argv[1], "none"))) {
		fprintf(stderr, "usage: foreign_bracket bracket|none\n");
		return 2;
	}
	bracketed = strcmp(argv[1], "bracket") == 0;
	sem_init(&c_side, 0, 0);

	rw_task_t *main_task, *task_a;
	rw_proc_t *p0;
	shared = (long *)prog_start(&main_task, &p0);
	rw_malloc(shared, sizeof *shared, RW_PC());
	prog_check(rw_proc_create(&p1), "rw_proc_create");
	prog_check(rw_task_start(main_task, RW_PC(), &task_a), "rw_task_start");
	prog_check(rw_task_start(main_task, RW_PC(), &task_b), "rw_task_start");

	pthread_t b;
	pthread_create(&b, NULL, thread_b, NULL);
	prog_check(rw_task_switch(task_a), "rw_task_switch");
	produce();
	pthread_join(b, NULL);
	prog_check(rw_task_switch(main_task), "rw_task_switch");
	printf("foreign_bracket %s: %llu report(s)\n", argv[1], (unsigned long long)rw_report_count());
	fflush(stdout);
	rw_fini();
}
