/* Runner test helper: output shaped like C/C++ ThreadSanitizer's race
 * report (clang -fsanitize=thread, the fiber backend), whose headline is
 * not Go mode's "WARNING: DATA RACE", and TSan's exit status 66. */
#include <stdio.h>

int main(void)
{
	fputs("==================\n"
	      "WARNING: ThreadSanitizer: data race (pid=4242)\n"
	      "  Write of size 4 at 0x55d0c0a01010 by thread T2:\n"
	      "    #0 worker /src/worker.c:42:9 (prog+0x1234)\n"
	      "\n"
	      "  Previous write of size 4 at 0x55d0c0a01010 by thread T1:\n"
	      "    #0 worker /src/worker.c:42:9 (prog+0x1234)\n"
	      "\n"
	      "SUMMARY: ThreadSanitizer: data race /src/worker.c:42:9 in worker\n"
	      "==================\n"
	      "ThreadSanitizer: reported 1 warnings\n",
	      stderr);
	return 66;
}
