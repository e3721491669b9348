/* JUnit XML.  The de-facto schema (Jenkins, GitLab, GitHub actions that
 * read JUnit) wants the totals as attributes of <testsuite>, before the
 * test cases, but a --budget job knows its totals only at the end.  So the
 * test cases go to an unlinked temporary file as runs finish (memory stays
 * flat over millions of runs) and the report is assembled at the end:
 * header with totals, the cases copied over, footer, then a rename so a
 * reader never sees half a report. */
#include "junit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"

struct rws_junit {
	char *path;
	FILE *cases;
	uint64_t tests, failures, skipped;
};

static void xml(FILE *out, const char *text)
{
	rws_xml_text(out, text, strlen(text));
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "racewire-stress: cannot %s %s: %s\n", what, path,
		strerror(errno));
	return -1;
}

struct rws_junit *rws_junit_open(const char *path)
{
	/* Probe the destination now: create the temporary beside it. */
	size_t tmp_len = strlen(path) + 8;
	char *tmp = malloc(tmp_len);
	if (tmp == NULL)
		return NULL;
	snprintf(tmp, tmp_len, "%s.tmp", path);
	FILE *probe = fopen(tmp, "we");
	if (probe == NULL) {
		fail("create --junit file", tmp);
		free(tmp);
		return NULL;
	}
	fclose(probe);
	unlink(tmp);
	free(tmp);

	struct rws_junit *junit = calloc(1, sizeof *junit);
	if (junit == NULL)
		return NULL;
	junit->path = strdup(path);
	junit->cases = tmpfile();
	if (junit->path == NULL || junit->cases == NULL) {
		fail("create a temporary file for", path);
		rws_junit_free(junit);
		return NULL;
	}
	return junit;
}

int rws_junit_add(struct rws_junit *junit, const struct rws_run *run)
{
	FILE *out = junit->cases;
	junit->tests++;
	fprintf(out, "    <testcase classname=\"racewire-stress\" name=\"run %" PRIu64
		"\" time=\"%.3f\"", run->seq, run->duration_s);
	if (run->class == RWS_CLASS_PASS) {
		fputs("/>\n", out);
	} else if (run->class == RWS_CLASS_INTERRUPTED ||
		   run->class == RWS_CLASS_IGNORED) {
		junit->skipped++;
		fprintf(out, ">\n      <skipped message=\"%s\"/>\n    </testcase>\n",
			run->class == RWS_CLASS_IGNORED
				? "failure ignored by --ignore"
				: "interrupted by the runner");
	} else {
		junit->failures++;
		const char *class = rws_class_name(run->class);
		const char *verdict = run->verdict[0] ? run->verdict : "-";
		const char *log = run->log_path[0] ? run->log_path : "-";
		fprintf(out, ">\n      <failure type=\"%s\" message=\"%s: ", class,
			class);
		xml(out, verdict);
		fputs("\">", out);
		fprintf(out, "run %" PRIu64 " seed %" PRIu64
			" exit=%d signal=%d class=%s&#10;log: ", run->seq,
			run->seed, run->exit_status, run->term_signal, class);
		xml(out, log);
		fputs("&#10;verdict: ", out);
		xml(out, verdict);
		if (run->flight_path[0] != '\0') {
			fputs("&#10;flight record: ", out);
			xml(out, run->flight_path);
		}
		fputs("</failure>\n    </testcase>\n", out);
	}
	if (ferror(out)) {
		errno = EIO;
		return fail("write the JUnit cases of", junit->path);
	}
	return 0;
}

int rws_junit_finish(struct rws_junit *junit, const struct rws_options *opts,
		     double elapsed_s)
{
	size_t tmp_len = strlen(junit->path) + 8;
	char *tmp = malloc(tmp_len);
	if (tmp == NULL)
		return -1;
	snprintf(tmp, tmp_len, "%s.tmp", junit->path);
	FILE *out = fopen(tmp, "we");
	if (out == NULL) {
		int rc = fail("create", tmp);
		free(tmp);
		return rc;
	}
	char stamp[32] = "";
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm) != NULL)
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

	char name[1024] = "";
	size_t used = 0;
	for (char **word = opts->command; *word != NULL && used < sizeof name - 1;
	     word++) {
		int n = snprintf(name + used, sizeof name - used, "%s%s",
				 word == opts->command ? "" : " ", *word);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (used >= sizeof name)
		used = sizeof name - 1;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"racewire-stress\" tests=\"%" PRIu64
		"\" failures=\"%" PRIu64 "\" errors=\"0\" skipped=\"%" PRIu64
		"\" time=\"%.3f\">\n",
		junit->tests, junit->failures, junit->skipped, elapsed_s);
	fputs("  <testsuite name=\"", out);
	rws_xml_text(out, name, used);
	fprintf(out, "\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64
		"\" errors=\"0\" skipped=\"%" PRIu64 "\" time=\"%.3f\""
		" timestamp=\"%s\">\n",
		junit->tests, junit->failures, junit->skipped, elapsed_s, stamp);
	fprintf(out, "    <properties>\n"
		"      <property name=\"seed\" value=\"%" PRIu64 "\"/>\n"
		"      <property name=\"shard\" value=\"%u/%u\"/>\n"
		"    </properties>\n",
		opts->seed, opts->shard_index, opts->shard_count);

	int rc = 0;
	if (fflush(junit->cases) != 0 || fseek(junit->cases, 0, SEEK_SET) != 0)
		rc = -1;
	char buffer[65536];
	size_t got;
	while (rc == 0 && (got = fread(buffer, 1, sizeof buffer, junit->cases)) > 0)
		if (fwrite(buffer, 1, got, out) != got)
			rc = -1;
	if (ferror(junit->cases))
		rc = -1;
	fputs("  </testsuite>\n</testsuites>\n", out);
	if (fflush(out) != 0 || ferror(out))
		rc = -1;
	if (fclose(out) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, junit->path) != 0)
		rc = -1;
	if (rc != 0) {
		fail("write", junit->path);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

void rws_junit_free(struct rws_junit *junit)
{
	if (junit == NULL)
		return;
	if (junit->cases != NULL)
		fclose(junit->cases);
	free(junit->path);
	free(junit);
}
