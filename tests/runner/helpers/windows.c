/* Runner test helper: a reproducer's window count.  Only whole lines
 * "racewire-windows: N" at column 0 count, and the largest N (the counts
 * are cumulative); the others are decoys. */
#include <stdio.h>

int main(void)
{
	puts("racewire-windows: 10");
	puts("racewire-windows: 25");
	puts("racewire-windows: 99 extra words");
	puts("  racewire-windows: 1000");
	puts("racewire-windows: -4");
	puts("done");
	return 0;
}
