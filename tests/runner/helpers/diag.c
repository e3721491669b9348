/* Runner test helper: a stand-in diagnoser, "diag --oneline LOG".  Its
 * behaviour comes from RWTEST_DIAG_MODE: unset prints a verdict naming the
 * log; "sleep" never answers; "crash" aborts; "garbage" exits 2; "bytes"
 * answers with invalid UTF-8, control characters and XML's special
 * characters, which every report must carry without breaking. */
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
	if (mode != NULL && strcmp(mode, "bytes") == 0) {
		fputs("bad \xff\xfe \xc3( \xed\xa0\x80 <&\"'> \x01\x1b\x7f end\n", stdout);
		return 0;
	}
	const char *slash = strrchr(argv[2], '/');
	/* The tab checks that runs.tsv stays one field per column. */
	printf("diag\tverdict for %s\nsecond line is ignored\n",
	       slash ? slash + 1 : argv[2]);
	return 0;
}
