/* racewire-diagnose: reads a crash log and says which invariant broke.
 *
 *   racewire-diagnose [--oneline] [--json] [--flight FILE] [LOGFILE|-]
 *   racewire-diagnose --group [--json] FILE|DIR...
 *
 * Exit status: 0 a signature was recognised, 1 none was, 2 usage or I/O
 * error. Inputs are gathered into struct inputs and each one is scanned by
 * its own source into the shared facts; a flight record (--flight FILE) is
 * meant to be a second entry there, scanned before classification. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rwd.h"

#define PROG "racewire-diagnose"

struct inputs {
  const char *log;       /* NULL or "-": stdin */
  int group;             /* --group: the paths below, bucketed */
  char **paths;
  int npaths;
  const char *flight;    /* a flight record, or NULL */
  enum rwd_format fmt;
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: " PROG " [--oneline] [--json] [--flight FILE] [LOGFILE|-]\n"
          "       " PROG " --group [--json] FILE|DIR...\n"
          "  Reads a crash log (stdin when no file or '-') and names the invariant\n"
          "  that broke, where, why, and the fix.\n"
          "  --group    bucket many logs (files, or directories walked) by signature:\n"
          "             one line per bucket with its count and an example file\n"
          "  --oneline  one-line verdict (for the stress runner)\n"
          "  --json     the verdict as one JSON object\n"
          "  --flight FILE  also read a racewire flight record (RACEWIRE_OPTIONS=\n"
          "             flight=FILE) and show the last events of every thread\n"
          "  -h, --help this text\n"
          "exit status: 0 recognised, 1 not recognised, 2 usage or I/O error\n");
}

/* Returns 0, or 2 after printing why the command line is wrong. */
static int parse_args(int argc, char **argv, struct inputs *in) {
  int files = 0, opts_done = 0;
  memset(in, 0, sizeof *in);
  /* argv outlives the parse: the paths point into it. */
  in->paths = calloc((size_t)argc, sizeof *in->paths);
  if (!in->paths) {
    fprintf(stderr, PROG ": out of memory\n");
    return 2;
  }
  in->fmt = RWD_FMT_TEXT;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!opts_done && a[0] == '-' && a[1] != '\0') {
      if (strcmp(a, "--") == 0) {
        opts_done = 1;
      } else if (strcmp(a, "--oneline") == 0) {
        in->fmt = RWD_FMT_ONELINE;
      } else if (strcmp(a, "--group") == 0) {
        in->group = 1;
      } else if (strcmp(a, "--json") == 0) {
        in->fmt = RWD_FMT_JSON;
      } else if (strcmp(a, "--flight") == 0) {
        if (i + 1 == argc) {
          fprintf(stderr, PROG ": --flight needs a file\n");
          return 2;
        }
        in->flight = argv[++i];
      } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        usage(stdout);
        exit(0);
      } else {
        fprintf(stderr, PROG ": unknown option '%s'\n", a);
        usage(stderr);
        return 2;
      }
      continue;
    }
    in->paths[files++] = argv[i];
    if (!in->log) in->log = a;
  }
  in->npaths = files;
  if (in->group) {
    if (files == 0) {
      fprintf(stderr, PROG ": --group needs at least one file or directory\n");
      return 2;
    }
    if (in->flight || in->fmt == RWD_FMT_ONELINE) {
      fprintf(stderr, PROG ": --group takes neither --flight nor --oneline\n");
      return 2;
    }
  } else if (files > 1) {
    fprintf(stderr, PROG ": more than one log file ('%s' and '%s'); --group reads many\n",
            in->paths[0], in->paths[1]);
    return 2;
  }
  return 0;
}

int main(int argc, char **argv) {
  struct inputs in;
  int rc = parse_args(argc, argv, &in);
  if (rc) return rc;
  if (in.group) {
    rc = rwd_group(stdout, in.fmt, in.paths, in.npaths);
    if (fflush(stdout) != 0) {
      fprintf(stderr, PROG ": cannot write the buckets: %s\n", strerror(errno));
      rc = 2;
    }
    free(in.paths);
    return rc;
  }

  struct rwd_source src;
  if (rwd_source_open_log(&src, in.log) < 0) {
    fprintf(stderr, PROG ": cannot read '%s': %s\n", in.log ? in.log : "-", strerror(errno));
    return 2;
  }
  /* Facts are large (bounded, ~150 KB): keep them off the stack. */
  struct rwd_scan *scan = malloc(sizeof *scan);
  rwd_verdict *v = malloc(sizeof *v);
  if (!scan || !v) {
    fprintf(stderr, PROG ": out of memory\n");
    return 2;
  }
  rwd_scan_init(scan, src.name);
  if (rwd_scan_source(scan, &src) < 0) {
    fprintf(stderr, PROG ": cannot read '%s': %s\n", src.name, strerror(src.err));
    src.close(&src);
    return 2;
  }
  if (src.capped)
    fprintf(stderr, PROG ": note: stopped reading '%s' after %llu MiB: it is %s, which may "
                    "never end\n",
            src.name, RWD_SPECIAL_CAP >> 20, src.what ? src.what : "not a regular file");
  src.close(&src);
  rwd_classify(&scan->f, v);
  struct rwd_flight *fl = NULL;
  if (in.flight) {
    char err[512];
    fl = malloc(sizeof *fl);
    if (!fl || rwd_flight_read(in.flight, fl, err, sizeof err) < 0) {
      fprintf(stderr, PROG ": %s\n", fl ? err : "out of memory");
      return 2;
    }
  }
  /* With a flight record, JSON output is one object holding both. */
  if (fl && in.fmt == RWD_FMT_JSON) fputs("{\"diagnosis\": ", stdout);
  rwd_render(stdout, in.fmt, &scan->f, v);
  /* --oneline stays one line (the stress runner reads it): the record
   * is only checked there, and shown in the other formats. */
  if (fl && in.fmt != RWD_FMT_ONELINE) {
    if (in.fmt == RWD_FMT_JSON) fputs(", \"flight\": ", stdout);
    else fputc('\n', stdout);
    rwd_flight_render(stdout, in.fmt, fl, in.flight);
    if (in.fmt == RWD_FMT_JSON) fputs("}\n", stdout);
  }
  free(fl);
  rc = v->sig ? 0 : 1;
  if (fflush(stdout) != 0) {
    fprintf(stderr, PROG ": cannot write the verdict: %s\n", strerror(errno));
    rc = 2;
  }
  free(v);
  free(scan);
  free(in.paths);
  return rc;
}
