/* Harness for the dataplane/net tests: see net_test.h. */
#include "net_test.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

const uint8_t nt_stack_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const uint8_t nt_peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };


uint16_t nt_csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int cb_tx(void *ctx, const struct net_iov *iov, int n, unsigned flags)
{
	struct nt_host *h = ctx;
	uint8_t buf[NT_FRAME_MAX];
	uint32_t len = 0;

	(void)flags;
	assert_true(n >= 1 && n <= 4);
	for (int i = 0; i < n; i++) {
		assert_true(len + iov[i].len <= sizeof(buf));
		memcpy(buf + len, iov[i].base, iov[i].len);
		len += iov[i].len;
	}
	if (h->hook) {
		h->hook(h, buf, len);
		return 0;
	}
	assert_true(h->ntx < NT_TX_MAX);
	h->tx[h->ntx].len = len;
	memcpy(h->tx[h->ntx].b, buf, len);
	h->ntx++;
	return 0;
}

static int cb_accept(void *ctx, struct net_sock *s, void *arg)
{
	struct nt_host *h = ctx;

	(void)arg;
	h->accepts++;
	if (h->accept_ret == 0)
		h->sock = s;
	return h->accept_ret;
}

static void cb_connected(void *ctx, struct net_sock *s)
{
	struct nt_host *h = ctx;

	h->connects++;
	h->sock = s;
}

static void cb_recv(void *ctx, struct net_sock *s, const uint8_t *data, size_t len)
{
	struct nt_host *h = ctx;

	if (len == 0) {
		h->eofs++;
		return;
	}
	if (h->rx_len + len > h->rx_cap) {
		h->rx_cap = (h->rx_len + len) * 2;
		h->rx = realloc(h->rx, h->rx_cap);
		assert_non_null(h->rx);
	}
	memcpy(h->rx + h->rx_len, data, len);
	h->rx_len += len;
	if (h->pause_on_recv)
		net_pause_recv(s, true);
}

static void cb_drain(void *ctx, struct net_sock *s)
{
	struct nt_host *h = ctx;

	(void)s;
	h->drains++;
}

static void cb_closed(void *ctx, struct net_sock *s, int err)
{
	struct nt_host *h = ctx;

	h->closes++;
	h->close_err = err;
	if (h->sock == s)
		h->sock = NULL;
}

static const struct net_ops ops = {
	.tx = cb_tx, .accept = cb_accept, .connected = cb_connected, .recv = cb_recv,
	.drain = cb_drain, .closed = cb_closed,
};

void nt_default_config(struct net_config *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, nt_stack_mac, 6);
	c->ip.s_addr = htonl(NT_STACK_IP);
	c->netmask.s_addr = htonl(0xffffff00u);
	c->gateway.s_addr = htonl(NT_GW_IP);
	c->max_conns = 16;
	c->sndbuf_bytes = 16384;
	c->rcvbuf_bytes = 16384;
	for (int i = 0; i < 16; i++)
		c->secret[i] = (uint8_t)(i * 7 + 1);
}

void nt_host_init(struct nt_host *h, const struct net_config *cfg)
{
	size_t size;

	memset(h, 0, sizeof(*h));
	if (cfg)
		h->cfg = *cfg;
	else
		nt_default_config(&h->cfg);
	size = net_mem_size(&h->cfg);
	assert_true(size > 0);
	h->mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
	assert_non_null(h->mem);
	h->tx = calloc(NT_TX_MAX, sizeof(*h->tx));
	assert_non_null(h->tx);
	h->now_us = 1000000000ull; /* not 0: deadlines of 0 mean "off" */
	h->st = net_init(h->mem, size, &h->cfg, &ops, h, h->now_us);
	assert_non_null(h->st);
}

void nt_host_fini(struct nt_host *h)
{
	free(h->mem);
	free(h->tx);
	free(h->rx);
	memset(h, 0, sizeof(*h));
}

void nt_advance(struct nt_host *h, uint64_t ms)
{
	h->now_us += ms * 1000;
	net_poll(h->st, h->now_us);
}

void nt_clear(struct nt_host *h)
{
	h->ntx = 0;
}

uint32_t nt_arp_frame(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa)
{
	memset(f, 0, 60);
	if (op == 1)
		memset(f, 0xff, 6);
	else
		memcpy(f, nt_stack_mac, 6);
	memcpy(f + 6, sha, 6);
	nt_w16(f + 12, 0x0806);
	nt_w16(f + 14, 1);
	nt_w16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	nt_w16(f + 20, op);
	memcpy(f + 22, sha, 6);
	nt_w32(f + 28, spa);
	nt_w32(f + 38, tpa);
	return 60; /* padded to the Ethernet minimum */
}

void nt_learn_peer(struct nt_host *h)
{
	uint8_t f[60];
	uint32_t n = nt_arp_frame(f, 1, nt_peer_mac, NT_PEER_IP, NT_STACK_IP);

	assert_int_equal(net_input(h->st, f, n, h->now_us), 0);
	nt_clear(h);
}

