/* A GetProc callback that answers NULL (a thread with no P wired asks TSan
 * to free memory): TSan dereferences the NULL Processor. */
#include "gen_common.h"

static void *proc0;
static int give_none;
void *gen_get_proc(void) { return give_none ? 0 : proc0; }
void main_main(void) {}
struct gen_sym gen_syms[] = {{main_main, "main.main", "/src/app/main.go", 5}, {0, 0, 0, 0}};

int main(void) {
  void *thr0 = 0;
  char *heap = gen_setup(&thr0, &proc0);
  for (int i = 0; i < 64; i++) __tsan_malloc(thr0, (char *)main_main + 1, heap + i * 64, 64);
  give_none = 1;
  __tsan_free(heap, 64 * 64);
  __tsan_fini();
  return 0;
}
