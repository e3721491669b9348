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

static void scan_reset(struct rwd_scan *s, const char *source) {
  memset(s, 0, sizeof *s);
  s->f.source = source;
  s->f.found_races = -1;
  s->f.reported_warnings = -1;
  s->hang_cur = -1;
  s->race_target = -1;
}

void rwd_scan_init(struct rwd_scan *s, const char *source) {
  scan_reset(s, source);
  /* The top-level scan follows each report on its own in a sub-scan; if
   * that cannot be had the log is still read whole, without per-report
   * verdicts. */
  s->sub = malloc(sizeof *s->sub);
  if (s->sub) scan_reset(s->sub, source), s->sub->is_sub = 1;
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


/* ---- frames, in any unwinder's format ------------------------------------ */

/* Copies a C/C++ function name: up to '(' or a space outside template
 * brackets, so "std::map<int, int>::find(int)" keeps its arguments out
 * and its template in. */
static void copy_name(char *fn, size_t cap, const char *q) {
  size_t n = 0;
  int depth = 0;
  while (q[n]) {
    char c = q[n];
    if (c == '<') depth++;
    else if (c == '>' && depth > 0) depth--;
    else if (depth == 0 && c == '(' && n > 0 && q[n - 1] == '.') {
      /* Go's receiver: "runtime.(*profBuf).read" */
      const char *close = strchr(q + n, ')');
      if (!close) break;
      n = (size_t)(close - q) + 1;
      continue;
    } else if (depth == 0 && (c == '(' || c == ' ' || c == '\t')) {
      /* "operator delete(void*)" and "(anonymous namespace)::f": keep a
       * parenthesis that opens the name itself. */
      if (c == '(' && n == 0) {
        const char *close = strchr(q, ')');
        if (close) {
          n = (size_t)(close - q) + 1;
          continue;
        }
      }
      break;
    }
    n++;
  }
  rwd_copy(fn, cap, q, n);
}

int rwd_frame_func(const char *line, char *fn, size_t cap) {
  const char *u = rwd_skip_ws(line);
  fn[0] = '\0';
  if (rwd_starts(u, "* ")) u = rwd_skip_ws(u + 2);
  if (rwd_starts(u, "<- ")) {
    /* a backtrace retold in prose: "  <- ns::Caller (note)" */
    copy_name(fn, cap, rwd_skip_ws(u + 3));
    return fn[0] != '\0';
  }
  if (rwd_starts(u, "frame #")) {
    /* lldb: "frame #3: 0x000.. module`func(args) at file:line" */
    const char *tick = strchr(u, '`');
    if (!tick) return 0;
    copy_name(fn, cap, tick + 1);
    return fn[0] != '\0';
  }
  if (!(u[0] == '#' && isdigit((unsigned char)u[1]))) return 0;
  const char *q = u + 1 + strspn(u + 1, "0123456789");
  if (*q != ' ' && *q != '\t') return 0;
  q = rwd_skip_ws(q);
  if (rwd_starts(q, "<signal handler called>")) {
    rwd_copy(fn, cap, q, strlen("<signal handler called>"));
    return 1;
  }
  if (rwd_starts(q, "0x")) {
    q += strcspn(q, " ");
    q = rwd_skip_ws(q);
    if (rwd_starts(q, "in ")) q = rwd_skip_ws(q + 3);
  }
  copy_name(fn, cap, q);
  return fn[0] != '\0';
}

int rwd_internal_frame(const char *fn) {
  static const char *const prefixes[] = {
      "__tsan", "__sanitizer", "__interceptor", "___interceptor", "__ubsan", "__asan",
      "__msan", "__lsan", "CheckUnwind", "CheckFailed", "__GI_", "__pthread_kill",
      "runtime.throw", "runtime.fatal", "runtime.sigpanic", "runtime.systemstack",
      "runtime.racecall", "runtime.raceread", "runtime.racewrite", "runtime.racefunc",
      "racecall", "__libc_start", "<"};
  static const char *const names[] = {
      "raise", "abort", "gsignal", "pthread_kill", "sighandler", "syscall", "_start",
      "start_thread", "clone", "clone3", "__clone", "??", "tgkill", "ScopedInterceptor"};
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (rwd_starts(fn, prefixes[i])) return 1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(fn, names[i]) == 0) return 1;
  return 0;
}

