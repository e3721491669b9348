/*
 * tests/fidelity/chan.c - ports of Go's src/runtime/race/testdata/chan_test.go.
 *
 * Go semantics exercised: an unbuffered send happens-before the receive
 * completes and the receive happens-before the send completes; for a
 * buffered channel of capacity C the k-th receive happens-before the
 * (k+C)-th send completes; close happens-before a receive that returns
 * because the channel is closed; len() is no synchronization; a send reads
 * the channel and close writes it (racereadpc/racewritepc in chan.go).
 *
 * Skipped (the model has no select): TestRaceChanSendSend,
 * TestRaceChanSendSelectClose, TestRaceSelectReadWriteAsync,
 * TestRaceSelectReadWriteSync, TestNoRaceSelectReadWriteAsync,
 * TestNoRaceSelectMutex, TestNoRaceBlockedSelectSendSync.
 */
#include "cases.h"

/* ---- TestNoRaceChanSync / SyncRev / Async / RaceChanAsyncRev ---------- */

static void v1_then_send(void)
{
	wr(&F.v, 1);
	send(F.c, 0);
}

FCASE(NoRaceChanSync, NORACE)
{
	F.c = mkchan(0);
	go0(v1_then_send);
	recv(F.c);
	wr(&F.v, 2);
}

static void send_then_v2(void)
{
	send(F.c, 0);
	wr(&F.v, 2);
}

FCASE(NoRaceChanSyncRev, NORACE)
{
	F.c = mkchan(0);
	go0(send_then_v2);
	wr(&F.v, 1);
	recv(F.c);
}

FCASE(NoRaceChanAsync, NORACE)
{
	F.c = mkchan(10);
	go0(v1_then_send);
	recv(F.c);
	wr(&F.v, 2);
}

static void send_then_v1(void)
{
	send(F.c, 0);
	wr(&F.v, 1);
}

/* When the main task is already parked in the receive, the send on a
 * buffered channel is handed over directly; as in Go (chan.go send():
 * racenotify on the buffer slot, not racesync), the sender must not
 * acquire what the receiver did before parking (here v = 2), so the race
 * is reported. (A model bug once synced both ways here.) */
FCASE(RaceChanAsyncRev, RACE)
{
	F.c = mkchan(10);
	go0(send_then_v1);
	wr(&F.v, 2);
	recv(F.c);
}

/* ---- close happens-before a receive that sees it --------------------- */

static void v1_then_close(void)
{
	wr(&F.v, 1);
	md_chan_close(F.c);
}

static void recv_once(void)
{
	recv(F.c);
}

/* Go: func() { defer func() { recover(); v = 2 }(); <-c }() */
FCASE(NoRaceChanAsyncCloseRecv, NORACE)
{
	F.c = mkchan(10);
	go0(v1_then_close);
	try0(recv_once);
	wr(&F.v, 2);
}

FCASE(NoRaceChanAsyncCloseRecv2, NORACE)
{
	F.c = mkchan(10);
	go0(v1_then_close);
	recv_ok(F.c, NULL);
	wr(&F.v, 2);
}

FCASE(NoRaceChanAsyncCloseRecv3, NORACE)
{
	F.c = mkchan(10);
	go0(v1_then_close);
	while (recv_ok(F.c, NULL)) /* for range c {} */
		;
	wr(&F.v, 2);
}

FCASE(NoRaceChanSyncCloseRecv, NORACE)
{
	F.c = mkchan(0);
	go0(v1_then_close);
	try0(recv_once);
	wr(&F.v, 2);
}

FCASE(NoRaceChanSyncCloseRecv2, NORACE)
{
	F.c = mkchan(0);
	go0(v1_then_close);
	recv_ok(F.c, NULL);
	wr(&F.v, 2);
}

FCASE(NoRaceChanSyncCloseRecv3, NORACE)
{
	F.c = mkchan(0);
	go0(v1_then_close);
	while (recv_ok(F.c, NULL))
		;
	wr(&F.v, 2);
}

/* ---- a send that panics on a closed channel acquires nothing --------- */

static void send_once(void)
{
	send(F.c, 0);
}

FCASE(RaceChanSyncCloseSend, RACE)
{
	F.c = mkchan(0);
	go0(v1_then_close);
	try0(send_once); /* blocks until the close, then panics; or panics */
	wr(&F.v, 2);
}

static void send_forever(void)
{
	for (;;)
		send(F.c, 0);
}

FCASE(RaceChanAsyncCloseSend, RACE)
{
	F.c = mkchan(10);
	go0(v1_then_close);
	try0(send_forever);
	wr(&F.v, 2);
}

static void close_c(void)
{
	md_chan_close(F.c);
}

static void closer1(void)
{
	wr(&F.v1, 1);
	if (try0(close_c))
		wr(&F.v2, 2);
	send(F.compl, 1);
}

static void closer2(void)
{
	wr(&F.v2, 1);
	if (try0(close_c))
		wr(&F.v1, 2);
	send(F.compl, 1);
}

