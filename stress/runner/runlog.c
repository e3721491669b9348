/* On-disk records.  Durability over speed here: a stress job is often
 * stopped by something rude (CI timeout, OOM killer), and the lines already
 * written must survive it, so every line is one write(2) to an O_APPEND fd
 * with no user-space buffer in between. */
#include "runlog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t wrote = write(fd, data, len);
		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0)
			return -1;
		data += wrote;
		len -= (size_t)wrote;
	}
	return 0;
}

int rws_joblog_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		      0644);
	if (fd < 0) {
		fprintf(stderr, "racewire-stress: cannot create %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	static const char header[] = "seq\tseed\tstart\tduration_s\texit_status\t"
				     "signal\tclass\tlog_file\tverdict\twindows\t"
				     "flight\n";
	if (write_all(fd, header, sizeof header - 1) != 0) {
		fprintf(stderr, "racewire-stress: cannot write %s: %s\n", path,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int rws_joblog_append(int fd, const struct rws_run *run)
{
	char line[2 * 4096 + 512];
	char windows[24] = "-";
	if (run->windows_seen)
		snprintf(windows, sizeof windows, "%" PRIu64, run->windows);
	int len = snprintf(line, sizeof line,
			   "%" PRIu64 "\t%" PRIu64 "\t%.3f\t%.3f\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n",
			   run->seq, run->seed, run->start_wall, run->duration_s,
			   run->exit_status, run->term_signal,
			   rws_class_name(run->class),
			   run->log_path[0] != '\0' ? run->log_path : "-",
			   run->verdict[0] != '\0' ? run->verdict : "-",
			   windows,
			   run->flight_path[0] != '\0' ? run->flight_path : "-");
	if (len < 0)
		return -1;
	if ((size_t)len >= sizeof line) {
		len = (int)sizeof line - 1;
		line[len - 1] = '\n';
	}
	if (write_all(fd, line, (size_t)len) != 0) {
		fprintf(stderr, "racewire-stress: cannot append to runs.tsv: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* copy_file_range keeps big TSan logs out of our address space; fall back
 * to read/write where the file systems do not support it. */
static int copy_output(int from_fd, int to_fd, off_t size)
{
	loff_t in_offset = 0;
	while (in_offset < size) {
		ssize_t copied = copy_file_range(from_fd, &in_offset, to_fd,
						 NULL, (size_t)(size - in_offset),
						 0);
		if (copied > 0)
			continue;
		if (copied < 0 && errno == EINTR)
			continue;
		if (copied == 0)
			return 0; /* shrank under us */
		break;
	}
	char buffer[65536];
	while (in_offset < size) {
		ssize_t got = pread(from_fd, buffer, sizeof buffer, in_offset);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got == 0 ? 0 : -1;
		if (write_all(to_fd, buffer, (size_t)got) != 0)
			return -1;
		in_offset += got;
	}
	return 0;
}

int rws_keep_run_log(const char *out_dir, int output_fd, struct rws_run *run)
{
	snprintf(run->log_path, sizeof run->log_path,
		 "%s/run-%" PRIu64 "-%s.log", out_dir, run->seq,
		 rws_class_name(run->class));
	/* Not O_APPEND: copy_file_range refuses an O_APPEND destination. */
	int fd = open(run->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0644);
	if (fd < 0) {
		fprintf(stderr, "racewire-stress: cannot create %s: %s\n",
			run->log_path, strerror(errno));
		run->log_path[0] = '\0';
		return -1;
	}
	struct stat st;
	int rc = fstat(output_fd, &st);
	if (rc == 0)
		rc = copy_output(output_fd, fd, st.st_size);
	char last = '\n';
	if (rc == 0 && st.st_size > 0 &&
	    pread(output_fd, &last, 1, st.st_size - 1) != 1)
		last = '\n';
	char trailer[512];
	int len = snprintf(trailer, sizeof trailer,
		"%s==== racewire-stress: run %" PRIu64 " seed %" PRIu64
		" exit=%d signal=%d class=%s duration=%.3fs ====\n",
		last == '\n' ? "" : "\n", run->seq, run->seed, run->exit_status,
		run->term_signal, rws_class_name(run->class), run->duration_s);
	if (rc == 0)
		rc = write_all(fd, trailer, (size_t)len);
	if (rc != 0)
		fprintf(stderr, "racewire-stress: cannot write %s: %s\n",
			run->log_path, strerror(errno));
	close(fd);
	return rc;
}

/* mkdir -p: the output folder may be several levels under a CI workspace. */
int rws_make_dirs(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	for (char *p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			free(copy);
			return -1;
		}
		*p = '/';
	}
	int rc = mkdir(copy, 0755);
	free(copy);
	if (rc != 0 && errno != EEXIST)
		return -1;
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}
