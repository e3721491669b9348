/*
 * test_fidelity: the race-detection fidelity suite (tests/fidelity/): Go's
 * race detector tests ported to the model runtime, each run as its own
 * process (`fidelity run NAME`), two at a time. A TestRace* port must be
 * reported (exit 66 and "WARNING: DATA RACE"), a TestNoRace* port must end
 * clean (exit 0, no report). Prints one line per case and the totals.
 * `fidelity gaps` cases (model limitations kept as reproducers; none
 * today) are run and shown too, but not asserted. tests/fidelity/README.md
 * lists the Go tests not in the suite and why.
 *
 * The first run uses one processor (MD_PROCS=1): tasks interleave but
 * never run in parallel, and every outcome depends on happens-before only.
 * The third test runs the suite on two processors: every RACE case must be
 * reported in every one of 20 runs, and every NORACE case be clean. The
 * misses it used to see were placement: a port that raced only in Go's
 * usual order (a gate keeps that order now). TSan's own check-then-store
 * window needs two accesses within about a microsecond, which no case
 * makes (bench/missrate/ measures it); tests/fidelity/README.md, "On two
 * processors".
 */
#include "../integration/child.h"

#include <fcntl.h>

#define MAXC 512
#define JOBS 2
#define CASE_TIMEOUT 20.0

struct fcase {
	char name[96];
	int expect_race;
	/* results */
	int exited, code, sig, timed_out, reported, done;
	double secs;
};

enum verdict { V_RACE_OK, V_CLEAN_OK, V_MISS, V_FALSE_ALARM, V_BROKEN };
static const char *const vname[] = {"ok (race reported)", "ok (clean)", "MISS", "FALSE ALARM",
                                    "BROKEN"};

static int load_cases(const char *flavor, const char *what, struct fcase *cs)
{
	const char *args[] = {what, NULL};
	struct child c = child_run(flavor, "fidelity", args, NULL, 20);
	cr_assert(c.exited && c.exit_code == 0, "fidelity %s failed:\n%s", what, c.out);
	int n = 0;
	char *save, *line = strtok_r(c.out, "\n", &save);
	for (; line && n < MAXC; line = strtok_r(NULL, "\n", &save)) {
		char name[96], exp[16];
		if (sscanf(line, "%95s %15s", name, exp) != 2)
			continue;
		memset(&cs[n], 0, sizeof cs[n]);
		snprintf(cs[n].name, sizeof cs[n].name, "%s", name);
		cr_assert(!strcmp(exp, "RACE") || !strcmp(exp, "NORACE"), "bad line: %s", line);
		cs[n].expect_race = !strcmp(exp, "RACE");
		n++;
	}
	free(c.out);
	return n;
}

struct slot {
	pid_t pid;
	int fd;
	struct fcase *c;
	char *out;
	size_t len, cap;
	double start;
};

static void start(struct slot *s, const char *flavor, const char *procs, struct fcase *c)
{
	/* TSan sleeps 1 s at exit by default when other threads exist. */
	char md_procs[32];
	snprintf(md_procs, sizeof md_procs, "MD_PROCS=%s", procs);
	const char *env[] = {"GORACE=atexit_sleep_ms=0", md_procs, NULL};
	const char *args[] = {"run", c->name, NULL};
	int fd;
	pid_t pid = child_spawn(flavor, "fidelity", args, env, &fd);
	*s = (struct slot){.pid = pid, .fd = fd, .c = c, .cap = 1 << 14, .start = child_now()};
	s->out = malloc(s->cap);
}

static void finish(struct slot *s, int timed_out)
{
	if (timed_out)
		kill(s->pid, SIGKILL);
	close(s->fd);
	int status;
	waitpid(s->pid, &status, 0);
	s->out[s->len] = '\0';
	struct fcase *c = s->c;
	c->timed_out = timed_out;
	c->exited = WIFEXITED(status);
	c->code = c->exited ? WEXITSTATUS(status) : -1;
	c->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	c->reported = strstr(s->out, "WARNING: DATA RACE") != NULL;
	c->done = strstr(s->out, ": done") != NULL;
	c->secs = child_now() - s->start;
	int broken = !(c->exited && ((c->code == 66 && c->reported) || (c->code == 0 && !c->reported)));
	if (broken)
		printf("---- %s: exit %d signal %d%s; output:\n%.3000s\n", c->name, c->code, c->sig,
		       timed_out ? " (timed out)" : "", s->out);
	free(s->out);
	s->pid = 0;
}

