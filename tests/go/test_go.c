/*
 * racewire for real Go (go/): the guarded race runtime under Go 1.19's own
 * race tests, real Go programs through racewire-go, and seed 001 (Go issue
 * 27660, fixed by Go commit e496e612b7f4) reintroduced in GOROOT copies by
 * go/patches/, each misuse named by the guard on every run.
 *
 * Everything here is real: Debian's Go, compiler-rt's TSan built by make
 * deps, go/build.sh's object. Programs are built by racewire-go into
 * O/go/testbin; a first run builds Go's standard library once per GOROOT
 * copy (guarded, and one per patch) into O/go/gocache.
 *
 * The seed 001 patches misuse TSan on the program's first cgo call (runtime
 * init makes one), so the guard's verdict is deterministic: no retries.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RWGO RW_BIN_DIR "/racewire-go"
#define DIAG RW_BIN_DIR "/racewire-diagnose"
#define PROGS RW_SRC_DIR "/tests/go/progs"
#define REPRO RW_SRC_DIR "/go/repro/test27660.go"
#define PROCCHURN RW_SRC_DIR "/go/repro/procchurn.go"
#define TESTBIN RW_OUT_DIR "/go/testbin"
#define GO_ROOT "/usr/lib/go-1.19"

struct run {
	int status; /* exit status, or 128 + signal */
	char *out;  /* stdout and stderr, NUL-terminated */
};

/* Run a shell command line, output captured in a file (no pipe to drain). */
static struct run sh(const char *fmt, ...)
{
	char cmd[4096], path[] = "/tmp/racewire-go-test-XXXXXX";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int fd = mkstemp(path);
	cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	struct stat sb;
	fstat(fd, &sb);
	struct run r = {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), calloc(1, (size_t)sb.st_size + 1)};
	cr_assert(r.out);
	if (sb.st_size > 0)
		cr_assert(pread(fd, r.out, (size_t)sb.st_size, 0) == sb.st_size);
	close(fd);
	unlink(path);
	return r;
}

static void need_go(void)
{
	if (access(GO_ROOT "/bin/go", X_OK) != 0)
		cr_skip_test("Go is not installed at " GO_ROOT " (make deps installs golang-1.19-go)");
	cr_assert(access(RWGO, X_OK) == 0, RWGO " is not built (make go)");
}

