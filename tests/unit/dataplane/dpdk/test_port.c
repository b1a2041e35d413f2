/*
 * dataplane/dpdk/port.c and tx.c on net_ring devices (each queue's TX ring
 * is its own RX ring: a loopback with a fixed 1023-frame capacity, so a
 * full device is reproducible): configuration errors and what they leave
 * behind, the queue plan without RSS (single, or paired on request), burst
 * RX per queue, exact drop and retry accounting when the device is full,
 * port lookup by id, and non-EAL worker threads getting an lcore id.
 *
 * Needs root (the EAL); no-huge only — the tap and memif tests cover
 * hugepages.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/port.h"
#include "dataplane/dpdk/tx.h"
#include "dpdk_test.h"

#define RING_CAPACITY 1023u /* net_ring: rte_ring of 1024 slots */

static const struct dpdk_cfg base = {
	.port = "net_ring0", .workers = 2, .rx_ring = 256, .tx_ring = 256,
	.mbufs_per_worker = 4096, .burst = 32, .tx_retries = 0,
};

static struct rte_mbuf *frame_mbuf(struct dpdk_port *p, uint16_t q, uint32_t seq, size_t len)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 1 };
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpdk_port_pool(p, q));

	assert_non_null(m);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);

	assert_non_null(d);
	dt_frame(d, len, dst, p->mac.addr_bytes, seq);
	return m;
}

static void expect_open_error(const struct dpdk_cfg *cfg, int err)
{
	struct dpdk_port *p = (struct dpdk_port *)&p; /* must be reset to NULL */

	assert_int_equal(dpdk_port_open(cfg, &p), err);
	assert_null(p);
}

static void test_cfg_errors(void **state)
{
	struct dpdk_cfg c;
	struct dpdk_port *p;
	(void)state;

	c = base; c.workers = 0;
	expect_open_error(&c, -EINVAL);
	c = base; c.workers = DPDK_QUEUES_MAX + 1;
	expect_open_error(&c, -EINVAL);
	c = base; c.burst = 0;
	expect_open_error(&c, -EINVAL);
	c = base; c.burst = DPDK_BURST_MAX + 1;
	expect_open_error(&c, -EINVAL);
	c = base; c.rx_ring = 0;
	expect_open_error(&c, -EINVAL);
	c = base; c.mbufs_per_worker = 256 + 256 + 64; /* no room for the cache */
	expect_open_error(&c, -EINVAL);
	c = base; c.port = "net_nope0";
	expect_open_error(&c, -ENODEV);
	c = base; c.port = "77";
	expect_open_error(&c, -ENODEV);
	c = base; c.port = ""; /* three ports: which one? */
	expect_open_error(&c, -ENODEV);
	c = base; c.port = NULL;
	expect_open_error(&c, -ENODEV);

	/* None of that cost the device: it still opens. Two workers, no RSS,
	 * no pairing asked: one queue. */
	assert_int_equal(dpdk_port_open(&base, &p), 0);
	assert_int_equal(p->queues, 1);
	assert_false(p->rss);
	assert_int_equal(p->cksum, 0);
	assert_true(p->link_up);
	dpdk_port_close(p);
	dpdk_port_close(NULL);
}

static void test_paired_loopback(void **state)
{
	const int cpus[2] = { 0, -1 };
	struct dpdk_cfg c = base;
	struct dpdk_port_stats st;
	struct dpdk_port *p;
	(void)state;

	c.port = "net_ring1";
	c.paired_queues = true;
	c.worker_cpus = cpus;
	assert_int_equal(dpdk_port_open(&c, &p), 0);
	assert_int_equal(p->queues, 2);
	assert_false(p->rss);
	assert_true(p->q[0].socket >= 0); /* CPU 0's node, from sysfs */

	for (uint16_t q = 0; q < p->queues; q++) {
		struct dpdk_txq t;
		struct rte_mbuf *v[DPDK_BURST_MAX];
		uint8_t want[300];

		dpdk_txq_init(&t, p, q);
		for (uint32_t i = 0; i < 5; i++)
			dpdk_tx(&t, frame_mbuf(p, q, q * 10 + i, 60 + 50 * i));
		assert_int_equal(t.n, 5);
		assert_int_equal(dpdk_tx_flush(&t), 5);
		assert_int_equal(dpdk_tx_flush(&t), 0); /* empty: nothing to do */
		assert_int_equal(dpdk_rx(p, q, v, DPDK_BURST_MAX), 5);
		for (uint32_t i = 0; i < 5; i++) {
			static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 1 };

			dt_frame(want, 60 + 50 * i, dst, p->mac.addr_bytes, q * 10 + i);
			assert_int_equal(rte_pktmbuf_pkt_len(v[i]), 60 + 50 * i);
			assert_memory_equal(rte_pktmbuf_mtod(v[i], uint8_t *), want, 60 + 50 * i);
		}
		rte_pktmbuf_free_bulk(v, 5);
		assert_int_equal(p->q[q].rx_pkts, 5);
	}
	assert_int_equal(dpdk_port_stats(p, &st), 0);
	assert_int_equal(st.tx_pkts, 10);
	assert_int_equal(st.rx_pkts, 10);
	dpdk_port_close(p);
}

