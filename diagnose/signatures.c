/* The signature table: what each crash shape means. Order is priority: the
 * first matching entry is the verdict, later matches are listed as "also
 * seen". Root causes come before their consequences: racewire's own FATAL
 * (it knows the task, the M and the context) before TSan's CHECKs, a bad
 * mapping before the CHECKs it provokes, a CHECK before the hang it can
 * leave behind (a second failing thread sleeps forever in CheckFailed), and
 * a data race report last, since it is a finding rather than a crash. */
#include <stdarg.h>
#include <string.h>

#include "rwd.h"

const struct rwd_seed rwd_seeds[RWD_SEEDS] = {
    {"000", "exit vs thread suspension deadlock", "Go issue 35775"},
    {"001", "race annotation with a retaken P", "Go issue 27660"},
    {"002", "callback task moved to another M", "Go issue 47441"},
    {"003", "panic unwinding across C frames leaving stale per-thread state", ""},
    {"004", "signal during attach/detach of a C-created thread", "Go issue 12277"},
};

/* ---- helpers for explain() -------------------------------------------- */

static void involve(rwd_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void involve(rwd_verdict *v, const char *fmt, ...) {
  if (v->ninvolved >= RWD_INVOLVED_MAX) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->involved[v->ninvolved++], sizeof v->involved[0], fmt, ap);
  va_end(ap);
}

static void cite(rwd_verdict *v, const struct rwd_quote *q) {
  if (!q->no || v->nevidence >= RWD_EVIDENCE_MAX) return;
  for (int i = 0; i < v->nevidence; i++)
    if (v->evidence[i]->no == q->no) return;
  v->evidence[v->nevidence++] = q;
}

static void cite_salient(const struct rwd_facts *f, rwd_verdict *v, int max) {
  for (int i = 0; i < f->nsalient && max > 0; i++, max--) cite(v, &f->salient[i]);
}

/* "tsan_rtl.cpp:358" from a CHECK. */
static void check_where(const struct rwd_check *c, char *buf, size_t n) {
  buf[0] = '\0';
  if (c->line > 0)
    rwd_appendf(buf, n, "%s:%ld", c->file, c->line);
  else
    rwd_appendf(buf, n, "%s", c->file);
}

static void explain_check(const struct rwd_check *c, const char *what,
                          rwd_verdict *v) {
  char where[RWD_NAME_MAX + 24];
  check_where(c, where, sizeof where);
  rwd_appendf(v->detail, sizeof v->detail, "%s CHECK, %s", what, where);
  involve(v, "OS thread tid %s: failed the CHECK \"%s\" at %s",
          c->tid[0] ? c->tid : "?", c->expr, where);
  cite(v, &c->q);
}

/* ---- racewire's own FATALs --------------------------------------------- */

enum { FAT_NONE = -2, FAT_OTHER = -1 };

/* Which seed a racewire FATAL is about: what it says ("seed 001") first,
 * else the words of its message. */
static int fatal_seed(const struct rwd_facts *f) {
  if (!f->nfatal) return FAT_NONE;
  for (int sd = 0; sd < RWD_SEEDS; sd++)
    if (f->fatal.seeds & (1u << sd)) return sd;
  const char *m = f->fatal.msg;
  if (strstr(m, "no processor") || strstr(m, "asked for the processor") ||
      strstr(m, "none wired") || strstr(m, "not wired") || strstr(m, "wired to"))
    return 1;
  if (strstr(m, "moved from") || strstr(m, "callback")) return 2;
  if (strstr(m, "unwind") || strstr(m, "longjmp") || strstr(m, "panic")) return 3;
  if (strstr(m, "attach") || strstr(m, "detach") || strstr(m, "signal")) return 4;
  if (strstr(m, "fini") || strstr(m, "finaliz") || strstr(m, "suspend") || strstr(m, "exit"))
    return 0;
  return FAT_OTHER;
}

static int m_fatal_000(const struct rwd_facts *f) { return fatal_seed(f) == 0; }
static int m_fatal_001(const struct rwd_facts *f) { return fatal_seed(f) == 1; }
static int m_fatal_002(const struct rwd_facts *f) { return fatal_seed(f) == 2; }
static int m_fatal_003(const struct rwd_facts *f) { return fatal_seed(f) == 3; }
static int m_fatal_004(const struct rwd_facts *f) { return fatal_seed(f) == 4; }
static int m_fatal_other(const struct rwd_facts *f) { return fatal_seed(f) == FAT_OTHER; }

static void x_fatal(const struct rwd_facts *f, rwd_verdict *v) {
  const struct rwd_fatal *ft = &f->fatal;
  rwd_appendf(v->detail, sizeof v->detail, "%.200s", ft->msg);
  involve(v, "racewire stopped the program: %s", ft->msg);
  cite(v, &ft->q);
  for (int i = 0; i < ft->ndetails; i++) {
    involve(v, "%s: %s", ft->detail[i].key, ft->detail[i].value);
  }
  if (f->nfatal > 1) involve(v, "%d racewire FATAL blocks in the log (the first is shown)", f->nfatal);
}

/* ---- TSan crash shapes --------------------------------------------------- */

static int m_fiber(const struct rwd_facts *f);
static int m_longjmp(const struct rwd_facts *f) { return f->nlongjmp > 0 && !m_fiber(f); }
static void x_longjmp(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "\"can't find longjmp buf\" at line %lu", f->longjmp.no);
  involve(v, "the thread that longjmp'ed%s%s", f->check.tid[0] ? ": tid " : "", f->check.tid);
  cite(v, &f->longjmp);
  if (f->ncheck) cite(v, &f->check.q);
}

static int check_is_mapping(const struct rwd_check *c) {
  return strstr(c->expr, "IsAppMem") || strstr(c->expr, "IsShadowMem") ||
         strstr(c->expr, "IsMetaMem") || strstr(c->file, "tsan_platform.h");
}
static int m_mapping(const struct rwd_facts *f) {
  return f->nmapping > 0 || f->nlayout > 0 || (f->ncheck && check_is_mapping(&f->check));
}
/* The three causes of a layout TSan cannot shadow, each with its fix. */
#define CAUSE_PIE                                                                       \
  "Go-mode TSan shadows only [0x1000, 0xe000000000): the program was linked as PIE "     \
  "(text and globals near 0x55.. or 0x7f..), or the managed heap was mapped above "      \
  "0xe000000000 or into the shadow range"
