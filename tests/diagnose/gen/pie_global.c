/* Built as PIE: the binary and its globals sit near 0x55..., outside
 * Go-mode TSan's application range [0x1000, 0xe000000000). Mapping shadow
 * for a global there and touching it goes wrong. */
#include "gen_common.h"

static void *proc0;
void *gen_get_proc(void) { return proc0; }
void main_main(void) {}
struct gen_sym gen_syms[] = {{main_main, "main.main", "/src/app/main.go", 5}, {0, 0, 0, 0}};

int counter;

int main(void) {
  void *thr0 = 0;
  gen_setup(&thr0, &proc0);
  __tsan_write(thr0, &counter, (char *)main_main + 1);
  counter++;
  __tsan_fini();
  return 0;
}
