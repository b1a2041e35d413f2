/*
 * ARP shared by the stacks of one port (dataplane/net/arp_share.h), with two
 * real stacks on a fake clock, wired as the dpdk backend wires its workers:
 * each stack's ops->arp_learned publishes into the share, and each "turn"
 * applies what the other published.
 *
 * - A SYN reaching worker B makes B ask for the peer's MAC and hold its
 *   SYN-ACK; the peer's ARP reply reaches worker A; on B's next turn the
 *   SYN-ACK leaves B, to the peer's MAC, with no second request.
 * - Nothing is echoed back (a pair B applied is not published again), an
 *   idle turn applies nothing, a reader too far behind counts what it missed.
 * - net_arp_learn()'s contract: refresh, resolve, store only in a free or
 *   expired entry (-ENOSPC otherwise), -EINVAL for bad pairs.
 * - A writer thread and a reader thread: the reader's cache never holds a
 *   torn pair (an ip with another ip's MAC).
 *
 * It needs no DPDK: suite unit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net_test.h"
#include "dataplane/net/arp_share.h"
#include "dataplane/net/net-int.h"

static struct nt_host hosts[2];
static struct net_ops ops_of[2];
static struct net_arp_share *share;
static void *share_mem;

static void on_learned(void *ctx, struct in_addr ip, const uint8_t mac[NET_ETH_ALEN])
{
	unsigned m = ctx == &hosts[0] ? 0 : 1;

	assert_true(ctx == &hosts[m]);
	net_arp_share_publish(share, m, ip, mac);
}

/* The harness's stack, with a copy of its ops that also publishes. */
static void host_init(unsigned m, const struct net_config *cfg)
{
	nt_host_init(&hosts[m], cfg);
	ops_of[m] = *hosts[m].st->ops;
	ops_of[m].arp_learned = on_learned;
	hosts[m].st->ops = &ops_of[m];
}

static void share_init(unsigned members)
{
	size_t size = net_arp_share_size(members);

	assert_true(size > 0);
	share_mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
	assert_non_null(share_mem);
	share = net_arp_share_init(share_mem, size, members);
	assert_non_null(share);
}

static int setup(void **state)
{
	(void)state;
	share_init(2);
	host_init(0, NULL);
	host_init(1, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nt_host_fini(&hosts[0]);
	nt_host_fini(&hosts[1]);
	free(share_mem);
	share = NULL;
	return 0;
}



static bool is_arp_request_for(const struct nt_frame *f, uint32_t ip)
{
	return f->len >= 42 && f->b[12] == 0x08 && f->b[13] == 0x06 && f->b[21] == 1 &&
	       nt_r32(f->b + 38) == ip;
}

static struct in_addr ip4(uint32_t host_order)
{
	return (struct in_addr){ .s_addr = htonl(host_order) };
}

static void test_reply_at_a_resolves_b(void **state)
{
	struct nt_host *a = &hosts[0], *b = &hosts[1];
	struct net_addr any = { .family = AF_UNSPEC, .port = 80 };
	struct nt_seg syn = nt_seg(1000, 0, TH_SYN), out;
	struct net_arp_share_stats sa, sb;
	uint8_t f[60];

	(void)state;
	assert_int_equal(net_listen(b->st, &any, NULL), 0);
	syn.mss = 1460;
	/* The peer's SYN lands on B's queue; B knows no MAC for it yet. */
	assert_int_equal(nt_send(b, &syn), 0);
	assert_int_equal(b->ntx, 1);
	assert_true(is_arp_request_for(&b->tx[0], NT_PEER_IP));
	assert_int_equal(nt_tcp_count(b), 0); /* the SYN-ACK is held */
	nt_clear(b);

	/* The reply reaches A's queue: A learns it and publishes. */
	a->now_us += 300;
	assert_int_equal(net_input(a->st, f, nt_arp_frame(f, 2, nt_peer_mac, NT_PEER_IP, NT_STACK_IP), a->now_us), 0);
	assert_int_equal(a->ntx, 0);
	net_arp_share_stats(share, 0, &sa);
	assert_int_equal(sa.published, 1);
	assert_int_equal(net_arp_share_apply(share, 0, a->st, a->now_us), 0); /* its own */

	/* B's next turn: the held SYN-ACK leaves, to the peer's MAC. */
	b->now_us += 500;
	assert_int_equal(net_arp_share_apply(share, 1, b->st, b->now_us), 1);
	assert_int_equal(b->ntx, 1);
	assert_memory_equal(b->tx[0].b, nt_peer_mac, 6);
	out = nt_tx_seg(b, 0);
	assert_int_equal(out.flags, TH_SYN | TH_ACK);
	assert_int_equal(out.ack, 1001);
	assert_int_equal(net_stats(b->st)->arp_learned_shared, 1);
	assert_int_equal(net_stats(b->st)->arp_pending_dropped, 0);
	net_arp_share_stats(share, 1, &sb);
	assert_int_equal(sb.applied, 1);
	assert_int_equal(sb.published, 0); /* applied pairs are not echoed */

	/* An idle turn applies nothing; B's retry timer has nothing to ask. */
	assert_int_equal(net_arp_share_apply(share, 1, b->st, b->now_us), 0);
	nt_clear(b);
	nt_advance(b, 1500);
	for (unsigned i = 0; i < b->ntx; i++)
		assert_false(is_arp_request_for(&b->tx[i], NT_PEER_IP));
	assert_int_equal(net_stats(b->st)->arp_requests, 1);
}

static void test_refresh_flows_both_ways(void **state)
{
	struct nt_host *a = &hosts[0], *b = &hosts[1];
	static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x22 };
	uint8_t f[60];

	(void)state;
	/* B hears the peer first (a request from it), then A hears a new MAC. */
	nt_learn_peer(b);
	assert_int_equal(net_arp_share_apply(share, 0, a->st, a->now_us), 1);
	assert_int_equal(net_input(a->st, f, nt_arp_frame(f, 2, mac2, NT_PEER_IP, NT_STACK_IP), a->now_us), 0);
	assert_int_equal(net_arp_share_apply(share, 1, b->st, b->now_us), 1);
	/* B's entry moved to the new MAC without B asking. */
	assert_int_equal(net_stats(b->st)->arp_requests, 0);
	{
		struct net_arp_entry *e = NULL;

		for (uint32_t i = 0; i < b->st->cfg.arp_entries; i++)
			if (b->st->arp[i].state == ARP_RESOLVED && b->st->arp[i].ip == NT_PEER_IP)
				e = &b->st->arp[i];
		assert_non_null(e);
		assert_memory_equal(e->mac, mac2, 6);
	}
}

