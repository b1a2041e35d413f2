/*
 * Ethernet, ARP, IPv4 and ICMP with crafted frames: ARP replies, cache
 * learning, expiry and the pending frame, retries, the gratuitous ARP at
 * start, IPv4 header checks (each drop counted under its reason), fragments,
 * martians, ICMP echo, checksum offload flags, and the next-hop choice.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net_test.h"
#include "dataplane/net/net-int.h"

static struct nt_host h;

static int teardown(void **state)
{
	(void)state;
	nt_host_fini(&h);
	return 0;
}

/* An ICMP echo request from the peer with n bytes of data. */
static uint32_t echo_frame(uint8_t *f, uint32_t n)
{
	uint8_t *ip = f + 14, *ic = ip + 20;

	memcpy(f, nt_stack_mac, 6);
	memcpy(f + 6, nt_peer_mac, 6);
	nt_w16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	nt_w16(ip + 2, 20 + 8 + n);
	ip[8] = 64;
	ip[9] = 1;
	nt_w32(ip + 12, NT_PEER_IP);
	nt_w32(ip + 16, NT_STACK_IP);
	nt_w16(ip + 10, nt_csum(ip, 20, 0));
	ic[0] = 8;
	ic[1] = 0;
	nt_w16(ic + 2, 0);
	nt_w16(ic + 4, 0x1234);
	nt_w16(ic + 6, 7);
	for (uint32_t i = 0; i < n; i++)
		ic[8 + i] = (uint8_t)(i * 3);
	nt_w16(ic + 2, nt_csum(ic, 8 + n, 0));
	return 14 + 20 + 8 + n;
}

static void refresh_ip_csum(uint8_t *f)
{
	nt_w16(f + 24, 0);
	nt_w16(f + 24, nt_csum(f + 14, (uint32_t)(f[14] & 0xf) * 4, 0));
}

static void test_arp_reply_and_learn(void **state)
{
	uint8_t f[64];
	const uint8_t *r;

	(void)state;
	nt_host_init(&h, NULL);
	assert_int_equal(net_input(h.st, f, nt_arp_frame(f, 1, nt_peer_mac, NT_PEER_IP, NT_STACK_IP),
				   h.now_us), 0);
	assert_int_equal(h.ntx, 1);
	r = h.tx[0].b;
	assert_memory_equal(r, nt_peer_mac, 6);
	assert_memory_equal(r + 6, nt_stack_mac, 6);
	assert_int_equal(r[21], 2);
	assert_memory_equal(r + 22, nt_stack_mac, 6);
	assert_int_equal(nt_r32(r + 28), NT_STACK_IP);
	assert_memory_equal(r + 32, nt_peer_mac, 6);
	assert_int_equal(nt_r32(r + 38), NT_PEER_IP);
	assert_int_equal(net_stats(h.st)->arp_replies, 1);
	/* The requester was learned (RFC 826): an echo reply goes straight out. */
	assert_int_equal(h.st->arp[0].state, ARP_RESOLVED);
	/* A request for someone else: not answered, not learned. */
	nt_clear(&h);
	assert_int_equal(net_input(h.st, f, nt_arp_frame(f, 1, (const uint8_t *)"\x02\0\0\0\0\x09",
						     0x0a000009u, 0x0a000003u), h.now_us),
			 NET_E_NOT_OURS);
	assert_int_equal(h.ntx, 0);
	/* Malformed: wrong hardware length, truncated, claims our address. */
	nt_arp_frame(f, 1, nt_peer_mac, NT_PEER_IP, NT_STACK_IP);
	f[18] = 8;
	assert_int_equal(net_input(h.st, f, 60, h.now_us), NET_E_ARP);
	nt_arp_frame(f, 1, nt_peer_mac, NT_PEER_IP, NT_STACK_IP);
	assert_int_equal(net_input(h.st, f, 30, h.now_us), NET_E_ARP);
	nt_arp_frame(f, 1, nt_peer_mac, NT_STACK_IP, NT_STACK_IP);
	assert_int_equal(net_input(h.st, f, 60, h.now_us), NET_E_ARP);
	assert_int_equal(net_stats(h.st)->arp_drop, 3);
}

