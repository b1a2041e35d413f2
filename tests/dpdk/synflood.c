/*
 * synflood: a raw-socket SYN flooder for the dpdk backend's SYN flood test
 * (tests/dpdk/test_synflood.py, issue 7).
 *
 *   synflood IFNAME DST_MAC DST_IP DST_PORT SRC_NET/LEN SECONDS WATCH_IP [SEED]
 *
 * Writes Ethernet frames carrying TCP SYNs (Linux's option set: MSS 1460,
 * SACK permitted, timestamps, window scale 7) from random source addresses
 * inside SRC_NET/LEN and random ports to DST_IP:DST_PORT on IFNAME with
 * AF_PACKET (qdisc bypassed, sendmmsg batches), as fast as the interface
 * takes them (a refused batch waits SF_FULL_WAIT_US), for
 * SECONDS. Each SYN's sequence number is a keyed hash of its source address
 * and port, so an answer can be told from noise without remembering SYNs.
 *
 * A second thread reads what arrives on IFNAME (the stack's answers, which
 * it routes through the kernel side) and counts the SYN-ACKs that answer
 * our SYNs, and those whose ISN has the shape of a SYN cookie as
 * dataplane/net/tcp_cookie.c encodes it: bits 31-27 the 64-second period
 * of CLOCK_MONOTONIC (the stack's clock) mod 32, bits 26-24 the index of
 * MSS 1460 in its table (5), and the TSval's low 5 bits 0x10 | the peer's
 * window scale. A SYN-ACK the stack sends from a SYN-RCVD block has a
 * random-looking ISN and TSval: it matches with probability 1/4096. It also
 * counts SYN-ACKs to WATCH_IP (the legitimate clients' address) from
 * DST_IP:DST_PORT, and which of them look like cookies, on a socket of
 * their own behind a BPF filter, so the flood's answers cannot crowd them
 * out of a full receive buffer (rx_dropped counts the other socket's drops).
 *
 * After the flood it keeps counting until its standard input ends (at
 * least SF_LINGER_MS), so the caller decides when the answers are all in.
 * Prints one line at the end:
 *   synflood sent=N refused=N seconds=S pps=R synacks=N cookies=N
 *   watch_synacks=N watch_cookies=N rx_frames=N rx_dropped=N
 * Exit status 0, or 2 on bad arguments, 1 on a socket error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/compiler.h"

#define SF_FRAME_LEN    74u  /* Ethernet 14 + IPv4 20 + TCP 20 + options 20 */
#define SF_BATCH        64u
#define SF_WSCALE       7u
#define SF_COOKIE_MSS_IDX 5u /* 1460 in tcp_cookie.c's mss_table */
#define SF_COOKIE_PERIOD_MS 64000u
#define SF_LINGER_MS    500u /* answers still arriving after the last SYN */
#define SF_FULL_WAIT_US 50u  /* after the tap's queue refused a frame */

struct sf_args {
	char ifname[IFNAMSIZ];
	uint8_t dst_mac[6];
	uint32_t dst_ip, src_net, src_mask, watch_ip; /* host order */
	uint16_t dst_port;
	double seconds;
	uint64_t seed;
};

struct sf_counts {
	atomic_ullong synacks, cookies, watch_synacks, watch_cookies, rx_frames;
};

static struct sf_args args;
static struct sf_counts counts;
static atomic_bool rx_stop;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The sequence number of our SYN from saddr:sport (host order). */
static uint32_t seq_for(uint32_t saddr, uint16_t sport)
{
	return (uint32_t)splitmix64(args.seed ^ ((uint64_t)saddr << 16 | sport));
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* The fixed parts of every frame: addresses, header fields, options. */
static void frame_template(uint8_t *f, const uint8_t *src_mac)
{
	static const uint8_t opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0,
					  0, 0, 0, 0, 1, 3, 3, SF_WSCALE };

	memset(f, 0, SF_FRAME_LEN);
	memcpy(f, args.dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, ETHERTYPE_IP);
	f[14] = 0x45;
	put16(f + 16, 60);
	put16(f + 20, 0x4000); /* DF */
	f[22] = 64;
	f[23] = IPPROTO_TCP;
	put32(f + 30, args.dst_ip);
	put16(f + 36, args.dst_port);
	f[46] = 10 << 4; /* 40-byte header */
	f[47] = 0x02;    /* SYN */
	put16(f + 48, 64240);
	memcpy(f + 54, opts, sizeof(opts));
}