#define FIX_PIE                                                                         \
  "Link with -no-pie (compile with -fno-pie), and map the managed heap at a fixed "      \
  "address such as 0xc000000000, growing upward; call __tsan_map_shadow for data+bss "    \
  "first, then for the heap."
#define CAUSE_ASLR                                                                      \
  "the kernel randomizes mmap with more bits than this runtime's shadow layout allows "  \
  "(vm.mmap_rnd_bits=32, the default of many kernels since 6.5/6.6), so the binary or "  \
  "a library lands where TSan expects nothing; runtimes before LLVM 18 do not re-exec "   \
  "themselves without ASLR, and a sandbox can forbid the re-exec"
#define FIX_ASLR                                                                        \
  "Run 'sudo sysctl vm.mmap_rnd_bits=28' (on the host of a container), or start the "    \
  "program under 'setarch $(uname -m) -R'; or use a newer runtime (LLVM 18+ re-execs "    \
  "without ASLR by itself)."
#define CAUSE_OLD                                                                       \
  "the runtime's fixed layout does not fit this system at all: ASLR is already off, so " \
  "the runtime predates the kernel's placement of PIE binaries (Linux 4.1 with GCC < 6, "  \
  "GCC bug 67308), an arm64 kernel's VMA size the runtime was not built for "           \
  "(unsupported VMA range), or an emulator (qemu-user, Rosetta, OrbStack) maps itself "  \
  "where TSan keeps shadow (0x8000..)"
#define FIX_OLD                                                                         \
  "Use a runtime that knows this layout (a newer GCC or LLVM); with an old one, link "    \
  "without -pie; under an emulator, run natively."

static void x_mapping(const struct rwd_facts *f, rwd_verdict *v) {
  enum rwd_logkind k = rwd_logkind(f);
  int high = 0;
  const char *m = strstr(f->mapping.text, "mapping 0x");
  if (m) high = strncmp(m + 8, "0x8000", 6) == 0 && strlen(m + 8) > 14 && m[22] == '-';
  if (f->nlayout && (strstr(f->layout.text, "even though ASLR is disabled") ||
                     strstr(f->layout.text, "unsupported VMA range") ||
                     strstr(f->mapping.text, "even though"))) {
    v->cause = CAUSE_OLD, v->fix = FIX_OLD;
  } else if (f->nlayout) {
    v->cause = CAUSE_ASLR, v->fix = FIX_ASLR;
  } else if (k == RWD_LOG_GO || (f->ncheck && check_is_mapping(&f->check)) ||
             strstr(f->mapping.text, "at address") || strstr(f->mapping.text, "0x5555555")) {
    /* 0x555555554000 is where Linux puts a PIE binary with ASLR off:
     * fine for the C/C++ runtime, outside Go mode's range. */
    v->cause = CAUSE_PIE, v->fix = FIX_PIE;
  } else if (high) {
    v->cause = CAUSE_OLD, v->fix = FIX_OLD;
  } else if (k == RWD_LOG_CXX || rwd_starts(f->mapping.text, "FATAL: ThreadSanitizer")) {
    v->cause = CAUSE_ASLR, v->fix = FIX_ASLR;
  } else {
    v->cause = CAUSE_PIE, v->fix = FIX_PIE;
  }
  if (f->nlayout) {
    rwd_appendf(v->detail, sizeof v->detail, "%.200s", f->layout.text);
    cite(v, &f->layout);
    if (f->nmapping) cite(v, &f->mapping);
    return;
  }
  if (f->nmapping) {
    rwd_appendf(v->detail, sizeof v->detail, "%.200s", f->mapping.text);
    involve(v, "the process's address space: %s", f->mapping.text);
    cite(v, &f->mapping);
  }
  if (f->ncheck && check_is_mapping(&f->check)) {
    if (!f->nmapping) explain_check(&f->check, "address outside the application range", v);
    else cite(v, &f->check.q);
  }
}

static int m_dd(const struct rwd_facts *f) { return f->ndd > 0; }
static void x_dd(const struct rwd_facts *f, rwd_verdict *v) {
  if (strstr(f->dd.expr, "n_all_locks_") || strstr(f->dd.expr, "all_locks_with_contexts_")) {
    explain_check(&f->dd, "lock limit: one thread held 64 locks at once;", v);
  } else {
    explain_check(&f->dd, "deadlock detector", v);
  }
}

static int check_is_proc(const struct rwd_check *c) {
  static const char *const exprs[] = {
      "slot_locked", "proc->thr", "thr->proc1", "proc1", "c->pos", "!thr->slot",
      "!slot->thr", "idx"};
  if (strstr(c->file, "tsan_dense_alloc") || strstr(c->file, "tsan_rtl_proc")) return 1;
  for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++)
    if (strstr(c->expr, exprs[i])) return 1;
  return 0;
}
static int m_proc(const struct rwd_facts *f) {
  /* The C/C++ runtime gives every thread its own Processor; only fibers
   * move one (tsan-fiber-misuse). */
  return f->ncheck && check_is_proc(&f->check) && !strstr(f->check.file, "deadlock_detector") &&
         rwd_logkind(f) != RWD_LOG_CXX && !(strstr(f->check.expr, "thr->slot") &&
                                            !strstr(f->check.expr, "slot_locked"));
}
static void x_proc(const struct rwd_facts *f, rwd_verdict *v) {
  const struct rwd_check *c = &f->check;
  const char *what = strstr(c->expr, "slot_locked")       ? "slot_locked"
                     : strstr(c->file, "tsan_dense_alloc") ? "dense allocator"
                     : strstr(c->file, "tsan_rtl_proc")    ? "proc wiring"
                                                           : "processor state";
  explain_check(c, what, v);
  involve(v, "one TSan Processor (the P's context) in use by this thread and at least one other");
  if (f->ncheck > 1) involve(v, "%d CHECK failures in the log (the first is shown)", f->ncheck);
}

