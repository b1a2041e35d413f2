/*
 * Two stacks wired back to back through their tx callbacks by a link model
 * (seeded, deterministic) that loses, duplicates, corrupts and reorders
 * frames: 10 MB one way and 1 MB the other arrive byte-exact, ARP resolves
 * over the same link, and both sides close cleanly. Time is simulated.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net_test.h"
#include "dataplane/net/net-int.h"

#define LINK_SLOTS 8192
#define BIG_DEFAULT   (10u << 20)
#define SMALL_DEFAULT (1u << 20)

static uint64_t BIG = BIG_DEFAULT, SMALL = SMALL_DEFAULT;
static unsigned pause_pm; /* per mille of steps where B toggles receive pause */

struct link_frame {
	uint64_t at_us, order; /* order: FIFO among frames due at once */
	struct nt_host *to;
	uint32_t len;
	uint8_t b[1600];
};

struct link {
	struct link_frame *q;
	unsigned n;
	uint64_t rng;
	unsigned loss_pm, dup_pm, corrupt_pm, reorder_pm; /* per mille */
	struct nt_host *a, *b;
	uint64_t sent, lost, dups, corrupted, reordered, order;
};

static struct link lk;

static uint32_t rnd(void)
{
	lk.rng ^= lk.rng << 13;
	lk.rng ^= lk.rng >> 7;
	lk.rng ^= lk.rng << 17;
	return (uint32_t)(lk.rng >> 16);
}

static uint8_t pattern(uint64_t i, unsigned salt)
{
	uint64_t x = (i + salt) * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(x >> 56);
}

static void enqueue(struct nt_host *to, const uint8_t *f, uint32_t len, uint64_t now)
{
	struct link_frame *lf;
	uint64_t delay = 1000; /* FIFO unless chosen for reordering below */

	if (lk.n == LINK_SLOTS || len > sizeof(lf->b)) {
		lk.lost++;
		return;
	}
	if (rnd() % 1000 < lk.reorder_pm) {
		delay += 1000 + rnd() % 3000; /* overtaken by later frames */
		lk.reordered++;
	}
	lf = &lk.q[lk.n++];
	lf->at_us = now + delay;
	lf->order = lk.order++;
	lf->to = to;
	lf->len = len;
	memcpy(lf->b, f, len);
	if (rnd() % 1000 < lk.corrupt_pm && len > 40) {
		lf->b[14 + rnd() % (len - 14)] ^= (uint8_t)(1 + rnd() % 255);
		lk.corrupted++;
	}
}

static void link_tx(struct nt_host *h, const uint8_t *f, uint32_t len)
{
	struct nt_host *to = h == lk.a ? lk.b : lk.a;

	lk.sent++;
	if (rnd() % 1000 < lk.loss_pm) {
		lk.lost++;
		return;
	}
	enqueue(to, f, len, h->now_us);
	if (rnd() % 1000 < lk.dup_pm) {
		lk.dups++;
		enqueue(to, f, len, h->now_us);
	}
}

/* Deliver every frame due by now, earliest first. */
static void link_run(uint64_t now)
{
	for (;;) {
		unsigned best = UINT32_MAX;

		for (unsigned i = 0; i < lk.n; i++)
			if (lk.q[i].at_us <= now && 
			    (best == UINT32_MAX || lk.q[i].at_us < lk.q[best].at_us ||
			     (lk.q[i].at_us == lk.q[best].at_us && lk.q[i].order < lk.q[best].order)))
				best = i;
		if (best == UINT32_MAX)
			return;
		{
			struct link_frame f = lk.q[best];

			lk.q[best] = lk.q[--lk.n];
			f.to->now_us = now;
			(void)net_input(f.to->st, f.b, f.len, now);
		}
	}
}

static void host_config(struct net_config *c, bool is_a)
{
	nt_default_config(c);
	c->max_conns = 8;
	c->sndbuf_bytes = 65536;
	c->rcvbuf_bytes = 65536;
	c->rto_min_ms = 20;
	c->rto_init_ms = 100;
	c->delack_ms = 5;
	c->data_retries = 30;
	if (!is_a) {
		memcpy(c->mac, nt_peer_mac, 6);
		c->ip.s_addr = htonl(NT_PEER_IP);
		c->secret[0] ^= 0x55;
	}
}

