/*
 * columba-memif-load's DPDK transport: the EAL, the only port (a net_memif
 * client, say), one Columba TCP/IP stack (dataplane/net) per queue pair,
 * all driven by a pure poll loop on the calling thread, and the connections
 * on their sockets. With --queues Q (memif's paired queues: our queue i is
 * the server's queue i, so its worker i) stack i has address ip + i and
 * connection j lives on stack j mod Q.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "bench/dpdk/ml_run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/port.h" /* base/compiler.h first, then DPDK */
#include "dataplane/dpdk/tx.h"
#include "dataplane/net/net.h"

struct md;

/* One queue pair and its stack. */
struct mq {
	struct md *d;
	uint16_t q;
	struct dpdk_txq txq;
	struct net_stack *st;
	void *mem;
	uint64_t tx_nombuf;
};

struct md {
	struct ml_run *r;
	struct dpdk_port *port;
	struct mq *qs;
	unsigned n_q;
	struct ml_conn *conns;
	struct ml_totals all;   /* since the start, warm-up included */
	unsigned idle;          /* slots without a connection */
	bool running;           /* open new connections */
	uint64_t connect_fail;
	uint8_t linear[RTE_MBUF_DEFAULT_BUF_SIZE];
};

static uint64_t md_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int md_tx(void *ctx, const struct net_iov *iov, int n, unsigned flags)
{
	struct mq *mq = ctx;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpdk_port_pool(mq->d->port, mq->q));
	uint32_t len = 0;
	uint8_t *p;

	(void)flags; /* no offloads asked for: memif has none */
	if (!m) {
		mq->tx_nombuf++;
		return -ENOBUFS;
	}
	for (int i = 0; i < n; i++)
		len += iov[i].len;
	p = len <= rte_pktmbuf_tailroom(m) ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	if (!p) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	for (int i = 0; i < n; i++) {
		memcpy(p, iov[i].base, iov[i].len);
		p += iov[i].len;
	}
	dpdk_tx(&mq->txq, m);
	return 0;
}

static int md_send(struct ml_conn *c, const void *data, size_t len)
{
	return net_send(c->handle, data, len);
}

static void md_close(struct ml_conn *c)
{
	net_close(c->handle, false);
}

static const struct ml_transport_ops md_ops = { .send = md_send, .close = md_close };

static bool md_active(const struct ml_conn *c)
{
	return c->st == ML_HANDSHAKE || c->st == ML_WRITE || c->st == ML_READ;
}

/* Run c's state machine; close its socket when it is done or failed. */
static void md_advance(struct ml_conn *c)
{
	enum ml_state s = ml_conn_step(c);

	if (s == ML_CLOSING)
		net_close(c->handle, false);
	else if (s == ML_FAILED)
		net_close(c->handle, true);
}

static int md_accept(void *ctx, struct net_sock *s, void *arg)
{
	(void)ctx, (void)s, (void)arg;
	return -ECONNREFUSED; /* a client only */
}

static void md_connected(void *ctx, struct net_sock *s)
{
	struct md *d = ((struct mq *)ctx)->d;
	struct ml_conn *c = net_sock_udata(s);

	if (ml_conn_start(c, d->r->ctx, d->r->req, d->r->req_len)) {
		c->tot->errors++;
		net_close(s, true);
		return;
	}
	md_advance(c);
}

static void md_recv(void *ctx, struct net_sock *s, const uint8_t *data, size_t len)
{
	struct ml_conn *c = net_sock_udata(s);

	(void)ctx;
	if (!md_active(c))
		return;
	if (len == 0) {
		ml_conn_eof(c);
	} else if (ml_conn_input(c, data, len)) {
		fprintf(stderr, "memif-load: input buffer full\n");
		c->tot->errors++;
		c->st = ML_FAILED;
		net_close(s, true);
		return;
	}
	md_advance(c);
}

static void md_drain(void *ctx, struct net_sock *s)
{
	struct ml_conn *c = net_sock_udata(s);

	(void)ctx;
	if (md_active(c))
		md_advance(c);
}

