/*
 * TCP output: building segments (options per RFC 9293 3.2 and RFC 7323),
 * what to send when (windows, congestion window, sender SWS avoidance), and
 * the per-connection timers: retransmission (RFC 6298 with Karn's rule),
 * zero-window probes (RFC 9293 3.8.6.1), delayed ACKs (RFC 9293 3.8.6.3),
 * keepalive (RFC 9293 3.8.4), TIME_WAIT and the FIN-WAIT-2 limit.
 */
#include <errno.h>

#include "dataplane/net/net-int.h"

uint32_t tcp__tsval(const struct net_sock *s)
{
	return (uint32_t)s->st->now_ms + s->ts_offset;
}

uint32_t tcp__smss(const struct net_sock *s)
{
	/* RFC 9293 3.7.1: the MSS does not count options; timestamps take 12. */
	return s->mss - (s->ts_ok ? 12u : 0u);
}

uint32_t tcp__rcv_window(struct net_sock *s)
{
	struct net_stack *st = s->st;
	uint32_t size = st->cfg.rcvbuf_bytes, edge = s->rcv_nxt + (size - s->r_len), wnd, field;
	uint8_t ws = s->ws_ok ? s->rcv_wscale : 0;

	/* Receiver SWS avoidance: move the right edge only by a useful amount. */
	if (seq_gt(edge, s->rcv_adv) &&
	    edge - s->rcv_adv < net__min32(size / 2, st->mss_local))
		edge = s->rcv_adv;
	if (seq_lt(edge, s->rcv_nxt))
		edge = s->rcv_nxt;
	wnd = edge - s->rcv_nxt;
	field = net__min32(wnd >> ws, 65535);
	/* Rounding down may pull the edge in by < 2^ws bytes; rcv_adv keeps
	 * the larger edge, so what we accepted once we still accept. */
	if (seq_gt(s->rcv_nxt + (field << ws), s->rcv_adv))
		s->rcv_adv = s->rcv_nxt + (field << ws);
	return field;
}

/* Options into p; returns their length (a multiple of 4). */
static uint32_t put_options(struct net_sock *s, uint8_t *p, uint8_t flags)
{
	uint32_t n = 0;

	if (flags & TH_SYN) {
		p[n++] = 2; /* MSS */
		p[n++] = 4;
		wr16(p + n, (uint16_t)s->st->mss_local);
		n += 2;
		if (s->ws_ok || s->state == TCP_SYN_SENT) {
			p[n++] = 1; /* NOP */
			p[n++] = 3; /* window scale */
			p[n++] = 3;
			p[n++] = s->rcv_wscale;
		}
	}
	if (s->ts_ok || ((flags & TH_SYN) && s->state == TCP_SYN_SENT)) {
		p[n++] = 1;
		p[n++] = 1;
		p[n++] = 8; /* timestamps */
		p[n++] = 10;
		wr32(p + n, tcp__tsval(s));
		wr32(p + n + 4, (flags & TH_ACK) ? s->ts_recent : 0);
		n += 8;
	}
	return n;
}

/* Headers at h (Ethernet first), payload in iov[1..]; checksum; send. */
static void tcp_emit(struct net_stack *st, uint8_t *h, uint32_t thlen, uint32_t dst,
		     struct net_iov *iov, int n)
{
	uint8_t *th = h + ETH_HLEN + IP_HLEN;
	uint32_t plen = 0, sum;
	unsigned flags;

	for (int i = 1; i < n; i++)
		plen += iov[i].len;
	wr16(h + 12, ETHERTYPE_IP);
	flags = net__ipv4_header(st, h + ETH_HLEN, dst, IPPROTO_TCP_, thlen + plen);
	sum = net__pseudo_sum(ntohl(st->cfg.ip.s_addr), dst, IPPROTO_TCP_, thlen + plen);
	if (st->cfg.offload & NET_OFFLOAD_TX_TCP_CSUM) {
		/* The NIC adds header and payload to the pseudo-header sum we leave. */
		wr16(th + 16, (uint16_t)~net__csum_fold(sum));
		flags |= NET_OFFLOAD_TX_TCP_CSUM;
	} else {
		iov[0].base = th;
		iov[0].len = thlen;
		wr16(th + 16, net__csum_fold(net__csum_iov(sum, iov, n)));
	}
	iov[0].base = h;
	iov[0].len = ETH_HLEN + IP_HLEN + thlen;
	st->stats.tcp_tx_segs++;
	net__ip_output(st, dst, iov, n, flags);
}

