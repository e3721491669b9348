/* Failed runs grouped by signature, as racewire-diagnose --group does for
 * logs: runs whose verdicts differ only in addresses, pids, thread and
 * line numbers are one bucket. */
#ifndef RWS_GROUP_H
#define RWS_GROUP_H

#include <stdio.h>

#include "rws.h"

/* Runs grouped at most (the report lists fewer). */
#define RWS_GROUP_MAX 64

/* "failures by signature" lines for the final table. */
void rws_print_groups(FILE *stream, const struct rws_run *runs, unsigned n);
/* The same as a JSON array (for summary.json), written after a key. */
void rws_json_groups(FILE *out, const struct rws_run *runs, unsigned n);

#endif
