/*
 * The receive side of a connection: in-order bytes straight to the caller
 * (or into the receive ring while paused), the out-of-order queue (up to
 * NET_OOO_MAX ranges held in the ring at their final offsets), delayed ACKs
 * (RFC 9293 3.8.6.3, RFC 5681 4.2) and the peer's FIN.
 */
#include <errno.h>

#include "dataplane/net/net-int.h"

/* Copy len bytes at ring offset off (from r_head) into the receive ring. */
static void ring_put(struct net_sock *s, uint32_t off, const uint8_t *data, uint32_t len)
{
	uint32_t size = s->st->cfg.rcvbuf_bytes, at = (s->r_head + off) % size;
	uint32_t first = net__min32(len, size - at);

	BUG_ON(off > size || len > size - off); /* the window never exceeds the ring */
	memcpy(s->rbuf + at, data, first);
	memcpy(s->rbuf, data + first, len - first);
}

/* Remember [start, end) as held out of order; merges overlaps. false: no room. */
static bool ooo_insert(struct net_sock *s, uint32_t start, uint32_t end)
{
	uint8_t i = 0;

	while (i < s->n_ooo) {
		struct net_ooo *o = &s->ooo[i];

		if (seq_le(start, o->end) && seq_ge(end, o->start)) {
			/* overlaps or touches: absorb it and start over */
			if (seq_lt(o->start, start))
				start = o->start;
			if (seq_gt(o->end, end))
				end = o->end;
			s->ooo[i] = s->ooo[--s->n_ooo];
			i = 0;
			continue;
		}
		i++;
	}
	if (s->n_ooo == NET_OOO_MAX)
		return false;
	s->ooo[s->n_ooo++] = (struct net_ooo){ start, end };
	return true;
}

/* Ranges now reachable from rcv_nxt become in-order bytes in the ring. */
static void ooo_merge(struct net_sock *s)
{
	bool again = true;

	while (again) {
		again = false;
		for (uint8_t i = 0; i < s->n_ooo; i++) {
			struct net_ooo o = s->ooo[i];

			if (seq_gt(o.start, s->rcv_nxt))
				continue;
			if (seq_gt(o.end, s->rcv_nxt)) {
				s->r_len += o.end - s->rcv_nxt;
				s->rcv_nxt = o.end;
			}
			s->ooo[i] = s->ooo[--s->n_ooo];
			again = true;
			break;
		}
	}
}

/* In-window payload (already trimmed to the window). Returns false if s is gone. */
bool tcp__data_input(struct net_sock *s, const struct tcp_seg *seg)
{
	struct net_stack *st = s->st;
	bool immediate = false;

	if (!s->attached || s->closed_queued) {
		/* The caller closed: nobody will read it. ACK and forget. */
		if (seg->seq == s->rcv_nxt) {
			st->stats.tcp_drop_closed_data++;
			s->rcv_nxt += seg->len;
			s->rcv_adv += seg->len;
		}
		tcp__send_ack(s);
		return true;
	}
	if (seg->seq != s->rcv_nxt) {
		uint32_t off = seg->seq - s->rcv_nxt;

		st->stats.tcp_ooo_segs++;
		if (ooo_insert(s, seg->seq, seg->seq + seg->len))
			ring_put(s, s->r_len + off, seg->data, seg->len);
		else
			st->stats.tcp_drop_ooo_full++;
		tcp__send_ack(s); /* duplicate ACK at once (RFC 5681 4.2) */
		return true;
	}
	if (!s->r_len && !s->n_ooo && !s->paused) {
		/* Fast path: straight from the frame to the caller. */
		s->rcv_nxt += seg->len;
		s->r_head = (s->r_head + seg->len) % st->cfg.rcvbuf_bytes;
		s->unacked_segs++;
		st->ops->recv(st->ctx, s, seg->data, seg->len);
		if (s->state == TCP_CLOSED)
			return false;
	} else {
		immediate = s->n_ooo != 0; /* filling a hole: ACK now (RFC 5681 4.2) */
		ring_put(s, s->r_len, seg->data, seg->len);
		s->r_len += seg->len;
		s->rcv_nxt += seg->len;
		ooo_merge(s);
		s->unacked_segs++;
		tcp__deliver(s);
		if (s->state == TCP_CLOSED)
			return false;
	}
	/* Delayed ACK: every second full segment at once, else within delack_ms. */
	if (immediate || s->unacked_segs >= 2 || s->n_ooo)
		tcp__send_ack(s);
	else if (s->unacked_segs && !s->dack_at)
		s->dack_at = st->now_ms + st->cfg.delack_ms;
	return true;
}

/* The peer's FIN, in order. Returns false if s is gone. */
bool tcp__fin_input(struct net_sock *s)
{
	s->rcv_nxt++;
	s->eof_seen = true;
	tcp__send_ack(s);
	switch (s->state) {
	case TCP_ESTABLISHED:
		tcp__set_state(s, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT_1:
		tcp__set_state(s, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT_2:
		tcp__enter_time_wait(s);
		break;
	default:
		break;
	}
	tcp__deliver(s);
	return s->state != TCP_CLOSED;
}
