/*
 * tests/fidelity/main.c - the fidelity program.
 *
 *   fidelity list        one line per case: "NAME RACE" or "NAME NORACE"
 *   fidelity gaps        Go tests kept as reproducers of model limitations:
 *                        "NAME EXPECTED  why" (not part of the suite)
 *   fidelity run NAME    run that case on the model runtime, then exit
 *                        through md_exit(0) (rw_fini): TSan's status says
 *                        whether a race was reported (66) or not (0).
 *
 * Run by tests/model/test_fidelity.c, one process per case.
 */
#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CASES 512
static struct fcase cases[MAX_CASES];
static int ncases;

void fidelity_register(const char *name, int expect, void (*fn)(void), const char *gap)
{
	if (ncases == MAX_CASES) {
		fprintf(stderr, "fidelity: too many cases\n");
		exit(2);
	}
	cases[ncases++] = (struct fcase){name, expect, fn, gap};
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct fcase *)a)->name, ((const struct fcase *)b)->name);
}

static void run_case(void *arg)
{
	const struct fcase *c = arg;
	c->fn();
	md_wg_wait(&F.join);
	printf("fidelity %s: done\n", c->name);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	qsort(cases, (size_t)ncases, sizeof *cases, by_name);
	for (int i = 1; i < ncases; i++)
		if (!strcmp(cases[i - 1].name, cases[i].name)) {
			fprintf(stderr, "fidelity: duplicate case %s\n", cases[i].name);
			return 2;
		}
	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (int i = 0; i < ncases; i++)
			if (!cases[i].gap)
				printf("%s %s\n", cases[i].name, cases[i].expect ? "RACE" : "NORACE");
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "gaps")) {
		for (int i = 0; i < ncases; i++)
			if (cases[i].gap)
				printf("%s %s  %s\n", cases[i].name, cases[i].expect ? "RACE" : "NORACE",
				       cases[i].gap);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "run")) {
		for (int i = 0; i < ncases; i++)
			if (!strcmp(cases[i].name, argv[2])) {
				md_init(0);
				md_main(run_case, &cases[i]);
			}
		fprintf(stderr, "fidelity: no case %s\n", argv[2]);
		return 2;
	}
	fprintf(stderr, "usage: fidelity list | gaps | run NAME\n");
	return 2;
}
