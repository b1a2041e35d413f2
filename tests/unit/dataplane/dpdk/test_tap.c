/*
 * The port layer on net_tap, against the real Linux kernel on the other
 * side: frames out of the port arrive on an AF_PACKET socket bound to the
 * tap interface byte for byte, frames the kernel sends arrive in an RX
 * burst byte for byte, a burst of 10,000 frames is accounted exactly
 * (received = sent - reported drops), checksum offloads do what the port
 * says they do, and a link going down and up is seen.
 *
 * Needs root; runs in the memory mode given as argument (nohuge / huge).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <cmocka.h>

#include "dataplane/dpdk/cksum.h"
#include "dataplane/dpdk/port.h"
#include "dataplane/dpdk/tx.h"
#include "dpdk_test.h"

#define WORKERS 2
#define BURST_FRAMES 10000u

static char ifname[16];
static unsigned subnet;
static struct dpdk_port *port;
static uint8_t kmac[6];

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct rte_mbuf *mbuf_from(uint16_t q, const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpdk_port_pool(port, q));

	assert_non_null(m);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);

	assert_non_null(d);
	memcpy(d, frame, len);
	return m;
}

/*
 * Read the next frame the port sent from fd, waiting up to timeout_ms.
 * Other traffic on the interface is skipped: the kernel's own frames
 * (outgoing, or multicast looped back) and anything not from the port's
 * MAC. Returns the frame's length, or 0 when none came.
 */
static size_t sock_recv(int fd, uint8_t *buf, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, size, 0, (struct sockaddr *)&from, &fl);

		if (n > 0) {
			if (from.sll_pkttype == PACKET_OUTGOING || from.sll_pkttype == PACKET_LOOPBACK ||
			    n < 14 || memcmp(buf + 6, port->mac.addr_bytes, 6) != 0)
				continue;
			return (size_t)n;
		}
		assert_true(n < 0 && (errno == EAGAIN || errno == EINTR));
		if (timeout_ms <= 0 || poll(&pfd, 1, timeout_ms) <= 0)
			return 0;
	}
}

/*
 * Poll every queue until the frame want (len bytes) arrives; any other
 * frame (the kernel's ARP, IGMP, multicast) is freed. Returns the mbuf, or
 * NULL if it did not come within timeout_ms — also what a corrupted copy
 * of want would give.
 */
static struct rte_mbuf *port_recv(const uint8_t *want, size_t len, unsigned timeout_ms)
{
	for (unsigned waited = 0; waited <= timeout_ms; waited++) {
		for (uint16_t q = 0; q < port->queues; q++) {
			struct rte_mbuf *v[DPDK_BURST_MAX], *found = NULL;
			uint16_t n = dpdk_rx(port, q, v, DPDK_BURST_MAX);

			for (uint16_t i = 0; i < n; i++) {
				if (!found && rte_pktmbuf_pkt_len(v[i]) == len && v[i]->nb_segs == 1 &&
				    !memcmp(rte_pktmbuf_mtod(v[i], const uint8_t *), want, len))
					found = v[i];
				else
					rte_pktmbuf_free(v[i]);
			}
			if (found)
				return found;
		}
		sleep_ms(1);
	}
	return NULL;
}

static void test_open(void **state)
{
	(void)state;
	assert_int_equal(port->queues, WORKERS);
	assert_true(port->rss);
	/* net_tap does all four in software in the PMD (22.11). */
	assert_int_equal(port->cksum, DPDK_CKSUM_RX_IPV4 | DPDK_CKSUM_RX_TCP |
				      DPDK_CKSUM_TX_IPV4 | DPDK_CKSUM_TX_TCP);
	assert_true(port->link_up);
	for (uint16_t q = 0; q < port->queues; q++)
		assert_non_null(dpdk_port_pool(port, q));
}

static void test_port_to_kernel(void **state)
{
	int fd = dt_packet_socket(ifname, DT_ETHERTYPE, 1 << 20);
	(void)state;

	for (uint16_t q = 0; q < port->queues; q++) {
		uint8_t frame[200], got[2048];
		struct dpdk_txq t;
		size_t n;

		dt_frame(frame, sizeof(frame), kmac, port->mac.addr_bytes, 1000u + q);
		dpdk_txq_init(&t, port, q);
		dpdk_tx(&t, mbuf_from(q, frame, sizeof(frame)));
		assert_int_equal(t.n, 1); /* waits for a full burst or a flush */
		assert_int_equal(dpdk_tx_flush(&t), 1);
		assert_int_equal(t.sent, 1);
		assert_int_equal(t.dropped, 0);
		n = sock_recv(fd, got, sizeof(got), 2000);
		assert_int_equal(n, sizeof(frame));
		assert_memory_equal(got, frame, sizeof(frame));
	}
	close(fd);
}

