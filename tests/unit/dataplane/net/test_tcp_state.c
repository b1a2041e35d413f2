/*
 * The TCP state machine driven by crafted segments and a fake clock: every
 * transition, RST and ACK validity (RFC 5961), the out-of-order queue, RTO
 * backoff and Karn's rule, fast retransmit and NewReno partial ACKs, zero
 * window probes, delayed ACKs, keepalive, option negotiation, SYN cookies,
 * PAWS and window edge cases. The test plays the peer (10.0.0.2:40000) and
 * inspects the control block (net-int.h) where the wire cannot show state.
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

#define PISS 1000u /* the peer's ISS */

static struct nt_host h;
static uint32_t iss; /* the stack's ISS in the current connection */

static struct net_sock *conn(uint16_t sport)
{
	return tcp__lookup(h.st, NT_STACK_IP, 80, NT_PEER_IP, sport);
}

static void start(const struct net_config *cfg)
{
	struct net_addr any = { .family = AF_UNSPEC, .port = 80 };

	nt_host_init(&h, cfg);
	nt_learn_peer(&h);
	assert_int_equal(net_listen(h.st, &any, NULL), 0);
}

static int teardown(void **state)
{
	(void)state;
	nt_host_fini(&h);
	return 0;
}

/* Three-way handshake from the peer with the given SYN; returns the SYN-ACK. */
static struct nt_seg handshake_with(struct nt_seg syn)
{
	struct nt_seg sa, ack;

	nt_clear(&h);
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(h.ntx, 1);
	sa = nt_tx_seg(&h, 0);
	assert_int_equal(sa.flags, TH_SYN | TH_ACK);
	assert_int_equal(sa.ack, syn.seq + 1);
	iss = sa.seq;
	assert_int_equal(conn(syn.sport)->state, TCP_SYN_RCVD);
	ack = nt_seg(syn.seq + 1, iss + 1, TH_ACK);
	ack.sport = syn.sport;
	if (syn.ts) {
		ack.ts = true;
		ack.tsval = syn.tsval + 1;
		ack.tsecr = sa.tsval;
	}
	nt_clear(&h);
	assert_int_equal(nt_send(&h, &ack), 0);
	assert_int_equal(h.ntx, 0);
	return sa;
}

static void handshake(void)
{
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN);
	unsigned before = h.accepts;

	syn.mss = 1460;
	handshake_with(syn);
	assert_int_equal(h.accepts, before + 1);
	assert_non_null(h.sock);
	assert_int_equal(h.sock->state, TCP_ESTABLISHED);
}

static void peer_data(uint32_t seq, const char *data, uint32_t len)
{
	struct net_sock *c = conn(40000);
	struct nt_seg s = nt_seg(seq, c ? c->snd_max : iss + 1, TH_ACK | TH_PSH);

	s.data = (const uint8_t *)data;
	s.len = len;
	assert_int_equal(nt_send(&h, &s), 0);
}

static void peer_ack(uint32_t ack, uint16_t wnd)
{
	struct net_sock *c = conn(40000);
	struct nt_seg s = nt_seg(c ? c->rcv_nxt : PISS + 1, ack, TH_ACK);

	s.wnd = wnd;
	assert_int_equal(nt_send(&h, &s), 0);
}

static void test_passive_open(void **state)
{
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN), sa;

	(void)state;
	start(NULL);
	syn.mss = 1460;
	sa = handshake_with(syn);
	assert_int_equal(sa.mss, 1460);
	assert_int_equal(sa.ws, -1); /* not offered by the peer: not answered */
	assert_false(sa.ts);
	assert_int_equal(h.accepts, 1);
	assert_int_equal(h.sock->state, TCP_ESTABLISHED);
	assert_int_equal(net_stats(h.st)->tcp_passive_opens, 1);
	assert_int_equal(net_sock_peer(h.sock)->port, 40000);
	assert_int_equal(ntohl(net_sock_peer(h.sock)->v4.s_addr), NT_PEER_IP);
}

static void test_syn_ack_lost_retransmits(void **state)
{
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN);

	(void)state;
	start(NULL);
	assert_int_equal(nt_send(&h, &syn), 0);
	iss = nt_tx_seg(&h, 0).seq;
	nt_clear(&h);
	/* The peer repeats its SYN: the SYN-ACK goes again. */
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_SYN | TH_ACK);
	assert_int_equal(nt_tx_seg(&h, 0).seq, iss);
	nt_clear(&h);
	/* And on the RTO, with backoff, until syn_retries; then it is forgotten. */
	nt_advance(&h, 1000);
	assert_int_equal(h.ntx, 1);
	nt_advance(&h, 2000);
	assert_int_equal(h.ntx, 2);
	for (int i = 0; i < 10; i++)
		nt_advance(&h, 60000);
	assert_null(conn(40000));
	assert_int_equal(h.accepts, 0);
	assert_int_equal(h.st->n_syn_rcvd, 0);
}

static void test_rto_after_syn_timeout(void **state)
{
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN), a;

	(void)state;
	start(NULL);
	assert_int_equal(nt_send(&h, &syn), 0);
	iss = nt_tx_seg(&h, 0).seq;
	nt_advance(&h, 1000); /* the SYN-ACK timed out once */
	assert_int_equal(h.ntx, 2);
	a = nt_seg(PISS + 1, iss + 1, TH_ACK);
	assert_int_equal(nt_send(&h, &a), 0);
	assert_int_equal(h.sock->state, TCP_ESTABLISHED);
	/* RFC 6298 5.7: data starts with an RTO of 3 s. */
	assert_int_equal(h.sock->rto_ms, 3000);
}

static void test_data_in_delayed_ack(void **state)
{
	struct nt_seg a;

	(void)state;
	start(NULL);
	handshake();
	nt_clear(&h);
	peer_data(PISS + 1, "hello", 5);
	assert_int_equal(h.rx_len, 5);
	assert_memory_equal(h.rx, "hello", 5);
	assert_int_equal(h.ntx, 0); /* delayed */
	nt_advance(&h, 39);
	assert_int_equal(h.ntx, 0);
	nt_advance(&h, 2);
	assert_int_equal(h.ntx, 1);
	a = nt_tx_seg(&h, 0);
	assert_int_equal(a.flags, TH_ACK);
	assert_int_equal(a.ack, PISS + 6);
	assert_int_equal(net_stats(h.st)->tcp_delayed_acks, 1);
	/* Two segments: the second is ACKed at once. */
	nt_clear(&h);
	peer_data(PISS + 6, "ab", 2);
	assert_int_equal(h.ntx, 0);
	peer_data(PISS + 8, "cd", 2);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 10);
	assert_int_equal(h.rx_len, 9);
}

