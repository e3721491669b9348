/* A plain data race between two goroutines on one heap word, reported by
 * Go-mode TSan; exit code 66 from __tsan_fini. */
#include "gen_common.h"

static void *proc0;
void *gen_get_proc(void) { return proc0; }

void main_main(void) {}
void main_writer(void) {}
void main_reader(void) {}
void main_alloc(void) {}
void main_run(void) {}
struct gen_sym gen_syms[] = {
  {main_main, "main.main", "/src/app/main.go", 12},
  {main_writer, "main.writer", "/src/app/main.go", 21},
  {main_reader, "main.reader", "/src/app/main.go", 27},
  {main_alloc, "main.newCounter", "/src/app/counter.go", 8},
  {main_run, "main.run.func1", "/src/app/main.go", 17},
  {0, 0, 0, 0}};
#define PC(f) ((char *)(f) + 1)

int main(void) {
  void *thr0 = 0;
  char *heap = gen_setup(&thr0, &proc0);
  char *obj = heap + 0x1000;
  __tsan_func_enter(thr0, PC(main_main));
  __tsan_malloc(thr0, PC(main_alloc), obj, 64);
  void *g7 = 0, *g8 = 0, *idle = 0;
  /* An idle goroutine first, so the racing ones get ids 3 and 4 as in a
   * program with a few goroutines running. */
  __tsan_go_start(thr0, &idle, PC(main_main));
  __tsan_go_start(thr0, &g7, PC(main_main));
  __tsan_go_start(thr0, &g8, PC(main_main));
  /* No happens-before between the two goroutines: a race. */
  __tsan_func_enter(g7, PC(main_run));
  __tsan_func_enter(g7, PC(main_writer));
  __tsan_write(g7, obj + 8, PC(main_writer));
  __tsan_func_exit(g7);
  __tsan_func_exit(g7);
  __tsan_func_enter(g8, PC(main_reader));
  __tsan_read(g8, obj + 8, PC(main_reader));
  __tsan_func_exit(g8);
  __tsan_go_end(g7);
  __tsan_go_end(g8);
  __tsan_go_end(idle);
  __tsan_func_exit(thr0);
  __tsan_fini();
  return 0;
}
