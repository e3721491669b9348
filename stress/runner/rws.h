/* racewire-stress: types shared by the runner's modules.
 *
 * The runner is single-threaded: every module below is called from the one
 * event loop in scheduler.c, so nothing here needs locking.  Child processes
 * are the only concurrency, and they talk to us solely through exit status
 * and the run's own output file.
 */
#ifndef RWS_H
#define RWS_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Classes in the order classification checks them (see classify.c); the
 * numeric order is also the column order of every table and JSON object, so
 * add new classes at the end of the group they belong to. */
enum rws_class {
	RWS_CLASS_PASS,
	RWS_CLASS_HANG,
	RWS_CLASS_RACEWIRE,
	RWS_CLASS_TSAN_CHECK,
	RWS_CLASS_RACE,
	RWS_CLASS_SIGNAL,
	RWS_CLASS_OTHER,
	RWS_CLASS_IGNORED,
	/* Cut short by the runner (SIGINT/SIGTERM to us, or --failfast): not a
	 * result of the program, so it is kept out of the runs and the rate. */
	RWS_CLASS_INTERRUPTED,
	RWS_CLASS_COUNT
};

const char *rws_class_name(enum rws_class class);
/* A failure is what makes the job exit 1 and counts in the failure rate. */
bool rws_class_is_failure(enum rws_class class);

struct rws_options {
	unsigned parallel;          /* runs at once, >= 1 */
	double timeout_s;           /* per run; 0 = none */
	uint64_t count;             /* sequence numbers 0..count-1; 0 = unbounded */
	double budget_s;            /* stop starting runs after this; 0 = none */
	uint64_t windows_target;    /* stop starting runs once the runs reported
	                             * this many hazard windows; 0 = none */
	bool failfast;
	uint64_t seed;              /* base seed; run seq gets seed + seq */
	bool seed_given;
	unsigned shard_index;       /* run only seq % shard_count == shard_index */
	unsigned shard_count;       /* 1 = no sharding */
	const char *out_dir;
	const char *json_path;      /* NULL = <out_dir>/summary.json */
	const char *fail_pattern;   /* NULL = none; text kept for the summary */
	const char *ignore_pattern;
	regex_t fail_regex;
	regex_t ignore_regex;
	double kill_grace_s;
	bool capture_stacks;
	bool quiet;
	const char *junit_path;     /* --junit FILE, NULL = none */
	bool tap;                   /* --tap: TAP version 13 on stdout */
	const char *flight_dir;     /* --flight DIR: a flight record per run */
	const char *diagnose_cmd;   /* NULL = none (after default lookup) */
	bool diagnose_disabled;     /* --no-diagnose: skip the default lookup */
	char **command;             /* NULL-terminated argv of the program */
};

/* What one finished run looked like; filled by scheduler.c, completed by
 * classify.c (class) and runlog.c (log_path, verdict). */
struct rws_run {
	uint64_t seq;
	uint64_t seed;
	double start_wall;          /* unix time, for runs.tsv */
	double duration_s;
	int exit_status;            /* -1 when killed by a signal */
	int term_signal;            /* 0 when it exited */
	bool timed_out;             /* the runner's timeout expired */
	bool cancelled;             /* the runner killed it for SIGINT/failfast */
	enum rws_class class;
	uint64_t windows;           /* hazard windows the run reported */
	bool windows_seen;          /* it printed a "racewire-windows:" line */
	char log_path[4096];        /* "" when no log was kept */
	char flight_path[4096];     /* "" when no flight record was kept */
	char verdict[256];          /* "-" when no diagnosis */
};

/* Monotonic seconds, for deadlines and durations. */
double rws_now(void);
/* Wall-clock unix seconds, for the job log only. */
double rws_wall_now(void);

#endif