static void test_data_out_and_ack(void **state)
{
	static char buf[3000];
	struct nt_seg s;

	(void)state;
	start(NULL);
	handshake();
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)i;
	nt_clear(&h);
	assert_int_equal(net_send(h.sock, buf, sizeof(buf)), 0);
	assert_int_equal(h.ntx, 3);
	s = nt_tx_seg(&h, 0);
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(s.len, 1460);
	assert_memory_equal(s.data, buf, 1460);
	assert_int_equal(nt_tx_seg(&h, 1).seq, iss + 1 + 1460);
	s = nt_tx_seg(&h, 2);
	assert_int_equal(s.len, 80);
	assert_true(s.flags & TH_PSH);
	assert_int_equal(net_sock_unsent(h.sock), 3000);
	assert_true(dp_timer_armed(&h.sock->timer));
	peer_ack(iss + 1 + 1460, 65535);
	assert_int_equal(net_sock_unsent(h.sock), 1540);
	peer_ack(iss + 3001, 65535);
	assert_int_equal(net_sock_unsent(h.sock), 0);
	assert_int_equal(h.sock->rto_at, 0);
}

static void test_peer_close_close_wait_last_ack(void **state)
{
	struct nt_seg fin;

	(void)state;
	start(NULL);
	handshake();
	nt_clear(&h);
	fin = nt_seg(PISS + 1, iss + 1, TH_ACK | TH_FIN);
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(h.eofs, 1);
	assert_int_equal(h.sock->state, TCP_CLOSE_WAIT);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 2);
	/* Sending still works in CLOSE-WAIT. */
	assert_int_equal(net_send(h.sock, "bye", 3), 0);
	nt_clear(&h);
	net_close(h.sock, false);
	assert_int_equal(h.closes, 0); /* never from inside net_close */
	assert_int_equal(conn(40000)->state, TCP_LAST_ACK);
	nt_advance(&h, 1);
	assert_int_equal(h.closes, 1);
	assert_int_equal(h.close_err, 0);
	peer_ack(iss + 1 + 3, 65535); /* acks the data, not the FIN */
	assert_int_equal(conn(40000)->state, TCP_LAST_ACK);
	peer_ack(iss + 1 + 3 + 1, 65535);
	assert_null(conn(40000));
	assert_int_equal(h.st->n_used, 0);
}

static void test_active_close_fin_wait_time_wait(void **state)
{
	struct nt_seg s, fin;
	struct net_sock *c;

	(void)state;
	start(NULL);
	handshake();
	c = h.sock;
	nt_clear(&h);
	net_close(c, false);
	assert_int_equal(h.ntx, 1);
	s = nt_tx_seg(&h, 0);
	assert_int_equal(s.flags, TH_ACK | TH_FIN);
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(c->state, TCP_FIN_WAIT_1);
	nt_advance(&h, 1);
	assert_int_equal(h.closes, 1);
	peer_ack(iss + 2, 65535);
	assert_int_equal(c->state, TCP_FIN_WAIT_2);
	nt_clear(&h);
	fin = nt_seg(PISS + 1, iss + 2, TH_ACK | TH_FIN);
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(c->state, TCP_TIME_WAIT);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 2);
	/* A retransmitted FIN is ACKed again and restarts 2 MSL. */
	nt_advance(&h, 30000);
	nt_clear(&h);
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(h.ntx, 1);
	nt_advance(&h, 59000);
	assert_non_null(conn(40000));
	nt_advance(&h, 1001);
	assert_null(conn(40000));
	assert_int_equal(h.st->n_used, 0);
}

static void test_fin_ack_in_fin_wait_1(void **state)
{
	struct nt_seg fin;

	(void)state;
	start(NULL);
	handshake();
	net_close(h.sock, false);
	nt_advance(&h, 1);
	fin = nt_seg(PISS + 1, iss + 2, TH_ACK | TH_FIN); /* acks our FIN and closes */
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(conn(40000)->state, TCP_TIME_WAIT);
}

static void test_simultaneous_close_closing(void **state)
{
	struct nt_seg fin;

	(void)state;
	start(NULL);
	handshake();
	net_close(h.sock, false);
	nt_advance(&h, 1);
	nt_clear(&h);
	fin = nt_seg(PISS + 1, iss + 1, TH_ACK | TH_FIN); /* crossed: ours not acked */
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(conn(40000)->state, TCP_CLOSING);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 2);
	peer_ack(iss + 2, 65535);
	assert_int_equal(conn(40000)->state, TCP_TIME_WAIT);
}

static void test_fin_wait_2_limit(void **state)
{
	(void)state;
	start(NULL);
	handshake();
	net_close(h.sock, false);
	nt_advance(&h, 1);
	peer_ack(iss + 2, 65535);
	assert_int_equal(conn(40000)->state, TCP_FIN_WAIT_2);
	nt_advance(&h, 59990);
	assert_non_null(conn(40000));
	nt_advance(&h, 20);
	assert_null(conn(40000));
}

static void test_active_open(void **state)
{
	struct net_addr dst = { .family = AF_INET, .port = 5060 };
	struct net_sock *c;
	struct nt_seg syn, sa;

	(void)state;
	start(NULL);
	dst.v4.s_addr = htonl(NT_PEER_IP);
	assert_int_equal(net_connect(h.st, &dst, NULL, h.now_us, &c), 0);
	assert_int_equal(h.ntx, 1);
	syn = nt_tx_seg(&h, 0);
	assert_int_equal(syn.flags, TH_SYN);
	assert_int_equal(syn.mss, 1460);
	assert_int_equal(syn.ws, 0);
	assert_true(syn.ts);
	assert_int_equal(c->state, TCP_SYN_SENT);
	assert_int_equal(net_send(c, "x", 1), -ENOTCONN);
	sa = nt_seg(7000, syn.seq + 1, TH_SYN | TH_ACK);
	sa.sport = 5060;
	sa.dport = syn.sport;
	sa.mss = 1200;
	sa.ws = 2;
	sa.ts = true;
	sa.tsval = 500;
	sa.tsecr = syn.tsval;
	nt_clear(&h);
	assert_int_equal(nt_send(&h, &sa), 0);
	assert_int_equal(h.connects, 1);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(c->mss, 1200);
	assert_true(c->ws_ok && c->ts_ok);
	assert_int_equal(c->snd_wscale, 2);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_ACK);
	assert_int_equal(nt_tx_seg(&h, 0).ack, 7001);
	assert_int_equal(nt_tx_seg(&h, 0).tsecr, 500);
}

