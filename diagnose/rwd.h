/* racewire-diagnose: types shared by the diagnoser's files.
 *
 * The pipeline is  source -> scanner -> classifier -> renderer:
 *   input.c      a source yields sanitized, length-capped lines, streaming;
 *   scan.c       the scanner turns lines into facts (bounded, no heap);
 *   signatures.c the table of signatures turns facts into a verdict;
 *   render.c     the verdict is printed as text, one line or JSON;
 *   main.c       the command line.
 * A second input (a flight record) gets its own source and scanner and adds
 * its facts next to the log's in struct rwd_facts; the classifier and the
 * renderers read only facts, so they need no change to learn a new input.
 *
 * Memory is bounded whatever the input: every string is copied into a
 * fixed-size array with truncation, every list has a cap and a counter of
 * what was dropped. */
#ifndef RWD_H
#define RWD_H

#include <stddef.h>
#include <stdio.h>

enum {
  RWD_LINE_MAX = 4096,    /* bytes of one log line kept; the rest is dropped */
  RWD_TEXT_MAX = 320,     /* bytes of a quoted line kept in the facts */
  RWD_NAME_MAX = 160,     /* function names, file:line, keys */
  RWD_SALIENT_MAX = 24,   /* salient lines kept for the verdict */
  RWD_THREADS_MAX = 64,   /* threads of a captured hang */
  RWD_TOPFRAMES = 3,      /* frames kept per hung thread */
  RWD_DETAILS_MAX = 16,   /* "racewire:   key: value" lines per FATAL */
  RWD_ACCESS_MAX = 4,     /* accesses kept from the first race report */
  RWD_CREATED_MAX = 4,    /* "Goroutine N ... created at" kept */
  RWD_INVOLVED_MAX = 16,  /* lines of the verdict's "involved" list */
  RWD_EVIDENCE_MAX = 12,  /* quoted log lines in a verdict */
  RWD_SEEDS = 5,          /* seeds 000..004 */
  RWD_REPORTS_MAX = 16,   /* reports of one log analysed one by one */
  RWD_RFRAMES = 4         /* frames outside TSan kept per report (grouping) */
};

/* What is read of a log that is not a regular file (a pipe, a FIFO, a
 * device such as /dev/zero): it may never end, so it is cut here. */
#define RWD_SPECIAL_CAP (64ull << 20)

/* One line of input, NUL-terminated, with no NUL or control bytes inside. */
struct rwd_line {
  const char *text;
  size_t len;
  unsigned long no;       /* 1-based line number in its source */
  int truncated;          /* the line was longer than RWD_LINE_MAX */
};

/* A line source. next() returns 1 with a line, 0 at the end, -1 on a read
 * error (errno kept in err). The line stays valid until the next call. */
struct rwd_source {
  const char *name;       /* for messages: the path, or "<stdin>" */
  int err;
  unsigned long long nbytes;
  unsigned long ntruncated;  /* lines cut at RWD_LINE_MAX */
  unsigned long nbinary;     /* NUL/control bytes replaced */
  unsigned long long cap;    /* bytes read at most (0: no bound) */
  const char *what;          /* "a FIFO", "a character device"...: not a file */
  int capped;                /* reading stopped at cap */
  int (*next)(struct rwd_source *, struct rwd_line *);
  void (*close)(struct rwd_source *);
  void *impl;
};

/* path NULL or "-" reads stdin. Returns 0, or -1 with errno set. */
int rwd_source_open_log(struct rwd_source *src, const char *path);
/* A source over a caller-owned buffer (the fuzz target and tests). */
int rwd_source_open_mem(struct rwd_source *src, const char *name,
                        const void *data, size_t size);

/* ---- facts ---------------------------------------------------------- */

struct rwd_quote {
  unsigned long no;       /* 0: absent */
  char text[RWD_TEXT_MAX];
};

struct rwd_frame {
  char func[RWD_NAME_MAX];
  char loc[RWD_NAME_MAX]; /* file:line, may be empty */
};