/* Run every case, JOBS at a time. */
static void run_all(const char *flavor, const char *procs, struct fcase *cs, int n)
{
	struct slot slots[JOBS] = {0};
	int next = 0, running = 0;
	while (next < n || running) {
		for (int j = 0; j < JOBS && next < n; j++)
			if (!slots[j].pid) {
				start(&slots[j], flavor, procs, &cs[next++]);
				running++;
			}
		struct pollfd p[JOBS];
		int idx[JOBS], np = 0;
		for (int j = 0; j < JOBS; j++)
			if (slots[j].pid) {
				p[np] = (struct pollfd){.fd = slots[j].fd, .events = POLLIN};
				idx[np++] = j;
			}
		poll(p, (nfds_t)np, 100);
		for (int k = 0; k < np; k++) {
			struct slot *s = &slots[idx[k]];
			if (p[k].revents & (POLLIN | POLLHUP)) {
				if (s->len + 4096 + 1 > s->cap)
					s->out = realloc(s->out, s->cap *= 2);
				ssize_t r = read(s->fd, s->out + s->len, 4096);
				if (r > 0) {
					s->len += (size_t)r;
					continue;
				}
				finish(s, 0);
				running--;
			} else if (child_now() - s->start > CASE_TIMEOUT) {
				finish(s, 1);
				running--;
			}
		}
	}
}

static enum verdict verdict_of(const struct fcase *c)
{
	if (!c->exited || c->timed_out)
		return V_BROKEN;
	int got_race = c->code == 66 && c->reported;
	int got_clean = c->code == 0 && !c->reported && c->done;
	if (!got_race && !got_clean)
		return V_BROKEN;
	if (c->expect_race)
		return got_race ? V_RACE_OK : V_MISS;
	return got_clean ? V_CLEAN_OK : V_FALSE_ALARM;
}

static void table(const char *title, struct fcase *cs, int n, int totals[5])
{
	printf("%s\n%-36s %-8s %-8s %6s  %s\n", title, "case", "expected", "got", "secs", "verdict");
	for (int i = 0; i < n; i++) {
		const struct fcase *c = &cs[i];
		enum verdict v = verdict_of(c);
		const char *got = v == V_BROKEN ? "broken" : (c->code == 66 ? "RACE" : "NORACE");
		printf("%-36s %-8s %-8s %6.2f  %s\n", c->name, c->expect_race ? "RACE" : "NORACE", got,
		       c->secs, vname[v]);
		totals[v]++;
	}
}

static struct fcase cases[MAXC], gaps[MAXC];

Test(fidelity, go_race_tests_ported, .timeout = 480)
{
	double t0 = child_now();
	int n = load_cases("release", "list", cases);
	int ng = load_cases("release", "gaps", gaps);
	run_all("release", "1", cases, n);
	run_all("release", "1", gaps, ng);

	int totals[5] = {0}, gtotals[5] = {0};
	table("fidelity suite (release runtime, MD_PROCS=1):", cases, n, totals);
	table("known gaps (reproducers, not asserted):", gaps, ng, gtotals);
	int nrace = 0;
	for (int i = 0; i < n; i++)
		nrace += cases[i].expect_race;
	printf("fidelity: %d cases (%d RACE, %d NORACE): %d races reported, %d clean, %d misses, "
	       "%d false alarms, %d broken; %d known gaps; %.1f s\n",
	       n, nrace, n - nrace, totals[V_RACE_OK], totals[V_CLEAN_OK], totals[V_MISS],
	       totals[V_FALSE_ALARM], totals[V_BROKEN], ng, child_now() - t0);
	fflush(stdout);

	cr_assert_geq(n, 349, "only %d cases", n);
	cr_assert(nrace > 0 && nrace < n, "both RACE and NORACE cases must be present");
	cr_assert_eq(totals[V_MISS] + totals[V_FALSE_ALARM] + totals[V_BROKEN], 0,
	             "%d misses, %d false alarms, %d broken (see the table)", totals[V_MISS],
	             totals[V_FALSE_ALARM], totals[V_BROKEN]);
}

/* A handful against the debug runtime (TSan's internal CHECKs on), one or
 * more per primitive. */
