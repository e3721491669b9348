/* Sorting a finished run into a class from its status and output. */
#ifndef RWS_CLASSIFY_H
#define RWS_CLASSIFY_H

#include <stddef.h>

#include "rws.h"

/* Sets run->class.  output is the run's merged stdout+stderr, NUL-terminated,
 * with any NUL bytes inside already replaced (regexec stops at NUL). */
void rws_classify(struct rws_run *run, const char *output, size_t len,
		  const struct rws_options *opts);

#endif
