/*
 * IPv4 input (RFC 791, RFC 1122 3.2.1): header checks, checksum unless the
 * NIC verified it, our address only, fragments dropped and counted (Columba
 * speaks TCP with MSS-sized segments, so reassembly buys nothing and costs
 * memory an attacker could hold), martian sources dropped. ICMP echo
 * requests are answered (RFC 792); other ICMP is counted and ignored.
 */
#include "dataplane/net/net-int.h"

#define ICMP_HLEN 8

unsigned net__ipv4_header(struct net_stack *st, uint8_t *p, uint32_t dst, uint8_t proto,
			  uint32_t payload_len)
{
	p[0] = 0x45;
	p[1] = 0;
	wr16(p + 2, (uint16_t)(IP_HLEN + payload_len));
	wr16(p + 4, 0);      /* atomic datagram: the ID is not used (RFC 6864 4.1) */
	wr16(p + 6, 0x4000); /* DF: path MTU is the peer's problem to report */
	p[8] = st->cfg.ttl;
	p[9] = proto;
	wr16(p + 10, 0);
	wr32(p + 12, ntohl(st->cfg.ip.s_addr));
	wr32(p + 16, dst);
	if (st->cfg.offload & NET_OFFLOAD_TX_IP_CSUM)
		return NET_OFFLOAD_TX_IP_CSUM;
	wr16(p + 10, net__csum_fold(net__csum_add(0, p, IP_HLEN)));
	return 0;
}

static int icmp_input(struct net_stack *st, const uint8_t *frame, const uint8_t *ip,
		      uint32_t ihl, uint32_t tot)
{
	const uint8_t *icmp = ip + ihl;
	uint32_t len = tot - ihl;
	uint8_t *h = st->hdr;
	struct net_iov iov[2];
	unsigned flags;

	if (len < ICMP_HLEN || net__csum_fold(net__csum_add(0, icmp, len)) != 0 ||
	    icmp[0] != 8 || icmp[1] != 0 || IP_HLEN + len > st->cfg.mtu) {
		st->stats.icmp_drop++;
		return NET_E_PROTO;
	}
	/* Echo reply: same identifier, sequence and data, to the frame's sender. */
	wr16(h + 12, ETHERTYPE_IP);
	flags = net__ipv4_header(st, h + ETH_HLEN, rd32(ip + 12), IPPROTO_ICMP_, len);
	memcpy(h + ETH_HLEN + IP_HLEN, icmp, ICMP_HLEN);
	h[ETH_HLEN + IP_HLEN] = 0;
	wr16(h + ETH_HLEN + IP_HLEN + 2, 0);
	iov[0] = (struct net_iov){ h, ETH_HLEN + IP_HLEN + ICMP_HLEN };
	iov[1] = (struct net_iov){ icmp + ICMP_HLEN, len - ICMP_HLEN };
	wr16(h + ETH_HLEN + IP_HLEN + 2,
	     net__csum_fold(net__csum_add(net__csum_add(0, h + ETH_HLEN + IP_HLEN, ICMP_HLEN),
					  iov[1].base, iov[1].len)));
	st->stats.icmp_echo_replies++;
	net__eth_tx(st, frame + 6, iov, 2, flags & NET_OFFLOAD_TX_IP_CSUM);
	return 0;
}

static bool martian(uint32_t src, uint32_t me)
{
	return src == 0 || src == 0xffffffffu || (src >> 28) == 0xe || (src >> 24) == 127 ||
	       src == me;
}

int net__ipv4_input(struct net_stack *st, const uint8_t *frame, uint32_t len)
{
	const uint8_t *ip = frame + ETH_HLEN;
	uint32_t avail = len - ETH_HLEN, ihl, tot, me = ntohl(st->cfg.ip.s_addr);

	if (avail < IP_HLEN) {
		st->stats.drop_short++;
		return NET_E_SHORT;
	}
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	tot = rd16(ip + 2);
	/* Ethernet pads short frames: the IPv4 total length is authoritative. */
	if ((ip[0] >> 4) != 4 || ihl < IP_HLEN || ihl > avail || tot < ihl || tot > avail) {
		st->stats.drop_ip_header++;
		return NET_E_IP_HEADER;
	}
	if (!(st->cfg.offload & NET_OFFLOAD_RX_CSUM) &&
	    net__csum_fold(net__csum_add(0, ip, ihl)) != 0) {
		st->stats.drop_ip_csum++;
		return NET_E_IP_CSUM;
	}
	if (rd32(ip + 16) != me) {
		st->stats.drop_not_ours++;
		return NET_E_NOT_OURS;
	}
	if (rd16(ip + 6) & 0x3fff) { /* MF set or a fragment offset */
		st->stats.drop_ip_fragment++;
		return NET_E_FRAGMENT;
	}
	if (martian(rd32(ip + 12), me)) {
		st->stats.drop_martian++;
		return NET_E_IP_HEADER;
	}
	if (ip[9] == IPPROTO_TCP_)
		return tcp__input(st, ip, ip + ihl, tot - ihl);
	if (ip[9] == IPPROTO_ICMP_)
		return icmp_input(st, frame, ip, ihl, tot);
	st->stats.drop_ip_proto++;
	return NET_E_PROTO;
}
