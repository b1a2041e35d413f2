/*
 * A worker's TX batch on one queue: frames are collected and handed to the
 * device a burst at a time (DPDK l3fwd's pattern). A full batch flushes at
 * once; the worker loop flushes what is left at the end of each turn, so no
 * frame waits longer than one loop turn.
 *
 * A flush offers the frames to rte_eth_tx_burst(); what the device did not
 * take (its TX ring is full) is offered again at most tx_retries times, then
 * freed and counted as dropped: a worker never spins on a stuck device. TCP
 * retransmits what was lost.
 *
 * One batch per worker and queue, used by that worker only.
 */
#ifndef COLUMBA_DATAPLANE_DPDK_TX_H
#define COLUMBA_DATAPLANE_DPDK_TX_H

#include <stdint.h>

#include "dataplane/dpdk/port.h" /* base/compiler.h first, then DPDK */

#include <rte_mbuf.h>

struct dpdk_txq {
	uint16_t port_id;
	uint16_t queue;
	uint16_t n;       /* frames waiting in pkts */
	uint16_t burst;   /* flush when n reaches it */
	uint16_t retries; /* extra tx_burst calls per flush */
	uint64_t bursts;  /* flushes that had frames to send */
	uint64_t sent;    /* frames the device took */
	uint64_t dropped; /* frames freed after the retries ran out */
	uint64_t retried; /* tx_burst calls beyond the first, over all flushes */
	struct rte_mbuf *pkts[DPDK_BURST_MAX];
} __rte_cache_aligned;

/* dpdk_txq_init - an empty batch for queue q of p (burst and retries from p). */
void dpdk_txq_init(struct dpdk_txq *t, const struct dpdk_port *p, uint16_t q);

/*
 * dpdk_tx_flush - hand every waiting frame to the device.
 * Returns the number the device took this time; the rest (if any) were
 * freed and added to t->dropped. The batch is empty afterwards.
 */
uint16_t dpdk_tx_flush(struct dpdk_txq *t);

/*
 * dpdk_tx - queue frame m (ownership passes to the batch); flushes when the
 * batch is full.
 */
static inline void dpdk_tx(struct dpdk_txq *t, struct rte_mbuf *m)
{
	DEBUG_BUG_ON(t->n >= t->burst);
	t->pkts[t->n++] = m;
	if (unlikely(t->n >= t->burst))
		dpdk_tx_flush(t);
}

#endif
