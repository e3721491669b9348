/*
 * tsan_glue/tsan_go.h - the rest of compiler-rt's Go-mode ABI
 * (lib/tsan/go/tsan_go.cpp), beyond the hot calls in racewire/inline.h.
 * ThreadState and Processor are opaque here, as they are to Go.
 */
#ifndef RACEWIRE_TSAN_GO_H
#define RACEWIRE_TSAN_GO_H

#include <stdint.h>

void __tsan_init(void **thrp, void **procp, void (*cb)(uintptr_t cmd, void *ctx));
_Noreturn void __tsan_fini(void);
void __tsan_map_shadow(void *addr, uintptr_t size);
void __tsan_go_start(void *parent, void **pthr, void *pc);
void __tsan_go_end(void *thr);
void __tsan_proc_create(void **pproc);
void __tsan_proc_destroy(void *proc);
void __tsan_report_count(uint64_t *pn);

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

/* tsan_glue/symbolize.c */
void rw__symbolize_code(struct rw__symbolize_code_ctx *c);
void rw__symbolize_data(struct rw__symbolize_data_ctx *c);

#endif /* RACEWIRE_TSAN_GO_H */
