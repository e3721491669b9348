/*
 * shim/flight.c - the flight recorder: recent racewire events per thread,
 * in a file mapped shared (format: racewire/flight.h).
 *
 * It is for the moment after a crash, so it must be there when the process
 * is not: no buffering, no flush at exit, nothing that a SIGKILL loses.
 * Each thread writes only its own ring, so recording takes no lock; the
 * cost is a clock read and a few stores, and only on transitions (wire,
 * foreign call, ...), never on the annotation fast path.
 */
#include "internal.h"

#include <racewire/flight.h>

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SLOTS 64

struct rw_flight_header *rw__flight_header;
static size_t ring_bytes;
static size_t header_size;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Expand %p (pid) and %r (RACEWIRE_RUN, the run number racewire-stress
 * sets; "0" when unset) so that every process and run of one command line
 * keeps its own record instead of overwriting the last one's. */
static int expand_path(const char *pattern, char *out, size_t n)
{
	size_t o = 0;
	for (const char *s = pattern; *s; s++) {
		char sub[32] = "";
		if (s[0] == '%' && s[1] == 'p') {
			snprintf(sub, sizeof sub, "%d", (int)getpid());
		} else if (s[0] == '%' && s[1] == 'r') {
			const char *run = getenv("RACEWIRE_RUN");
			snprintf(sub, sizeof sub, "%s", run && *run ? run : "0");
		} else if (s[0] == '%' && s[1] == '%') {
			strcpy(sub, "%");
		} else {
			if (o + 1 >= n)
				return -1;
			out[o++] = *s;
			continue;
		}
		s++;
		size_t len = strlen(sub);
		if (o + len >= n)
			return -1;
		memcpy(out + o, sub, len);
		o += len;
	}
	out[o] = 0;
	return 0;
}

int rw__flight_open(const char *pattern, unsigned nevents)
{
	char path[sizeof ((rw_options_t *)0)->flight + 64];
	if (expand_path(pattern, path, sizeof path) < 0)
		return rw__fail(RW_EINVAL, "flight record %s: the expanded path is too long", pattern);
	if (nevents == 0)
		nevents = 256;
	ring_bytes = sizeof(struct rw_flight_ring) + (size_t)nevents * sizeof(struct rw_flight_event);
	size_t size = RW_FLIGHT_HEADER_SIZE + DEFAULT_SLOTS * ring_bytes;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return rw__fail(RW_EINVAL, "flight record %s: %m", path);
	if (ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		return rw__fail(RW_ENOMEM, "flight record %s: cannot size it to %zu bytes: %m", path, size);
	}
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return rw__fail(RW_ENOMEM, "flight record %s: mmap: %m", path);
	struct rw_flight_header *h = map;
	h->version = RW_FLIGHT_VERSION;
	h->nslots = DEFAULT_SLOTS;
	h->nevents = nevents;
	h->pid = (uint32_t)getpid();
	h->start_ns = now_ns();
	/* The magic last: a reader never sees a half-made header as valid. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(h->magic, RW_FLIGHT_MAGIC, 8);
	rw__flight_header = h;
	header_size = size;
	return 0;
}

void rw__flight_close(void)
{
	if (rw__flight_header)
		munmap(rw__flight_header, header_size);
	rw__flight_header = NULL;
}

/* The calling thread's ring, taken on first use; NULL when none is left. */
static struct rw_flight_ring *ring(struct rw__m *m)
{
	struct rw_flight_header *header = rw__flight_header;
	if (m->flight_ring || m->flight_lost)
		return m->flight_ring;
	uint32_t slot = __atomic_fetch_add(&header->used_slots, 1, __ATOMIC_RELAXED);
	if (slot >= header->nslots) {
		__atomic_fetch_add(&header->lost_threads, 1, __ATOMIC_RELAXED);
		m->flight_lost = 1;
		return NULL;
	}
	struct rw_flight_ring *r =
		(void *)((char *)header + RW_FLIGHT_HEADER_SIZE + slot * ring_bytes);
	r->m = m->id;
	r->tid = (uint32_t)m->tid;
	m->flight_ring = r;
	return r;
}

void rw__flight_record(enum rw_flight_kind kind, const rw_proc_t *p, uintptr_t pc, uint64_t arg)
{
	struct rw_flight_header *header = rw__flight_header;
	struct rw__m *m = &rw__m;
	struct rw_flight_ring *r = ring(m);
	if (!r)
		return;
	uint64_t i = r->head;
	struct rw_flight_event *e =
		(struct rw_flight_event *)(r + 1) + (i % header->nevents);
	e->seq = 0;
	e->ns = now_ns();
	e->kind = kind;
	e->proc = p ? p->id + 1 : 0;
	e->task = m->task ? m->task->id : 0;
	e->pc = pc;
	e->arg = arg;
	__atomic_store_n(&e->seq, i + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->head, i + 1, __ATOMIC_RELEASE);
}
