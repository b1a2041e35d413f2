/*
 * The dpdk backend (backend.h): the port, one TCP/IP stack per worker and
 * the loop turn that drives them; the connections are in conn.c.
 */
#include "dataplane/dpdk/backend-int.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "dataplane/dpdk/cksum.h"
#include "dataplane/dpdk/eal.h"
#include "dataplane/net/arp_share.h"

/* The process's port, from dpdk_backend_start() to dpdk_backend_stop(). */
static struct {
	struct dpdk_be_cfg cfg;
	struct dpdk_port *port;
	bool eal_up;
	/* With more than one queue: the stacks' shared ARP (arp_share.h). */
	struct net_arp_share *arp;
	void *arp_mem;
	/* Every listener any worker opened: flows reach the queues by the
	 * device's hash, so each stack listens on all of them (dk_poll). */
	struct dk_listener listeners[DK_LISTENERS_MAX];
	unsigned n_listeners;
	/* The worker on each queue, for /metrics (set before the threads
	 * start, cleared after they were joined). */
	struct dk_worker *on_queue[DPDK_QUEUES_MAX];
} be;

static uint64_t now_us(void)
{
	return clock_mono_ns() / 1000u;
}

/* ---- process set-up ---- */

void dpdk_be_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGIO);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

static bool netmask_ok(struct in_addr m)
{
	uint32_t h = ntohl(m.s_addr);

	return h != 0 && (~h & (~h + 1)) == 0; /* ones, then zeros */
}

int dpdk_backend_start(const struct dpdk_be_cfg *cfg)
{
	int err;

	if (be.eal_up || be.port)
		return -EALREADY;
	if (cfg->ip.s_addr == 0 || !netmask_ok(cfg->netmask) ||
	    (cfg->gateway.s_addr != 0 &&
	     (cfg->gateway.s_addr & cfg->netmask.s_addr) != (cfg->ip.s_addr & cfg->netmask.s_addr))) {
		log_error("dpdk", "backend_config_invalid reason=\"ip, netmask and gateway must be an address, a contiguous mask and a gateway inside the subnet\"");
		return -EINVAL;
	}
	/* net_tap's receive path counts signals (22.11 reads its fd only
	 * after one arrived; it takes the first free real-time signal), and
	 * a signal interrupts whatever system call the thread it lands on is
	 * in. Block them here, so the EAL's threads and the caller's later
	 * ones inherit that; the workers unblock them on their thread
	 * (dk_poll), where one ends a nap early. */
	sigset_t sigs;

	dpdk_be_signals(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	be.cfg = *cfg;
	be.cfg.port.eal_args = NULL; /* the caller's string: not kept */
	be.cfg.port.worker_cpus = NULL;
	err = dpdk_eal_init(cfg->port.eal_args ? cfg->port.eal_args : "");
	if (err)
		return err;
	be.eal_up = true;
	err = dpdk_port_open(&cfg->port, &be.port);
	if (err)
		goto fail;
	if (be.port->queues > 1) {
		size_t size = net_arp_share_size(be.port->queues);

		be.arp_mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
		if (!be.arp_mem) {
			err = -ENOMEM;
			goto fail_port;
		}
		be.arp = net_arp_share_init(be.arp_mem, size, be.port->queues);
		BUG_ON(!be.arp); /* sized and aligned just above */
	}
	if (cfg->link_wait_ms && dpdk_port_wait_link(be.port, cfg->link_wait_ms))
		log_warn("dpdk", "link_down port=%s waited_ms=%u effect=\"the stack announces itself once it is up\"",
			 be.port->name, cfg->link_wait_ms);
	log_info("dpdk", "backend_started port=%s driver=%s queues=%u cksum=%#x mac=" RTE_ETHER_ADDR_PRT_FMT,
		 be.port->name, be.port->driver, be.port->queues, be.port->cksum,
		 RTE_ETHER_ADDR_BYTES(&be.port->mac));
	return 0;
fail_port:
	dpdk_port_close(be.port);
	be.port = NULL;
fail:
	dpdk_eal_fini();
	be.eal_up = false;
	return err;
}

void dpdk_backend_stop(void)
{
	free(be.arp_mem);
	be.arp_mem = NULL;
	be.arp = NULL;
	be.n_listeners = 0;
	if (be.port) {
		dpdk_port_close(be.port);
		be.port = NULL;
	}
	if (be.eal_up) {
		dpdk_eal_fini();
		be.eal_up = false;
	}
}

/* ---- the stack's callbacks ---- */

static int on_tx(void *ctx, const struct net_iov *iov, int n, unsigned flags)
{
	struct dk_worker *k = ctx;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dpdk_port_pool(be.port, k->q));
	uint32_t len = 0;
	uint8_t *d;

	if (!m) {
		k->tx_nombuf++;
		return -ENOBUFS;
	}
	for (int i = 0; i < n; i++)
		len += iov[i].len;
	/* One segment: an MTU-sized frame fits a default mbuf's data room. */
	d = len <= rte_pktmbuf_tailroom(m) ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	if (!d) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	for (int i = 0; i < n; i++) {
		memcpy(d, iov[i].base, iov[i].len);
		d += iov[i].len;
	}
	if (flags & (NET_OFFLOAD_TX_IP_CSUM | NET_OFFLOAD_TX_TCP_CSUM)) {
		m->l2_len = 14;
		m->l3_len = 20;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		if (flags & NET_OFFLOAD_TX_IP_CSUM)
			m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
		if (flags & NET_OFFLOAD_TX_TCP_CSUM)
			m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
	}
	dpdk_tx(&k->txq, m);
	return 0;
}

