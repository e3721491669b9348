/*
 * shim/errors.c - error codes, per-thread messages, fatal diagnoses.
 *
 * Misuse of the API (wiring a context another thread owns, ...) returns a
 * negative code and leaves a message naming the threads, contexts and tasks
 * involved, because "EBUSY" alone sends a runtime author hunting. Misuse
 * that cannot be returned to anybody (an annotation with no context under
 * the abort policy) is a fatal diagnosis: a block whose first line starts
 * "racewire: FATAL: ", which the stress runner and the diagnoser look for.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *rw_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case RW_EPERM: return "RW_EPERM: the calling thread does not own it";
	case RW_ENOENT: return "RW_ENOENT: destroyed or ended";
	case RW_ENOMEM: return "RW_ENOMEM: out of memory";
	case RW_EBUSY: return "RW_EBUSY: owned by another thread or in use";
	case RW_EINVAL: return "RW_EINVAL: invalid argument or option";
	case RW_ERANGE: return "RW_ERANGE: outside the range TSan can shadow";
	case RW_EALREADY: return "RW_EALREADY: already done";
	case RW_ENOTINIT: return "RW_ENOTINIT: rw_init has not succeeded";
	default: return "unknown racewire error";
	}
}

const char *rw_last_error(void)
{
	return rw__m.err;
}

int rw__fail(int err, const char *fmt, ...)
{
	struct rw__m *m = &rw__m;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof m->err, fmt, ap);
	va_end(ap);
	if (rw__g.opts.verbosity >= 1)
		fprintf(stderr, "racewire: error: %s\n", m->err);
	return err;
}

/* Build the whole block first and write it with one write(2), so that two
 * threads dying at once do not interleave their lines. */
_Noreturn void rw__fatal(const char *headline, ...)
{
	char buf[2048];
	size_t n = 0;
	va_list ap;

	n += (size_t)snprintf(buf + n, sizeof buf - n, "racewire: FATAL: %s\n", headline);
	va_start(ap, headline);
	for (;;) {
		const char *key = va_arg(ap, const char *);
		if (!key || n >= sizeof buf)
			break;
		const char *value = va_arg(ap, const char *);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "racewire:   %s: %s\n", key, value);
	}
	va_end(ap);
	if (n > sizeof buf)
		n = sizeof buf;
	ssize_t unused = write(STDERR_FILENO, buf, n);
	(void)unused;
	abort();
}

int rw__after_fini(void)
{
	if (!atomic_load_explicit(&rw__g.finalizing, memory_order_acquire))
		return 0;
	atomic_fetch_add_explicit(&rw__g.dropped, 1, memory_order_relaxed);
	return 1;
}

const char *rw__describe_proc(const rw_proc_t *p, char *buf, size_t len)
{
	uint32_t owner = atomic_load_explicit(&p->owner, memory_order_relaxed);
	uint32_t prev = atomic_load_explicit(&p->prev_owner, memory_order_relaxed);
	char now[32], before[48] = "";

	if (owner == 0)
		snprintf(now, sizeof now, "now free");
	else if (owner == RW__PROC_DEAD)
		snprintf(now, sizeof now, "now destroyed");
	else
		snprintf(now, sizeof now, "now wired to M%u", owner);
	if (prev)
		snprintf(before, sizeof before, " (previous owner M%u)", prev);
	snprintf(buf, len, "P%u, %s%s", p->id, now, before);
	return buf;
}
