/*
 * The port layer on net_memif, two ports back to back in one process (a
 * server and a client on one control socket, zero-copy off): the
 * kernel-free path a benchmark peer uses. Frames cross both ways on every
 * queue byte for byte, queue i of one side lands on queue i of the other
 * (paired queues without RSS), a 10,000-frame burst is accounted exactly,
 * checksums are left to software (memif offloads none), and the server
 * sees its link go down when the client goes away.
 *
 * Needs root; runs in the memory mode given as argument (nohuge / huge).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dataplane/dpdk/cksum.h"
#include "dataplane/dpdk/port.h"
#include "dataplane/dpdk/tx.h"
#include "dpdk_test.h"

#define WORKERS 2
#define BURST_FRAMES 10000u

static struct dpdk_port *srv, *cli;

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct rte_mbuf *mbuf_from(struct dpdk_port *p, uint16_t q, const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpdk_port_pool(p, q));

	assert_non_null(m);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);

	assert_non_null(d);
	memcpy(d, frame, len);
	return m;
}

/* Wait up to timeout_ms for one frame on queue q of p; NULL if none came. */
static struct rte_mbuf *recv_one(struct dpdk_port *p, uint16_t q, unsigned timeout_ms)
{
	struct rte_mbuf *m;

	for (unsigned waited = 0; waited <= timeout_ms; waited++) {
		if (dpdk_rx(p, q, &m, 1) == 1)
			return m;
		sleep_ms(1);
	}
	return NULL;
}

/* Nothing more arrives on any queue of p. */
static void assert_quiet(struct dpdk_port *p)
{
	struct rte_mbuf *v[DPDK_BURST_MAX];

	sleep_ms(5);
	for (uint16_t q = 0; q < p->queues; q++)
		assert_int_equal(dpdk_rx(p, q, v, DPDK_BURST_MAX), 0);
}

static void test_open(void **state)
{
	(void)state;
	assert_int_equal(srv->queues, WORKERS);
	assert_int_equal(cli->queues, WORKERS);
	assert_false(srv->rss);
	assert_true(srv->link_up && cli->link_up);
	assert_int_equal(srv->cksum, 0);
	/* Without offloads the stack computes both checksums itself. */
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpdk_port_pool(srv, 0));

	assert_non_null(rte_pktmbuf_append(m, 60));
	assert_int_equal(dpdk_tx_cksum_ipv4_tcp(srv, m, 14, 20),
			 DPDK_CKSUM_TX_IPV4 | DPDK_CKSUM_TX_TCP);
	assert_int_equal(m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK), 0);
	rte_pktmbuf_free(m);
}

static void cross(struct dpdk_port *from, struct dpdk_port *to, uint32_t seq0)
{
	static const size_t sizes[] = { 60, 64, 128, 777, 1514 };

	for (uint16_t q = 0; q < from->queues; q++) {
		struct dpdk_txq t;

		dpdk_txq_init(&t, from, q);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint8_t frame[1514];
			uint32_t seq = seq0 + q * 100u + (uint32_t)i;
			struct rte_mbuf *m;

			dt_frame(frame, sizes[i], to->mac.addr_bytes, from->mac.addr_bytes, seq);
			dpdk_tx(&t, mbuf_from(from, q, frame, sizes[i]));
			assert_int_equal(dpdk_tx_flush(&t), 1);
			m = recv_one(to, q, 2000); /* the same queue on the other side */
			assert_non_null(m);
			assert_int_equal(rte_pktmbuf_pkt_len(m), sizes[i]);
			assert_int_equal(m->nb_segs, 1);
			assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), frame, sizes[i]);
			rte_pktmbuf_free(m);
		}
		assert_int_equal(t.sent, sizeof(sizes) / sizeof(sizes[0]));
		assert_quiet(to);
	}
}

static void test_server_to_client(void **state)
{
	(void)state;
	cross(srv, cli, 1000);
}

static void test_client_to_server(void **state)
{
	(void)state;
	cross(cli, srv, 5000);
}

