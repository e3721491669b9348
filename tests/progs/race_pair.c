/*
 * race_pair: two tasks on two threads touch one heap word.
 *   race_pair race   the write and the read are unordered: TSan must report
 *                    one race, with both stacks symbolized, and exit 66.
 *   race_pair sync   the writer releases and the reader acquires a sync
 *                    object between them: no report, exit 0.
 *   race_pair hook   as race, with a runtime symbolizer hook that names
 *                    the writer's code as managed code ("managed.Writer",
 *                    writer.mg:7), as a runtime names its own PCs.
 * The threads are ordered by a real flag regardless, so the accesses never
 * actually overlap; only the annotations decide what TSan sees.
 */
#include "prog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static char *shared_word;
static int sync_mode;
static int handoff;            /* the sync object the annotations use */
static _Atomic int written;    /* the real ordering, invisible to TSan */
static rw_proc_t *reader_proc;
static rw_task_t *reader_task;

static uintptr_t managed_pc; /* the writer's access pc, for the hook */

__attribute__((noinline)) static void write_shared_word(void)
{
	rw_func_enter(RW_CALLER_PC());
	managed_pc = RW_PC();
	rw_write(shared_word, managed_pc);
	*shared_word = 1;
	rw_func_exit();
}

__attribute__((noinline)) static void read_shared_word(void)
{
	rw_func_enter(RW_CALLER_PC());
	rw_read(shared_word, RW_PC());
	if (*shared_word != 1)
		abort();
	rw_func_exit();
}

/* The runtime's symbolizer for "managed" PCs: here, the writer's access
 * pc (TSan asks for pc-1, the call instruction). Everything else falls
 * through to racewire's DWARF symbolizer (return 0). */
static int managed_symbolizer(uintptr_t pc, rw_frame_t *out, void *arg)
{
	(void)arg;
	if (pc + 1 != managed_pc)
		return 0;
	out->func = "managed.Writer";
	out->file = "writer.mg";
	out->line = 7;
	return 1;
}

static void *reader_thread(void *arg)
{
	(void)arg;
	prog_check(rw_proc_wire(reader_proc), "rw_proc_wire");
	prog_check(rw_task_switch(reader_task), "rw_task_switch");
	while (!atomic_load(&written))
		;
	if (sync_mode)
		rw_acquire(&handoff);
	read_shared_word();
	prog_check(rw_task_switch(NULL), "rw_task_switch");
	prog_check(rw_proc_unwire(reader_proc), "rw_proc_unwire");
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "race") && strcmp(argv[1], "sync") &&
	                  strcmp(argv[1], "hook"))) {
		fprintf(stderr, "usage: race_pair race|sync|hook\n");
		return 2;
	}
	sync_mode = strcmp(argv[1], "sync") == 0;
	rw_options_t opts;
	rw_options_default(&opts);
	if (strcmp(argv[1], "hook") == 0)
		opts.symbolizer = managed_symbolizer;

	rw_task_t *main_task;
	rw_proc_t *main_proc;
	char *heap = prog_start_with(&opts, &main_task, &main_proc);
	shared_word = heap;
	rw_malloc(shared_word, 8, RW_PC());

	rw_task_t *writer_task;
	prog_check(rw_task_start(main_task, RW_PC(), &writer_task), "rw_task_start");
	prog_check(rw_task_start(main_task, RW_PC(), &reader_task), "rw_task_start");
	prog_check(rw_proc_create(&reader_proc), "rw_proc_create");

	pthread_t reader;
	pthread_create(&reader, NULL, reader_thread, NULL);

	prog_check(rw_task_switch(writer_task), "rw_task_switch");
	write_shared_word();
	if (sync_mode)
		rw_release(&handoff);
	atomic_store(&written, 1);
	pthread_join(reader, NULL);

	prog_check(rw_task_switch(main_task), "rw_task_switch");
	prog_check(rw_task_end(writer_task), "rw_task_end");
	prog_check(rw_task_end(reader_task), "rw_task_end");
	prog_check(rw_proc_destroy(reader_proc), "rw_proc_destroy");
	printf("race_pair %s: %llu report(s) before fini\n", argv[1],
	       (unsigned long long)rw_report_count());
	fflush(stdout);
	rw_fini();
}