void tcp__send_segment(struct net_sock *s, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct net_stack *st = s->st;
	uint8_t *h = st->hdr, *th = h + ETH_HLEN + IP_HLEN;
	struct net_iov iov[3];
	uint32_t optlen, field;
	int n = 1;

	wr16(th, s->local.port);
	wr16(th + 2, s->remote.port);
	wr32(th + 4, seq);
	wr32(th + 8, (flags & TH_ACK) ? s->rcv_nxt : 0);
	optlen = put_options(s, th + TCP_HLEN, flags);
	th[12] = (uint8_t)(((TCP_HLEN + optlen) / 4) << 4);
	th[13] = flags;
	if (flags & TH_SYN) /* never scaled in a SYN (RFC 7323 2.2) */
		field = net__min32(st->cfg.rcvbuf_bytes - s->r_len, 65535);
	else
		field = tcp__rcv_window(s);
	if (flags & TH_SYN)
		s->rcv_adv = s->rcv_nxt + field;
	wr16(th + 14, (uint16_t)field);
	wr16(th + 16, 0);
	wr16(th + 18, 0);
	if (len) {
		uint32_t size = st->cfg.sndbuf_bytes;
		uint32_t at = (s->s_head + (seq - s->s_seq)) % size;
		uint32_t first = net__min32(len, size - at);

		BUG_ON(seq - s->s_seq > s->s_len || len > s->s_len - (seq - s->s_seq));
		iov[n++] = (struct net_iov){ s->sbuf + at, first };
		if (first < len)
			iov[n++] = (struct net_iov){ s->sbuf, len - first };
	}
	if (flags & TH_ACK) {
		s->last_ack_sent = s->rcv_nxt;
		s->dack_at = 0;
		s->unacked_segs = 0;
	}
	tcp_emit(st, h, TCP_HLEN + optlen, ntohl(s->remote.v4.s_addr), iov, n);
}

void tcp__send_ctl(struct net_sock *s, uint8_t flags, uint32_t seq)
{
	if (flags & TH_RST)
		s->st->stats.tcp_rst_tx++;
	tcp__send_segment(s, seq, 0, flags);
}

void tcp__send_ack(struct net_sock *s)
{
	/* SND.MAX, not SND.NXT: after a go-back-N retransmission SND.NXT may
	 * sit below what the peer has received, and a pure ACK carrying it
	 * would be unacceptable there (as BSD's tcp_output does). */
	tcp__send_segment(s, s->snd_max, 0, TH_ACK);
	tcp__timer_update(s);
}

bool tcp__send_challenge_ack(struct net_sock *s)
{
	struct net_stack *st = s->st;

	/* RFC 5961 7: a per-stack budget per second. */
	if (st->now_ms - st->chack_window_ms >= 1000) {
		st->chack_window_ms = st->now_ms;
		st->chack_count = 0;
	}
	if (st->chack_count >= st->cfg.challenge_acks_per_s) {
		st->stats.tcp_challenge_acks_limited++;
		return false;
	}
	st->chack_count++;
	st->stats.tcp_challenge_acks++;
	tcp__send_ack(s);
	return true;
}

void tcp__send_syn(struct net_sock *s)
{
	uint8_t flags = s->state == TCP_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK;

	tcp__send_segment(s, s->iss, 0, flags);
	s->snd_nxt = s->iss + 1;
	if (seq_lt(s->snd_max, s->snd_nxt))
		s->snd_max = s->snd_nxt;
	s->rto_at = s->st->now_ms + s->rto_ms;
	tcp__timer_update(s);
}

void tcp__send_rst_reply(struct net_stack *st, const struct tcp_seg *seg)
{
	uint8_t *h = st->hdr, *th = h + ETH_HLEN + IP_HLEN;
	struct net_iov iov[1];
	uint32_t seglen = seg->len + !!(seg->flags & TH_SYN) + !!(seg->flags & TH_FIN);

	if (seg->flags & TH_RST)
		return;
	wr16(th, seg->dport);
	wr16(th + 2, seg->sport);
	/* RFC 9293 3.10.7.1 */
	if (seg->flags & TH_ACK) {
		wr32(th + 4, seg->ack);
		wr32(th + 8, 0);
		th[13] = TH_RST;
	} else {
		wr32(th + 4, 0);
		wr32(th + 8, seg->seq + seglen);
		th[13] = TH_RST | TH_ACK;
	}
	th[12] = (TCP_HLEN / 4) << 4;
	wr16(th + 14, 0);
	wr16(th + 16, 0);
	wr16(th + 18, 0);
	st->stats.tcp_rst_tx++;
	tcp_emit(st, h, TCP_HLEN, seg->saddr, iov, 1);
}

