/* Merging shards.  A fleet of machines each runs one shard of a job
 * (--shard I/N: sequence numbers SEQ % N == I), so the shards' runs are
 * disjoint and together they are the one job.  merge checks that the
 * folders really are shards of one job (same command, same N, each I at
 * most once) and complete (runs.tsv agrees with summary.json class by
 * class: a shard cut off mid-write would otherwise be merged as if it had
 * fewer runs), then writes what a single job would have written: runs.tsv
 * with every shard's lines, the failed runs' logs, summary.json with the
 * combined counts and the Wilson bound over all runs, and the table.
 *
 * Nothing is written into OUT before every input has been read and
 * checked, and OUT must not already hold a job, so a mistake cannot
 * destroy a result.
 */
#include "merge.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "runlog.h"
#include "rws.h"
#include "stats.h"

enum { MERGE_OK = 0, MERGE_FAILURES = 1, MERGE_USAGE = 2, MERGE_LOST = 3 };

#define JOBLOG_HEADER_PREFIX "seq\tseed\tstart\tduration_s\texit_status\tsignal\tclass\tlog_file\tverdict"

struct shard {
	const char *dir;
	char *summary;            /* summary.json's text */
	char *runs;               /* runs.tsv's text */
	char *command;            /* the "command" array's JSON text */
	uint64_t seed;
	unsigned index, count;
	unsigned parallel;
	uint64_t job_count;       /* --count of the job, 0 = none */
	double timeout_s, elapsed_s;
	bool interrupted;
	struct rws_stats stats;   /* from runs.tsv, checked against summary */
};

static void usage(FILE *out)
{
	fputs("usage: racewire-stress merge OUT DIR...\n"
	      "\n"
	      "Combines the output folders of shards of one job (--shard I/N) into\n"
	      "OUT: runs.tsv, the failed runs' logs, summary.json with the combined\n"
	      "counts and failure-rate bound, and the table on stdout.  OUT must not\n"
	      "hold a job already.  Exit status: 0 no failure, 1 a failure, 2 a\n"
	      "missing, incomplete or incompatible folder, 3 OUT not written.\n"
	      "\n"
	      "  -h, --help   this text\n",
	      out);
}

__attribute__((format(printf, 1, 2)))
static int merge_error(const char *fmt, ...)
{
	va_list ap;
	fputs("racewire-stress merge: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return MERGE_USAGE;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	char *text = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 65536 + 1 > cap) {
			cap = (len + 65536 + 1) * 2;
			char *bigger = realloc(text, cap);
			if (bigger == NULL) {
				free(text);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			text = bigger;
		}
		size_t got = fread(text + len, 1, 65536, f);
		len += got;
		if (got == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(text);
		errno = EIO;
		return NULL;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		errno = EINVAL;
		return NULL;
	}
	return text;
}

/* The text after a top-level "key": (one field per line, two spaces in). */
static const char *field(const char *json, const char *key)
{
	char needle[64];
	snprintf(needle, sizeof needle, "\n  \"%s\": ", key);
	const char *at = strstr(json, needle);
	return at != NULL ? at + strlen(needle) : NULL;
}

static bool field_u64(const char *json, const char *key, uint64_t *out)
{
	const char *at = field(json, key);
	return at != NULL && sscanf(at, "%" SCNu64, out) == 1;
}

static bool field_double(const char *json, const char *key, double *out)
{
	const char *at = field(json, key);
	return at != NULL && sscanf(at, "%lf", out) == 1;
}

static int read_summary(struct shard *sh)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/summary.json", sh->dir);
	sh->summary = slurp(path);
	if (sh->summary == NULL)
		return merge_error("%s: cannot read summary.json: %s (not an output "
				   "folder of racewire-stress, or its job did not finish)",
				   sh->dir, strerror(errno));
	const char *cmd = field(sh->summary, "command");
	const char *cmd_end = cmd != NULL ? strstr(cmd, "],\n") : NULL;
	uint64_t index, count, parallel;
	if (sh->summary[0] != '{' || cmd == NULL || cmd[0] != '[' ||
	    cmd_end == NULL || !field_u64(sh->summary, "seed", &sh->seed) ||
	    !field_u64(sh->summary, "shard_index", &index) ||
	    !field_u64(sh->summary, "shard_count", &count) ||
	    !field_u64(sh->summary, "parallel", &parallel) ||
	    !field_double(sh->summary, "timeout_s", &sh->timeout_s) ||
	    !field_double(sh->summary, "elapsed_s", &sh->elapsed_s) ||
	    !field_u64(sh->summary, "count", &sh->job_count) ||
	    field(sh->summary, "counts") == NULL ||
	    field(sh->summary, "interrupted") == NULL ||
	    count == 0 || index >= count || count > 1000000)
		return merge_error("%s/summary.json: not a racewire-stress summary "
				   "(a field is missing or malformed)", sh->dir);
	sh->command = strndup(cmd, (size_t)(cmd_end - cmd) + 1);
	sh->index = (unsigned)index;
	sh->count = (unsigned)count;
	sh->parallel = (unsigned)parallel;
	sh->interrupted = strncmp(field(sh->summary, "interrupted"), "true", 4) == 0;
	return sh->command != NULL ? 0 : merge_error("out of memory");
}

