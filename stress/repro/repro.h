/*
 * stress/repro/repro.h - what several reproducers share.
 */
#ifndef RW_REPRO_H
#define RW_REPRO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* TSan's Finalize sleeps atexit_sleep_ms (1000 by default) while other
 * threads run on, which would make every run last a second. TSan reads
 * GORACE from the environment the process started with, not from setenv,
 * so re-execute once with atexit_sleep_ms=0 in front of the run's own
 * GORACE (whose items come later and win). If exec fails, the run goes on
 * with the sleep. */
static inline void repro_skip_exit_sleep(char **argv, const char *name)
{
	const char *s = getenv("GORACE");
	if (s && strstr(s, "atexit_sleep_ms"))
		return;
	char gorace[512];
	snprintf(gorace, sizeof gorace, "atexit_sleep_ms=0%s%s", s && *s ? " " : "", s ? s : "");
	setenv("GORACE", gorace, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "%s: execv /proc/self/exe: ", name);
	perror(NULL);
}

/* The fixed line racewire-stress reads (see stress/runner/scan.h): the
 * number of hazard windows this run has exercised so far, cumulative, so
 * the last line printed before a crash still counts what came before it.
 * One write(2), not stdio: a line sitting in a stdio buffer when TSan kills
 * the process would be lost, and a half line would not parse. */
static inline void repro_windows(unsigned long long n)
{
	char line[48];
	int len = snprintf(line, sizeof line, "racewire-windows: %llu\n", n);
	if (len > 0 && write(1, line, (size_t)len) < 0)
		return; /* nowhere to report it; the run's status still counts */
}

#endif
