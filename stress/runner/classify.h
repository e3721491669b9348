/* Sorting a finished run into a class from its status and output. */
#ifndef RWS_CLASSIFY_H
#define RWS_CLASSIFY_H

#include "rws.h"
#include "scan.h"

/* Sets run->class from its status and what rws_scan_output saw in its
 * whole output (merged stdout+stderr). */
void rws_classify(struct rws_run *run, const struct rws_scan *scan);

#endif
