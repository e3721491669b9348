/*
 * model/cond.c - md_cond, Go's sync.Cond: Wait takes a ticket, unlocks L,
 * sleeps until its ticket is notified, and locks L again (Go's
 * notifyList, which makes a Signal between the unlock and the sleep not
 * lost). cond.go and the notify list have no race annotations: a waiter
 * happens-after the signaller only through L, and that is what Go's race
 * tests expect.
 */
#include "internal.h"

struct cwaiter {
	md_g_t *g;
	uint32_t ticket;
	struct cwaiter *next;
};

static void unlock_cond(void *l)
{
	md__unlock(l);
}

void md_cond_wait(md_cond_t *c)
{
	md__lock(&c->lock);
	uint32_t t = c->wait++;
	md__unlock(&c->lock);
	md_mutex_unlock(c->L);
	md__lock(&c->lock);
	if ((int32_t)(t - c->notify) < 0) {
		md__unlock(&c->lock); /* already notified */
	} else {
		struct cwaiter w = {md__m->curg, t, NULL};
		struct cwaiter **pp = (struct cwaiter **)&c->waiters;
		while (*pp)
			pp = &(*pp)->next;
		*pp = &w;
		md__park(unlock_cond, &c->lock);
	}
	md_mutex_lock(c->L);
}

void md_cond_signal(md_cond_t *c)
{
	md__lock(&c->lock);
	if (c->wait == c->notify) {
		md__unlock(&c->lock);
		return;
	}
	uint32_t t = c->notify++;
	md_g_t *g = NULL;
	for (struct cwaiter **pp = (struct cwaiter **)&c->waiters; *pp; pp = &(*pp)->next)
		if ((*pp)->ticket == t) {
			g = (*pp)->g;
			*pp = (*pp)->next;
			break;
		}
	md__unlock(&c->lock);
	if (g)
		md__ready(g);
}

void md_cond_broadcast(md_cond_t *c)
{
	md__lock(&c->lock);
	c->notify = c->wait;
	md_g_t *wake = NULL;
	for (struct cwaiter *w = c->waiters; w; w = w->next) {
		w->g->next = wake;
		wake = w->g;
	}
	c->waiters = NULL;
	md__unlock(&c->lock);
	while (wake) {
		md_g_t *g = wake;
		wake = g->next;
		md__ready(g);
	}
}
