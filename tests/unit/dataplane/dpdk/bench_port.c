/*
 * Packets per second through the port layer (dpdk_rx, the TX batch), 64-byte
 * frames, burst 32, for about a second each:
 *   memif   client thread transmits, server thread receives and frees, each
 *           polling on its own CPU (the kernel-free benchmark peer's path);
 *   memif_1thread  the same, one thread alternating transmit and receive;
 *   ring    one thread, transmit then receive on a net_ring loopback (the
 *           port layer's own cost, no driver work to speak of);
 *   tap     one thread transmitting into the kernel (which discards it).
 * Prints one line per case; asserts nothing (STYLE.md: benchmarks measure).
 * Needs root; exits 77 otherwise. Usage: bench_dpdk_port [seconds]
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/port.h"
#include "dataplane/dpdk/tx.h"
#include "dpdk_test.h"

#define FRAME 64u

static double seconds = 1.0;
static _Atomic bool stop;

struct side {
	struct dpdk_port *p;
	int cpu;
	uint64_t pkts, dropped;
};

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Fill a burst of fresh mbufs with 64-byte frames and queue them. */
static int tx_burst(struct dpdk_port *p, struct dpdk_txq *t, uint64_t *seq)
{
	struct rte_mbuf *v[DPDK_BURST_MAX];

	if (rte_pktmbuf_alloc_bulk(dpdk_port_pool(p, 0), v, p->burst) != 0)
		return -1;
	for (uint16_t i = 0; i < p->burst; i++) {
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(v[i], FRAME);

		if (!d) { /* cannot happen with default-sized mbufs */
			rte_pktmbuf_free_bulk(v + i, p->burst - i);
			return -1;
		}
		memset(d, 0xff, 6);
		memcpy(d + 6, p->mac.addr_bytes, 6);
		d[12] = DT_ETHERTYPE >> 8;
		d[13] = DT_ETHERTYPE & 0xff;
		memcpy(d + 14, seq, sizeof(*seq));
		(*seq)++;
		dpdk_tx(t, v[i]);
	}
	return 0;
}

static void *tx_main(void *arg)
{
	struct side *s = arg;
	struct dpdk_txq t;
	uint64_t seq = 0;

	pin(s->cpu);
	dpdk_thread_register();
	dpdk_txq_init(&t, s->p, 0);
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		tx_burst(s->p, &t, &seq);
	dpdk_tx_flush(&t);
	s->pkts = t.sent;
	s->dropped = t.dropped;
	dpdk_thread_unregister();
	return NULL;
}

static void *rx_main(void *arg)
{
	struct side *s = arg;
	struct rte_mbuf *v[DPDK_BURST_MAX];

	pin(s->cpu);
	dpdk_thread_register();
	for (;;) {
		uint16_t n = dpdk_rx(s->p, 0, v, s->p->burst);

		if (n) {
			rte_pktmbuf_free_bulk(v, n);
			s->pkts += n;
		} else if (atomic_load_explicit(&stop, memory_order_relaxed)) {
			break;
		}
	}
	dpdk_thread_unregister();
	return NULL;
}

static void run_for(void)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 1000 * 1000 };
	uint64_t end = clock_mono_ns() + (uint64_t)(seconds * 1e9);

	while (clock_mono_ns() < end) /* nanosleep returns early on signals */
		nanosleep(&tick, NULL);
	atomic_store(&stop, true);
}

static void bench_memif(struct dpdk_port *srv, struct dpdk_port *cli, long ncpu)
{
	struct side tx = { .p = cli, .cpu = 0 }, rx = { .p = srv, .cpu = ncpu > 1 ? 1 : 0 };
	pthread_t a, b;
	uint64_t t0 = clock_mono_ns();

	atomic_store(&stop, false);
	pthread_create(&b, NULL, rx_main, &rx);
	pthread_create(&a, NULL, tx_main, &tx);
	run_for();
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	double s = (double)(clock_mono_ns() - t0) / 1e9;

	printf("bench: case=memif_2threads frame=%u burst=%u tx_mpps=%.2f rx_mpps=%.2f tx_dropped=%" PRIu64 " seconds=%.2f\n",
	       FRAME, cli->burst, (double)tx.pkts / s / 1e6, (double)rx.pkts / s / 1e6, tx.dropped, s);
}

