/* Runner test helper: stands in for a racewire program with flight=PATH in
 * RACEWIRE_OPTIONS.  It prints the options it got, writes a record to the
 * last flight= item's path, and fails on odd runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	const char *opts = getenv("RACEWIRE_OPTIONS");
	const char *run = getenv("RACEWIRE_STRESS_RUN");
	printf("options: %s\n", opts ? opts : "(unset)");
	const char *at = NULL;
	for (const char *p = opts; p != NULL && (p = strstr(p, "flight=")) != NULL; p++)
		at = p;
	if (at != NULL) {
		char path[4096];
		snprintf(path, sizeof path, "%.*s", (int)strcspn(at + 7, ":"), at + 7);
		FILE *f = fopen(path, "w");
		if (f == NULL)
			return 3;
		fprintf(f, "flight record of run %s\n", run ? run : "?");
		fclose(f);
	}
	return run != NULL && atoi(run) % 2 == 1;
}