static int m_dense(const struct rwd_facts *f) { return f->ndense > 0; }
static void x_dense(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "%.200s", f->dense.text);
  involve(v, "TSan's global allocator of sync objects or heap blocks");
  cite(v, &f->dense);
}

static int m_ignores(const struct rwd_facts *f) { return f->nignores > 0; }
static void x_ignores(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "%.200s", f->ignores.text);
  involve(v, "%s", strstr(f->ignores.text, "main thread") ? "the main thread (task)"
                                                          : "the thread named in the report");
  cite(v, &f->ignores);
}

/* Only CHECKs no entry above explains, so "also seen" does not repeat one. */
static int m_check(const struct rwd_facts *f) {
  return f->ncheck > 0 && !check_is_proc(&f->check) && !check_is_mapping(&f->check) &&
         !strstr(f->check.file, "deadlock_detector") && !f->nlongjmp && !f->nunreach &&
         !(strstr(f->check.expr, "thr->slot") && !strstr(f->check.expr, "slot_locked")) &&
         !f->nlayout && !strstr(f->check.expr, "kMaxTid");
}
static void x_check(const struct rwd_facts *f, rwd_verdict *v) {
  explain_check(&f->check, "internal", v);
  if (f->ncheck > 1) involve(v, "%d CHECK failures in the log (the first is shown)", f->ncheck);
}


/* ---- families the C/C++ runtime adds --------------------------------------- */

static int is_kind(const struct rwd_facts *f, enum rwd_logkind k) { return rwd_logkind(f) == k; }

/* "thr->slot" alone (not slot_locked): a thread without its slot. */
static int check_is_slot(const struct rwd_check *c) {
  return strstr(c->expr, "thr->slot") && !strstr(c->expr, "slot_locked");
}

/* TSan's signal delivery against its slot: a signal handled while the
 * thread holds or waits for its slot. Go mode has no signal interceptor,
 * so a bare "thr->slot" CHECK there is the processor's business. */
static int m_signal_slot(const struct rwd_facts *f) {
  if (f->ncheck && check_is_slot(&f->check) && (!is_kind(f, RWD_LOG_GO) || f->nsig_handler))
    return 1;
  return f->nsig_handler && f->nslot_wait;
}
static void x_signal_slot(const struct rwd_facts *f, rwd_verdict *v) {
  if (f->ncheck && check_is_slot(&f->check)) {
    explain_check(&f->check, "thread slot", v);
  } else {
    rwd_appendf(v->detail, sizeof v->detail,
                "a thread waits for its slot (SlotLock) inside a signal handler");
    cite(v, &f->slot_wait);
  }
  cite(v, &f->sig_handler);
  if (f->nsig_handler)
    involve(v, "TSan's signal wrapper CallUserSignalHandler ran on this thread (line %lu)",
            f->sig_handler.no);
  if (f->nslot_wait)
    involve(v, "a thread blocked in %s (line %lu): the slot it waits for is held by "
               "the code the signal interrupted",
            strstr(f->slot_wait.text, "SlotAttachAndLock") ? "SlotAttachAndLock" : "SlotLock",
            f->slot_wait.no);
}

static int m_fiber(const struct rwd_facts *f) {
  int go = is_kind(f, RWD_LOG_GO), cxx = is_kind(f, RWD_LOG_CXX);
  int crash = f->ncheck || f->nsegv;
  if (f->ncheck && check_is_proc(&f->check) && !check_is_slot(&f->check) && cxx) return 1;
  if (f->nlongjmp && !go && f->nfiber) return 1;
  if (f->nfiber_destroy && crash) return 1;
  if (f->npthread_exit && f->nfiber && crash) return 1;
  if (go) return 0;
  if (f->nvarsize && crash) return 1;
  if (f->nonfinished && crash) return 1;
  /* A fault in func_entry is the shadow stack; on a fiber it is the
   * fiber switch that unbalanced it. */
  return f->nsegv && f->nfunc_entry && f->nfiber;
}
static void x_fiber(const struct rwd_facts *f, rwd_verdict *v) {
  const char *what;
  if (f->ncheck && check_is_proc(&f->check) && strstr(f->check.expr, "proc1")) {
    what = "switch to a fiber that is running on another thread (proc1 == nullptr)";
    explain_check(&f->check, "fiber switch", v);
    v->detail[0] = '\0';
  } else if (f->ncheck && check_is_proc(&f->check)) {
    what = "a fiber's processor used by two threads";
    explain_check(&f->check, "fiber processor", v);
    v->detail[0] = '\0';
  } else if (f->nlongjmp) {
    what = "longjmp onto another fiber's stack (can't find longjmp buf)";
    cite(v, &f->longjmp);
  } else if (f->npthread_exit && f->nfiber) {
    what = "pthread_exit called on a fiber";
  } else if (f->nfiber_destroy && f->nonfinished) {
    what = "destroyed a fiber that never ran (ThreadContext::OnFinished)";
    cite(v, &f->onfinished);
  } else if (f->nfiber_destroy) {
    what = "destroyed the current fiber or the thread's own fiber";
  } else if (f->nvarsize) {
    what = "shadow-stack underflow (VarSizeStackTrace::Init with a negative size)";
    cite(v, &f->varsize);
  } else if (f->nonfinished) {
    what = "destroyed a fiber that never ran (ThreadContext::OnFinished)";
    cite(v, &f->onfinished);
  } else {
    what = "shadow-stack underflow (SEGV in __tsan_func_entry)";
    cite(v, &f->func_entry);
  }
  rwd_appendf(v->detail, sizeof v->detail, "%s", what);
  if (f->nfiber) {
    involve(v, "fiber code on the stack: %s", rwd_skip_ws(f->fiber.text));
    cite(v, &f->fiber);
  }
  if (f->ncheck) cite(v, &f->check.q);
  cite(v, &f->segv);
  cite(v, &f->segfault);
}

