/* --group: many logs bucketed into few bugs. Each log gets its verdict as
 * usual; its signature is the verdict's id, its detail with addresses,
 * pids, thread and line numbers replaced, and the first frames of its
 * first report that lie outside TSan's runtime (as ClusterFuzz and
 * syzkaller bucket crashes: crash type plus top frames, the sanitizer's
 * own frames, addresses and line numbers removed). Logs with equal
 * signatures are one bucket: one line each, with its count and an
 * example file. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rwd.h"

struct bucket {
  char *key;
  char *example;
  int count;
};

struct group {
  struct bucket *b;
  size_t n, cap;
  int logs, errors;
};

/* Hex numbers become "0x?", other digit runs "N": "tsan_rtl.cpp:358",
 * "goroutine 7", "(tid=5312)", "0x7b04000000f0" no longer split a bucket. */
static void normalise(char *dst, size_t cap, const char *src) {
  size_t o = 0;
  for (const char *p = src; *p && o + 4 < cap;) {
    /* A path keeps its file name only: builds in other folders match. */
    if (p == src || p[-1] == ' ' || p[-1] == '(' || p[-1] == '"') {
      size_t tok = strcspn(p, " ()\"");
      const char *slash = NULL;
      for (const char *q = p; q < p + tok; q++)
        if (*q == '/') slash = q;
      if (slash) p = slash + 1;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && strchr("0123456789abcdefABCDEF", p[2]) &&
        p[2]) {
      p += 2;
      while (*p && strchr("0123456789abcdefABCDEF", *p)) p++;
      memcpy(dst + o, "0x?", 3);
      o += 3;
    } else if (*p >= '0' && *p <= '9') {
      while (*p >= '0' && *p <= '9') p++;
      dst[o++] = 'N';
    } else {
      dst[o++] = *p++;
    }
  }
  dst[o] = '\0';
}

static void signature(const struct rwd_facts *f, const rwd_verdict *v, char *key, size_t cap) {
  char norm[RWD_TEXT_MAX];
  key[0] = '\0';
  if (v->sig) {
    normalise(norm, sizeof norm, v->detail);
    rwd_appendf(key, cap, "%s: %s", v->sig->id, norm);
  } else {
    normalise(norm, sizeof norm, f->nsalient ? f->salient[0].text : "(no salient line)");
    rwd_appendf(key, cap, "not-recognised: %s", norm);
  }
  for (int i = 0; i < f->nframes; i++) {
    normalise(norm, sizeof norm, f->frames[i]);
    rwd_appendf(key, cap, "%s%s", i ? " < " : " @ ", norm);
  }
  if (!f->nframes && f->nhang && f->hang.nthreads && f->hang.thread[0].nframes)
    rwd_appendf(key, cap, " @ %s", f->hang.thread[0].top[0]);
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void add(struct group *g, const char *key, const char *file) {
  for (size_t i = 0; i < g->n; i++)
    if (strcmp(g->b[i].key, key) == 0) {
      g->b[i].count++;
      return;
    }
  if (g->n == g->cap) {
    size_t nc = g->cap ? g->cap * 2 : 16;
    struct bucket *nb = realloc(g->b, nc * sizeof *nb);
    if (!nb) return;
    g->b = nb;
    g->cap = nc;
  }
  struct bucket *b = &g->b[g->n];
  b->key = dup_str(key);
  b->example = dup_str(file);
  b->count = 1;
  if (b->key && b->example) g->n++;
}

static void one_log(struct group *g, const char *path) {
  struct rwd_source src;
  if (rwd_source_open_log(&src, path) < 0) {
    fprintf(stderr, "racewire-diagnose: cannot read '%s': %s\n", path, strerror(errno));
    g->errors++;
    return;
  }
  struct rwd_scan *scan = malloc(sizeof *scan);
  rwd_verdict *v = malloc(sizeof *v);
  if (scan && v) {
    rwd_scan_init(scan, path);
    if (rwd_scan_source(scan, &src) < 0) {
      fprintf(stderr, "racewire-diagnose: cannot read '%s': %s\n", path, strerror(src.err));
      g->errors++;
    } else {
      rwd_classify(&scan->f, v);
      char key[1024];
      signature(&scan->f, v, key, sizeof key);
      add(g, key, path);
      g->logs++;
    }
  } else {
    g->errors++;
  }
  free(v);
  free(scan);
  src.close(&src);
}

static int is_dir(const char *parent, const char *name) {
  char p[4096];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", parent, name);
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Directories are walked in name order, depth first; "." entries skipped. */
static void walk(struct group *g, const char *path, int depth) {
  struct stat st;
  if (stat(path, &st) < 0) {
    fprintf(stderr, "racewire-diagnose: cannot read '%s': %s\n", path, strerror(errno));
    g->errors++;
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    one_log(g, path);
    return;
  }
  if (depth > 16) return;
  struct dirent **names;
  int n = scandir(path, &names, NULL, alphasort);
  if (n < 0) {
    fprintf(stderr, "racewire-diagnose: cannot read '%s': %s\n", path, strerror(errno));
    g->errors++;
    return;
  }
  for (int i = 0; i < n; i++) {
    /* In a directory only logs count: *.log and *.txt (the stress
     * runner's run-N-CLASS.log), not binaries, indexes or summaries. A
     * file named on the command line is read whatever its name. */
    const char *nm = names[i]->d_name, *ext = strrchr(nm, '.');
    int dir = names[i]->d_type == DT_DIR ||
              (names[i]->d_type == DT_UNKNOWN && is_dir(path, nm));
    int skip = nm[0] == '.' ||
               (!dir && !(ext && (strcmp(ext, ".log") == 0 || strcmp(ext, ".txt") == 0)));
    if (!skip) {
      size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
      char *child = malloc(len);
      if (child) {
        snprintf(child, len, "%s/%s", path, names[i]->d_name);
        walk(g, child, depth + 1);
        free(child);
      }
    }
    free(names[i]);
  }
  free(names);
}

static int by_count(const void *a, const void *b) {
  const struct bucket *x = a, *y = b;
  if (x->count != y->count) return y->count - x->count;
  return strcmp(x->key, y->key);
}

int rwd_group(FILE *out, enum rwd_format fmt, char **paths, int npaths) {
  struct group g = {0};
  for (int i = 0; i < npaths; i++) walk(&g, paths[i], 0);
  qsort(g.b, g.n, sizeof *g.b, by_count);
  if (fmt == RWD_FMT_JSON) {
    fprintf(out, "{\"logs\":%d,\"unreadable\":%d,\"buckets\":[", g.logs, g.errors);
    for (size_t i = 0; i < g.n; i++) {
      fprintf(out, "%s{\"count\":%d,\"signature\":", i ? "," : "", g.b[i].count);
      rwd_json_string(out, g.b[i].key);
      fputs(",\"example\":", out);
      rwd_json_string(out, g.b[i].example);
      fputc('}', out);
    }
    fputs("]}\n", out);
  } else {
    fprintf(out, "%d log(s), %zu bucket(s)%s\n", g.logs, g.n,
            g.errors ? " (some paths could not be read)" : "");
    for (size_t i = 0; i < g.n; i++)
      fprintf(out, "%5d  %s  (e.g. %s)\n", g.b[i].count, g.b[i].key, g.b[i].example);
  }
  for (size_t i = 0; i < g.n; i++) {
    free(g.b[i].key);
    free(g.b[i].example);
  }
  free(g.b);
  return g.errors ? 2 : g.logs ? 0 : 1;
}
