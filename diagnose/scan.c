/* The scanner: one pass over the lines, each line looked at once, facts
 * kept in bounded fields. Multi-line blocks (a race report, a racewire
 * FATAL with its details, a captured hang) are followed with a small mode
 * variable rather than by buffering the block, so that a block cut in the
 * middle still leaves whatever facts it had. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rwd.h"

enum { MODE_NONE, MODE_RACE, MODE_FATAL, MODE_HANG };

#define HANG_MARKER "==== racewire-stress: hang after "

void rwd_scan_init(struct rwd_scan *s, const char *source) {
  memset(s, 0, sizeof *s);
  s->f.source = source;
  s->f.found_races = -1;
  s->f.reported_warnings = -1;
  s->hang_cur = -1;
  s->race_target = -1;
}

/* ---- single-line facts ----------------------------------------------- */

/* ThreadSanitizer: CHECK failed: FILE:LINE "EXPR" (0x.., 0x..) (tid=N) */
static void parse_check(struct rwd_check *c, const struct rwd_line *ln,
                        const char *at) {
  rwd_quote_set(&c->q, ln);
  const char *p = at + strlen("CHECK failed: ");
  const char *sp = strchr(p, ' ');
  size_t flen = sp ? (size_t)(sp - p) : strlen(p);
  /* FILE:LINE: the line number is after the last ':' of the token. */
  const char *colon = NULL;
  for (const char *q = p; q < p + flen; q++)
    if (*q == ':') colon = q;
  if (colon) {
    rwd_copy(c->file, sizeof c->file, p, (size_t)(colon - p));
    c->line = strtol(colon + 1, NULL, 10);
  } else {
    rwd_copy(c->file, sizeof c->file, p, flen);
  }
  const char *q1 = strchr(p, '"');
  const char *q2 = q1 ? strrchr(q1 + 1, '"') : NULL;
  if (q1 && q2) rwd_copy(c->expr, sizeof c->expr, q1 + 1, (size_t)(q2 - q1 - 1));
  const char *t = strstr(p, "(tid=");
  if (t) {
    t += 5;
    size_t n = strspn(t, "0123456789");
    rwd_copy(c->tid, sizeof c->tid, t, n);
  }
}

static int is_tsan_frame(const char *t) {
  /* Frames of the runtime in any unwinder's format: symbol names in the
   * __tsan / __sanitizer namespaces or source files of lib/tsan. */
  if (strstr(t, "__tsan") || strstr(t, "__sanitizer::")) return 1;
  const char *p = strstr(t, "tsan_");
  return p && (strstr(p, ".cpp") || strstr(p, ".h:"));
}

static int is_frame_line(const char *t) {
  t = rwd_skip_ws(t);
  return t[0] == '#' && isdigit((unsigned char)t[1]);
}

static int is_proc_frame(const char *t) {
  static const char *const words[] = {
      "DenseSlabAlloc", "AllocatorCache", "ProcWire", "ProcUnwire",
      "ProcCreate", "ProcDestroy", "Processor", "SlotLock", "SlotAttach",
      "get_cur_proc", "FreeRange", "AllocBlock", "__tsan_free",
      "__tsan_malloc", "__tsan_acquire", "__tsan_release"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strstr(t, words[i])) return 1;
  return 0;
}

static void add_salient(struct rwd_facts *f, const struct rwd_line *ln) {
  static const char *const words[] = {
      "ThreadSanitizer", "FATAL", "CHECK", "SEGV", "panic", "fatal error",
      "Aborted", "signal", "Segmentation fault", "DATA RACE", "DEADLOCK",
      "racewire:", "hang after"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    if (strstr(ln->text, words[i])) {
      if (f->nsalient < RWD_SALIENT_MAX)
        rwd_quote_set(&f->salient[f->nsalient++], ln);
      else
        f->salient_dropped++;
      return;
    }
  }
}

