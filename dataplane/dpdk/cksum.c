#include "dataplane/dpdk/cksum.h"

#include <rte_ip.h>
#include <rte_tcp.h>

uint32_t dpdk_tx_cksum_ipv4_tcp(const struct dpdk_port *p, struct rte_mbuf *m,
				uint16_t l2_len, uint16_t l3_len)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2_len);
	struct rte_tcp_hdr *tcp = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l2_len + l3_len);
	uint32_t left = DPDK_CKSUM_TX_IPV4 | DPDK_CKSUM_TX_TCP;

	m->l2_len = l2_len;
	m->l3_len = l3_len;
	/* DPDK asks for l4_len only with TSO, but net_tap's software
	 * checksum copies l2_len + l3_len + l4_len bytes of headers. */
	m->l4_len = (uint64_t)(tcp->data_off >> 4) * 4;
	if (p->cksum & DPDK_CKSUM_TX_IPV4) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		ip->hdr_checksum = 0;
		left &= ~DPDK_CKSUM_TX_IPV4;
	}
	if (p->cksum & DPDK_CKSUM_TX_TCP) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
		tcp->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		left &= ~DPDK_CKSUM_TX_TCP;
	}
	return left;
}
