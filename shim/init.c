/*
 * shim/init.c - starting and finishing TSan.
 */
#include "internal.h"
#include "../tsan_glue/tsan_go.h"

#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rw__global rw__g = {
	.opts = {.policy = RW_POLICY_ABORT, .guard_wiring = 1, .guard_foreign = 1,
	         .guard_callback = 1, .guard_signals = 1, .guard_unwind = 1, .guard_suspend = 1,
	         .verbosity = 1, .symbolize = 1, .flight_events = 256},
	.fallback_lock = PTHREAD_MUTEX_INITIALIZER,
	.registry_lock = PTHREAD_MUTEX_INITIALIZER,
};

void rw__map_data(uintptr_t begin, uintptr_t end); /* heap.c */

struct writable_span {
	uintptr_t begin, end;
};

/* The main executable is the first object dl_iterate_phdr reports. Its
 * writable PT_LOAD segments are data, .got and bss: where a runtime's
 * global sync objects live. */
static int find_data(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct writable_span *span = arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t b = info->dlpi_addr + ph->p_vaddr, e = b + ph->p_memsz;
		if (!span->begin || b < span->begin)
			span->begin = b;
		if (e > span->end)
			span->end = e;
	}
	return 1; /* the executable only */
}

int rw_init(const rw_options_t *opts, rw_task_t **main_task, rw_proc_t **main_proc)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&rw__g.inited, &expected, 1))
		return rw__fail(RW_EALREADY, "rw_init: already called");

	rw_options_t o;
	if (opts)
		o = *opts;
	else
		rw_options_default(&o);
	const char *env = getenv("RACEWIRE_OPTIONS");
	if (env) {
		char err[256];
		if (rw_options_parse(&o, env, err, sizeof err) < 0) {
			atomic_store(&rw__g.inited, 0);
			return rw__fail(RW_EINVAL, "RACEWIRE_OPTIONS: %s", err);
		}
	}
	rw__g.opts = o;
	if (o.flight[0]) {
		int rc = rw__flight_open(o.flight, (unsigned)o.flight_events);
		if (rc < 0) {
			atomic_store(&rw__g.inited, 0);
			return rc;
		}
	}

	/* A PIE executable's globals lie far above TSan's application range;
	 * the first annotation of one would fault. Refuse now, clearly. */
	struct writable_span data = {0, 0};
	dl_iterate_phdr(find_data, &data);
	if ((uintptr_t)&rw_init >= RW_APP_MEM_END || data.end > RW_APP_MEM_END) {
		atomic_store(&rw__g.inited, 0);
		return rw__fail(RW_ERANGE,
		                "rw_init: the executable is loaded at %p, outside Go-mode TSan's "
		                "application range [0x%llx, 0x%llx); link it with -no-pie",
		                (void *)&rw_init, RW_APP_MEM_BEGIN, RW_APP_MEM_END);
	}
	if (!main_task || !main_proc) {
		atomic_store(&rw__g.inited, 0);
		return rw__fail(RW_EINVAL, "rw_init: NULL %s", main_task ? "main_proc" : "main_task");
	}

	rw_proc_t *p0 = calloc(1, sizeof *p0);
	rw_proc_t *fallback = calloc(1, sizeof *fallback);
	rw_task_t *t1 = calloc(1, sizeof *t1);
	if (!p0 || !fallback || !t1) {
		free(p0);
		free(fallback);
		free(t1);
		atomic_store(&rw__g.inited, 0);
		return rw__fail(RW_ENOMEM, "rw_init: out of memory");
	}

	/* During __tsan_init TSan does not ask for a Processor (it has not
	 * handed one out yet), so the callback may be installed first. */
	__tsan_init(&rw__g.init_thr, &p0->tsan_proc, rw__tsan_callback);
	rw__map_data(data.begin, data.end);
	__tsan_proc_create(&fallback->tsan_proc);

	/* The main task is a child of TSan's tid 0, so it is tid 1, which
	 * TSan's reports call "main goroutine", as in Go. Starting it needs a
	 * Processor before p0 is formally wired below; nobody else can know
	 * p0 yet, so lending it to this thread for the call is safe. */
	rw__hot.tsan_proc = p0->tsan_proc;
	rw__tsan_task_start(rw__g.init_thr, &t1->thr, (uintptr_t)__builtin_return_address(0));
	rw__hot.tsan_proc = NULL;

	p0->id = atomic_fetch_add(&rw__g.next_proc, 1);
	t1->id = atomic_fetch_add(&rw__g.next_task, 1) + 1;
	/* The fallback is never wired: its owner word stays DEAD so that no
	 * rw_proc_wire can take it; holding fallback_lock is its ownership. */
	fallback->id = UINT32_MAX;
	atomic_store(&fallback->owner, RW__PROC_DEAD);
	rw__g.fallback = fallback;
	rw__g.initial_proc = p0;
	atomic_store_explicit(&rw__g.inited, 2, memory_order_release);

	rw_proc_wire(p0);
	rw_task_switch(t1);
	*main_task = t1;
	*main_proc = p0;
	return 0;
}

uint64_t rw_report_count(void)
{
	uint64_t n = 0;
	if (rw__is_inited())
		__tsan_report_count(&n);
	return n;
}

void rw_stats(rw_stats_t *out)
{
	out->dropped = atomic_load_explicit(&rw__g.dropped, memory_order_relaxed);
	out->borrowed = atomic_load_explicit(&rw__g.borrowed, memory_order_relaxed);
	out->violations = atomic_load_explicit(&rw__g.violations, memory_order_relaxed);
}
