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

#endif
