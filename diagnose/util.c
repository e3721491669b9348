/* Bounded string helpers: the only way the diagnoser copies text, so that
 * no input can overflow a fixed-size field. */
#include <stdarg.h>
#include <string.h>

#include "rwd.h"

size_t rwd_copy(char *dst, size_t cap, const char *src, size_t n) {
  if (cap == 0) return 0;
  size_t i = 0;
  while (i < n && i + 1 < cap && src[i] != '\0') {
    dst[i] = src[i];
    i++;
  }
  dst[i] = '\0';
  return i;
}

void rwd_quote_set(struct rwd_quote *q, const struct rwd_line *ln) {
  q->no = ln->no;
  rwd_copy(q->text, sizeof q->text, ln->text, ln->len);
}

int rwd_starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *rwd_skip_ws(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

void rwd_appendf(char *dst, size_t cap, const char *fmt, ...) {
  size_t len = strnlen(dst, cap);
  if (len + 1 >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  /* vsnprintf truncates and terminates within the room left. */
  vsnprintf(dst + len, cap - len, fmt, ap);
  va_end(ap);
}

unsigned rwd_seed_mentions(const char *s) {
  unsigned bits = 0;
  for (const char *p = s; (p = strstr(p, "seed ")) != NULL; p += 5) {
    /* "seed 001" exactly: three digits, the value a known seed, and not
     * followed by another digit ("seed 0012" is something else). */
    if (p[5] == '0' && p[6] == '0' && p[7] >= '0' && p[7] <= '0' + RWD_SEEDS - 1 &&
        !(p[8] >= '0' && p[8] <= '9'))
      bits |= 1u << (p[7] - '0');
  }
  return bits;
}