struct rwd_check {
  struct rwd_quote q;
  char file[RWD_NAME_MAX];
  long line;
  char expr[RWD_TEXT_MAX];
  char tid[24];
};

struct rwd_access {
  char kind[32];          /* Read, Write, Previous write, ... */
  char addr[32];
  char who[64];           /* "goroutine 3", "main goroutine", "thread T1" */
  unsigned long no;
  int nframes;
  struct rwd_frame top;
};

struct rwd_created {
  char who[64];           /* "Goroutine 3 (running)" */
  unsigned long no;
  int nframes;
  struct rwd_frame top;
};

struct rwd_race {
  struct rwd_quote q;     /* the WARNING line */
  int naccess;
  struct rwd_access access[RWD_ACCESS_MAX];
  int ncreated;
  struct rwd_created created[RWD_CREATED_MAX];
  struct rwd_quote location;
};

enum {
  RWD_HT_EXIT = 1,        /* a frame of exit / __tsan_fini / Finalize / rw_fini */
  RWD_HT_WAIT = 2,        /* a frame of sigsuspend / tgkill / futex wait / handler */
  RWD_HT_SIGNAL = 4       /* of those, a signal one: stopped, not just blocked */
};

struct rwd_hthread {
  char id[48];
  unsigned long no;
  int nframes;
  char top[RWD_TOPFRAMES][RWD_NAME_MAX];
  unsigned flags;
  char exit_frame[RWD_NAME_MAX];
  char wait_frame[RWD_NAME_MAX];
};

struct rwd_hang {
  struct rwd_quote q;     /* the marker line */
  char after[24], pid[24], tool[24];
  int implicit;           /* a debugger's thread dump with no runner marker */
  int nthreads;
  unsigned long threads_dropped;
  struct rwd_hthread thread[RWD_THREADS_MAX];
};

struct rwd_detail {
  char key[48];
  char value[RWD_TEXT_MAX];
  unsigned long no;
};

struct rwd_fatal {
  struct rwd_quote q;
  char msg[RWD_TEXT_MAX];
  int ndetails;
  struct rwd_detail detail[RWD_DETAILS_MAX];
  unsigned seeds;         /* bit s: "seed 00s" mentioned in this block */
};

/* One report of a log (a CHECK, a race, a SEGV, a hang...) and the
 * verdict it gets on its own. */
struct rwd_report {
  unsigned long no;       /* its headline's line */
  char head[RWD_TEXT_MAX];
  const char *id;         /* its own verdict's signature id, or NULL */
  char detail[RWD_TEXT_MAX];
  int seed, seed_certain;
  char frames[RWD_NAME_MAX * 2];  /* "f1 < f2 < f3": first frames outside TSan */
};

struct rwd_facts {
  const char *source;
  unsigned long nlines;
  unsigned long long nbytes;
 unsigned long ntruncated, nbinary;
  int capped;             /* the source was cut at RWD_SPECIAL_CAP */
  const char *source_what;

  int ncheck;             /* every "CHECK failed" line */
  struct rwd_check check; /* the first one */
  int ndd;                /* CHECKs inside the deadlock detector */
  struct rwd_check dd;

  int nlongjmp, nignores, nmapping, ndense;
  struct rwd_quote longjmp, ignores, mapping, dense;
  struct rwd_quote deadly, segv, segfault;
  int nsegv;              /* DEADLYSIGNAL / SEGV / "Segmentation fault" lines */
  int ntsan_frames, nproc_frames;
  struct rwd_quote tsan_frame, proc_frame;

  int nraces;             /* "WARNING: DATA RACE" blocks */
  long found_races;       /* "Found N data race(s)", -1 if absent */
  long reported_warnings; /* "ThreadSanitizer: reported N warnings", -1 */
  struct rwd_race race;   /* the first report */
  struct rwd_quote race_summary;

  int nfatal;
  struct rwd_fatal fatal; /* the first racewire FATAL block */