static void single_line(struct rwd_scan *s, const struct rwd_line *ln) {
  struct rwd_facts *f = &s->f;
  const char *t = ln->text, *p;

  if ((p = strstr(t, "CHECK failed: ")) != NULL) {
    struct rwd_check c;
    memset(&c, 0, sizeof c);
    parse_check(&c, ln, p);
    if (f->ncheck++ == 0) f->check = c;
    if (strstr(c.file, "deadlock_detector") && f->ndd++ == 0) f->dd = c;
  }
  if (strstr(t, "can't find longjmp buf") && f->nlongjmp++ == 0)
    rwd_quote_set(&f->longjmp, ln);
  if (strstr(t, "finished with ignores enabled") && f->nignores++ == 0)
    rwd_quote_set(&f->ignores, ln);
  /* A mapping TSan cannot shadow: reported as such, or as a failure to map
   * shadow at a fixed address (what a PIE binary gets from Go-mode TSan). */
  if ((strstr(t, "unexpected memory mapping") ||
       (strstr(t, "ThreadSanitizer failed to allocate") &&
        strstr(t, "at address"))) &&
      f->nmapping++ == 0)
    rwd_quote_set(&f->mapping, ln);
  if ((strstr(t, "DenseSlabAllocator") ||
       (strstr(t, "ThreadSanitizer") && strstr(t, "allocator overflow ("))) &&
      f->ndense++ == 0)
    rwd_quote_set(&f->dense, ln);

  if (strstr(t, ":DEADLYSIGNAL")) {
    if (!f->deadly.no) rwd_quote_set(&f->deadly, ln);
    f->nsegv++;
  }
  if (strstr(t, "SEGV on unknown address") || strstr(t, "ERROR: ThreadSanitizer: SEGV") ||
      strstr(t, "BUS on unknown address")) {
    if (!f->segv.no) rwd_quote_set(&f->segv, ln);
    f->nsegv++;
  }
  /* The stress runner's trailer: a release-runtime SEGV inside TSan is
   * silent (Go mode installs no handler), so "signal=11" there may be the
   * only trace of it in the log. */
  const char *trailer_sig = rwd_starts(t, "==== racewire-stress: run ") ? strstr(t, " signal=") : NULL;
  int trailer_segv = trailer_sig && (strncmp(trailer_sig, " signal=11 ", 11) == 0 ||
                                     strncmp(trailer_sig, " signal=7 ", 10) == 0);
  if (strstr(t, "Segmentation fault") || strstr(t, "SIGSEGV") ||
      strstr(t, "segmentation violation") || strstr(t, "signal 11") || trailer_segv) {
    if (!f->segfault.no) rwd_quote_set(&f->segfault, ln);
    f->nsegv++;
  }
  if (is_frame_line(t) && is_tsan_frame(t)) {
    if (f->ntsan_frames++ == 0) rwd_quote_set(&f->tsan_frame, ln);
    if (is_proc_frame(t) && f->nproc_frames++ == 0)
      rwd_quote_set(&f->proc_frame, ln);
  }
  if ((p = strstr(t, "Found ")) != NULL && strstr(p, " data race(s)")) {
    f->found_races = strtol(p + 6, NULL, 10);
    if (!f->race_summary.no) rwd_quote_set(&f->race_summary, ln);
  }
  if ((p = strstr(t, "ThreadSanitizer: reported ")) != NULL && strstr(p, " warnings")) {
    f->reported_warnings = strtol(p + strlen("ThreadSanitizer: reported "), NULL, 10);
    if (!f->race_summary.no) rwd_quote_set(&f->race_summary, ln);
  }
}

/* ---- race reports ---------------------------------------------------- */

/* Go:  "Read at 0x00c000001008 by goroutine 3:"
 * C:   "  Write of size 8 at 0x7b04... by thread T1 (mutexes: ...):"  */
static int race_access(struct rwd_scan *s, const struct rwd_line *ln) {
  static const char *const kinds[] = {
      "Previous atomic write", "Previous atomic read", "Previous write",
      "Previous read", "Atomic write", "Atomic read", "Write", "Read"};
  const char *t = rwd_skip_ws(ln->text);
  const char *kind = NULL;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (rwd_starts(t, kinds[i])) {
      kind = kinds[i];
      break;
    }
  if (!kind) return 0;
  const char *rest = t + strlen(kind);
  if (!rwd_starts(rest, " at ") && !rwd_starts(rest, " of size ")) return 0;
  const char *at = strstr(rest, " at ");
  const char *by = at ? strstr(at, " by ") : NULL;
  if (!at || !by) return 0;
  struct rwd_race *r = &s->f.race;
  if (s->f.nraces == 1 && r->naccess < RWD_ACCESS_MAX) {
    struct rwd_access *a = &r->access[r->naccess];
    memset(a, 0, sizeof *a);
    rwd_copy(a->kind, sizeof a->kind, kind, strlen(kind));
    rwd_copy(a->addr, sizeof a->addr, at + 4, strcspn(at + 4, " "));
    const char *w = by + 4;
    rwd_copy(a->who, sizeof a->who, w, strcspn(w, ":("));
    size_t wl = strlen(a->who);
    while (wl > 0 && a->who[wl - 1] == ' ') a->who[--wl] = '\0';
    a->no = ln->no;
    s->race_target = r->naccess++;
  } else {
    s->race_target = -1;
  }
  s->expect_loc = 0;
  return 1;
}