static int m_ideadlock(const struct rwd_facts *f) { return f->nideadlock > 0; }
static void x_ideadlock(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "%.200s", rwd_skip_ws(f->ideadlock.text));
  cite(v, &f->ideadlock);
  if (f->nsig_handler) cite(v, &f->sig_handler);
}

/* Older runtimes hit the thread table's end as a CHECK on kMaxTid. */
static int check_is_limit(const struct rwd_facts *f) {
  return f->ncheck && strstr(f->check.expr, "kMaxTid");
}
static int m_limit(const struct rwd_facts *f) { return f->nlimit > 0 || check_is_limit(f); }
static void x_limit(const struct rwd_facts *f, rwd_verdict *v) {
  if (f->nlimit) {
    rwd_appendf(v->detail, sizeof v->detail, "%.200s", rwd_skip_ws(f->limit.text));
    cite(v, &f->limit);
  } else {
    explain_check(&f->check, "thread id past kMaxTid:", v);
  }
}

static int m_unreachable(const struct rwd_facts *f) { return f->nunreach > 0; }
static void x_unreachable(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "%.200s", rwd_skip_ws(f->unreach.text));
  cite(v, &f->unreach);
}

static int m_oom(const struct rwd_facts *f) { return f->noom > 0; }
static void x_oom(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "%.200s", rwd_skip_ws(f->oom.text));
  cite(v, &f->oom);
}

static int m_unsafe(const struct rwd_facts *f) { return f->nunsafe > 0; }
static void x_unsafe(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "signal-unsafe call");
  if (f->nframes) rwd_appendf(v->detail, sizeof v->detail, " %s()", f->frames[0]);
  cite(v, &f->unsafe);
  if (f->nsig_handler) cite(v, &f->sig_handler);
}

static int m_report(const struct rwd_facts *f) { return f->nwarn > 0; }
static void x_report(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "%s", f->warn_kind);
  if (f->nframes) rwd_appendf(v->detail, sizeof v->detail, " in %s", f->frames[0]);
  cite(v, &f->warn);
}

static int m_callback(const struct rwd_facts *f) {
  return f->ncallback_thunk > 0 && (f->nsegv > 0 || f->ncheck > 0);
}
static void x_callback(const struct rwd_facts *f, rwd_verdict *v) {
  rwd_appendf(v->detail, sizeof v->detail, "SIGSEGV in racecallbackthunk (GetProc with no P)");
  involve(v, "the M that asked TSan's callback for its Processor while holding no P");
  cite(v, &f->callback_thunk);
  cite(v, &f->segfault);
  cite(v, &f->segv);
}

/* ---- hangs ----------------------------------------------------------------- */

/* An exit-time hang: one thread exiting, another one stopped in a signal
 * handler, a suspension or a futex wait. Returns the pair, or 0. */
static int exit_pair(const struct rwd_facts *f, int *ex, int *wt) {
  const struct rwd_hang *h = &f->hang;
  /* A thread stopped by a signal is the better partner than one blocked on
   * a futex (the suspender itself often waits on one). */
  static const unsigned want[2] = {RWD_HT_SIGNAL, RWD_HT_WAIT};
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < h->nthreads; i++) {
      if (!(h->thread[i].flags & RWD_HT_EXIT)) continue;
      for (int j = 0; j < h->nthreads; j++) {
        if (j != i && (h->thread[j].flags & want[pass])) {
          *ex = i;
          *wt = j;
          return 1;
        }
      }
    }
  return 0;
}

/* A debugger's dump is a hang only when nothing in the log says the
 * process died (a signal, a CHECK): then it is the crash's backtrace. */
static int real_hang(const struct rwd_facts *f) {
  return f->nhang > 0 && !(f->hang.implicit && (f->nsegv || f->ncheck || f->nraces));
}
static int m_hang_exit(const struct rwd_facts *f) {
  int a, b;
  return real_hang(f) && exit_pair(f, &a, &b);
}
static int m_hang(const struct rwd_facts *f) { return real_hang(f) && !m_hang_exit(f); }

static void involve_threads(const struct rwd_facts *f, rwd_verdict *v) {
  const struct rwd_hang *h = &f->hang;
  for (int i = 0; i < h->nthreads; i++) {
    const struct rwd_hthread *th = &h->thread[i];
    char top[RWD_TEXT_MAX] = "";
    for (int k = 0; k < th->nframes && k < RWD_TOPFRAMES; k++)
      rwd_appendf(top, sizeof top, "%s%s", k ? " <- " : "", th->top[k]);
    if (!th->nframes) rwd_appendf(top, sizeof top, "(no frames)");
    involve(v, "%s (line %lu): %s", th->id, th->no, top);
  }
  if (h->threads_dropped) involve(v, "... and %lu more threads", h->threads_dropped);
}

static void x_hang_exit(const struct rwd_facts *f, rwd_verdict *v) {
  const struct rwd_hang *h = &f->hang;
  int e = 0, w = 0;
  exit_pair(f, &e, &w);
  rwd_appendf(v->detail, sizeof v->detail, "%s in %s while %s waits in %s",
              h->thread[e].id, h->thread[e].exit_frame, h->thread[w].id,
              h->thread[w].wait_frame);
  involve(v, "pid %s, hung for %s, stacks by %s", h->pid, h->after, h->tool);
  involve_threads(f, v);
  cite(v, &h->q);
}

static void x_hang(const struct rwd_facts *f, rwd_verdict *v) {
  const struct rwd_hang *h = &f->hang;
  rwd_appendf(v->detail, sizeof v->detail, "hung after %s, %d thread(s)", h->after,
              h->nthreads);
  if (h->nthreads && h->thread[0].nframes)
    rwd_appendf(v->detail, sizeof v->detail, "; %s in %s", h->thread[0].id, h->thread[0].top[0]);
  involve(v, "pid %s, hung for %s, stacks by %s", h->pid, h->after, h->tool);
  involve_threads(f, v);
  cite(v, &h->q);
}

/* ---- SEGV and races ---------------------------------------------------------- */

