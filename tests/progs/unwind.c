/*
 * unwind: a panic from a callback, across foreign frames, to a recover in
 * an outer runtime frame (guarantee 5, seed 003), PANICS times in a row,
 * then a data race whose report shows the main task's stack.
 *
 *   runtime: outer_frame -> runtime_inner -> [foreign] c_function
 *            -> [callback] callback_into_runtime -> panic_frame -> longjmp
 *
 * Guarded, rw_checkpoint_restore at the recover point pops the three
 * skipped frames from TSan's shadow stack (and the callback and foreign
 * records, the pinning, the signal mask), so the report's stack is exactly
 * racy_access, outer_frame, main. With RACEWIRE_OPTIONS=guard_unwind=0 the
 * skipped frames stay, PANICS copies of them, and the report shows frames
 * that are not on the stack (c_function, callback_into_runtime, ...).
 * Either way the program then checks racewire's own state and prints it.
 */
#include "prog.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>

#define PANICS 10

static long *shared;
static jmp_buf recover_point;
static rw_proc_t *p1;
static rw_task_t *other_task;
static _Atomic int other_wrote;

__attribute__((noinline)) static void panic_frame(void)
{
	rw_func_enter(RW_CALLER_PC());
	longjmp(recover_point, 1); /* panic: skips every frame below */
}

__attribute__((noinline)) static void callback_into_runtime(rw_proc_t *released)
{
	/* Foreign code called back: the runtime takes a context again and
	 * brackets the callback. */
	prog_check(rw_proc_wire(released), "rw_proc_wire");
	rw_callback_t cb;
	prog_check(rw_callback_enter(&cb), "rw_callback_enter");
	rw_func_enter(RW_CALLER_PC());
	panic_frame();
}

/* Foreign code: not instrumented. */
__attribute__((noinline)) static void c_function(rw_proc_t *released)
{
	callback_into_runtime(released);
	__asm__ volatile("");
}

__attribute__((noinline)) static void runtime_inner(void)
{
	rw_func_enter(RW_CALLER_PC());
	rw_proc_t *released;
	prog_check(rw_foreign_enter(&released), "rw_foreign_enter");
	c_function(released);
}

__attribute__((noinline)) static void racy_access(void)
{
	rw_func_enter(RW_CALLER_PC());
	rw_write(shared, RW_PC());
	*shared = 1;
	rw_func_exit();
}

__attribute__((noinline)) static void outer_frame(void)
{
	rw_func_enter(RW_CALLER_PC());
	for (int i = 0; i < PANICS; i++) {
		rw_checkpoint_t cp;
		prog_check(rw_checkpoint(&cp), "rw_checkpoint");
		if (setjmp(recover_point) == 0)
			runtime_inner();
		else
			prog_check(rw_checkpoint_restore(&cp), "rw_checkpoint_restore");
	}
	while (!atomic_load(&other_wrote))
		;
	racy_access();
	rw_func_exit();
}

static void *other_thread(void *arg)
{
	(void)arg;
	prog_check(rw_proc_wire(p1), "rw_proc_wire");
	prog_check(rw_task_switch(other_task), "rw_task_switch");
	rw_write(shared, RW_PC());
	atomic_store(&other_wrote, 1);
	prog_check(rw_task_switch(NULL), "rw_task_switch");
	return NULL;
}

int main(void)
{
	rw_task_t *main_task;
	rw_proc_t *p0;
	shared = (long *)prog_start(&main_task, &p0);
	prog_check(rw_proc_create(&p1), "rw_proc_create");
	prog_check(rw_task_start(main_task, RW_PC(), &other_task), "rw_task_start");
	pthread_t t;
	pthread_create(&t, NULL, other_thread, NULL);

	outer_frame();
	pthread_join(t, NULL);
	printf("unwind: after %d panics: foreign depth %u, main task pinned to M%u\n", PANICS,
	       rw_foreign_depth(), rw_task_pinned_to(main_task));
	fflush(stdout);
	rw_fini();
}
