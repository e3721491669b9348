/*
 * bench/missrate/fresh.c [TRIALS [fresh|warm]]: how often a race on a
 * global goes unreported, on the model runtime with racewire (two
 * processors: MD_PROCS=2). fresh.go is its twin in Go; run.sh runs both.
 *
 * Each trial starts two tasks that spin until one deadline and then both
 * write the same word of a global row no access has touched before (rows
 * are 4 KiB apart, so each trial's word has a shadow page of its own). The
 * spin is a clock read, not a sync operation: nothing orders the two
 * writes, and each trial is one race TSan should report. Go-mode TSan
 * checks a shadow cell and stores it without atomicity; when both writes
 * first touch a never-touched shadow page at once, the page fault
 * stretches that window and both can miss each other, or so issue 15
 * supposed. prefault_shadow=1 (default 0) makes the shadow of data+bss
 * resident at rw_init. In warm mode the main task first writes another
 * word of the row (its own shadow cell, on the same shadow page, before
 * starting the writers: ordered before both), so the page is resident in
 * every runtime and only TSan's check-then-store window is left.
 *
 * Prints "fresh: N trials, M with both writers leaving their spin within
 * 1 us" (only those can miss: the others run one after the other), and TSan prints one report per detected race
 * (run.sh sets GORACE=suppress_equal_stacks=0, else TSan would print only
 * the first of these reports: every trial has the same two stacks).
 */
#include <model.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TRIALS 2000
#define ROW 4096             /* bytes of application memory per trial */
#define SPIN_NS 2000000      /* deadline: 2 ms after the trial starts */
#define CLOSE_NS 1000        /* "at the same moment": within 1 us */

static long arena[MAX_TRIALS][ROW / sizeof(long)] __attribute__((aligned(ROW)));

/* Read by the writers without annotation: written by the main task before
 * md_go, which orders it for the threads (the model's queue locks). */
static struct trial {
	long *word;
	long long deadline;
	long long left[2]; /* when each writer left its spin */
} trials[MAX_TRIALS];

static struct writer_arg {
	struct trial *t;
	int k;
} args[MAX_TRIALS][2];

static md_wg_t wg = MD_WG_INIT;
static int ntrials = 1000;
static int warm;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The racing access, as Go's racewritepc records `arena[i] = 1`. */
__attribute__((noinline)) static void write_word(long *p)
{
	MD_FUNC_ENTER();
	MD_WRITE(p);
	__atomic_store_n(p, 1, __ATOMIC_RELAXED);
	MD_FUNC_EXIT();
}

static void writer(void *arg)
{
	const struct writer_arg *a = arg;
	struct trial *t = a->t;
	long long now;
	while ((now = now_ns()) < t->deadline)
		; /* no yield: each writer keeps its own processor */
	write_word(t->word);
	t->left[a->k] = now; /* after the write: md_wg_done orders it for main */
	md_wg_done(&wg);
}

static void run(void *arg)
{
	(void)arg;
	int close = 0;
	for (int i = 0; i < ntrials; i++) {
		if (warm)
			write_word(&arena[i][8]);
		trials[i] = (struct trial){.word = arena[i], .deadline = now_ns() + SPIN_NS};
		md_wg_add(&wg, 2);
		for (int k = 0; k < 2; k++) {
			args[i][k] = (struct writer_arg){&trials[i], k};
			md_go(writer, &args[i][k]);
		}
		md_wg_wait(&wg);
		long long d = trials[i].left[0] - trials[i].left[1];
		close += d > -CLOSE_NS && d < CLOSE_NS;
	}
	printf("fresh: %d trials, %d with both writers leaving their spin within %d us\n", ntrials,
	       close, CLOSE_NS / 1000);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		char *end;
		long n = strtol(argv[1], &end, 10);
		if (*end || n < 1 || n > MAX_TRIALS) {
			fprintf(stderr, "fresh: TRIALS must be 1..%d, not '%s'\n", MAX_TRIALS, argv[1]);
			return 2;
		}
		ntrials = (int)n;
	}
	if (argc > 2) {
		warm = !strcmp(argv[2], "warm");
		if (!warm && strcmp(argv[2], "fresh")) {
			fprintf(stderr, "fresh: the mode is fresh or warm, not '%s'\n", argv[2]);
			return 2;
		}
	}
	md_init(0);
	md_main(run, NULL);
}
