/* An ignore_sync_begin on the main goroutine with no matching end, then
 * __tsan_fini: what an unwind that skips the end leaves behind (seed 003). */
#include "gen_common.h"

static void *proc0;
void *gen_get_proc(void) { return proc0; }
void main_main(void) {}
struct gen_sym gen_syms[] = {{main_main, "main.main", "/src/app/main.go", 5}, {0, 0, 0, 0}};

int main(void) {
  void *thr0 = 0;
  char *heap = gen_setup(&thr0, &proc0);
  __tsan_func_enter(thr0, (char *)main_main + 1);
  __tsan_go_ignore_sync_begin(thr0);
  __tsan_release(thr0, heap);
  __tsan_fini();
  return 0;
}
