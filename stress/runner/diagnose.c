/* Diagnosis.  The diagnoser is someone else's program and must never break
 * the job: it runs with a deadline, its stderr is discarded, and a crash, a
 * timeout, an exit status of 2 or more (the grep/diff convention for "the
 * tool itself failed") or an empty answer all mean verdict "-". */
#include "diagnose.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolrun.h"

char *rws_default_diagnoser(void)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		return NULL;
	self[len] = '\0';
	char candidate[PATH_MAX + 32];
	snprintf(candidate, sizeof candidate, "%s/racewire-diagnose",
		 dirname(self));
	if (access(candidate, X_OK) != 0)
		return NULL;
	return strdup(candidate);
}

void rws_diagnose(const char *cmd, const char *log_path, char *verdict,
		  size_t verdict_size)
{
	snprintf(verdict, verdict_size, "-");
	char *argv[] = {(char *)cmd, "--oneline", (char *)log_path, NULL};
	struct rws_tool_result result;
	if (rws_run_tool(argv, false, RWS_DIAGNOSE_TIMEOUT_S, 64 * 1024,
			 &result) != 0) {
		rws_tool_result_free(&result);
		return;
	}
	if (result.exited && !result.timed_out && result.exit_status <= 1) {
		size_t out = 0;
		const char *p = result.output;
		while (*p == ' ' || *p == '\t')
			p++;
		for (; *p != '\0' && *p != '\n' && out + 1 < verdict_size; p++)
			verdict[out++] = (unsigned char)*p < 0x20 || *p == 0x7f
						 ? ' ' : *p;
		while (out > 0 && verdict[out - 1] == ' ')
			out--;
		verdict[out] = '\0';
		if (out == 0)
			snprintf(verdict, verdict_size, "-");
	}
	rws_tool_result_free(&result);
}