  int nhang;
  struct rwd_hang hang;   /* the first captured hang section */

  unsigned seeds;         /* bit s: "seed 00s" mentioned anywhere */

  /* Who wrote the log. Lines only one producer writes are counted:
   * Go-mode TSan (real Go or racewire: goroutines, gotsan, racecall,
   * rw_ frames), the full C/C++ runtime (interceptors, "thread T1",
   * "(pid=N)", a compiler-rt source path), a debugger's thread dump. */
  int ngo, nrw, ncxx, ncxx_weak, ngdb;
  struct rwd_quote go_q, rw_q, cxx_q, gdb_q;

  /* Frames that tell crash families apart (any unwinder's format). */
  int nfiber, nsig_handler, nslot_wait, nfunc_entry, nvarsize, nonfinished, nfiber_destroy,
      npthread_exit, ncallback_thunk;
  struct rwd_quote fiber, sig_handler, slot_wait, func_entry, varsize, onfinished,
      callback_thunk;
  int nunsafe, nunreach, nlayout, noom, nwarn, nsummary, ncxx_warn, nlimit, nideadlock;
  struct rwd_quote unsafe, unreach, layout, oom, warn, limit, ideadlock;
  char warn_kind[64];     /* "heap-use-after-free", "thread leak", ... */

  /* The first frames outside TSan's runtime after the first report's
   * headline: what --group buckets by. */
  int nframes;
  char frames[RWD_RFRAMES][RWD_NAME_MAX];

  int truncated;          /* the log ends inside a report */
  char truncated_why[RWD_TEXT_MAX];

  int nreports;           /* report headlines (CHECK, WARNING, SEGV, FATAL, hang) */
  unsigned long reports_dropped;
  struct rwd_report report[RWD_REPORTS_MAX];

  int nsalient;
  unsigned long salient_dropped;
  struct rwd_quote salient[RWD_SALIENT_MAX];
};

/* The scanner: facts plus the little state a multi-line block needs. */
struct rwd_scan {
  struct rwd_facts f;
  int mode;               /* inside which multi-line block (scan.c) */
  int race_target;        /* where race frames go (scan.c) */
  int expect_loc;         /* a Go frame's function line was just seen */
  int hang_cur;           /* index of the current hung thread, -1 */
  int go_frame;           /* a Go traceback's function line was just seen */
  int after_colon;        /* the last line was a sub-header ending in ':' */
  int check_wrap;         /* the last line was a CHECK whose expression wrapped */
  int in_report;          /* a report headline has been seen */
  unsigned long head_no;  /* line of the current report's headline */
  int head_frames;        /* frames seen since it */
  struct rwd_scan *sub;   /* the current report alone (NULL in a sub-scan) */
  int is_sub;
};

void rwd_scan_init(struct rwd_scan *s, const char *source);
void rwd_scan_line(struct rwd_scan *s, const struct rwd_line *ln);
/* Closes the last report and the truncation check; frees the sub-scan.
 * rwd_scan_source calls it; callers of rwd_scan_line must. */
void rwd_scan_finish(struct rwd_scan *s);
/* Reads a whole source into s. Returns 0, or -1 on a read error. */
int rwd_scan_source(struct rwd_scan *s, struct rwd_source *src);

/* What wrote the log (from the facts' producer counts). */
enum rwd_logkind { RWD_LOG_UNKNOWN, RWD_LOG_GO, RWD_LOG_CXX, RWD_LOG_GDB };
enum rwd_logkind rwd_logkind(const struct rwd_facts *f);
const char *rwd_logkind_name(enum rwd_logkind k);
/* A frame's function name if the line is a stack frame in any of the
 * formats the scanner knows (TSan, gdb, lldb, eu-stack), else 0. */
int rwd_frame_func(const char *line, char *fn, size_t cap);
/* Whether a function belongs to the sanitizer runtime or the unwinding
 * machinery rather than to the program (left out of signatures). */
int rwd_internal_frame(const char *fn);

