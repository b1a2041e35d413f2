/*
 * Opening connections: a listener's SYN (a SYN-RCVD block, or a SYN cookie
 * when the backlog is full, RFC 4987) and a cookie's returning ACK, the
 * SYN-SENT state of an active open (RFC 9293 3.10.7.3), option negotiation
 * (MSS, window scale and timestamps, RFC 7323), and handing an ESTABLISHED
 * connection to the caller.
 */
#include <errno.h>

#include "dataplane/net/net-int.h"

static void set_peer_options(struct net_sock *s, const struct tcp_seg *seg)
{
	struct net_stack *st = s->st;
	uint16_t mss = seg->has_mss ? seg->mss : 536;

	if (mss < 64)
		mss = 64; /* a tiny MSS is an attack on our CPU, not a path property */
	s->mss = (uint16_t)net__min32(mss, st->mss_local);
	if (s->state == TCP_SYN_SENT) {
		s->ws_ok = seg->has_ws;
		s->ts_ok = seg->has_ts;
	} else {
		s->ws_ok = seg->has_ws;
		s->ts_ok = seg->has_ts;
		s->rcv_wscale = seg->has_ws ? tcp__wscale_for(st->cfg.rcvbuf_bytes) : 0;
	}
	if (s->ws_ok)
		s->snd_wscale = (uint8_t)net__min32(seg->ws, TCP_WSCALE_MAX);
	else
		s->snd_wscale = s->rcv_wscale = 0;
	if (s->ts_ok)
		s->ts_recent = seg->tsval;
}

void tcp__ka_reset(struct net_sock *s)
{
	struct net_stack *st = s->st;

	if (st->cfg.keepalive_idle_ms && (s->state == TCP_ESTABLISHED || s->state == TCP_CLOSE_WAIT)) {
		s->ka_at = st->now_ms + st->cfg.keepalive_idle_ms;
		s->ka_probes = 0;
	}
}

/* A new connection reached ESTABLISHED: hand it to the caller. false: gone. */
bool tcp__establish(struct net_sock *s)
{
	struct net_stack *st = s->st;

	/* RFC 6298 5.7: a SYN or SYN-ACK timed out: data starts at RTO >= 3 s. */
	if (s->retries && s->rto_ms < 3000)
		s->rto_ms = net__min32(3000, st->cfg.rto_max_ms);
	s->retries = 0;
	s->cwnd = tcp__initial_cwnd(tcp__smss(s));
	s->ssthresh = UINT32_MAX;
	s->recover = s->iss; /* RFC 6582 3.2 (1) */
	tcp__set_state(s, TCP_ESTABLISHED);
	tcp__ka_reset(s);
	if (!s->passive) {
		if (st->ops->connected)
			st->ops->connected(st->ctx, s);
		return s->state != TCP_CLOSED;
	}
	s->attached = true;
	if (!st->ops->accept || st->ops->accept(st->ctx, s, s->listen_arg) < 0) {
		s->attached = false;
		st->stats.tcp_resets++;
		tcp__send_ctl(s, TH_RST | TH_ACK, s->snd_max);
		tcp__free(s);
		return false;
	}
	return s->state != TCP_CLOSED;
}