/* A Go traceback's function line: "main.(*T).f(0x1, ...)" or
 * "runtime.throw({0x5f3e1c?, 0x0?})", at most two spaces in. */
static int go_func_line(const char *t, char *fn, size_t cap) {
  const char *u = t;
  if (u[0] == ' ' && u[1] == ' ') u += 2;
  if (!(isalpha((unsigned char)u[0]) || u[0] == '_')) return 0;
  size_t l = strlen(u);
  if (l < 3 || u[l - 1] != ')') return 0;
  const char *par = strchr(u, '(');
  const char *dot = strchr(u, '.');
  const char *sp = strchr(u, ' ');
  if (!par || !dot || dot > par) return 0;
  if (sp && sp < par) return 0;
  /* a receiver "(*T)" is part of the name: cut at the last '(' */
  rwd_copy(fn, cap, u, (size_t)(strrchr(u, '(') - u));
  return 1;
}

/* ---- who wrote the log ---------------------------------------------------- */

static int any_of(const char *t, const char *const *words, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strstr(t, words[i])) return 1;
  return 0;
}

static void producer(struct rwd_facts *f, const struct rwd_line *ln, const char *fn) {
  const char *t = ln->text;
  /* Go-mode TSan: Go's own traceback and race report, the amalgamated
   * runtime (gotsan.cpp, race_linux_amd64.syso), Go-only entry points. */
  static const char *const go[] = {
      "WARNING: DATA RACE", "gotsan.c", "race_linux", "race_darwin", "race_windows",
      "race_freebsd", ".syso", "racecall", "runtime.race", "racefuncenter", "fatal error: ",
      "[signal SIG", "GORACE", "__tsan_go_", "__tsan_proc_", "__tsan_map_shadow",
      "__tsan_malloc", "__tsan_func_enter", "goroutine ", "Goroutine ", "runtime.goexit",
      "runtime.main()"};
  /* racewire's own lines (its programs drive the Go-mode runtime). */
  static const char *const rw[] = {"racewire", "RACEWIRE_"};
  /* The C/C++ runtime: interceptors, thread names, pids, fibers, its
   * report framing, and compiler-rt / libsanitizer source paths (Go
   * builds the runtime as one file, gotsan.cpp). */
  static const char *const cxx[] = {
      "SUMMARY: ThreadSanitizer", "libtsan.so", "libclang_rt.tsan", "tsan_interceptors",
      "__interceptor_", "ScopedInterceptor", " by thread T", " by main thread",
      "CallUserSignalHandler", "FiberSwitch", "FiberDestroy", "FiberCreate",
      "__tsan_switch_to_fiber", "__tsan_create_fiber", "__tsan_destroy_fiber",
      "__tsan_func_entry", "crtstuff.c", "compiler-rt/lib", "libsanitizer/",
      "ThreadSanitizer: nested bug", "Running under ThreadSanitizer",
      "ThreadSanitizer: reported ", "(mutexes:", "pthread_create", "created by main thread",
      "created by thread T", "tsan_rtl_report.c", "sanitizer_common_interceptors"};
  static const char *const gdb[] = {
      "(gdb)", "Program received signal", "received signal SIG", "(LWP ",
      "No symbol table info available", "thread apply all bt", "Program terminated with"};
  const char *p;
  int is_go = any_of(t, go, sizeof go / sizeof go[0]) ||
              ((p = strstr(t, ".go:")) != NULL && isdigit((unsigned char)p[4]));
  if (is_go && f->ngo++ == 0) rwd_quote_set(&f->go_q, ln);
  if ((any_of(t, rw, sizeof rw / sizeof rw[0]) || (fn && rwd_starts(fn, "rw_"))) &&
      f->nrw++ == 0)
    rwd_quote_set(&f->rw_q, ln);
  /* The C/C++ runtime names threads "T1", "thread T4"; Go mode never does. */
  int named_thread = ((p = strstr(t, "thread T")) != NULL && isdigit((unsigned char)p[8])) ||
                     ((p = strstr(t, "Thread T")) != NULL && isdigit((unsigned char)p[8]));
  int is_cxx = any_of(t, cxx, sizeof cxx / sizeof cxx[0]) || named_thread ||
               (strstr(t, "WARNING: ThreadSanitizer: ") && strstr(t, "(pid="));
  if (is_cxx && f->ncxx++ == 0) rwd_quote_set(&f->cxx_q, ln);
  /* "==1234==" opens the C/C++ runtime's error lines; a racewire-built
   * debug runtime can print it too, so it only counts when nothing else
   * speaks. */
  if (t[0] == '=' && t[1] == '=' && isdigit((unsigned char)t[2]) && f->ncxx_weak++ == 0 &&
      !f->cxx_q.no)
    rwd_quote_set(&f->cxx_q, ln);
  const char *u = rwd_skip_ws(t);
  int gdb_frame = u[0] == '#' && isdigit((unsigned char)u[1]) && strstr(u, " in ") &&
                  strstr(u, " 0x") && !strstr(u, "(+0x") && !strstr(u, "+0x");
  if ((any_of(t, gdb, sizeof gdb / sizeof gdb[0]) || gdb_frame ||
       (rwd_starts(t, "Thread ") && strstr(t, "(Thread 0x"))) &&
      f->ngdb++ == 0)
    rwd_quote_set(&f->gdb_q, ln);
}