static void test_kernel_to_port(void **state)
{
	int fd = dt_packet_socket(ifname, DT_ETHERTYPE, 1 << 20);
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = dt_ifindex(ifname),
				  .sll_halen = 6 };
	(void)state;

	memcpy(to.sll_addr, port->mac.addr_bytes, 6);
	for (unsigned i = 0; i < 8; i++) {
		uint8_t frame[1514];
		size_t len = 60 + 97 * i; /* minimum to 739 bytes */
		struct rte_mbuf *m;

		dt_frame(frame, len, port->mac.addr_bytes, kmac, 2000u + i);
		assert_int_equal(sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)len);
		m = port_recv(frame, len, 2000); /* byte for byte, or NULL */
		assert_non_null(m);
		rte_pktmbuf_free(m);
	}
	close(fd);
}

/* Drain whatever is queued on fd, checking order and bytes; returns frames read. */
static unsigned drain(int fd, unsigned next_seq, int timeout_ms)
{
	uint8_t got[2048], want[2048];
	unsigned n = 0;
	size_t len;

	while ((len = sock_recv(fd, got, sizeof(got), timeout_ms)) > 0) {
		uint32_t seq = (uint32_t)got[14] << 24 | (uint32_t)got[15] << 16 |
			       (uint32_t)got[16] << 8 | got[17];

		assert_int_equal(seq, next_seq + n);
		assert_int_equal(len, 64 + seq % 64);
		dt_frame(want, len, kmac, port->mac.addr_bytes, seq);
		assert_memory_equal(got, want, len);
		n++;
	}
	return n;
}

static void test_burst_10000(void **state)
{
	int fd = dt_packet_socket(ifname, DT_ETHERTYPE, 32 << 20);
	struct dpdk_txq t;
	unsigned received = 0;
	(void)state;

	dt_kernel_drops(fd);
	dpdk_txq_init(&t, port, 0);
	for (uint32_t seq = 0; seq < BURST_FRAMES; seq++) {
		uint8_t frame[128];
		size_t len = 64 + seq % 64;

		dt_frame(frame, len, kmac, port->mac.addr_bytes, seq);
		dpdk_tx(&t, mbuf_from(0, frame, len));
		if (t.n == 0) /* a full batch went out */
			received += drain(fd, received, 0);
	}
	dpdk_tx_flush(&t);
	received += drain(fd, received, 500);

	printf("dpdk-test: tap burst sent=%" PRIu64 " dropped=%" PRIu64 " retried=%" PRIu64 " received=%u mode=%s\n",
	       t.sent, t.dropped, t.retried, received, dt_mode());
	assert_int_equal(t.sent + t.dropped, BURST_FRAMES);
	assert_int_equal(dt_kernel_drops(fd), 0);
	/* Frames the port dropped never reach the kernel; drain() checked
	 * the sequence, so a drop inside the run would fail there. */
	assert_int_equal(received, t.sent);
	close(fd);
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* True when the IPv4 header and the TCP checksum of frame are right. */
static bool ip_ok(const uint8_t *f)
{
	return csum_fold(csum_add(0, f + 14, 20)) == 0xffff;
}

static bool tcp_ok(const uint8_t *f, size_t len)
{
	uint32_t sum = csum_add(0, f + 26, 8); /* source and destination addresses */

	sum += 6 + (uint32_t)(len - 34);
	return csum_fold(csum_add(sum, f + 34, len - 34)) == 0xffff;
}

/* An IPv4/TCP SYN of len bytes from .2 to .1 port 9, checksums filled or zero. */
static void tcp_frame(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6],
		      uint32_t sip, uint32_t dip, bool fill)
{
	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)((len - 14) >> 8);
	f[17] = (uint8_t)(len - 14);
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, &sip, 4);
	memcpy(f + 30, &dip, 4);
	f[34] = 0x9c; f[35] = 0x40;  /* source port 40000 */
	f[37] = 9;                    /* discard */
	f[41] = 1;                    /* seq 1 */
	f[46] = 0x50 | 0;             /* data offset 5 */
	f[47] = 0x02;                 /* SYN */
	f[48] = 0xff; f[49] = 0xff;   /* window */
	for (size_t i = 54; i < len; i++)
		f[i] = (uint8_t)i;
	if (fill) {
		uint16_t c = (uint16_t)~csum_fold(csum_add(0, f + 14, 20));

		f[24] = (uint8_t)(c >> 8);
		f[25] = (uint8_t)c;
		uint32_t sum = csum_add(0, f + 26, 8) + 6 + (uint32_t)(len - 34);

		c = (uint16_t)~csum_fold(csum_add(sum, f + 34, len - 34));
		f[50] = (uint8_t)(c >> 8);
		f[51] = (uint8_t)c;
	}
}

