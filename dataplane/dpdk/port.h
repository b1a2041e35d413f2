/*
 * The DPDK port layer: one Ethernet device (a PCI NIC bound to vfio-pci, or
 * a virtual device such as net_tap or net_memif) with one RX/TX queue pair
 * per worker, one mbuf pool per worker on that worker's NUMA node, burst
 * receive, link status and the device's checksum offloads.
 *
 * Queues: with more than one worker the port asks for one queue pair per
 * worker and spreads flows with RSS (IPv4 and IPv4/TCP hash, a symmetric
 * key, the redirection table filled evenly where the device has one) when
 * the device has RSS and enough queues; without them it configures one queue pair and
 * says so in the log (port->queues tells the caller how many workers can
 * poll it). A device whose peer maps our queue i to its own queue i (memif,
 * ring) can opt into one queue per worker without RSS: cfg->paired_queues.
 *
 * Threads: dpdk_port_open() and dpdk_port_close() run on the control thread
 * (after dpdk_eal_init(), before the workers start / after they stopped).
 * Queue q, its pool and its TX batch (dataplane/dpdk/tx.h) belong to worker
 * q alone. dpdk_port_link_poll() runs on one thread (worker 0's timer).
 *
 * Driver notes (DPDK 22.11, measured in tests/unit/dataplane/dpdk):
 *   net_tap    checksums in software inside the PMD (all four flags); flows
 *              reach its queues by the kernel's tun queue choice (a flow
 *              hash, then the queue its replies came from), not by a
 *              Toeplitz hash we could predict: it reports RSS but has no
 *              redirection table, and its rte_flow RSS needs the multiq
 *              qdisc (absent on a kernel without sch_multiq); the link
 *              follows the kernel interface's UP|RUNNING; closing the port
 *              deletes it.
 *   net_memif  no offloads, no RSS (use paired_queues); the server side can
 *              only transmit after the client's first RX burst, which hands
 *              it buffers; the link is up while a peer is connected.
 *   net_ring   a loopback: each queue's TX ring is its RX ring (1023 frames).
 */
#ifndef COLUMBA_DATAPLANE_DPDK_PORT_H
#define COLUMBA_DATAPLANE_DPDK_PORT_H

#include <stdbool.h>
#include <stdint.h>

/* Before DPDK's headers: rte_common.h defines container_of only if it is
 * not defined yet, base/compiler.h unconditionally. */
#include "base/compiler.h"

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define DPDK_BURST_MAX  64u  /* largest RX burst / TX batch */
#define DPDK_QUEUES_MAX 128u /* workers per port */

/* Checksums the device computes or verifies (struct dpdk_port.cksum). */
#define DPDK_CKSUM_RX_IPV4 (1u << 0) /* RX: IPv4 header checksum verified */
#define DPDK_CKSUM_RX_TCP  (1u << 1) /* RX: TCP checksum verified */
#define DPDK_CKSUM_TX_IPV4 (1u << 2) /* TX: IPv4 header checksum filled in */
#define DPDK_CKSUM_TX_TCP  (1u << 3) /* TX: TCP checksum filled in */

/* The `[dpdk]` configuration of one port. */
struct dpdk_cfg {
	const char *eal_args;      /* for dpdk_eal_init(); not used by the port */
	const char *port;          /* device name ("net_tap0", "0000:3b:00.0"), a port id
				    * ("0"), or NULL / "" for the only port there is */
	uint16_t workers;          /* queue pairs wanted: one per worker, 1..DPDK_QUEUES_MAX */
	uint16_t rx_ring;          /* RX descriptors per queue (fitted to the device) */
	uint16_t tx_ring;          /* TX descriptors per queue (fitted to the device) */
	uint32_t mbufs_per_worker; /* mbufs in each worker's pool */
	uint16_t burst;            /* RX burst and TX batch size, 1..DPDK_BURST_MAX */
	uint16_t tx_retries;       /* extra tx_burst calls for what a flush could not send */
	bool paired_queues;        /* one queue per worker even without RSS (memif, ring) */
	const int *worker_cpus;    /* NULL, or the CPU of each worker (-1: any) for NUMA */
};

