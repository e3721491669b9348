/* Reporting.  The progress line mirrors golang-stress ("5s: N runs so far,
 * F failures (P%)") so people used to it can read ours at a glance; the
 * per-class counts follow in brackets. */
#include "report.h"

#include "escape.h"
#include "group.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static double percent(uint64_t part, uint64_t whole)
{
	return whole == 0 ? 0.0 : 100.0 * (double)part / (double)whole;
}

/* "3m05s": short enough for a progress line. */
static void format_duration(char *out, size_t size, double seconds)
{
	unsigned long s = seconds > 0 ? (unsigned long)(seconds + 0.5) : 0;
	if (s >= 3600)
		snprintf(out, size, "%luh%02lum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, size, "%lum%02lus", s / 60, s % 60);
	else
		snprintf(out, size, "%lus", s);
}

void rws_print_progress(FILE *stream, const struct rws_options *opts,
			double elapsed_s, const struct rws_stats *stats,
			unsigned active)
{
	uint64_t runs = rws_stats_runs(stats);
	uint64_t failures = rws_stats_failures(stats);
	char classes[512] = "";
	size_t used = 0;
	for (int c = 0; c < RWS_CLASS_COUNT; c++) {
		if (c == RWS_CLASS_PASS || stats->by_class[c] == 0)
			continue;
		int n = snprintf(classes + used, sizeof classes - used,
				 "%s%s %" PRIu64, used == 0 ? " [" : ", ",
				 rws_class_name((enum rws_class)c),
				 stats->by_class[c]);
		if (n < 0 || (size_t)n >= sizeof classes - used)
			break;
		used += (size_t)n;
	}
	if (used > 0 && used + 2 < sizeof classes)
		strcat(classes, "]");
	double rate = elapsed_s > 0 ? (double)runs / elapsed_s : 0;
	/* Time left: the budget's end, or the runs still to do at today's
	 * rate, whichever comes first. */
	double left = -1;
	if (opts->budget_s > 0)
		left = opts->budget_s > elapsed_s ? opts->budget_s - elapsed_s : 0;
	if (opts->count > 0 && rate > 0) {
		uint64_t mine = opts->count / opts->shard_count +
				(opts->shard_index < opts->count % opts->shard_count);
		uint64_t done = rws_stats_runs(stats) +
				stats->by_class[RWS_CLASS_INTERRUPTED];
		double by_count = done >= mine ? 0 : (double)(mine - done) / rate;
		if (left < 0 || by_count < left)
			left = by_count;
	}
	char left_text[48] = "";
	if (left >= 0) {
		char duration[24];
		format_duration(duration, sizeof duration, left);
		snprintf(left_text, sizeof left_text, ", about %s left", duration);
	}
	fprintf(stream,
		"%.0fs: %" PRIu64 " runs so far, %" PRIu64
		" failures (%.2f%%), %u active, %.1f runs/s%s%s\n",
		elapsed_s, runs, failures, percent(failures, runs), active,
		rate, left_text, classes);
	fflush(stream);
}

static void print_command(FILE *stream, char **command)
{
	for (char **word = command; *word != NULL; word++)
		fprintf(stream, "%s%s", word == command ? "" : " ", *word);
}

void rws_print_final_table(FILE *stream, const struct rws_job_report *report)
{
	const struct rws_stats *stats = report->stats;
	uint64_t runs = rws_stats_runs(stats);
	uint64_t failures = rws_stats_failures(stats);
	double upper = rws_wilson_upper_95(failures, runs);

	fputs("racewire-stress: ", stream);
	print_command(stream, report->opts->command);
	fputc('\n', stream);
	fprintf(stream, "  %-12s %10s\n", "class", "runs");
	for (int c = 0; c < RWS_CLASS_COUNT; c++)
		fprintf(stream, "  %-12s %10" PRIu64 "\n",
			rws_class_name((enum rws_class)c), stats->by_class[c]);
	fprintf(stream, "total runs %" PRIu64 ", failures %" PRIu64 "\n", runs,
		failures);
	if (stats->windows > 0)
		fprintf(stream,
			"hazard windows %" PRIu64 ", 95%% upper bound per window %.2g%%\n",
			stats->windows,
			100.0 * rws_wilson_upper_95(failures, stats->windows));
	fprintf(stream,
		"failure rate %" PRIu64 "/%" PRIu64
		" = %.2f%%, 95%% upper bound %.2f%%\n",
		failures, runs, percent(failures, runs), 100.0 * upper);
	fprintf(stream,
		"elapsed %.1fs, %.1f runs/s, seed %" PRIu64 ", shard %u/%u, "
		"stopped by %s\n",
		report->elapsed_s,
		report->elapsed_s > 0 ? (double)runs / report->elapsed_s : 0.0,
		report->opts->seed, report->opts->shard_index,
		report->opts->shard_count, report->stopped_by);
	if (report->merged_shards > 0)
		fprintf(stream, "merged from %u shard folder%s%s\n",
			report->merged_shards, report->merged_shards == 1 ? "" : "s",
			report->shards_missing > 0 ? ", some shards missing" : "");
	if (report->interrupted)
		fputs("interrupted\n", stream);
	if (report->listed_failure_count > 0) {
		fprintf(stream, "failed runs (first %u of %" PRIu64 "):\n",
			report->listed_failure_count, failures);
		fprintf(stream, "  %-8s %-11s %-40s %s\n", "seq", "class", "log",
			"verdict");
		for (unsigned i = 0; i < report->listed_failure_count; i++) {
			const struct rws_run *run = &report->listed_failures[i];
			fprintf(stream, "  %-8" PRIu64 " %-11s %-40s %s\n",
				run->seq, rws_class_name(run->class),
				run->log_path[0] ? run->log_path : "-",
				run->verdict[0] ? run->verdict : "-");
		}
		rws_print_groups(stream, report->listed_failures,
				 report->listed_failure_count);
	}
	fprintf(stream, "summary: %s\n", report->json_path);
	fflush(stream);
}

static void json_string(FILE *out, const char *text)
{
	rws_json_string(out, text);
}

void rws_print_final_table_as_comments(FILE *stream,
				       const struct rws_job_report *report)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem == NULL)
		return;
	rws_print_final_table(mem, report);
	fclose(mem);
	for (char *line = text; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		fprintf(stream, "# %.*s\n", (int)n, line);
		line = nl != NULL ? nl + 1 : NULL;
	}
	fflush(stream);
	free(text);
}