static const char *const debug_cases[][2] = {
	{"RaceSelect2", "RACE"},
	{"NoRaceSelectMutex", "NORACE"},
	{"RaceRWMutexMultipleReaders", "RACE"},
	{"NoRaceRWMutexTransitive", "NORACE"},
	{"RaceCond", "RACE"},
	{"RaceMapBigValAccess1", "RACE"},
	{"RaceAtomicAddStore", "RACE"},
	{"RaceMutexOverwrite", "RACE"},
	{"NoRaceElemetSize0", "NORACE"},
	{"RaceIssue51618", "RACE"},
	{"RaceChanSem", "RACE"},
	{"NoRaceChanMutex", "NORACE"},
	{"NoRaceBlockedSendSync", "NORACE"},
	{"NoRaceChanWaitGroup", "NORACE"},
	{"RaceTLS", "RACE"},
	{"RaceMutex", "RACE"},
	{"NoRaceMutexSemaphore", "NORACE"},
	{"NoRaceWaitGroupReuse2", "NORACE"},
	{"RacePanicArg", "RACE"},
	{"NoRaceAtomicCASCASInt32_2", "NORACE"},
	{"RaceChanCloseClose", "RACE"},
	{"NoRaceHeapReallocation", "NORACE"},
};

Test(fidelity, some_cases_debug_runtime, .timeout = 120)
{
	int n = (int)(sizeof debug_cases / sizeof *debug_cases);
	struct fcase cs[sizeof debug_cases / sizeof *debug_cases];
	memset(cs, 0, sizeof cs);
	for (int i = 0; i < n; i++) {
		snprintf(cs[i].name, sizeof cs[i].name, "%s", debug_cases[i][0]);
		cs[i].expect_race = !strcmp(debug_cases[i][1], "RACE");
	}
	run_all("debug", "1", cs, n);
	int totals[5] = {0};
	table("fidelity, debug runtime (MD_PROCS=1):", cs, n, totals);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		enum verdict v = verdict_of(&cs[i]);
		cr_expect(v == V_RACE_OK || v == V_CLEAN_OK, "%s: %s", cs[i].name, vname[v]);
	}
}

/* The whole suite on two processors (real parallelism): every RACE case
 * reported in every one of PAR_RUNS runs, every NORACE case clean. The
 * runs go round by round (each round is the whole RACE list), so that a
 * burst of load hits every case alike. A miss prints the case and its
 * output; tests/fidelity/README.md ("On two processors") says what used to
 * make cases miss and how the suite rules each cause out. */
#define PAR_RUNS 20

Test(fidelity, two_processors_every_run, .timeout = 1500)
{
	double t0 = child_now();
	static struct fcase list[MAXC];
	int n = load_cases("release", "list", list);
	int nrace = 0;
	for (int i = 0; i < n; i++)
		nrace += list[i].expect_race;
	int njobs = nrace * PAR_RUNS + (n - nrace);
	struct fcase *jobs = calloc((size_t)njobs, sizeof *jobs);
	cr_assert(jobs);
	int k = 0;
	for (int i = 0; i < n; i++)
		if (!list[i].expect_race)
			jobs[k++] = list[i];
	for (int r = 0; r < PAR_RUNS; r++)
		for (int i = 0; i < n; i++)
			if (list[i].expect_race)
				jobs[k++] = list[i];
	run_all("release", "2", jobs, njobs);

	int totals[5] = {0};
	for (int j = 0; j < njobs; j++) {
		enum verdict v = verdict_of(&jobs[j]);
		totals[v]++;
		if (v != V_RACE_OK && v != V_CLEAN_OK)
			printf("fidelity MD_PROCS=2: %-36s %s\n", jobs[j].name, vname[v]);
	}
	printf("fidelity MD_PROCS=2: %d RACE cases x %d runs, %d NORACE cases x 1: %d races "
	       "reported, %d clean, %d misses, %d false alarms, %d broken; %.1f s\n",
	       nrace, PAR_RUNS, n - nrace, totals[V_RACE_OK], totals[V_CLEAN_OK], totals[V_MISS],
	       totals[V_FALSE_ALARM], totals[V_BROKEN], child_now() - t0);
	fflush(stdout);
	free(jobs);
	cr_assert_geq(n, 349, "only %d cases", n);
	cr_assert_eq(totals[V_MISS] + totals[V_FALSE_ALARM] + totals[V_BROKEN], 0,
	             "%d misses, %d false alarms, %d broken (listed above)", totals[V_MISS],
	             totals[V_FALSE_ALARM], totals[V_BROKEN]);
}
