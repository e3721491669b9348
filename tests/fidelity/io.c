/*
 * tests/fidelity/io.c - ports of Go's src/runtime/race/testdata/io_test.go
 * and cgo_test.go: synchronization through the outside world. Go's
 * syscall package makes file I/O an edge (Write release-merges ioSync,
 * a successful Read acquires it: md_sys_write/md_sys_read), and cgocall
 * makes every C call one (release-merge before, acquire after, on
 * racecgosync: md_cgocall).
 */
#include "cases.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fname[64];

static void create_and_write(void)
{
	wr(&F.x, 42);
	int fd = open(fname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		md_panic("NoRaceIOFile: cannot create the file");
	char *done = md_alloc(4);
	__builtin_memcpy(done, "done", 4);
	md_sys_write(fd, done, 4);
	close(fd);
}

FCASE(NoRaceIOFile, NORACE)
{
	snprintf(fname, sizeof fname, "/tmp/racewire-fidelity-%d", (int)getpid());
	unlink(fname);
	go0(create_and_write);
	char *buf = md_alloc(100);
	for (;;) {
		int fd = open(fname, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			md_sleep_us(1000);
			continue;
		}
		long count = md_sys_read(fd, buf, 100);
		close(fd);
		if (count <= 0) {
			md_sleep_us(1000);
			continue;
		}
		break;
	}
	rd(&F.x);
	unlink(fname);
}

/* cgo_test_main.go: C's Notify and Wait synchronize through a C atomic
 * TSan never sees; the edge comes from cgocall's racecgosync. */
static int csync;

static long c_notify(void *arg)
{
	(void)arg;
	__sync_fetch_and_add(&csync, 1);
	return 0;
}

static long c_wait(void *arg)
{
	(void)arg;
	while (__sync_fetch_and_add(&csync, 0) == 0) {
	}
	return 0;
}

static void data_notify(void)
{
	wr(&F.x, 1);
	md_cgocall(c_notify, NULL);
}

FCASE(NoRaceCgoSync, NORACE)
{
	go0(data_notify);
	md_cgocall(c_wait, NULL);
	rd(&F.x);
}
