/* Counting runs per class and the confidence bound on the failure rate. */
#ifndef RWS_STATS_H
#define RWS_STATS_H

#include <stdint.h>

#include "rws.h"

struct rws_stats {
	uint64_t by_class[RWS_CLASS_COUNT];
	uint64_t windows;   /* hazard windows reported by non-interrupted runs */
};

void rws_stats_add(struct rws_stats *stats, enum rws_class class);
/* Runs that say something about the program: all but interrupted ones. */
uint64_t rws_stats_runs(const struct rws_stats *stats);
uint64_t rws_stats_failures(const struct rws_stats *stats);

/* Upper end of the 95% Wilson score interval for a failure probability
 * after `failures` out of `runs`; 1 when runs == 0 (nothing is known). */
double rws_wilson_upper_95(uint64_t failures, uint64_t runs);

#endif
