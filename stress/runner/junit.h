/* --junit FILE: the job as a JUnit XML report, one test case per run. */
#ifndef RWS_JUNIT_H
#define RWS_JUNIT_H

#include <stdint.h>

#include "rws.h"

struct rws_junit;

/* Checks that path can be created (so a job does not run for an hour and
 * then lose its report) and opens the collector.  NULL with a message on
 * stderr on failure. */
struct rws_junit *rws_junit_open(const char *path);
/* Adds one finished run.  Returns 0, or -1 with a message. */
int rws_junit_add(struct rws_junit *junit, const struct rws_run *run);
/* Writes the file (via a temporary and rename) and frees the collector.
 * Returns 0, or -1 with a message on stderr. */
int rws_junit_finish(struct rws_junit *junit, const struct rws_options *opts,
		     double elapsed_s);
void rws_junit_free(struct rws_junit *junit);

#endif