static void test_full_device(void **state)
{
	struct dpdk_cfg c = base;
	struct dpdk_port *p;
	struct dpdk_txq t;
	const uint32_t total = RING_CAPACITY + 77;
	uint32_t received = 0;
	(void)state;

	c.port = "net_ring2";
	c.workers = 1;
	c.tx_retries = 3;
	assert_int_equal(dpdk_port_open(&c, &p), 0);
	dpdk_txq_init(&t, p, 0);
	assert_int_equal(t.retries, 3);
	/* Nobody receives: the ring fills, the rest is retried then dropped. */
	for (uint32_t i = 0; i < total; i++)
		dpdk_tx(&t, frame_mbuf(p, 0, i, 64));
	dpdk_tx_flush(&t);
	printf("dpdk-test: ring full sent=%" PRIu64 " dropped=%" PRIu64 " retried=%" PRIu64 "\n",
	       t.sent, t.dropped, t.retried);
	assert_int_equal(t.sent, RING_CAPACITY);
	assert_int_equal(t.dropped, total - RING_CAPACITY);
	/* Flushes after the ring filled each tried 1 + 3 times. */
	assert_true(t.retried >= 3 * ((total - RING_CAPACITY) / c.burst));
	for (;;) {
		struct rte_mbuf *v[DPDK_BURST_MAX];
		uint16_t n = dpdk_rx(p, 0, v, DPDK_BURST_MAX);

		if (n == 0)
			break;
		for (uint16_t i = 0; i < n; i++) {
			const uint8_t *d = rte_pktmbuf_mtod(v[i], const uint8_t *);

			/* The first RING_CAPACITY frames, in order. */
			assert_int_equal(d[17] | d[16] << 8, received & 0xffff);
			received++;
		}
		rte_pktmbuf_free_bulk(v, n);
	}
	assert_int_equal(received, t.sent);
	/* Dropped frames went back to the pool: nothing leaked. */
	assert_int_equal(rte_mempool_in_use_count(dpdk_port_pool(p, 0)), 0);
	dpdk_port_close(p);
}

static void *worker_thread(void *arg)
{
	struct dpdk_port *p = arg;
	struct rte_mbuf *m;
	intptr_t ok;

	if (rte_lcore_id() != LCORE_ID_ANY)
		return (void *)0;
	ok = dpdk_thread_register() == 0 && rte_lcore_id() != LCORE_ID_ANY &&
	     dpdk_thread_register() == 0; /* twice is harmless */
	m = rte_pktmbuf_alloc(dpdk_port_pool(p, 0));
	ok = ok && m;
	rte_pktmbuf_free(m);
	/* The pool's per-lcore cache of this thread now holds the mbuf. */
	ok = ok && rte_mempool_default_cache(dpdk_port_pool(p, 0), rte_lcore_id()) != NULL;
	dpdk_thread_unregister();
	ok = ok && rte_lcore_id() == LCORE_ID_ANY;
	return (void *)ok;
}

static void test_by_id_and_threads(void **state)
{
	struct dpdk_cfg c = base;
	struct dpdk_port *p;
	uint16_t id;
	char idstr[8];
	pthread_t th;
	void *ok;
	(void)state;

	assert_int_equal(rte_eth_dev_get_port_by_name("net_ring3", &id), 0);
	snprintf(idstr, sizeof(idstr), "%u", id);
	c.port = idstr;
	c.workers = 1;
	assert_int_equal(dpdk_port_open(&c, &p), 0);
	assert_int_equal(p->port_id, id);
	assert_string_equal(p->name, "net_ring3");
	assert_int_equal(dpdk_thread_register(), 0); /* the EAL's own thread */
	assert_int_equal(pthread_create(&th, NULL, worker_thread, p), 0);
	assert_int_equal(pthread_join(th, &ok), 0);
	assert_true(ok == (void *)1);
	dpdk_port_close(p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_errors),
		cmocka_unit_test(test_paired_loopback),
		cmocka_unit_test(test_full_device),
		cmocka_unit_test(test_by_id_and_threads),
	};
	int rc = dt_start(argc, argv,
			  "--vdev=net_ring0 --vdev=net_ring1 --vdev=net_ring2 --vdev=net_ring3");

	if (rc)
		return rc;
	rc = cmocka_run_group_tests_name(dt_mode(), tests, NULL, NULL);
	dt_stop();
	return rc;
}