static int m_segv(const struct rwd_facts *f) { return f->nsegv > 0; }
static void x_segv(const struct rwd_facts *f, rwd_verdict *v) {
  if (f->nproc_frames)
    rwd_appendf(v->detail, sizeof v->detail, "SEGV in TSan's processor/allocator code");
  else if (f->ntsan_frames)
    rwd_appendf(v->detail, sizeof v->detail, "SEGV with TSan runtime frames");
  else if (f->nframes)
    rwd_appendf(v->detail, sizeof v->detail, "SEGV under %s", f->frames[0]);
  else
    rwd_appendf(v->detail, sizeof v->detail, "SEGV, no stack in the log");
  cite(v, &f->deadly);
  cite(v, &f->segv);
  cite(v, &f->segfault);
  cite(v, &f->proc_frame);
  cite(v, &f->tsan_frame);
  if (f->segv.no) involve(v, "the faulting thread: %s", f->segv.text);
  if (f->ntsan_frames)
    involve(v, "%d frame(s) inside the TSan runtime, the first: %s", f->ntsan_frames,
            rwd_skip_ws(f->tsan_frame.text));
  else if (f->nframes)
    involve(v, "the first frame outside TSan: %s", f->frames[0]);
  else
    involve(v, "no stack: the Go-mode runtime installs no SEGV handler, so the kernel's "
               "signal is all there is; rerun with TSAN=debug to turn it into a CHECK");
}

static int m_race(const struct rwd_facts *f) { return f->nraces > 0; }
static void x_race(const struct rwd_facts *f, rwd_verdict *v) {
  const struct rwd_race *r = &f->race;
  long n = f->found_races >= 0 ? f->found_races
           : f->reported_warnings >= 0 ? f->reported_warnings : f->nraces;
  if (r->naccess >= 2)
    rwd_appendf(v->detail, sizeof v->detail, "%s by %s in %s vs %s by %s in %s at %s",
                r->access[0].kind, r->access[0].who,
                r->access[0].top.func[0] ? r->access[0].top.func : "?", r->access[1].kind,
                r->access[1].who, r->access[1].top.func[0] ? r->access[1].top.func : "?",
                r->access[0].addr);
  else if (r->naccess == 1)
    rwd_appendf(v->detail, sizeof v->detail, "%s by %s at %s; report truncated",
                r->access[0].kind, r->access[0].who, r->access[0].addr);
  else
    rwd_appendf(v->detail, sizeof v->detail, "report truncated before its accesses");
  rwd_appendf(v->detail, sizeof v->detail, "; %ld report(s)", n);
  for (int i = 0; i < r->naccess; i++) {
    const struct rwd_access *a = &r->access[i];
    involve(v, "%s at %s by %s in %s%s%s%s (line %lu)", a->kind, a->addr, a->who,
            a->top.func[0] ? a->top.func : "?", a->top.func[0] ? "()" : "",
            a->top.loc[0] ? " at " : "", a->top.loc, a->no);
  }
  for (int i = 0; i < r->ncreated; i++) {
    const struct rwd_created *c = &r->created[i];
    involve(v, "%s created at %s%s%s", c->who, c->top.func[0] ? c->top.func : "?",
            c->top.loc[0] ? " " : "", c->top.loc);
  }
  if (r->location.no) involve(v, "%s", r->location.text);
  cite(v, &r->q);
  cite(v, &f->race_summary);
  if (f->nraces > 1 || n > 1)
    involve(v, "%d report block(s) in the log, %ld counted by TSan (the first is shown)",
            f->nraces, n);
}

/* ---- the table ----------------------------------------------------------------- */

#define FATAL_FIX                                                                     \
  "Read the racewire detail lines above: they name the task, the M and the "          \
  "context. Fix the runtime's transition that lost the invariant; keep "               \
  "policy=abort in CI so the misuse stays loud. "

