/* Command-line parsing: GNU-style long options, a few short ones, and the
 * program to run after "--" or after the first non-option word.
 *
 * Every error names the offending option and value, because a stress job is
 * often launched from a script whose author is not looking at the terminal
 * when the usage text scrolls by.
 */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rws_print_usage(FILE *stream)
{
	fputs(
"usage: racewire-stress [options] [--] command [args...]\n"
"\n"
"Runs command over and over, N copies at once, and sorts every run into\n"
"pass, hang, racewire, tsan_check, race, signal, other, ignored.\n"
"\n"
"  -p, --parallel N      runs at once (default: online CPUs)\n"
"  -t, --timeout SEC     a run taking longer is a hang (default 60; 0 = none)\n"
"  -n, --count N         run sequence numbers 0..N-1 (of this shard), then stop\n"
"  -b, --budget SEC      start no run after SEC seconds of wall time\n"
"  -w, --windows N       start no run once the runs have reported N hazard\n"
"                        windows (lines \"racewire-windows: N\")\n"
"  -f, --failfast        stop at the first failure\n"
"  -s, --seed S          base seed (default: from the clock); run SEQ gets\n"
"                        RACEWIRE_STRESS_SEED=S+SEQ and RACEWIRE_STRESS_RUN=SEQ\n"
"      --shard I/N       run only sequence numbers with SEQ % N == I\n"
"  -o, --out DIR         output folder (default: stress-out)\n"
"      --fail REGEX      a run whose output matches fails even with exit 0\n"
"      --ignore REGEX    a failed run whose output matches counts as ignored\n"
"      --kill-grace SEC  SIGTERM to SIGKILL delay for a killed run (default 2)\n"
"      --no-stacks       do not capture a hung run's stacks with gdb/eu-stack\n"
"  -q, --quiet           no progress line every 5 s\n"
"      --json FILE       summary file (default: DIR/summary.json)\n"
"      --junit FILE      also a JUnit XML report, one test case per run\n"
"      --tap             TAP version 13 on stdout, one test point per run\n"
"      --flight DIR      a flight record per run: RACEWIRE_OPTIONS gets\n"
"                        flight=DIR/run-SEQ.flight (kept for failed runs)\n"
"      --diagnose CMD    verdict of a failed run: first line of CMD --oneline LOG\n"
"                        (default: racewire-diagnose beside this binary)\n"
"      --no-diagnose     no verdicts, even if racewire-diagnose is there\n"
"  -h, --help            this text\n"
"\n"
"Without --count, --budget, --windows or --failfast it runs until\n"
"interrupted (Ctrl-C).\n"
"Exit status: 0 no failure, 1 a failure, 2 bad arguments or command,\n"
"3 results lost (the output folder, runs.tsv, a log or a report could not\n"
"be written).\n"
"\n"
"       racewire-stress merge OUT DIR...\n"
"Combines the output folders of shards of one job into OUT: runs.tsv, the\n"
"failed runs' logs, summary.json, and the combined table.\n",
	      stream);
}

/* The one place errors are reported, so every message has the same shape. */
__attribute__((format(printf, 1, 2)))
static enum rws_parse_result usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("racewire-stress: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	rws_print_usage(stderr);
	return RWS_PARSE_ERROR;
}

/* strtoull accepts "-1" (wrapping) and leading spaces; we want neither. */
static bool parse_u64(const char *text, uint64_t *out)
{
	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = value;
	return true;
}

static bool parse_seconds(const char *text, double *out)
{
	if (!((text[0] >= '0' && text[0] <= '9') || text[0] == '.'))
		return false;
	errno = 0;
	char *end;
	double value = strtod(text, &end);
	if (errno != 0 || *end != '\0' || !isfinite(value) || value < 0)
		return false;
	*out = value;
	return true;
}

