/* --tap: the job as TAP version 13 on stdout, one test point per run. */
#ifndef RWS_TAP_H
#define RWS_TAP_H

#include <stdint.h>
#include <stdio.h>

#include "rws.h"

void rws_tap_start(FILE *out);
/* Test point `number` (1, 2, ... in the order runs finish). */
void rws_tap_run(FILE *out, uint64_t number, const struct rws_run *run);
/* The plan, at the end (TAP allows it there): 1..count. */
void rws_tap_plan(FILE *out, uint64_t count);

#endif