struct nt_seg nt_seg(uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct nt_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = NT_PEER_IP;
	s.daddr = NT_STACK_IP;
	s.sport = 40000;
	s.dport = 80;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.wnd = 65535;
	s.mss = -1;
	s.ws = -1;
	return s;
}

uint32_t nt_build_tcp(uint8_t *f, const struct nt_seg *s)
{
	uint8_t *ip = f + 14, *th = ip + 20, *o = th + 20;
	uint32_t olen = 0, tlen, sum = 0;

	memcpy(f, nt_stack_mac, 6);
	memcpy(f + 6, nt_peer_mac, 6);
	nt_w16(f + 12, 0x0800);
	if (s->mss >= 0) {
		o[olen++] = 2; o[olen++] = 4; nt_w16(o + olen, (uint32_t)s->mss); olen += 2;
	}
	if (s->ws >= 0) {
		o[olen++] = 1; o[olen++] = 3; o[olen++] = 3; o[olen++] = (uint8_t)s->ws;
	}
	if (s->ts) {
		o[olen++] = 1; o[olen++] = 1; o[olen++] = 8; o[olen++] = 10;
		nt_w32(o + olen, s->tsval); nt_w32(o + olen + 4, s->tsecr); olen += 8;
	}
	tlen = 20 + olen + s->len;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	nt_w16(ip + 2, 20 + tlen);
	nt_w16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	nt_w32(ip + 12, s->saddr);
	nt_w32(ip + 16, s->daddr);
	nt_w16(ip + 10, nt_csum(ip, 20, 0));
	nt_w16(th, s->sport);
	nt_w16(th + 2, s->dport);
	nt_w32(th + 4, s->seq);
	nt_w32(th + 8, s->ack);
	th[12] = (uint8_t)(((20 + olen) / 4) << 4);
	th[13] = s->flags;
	nt_w16(th + 14, s->wnd);
	nt_w16(th + 16, 0);
	nt_w16(th + 18, 0);
	if (s->len)
		memcpy(th + 20 + olen, s->data, s->len);
	sum = (s->saddr >> 16) + (s->saddr & 0xffff) + (s->daddr >> 16) + (s->daddr & 0xffff) + 6 + tlen;
	nt_w16(th + 16, nt_csum(th, tlen, sum));
	return 14 + 20 + tlen;
}

int nt_send(struct nt_host *h, const struct nt_seg *s)
{
	static uint8_t f[NT_FRAME_MAX + 100];
	uint32_t len = nt_build_tcp(f, s);

	return net_input(h->st, f, len, h->now_us);
}

bool nt_parse(const struct nt_frame *fr, struct nt_seg *s)
{
	const uint8_t *f = fr->b, *ip = f + 14, *th, *o;
	uint32_t tlen, doff, sum;

	memset(s, 0, sizeof(*s));
	s->mss = s->ws = -1;
	if (fr->len < 54 || nt_r16(f + 12) != 0x0800 || ip[9] != 6 || ip[0] != 0x45)
		return false;
	if (nt_csum(ip, 20, 0) != 0)
		return false;
	tlen = nt_r16(ip + 2) - 20u;
	if (14 + 20 + tlen > fr->len)
		return false;
	th = ip + 20;
	s->saddr = nt_r32(ip + 12);
	s->daddr = nt_r32(ip + 16);
	sum = (s->saddr >> 16) + (s->saddr & 0xffff) + (s->daddr >> 16) + (s->daddr & 0xffff) + 6 + tlen;
	if (nt_csum(th, tlen, sum) != 0)
		return false;
	s->sport = nt_r16(th);
	s->dport = nt_r16(th + 2);
	s->seq = nt_r32(th + 4);
	s->ack = nt_r32(th + 8);
	doff = (uint32_t)(th[12] >> 4) * 4;
	s->flags = th[13];
	s->wnd = nt_r16(th + 14);
	o = th + 20;
	for (uint32_t i = 0; i < doff - 20;) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (o[i] == 2)
			s->mss = nt_r16(o + i + 2);
		else if (o[i] == 3)
			s->ws = o[i + 2];
		else if (o[i] == 8) {
			s->ts = true;
			s->tsval = nt_r32(o + i + 2);
			s->tsecr = nt_r32(o + i + 6);
		}
		i += o[i + 1];
	}
	s->data = th + doff;
	s->len = tlen - doff;
	return true;
}

struct nt_seg nt_tx_seg(struct nt_host *h, unsigned i)
{
	struct nt_seg s;

	assert_true(i < h->ntx);
	assert_true(nt_parse(&h->tx[i], &s));
	return s;
}

unsigned nt_tcp_count(struct nt_host *h)
{
	struct nt_seg s;
	unsigned n = 0;

	for (unsigned i = 0; i < h->ntx; i++)
		n += nt_parse(&h->tx[i], &s);
	return n;
}