FCASE(RaceChanCloseClose, RACE)
{
	F.compl = mkchan(2);
	F.c = mkchan(0);
	go0(closer1);
	go0(closer2);
	recv(F.compl);
	recv(F.compl);
}

/* ---- len() does not synchronize -------------------------------------- */

static void v1_send1(void)
{
	wr(&F.v, 1);
	send(F.c, 1);
}

FCASE(RaceChanSendLen, RACE)
{
	F.c = mkchan(10);
	go0(v1_send1);
	while (md_chan_len(F.c) == 0)
		md_yield();
	wr(&F.v, 2);
}

static void v1_recv(void)
{
	wr(&F.v, 1);
	recv(F.c);
}

FCASE(RaceChanRecvLen, RACE)
{
	F.c = mkchan(10);
	send(F.c, 1);
	go0(v1_recv);
	while (md_chan_len(F.c) != 0)
		md_yield();
	wr(&F.v, 2);
}

/* ---- misc ------------------------------------------------------------ */

static void send_new_msg(void)
{
	long *m = md_alloc(sizeof *m); /* &msg{1} */
	wr(m, 1);
	md_chan_send(F.c, &m);
}

FCASE(NoRaceChanPtr, NORACE)
{
	F.c = md_chan_make(sizeof(long *), 0);
	go0(send_new_msg);
	long *m;
	md_chan_recv(F.c, &m);
	wr(m, 2);
}

static void wrongsend1(void)
{
	wr(&F.v1, 1);
	send(F.c, 1);
}

static void wrongsend2(void)
{
	wr(&F.v2, 2);
	send(F.c, 2);
}

FCASE(RaceChanWrongSend, RACE)
{
	F.c = mkchan(2);
	go0(wrongsend1);
	go0(wrongsend2);
	sleep_ms(10);
	if (recv(F.c) == 1)
		wr(&F.v2, 3);
	else
		wr(&F.v1, 3);
}

static void wrongclose_sender(void)
{
	wr(&F.v1, 1);
	send(F.c, 1);
}

static void wrongclose_sender_try(void)
{
	try0(wrongclose_sender);
}

static void wrongclose_closer(void)
{
	sleep_ms(10);
	wr(&F.v2, 2);
	md_chan_close(F.c);
}

FCASE(RaceChanWrongClose, RACE)
{
	F.c = mkchan(1);
	go0(wrongclose_sender_try);
	go0(wrongclose_closer);
	sleep_ms(20);
	if (recv_ok(F.c, NULL))
		wr(&F.v2, 2);
	else
		wr(&F.v1, 2);
}

static void sendclose_sender(void)
{
	try0(send_once);
	send(F.compl, 1);
}

static void sendclose_closer(void)
{
	sleep_ms(10);
	md_chan_close(F.c);
	send(F.compl, 1);
}

/* The race is on the channel itself: the send's read vs close's write. */
FCASE(RaceChanSendClose, RACE)
{
	F.compl = mkchan(2);
	F.c = mkchan(1);
	go0(sendclose_sender);
	go0(sendclose_closer);
	recv(F.compl);
	recv(F.compl);
}

/* ---- the value sent and the variable it lands in --------------------- */

static void c1_send_x(void)
{
	send(F.c1, rd(&F.x)); /* read of x races with... */
	send(F.done, 1);
}

FCASE(RaceChanReadWriteAsync, RACE)
{
	F.done = mkchan(0);
	F.c1 = mkchan(10);
	F.c2 = mkchan(10);
	send(F.c2, 10);
	go0(c1_send_x);
	wr(&F.x, recv(F.c2)); /* ... write to x here */
	recv(F.done);
}

static void recv_c1(void)
{
	recv(F.c1);
}

static void send_c2(void)
{
	send(F.c2, 10);
}

FCASE(RaceChanReadWriteSync, RACE)
{
	F.done = mkchan(0);
	F.c1 = mkchan(0);
	F.c2 = mkchan(0);
	go0(recv_c1);
	go0(send_c2);
	go0(c1_send_x);
	wr(&F.x, recv(F.c2));
	recv(F.done);
}

FCASE(NoRaceChanReadWriteAsync, NORACE)
{
	F.done = mkchan(0);
	F.c1 = mkchan(10);
	go0(c1_send_x);
	wr(&F.x, recv(F.c1));
	recv(F.done);
}

/* Task{f, done}: a function pointer and a reply channel sent by value. */
struct ptask {
	void (*f)(void);
	md_chan_t *done;
};

static void pc_worker(void)
{
	struct ptask t;
	md_chan_recv(F.c, &t);
	t.f();
	send(t.done, 1);
}

static void pc_set_x(void)
{
	wr(&F.x, 1);
}

FCASE(NoRaceProducerConsumerUnbuffered, NORACE)
{
	F.c = md_chan_make(sizeof(struct ptask), 0); /* queue */
	go0(pc_worker);
	/* doit(func() { x = 1 }) */
	struct ptask t = {pc_set_x, mkchan(1)};
	md_chan_send(F.c, &t);
	recv(t.done);
	rd(&F.x);
}