/* ---- verdict --------------------------------------------------------- */

struct rwd_verdict_s;

struct rwd_sig {
  const char *id;
  const char *title;
  int seed;               /* -1: none; the verdict may refine it */
  const char *invariant;
  const char *cause;
  const char *fix;
  int (*match)(const struct rwd_facts *);
  /* Appends the "detail" (for --oneline), involved parties and evidence. */
  void (*explain)(const struct rwd_facts *, struct rwd_verdict_s *);
};

struct rwd_seed {
  const char *name;       /* "001" */
  const char *what;
  const char *issue;      /* "Go issue 27660" or "" */
};

struct rwd_verdict_s {
  const struct rwd_sig *sig;  /* NULL: not recognised */
  int seed;                   /* -1: none */
  int seed_certain;
  char detail[RWD_TEXT_MAX];
  int ninvolved;
  char involved[RWD_INVOLVED_MAX][RWD_TEXT_MAX];
  int nevidence;
  const struct rwd_quote *evidence[RWD_EVIDENCE_MAX];
  int nalso;
  const struct rwd_sig *also[16];
  enum rwd_logkind kind;      /* what wrote the log */
  const char *cause, *fix;    /* when the log narrows the sig's cause/fix */
  char seed_note[RWD_TEXT_MAX]; /* why a seed was withheld, or what it rests on */
};
typedef struct rwd_verdict_s rwd_verdict;

extern const struct rwd_seed rwd_seeds[RWD_SEEDS];
void rwd_classify(const struct rwd_facts *f, rwd_verdict *v);

enum rwd_format { RWD_FMT_TEXT, RWD_FMT_ONELINE, RWD_FMT_JSON };

/* flight.c: a racewire flight record (racewire/flight.h), read
 * defensively and merged into one timeline. */
enum {
  RWD_FLIGHT_PER_RING = 64,  /* newest events kept per thread */
  RWD_FLIGHT_MAX = 4096,     /* events kept in all */
  RWD_FLIGHT_SHOWN = 40      /* events printed */
};
struct rwd_flight_event {
  unsigned long long ns;     /* since the record began */
  unsigned m, kind, proc, task;
  unsigned long long pc, arg;
};
struct rwd_flight {
  unsigned pid, threads, lost_threads, n, torn, dropped;
  int truncated;
  struct rwd_flight_event ev[RWD_FLIGHT_MAX];
  unsigned long long file_bytes, expect_bytes;
};
/* Returns 0, or -1 with a message naming the file and what is wrong.
 * Rendering is for RWD_FMT_TEXT and RWD_FMT_JSON. */
int rwd_flight_read(const char *path, struct rwd_flight *fl, char *err, size_t errlen);
void rwd_flight_render(FILE *out, enum rwd_format fmt, const struct rwd_flight *fl,
                       const char *path);
void rwd_render(FILE *out, enum rwd_format fmt, const struct rwd_facts *f,
                const rwd_verdict *v);

/* group.c: --group over files and directories. Returns the exit status:
 * 0 logs bucketed, 1 none found, 2 a path could not be read. */
int rwd_group(FILE *out, enum rwd_format fmt, char **paths, int npaths);
/* render.c: a JSON string, valid whatever the bytes. */
void rwd_json_string(FILE *out, const char *s);

/* ---- small string helpers (util.c) ----------------------------------- */

/* Copies at most n bytes of src (stopping at NUL) into dst of size cap,
 * always NUL-terminating; returns the length copied. */
size_t rwd_copy(char *dst, size_t cap, const char *src, size_t n);
void rwd_quote_set(struct rwd_quote *q, const struct rwd_line *ln);
int rwd_starts(const char *s, const char *prefix);
const char *rwd_skip_ws(const char *s);
/* Appends printf-style text to dst (size cap), truncating safely. */
void rwd_appendf(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Bits of the seeds named as "seed 000".."seed 004" in s. */
unsigned rwd_seed_mentions(const char *s);

#endif
