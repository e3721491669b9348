/* Runner test helper: BYTES of harmless output, then a TSan race report's
 * first line, then exit 0.  "bigout BYTES" writes 100-byte lines; "bigout
 * BYTES long" writes one line with no newline before the report, so the
 * report starts mid-line.  The runner must classify the run "race" however
 * far in the report is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, p, n);
		if (w <= 0)
			exit(3);
		p += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	size_t bytes = strtoull(argv[1], NULL, 10);
	int one_line = argc > 2 && strcmp(argv[2], "long") == 0;
	static char block[1 << 16];
	memset(block, 'x', sizeof block);
	if (!one_line)
		for (size_t i = 99; i < sizeof block; i += 100)
			block[i] = '\n';
	while (bytes > 0) {
		size_t n = bytes < sizeof block ? bytes : sizeof block;
		write_all(block, n);
		bytes -= n;
	}
	static const char report[] = "WARNING: DATA RACE\n";
	write_all(report, sizeof report - 1);
	return 0;
}
