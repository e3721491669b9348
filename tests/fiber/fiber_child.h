/*
 * tests/fiber/fiber_child.h - what the fiber tests' child programs need in
 * their environment, on top of tests/integration/child.h.
 */
#ifndef RW_TEST_FIBER_CHILD_H
#define RW_TEST_FIBER_CHILD_H

#include "../integration/child.h"

/* "TSAN_OPTIONS=...": clang-19's runtime finds no usable llvm-symbolizer
 * on PATH on Debian 12 (llvm-14's is there); name one, for file:line in
 * reports. */
static inline const char *symbolizer_env(void)
{
	static char env[128];
	const char *paths[] = {"/usr/lib/llvm-19/bin/llvm-symbolizer", "/usr/bin/llvm-symbolizer"};
	snprintf(env, sizeof env, "TSAN_OPTIONS=halt_on_error=0");
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (access(paths[i], X_OK) == 0) {
			snprintf(env, sizeof env, "TSAN_OPTIONS=external_symbolizer_path=%s", paths[i]);
			break;
		}
	return env;
}

#endif
