/* Writing arbitrary bytes into JSON and XML so that the file stays valid. */
#ifndef RWS_ESCAPE_H
#define RWS_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Length of the well-formed UTF-8 sequence at text (1-4), or 0 if the bytes
 * there (at most len of them) are not one: a stray continuation byte, an
 * overlong form, a surrogate, a code point above U+10FFFF, or a sequence cut
 * short. */
size_t rws_utf8_length(const unsigned char *text, size_t len);

/* A JSON string literal, quotes included.  Invalid UTF-8 becomes U+FFFD and
 * control characters \uXXXX, so the file parses whatever bytes a run, a
 * path or a command line carried. */
void rws_json_string(FILE *out, const char *text);

/* XML character data or attribute text (no quotes added).  Besides the five
 * entities: XML 1.0 cannot carry most control characters even escaped, so
 * they become U+FFFD, as does invalid UTF-8. */
void rws_xml_text(FILE *out, const char *text, size_t len);

#endif
