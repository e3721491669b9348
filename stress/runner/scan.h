/* Reading a finished run's whole output, once, in bounded memory. */
#ifndef RWS_SCAN_H
#define RWS_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "rws.h"

/* What classification needs to know about a run's output. */
struct rws_scan {
	bool racewire_fatal;   /* a line starts with "racewire: FATAL:" */
	bool tsan_check;       /* "CHECK failed:" */
	bool data_race;        /* "WARNING: DATA RACE" (Go mode), or C/C++'s
	                        * "WARNING: ThreadSanitizer: data race" */
	bool deadly_signal;    /* "ThreadSanitizer:DEADLYSIGNAL" or a SEGV report */
	bool fail_match;       /* --fail matched a line */
	bool ignore_match;     /* --ignore matched a line */
	bool windows_seen;     /* a "racewire-windows: N" line */
	uint64_t windows;      /* the largest such N */
	uint64_t bytes;        /* output size */
};

/* The fixed line a reproducer prints with the number of hazard windows it
 * exercised so far (cumulative: the largest value in a run counts). */
#define RWS_WINDOWS_PREFIX "racewire-windows: "

/* Scans fd (a regular file, from offset 0 to its end) line by line.
 * Returns 0, or -1 if it could not be read (errno set; *scan then holds
 * what was seen before the error). */
int rws_scan_output(int fd, const struct rws_options *opts,
		    struct rws_scan *scan);

#endif