static void test_gratuitous_arp(void **state)
{
	const uint8_t *r;

	(void)state;
	nt_host_init(&h, NULL);
	assert_int_equal(h.ntx, 0); /* nothing sent by net_init */
	net_start(h.st, h.now_us);
	assert_int_equal(h.ntx, 1);
	r = h.tx[0].b;
	assert_memory_equal(r, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(r[21], 1);
	assert_int_equal(nt_r32(r + 28), NT_STACK_IP);
	assert_int_equal(nt_r32(r + 38), NT_STACK_IP);
}

static void test_resolution_pending_and_expiry(void **state)
{
	struct net_addr dst = { .family = AF_INET, .port = 80 };
	struct net_sock *c;
	uint8_t f[64];
	struct nt_seg syn;

	(void)state;
	nt_host_init(&h, NULL);
	dst.v4.s_addr = htonl(NT_PEER_IP);
	assert_int_equal(net_connect(h.st, &dst, NULL, h.now_us, &c), 0);
	/* The SYN waits; an ARP request goes out instead. */
	assert_int_equal(h.ntx, 1);
	assert_int_equal(h.tx[0].b[21], 1);
	assert_int_equal(nt_r32(h.tx[0].b + 38), NT_PEER_IP);
	/* The next deadline: the ARP retry and the SYN's RTO, both 1 s away. */
	assert_int_equal(net_next_timer_us(h.st, h.now_us), 1000000);
	assert_int_equal(net_next_timer_us(h.st, h.now_us + 400000), 600000);
	nt_clear(&h);
	assert_int_equal(net_input(h.st, f, nt_arp_frame(f, 2, nt_peer_mac, NT_PEER_IP, NT_STACK_IP),
				   h.now_us), 0);
	assert_int_equal(h.ntx, 1); /* the pending SYN, now addressed */
	assert_true(nt_parse(&h.tx[0], &syn));
	assert_int_equal(syn.flags, TH_SYN);
	assert_memory_equal(h.tx[0].b, nt_peer_mac, 6);
	/* After arp_timeout_ms the entry is stale: the next frame asks again. */
	nt_clear(&h);
	nt_advance(&h, 60001);
	assert_true(h.ntx >= 1);
	assert_int_equal(h.tx[0].b[21], 1); /* a request, not the retransmitted SYN */
	assert_int_equal(net_stats(h.st)->arp_requests, 2);
	/* Unanswered: retried, then the entry and its frame are dropped. */
	nt_advance(&h, 1000);
	nt_advance(&h, 1000);
	nt_advance(&h, 1000);
	assert_int_equal(net_stats(h.st)->arp_requests, 4);
	assert_int_equal(net_stats(h.st)->arp_unresolved, 1);
}

static void test_next_hop_gateway(void **state)
{
	struct net_addr dst = { .family = AF_INET, .port = 80 };
	struct net_sock *c;

	(void)state;
	nt_host_init(&h, NULL);
	dst.v4.s_addr = htonl(0xc0000207u); /* 192.0.2.7: off-link */
	assert_int_equal(net_connect(h.st, &dst, NULL, h.now_us, &c), 0);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_r32(h.tx[0].b + 38), NT_GW_IP); /* asks for the gateway */
}

static void test_arp_cache_eviction(void **state)
{
	struct net_config cfg;
	uint8_t f[64], mac[6] = { 2, 0, 0, 0, 1, 0 };

	(void)state;
	nt_default_config(&cfg);
	cfg.arp_entries = 2;
	nt_host_init(&h, &cfg);
	for (uint32_t i = 0; i < 3; i++) {
		mac[5] = (uint8_t)i;
		nt_advance(&h, 10);
		assert_int_equal(net_input(h.st, f, nt_arp_frame(f, 1, mac, 0x0a000010u + i, NT_STACK_IP),
					   h.now_us), 0);
	}
	/* The oldest (10.0.0.16) made room for 10.0.0.18. */
	assert_int_equal(h.st->arp[0].ip, 0x0a000012u);
	assert_int_equal(h.st->arp[1].ip, 0x0a000011u);
}

