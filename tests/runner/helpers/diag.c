/* Runner test helper: a stand-in diagnoser, "diag --oneline LOG".  Its
 * behaviour comes from RWTEST_DIAG_MODE: unset prints a verdict naming the
 * log; "sleep" never answers; "crash" aborts; "garbage" exits 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = getenv("RWTEST_DIAG_MODE");
	if (argc != 3 || strcmp(argv[1], "--oneline") != 0) {
		fprintf(stderr, "usage: diag --oneline LOG\n");
		return 2;
	}
	if (mode != NULL && strcmp(mode, "sleep") == 0) {
		for (;;)
			pause();
	}
	if (mode != NULL && strcmp(mode, "crash") == 0)
		abort();
	if (mode != NULL && strcmp(mode, "garbage") == 0) {
		puts("this is not a verdict");
		return 2;
	}
	const char *slash = strrchr(argv[2], '/');
	/* The tab checks that runs.tsv stays one field per column. */
	printf("diag\tverdict for %s\nsecond line is ignored\n",
	       slash ? slash + 1 : argv[2]);
	return 0;
}