static const struct rwd_sig table[] = {
    {"rw-fatal-no-proc", "racewire stopped an annotation on an M with no wired processor", 1,
     "every annotation and every GetProc answer must come from a thread that owns a wired "
     "P context (a P is wired to at most one M at a time)",
     "the runtime annotated (or TSan asked for the Processor) on an M whose P was retaken "
     "or never wired: typically exitsyscall/foreign-call return annotating before it "
     "re-acquired a P, or the monitor retook the P while the M still emitted annotations",
     FATAL_FIX "Wire a P before the first annotation after a foreign call (racewire "
     "defers the closing acquire until rw_proc_wire); for rare runtime-internal work use "
     "policy=borrow. See seed 001.",
     m_fatal_001, x_fatal},
    {"rw-fatal-task-moved", "racewire stopped a callback whose task moved to another M", 2,
     "a task in a callback from foreign code stays on the M it arrived on until all of "
     "its cleanup has run",
     "the scheduler let the callback's task be preempted or rescheduled onto another M "
     "before the callback returned to C (the return would run on the wrong stack)",
     FATAL_FIX "Pin the task for the whole callback (rw_callback_enter/leave) and do not "
     "unpin before the cleanup; the scheduler must skip pinned tasks. See seed 002.",
     m_fatal_002, x_fatal},
    {"rw-fatal-unwind", "racewire found stale per-thread state after an unwind", 3,
     "an unwind across foreign frames restores the M's per-thread state (call depth, "
     "unwind records, pinning, wired P, signal mask, TSan shadow stack)",
     "a panic or longjmp skipped frames without running their exit bookkeeping",
     FATAL_FIX "Route every unwind through rw_unwind_to(record) so the skipped frames "
     "are closed. See seed 003.",
     m_fatal_003, x_fatal},
    {"rw-fatal-attach", "racewire stopped a signal or misuse during thread attach/detach", 4,
     "attach and detach of a foreign-created thread run with all signals blocked and "
     "restore the thread's own mask afterwards",
     "a signal arrived while a C-created thread was half attached or half detached",
     FATAL_FIX "Attach and detach only through rw_thread_attach/rw_thread_detach, which "
     "block signals for the transition. See seed 004.",
     m_fatal_004, x_fatal},
    {"rw-fatal-exit", "racewire stopped a misuse around finalization or suspension", 0,
     "finalization runs once, from an M that gave up its P and marked itself as in "
     "external code; a suspender never stops a thread in external code",
     "a thread was suspended (or asked to be) while another thread ran __tsan_fini, or "
     "finalization was entered twice",
     FATAL_FIX "Exit through rw_fini and make the suspender take the per-M external-code "
     "word first. See seed 000.",
     m_fatal_000, x_fatal},
    {"rw-fatal", "racewire stopped the program", -1,
     "the racewire invariant named in the FATAL block",
     "see the FATAL message and its detail lines",
     FATAL_FIX, m_fatal_other, x_fatal},

    {"tsan-fiber-misuse", "fiber API misuse under TSan", -1,
     "a fiber runs on one thread at a time, is switched to only by __tsan_switch_to_fiber "
     "from the thread that will run it, is destroyed only when it is neither current nor "
     "the thread's own fiber, and keeps its shadow stack balanced (every func_entry has "
     "its func_exit on the same fiber)",
     "switching to a fiber that is still running on another thread (proc1 == nullptr), "
     "destroying the current fiber or the thread's own fiber, pthread_exit on a fiber, "
     "a longjmp onto another fiber's stack (can't find longjmp buf), an instrumented "
     "function that calls __tsan_switch_to_fiber (its func_exit pops the new fiber's "
     "empty shadow stack: a SEGV in __tsan_func_entry or VarSizeStackTrace::Init with a "
     "negative size, Tencent/flare#197), or destroying a fiber that never ran "
     "(ThreadContext::OnFinished, ClickHouse#49673/#52185, fixed in LLVM by "
     "llvm/llvm-project#171766)",
     "Switch only to fibers that are parked; call __tsan_switch_to_fiber from a "
     "non-instrumented (no_sanitize(\"thread\")) function right before the stack switch; "
     "destroy a fiber after switching away from it, never the current one; switch a "
     "never-run fiber in once before destroying it; switch stacks with swapcontext or "
     "the fiber API, not longjmp; exit threads, not fibers.",
     m_fiber, x_fiber},
    {"tsan-signal-slot", "a signal handled while the thread held or waited for its TSan slot", -1,
     "TSan delivers a signal to the program's handler only when the thread can take its "
     "slot; a thread never waits for a slot it or the interrupted code already holds",
     "a signal arrived while the thread was inside TSan holding or acquiring its slot "
     "(freeing memory, finishing a thread or fiber): the handler's own TSan call then "
     "waits for the slot forever (threads stuck in SlotLock/FutexWait under "
     "CallUserSignalHandler) or finds none (CHECK thr->slot != 0); a TSan bug of LLVM 14-16 "
     "(google/sanitizers#1540, #1541)",
     "Use a runtime with the fix (LLVM 17+); until then block asynchronous signals around "
     "thread and fiber teardown, or keep signal handlers free of TSan-visible work "
     "(atomics, malloc, locks).",
     m_signal_slot, x_signal_slot},
    {"tsan-longjmp-buf", "longjmp to a frame TSan never saw (can't find longjmp buf)", 3,
     "every longjmp/unwind target must be a setjmp TSan recorded on the same thread, and "
     "per-thread state must be restored to that frame",
     "a panic or longjmp unwound across C frames to a runtime frame TSan does not know "
     "(a jmp_buf from another thread, or one whose frame was already left), leaving the "
     "shadow stack and per-thread state stale",
     "Unwind through racewire (rw_unwind_to), which replays func_exit for each skipped "
     "frame and restores the M's state; never longjmp across a foreign-call bracket. See "
     "seed 003.",
     m_longjmp, x_longjmp},
    {"tsan-bad-mapping", "memory layout TSan cannot shadow", -1,
     "all application memory (binary, data, bss, managed heap) lies in "
     "[0x1000, 0xe000000000), where Go-mode TSan has shadow",
     "the program was linked as PIE (text and globals near 0x55.. or 0x7f..), or the "
     "managed heap was mapped above 0xe000000000 or into the shadow range",
     "Link with -no-pie (compile with -fno-pie), and map the managed heap at a fixed "
     "address such as 0xc000000000, growing upward; call __tsan_map_shadow for data+bss "
     "first, then for the heap.",
     m_mapping, x_mapping},
    {"tsan-dd-check", "deadlock detector internal CHECK failed", -1,
     "the deadlock detector's per-thread lock state (epoch, held locks) matches its "
     "global graph",
     "one thread held more locks at once than the detector's fixed table (64: "
     "n_all_locks_ < 64), mutex annotations arrived on a different thread state than the "
     "one that locked (a task moved between threads), or lock/unlock annotations were "
     "unbalanced (a Java-style or recursive unlock the detector did not see locked)",
     "Hold fewer locks at once (lock in batches), balance lock/unlock annotations per "
     "thread, or run with TSAN_OPTIONS=detect_deadlocks=0 (races are still found).",
     m_dd, x_dd},
    {"tsan-proc-misuse", "two threads used one TSan Processor", 1,
     "a P's TSan Processor is used by at most one OS thread at a time: the GetProc "
     "callback answers from the calling M's own wiring, never a stale or shared context",
     "the runtime's GetProc callback returned the same Processor to two threads (a P "
     "retaken while its old M still annotated, or a global 'current proc'); the "
     "Processor's allocator caches and slot lock were used concurrently",
     "Answer GetProc from the calling M's wired P only (racewire does this), and never "
     "annotate from an M without a wired P: wire first, then annotate. See seed 001.",
     m_proc, x_proc},
    {"tsan-dense-overflow", "TSan's dense slab allocator overflowed", -1,
     "sync objects and heap blocks registered with TSan are freed again: every "
     "__tsan_malloc has its __tsan_free, sync objects go with their memory",
     "the runtime registers heap blocks or creates sync objects (acquire/release on fresh "
     "addresses) without ever freeing the ranges, or a corrupted per-Processor cache "
     "(seed 001) leaks indices",
     "Call __tsan_free when the managed heap frees or reuses memory (GC sweep), and check "
     "Processor wiring (seed 001) if the count grows without a leak.",
     m_dense, x_dense},
    {"tsan-ignores-at-exit", "a thread finished with TSan ignores enabled", 3,
     "every ignore_begin has its ignore_end on the same thread before the thread (or the "
     "program) finishes",
     "an unwind (panic, longjmp) skipped the frame that would have ended the ignore, or an "
     "error path returned early",
     "End ignores in the unwind path too: register the ignore in the M's unwind record "
     "(racewire restores it on rw_unwind_to). See seed 003.",
     m_ignores, x_ignores},
    {"tsan-unreachable", "TSan reached code it holds unreachable", -1,
     "TSan's internal state machine never takes an impossible branch",
     "\"unreachable called\": atexit() reached TSan's interceptor, whose real function is "
     "a stub that must never run (a module called atexit through the dynamic symbol: a "
     "shared library built against an old glibc, or code run before TSan initialised); "
     "an UNREACHABLE CHECK: TSan state corrupted by API misuse (a fiber or thread state "
     "used after it ended, unbalanced annotations)",
     "For atexit: register exit handlers with __cxa_atexit or a C++ static, rebuild the "
     "module against the current glibc, and load the TSan runtime first. For a CHECK: "
     "look the file and message up in compiler-rt and check fiber and annotation pairing.",
     m_unreachable, x_unreachable},
    {"tsan-internal-deadlock", "TSan re-entered itself while holding an internal mutex", -1,
     "TSan takes its internal mutexes in one fixed order and never re-enters itself while "
     "holding one (the debug runtime checks this order)",
     "code that calls into TSan ran while TSan was inside a locked section on the same "
     "thread: a signal handler doing TSan-visible work, a GetProc or symbolizer callback "
     "that annotates, or a fiber switch or finalizer inside an interceptor",
     "Keep signal handlers and TSan callbacks free of annotations, malloc and locks; in "
     "a runtime, answer GetProc from plain per-thread state (racewire does) and never "
     "annotate from inside a TSan callback.",
     m_ideadlock, x_ideadlock},
    {"tsan-thread-limit", "more live threads (goroutines) than TSan can track", -1,
     "at most 8128 threads or goroutines are alive at once under TSan (its thread "
     "table's size)",
     "the program keeps too many goroutines or threads alive at once (a leak, an "
     "unbounded worker pool, a test spawning one per item)",
     "Bound the concurrency (a worker pool, a semaphore), fix the goroutine leak, or run "
     "the test with fewer items under -race.",
     m_limit, x_limit},
    {"tsan-oom", "TSan ran out of memory", -1,
     "TSan's shadow, stack depot and allocator fit in the address space and memory limits",
     "the process (with TSan's 5-8x memory overhead) hit RAM, ulimit -v or a container "
     "limit, or keeps too much history",
     "Give the process more memory or lift ulimit -v; lower TSan's history "
     "(TSAN_OPTIONS=history_size=0) or run fewer threads.",
     m_oom, x_oom},
    {"tsan-check", "TSan internal CHECK failed", -1,
     "TSan's internal consistency, which its C ABI does not defend against misuse",
     "most often a runtime contract broken earlier: a Processor shared by two threads, a "
     "ThreadState used after __tsan_go_end, annotations after __tsan_fini",
     "Rerun with the debug runtime (TSAN=debug) and racewire's checks on (policy=abort); "
     "look at the CHECK's file and expression in compiler-rt's source.",
     m_check, x_check},

    {"go-racecallback-no-p", "SIGSEGV in racecallbackthunk: TSan asked for a Processor on an M with no P", 1,
     "TSan's GetProc callback (racecallbackthunk -> racecallback) answers from the calling "
     "M's P; every race annotation comes from an M that holds a P",
     "Go runtime code made a race call (raceacquire, racemalloc, racefree) on a thread "
     "with no P: a signal handler, an exiting or spinning M, a cgo callback before it "
     "got its P, so getg().m.p was nil when TSan asked for the Processor",
     "Annotate only where the M holds a P (or pass the P's racectx explicitly); racewire's "
     "guard names such a call (rw-fatal-no-proc). See seed 001 (Go issue 27660).",
     m_callback, x_callback},
    {"hang-exit-suspend", "hang at exit: finalizer vs a suspended thread", 0,
     "a thread in external code (like __tsan_fini) is never suspended, and a thread being "
     "suspended cannot enter external code until the suspender is done",
     "one thread runs exit-time code (__tsan_fini/Finalize/exit) and needs a lock or an "
     "answer from a thread that was stopped in a signal handler (suspension for "
     "preemption or stop-the-world) and will never resume, since the suspender is "
     "itself waiting for the exit",
     "Exit through rw_fini: it gives up the P and takes the per-M external-code word by "
     "CAS, which the suspender must also take before suspending. See seed 000.",
     m_hang_exit, x_hang_exit},
    {"hang", "the program hung", -1, "the program makes progress and exits",
     "see the threads' top frames: a lock cycle, a lost wake-up, or a thread stopped "
     "for good",
     "Look for the thread every other one waits for; rerun under the stress runner "
     "with a longer timeout to rule out slowness.",
     m_hang, x_hang},
    {"tsan-segv", "segmentation fault in or under the TSan runtime", 1,
     "TSan's C ABI gets valid arguments: a wired, unshared Processor from GetProc, a live "
     "ThreadState, addresses inside mapped shadow",
     "with the release runtime, two threads sharing one Processor (or a NULL Processor "
     "from GetProc) corrupt allocator caches and crash here instead of a CHECK; a "
     "ThreadState used after __tsan_go_end, or an address without shadow, also crash",
     "Rerun with TSAN=debug to get the CHECK that names the broken invariant; make "
     "GetProc answer from the calling M's wiring (racewire does). See seed 001.",
     m_segv, x_segv},
    {"tsan-signal-unsafe", "signal-unsafe call inside a signal handler", -1,
     "a signal handler calls only async-signal-safe functions",
     "the handler (or code it calls: exit handlers, logging, a C++ destructor) called "
     "malloc, free, locks or stdio, which can deadlock or corrupt the interrupted code",
     "Do only async-signal-safe work in the handler (set a flag, write to a pipe) and do "
     "the rest outside it; _exit instead of exit.",
     m_unsafe, x_unsafe},
    {"tsan-report", "TSan reported a bug other than a data race", -1,
     "the program's use of memory, mutexes and threads follows their contracts",
     "see the report's kind: heap-use-after-free, lock-order-inversion (potential "
     "deadlock), thread leak, destroy of a locked mutex, unlock of an unlocked mutex",
     "Fix the program at the first frames of the report; a lock-order inversion needs one "
     "global lock order.",
     m_report, x_report},
    {"data-race", "data race reported by TSan", -1,
     "accesses to shared memory from different tasks are ordered by happens-before",
     "two tasks accessed the same memory without synchronization, or the runtime missed "
     "an acquire/release (channel, mutex, foreign-call bracket) that orders them",
     "If the program really races, fix the program. If it is correct, find the "
     "synchronization the runtime does not annotate (the foreign-call bracket's "
     "release/acquire, a channel handoff) and annotate it.",
     m_race, x_race},
};