/* Fill the variable parts (source, ports, ISN, TSval, IP id) and checksums. */
static void frame_randomise(uint8_t *f, uint64_t *rng)
{
	uint64_t r1 = splitmix64((*rng)++), r2 = splitmix64((*rng)++);
	uint32_t saddr = args.src_net | ((uint32_t)r1 & ~args.src_mask);
	uint16_t sport = (uint16_t)(1024 + (r1 >> 32) % 64512);
	uint32_t sum;

	put16(f + 18, (uint16_t)r2);
	put32(f + 26, saddr);
	put16(f + 24, 0);
	put16(f + 24, csum_fold(csum_add(0, f + 14, 20)));
	put16(f + 34, sport);
	put32(f + 38, seq_for(saddr, sport));
	put32(f + 62, (uint32_t)(r2 >> 32)); /* TSval */
	put16(f + 50, 0);
	sum = csum_add(0, f + 26, 8); /* pseudo header: addresses, protocol, length */
	sum += IPPROTO_TCP + 40;
	put16(f + 50, csum_fold(csum_add(sum, f + 34, 40)));
}

/* Does a SYN-ACK's ISN and TSval look like tcp_cookie.c's cookie? */
static bool looks_like_cookie(uint32_t isn, bool has_ts, uint32_t tsval, int want_ws)
{
	uint32_t now_t = (uint32_t)(mono_ns() / 1000000u / SF_COOKIE_PERIOD_MS) & 31;
	uint32_t t = isn >> 27;

	if (((now_t - t) & 31) > 1 || ((isn >> 24) & 7) != SF_COOKIE_MSS_IDX || !has_ts)
		return false;
	if (want_ws >= 0)
		return (tsval & 0x1f) == (0x10u | (uint32_t)want_ws);
	return (tsval & 0x10) && (tsval & 0xf) <= 14;
}

/* The TSval of a TCP header's timestamp option; false if there is none. */
static bool find_tsval(const uint8_t *tcp, size_t hlen, uint32_t *tsval)
{
	for (size_t i = 20; i < hlen;) {
		if (tcp[i] == 0)
			break;
		if (tcp[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || tcp[i + 1] < 2 || i + tcp[i + 1] > hlen)
			break;
		if (tcp[i] == 8 && tcp[i + 1] == 10) {
			*tsval = get32(tcp + i + 2);
			return true;
		}
		i += tcp[i + 1];
	}
	return false;
}

/* Count one received frame; watch: it came from the WATCH_IP socket. */
static void classify(const uint8_t *f, size_t n, bool watch)
{
	const uint8_t *ip = f + 14, *tcp;
	uint32_t saddr, daddr, tsval = 0;
	size_t ihl, thl;
	bool has_ts;

	if (!watch)
		atomic_fetch_add_explicit(&counts.rx_frames, 1, memory_order_relaxed);
	if (n < 14 + 20 || get16(f + 12) != ETHERTYPE_IP || ip[9] != IPPROTO_TCP)
		return;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < 20 || n < 14 + ihl + 20)
		return;
	tcp = ip + ihl;
	thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || n < 14 + ihl + thl || (tcp[13] & 0x12) != 0x12)
		return;
	saddr = get32(ip + 12);
	daddr = get32(ip + 16);
	if (saddr != args.dst_ip || get16(tcp) != args.dst_port)
		return;
	has_ts = find_tsval(tcp, thl, &tsval);
	/* WATCH_IP may lie inside SRC_NET: the ACK number tells whose SYN it was. */
	if ((daddr & args.src_mask) == args.src_net &&
	    get32(tcp + 8) - 1 == seq_for(daddr, get16(tcp + 2))) {
		if (watch)
			return;
		atomic_fetch_add_explicit(&counts.synacks, 1, memory_order_relaxed);
		if (looks_like_cookie(get32(tcp + 4), has_ts, tsval, SF_WSCALE))
			atomic_fetch_add_explicit(&counts.cookies, 1, memory_order_relaxed);
	} else if (watch && daddr == args.watch_ip) {
		atomic_fetch_add_explicit(&counts.watch_synacks, 1, memory_order_relaxed);
		if (looks_like_cookie(get32(tcp + 4), has_ts, tsval, -1))
			atomic_fetch_add_explicit(&counts.watch_cookies, 1, memory_order_relaxed);
	}
}

