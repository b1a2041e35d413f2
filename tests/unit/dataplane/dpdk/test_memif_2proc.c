/*
 * net_memif between two processes, the shape of the kernel-free benchmark
 * (columbad in one process, the DPDK load generator in another): a forked
 * server process with its own EAL echoes every frame back on the queue it
 * came in on; this process, the client (in the memory mode given as
 * argument), sends frames on two paired queues and checks every echo byte
 * for byte and in order. The server's verdict is its exit status.
 *
 * Shutdown is ordered: the server stops polling before the client closes.
 * memif (22.11) unmaps its rings on the interrupt thread when the peer
 * leaves, under an RX/TX burst that may be running: with the client
 * closing while the server polled, the server died in about 1 run of 60.
 *
 * Needs root; runs in the memory mode given as argument (nohuge / huge).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/clock.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/port.h"
#include "dataplane/dpdk/tx.h"
#include "dpdk_test.h"

#define QUEUES 2
#define FRAMES_PER_QUEUE 2000u
#define WINDOW 64u /* frames in flight per queue */

static char sock[64];
static int ready_pipe[2]; /* server -> client: "r" listening, "s" stopped polling */
static int done_pipe[2];  /* client -> server: "d" all echoes checked */
static pid_t server = -1;

static const struct dpdk_cfg port_cfg = {
	.port = "net_memif0", .workers = QUEUES, .rx_ring = 512, .tx_ring = 512,
	.mbufs_per_worker = 4096, .burst = 32, .tx_retries = 8, .paired_queues = true,
};

