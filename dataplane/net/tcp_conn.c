/*
 * TCP connections as objects: the per-stack connection table (a keyed hash
 * of the 4-tuple, chained), the pool of control blocks with TIME_WAIT
 * reclaim, listeners, deferred socket work, and the socket-level API.
 */
#include <errno.h>
#include <sys/socket.h>

#include "dataplane/net/net-int.h"

static void addr_set(struct net_addr *a, uint32_t ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->port = port;
	a->v4.s_addr = htonl(ip);
}

struct net_sock *tcp__lookup(struct net_stack *st, uint32_t laddr, uint16_t lport,
			     uint32_t raddr, uint16_t rport)
{
	struct net_sock *s = st->hash[tcp__hash(st, laddr, lport, raddr, rport) & st->hash_mask];

	for (; s; s = s->hnext)
		if (s->local.port == lport && s->remote.port == rport &&
		    s->remote.v4.s_addr == htonl(raddr) && s->local.v4.s_addr == htonl(laddr))
			return s;
	return NULL;
}

static struct net_sock **bucket_of(struct net_sock *s)
{
	struct net_stack *st = s->st;

	return &st->hash[tcp__hash(st, ntohl(s->local.v4.s_addr), s->local.port,
				   ntohl(s->remote.v4.s_addr), s->remote.port) & st->hash_mask];
}

static void unhash(struct net_sock *s)
{
	struct net_sock **pp;

	if (!s->in_hash)
		return;
	for (pp = bucket_of(s); *pp != s; pp = &(*pp)->hnext)
		BUG_ON(!*pp);
	*pp = s->hnext;
	s->hnext = NULL;
	s->in_hash = false;
}

static void tw_unlink(struct net_sock *s)
{
	struct net_stack *st = s->st;
	struct net_sock **pp, *prev = NULL;

	if (!s->on_tw)
		return;
	for (pp = &st->tw_head; *pp != s; pp = &(*pp)->tw_next)
		prev = *pp;
	*pp = s->tw_next;
	if (st->tw_tail == s)
		st->tw_tail = prev;
	s->tw_next = NULL;
	s->on_tw = false;
}

/* Give the block back to the pool now. */
static void release(struct net_sock *s)
{
	struct net_stack *st = s->st;

	BUG_ON(s->on_work || s->attached);
	dp_timer_cancel(&st->wheel, &s->timer);
	unhash(s);
	tw_unlink(s);
	if (s->state == TCP_SYN_RCVD && s->passive)
		st->n_syn_rcvd--;
	s->state = TCP_CLOSED;
	s->hnext = st->free_socks;
	st->free_socks = s;
	st->n_used--;
}

struct net_sock *tcp__alloc(struct net_stack *st, uint32_t laddr, uint16_t lport,
			    uint32_t raddr, uint16_t rport)
{
	struct net_sock *s = st->free_socks, **b;
	uint8_t *sbuf, *rbuf;

	if (!s) {
		struct net_sock *tw = st->tw_head;

		/* Reuse the oldest TIME_WAIT block: its 2 MSL are a courtesy we
		 * cannot afford when the table is full (as Linux's tw recycling).
		 * One whose closed event is still queued is not ours to take. */
		while (tw && (tw->on_work || tw->attached))
			tw = tw->tw_next;
		if (tw) {
			release(tw);
			s = st->free_socks;
		}
	}
	if (!s) {
		st->stats.tcp_drop_no_memory++;
		return NULL;
	}
	st->free_socks = s->hnext;
	st->n_used++;
	sbuf = s->sbuf;
	rbuf = s->rbuf;
	memset(s, 0, sizeof(*s));
	s->st = st;
	s->sbuf = sbuf;
	s->rbuf = rbuf;
	dp_timer_init(&s->timer, tcp__timer_fire, s);
	addr_set(&s->local, laddr, lport);
	addr_set(&s->remote, raddr, rport);
	s->rto_ms = st->cfg.rto_init_ms;
	s->mss = 536; /* RFC 9293 3.7.1 default until the peer says otherwise */
	b = bucket_of(s);
	s->hnext = *b;
	*b = s;
	s->in_hash = true;
	return s;
}

void tcp__free(struct net_sock *s)
{
	if (s->on_work || s->attached) {
		/* The caller still has to hear about it: run_work releases it. */
		dp_timer_cancel(&s->st->wheel, &s->timer);
		unhash(s);
		tw_unlink(s);
		if (s->state == TCP_SYN_RCVD && s->passive)
			s->st->n_syn_rcvd--;
		s->state = TCP_CLOSED;
		return;
	}
	release(s);
}