enum rwd_logkind rwd_logkind(const struct rwd_facts *f) {
  if (f->ncxx) return RWD_LOG_CXX;
  if (f->ngo || f->nrw) return RWD_LOG_GO;
  if (f->ncxx_weak) return RWD_LOG_CXX;
  if (f->ngdb) return RWD_LOG_GDB;
  return RWD_LOG_UNKNOWN;
}

const char *rwd_logkind_name(enum rwd_logkind k) {
  switch (k) {
    case RWD_LOG_GO: return "go";
    case RWD_LOG_CXX: return "c/c++";
    case RWD_LOG_GDB: return "debugger";
    default: return "unknown";
  }
}

/* Frames that tell families apart, counted whatever the report. */
static void frame_facts(struct rwd_facts *f, const struct rwd_line *ln, const char *fn) {
  static const char *const fiber[] = {
      "Fiber", "fiber", "swapcontext", "make_fcontext", "jump_fcontext", "ontop_fcontext",
      "boost::context", "coroutine", "Coroutine", "ctx_switch", "jl_switchto",
      "switch_to_fiber"};
#define COUNT(cond, n, q) \
  do {                    \
    if (cond) {           \
      if ((n)++ == 0) rwd_quote_set(&(q), ln); \
    }                     \
  } while (0)
  COUNT(any_of(fn, fiber, sizeof fiber / sizeof fiber[0]), f->nfiber, f->fiber);
  COUNT(strstr(fn, "CallUserSignalHandler") != NULL, f->nsig_handler, f->sig_handler);
  COUNT(strstr(fn, "SlotLock") || strstr(fn, "SlotAttachAndLock"), f->nslot_wait, f->slot_wait);
  COUNT(strstr(fn, "__tsan_func_entry") || strstr(fn, "__tsan::FuncEntry") ||
            strstr(fn, "__tsan_func_enter"),
        f->nfunc_entry, f->func_entry);
  COUNT(strstr(fn, "VarSizeStackTrace::Init") != NULL, f->nvarsize, f->varsize);
  COUNT(strstr(fn, "ThreadContext::OnFinished") != NULL, f->nonfinished, f->onfinished);
  COUNT(strstr(fn, "racecallbackthunk") != NULL, f->ncallback_thunk, f->callback_thunk);
#undef COUNT
  if (strstr(fn, "FiberDestroy") || strstr(fn, "__tsan_destroy_fiber")) f->nfiber_destroy++;
  if (strstr(fn, "pthread_exit")) f->npthread_exit++;
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

  if (s->check_wrap) {
    /* A quoted log wrapped the CHECK: its expression is on this line. */
    s->check_wrap = 0;
    const char *u = rwd_skip_ws(t), *q2 = u[0] == '"' ? strrchr(u + 1, '"') : NULL;
    if (q2) {
      struct rwd_check *c = f->ncheck == 1 ? &f->check : NULL;
      if (c && !c->expr[0]) rwd_copy(c->expr, sizeof c->expr, u + 1, (size_t)(q2 - u - 1));
      if (f->ndd == 1 && !f->dd.expr[0])
        rwd_copy(f->dd.expr, sizeof f->dd.expr, u + 1, (size_t)(q2 - u - 1));
    }
  }
  if ((p = strstr(t, "CHECK failed: ")) != NULL) {
    struct rwd_check c;
    memset(&c, 0, sizeof c);
    parse_check(&c, ln, p);
    if (f->ncheck++ == 0) f->check = c;
    if (strstr(c.file, "deadlock_detector") && f->ndd++ == 0) f->dd = c;
    s->check_wrap = !c.expr[0];
  }
  if (strstr(t, "can't find longjmp buf") && f->nlongjmp++ == 0)
    rwd_quote_set(&f->longjmp, ln);
  if ((strstr(t, "finished with ignores enabled") ||
       strstr(t, "One of the following ignores was not ended")) &&
      f->nignores++ == 0)
    rwd_quote_set(&f->ignores, ln);
  /* A mapping TSan cannot shadow: reported as such, or as a failure to map
   * shadow at a fixed address (what a PIE binary gets from Go-mode TSan). */
  if ((strstr(t, "unexpected memory mapping") || strstr(t, "ThreadSanitizer: mmap at bad address") ||
       (strstr(t, "ThreadSanitizer failed to allocate") &&
        strstr(t, "at address"))) &&
      f->nmapping++ == 0)
    rwd_quote_set(&f->mapping, ln);
  if ((strstr(t, "DenseSlabAllocator") ||
       (strstr(t, "ThreadSanitizer") && strstr(t, "allocator overflow ("))) &&
      f->ndense++ == 0)
    rwd_quote_set(&f->dense, ln);

  /* The debug runtime's check of its own mutex order. */
  if (strstr(t, "internal deadlock: can't lock") && f->nideadlock++ == 0)
    rwd_quote_set(&f->ideadlock, ln);
  /* Go mode's 8128 goroutines, the C/C++ runtime's thread table. */
  if ((strstr(t, "simultaneously alive goroutines is exceeded") ||
       (strstr(t, "Thread limit (") && strstr(t, "exceeded"))) &&
      f->nlimit++ == 0)
    rwd_quote_set(&f->limit, ln);
  if (strstr(t, "signal-unsafe call inside of a signal") && f->nunsafe++ == 0)
    rwd_quote_set(&f->unsafe, ln);
  /* UNREACHABLE() is a CHECK of "unreachable: ..." (or a bare message). */
  if (strstr(t, "unreachable") && (strstr(t, "CHECK failed") || strstr(t, "ThreadSanitizer")) &&
      f->nunreach++ == 0)
    rwd_quote_set(&f->unreach, ln);
  /* The layout check of newer runtimes, ASLR re-exec, mmap_rnd_bits. */
  if ((strstr(t, "memory layout is incompatible") ||
       strstr(t, "unable to disable ASLR") || strstr(t, "unsupported VMA range") ||
       strstr(t, "ADDR_NO_RANDOMIZE") || strstr(t, "mmap_rnd_bits")) &&
      (f->nlayout++ == 0 || (!strstr(f->layout.text, "ThreadSanitizer") &&
                             strstr(t, "ThreadSanitizer"))))
    rwd_quote_set(&f->layout, ln);  /* TSan's own line over a shell's */
  if ((strstr(t, "ThreadSanitizer: out of memory") ||
       strstr(t, "ThreadSanitizer: Out of memory") ||
       (strstr(t, "ThreadSanitizer failed to allocate") && !strstr(t, "at address")) ||
       (strstr(t, "ERROR: Failed to mmap"))) &&
      f->noom++ == 0)
    rwd_quote_set(&f->oom, ln);
  /* Reports of other kinds: "WARNING: ThreadSanitizer: thread leak",
   * "ERROR: ThreadSanitizer: requested allocation size ... exceeds". */
  if ((p = strstr(t, "WARNING: ThreadSanitizer: ")) != NULL ||
      ((p = strstr(t, "ERROR: ThreadSanitizer: ")) != NULL &&
       (strstr(p, "allocation") || strstr(p, "parameters overflow") ||
        strstr(p, "invalid alignment") || strstr(p, "invalid allocation")))) {
    const char *k = strstr(p, "ThreadSanitizer: ") + strlen("ThreadSanitizer: ");
    if (!rwd_starts(k, "data race") && !rwd_starts(k, "signal-unsafe") &&
        !rwd_starts(k, "Swift access race") &&
        !rwd_starts(k, "unexpected memory mapping") && f->nwarn++ == 0) {
      rwd_quote_set(&f->warn, ln);
      size_t kl = strcspn(k, "(");
      while (kl > 0 && k[kl - 1] == ' ') kl--;
      rwd_copy(f->warn_kind, sizeof f->warn_kind, k, kl);
    }
  }
  if (strstr(t, "SUMMARY: ThreadSanitizer")) f->nsummary++;
  if (strstr(t, "WARNING: ThreadSanitizer: ")) f->ncxx_warn++;
  if (strstr(t, ":DEADLYSIGNAL")) {
    if (!f->deadly.no) rwd_quote_set(&f->deadly, ln);
    f->nsegv++;
  }
  /* A SEGV described in prose ("ThreadSanitizer: SEGV ... in
   * __tsan_func_entry") names its function on the same line. */
  if (strstr(t, "SEGV") && strstr(t, "__tsan_func_entry") && !is_frame_line(t) &&
      f->nfunc_entry++ == 0)
    rwd_quote_set(&f->func_entry, ln);
  if (strstr(t, "SEGV on unknown address") || strstr(t, "ThreadSanitizer: SEGV") ||
      strstr(t, "ThreadSanitizer: stack-overflow") ||
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
  if (strstr(t, "Segmentation fault") || strstr(t, "SIGSEGV") || strstr(t, "SIGBUS") ||
      strstr(t, "unexpected fault address") || strstr(t, "[signal 0xb") ||
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

/* ---- reports: where one ends and the next begins ------------------------ */

/* A line that opens a report: a CHECK, a TSan warning or fatal message, a
 * signal, racewire's FATAL, a captured hang, a debugger's stop. */
static int report_head(const char *t) {
  if (rwd_starts(rwd_skip_ws(t), "SUMMARY:")) return 0;  /* closes a report */
  static const char *const heads[] = {
      "CHECK failed", "WARNING: DATA RACE", "WARNING: ThreadSanitizer:", ":DEADLYSIGNAL",
      "ERROR: ThreadSanitizer", "FATAL: ThreadSanitizer", "ThreadSanitizer: can't find",
      "finished with ignores enabled", "allocator overflow", "DenseSlabAllocator",
      "racewire: FATAL: ", HANG_MARKER, "received signal SIG", "fatal error: ",
      "unexpected fault address", "ThreadSanitizer: out of memory",
      "ThreadSanitizer failed to allocate", "Segmentation fault", "==== racewire-stress: run ",
      "simultaneously alive goroutines", "Thread limit (", "internal deadlock: can't lock"};
  for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
    if (strstr(t, heads[i])) return 1;
  return 0;
}

/* Closes the current report of a top-level scan: its own verdict, from
 * the sub-scan that saw only its lines (and the whole log's producer
 * counts, so a seed is judged as it is for the log). */
static void close_report(struct rwd_scan *s) {
  struct rwd_facts *f = &s->f;
  if (!s->sub || !s->in_report || f->nreports == 0 || f->nreports > RWD_REPORTS_MAX) return;
  struct rwd_facts *sf = &s->sub->f;
  sf->ngo = f->ngo;
  sf->nrw = f->nrw;
  sf->ncxx = f->ncxx;
  sf->ncxx_weak = f->ncxx_weak;
  sf->ngdb = f->ngdb;
  rwd_verdict *v = malloc(sizeof *v);
  if (!v) return;
  rwd_classify(sf, v);
  struct rwd_report *r = &f->report[f->nreports - 1];
  r->id = v->sig ? v->sig->id : NULL;
  rwd_copy(r->detail, sizeof r->detail, v->detail, strlen(v->detail));
  r->seed = v->seed;
  r->seed_certain = v->seed_certain;
  r->frames[0] = '\0';
  for (int i = 0; i < sf->nframes && i < RWD_RFRAMES; i++)
    rwd_appendf(r->frames, sizeof r->frames, "%s%s", i ? " < " : "", sf->frames[i]);
  free(v);
}

static void open_report(struct rwd_scan *s, const struct rwd_line *ln) {
  struct rwd_facts *f = &s->f;
  close_report(s);
  s->in_report = 1;
  s->head_no = ln->no;
  s->head_frames = 0;
  if (f->nreports >= RWD_REPORTS_MAX) {
    f->reports_dropped++;
    f->nreports = RWD_REPORTS_MAX + 1;  /* closes nothing until the end */
    return;
  }
  f->nreports++;
  struct rwd_report *r = &f->report[f->nreports - 1];
  memset(r, 0, sizeof *r);
  r->no = ln->no;
  r->seed = -1;
  rwd_copy(r->head, sizeof r->head, ln->text, ln->len);
  if (s->sub) {
    scan_reset(s->sub, f->source);
    s->sub->is_sub = 1;
    s->sub->in_report = 1;
    s->sub->f.nreports = 1;
  }
}

/* Quoting tools put things before each line: CI timestamps
 * "[2023-03-21T18:40:27.629Z] " or "2023-05-08 18:01:35 ", ctest's "15: ",
 * lit's "# | ", mail's "> ". They are skipped so the line reads as TSan
 * wrote it. */
static const char *strip_prefix(const char *t) {
  for (int round = 0; round < 3; round++) {
    const char *u = t;
    if (u[0] == '[') {
      /* "[2023-03-21T18:40:27.629Z]", "[*ERROR**][2446494]"; not Go's
       * "[signal SIGSEGV: ...]", which has a space inside. */
      const char *close = strchr(u, ']');
      if (close && close - u < 48 && !memchr(u, ' ', (size_t)(close - u))) u = close + 1;
    } else if (isdigit((unsigned char)u[0]) && u[4] == '-' && isdigit((unsigned char)u[5]) &&
               u[7] == '-') {
      /* "2023-05-08 18:01:35 ": the date and a time token */
      u += strcspn(u, " ");
      u = rwd_skip_ws(u);
      if (isdigit((unsigned char)u[0]) && strchr(u, ':') && strchr(u, ':') < u + 3) {
        u += strcspn(u, " ");
      }
    } else if (isdigit((unsigned char)u[0])) {
      size_t d = strspn(u, "0123456789");
      if (d <= 4 && u[d] == ':' && u[d + 1] == ' ') u += d + 1;
    } else if (rwd_starts(u, "# | ") || rwd_starts(u, "# |")) {
      u += 3;
    } else if (u[0] == '>' && (u[1] == ' ' || u[1] == '\0')) {
      u += 1;
    }
    if (u == t) break;
    t = u[0] == ' ' && u[1] != ' ' ? u + 1 : u;
  }
  return t;
}

/* A quoter's mark that something was left out. */
static int cut_mark(const char *t) {
  const char *u = rwd_skip_ws(t);
  return strcmp(u, "...") == 0 || strcmp(u, "…") == 0 || rwd_starts(u, "<snip") ||
         rwd_starts(u, "[snip") || rwd_starts(u, "[...]") || strstr(u, "(truncated)") ||
         strstr(u, "[truncated]") || strstr(u, "<truncated>") || strstr(u, "...truncated");
}

/* ---- the per-line entry point ------------------------------------------ */

static void scan_line(struct rwd_scan *s, const struct rwd_line *ln) {
  struct rwd_facts *f = &s->f;
  const char *t = ln->text;
  f->nlines = ln->no;
  f->seeds |= rwd_seed_mentions(t);

  char fn[RWD_NAME_MAX];
  int is_frame = rwd_frame_func(t, fn, sizeof fn);
  if (!is_frame && f->ngo && go_func_line(t, fn, sizeof fn)) {
    is_frame = 1;
    s->go_frame = 1;
  } else if (s->go_frame) {
    s->go_frame = 0;  /* the location line of a Go frame, or something else */
  }
  producer(f, ln, is_frame ? fn : NULL);
  if (is_frame) {
    frame_facts(f, ln, fn);
    s->head_frames++;
    /* Frames whose source or module is the sanitizer runtime are its own
     * too, even when inlined without a namespace ("onLockAfter"). */
    int runtime_module = strstr(t, "compiler-rt/lib") || strstr(t, "libsanitizer/") ||
                         strstr(t, "libtsan.so") || strstr(t, "libclang_rt.tsan");
    if (f->nreports == 1 && f->nframes < RWD_RFRAMES && !rwd_internal_frame(fn) &&
        !runtime_module)
      rwd_copy(f->frames[f->nframes++], sizeof f->frames[0], fn, strlen(fn));
  }
  if (cut_mark(t) && !f->truncated) {
    f->truncated = 1;
    snprintf(f->truncated_why, sizeof f->truncated_why,
             "whoever quoted it cut it (line %lu: \"%.40s\")", ln->no, rwd_skip_ws(t));
  }
  {
    const char *u = rwd_skip_ws(t);
    size_t ul = strlen(u);
    /* "Previous write ... by thread T2:", "Thread T1 ... created at:" and
     * the like announce a stack; the log must not stop right there. */
    s->after_colon = ul > 1 && u[ul - 1] == ':' && !is_frame && !rwd_starts(u, "goroutine ") &&
                     (strstr(u, " at") || strstr(u, " by ") || strstr(u, "created") ||
                      strstr(u, "enabled at"));
  }

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
  /* "thread apply all bt" pasted on its own: the threads are read as a
   * hang section would be (the verdict weighs it against any signal). */
  if (s->mode == MODE_NONE && !f->nhang && rwd_starts(t, "Thread ") &&
      isdigit((unsigned char)t[7]) && (strstr(t, "(Thread 0x") || strstr(t, "(LWP "))) {
    f->nhang = 1;
    f->hang.implicit = 1;
    rwd_quote_set(&f->hang.q, ln);
    rwd_copy(f->hang.tool, sizeof f->hang.tool, "debugger", 8);
    rwd_copy(f->hang.after, sizeof f->hang.after, "?", 1);
    rwd_copy(f->hang.pid, sizeof f->hang.pid, "?", 1);
    s->mode = MODE_HANG;
    s->hang_cur = -1;
    hang_line(s, ln);
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
  if (strstr(t, "WARNING: DATA RACE") || strstr(t, "WARNING: ThreadSanitizer: data race") ||
      strstr(t, "WARNING: ThreadSanitizer: Swift access race")) {
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

void rwd_scan_line(struct rwd_scan *s, const struct rwd_line *in) {
  struct rwd_line ln = *in;
  ln.text = strip_prefix(in->text);
  ln.len = in->len - (size_t)(ln.text - in->text);
  char fn[RWD_NAME_MAX];
  /* A backtrace with no headline above it (a debugger's "bt") is a
   * report of its own. */
  if (report_head(ln.text) || (!s->in_report && rwd_frame_func(ln.text, fn, sizeof fn))) {
    /* A headline close under the last one, with no stack between, is
     * the same incident ("can't find longjmp buf" then its CHECK). */
    int same = s->in_report && s->head_frames == 0 && ln.no - s->head_no <= 3;
    if (!same) open_report(s, &ln);
    else s->head_no = ln.no;
  }
  if (s->sub && s->in_report) scan_line(s->sub, &ln);
  scan_line(s, &ln);
}

void rwd_scan_finish(struct rwd_scan *s) {
  struct rwd_facts *f = &s->f;
  if (!s->is_sub) {
    close_report(s);
    if (f->nreports > RWD_REPORTS_MAX) f->nreports = RWD_REPORTS_MAX;
  }
  const char *why = NULL;
  char buf[RWD_TEXT_MAX];
  if (s->mode == MODE_RACE) {
    snprintf(buf, sizeof buf, "the race report at line %lu has no closing line",
             f->race.q.no);
    why = buf;
  } else if (s->mode == MODE_HANG && f->hang.nthreads &&
             f->hang.thread[f->hang.nthreads - 1].nframes == 0) {
    why = "the hang section stops at a thread with no frames";
  } else if (s->go_frame) {
    why = "the goroutine traceback stops in the middle of a frame";
  } else if (s->after_colon) {
    why = "the log stops at a line that announces a stack";
  } else if (rwd_logkind(f) == RWD_LOG_CXX && f->ncxx_warn > f->nsummary) {
    /* The C/C++ runtime closes every report with a SUMMARY line. */
    snprintf(buf, sizeof buf, "%d report(s) but %d SUMMARY line(s)", f->ncxx_warn,
             f->nsummary);
    why = buf;
  }
  if (why && !f->truncated) {
    f->truncated = 1;
    rwd_copy(f->truncated_why, sizeof f->truncated_why, why, strlen(why));
  }
  if (s->sub) {
    free(s->sub);
    s->sub = NULL;
  }
}

int rwd_scan_source(struct rwd_scan *s, struct rwd_source *src) {
  struct rwd_line ln;
  int rc;
  while ((rc = src->next(src, &ln)) > 0) rwd_scan_line(s, &ln);
  rwd_scan_finish(s);
  s->f.nbytes = src->nbytes;
  s->f.ntruncated = src->ntruncated;
  s->f.nbinary = src->nbinary;
  s->f.capped = src->capped;
  s->f.source_what = src->what;
  return rc < 0 ? -1 : 0;
}