/* One thread: a burst out of from, then a burst in on to (to == from: loopback). */
static void bench_1thread(const char *name, struct dpdk_port *from, struct dpdk_port *to)
{
	struct rte_mbuf *v[DPDK_BURST_MAX];
	struct dpdk_txq t;
	uint64_t seq = 0, got = 0, t0 = clock_mono_ns(), end = t0 + (uint64_t)(seconds * 1e9);

	dpdk_txq_init(&t, from, 0);
	while (clock_mono_ns() < end) {
		for (int k = 0; k < 64; k++) {
			tx_burst(from, &t, &seq);
			dpdk_tx_flush(&t);
			uint16_t n = dpdk_rx(to, 0, v, to->burst);

			rte_pktmbuf_free_bulk(v, n);
			got += n;
		}
	}
	double s = (double)(clock_mono_ns() - t0) / 1e9;

	printf("bench: case=%s frame=%u burst=%u mpps=%.2f dropped=%" PRIu64 " seconds=%.2f\n",
	       name, FRAME, from->burst, (double)got / s / 1e6, t.dropped, s);
}

static void bench_tap(struct dpdk_port *p)
{
	struct dpdk_txq t;
	uint64_t seq = 0, t0 = clock_mono_ns(), end = t0 + (uint64_t)(seconds * 1e9);

	dpdk_txq_init(&t, p, 0);
	while (clock_mono_ns() < end)
		for (int k = 0; k < 16; k++)
			tx_burst(p, &t, &seq);
	dpdk_tx_flush(&t);
	double s = (double)(clock_mono_ns() - t0) / 1e9;

	printf("bench: case=tap_tx_to_kernel frame=%u burst=%u mpps=%.3f dropped=%" PRIu64 " seconds=%.2f\n",
	       FRAME, p->burst, (double)t.sent / s / 1e6, t.dropped, s);
}

int main(int argc, char **argv)
{
	char sock[64], vdevs[512], ifname[16];
	char *dt_argv[] = { argv[0], (char *)"nohuge", NULL };
	struct dpdk_cfg cfg = { .workers = 1, .rx_ring = 1024, .tx_ring = 1024,
				.mbufs_per_worker = 16384, .burst = 32, .tx_retries = 0 };
	struct dpdk_port *srv, *cli, *ring, *tap;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	if (argc > 1)
		seconds = atof(argv[1]);
	if (seconds <= 0 || seconds > 60)
		seconds = 1.0;
	snprintf(sock, sizeof(sock), "/tmp/columba-bench-memif-%d.sock", (int)getpid());
	snprintf(ifname, sizeof(ifname), "cbb%u", (unsigned)getpid() % 1000000u);
	snprintf(vdevs, sizeof(vdevs),
		 "--vdev=net_memif0,role=server,id=0,socket=%s "
		 "--vdev=net_memif1,role=client,id=0,socket=%s --vdev=net_ring0 "
		 "--vdev=net_tap0,iface=%s", sock, sock, ifname);
	rc = dt_start(2, dt_argv, vdevs);
	if (rc)
		return rc;
	cfg.port = "net_memif0";
	if (dpdk_port_open(&cfg, &srv))
		return 1;
	cfg.port = "net_memif1";
	if (dpdk_port_open(&cfg, &cli))
		return 1;
	cfg.port = "net_ring0";
	if (dpdk_port_open(&cfg, &ring))
		return 1;
	cfg.port = "net_tap0";
	if (dpdk_port_open(&cfg, &tap))
		return 1;
	if (dpdk_port_wait_link(srv, 5000) || dpdk_port_wait_link(cli, 5000))
		return 1;
	dt_sh("ip link set dev %s up", ifname);

	bench_memif(srv, cli, ncpu);
	bench_1thread("memif_1thread", cli, srv);
	bench_1thread("ring_loopback_1thread", ring, ring);
	bench_tap(tap);

	dpdk_port_close(tap);
	dpdk_port_close(ring);
	dpdk_port_close(cli);
	dpdk_port_close(srv);
	dt_stop();
	unlink(sock);
	return 0;
}
