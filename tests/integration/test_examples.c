/*
 * The README's examples, built the way the README says and run against the
 * real runtime: the C and the C++ example, each with its link line taken
 * from README.md itself, so that the documented command is the tested one.
 */
#include "child.h"

Test(examples, minimal_runs_clean, .timeout = 60)
{
	/* Examples are linked against the runtime the build selected. */
	struct child c = child_run("../examples", "minimal", NULL, NULL, 30);
	cr_assert(c.exited && c.exit_code == 0, "exit %d signal %d:\n%s", c.exit_code, c.term_signal, c.out);
	cr_expect(strstr(c.out, "minimal: received 42"), "%s", c.out);
	cr_expect(!strstr(c.out, "DATA RACE"), "%s", c.out);
	free(c.out);
}

/* The README's command that starts with `start` (a backslash-continued
 * shell line), joined into one line. */
static char *readme_command(const char *start)
{
	FILE *f = fopen(RW_SOURCE_DIR "/README.md", "r");
	cr_assert(f, "README.md not found in %s", RW_SOURCE_DIR);
	static char cmd[1024];
	char line[512];
	size_t n = 0;
	int in = 0;
	while (fgets(line, sizeof line, f)) {
		if (!in && strncmp(line, start, strlen(start)) != 0)
			continue;
		in = 1;
		size_t len = strcspn(line, "\n");
		int more = len > 0 && line[len - 1] == '\\';
		if (more)
			len--;
		cr_assert(n + len + 1 < sizeof cmd);
		memcpy(cmd + n, line, len);
		n += len;
		if (!more)
			break;
	}
	fclose(f);
	cr_assert(in, "README.md shows no command starting with '%s'", start);
	cmd[n] = 0;
	return cmd;
}

/* Replace every `from` in s by `to`, into out. */
static void replace_all(const char *s, const char *from, const char *to, char *out, size_t n)
{
	size_t o = 0, fl = strlen(from), tl = strlen(to);
	while (*s) {
		if (strncmp(s, from, fl) == 0) {
			cr_assert(o + tl < n);
			memcpy(out + o, to, tl);
			o += tl;
			s += fl;
		} else {
			cr_assert(o + 1 < n);
			out[o++] = *s++;
		}
	}
	out[o] = 0;
}

/* Build src with the README's line (prog file and build folder filled
 * in), run it, and expect a clean exchange. */
static void build_and_run(const char *readme_start, const char *placeholder, const char *src,
                          const char *expect)
{
	char a[1200], b[1200], cmd[1400];
	replace_all(readme_command(readme_start), placeholder, src, a, sizeof a);
	/* The library lives in the build's own folder (O=...); the runtime
	 * object is always under build/tsan. */
	replace_all(a, "build/lib/", RW_BUILD_DIR "/lib/", b, sizeof b);
	char exe[] = "/tmp/rw-example-XXXXXX";
	int fd = mkstemp(exe);
	cr_assert(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof cmd, "cd '%s' && %s -o %s 2>&1", RW_SOURCE_DIR, b, exe);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	char out[4096];
	size_t len = fread(out, 1, sizeof out - 1, p);
	out[len] = 0;
	int status = pclose(p);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s\nfailed:\n%s", b, out);

	p = popen(exe, "r");
	cr_assert(p);
	len = fread(out, 1, sizeof out - 1, p);
	out[len] = 0;
	status = pclose(p);
	unlink(exe);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s exited %d:\n%s", src, status, out);
	cr_expect(strstr(out, expect), "%s printed:\n%s", src, out);
}

Test(examples, readme_c_line_builds_and_runs, .timeout = 120)
{
	build_and_run("cc -std=c11 -no-pie", "prog.c", "examples/minimal.c", "minimal: received 42");
}

Test(examples, readme_cxx_line_builds_and_runs, .timeout = 120)
{
	build_and_run("c++ -std=c++17 -no-pie", "prog.cpp", "examples/minimal_cpp.cpp",
	              "minimal_cpp: received 42");
}
