/*
 * tests/fidelity/select.c - ports of Go's
 * src/runtime/race/testdata/select_test.go: select synchronizes exactly as
 * the channel operation of the case it runs, and the default case
 * synchronizes nothing. A Go select of one case is compiled to the plain
 * operation, and is ported as one.
 */
#include "cases.h"

static void sel1_g(void)
{
	wr(&F.x, 1);
	SELECT(1, SSEND(F.c, 1), SSEND(F.c1, 1));
	send(F.compl, 1);
}

FCASE(NoRaceSelect1, NORACE)
{
	F.compl = mkchan(0);
	F.c = mkchan(0);
	F.c1 = mkchan(0);
	go0(sel1_g);
	SELECT(1, SRECV(F.c), SSEND(F.c1, 1));
	wr(&F.x, 2);
	recv(F.compl);
}

static void sel2_g(void)
{
	SELECT(1, SRECV(F.c), SRECV(F.c1));
	wr(&F.x, 1);
	send(F.compl, 1);
}

FCASE(NoRaceSelect2, NORACE)
{
	F.compl = mkchan(0);
	F.c = mkchan(0);
	F.c1 = mkchan(0);
	go0(sel2_g);
	wr(&F.x, 2);
	md_chan_close(F.c);
	md_yield();
	recv(F.compl);
}

static void sel3_g(void)
{
	wr(&F.x, 1);
	SELECT(1, SSEND(F.c, 1), SRECV(F.c1));
	send(F.compl, 1);
}

FCASE(NoRaceSelect3, NORACE)
{
	F.compl = mkchan(0);
	F.c = mkchan(10);
	F.c1 = mkchan(0);
	go0(sel3_g);
	recv(F.c);
	wr(&F.x, 2);
	recv(F.compl);
}

/* A Task{f, done} is two words in a heap block; the queue carries its
 * address. The server loops forever in Go; here it serves one task (the
 * runner joins every task before the process exits). */
static void sel4_server(void)
{
	long t;
	md_select_case_t cs[] = {{.c = F.c, .dir = MD_RECV, .elem = &t}};
	md_select(cs, 1, 1);
	long *task = (long *)t;
	((void (*)(void))task[0])();
	send((md_chan_t *)task[1], 1);
}

static void sel4_f(void)
{
	wr(&F.x, 1);
}

FCASE(NoRaceSelect4, NORACE)
{
	F.c = mkchan(0);     /* queue */
	F.c1 = mkchan(0);    /* dummy */
	go0(sel4_server);
	md_chan_t *done = mkchan(1);
	long *task = md_alloc(2 * sizeof(long));
	task[0] = (long)(uintptr_t)sel4_f;
	task[1] = (long)(uintptr_t)done;
	SELECT(1, SSEND(F.c, (long)(uintptr_t)task), SRECV(F.c1));
	SELECT(1, SRECV(done), SRECV(F.c1));
	rd(&F.x);
}

static int sel5_sel, sel5_sched;

static void sel5_a(void)
{
	if (sel5_sched)
		md_yield();
	wr(&F.x, 1);
	if (sel5_sel)
		SELECT(1, SSEND(F.ch, 1), SRECV(F.c1));
	else
		send(F.ch, 1);
	send(F.done, 1);
}

static void sel5_b(void)
{
	if (sel5_sel)
		SELECT(1, SRECV(F.ch), SRECV(F.c1));
	else
		recv(F.ch);
	wr(&F.x, 1);
	send(F.done, 1);
}

FCASE(NoRaceSelect5, NORACE)
{
	static const int runs[4][2] = {{1, 1}, {1, 0}, {0, 1}, {0, 0}};
	for (int i = 0; i < 4; i++) {
		sel5_sel = runs[i][0];
		sel5_sched = runs[i][1];
		F.x = 0; /* a fresh x per call: Go's var x in test() */
		F.ch = mkchan(0);
		F.c1 = mkchan(0);
		F.done = mkchan(2);
		go0(sel5_a);
		go0(sel5_b);
		recv(F.done);
		recv(F.done);
	}
}

static void rsel1_recv2(void)
{
	recv(F.c);
	recv(F.c);
}

static void rsel1_f(void)
{
	SELECT(1, SSEND(F.c, 1), SSEND(F.c1, 1));
	wr(&F.x, 1);
	send(F.compl, 1);
}

FCASE(RaceSelect1, RACE)
{
	F.compl = mkchan(2);
	F.c = mkchan(0);
	F.c1 = mkchan(0);
	go0(rsel1_recv2);
	go0(rsel1_f);
	go0(rsel1_f);
	recv(F.compl);
	recv(F.compl);
}

static void rsel2_g(void)
{
	wr(&F.x, 1);
	SELECT(1, SRECV(F.c), SRECV(F.c1));
	send(F.compl, 1);
}

FCASE(RaceSelect2, RACE)
{
	F.compl = mkchan(0);
	F.c = mkchan(0);
	F.c1 = mkchan(0);
	go0(rsel2_g);
	md_chan_close(F.c);
	wr(&F.x, 2);
	recv(F.compl);
}

static void rsel3_g(void)
{
	wr(&F.x, 1);
	SELECT(1, SSEND(F.c, 1), SSEND(F.c1, 1));
	send(F.compl, 1);
}

FCASE(RaceSelect3, RACE)
{
	F.compl = mkchan(0);
	F.c = mkchan(0);
	F.c1 = mkchan(0);
	go0(rsel3_g);
	wr(&F.x, 2);
	recv(F.c); /* select { case <-c: } */
	recv(F.compl);
}

static void rsel4_g(void)
{
	if (SELECT(0, SRECV(F.c1)) < 0) /* select { default: x = 2 } */
		wr(&F.x, 2);
	send(F.done, 1);
}

FCASE(RaceSelect4, RACE)
{
	F.done = mkchan(1);
	F.c1 = NULL;
	go0(rsel4_g);
	rd(&F.x);
	recv(F.done);
}

static void rsel5_g(void)
{
	if (SELECT(1, SSEND(F.c1, 1), SSEND(F.c2, 1)) == 0)
		wr(&F.x, 1);
	else
		wr(&F.y, 1);
	send(F.done, 1);
}

FCASE(RaceSelect5, RACE)
{
	F.done = mkchan(1);
	F.c1 = mkchan(1);
	F.c2 = mkchan(0);
	go0(rsel5_g);
	rd(&F.x);
	rd(&F.y);
	recv(F.done);
}
