/*
 * model/chan.c - channels and select, with the happens-before edges of Go's
 * chan.go and select.go.
 *
 *  - A send happens-before the matching receive completes; for unbuffered
 *    channels the receive also happens-before the send completes.
 *  - Buffered: each slot is a sync object; sender and receiver both
 *    release-acquire it (Go's racenotify), so the k-th receive
 *    happens-after the k-th send, and the k-th send after the (k-cap)-th
 *    receive. With zero-size elements Go allocates no buffer: every slot
 *    is the one address c.buf == c.raceaddr(), and racenotify acquires
 *    then releases it, accumulating every sender's and receiver's clock
 *    there instead of one slot's; so does the model, on the channel's
 *    address.
 *  - Direct hand-off to a parked task: Go annotates on the parked
 *    goroutine's behalf (raceacquireg(sg.g, ...)). racewire annotates only
 *    for the current task, so the parked task release-stores its own sync
 *    word before parking, the waker release-acquires it, and the parked
 *    task acquires it when it runs again: the same two edges.
 *  - close writes the channel (racewritepc) and releases it; a send reads
 *    it (racereadpc), in select too (each send case polled): a send racing
 *    with close is reported, as in Go. A receive that finds the channel
 *    closed acquires it. len and cap annotate nothing, as in Go.
 *  - select (selectgo): every channel of the select is locked, in address
 *    order, cases are polled in a random order, and a blocking select
 *    queues one waiter per case. The first waker to claim the select
 *    (a CAS on its done word, Go's g.selectDone) completes that case; the
 *    other channels skip the stale waiters, which the select removes when
 *    it runs again.
 * Channels live in the managed heap (md_alloc): their addresses are sync
 * objects and race addresses; element copies into a parked receiver's
 * variable are plain copies (stacks are never annotated).
 */
#include "internal.h"

#include <string.h>

/* A task parked on a channel (Go's sudog), on the task's own stack. */
struct waiter {
	md_g_t *g;
	void *elem;           /* send: the value; receive: its target (NULL:
	                       * discarded) */
	struct waiter *next;
	struct selstate *sel; /* NULL for a plain send or receive */
	int casei;            /* the select case this waiter stands for */
	int ok;               /* set by the waker: 1 done, 0 closed */
};

/* What the waiters of one blocked select share. */
struct selstate {
	_Atomic int done; /* claimed by a waker */
	int casei;        /* the case it completed */
};

struct waitq {
	struct waiter *head, *tail;
};

struct md_chan {
	uint32_t lock;
	int closed;
	size_t elemsize, cap, count, sendx, recvx;
	struct waitq recvq, sendq;
	char *buf;
};

static void enqueue(struct waitq *q, struct waiter *w)
{
	w->next = NULL;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
}

/* The first waiter that can still be woken: a select already claimed
 * through another channel is dropped (Go's waitq.dequeue). */
static struct waiter *dequeue(struct waitq *q)
{
	for (;;) {
		struct waiter *w = q->head;
		if (!w)
			return NULL;
		q->head = w->next;
		if (!q->head)
			q->tail = NULL;
		if (w->sel) {
			int z = 0;
			if (!atomic_compare_exchange_strong(&w->sel->done, &z, 1))
				continue;
			w->sel->casei = w->casei;
		}
		return w;
	}
}

static void unlink_waiter(struct waitq *q, struct waiter *w)
{
	struct waiter *prev = NULL;
	for (struct waiter *x = q->head; x; prev = x, x = x->next) {
		if (x != w)
			continue;
		if (prev)
			prev->next = x->next;
		else
			q->head = x->next;
		if (q->tail == x)
			q->tail = prev;
		return;
	}
}

static void unlock_chan(void *c)
{
	md__unlock(&((md_chan_t *)c)->lock);
}

md_chan_t *md_chan_make(size_t elem_size, size_t cap)
{
	md_chan_t *c = md_alloc(sizeof *c);
	c->elemsize = elem_size;
	c->cap = cap;
	if (cap && elem_size)
		c->buf = md__heap_raw(cap * elem_size);
	return c;
}

/* Slot i's address: its sync object. Zero-size elements: the channel's
 * own address for every slot, as Go's c.buf. */