static void test_active_open_refused_and_timeout(void **state)
{
	struct net_addr dst = { .family = AF_INET, .port = 5060 };
	struct net_sock *c;
	struct nt_seg syn, rst;

	(void)state;
	start(NULL);
	dst.v4.s_addr = htonl(NT_PEER_IP);
	assert_int_equal(net_connect(h.st, &dst, NULL, h.now_us, &c), 0);
	syn = nt_tx_seg(&h, 0);
	/* A RST whose ACK does not acknowledge our SYN is ignored. */
	rst = nt_seg(0, syn.seq + 5, TH_RST | TH_ACK);
	rst.sport = 5060;
	rst.dport = syn.sport;
	assert_int_equal(nt_send(&h, &rst), 0);
	assert_int_equal(h.closes, 0);
	rst.ack = syn.seq + 1;
	assert_int_equal(nt_send(&h, &rst), 0);
	assert_int_equal(h.closes, 1);
	assert_int_equal(h.close_err, -ECONNREFUSED);

	/* Unanswered SYNs: syn_retries with doubling RTO, then -ETIMEDOUT. */
	nt_clear(&h);
	assert_int_equal(net_connect(h.st, &dst, NULL, h.now_us, &c), 0);
	nt_advance(&h, 999);
	assert_int_equal(h.ntx, 1);
	nt_advance(&h, 1);
	assert_int_equal(h.ntx, 2);
	nt_advance(&h, 1999);
	assert_int_equal(h.ntx, 2);
	nt_advance(&h, 1);
	assert_int_equal(h.ntx, 3);
	for (int i = 0; i < 8; i++)
		nt_advance(&h, 60000);
	assert_int_equal(h.ntx, 6); /* first SYN + 5 retries */
	assert_int_equal(h.closes, 2);
	assert_int_equal(h.close_err, -ETIMEDOUT);
}

static void test_rst_validity(void **state)
{
	struct nt_seg rst;

	(void)state;
	start(NULL);
	handshake();
	nt_clear(&h);
	/* Out of window: dropped silently. */
	rst = nt_seg(PISS + 1 + 100000, 0, TH_RST);
	assert_int_equal(nt_send(&h, &rst), 0);
	assert_int_equal(h.ntx, 0);
	assert_int_equal(h.sock->state, TCP_ESTABLISHED);
	/* In window but not exact: challenge ACK (RFC 5961 3.2). */
	rst.seq = PISS + 1 + 10;
	assert_int_equal(nt_send(&h, &rst), 0);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_ACK);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 1);
	assert_int_equal(net_stats(h.st)->tcp_challenge_acks, 1);
	assert_int_equal(h.sock->state, TCP_ESTABLISHED);
	/* Exact: reset. */
	rst.seq = PISS + 1;
	assert_int_equal(nt_send(&h, &rst), 0);
	assert_int_equal(h.closes, 1);
	assert_int_equal(h.close_err, -ECONNRESET);
	assert_null(conn(40000));
}

static void test_syn_in_established_challenge(void **state)
{
	struct nt_seg syn;

	(void)state;
	start(NULL);
	handshake();
	nt_clear(&h);
	syn = nt_seg(PISS + 50, 0, TH_SYN);
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_ACK);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 1);
	assert_int_equal(net_stats(h.st)->tcp_challenge_acks, 1);
	assert_int_equal(h.sock->state, TCP_ESTABLISHED);
}

static void test_ack_validity(void **state)
{
	struct nt_seg s;

	(void)state;
	start(NULL);
	handshake();
	nt_clear(&h);
	/* Acknowledges data never sent: challenge ACK, data not taken. */
	s = nt_seg(PISS + 1, iss + 1 + 500, TH_ACK);
	s.data = (const uint8_t *)"zz";
	s.len = 2;
	assert_int_equal(nt_send(&h, &s), 0);
	assert_int_equal(h.rx_len, 0);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(net_stats(h.st)->tcp_drop_bad_ack, 1);
	/* Too old (below SND.UNA - MAX.SND.WND): also refused. */
	s.ack = iss + 1 - 70000;
	assert_int_equal(nt_send(&h, &s), 0);
	assert_int_equal(h.rx_len, 0);
	assert_int_equal(net_stats(h.st)->tcp_drop_bad_ack, 2);
	/* Old but within MAX.SND.WND: acceptable. */
	s.ack = iss + 1 - 1000;
	assert_int_equal(nt_send(&h, &s), 0);
	assert_int_equal(h.rx_len, 2);
	/* No ACK flag at all: dropped. */
	s = nt_seg(PISS + 3, 0, 0);
	s.data = (const uint8_t *)"q";
	s.len = 1;
	assert_int_equal(nt_send(&h, &s), 0);
	assert_int_equal(h.rx_len, 2);
}

static void test_challenge_ack_limit(void **state)
{
	struct net_config c;
	struct nt_seg rst;

	(void)state;
	nt_default_config(&c);
	c.challenge_acks_per_s = 2;
	start(&c);
	handshake();
	nt_clear(&h);
	rst = nt_seg(PISS + 20, 0, TH_RST);
	for (int i = 0; i < 5; i++)
		assert_int_equal(nt_send(&h, &rst), 0);
	assert_int_equal(h.ntx, 2);
	assert_int_equal(net_stats(h.st)->tcp_challenge_acks_limited, 3);
	nt_advance(&h, 1000);
	assert_int_equal(nt_send(&h, &rst), 0);
	assert_int_equal(h.ntx, 3);
}

