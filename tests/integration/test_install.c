/*
 * make install into a staging DESTDIR, then a program built and run
 * against the installed files only, through pkg-config exactly as the
 * README says (cc $(pkg-config --cflags --libs racewire) prog.c); then
 * make uninstall leaves no file behind.
 */
#include "child.h"

#include <ftw.h>

/* Run a shell command in the source folder; its output into out. */
static int shell(const char *cmd, char *out, size_t n)
{
	char full[2048];
	/* Not the outer make's jobserver: this make is a fresh one. */
	snprintf(full, sizeof full, "cd '%s' && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL %s 2>&1",
	         RW_SOURCE_DIR, cmd);
	FILE *p = popen(full, "r");
	cr_assert(p);
	size_t len = fread(out, 1, n - 1, p);
	out[len] = 0;
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int files_left;
static int count_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F) {
		files_left++;
		fprintf(stderr, "left behind: %s\n", path);
	}
	return 0;
}

static void build_with_pkg_config(const char *stage, const char *pc, const char *expect)
{
	char cmd[1024], out[8192];
	snprintf(cmd, sizeof cmd,
	         "cc $(PKG_CONFIG_PATH=%s/usr/lib/pkgconfig pkg-config --define-variable=prefix=%s/usr "
	         "--cflags --libs %s) examples/minimal.c -o %s/minimal-%s && %s/minimal-%s",
	         stage, stage, pc, stage, pc, stage, pc);
	int rc = shell(cmd, out, sizeof out);
	cr_expect_eq(rc, 0, "%s\nexited %d:\n%s", cmd, rc, out);
	cr_expect(strstr(out, expect), "%s printed:\n%s", cmd, out);
	snprintf(cmd, sizeof cmd, "%s/minimal-%s", stage, pc);
	unlink(cmd);
}

Test(install, installed_files_build_a_working_program, .timeout = 300)
{
	char stage[] = "/tmp/rw-install-XXXXXX";
	cr_assert(mkdtemp(stage));
	char cmd[1024], out[16384];
	snprintf(cmd, sizeof cmd, "make --no-print-directory -s O='%s' PREFIX=/usr DESTDIR='%s' install",
	         RW_BUILD_DIR, stage);
	int rc = shell(cmd, out, sizeof out);
	cr_assert_eq(rc, 0, "%s\nexited %d:\n%s", cmd, rc, out);

	const char *expected[] = {
		"usr/include/racewire.h", "usr/include/racewire/inline.h",
		"usr/lib/libracewire.a", "usr/lib/libracewire-none.a",
		"usr/lib/racewire/race_linux_amd64.syso", "usr/bin/racewire-stress",
		"usr/bin/racewire-diagnose", "usr/lib/pkgconfig/racewire.pc",
		"usr/lib/pkgconfig/racewire-go.pc", "usr/lib/pkgconfig/racewire-none.pc",
		"usr/share/man/man3/racewire.3",
	};
	for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", stage, expected[i]);
		cr_expect(access(path, F_OK) == 0, "%s was not installed", expected[i]);
	}

	/* With clang-19, the fiber backend's library and pkg-config file. */
	if (access("/usr/bin/clang-19", X_OK) == 0) {
		const char *fiber_files[] = {"usr/lib/libracewire-fiber.a",
		                             "usr/lib/pkgconfig/racewire-fiber.pc"};
		for (size_t i = 0; i < sizeof fiber_files / sizeof *fiber_files; i++) {
			char path[512];
			snprintf(path, sizeof path, "%s/%s", stage, fiber_files[i]);
			cr_expect(access(path, F_OK) == 0, "%s was not installed", fiber_files[i]);
		}
	}

	/* With Go installed, racewire-go and its guarded runtime come along. */
	if (access("/usr/lib/go-1.19/bin/go", X_OK) == 0) {
		const char *go_files[] = {"usr/bin/racewire-go", "usr/lib/racewire/go/race_linux_amd64.syso",
		                          "usr/share/racewire/go/patches"};
		for (size_t i = 0; i < sizeof go_files / sizeof *go_files; i++) {
			char path[512];
			snprintf(path, sizeof path, "%s/%s", stage, go_files[i]);
			cr_expect(access(path, F_OK) == 0, "%s was not installed", go_files[i]);
		}
		snprintf(cmd, sizeof cmd, "%s/usr/bin/racewire-go --help", stage);
		rc = shell(cmd, out, sizeof out);
		cr_expect_eq(rc, 0, "%s exited %d:\n%s", cmd, rc, out);
		cr_expect(strstr(out, "usage: racewire-go"), "%s", out);
	}

	/* Nothing from the source tree: only the staged prefix. */
	build_with_pkg_config(stage, "racewire", "minimal: received 42");
	build_with_pkg_config(stage, "racewire-none", "minimal: received 42");

	snprintf(cmd, sizeof cmd, "make --no-print-directory -s O='%s' PREFIX=/usr DESTDIR='%s' uninstall",
	         RW_BUILD_DIR, stage);
	rc = shell(cmd, out, sizeof out);
	cr_assert_eq(rc, 0, "%s\nexited %d:\n%s", cmd, rc, out);
	files_left = 0;
	nftw(stage, count_file, 16, FTW_PHYS);
	cr_expect_eq(files_left, 0, "make uninstall left %d file(s) behind", files_left);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", stage);
	shell(cmd, out, sizeof out);
}

Test(install, refuses_a_single_backend)
{
	char out[4096];
	int rc = shell("make --no-print-directory -s BACKEND=none DESTDIR=/nonexistent install", out,
	               sizeof out);
	cr_expect_neq(rc, 0);
	cr_expect(strstr(out, "make install builds and installs every backend"), "%s", out);
}
