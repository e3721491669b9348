/* Runner test helper: a run that hangs, with a grandchild in its process
 * group, so tests can check that the whole group is killed.  It prints both
 * pids first, and when RWTEST_PID_DIR is set also records them in a file
 * there (a run the runner interrupts keeps no log to read them from).  With
 * --ignore-term both ignore SIGTERM, so only the runner's SIGKILL after the
 * kill grace can end them. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void sleep_forever(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--ignore-term") == 0)
		signal(SIGTERM, SIG_IGN);
	pid_t child = fork();
	if (child == 0)
		sleep_forever();
	printf("hang helper leader=%d child=%d\n", (int)getpid(), (int)child);
	fflush(stdout);
	const char *pid_dir = getenv("RWTEST_PID_DIR");
	if (pid_dir != NULL) {
		char path[4096];
		snprintf(path, sizeof path, "%s/hang-%d.pids", pid_dir,
			 (int)getpid());
		FILE *f = fopen(path, "w");
		if (f != NULL) {
			fprintf(f, "%d %d\n", (int)getpid(), (int)child);
			fclose(f);
		}
	}
	sleep_forever();
}
