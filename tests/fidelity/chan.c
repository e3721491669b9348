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
 * select cases of chan_test.go use md_select (SELECT in cases.h).
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

/* ---- select and the rest of chan_test.go ------------------------------- */

/* c holds nil; a task blocks sending &i; main takes the nil, which lets
 * the blocked send into the buffer, then selects it: the select receives
 * what the sender wrote before sending. i escapes: a heap block. */
static void bsss_g(void)
{
	long *i = md_alloc(sizeof *i);
	wr(i, 42);
	send(F.c, (long)(uintptr_t)i);
}

FCASE(NoRaceBlockedSelectSendSync, NORACE)
{
	F.c = mkchan(1);
	send(F.c, 0);
	go0(bsss_g);
	sleep_ms(10);
	recv(F.c);
	long p = 0;
	md_select_case_t cs[] = {{.c = F.c, .dir = MD_RECV, .elem = &p},
	                         {.c = mkchan(0), .dir = MD_RECV}};
	if (md_select(cs, 2, 1) == 0 && rd((long *)(uintptr_t)p) != 42)
		md_panic("NoRaceBlockedSelectSendSync: *p != 42");
}

static void cap_to_r(void)
{
	send(F.c1, (long)md_chan_cap(F.c));
}

static void len_to_r(void)
{
	send(F.c1, (long)md_chan_len(F.c));
}

static void close_c_r0(void)
{
	md_chan_close(F.c);
	send(F.c1, 0);
}

FCASE(NoRaceChanCloseCap, NORACE)
{
	F.c = mkchan(10);
	F.c1 = mkchan(10);
	go0(cap_to_r);
	go0(close_c_r0);
	recv(F.c1);
	recv(F.c1);
}

FCASE(NoRaceChanCloseLen, NORACE)
{
	F.c = mkchan(10);
	F.c1 = mkchan(10);
	go0(len_to_r);
	go0(close_c_r0);
	recv(F.c1);
	recv(F.c1);
}

/* Each iteration has its own loc and channels (Go's loop-local
 * variables): the tasks get them as their argument, since a task of one
 * iteration may run after the next iteration began. */
struct chbr {
	long loc;
	md_chan_t *write, *read;
};

static void chbr_reader(long arg)
{
	struct chbr *it = (struct chbr *)(uintptr_t)arg;
	md_select_case_t cs[] = {{.c = it->write, .dir = MD_RECV}};
	if (md_select(cs, 1, 0) == 0)
		rd(&it->loc);
	md_chan_close(it->read);
}

static void chbr_writer(long arg)
{
	struct chbr *it = (struct chbr *)(uintptr_t)arg;
	wr(&it->loc, 1);
	md_chan_close(it->write);
}

FCASE(NoRaceCloseHappensBeforeRead, NORACE)
{
	for (int i = 0; i < 100; i++) {
		struct chbr *it = md_alloc(sizeof *it);
		it->write = md_chan_make(0, 0);
		it->read = md_chan_make(0, 0);
		go1(chbr_reader, (long)(uintptr_t)it);
		go1(chbr_writer, (long)(uintptr_t)it);
		md_chan_recv(it->read, NULL);
	}
}

/* Elements of size zero: every slot is one sync object that accumulates
 * (Go's racenotify for c.elemsize == 0), so the later sends happen-after
 * both receives whichever slot each took. */
static void es0_x(void)
{
	wr(&F.x, rd(&F.x) + 1);
	md_chan_recv(F.c, NULL);
}

static void es0_y(void)
{
	wr(&F.y, rd(&F.y) + 1);
	md_chan_recv(F.c, NULL);
}

FCASE(NoRaceElemetSize0, NORACE)
{
	F.c = md_chan_make(0, 2);
	md_chan_send(F.c, NULL);
	md_chan_send(F.c, NULL);
	go0(es0_x);
	go0(es0_y);
	sleep_ms(10);
	md_chan_send(F.c, NULL);
	md_chan_send(F.c, NULL);
	wr(&F.x, rd(&F.x) + 1);
	wr(&F.y, rd(&F.y) + 1);
}

