/* Runner test helper: the library's fatal path, a "racewire: FATAL:" line
 * then abort().  The runner must say racewire, not signal. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	fputs("racewire: FATAL: fiber switched while holding the TSan slot\n",
	      stderr);
	abort();
}