void tcp__set_state(struct net_sock *s, enum tcp_state state)
{
	if (s->state == TCP_SYN_RCVD && s->passive)
		s->st->n_syn_rcvd--;
	if (state == TCP_SYN_RCVD && s->passive)
		s->st->n_syn_rcvd++;
	if (state == TCP_ESTABLISHED)
		s->st->stats.tcp_established++;
	s->state = (uint8_t)state;
}

void tcp__enter_time_wait(struct net_sock *s)
{
	struct net_stack *st = s->st;

	tcp__set_state(s, TCP_TIME_WAIT);
	s->rto_at = s->dack_at = s->persist_at = s->ka_at = 0;
	s->tw_at = st->now_ms + st->cfg.time_wait_ms;
	if (!s->on_tw) {
		s->on_tw = true;
		s->tw_next = NULL;
		if (st->tw_tail)
			st->tw_tail->tw_next = s;
		else
			st->tw_head = s;
		st->tw_tail = s;
	}
	tcp__timer_update(s);
}

void tcp__drop(struct net_sock *s, int err)
{
	struct net_stack *st = s->st;

	if (s->attached && !s->closed_queued) {
		s->attached = false;
		if (st->ops->closed)
			st->ops->closed(st->ctx, s, err);
	}
	tcp__free(s);
}

void tcp__queue_work(struct net_sock *s)
{
	struct net_stack *st = s->st;

	if (s->on_work)
		return;
	s->on_work = true;
	s->work_next = NULL;
	if (st->work_tail)
		st->work_tail->work_next = s;
	else
		st->work_head = s;
	st->work_tail = s;
}

void tcp__maybe_drain(struct net_sock *s)
{
	struct net_stack *st = s->st;

	if (s->attached && s->want_drain && !s->closed_queued &&
	    s->s_len <= st->cfg.sndbuf_bytes / 4) {
		s->want_drain = false;
		if (st->ops->drain)
			st->ops->drain(st->ctx, s);
	}
}

void tcp__deliver(struct net_sock *s)
{
	struct net_stack *st = s->st;
	uint32_t size = st->cfg.rcvbuf_bytes, edge;

	while (s->attached && !s->paused && !s->closed_queued && s->r_len) {
		uint32_t head = s->r_head, piece = net__min32(s->r_len, size - head);

		s->r_head = (head + piece) % size;
		s->r_len -= piece;
		st->ops->recv(st->ctx, s, s->rbuf + head, piece);
	}
	if (s->attached && !s->paused && !s->closed_queued && s->eof_seen && !s->r_len &&
	    !s->eof_delivered) {
		s->eof_delivered = true;
		st->ops->recv(st->ctx, s, NULL, 0);
	}
	if (s->state < TCP_ESTABLISHED || s->state == TCP_TIME_WAIT)
		return;
	/* Window update once the right edge can move by enough (RFC 9293 3.8.6.2.2). */
	edge = s->rcv_nxt + (size - s->r_len);
	if (seq_gt(edge, s->rcv_adv) &&
	    edge - s->rcv_adv >= net__min32(size / 2, 2 * st->mss_local))
		tcp__send_ack(s);
}

void tcp__run_work(struct net_stack *st)
{
	struct net_sock *s;

	while ((s = st->work_head) != NULL) {
		st->work_head = s->work_next;
		if (!st->work_head)
			st->work_tail = NULL;
		s->on_work = false;
		if (s->attached && s->closed_queued) {
			s->attached = false;
			if (st->ops->closed)
				st->ops->closed(st->ctx, s, s->close_err);
			if (s->state == TCP_FIN_WAIT_2)
				tcp__timer_update(s);
		} else if (s->attached) {
			tcp__deliver(s);
			tcp__maybe_drain(s);
		}
		if (s->state == TCP_CLOSED && !s->attached && !s->on_work)
			release(s);
	}
}

/* --- listeners --- */

struct net_listener *tcp__listener(struct net_stack *st, uint16_t port)
{
	for (uint32_t i = 0; i < st->cfg.max_listeners; i++)
		if (st->listeners[i].port == port)
			return &st->listeners[i];
	return NULL;
}

int net_listen(struct net_stack *st, const struct net_addr *local, void *arg)
{
	struct net_listener *l;

	if ((local->family != AF_UNSPEC && local->family != AF_INET) ||
	    (local->family == AF_INET && local->v4.s_addr != 0 &&
	     local->v4.s_addr != st->cfg.ip.s_addr))
		return -EAFNOSUPPORT;
	if (local->port == 0)
		return -EINVAL;
	if (tcp__listener(st, local->port))
		return -EADDRINUSE;
	l = tcp__listener(st, 0);
	if (!l)
		return -ENOSPC;
	l->port = local->port;
	l->arg = arg;
	return 0;
}