static void test_reader_too_far_behind(void **state)
{
	struct nt_host *b = &hosts[1];
	struct net_arp_share_stats sb;
	uint8_t mac[6] = { 0x02, 0xaa, 0, 0, 0, 0 };

	(void)state;
	for (unsigned i = 0; i < NET_ARP_SHARE_SLOTS + 6; i++) {
		mac[5] = (uint8_t)i;
		net_arp_share_publish(share, 0, ip4(0x0a000010u + i), mac);
	}
	/* B's cache has 64 entries, the log keeps the last 64 pairs. */
	assert_int_equal(net_arp_share_apply(share, 1, b->st, b->now_us), NET_ARP_SHARE_SLOTS);
	net_arp_share_stats(share, 1, &sb);
	assert_int_equal(sb.missed, 6);
	assert_int_equal(sb.applied, NET_ARP_SHARE_SLOTS);
	/* The oldest six went; the newest is there. */
	mac[5] = NET_ARP_SHARE_SLOTS + 5;
	assert_int_equal(net_arp_learn(b->st, ip4(0x0a000010u + NET_ARP_SHARE_SLOTS + 5), mac,
				       b->now_us), 0);
	/* The cache is full of live entries now: a new pair is not stored. */
	mac[5] = 0xee;
	assert_int_equal(net_arp_learn(b->st, ip4(0x0a0000f0u), mac, b->now_us), -ENOSPC);
	/* Once they expired, it is. */
	nt_advance(b, 60001);
	assert_int_equal(net_arp_learn(b->st, ip4(0x0a0000f0u), mac, b->now_us), 0);
}

