/* Scanning a run's output.  The whole output counts, however large: a TSan
 * report printed after a program wrote 64 MiB of chatter is still the news
 * of that run, so nothing here keeps a prefix.  The file is read in chunks
 * and cut into lines; memory stays bounded by SEGMENT however long a line is.
 *
 * A line longer than SEGMENT is looked at in segments that overlap by
 * CARRY bytes, so a marker (all far shorter than CARRY) that straddles a
 * segment border is still seen whole.  --fail and --ignore are matched per
 * line (REG_NEWLINE), or per segment for such a monster line.
 */
#include "scan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEGMENT (64u << 10)
#define CARRY 128u
#define CHUNK (256u << 10)

struct scanner {
	const struct rws_options *opts;
	struct rws_scan *scan;
	char *line;          /* SEGMENT + 1 bytes */
	size_t len;
	bool continued;      /* line holds the middle of a long line */
};

static bool contains(const char *text, size_t len, const char *needle)
{
	return memmem(text, len, needle, strlen(needle)) != NULL;
}

static bool starts_with(const char *text, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);
	return len >= plen && memcmp(text, prefix, plen) == 0;
}

static void windows_line(struct rws_scan *scan, const char *text, size_t len)
{
	size_t plen = strlen(RWS_WINDOWS_PREFIX);
	uint64_t value = 0;
	size_t i = plen, digits = 0;
	for (; i < len && text[i] >= '0' && text[i] <= '9' && digits < 19;
	     i++, digits++)
		value = value * 10 + (uint64_t)(text[i] - '0');
	/* A line that is not exactly the prefix and a number is not ours. */
	while (i < len && (text[i] == ' ' || text[i] == '\r'))
		i++;
	if (digits == 0 || i != len)
		return;
	scan->windows_seen = true;
	if (value > scan->windows)
		scan->windows = value;
}

/* One line, or one segment of a long one (at_start: it begins a line). */
static void look_at(struct scanner *s, bool at_start)
{
	struct rws_scan *scan = s->scan;
	char *text = s->line;
	size_t len = s->len;
	if (at_start && starts_with(text, len, "racewire: FATAL:"))
		scan->racewire_fatal = true;
	if (at_start && starts_with(text, len, RWS_WINDOWS_PREFIX))
		windows_line(scan, text, len);
	if (contains(text, len, "CHECK failed:"))
		scan->tsan_check = true;
	/* Go mode's headline, then C/C++ TSan's (the fiber backend). */
	if (contains(text, len, "WARNING: DATA RACE") ||
	    contains(text, len, "WARNING: ThreadSanitizer: data race"))
		scan->data_race = true;
	if (contains(text, len, "ThreadSanitizer:DEADLYSIGNAL") ||
	    contains(text, len, "SEGV on unknown address"))
		scan->deadly_signal = true;
	const struct rws_options *opts = s->opts;
	if (opts->fail_pattern == NULL && opts->ignore_pattern == NULL)
		return;
	/* regexec stops at a NUL: make the line one C string. */
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	text[len] = '\0';
	if (opts->fail_pattern != NULL && !scan->fail_match &&
	    regexec(&opts->fail_regex, text, 0, NULL, 0) == 0)
		scan->fail_match = true;
	if (opts->ignore_pattern != NULL && !scan->ignore_match &&
	    regexec(&opts->ignore_regex, text, 0, NULL, 0) == 0)
		scan->ignore_match = true;
}

static void feed(struct scanner *s, const char *data, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl != NULL ? (size_t)(nl - data) : n;
		size_t room = SEGMENT - s->len;
		if (take > room)
			take = room;
		memcpy(s->line + s->len, data, take);
		s->len += take;
		data += take;
		n -= take;
		if (n > 0 && *data == '\n') {
			look_at(s, !s->continued);
			s->len = 0;
			s->continued = false;
			data++;
			n--;
		} else if (s->len == SEGMENT) {
			look_at(s, !s->continued);
			memmove(s->line, s->line + SEGMENT - CARRY, CARRY);
			s->len = CARRY;
			s->continued = true;
		}
	}
}

int rws_scan_output(int fd, const struct rws_options *opts,
		    struct rws_scan *scan)
{
	*scan = (struct rws_scan){0};
	char *chunk = malloc(CHUNK);
	struct scanner s = {.opts = opts, .scan = scan,
			    .line = malloc(SEGMENT + 1)};
	if (chunk == NULL || s.line == NULL) {
		free(chunk);
		free(s.line);
		errno = ENOMEM;
		return -1;
	}
	int rc = 0;
	off_t offset = 0;
	for (;;) {
		ssize_t got = pread(fd, chunk, CHUNK, offset);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -1;
			break;
		}
		if (got == 0)
			break;
		feed(&s, chunk, (size_t)got);
		offset += got;
	}
	if (s.len > 0)
		look_at(&s, !s.continued); /* a last line without '\n' */
	scan->bytes = (uint64_t)offset;
	int saved = errno;
	free(chunk);
	free(s.line);
	errno = saved;
	return rc;
}