static void test_tx_cksum_offload(void **state)
{
	int fd = dt_packet_socket(ifname, ETH_P_IP, 1 << 20);
	uint32_t sip = htonl(0x0ac70002 | subnet << 8), dip = htonl(0x0ac70001 | subnet << 8);
	uint8_t frame[120], got[2048];
	struct dpdk_txq t;
	size_t n;
	(void)state;

	tcp_frame(frame, sizeof(frame), kmac, port->mac.addr_bytes, sip, dip, false);
	assert_false(ip_ok(frame));
	struct rte_mbuf *m = mbuf_from(0, frame, sizeof(frame));

	assert_int_equal(dpdk_tx_cksum_ipv4_tcp(port, m, 14, 20), 0);
	dpdk_txq_init(&t, port, 0);
	dpdk_tx(&t, m);
	assert_int_equal(dpdk_tx_flush(&t), 1);
	n = sock_recv(fd, got, sizeof(got), 2000);
	assert_int_equal(n, sizeof(frame));
	assert_true(ip_ok(got));
	assert_true(tcp_ok(got, n));
	/* Everything but the checksums is what we sent. */
	memcpy(got + 24, frame + 24, 2);
	memcpy(got + 50, frame + 50, 2);
	assert_memory_equal(got, frame, sizeof(frame));
	close(fd);
}

static void test_rx_cksum_flags(void **state)
{
	int fd = dt_packet_socket(ifname, ETH_P_IP, 1 << 20);
	uint32_t sip = htonl(0x0ac70001 | subnet << 8), dip = htonl(0x0ac70002 | subnet << 8);
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = dt_ifindex(ifname),
				  .sll_halen = 6 };
	static const struct { int corrupt; enum dpdk_cksum_state ip, l4; } cases[] = {
		{ 0, DPDK_CKSUM_GOOD, DPDK_CKSUM_GOOD },
		{ 51, DPDK_CKSUM_GOOD, DPDK_CKSUM_BAD },  /* TCP checksum byte */
		{ 25, DPDK_CKSUM_BAD, DPDK_CKSUM_UNKNOWN }, /* IPv4 checksum byte */
	};
	(void)state;

	memcpy(to.sll_addr, port->mac.addr_bytes, 6);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t frame[100];
		struct rte_mbuf *m;

		tcp_frame(frame, sizeof(frame), port->mac.addr_bytes, kmac, sip, dip, true);
		assert_true(ip_ok(frame) && tcp_ok(frame, sizeof(frame)));
		if (cases[i].corrupt)
			frame[cases[i].corrupt] ^= 0x5a;
		assert_int_equal(sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&to,
					sizeof(to)), (ssize_t)sizeof(frame));
		m = port_recv(frame, sizeof(frame), 2000);
		assert_non_null(m);
		assert_int_equal(dpdk_rx_ip_cksum(m), cases[i].ip);
		if (cases[i].l4 != DPDK_CKSUM_UNKNOWN)
			assert_int_equal(dpdk_rx_l4_cksum(m), cases[i].l4);
		rte_pktmbuf_free(m);
	}
	close(fd);
}

static void test_link_change(void **state)
{
	(void)state;
	dt_sh("ip link set dev %s down", ifname);
	for (int i = 0; i < 200 && dpdk_port_link_poll(port); i++)
		sleep_ms(10);
	assert_false(port->link_up);
	dt_sh("ip link set dev %s up", ifname);
	assert_int_equal(dpdk_port_wait_link(port, 5000), 0);
	assert_true(port->link_up);
}

static int group_setup(void **state)
{
	struct dpdk_cfg cfg = {
		.port = "net_tap0", .workers = WORKERS, .rx_ring = 512, .tx_ring = 512,
		.mbufs_per_worker = 4096, .burst = 32, .tx_retries = 4,
	};
	(void)state;

	if (dpdk_port_open(&cfg, &port) != 0)
		return -1;
	dt_ifmac(ifname, kmac);
	dt_sh("ip addr add 10.199.%u.1/24 dev %s", subnet, ifname);
	dt_sh("ip link set dev %s up", ifname);
	return dpdk_port_wait_link(port, 5000) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	dpdk_port_close(port);
	return 0;
}

int main(int argc, char **argv)
{
	char vdev[128];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_port_to_kernel),
		cmocka_unit_test(test_kernel_to_port),
		cmocka_unit_test(test_burst_10000),
		cmocka_unit_test(test_tx_cksum_offload),
		cmocka_unit_test(test_rx_cksum_flags),
		cmocka_unit_test(test_link_change),
	};
	int rc;

	subnet = (unsigned)getpid() % 250u + 1u;
	snprintf(ifname, sizeof(ifname), "cbt%u", (unsigned)getpid() % 1000000u);
	snprintf(vdev, sizeof(vdev), "--vdev=net_tap0,iface=%s", ifname);
	rc = dt_start(argc, argv, vdev);
	if (rc)
		return rc;
	/* IPv6 router solicitations and MLD reports would be noise on the wire. */
	dt_sh("echo 1 > /proc/sys/net/ipv6/conf/%s/disable_ipv6 2>/dev/null || true", ifname);
	rc = cmocka_run_group_tests_name(dt_mode(), tests, group_setup, group_teardown);
	dt_stop();
	return rc;
}
