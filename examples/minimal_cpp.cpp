/*
 * examples/minimal_cpp.cpp - examples/minimal.c in C++: the same runtime
 * transitions, from a C++17 program with std::thread and std::atomic. The
 * header is plain C with C linkage; nothing about racewire changes.
 *
 * Build: c++ -std=c++17 -no-pie -Iinclude minimal_cpp.cpp build/lib/libracewire.a \
 *           build/tsan/race_linux_amd64.syso -ldw -lelf -lpthread
 */
#include <racewire.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <sys/mman.h>

namespace {

long *value;                 // lives in the managed heap
std::atomic<int> channel{0}; // the runtime's real synchronization
rw_proc_t *p1;
rw_task_t *consumer;

void consume()
{
	// The scheduler gives this thread processor P1 and runs a task on it.
	if (rw_proc_wire(p1) < 0 || rw_task_switch(consumer) < 0) {
		std::fprintf(stderr, "minimal_cpp: %s\n", rw_last_error());
		return;
	}
	while (!channel.load(std::memory_order_acquire)) {
	}
	rw_acquire(&channel);    // receive: happens-after the send
	rw_read(value, RW_PC()); // what the compiler would emit
	std::printf("minimal_cpp: received %ld\n", *value);
	rw_task_switch(nullptr);
	rw_proc_unwire(p1); // the thread parks: P1 is free again
}

} // namespace

int main()
{
	rw_task_t *main_task;
	rw_proc_t *p0;
	if (rw_init(nullptr, &main_task, &p0) < 0) { // P0 wired, main task current
		std::fprintf(stderr, "minimal_cpp: %s\n", rw_last_error());
		return 1;
	}
	void *heap = mmap(reinterpret_cast<void *>(0xc000000000), 1 << 20, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (heap == MAP_FAILED || rw_map_heap(heap, 1 << 20) < 0) {
		std::fprintf(stderr, "minimal_cpp: heap: %s\n", rw_last_error());
		return 1;
	}
	value = static_cast<long *>(heap);
	rw_malloc(value, sizeof *value, RW_PC());

	rw_proc_create(&p1);
	rw_task_start(main_task, RW_PC(), &consumer);
	std::thread t(consume);

	rw_write(value, RW_PC());
	*value = 42;
	rw_release(&channel); // send
	channel.store(1, std::memory_order_release);
	t.join();

	rw_task_end(consumer);
	rw_fini(); // exits with TSan's status: 0, or 66 after a race
}
