/* Shared by the corpus generators: the Go-mode TSan C ABI (compiler-rt
 * lib/tsan/go/tsan_go.cpp), a managed heap at 0xc000000000 and a tiny
 * symbolizer so that reports name functions the way Go's would.
 * These programs talk to TSan directly, NOT through racewire, so that they
 * can commit the very misuses the library exists to prevent. */
#ifndef GEN_COMMON_H
#define GEN_COMMON_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void __tsan_init(void **thr, void **proc, void (*cb)(unsigned long, void *));
void __tsan_fini(void);
void __tsan_map_shadow(void *addr, unsigned long size);
void __tsan_go_start(void *thr, void **chthr, void *pc);
void __tsan_go_end(void *thr);
void __tsan_proc_create(void **pproc);
void __tsan_proc_destroy(void *proc);
void __tsan_read(void *thr, void *addr, void *pc);
void __tsan_write(void *thr, void *addr, void *pc);
void __tsan_func_enter(void *thr, void *pc);
void __tsan_func_exit(void *thr);
void __tsan_malloc(void *thr, void *pc, void *p, unsigned long sz);
void __tsan_free(void *p, unsigned long sz);
void __tsan_acquire(void *thr, void *addr);
void __tsan_release(void *thr, void *addr);
void __tsan_release_merge(void *thr, void *addr);
void __tsan_go_ignore_sync_begin(void *thr);
void __tsan_go_ignore_sync_end(void *thr);

#define GEN_HEAP ((char *)0xc000000000UL)
#define GEN_HEAP_SIZE (64UL << 20)

/* Symbol table for the symbolize callback: PCs are &fn + 1. */
struct gen_sym { void *fn; const char *name; const char *file; int line; };
extern struct gen_sym gen_syms[];

struct gen_code_ctx { unsigned long pc; char *func; char *file; unsigned long line, off, res; };
struct gen_data_ctx { unsigned long addr, heap, start, size; char *name; char *file; unsigned long line, res; };

/* Which Processor the calling thread holds; each generator decides. */
void *gen_get_proc(void);

static inline void gen_cb(unsigned long cmd, void *ctx) {
  if (cmd == 0) {
    *(void **)ctx = gen_get_proc();
  } else if (cmd == 1) {
    struct gen_code_ctx *c = ctx;
    if (getenv("GEN_DEBUG_PC")) fprintf(stderr, "symbolize pc=%#lx\n", c->pc);
    /* TSan may hand back pc or pc-1: take the nearest symbol at or below. */
    struct gen_sym *best = 0;
    for (struct gen_sym *s = gen_syms; s->fn; s++)
      if ((unsigned long)s->fn <= c->pc && (!best || s->fn > best->fn)) best = s;
    if (best && c->pc - (unsigned long)best->fn < 64) {
      c->func = (char *)best->name; c->file = (char *)best->file;
      c->line = (unsigned long)best->line; c->off = 0x1d; c->res = 1;
    }
  } else if (cmd == 2) {
    struct gen_data_ctx *d = ctx;
    if (d->addr >= (unsigned long)GEN_HEAP && d->addr < (unsigned long)GEN_HEAP + GEN_HEAP_SIZE) {
      d->heap = 1; d->start = d->addr & ~63UL; d->size = 64; d->res = 1;
    }
  }
}

/* Maps data+bss first (TSan takes the first call as that), then the heap. */
static inline char *gen_setup(void **thr0, void **proc0) {
  extern char __data_start[], _end[];
  __tsan_init(thr0, proc0, gen_cb);
  __tsan_map_shadow(__data_start, (unsigned long)(_end - __data_start));
  char *h = mmap(GEN_HEAP, GEN_HEAP_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_FIXED | MAP_ANON | MAP_NORESERVE, -1, 0);
  if (h == MAP_FAILED) {
    fprintf(stderr, "gen: cannot map heap at %p: %s\n", (void *)GEN_HEAP, strerror(errno));
    exit(3);
  }
  __tsan_map_shadow(h, GEN_HEAP_SIZE);
  return h;
}
#endif