static void test_out_of_order_queue(void **state)
{
	(void)state;
	start(NULL);
	handshake();
	nt_clear(&h);
	peer_data(PISS + 1 + 6, "world", 5);
	assert_int_equal(h.rx_len, 0);
	assert_int_equal(h.ntx, 1); /* duplicate ACK at once */
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 1);
	peer_data(PISS + 1 + 20, "!!", 2); /* a second hole */
	assert_int_equal(h.sock->n_ooo, 2);
	peer_data(PISS + 1 + 5, " wor", 4); /* overlaps the first range */
	assert_int_equal(h.sock->n_ooo, 2);
	nt_clear(&h);
	peer_data(PISS + 1, "hello", 5); /* fills the first hole */
	assert_int_equal(h.rx_len, 11);
	assert_memory_equal(h.rx, "hello world", 11);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 12);
	peer_data(PISS + 12, "123456789", 9);
	assert_int_equal(h.rx_len, 22);
	assert_memory_equal(h.rx, "hello world123456789!!", 22);
	assert_int_equal(h.sock->n_ooo, 0);
	/* A duplicate of old data: dropped, ACKed. */
	nt_clear(&h);
	peer_data(PISS + 1, "hello", 5);
	assert_int_equal(h.rx_len, 22);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 23);
	/* Partly old, partly new: the new part is taken. */
	peer_data(PISS + 21, "!!abc", 5);
	assert_int_equal(h.rx_len, 25);
	assert_memory_equal(h.rx + 22, "abc", 3);
}

static void test_rto_backoff_and_karn(void **state)
{
	(void)state;
	start(NULL);
	handshake();
	assert_int_equal(h.sock->rto_ms, 1000);
	nt_clear(&h);
	assert_int_equal(net_send(h.sock, "data", 4), 0);
	assert_int_equal(h.ntx, 1);
	nt_advance(&h, 999);
	assert_int_equal(h.ntx, 1);
	nt_advance(&h, 1);
	assert_int_equal(h.ntx, 2);
	assert_int_equal(nt_tx_seg(&h, 1).seq, iss + 1);
	assert_int_equal(nt_tx_seg(&h, 1).len, 4);
	assert_int_equal(h.sock->rto_ms, 2000);
	nt_advance(&h, 1999);
	assert_int_equal(h.ntx, 2);
	nt_advance(&h, 1);
	assert_int_equal(h.ntx, 3);
	assert_int_equal(h.sock->rto_ms, 4000);
	assert_int_equal(net_stats(h.st)->tcp_rto_expired, 2);
	assert_int_equal(h.sock->cwnd, 1460);
	/* The ACK of a retransmitted segment gives no RTT sample (Karn). */
	nt_advance(&h, 10);
	peer_ack(iss + 5, 65535);
	assert_int_equal(h.sock->rto_ms, 4000);
	assert_int_equal(h.sock->srtt8, 0);
	/* A fresh segment is timed: 50 ms gives RTO max(rto_min, 50 + 4*25). */
	assert_int_equal(net_send(h.sock, "more", 4), 0);
	nt_advance(&h, 50);
	peer_ack(iss + 9, 65535);
	assert_int_equal(h.sock->srtt8 >> 3, 50);
	assert_int_equal(h.sock->rto_ms, 200);
	assert_int_equal(h.sock->retries, 0);
}

static void test_retransmission_gives_up(void **state)
{
	struct net_config c;

	(void)state;
	nt_default_config(&c);
	c.data_retries = 3;
	start(&c);
	handshake();
	assert_int_equal(net_send(h.sock, "data", 4), 0);
	for (int i = 0; i < 10 && h.closes == 0; i++)
		nt_advance(&h, 60000);
	assert_int_equal(h.closes, 1);
	assert_int_equal(h.close_err, -ETIMEDOUT);
	assert_null(conn(40000));
}

static void test_fast_retransmit_newreno(void **state)
{
	static char buf[4 * 536];
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN), s;
	struct net_sock *c;
	unsigned n;

	(void)state;
	start(NULL);
	syn.mss = 536;
	handshake_with(syn);
	c = h.sock;
	assert_int_equal(c->cwnd, 4 * 536);
	nt_clear(&h);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(net_send(c, buf, sizeof(buf)), 0);
	assert_int_equal(h.ntx, 4);
	nt_clear(&h);
	/* First segment lost: three duplicate ACKs. */
	peer_ack(iss + 1, 65535);
	peer_ack(iss + 1, 65535);
	assert_int_equal(h.ntx, 0);
	peer_ack(iss + 1, 65535);
	assert_int_equal(net_stats(h.st)->tcp_fast_retransmits, 1);
	assert_int_equal(h.ntx, 1);
	s = nt_tx_seg(&h, 0);
	assert_int_equal(s.seq, iss + 1);
	assert_int_equal(s.len, 536);
	assert_true(c->in_recovery);
	assert_int_equal(c->ssthresh, 1072);
	assert_int_equal(c->cwnd, 1072 + 3 * 536);
	assert_int_equal(c->recover, iss + 1 + 4 * 536);
	/* Partial ACK: the next hole is retransmitted at once (RFC 6582). */
	nt_clear(&h);
	peer_ack(iss + 1 + 536, 65535);
	assert_int_equal(net_stats(h.st)->tcp_partial_acks, 1);
	assert_true(h.ntx >= 1);
	s = nt_tx_seg(&h, 0);
	assert_int_equal(s.seq, iss + 1 + 536);
	assert_true(c->in_recovery);
	/* Full ACK: recovery ends, cwnd deflates to ssthresh at most. */
	peer_ack(iss + 1 + 4 * 536, 65535);
	assert_false(c->in_recovery);
	assert_true(c->cwnd <= 1072);
	n = (unsigned)net_stats(h.st)->tcp_dup_acks;
	assert_int_equal(n, 3);
}

static void test_zero_window_probe(void **state)
{
	struct nt_seg p;

	(void)state;
	start(NULL);
	handshake();
	peer_ack(iss + 1, 0);
	assert_int_equal(h.sock->snd_wnd, 0);
	nt_clear(&h);
	assert_int_equal(net_send(h.sock, "0123456789", 10), 0);
	assert_int_equal(h.ntx, 0);
	assert_true(h.sock->persist);
	/* Data from the peer meanwhile gets its delayed ACK on time. */
	{
		struct nt_seg d = nt_seg(PISS + 1, iss + 1, TH_ACK | TH_PSH);

		d.wnd = 0;
		d.data = (const uint8_t *)"d";
		d.len = 1;
		assert_int_equal(nt_send(&h, &d), 0);
	}
	nt_advance(&h, 41);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 2);
	assert_int_equal(nt_tx_seg(&h, 0).len, 0);
	nt_clear(&h);
	nt_advance(&h, 959);
	assert_int_equal(h.ntx, 1);
	p = nt_tx_seg(&h, 0);
	assert_int_equal(p.seq, iss + 1);
	assert_int_equal(p.len, 1);
	assert_int_equal(net_stats(h.st)->tcp_zero_window_probes, 1);
	/* Still closed: the probe byte was not taken; probes back off. */
	peer_ack(iss + 1, 0);
	assert_true(h.sock->persist);
	nt_advance(&h, 1000);
	assert_int_equal(h.ntx, 1);
	nt_advance(&h, 1000);
	assert_int_equal(h.ntx, 2);
	/* The window opens: everything goes. */
	nt_clear(&h);
	peer_ack(iss + 1, 65535);
	assert_false(h.sock->persist);
	assert_int_equal(h.ntx, 1);
	p = nt_tx_seg(&h, 0);
	assert_int_equal(p.seq, iss + 1);
	assert_int_equal(p.len, 10);
}

