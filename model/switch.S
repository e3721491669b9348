/*
 * model/switch.S - the task context switch (x86-64 System V).
 *
 * void md__ctx_switch(md_ctx_t *from, const md_ctx_t *to)
 *
 * Saves the callee-saved registers, MXCSR and the x87 control word on the
 * current stack, stores the stack pointer in *from, loads to->sp and
 * restores the same from there. Caller-saved registers are the compiler's
 * business: this is an ordinary call. No signal mask is saved (unlike
 * swapcontext, no system call): every M runs with the same mask, and the
 * one place that switches inside a signal handler (preempt.c) fixes the
 * mask itself.
 *
 * racewire does not see this switch: the scheduler tells it with
 * rw_task_switch on the g0 side (sched.c), which is what keeps TSan's
 * current ThreadState equal to the task whose stack the CPU is on.
 */
	.text
	.globl	md__ctx_switch
	.type	md__ctx_switch, @function
md__ctx_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	(%rsi), %rsp
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	md__ctx_switch, .-md__ctx_switch

	.section .note.GNU-stack,"",@progbits
