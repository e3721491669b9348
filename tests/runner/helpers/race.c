/* Runner test helper: output shaped like a ThreadSanitizer race report, and
 * TSan's exit status 66. */
#include <stdio.h>

int main(void)
{
	fputs("==================\n"
	      "WARNING: DATA RACE\n"
	      "Write at 0x00c000012345 by goroutine 7:\n"
	      "  main.worker()\n"
	      "      /src/worker.c:42 +0x44\n"
	      "\n"
	      "Previous read at 0x00c000012345 by goroutine 6:\n"
	      "  main.reader()\n"
	      "      /src/reader.c:17 +0x3a\n"
	      "==================\n"
	      "Found 1 data race(s)\n",
	      stderr);
	return 66;
}