/* Per-queue state, written by its worker only. */
struct dpdk_queue {
	struct rte_mempool *pool; /* this worker's mbufs */
	uint64_t rx_pkts;
	int socket;               /* NUMA node of the pool and rings, or SOCKET_ID_ANY */
} __rte_cache_aligned;

struct dpdk_port {
	uint16_t port_id;
	uint16_t queues;     /* RX/TX queue pairs configured: workers, or 1 */
	uint16_t burst;
	uint16_t tx_retries;
	uint32_t cksum;      /* DPDK_CKSUM_* the device does for us */
	bool rss;            /* flows spread over the queues by the device's RSS */
	bool link_up;        /* last state seen by dpdk_port_link_poll() */
	uint32_t link_speed_mbps;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
	char driver[32];
	struct dpdk_queue q[]; /* queues entries */
};

/* Device counters (rte_eth_stats), for /metrics. */
struct dpdk_port_stats {
	uint64_t rx_pkts, tx_pkts;
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_missed;  /* dropped by the device: no RX descriptor free */
	uint64_t rx_errors, tx_errors;
	uint64_t rx_nombuf;  /* RX refill failed: pool empty */
};

/*
 * dpdk_port_open - configure and start the port @cfg names: queues, RSS,
 * checksum offloads, one mbuf pool per queue.
 * Returns 0 and *out (free it with dpdk_port_close()); -EINVAL for a bad
 * configuration (workers, burst, mbufs too few for the rings: the log names
 * the rule); -ENODEV when no such port exists (the log lists the ports
 * there are); -ENOMEM when a pool cannot be allocated (raise EAL -m or
 * reserve hugepages); or the driver's negative errno from configuring,
 * setting up queues or starting. Nothing is left open on error.
 */
int dpdk_port_open(const struct dpdk_cfg *cfg, struct dpdk_port **out);

/*
 * dpdk_port_close - stop and close the device and free its pools. Every
 * mbuf of its pools must be back (workers stopped, batches flushed).
 * It first waits for the EAL interrupt thread to finish a driver callback
 * in progress (memif handling its peer's departure races stop otherwise).
 * NULL is harmless.
 */
void dpdk_port_close(struct dpdk_port *p);

/*
 * dpdk_port_link_poll - read the link status without waiting; log a line
 * when it changed since the last call (link_up / link_down).
 * Returns true when the link is up.
 */
bool dpdk_port_link_poll(struct dpdk_port *p);

/*
 * dpdk_port_wait_link - poll the link every 10 ms until it is up, for at
 * most timeout_ms (start-up: memif needs its peer, a NIC autonegotiation).
 * Returns 0 when up, -ETIMEDOUT otherwise.
 */
int dpdk_port_wait_link(struct dpdk_port *p, uint32_t timeout_ms);

/* dpdk_port_stats - the device's counters. Returns 0 or a negative errno. */
int dpdk_port_stats(const struct dpdk_port *p, struct dpdk_port_stats *st);

/*
 * dpdk_rx - receive up to n (<= DPDK_BURST_MAX) frames from queue q into v.
 * Returns how many; the caller owns them (free or transmit each).
 */
static inline uint16_t dpdk_rx(struct dpdk_port *p, uint16_t q, struct rte_mbuf **v, uint16_t n)
{
	uint16_t got;

	DEBUG_BUG_ON(q >= p->queues || n > DPDK_BURST_MAX);
	got = rte_eth_rx_burst(p->port_id, q, v, n);
	p->q[q].rx_pkts += got;
	return got;
}

/* dpdk_port_pool - worker q's mbuf pool, to build frames to transmit. */
static inline struct rte_mempool *dpdk_port_pool(const struct dpdk_port *p, uint16_t q)
{
	return p->q[q].pool;
}

#endif
