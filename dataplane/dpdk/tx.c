#include "dataplane/dpdk/tx.h"

#include <string.h>

#include <rte_ethdev.h>

void dpdk_txq_init(struct dpdk_txq *t, const struct dpdk_port *p, uint16_t q)
{
	memset(t, 0, sizeof(*t));
	t->port_id = p->port_id;
	t->queue = q;
	t->burst = p->burst;
	t->retries = p->tx_retries;
}

uint16_t dpdk_tx_flush(struct dpdk_txq *t)
{
	uint16_t n = t->n, done;

	if (n == 0)
		return 0;
	t->bursts++;
	done = rte_eth_tx_burst(t->port_id, t->queue, t->pkts, n);
	for (uint16_t r = 0; done < n && r < t->retries; r++) {
		t->retried++;
		done += rte_eth_tx_burst(t->port_id, t->queue, t->pkts + done, n - done);
	}
	if (unlikely(done < n)) {
		rte_pktmbuf_free_bulk(t->pkts + done, n - done);
		t->dropped += n - done;
	}
	t->sent += done;
	t->n = 0;
	return done;
}
