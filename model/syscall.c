/*
 * model/syscall.c - md_sys_read, md_sys_pread, md_sys_write: system calls
 * as Go's syscall package makes them in race mode (syscall_unix.go):
 * Write does race.ReleaseMerge(&ioSync) before the call and
 * race.ReadRange of the bytes written after it; Read (and Pread, Go issue
 * 51618) race.WriteRange of the bytes read and, without error,
 * race.Acquire(&ioSync). The calls themselves may block: md_cgocall.
 */
#include "internal.h"

#include <unistd.h>

/* Go's syscall.ioSync: one sync object for all file I/O. */
static char io_sync;

struct io {
	int fd;
	void *buf;
	size_t n;
	long off;
	int op; /* 0 read, 1 pread, 2 write */
};

static long do_io(void *a)
{
	struct io *io = a;
	switch (io->op) {
	case 0:
		return read(io->fd, io->buf, io->n);
	case 1:
		return pread(io->fd, io->buf, io->n, io->off);
	default:
		return write(io->fd, io->buf, io->n);
	}
}

static long sys_in(int fd, void *buf, size_t n, long off, int op)
{
	struct io io = {fd, buf, n, off, op};
	long r = md_cgocall(do_io, &io);
	if (r > 0)
		RACE(if (md__app_mem(buf)) rw_write_range(buf, (size_t)r, RW_CALLER_PC()));
	if (r >= 0)
		RACE(rw_acquire(&io_sync));
	return r;
}

long md_sys_read(int fd, void *buf, size_t n)
{
	return sys_in(fd, buf, n, 0, 0);
}

long md_sys_pread(int fd, void *buf, size_t n, long off)
{
	return sys_in(fd, buf, n, off, 1);
}

long md_sys_write(int fd, const void *buf, size_t n)
{
	RACE(rw_release_merge(&io_sync));
	struct io io = {fd, (void *)buf, n, 0, 2};
	long r = md_cgocall(do_io, &io);
	if (r > 0)
		RACE(if (md__app_mem(buf)) rw_read_range(buf, (size_t)r, RW_CALLER_PC()));
	return r;
}
