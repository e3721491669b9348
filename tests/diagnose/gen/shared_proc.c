/* Seed 001's bug class: two OS threads drive ONE TSan Processor at once,
 * because the GetProc callback hands the same Processor to both (what a
 * runtime does when a P is retaken while its old M still annotates).
 * Debug runtime: "CHECK failed" (slot_locked / dense alloc); release: SEGV. */
#include <pthread.h>
#include "gen_common.h"

static void *proc0;
void *gen_get_proc(void) { return proc0; } /* the bug: same P for all */

void main_main(void) {}
void main_worker(void) {}
struct gen_sym gen_syms[] = {
  {main_main, "main.main", "/src/app/main.go", 10},
  {main_worker, "main.worker", "/src/app/main.go", 30},
  {0, 0, 0, 0}};
#define PC(f) ((char *)(f) + 1)

static char *heap;
struct worker { void *g; int idx; };

static void *run(void *arg) {
  struct worker *w = arg;
  char *base = heap + 0x100000 + (size_t)w->idx * (8UL << 20);
  for (int round = 0; round < 2000; round++) {
    for (int i = 0; i < 512; i++) {
      char *p = base + (size_t)i * 64;
      __tsan_malloc(w->g, PC(main_worker), p, 64);
      __tsan_release(w->g, p);
      __tsan_acquire(w->g, p);
      __tsan_write(w->g, p, PC(main_worker));
    }
    __tsan_free(base, 512 * 64);
  }
  return 0;
}

int main(int argc, char **argv) {
  void *thr0 = 0;
  heap = gen_setup(&thr0, &proc0);
  __tsan_func_enter(thr0, PC(main_main));
  int N = argc > 1 ? atoi(argv[1]) : 2;
  if (N < 2 || N > 8) N = 2;
  struct worker w[8];
  pthread_t t[8];
  for (int i = 0; i < N; i++) {
    w[i].idx = i;
    __tsan_go_start(thr0, &w[i].g, PC(main_main));
  }
  /* "shared-g": the threads also share one goroutine (a task run by two Ms
   * at once), which trips the slot lock instead of the allocator. */
  if (argc > 2 && strcmp(argv[2], "shared-g") == 0)
    for (int i = 1; i < N; i++) w[i].g = w[0].g;
  for (int i = 0; i < N; i++) pthread_create(&t[i], 0, run, &w[i]);
  for (int i = 0; i < N; i++) pthread_join(t[i], 0);
  if (w[1].g == w[0].g) N = 1;
  for (int i = 0; i < N; i++) __tsan_go_end(w[i].g);
  __tsan_func_exit(thr0);
  __tsan_fini();
  return 0;
}
