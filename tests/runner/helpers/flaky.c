/* Runner test helper: fails exactly when RACEWIRE_STRESS_SEED is odd, so a
 * job's failure count is known from its seeds. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	const char *seed_text = getenv("RACEWIRE_STRESS_SEED");
	const char *run_text = getenv("RACEWIRE_STRESS_RUN");
	if (seed_text == NULL || run_text == NULL) {
		puts("flaky helper: RACEWIRE_STRESS_SEED/RUN not set");
		return 3;
	}
	unsigned long long seed = strtoull(seed_text, NULL, 10);
	printf("flaky helper seed=%s run=%s\n", seed_text, run_text);
	return seed % 2 == 1 ? 1 : 0;
}