/*
 * A peer that answers every zero-window probe and never opens its window:
 * an open connection keeps probing (its owner decides), one its owner
 * closed is reset after data_retries probes instead of staying for ever.
 */
static void zero_window_forever(bool closed)
{
	struct net_config c;
	uint64_t resets;

	nt_default_config(&c);
	c.data_retries = 3;
	c.arp_timeout_ms = 24 * 3600 * 1000; /* minutes pass; the peer stays resolved */
	start(&c);
	handshake();
	peer_ack(iss + 1, 0);
	assert_int_equal(net_send(h.sock, "0123456789", 10), 0);
	assert_true(h.sock->persist);
	if (closed)
		net_close(h.sock, false);
	resets = net_stats(h.st)->tcp_rst_tx;
	for (int i = 0; i < 20 && conn(40000); i++) {
		nt_clear(&h);
		nt_advance(&h, 60000);
		if (conn(40000))
			peer_ack(iss + 1, 0);
	}
	if (!closed) {
		assert_non_null(conn(40000));
		assert_true(conn(40000)->persist);
		assert_true(net_stats(h.st)->tcp_zero_window_probes >= 20);
		assert_int_equal(net_stats(h.st)->tcp_timeouts, 0);
		return;
	}
	assert_null(conn(40000));
	assert_int_equal(net_stats(h.st)->tcp_timeouts, 1);
	assert_int_equal(net_stats(h.st)->tcp_zero_window_probes, 3);
	assert_int_equal(net_stats(h.st)->tcp_rst_tx, resets + 1);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_RST | TH_ACK);
}

static void test_zero_window_open_probes_on(void **state)
{
	(void)state;
	zero_window_forever(false);
}

static void test_zero_window_closed_gives_up(void **state)
{
	(void)state;
	zero_window_forever(true);
}

static void test_keepalive(void **state)
{
	struct net_config c;
	struct nt_seg k, a;

	(void)state;
	nt_default_config(&c);
	c.keepalive_idle_ms = 1000;
	c.keepalive_intvl_ms = 100;
	c.keepalive_probes = 3;
	start(&c);
	handshake();
	nt_clear(&h);
	nt_advance(&h, 1000);
	assert_int_equal(h.ntx, 1);
	k = nt_tx_seg(&h, 0);
	assert_int_equal(k.seq, iss); /* SND.NXT - 1 */
	assert_int_equal(k.len, 0);
	/* The peer answers: the idle clock restarts. */
	a = nt_seg(PISS + 1, iss + 1, TH_ACK);
	assert_int_equal(nt_send(&h, &a), 0);
	nt_advance(&h, 999);
	assert_int_equal(h.ntx, 1);
	nt_advance(&h, 1);
	assert_int_equal(h.ntx, 2);
	/* Silence: three probes 100 ms apart, then the connection is reset. */
	nt_advance(&h, 100);
	nt_advance(&h, 100);
	assert_int_equal(net_stats(h.st)->tcp_keepalives_sent, 4);
	nt_advance(&h, 100);
	assert_int_equal(h.closes, 1);
	assert_int_equal(h.close_err, -ETIMEDOUT);
	assert_int_equal(nt_tx_seg(&h, h.ntx - 1).flags & TH_RST, TH_RST);
}

static void test_window_scale_and_timestamps(void **state)
{
	struct net_config c;
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN), sa, a;

	(void)state;
	nt_default_config(&c);
	c.rcvbuf_bytes = 1u << 20;
	start(&c);
	syn.mss = 1460;
	syn.ws = 7;
	syn.ts = true;
	syn.tsval = 111;
	sa = handshake_with(syn);
	assert_int_equal(sa.ws, 5); /* 1 MiB >> 5 fits 16 bits */
	assert_true(sa.ts);
	assert_int_equal(sa.tsecr, 111);
	assert_int_equal(sa.wnd, 65535); /* never scaled in a SYN */
	assert_true(h.sock->ws_ok && h.sock->ts_ok);
	assert_int_equal(h.sock->snd_wscale, 7);
	assert_int_equal(h.sock->mss, 1460);
	/* The peer's window is scaled by 7 from now on. */
	a = nt_seg(PISS + 1, iss + 1, TH_ACK);
	a.wnd = 10;
	a.ts = true;
	a.tsval = 120;
	assert_int_equal(nt_send(&h, &a), 0);
	assert_int_equal(h.sock->snd_wnd, 1280);
	assert_int_equal(h.sock->ts_recent, 120);
	/* Ours is scaled by 5, and every segment carries timestamps. */
	nt_clear(&h);
	assert_int_equal(net_send(h.sock, "x", 1), 0);
	a = nt_tx_seg(&h, 0);
	assert_int_equal(a.wnd, (1u << 20) >> 5);
	assert_true(a.ts);
	assert_int_equal(a.tsecr, 120);
	assert_int_equal(h.sock->mss - 12, 1448);
	/* PAWS: an older TSval is dropped (and ACKed). */
	nt_clear(&h);
	a = nt_seg(PISS + 1, iss + 2, TH_ACK | TH_PSH);
	a.ts = true;
	a.tsval = 100;
	a.data = (const uint8_t *)"old";
	a.len = 3;
	assert_int_equal(nt_send(&h, &a), 0);
	assert_int_equal(h.rx_len, 0);
	assert_int_equal(net_stats(h.st)->tcp_drop_paws, 1);
	assert_int_equal(h.ntx, 1);
}

/*
 * A flood with a backlog configured as large as the table: half-open
 * connections take at most half of it, later SYNs get cookies, and a
 * cookie's ACK still finds a slot (the regression: the table filled with
 * half-open connections, no cookie went out, every new SYN was dropped).
 */
