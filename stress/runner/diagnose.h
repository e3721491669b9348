/* Asking an external diagnoser for a one-line verdict on a failed run. */
#ifndef RWS_DIAGNOSE_H
#define RWS_DIAGNOSE_H

#include <stddef.h>

/* Seconds a diagnoser may take per log before its verdict is "-". */
#define RWS_DIAGNOSE_TIMEOUT_S 5.0

/* The default diagnoser: racewire-diagnose beside our own executable, or
 * NULL.  The string is malloc'd. */
char *rws_default_diagnoser(void);

/* Runs "<cmd> --oneline <log_path>" and stores its first stdout line in
 * verdict (tabs and control characters turned into spaces, so runs.tsv stays
 * one line per run).  Never fails: any trouble yields "-". */
void rws_diagnose(const char *cmd, const char *log_path, char *verdict,
		  size_t verdict_size);

#endif
