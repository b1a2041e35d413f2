/*
 * TCP input (RFC 9293 3.10.7): parsing and dispatch to a connection or a
 * listener (tcp_open.c), then for synchronized states the checks in the
 * RFC's order — PAWS (RFC 7323 5), sequence acceptability, RST (RFC 5961
 * 3), SYN (RFC 5961 4), ACK (RFC 5961 5) — and the ACK itself: RTT
 * (RFC 6298), congestion control (RFC 5681) with NewReno (RFC 6582), the
 * send window; data and FIN go to tcp_rcv.c.
 */
#include <errno.h>

#include "dataplane/net/net-int.h"

static void parse_options(struct tcp_seg *seg, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t kind = p[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			break;
		len = p[i + 1];
		if (len < 2 || i + len > n)
			break; /* malformed: ignore the rest (RFC 9293 3.1 robustness) */
		if (kind == 2 && len == 4) {
			seg->has_mss = true;
			seg->mss = rd16(p + i + 2);
		} else if (kind == 3 && len == 3) {
			seg->has_ws = true;
			seg->ws = p[i + 2];
		} else if (kind == 8 && len == 10) {
			seg->has_ts = true;
			seg->tsval = rd32(p + i + 2);
			seg->tsecr = rd32(p + i + 6);
		}
		i += len;
	}
}

void tcp__rtt_sample(struct net_sock *s, uint32_t r)
{
	const struct net_config *c = &s->st->cfg;
	int32_t err;
	uint32_t rto;

	if (r > 600000)
		return; /* a clock jump or a bogus echo, not a round trip */
	if (!s->srtt8 && !s->rttvar4) {
		/* RFC 6298 2.2 */
		s->srtt8 = r * 8;
		s->rttvar4 = r * 2;
	} else {
		/* RFC 6298 2.3, alpha 1/8, beta 1/4, in fixed point */
		err = (int32_t)r - (int32_t)(s->srtt8 >> 3);
		s->srtt8 = (uint32_t)((int32_t)s->srtt8 + err);
		if (err < 0)
			err = -err;
		err -= (int32_t)(s->rttvar4 >> 2);
		s->rttvar4 = (uint32_t)((int32_t)s->rttvar4 + err);
	}
	rto = (s->srtt8 >> 3) + net__max32(1, s->rttvar4);
	s->rto_ms = rto < c->rto_min_ms ? c->rto_min_ms : rto > c->rto_max_ms ? c->rto_max_ms : rto;
}

/* Retransmit the first unacknowledged segment (fast retransmit, partial ACK). */
static void retransmit_first(struct net_sock *s)
{
	uint32_t sent_data = s->snd_max - s->s_seq, len;
	uint32_t fin_seq = s->s_seq + s->s_len;
	bool fin;

	if (sent_data > s->s_len)
		sent_data = s->s_len;
	len = net__min32(net__min32(tcp__smss(s), sent_data), s->snd_max - s->snd_una);
	fin = s->fin_queued && len == s->s_len && seq_gt(s->snd_max, fin_seq);
	s->st->stats.tcp_retransmits++;
	s->rtt_active = false; /* Karn */
	tcp__send_segment(s, s->snd_una, len, TH_ACK | (fin ? TH_FIN : 0));
}

