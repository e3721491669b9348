/*
 * shim/options.c - options from the API and from RACEWIRE_OPTIONS.
 *
 * The text syntax is TSAN_OPTIONS's: key=value items separated by ':', ','
 * or white space. Parsing is all-or-nothing: on any bad item the options are
 * left as they were, so a typo can never half-apply (say, switch the guard
 * off but not set the policy the user meant to pair with it).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rw_options_default(rw_options_t *opts)
{
	if (opts)
		*opts = (rw_options_t)RW__OPTIONS_DEFAULT;
}

static const char *const policy_names[] = {
	[RW_POLICY_ABORT] = "abort",
	[RW_POLICY_BORROW] = "borrow",
	[RW_POLICY_DROP] = "drop",
};

#define KNOWN_OPTIONS                                                              \
	"policy, guard_wiring, guard_foreign, guard_callback, guard_signals, guard_unwind, " \
	"guard_suspend, guards, verbosity, symbolize, flight, flight_events, prefault_shadow, " \
	"check_access"

static int parse_int(const char *key, const char *value, int lo, int hi, int *out,
                     char *err, size_t errlen)
{
	char *end;
	long v = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || v < lo || v > hi) {
		snprintf(err, errlen, "option %s: '%s' is not an integer in [%d, %d]", key, value, lo, hi);
		return RW_EINVAL;
	}
	*out = (int)v;
	return 0;
}

static int apply_item(rw_options_t *o, const char *key, const char *value,
                      char *err, size_t errlen)
{
	if (strcmp(key, "policy") == 0) {
		for (size_t i = 0; i < sizeof policy_names / sizeof *policy_names; i++) {
			if (strcmp(value, policy_names[i]) == 0) {
				o->policy = (rw_policy_t)i;
				return 0;
			}
		}
		snprintf(err, errlen, "option policy: '%s' is not one of abort, borrow, drop", value);
		return RW_EINVAL;
	}
	struct {
		const char *name;
		int *field;
	} guards[] = {
		{"guard_wiring", &o->guard_wiring},   {"guard_foreign", &o->guard_foreign},
		{"guard_callback", &o->guard_callback}, {"guard_signals", &o->guard_signals},
		{"guard_unwind", &o->guard_unwind},   {"guard_suspend", &o->guard_suspend},
	};
	for (size_t i = 0; i < sizeof guards / sizeof *guards; i++)
		if (strcmp(key, guards[i].name) == 0)
			return parse_int(key, value, 0, 1, guards[i].field, err, errlen);
	/* guards=0 or guards=1: every guarantee at once. */
	if (strcmp(key, "guards") == 0) {
		int on;
		int rc = parse_int(key, value, 0, 1, &on, err, errlen);
		for (size_t i = 0; rc == 0 && i < sizeof guards / sizeof *guards; i++)
			*guards[i].field = on;
		return rc;
	}
	if (strcmp(key, "verbosity") == 0)
		return parse_int(key, value, 0, 2, &o->verbosity, err, errlen);
	if (strcmp(key, "symbolize") == 0)
		return parse_int(key, value, 0, 1, &o->symbolize, err, errlen);
	if (strcmp(key, "prefault_shadow") == 0)
		return parse_int(key, value, 0, 2, &o->prefault_shadow, err, errlen);
	if (strcmp(key, "check_access") == 0)
		return parse_int(key, value, -1, 1, &o->check_access, err, errlen);
	if (strcmp(key, "flight_events") == 0)
		return parse_int(key, value, RW__FLIGHT_EVENTS_MIN, RW__FLIGHT_EVENTS_MAX,
		                 &o->flight_events, err, errlen);
	if (strcmp(key, "flight") == 0) {
		if (strlen(value) >= sizeof o->flight) {
			snprintf(err, errlen, "option flight: the path is longer than %zu bytes",
			         sizeof o->flight - 1);
			return RW_EINVAL;
		}
		strcpy(o->flight, value);
		return 0;
	}
	snprintf(err, errlen, "unknown option '%s'; known options: " KNOWN_OPTIONS, key);
	return RW_EINVAL;
}

int rw_options_parse(rw_options_t *opts, const char *text, char *err, size_t errlen)
{
	char scratch[1];
	if (!err || errlen == 0) {
		err = scratch;
		errlen = sizeof scratch;
	}
	err[0] = '\0';
	if (!opts || !text) {
		snprintf(err, errlen, "rw_options_parse: NULL argument");
		return RW_EINVAL;
	}

	rw_options_t next = *opts;
	const char *p = text;
	for (;;) {
		p += strspn(p, ":, \t\n");
		if (*p == '\0')
			break;
		size_t len = strcspn(p, ":, \t\n");
		char item[320];
		if (len >= sizeof item) {
			snprintf(err, errlen, "option item too long: '%.32s...'", p);
			return RW_EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		p += len;

		char *eq = strchr(item, '=');
		if (!eq || eq == item) {
			snprintf(err, errlen, "option '%s' is not of the form key=value; known options: "
			         KNOWN_OPTIONS, item);
			return RW_EINVAL;
		}
		*eq = '\0';
		int rc = apply_item(&next, item, eq + 1, err, errlen);
		if (rc)
			return rc;
	}
	*opts = next;
	return 0;
}

/* The same limits as the text parser's, for options given as a struct:
 * rw_init takes nothing it would refuse from RACEWIRE_OPTIONS. */
int rw__options_check(const rw_options_t *o, char *err, size_t errlen)
{
	const struct {
		const char *name;
		int value, lo, hi;
	} fields[] = {
		{"policy", (int)o->policy, RW_POLICY_ABORT, RW_POLICY_DROP},
		{"guard_wiring", o->guard_wiring, 0, 1},
		{"guard_foreign", o->guard_foreign, 0, 1},
		{"guard_callback", o->guard_callback, 0, 1},
		{"guard_signals", o->guard_signals, 0, 1},
		{"guard_unwind", o->guard_unwind, 0, 1},
		{"guard_suspend", o->guard_suspend, 0, 1},
		{"verbosity", o->verbosity, 0, 2},
		{"symbolize", o->symbolize, 0, 1},
		{"prefault_shadow", o->prefault_shadow, 0, 2},
		{"check_access", o->check_access, -1, 1},
		{"flight_events", o->flight_events, RW__FLIGHT_EVENTS_MIN, RW__FLIGHT_EVENTS_MAX},
	};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		if (fields[i].value < fields[i].lo || fields[i].value > fields[i].hi) {
			snprintf(err, errlen, "option %s: %d is not in [%d, %d]", fields[i].name,
			         fields[i].value, fields[i].lo, fields[i].hi);
			return RW_EINVAL;
		}
	}
	if (!memchr(o->flight, '\0', sizeof o->flight)) {
		snprintf(err, errlen, "option flight: the path is not NUL-terminated within %zu bytes",
		         sizeof o->flight);
		return RW_EINVAL;
	}
	return 0;
}
