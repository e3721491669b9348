/* Runner test helper: a run that fails with exit status 1 and no report. */
#include <stdio.h>

int main(void)
{
	puts("fail helper: failing on purpose");
	return 1;
}