static void md_closed(void *ctx, struct net_sock *s, int err)
{
	struct md *d = ((struct mq *)ctx)->d;
	struct ml_conn *c = net_sock_udata(s);

	if (c->st != ML_CLOSING && c->st != ML_FAILED && d->running) {
		if (c->tot->errors < 5)
			fprintf(stderr, "memif-load: connection closed in state %d: %s\n", c->st,
				strerror(-err));
		c->tot->errors++;
	}
	ml_conn_release(c);
	c->handle = NULL;
	d->idle++;
}

static const struct net_ops md_net_ops = {
	.tx = md_tx,
	.accept = md_accept,
	.connected = md_connected,
	.recv = md_recv,
	.drain = md_drain,
	.closed = md_closed,
};

/* Open connections in every free slot (the stack may refuse some: later). */
static void md_connect_idle(struct md *d, uint64_t now_us)
{
	struct net_addr to = { .family = AF_INET, .port = d->r->port, .v4 = d->r->server };

	for (unsigned i = 0; i < d->r->conns && d->idle; i++) {
		struct ml_conn *c = &d->conns[i];
		struct net_sock *s;

		if (c->handle || c->st != ML_IDLE)
			continue;
		if (net_connect(d->qs[i % d->n_q].st, &to, c, now_us, &s)) {
			d->connect_fail++;
			return;
		}
		c->handle = s;
		c->st = ML_CONNECTING;
		d->idle--;
	}
}

static void md_turn(struct md *d)
{
	struct rte_mbuf *v[DPDK_BURST_MAX];
	uint64_t t = md_now_us();

	for (unsigned q = 0; q < d->n_q; q++) {
		struct mq *mq = &d->qs[q];
		uint16_t n = dpdk_rx(d->port, mq->q, v, d->port->burst);

		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = v[i];
			const uint8_t *p = NULL;

			if (rte_pktmbuf_pkt_len(m) <= sizeof(d->linear))
				p = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), d->linear);
			if (p)
				net_input(mq->st, p, rte_pktmbuf_pkt_len(m), t);
			rte_pktmbuf_free(m);
		}
		net_poll(mq->st, t);
	}
	if (d->running && d->idle)
		md_connect_idle(d, t);
	for (unsigned q = 0; q < d->n_q; q++)
		dpdk_tx_flush(&d->qs[q].txq);
}

/* Set up queue mq's stack on d->port; returns 0 or a negative errno. */
static int md_stack(struct md *d, struct mq *mq)
{
	struct net_config nc = { 0 };
	size_t size;

	memcpy(nc.mac, d->port->mac.addr_bytes, NET_ETH_ALEN);
	nc.ip.s_addr = htonl(ntohl(d->r->local_ip.s_addr) + mq->q);
	nc.netmask.s_addr = htonl(0xffffff00u);
	if (getrandom(nc.secret, sizeof(nc.secret), 0) != (ssize_t)sizeof(nc.secret))
		return -EIO;
	/* The client closes first, so its side holds TIME_WAIT: short here,
	 * and room for a second of new connections at tens of thousands/s. */
	nc.max_conns = d->r->conns / d->n_q + 1 + (d->r->new_conn ? 65536u : 64u);
	nc.time_wait_ms = 1000;
	nc.rcvbuf_bytes = ML_INBUF;
	size = net_mem_size(&nc);
	if (!size)
		return -EINVAL;
	size = (size + 63) & ~(size_t)63;
	mq->mem = aligned_alloc(64, size);
	if (!mq->mem)
		return -ENOMEM;
	mq->st = net_init(mq->mem, size, &nc, &md_net_ops, mq, md_now_us());
	return mq->st ? 0 : -errno;
}