static bool parse_shard(const char *text, unsigned *index, unsigned *count)
{
	const char *slash = strchr(text, '/');
	if (slash == NULL || slash == text)
		return false;
	char index_text[32];
	size_t len = (size_t)(slash - text);
	if (len >= sizeof index_text)
		return false;
	memcpy(index_text, text, len);
	index_text[len] = '\0';
	uint64_t i, n;
	if (!parse_u64(index_text, &i) || !parse_u64(slash + 1, &n))
		return false;
	if (n == 0 || n > 1000000 || i >= n)
		return false;
	*index = (unsigned)i;
	*count = (unsigned)n;
	return true;
}

static bool compile_regex(regex_t *re, const char *pattern, const char *option)
{
	/* REG_NEWLINE: ^ and $ match at every line, the natural unit of a log. */
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
	if (rc == 0)
		return true;
	char why[256];
	regerror(rc, re, why, sizeof why);
	usage_error("bad regular expression for %s '%s': %s", option, pattern,
		    why);
	return false;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

enum {
	OPT_SHARD = 256,
	OPT_FAIL,
	OPT_IGNORE,
	OPT_KILL_GRACE,
	OPT_NO_STACKS,
	OPT_JSON,
	OPT_DIAGNOSE,
	OPT_NO_DIAGNOSE,
	OPT_JUNIT,
	OPT_TAP,
	OPT_FLIGHT,
};

enum rws_parse_result rws_parse_args(int argc, char **argv,
				     struct rws_options *opts)
{
	static const struct option long_options[] = {
		{"parallel", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 't'},
		{"count", required_argument, NULL, 'n'},
		{"budget", required_argument, NULL, 'b'},
		{"failfast", no_argument, NULL, 'f'},
		{"windows", required_argument, NULL, 'w'},
		{"seed", required_argument, NULL, 's'},
		{"shard", required_argument, NULL, OPT_SHARD},
		{"out", required_argument, NULL, 'o'},
		{"fail", required_argument, NULL, OPT_FAIL},
		{"ignore", required_argument, NULL, OPT_IGNORE},
		{"kill-grace", required_argument, NULL, OPT_KILL_GRACE},
		{"no-stacks", no_argument, NULL, OPT_NO_STACKS},
		{"quiet", no_argument, NULL, 'q'},
		{"json", required_argument, NULL, OPT_JSON},
		{"diagnose", required_argument, NULL, OPT_DIAGNOSE},
		{"no-diagnose", no_argument, NULL, OPT_NO_DIAGNOSE},
		{"junit", required_argument, NULL, OPT_JUNIT},
		{"tap", no_argument, NULL, OPT_TAP},
		{"flight", required_argument, NULL, OPT_FLIGHT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};

	*opts = (struct rws_options){
		.parallel = online_cpus(),
		.timeout_s = 60,
		.shard_count = 1,
		.out_dir = "stress-out",
		.kill_grace_s = 2,
		.capture_stacks = true,
	};

	/* "+": stop at the first non-option, so "racewire-stress -p 4 prog -x"
	 * hands -x to prog.  Leading ":": we print our own messages. */
	const char *shortopts = "+:p:t:n:b:w:fs:o:qh";
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, shortopts, long_options, NULL)) != -1) {
		/* optopt/argv[optind-1] name the offending word for errors. */
		const char *word = argv[optind - 1];
		uint64_t number;
		switch (c) {
		case 'p':
			if (!parse_u64(optarg, &number) || number == 0 ||
			    number > 4096)
				return usage_error("bad value for --parallel: '%s' (want 1..4096)", optarg);
			opts->parallel = (unsigned)number;
			break;
		case 't':
			if (!parse_seconds(optarg, &opts->timeout_s))
				return usage_error("bad value for --timeout: '%s' (want seconds >= 0)", optarg);
			break;
		case 'n':
			if (!parse_u64(optarg, &opts->count) || opts->count == 0)
				return usage_error("bad value for --count: '%s' (want an integer >= 1)", optarg);
			break;
		case 'b':
			if (!parse_seconds(optarg, &opts->budget_s) ||
			    opts->budget_s == 0)
				return usage_error("bad value for --budget: '%s' (want seconds > 0)", optarg);
			break;
		case 'w':
			if (!parse_u64(optarg, &opts->windows_target) ||
			    opts->windows_target == 0)
				return usage_error("bad value for --windows: '%s' (want an integer >= 1)", optarg);
			break;
		case 'f':
			opts->failfast = true;
			break;
		case 's':
			if (!parse_u64(optarg, &opts->seed))
				return usage_error("bad value for --seed: '%s' (want an unsigned integer)", optarg);
			opts->seed_given = true;
			break;
		case OPT_SHARD:
			if (!parse_shard(optarg, &opts->shard_index,
					 &opts->shard_count))
				return usage_error("bad value for --shard: '%s' (want I/N with 0 <= I < N)", optarg);
			break;
		case 'o':
			if (optarg[0] == '\0')
				return usage_error("bad value for --out: empty path");
			opts->out_dir = optarg;
			break;
		case OPT_FAIL:
			if (opts->fail_pattern != NULL)
				regfree(&opts->fail_regex);
			opts->fail_pattern = NULL;
			if (!compile_regex(&opts->fail_regex, optarg, "--fail"))
				return RWS_PARSE_ERROR;
			opts->fail_pattern = optarg;
			break;
		case OPT_IGNORE:
			if (opts->ignore_pattern != NULL)
				regfree(&opts->ignore_regex);
			opts->ignore_pattern = NULL;
			if (!compile_regex(&opts->ignore_regex, optarg, "--ignore"))
				return RWS_PARSE_ERROR;
			opts->ignore_pattern = optarg;
			break;
		case OPT_KILL_GRACE:
			if (!parse_seconds(optarg, &opts->kill_grace_s))
				return usage_error("bad value for --kill-grace: '%s' (want seconds >= 0)", optarg);
			break;
		case OPT_NO_STACKS:
			opts->capture_stacks = false;
			break;
		case 'q':
			opts->quiet = true;
			break;
		case OPT_JSON:
			if (optarg[0] == '\0')
				return usage_error("bad value for --json: empty path");
			opts->json_path = optarg;
			break;
		case OPT_DIAGNOSE:
			if (optarg[0] == '\0')
				return usage_error("bad value for --diagnose: empty command");
			opts->diagnose_cmd = optarg;
			opts->diagnose_disabled = false;
			break;
		case OPT_NO_DIAGNOSE:
			opts->diagnose_cmd = NULL;
			opts->diagnose_disabled = true;
			break;
		case OPT_JUNIT:
			if (optarg[0] == '\0')
				return usage_error("bad value for --junit: empty path");
			opts->junit_path = optarg;
			break;
		case OPT_TAP:
			opts->tap = true;
			break;
		case OPT_FLIGHT:
			if (optarg[0] == '\0')
				return usage_error("bad value for --flight: empty path");
			/* RACEWIRE_OPTIONS separates items with ':' and has no
			 * quoting: such a folder would be cut in two. */
			if (strchr(optarg, ':') != NULL)
				return usage_error("bad value for --flight: '%s' (a folder whose path has no ':')", optarg);
			opts->flight_dir = optarg;
			break;
		case 'h':
			rws_print_usage(stdout);
			return RWS_PARSE_HELP;
		case ':':
			return usage_error("option '%s' needs a value", word);
		default:
			if (optopt != 0)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", word);
		}
	}
	if (optind >= argc)
		return usage_error("no command given (put it after --)");
	opts->command = &argv[optind];
	return RWS_PARSE_OK;
}

void rws_free_options(struct rws_options *opts)
{
	if (opts->fail_pattern != NULL)
		regfree(&opts->fail_regex);
	if (opts->ignore_pattern != NULL)
		regfree(&opts->ignore_regex);
	opts->fail_pattern = opts->ignore_pattern = NULL;
}
