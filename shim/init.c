/*
 * shim/init.c - starting and finishing TSan.
 */
#include "internal.h"

#include <link.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rw__global rw__g = {
	.opts = RW__OPTIONS_DEFAULT,
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

/* TSan asked for the calling thread's Processor and it has none wired: a
 * TSan call slipped past the guards. */
void *rw__no_proc(void)
{
	if (!rw__g.opts.guard_wiring)
		return NULL; /* the pre-fix behaviour a reproducer asks for */
	struct rw__m *m = rw__self();
	char head[128];
	snprintf(head, sizeof head, "TSan asked for the processor of M%u (tid %d), which has none wired",
	         m->id, (int)m->tid);
	rw__fatal(head,
	          "invariant", "every TSan call that uses a Processor must come from a thread that "
	                       "owns a wired context (guarantee 1; seed 001, Go issue 27660)",
	          "hint", "a TSan entry point was called directly, bypassing racewire",
	          (const char *)NULL);
}

/* The weak default: a backend that cannot tell a debug runtime says no. */
__attribute__((weak)) int rw__be_is_debug(void)
{
	return 0;
}

static struct rw__be_hooks hooks = {
	.no_proc = rw__no_proc,
	.symbolize_code = rw__symbolize_code,
	.symbolize_data = rw__symbolize_data,
};

const char *rw_backend(void)
{
	return rw__be_name;
}

/* Claim initialization for this call. Concurrent callers see one answer
 * each that agrees with what follows: a caller that finds another rw_init
 * under way waits for its outcome, so "already initialized" is only ever
 * said once racewire is usable, and a failed rw_init lets the next try. */
static int claim_init(void)
{
	for (unsigned spins = 0;; spins++) {
		int expected = 0;
		if (atomic_compare_exchange_strong(&rw__g.inited, &expected, 1))
			return 0;
		if (expected == 2)
			return rw__fail(RW_EALREADY, "rw_init: already initialized");
		if (spins > 64)
			sched_yield();
	}
}

/* Every failure after the claim ends here: undo what was set up, in
 * reverse, and let a later rw_init try again. Nothing was published. */
static int init_failed(int err, rw_proc_t *p0, rw_proc_t *fallback, rw_task_t *t1)
{
	free(p0);
	free(fallback);
	free(t1);
	rw__flight_close();
	atomic_store(&rw__g.inited, 0);
	return err;
}

int rw__init(const char *backend, const rw_options_t *opts, rw_task_t **main_task,
             rw_proc_t **main_proc)
{
	int rc = claim_init();
	if (rc < 0)
		return rc;
	if (!backend || strcmp(backend, rw__be_name) != 0)
		return init_failed(rw__fail(RW_EINVAL,
		                            "rw_init: this program was compiled for racewire's \"%s\" "
		                            "backend but linked with the \"%s\" library; compile with "
		                            "the flags of racewire-%s.pc (or -DRW_BACKEND_%s)",
		                            backend ? backend : "?", rw__be_name, rw__be_name,
		                            strcmp(rw__be_name, "go") == 0     ? "GO"
		                            : strcmp(rw__be_name, "fiber") == 0 ? "FIBER"
		                                                                 : "NONE"),
		                   NULL, NULL, NULL);
	if (!main_task || !main_proc)
		return init_failed(rw__fail(RW_EINVAL, "rw_init: NULL %s",
		                            main_task ? "main_proc" : "main_task"),
		                   NULL, NULL, NULL);

	rw_options_t o;
	if (opts) {
		char err[256];
		if (rw__options_check(opts, err, sizeof err) < 0)
			return init_failed(rw__fail(RW_EINVAL, "rw_init: %s", err), NULL, NULL, NULL);
		o = *opts;
	} else {
		rw_options_default(&o);
	}
	const char *env = getenv("RACEWIRE_OPTIONS");
	if (env) {
		char err[256];
		if (rw_options_parse(&o, env, err, sizeof err) < 0)
			return init_failed(rw__fail(RW_EINVAL, "RACEWIRE_OPTIONS: %s", err), NULL, NULL,
			                   NULL);
	}

	/* A PIE executable's globals lie far above TSan's application range;
	 * the first annotation of one would fault. Refuse now, clearly. */
	struct writable_span data = {0, 0};
	dl_iterate_phdr(find_data, &data);
	if (!(rw__be_caps & RW__BE_ANY_ADDRESS) &&
	    ((uintptr_t)&rw__init >= RW_APP_MEM_END || data.end > RW_APP_MEM_END))
		return init_failed(rw__fail(RW_ERANGE,
		                            "rw_init: the executable is loaded at %p, outside Go-mode "
		                            "TSan's application range [0x%llx, 0x%llx); link it with "
		                            "-no-pie",
		                            (void *)&rw__init, RW_APP_MEM_BEGIN, RW_APP_MEM_END),
		                   NULL, NULL, NULL);

	rw_proc_t *p0 = calloc(1, sizeof *p0);
	rw_proc_t *fallback = calloc(1, sizeof *fallback);
	rw_task_t *t1 = calloc(1, sizeof *t1);
	if (!p0 || !fallback || !t1)
		return init_failed(rw__fail(RW_ENOMEM, "rw_init: out of memory"), p0, fallback, t1);
	/* Auto: on with the debug runtime, unless a guard is off. A guard is
	 * off only to show TSan failing as it did before the fix (the
	 * reproducers), and checked mode would change the path the failing
	 * calls take (and how often they collide). */
	if (o.check_access < 0)
		o.check_access = rw__be_is_debug() && o.guard_wiring && o.guard_foreign &&
		                 o.guard_callback && o.guard_signals && o.guard_unwind &&
		                 o.guard_suspend;
	rw__g.opts = o;
	if (o.flight[0]) {
		rc = rw__flight_open(o.flight, (unsigned)o.flight_events);
		if (rc < 0)
			return init_failed(rc, p0, fallback, t1);
	}

	/* From here on TSan is up and nothing can be undone: TSan has no
	 * way back from __tsan_init. */
	char msg[200] = "";
	hooks.prefault_shadow = o.prefault_shadow;
	hooks.data_begin = data.begin;
	hooks.data_end = data.end;
	rc = rw__be_init(&hooks, &rw__g.init_thr, &p0->tsan_proc, msg, sizeof msg);
	if (rc < 0)
		return init_failed(rw__fail(rc, "rw_init: backend %s: %s", rw__be_name, msg), p0,
		                   fallback, t1);
	rw__map_data(data.begin, data.end);
	rw__be_proc_create(&fallback->tsan_proc);

	/* The main task is a child of TSan's tid 0, so it is tid 1, which
	 * TSan's reports call "main goroutine", as in Go. Starting it needs a
	 * Processor before p0 is formally wired below; nobody else can know
	 * p0 yet, so lending it to this thread for the call is safe. */
	rw__hot.tsan_proc = p0->tsan_proc;
	rw__be_task_start(rw__g.init_thr, &t1->thr, (uintptr_t)__builtin_return_address(0));
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
		n = rw__be_report_count();
	return n;
}

void rw_stats(rw_stats_t *out)
{
	if (!out) {
		rw__fail(RW_EINVAL, "rw_stats(NULL)");
		return;
	}
	out->dropped = atomic_load_explicit(&rw__g.dropped, memory_order_relaxed);
	out->borrowed = atomic_load_explicit(&rw__g.borrowed, memory_order_relaxed);
	out->violations = atomic_load_explicit(&rw__g.violations, memory_order_relaxed);
}