static void test_syn_flood_backlog_capped(void **state)
{
	struct net_config c;
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN), sa, ack;

	(void)state;
	nt_default_config(&c);
	c.max_conns = 8;
	c.syn_backlog = 256;
	start(&c);
	syn.mss = 1460;
	for (uint16_t p = 0; p < 40; p++) {
		syn.sport = (uint16_t)(41000 + p);
		assert_int_equal(nt_send(&h, &syn), 0);
	}
	assert_int_equal(h.st->n_syn_rcvd, 4);
	assert_int_equal(net_stats(h.st)->tcp_cookies_sent, 36);
	/* a legitimate client answers its cookie: it gets a connection */
	nt_clear(&h);
	syn.sport = 40001;
	assert_int_equal(nt_send(&h, &syn), 0);
	sa = nt_tx_seg(&h, 0);
	assert_int_equal(sa.flags, TH_SYN | TH_ACK);
	ack = nt_seg(PISS + 1, sa.seq + 1, TH_ACK);
	ack.sport = 40001;
	assert_int_equal(nt_send(&h, &ack), 0);
	assert_int_equal(net_stats(h.st)->tcp_cookies_accepted, 1);
	assert_non_null(conn(40001));
	assert_int_equal(conn(40001)->state, TCP_ESTABLISHED);
}

static void test_syn_cookies(void **state)
{
	struct net_config c;
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN), sa, ack;
	struct net_sock *k;

	(void)state;
	nt_default_config(&c);
	c.syn_backlog = 1;
	start(&c);
	syn.mss = 1460;
	assert_int_equal(nt_send(&h, &syn), 0); /* fills the backlog */
	assert_int_equal(h.st->n_syn_rcvd, 1);
	nt_clear(&h);
	syn.sport = 40001;
	syn.mss = 1400;
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(h.ntx, 1);
	sa = nt_tx_seg(&h, 0);
	assert_int_equal(sa.flags, TH_SYN | TH_ACK);
	assert_int_equal(sa.ack, PISS + 1);
	assert_int_equal(net_stats(h.st)->tcp_cookies_sent, 1);
	assert_null(conn(40001)); /* no state kept */
	/* A wrong cookie: reset, counted. */
	nt_clear(&h);
	ack = nt_seg(PISS + 1, sa.seq + 2, TH_ACK);
	ack.sport = 40001;
	assert_int_equal(nt_send(&h, &ack), 0);
	assert_int_equal(net_stats(h.st)->tcp_cookies_rejected, 1);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_RST);
	assert_null(conn(40001));
	/* The right one, with data: the connection exists with MSS 1360. */
	ack.ack = sa.seq + 1;
	ack.data = (const uint8_t *)"GET";
	ack.len = 3;
	ack.flags |= TH_PSH;
	nt_advance(&h, 64000); /* the next cookie period still accepts it */
	nt_learn_peer(&h);     /* the ARP entry expired meanwhile */
	assert_int_equal(nt_send(&h, &ack), 0);
	assert_int_equal(net_stats(h.st)->tcp_cookies_accepted, 1);
	assert_int_equal(h.accepts, 1);
	k = conn(40001);
	assert_non_null(k);
	assert_int_equal(k->state, TCP_ESTABLISHED);
	assert_int_equal(k->mss, 1360);
	assert_int_equal(h.rx_len, 3);
	assert_false(k->ws_ok);
	/* With timestamps the peer's window scale survives the cookie. */
	syn.sport = 40009; /* the first half-open one timed out: refill */
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(h.st->n_syn_rcvd, 1);
	nt_clear(&h);
	syn.sport = 40002;
	syn.ws = 3;
	syn.ts = true;
	syn.tsval = 77;
	assert_int_equal(nt_send(&h, &syn), 0);
	sa = nt_tx_seg(&h, 0);
	assert_true(sa.ts);
	assert_int_equal(sa.tsval & 0x1f, 0x13);
	assert_int_equal(sa.ws, 0); /* our scale for a 16 KiB buffer */
	ack = nt_seg(PISS + 1, sa.seq + 1, TH_ACK);
	ack.sport = 40002;
	ack.ts = true;
	ack.tsval = 78;
	ack.tsecr = sa.tsval;
	ack.wnd = 100;
	assert_int_equal(nt_send(&h, &ack), 0);
	k = conn(40002);
	assert_non_null(k);
	assert_true(k->ws_ok && k->ts_ok);
	assert_int_equal(k->snd_wscale, 3);
	assert_int_equal(k->snd_wnd, 800);
	/* Expired cookie: two periods later it is refused. */
	nt_clear(&h);
	syn.sport = 40003;
	assert_int_equal(nt_send(&h, &syn), 0);
	sa = nt_tx_seg(&h, 0);
	nt_advance(&h, 2 * 64000 + 1000);
	ack.sport = 40003;
	ack.ack = sa.seq + 1;
	ack.tsecr = sa.tsval;
	assert_int_equal(nt_send(&h, &ack), 0);
	assert_null(conn(40003));
}

static void test_window_edges(void **state)
{
	static char buf[16384];
	struct nt_seg a;
	uint32_t seq = PISS + 1;

	(void)state;
	start(NULL);
	handshake();
	memset(buf, 'w', sizeof(buf));
	net_pause_recv(h.sock, true);
	nt_advance(&h, 1);
	nt_clear(&h);
	/* Fill the 16 KiB buffer while paused: the window shrinks to 0. */
	for (uint32_t off = 0; off < sizeof(buf); off += 1460) {
		uint32_t n = sizeof(buf) - off < 1460 ? sizeof(buf) - off : 1460;

		peer_data(seq, buf + off, n);
		seq += n;
	}
	assert_int_equal(h.rx_len, 0);
	assert_int_equal(h.sock->r_len, sizeof(buf));
	nt_advance(&h, 50);
	a = nt_tx_seg(&h, h.ntx - 1);
	assert_int_equal(a.ack, seq);
	assert_int_equal(a.wnd, 0);
	/* A byte beyond a zero window is not accepted, and is ACKed; the ACK
	 * it carries still counts (RFC 9293 3.10.7.4). */
	assert_int_equal(net_send(h.sock, "abc", 3), 0);
	assert_int_equal(net_sock_unsent(h.sock), 3);
	nt_clear(&h);
	peer_data(seq, "z", 1);
	assert_int_equal(net_stats(h.st)->tcp_drop_out_of_window, 1);
	assert_int_equal(h.ntx, 1);
	assert_int_equal(nt_tx_seg(&h, 0).ack, seq);
	assert_int_equal(h.sock->rcv_nxt, seq);
	assert_int_equal(net_sock_unsent(h.sock), 0);
	/* Resume: all delivered from net_poll, and a window update goes out. */
	nt_clear(&h);
	net_pause_recv(h.sock, false);
	assert_int_equal(h.rx_len, 0);
	nt_advance(&h, 1);
	assert_int_equal(h.rx_len, sizeof(buf));
	assert_true(h.ntx >= 1);
	a = nt_tx_seg(&h, h.ntx - 1);
	assert_int_equal(a.wnd, sizeof(buf));
	/* A segment straddling the right edge is trimmed to the window. */
	net_pause_recv(h.sock, true);
	nt_advance(&h, 1);
	for (int i = 0; i < 11; i++) {
		peer_data(seq, buf, 1460);
		seq += 1460;
	}
	assert_int_equal(h.sock->rcv_adv - h.sock->rcv_nxt, 16384 - 11 * 1460);
	peer_data(seq, buf, 1460);
	assert_int_equal(h.sock->rcv_nxt, seq + 16384 - 11 * 1460);
	assert_int_equal(h.sock->r_len, 16384);
	net_pause_recv(h.sock, false);
	nt_advance(&h, 1);
	assert_int_equal(h.rx_len, 2 * sizeof(buf));
}

