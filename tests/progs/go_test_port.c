/*
 * go_test_port: compiler-rt's lib/tsan/go/test.c, the Go-mode runtime's own
 * smoke test, written through racewire. One thread plays the whole program
 * and switches contexts and tasks the way test.c switches current_proc.
 *
 * As in test.c, task 1 writes buf and task 2 reads it with no ordering
 * between them, so TSan reports exactly one race (test.c runs with
 * GORACE=exitcode=0; here the default exit status 66 stands).
 */
#include "prog.h"

#include <stdint.h>

__attribute__((noinline)) static void foobar(void) { __asm__ volatile(""); }
__attribute__((noinline)) static void barfoo(void) { __asm__ volatile(""); }

#define PC(fn) ((uintptr_t)&(fn) + 1)

int main(void)
{
	rw_task_t *thr0;
	rw_proc_t *proc0;
	char *heap = prog_start(&thr0, &proc0);
	char *buf = heap + (64 << 10);

	rw_malloc(buf, 10, PC(barfoo));
	rw_free(buf, 10);
	rw_func_enter(PC(main));
	rw_malloc(buf, 10, PC(barfoo));
	rw_release(buf);
	rw_release_acquire(buf);
	rw_release_merge(buf);
	rw_task_t *thr1, *thr2;
	prog_check(rw_task_start(thr0, PC(barfoo), &thr1), "rw_task_start");
	prog_check(rw_task_start(thr0, PC(barfoo), &thr2), "rw_task_start");
	rw_func_exit();

	prog_check(rw_task_switch(thr1), "rw_task_switch");
	rw_func_enter(PC(foobar));
	rw_func_enter(PC(foobar));
	rw_write(buf, PC(barfoo));
	rw_acquire(buf);
	rw_func_exit();
	rw_func_exit();
	prog_check(rw_task_end(thr1), "rw_task_end");

	/* test.c: __tsan_proc_create(&proc1); current_proc = proc1; */
	rw_proc_t *proc1;
	prog_check(rw_proc_create(&proc1), "rw_proc_create");
	prog_check(rw_proc_unwire(proc0), "rw_proc_unwire");
	prog_check(rw_proc_wire(proc1), "rw_proc_wire");
	prog_check(rw_task_switch(thr2), "rw_task_switch");
	rw_func_enter(PC(foobar));
	rw_read(buf, PC(barfoo));
	rw_free(buf, 10);
	rw_func_exit();
	prog_check(rw_task_end(thr2), "rw_task_end");
	prog_check(rw_proc_unwire(proc1), "rw_proc_unwire");
	prog_check(rw_proc_destroy(proc1), "rw_proc_destroy");
	prog_check(rw_proc_wire(proc0), "rw_proc_wire");
	prog_check(rw_task_switch(thr0), "rw_task_switch");
	printf("go_test_port: %llu report(s)\n", (unsigned long long)rw_report_count());
	fflush(stdout);
	rw_fini();
}
