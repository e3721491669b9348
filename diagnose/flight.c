/* The flight record (racewire/flight.h) as a second input: read it, trust
 * nothing in it, and print the last events of every thread as one
 * timeline, which usually shows the transition that broke the invariant
 * (M2 unwired P1, M3 wired P1, M2 annotated).
 *
 * The file may be cut short (copied off a machine mid-write), another file
 * entirely, or a record from a newer version: every count and offset is
 * checked against the file's size before use, and an event counts only
 * when its seq says it was completely written. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <racewire/flight.h>

#include "rwd.h"

static const char *const kind_names[RW_FL_KIND_END] = {
    [RW_FL_WIRE] = "wire",
    [RW_FL_UNWIRE] = "unwire",
    [RW_FL_FOREIGN_ENTER] = "foreign-enter",
    [RW_FL_FOREIGN_EXIT] = "foreign-exit",
    [RW_FL_CALLBACK_ENTER] = "callback-enter",
    [RW_FL_CALLBACK_EXIT] = "callback-exit",
    [RW_FL_ATTACH] = "attach",
    [RW_FL_DETACH] = "detach",
    [RW_FL_RESTORE] = "restore",
    [RW_FL_SUSPEND] = "suspend",
    [RW_FL_SUSPEND_SKIP] = "suspend-skip",
    [RW_FL_FINALIZE] = "finalize",
    [RW_FL_VIOLATION] = "VIOLATION",
    [RW_FL_TASK_SWITCH] = "task-switch",
};

/* racewire's annotation ops, in the order of enum rw__op in
 * include/racewire/inline.h: a violation's arg. */
static const char *const op_names[] = {
    "rw_acquire", "rw_release", "rw_release_merge", "rw_release_acquire",
    "rw_read", "rw_write", "rw_read_pc", "rw_write_pc", "rw_read_range",
    "rw_write_range", "rw_func_enter", "rw_func_exit", "rw_malloc", "rw_free",
};

static int by_time(const void *a, const void *b) {
  const struct rwd_flight_event *x = a, *y = b;
  return x->ns < y->ns ? -1 : x->ns > y->ns;
}

static int fail(char *err, size_t errlen, const char *path, const char *why) {
  snprintf(err, errlen, "flight record '%s': %s", path, why);
  return -1;
}

/* Reads exactly n bytes at off, or fails (short file, I/O error). */
static int read_at(int fd, void *buf, size_t n, unsigned long long off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}

/* The header is checked before anything else is read, and then only
 * what the header says is there is read, ring by ring and event by event
 * (the newest RWD_FLIGHT_PER_RING of each ring): memory stays bounded
 * whatever the file claims, and a file that is not a regular file (a
 * FIFO, /dev/zero) is refused before a byte of it is read. */
