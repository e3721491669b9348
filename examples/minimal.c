/*
 * examples/minimal.c - the smallest correct racewire integration: what a
 * runtime does at start, when a thread takes a processor, when a task is
 * created and scheduled, around a data access and a synchronization, and
 * at exit. Two tasks on two threads hand a value over through a "channel"
 * whose send releases and whose receive acquires; TSan stays silent.
 * Remove the rw_release/rw_acquire pair and TSan reports the race.
 *
 * Build: cc -std=c11 -no-pie -Iinclude minimal.c build/lib/libracewire.a \
 *           build/tsan/race_linux_amd64.syso -ldw -lelf -lpthread
 */
/* For mmap's MAP_ANONYMOUS and MAP_FIXED_NOREPLACE (the heap's fixed
 * address), not for racewire, whose header needs plain C11 only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <racewire.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>

static long *value;            /* lives in the managed heap */
static _Atomic int channel;    /* the runtime's real synchronization */
static rw_proc_t *p1;
static rw_task_t *consumer;

static void *thread_main(void *arg)
{
	(void)arg;
	/* The scheduler gives this thread processor P1 and runs a task on it. */
	if (rw_proc_wire(p1) < 0 || rw_task_switch(consumer) < 0) {
		fprintf(stderr, "minimal: %s\n", rw_last_error());
		return NULL;
	}
	while (!atomic_load_explicit(&channel, memory_order_acquire))
		;
	rw_acquire(&channel);          /* receive: happens-after the send */
	rw_read(value, RW_PC());       /* what the compiler would emit */
	printf("minimal: received %ld\n", *value);
	rw_task_switch(NULL);
	rw_proc_unwire(p1);            /* the thread parks: P1 is free again */
	return NULL;
}

int main(void)
{
	rw_task_t *main_task;
	rw_proc_t *p0;
	if (rw_init(NULL, &main_task, &p0) < 0) { /* P0 wired, main task current */
		fprintf(stderr, "minimal: %s\n", rw_last_error());
		return 1;
	}
	void *heap = mmap((void *)0xc000000000, 1 << 20, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (heap == MAP_FAILED || rw_map_heap(heap, 1 << 20) < 0) {
		fprintf(stderr, "minimal: heap: %s\n", rw_last_error());
		return 1;
	}
	value = heap;
	rw_malloc(value, sizeof *value, RW_PC());

	rw_proc_create(&p1);
	rw_task_start(main_task, RW_PC(), &consumer);
	pthread_t t;
	pthread_create(&t, NULL, thread_main, NULL);

	rw_write(value, RW_PC());
	*value = 42;
	rw_release(&channel);          /* send */
	atomic_store_explicit(&channel, 1, memory_order_release);
	pthread_join(t, NULL);

	rw_task_end(consumer);
	rw_fini();                     /* exits with TSan's status: 0, or 66 after a race */
}