/* Process SEG.ACK (acceptable per RFC 5961 5.2). */
static void ack_input(struct net_sock *s, const struct tcp_seg *seg)
{
	struct net_stack *st = s->st;
	uint32_t ack = seg->ack, smss = tcp__smss(s);
	uint32_t wnd = seg->wnd << (s->ws_ok ? s->snd_wscale : 0);

	if (seq_gt(ack, s->snd_una)) {
		uint32_t acked = ack - s->snd_una, flight;

		if (seq_gt(ack, s->s_seq)) {
			uint32_t d = net__min32(ack - s->s_seq, s->s_len);

			s->s_head = (s->s_head + d) % st->cfg.sndbuf_bytes;
			s->s_len -= d;
			s->s_seq += d;
		}
		s->snd_una = ack;
		if (seq_lt(s->snd_nxt, ack))
			s->snd_nxt = ack;
		s->retries = 0;
		if (s->ts_ok && seg->has_ts && seg->tsecr)
			tcp__rtt_sample(s, tcp__tsval(s) - seg->tsecr);
		else if (s->rtt_active && seq_gt(ack, s->rtt_seq)) {
			tcp__rtt_sample(s, (uint32_t)(st->now_ms - s->rtt_start_ms));
			s->rtt_active = false;
		}
		flight = s->snd_max - s->snd_una;
		if (s->in_recovery) {
			if (seq_ge(ack, s->recover)) {
				/* RFC 6582 3.2 (3): full ACK, deflate. */
				s->cwnd = net__min32(s->ssthresh, net__max32(flight, smss) + smss);
				s->in_recovery = false;
				s->dupacks = 0;
			} else {
				/* RFC 6582 3.2 (5): partial ACK. */
				st->stats.tcp_partial_acks++;
				retransmit_first(s);
				s->cwnd = s->cwnd > acked ? s->cwnd - acked : 0;
				if (acked >= smss)
					s->cwnd += smss;
				if (s->cwnd < smss)
					s->cwnd = smss;
			}
		} else {
			s->dupacks = 0;
			if (s->cwnd < s->ssthresh)
				s->cwnd += net__min32(acked, smss); /* slow start */
			else
				s->cwnd += net__max32(1, smss * smss / s->cwnd);
		}
		tcp__rto_restart(s); /* RFC 6298 5.2, 5.3 */
	} else if (ack == s->snd_una && s->snd_una != s->snd_max && seg->len == 0 &&
		   !(seg->flags & (TH_SYN | TH_FIN)) && wnd == s->snd_wnd && !s->persist) {
		/* A duplicate ACK (RFC 5681 2). */
		st->stats.tcp_dup_acks++;
		s->dupacks++;
		if (s->dupacks == 3 && !s->in_recovery && seq_gt(ack, s->recover)) {
			uint32_t flight = s->snd_max - s->snd_una;

			/* RFC 6582 3.2 (2): fast retransmit, enter recovery. */
			st->stats.tcp_fast_retransmits++;
			s->recover = s->snd_max;
			s->ssthresh = net__max32(flight / 2, 2 * smss);
			retransmit_first(s);
			s->cwnd = s->ssthresh + 3 * smss;
			s->in_recovery = true;
		} else if (s->in_recovery) {
			s->cwnd += smss; /* RFC 6582 3.2 (4): inflate */
		}
	}
	/* Window update (RFC 9293 3.10.7.4, SND.WL1/SND.WL2). */
	if (seq_lt(s->snd_wl1, seg->seq) || (s->snd_wl1 == seg->seq && seq_le(s->snd_wl2, ack))) {
		s->snd_wnd = wnd;
		s->snd_wl1 = seg->seq;
		s->snd_wl2 = ack;
		if (wnd > s->max_snd_wnd)
			s->max_snd_wnd = wnd;
		if (s->persist && wnd > 0) {
			s->persist = false;
			s->persist_at = 0;
			s->retries = 0;
			s->snd_nxt = s->snd_una; /* the probe byte may have been dropped */
		}
	}
}

static bool seg_acceptable(const struct net_sock *s, const struct tcp_seg *seg, uint32_t seglen)
{
	uint32_t wnd = seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;

	/* RFC 9293 3.10.7.4, the four cases */
	if (seglen == 0 && wnd == 0)
		return seg->seq == s->rcv_nxt;
	if (seglen == 0)
		return seq_le(s->rcv_nxt, seg->seq) && seq_lt(seg->seq, s->rcv_nxt + wnd);
	if (wnd == 0)
		return false;
	return (seq_le(s->rcv_nxt, seg->seq) && seq_lt(seg->seq, s->rcv_nxt + wnd)) ||
	       (seq_le(s->rcv_nxt, seg->seq + seglen - 1) &&
		seq_lt(seg->seq + seglen - 1, s->rcv_nxt + wnd));
}

/* Cut the segment down to the receive window. */
static void seg_trim(const struct net_sock *s, struct tcp_seg *seg)
{
	uint32_t wnd = seq_gt(s->rcv_adv, s->rcv_nxt) ? s->rcv_adv - s->rcv_nxt : 0;

	if (seq_lt(seg->seq, s->rcv_nxt)) {
		uint32_t d = s->rcv_nxt - seg->seq;

		if (seg->flags & TH_SYN) {
			seg->flags &= (uint8_t)~TH_SYN;
			d--;
			seg->seq++;
		}
		if (d >= seg->len) {
			if (d > seg->len)
				seg->flags &= (uint8_t)~TH_FIN; /* an old FIN */
			seg->data += seg->len;
			seg->len = 0;
		} else {
			seg->data += d;
			seg->len -= d;
		}
		seg->seq = s->rcv_nxt;
	}
	if (seq_gt(seg->seq + seg->len, s->rcv_nxt + wnd)) {
		seg->len = s->rcv_nxt + wnd - seg->seq;
		seg->flags &= (uint8_t)~TH_FIN;
	}
}