static void test_icmp_echo(void **state)
{
	uint8_t f[1600];
	struct nt_frame *r;
	uint32_t len;

	(void)state;
	nt_host_init(&h, NULL);
	len = echo_frame(f, 56);
	assert_int_equal(net_input(h.st, f, len, h.now_us), 0);
	assert_int_equal(h.ntx, 1);
	r = &h.tx[0];
	assert_int_equal(r->len, len);
	assert_memory_equal(r->b, nt_peer_mac, 6); /* straight back to the sender */
	assert_int_equal(nt_r32(r->b + 26), NT_STACK_IP);
	assert_int_equal(nt_r32(r->b + 30), NT_PEER_IP);
	assert_int_equal(nt_csum(r->b + 14, 20, 0), 0);
	assert_int_equal(r->b[34], 0); /* echo reply */
	assert_int_equal(nt_csum(r->b + 34, 8 + 56, 0), 0);
	assert_memory_equal(r->b + 38, f + 38, 4 + 56); /* id, seq, data */
	assert_int_equal(net_stats(h.st)->icmp_echo_replies, 1);
	/* Odd length payload, and a bad ICMP checksum. */
	nt_clear(&h);
	len = echo_frame(f, 13);
	assert_int_equal(net_input(h.st, f, len, h.now_us), 0);
	assert_int_equal(nt_csum(h.tx[0].b + 34, 8 + 13, 0), 0);
	f[40] ^= 1;
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_PROTO);
	/* Other ICMP types are counted, not answered. */
	len = echo_frame(f, 4);
	f[34] = 13;
	nt_w16(f + 36, 0);
	nt_w16(f + 36, nt_csum(f + 34, 12, 0));
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_PROTO);
	assert_int_equal(net_stats(h.st)->icmp_drop, 2);
}

static void test_ipv4_checks(void **state)
{
	uint8_t f[1600];
	uint32_t len;
	const struct net_stats *s;

	(void)state;
	nt_host_init(&h, NULL);
	s = net_stats(h.st);
	len = echo_frame(f, 8);
	/* Bad header checksum */
	f[24] ^= 0x40;
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_IP_CSUM);
	assert_int_equal(s->drop_ip_csum, 1);
	/* Fragments: MF set, or an offset */
	len = echo_frame(f, 8);
	nt_w16(f + 20, 0x2000);
	refresh_ip_csum(f);
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_FRAGMENT);
	nt_w16(f + 20, 0x0010);
	refresh_ip_csum(f);
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_FRAGMENT);
	assert_int_equal(s->drop_ip_fragment, 2);
	/* Version, header length, total length beyond the frame */
	len = echo_frame(f, 8);
	f[14] = 0x65;
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_IP_HEADER);
	f[14] = 0x44;
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_IP_HEADER);
	len = echo_frame(f, 8);
	nt_w16(f + 16, 200);
	refresh_ip_csum(f);
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_IP_HEADER);
	assert_int_equal(s->drop_ip_header, 3);
	/* Not our address; a martian source */
	len = echo_frame(f, 8);
	nt_w32(f + 30, 0x0a000009u);
	refresh_ip_csum(f);
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_NOT_OURS);
	len = echo_frame(f, 8);
	nt_w32(f + 26, 0x7f000001u);
	refresh_ip_csum(f);
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_IP_HEADER);
	assert_int_equal(s->drop_martian, 1);
	/* Unknown protocol, unknown ethertype, runt frames, other MACs */
	len = echo_frame(f, 8);
	f[23] = 17;
	refresh_ip_csum(f);
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_PROTO);
	assert_int_equal(s->drop_ip_proto, 1);
	len = echo_frame(f, 8);
	nt_w16(f + 12, 0x86dd);
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_ETHERTYPE);
	assert_int_equal(net_input(h.st, f, 10, h.now_us), NET_E_SHORT);
	len = echo_frame(f, 8);
	assert_int_equal(net_input(h.st, f, 30, h.now_us), NET_E_SHORT);
	f[0] = 0x04;
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_NOT_OURS);
	/* Ethernet padding after the datagram is ignored. */
	len = echo_frame(f, 2);
	memset(f + len, 0xee, 10);
	assert_int_equal(net_input(h.st, f, len + 10, h.now_us), 0);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(h.tx[0].len, len);
}