static void *slot(md_chan_t *c, size_t i)
{
	return c->elemsize ? c->buf + i * c->elemsize : (void *)c;
}

static void copy_elem(md_chan_t *c, void *to, const void *from)
{
	if (c->elemsize && to)
		memcpy(to, from, c->elemsize);
}

/* Go's racenotify(c, i, nil): the current task passes through slot i. */
static void notify(md_chan_t *c, size_t i)
{
	void *s = slot(c, i);
	if (c->elemsize) {
		rw_release_acquire(s);
	} else {
		rw_acquire(s);
		rw_release_merge(s);
	}
}

/* Go's racenotify(c, i, sg) for the parked task's release into slot i
 * (its acquire comes from its own sync word when it wakes). */
static void notify_for(md_chan_t *c, size_t i, md_g_t *g)
{
	void *s = slot(c, i);
	if (c->elemsize)
		md__rwcheck(rw_release_for(g->rw, s), "rw_release_for");
	else
		md__rwcheck(rw_release_merge_for(g->rw, s), "rw_release_merge_for");
}

static md_g_t *curg(void)
{
	md_m_t *m = md__m;
	if (!m || !m->curg)
		md__fatal("channel operation outside a task");
	return m->curg;
}

/* Send to a parked receiver r (Go's send()). Channel locked. */
static void send_direct(md_chan_t *c, struct waiter *r, const void *elem)
{
	copy_elem(c, r->elem, elem);
	r->ok = 1;
	if (c->cap == 0) {
		/* Unbuffered: the two tasks sync both ways (racesync). */
		RACE(rw_release_acquire(&r->g->race_sync));
	} else {
		/* Buffered (the buffer is empty): as Go's send does, pretend
		 * the value went through the slot. The receiver gets what the
		 * sender did (its word, acquired when it wakes), but the sender
		 * gets only what the slot carried, not what the receiver did
		 * before it parked. */
		RACE(notify(c, c->recvx));
		RACE(rw_release(&r->g->race_sync));
		c->recvx = (c->recvx + 1) % c->cap;
		c->sendx = c->recvx;
	}
}

/* Room in the buffer: the value goes to slot sendx. Channel locked. */
static void send_buf(md_chan_t *c, const void *elem)
{
	RACE(notify(c, c->sendx));
	copy_elem(c, slot(c, c->sendx), elem);
	c->sendx = (c->sendx + 1) % c->cap;
	c->count++;
}

/* Receive with a parked sender s (Go's recv()): unbuffered, straight from
 * it; buffered (then full), from the head slot, and s's value goes to the
 * slot just freed. Channel locked. */
static void recv_direct(md_chan_t *c, struct waiter *s, void *elem)
{
	if (c->cap == 0) {
		copy_elem(c, elem, s->elem);
		RACE(rw_release_acquire(&s->g->race_sync));
	} else {
		/* The sender gets what the slot carries now and our release
		 * (its word, acquired when it wakes), and the slot gets what
		 * the sender did, for whoever receives this element later. We
		 * do not get what the sender did: our element came from
		 * before it. */
		RACE(notify(c, c->recvx));
		copy_elem(c, elem, slot(c, c->recvx));
		RACE(rw_release(&s->g->race_sync));
		copy_elem(c, slot(c, c->recvx), s->elem);
		RACE(notify_for(c, c->recvx, s->g));
		c->recvx = (c->recvx + 1) % c->cap;
		c->sendx = c->recvx;
	}
	s->ok = 1;
}

/* A value in the buffer and no parked sender. Channel locked. */
static void recv_buf(md_chan_t *c, void *elem)
{
	RACE(notify(c, c->recvx));
	copy_elem(c, elem, slot(c, c->recvx));
	c->recvx = (c->recvx + 1) % c->cap;
	c->count--;
}

