/*
 * model/fiber/tsan_hooks.c - linked into every program on the model
 * runtime built for the fiber backend (clang -fsanitize=thread); compiled
 * with it, since TSan reads these hooks from the executable only.
 *
 * The runtime (libmodel-fiber.so: the model and racewire, uninstrumented)
 * is runtime code in Go's sense: TSan must see only what it says through
 * TSan's interface (racewire's annotations and fiber switches), never its
 * own work. Its calls to functions TSan intercepts would otherwise count
 * as the running task's: memcpy into a parked receiver's stack (a false
 * race between two senders), a scheduler mutex locked on one task's fiber
 * and unlocked on the scheduler's (a false "unlock of an unlocked mutex"),
 * the same mutex ordering every task that takes it after another (races
 * hidden). called_from_lib makes TSan pass every intercepted call from
 * that library straight to libc; thread creation is still recorded.
 *
 * And the one call the runtime wants TSan to see: a task stack mapped
 * afresh for reuse (md__fiber_stack_reuse), so that TSan forgets the dead
 * task's accesses to it (sched.c, md__gnew).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
const char *__tsan_default_suppressions(void);

const char *__tsan_default_suppressions(void)
{
	return "called_from_lib:libmodel-fiber.so\n";
}

void md__fiber_stack_reuse(void *lo, size_t len);

/* TSan's mmap records the fresh mapping as written by the caller (the
 * task starting the new one, which the new task happens-after): the old
 * task's accesses are gone from the shadow. MAP_FIXED replaces the pages
 * in one step: nothing else can map into the range meanwhile. */
void md__fiber_stack_reuse(void *lo, size_t len)
{
	if (mmap(lo, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_STACK,
	         -1, 0) == MAP_FAILED) {
		perror("model: FATAL: mmap of a reused task stack");
		abort();
	}
}