int net_unlisten(struct net_stack *st, uint16_t port)
{
	struct net_listener *l = port ? tcp__listener(st, port) : NULL;

	if (!l)
		return -ENOENT;
	l->port = 0;
	l->arg = NULL;
	return 0;
}

/* --- the socket API --- */

int net_connect(struct net_stack *st, const struct net_addr *remote, void *udata,
		uint64_t now_us, struct net_sock **out)
{
	uint32_t me = ntohl(st->cfg.ip.s_addr), raddr;
	struct net_sock *s = NULL;

	if (remote->family != AF_INET)
		return -EAFNOSUPPORT;
	st->now_us = now_us;
	st->now_ms = now_us / 1000;
	raddr = ntohl(remote->v4.s_addr);
	for (uint32_t tries = 0; tries < 16384; tries++) {
		uint16_t port = st->next_port;

		st->next_port = port == 65535 ? 49152 : (uint16_t)(port + 1);
		if (tcp__listener(st, port) || tcp__lookup(st, me, port, raddr, remote->port))
			continue;
		s = tcp__alloc(st, me, port, raddr, remote->port);
		if (!s)
			return -ENOMEM;
		break;
	}
	if (!s)
		return -EADDRNOTAVAIL;
	s->attached = true;
	s->udata = udata;
	s->iss = tcp__isn(st, me, s->local.port, raddr, remote->port);
	s->snd_una = s->snd_nxt = s->snd_max = s->iss;
	s->s_seq = s->iss + 1;
	s->rcv_wscale = tcp__wscale_for(st->cfg.rcvbuf_bytes);
	s->ts_offset = tcp__ts_offset(st, me, s->local.port, raddr, remote->port);
	s->cwnd = st->mss_local;
	s->ssthresh = UINT32_MAX;
	tcp__set_state(s, TCP_SYN_SENT);
	st->stats.tcp_active_opens++;
	tcp__send_syn(s);
	*out = s;
	return 0;
}

int net_send(struct net_sock *s, const void *data, size_t len)
{
	uint32_t size = s->st->cfg.sndbuf_bytes, tail, first;

	if (!s->attached || s->closed_queued || s->fin_queued)
		return -EPIPE;
	if (s->state == TCP_SYN_SENT || s->state == TCP_SYN_RCVD)
		return -ENOTCONN;
	if (s->state != TCP_ESTABLISHED && s->state != TCP_CLOSE_WAIT)
		return -EPIPE;
	if (len > size)
		return -EMSGSIZE;
	if (len > size - s->s_len) {
		s->want_drain = true;
		return -EAGAIN;
	}
	tail = (s->s_head + s->s_len) % size;
	first = net__min32((uint32_t)len, size - tail);
	memcpy(s->sbuf + tail, data, first);
	memcpy(s->sbuf, (const uint8_t *)data + first, len - first);
	s->s_len += (uint32_t)len;
	tcp__output(s);
	return 0;
}

void net_close(struct net_sock *s, bool abort)
{
	if (!s->attached)
		return;
	if (abort) {
		if (s->state >= TCP_SYN_RCVD && s->state != TCP_TIME_WAIT) {
			s->st->stats.tcp_resets++;
			tcp__send_ctl(s, TH_RST | TH_ACK, s->snd_max);
		}
		s->close_err = s->closed_queued ? s->close_err : 0;
		s->closed_queued = true;
		tcp__queue_work(s);
		tcp__free(s); /* CLOSED now; released after the closed event */
		return;
	}
	if (s->closed_queued)
		return;
	s->closed_queued = true;
	s->close_err = 0;
	tcp__queue_work(s);
	switch (s->state) {
	case TCP_ESTABLISHED:
		s->fin_queued = true;
		tcp__set_state(s, TCP_FIN_WAIT_1);
		tcp__output(s);
		break;
	case TCP_CLOSE_WAIT:
		s->fin_queued = true;
		tcp__set_state(s, TCP_LAST_ACK);
		tcp__output(s);
		break;
	case TCP_SYN_SENT:
		tcp__free(s);
		break;
	default:
		break;
	}
}

void net_pause_recv(struct net_sock *s, bool pause)
{
	if (!s->attached)
		return;
	s->paused = pause;
	if (pause)
		s->want_drain = true;
	tcp__queue_work(s);
}

void net_sock_set_udata(struct net_sock *s, void *udata) { s->udata = udata; }
void *net_sock_udata(const struct net_sock *s) { return s->udata; }
const struct net_addr *net_sock_peer(const struct net_sock *s) { return &s->remote; }
const struct net_addr *net_sock_local(const struct net_sock *s) { return &s->local; }
struct net_stack *net_sock_stack(const struct net_sock *s) { return s->st; }
size_t net_sock_unsent(const struct net_sock *s) { return s->s_len; }
