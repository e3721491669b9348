/* Line sources. The log is streamed in fixed chunks: memory stays the same
 * whatever the size of the log or the length of its lines. Bytes that would
 * confuse the scanner or a terminal are cleaned here, once:
 *   - a line longer than RWD_LINE_MAX keeps its first RWD_LINE_MAX bytes;
 *   - "\r\n" ends a line like "\n";
 *   - ANSI colour sequences (TSan colours reports on a terminal) are removed;
 *   - NUL and other control bytes become '.', and are counted.  */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "rwd.h"

enum { CHUNK = 64 * 1024 };

struct reader {
  FILE *fp;               /* file sources */
  int owns_fp;
  const unsigned char *mem; /* memory sources */
  size_t memlen, mempos;
  unsigned char chunk[CHUNK];
  size_t pos, len;
  int eof;
  int esc;                /* 0 none, 1 after ESC, 2 inside ESC [ ... */
  unsigned long lineno;
  char line[RWD_LINE_MAX + 1];
};

static int refill(struct rwd_source *src, struct reader *r) {
  r->pos = 0;
  if (src->cap && src->nbytes >= src->cap) {
    src->capped = 1;
    r->len = 0;
    r->eof = 1;
    return 0;
  }
  if (r->fp) {
    size_t want = sizeof r->chunk;
    if (src->cap && src->cap - src->nbytes < want) want = (size_t)(src->cap - src->nbytes);
    r->len = fread(r->chunk, 1, want, r->fp);
    if (r->len == 0) {
      if (ferror(r->fp)) {
        src->err = errno ? errno : EIO;
        return -1;
      }
      r->eof = 1;
    }
  } else {
    size_t n = r->memlen - r->mempos;
    if (n > sizeof r->chunk) n = sizeof r->chunk;
    memcpy(r->chunk, r->mem + r->mempos, n);
    r->mempos += n;
    r->len = n;
    if (n == 0) r->eof = 1;
  }
  src->nbytes += r->len;
  return 0;
}

static int next_line(struct rwd_source *src, struct rwd_line *out) {
  struct reader *r = src->impl;
  size_t n = 0;            /* bytes kept in r->line */
  int any = 0, cut = 0;
  for (;;) {
    if (r->pos == r->len) {
      if (r->eof) break;
      if (refill(src, r) < 0) return -1;
      if (r->eof) break;
    }
    unsigned char c = r->chunk[r->pos++];
    any = 1;
    if (c == '\n') {
      r->esc = 0;
      goto done;
    }
    if (r->esc == 1) {     /* ESC seen: '[' starts a CSI, anything else ends */
      r->esc = c == '[' ? 2 : 0;
      continue;
    }
    if (r->esc == 2) {     /* CSI ends at a final byte 0x40..0x7e */
      if (c >= 0x40 && c <= 0x7e) r->esc = 0;
      continue;
    }
    if (c == 0x1b) {
      r->esc = 1;
      continue;
    }
    if (c == '\r') continue;  /* CRLF logs; a lone CR is dropped as well */
    if (c < 0x20 && c != '\t') {
      c = '.';
      src->nbinary++;
    } else if (c == 0x7f) {
      c = '.';
      src->nbinary++;
    }
    if (n < RWD_LINE_MAX)
      r->line[n++] = (char)c;
    else
      cut = 1;
  }
  if (!any) return 0;     /* end of input, no partial last line */
done:
  r->line[n] = '\0';
  if (cut) src->ntruncated++;
  out->text = r->line;
  out->len = n;
  out->no = ++r->lineno;
  out->truncated = cut;
  return 1;
}

static void close_reader(struct rwd_source *src) {
  struct reader *r = src->impl;
  if (!r) return;
  if (r->owns_fp && r->fp) fclose(r->fp);
  free(r);
  src->impl = NULL;
}

static int open_common(struct rwd_source *src, const char *name) {
  memset(src, 0, sizeof *src);
  src->name = name;
  src->next = next_line;
  src->close = close_reader;
  struct reader *r = calloc(1, sizeof *r);
  if (!r) return -1;
  src->impl = r;
  return 0;
}

/* A regular file ends; anything else (a pipe, a FIFO, a terminal,
 * /dev/zero, /dev/urandom) may not, so it gets a cap. A directory is an
 * error (EISDIR), as reading it would be. */
static int bound(struct rwd_source *src, int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) return -1;
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    return -1;
  }
  if (S_ISREG(st.st_mode)) return 0;
  src->cap = RWD_SPECIAL_CAP;
  src->what = S_ISFIFO(st.st_mode)   ? "a pipe or FIFO"
              : S_ISCHR(st.st_mode)  ? "a character device"
              : S_ISSOCK(st.st_mode) ? "a socket"
              : S_ISBLK(st.st_mode)  ? "a block device"
                                     : "not a regular file";
  return 0;
}

int rwd_source_open_log(struct rwd_source *src, const char *path) {
  int use_stdin = path == NULL || strcmp(path, "-") == 0;
  if (open_common(src, use_stdin ? "<stdin>" : path) < 0) return -1;
  struct reader *r = src->impl;
  if (use_stdin) {
    r->fp = stdin;
    if (bound(src, fileno(stdin)) < 0 && errno == EISDIR) {
      close_reader(src);
      errno = EISDIR;
      return -1;
    }
    return 0;
  }
  /* A FIFO's open waits for its writer, as cat's does: the log is
   * whatever that writer sends until it closes (or the cap). */
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || bound(src, fd) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    close_reader(src);
    errno = e;
    return -1;
  }
  r->fp = fdopen(fd, "rb");
  if (!r->fp) {
    int e = errno;
    close(fd);
    close_reader(src);
    errno = e;
    return -1;
  }
  r->owns_fp = 1;
  return 0;
}

int rwd_source_open_mem(struct rwd_source *src, const char *name,
                        const void *data, size_t size) {
  if (open_common(src, name) < 0) return -1;
  struct reader *r = src->impl;
  r->mem = data;
  r->memlen = size;
  return 0;
}
