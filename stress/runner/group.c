/* Grouping failed runs.  A run's verdict is racewire-diagnose's one line
 * ("tsan-proc-misuse: ... (slot_locked CHECK, tsan_rtl.cpp:358); seed
 * 001"); two runs of the same bug differ in addresses, pids, tids and
 * line numbers only, so those are blanked (hex to "0x?", digit runs to
 * "N") and equal keys are one bucket.  A run with no verdict is keyed by
 * its class.  Only the runs the report lists are grouped. */
#include "group.h"

#include <string.h>

#include "classify.h"

#define KEY_MAX 256

struct bucket {
	char key[KEY_MAX];
	unsigned count;
	unsigned example;       /* index of the first run with this key */
};

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static void key_of(const struct rws_run *run, char *key)
{
	const char *v = run->verdict;
	size_t o = 0;
	if (v[0] == '\0' || strcmp(v, "-") == 0) {
		snprintf(key, KEY_MAX, "class %s (no verdict)",
			 rws_class_name(run->class));
		return;
	}
	for (const char *p = v; *p && o + 4 < KEY_MAX;) {
		if (strncmp(p, "seed ", 5) == 0) {
			/* "seed 001" names the bug: kept as it is. */
			size_t n = 5 + strspn(p + 5, "0123456789");
			if (o + n + 1 >= KEY_MAX)
				break;
			memcpy(key + o, p, n);
			o += n;
			p += n;
		} else if (p[0] == '0' && p[1] == 'x' && is_hex(p[2])) {
			p += 2;
			while (is_hex(*p))
				p++;
			memcpy(key + o, "0x?", 3);
			o += 3;
		} else if (*p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++;
			key[o++] = 'N';
		} else {
			key[o++] = *p++;
		}
	}
	key[o] = '\0';
}

static unsigned group(const struct rws_run *runs, unsigned n,
		      struct bucket *b)
{
	unsigned nb = 0;
	for (unsigned i = 0; i < n; i++) {
		char key[KEY_MAX];
		key_of(&runs[i], key);
		unsigned j = 0;
		while (j < nb && strcmp(b[j].key, key) != 0)
			j++;
		if (j == nb) {
			memcpy(b[nb].key, key, KEY_MAX);
			b[nb].count = 0;
			b[nb].example = i;
			nb++;
		}
		b[j].count++;
	}
	/* Most frequent first; ties keep the order of first appearance. */
	for (unsigned i = 1; i < nb; i++)
		for (unsigned j = i; j > 0 && b[j].count > b[j - 1].count; j--) {
			struct bucket t = b[j];
			b[j] = b[j - 1];
			b[j - 1] = t;
		}
	return nb;
}

void rws_print_groups(FILE *stream, const struct rws_run *runs, unsigned n)
{
	struct bucket b[RWS_GROUP_MAX];
	if (n == 0)
		return;
	if (n > RWS_GROUP_MAX)
		n = RWS_GROUP_MAX;
	unsigned nb = group(runs, n, b);
	fprintf(stream, "failures by signature (of the %u listed):\n", n);
	for (unsigned i = 0; i < nb; i++) {
		const struct rws_run *ex = &runs[b[i].example];
		fprintf(stream, "  %5u  %s  (e.g. %s)\n", b[i].count, b[i].key,
			ex->log_path[0] ? ex->log_path : "-");
	}
}

static void json_text(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p < 0x20 ? *p : 0xfffd);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void rws_json_groups(FILE *out, const struct rws_run *runs, unsigned n)
{
	struct bucket b[RWS_GROUP_MAX];
	if (n > RWS_GROUP_MAX)
		n = RWS_GROUP_MAX;
	unsigned nb = group(runs, n, b);
	fputc('[', out);
	for (unsigned i = 0; i < nb; i++) {
		const struct rws_run *ex = &runs[b[i].example];
		fprintf(out, "%s\n    {\"count\": %u, \"signature\": ",
			i == 0 ? "" : ",", b[i].count);
		json_text(out, b[i].key);
		fputs(", \"example\": ", out);
		json_text(out, ex->log_path[0] ? ex->log_path : "-");
		fputc('}', out);
	}
	fputs(nb ? "\n  ]" : "]", out);
}
