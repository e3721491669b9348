/* What the job leaves on disk: runs.tsv and one log per failed run. */
#ifndef RWS_RUNLOG_H
#define RWS_RUNLOG_H

#include "rws.h"

/* Creates (truncating) the job log and writes its header; returns an fd
 * (O_CLOEXEC) or -1 with a message on stderr. */
int rws_joblog_open(const char *path);
/* Appends one run's line with a single write(2), so a line is either there
 * whole or not at all if the runner dies.  Returns 0, or -1 with a message
 * on stderr (a lost line is a lost result: the caller must not report
 * success). */
int rws_joblog_append(int fd, const struct rws_run *run);

/* Copies the run's output (output_fd, read from offset 0) to
 * <out_dir>/run-<seq>-<class>.log, appends the trailer line, and sets
 * run->log_path.  Returns 0, or -1 with a message on stderr. */
int rws_keep_run_log(const char *out_dir, int output_fd, struct rws_run *run);

/* mkdir -p: an output folder may be several levels under a CI workspace.
 * Returns 0 if path is a folder now, or -1 with errno set (ENOTDIR when
 * something else is in the way). */
int rws_make_dirs(const char *path);

#endif