/* What this worker's queue taught its stack, for the other stacks. */
static void on_arp_learned(void *ctx, struct in_addr ip, const uint8_t mac[NET_ETH_ALEN])
{
	struct dk_worker *k = ctx;

	if (be.arp)
		net_arp_share_publish(be.arp, k->q, ip, mac);
}

static const struct net_ops dk_net_ops = {
	.tx = on_tx,
	.arp_learned = on_arp_learned,
	.accept = dk__on_accept,
	.recv = dk__on_recv,
	.drain = dk__on_drain,
	.closed = dk__on_closed,
};

static unsigned rx_burst(struct dk_worker *k, uint64_t t_us);

/* ---- worker set-up ---- */

static int dk_init(struct dp_worker *w)
{
	struct dk_worker *k;
	struct net_config nc;
	uint32_t max_conns;
	size_t size;
	int err;

	if (!be.port)
		return -ENODEV; /* dpdk_backend_start() first */
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->w = w;
	w->be = k;
	if (w->id >= be.port->queues) {
		log_warn("dpdk", "worker_without_queue worker=%u queues=%u effect=\"this worker serves no connection\"",
			 w->id, be.port->queues);
		return 0;
	}
	k->q = (uint16_t)w->id;
	k->limit = w->limits.send_queue_bytes;
	if (be.cfg.sndbuf_bytes && be.cfg.sndbuf_bytes < k->limit)
		k->limit = be.cfg.sndbuf_bytes;
	max_conns = be.cfg.max_conns ? be.cfg.max_conns : 1024;
	memset(&nc, 0, sizeof(nc));
	memcpy(nc.mac, be.port->mac.addr_bytes, NET_ETH_ALEN);
	nc.ip = be.cfg.ip;
	nc.netmask = be.cfg.netmask;
	nc.gateway = be.cfg.gateway;
	/* RX checksums stay in software: the stack cannot be told per frame
	 * that the device did not check one (DPDK_CKSUM_UNKNOWN). */
	if (be.port->cksum & DPDK_CKSUM_TX_IPV4)
		nc.offload |= NET_OFFLOAD_TX_IP_CSUM;
	if (be.port->cksum & DPDK_CKSUM_TX_TCP)
		nc.offload |= NET_OFFLOAD_TX_TCP_CSUM;
	if (getrandom(nc.secret, sizeof(nc.secret), 0) != (ssize_t)sizeof(nc.secret)) {
		err = -EIO;
		goto fail;
	}
	nc.max_conns = max_conns;
	nc.max_listeners = DK_LISTENERS_MAX;
	nc.sndbuf_bytes = k->limit + DPDK_BE_SEND_SLACK;
	nc.rcvbuf_bytes = be.cfg.rcvbuf_bytes;
	/* A connection the caller closed but the peer never acknowledges
	 * goes after 30 s, like the uring backend's TCP_USER_TIMEOUT. */
	nc.fin_wait2_ms = 30000;
	size = net_mem_size(&nc);
	if (size == 0) {
		log_error("dpdk", "stack_config_invalid worker=%u max_conns=%u sndbuf=%u rcvbuf=%u",
			  w->id, nc.max_conns, nc.sndbuf_bytes, nc.rcvbuf_bytes);
		err = -EINVAL;
		goto fail;
	}
	size = (size + 63) & ~(size_t)63;
	k->mem = aligned_alloc(64, size);
	if (!k->mem) {
		err = -ENOMEM;
		goto fail;
	}
	k->st = net_init(k->mem, size, &nc, &dk_net_ops, k, now_us());
	if (!k->st) {
		err = -errno;
		goto fail;
	}
	err = pool_init(&k->conns, "dpdk_conn", sizeof(struct dk_conn), max_conns);
	if (err)
		goto fail;
	dpdk_txq_init(&k->txq, be.port, k->q);
	be.on_queue[k->q] = k;
	log_info("dpdk", "worker_ready worker=%u queue=%u max_conns=%u send_queue=%u stack_mb=%zu",
		 w->id, k->q, max_conns, k->limit, size >> 20);
	return 0;
fail:
	pool_fini(&k->conns);
	free(k->mem);
	free(k);
	w->be = NULL;
	return err;
}