static void selmtx_g(void)
{
	SELECT(1, SSEND(F.mtx, 0), SRECV(F.c1));
	wr(&F.x, 42);
	SELECT(1, SRECV(F.mtx), SRECV(F.c1));
	send(F.done, 0);
}

FCASE(NoRaceSelectMutex, NORACE)
{
	F.done = mkchan(0);
	F.mtx = mkchan(1);
	F.c1 = mkchan(0); /* aux */
	go0(selmtx_g);
	SELECT(1, SSEND(F.mtx, 0), SRECV(F.c1));
	wr(&F.x, 43);
	SELECT(1, SRECV(F.mtx), SRECV(F.c1));
	recv(F.done);
}

/* `case c1 <- x`: the value is read when the select evaluates its cases,
 * before choosing one; `case x = <-c1`: x is written only if that case
 * runs. */
static void selrw_sender(void)
{
	long x = rd(&F.x);
	SELECT(1, SSEND(F.c1, x), SSEND(F.c2, 1));
	send(F.done, 1);
}

FCASE(NoRaceSelectReadWriteAsync, NORACE)
{
	F.done = mkchan(0);
	F.c1 = mkchan(0);
	F.c2 = mkchan(0);
	go0(selrw_sender);
	long v;
	md_select_case_t cs[] = {{.c = F.c1, .dir = MD_RECV, .elem = &v},
	                         {.c = F.c2, .dir = MD_SEND, .elem = &(long){1}}};
	if (md_select(cs, 2, 1) == 0)
		wr(&F.x, v);
	recv(F.done);
}

static void rsel3_sender(void)
{
	long x = rd(&F.x);
	SELECT(1, SSEND(F.c1, x), SSEND(F.c3, 1));
	send(F.done, 1);
}

FCASE(RaceSelectReadWriteAsync, RACE)
{
	F.done = mkchan(0);
	F.c1 = mkchan(10);
	F.c2 = mkchan(10);
	F.c3 = mkchan(0);
	send(F.c2, 1);
	go0(rsel3_sender);
	long v;
	md_select_case_t cs[] = {{.c = F.c2, .dir = MD_RECV, .elem = &v},
	                         {.c = F.c3, .dir = MD_SEND, .elem = &(long){1}}};
	if (md_select(cs, 2, 1) == 0)
		wr(&F.x, v);
	recv(F.done);
}

FCASE(RaceSelectReadWriteSync, RACE)
{
	F.done = mkchan(0);
	F.c1 = mkchan(0);
	F.c2 = mkchan(0);
	F.c3 = mkchan(0);
	go0(recv_c1);
	go0(send_c2);
	go0(rsel3_sender);
	long v;
	md_select_case_t cs[] = {{.c = F.c2, .dir = MD_RECV, .elem = &v},
	                         {.c = F.c3, .dir = MD_SEND, .elem = &(long){1}}};
	if (md_select(cs, 2, 1) == 0)
		wr(&F.x, v);
	recv(F.done);
}

static void sendselclose_sel(void)
{
	SELECT(1, SSEND(F.c, 1), SRECV(F.c1));
}

static void sendselclose_g(void)
{
	sleep_ms(10);
	try0(sendselclose_sel);
	send(F.compl, 1);
}

static void close_c_compl(void)
{
	md_chan_close(F.c);
	send(F.compl, 1);
}

FCASE(RaceChanSendSelectClose, RACE)
{
	F.compl = mkchan(2);
	F.c = mkchan(1);
	F.c1 = mkchan(0);
	go0(sendselclose_g);
	go0(close_c_compl);
	recv(F.compl);
	recv(F.compl);
}

static void sendsend_1(void)
{
	wr(&F.v1, 1);
	if (SELECT(0, SSEND(F.c, 1)) < 0)
		wr(&F.v2, 2);
	send(F.compl, 1);
}

static void sendsend_2(void)
{
	wr(&F.v2, 1);
	if (SELECT(0, SSEND(F.c, 1)) < 0)
		wr(&F.v1, 2);
	send(F.compl, 1);
}

FCASE(RaceChanSendSend, RACE)
{
	F.compl = mkchan(2);
	F.c = mkchan(1);
	go0(sendsend_1);
	go0(sendsend_2);
	recv(F.compl);
	recv(F.compl);
}