void rwd_classify(const struct rwd_facts *f, rwd_verdict *v) {
  memset(v, 0, sizeof *v);
  v->seed = -1;
  v->kind = rwd_logkind(f);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const struct rwd_sig *s = &table[i];
    if (!s->match(f)) continue;
    if (!v->sig) {
      v->sig = s;
      v->seed = s->seed;
      v->seed_certain = s->seed >= 0;
      s->explain(f, v);
    } else if (v->nalso < (int)(sizeof v->also / sizeof v->also[0])) {
      v->also[v->nalso++] = s;
    }
  }
  const char *id = v->sig ? v->sig->id : "";
  if (strcmp(id, "tsan-segv") == 0) {
    /* A SEGV names no invariant. Seed 001 (a shared or NULL Processor
     * under the release runtime) is shown by Processor or allocator
     * frames; in racewire's own runs it is the known cause; a fault in
     * __tsan_func_enter is the shadow stack, not the Processor. */
    if (f->nproc_frames) {
      v->seed_certain = 1;
    } else if (f->nrw && !f->nfunc_entry) {
      v->seed_certain = 0;
    } else {
      v->seed = -1;
      snprintf(v->seed_note, sizeof v->seed_note,
               f->nfunc_entry ? "no seed: the fault is in the shadow stack (func_enter), "
                                "not in the Processor"
                              : "no seed: seed 001 (a shared Processor) is one cause of such a "
                                "SEGV, but nothing in the log shows the Processor");
    }
    if (v->kind != RWD_LOG_GO)
      v->cause = "a wild pointer in the program under instrumentation, memory TSan cannot "
                 "shadow, or TSan's own state corrupted by misuse of its APIs (fibers, "
                 "ignores, annotations)";
  }
  if (strcmp(id, "go-racecallback-no-p") == 0) v->seed_certain = 0;
  if (strcmp(id, "tsan-ignores-at-exit") == 0 && v->kind != RWD_LOG_GO)
    v->cause = "an ignore begun on this thread (AnnotateIgnoreReadsBegin, "
               "__tsan_ignore_thread_begin, an interceptor's scoped ignore, OpenMP's Archer "
               "around reductions) was still on when the thread exited";
  if (strcmp(id, "tsan-longjmp-buf") == 0 && v->kind != RWD_LOG_GO)
    v->cause = "a longjmp whose jmp_buf TSan did not record on this thread: a jump onto "
               "another stack (a coroutine or fiber switch done with longjmp), a jmp_buf "
               "from another thread, or a C library whose pointer mangling the runtime does "
               "not decode (glibc 2.44 with an older LLVM, llvm/llvm-project#216558)";
  if (strcmp(id, "rw-fatal") == 0) {
    for (int sd = 0; sd < RWD_SEEDS; sd++)
      if (f->seeds & (1u << sd)) {
        v->seed = sd;
        v->seed_certain = 0;
        break;
      }
  }
  /* The seeds are bugs of Go's runtime driving Go-mode TSan: a C/C++
   * log cannot show one, and a log that does not say who wrote it can
   * only suggest one. */
  if (v->seed >= 0) {
    const char *q = f->go_q.no ? f->go_q.text : f->rw_q.text;
    unsigned long qn = f->go_q.no ? f->go_q.no : f->rw_q.no;
    if (v->kind == RWD_LOG_CXX) {
      snprintf(v->seed_note, sizeof v->seed_note,
               "no seed: seed %s is a bug of Go's runtime and this log is from the C/C++ "
               "runtime (line %lu: %.80s)",
               rwd_seeds[v->seed].name, f->cxx_q.no, f->cxx_q.text);
      v->seed = -1;
    } else if (v->kind != RWD_LOG_GO && strcmp(id, "tsan-proc-misuse") != 0) {
      /* Only a Processor CHECK is Go-mode's own shape; ignores left on,
       * a lost longjmp buf or a SEGV are common in C/C++ programs. */
      snprintf(v->seed_note, sizeof v->seed_note,
               "no seed: seed %s would need a Go-mode log, and nothing in this one says "
               "which runtime wrote it",
               rwd_seeds[v->seed].name);
      v->seed = -1;
    } else if (v->kind != RWD_LOG_GO) {
      v->seed_certain = 0;
      snprintf(v->seed_note, sizeof v->seed_note,
               "a guess: nothing in the log says whether Go-mode TSan wrote it");
    } else {
      snprintf(v->seed_note, sizeof v->seed_note, "%s: Go-mode log (line %lu: %.80s)",
               v->seed_certain ? "evidence" : "a guess", qn, q);
    }
  }
  if (v->sig && v->seed < 0 && !v->seed_note[0] && v->kind == RWD_LOG_CXX)
    snprintf(v->seed_note, sizeof v->seed_note,
             "no seed: the seeds are bugs of Go's runtime, and this log is from the C/C++ "
             "runtime (line %lu: %.80s)",
             f->cxx_q.no, f->cxx_q.text);
  if (!v->sig) cite_salient(f, v, RWD_EVIDENCE_MAX);
  else cite_salient(f, v, 4);
}
