/* Statistics.  Wilson rather than the normal approximation because the
 * interesting case is zero or a handful of failures, where p(1-p)/n collapses
 * to zero and the normal interval claims certainty; Wilson still gives about
 * 3.84/n for 0 failures in n runs (the "rule of three" cousin). */
#include "stats.h"

#include <math.h>

void rws_stats_add(struct rws_stats *stats, enum rws_class class)
{
	if (class < RWS_CLASS_COUNT)
		stats->by_class[class]++;
}

uint64_t rws_stats_runs(const struct rws_stats *stats)
{
	uint64_t total = 0;
	for (int c = 0; c < RWS_CLASS_COUNT; c++)
		if (c != RWS_CLASS_INTERRUPTED)
			total += stats->by_class[c];
	return total;
}

uint64_t rws_stats_failures(const struct rws_stats *stats)
{
	uint64_t total = 0;
	for (int c = 0; c < RWS_CLASS_COUNT; c++)
		if (rws_class_is_failure((enum rws_class)c))
			total += stats->by_class[c];
	return total;
}

double rws_wilson_upper_95(uint64_t failures, uint64_t runs)
{
	if (runs == 0)
		return 1.0;
	const double z = 1.959963984540054; /* two-sided 95% normal quantile */
	double n = (double)runs;
	double p = (double)failures / n;
	double z2 = z * z;
	double centre = p + z2 / (2 * n);
	double spread = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
	double upper = (centre + spread) / (1 + z2 / n);
	return upper > 1.0 ? 1.0 : upper;
}