/*
 * The worker left its loop once every connection was closed, but a
 * graceful close only queues the FIN: the stack still owes the peer the
 * tail of the data, its retransmissions and the FIN exchange (the kernel
 * does that for the uring backend after close(2)). Keep the stack running
 * here, on the control thread now that the worker's is gone, until the
 * link was quiet for DK_LINGER_QUIET_MS or DK_LINGER_MAX_MS passed.
 */
#define DK_LINGER_QUIET_MS 500u /* longer than rto_min, so one retransmission fits */
#define DK_LINGER_MAX_MS   3000u

static void linger(struct dk_worker *k)
{
	uint64_t start = now_us(), quiet_since = start;
	uint64_t tx_before = net_stats(k->st)->tx_frames;

	/* Live connections (a stuck drain) would call their handlers from
	 * this thread: leave them to the port's close. */
	if (net_stats(k->st)->tcp_passive_opens == 0 || k->live)
		return;
	for (;;) {
		uint64_t t = now_us(), tx;
		unsigned got = rx_burst(k, t);

		net_poll(k->st, t);
		dpdk_tx_flush(&k->txq);
		tx = net_stats(k->st)->tx_frames;
		if (got || tx != tx_before)
			quiet_since = t;
		tx_before = tx;
		if (t - quiet_since >= DK_LINGER_QUIET_MS * 1000u ||
		    t - start >= DK_LINGER_MAX_MS * 1000u)
			break;
		usleep(1000);
	}
}

static void dk_fini(struct dp_worker *w)
{
	struct dk_worker *k = dk_of(w);

	if (!k)
		return;
	if (k->st) {
		be.on_queue[k->q] = NULL;
		linger(k);
		/* Frames the last turn batched: the pool wants every mbuf back
		 * before the port closes. */
		dpdk_tx_flush(&k->txq);
		const struct net_stats *ns = net_stats(k->st);

		log_info("dpdk", "worker_stats worker=%u rx_frames=%" PRIu64 " tx_frames=%" PRIu64
				 " tx_dropped=%" PRIu64 " tx_nombuf=%" PRIu64 " rx_bad_cksum=%" PRIu64
				 " tcp_retransmits=%" PRIu64 " tcp_ooo=%" PRIu64
				 " tcp_cookies_sent=%" PRIu64 " tcp_cookies_accepted=%" PRIu64
				 " tcp_cookies_rejected=%" PRIu64 " tcp_passive_opens=%" PRIu64
				 " tcp_established=%" PRIu64 " arp_rx=%" PRIu64
				 " arp_learned_shared=%" PRIu64,
			 w->id, ns->rx_frames, ns->tx_frames, k->txq.dropped, k->tx_nombuf,
			 k->rx_bad_cksum, ns->tcp_retransmits, ns->tcp_ooo_segs,
			 ns->tcp_cookies_sent, ns->tcp_cookies_accepted, ns->tcp_cookies_rejected,
			 ns->tcp_passive_opens, ns->tcp_established, ns->arp_rx,
			 ns->arp_learned_shared);
		log_info("dpdk", "worker_busy worker=%u busy_ms=%" PRIu64 " run_ms=%" PRIu64
				 " note=\"turns that moved frames or completions\"",
			 w->id, k->busy_us / 1000u, (k->turn_us - k->start_us) / 1000u);
	}
	pool_fini(&k->conns);
	free(k->mem);
	free(k);
	w->be = NULL;
}