void tcp__syn_sent_input(struct net_sock *s, struct tcp_seg *seg)
{
	struct net_stack *st = s->st;

	if ((seg->flags & TH_ACK) && (seq_le(seg->ack, s->iss) || seq_gt(seg->ack, s->snd_max))) {
		tcp__send_rst_reply(st, seg);
		return;
	}
	if (seg->flags & TH_RST) {
		st->stats.tcp_rst_rx++;
		if (seg->flags & TH_ACK) /* RFC 5961 3.2: the ACK acknowledges our SYN */
			tcp__drop(s, -ECONNREFUSED);
		return;
	}
	if (!(seg->flags & TH_SYN))
		return;
	s->irs = seg->seq;
	s->rcv_nxt = seg->seq + 1;
	s->rcv_adv = s->rcv_nxt;
	set_peer_options(s, seg);
	s->snd_wnd = seg->wnd; /* never scaled in a SYN */
	s->max_snd_wnd = s->snd_wnd;
	s->snd_wl1 = seg->seq;
	if (seg->flags & TH_ACK) {
		s->snd_una = seg->ack;
		s->snd_wl2 = seg->ack;
		if (s->ts_ok && seg->tsecr)
			tcp__rtt_sample(s, tcp__tsval(s) - seg->tsecr);
		else if (!s->retries)
			tcp__rtt_sample(s, (uint32_t)(st->now_ms - (s->rto_at - s->rto_ms)));
		s->rto_at = 0;
		if (!tcp__establish(s))
			return;
		tcp__send_ack(s);
		tcp__output(s);
		return;
	}
	/* Simultaneous open (RFC 9293 3.5, figure 8). */
	tcp__set_state(s, TCP_SYN_RCVD);
	tcp__send_syn(s);
}

void tcp__listen_input(struct net_stack *st, struct net_listener *l, struct tcp_seg *seg)
{
	struct net_sock *s;

	if (seg->flags & TH_RST)
		return;
	if (seg->flags & TH_ACK) {
		int peer_ws, mss = tcp__cookie_check(st, seg, &peer_ws);

		if (mss < 0) {
			if (st->cookie_last_ms)
				st->stats.tcp_cookies_rejected++;
			tcp__send_rst_reply(st, seg);
			return;
		}
		s = tcp__alloc(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
		if (!s)
			return;
		st->stats.tcp_cookies_accepted++;
		st->stats.tcp_passive_opens++;
		s->passive = true;
		s->listen_arg = l->arg;
		s->iss = seg->ack - 1;
		s->snd_una = s->snd_nxt = s->snd_max = s->s_seq = seg->ack;
		s->irs = seg->seq - 1;
		s->rcv_nxt = s->rcv_adv = seg->seq;
		s->mss = (uint16_t)net__min32((uint32_t)mss, st->mss_local);
		s->ws_ok = peer_ws >= 0;
		s->snd_wscale = s->ws_ok ? (uint8_t)peer_ws : 0;
		s->rcv_wscale = s->ws_ok ? tcp__wscale_for(st->cfg.rcvbuf_bytes) : 0;
		s->ts_ok = seg->has_ts;
		s->ts_recent = seg->tsval;
		s->ts_offset = tcp__ts_offset(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
		s->snd_wnd = seg->wnd << s->snd_wscale;
		s->max_snd_wnd = s->snd_wnd;
		s->snd_wl1 = seg->seq;
		s->snd_wl2 = seg->ack;
		s->rcv_adv = s->rcv_nxt + (st->cfg.rcvbuf_bytes < 65535 ? st->cfg.rcvbuf_bytes : 65535);
		if (!tcp__establish(s))
			return;
		tcp__conn_input(s, seg); /* the ACK may carry data */
		return;
	}
	if (!(seg->flags & TH_SYN))
		return;
	if (st->n_syn_rcvd >= st->cfg.syn_backlog) {
		tcp__cookie_synack(st, seg); /* RFC 4987 3.6 */
		return;
	}
	s = tcp__alloc(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
	if (!s) {
		/* The table is full: a cookie keeps no state and still lets the
		 * peer in once a slot frees (RFC 4987 §3.6). */
		tcp__cookie_synack(st, seg);
		return;
	}
	st->stats.tcp_passive_opens++;
	s->passive = true;
	s->listen_arg = l->arg;
	s->irs = seg->seq;
	s->rcv_nxt = s->rcv_adv = seg->seq + 1;
	s->iss = tcp__isn(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
	s->snd_una = s->snd_nxt = s->snd_max = s->iss;
	s->s_seq = s->iss + 1;
	s->ts_offset = tcp__ts_offset(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
	tcp__set_state(s, TCP_SYN_RCVD);
	set_peer_options(s, seg);
	s->snd_wnd = seg->wnd;
	s->max_snd_wnd = s->snd_wnd;
	s->snd_wl1 = seg->seq;
	tcp__send_syn(s);
}