static void test_send_eagain_and_drain(void **state)
{
	static char buf[16384];

	(void)state;
	start(NULL);
	handshake();
	assert_int_equal(net_send(h.sock, buf, sizeof(buf)), 0);
	assert_int_equal(net_send(h.sock, buf, 1), -EAGAIN);
	assert_int_equal(net_send(h.sock, buf, sizeof(buf) + 1), -EMSGSIZE);
	/* ops->drain once the queue is down to a quarter, not before. */
	while (net_sock_unsent(h.sock) > sizeof(buf) / 4) {
		assert_int_equal(h.drains, 0);
		peer_ack(h.sock->snd_max, 65535);
	}
	assert_int_equal(h.drains, 1);
	while (net_sock_unsent(h.sock))
		peer_ack(h.sock->snd_max, 65535);
	assert_int_equal(h.drains, 1);
	net_close(h.sock, false);
	assert_int_equal(net_send(h.sock, buf, 1), -EPIPE);
}

static void test_closed_port_and_refused_accept(void **state)
{
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN), r;

	(void)state;
	start(NULL);
	syn.dport = 81;
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(h.ntx, 1);
	r = nt_tx_seg(&h, 0);
	assert_int_equal(r.flags, TH_RST | TH_ACK);
	assert_int_equal(r.ack, PISS + 1);
	assert_int_equal(r.seq, 0);
	/* An ACK to nowhere: RST with its ACK as sequence. */
	nt_clear(&h);
	r = nt_seg(5, 12345, TH_ACK);
	r.dport = 81;
	assert_int_equal(nt_send(&h, &r), 0);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_RST);
	assert_int_equal(nt_tx_seg(&h, 0).seq, 12345);
	/* A RST to nowhere: nothing. */
	nt_clear(&h);
	r.flags = TH_RST;
	assert_int_equal(nt_send(&h, &r), 0);
	assert_int_equal(h.ntx, 0);
	/* The caller refuses a connection: it is reset. */
	h.accept_ret = -ECONNREFUSED;
	syn.dport = 80;
	assert_int_equal(nt_send(&h, &syn), 0);
	iss = nt_tx_seg(&h, 0).seq;
	nt_clear(&h);
	r = nt_seg(PISS + 1, iss + 1, TH_ACK);
	assert_int_equal(nt_send(&h, &r), 0);
	assert_int_equal(h.accepts, 1);
	assert_int_equal(nt_tx_seg(&h, 0).flags & TH_RST, TH_RST);
	assert_null(conn(40000));
	assert_int_equal(h.closes, 0);
}

static void test_abort_and_time_wait_reuse(void **state)
{
	struct nt_seg fin, syn;

	(void)state;
	start(NULL);
	handshake();
	nt_clear(&h);
	net_close(h.sock, true);
	assert_int_equal(nt_tx_seg(&h, 0).flags & TH_RST, TH_RST);
	assert_int_equal(nt_tx_seg(&h, 0).seq, iss + 1);
	nt_advance(&h, 1);
	assert_int_equal(h.closes, 1);
	assert_null(conn(40000));
	/* Again, to TIME-WAIT; a new SYN with a higher sequence reuses the pair. */
	handshake();
	net_close(h.sock, false);
	nt_advance(&h, 1);
	fin = nt_seg(PISS + 1, iss + 2, TH_ACK | TH_FIN);
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(conn(40000)->state, TCP_TIME_WAIT);
	nt_clear(&h);
	syn = nt_seg(PISS + 100000, 0, TH_SYN);
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_SYN | TH_ACK);
	assert_int_equal(conn(40000)->state, TCP_SYN_RCVD);
}

static void test_simultaneous_open(void **state)
{
	struct net_addr dst = { .family = AF_INET, .port = 5060 };
	struct net_sock *c;
	struct nt_seg syn, s;

	(void)state;
	start(NULL);
	dst.v4.s_addr = htonl(NT_PEER_IP);
	assert_int_equal(net_connect(h.st, &dst, NULL, h.now_us, &c), 0);
	syn = nt_tx_seg(&h, 0);
	nt_clear(&h);
	s = nt_seg(9000, 0, TH_SYN);
	s.sport = 5060;
	s.dport = syn.sport;
	assert_int_equal(nt_send(&h, &s), 0);
	assert_int_equal(c->state, TCP_SYN_RCVD);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_SYN | TH_ACK);
	s = nt_seg(9001, syn.seq + 1, TH_ACK);
	s.sport = 5060;
	s.dport = syn.sport;
	assert_int_equal(nt_send(&h, &s), 0);
	assert_int_equal(c->state, TCP_ESTABLISHED);
	assert_int_equal(h.connects, 1);
}