/* ---- races on the variable holding the channel ----------------------- */

static void itself_send(void)
{
	send(rdp(&F.ptr), 0);
	send(F.compl, 1);
}

FCASE(RaceChanItselfSend, RACE)
{
	F.compl = mkchan(1);
	F.ptr = mkchan(10);
	go0(itself_send);
	wrp(&F.ptr, mkchan(20));
	recv(F.compl);
}

static void itself_recv(void)
{
	recv(rdp(&F.ptr));
	send(F.compl, 1);
}

FCASE(RaceChanItselfRecv, RACE)
{
	F.compl = mkchan(1);
	F.ptr = mkchan(10);
	send(F.ptr, 1);
	go0(itself_recv);
	sleep_ms(10);
	wrp(&F.ptr, mkchan(20));
	recv(F.compl);
}

static void itself_send_only(void)
{
	send(rdp(&F.ptr), 0);
}

FCASE(RaceChanItselfNil, RACE)
{
	F.ptr = mkchan(10);
	go0(itself_send_only);
	sleep_ms(10);
	wrp(&F.ptr, NULL);
}

static void itself_close(void)
{
	md_chan_close(rdp(&F.ptr));
	send(F.compl, 1);
}

FCASE(RaceChanItselfClose, RACE)
{
	F.compl = mkchan(1);
	F.ptr = mkchan(0);
	go0(itself_close);
	wrp(&F.ptr, mkchan(0));
	recv(F.compl);
}

static void itself_len(void)
{
	(void)md_chan_len(rdp(&F.ptr));
	send(F.compl, 1);
}

FCASE(RaceChanItselfLen, RACE)
{
	F.compl = mkchan(1);
	F.ptr = mkchan(0);
	go0(itself_len);
	wrp(&F.ptr, mkchan(0));
	recv(F.compl);
}

/* cap(c): the model has no md_chan_cap; what races is the read of c. */
static void itself_cap(void)
{
	(void)rdp(&F.ptr);
	send(F.compl, 1);
}

FCASE(RaceChanItselfCap, RACE)
{
	F.compl = mkchan(1);
	F.ptr = mkchan(0);
	go0(itself_cap);
	wrp(&F.ptr, mkchan(0));
	recv(F.compl);
}

FCASE(RaceChanCloseLen, RACE)
{
	F.c = mkchan(10);
	send(F.c, 0);
	go0(v1_then_close);
	sleep_ms(10);
	(void)md_chan_len(F.c);
	wr(&F.v, 2);
}

static void close_then_compl(void)
{
	md_chan_close(F.c);
	send(F.compl, 1);
}

/* Race on the channel: close's write vs the send's read. The send may
 * come after the close and panic (Go's test then panics too, after the
 * report); the port recovers so the process ends through TSan's exit. */
FCASE(RaceChanCloseSend, RACE)
{
	F.compl = mkchan(1);
	F.c = mkchan(10);
	go0(close_then_compl);
	try0(send_once);
	recv(F.compl);
}

/* ---- channels as locks and semaphores (the (k+C)-th send rule) -------- */

static void chanmutex_worker(void)
{
	send(F.mtx, 0);
	wr(&F.x, 42); /* data */
	recv(F.mtx);
	send(F.done, 0);
}

FCASE(NoRaceChanMutex, NORACE)
{
	F.done = mkchan(0);
	F.mtx = mkchan(1);
	go0(chanmutex_worker);
	send(F.mtx, 0);
	wr(&F.x, 43);
	recv(F.mtx);
	recv(F.done);
}

FCASE(RaceChanSem, RACE)
{
	F.done = mkchan(0);
	F.mtx = mkchan(2);
	go0(chanmutex_worker);
	send(F.mtx, 0);
	wr(&F.x, 43);
	recv(F.mtx);
	recv(F.done);
}

static void chanwg_worker(long i)
{
	wr(&F.arr[i], 42);
	recv(F.c); /* <-chanWg */
}

FCASE(NoRaceChanWaitGroup, NORACE)
{
	enum { N = 10 };
	F.c = mkchan(N / 2); /* chanWg */
	for (long i = 0; i < N; i++) {
		send(F.c, 1);
		go1(chanwg_worker, i);
	}
	for (int i = 0; i < N / 2; i++)
		send(F.c, 1);
	for (int i = 0; i < N; i++)
		rd(&F.arr[i]);
}

static void blocked_sender(void)
{
	long *i = md_alloc(sizeof *i); /* i := 42 escapes */
	wr(i, 42);
	md_chan_send(F.c, &i);
}

/* The sender blocks on a full buffer; its element moves into the slot the
 * receive frees; the receiver of that slot must happen-after the send. */
FCASE(NoRaceBlockedSendSync, NORACE)
{
	F.c = md_chan_make(sizeof(long *), 1);
	long *p = NULL;
	md_chan_send(F.c, &p);
	go0(blocked_sender);
	sleep_ms(10);
	md_chan_recv(F.c, &p);
	md_chan_recv(F.c, &p);
	if (rd(p) != 42)
		md_exit(3);
}