static bool class_of(const char *name, size_t len, enum rws_class *out)
{
	for (int c = 0; c < RWS_CLASS_COUNT; c++) {
		const char *n = rws_class_name((enum rws_class)c);
		if (strlen(n) == len && memcmp(n, name, len) == 0) {
			*out = (enum rws_class)c;
			return true;
		}
	}
	return false;
}

/* Column `col` (0-based) of a runs.tsv line: pointer and length. */
static bool column(const char *line, unsigned col, const char **at, size_t *len)
{
	const char *p = line;
	for (unsigned c = 0; c < col; c++) {
		p = strpbrk(p, "\t\n");
		if (p == NULL || *p != '\t')
			return false;
		p++;
	}
	*at = p;
	*len = strcspn(p, "\t\n");
	return true;
}

static int read_runs(struct shard *sh)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/runs.tsv", sh->dir);
	sh->runs = slurp(path);
	if (sh->runs == NULL)
		return merge_error("%s: cannot read runs.tsv: %s", sh->dir,
				   strerror(errno));
	if (strncmp(sh->runs, JOBLOG_HEADER_PREFIX,
		    strlen(JOBLOG_HEADER_PREFIX)) != 0)
		return merge_error("%s/runs.tsv: not a racewire-stress job log "
				   "(its header is not seq, seed, start, ...)", sh->dir);
	unsigned lineno = 1;
	const char *at;
	size_t len;
	for (const char *line = strchr(sh->runs, '\n'); line != NULL && line[1];
	     line = strchr(line + 1, '\n')) {
		lineno++;
		enum rws_class class;
		uint64_t seq, windows = 0;
		if (sscanf(line + 1, "%" SCNu64, &seq) != 1 ||
		    !column(line + 1, 8, &at, &len) ||
		    !column(line + 1, 6, &at, &len) || !class_of(at, len, &class))
			return merge_error("%s/runs.tsv:%u: malformed line", sh->dir,
					   lineno);
		if (seq % sh->count != sh->index)
			return merge_error("%s/runs.tsv:%u: run %" PRIu64
					   " does not belong to shard %u/%u", sh->dir,
					   lineno, seq, sh->index, sh->count);
		rws_stats_add(&sh->stats, class);
		if (column(line + 1, 9, &at, &len) && len > 0 && *at != '-' &&
		    sscanf(at, "%" SCNu64, &windows) == 1 &&
		    class != RWS_CLASS_INTERRUPTED)
			sh->stats.windows += windows;
	}
	const char *counts = field(sh->summary, "counts");
	for (int c = 0; c < RWS_CLASS_COUNT; c++) {
		char needle[64];
		snprintf(needle, sizeof needle, "\"%s\": ",
			 rws_class_name((enum rws_class)c));
		const char *at = strstr(counts, needle);
		uint64_t said;
		if (at == NULL || at > strchr(counts, '}') ||
		    sscanf(at + strlen(needle), "%" SCNu64, &said) != 1)
			return merge_error("%s/summary.json: no count for class %s",
					   sh->dir, rws_class_name((enum rws_class)c));
		if (said != sh->stats.by_class[c])
			return merge_error("%s: runs.tsv has %" PRIu64 " runs of class "
					   "%s, summary.json says %" PRIu64
					   ": the folder is incomplete", sh->dir,
					   sh->stats.by_class[c],
					   rws_class_name((enum rws_class)c), said);
	}
	return 0;
}

