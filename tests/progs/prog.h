/*
 * tests/progs/prog.h - shared set-up for the integration tests' child
 * programs: start racewire and give the program a managed heap at the
 * conventional Go address, registered with TSan.
 */
#ifndef RW_TEST_PROG_H
#define RW_TEST_PROG_H

#include <racewire.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PROG_HEAP_ADDR ((void *)0xc000000000ull)
#define PROG_HEAP_SIZE ((size_t)16 << 20)

static inline void prog_check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "%s: %s: %s\n", what, rw_strerror(rc), rw_last_error());
		exit(3);
	}
}

/* rw_init (opts may be NULL) plus a registered heap; returns the heap. */
static inline char *prog_start_with(const rw_options_t *opts, rw_task_t **main_task,
                                    rw_proc_t **main_proc)
{
	prog_check(rw_init(opts, main_task, main_proc), "rw_init");
	char *heap = mmap(PROG_HEAP_ADDR, PROG_HEAP_SIZE, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (heap != PROG_HEAP_ADDR) {
		perror("mmap heap at 0xc000000000");
		exit(3);
	}
	prog_check(rw_map_heap(heap, PROG_HEAP_SIZE), "rw_map_heap");
	return heap;
}

static inline char *prog_start(rw_task_t **main_task, rw_proc_t **main_proc)
{
	return prog_start_with(NULL, main_task, main_proc);
}

#endif