/* The receiving thread: count answers until rx_stop. arg: two sockets,
 * everything IPv4 and (filtered) what goes to WATCH_IP: the few answers to
 * the legitimate clients must not be lost when the first one overflows. */
static void *rx_main(void *arg)
{
	const int *fds = arg;
	static uint8_t bufs[SF_BATCH][2048];
	struct mmsghdr msgs[SF_BATCH];
	struct iovec iov[SF_BATCH];

	for (unsigned i = 0; i < SF_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&rx_stop)) {
		struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN },
				       { .fd = fds[1], .events = POLLIN } };

		if (poll(p, 2, 50) <= 0)
			continue;
		for (unsigned k = 0; k < 2; k++) {
			int n = (p[k].revents & POLLIN) ?
				recvmmsg(fds[k], msgs, SF_BATCH, MSG_DONTWAIT, NULL) : 0;

			for (int i = 0; i < n; i++)
				classify(bufs[i], msgs[i].msg_len, k == 1);
		}
	}
	return NULL;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static int parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = ntohl(a.s_addr);
	return 0;
}

static int parse_args(int argc, char **argv)
{
	char net[32], *slash;
	long len, port;

	if (argc < 8 || argc > 9 || strlen(argv[1]) >= IFNAMSIZ || strlen(argv[5]) >= sizeof(net))
		return -EINVAL;
	snprintf(args.ifname, sizeof(args.ifname), "%s", argv[1]);
	if (parse_mac(argv[2], args.dst_mac) || parse_ip(argv[3], &args.dst_ip) ||
	    parse_ip(argv[7], &args.watch_ip))
		return -EINVAL;
	port = strtol(argv[4], NULL, 10);
	if (port < 1 || port > 65535)
		return -EINVAL;
	args.dst_port = (uint16_t)port;
	snprintf(net, sizeof(net), "%s", argv[5]);
	slash = strchr(net, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	len = strtol(slash + 1, NULL, 10);
	if (len < 8 || len > 30 || parse_ip(net, &args.src_net))
		return -EINVAL;
	args.src_mask = ~0u << (32 - len);
	args.src_net &= args.src_mask;
	args.seconds = strtod(argv[6], NULL);
	if (!(args.seconds > 0 && args.seconds <= 600))
		return -EINVAL;
	args.seed = argc == 9 ? strtoull(argv[8], NULL, 0) : mono_ns();
	return 0;
}

/* An AF_PACKET socket bound to ifindex for proto (0: send only). */
static int packet_socket(int ifindex, uint16_t proto)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(proto),
				   .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW, htons(proto)), one = 1, big = 8 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (proto == 0)
		setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Let only IPv4 frames to WATCH_IP through to fd. */
static int watch_filter(int fd)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IP, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 14 + 16),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, args.watch_ip, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(code), .filter = code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}

static int if_mac(int fd, const char *ifname, uint8_t *mac)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* Send SYNs until the deadline; returns frames sent, *refused those the
 * interface did not take. */
static uint64_t flood(int fd, int ifindex, const uint8_t *src_mac, uint64_t end_ns,
		      uint64_t *refused)
{
	static uint8_t frames[SF_BATCH][SF_FRAME_LEN];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = ifindex, .sll_halen = 6 };
	struct mmsghdr msgs[SF_BATCH];
	struct iovec iov[SF_BATCH];
	uint64_t rng = args.seed * 0x9e3779b97f4a7c15ull + 1, sent = 0;

	memcpy(to.sll_addr, args.dst_mac, 6);
	for (unsigned i = 0; i < SF_BATCH; i++) {
		frame_template(frames[i], src_mac);
		iov[i].iov_base = frames[i];
		iov[i].iov_len = SF_FRAME_LEN;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (mono_ns() < end_ns) {
		int n;

		for (unsigned i = 0; i < SF_BATCH; i++)
			frame_randomise(frames[i], &rng);
		/* A full tap queue refuses the rest of a batch (ENOBUFS): those
		 * frames count as refused, and the next batch waits a moment.
		 * Retrying at once would take every slot the port frees before
		 * any other sender (the kernel's TCP) could: an offered load no
		 * wire carries. This way the rate is the most the port takes. */
		n = sendmmsg(fd, msgs, SF_BATCH, 0);
		if (n < 0)
			n = 0;
		sent += (unsigned)n;
		*refused += SF_BATCH - (unsigned)n;
		if (n < (int)SF_BATCH)
			usleep(SF_FULL_WAIT_US);
	}
	return sent;
}