static void test_table_full_reuses_time_wait(void **state)
{
	struct net_config c;
	struct nt_seg syn, fin;

	(void)state;
	nt_default_config(&c);
	c.max_conns = 1;
	start(&c);
	handshake();
	net_close(h.sock, false);
	nt_advance(&h, 1);
	fin = nt_seg(PISS + 1, iss + 2, TH_ACK | TH_FIN);
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(conn(40000)->state, TCP_TIME_WAIT);
	nt_clear(&h);
	syn = nt_seg(PISS, 0, TH_SYN);
	syn.sport = 40001;
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_null(conn(40000));
	assert_non_null(conn(40001));
	/* Now really full: a third SYN gets a SYN cookie and no state (it
	 * gets in once a slot frees). */
	nt_clear(&h);
	syn.sport = 40002;
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_null(conn(40002));
	assert_int_equal(net_stats(h.st)->tcp_cookies_sent, 1);
	assert_int_equal(nt_tx_seg(&h, 0).flags, TH_SYN | TH_ACK);
}

static void test_time_wait_not_reused_before_closed_event(void **state)
{
	struct net_config c;
	struct nt_seg syn, fin;

	(void)state;
	nt_default_config(&c);
	c.max_conns = 1;
	start(&c);
	handshake();
	net_close(h.sock, false);
	/* No net_poll yet: the closed event is still queued in TIME-WAIT. */
	fin = nt_seg(PISS + 1, iss + 2, TH_ACK | TH_FIN);
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(conn(40000)->state, TCP_TIME_WAIT);
	syn = nt_seg(PISS, 0, TH_SYN);
	syn.sport = 40001;
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_null(conn(40001));
	assert_int_equal(net_stats(h.st)->tcp_drop_no_memory, 1);
	nt_advance(&h, 1);
	assert_int_equal(h.closes, 1);
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_non_null(conn(40001));
}

static void test_syn_rcvd_reset_and_syn_sent_close(void **state)
{
	struct net_addr dst = { .family = AF_INET, .port = 5060 };
	struct nt_seg syn = nt_seg(PISS, 0, TH_SYN), rst;
	struct net_sock *c;

	(void)state;
	start(NULL);
	/* SYN-RCVD, then the peer resets: back to LISTEN, nobody told. */
	assert_int_equal(nt_send(&h, &syn), 0);
	assert_int_equal(h.st->n_syn_rcvd, 1);
	rst = nt_seg(PISS + 1, 0, TH_RST);
	assert_int_equal(nt_send(&h, &rst), 0);
	assert_null(conn(40000));
	assert_int_equal(h.st->n_syn_rcvd, 0);
	assert_int_equal(h.accepts + h.closes, 0);
	/* Closing an active open still in SYN-SENT: closed(0) from net_poll. */
	dst.v4.s_addr = htonl(NT_PEER_IP);
	assert_int_equal(net_connect(h.st, &dst, NULL, h.now_us, &c), 0);
	net_close(c, false);
	assert_int_equal(h.closes, 0);
	nt_advance(&h, 1);
	assert_int_equal(h.closes, 1);
	assert_int_equal(h.close_err, 0);
	assert_int_equal(h.st->n_used, 0);
}

static void test_fin_retransmitted_and_data_after_close(void **state)
{
	struct nt_seg s;

	(void)state;
	start(NULL);
	handshake();
	net_close(h.sock, false);
	nt_advance(&h, 1);
	nt_clear(&h);
	/* Our FIN is lost: the RTO sends it again. */
	nt_advance(&h, 1000);
	assert_int_equal(h.ntx, 1);
	s = nt_tx_seg(&h, 0);
	assert_int_equal(s.flags, TH_ACK | TH_FIN);
	assert_int_equal(s.seq, iss + 1);
	/* Data after the caller closed: nobody will read it; ACKed and dropped. */
	nt_clear(&h);
	peer_data(PISS + 1, "late", 4);
	assert_int_equal(h.rx_len, 0);
	assert_int_equal(net_stats(h.st)->tcp_drop_closed_data, 1);
	assert_int_equal(nt_tx_seg(&h, 0).ack, PISS + 5);
}

static void test_pause_keeps_data_before_eof(void **state)
{
	struct nt_seg fin;

	(void)state;
	start(NULL);
	handshake();
	net_pause_recv(h.sock, true);
	nt_advance(&h, 1);
	peer_data(PISS + 1, "abc", 3);
	fin = nt_seg(PISS + 4, iss + 1, TH_ACK | TH_FIN);
	assert_int_equal(nt_send(&h, &fin), 0);
	assert_int_equal(h.sock->state, TCP_CLOSE_WAIT);
	assert_int_equal(h.rx_len, 0);
	assert_int_equal(h.eofs, 0);
	/* Resumed: the bytes first, then the end, each once. */
	h.pause_on_recv = true;
	net_pause_recv(h.sock, false);
	nt_advance(&h, 1);
	assert_int_equal(h.rx_len, 3);
	assert_int_equal(h.eofs, 0); /* paused again by the handler */
	h.pause_on_recv = false;
	net_pause_recv(h.sock, false);
	nt_advance(&h, 1);
	assert_int_equal(h.eofs, 1);
	nt_advance(&h, 1);
	assert_int_equal(h.eofs, 1);
	/* Each pause asked for drain; the queue is empty, so each came at once. */
	assert_int_equal(h.drains, 2);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_passive_open),
		T(test_syn_ack_lost_retransmits),
		T(test_rto_after_syn_timeout),
		T(test_data_in_delayed_ack),
		T(test_data_out_and_ack),
		T(test_peer_close_close_wait_last_ack),
		T(test_active_close_fin_wait_time_wait),
		T(test_fin_ack_in_fin_wait_1),
		T(test_simultaneous_close_closing),
		T(test_fin_wait_2_limit),
		T(test_active_open),
		T(test_active_open_refused_and_timeout),
		T(test_simultaneous_open),
		T(test_rst_validity),
		T(test_syn_in_established_challenge),
		T(test_ack_validity),
		T(test_challenge_ack_limit),
		T(test_out_of_order_queue),
		T(test_rto_backoff_and_karn),
		T(test_retransmission_gives_up),
		T(test_fast_retransmit_newreno),
		T(test_zero_window_probe),
		T(test_zero_window_open_probes_on),
		T(test_zero_window_closed_gives_up),
		T(test_keepalive),
		T(test_window_scale_and_timestamps),
		T(test_syn_cookies),
		T(test_syn_flood_backlog_capped),
		T(test_window_edges),
		T(test_send_eagain_and_drain),
		T(test_closed_port_and_refused_accept),
		T(test_abort_and_time_wait_reuse),
		T(test_table_full_reuses_time_wait),
		T(test_syn_rcvd_reset_and_syn_sent_close),
		T(test_time_wait_not_reused_before_closed_event),
		T(test_fin_retransmitted_and_data_after_close),
		T(test_pause_keeps_data_before_eof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