/* ---- listeners ---- */

/* Open port on worker k (its stack, when it has one). */
static int listen_port(struct dk_worker *k, uint16_t port, const struct dp_handler *h,
		       void *arg)
{
	struct dk_listener *l;
	struct net_addr na;
	int err;

	if (k->n_listeners == DK_LISTENERS_MAX)
		return -ENOSPC;
	l = &k->listeners[k->n_listeners];
	l->port = port;
	l->h = h;
	l->arg = arg;
	l->open = true;
	if (k->st) {
		memset(&na, 0, sizeof(na));
		na.family = AF_UNSPEC;
		na.port = port;
		err = net_listen(k->st, &na, l);
		if (err)
			return err;
	}
	k->n_listeners++;
	return 0;
}

static int dk_listen(struct dp_worker *w, const struct dp_addr *a, const struct dp_handler *h,
		     void *arg)
{
	struct dk_worker *k = dk_of(w);
	unsigned i;
	int err;

	if (a->family == AF_INET6)
		return -EAFNOSUPPORT;
	if (a->family == AF_INET && a->v4.s_addr != be.cfg.ip.s_addr)
		return -EADDRNOTAVAIL; /* not the stack's address */
	for (i = 0; i < be.n_listeners && be.listeners[i].port != a->port; i++)
		;
	if (i == be.n_listeners && i == DK_LISTENERS_MAX)
		return -ENOSPC;
	err = listen_port(k, a->port, h, arg);
	if (err || i < be.n_listeners)
		return err;
	be.listeners[i] = (struct dk_listener){ .port = a->port, .open = true, .h = h, .arg = arg };
	be.n_listeners++;
	return 0;
}

/*
 * Flows reach a queue by the device's hash (or the kernel's tun queue
 * choice), not by the listener a worker opened: a listener opened on one
 * worker only (the gateway's admin port is on worker 0) would see its
 * connections reset on the other queues. So at its first turn each stack
 * also listens on every port another worker opened, with that worker's
 * handler and argument (the connection then lives on this worker).
 */
static void listen_port_wide(struct dk_worker *k)
{
	for (unsigned i = 0; i < be.n_listeners; i++) {
		const struct dk_listener *pl = &be.listeners[i];
		unsigned j;
		int err;

		for (j = 0; j < k->n_listeners && k->listeners[j].port != pl->port; j++)
			;
		if (j < k->n_listeners || k->w->stopping)
			continue;
		err = listen_port(k, pl->port, pl->h, pl->arg);
		if (err)
			log_warn("dpdk", "listen_failed worker=%u port=%u err=%d effect=\"connections hashed to this queue are reset\"",
				 k->w->id, pl->port, err);
		else
			log_info("dpdk", "listen_port_wide worker=%u port=%u", k->w->id, pl->port);
	}
}

static void dk_stop_listening(struct dp_worker *w)
{
	struct dk_worker *k = dk_of(w);

	for (unsigned i = 0; i < k->n_listeners; i++) {
		struct dk_listener *l = &k->listeners[i];

		if (!l->open)
			continue;
		l->open = false;
		if (k->st)
			net_unlisten(k->st, l->port);
	}
}

/* ---- the loop turn ---- */

static unsigned rx_burst(struct dk_worker *k, uint64_t t_us)
{
	struct rte_mbuf *v[DPDK_BURST_MAX];
	uint16_t n = dpdk_rx(be.port, k->q, v, be.port->burst);

	if (n)
		k->rx_bursts++;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = v[i];
		const uint8_t *p;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(v[i + 1], void *));
		if (dpdk_rx_ip_cksum(m) == DPDK_CKSUM_BAD || dpdk_rx_l4_cksum(m) == DPDK_CKSUM_BAD) {
			k->rx_bad_cksum++;
			rte_pktmbuf_free(m);
			continue;
		}
		p = NULL;
		if (rte_pktmbuf_pkt_len(m) <= sizeof(k->linear))
			p = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), k->linear);
		if (p)
			net_input(k->st, p, rte_pktmbuf_pkt_len(m), t_us);
		else
			k->rx_errors++;
		rte_pktmbuf_free(m);
	}
	return n;
}