void tcp__output(struct net_sock *s)
{
	struct net_stack *st = s->st;
	uint32_t smss = tcp__smss(s), fin_seq = s->s_seq + s->s_len;

	if (s->state < TCP_ESTABLISHED || s->state == TCP_TIME_WAIT)
		return;
	while (!s->persist) { /* probing a zero window: only the probe timer sends */
		uint32_t sent = s->snd_nxt - s->s_seq, avail, wnd, flight, usable, len;
		bool fin;

		if (seq_gt(s->snd_nxt, fin_seq))
			break; /* FIN already sent */
		avail = s->s_len - sent;
		wnd = net__min32(s->snd_wnd, s->cwnd);
		flight = s->snd_nxt - s->snd_una;
		usable = wnd > flight ? wnd - flight : 0;
		len = net__min32(net__min32(avail, usable), smss);
		fin = s->fin_queued && len == avail;
		if (len == 0 && !fin)
			break;
		/* Sender SWS avoidance (RFC 9293 3.8.6.2.1): no runt segments
		 * because of the window while data is in flight. */
		if (len < avail && len < smss && flight > 0)
			break;
		if (seq_lt(s->snd_nxt, s->snd_max))
			st->stats.tcp_retransmits++;
		else if (!s->rtt_active && !s->ts_ok && len) {
			s->rtt_active = true;
			s->rtt_seq = s->snd_nxt;
			s->rtt_start_ms = st->now_ms;
		}
		tcp__send_segment(s, s->snd_nxt, len,
				  TH_ACK | (len && len == avail ? TH_PSH : 0) | (fin ? TH_FIN : 0));
		s->snd_nxt += len + fin;
		if (seq_gt(s->snd_nxt, s->snd_max))
			s->snd_max = s->snd_nxt;
		if (!s->rto_at)
			s->rto_at = st->now_ms + s->rto_ms;
		if (fin)
			break;
	}
	if (!s->persist && s->snd_wnd == 0 && s->snd_nxt == s->snd_una &&
	    seq_lt(s->snd_nxt, fin_seq + s->fin_queued)) {
		/* Zero window and nothing in flight: probe (RFC 9293 3.8.6.1). */
		s->persist = true;
		s->rto_at = 0;
		s->persist_at = st->now_ms + s->rto_ms;
	}
	tcp__timer_update(s);
}

void tcp__rto_restart(struct net_sock *s)
{
	s->rto_at = s->snd_una == s->snd_max ? 0 : s->st->now_ms + s->rto_ms;
}

void tcp__timer_update(struct net_sock *s)
{
	struct net_stack *st = s->st;
	uint64_t next = UINT64_MAX;

	if (s->state == TCP_FIN_WAIT_2 && !s->attached && !s->tw_at)
		s->tw_at = st->now_ms + st->cfg.fin_wait2_ms;
	const uint64_t d[] = { s->rto_at, s->dack_at, s->persist_at, s->ka_at, s->tw_at };
	for (size_t i = 0; i < ARRAY_SIZE(d); i++)
		if (d[i] && d[i] < next)
			next = d[i];
	if (next == UINT64_MAX)
		dp_timer_cancel(&st->wheel, &s->timer);
	else
		dp_timer_arm(&st->wheel, &s->timer, next);
}

static void rto_expired(struct net_sock *s)
{
	struct net_stack *st = s->st;
	uint32_t smss = tcp__smss(s), flight = s->snd_max - s->snd_una;

	s->rto_at = 0;
	if (s->state == TCP_SYN_SENT || s->state == TCP_SYN_RCVD) {
		if (s->retries >= st->cfg.syn_retries) {
			st->stats.tcp_timeouts++;
			tcp__drop(s, -ETIMEDOUT);
			return;
		}
		s->retries++;
		s->rto_ms = net__min32(s->rto_ms * 2, st->cfg.rto_max_ms);
		st->stats.tcp_retransmits++;
		tcp__send_syn(s);
		return;
	}
	if (s->retries >= st->cfg.data_retries) {
		st->stats.tcp_timeouts++;
		tcp__send_ctl(s, TH_RST | TH_ACK, s->snd_max);
		tcp__drop(s, -ETIMEDOUT);
		return;
	}
	s->retries++;
	st->stats.tcp_rto_expired++;
	/* RFC 5681 (4) and 3.1; RFC 6582 3.2 (4): recover = highest sent. */
	s->ssthresh = net__max32(flight / 2, 2 * smss);
	s->cwnd = smss;
	s->recover = s->snd_max;
	s->in_recovery = false;
	s->dupacks = 0;
	/* RFC 6298 5.5 back off; Karn: nothing retransmitted is timed. */
	s->rto_ms = net__min32(s->rto_ms * 2, st->cfg.rto_max_ms);
	s->rtt_active = false;
	s->snd_nxt = s->snd_una;
	tcp__output(s);
}

