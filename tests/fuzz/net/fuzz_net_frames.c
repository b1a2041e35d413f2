/*
 * libFuzzer target for dataplane/net: arbitrary Ethernet frames (up to TCP)
 * into a stack with a listener, an established-looking peer and a fake
 * clock. The input is a sequence of records:
 *
 *   u8 flags    bit 0: fix the IPv4 and TCP/ICMP checksums (reach deeper)
 *               bit 1: the caller sends a reply on the newest connection
 *               bit 2: the caller pauses/resumes it; bit 3: closes it
 *               bit 4: abort instead of a graceful close
 *               bit 5: open an active connection to the peer
 *               bit 6: no net_poll() after this record (deferred work and
 *                      several frames pile up, as in one receive burst)
 *               bit 7: a TCP frame gets the ACK and sequence numbers the stack
 *                      last sent (so established states are reachable)
 *   u8 advance  low 7 bits: milliseconds to move the clock (x 64 with bit 7)
 *   u16 len     frame length (big endian), then len bytes of frame
 *
 * No crash, no leak, no sanitizer report; the stack's invariants are
 * BUG_ON-checked inside. Memory is the caller's: one region freed at the end.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/net/net.h"

#define MAX_TRACKED 64

static struct net_sock *socks[MAX_TRACKED];
static unsigned nsocks;
static uint32_t next_seq, next_ack; /* from the last TCP segment the stack sent */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static int f_tx(void *ctx, const struct net_iov *iov, int n, unsigned flags)
{
	uint8_t f[1600];
	uint32_t len = 0;

	(void)ctx;
	(void)flags;
	if (n < 1 || n > 4)
		abort();
	for (int i = 0; i < n; i++) {
		if (len + iov[i].len > sizeof(f))
			abort(); /* larger than the MTU allows */
		memcpy(f + len, iov[i].base, iov[i].len);
		len += iov[i].len;
	}
	if (len >= 54 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 6) {
		const uint8_t *th = f + 34;
		uint32_t doff = (uint32_t)(th[12] >> 4) * 4;
		uint32_t dlen = len - 34 - doff;

		next_seq = rd32(th + 4) + dlen + !!(th[13] & 0x02) + !!(th[13] & 0x01);
		next_ack = rd32(th + 8);
	}
	return 0;
}

static void track(struct net_sock *s)
{
	if (nsocks < MAX_TRACKED)
		socks[nsocks++] = s;
}

static void untrack(struct net_sock *s)
{
	for (unsigned i = 0; i < nsocks; i++)
		if (socks[i] == s) {
			socks[i] = socks[--nsocks];
			return;
		}
}

static int f_accept(void *ctx, struct net_sock *s, void *arg)
{
	(void)ctx;
	(void)arg;
	track(s);
	return 0;
}

static void f_connected(void *ctx, struct net_sock *s)
{
	(void)ctx;
	(void)s;
}

static void f_recv(void *ctx, struct net_sock *s, const uint8_t *data, size_t len)
{
	(void)ctx;
	if (len)
		(void)net_send(s, data, len > 512 ? 512 : len); /* echo */
}

static void f_drain(void *ctx, struct net_sock *s)
{
	(void)ctx;
	(void)s;
}

static void f_closed(void *ctx, struct net_sock *s, int err)
{
	(void)ctx;
	(void)err;
	untrack(s);
}