/* Go: "Goroutine 3 (running) created at:"
 * C:  "  Thread T1 (tid=123, running) created by main thread at:" */
static int race_created(struct rwd_scan *s, const struct rwd_line *ln) {
  const char *t = rwd_skip_ws(ln->text);
  if (!(rwd_starts(t, "Goroutine ") || rwd_starts(t, "Thread T")) ||
      !strstr(t, " created "))
    return 0;
  struct rwd_race *r = &s->f.race;
  if (s->f.nraces == 1 && r->ncreated < RWD_CREATED_MAX) {
    struct rwd_created *c = &r->created[r->ncreated];
    memset(c, 0, sizeof *c);
    const char *end = strstr(t, " created ");
    rwd_copy(c->who, sizeof c->who, t, (size_t)(end - t));
    c->no = ln->no;
    s->race_target = RWD_ACCESS_MAX + r->ncreated++;
  } else {
    s->race_target = -1;
  }
  s->expect_loc = 0;
  return 1;
}

static struct rwd_frame *race_frame_slot(struct rwd_scan *s, int **nframes) {
  struct rwd_race *r = &s->f.race;
  if (s->race_target < 0) return NULL;
  if (s->race_target < RWD_ACCESS_MAX) {
    struct rwd_access *a = &r->access[s->race_target];
    *nframes = &a->nframes;
    return &a->top;
  }
  struct rwd_created *c = &r->created[s->race_target - RWD_ACCESS_MAX];
  *nframes = &c->nframes;
  return &c->top;
}

static void race_line(struct rwd_scan *s, const struct rwd_line *ln) {
  const char *t = ln->text;
  if (race_access(s, ln) || race_created(s, ln)) return;
  if (s->f.nraces == 1 && !s->f.race.location.no &&
      (rwd_starts(t, "Heap block of size") || rwd_starts(t, "Global var ") ||
       rwd_starts(rwd_skip_ws(t), "Location is "))) {
    rwd_quote_set(&s->f.race.location, ln);
    s->race_target = -1;
    return;
  }
  int *nframes = NULL;
  struct rwd_frame *fr = race_frame_slot(s, &nframes);
  if (!fr) return;
  const char *u = rwd_skip_ws(t);
  size_t ul = strlen(u);
  if (s->expect_loc) {
    /* Go's second frame line: "      /path/file.go:21 +0x1d" */
    s->expect_loc = 0;
    if (*nframes == 1 && ul > 0) rwd_copy(fr->loc, sizeof fr->loc, u, strcspn(u, " "));
    return;
  }
  if (ul > 2 && u == t + 2 && u[ul - 1] == ')' && strchr(u, '(')) {
    /* Go's first frame line: "  main.(*counter).inc()": the name is all
     * but the last parenthesis; a receiver's parentheses are part of it. */
    if ((*nframes)++ == 0)
      rwd_copy(fr->func, sizeof fr->func, u, (size_t)(strrchr(u, '(') - u));
    s->expect_loc = 1;
    return;
  }
  if (is_frame_line(u)) {
    /* C: "    #0 func file.c:12 (bin+0x..)" */
    if ((*nframes)++ == 0) {
      const char *q = u + 1 + strspn(u + 1, "0123456789");
      q = rwd_skip_ws(q);
      if (rwd_starts(q, "0x")) {
        q += strcspn(q, " ");
        q = rwd_skip_ws(q);
        if (rwd_starts(q, "in ")) q = rwd_skip_ws(q + 3);
      }
      size_t fl = strcspn(q, " ");
      rwd_copy(fr->func, sizeof fr->func, q, fl);
      q = rwd_skip_ws(q + fl);
      rwd_copy(fr->loc, sizeof fr->loc, q, strcspn(q, " "));
    }
  }
}

/* ---- racewire FATAL blocks --------------------------------------------- */

static void fatal_start(struct rwd_scan *s, const struct rwd_line *ln,
                        const char *msg) {
  struct rwd_facts *f = &s->f;
  if (f->nfatal++ == 0) {
    rwd_quote_set(&f->fatal.q, ln);
    rwd_copy(f->fatal.msg, sizeof f->fatal.msg, msg, strlen(msg));
    f->fatal.seeds |= rwd_seed_mentions(msg);
  }
  s->mode = MODE_FATAL;
}

