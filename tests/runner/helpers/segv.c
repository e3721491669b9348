/* Runner test helper: a run killed by SIGSEGV (a real invalid access, not
 * raise(), so it looks like the crashes the runner meets in practice). */
#include <stdio.h>

int main(void)
{
	puts("segv helper: about to crash");
	fflush(stdout);
	volatile int *nowhere = NULL;
	*nowhere = 1;
	return 0;
}