static void test_burst_10000(void **state)
{
	struct dpdk_txq t;
	unsigned received = 0;
	(void)state;

	dpdk_txq_init(&t, cli, 1);
	for (uint32_t seq = 0; seq < BURST_FRAMES; seq++) {
		uint8_t frame[128];
		size_t len = 64 + seq % 64;

		dt_frame(frame, len, srv->mac.addr_bytes, cli->mac.addr_bytes, seq);
		dpdk_tx(&t, mbuf_from(cli, 1, frame, len));
		if (t.n != 0 && seq + 1 < BURST_FRAMES)
			continue;
		dpdk_tx_flush(&t);
		/* A frame the client dropped leaves a gap in the sequence. */
		for (;;) {
			struct rte_mbuf *v[DPDK_BURST_MAX];
			uint16_t n = dpdk_rx(srv, 1, v, DPDK_BURST_MAX);

			if (n == 0)
				break;
			for (uint16_t i = 0; i < n; i++) {
				const uint8_t *d = rte_pktmbuf_mtod(v[i], const uint8_t *);
				uint32_t got = (uint32_t)d[14] << 24 | (uint32_t)d[15] << 16 |
					       (uint32_t)d[16] << 8 | d[17];
				uint8_t want[128];

				assert_int_equal(got, received + t.dropped);
				assert_int_equal(rte_pktmbuf_pkt_len(v[i]), 64 + got % 64);
				dt_frame(want, 64 + got % 64, srv->mac.addr_bytes,
					 cli->mac.addr_bytes, got);
				assert_memory_equal(d, want, 64 + got % 64);
				rte_pktmbuf_free(v[i]);
				received++;
			}
		}
	}
	printf("dpdk-test: memif burst sent=%" PRIu64 " dropped=%" PRIu64 " retried=%" PRIu64 " received=%u mode=%s\n",
	       t.sent, t.dropped, t.retried, received, dt_mode());
	assert_int_equal(t.sent + t.dropped, BURST_FRAMES);
	assert_int_equal(received, t.sent);
	assert_quiet(srv);
	assert_int_equal(rte_mempool_in_use_count(dpdk_port_pool(cli, 1)), 0);
	assert_int_equal(rte_mempool_in_use_count(dpdk_port_pool(srv, 1)), 0);
}

static void test_peer_gone(void **state)
{
	(void)state;
	dpdk_port_close(cli);
	cli = NULL;
	for (int i = 0; i < 500 && dpdk_port_link_poll(srv); i++)
		sleep_ms(10);
	assert_false(srv->link_up);
}

static int group_setup(void **state)
{
	struct dpdk_cfg cfg = {
		.workers = WORKERS, .rx_ring = 1024, .tx_ring = 1024, .mbufs_per_worker = 8192,
		.burst = 32, .tx_retries = 8, .paired_queues = true,
	};
	(void)state;

	cfg.port = "net_memif0";
	if (dpdk_port_open(&cfg, &srv) != 0)
		return -1;
	cfg.port = "net_memif1";
	if (dpdk_port_open(&cfg, &cli) != 0)
		return -1;
	if (dpdk_port_wait_link(srv, 5000) || dpdk_port_wait_link(cli, 5000))
		return -1;
	/* The client (memif "slave") owns the shared buffers and hands the
	 * server its receive buffers inside its RX burst: until the client
	 * has polled each queue once, the server has nowhere to send. A
	 * worker polls from the start; the test does it here. */
	for (uint16_t q = 0; q < cli->queues; q++) {
		struct rte_mbuf *v[DPDK_BURST_MAX];

		if (dpdk_rx(cli, q, v, DPDK_BURST_MAX) != 0)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dpdk_port_close(cli);
	dpdk_port_close(srv);
	return 0;
}

int main(int argc, char **argv)
{
	char sock[64], vdevs[384];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_server_to_client),
		cmocka_unit_test(test_client_to_server),
		cmocka_unit_test(test_burst_10000),
		cmocka_unit_test(test_peer_gone),
	};
	int rc;

	snprintf(sock, sizeof(sock), "/tmp/columba-memif-%d.sock", (int)getpid());
	snprintf(vdevs, sizeof(vdevs),
		 "--vdev=net_memif0,role=server,id=0,socket=%s "
		 "--vdev=net_memif1,role=client,id=0,socket=%s", sock, sock);
	rc = dt_start(argc, argv, vdevs);
	if (rc)
		return rc;
	rc = cmocka_run_group_tests_name(dt_mode(), tests, group_setup, group_teardown);
	dt_stop();
	unlink(sock);
	return rc;
}
