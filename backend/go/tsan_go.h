/*
 * backend/go/tsan_go.h - compiler-rt's Go-mode ABI (lib/tsan/go/tsan_go.cpp
 * and the __tsan_go_atomic* entries of rtl/tsan_interface_atomic.cpp), the
 * part the Go backend calls out of line. The hot calls are declared in
 * include/racewire/backend_go.h under private names. ThreadState and
 * Processor are opaque here, as they are to Go.
 *
 * These prototypes stay private: C/C++ TSan's __tsan_acquire(void *) has
 * another signature, and a user's program may declare it.
 */
#ifndef RACEWIRE_TSAN_GO_H
#define RACEWIRE_TSAN_GO_H

#include "../backend.h"

#include <stdint.h>

void __tsan_init(void **thrp, void **procp, void (*cb)(uintptr_t cmd, void *ctx));
_Noreturn void __tsan_fini(void);
void __tsan_map_shadow(void *addr, uintptr_t size);
void __tsan_go_start(void *parent, void **pthr, void *pc);
void __tsan_go_end(void *thr);
void __tsan_proc_create(void **pproc);
void __tsan_proc_destroy(void *proc);
void __tsan_report_count(uint64_t *pn);

/* Each takes its arguments and returns its result through one block, as
 * Go's assembly passes them: the word's address at +0, operands from +8. */
void __tsan_go_atomic32_load(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
void __tsan_go_atomic64_load(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
void __tsan_go_atomic32_store(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
void __tsan_go_atomic64_store(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
void __tsan_go_atomic32_fetch_add(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
void __tsan_go_atomic64_fetch_add(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
/* And and or arrived with Go 1.23's sync/atomic: older runtime objects
 * (Go 1.19's own race_linux_amd64.syso, the fallback runtime) lack them,
 * so they are weak, and go.c makes them from a load and a CAS there. */
__attribute__((weak)) void __tsan_go_atomic32_fetch_and(void *thr, uintptr_t cpc, uintptr_t pc,
                                                        uint8_t *a);
__attribute__((weak)) void __tsan_go_atomic64_fetch_and(void *thr, uintptr_t cpc, uintptr_t pc,
                                                        uint8_t *a);
__attribute__((weak)) void __tsan_go_atomic32_fetch_or(void *thr, uintptr_t cpc, uintptr_t pc,
                                                       uint8_t *a);
__attribute__((weak)) void __tsan_go_atomic64_fetch_or(void *thr, uintptr_t cpc, uintptr_t pc,
                                                       uint8_t *a);
void __tsan_go_atomic32_exchange(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
void __tsan_go_atomic64_exchange(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
void __tsan_go_atomic32_compare_exchange(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);
void __tsan_go_atomic64_compare_exchange(void *thr, uintptr_t cpc, uintptr_t pc, uint8_t *a);

/* The callback's commands and contexts, field for field as tsan_go.cpp
 * defines them. */
enum {
	RW__CB_GET_PROC = 0,
	RW__CB_SYMBOLIZE_CODE = 1,
	RW__CB_SYMBOLIZE_DATA = 2,
};

struct rw__symbolize_code_ctx {
	uintptr_t pc;
	char *func;
	char *file;
	uintptr_t line;
	uintptr_t off;
	uintptr_t res;
};

struct rw__symbolize_data_ctx {
	uintptr_t addr;
	uintptr_t heap;
	uintptr_t start;
	uintptr_t size;
	char *name;
	char *file;
	uintptr_t line;
	uintptr_t res;
};

/* backend/go/callback.c: the callback, and what it answers through (a
 * copy of the guard layer's hooks, taken by rw__be_init). */
void rw__go_callback(uintptr_t cmd, void *ctx);
extern struct rw__be_hooks rw__go_hooks;

#endif /* RACEWIRE_TSAN_GO_H */
