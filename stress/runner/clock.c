/* Time sources: monotonic for every deadline and duration (a wall-clock step
 * must never turn a run into a hang), wall time only for the job log. */
#include <time.h>

#include "rws.h"

double rws_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double rws_wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
