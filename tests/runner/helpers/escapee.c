/* Runner test helper: a run that leaves a process behind in a session of
 * its own (setsid), which then writes a race report into the stdout it
 * inherited while the NEXT run is going.  "escapee DIR", with FIFOs
 * DIR/go and DIR/done made by the test:
 *
 *   run 0: forks; the child setsid()s, tells the leader (a pipe), then
 *          blocks opening DIR/go.  The leader exits 0 at once.
 *   run 1: opens DIR/go for writing (which frees the escaped child), and
 *          waits on DIR/done until the child has written its report, then
 *          exits 0.
 *
 * Only handshakes, no sleeps.  The runner's group kill cannot reach the
 * child (another session); what keeps run 1 clean is that run 1 writes
 * into a file of its own.  alarm() bounds the child if run 1 never comes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *run = getenv("RACEWIRE_STRESS_RUN");
	if (argc != 2 || run == NULL)
		return 2;
	char go[4096], done[4096];
	snprintf(go, sizeof go, "%s/go", argv[1]);
	snprintf(done, sizeof done, "%s/done", argv[1]);
	if (strcmp(run, "0") == 0) {
		int ready[2];
		if (pipe(ready) != 0)
			return 3;
		pid_t pid = fork();
		if (pid < 0)
			return 3;
		if (pid == 0) {
			close(ready[0]);
			alarm(60);
			if (setsid() < 0)
				_exit(3);
			if (write(ready[1], "r", 1) != 1)
				_exit(3);
			close(ready[1]);
			int fd = open(go, O_RDONLY);
			char c;
			if (fd < 0 || read(fd, &c, 1) != 1)
				_exit(3);
			static const char report[] =
				"WARNING: DATA RACE (from run 0's escaped process)\n";
			if (write(1, report, sizeof report - 1) < 0)
				_exit(3);
			int ack = open(done, O_WRONLY);
			if (ack >= 0 && write(ack, "d", 1) != 1)
				_exit(3);
			_exit(0);
		}
		close(ready[1]);
		char c;
		if (read(ready[0], &c, 1) != 1)
			return 3;
		puts("run 0: left an escaped process behind");
		return 0;
	}
	int fd = open(go, O_WRONLY);
	if (fd < 0 || write(fd, "g", 1) != 1)
		return 3;
	close(fd);
	int ack = open(done, O_RDONLY);
	char c;
	if (ack < 0 || read(ack, &c, 1) != 1)
		return 3;
	puts("run 1: the escaped process has written");
	return 0;
}
