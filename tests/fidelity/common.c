/*
 * tests/fidelity/common.c - the fixture and the instrumented helpers shared
 * by every case (see cases.h).
 */
#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture F = {.mu = MD_MUTEX_INIT,
                    .mu2 = MD_MUTEX_INIT,
                    .wg = MD_WG_INIT,
                    .join = MD_WG_INIT,
                    .once = MD_ONCE_INIT,
                    .rw = MD_RWMUTEX_INIT};

#if defined(MD_COMPILER_INSTRUMENTED)
/* The fiber backend, compiled with -fsanitize=thread: the compiler
 * instruments the accesses themselves (MD_READ/MD_WRITE are empty there).
 * Plain, not atomic (TSan never reports atomics against each other), and
 * volatile so that the compiler keeps each one. */
__attribute__((noinline)) long rd(const long *p)
{
	return *(const volatile long *)p;
}

__attribute__((noinline)) void wr(long *p, long v)
{
	*(volatile long *)p = v;
}

__attribute__((noinline)) signed char rd8(const signed char *p)
{
	return *(const volatile signed char *)p;
}

__attribute__((noinline)) void wr8(signed char *p, signed char v)
{
	*(volatile signed char *)p = v;
}

__attribute__((noinline)) void *rdp(void *const *p)
{
	return *(void *const volatile *)p;
}

__attribute__((noinline)) void wrp(void **p, void *v)
{
	*(void *volatile *)p = v;
}

/* Ranges are copies, as in Go (typedmemmove): one memcpy, which clang
 * instruments as one range access (__tsan_memcpy), as Go's
 * racereadrangepc. Not byte by byte: TSan keeps four accesses per 8-byte
 * cell, and a task's later byte accesses can evict the one a race needs.
 * Not in small pieces either: TSan reports a race only if it can restore
 * the earlier access's stack from its trace, and a 16 MiB copy in pieces
 * (RaceNestedArrayCopy) pushes it out. A copy's target is written with the
 * bytes it holds, read first by code TSan does not see (a read of its own
 * before the write could evict the other task's access too). */
__attribute__((no_sanitize("thread"), noinline)) static void peek(void *dst, const void *src,
                                                                 size_t n)
{
	volatile char *d = dst;
	const volatile char *s = src;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

static void *scratch(size_t n)
{
	void *buf = malloc(n ? n : 1);
	if (!buf) {
		fprintf(stderr, "fidelity: out of memory for a %zu-byte copy\n", n);
		exit(2);
	}
	return buf;
}

__attribute__((noinline)) void rdn(const void *p, size_t n)
{
	void *buf = scratch(n);
	memcpy(buf, p, n);
	__asm__ volatile("" : : "r"(buf) : "memory"); /* keep the copy */
	free(buf);
}

__attribute__((noinline)) void wrn(void *p, size_t n)
{
	void *buf = scratch(n);
	peek(buf, p, n);
	memcpy(p, buf, n);
	__asm__ volatile("" : : "r"(p) : "memory");
	free(buf);
}
#else
/* The real memory accesses are relaxed atomics: a racy case must not be
 * undefined behaviour in C, nor be optimized away; TSan only sees the
 * annotations. */
__attribute__((noinline)) long rd(const long *p)
{
	MD_FUNC_ENTER();
	MD_READ(p);
	long v = __atomic_load_n(p, __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
	return v;
}

__attribute__((noinline)) void wr(long *p, long v)
{
	MD_FUNC_ENTER();
	MD_WRITE(p);
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
}

__attribute__((noinline)) signed char rd8(const signed char *p)
{
	MD_FUNC_ENTER();
	MD_READ(p);
	signed char v = __atomic_load_n(p, __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
	return v;
}

__attribute__((noinline)) void wr8(signed char *p, signed char v)
{
	MD_FUNC_ENTER();
	MD_WRITE(p);
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
}

__attribute__((noinline)) void *rdp(void *const *p)
{
	MD_FUNC_ENTER();
	MD_READ(p);
	void *v = __atomic_load_n(p, __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
	return v;
}

__attribute__((noinline)) void wrp(void **p, void *v)
{
	MD_FUNC_ENTER();
	MD_WRITE(p);
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
}

__attribute__((noinline)) void rdn(const void *p, size_t n)
{
	MD_FUNC_ENTER();
	MD_READ_RANGE(p, n);
	MD_FUNC_EXIT();
}

__attribute__((noinline)) void wrn(void *p, size_t n)
{
	MD_FUNC_ENTER();
	MD_WRITE_RANGE(p, n);
	MD_FUNC_EXIT();
}
#endif

struct gostart {
	void (*fn0)(void);
	void (*fn1)(long);
	long arg;
};

static void go_tramp(void *a)
{
	struct gostart st = *(struct gostart *)a;
	md_free(a);
	if (st.fn0)
		st.fn0();
	else
		st.fn1(st.arg);
	md_wg_done(&F.join);
}

void go0(void (*fn)(void))
{
	struct gostart *st = md_alloc(sizeof *st);
	st->fn0 = fn;
	md_wg_add(&F.join, 1);
	md_go(go_tramp, st);
}

void go1(void (*fn)(long), long arg)
{
	struct gostart *st = md_alloc(sizeof *st);
	st->fn1 = fn;
	st->arg = arg;
	md_wg_add(&F.join, 1);
	md_go(go_tramp, st);
}

md_chan_t *mkchan(size_t cap)
{
	return md_chan_make(sizeof(long), cap);
}

void send(md_chan_t *c, long v)
{
	md_chan_send(c, &v);
}

long recv(md_chan_t *c)
{
	long v;
	md_chan_recv(c, &v);
	return v;
}

int recv_ok(md_chan_t *c, long *v)
{
	long tmp;
	int ok = md_chan_recv(c, &tmp);
	if (v)
		*v = tmp;
	return ok;
}

struct try_arg {
	void (*fn)(void);
};

static void try_tramp(void *a)
{
	((struct try_arg *)a)->fn();
}

int try0(void (*fn)(void))
{
	struct try_arg a = {fn};
	void *value;
	return md_try(try_tramp, &a, &value);
}

static int gates[16];

#if defined(MD_COMPILER_INSTRUMENTED)
/* Compiled with -fsanitize=thread, the gates' atomics would be TSan's too
 * (clang instruments atomics even where no_sanitize holds) and order what
 * they must not. So: volatile plain accesses in functions TSan does not
 * instrument, and a compiler barrier; x86-64 orders the stores and loads
 * themselves (a store is a release, a load an acquire). */
__attribute__((no_sanitize("thread"))) void gate_open(int i)
{
	__asm__ volatile("" : : : "memory");
	*(volatile int *)&gates[i] = 1;
}

__attribute__((no_sanitize("thread"))) int gate_is_open(int i)
{
	int v = *(volatile int *)&gates[i];
	__asm__ volatile("" : : : "memory");
	return v;
}
#else
void gate_open(int i)
{
	__atomic_store_n(&gates[i], 1, __ATOMIC_RELEASE);
}

int gate_is_open(int i)
{
	return __atomic_load_n(&gates[i], __ATOMIC_ACQUIRE);
}
#endif

void gate_wait(int i)
{
	while (!gate_is_open(i))
		md_yield();
}

void sleep_ms(unsigned ms)
{
	md_sleep_us(ms * 1000);
}