/* Block until standard input ends: the caller's sign that counting can stop. */
static void wait_stdin_eof(void)
{
	char buf[256];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

int main(int argc, char **argv)
{
	uint8_t src_mac[6];
	uint64_t start, end, sent, refused = 0;
	struct tpacket_stats ps = { 0 };
	socklen_t pslen = sizeof(ps);
	pthread_t rx;
	int tx_fd = -1, rx_fd[2] = { -1, -1 }, ifindex, err, rc = 1;

	if (parse_args(argc, argv)) {
		fprintf(stderr, "usage: synflood IFNAME DST_MAC DST_IP DST_PORT SRC_NET/LEN "
				"SECONDS WATCH_IP [SEED]\n");
		return 2;
	}
	ifindex = (int)if_nametoindex(args.ifname);
	if (!ifindex) {
		fprintf(stderr, "synflood: no interface %s\n", args.ifname);
		return 1;
	}
	tx_fd = packet_socket(ifindex, 0);
	rx_fd[0] = packet_socket(ifindex, ETH_P_IP);
	rx_fd[1] = packet_socket(ifindex, ETH_P_IP);
	if (tx_fd < 0 || rx_fd[0] < 0 || rx_fd[1] < 0) {
		fprintf(stderr, "synflood: AF_PACKET socket: %s\n",
			strerror(-(tx_fd < 0 ? tx_fd : rx_fd[0] < 0 ? rx_fd[0] : rx_fd[1])));
		goto fail;
	}
	err = watch_filter(rx_fd[1]);
	if (err) {
		fprintf(stderr, "synflood: SO_ATTACH_FILTER: %s\n", strerror(-err));
		goto fail;
	}
	err = if_mac(tx_fd, args.ifname, src_mac);
	if (err) {
		fprintf(stderr, "synflood: SIOCGIFHWADDR: %s\n", strerror(-err));
		goto fail;
	}
	err = pthread_create(&rx, NULL, rx_main, rx_fd);
	if (err) {
		fprintf(stderr, "synflood: pthread_create: %s\n", strerror(err));
		goto fail;
	}
	start = mono_ns();
	sent = flood(tx_fd, ifindex, src_mac, start + (uint64_t)(args.seconds * 1e9), &refused);
	end = mono_ns();
	usleep(SF_LINGER_MS * 1000u);
	wait_stdin_eof();
	atomic_store(&rx_stop, true);
	pthread_join(rx, NULL);
	getsockopt(rx_fd[0], SOL_PACKET, PACKET_STATISTICS, &ps, &pslen);
	printf("synflood sent=%llu refused=%llu seconds=%.3f pps=%.0f synacks=%llu cookies=%llu "
	       "watch_synacks=%llu watch_cookies=%llu rx_frames=%llu rx_dropped=%u\n",
	       (unsigned long long)sent, (unsigned long long)refused, (double)(end - start) / 1e9,
	       (double)sent * 1e9 / (double)(end - start),
	       (unsigned long long)atomic_load(&counts.synacks),
	       (unsigned long long)atomic_load(&counts.cookies),
	       (unsigned long long)atomic_load(&counts.watch_synacks),
	       (unsigned long long)atomic_load(&counts.watch_cookies),
	       (unsigned long long)atomic_load(&counts.rx_frames), ps.tp_drops);
	rc = 0;
fail:
	if (tx_fd >= 0)
		close(tx_fd);
	for (unsigned k = 0; k < 2; k++)
		if (rx_fd[k] >= 0)
			close(rx_fd[k]);
	return rc;
}