/* Sleep until the bell rings or timeout_us passes. */
static void nap(struct dp_worker *w, uint64_t timeout_us)
{
	struct pollfd pfd = { .fd = w->bell.efd, .events = POLLIN };
	struct timespec ts = { .tv_sec = (time_t)(timeout_us / 1000000u),
			       .tv_nsec = (long)(timeout_us % 1000000u) * 1000L };

	if (ppoll(&pfd, 1, &ts, NULL) > 0)
		ring_bell_drain(&w->bell);
}

static int dk_poll(struct dp_worker *w, uint64_t timeout_ms)
{
	struct dk_worker *k = dk_of(w);
	uint64_t t, next;
	unsigned got;

	if (!k->st) {
		nap(w, timeout_ms * 1000u);
		return 0;
	}
	if (!k->registered) {
		/* On the worker's thread: an lcore id for the mempool cache. */
		sigset_t sigs;

		k->registered = true;
		dpdk_be_signals(&sigs);
		pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
		if (dpdk_thread_register())
			log_warn("dpdk", "thread_register_failed worker=%u effect=\"no mempool cache\"",
				 w->id);
	}
	t = now_us();
	if (!k->started) {
		k->started = true;
		k->start_us = k->turn_us = t;
		listen_port_wide(k);
		/* One gratuitous ARP per port: the stacks share its address. */
		if (k->q == 0)
			net_start(k->st, t);
	}
	/* The turn since the last call was busy if its burst brought frames or
	 * the loop found completions (then it calls with timeout 0). */
	if (k->turn_busy || timeout_ms == 0)
		k->busy_us += t - k->turn_us;
	k->turn_us = t;
	/* What the other queues learned first: a frame in this burst may be
	 * the first of a flow whose neighbour another worker just resolved. */
	if (be.arp)
		net_arp_share_apply(be.arp, k->q, k->st, t);
	got = rx_burst(k, t);
	k->turn_busy = got > 0;
	net_poll(k->st, t);
	dpdk_tx_flush(&k->txq);
	if (k->drain)
		dk__run_drains(k);
	if (got)
		k->rx_last_us = t;
	/* Under load the next frames are microseconds away: keep polling until
	 * none came for idle_sleep_us. Napping after every empty burst cost the
	 * closed-loop benchmark 3/4 of its rate (its client answers a burst of
	 * responses 50-100 us later; a 20 or 50 us spin was no better). */
	if (got || timeout_ms == 0 || be.cfg.idle_sleep_us == 0 ||
	    t - k->rx_last_us < be.cfg.idle_sleep_us)
		return 0;
	/* Idle: nap, but no longer than the loop's timeout, the stack's next
	 * timer or idle_sleep_us; the bell cuts it short. */
	next = net_next_timer_us(k->st, t);
	if (next > timeout_ms * 1000u)
		next = timeout_ms * 1000u;
	if (next > be.cfg.idle_sleep_us)
		next = be.cfg.idle_sleep_us;
	if (next > 0) {
		nap(w, next);
		k->turn_us = now_us(); /* a nap is never busy */
	}
	return 0;
}

struct dk_worker *dk__on_queue(unsigned q)
{
	return q < DPDK_QUEUES_MAX ? be.on_queue[q] : NULL;
}

unsigned dk__queues(void)
{
	return be.port ? be.port->queues : 0;
}

const struct dpdk_port *dk__port(void)
{
	return be.port;
}

const struct net_arp_share *dk__arp(void)
{
	return be.arp;
}

const struct dp_backend_ops dp_dpdk_ops = {
	.name = "dpdk",
	.init = dk_init,
	.fini = dk_fini,
	.listen = dk_listen,
	.stop_listening = dk_stop_listening,
	.abort_all = dk__abort_all,
	.poll = dk_poll,
	.send = dk__send,
	.close = dk__close,
	.pause_recv = dk__pause_recv,
	.unsent = dk__unsent,
	.metrics = dk__metrics,
};