int rwd_flight_read(const char *path, struct rwd_flight *fl, char *err, size_t errlen) {
  memset(fl, 0, sizeof *fl);
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail(err, errlen, path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    return fail(err, errlen, path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return fail(err, errlen, path,
                S_ISFIFO(st.st_mode)  ? "a FIFO, not a flight record file (racewire writes a "
                                        "regular file)"
                : S_ISCHR(st.st_mode) ? "a character device, not a flight record file"
                : S_ISDIR(st.st_mode) ? "a directory, not a flight record file"
                                      : "not a regular file");
  }
  unsigned long long size = (unsigned long long)st.st_size;
  fl->file_bytes = size;
  struct rw_flight_header h;
  if (size < RW_FLIGHT_HEADER_SIZE || read_at(fd, &h, sizeof h, 0) < 0) {
    close(fd);
    return fail(err, errlen, path, "shorter than a flight record header (4096 bytes)");
  }
  if (memcmp(h.magic, RW_FLIGHT_MAGIC, 8) != 0) {
    close(fd);
    return fail(err, errlen, path, "not a racewire flight record (no RWFLIGHT magic)");
  }
  if (h.version != RW_FLIGHT_VERSION) {
    close(fd);
    return fail(err, errlen, path, "a flight record of an unknown version");
  }
  if (h.nslots == 0 || h.nslots > 4096 || h.nevents == 0 || h.nevents > (1u << 20)) {
    close(fd);
    return fail(err, errlen, path, "implausible ring counts in the header");
  }
  unsigned long long ring_bytes = sizeof(struct rw_flight_ring) +
                                  (unsigned long long)h.nevents * sizeof(struct rw_flight_event);
  unsigned used = h.used_slots < h.nslots ? h.used_slots : h.nslots;
  fl->pid = h.pid;
  fl->threads = used;
  fl->lost_threads = h.lost_threads;
  fl->expect_bytes = RW_FLIGHT_HEADER_SIZE + (unsigned long long)h.nslots * ring_bytes;
  if (size < RW_FLIGHT_HEADER_SIZE + (unsigned long long)used * ring_bytes) fl->truncated = 1;

  for (unsigned s = 0; s < used; s++) {
    unsigned long long off = RW_FLIGHT_HEADER_SIZE + s * ring_bytes;
    struct rw_flight_ring r;
    if (off + sizeof r > size || read_at(fd, &r, sizeof r, off) < 0) {
      fl->truncated = 1;
      break;
    }
    uint64_t first = r.head > h.nevents ? r.head - h.nevents : 0;
    /* Only the newest events of each ring: enough to see what happened. */
    if (r.head - first > RWD_FLIGHT_PER_RING) first = r.head - RWD_FLIGHT_PER_RING;
    for (uint64_t i = first; i < r.head; i++) {
      unsigned long long eoff = off + sizeof r + (i % h.nevents) * sizeof(struct rw_flight_event);
      struct rw_flight_event e;
      if (eoff + sizeof e > size || read_at(fd, &e, sizeof e, eoff) < 0) {
        fl->truncated = 1;
        break;
      }
      if (e.seq != i + 1 || e.kind == 0 || e.kind >= RW_FL_KIND_END) {
        fl->torn++;
        continue;
      }
      if (fl->n == RWD_FLIGHT_MAX) {
        fl->dropped++;
        continue;
      }
      struct rwd_flight_event *out = &fl->ev[fl->n++];
      out->ns = e.ns >= h.start_ns ? e.ns - h.start_ns : 0;
      out->m = r.m;
      out->kind = e.kind;
      out->proc = e.proc;
      out->task = e.task;
      out->pc = e.pc;
      out->arg = e.arg;
    }
  }
  close(fd);
  qsort(fl->ev, fl->n, sizeof fl->ev[0], by_time);
  return 0;
}

static void describe(char *dst, size_t cap, const struct rwd_flight_event *e) {
  char proc[16] = "-", task[16] = "-";
  if (e->proc) snprintf(proc, sizeof proc, "P%u", e->proc - 1);
  if (e->task) snprintf(task, sizeof task, "T%u", e->task);
  snprintf(dst, cap, "+%.1fus M%u %s %s %s", (double)e->ns / 1e3, e->m, proc, task,
           kind_names[e->kind]);
  if (e->kind == RW_FL_VIOLATION && e->arg < sizeof op_names / sizeof *op_names)
    rwd_appendf(dst, cap, " %s", op_names[e->arg]);
  else if (e->kind == RW_FL_SUSPEND || e->kind == RW_FL_SUSPEND_SKIP)
    rwd_appendf(dst, cap, " M%llu", (unsigned long long)e->arg);
  else if (e->kind == RW_FL_RESTORE)
    rwd_appendf(dst, cap, " (%llu frames)", (unsigned long long)e->arg);
  else if (e->kind == RW_FL_FOREIGN_EXIT && e->arg)
    rwd_appendf(dst, cap, " (acquire held)");
  if (e->pc) rwd_appendf(dst, cap, " pc 0x%llx", (unsigned long long)e->pc);
}

void rwd_flight_render(FILE *out, enum rwd_format fmt, const struct rwd_flight *fl,
                       const char *path) {
  unsigned from = fl->n > RWD_FLIGHT_SHOWN ? fl->n - RWD_FLIGHT_SHOWN : 0;
  char line[RWD_TEXT_MAX];
  if (fmt == RWD_FMT_JSON) {
    fprintf(out, "{\"pid\": %u, \"threads\": %u, \"events\": [", fl->pid, fl->threads);
    for (unsigned i = from; i < fl->n; i++) {
      describe(line, sizeof line, &fl->ev[i]);
      fprintf(out, "%s\"%s\"", i > from ? ", " : "", line); /* describe() emits no quotes */
    }
    fprintf(out, "]}\n");
    return;
  }
  fprintf(out, "flight record: %s (pid %u, %u thread(s), %u event(s) read", path, fl->pid,
          fl->threads, fl->n);
  if (fl->torn) fprintf(out, ", %u torn", fl->torn);
  if (fl->lost_threads) fprintf(out, ", %u thread(s) unrecorded", fl->lost_threads);
  if (fl->truncated)
    fprintf(out, ", file truncated: %llu of %llu bytes", fl->file_bytes, fl->expect_bytes);
  fprintf(out, ")\n");
  if (from) fprintf(out, "  ... %u earlier event(s)\n", from);
  for (unsigned i = from; i < fl->n; i++) {
    describe(line, sizeof line, &fl->ev[i]);
    fprintf(out, "  %s\n", line);
  }
}