/* Build one Go source with racewire-go and the given options, into TESTBIN. */
static void build(const char *opts, const char *src, const char *name)
{
	mkdir(RW_OUT_DIR "/go", 0755);
	mkdir(TESTBIN, 0755);
	struct run r = sh("'%s' %s build -race -o '%s/%s' '%s'", RWGO, opts, TESTBIN, name, src);
	cr_assert_eq(r.status, 0, "racewire-go %s build of %s failed (%d):\n%s", opts, src, r.status, r.out);
	free(r.out);
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- Go's own race tests ---------------------------------------------------------- */

/* Go's runtime/race tests with racewire's object: TestRace runs Go's
 * testdata (every Race* case must report, every NoRace* must not), and the
 * other tests check output formats, GORACE options and the scheduler. */
Test(go, runtime_race_passes, .timeout = 1500)
{
	need_go();
	struct run r = sh("cd /tmp && '%s' test -race -count=1 -v runtime/race", RWGO);
	cr_expect_eq(r.status, 0, "go test -race runtime/race failed (%d):\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "\nok  \truntime/race"), "no ok line:\n%s", r.out);
	cr_expect(!strstr(r.out, "racewire:"), "racewire spoke:\n%s", r.out);
	/* TestRace's own tally: "Passed N of N tests (100.00%, 0+, 0-)". */
	const char *t = strstr(r.out, "Passed ");
	int passed = 0, total = -1;
	cr_assert(t && sscanf(t, "Passed %d of %d tests", &passed, &total) == 2, "no TestRace tally:\n%s", r.out);
	cr_expect_eq(passed, total, "TestRace: %d of %d agree", passed, total);
	cr_expect_gt(total, 300, "TestRace ran only %d cases", total);
	free(r.out);
}

/* ---- Programs through racewire-go -------------------------------------------------- */

Test(go, racy_program_reports_both_stacks, .timeout = 600)
{
	need_go();
	build("", PROGS "/racy.go", "racy");
	struct run r = sh("'%s/racy'", TESTBIN);
	cr_expect_eq(r.status, 66, "exit %d, want 66:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "WARNING: DATA RACE"), "%s", r.out);
	const char *prev = strstr(r.out, "Previous write at");
	cr_expect(prev, "no second stack:\n%s", r.out);
	/* Both accesses' stacks name bump in racy.go. */
	const char *first = strstr(r.out, "racy.go:");
	cr_expect(first && prev && first < prev && strstr(prev, "racy.go:"), "stacks:\n%s", r.out);
	cr_expect(strstr(r.out, "main.bump"), "%s", r.out);
	cr_expect(!strstr(r.out, "racewire:"), "racewire spoke:\n%s", r.out);
	free(r.out);
}

Test(go, correct_program_is_clean, .timeout = 600)
{
	need_go();
	build("", PROGS "/clean.go", "clean");
	/* The flight record too: Processor claims, goroutine starts and ends. */
	struct run r = sh("RACEWIRE_OPTIONS=flight=%s/clean.flight '%s/clean'", TESTBIN, TESTBIN);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "counter 56 sum 28 hits 8"), "%s", r.out);
	cr_expect(!strstr(r.out, "DATA RACE"), "%s", r.out);
	cr_expect(!strstr(r.out, "racewire:"), "racewire spoke:\n%s", r.out);
	free(r.out);
	r = sh("'%s' --flight %s/clean.flight /dev/null", DIAG, TESTBIN);
	cr_expect(strstr(r.out, "wire"), "no claims in the flight record:\n%s", r.out);
	cr_expect(strstr(r.out, "task-switch"), "no goroutine starts or ends in the flight record:\n%s", r.out);
	free(r.out);
}

/* ---- Seed 001 reintroduced (go/patches) ----------------------------------------------- */

/* raceacquire before exitsyscall: the M holds no P. TSan's acquire does not
 * ask for the Processor, so unguarded this is latent; the guard names it. */
Test(go, seed001_acquire_in_window_named, .timeout = 900)
{
	need_go();
	build("--patch=seed001-acquire-in-window", REPRO, "acquire");
	for (int i = 0; i < 3; i++) {
		struct run r = sh("'%s/acquire' -n 4 -ms 10", TESTBIN);
		cr_expect_eq(r.status, 2, "run %d: exit %d, want 2 (SIGABRT in Go):\n%s", i, r.status, r.out);
		cr_expect(starts_with(r.out, "racewire: FATAL: race call from an M that holds no P"), "run %d:\n%s", i,
		          r.out);
		cr_expect(strstr(r.out, "racewire:   entry point: __tsan_acquire (raceacquire)\n"), "%s", r.out);
		cr_expect(strstr(r.out, "racewire:   this thread: tid "), "%s", r.out);
		cr_expect(strstr(r.out, "racewire:   goroutine: "), "%s", r.out);
		cr_expect(strstr(r.out, "racewire:   P: "), "%s", r.out);
		cr_expect(strstr(r.out, "runtime.cgocall"), "Go's stack is missing:\n%s", r.out);
		free(r.out);
	}
}

/* A sync object made in the window needs the Processor. Unguarded, Go's
 * racecallbackthunk dereferences the nil P; guarded, the call is named
 * before TSan runs it; with only guarantee 2 on, TSan's question is. */
Test(go, seed001_release_in_window, .timeout = 900)
{
	need_go();
	build("--patch=seed001-release-in-window", REPRO, "release");
	struct run r = sh("'%s/release' -n 4 -ms 10", TESTBIN);
	cr_expect_eq(r.status, 2, "exit %d:\n%s", r.status, r.out);
	cr_expect(starts_with(r.out, "racewire: FATAL: race call from an M that holds no P"), "%s", r.out);
	cr_expect(strstr(r.out, "entry point: __tsan_release_merge (racereleasemerge)"), "%s", r.out);
	free(r.out);

	r = sh("RACEWIRE_OPTIONS=guard_wiring=0 '%s/release' -n 4 -ms 10", TESTBIN);
	cr_expect(starts_with(r.out, "racewire: FATAL: TSan asked for the Processor on an M that holds no P"), "%s",
	          r.out);
	cr_expect(strstr(r.out, "entry point: raceGetProcCmd"), "%s", r.out);
	free(r.out);

	r = sh("RACEWIRE_OPTIONS=guards=0 '%s/release' -n 4 -ms 10", TESTBIN);
	cr_expect_eq(r.status, 2, "exit %d:\n%s", r.status, r.out);
	cr_expect(starts_with(r.out, "SIGSEGV: segmentation violation"), "unguarded, want Go's SIGSEGV:\n%s", r.out);
	cr_expect(!strstr(r.out, "racewire:"), "%s", r.out);
	free(r.out);

	/* policy=borrow: named once, run on a spare Processor, counted. */
	r = sh("RACEWIRE_OPTIONS=policy=borrow '%s/release' -n 4 -ms 10", TESTBIN);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cr_expect(starts_with(r.out, "racewire: run on a spare Processor (policy=borrow): race call from an M that "
	                             "holds no P"),
	          "%s", r.out);
	cr_expect(strstr(r.out, "misplaced race call(s) run on a spare Processor (policy=borrow)"), "%s", r.out);
	cr_expect(strstr(r.out, "test27660: ok"), "%s", r.out);
	free(r.out);

	/* policy=drop: named once, counted, not run; the program completes. */
	r = sh("RACEWIRE_OPTIONS=policy=drop '%s/release' -n 4 -ms 10", TESTBIN);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cr_expect(starts_with(r.out, "racewire: dropped (policy=drop): race call from an M that holds no P"), "%s",
	          r.out);
	cr_expect(strstr(r.out, "misplaced race call(s) dropped (policy=drop)"), "%s", r.out);
	cr_expect(strstr(r.out, "test27660: ok"), "%s", r.out);
	free(r.out);
}

/* Go 1.11's state: m.p left set in the window. The P is not this M's (p.m
 * is another M, or none while the P waits in _Psyscall): named every run. */
Test(go, seed001_retaken_p_named, .timeout = 900)
{
	need_go();
	build("--patch=seed001-retaken-p", REPRO, "retaken");
	for (int i = 0; i < 3; i++) {
		struct run r = sh("'%s/retaken' -n 4 -ms 10", TESTBIN);
		cr_expect_eq(r.status, 2, "run %d: exit %d:\n%s", i, r.status, r.out);
		cr_expect(starts_with(r.out, "racewire: FATAL: race call from an M that does not own its P"), "run %d:\n%s",
		          i, r.out);
		cr_expect(strstr(r.out, "racewire:   P: "), "%s", r.out);
		free(r.out);
	}
}

/* ---- Failure modes --------------------------------------------------------------------- */

Test(go, bad_options_stop_the_program, .timeout = 600)
{
	need_go();
	build("", PROGS "/clean.go", "clean-opts");
	static const struct {
		const char *opts, *what;
	} cases[] = {
	    {"bogus=1", "unknown option"},
	    {"guards=2", "a guard switch is 0 or 1"},
	    {"policy=steal", "policy is abort, borrow or drop"},
	    {"guard_wiring", "an item is not key=value"},
	    {"verbosity=x", "the value is not a small integer"},
	    {"flight_events=3", "flight_events is in [16, 65536]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct run r = sh("RACEWIRE_OPTIONS='%s' '%s/clean-opts'", cases[i].opts, TESTBIN);
		cr_expect_eq(r.status, 2, "%s: exit %d:\n%s", cases[i].opts, r.status, r.out);
		char want[256];
		snprintf(want, sizeof want, "racewire: FATAL: bad RACEWIRE_OPTIONS: %s\n", cases[i].what);
		cr_expect(starts_with(r.out, want), "%s:\n%s", cases[i].opts, r.out);
		cr_expect(strstr(r.out, "racewire:   known options: policy, guards,"), "%s", r.out);
		cr_expect(!strstr(r.out, "counter"), "%s: the program ran:\n%s", cases[i].opts, r.out);
		free(r.out);
	}
	/* Good options are accepted, in every separator style. */
	struct run r = sh("RACEWIRE_OPTIONS='verbosity=2:guard_fini=1,policy=abort guards=1' '%s/clean-opts'", TESTBIN);
	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "racewire: 0 annotation(s) dropped after racefini began"), "%s", r.out);
	free(r.out);
}