void md_chan_send(md_chan_t *c, const void *elem)
{
	RACE(rw_read_pc(c, RW_CALLER_PC(), (uintptr_t)md_chan_send));
	md__check_preempt();
	md_g_t *g = curg();
	md__lock(&c->lock);
	if (c->closed) {
		md__unlock(&c->lock);
		md_panic("send on closed channel");
	}
	struct waiter *r = dequeue(&c->recvq);
	if (r) {
		md_g_t *rg = r->g;
		send_direct(c, r, elem);
		md__unlock(&c->lock);
		md__ready(rg);
		return;
	}
	if (c->count < c->cap) {
		send_buf(c, elem);
		md__unlock(&c->lock);
		return;
	}
	struct waiter w = {.g = g, .elem = (void *)elem};
	RACE(rw_release(&g->race_sync));
	enqueue(&c->sendq, &w);
	md__park(unlock_chan, c);
	RACE(rw_acquire(&g->race_sync));
	if (!w.ok) {
		RACE(rw_acquire(c));
		md_panic("send on closed channel");
	}
}

int md_chan_recv(md_chan_t *c, void *elem)
{
	md__check_preempt();
	md_g_t *g = curg();
	md__lock(&c->lock);
	struct waiter *s = dequeue(&c->sendq);
	if (s) {
		md_g_t *sg = s->g;
		recv_direct(c, s, elem);
		md__unlock(&c->lock);
		md__ready(sg);
		return 1;
	}
	if (c->count > 0) {
		recv_buf(c, elem);
		md__unlock(&c->lock);
		return 1;
	}
	if (c->closed) {
		md__unlock(&c->lock);
		RACE(rw_acquire(c));
		if (elem)
			memset(elem, 0, c->elemsize);
		return 0;
	}
	struct waiter w = {.g = g, .elem = elem};
	RACE(rw_release(&g->race_sync));
	enqueue(&c->recvq, &w);
	md__park(unlock_chan, c);
	RACE(rw_acquire(&g->race_sync));
	if (!w.ok) {
		RACE(rw_acquire(c)); /* woken by close */
		if (elem)
			memset(elem, 0, c->elemsize);
	}
	return w.ok;
}

void md_chan_close(md_chan_t *c)
{
	RACE(rw_write_pc(c, RW_CALLER_PC(), (uintptr_t)md_chan_close));
	RACE(rw_release(c));
	md__lock(&c->lock);
	if (c->closed) {
		md__unlock(&c->lock);
		md_panic("close of closed channel");
	}
	c->closed = 1;
	/* Wake everyone: collect the tasks first (the waiters live on their
	 * stacks and may be gone once their task runs). */
	md_g_t *wake = NULL;
	struct waiter *w;
	while ((w = dequeue(&c->recvq)) || (w = dequeue(&c->sendq))) {
		w->ok = 0;
		w->g->next = wake;
		wake = w->g;
	}
	md__unlock(&c->lock);
	while (wake) {
		md_g_t *g = wake;
		wake = g->next;
		md__ready(g);
	}
}

size_t md_chan_len(md_chan_t *c)
{
	md__lock(&c->lock);
	size_t n = c->count;
	md__unlock(&c->lock);
	return n;
}

size_t md_chan_cap(md_chan_t *c)
{
	return c->cap;
}

/* ---- select --------------------------------------------------------------- */

struct lockset {
	md_chan_t *c[MD_SELECT_MAX];
	int n;
};

static void lock_all(struct lockset *ls)
{
	for (int i = 0; i < ls->n; i++)
		md__lock(&ls->c[i]->lock);
}

static void unlock_all(void *arg)
{
	struct lockset *ls = arg;
	for (int i = ls->n - 1; i >= 0; i--)
		md__unlock(&ls->c[i]->lock);
}

/* Pseudo-random poll order (Go's fastrandn), per thread: the order is no
 * synchronization, it only keeps a select from favouring its first case. */
static _Thread_local uint32_t poll_seed;

static uint32_t fastrand(void)
{
	if (!poll_seed)
		poll_seed = (uint32_t)(uintptr_t)&poll_seed | 1u;
	poll_seed ^= poll_seed << 13;
	poll_seed ^= poll_seed >> 17;
	poll_seed ^= poll_seed << 5;
	return poll_seed;
}