static size_t frame_len(uint32_t seq)
{
	return 60 + seq % 400;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The server process: echo until the client says it is done, then close
 * once the client has gone. Exit 0 when every frame went back. */
static int server_main(void)
{
	char args[256];
	struct dpdk_port *p;
	struct dpdk_txq t[QUEUES];
	uint64_t echoed = 0, deadline = clock_mono_ms() + 30000;

	/* Explicit MACs: rte_rand() is seeded in a constructor, before the
	 * fork, so both processes would draw the same "random" MAC. */
	snprintf(args, sizeof(args),
		 "-l 0 --no-pci --no-telemetry --no-huge --no-shconf -m 256 "
		 "--vdev=net_memif0,role=server,id=0,mac=02:00:00:00:00:01,socket-abstract=no,socket=%s",
		 sock);
	if (dpdk_eal_init(args) != 0 || dpdk_port_open(&port_cfg, &p) != 0)
		return 10;
	for (uint16_t q = 0; q < QUEUES; q++)
		dpdk_txq_init(&t[q], p, q);
	/* The listening socket exists since the EAL probed the device. */
	if (write(ready_pipe[1], "r", 1) != 1)
		return 11;
	for (;;) {
		struct pollfd pfd = { .fd = done_pipe[0], .events = POLLIN };

		if (poll(&pfd, 1, 0) == 1)
			break; /* the client has all its echoes */
		if (clock_mono_ms() > deadline)
			return 12;
		for (uint16_t q = 0; q < QUEUES; q++) {
			struct rte_mbuf *v[DPDK_BURST_MAX];
			uint16_t n = dpdk_rx(p, q, v, DPDK_BURST_MAX);

			/* Echo: the very mbufs go back out, on the same queue. */
			for (uint16_t i = 0; i < n; i++)
				dpdk_tx(&t[q], v[i]);
			dpdk_tx_flush(&t[q]);
			echoed += n;
		}
	}
	printf("dpdk-test: memif server echoed=%" PRIu64 " dropped=%" PRIu64 "+%" PRIu64 "\n",
	       echoed, t[0].dropped, t[1].dropped);
	fflush(stdout); /* the child leaves with _exit() */
	if (write(ready_pipe[1], "s", 1) != 1)
		return 14;
	/* No more bursts: now the client may go; close once it has gone. */
	while (dpdk_port_link_poll(p)) {
		if (clock_mono_ms() > deadline)
			return 15;
		sleep_ms(5);
	}
	dpdk_port_close(p);
	dpdk_eal_fini();
	if (echoed != (uint64_t)QUEUES * FRAMES_PER_QUEUE || t[0].dropped || t[1].dropped)
		return 13;
	return 0;
}

static void test_echo_across_processes(void **state)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 1 };
	struct dpdk_cfg cfg = port_cfg;
	struct dpdk_port *p;
	struct dpdk_txq t[QUEUES];
	uint32_t sent[QUEUES] = { 0 }, got[QUEUES] = { 0 };
	uint64_t deadline;
	int status = -1;
	(void)state;

	assert_int_equal(dpdk_port_open(&cfg, &p), 0);
	assert_int_equal(p->mac.addr_bytes[5], 2);
	assert_int_equal(dpdk_port_wait_link(p, 5000), 0);
	for (uint16_t q = 0; q < QUEUES; q++) {
		struct rte_mbuf *v[DPDK_BURST_MAX];

		dpdk_txq_init(&t[q], p, q);
		/* The server can send only into buffers the client handed it,
		 * which happens inside the client's RX burst: poll once first. */
		assert_int_equal(dpdk_rx(p, q, v, DPDK_BURST_MAX), 0);
	}

	deadline = clock_mono_ms() + 20000;
	while (got[0] < FRAMES_PER_QUEUE || got[1] < FRAMES_PER_QUEUE) {
		assert_true(clock_mono_ms() < deadline);
		for (uint16_t q = 0; q < QUEUES; q++) {
			struct rte_mbuf *v[DPDK_BURST_MAX];
			uint16_t n;

			/* Keep a window of frames in flight on each queue. */
			while (sent[q] < FRAMES_PER_QUEUE && sent[q] - got[q] < WINDOW) {
				uint32_t seq = q * 1000000u + sent[q];
				struct rte_mbuf *m = rte_pktmbuf_alloc(dpdk_port_pool(p, q));
				uint8_t *d = m ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)frame_len(seq)) : NULL;

				assert_non_null(d);
				dt_frame(d, frame_len(seq), dst, p->mac.addr_bytes, seq);
				dpdk_tx(&t[q], m);
				sent[q]++;
			}
			dpdk_tx_flush(&t[q]);
			assert_int_equal(t[q].dropped, 0); /* the server polls: never full for long */
			n = dpdk_rx(p, q, v, DPDK_BURST_MAX);
			for (uint16_t i = 0; i < n; i++) {
				uint32_t seq = q * 1000000u + got[q];
				uint8_t want[512];
				size_t len = frame_len(seq);

				/* Same queue, same order, same bytes. */
				dt_frame(want, len, dst, p->mac.addr_bytes, seq);
				assert_int_equal(rte_pktmbuf_pkt_len(v[i]), len);
				assert_int_equal(v[i]->nb_segs, 1);
				assert_memory_equal(rte_pktmbuf_mtod(v[i], const uint8_t *), want, len);
				got[q]++;
			}
			rte_pktmbuf_free_bulk(v, n);
		}
	}
	printf("dpdk-test: memif client echoes=%u+%u mode=%s\n", got[0], got[1], dt_mode());
	/* Ordered shutdown (see the top of the file). */
	struct pollfd pfd = { .fd = ready_pipe[0], .events = POLLIN };
	char stopped = 0;

	assert_int_equal(write(done_pipe[1], "d", 1), 1);
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(read(ready_pipe[0], &stopped, 1), 1);
	assert_int_equal(stopped, 's');
	dpdk_port_close(p);

	deadline = clock_mono_ms() + 10000;
	while (waitpid(server, &status, WNOHANG) != server) {
		assert_true(clock_mono_ms() < deadline);
		sleep_ms(5);
	}
	server = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_across_processes),
	};
	struct pollfd pfd;
	char vdev[160], ready;
	int rc;

	snprintf(sock, sizeof(sock), "/tmp/columba-memif2-%d.sock", (int)getpid());
	if (geteuid() == 0) {
		/* Fork before any EAL exists: DPDK processes must not fork. */
		if (pipe(ready_pipe) != 0 || pipe(done_pipe) != 0)
			return 1;
		server = fork();
		if (server < 0)
			return 1;
		if (server == 0) {
			close(ready_pipe[0]);
			close(done_pipe[1]);
			_exit(server_main());
		}
		close(ready_pipe[1]);
		close(done_pipe[0]);
		pfd = (struct pollfd){ .fd = ready_pipe[0], .events = POLLIN };
		if (poll(&pfd, 1, 20000) != 1 || read(ready_pipe[0], &ready, 1) != 1) {
			fprintf(stderr, "dpdk-test: the memif server process did not come up\n");
			kill(server, SIGKILL);
			waitpid(server, NULL, 0);
			return 1;
		}
	}
	snprintf(vdev, sizeof(vdev),
		 "--vdev=net_memif0,role=client,id=0,mac=02:00:00:00:00:02,socket-abstract=no,socket=%s",
		 sock);
	rc = dt_start(argc, argv, vdev);
	if (rc == 0) {
		rc = cmocka_run_group_tests_name(dt_mode(), tests, NULL, NULL);
		dt_stop();
	}
	if (server > 0) { /* skipped, or the test failed before the server ended */
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	unlink(sock);
	return rc;
}