Test(go, racewire_go_bad_arguments, .timeout = 60)
{
	need_go();
	static const struct {
		const char *args, *msg;
	} cases[] = {
	    {"--runtime=nope version", "racewire-go: --runtime must be guarded, stock or shipped, not 'nope'"},
	    {"--patch=nope version", "racewire-go: no patch 'nope' (go/patches/ has: seed001-"},
	    {"--patch=../x version", "racewire-go: no patch '../x'"},
	    {"--frobnicate version", "racewire-go: unknown option '--frobnicate'"},
	    {"", "racewire-go: no go command given"},
	    {"--runtime=shipped --debug version", "racewire-go: Go ships no debug race runtime"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct run r = sh("'%s' %s", RWGO, cases[i].args);
		cr_expect_eq(r.status, 2, "%s: exit %d:\n%s", cases[i].args, r.status, r.out);
		cr_expect(starts_with(r.out, cases[i].msg), "%s:\n%s", cases[i].args, r.out);
		free(r.out);
	}
	struct run r = sh("'%s' --help", RWGO);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "--print-goroot"), "%s", r.out);
	free(r.out);
	r = sh("'%s' version", RWGO);
	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(starts_with(r.out, "go version go1.19"), "%s", r.out);
	free(r.out);
	/* The copy replaces only the race object: the system's Go is untouched. */
	r = sh("cmp '%s/src/runtime/race/race_linux_amd64.syso' '%s/go/race_linux_amd64.syso' && "
	       "! cmp -s " GO_ROOT "/src/runtime/race/race_linux_amd64.syso '%s/go/race_linux_amd64.syso'",
	       RW_OUT_DIR "/go/goroot/guarded", RW_OUT_DIR, RW_OUT_DIR);
	cr_expect_eq(r.status, 0, "race objects:\n%s", r.out);
	free(r.out);
}

