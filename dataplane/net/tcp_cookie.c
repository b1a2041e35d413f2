/*
 * Keyed numbers: initial sequence numbers per RFC 6528 (a 4 µs clock plus a
 * keyed hash of the 4-tuple), per-connection timestamp offsets (RFC 7323 5.4),
 * the connection table's hash, and SYN cookies (RFC 4987 3.6).
 *
 * A cookie is the ISN of a SYN-ACK we answer without keeping state when the
 * SYN backlog is full:
 *   bits 31-27  t, a 64-second counter mod 32 (cookies live 64-128 s)
 *   bits 26-24  index of the MSS in mss_table (largest <= the peer's MSS)
 *   bits 23-0   SipHash(secret, 4-tuple, peer ISN, t)
 * When the SYN carried timestamps, the low 5 bits of our TSval carry the
 * peer's window scale (bit 4: present), so the ACK's TSecr brings it back
 * and window scaling survives a cookie (as Linux does); without timestamps
 * the connection runs unscaled (the cookie SYN-ACK then offers no scale).
 */
#include "dataplane/net/net-int.h"

#define COOKIE_PERIOD_MS 64000u

static const uint16_t mss_table[8] = { 536, 1220, 1360, 1440, 1452, 1460, 4312, 8960 };

struct tuple {
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t extra;
	uint8_t domain;
} __attribute__((packed));

static uint64_t tuple_hash(struct net_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			   uint16_t rport, uint32_t extra, uint8_t domain)
{
	struct tuple t = { laddr, raddr, lport, rport, extra, domain };

	return net__siphash(st->cfg.secret, &t, sizeof(t));
}

uint32_t tcp__hash(struct net_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		   uint16_t rport)
{
	return (uint32_t)tuple_hash(st, laddr, lport, raddr, rport, 0, 'H');
}

uint32_t tcp__isn(struct net_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		  uint16_t rport)
{
	/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey) */
	return (uint32_t)(st->now_us / 4) + (uint32_t)tuple_hash(st, laddr, lport, raddr, rport, 0, 'I');
}

uint32_t tcp__ts_offset(struct net_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			uint16_t rport)
{
	return (uint32_t)tuple_hash(st, laddr, lport, raddr, rport, 0, 'T');
}

static uint32_t cookie_mac(struct net_stack *st, const struct tcp_seg *seg, uint32_t peer_isn,
			   uint32_t t)
{
	return (uint32_t)tuple_hash(st, seg->daddr, seg->dport, seg->saddr, seg->sport,
				    peer_isn ^ (t << 27), 'C') & 0xffffffu;
}

void tcp__cookie_synack(struct net_stack *st, const struct tcp_seg *seg)
{
	struct net_sock tmp;
	uint32_t t = (uint32_t)(st->now_ms / COOKIE_PERIOD_MS) & 31, idx = 0, cookie, tsval;
	uint16_t peer_mss = seg->has_mss ? seg->mss : 536;

	for (uint32_t i = 0; i < ARRAY_SIZE(mss_table); i++)
		if (mss_table[i] <= peer_mss && mss_table[i] <= st->mss_local)
			idx = i;
	cookie = t << 27 | idx << 24 | cookie_mac(st, seg, seg->seq, t);

	/* A throw-away control block so the normal segment builder is used. */
	memset(&tmp, 0, sizeof(tmp));
	tmp.st = st;
	tmp.local.family = tmp.remote.family = AF_INET;
	tmp.local.port = seg->dport;
	tmp.remote.port = seg->sport;
	tmp.local.v4.s_addr = htonl(seg->daddr);
	tmp.remote.v4.s_addr = htonl(seg->saddr);
	tmp.state = TCP_SYN_RCVD;
	tmp.rcv_nxt = seg->seq + 1;
	tmp.mss = (uint16_t)st->mss_local;
	if (seg->has_ts) {
		tmp.ts_ok = true;
		tmp.ts_recent = seg->tsval;
		tmp.ws_ok = seg->has_ws;
		tmp.rcv_wscale = seg->has_ws ? tcp__wscale_for(st->cfg.rcvbuf_bytes) : 0;
		tsval = (uint32_t)st->now_ms + tcp__ts_offset(st, seg->daddr, seg->dport,
							       seg->saddr, seg->sport);
		tsval = (tsval & ~0x1fu) |
			(seg->has_ws ? 0x10u | net__min32(seg->ws, TCP_WSCALE_MAX) : 0);
		tmp.ts_offset = tsval - (uint32_t)st->now_ms;
	}
	st->stats.tcp_cookies_sent++;
	st->cookie_last_ms = st->now_ms + 1;
	tcp__send_segment(&tmp, cookie, 0, TH_SYN | TH_ACK);
}

int tcp__cookie_check(struct net_stack *st, const struct tcp_seg *seg, int *peer_ws)
{
	uint32_t cookie = seg->ack - 1, t = cookie >> 27;
	uint32_t now_t = (uint32_t)(st->now_ms / COOKIE_PERIOD_MS) & 31;

	*peer_ws = -1;
	/* Only while cookies are in use: the last one sent at most two periods ago. */
	if (!st->cookie_last_ms || st->now_ms + 1 - st->cookie_last_ms > 2 * COOKIE_PERIOD_MS)
		return -1;
	if (((now_t - t) & 31) > 1 || (cookie & 0xffffffu) != cookie_mac(st, seg, seg->seq - 1, t))
		return -1;
	if (seg->has_ts && (seg->tsecr & 0x10))
		*peer_ws = (int)(seg->tsecr & 0xf);
	return mss_table[(cookie >> 24) & 7];
}
