/*
 * The dpdk backend's connections: struct dp_conn over the stack's sockets,
 * with the uring backend's send queue rule (all or nothing, -EAGAIN past
 * the limit, on_drain at a quarter) and close and pause semantics.
 */
#include <errno.h>
#include <string.h>

#include "dataplane/dpdk/backend-int.h"

static struct dk_conn *kc_of(struct dp_conn *c)
{
	return (struct dk_conn *)c;
}

static void drain_list_add(struct dk_worker *k, struct dk_conn *c)
{
	if (c->flags & DK_ON_DRAIN_LIST)
		return;
	c->flags |= DK_ON_DRAIN_LIST;
	c->drain_next = k->drain;
	k->drain = c;
}

int dk__on_accept(void *ctx, struct net_sock *s, void *listen_arg)
{
	struct dk_worker *k = ctx;
	struct dk_listener *l = listen_arg;
	struct dp_worker *w = k->w;
	const struct net_addr *pa = net_sock_peer(s);
	struct dp_addr peer;
	struct dk_conn *c;
	int err;

	if (!l->open || w->stopping)
		return -ECONNREFUSED;
	memset(&peer, 0, sizeof(peer));
	peer.family = pa->family;
	peer.port = pa->port;
	peer.v6 = pa->v6; /* the whole union: v4 or v6 */
	if (dp__conn_admit(w, &peer) != 0)
		return -ECONNREFUSED;
	c = pool_get_zeroed(&k->conns);
	if (!c) {
		dp__conn_release(w, &peer);
		w->stats.refused_max_conns++;
		return -ECONNREFUSED;
	}
	c->s = s;
	c->dc.w = w;
	c->dc.h = l->h;
	c->dc.peer = peer;
	c->next = k->live;
	if (k->live)
		k->live->prev = c;
	k->live = c;
	net_sock_set_udata(s, c);
	err = l->h->on_open ? l->h->on_open(&c->dc, l->arg) : 0;
	if (err) {
		/* Kept, then reset: on_close(err) follows from the loop, as
		 * dp.h promises, never from inside on_open's caller. */
		c->close_err = err;
		c->flags |= DK_CLOSING;
		net_close(s, true);
	}
	return 0;
}

void dk__on_recv(void *ctx, struct net_sock *s, const uint8_t *data, size_t len)
{
	struct dk_conn *c = net_sock_udata(s);

	(void)ctx;
	if (!c || (c->flags & DK_CLOSING))
		return;
	if (len == 0) {
		/* The peer finished sending: flush our answers, then close
		 * (the stack hands the FIN over only after every byte, and
		 * not while paused). */
		c->flags |= DK_CLOSING;
		net_close(s, false);
		return;
	}
	c->dc.w->stats.bytes_in += len;
	c->dc.h->on_data(&c->dc, data, len);
}

void dk__on_drain(void *ctx, struct net_sock *s)
{
	struct dk_conn *c = net_sock_udata(s);

	if (c && (c->flags & DK_WANT_DRAIN))
		drain_list_add(ctx, c);
}

void dk__on_closed(void *ctx, struct net_sock *s, int err)
{
	struct dk_worker *k = ctx;
	struct dk_conn *c = net_sock_udata(s);

	if (!c)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		k->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->flags & DK_ON_DRAIN_LIST) {
		struct dk_conn **pp = &k->drain;

		while (*pp != c)
			pp = &(*pp)->drain_next;
		*pp = c->drain_next;
	}
	dp__conn_release(k->w, &c->dc.peer);
	if (c->dc.h->on_close)
		c->dc.h->on_close(&c->dc, err ? err : c->close_err);
	pool_put(&k->conns, c);
}

void dk__close(struct dp_conn *dc, bool abort_conn)
{
	struct dk_conn *c = kc_of(dc);

	if ((c->flags & DK_CLOSING) && !abort_conn)
		return;
	c->flags |= DK_CLOSING;
	if (!abort_conn && net_sock_unsent(c->s) > 0) {
		/* As with uring, the connection lasts until its queue is out
		 * (here: acknowledged), so the caller's close deadline can
		 * still reset a peer that never reads. Closed now, the stack
		 * would keep the orphan against a zero window for ever. */
		c->flags |= DK_FIN_PENDING;
		drain_list_add(dk_of(dc->w), c);
		return;
	}
	c->flags &= ~DK_FIN_PENDING;
	net_close(c->s, abort_conn);
}

void dk__abort_all(struct dp_worker *w)
{
	struct dk_worker *k = dk_of(w);

	for (struct dk_conn *c = k->live; c; c = c->next)
		dk__close(&c->dc, true);
}

int dk__send(struct dp_conn *dc, const void *data, size_t len)
{
	struct dk_conn *c = kc_of(dc);
	struct dk_worker *k = dk_of(dc->w);
	size_t unsent;
	int err;

	if (c->flags & DK_CLOSING)
		return -EPIPE;
	if (len == 0)
		return 0;
	/* The uring rule: a queue holding bytes takes no more past the limit. */
	unsent = net_sock_unsent(c->s);
	if (unsent > 0 && unsent + len > k->limit)
		err = -EAGAIN;
	else
		err = net_send(c->s, data, len);
	if (err == -EAGAIN) {
		/* run_drains() calls on_drain once the queue is down to a
		 * quarter of the limit (the stack's own drain event counts a
		 * quarter of its larger buffer). */
		c->flags |= DK_WANT_DRAIN;
		drain_list_add(k, c);
		return -EAGAIN;
	}
	if (err == -ENOTCONN)
		return -EPIPE;
	if (err == 0)
		dc->w->stats.bytes_out += len;
	return err;
}

size_t dk__unsent(const struct dp_conn *dc)
{
	return net_sock_unsent(((const struct dk_conn *)dc)->s);
}

void dk__pause_recv(struct dp_conn *dc, bool pause)
{
	struct dk_conn *c = kc_of(dc);

	if (c->flags & DK_CLOSING)
		return;
	if (pause) {
		/* Whoever pauses reading waits for its answers to drain. */
		c->flags |= DK_WANT_DRAIN | DK_PAUSED;
		drain_list_add(dk_of(dc->w), c);
	} else {
		c->flags &= ~DK_PAUSED;
	}
	/* The stack hands kept bytes over from its next net_poll(). */
	net_pause_recv(c->s, pause);
}

/* The others stay on the list. */
void dk__run_drains(struct dk_worker *k)
{
	struct dk_conn **pp = &k->drain, *c;

	while ((c = *pp) != NULL) {
		if (c->flags & DK_FIN_PENDING) {
			if (net_sock_unsent(c->s) > 0) {
				pp = &c->drain_next;
				continue;
			}
			*pp = c->drain_next;
			c->flags &= ~(DK_ON_DRAIN_LIST | DK_FIN_PENDING);
			net_close(c->s, false);
			continue;
		}
		if (!(c->flags & DK_WANT_DRAIN) || (c->flags & DK_CLOSING)) {
			*pp = c->drain_next;
			c->flags &= ~DK_ON_DRAIN_LIST;
			continue;
		}
		if (net_sock_unsent(c->s) > k->limit / 4) {
			pp = &c->drain_next;
			continue;
		}
		*pp = c->drain_next;
		c->flags &= ~(DK_ON_DRAIN_LIST | DK_WANT_DRAIN);
		if (c->dc.h->on_drain)
			c->dc.h->on_drain(&c->dc);
		/* The handler may have added to the list (or closed); start
		 * over from the head: the list is short. */
		pp = &k->drain;
	}
}