int md_select(md_select_case_t *cs, int n, int block)
{
	uintptr_t pc = RW_CALLER_PC(); /* the select statement, for reports */
	if (n < 0 || n > MD_SELECT_MAX)
		md__fatal("md_select: %d cases (at most %d)", n, MD_SELECT_MAX);
	md__check_preempt();
	md_g_t *g = curg();

	/* Lock order: distinct channels by address, as Go's sellock. */
	struct lockset ls = {.n = 0};
	for (int i = 0; i < n; i++) {
		md_chan_t *c = cs[i].c;
		if (cs[i].dir != MD_SEND && cs[i].dir != MD_RECV)
			md__fatal("md_select: case %d: dir %d is neither MD_SEND nor MD_RECV", i, cs[i].dir);
		if (!c)
			continue; /* a nil channel: never ready */
		int j = ls.n;
		while (j > 0 && (uintptr_t)ls.c[j - 1] > (uintptr_t)c)
			j--;
		if (j > 0 && ls.c[j - 1] == c)
			continue;
		memmove(&ls.c[j + 1], &ls.c[j], (size_t)(ls.n - j) * sizeof ls.c[0]);
		ls.c[j] = c;
		ls.n++;
	}
	if (ls.n == 0) {
		if (!block)
			return -1;
		md__fatal("md_select: no channel to wait on: blocks forever");
	}
	int order[MD_SELECT_MAX];
	for (int i = 0; i < n; i++) {
		int j = (int)(fastrand() % (uint32_t)(i + 1));
		order[i] = order[j];
		order[j] = i;
	}

	lock_all(&ls);
	for (int k = 0; k < n; k++) {
		int i = order[k];
		md_select_case_t *cas = &cs[i];
		md_chan_t *c = cas->c;
		if (!c)
			continue;
		if (cas->dir == MD_SEND) {
			RACE(rw_read_pc(c, pc, (uintptr_t)md_chan_send));
			if (c->closed) {
				unlock_all(&ls);
				md_panic("send on closed channel");
			}
			struct waiter *r = dequeue(&c->recvq);
			if (r) {
				md_g_t *rg = r->g;
				send_direct(c, r, cas->elem);
				unlock_all(&ls);
				md__ready(rg);
				return i;
			}
			if (c->count < c->cap) {
				send_buf(c, cas->elem);
				unlock_all(&ls);
				return i;
			}
		} else {
			struct waiter *s = dequeue(&c->sendq);
			if (s) {
				md_g_t *sg = s->g;
				recv_direct(c, s, cas->elem);
				unlock_all(&ls);
				md__ready(sg);
				cas->ok = 1;
				return i;
			}
			if (c->count > 0) {
				recv_buf(c, cas->elem);
				unlock_all(&ls);
				cas->ok = 1;
				return i;
			}
			if (c->closed) {
				unlock_all(&ls);
				RACE(rw_acquire(c));
				if (cas->elem)
					memset(cas->elem, 0, c->elemsize);
				cas->ok = 0;
				return i;
			}
		}
	}
	if (!block) {
		unlock_all(&ls);
		return -1;
	}

	/* Park on every channel at once. */
	struct selstate st = {.casei = -1};
	struct waiter ws[MD_SELECT_MAX];
	for (int i = 0; i < n; i++) {
		md_chan_t *c = cs[i].c;
		if (!c)
			continue;
		ws[i] = (struct waiter){.g = g, .elem = cs[i].elem, .sel = &st, .casei = i};
		enqueue(cs[i].dir == MD_SEND ? &c->sendq : &c->recvq, &ws[i]);
	}
	RACE(rw_release(&g->race_sync));
	md__park(unlock_all, &ls);
	RACE(rw_acquire(&g->race_sync));

	/* Woken by one case: take the other waiters off their queues. */
	int i = st.casei;
	lock_all(&ls);
	for (int j = 0; j < n; j++)
		if (cs[j].c && j != i)
			unlink_waiter(cs[j].dir == MD_SEND ? &cs[j].c->sendq : &cs[j].c->recvq, &ws[j]);
	unlock_all(&ls);
	md_chan_t *c = cs[i].c;
	if (cs[i].dir == MD_SEND) {
		if (!ws[i].ok) {
			RACE(rw_acquire(c));
			md_panic("send on closed channel");
		}
	} else {
		if (!ws[i].ok) {
			RACE(rw_acquire(c)); /* woken by close */
			if (cs[i].elem)
				memset(cs[i].elem, 0, c->elemsize);
		}
		cs[i].ok = ws[i].ok;
	}
	return i;
}