static void test_learn_contract(void **state)
{
	struct nt_host *b = &hosts[1];
	struct net_config c;
	struct net_addr r = { .family = AF_INET, .port = 443 };
	struct net_sock *s;
	static const uint8_t good[6] = { 0x02, 1, 2, 3, 4, 5 };
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	static const uint8_t zero[6];

	(void)state;
	assert_int_equal(net_arp_learn(b->st, ip4(0), good, b->now_us), -EINVAL);
	assert_int_equal(net_arp_learn(b->st, ip4(NT_STACK_IP), good, b->now_us), -EINVAL);
	assert_int_equal(net_arp_learn(b->st, ip4(NT_PEER_IP), mcast, b->now_us), -EINVAL);
	assert_int_equal(net_arp_learn(b->st, ip4(NT_PEER_IP), zero, b->now_us), -EINVAL);

	/* A two-entry cache, both resolving: a third pair is not stored
	 * (the pending ones stay), a pair for a pending one resolves it. */
	nt_host_fini(b);
	nt_default_config(&c);
	c.arp_entries = 2;
	host_init(1, &c);
	r.v4.s_addr = htonl(NT_PEER_IP);
	assert_int_equal(net_connect(b->st, &r, NULL, b->now_us, &s), 0);
	r.v4.s_addr = htonl(0x0a000003u);
	assert_int_equal(net_connect(b->st, &r, NULL, b->now_us, &s), 0);
	assert_int_equal(nt_tcp_count(b), 0);
	assert_int_equal(net_arp_learn(b->st, ip4(0x0a000004u), good, b->now_us), -ENOSPC);
	assert_int_equal(net_arp_learn(b->st, ip4(0x0a000003u), good, b->now_us), 1);
	assert_int_equal(nt_tcp_count(b), 1);
	assert_int_equal(nt_tx_seg(b, b->ntx - 1).flags, TH_SYN);
	assert_int_equal(net_arp_learn(b->st, ip4(0x0a000003u), good, b->now_us), 0);
}

static void test_size_contract(void **state)
{
	uint8_t small[64] __attribute__((aligned(64)));

	(void)state;
	assert_int_equal(net_arp_share_size(0), 0);
	assert_int_equal(net_arp_share_size(NET_ARP_SHARE_MEMBERS_MAX + 1), 0);
	errno = 0;
	assert_null(net_arp_share_init(small, sizeof(small), 2));
	assert_int_equal(errno, EINVAL);
	assert_null(net_arp_share_init((uint8_t *)share_mem + 8, net_arp_share_size(2), 2));
}

/* ---- two threads: no torn pair ever reaches the reader's cache ---- */

#define IPS 16u
#define ROUNDS 20000u

static _Atomic bool writer_done;

/* The MAC a pair for ip carries in round r: ip's last byte twice, so a
 * torn read (one pair's ip, another's MAC) shows. */
static void mac_for(uint32_t ip, uint32_t r, uint8_t *mac)
{
	mac[0] = 0x02;
	mac[1] = (uint8_t)ip;
	mac[2] = (uint8_t)(r >> 8);
	mac[3] = (uint8_t)r;
	mac[4] = (uint8_t)ip;
	mac[5] = (uint8_t)~ip;
}

static void *writer_main(void *arg)
{
	uint8_t mac[6];

	(void)arg;
	for (uint32_t r = 0; r < ROUNDS; r++)
		for (uint32_t i = 0; i < IPS; i++) {
			uint32_t ip = 0x0a000020u + i;

			mac_for(ip, r, mac);
			net_arp_share_publish(share, 0, ip4(ip), mac);
		}
	atomic_store(&writer_done, true);
	return NULL;
}

static unsigned check_cache(struct net_stack *st)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < st->cfg.arp_entries; i++) {
		const struct net_arp_entry *e = &st->arp[i];

		if (e->state != ARP_RESOLVED)
			continue;
		assert_int_equal(e->mac[1], (uint8_t)e->ip);
		assert_int_equal(e->mac[4], (uint8_t)e->ip);
		assert_int_equal(e->mac[5], (uint8_t)~e->ip);
		n++;
	}
	return n;
}

static void test_threads_no_torn_pair(void **state)
{
	struct nt_host *b = &hosts[1];
	struct net_arp_share_stats sa, sb;
	pthread_t t;
	bool done;

	(void)state;
	atomic_store(&writer_done, false);
	assert_int_equal(pthread_create(&t, NULL, writer_main, NULL), 0);
	do {
		done = atomic_load(&writer_done);
		net_arp_share_apply(share, 1, b->st, b->now_us);
		check_cache(b->st);
	} while (!done);
	assert_int_equal(pthread_join(t, NULL), 0);
	net_arp_share_apply(share, 1, b->st, b->now_us);
	assert_int_equal(check_cache(b->st), IPS);
	net_arp_share_stats(share, 0, &sa);
	net_arp_share_stats(share, 1, &sb);
	assert_int_equal(sa.published, (uint64_t)IPS * ROUNDS);
	assert_true(sb.applied + sb.missed <= sa.published);
	assert_true(sb.applied >= IPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_at_a_resolves_b, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_flows_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_too_far_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_contract, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_contract, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_no_torn_pair, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
