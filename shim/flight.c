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

/* Rings given back by threads that exited, for reuse; and a count of
 * give-backs, so a thread that found none left notices one cheaply. */
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t *free_slots; /* nslots entries */
static unsigned nfree;
static _Atomic unsigned freed_gen;

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
	free_slots = calloc(DEFAULT_SLOTS, sizeof *free_slots);
	rw__flight_header = h;
	header_size = size;
	return 0;
}

void rw__flight_close(void)
{
	if (rw__flight_header)
		munmap(rw__flight_header, header_size);
	rw__flight_header = NULL;
	free(free_slots);
	free_slots = NULL;
}

static struct rw_flight_ring *slot_ring(uint32_t slot)
{
	return (void *)((char *)rw__flight_header + RW_FLIGHT_HEADER_SIZE + slot * ring_bytes);
}

/* The calling thread's ring, taken on first use: a fresh one, else one a
 * thread that exited gave back; NULL when none is left (counted once per
 * thread; retried when a ring is given back). */
static struct rw_flight_ring *ring(struct rw__m *m)
{
	struct rw_flight_header *header = rw__flight_header;
	if (m->flight_ring)
		return m->flight_ring;
	if (m->flight_lost &&
	    (unsigned)m->flight_lost == atomic_load_explicit(&freed_gen, memory_order_relaxed) + 1)
		return NULL;
	struct rw_flight_ring *r = NULL;
	uint32_t used = __atomic_load_n(&header->used_slots, __ATOMIC_RELAXED);
	if (used < header->nslots) {
		uint32_t slot = __atomic_fetch_add(&header->used_slots, 1, __ATOMIC_RELAXED);
		if (slot < header->nslots)
			r = slot_ring(slot);
		else /* lost the race for the last ones: undo, for the reader */
			__atomic_fetch_sub(&header->used_slots, 1, __ATOMIC_RELAXED);
	}
	if (!r) {
		pthread_mutex_lock(&free_lock);
		if (nfree > 0) {
			r = slot_ring(free_slots[--nfree]);
			__atomic_fetch_add(&header->reused_rings, 1, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&free_lock);
		if (r)
			__atomic_store_n(&r->head, 0, __ATOMIC_RELEASE); /* the old events go */
	}
	if (!r) {
		if (!m->flight_lost)
			__atomic_fetch_add(&header->lost_threads, 1, __ATOMIC_RELAXED);
		/* Remember the give-back count seen: retry once it moves. */
		m->flight_lost = (int)atomic_load_explicit(&freed_gen, memory_order_relaxed) + 1;
		return NULL;
	}
	m->flight_lost = 0; /* still counted in lost_threads: its first events went unrecorded */
	r->m = m->id;
	r->tid = (uint32_t)m->tid;
	m->flight_ring = r;
	return r;
}

void rw__flight_release(struct rw__m *m)
{
	struct rw_flight_ring *r = m->flight_ring;
	m->flight_ring = NULL;
	m->flight_lost = 0;
	struct rw_flight_header *header = rw__flight_header;
	if (!header || !r || !free_slots)
		return;
	pthread_mutex_lock(&free_lock);
	free_slots[nfree++] = (uint32_t)(((char *)r - (char *)header - RW_FLIGHT_HEADER_SIZE) /
	                                 ring_bytes);
	pthread_mutex_unlock(&free_lock);
	atomic_fetch_add_explicit(&freed_gen, 1, memory_order_relaxed);
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