/* The command array back into words, for the table.  The runner escapes
 * only '"', '\\', control characters and invalid UTF-8 (as U+FFFD, which
 * stays), so this is all the decoding it needs. */
static char **command_words(const char *json)
{
	size_t cap = 8, n = 0;
	char **words = calloc(cap, sizeof *words);
	for (const char *p = json; words != NULL && *p != '\0' && *p != ']'; p++) {
		if (*p != '"')
			continue;
		char *word = malloc(strlen(p) + 1), *w = word;
		if (word == NULL)
			break;
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p != '\\') {
				*w++ = *p;
				continue;
			}
			p++;
			if (*p == 'n')
				*w++ = '\n';
			else if (*p == 't')
				*w++ = '\t';
			else if (*p == 'u' && strlen(p) >= 5)
				*w++ = (char)strtol((char[]){p[1], p[2], p[3], p[4], 0},
						    NULL, 16), p += 4;
			else if (*p != '\0')
				*w++ = *p;
			else
				break;
		}
		*w = '\0';
		if (n + 1 >= cap) {
			char **bigger = realloc(words, (cap *= 2) * sizeof *words);
			if (bigger == NULL) {
				free(word);
				break;
			}
			words = bigger;
		}
		words[n++] = word;
		words[n] = NULL;
		if (*p == '\0')
			break;
	}
	return words;
}

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		int saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	char buffer[65536];
	ssize_t got;
	int rc = 0;
	while ((got = read(in, buffer, sizeof buffer)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		for (ssize_t done = 0; done < got;) {
			ssize_t n = write(out, buffer + done, (size_t)(got - done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = -1;
				break;
			}
			done += n;
		}
		if (rc != 0)
			break;
	}
	int saved = errno;
	close(in);
	if (close(out) != 0)
		rc = -1;
	errno = saved;
	return rc;
}

/* One shard's lines into OUT's runs.tsv, its files copied into OUT and the
 * paths in the line rewritten to the copies.  A log lives in its job's
 * output folder, so it is looked up there by name, wherever the shard's
 * folder has been moved since (a CI artifact, say). */
static int copy_lines(const struct shard *sh, const char *out_dir, FILE *tsv,
		      struct rws_run *listed, unsigned *listed_count)
{
	for (const char *line = strchr(sh->runs, '\n'); line != NULL && line[1];
	     line = strchr(line + 1, '\n')) {
		const char *start = line + 1;
		const char *log = NULL, *verdict = NULL, *flight = NULL;
		const char *class_at = NULL;
		size_t log_len = 0, verdict_len = 0, flight_len = 0, class_len = 0;
		if (!column(start, 6, &class_at, &class_len) ||
		    !column(start, 7, &log, &log_len) ||
		    !column(start, 8, &verdict, &verdict_len)) {
			fprintf(stderr, "racewire-stress merge: %s/runs.tsv: a line "
				"has fewer than 9 columns\n", sh->dir);
			return -1;
		}
		if (!column(start, 10, &flight, &flight_len))
			flight = NULL;
		char new_log[8400] = "-", new_flight[8400] = "-";
		const char *files[2][2] = {{log, NULL}, {flight, NULL}};
		size_t lens[2] = {log_len, flight != NULL ? flight_len : 0};
		char *targets[2] = {new_log, new_flight};
		for (int f = 0; f < 2; f++) {
			if (files[f][0] == NULL || lens[f] == 0 ||
			    (lens[f] == 1 && files[f][0][0] == '-'))
				continue;
			char name[4096], from[8300];
			snprintf(name, sizeof name, "%.*s", (int)lens[f], files[f][0]);
			const char *base = strrchr(name, '/');
			base = base != NULL ? base + 1 : name;
			/* A log is in its job's folder; a flight record may be
			 * anywhere (--flight DIR), so try where it was too. */
			snprintf(from, sizeof from, "%s/%s", sh->dir, base);
			if (f == 1 && access(from, R_OK) != 0)
				snprintf(from, sizeof from, "%s", name);
			snprintf(targets[f], sizeof new_log, "%s/%s", out_dir, base);
			if (copy_file(from, targets[f]) != 0) {
				fprintf(stderr, "racewire-stress merge: cannot copy %s "
					"to %s: %s\n", from, targets[f], strerror(errno));
				return -1;
			}
		}
		/* seq .. class, then the new log, verdict, windows, new flight. */
		const char *windows;
		size_t windows_len;
		if (!column(start, 9, &windows, &windows_len))
			windows = "-", windows_len = 1;
		fprintf(tsv, "%.*s\t%s\t%.*s\t%.*s\t%s\n",
			(int)(log - start - 1), start, new_log, (int)verdict_len,
			verdict, (int)windows_len, windows, new_flight);
		enum rws_class class;
		if (class_of(class_at, class_len, &class) &&
		    rws_class_is_failure(class) && *listed_count < RWS_LISTED_FAILURES) {
			struct rws_run *run = &listed[(*listed_count)++];
			*run = (struct rws_run){.class = class};
			sscanf(start, "%" SCNu64 "\t%" SCNu64, &run->seq, &run->seed);
			snprintf(run->log_path, sizeof run->log_path, "%s",
				 strcmp(new_log, "-") ? new_log : "");
			snprintf(run->verdict, sizeof run->verdict, "%.*s",
				 (int)verdict_len, verdict);
		}
	}
	return ferror(tsv) ? -1 : 0;
}

static bool same_folder(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void free_shards(struct shard *shards, int n)
{
	for (int i = 0; i < n; i++) {
		free(shards[i].summary);
		free(shards[i].runs);
		free(shards[i].command);
	}
	free(shards);
}

int rws_merge_main(int argc, char **argv)
{
	if (argc >= 1 && (strcmp(argv[0], "-h") == 0 ||
			  strcmp(argv[0], "--help") == 0)) {
		usage(stdout);
		return MERGE_OK;
	}
	if (argc < 2) {
		merge_error("%s", argc == 0 ? "no OUT folder and no shard folders given"
					    : "no shard folders given");
		usage(stderr);
		return MERGE_USAGE;
	}
	const char *out_dir = argv[0];
	int n = argc - 1;
	struct shard *shards = calloc((size_t)n, sizeof *shards);
	if (shards == NULL)
		return merge_error("out of memory");
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		shards[i].dir = argv[i + 1];
		struct stat st;
		if (stat(shards[i].dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			rc = merge_error("%s: no such folder", shards[i].dir);
			break;
		}
		if (same_folder(shards[i].dir, out_dir)) {
			rc = merge_error("%s is both OUT and a shard folder", out_dir);
			break;
		}
		rc = read_summary(&shards[i]);
		if (rc == 0)
			rc = read_runs(&shards[i]);
		if (rc != 0)
			break;
		const struct shard *first = &shards[0];
		if (strcmp(shards[i].command, first->command) != 0)
			rc = merge_error("%s ran %s, but %s ran %s: not shards of one job",
					 shards[i].dir, shards[i].command, first->dir,
					 first->command);
		else if (shards[i].count != first->count)
			rc = merge_error("%s is shard %u/%u, but %s is shard %u/%u: not "
					 "shards of one job", shards[i].dir,
					 shards[i].index, shards[i].count, first->dir,
					 first->index, first->count);
		for (int j = 0; j < i && rc == 0; j++)
			if (shards[j].index == shards[i].index)
				rc = merge_error("%s and %s are both shard %u/%u",
						 shards[j].dir, shards[i].dir,
						 shards[i].index, shards[i].count);
	}
	if (rc != 0) {
		free_shards(shards, n);
		return rc;
	}

	char path[4200];
	snprintf(path, sizeof path, "%s/runs.tsv", out_dir);
	if (rws_make_dirs(out_dir) != 0) {
		fprintf(stderr, "racewire-stress merge: cannot create %s: %s\n",
			out_dir, strerror(errno));
		free_shards(shards, n);
		return MERGE_LOST;
	}
	if (access(path, F_OK) == 0) {
		free_shards(shards, n);
		return merge_error("%s already holds a job (runs.tsv): merge into "
				   "an empty or new folder", out_dir);
	}
	FILE *tsv = fopen(path, "wxe");
	if (tsv == NULL) {
		fprintf(stderr, "racewire-stress merge: cannot create %s: %s\n", path,
			strerror(errno));
		free_shards(shards, n);
		return MERGE_LOST;
	}
	/* The header of the first shard, so the columns stay what they were. */
	fprintf(tsv, "%.*s\n", (int)strcspn(shards[0].runs, "\n"), shards[0].runs);

	static struct rws_run listed[RWS_LISTED_FAILURES];
	unsigned listed_count = 0;
	struct rws_stats total = {0};
	double elapsed = 0;
	bool interrupted = false;
	int lost = 0;
	for (int i = 0; i < n; i++) {
		if (copy_lines(&shards[i], out_dir, tsv, listed, &listed_count) != 0)
			lost = 1;
		for (int c = 0; c < RWS_CLASS_COUNT; c++)
			total.by_class[c] += shards[i].stats.by_class[c];
		total.windows += shards[i].stats.windows;
		if (shards[i].elapsed_s > elapsed)
			elapsed = shards[i].elapsed_s;
		interrupted |= shards[i].interrupted;
	}
	if (fclose(tsv) != 0 || lost) {
		fprintf(stderr, "racewire-stress merge: cannot write %s completely\n",
			path);
		lost = 1;
	}

	char **words = command_words(shards[0].command);
	struct rws_options opts = {
		.parallel = shards[0].parallel,
		.timeout_s = shards[0].timeout_s,
		.seed = shards[0].seed,
		.count = shards[0].job_count,
		.shard_count = 1,
		.out_dir = out_dir,
		.command = words,
	};
	snprintf(path, sizeof path, "%s/summary.json", out_dir);
	struct rws_job_report report = {
		.opts = &opts,
		.stats = &total,
		.elapsed_s = elapsed,
		.interrupted = interrupted,
		.stopped_by = "merge",
		.listed_failures = listed,
		.listed_failure_count = listed_count,
		.json_path = path,
		.merged_shards = (unsigned)n,
		.shards_missing = shards[0].count > (unsigned)n
					  ? shards[0].count - (unsigned)n : 0,
	};
	if (rws_write_json_summary(&report) != 0)
		lost = 1;
	rws_print_final_table(stdout, &report);
	if (report.shards_missing > 0) {
		printf("missing shards of %u:", shards[0].count);
		for (unsigned s = 0, shown = 0; s < shards[0].count && shown < 20; s++) {
			bool have = false;
			for (int i = 0; i < n; i++)
				have |= shards[i].index == s;
			if (!have)
				printf(" %u", s), shown++;
		}
		printf("%s\n", report.shards_missing > 20 ? " ..." : "");
	}
	for (char **w = words; w != NULL && *w != NULL; w++)
		free(*w);
	free(words);
	free_shards(shards, n);
	if (lost)
		return MERGE_LOST;
	return rws_stats_failures(&total) > 0 ? MERGE_FAILURES : MERGE_OK;
}
