/* The manual pages in man/ against the tools: every option a tool's --help
 * lists must be described on its page, so a new option cannot ship
 * undocumented; and each page must render without a warning from groff
 * (what man(1) uses), when groff is installed.
 *
 * The options are parsed from --help, not from a list kept here, so the
 * test follows the tools by itself.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAN_DIR RW_SOURCE_DIR "/man"

/* Everything f gives, as a string. */
static char *read_all(FILE *f)
{
	size_t cap = 1 << 16, len = 0, got;
	char *text = malloc(cap);
	while ((got = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap)
			text = realloc(text, cap *= 2);
	}
	text[len] = '\0';
	return text;
}

/* The stdout of a shell command; exit status in *status. */
static char *run(const char *command, int *status)
{
	FILE *p = popen(command, "re");
	cr_assert_not_null(p, "popen %s: %s", command, strerror(errno));
	char *text = read_all(p);
	*status = pclose(p);
	return text;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "cannot read %s: %s", path, strerror(errno));
	char *text = read_all(f);
	fclose(f);
	return text;
}

/* The page's words as a reader sees them: "\-" is "-", font changes
 * (\fB, \fR, \fI, \fP) are gone. */
static char *page_text(const char *path)
{
	char *src = read_file(path);
	char *out = src, *in = src;
	while (*in != '\0') {
		if (in[0] == '\\' && in[1] == '-') {
			*out++ = '-';
			in += 2;
		} else if (in[0] == '\\' && in[1] == 'f' && in[2] != '\0') {
			in += 3;
		} else if (in[0] == '\\' && in[1] == '&') {
			in += 2;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return src;
}

static bool option_char(char c)
{
	return isalnum((unsigned char)c) || c == '-';
}

/* The option as a whole word: "--no" is not found in "--no-stacks". */
static bool mentions(const char *text, const char *option)
{
	size_t len = strlen(option);
	for (const char *p = text; (p = strstr(p, option)) != NULL; p++) {
		bool starts = p == text || !option_char(p[-1]);
		if (starts && !option_char(p[len]))
			return true;
	}
	return false;
}

/* Options named in a --help text: -x and --long-name tokens that start a
 * word (after a space, '[', '(' or ','). */
static size_t help_options(const char *help, char options[][64], size_t max)
{
	size_t n = 0;
	for (const char *p = help; *p != '\0'; p++) {
		if (*p != '-' || (p != help && !strchr(" \t\n[(,|", p[-1])))
			continue;
		size_t len = 1;
		if (p[1] == '-')
			len = 2;
		if (!isalpha((unsigned char)p[len]))
			continue;
		while (option_char(p[len]))
			len++;
		if (len >= 64)
			continue;
		char option[64];
		memcpy(option, p, len);
		option[len] = '\0';
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			seen |= strcmp(options[i], option) == 0;
		if (!seen && n < max)
			strcpy(options[n++], option);
		p += len - 1;
	}
	return n;
}

static void every_option_on_the_page(const char *tool, const char *help_args,
				     const char *page)
{
	char command[512];
	snprintf(command, sizeof command, "%s/%s %s", RW_BIN_DIR, tool, help_args);
	int status;
	char *help = run(command, &status);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s: status %d", command, status);
	static char options[128][64];
	size_t n = help_options(help, options, 128);
	cr_assert_geq(n, 3, "found only %zu options in the help of %s:\n%s", n,
		      tool, help);
	char path[512];
	snprintf(path, sizeof path, "%s/%s", MAN_DIR, page);
	char *text = page_text(path);
	for (size_t i = 0; i < n; i++)
		cr_expect(mentions(text, options[i]),
			  "%s lists %s, but man/%s does not describe it", tool,
			  options[i], page);
	free(text);
	free(help);
}

Test(man, every_racewire_stress_option_is_on_its_page, .timeout = 30)
{
	every_option_on_the_page("racewire-stress", "--help", "racewire-stress.1");
	every_option_on_the_page("racewire-stress", "merge --help", "racewire-stress.1");
}

Test(man, every_racewire_diagnose_option_is_on_its_page, .timeout = 30)
{
	every_option_on_the_page("racewire-diagnose", "--help", "racewire-diagnose.1");
}

Test(man, the_parser_sees_what_it_should, .timeout = 10)
{
	static char options[8][64];
	size_t n = help_options("  -p, --parallel N  x\n[--json] a-b --no-x\n"
				"RACEWIRE=flight=DIR/run-SEQ [--] -- cmd\n", options, 8);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(options[0], "-p");
	cr_assert_str_eq(options[1], "--parallel");
	cr_assert_str_eq(options[2], "--json");
	cr_assert_str_eq(options[3], "--no-x");
	cr_assert(mentions("see --no-stacks and -q.", "-q"));
	cr_assert(!mentions("see --no-stacks", "--no"));
}

Test(man, pages_render_without_warnings, .timeout = 60)
{
	int status;
	free(run("command -v groff >/dev/null 2>&1", &status));
	if (status != 0)
		cr_skip_test("groff is not installed: cannot check the rendering");
	static const char *const pages[] = {"racewire.7", "racewire-stress.1",
					    "racewire-diagnose.1"};
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		char command[600];
		snprintf(command, sizeof command,
			 "groff -man -ww -z %s/%s 2>&1", MAN_DIR, pages[i]);
		char *warnings = run(command, &status);
		cr_expect(status == 0 && warnings[0] == '\0',
			  "man/%s: groff says:\n%s", pages[i], warnings);
		free(warnings);
	}
}
