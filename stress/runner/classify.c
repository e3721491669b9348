/* Classification.  The order of the checks is the contract documented in the
 * README: the first that applies wins, so a TSan CHECK failure that also
 * printed a race report is tsan_check (the runtime itself broke, which is the
 * more urgent news), and a hang is a hang whatever it printed before we
 * killed it.
 */
#include "classify.h"

#include <string.h>

static const char *const class_names[RWS_CLASS_COUNT] = {
	[RWS_CLASS_PASS] = "pass",
	[RWS_CLASS_HANG] = "hang",
	[RWS_CLASS_RACEWIRE] = "racewire",
	[RWS_CLASS_TSAN_CHECK] = "tsan_check",
	[RWS_CLASS_RACE] = "race",
	[RWS_CLASS_SIGNAL] = "signal",
	[RWS_CLASS_OTHER] = "other",
	[RWS_CLASS_IGNORED] = "ignored",
	[RWS_CLASS_INTERRUPTED] = "interrupted",
};

const char *rws_class_name(enum rws_class class)
{
	return class < RWS_CLASS_COUNT ? class_names[class] : "?";
}

bool rws_class_is_failure(enum rws_class class)
{
	return class != RWS_CLASS_PASS && class != RWS_CLASS_IGNORED &&
	       class != RWS_CLASS_INTERRUPTED && class < RWS_CLASS_COUNT;
}

static bool contains(const char *output, size_t len, const char *needle)
{
	return memmem(output, len, needle, strlen(needle)) != NULL;
}

/* Only a line that starts with the prefix counts: the library's fatal path
 * writes it at column 0, while a test that merely quotes the phrase (say in
 * an assertion message) does not. */
static bool has_line_starting_with(const char *output, size_t len,
				   const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p = output, *end = output + len;
	while (p < end) {
		if ((size_t)(end - p) >= plen && memcmp(p, prefix, plen) == 0)
			return true;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

static bool matches(const regex_t *re, const char *pattern, const char *output)
{
	return pattern != NULL && regexec(re, output, 0, NULL, 0) == 0;
}

static enum rws_class failure_class(const struct rws_run *run,
				    const char *output, size_t len,
				    const struct rws_options *opts)
{
	if (run->timed_out)
		return RWS_CLASS_HANG;
	/* After a hang: a run we killed for SIGINT or --failfast says nothing
	 * about the program, whatever its status. */
	if (run->cancelled)
		return RWS_CLASS_INTERRUPTED;
	if (has_line_starting_with(output, len, "racewire: FATAL:"))
		return RWS_CLASS_RACEWIRE;
	if (contains(output, len, "CHECK failed:"))
		return RWS_CLASS_TSAN_CHECK;
	if (contains(output, len, "WARNING: DATA RACE"))
		return RWS_CLASS_RACE;
	if (run->term_signal != 0 ||
	    contains(output, len, "ThreadSanitizer:DEADLYSIGNAL") ||
	    contains(output, len, "SEGV on unknown address"))
		return RWS_CLASS_SIGNAL;
	if (run->exit_status != 0 ||
	    matches(&opts->fail_regex, opts->fail_pattern, output))
		return RWS_CLASS_OTHER;
	return RWS_CLASS_PASS;
}

void rws_classify(struct rws_run *run, const char *output, size_t len,
		  const struct rws_options *opts)
{
	enum rws_class class = failure_class(run, output, len, opts);
	if (rws_class_is_failure(class) &&
	    matches(&opts->ignore_regex, opts->ignore_pattern, output))
		class = RWS_CLASS_IGNORED;
	run->class = class;
}
