/* Runner test helper: a run that passes, saying which seed it got. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	const char *seed = getenv("RACEWIRE_STRESS_SEED");
	const char *run = getenv("RACEWIRE_STRESS_RUN");
	printf("pass helper seed=%s run=%s\n", seed ? seed : "unset",
	       run ? run : "unset");
	return 0;
}
