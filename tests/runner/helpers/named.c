/* Runner test helper, for stress/main.sh's named and latent rows: with no
 * RACEWIRE_OPTIONS (main.sh's guarded job) it stops as racewire's guard
 * does on a misplaced race call, naming the entry point; with any options
 * (the unguarded job's guards=0) it passes, as the misuse stays latent. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	if (getenv("RACEWIRE_OPTIONS") != NULL) {
		puts("named helper: guard off, nothing to see");
		return 0;
	}
	fputs("racewire: FATAL: race call from an M that holds no P\n"
	      "racewire:   entry point: __tsan_acquire (raceacquire)\n",
	      stderr);
	abort();
}