/* Guarantee 1's claim itself: go/patches/shared-processor gives every P
 * P 0's Processor, so each M owns its P and only the claim on the
 * Processor can see two threads in it. The claim is taken when TSan uses
 * the Processor, so the program is one that keeps it busy on two Ps
 * (go/repro/procchurn.go: a sync object per new channel, frees from the
 * sweeper). Measured: named in 4 of 4 runs; the stock object died with
 * SIGSEGV inside TSan in 3 of 3. It needs two Ms inside TSan at once:
 * bounded retries, skipped if the machine never lets them overlap. */
Test(go, shared_processor_claim_names_both_threads, .timeout = 900)
{
	need_go();
	build("--patch=shared-processor", PROCCHURN, "shared");
	for (int i = 0; i < 5; i++) {
		struct run r = sh("RACEWIRE_OPTIONS=policy=abort '%s/shared'", TESTBIN);
		if (r.status == 0) {
			cr_expect(strstr(r.out, "procchurn: ok"), "%s", r.out);
			free(r.out);
			continue;
		}
		cr_expect_eq(r.status, 2, "run %d: exit %d:\n%s", i, r.status, r.out);
		cr_expect(starts_with(r.out, "racewire: FATAL: two OS threads drive one TSan Processor at once\n"),
		          "run %d:\n%s", i, r.out);
		cr_expect(strstr(r.out, "racewire:   this thread: tid "), "%s", r.out);
		cr_expect(strstr(r.out, "racewire:   other thread: tid "), "%s", r.out);
		cr_expect(strstr(r.out, "racewire:   processor: 0x"), "%s", r.out);
		free(r.out);
		return;
	}
	cr_skip_test("two Ms never overlapped inside TSan in 5 runs (no second core free?)");
}

/* The same program unpatched: clean, so what the test above sees is the
 * patch's shared Processor and nothing else. */
Test(go, procchurn_is_clean_unpatched, .timeout = 600)
{
	need_go();
	build("", PROCCHURN, "procchurn");
	struct run r = sh("'%s/procchurn' -n 50000", TESTBIN);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "procchurn: ok"), "%s", r.out);
	cr_expect(!strstr(r.out, "racewire:"), "racewire spoke:\n%s", r.out);
	free(r.out);
}

/* go/build.sh refuses what it cannot check, before writing anything. */
Test(go, build_refuses_unknown_pairs, .timeout = 60)
{
	need_go();
	char fake[] = "/tmp/racewire-go-fake-XXXXXX";
	cr_assert(mkdtemp(fake));
	struct run r = sh("printf 'llvm: 18.1.0\\n' >%s/VERSION && bash '%s/go/build.sh' %s/out %s " GO_ROOT " cc",
	                  fake, RW_SRC_DIR, fake, fake);
	cr_expect_eq(r.status, 1, "%s", r.out);
	cr_expect(starts_with(r.out, "racewire go: unsupported pair: Go go1.19"), "%s", r.out);
	cr_expect(strstr(r.out, "with LLVM 18 is not in go/pairs.tsv (supported: Go go1.19 with LLVM 19)"), "%s", r.out);
	free(r.out);
	r = sh("bash '%s/go/build.sh' %s/out %s /nonexistent cc", RW_SRC_DIR, fake, fake);
	cr_expect_eq(r.status, 1, "%s", r.out);
	cr_expect(starts_with(r.out, "racewire go: no Go at /nonexistent"), "%s", r.out);
	free(r.out);
	r = sh("test ! -e %s/out/race_linux_amd64.syso && rm -rf %s", fake, fake);
	cr_expect_eq(r.status, 0, "an object was written");
	free(r.out);
}