int ml_run_dpdk(struct ml_run *r)
{
	struct dpdk_cfg pc = { .eal_args = r->eal_args, .workers = (uint16_t)r->queues,
			       .rx_ring = 1024,
			       .tx_ring = 1024, .mbufs_per_worker = 8192, .burst = 32,
			       .tx_retries = 4, .paired_queues = true };
	static struct md d;
	double t0, t_meas = 0, t_end, cpu0 = 0;
	bool ready = false;
	struct ml_totals at0 = { 0 };
	int err;

	d.r = r;
	err = dpdk_eal_init(r->eal_args);
	if (err)
		return err;
	err = dpdk_port_open(&pc, &d.port);
	if (err)
		goto fail;
	if (d.port->queues != r->queues) {
		fprintf(stderr, "memif-load: the port gave %u queue pairs, not %u\n", d.port->queues,
			r->queues);
		err = -ENOTSUP;
		goto fail;
	}
	d.n_q = r->queues;
	d.qs = calloc(d.n_q, sizeof(*d.qs));
	if (!d.qs) {
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned q = 0; q < d.n_q; q++) {
		d.qs[q].d = &d;
		d.qs[q].q = (uint16_t)q;
		dpdk_txq_init(&d.qs[q].txq, d.port, (uint16_t)q);
	}
	if (dpdk_port_wait_link(d.port, 10000)) {
		fprintf(stderr, "memif-load: the port's link is down after 10 s (no server?)\n");
		err = -ENOLINK;
		goto fail;
	}
	for (unsigned q = 0; q < d.n_q; q++) {
		err = md_stack(&d, &d.qs[q]);
		if (err)
			goto fail;
	}
	d.conns = calloc(r->conns, sizeof(*d.conns));
	if (!d.conns) {
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < r->conns; i++) {
		d.conns[i].fd = -1;
		d.conns[i].tot = &d.all;
		d.conns[i].ops = &md_ops;
		d.conns[i].new_conn = r->new_conn;
	}
	d.idle = r->conns;
	d.running = true;
	for (unsigned q = 0; q < d.n_q; q++)
		net_start(d.qs[q].st, md_now_us());
	/* The warm-up counts from when every connection finished its first
	 * handshake (the first SYNs may wait for ARP and a retransmission),
	 * or from 10 s after the start at the latest. */
	t0 = ml_now() + 10;
	t_end = t0 + r->warmup + r->seconds;
	while (!ml_stop) {
		double t = ml_now();

		if (!ready && d.all.handshakes >= r->conns) {
			ready = true;
			t0 = t;
			t_end = t0 + r->warmup + r->seconds;
		}
		if (!t_meas && t >= t0 + r->warmup) {
			t_meas = t;
			cpu0 = ml_cpu();
			at0 = d.all;
		}
		if (t >= t_end)
			break;
		md_turn(&d);
	}
	if (t_meas) {
		r->measured = ml_now() - t_meas;
		r->cpu = ml_cpu() - cpu0;
		r->tot.requests = d.all.requests - at0.requests;
		r->tot.handshakes = d.all.handshakes - at0.handshakes;
		r->tot.errors = d.all.errors - at0.errors;
	}
	/* Reset what is open so the server frees it now, then let the RSTs out. */
	d.running = false;
	for (unsigned i = 0; i < r->conns; i++)
		if (d.conns[i].handle)
			net_close(d.conns[i].handle, true);
	for (double t = ml_now(); ml_now() < t + 0.2;)
		md_turn(&d);
	for (unsigned q = 0; q < d.n_q; q++) {
		const struct net_stats *ns = net_stats(d.qs[q].st);

		fprintf(stderr, "memif-load: stack queue=%u rx_frames=%" PRIu64 " tx_frames=%" PRIu64
			" established=%" PRIu64 " retransmits=%" PRIu64 " tx_errors=%" PRIu64
			" tx_nombuf=%" PRIu64 " tx_dropped=%" PRIu64 " connect_fail=%" PRIu64 "\n",
			q, ns->rx_frames, ns->tx_frames, ns->tcp_established, ns->tcp_retransmits,
			ns->tx_errors, d.qs[q].tx_nombuf, d.qs[q].txq.dropped, d.connect_fail);
	}
	err = 0;
fail:
	if (d.conns)
		for (unsigned i = 0; i < r->conns; i++)
			ml_conn_release(&d.conns[i]);
	free(d.conns);
	d.conns = NULL;
	if (d.port) {
		for (unsigned q = 0; d.qs && q < d.n_q; q++)
			dpdk_tx_flush(&d.qs[q].txq);
		dpdk_port_close(d.port);
		d.port = NULL;
	}
	for (unsigned q = 0; d.qs && q < d.n_q; q++)
		free(d.qs[q].mem);
	free(d.qs);
	d.qs = NULL;
	dpdk_eal_fini();
	return err;
}