/* "racewire:   key: value" (two or more spaces after the colon). */
static int fatal_detail(struct rwd_scan *s, const struct rwd_line *ln) {
  const char *t = ln->text;
  if (!rwd_starts(t, "racewire:  ")) return 0;
  const char *k = rwd_skip_ws(t + strlen("racewire:"));
  const char *sep = strstr(k, ": ");
  struct rwd_fatal *ft = &s->f.fatal;
  if (s->f.nfatal != 1) return 1;  /* details of a later FATAL: counted only */
  ft->seeds |= rwd_seed_mentions(k);
  if (ft->ndetails >= RWD_DETAILS_MAX) return 1;
  struct rwd_detail *d = &ft->detail[ft->ndetails++];
  d->no = ln->no;
  if (sep) {
    rwd_copy(d->key, sizeof d->key, k, (size_t)(sep - k));
    const char *v = sep + 2;
    rwd_copy(d->value, sizeof d->value, v, strlen(v));
  } else {
    rwd_copy(d->key, sizeof d->key, "note", 4);
    rwd_copy(d->value, sizeof d->value, k, strlen(k));
  }
  return 1;
}

/* ---- captured hangs ---------------------------------------------------- */

/* "==== racewire-stress: hang after 30s; stacks of pid 4242 (gdb) ====" */
static void hang_start(struct rwd_scan *s, const struct rwd_line *ln) {
  struct rwd_facts *f = &s->f;
  s->mode = MODE_HANG;
  s->hang_cur = -1;
  if (f->nhang++ != 0) {
    s->mode = MODE_NONE;  /* a second section: counted, not parsed */
    return;
  }
  struct rwd_hang *h = &f->hang;
  rwd_quote_set(&h->q, ln);
  const char *p = ln->text + strlen(HANG_MARKER);
  rwd_copy(h->after, sizeof h->after, p, strcspn(p, "; "));
  const char *q = strstr(p, "stacks of pid ");
  if (q) {
    q += strlen("stacks of pid ");
    rwd_copy(h->pid, sizeof h->pid, q, strcspn(q, " ("));
  }
  q = strchr(p, '(');
  if (q) rwd_copy(h->tool, sizeof h->tool, q + 1, strcspn(q + 1, ")"));
}

static int name_in(const char *fn, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(fn, list[i]) == 0) return 1;
  return 0;
}

static unsigned frame_flags(const char *fn) {
  static const char *const exits[] = {
      "exit", "_exit", "_Exit", "__GI_exit", "__GI__exit", "__run_exit_handlers",
      "__libc_exit", "__exit_group"};
  static const char *const waits[] = {
      "sigsuspend", "__sigsuspend", "__GI___sigsuspend", "pthread_kill",
      "__pthread_kill", "__pthread_kill_implementation", "__pthread_kill_internal",
      "tgkill", "__GI_tgkill", "raise", "<signal handler called>", "sigwait",
      "__sigwait", "sigtimedwait", "__sigtimedwait", "pause", "__libc_pause",
      "syscall"};
  unsigned fl = 0;
  if (name_in(fn, exits, sizeof exits / sizeof exits[0]) || strstr(fn, "__tsan_fini") ||
      strstr(fn, "Finalize") || strstr(fn, "rw_fini"))
    fl |= RWD_HT_EXIT;
  if (name_in(fn, waits, sizeof waits / sizeof waits[0]) || strstr(fn, "futex") ||
      strstr(fn, "suspend") || strstr(fn, "signal_handler") || strstr(fn, "sighandler"))
    fl |= RWD_HT_WAIT;
  if ((fl & RWD_HT_WAIT) && !strstr(fn, "futex") && strcmp(fn, "syscall") != 0)
    fl |= RWD_HT_SIGNAL;
  return fl;
}

static struct rwd_hthread *hang_thread(struct rwd_scan *s, const char *id,
                                       size_t idlen, unsigned long no) {
  struct rwd_hang *h = &s->f.hang;
  if (h->nthreads >= RWD_THREADS_MAX) {
    h->threads_dropped++;
    s->hang_cur = -1;
    return NULL;
  }
  struct rwd_hthread *th = &h->thread[h->nthreads];
  memset(th, 0, sizeof *th);
  rwd_copy(th->id, sizeof th->id, id, idlen);
  th->no = no;
  s->hang_cur = h->nthreads++;
  return th;
}