static void json_string_or_null(FILE *out, const char *text)
{
	if (text == NULL)
		fputs("null", out);
	else
		json_string(out, text);
}

int rws_write_json_summary(const struct rws_job_report *report)
{
	const struct rws_options *opts = report->opts;
	const struct rws_stats *stats = report->stats;
	uint64_t runs = rws_stats_runs(stats);
	uint64_t failures = rws_stats_failures(stats);

	size_t tmp_len = strlen(report->json_path) + 16;
	char *tmp_path = malloc(tmp_len);
	if (tmp_path == NULL)
		return -1;
	snprintf(tmp_path, tmp_len, "%s.tmp", report->json_path);
	/* "e": O_CLOEXEC, so a run started while this is open cannot hold it. */
	FILE *out = fopen(tmp_path, "we");
	if (out == NULL) {
		fprintf(stderr, "racewire-stress: cannot create %s: %s\n",
			tmp_path, strerror(errno));
		free(tmp_path);
		return -1;
	}

	fputs("{\n  \"command\": [", out);
	for (char **word = opts->command; *word != NULL; word++) {
		if (word != opts->command)
			fputs(", ", out);
		json_string(out, *word);
	}
	fputs("],\n", out);
	fprintf(out, "  \"seed\": %" PRIu64 ",\n", opts->seed);
	fprintf(out, "  \"shard\": \"%u/%u\",\n", opts->shard_index,
		opts->shard_count);
	fprintf(out, "  \"shard_index\": %u,\n  \"shard_count\": %u,\n",
		opts->shard_index, opts->shard_count);
	if (report->merged_shards > 0)
		fprintf(out, "  \"merged_shards\": %u,\n  \"shards_missing\": %u,\n",
			report->merged_shards, report->shards_missing);
	fprintf(out, "  \"count\": %" PRIu64 ",\n", opts->count);
	fprintf(out, "  \"windows_target\": %" PRIu64 ",\n", opts->windows_target);
	fprintf(out, "  \"parallel\": %u,\n", opts->parallel);
	fprintf(out, "  \"timeout_s\": %g,\n", opts->timeout_s);
	fprintf(out, "  \"runs\": %" PRIu64 ",\n", runs);
	fprintf(out, "  \"failures\": %" PRIu64 ",\n", failures);
	fprintf(out, "  \"windows\": %" PRIu64 ",\n", stats->windows);
	fprintf(out, "  \"failure_rate\": %.6f,\n",
		runs ? (double)failures / (double)runs : 0.0);
	fprintf(out, "  \"wilson_upper_95\": %.6f,\n",
		rws_wilson_upper_95(failures, runs));
	fputs("  \"counts\": {", out);
	for (int c = 0; c < RWS_CLASS_COUNT; c++)
		fprintf(out, "%s\"%s\": %" PRIu64, c == 0 ? "" : ", ",
			rws_class_name((enum rws_class)c), stats->by_class[c]);
	fputs("},\n", out);
	fprintf(out, "  \"elapsed_s\": %.3f,\n", report->elapsed_s);
	fprintf(out, "  \"interrupted\": %s,\n",
		report->interrupted ? "true" : "false");
	fprintf(out, "  \"stopped_by\": \"%s\",\n", report->stopped_by);
	fputs("  \"fail_regex\": ", out);
	json_string_or_null(out, opts->fail_pattern);
	fputs(",\n  \"ignore_regex\": ", out);
	json_string_or_null(out, opts->ignore_pattern);
	fputs(",\n  \"diagnoser\": ", out);
	json_string_or_null(out, report->diagnoser);
	fputs(",\n  \"failed_runs\": [", out);
	for (unsigned i = 0; i < report->listed_failure_count; i++) {
		const struct rws_run *run = &report->listed_failures[i];
		fprintf(out, "%s\n    {\"seq\": %" PRIu64 ", \"seed\": %" PRIu64
			", \"class\": \"%s\", \"log\": ",
			i == 0 ? "" : ",", run->seq, run->seed,
			rws_class_name(run->class));
		json_string(out, run->log_path[0] ? run->log_path : "-");
		fputs(", \"verdict\": ", out);
		json_string(out, run->verdict[0] ? run->verdict : "-");
		fputc('}', out);
	}
	fputs(report->listed_failure_count ? "\n  ],\n" : "],\n", out);
	fputs("  \"failure_groups\": ", out);
	rws_json_groups(out, report->listed_failures,
			report->listed_failure_count);
	fputs("\n}\n", out);

	int rc = 0;
	if (fflush(out) != 0 || ferror(out))
		rc = -1;
	if (fclose(out) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp_path, report->json_path) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "racewire-stress: cannot write %s: %s\n",
			report->json_path, strerror(errno));
	free(tmp_path);
	return rc;
}