static void test_tcp_checksum_drop(void **state)
{
	uint8_t f[200];
	struct nt_seg syn = nt_seg(1, 0, TH_SYN);
	struct net_addr any = { .family = AF_UNSPEC, .port = 80 };
	uint32_t len;

	(void)state;
	nt_host_init(&h, NULL);
	nt_learn_peer(&h);
	assert_int_equal(net_listen(h.st, &any, NULL), 0);
	len = nt_build_tcp(f, &syn);
	f[len - 1] ^= 0x10; /* inside the TCP header */
	assert_int_equal(net_input(h.st, f, len, h.now_us), NET_E_TCP);
	assert_int_equal(net_stats(h.st)->tcp_drop_csum, 1);
	assert_int_equal(h.ntx, 0);
	/* With the NIC's word that checksums were verified, no check is made. */
	h.st->cfg.offload = NET_OFFLOAD_RX_CSUM;
	assert_int_equal(net_input(h.st, f, len, h.now_us), 0);
	assert_int_equal(h.ntx, 1);
}

static void test_tx_offload_flags(void **state)
{
	struct net_config cfg;
	struct net_addr any = { .family = AF_UNSPEC, .port = 80 };
	struct nt_seg syn = nt_seg(1, 0, TH_SYN);
	const uint8_t *th;
	uint32_t sum;

	(void)state;
	nt_default_config(&cfg);
	cfg.offload = NET_OFFLOAD_TX_IP_CSUM | NET_OFFLOAD_TX_TCP_CSUM;
	nt_host_init(&h, &cfg);
	nt_learn_peer(&h);
	assert_int_equal(net_listen(h.st, &any, NULL), 0);
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(h.ntx, 1);
	/* IP checksum left 0; TCP checksum holds the pseudo-header sum. */
	assert_int_equal(h.tx[0].b[24] | h.tx[0].b[25], 0);
	th = h.tx[0].b + 34;
	sum = (NT_STACK_IP >> 16) + (NT_STACK_IP & 0xffff) + (NT_PEER_IP >> 16) +
	      (NT_PEER_IP & 0xffff) + 6 + (h.tx[0].len - 34);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal((uint32_t)(th[16] << 8 | th[17]), sum);
}

static void test_config_errors(void **state)
{
	struct net_config cfg;
	static const struct net_ops ops = { 0 };
	void *mem;

	(void)state;
	nt_default_config(&cfg);
	cfg.mtu = 100;
	assert_int_equal(net_mem_size(&cfg), 0);
	nt_default_config(&cfg);
	cfg.rcvbuf_bytes = 10;
	assert_int_equal(net_mem_size(&cfg), 0);
	nt_default_config(&cfg);
	mem = aligned_alloc(64, (net_mem_size(&cfg) + 63) & ~(size_t)63);
	assert_null(net_init(mem, net_mem_size(&cfg), &cfg, &ops, NULL, 0)); /* no tx */
	assert_int_equal(errno, EINVAL);
	assert_null(net_init((char *)mem + 8, net_mem_size(&cfg), &cfg, &ops, NULL, 0));
	free(mem);
	memset(&h, 0, sizeof(h));
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_arp_reply_and_learn),
		T(test_gratuitous_arp),
		T(test_resolution_pending_and_expiry),
		T(test_next_hop_gateway),
		T(test_arp_cache_eviction),
		T(test_icmp_echo),
		T(test_ipv4_checks),
		T(test_tcp_checksum_drop),
		T(test_tx_offload_flags),
		T(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