static void hang_line(struct rwd_scan *s, const struct rwd_line *ln) {
  const char *t = ln->text;
  struct rwd_hang *h = &s->f.hang;
  if (rwd_starts(t, "Thread ") && strchr(t, '(')) {
    /* gdb: Thread 2 (Thread 0x7f.. (LWP 1235) "prog"):  -> "Thread 2 (LWP 1235)" */
    char id[48] = "";
    rwd_copy(id, sizeof id, t, 7 + strspn(t + 7, "0123456789"));
    const char *lwp = strstr(t, "(LWP ");
    if (lwp) rwd_appendf(id, sizeof id, " (LWP %.*s)", (int)strspn(lwp + 5, "0123456789"), lwp + 5);
    hang_thread(s, id, strlen(id), ln->no);
    return;
  }
  if (rwd_starts(t, "TID ")) {
    /* eu-stack: "TID 1235:" */
    hang_thread(s, t, strcspn(t, ":"), ln->no);
    return;
  }
  const char *u = rwd_skip_ws(t);
  if (!is_frame_line(u)) return;
  if (s->hang_cur < 0) {
    if (h->nthreads == 0 && !h->threads_dropped)
      hang_thread(s, "thread ?", 8, ln->no);  /* frames with no header */
    if (s->hang_cur < 0) return;
  }
  struct rwd_hthread *th = &h->thread[s->hang_cur];
  /* "#0  0x00007f.. in func (args) at file:line" (gdb),
   * "#1  func (args) at ..." (gdb, no pc), "#0  0x00007f.. func" (eu-stack). */
  const char *q = u + 1 + strspn(u + 1, "0123456789");
  q = rwd_skip_ws(q);
  char fn[RWD_NAME_MAX];
  if (rwd_starts(q, "<signal handler called>")) {
    rwd_copy(fn, sizeof fn, q, strlen("<signal handler called>"));
  } else {
    if (rwd_starts(q, "0x")) {
      q += strcspn(q, " ");
      q = rwd_skip_ws(q);
      if (rwd_starts(q, "in ")) q = rwd_skip_ws(q + 3);
    }
    /* C++ names keep their "::" and template arguments up to '(' or ' '. */
    rwd_copy(fn, sizeof fn, q, strcspn(q, " ("));
  }
  if (th->nframes < RWD_TOPFRAMES) rwd_copy(th->top[th->nframes], sizeof th->top[0], fn, strlen(fn));
  th->nframes++;
  unsigned fl = frame_flags(fn);
  if ((fl & RWD_HT_EXIT) && !(th->flags & RWD_HT_EXIT))
    rwd_copy(th->exit_frame, sizeof th->exit_frame, fn, strlen(fn));
  if ((fl & RWD_HT_WAIT) && !(th->flags & RWD_HT_WAIT))
    rwd_copy(th->wait_frame, sizeof th->wait_frame, fn, strlen(fn));
  th->flags |= fl;
}

/* ---- the per-line entry point ------------------------------------------ */

void rwd_scan_line(struct rwd_scan *s, const struct rwd_line *ln) {
  struct rwd_facts *f = &s->f;
  const char *t = ln->text;
  f->nlines = ln->no;
  f->seeds |= rwd_seed_mentions(t);

  if (s->mode == MODE_HANG) {
    if (!rwd_starts(t, "==== ")) {
      hang_line(s, ln);
      return;  /* stack frames are not evidence of anything else */
    }
    s->mode = MODE_NONE;
  }
  if (rwd_starts(t, HANG_MARKER)) {
    add_salient(f, ln);
    hang_start(s, ln);
    return;
  }
  if (s->mode == MODE_FATAL) {
    if (fatal_detail(s, ln)) return;
    s->mode = MODE_NONE;
  }
  const char *fat = strstr(t, "racewire: FATAL: ");
  if (fat) {
    add_salient(f, ln);
    fatal_start(s, ln, fat + strlen("racewire: FATAL: "));
    return;
  }
  if (strstr(t, "WARNING: DATA RACE")) {
    if (f->nraces++ == 0) rwd_quote_set(&f->race.q, ln);
    s->mode = MODE_RACE;
    s->race_target = -1;
    s->expect_loc = 0;
    add_salient(f, ln);
    return;
  }
  if (s->mode == MODE_RACE) {
    if (rwd_starts(t, "==================")) {
      s->mode = MODE_NONE;
      return;
    }
    race_line(s, ln);
  }
  single_line(s, ln);
  add_salient(f, ln);
}

int rwd_scan_source(struct rwd_scan *s, struct rwd_source *src) {
  struct rwd_line ln;
  int rc;
  while ((rc = src->next(src, &ln)) > 0) rwd_scan_line(s, &ln);
  s->f.nbytes = src->nbytes;
  s->f.ntruncated = src->ntruncated;
  s->f.nbinary = src->nbinary;
  return rc < 0 ? -1 : 0;
}
