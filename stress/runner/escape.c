/* Escaping.  Everything a summary or a JUnit file carries that we did not
 * write ourselves (the command, paths, the diagnoser's verdict, a log's
 * text) may hold any bytes: a crashing run prints garbage, a path may be in
 * Latin-1.  A reader that rejects the whole file over one byte would lose
 * every result in it, so bytes that are not valid UTF-8 are replaced by
 * U+FFFD rather than passed through. */
#include "escape.h"

#include <stdbool.h>
#include <stdint.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t rws_utf8_length(const unsigned char *p, size_t len)
{
	if (len == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	size_t need;
	uint32_t cp, min;
	if ((p[0] & 0xe0) == 0xc0)
		need = 2, cp = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		need = 3, cp = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		need = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

void rws_json_string(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = 0;
	while (p[len] != '\0')
		len++;
	fputc('"', out);
	while (len > 0) {
		size_t n = rws_utf8_length(p, len);
		if (n == 0) {
			fputs(replacement, out);
			n = 1;
		} else if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p);
		} else if (*p == '\n') {
			fputs("\\n", out);
		} else if (*p == '\t') {
			fputs("\\t", out);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p);
		} else {
			fwrite(p, 1, n, out);
		}
		p += n;
		len -= n;
	}
	fputc('"', out);
}

void rws_xml_text(FILE *out, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	while (len > 0) {
		size_t n = rws_utf8_length(p, len);
		/* U+FFFE and U+FFFF are not XML characters either. */
		bool bad = n == 0 ||
			   (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe);
		if (bad) {
			fputs(replacement, out);
			n = n == 0 ? 1 : n;
		} else if (*p == '<') {
			fputs("&lt;", out);
		} else if (*p == '>') {
			fputs("&gt;", out);
		} else if (*p == '&') {
			fputs("&amp;", out);
		} else if (*p == '"') {
			fputs("&quot;", out);
		} else if (*p == '\'') {
			fputs("&apos;", out);
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			fprintf(out, "&#%d;", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			fputs(replacement, out);
		} else {
			fwrite(p, 1, n, out);
		}
		p += n;
		len -= n;
	}
}
