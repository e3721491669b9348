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

int rwd_flight_read(const char *path, struct rwd_flight *fl, char *err, size_t errlen) {
  memset(fl, 0, sizeof *fl);
  FILE *f = fopen(path, "rb");
  if (!f) return fail(err, errlen, path, strerror(errno));
  /* A record is at most header + 4096 rings of 64K events: bound the read. */
  size_t cap = 1 << 20, len = 0;
  unsigned char *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      fclose(f);
      return fail(err, errlen, path, "out of memory");
    }
    len += fread(buf + len, 1, cap - len, f);
    if (len < cap || cap >= ((size_t)1 << 30)) break;
    unsigned char *grown = realloc(buf, cap * 2);
    if (!grown) free(buf);
    buf = grown;
    cap *= 2;
  }
  fclose(f);

  struct rw_flight_header h;
  if (len < RW_FLIGHT_HEADER_SIZE) {
    free(buf);
    return fail(err, errlen, path, "shorter than a flight record header (4096 bytes)");
  }
  memcpy(&h, buf, sizeof h);
  if (memcmp(h.magic, RW_FLIGHT_MAGIC, 8) != 0) {
    free(buf);
    return fail(err, errlen, path, "not a racewire flight record (no RWFLIGHT magic)");
  }
  if (h.version != RW_FLIGHT_VERSION) {
    free(buf);
    return fail(err, errlen, path, "a flight record of an unknown version");
  }
  if (h.nslots == 0 || h.nslots > 4096 || h.nevents == 0 || h.nevents > (1u << 20)) {
    free(buf);
    return fail(err, errlen, path, "implausible ring counts in the header");
  }
  size_t ring_bytes = sizeof(struct rw_flight_ring) +
                      (size_t)h.nevents * sizeof(struct rw_flight_event);
  unsigned used = h.used_slots < h.nslots ? h.used_slots : h.nslots;
  fl->pid = h.pid;
  fl->threads = used;
  fl->lost_threads = h.lost_threads;

  for (unsigned s = 0; s < used; s++) {
    size_t off = RW_FLIGHT_HEADER_SIZE + s * ring_bytes;
    if (off + sizeof(struct rw_flight_ring) > len) {
      fl->truncated = 1;
      break;
    }
    struct rw_flight_ring r;
    memcpy(&r, buf + off, sizeof r);
    uint64_t first = r.head > h.nevents ? r.head - h.nevents : 0;
    /* Only the newest events of each ring: enough to see what happened. */
    if (r.head - first > RWD_FLIGHT_PER_RING) first = r.head - RWD_FLIGHT_PER_RING;
    for (uint64_t i = first; i < r.head; i++) {
      size_t eoff = off + sizeof r + (size_t)(i % h.nevents) * sizeof(struct rw_flight_event);
      if (eoff + sizeof(struct rw_flight_event) > len) {
        fl->truncated = 1;
        break;
      }
      struct rw_flight_event e;
      memcpy(&e, buf + eoff, sizeof e);
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
  free(buf);
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
  if (fl->truncated) fprintf(out, ", file truncated");
  fprintf(out, ")\n");
  if (from) fprintf(out, "  ... %u earlier event(s)\n", from);
  for (unsigned i = from; i < fl->n; i++) {
    describe(line, sizeof line, &fl->ev[i]);
    fprintf(out, "  %s\n", line);
  }
}
