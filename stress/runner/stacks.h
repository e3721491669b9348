/* Capturing the stacks of a hung run before it is killed. */
#ifndef RWS_STACKS_H
#define RWS_STACKS_H

#include <sys/types.h>

/* Seconds each tool (gdb, then eu-stack) may take. */
#define RWS_STACK_TOOL_TIMEOUT_S 20.0

/* Forks a capture process that attaches gdb (falling back to eu-stack) to
 * leader, and appends to output_fd the marker line
 *   ==== racewire-stress: hang after <T>s; stacks of pid <PID> (<tool>) ====
 * followed by every thread's stack.  The caller reaps the returned pid (the
 * capture process leads its own process group, so kill(-pid) stops its tools
 * too) and must not reuse output_fd until then.  Returns -1 if fork fails. */
pid_t rws_start_stack_capture(pid_t leader, int output_fd, double hang_after_s);

#endif