static void persist_expired(struct net_sock *s)
{
	struct net_stack *st = s->st;
	uint64_t delay;

	s->persist_at = 0;
	if (!s->persist)
		return;
	/* A connection its owner closed, whose peer keeps the window shut,
	 * would stay for ever: like unanswered retransmissions, it ends after
	 * data_retries probes (Linux's orphan retries). One still open keeps
	 * probing while the peer answers; its owner has its own timeouts. */
	if (s->closed_queued && s->retries >= st->cfg.data_retries) {
		st->stats.tcp_timeouts++;
		tcp__send_ctl(s, TH_RST | TH_ACK, s->snd_max);
		tcp__drop(s, -ETIMEDOUT);
		return;
	}
	/* One byte beyond the window (RFC 9293 3.8.6.1); the receiver
	 * answers with its window. We keep probing while it answers. */
	st->stats.tcp_zero_window_probes++;
	if (s->s_len) {
		tcp__send_segment(s, s->snd_una, 1, TH_ACK);
		if (s->snd_nxt == s->snd_una)
			s->snd_nxt = s->snd_una + 1;
		if (seq_gt(s->snd_nxt, s->snd_max))
			s->snd_max = s->snd_nxt;
	} else {
		tcp__send_segment(s, s->snd_una, 0, TH_ACK);
	}
	s->retries++;
	delay = (uint64_t)s->rto_ms << net__min32(s->retries, 16);
	s->persist_at = st->now_ms + (delay > st->cfg.rto_max_ms ? st->cfg.rto_max_ms : delay);
}

static void keepalive_expired(struct net_sock *s)
{
	struct net_stack *st = s->st;

	s->ka_at = 0;
	if (s->state != TCP_ESTABLISHED && s->state != TCP_CLOSE_WAIT)
		return;
	if (s->snd_una != s->snd_max) { /* data in flight: the RTO watches */
		s->ka_at = st->now_ms + st->cfg.keepalive_idle_ms;
		return;
	}
	if (s->ka_probes >= st->cfg.keepalive_probes) {
		st->stats.tcp_timeouts++;
		tcp__send_ctl(s, TH_RST | TH_ACK, s->snd_max);
		tcp__drop(s, -ETIMEDOUT);
		return;
	}
	s->ka_probes++;
	st->stats.tcp_keepalives_sent++;
	/* SEG.SEQ = SND.NXT - 1 with no data: the peer must answer (RFC 9293 3.8.4). */
	tcp__send_segment(s, s->snd_nxt - 1, 0, TH_ACK);
	s->ka_at = st->now_ms + st->cfg.keepalive_intvl_ms;
}

void tcp__timer_fire(struct dp_timer *t, void *arg)
{
	struct net_sock *s = arg;
	uint64_t now = s->st->now_ms;

	(void)t;
	if (s->tw_at && s->tw_at <= now &&
	    (s->state == TCP_TIME_WAIT || s->state == TCP_FIN_WAIT_2)) {
		s->tw_at = 0;
		tcp__free(s);
		return;
	}
	if (s->rto_at && s->rto_at <= now) {
		rto_expired(s);
		if (s->state == TCP_CLOSED)
			return;
	}
	if (s->persist_at && s->persist_at <= now)
		persist_expired(s);
	if (s->dack_at && s->dack_at <= now) {
		s->st->stats.tcp_delayed_acks++;
		tcp__send_segment(s, s->snd_max, 0, TH_ACK);
	}
	if (s->ka_at && s->ka_at <= now) {
		keepalive_expired(s);
		if (s->state == TCP_CLOSED)
			return;
	}
	tcp__timer_update(s);
}

uint32_t tcp__initial_cwnd(uint32_t smss)
{
	/* RFC 5681 3.1 */
	if (smss > 2190)
		return 2 * smss;
	if (smss > 1095)
		return 3 * smss;
	return 4 * smss;
}