static const struct net_ops ops = {
	.tx = f_tx, .accept = f_accept, .connected = f_connected, .recv = f_recv,
	.drain = f_drain, .closed = f_closed,
};

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Make the checksums right so the fuzzer gets past them. */
static void fix_checksums(uint8_t *f, uint32_t len)
{
	uint8_t *ip = f + 14;
	uint32_t ihl, tot, sum;

	if (len < 34 || f[12] != 0x08 || f[13] != 0x00)
		return;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	tot = (uint32_t)(ip[2] << 8 | ip[3]);
	if (ihl < 20 || tot < ihl || 14 + tot > len)
		return;
	ip[10] = ip[11] = 0;
	sum = csum(ip, ihl, 0);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	if (ip[9] == 6 && tot - ihl >= 20) {
		uint8_t *th = ip + ihl;
		uint32_t tl = tot - ihl;

		th[16] = th[17] = 0;
		sum = (uint32_t)(ip[12] << 8 | ip[13]) + (uint32_t)(ip[14] << 8 | ip[15]) +
		      (uint32_t)(ip[16] << 8 | ip[17]) + (uint32_t)(ip[18] << 8 | ip[19]) + 6 + tl;
		sum = csum(th, tl, sum);
		th[16] = (uint8_t)(sum >> 8);
		th[17] = (uint8_t)sum;
	} else if (ip[9] == 1 && tot - ihl >= 8) {
		uint8_t *ic = ip + ihl;

		ic[2] = ic[3] = 0;
		sum = csum(ic, tot - ihl, 0);
		ic[2] = (uint8_t)(sum >> 8);
		ic[3] = (uint8_t)sum;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static uint8_t frame[65536];
	struct net_addr any = { .family = AF_UNSPEC, .port = 80 }, peer = { .family = AF_INET };
	struct net_config cfg;
	struct net_stack *st;
	uint64_t now = 1000000000ull;
	size_t msize, off = 0;
	void *mem;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, mac, 6);
	cfg.ip.s_addr = htonl(0x0a000001u);
	cfg.netmask.s_addr = htonl(0xffffff00u);
	cfg.gateway.s_addr = htonl(0x0a0000feu);
	cfg.max_conns = 4; /* small: table-full paths (TIME_WAIT reuse) get exercised */
	cfg.sndbuf_bytes = 4096;
	cfg.rcvbuf_bytes = 4096;
	cfg.syn_backlog = 2;
	cfg.arp_entries = 4;
	cfg.keepalive_idle_ms = 5000;
	cfg.keepalive_intvl_ms = 500;
	cfg.time_wait_ms = 2000;
	cfg.challenge_acks_per_s = 10;
	msize = net_mem_size(&cfg);
	mem = aligned_alloc(64, (msize + 63) & ~(size_t)63);
	if (!mem)
		return 0;
	nsocks = 0;
	next_seq = next_ack = 0;
	st = net_init(mem, msize, &cfg, &ops, NULL, now);
	if (!st)
		abort();
	net_start(st, now);
	(void)net_listen(st, &any, NULL);
	peer.port = 5060;
	peer.v4.s_addr = htonl(0x0a000002u);

	while (off + 4 <= size) {
		uint8_t flags = data[off], adv = data[off + 1];
		uint32_t len = (uint32_t)(data[off + 2] << 8 | data[off + 3]);

		off += 4;
		if (len > size - off)
			len = (uint32_t)(size - off);
		memcpy(frame, data + off, len);
		off += len;
		now += (uint64_t)(adv & 0x7f) * ((adv & 0x80) ? 64000 : 1000);
		if ((flags & 0x80) && len >= 54 && frame[23] == 6 && (frame[14] & 0xf) == 5) {
			wr32(frame + 38, next_ack);
			wr32(frame + 42, next_seq);
		}
		if (flags & 1)
			fix_checksums(frame, len);
		(void)net_input(st, frame, len, now);
		if ((flags & 0x20)) {
			struct net_sock *s;

			if (net_connect(st, &peer, NULL, now, &s) == 0)
				track(s);
		}
		if (nsocks) {
			struct net_sock *s = socks[nsocks - 1];

			if (flags & 2)
				(void)net_send(s, "reply", 5);
			if (flags & 4)
				net_pause_recv(s, !(adv & 1));
			if (flags & 8)
				net_close(s, flags & 0x10);
		}
		if (!(flags & 0x40))
			net_poll(st, now);
	}
	/* Drain: every timer runs out, every connection ends. */
	for (int i = 0; i < 40; i++) {
		now += 60000000ull;
		net_poll(st, now);
	}
	free(mem);
	return 0;
}
