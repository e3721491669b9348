/*
 * model/context.c - a fresh task context for md__ctx_switch (switch.S).
 *
 * The new stack holds what md__ctx_switch pops: the MXCSR/x87 word, six
 * callee-saved registers (zero: rbp = 0 ends debugger backtraces), and the
 * entry point as the return address. The slot above it is a fake return
 * address for entry, placed so that entry starts with the stack aligned as
 * the System V ABI wants at a function's first instruction (rsp+8 a
 * multiple of 16). entry must never return.
 */
#include "internal.h"

#include <string.h>

void md__ctx_make(md_ctx_t *c, void *stack_top, void (*entry)(void))
{
	uint64_t *top = (uint64_t *)((uintptr_t)stack_top & ~(uintptr_t)15);
	uint64_t *sp = top - 9;
	memset(sp, 0, 9 * sizeof *sp);
	top[-1] = 0;                        /* entry's "return address" */
	top[-2] = (uint64_t)(uintptr_t)entry; /* md__ctx_switch's ret */
	/* top[-3..-8]: rbp rbx r12 r13 r14 r15 = 0 */
	uint32_t mxcsr = 0x1f80;            /* default: all exceptions masked */
	uint16_t fpucw = 0x037f;
	memcpy((char *)sp, &mxcsr, 4);
	memcpy((char *)sp + 4, &fpucw, 2);
	c->sp = sp;
}
