/* Fuzz target for racewire-diagnose: the whole pipeline (line source,
 * scanner, classifier, the three renderers) on arbitrary bytes.
 *
 *   libFuzzer:  clang -fsanitize=fuzzer,address ... (tests/diagnose/fuzz.sh)
 *   AFL++ / standalone: add -DRWD_FUZZ_STANDALONE; the program then runs
 *   each file named on its command line (or stdin) once, which is what
 *   afl-fuzz expects with @@ or stdin input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink) sink = fopen("/dev/null", "w");
  if (!sink) return 0;
  struct rwd_source src;
  if (rwd_source_open_mem(&src, "<fuzz>", data, size) < 0) return 0;
  struct rwd_scan *scan = malloc(sizeof *scan);
  rwd_verdict *v = malloc(sizeof *v);
  if (scan && v) {
    rwd_scan_init(scan, src.name);
    if (rwd_scan_source(scan, &src) == 0) {
      rwd_classify(&scan->f, v);
      rwd_render(sink, RWD_FMT_TEXT, &scan->f, v);
      rwd_render(sink, RWD_FMT_ONELINE, &scan->f, v);
      rwd_render(sink, RWD_FMT_JSON, &scan->f, v);
    }
  }
  free(v);
  free(scan);
  src.close(&src);
  return 0;
}

#ifdef RWD_FUZZ_STANDALONE
static int run_file(FILE *fp) {
  size_t cap = 1 << 16, len = 0, n;
  uint8_t *buf = malloc(cap);
  if (!buf) return 1;
  while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
    len += n;
    if (len == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb) { free(buf); return 1; }
      buf = nb;
    }
  }
  LLVMFuzzerTestOneInput(buf, len);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return run_file(stdin);
  for (int i = 1; i < argc; i++) {
    FILE *fp = fopen(argv[i], "rb");
    if (!fp) { perror(argv[i]); return 2; }
    int rc = run_file(fp);
    fclose(fp);
    if (rc) return rc;
  }
  return 0;
}
#endif
