/* Command-line parsing for racewire-stress. */
#ifndef RWS_ARGS_H
#define RWS_ARGS_H

#include <stdio.h>

#include "rws.h"

enum rws_parse_result {
	RWS_PARSE_OK,
	RWS_PARSE_HELP,   /* --help: usage printed to stdout, exit 0 */
	RWS_PARSE_ERROR,  /* message and usage printed to stderr, exit 2 */
};

/* Fills *opts from argv.  On error prints "racewire-stress: <what is wrong>"
 * and the usage text to stderr.  opts->command points into argv. */
enum rws_parse_result rws_parse_args(int argc, char **argv,
				     struct rws_options *opts);
void rws_print_usage(FILE *stream);
void rws_free_options(struct rws_options *opts);

#endif
