/*
 * Checksum offloads, per frame: what the device concluded about a received
 * frame's checksums, and how a frame to transmit asks the device to fill
 * them in. Which checksums a port does at all is struct dpdk_port.cksum
 * (DPDK_CKSUM_*); the stack computes the others in software.
 */
#ifndef COLUMBA_DATAPLANE_DPDK_CKSUM_H
#define COLUMBA_DATAPLANE_DPDK_CKSUM_H

#include <stdint.h>

#include "dataplane/dpdk/port.h" /* base/compiler.h first, then DPDK */

#include <rte_mbuf.h>

/* What the device said about a received frame's checksum. */
enum dpdk_cksum_state {
	DPDK_CKSUM_UNKNOWN = 0, /* not checked: verify in software */
	DPDK_CKSUM_GOOD,
	DPDK_CKSUM_BAD,
};

/* dpdk_rx_ip_cksum - the IPv4 header checksum verdict carried by m. */
static inline enum dpdk_cksum_state dpdk_rx_ip_cksum(const struct rte_mbuf *m)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD: return DPDK_CKSUM_GOOD;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD: return DPDK_CKSUM_BAD;
	default: return DPDK_CKSUM_UNKNOWN;
	}
}

/* dpdk_rx_l4_cksum - the TCP (or UDP) checksum verdict carried by m. */
static inline enum dpdk_cksum_state dpdk_rx_l4_cksum(const struct rte_mbuf *m)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD: return DPDK_CKSUM_GOOD;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD: return DPDK_CKSUM_BAD;
	default: return DPDK_CKSUM_UNKNOWN;
	}
}

/*
 * dpdk_tx_cksum_ipv4_tcp - ask the device to fill in the checksums of the
 * IPv4/TCP frame m (Ethernet header of l2_len bytes, IPv4 header of l3_len,
 * both checksum fields as the stack left them; the headers up to the end of
 * the TCP header in m's first segment). For each checksum the
 * device does, sets the mbuf's offload flags and writes what the device
 * needs (zero IPv4 checksum; the pseudo-header sum in the TCP checksum).
 * Returns the checksums the caller must still compute in software:
 * DPDK_CKSUM_TX_IPV4 and/or DPDK_CKSUM_TX_TCP, 0 when the device does both.
 */
uint32_t dpdk_tx_cksum_ipv4_tcp(const struct dpdk_port *p, struct rte_mbuf *m,
				uint16_t l2_len, uint16_t l3_len);

#endif
