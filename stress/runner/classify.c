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

/* The markers are found by scan.c, which reads the whole output; a
 * "racewire: FATAL:" counts only at the start of a line (the library's fatal
 * path writes it at column 0, while a test that merely quotes the phrase, say
 * in an assertion message, does not). */
static enum rws_class failure_class(const struct rws_run *run,
				    const struct rws_scan *scan)
{
	if (run->timed_out)
		return RWS_CLASS_HANG;
	/* After a hang: a run we killed for SIGINT or --failfast says nothing
	 * about the program, whatever its status. */
	if (run->cancelled)
		return RWS_CLASS_INTERRUPTED;
	if (scan->racewire_fatal)
		return RWS_CLASS_RACEWIRE;
	if (scan->tsan_check)
		return RWS_CLASS_TSAN_CHECK;
	if (scan->data_race)
		return RWS_CLASS_RACE;
	if (run->term_signal != 0 || scan->deadly_signal)
		return RWS_CLASS_SIGNAL;
	if (run->exit_status != 0 || scan->fail_match)
		return RWS_CLASS_OTHER;
	return RWS_CLASS_PASS;
}

void rws_classify(struct rws_run *run, const struct rws_scan *scan)
{
	enum rws_class class = failure_class(run, scan);
	if (rws_class_is_failure(class) && scan->ignore_match)
		class = RWS_CLASS_IGNORED;
	run->class = class;
}