static void pump(struct nt_host *h, struct net_sock *s, uint64_t *sent, uint64_t total,
		 unsigned salt)
{
	uint8_t buf[3000];

	while (s && *sent < total) {
		uint32_t chunk = 1 + rnd() % (uint32_t)sizeof(buf);
		int r;

		if (chunk > total - *sent)
			chunk = (uint32_t)(total - *sent);
		for (uint32_t i = 0; i < chunk; i++)
			buf[i] = pattern(*sent + i, salt);
		r = net_send(s, buf, chunk);
		if (r == -EAGAIN)
			return;
		assert_int_equal(r, 0);
		*sent += chunk;
	}
	(void)h;
}

static void transfer(uint64_t seed, unsigned loss, unsigned dup, unsigned corrupt,
		     unsigned reorder)
{
	struct nt_host a, b;
	struct net_config ca, cb;
	struct net_addr any = { .family = AF_UNSPEC, .port = 5060 }, dst;
	struct net_sock *sa = NULL;
	uint64_t a_sent = 0, b_sent = 0, now;
	bool a_closed = false, b_closed = false, b_paused = false;
	unsigned steps = 0;
	struct timespec t0, t1;

	memset(&lk, 0, sizeof(lk));
	lk.q = calloc(LINK_SLOTS, sizeof(*lk.q));
	assert_non_null(lk.q);
	lk.rng = seed;
	lk.loss_pm = loss;
	lk.dup_pm = dup;
	lk.corrupt_pm = corrupt;
	lk.reorder_pm = reorder;
	host_config(&ca, true);
	host_config(&cb, false);
	nt_host_init(&a, &ca);
	nt_host_init(&b, &cb);
	lk.a = &a;
	lk.b = &b;
	a.hook = b.hook = link_tx;
	now = a.now_us;
	net_start(a.st, now);
	net_start(b.st, now);
	assert_int_equal(net_listen(b.st, &any, NULL), 0);
	dst.family = AF_INET;
	dst.port = 5060;
	dst.v4.s_addr = htonl(NT_PEER_IP);
	assert_int_equal(net_connect(a.st, &dst, NULL, now, &sa), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	while (!(a_closed && b_closed)) {
		if (++steps >= 4000000) {
			struct net_sock *x = a.sock, *y = b.sock;
			print_message("a_sent %llu b_rx %llu b_sent %llu a_rx %llu a_closed %d b_closed %d\n",
				      (unsigned long long)a_sent, (unsigned long long)b.rx_len,
				      (unsigned long long)b_sent, (unsigned long long)a.rx_len, a_closed, b_closed);
			if (x)
				print_message("A st %d una %u nxt %u max %u wnd %u cwnd %u ssth %u slen %u rto %u rto_at %llu persist %d rec %d retries %u rcv_nxt %u adv %u rlen %u nooo %u\n",
					x->state, x->snd_una, x->snd_nxt, x->snd_max, x->snd_wnd, x->cwnd, x->ssthresh, x->s_len, x->rto_ms, (unsigned long long)x->rto_at, x->persist, x->in_recovery, x->retries, x->rcv_nxt, x->rcv_adv, x->r_len, x->n_ooo);
			if (y)
				print_message("B st %d una %u nxt %u max %u wnd %u cwnd %u ssth %u slen %u rto %u rto_at %llu persist %d rec %d retries %u rcv_nxt %u adv %u rlen %u nooo %u\n",
					y->state, y->snd_una, y->snd_nxt, y->snd_max, y->snd_wnd, y->cwnd, y->ssthresh, y->s_len, y->rto_ms, (unsigned long long)y->rto_at, y->persist, y->in_recovery, y->retries, y->rcv_nxt, y->rcv_adv, y->r_len, y->n_ooo);
			print_message("now %llu timer armed A %d B %d\n", (unsigned long long)now/1000, x ? dp_timer_armed(&x->timer) : -1, y ? dp_timer_armed(&y->timer) : -1);
			fail();
		}
		now += 200;
		a.now_us = b.now_us = now;
		link_run(now);
		net_poll(a.st, now);
		net_poll(b.st, now);
		if (a.connects && a.sock) {
			pump(&a, a.sock, &a_sent, BIG, 1);
			if (a_sent == BIG && !a_closed && a.eofs) {
				net_close(a.sock, false);
				a_closed = true;
			}
		}
		/* Pauses start at pause_pm per mille of steps and last ~70 ms. */
		if (b.sock && pause_pm && rnd() % 1000 < (b_paused ? 3 : pause_pm)) {
			b_paused = !b_paused;
			net_pause_recv(b.sock, b_paused);
		}
		if (b.sock && b_paused && b.rx_len == BIG) {
			b_paused = false;
			net_pause_recv(b.sock, false);
		}
		if (b.sock) {
			pump(&b, b.sock, &b_sent, SMALL, 2);
			if (b_sent == SMALL && !b_closed && b.eofs == 0 && b.rx_len == BIG) {
				net_close(b.sock, false);
				b_closed = true;
			}
		}
		if (b_closed && !a_closed && a.eofs && a_sent == BIG) {
			net_close(a.sock, false);
			a_closed = true;
		}
	}
	/* Let the FIN exchange and TIME_WAIT finish. */
	for (unsigned i = 0; i < 400000 && (lk.n || a.closes + b.closes < 2); i++) {
		now += 500;
		a.now_us = b.now_us = now;
		link_run(now);
		net_poll(a.st, now);
		net_poll(b.st, now);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(b.rx_len, BIG);
	assert_int_equal(a.rx_len, SMALL);
	for (uint64_t i = 0; i < BIG; i++)
		if (b.rx[i] != pattern(i, 1))
			fail_msg("a->b byte %llu differs", (unsigned long long)i);
	for (uint64_t i = 0; i < SMALL; i++)
		if (a.rx[i] != pattern(i, 2))
			fail_msg("b->a byte %llu differs", (unsigned long long)i);
	assert_int_equal(a.closes, 1);
	assert_int_equal(b.closes, 1);
	assert_int_equal(a.close_err, 0);
	assert_int_equal(b.close_err, 0);
	print_message("seed %llu: frames %llu lost %llu dup %llu corrupt %llu reordered %llu; "
		      "a: retx %llu rto %llu fast %llu partial %llu zwp %llu; b: retx %llu ooo %llu csum %llu; "
		      "sim %.1f s, wall %.3f s (both stacks and the link model, not asserted)\n",
		      (unsigned long long)seed, (unsigned long long)lk.sent,
		      (unsigned long long)lk.lost, (unsigned long long)lk.dups,
		      (unsigned long long)lk.corrupted, (unsigned long long)lk.reordered,
		      (unsigned long long)net_stats(a.st)->tcp_retransmits,
		      (unsigned long long)net_stats(a.st)->tcp_rto_expired,
		      (unsigned long long)net_stats(a.st)->tcp_fast_retransmits,
		      (unsigned long long)net_stats(a.st)->tcp_partial_acks,
		      (unsigned long long)net_stats(a.st)->tcp_zero_window_probes,
		      (unsigned long long)net_stats(b.st)->tcp_retransmits,
		      (unsigned long long)net_stats(b.st)->tcp_ooo_segs,
		      (unsigned long long)(net_stats(b.st)->tcp_drop_csum + net_stats(b.st)->drop_ip_csum),
		      (double)(now - 1000000000ull) / 1e6,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (!loss && !pause_pm) {
		assert_int_equal(net_stats(a.st)->tcp_retransmits, 0);
		assert_int_equal(net_stats(b.st)->tcp_retransmits, 0);
	} else if (loss >= 20) {
		assert_true(net_stats(a.st)->tcp_retransmits > 0);
		assert_true(net_stats(b.st)->tcp_ooo_segs > 0);
	}
	free(lk.q);
	nt_host_fini(&a);
	nt_host_fini(&b);
}

static void test_clean_link(void **state)
{
	(void)state;
	transfer(1, 0, 0, 0, 0);
}

static void test_lossy_link(void **state)
{
	(void)state;
	/* 2% loss, 1% duplication, 0.5% corruption, 5% reordering */
	transfer(0x5eed, 20, 10, 5, 50);
}

static void test_lossy_link_other_seed(void **state)
{
	(void)state;
	transfer(0xc0ffee, 30, 20, 5, 100);
}

/* A SYN from a spoofed source straight into b's stack. */
static void flood_syn(struct nt_host *b, uint32_t n)
{
	uint8_t f[128];
	struct nt_seg syn = nt_seg(rnd(), 0, TH_SYN);
	uint32_t len;

	syn.saddr = 0x0a000000u | (100 + n % 100);
	syn.daddr = NT_PEER_IP;
	syn.sport = (uint16_t)(1024 + rnd() % 60000);
	syn.dport = 5060;
	syn.mss = 1460;
	len = nt_build_tcp(f, &syn);
	memcpy(f, nt_peer_mac, 6); /* b's MAC */
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x66", 6);
	(void)net_input(b->st, f, len, b->now_us);
}

/*
 * A SYN flood at b (20 spoofed SYNs every 200 us, far beyond its backlog)
 * while a 2 MB transfer runs: the established connection finishes
 * byte-exact and a second legitimate connection still gets in (both do,
 * by cookie: the backlog is full before the first SYN arrives).
 */
static void test_syn_flood(void **state)
{
	struct nt_host a, b;
	struct net_config ca, cb;
	struct net_addr any = { .family = AF_UNSPEC, .port = 5060 }, dst;
	struct net_sock *first, *second;
	uint64_t a_sent = 0, now, total = 2u << 20;
	uint32_t n = 0;

	(void)state;
	memset(&lk, 0, sizeof(lk));
	lk.q = calloc(LINK_SLOTS, sizeof(*lk.q));
	assert_non_null(lk.q);
	lk.rng = 99;
	host_config(&ca, true);
	host_config(&cb, false);
	cb.max_conns = 64;
	cb.syn_backlog = 8;
	cb.arp_entries = 16;
	nt_host_init(&a, &ca);
	nt_host_init(&b, &cb);
	lk.a = &a;
	lk.b = &b;
	a.hook = b.hook = link_tx;
	now = a.now_us;
	assert_int_equal(net_listen(b.st, &any, NULL), 0);
	dst.family = AF_INET;
	dst.port = 5060;
	dst.v4.s_addr = htonl(NT_PEER_IP);
	assert_int_equal(net_connect(a.st, &dst, NULL, now, &first), 0);
	for (unsigned step = 0; b.rx_len < total || b.accepts < 2; step++) {
		assert_true(step < 2000000);
		now += 200;
		a.now_us = b.now_us = now;
		for (int i = 0; i < 20; i++)
			flood_syn(&b, n++);
		link_run(now);
		net_poll(a.st, now);
		net_poll(b.st, now);
		if (a.connects >= 1)
			pump(&a, first, &a_sent, total, 1);
		if (step == 2000)
			assert_int_equal(net_connect(a.st, &dst, NULL, now, &second), 0);
	}
	assert_int_equal(b.rx_len, total);
	for (uint64_t i = 0; i < total; i++)
		if (b.rx[i] != pattern(i, 1))
			fail_msg("byte %llu differs", (unsigned long long)i);
	assert_int_equal(b.accepts, 2);
	assert_true(net_stats(b.st)->tcp_cookies_sent > 1000);
	/* The flood filled the backlog before either legitimate SYN arrived. */
	assert_int_equal(net_stats(b.st)->tcp_cookies_accepted, 2);
	assert_true(b.st->n_syn_rcvd <= 8);
	print_message("flood: %u SYNs, cookies sent %llu, accepted %llu, conns in use %u\n", n,
		      (unsigned long long)net_stats(b.st)->tcp_cookies_sent,
		      (unsigned long long)net_stats(b.st)->tcp_cookies_accepted, b.st->n_used);
	free(lk.q);
	nt_host_fini(&a);
	nt_host_fini(&b);
}

/* Many short transfers over links of random quality, with the receiver
 * pausing and resuming at random (zero windows, probes, window updates). */
static void test_many_seeds_with_pauses(void **state)
{
	(void)state;
	BIG = 256u << 10;
	SMALL = 64u << 10;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		uint64_t r = seed * 0x9e3779b97f4a7c15ull;

		pause_pm = seed % 4 == 0 ? 0 : (unsigned)(r >> 60) + 1;
		transfer(seed, (unsigned)(r >> 8) % 100, (unsigned)(r >> 16) % 50,
			 (unsigned)(r >> 24) % 20, (unsigned)(r >> 32) % 200);
	}
	BIG = BIG_DEFAULT;
	SMALL = SMALL_DEFAULT;
	pause_pm = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_link),
		cmocka_unit_test(test_lossy_link),
		cmocka_unit_test(test_lossy_link_other_seed),
		cmocka_unit_test(test_many_seeds_with_pauses),
		cmocka_unit_test(test_syn_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
