/*
 * model/chan.c - channels, with the happens-before edges of Go's chan.go.
 *
 *  - A send happens-before the matching receive completes; for unbuffered
 *    channels the receive also happens-before the send completes.
 *  - Buffered: each slot is a sync object; sender and receiver both
 *    release-acquire it (Go's racenotify), so the k-th receive
 *    happens-after the k-th send, and the k-th send after the (k-cap)-th
 *    receive.
 *  - Direct hand-off to a parked task: Go annotates on the parked
 *    goroutine's behalf (raceacquireg(sg.g, ...)). racewire annotates only
 *    for the current task, so the parked task release-stores its own sync
 *    word before parking, the waker release-acquires it, and the parked
 *    task acquires it when it runs again: the same two edges.
 *  - close writes the channel (racewritepc) and releases it; a send reads
 *    it (racereadpc): a send racing with close is reported, as in Go. A
 *    receive that finds the channel closed acquires it.
 * Channels live in the managed heap (md_alloc): their addresses are sync
 * objects and race addresses; element copies into a parked receiver's
 * variable are plain copies (stacks are never annotated).
 */
#include "internal.h"

#include <string.h>

struct md_chan {
	uint32_t lock;
	int closed;
	size_t elemsize, cap, count, sendx, recvx;
	md_g_t *recvq, *recvq_tail, *sendq, *sendq_tail;
	char *buf;
};

static void enqueue(md_g_t **h, md_g_t **t, md_g_t *g)
{
	g->next = NULL;
	if (*t)
		(*t)->next = g;
	else
		*h = g;
	*t = g;
}

static md_g_t *dequeue(md_g_t **h, md_g_t **t)
{
	md_g_t *g = *h;
	if (g) {
		*h = g->next;
		if (!*h)
			*t = NULL;
	}
	return g;
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
	if (cap)
		c->buf = md__heap_raw(cap * elem_size);
	return c;
}

static void *slot(md_chan_t *c, size_t i)
{
	return c->buf + i * c->elemsize;
}

static md_g_t *curg(void)
{
	md_m_t *m = md__m;
	if (!m || !m->curg)
		md__fatal("channel operation outside a task");
	return m->curg;
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
	md_g_t *r = dequeue(&c->recvq, &c->recvq_tail);
	if (r) {
		memcpy(r->wait_elem, elem, c->elemsize);
		r->wait_ok = 1;
		if (c->cap == 0) {
			/* Unbuffered: the two tasks sync both ways (racesync). */
			RACE(rw_release_acquire(&r->race_sync));
		} else {
			/* Buffered (the buffer is empty): as Go's send does, pretend
			 * the value went through the slot. The receiver gets what
			 * the sender did (its word, acquired when it wakes), but the
			 * sender gets only what the slot carried, not what the
			 * receiver did before it parked. */
			RACE(rw_release_acquire(slot(c, c->recvx)));
			RACE(rw_release(&r->race_sync));
			c->recvx = (c->recvx + 1) % c->cap;
			c->sendx = c->recvx;
		}
		md__unlock(&c->lock);
		md__ready(r);
		return;
	}
	if (c->count < c->cap) {
		void *s = slot(c, c->sendx);
		RACE(rw_release_acquire(s));
		memcpy(s, elem, c->elemsize);
		c->sendx = (c->sendx + 1) % c->cap;
		c->count++;
		md__unlock(&c->lock);
		return;
	}
	g->wait_elem = (void *)elem;
	g->wait_ok = 0;
	RACE(rw_release(&g->race_sync));
	enqueue(&c->sendq, &c->sendq_tail, g);
	md__park(unlock_chan, c);
	g = curg();
	RACE(rw_acquire(&g->race_sync));
	if (!g->wait_ok) {
		RACE(rw_acquire(c));
		md_panic("send on closed channel");
	}
}

int md_chan_recv(md_chan_t *c, void *elem)
{
	md__check_preempt();
	md_g_t *g = curg();
	md__lock(&c->lock);
	if (c->count > 0) {
		void *s = slot(c, c->recvx);
		RACE(rw_release_acquire(s));
		memcpy(elem, s, c->elemsize);
		md_g_t *snd = dequeue(&c->sendq, &c->sendq_tail);
		if (snd) {
			/* Full buffer with a parked sender: its element goes to
			 * the slot just freed, as Go's recv does (racenotify on
			 * the sender's behalf): the sender gets what the slot
			 * carries now, our release (its word, acquired when it
			 * wakes), and the slot gets what the sender did, for
			 * whoever receives this element later. We do not get
			 * what the sender did: our element came from before it. */
			RACE(rw_release(&snd->race_sync));
			memcpy(s, snd->wait_elem, c->elemsize);
			RACE(md__rwcheck(rw_release_for(snd->rw, s), "rw_release_for"));
			snd->wait_ok = 1;
			c->sendx = (c->sendx + 1) % c->cap;
		} else {
			c->count--;
		}
		c->recvx = (c->recvx + 1) % c->cap;
		md__unlock(&c->lock);
		if (snd)
			md__ready(snd);
		return 1;
	}
	md_g_t *snd = dequeue(&c->sendq, &c->sendq_tail);
	if (snd) {
		memcpy(elem, snd->wait_elem, c->elemsize);
		snd->wait_ok = 1;
		RACE(rw_release_acquire(&snd->race_sync));
		md__unlock(&c->lock);
		md__ready(snd);
		return 1;
	}
	if (c->closed) {
		md__unlock(&c->lock);
		RACE(rw_acquire(c));
		memset(elem, 0, c->elemsize);
		return 0;
	}
	g->wait_elem = elem;
	g->wait_ok = 0;
	RACE(rw_release(&g->race_sync));
	enqueue(&c->recvq, &c->recvq_tail, g);
	md__park(unlock_chan, c);
	g = curg();
	RACE(rw_acquire(&g->race_sync));
	if (!g->wait_ok) {
		RACE(rw_acquire(c)); /* woken by close */
		memset(elem, 0, c->elemsize);
	}
	return g->wait_ok;
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
	md_g_t *wake = NULL, *g;
	while ((g = dequeue(&c->recvq, &c->recvq_tail)) || (g = dequeue(&c->sendq, &c->sendq_tail))) {
		g->wait_ok = 0;
		g->next = wake;
		wake = g;
	}
	md__unlock(&c->lock);
	while (wake) {
		g = wake;
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