void tcp__conn_input(struct net_sock *s, struct tcp_seg *seg)
{
	struct net_stack *st = s->st;
	uint32_t seglen = seg->len + !!(seg->flags & TH_SYN) + !!(seg->flags & TH_FIN);
	uint32_t orig_seq = seg->seq;

	if (s->state == TCP_SYN_SENT) {
		tcp__syn_sent_input(s, seg);
		return;
	}
	if (s->state == TCP_TIME_WAIT && (seg->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
	    seq_gt(seg->seq, s->rcv_nxt)) {
		/* A new incarnation with a higher sequence (RFC 9293 3.10.7.4 note,
		 * as BSD and Linux): end TIME_WAIT and treat it as a fresh SYN. */
		struct net_listener *l = tcp__listener(st, seg->dport);

		tcp__free(s);
		if (l)
			tcp__listen_input(st, l, seg);
		return;
	}
	if (s->state == TCP_TIME_WAIT && (seg->flags & TH_FIN) && !(seg->flags & TH_RST) &&
	    seg->seq + seg->len + 1 == s->rcv_nxt) {
		/* The peer's FIN again: our last ACK was lost. ACK it and
		 * restart 2 MSL (RFC 9293 3.10.7.4, TIME-WAIT). */
		tcp__send_ack(s);
		tcp__enter_time_wait(s);
		return;
	}
	/* PAWS (RFC 7323 5.3) */
	if (s->ts_ok && seg->has_ts && !(seg->flags & TH_RST) && seq_lt(seg->tsval, s->ts_recent)) {
		st->stats.tcp_drop_paws++;
		tcp__send_ack(s);
		return;
	}
	if (!seg_acceptable(s, seg, seglen)) {
		if (s->state == TCP_SYN_RCVD && (seg->flags & TH_SYN) && seg->seq == s->irs) {
			tcp__send_syn(s); /* our SYN-ACK was lost */
			return;
		}
		st->stats.tcp_drop_out_of_window++;
		if (seg->flags & TH_RST)
			return;
		tcp__send_ack(s);
		/* RFC 9293 3.10.7.4: with a zero receive window, still take the
		 * ACK of a segment at RCV.NXT (its data and FIN are dropped). */
		if (!(seq_le(s->rcv_adv, s->rcv_nxt) && seg->seq == s->rcv_nxt &&
		      (seg->flags & (TH_ACK | TH_SYN)) == TH_ACK))
			return;
		seg->len = 0;
		seg->flags &= (uint8_t)~TH_FIN;
	}
	if (seg->flags & TH_RST) {
		st->stats.tcp_rst_rx++;
		if (seg->seq != s->rcv_nxt) {
			tcp__send_challenge_ack(s); /* RFC 5961 3.2 */
			return;
		}
		if (s->state == TCP_SYN_RCVD && s->passive)
			tcp__free(s); /* back to LISTEN: nobody knew about it */
		else
			tcp__drop(s, s->state == TCP_SYN_RCVD ? -ECONNREFUSED : -ECONNRESET);
		return;
	}
	if (seg->flags & TH_SYN) {
		tcp__send_challenge_ack(s); /* RFC 5961 4.2 */
		return;
	}
	if (!(seg->flags & TH_ACK))
		return;
	if (seq_gt(seg->ack, s->snd_max) || seq_lt(seg->ack, s->snd_una - s->max_snd_wnd)) {
		st->stats.tcp_drop_bad_ack++;
		if (s->state == TCP_SYN_RCVD)
			tcp__send_rst_reply(st, seg);
		else
			tcp__send_challenge_ack(s); /* RFC 5961 5.2 */
		return;
	}
	/* RFC 7323 4.3: TS.Recent from the segment that was at the left edge. */
	if (s->ts_ok && seg->has_ts && seq_le(orig_seq, s->last_ack_sent))
		s->ts_recent = seg->tsval;
	tcp__ka_reset(s);
	if (s->state == TCP_SYN_RCVD) {
		if (!seq_gt(seg->ack, s->snd_una)) {
			tcp__send_rst_reply(st, seg);
			return;
		}
		s->snd_wnd = seg->wnd << (s->ws_ok ? s->snd_wscale : 0);
		s->max_snd_wnd = s->snd_wnd;
		s->snd_wl1 = seg->seq;
		s->snd_wl2 = seg->ack;
		s->snd_una = seg->ack;
		if (s->ts_ok && seg->has_ts && seg->tsecr)
			tcp__rtt_sample(s, tcp__tsval(s) - seg->tsecr);
		s->rto_at = 0;
		if (!tcp__establish(s))
			return;
	}
	ack_input(s, seg);
	switch (s->state) {
	case TCP_FIN_WAIT_1:
		if (s->fin_queued && seq_gt(s->snd_una, s->s_seq + s->s_len)) {
			tcp__set_state(s, TCP_FIN_WAIT_2);
			s->rto_at = 0;
		}
		break;
	case TCP_CLOSING:
		if (seq_gt(s->snd_una, s->s_seq + s->s_len)) {
			tcp__enter_time_wait(s);
			return;
		}
		break;
	case TCP_LAST_ACK:
		if (seq_gt(s->snd_una, s->s_seq + s->s_len)) {
			tcp__free(s);
			return;
		}
		break;
	case TCP_TIME_WAIT:
		if (seg->flags & TH_FIN) {
			tcp__send_ack(s);
			tcp__enter_time_wait(s); /* restart 2 MSL */
		}
		return;
	default:
		break;
	}
	/* Window bookkeeping above used SEG.SEQ and SEG.LEN as sent; the
	 * data and FIN below only what lies in the window. */
	seg_trim(s, seg);
	if (seg->len && (s->state == TCP_ESTABLISHED || s->state == TCP_FIN_WAIT_1 ||
			 s->state == TCP_FIN_WAIT_2)) {
		if (!tcp__data_input(s, seg))
			return;
	}
	if ((seg->flags & TH_FIN) && seg->seq + seg->len == s->rcv_nxt && !s->eof_seen) {
		if (!tcp__fin_input(s))
			return;
	}
	if (s->state == TCP_TIME_WAIT || s->state == TCP_CLOSED)
		return;
	tcp__maybe_drain(s);
	if (s->state == TCP_CLOSED)
		return;
	tcp__output(s);
}

int tcp__input(struct net_stack *st, const uint8_t *ip, const uint8_t *th, uint32_t len)
{
	struct tcp_seg seg;
	struct net_listener *l;
	struct net_sock *s;
	uint32_t doff;

	if (len < TCP_HLEN || (doff = (uint32_t)(th[12] >> 4) * 4) < TCP_HLEN || doff > len) {
		st->stats.tcp_drop_header++;
		return NET_E_TCP;
	}
	memset(&seg, 0, sizeof(seg));
	seg.saddr = rd32(ip + 12);
	seg.daddr = rd32(ip + 16);
	if (!(st->cfg.offload & NET_OFFLOAD_RX_CSUM) &&
	    net__csum_fold(net__csum_add(net__pseudo_sum(seg.saddr, seg.daddr, IPPROTO_TCP_, len),
					 th, len)) != 0) {
		st->stats.tcp_drop_csum++;
		return NET_E_TCP;
	}
	seg.sport = rd16(th);
	seg.dport = rd16(th + 2);
	seg.seq = rd32(th + 4);
	seg.ack = rd32(th + 8);
	seg.flags = th[13] & 0x3f;
	seg.wnd = rd16(th + 14);
	seg.data = th + doff;
	seg.len = len - doff;
	parse_options(&seg, th + TCP_HLEN, doff - TCP_HLEN);
	if (seg.sport == 0 || seg.dport == 0 ||
	    (seg.flags & (TH_SYN | TH_RST)) == (TH_SYN | TH_RST)) {
		st->stats.tcp_drop_header++;
		return NET_E_TCP;
	}
	st->stats.tcp_rx_segs++;
	s = tcp__lookup(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
	if (s) {
		tcp__conn_input(s, &seg);
		return 0;
	}
	l = tcp__listener(st, seg.dport);
	if (l) {
		tcp__listen_input(st, l, &seg);
		return 0;
	}
	st->stats.tcp_drop_no_conn++;
	tcp__send_rst_reply(st, &seg);
	return 0;
}
