/*
 * model/util.c - the leaf utilities of util.h: nothing here knows of tasks,
 * threads or processors.
 */
#include "util.h"

#include <linux/futex.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Noreturn void md__fatal(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "model: FATAL: %s\n", buf);
	fflush(stderr);
	abort();
}

void md__rwcheck(int rc, const char *what)
{
	if (rc < 0)
		md__fatal("%s: %s: %s", what, rw_strerror(rc), rw_last_error());
}

uint64_t md__nanotime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void md__lock(uint32_t *l)
{
	for (unsigned i = 0; __atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE); i++) {
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) {
			if (++i > 64)
				sched_yield();
			else
				__builtin_ia32_pause();
		}
	}
}

void md__unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

void md__futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

void md__futex_wake(_Atomic uint32_t *w, int n)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

