/*
 * The stack object: configuration defaults, carving the caller's memory,
 * the Ethernet input dispatch and the poll loop.
 */
#include <errno.h>

#include "dataplane/net/net-int.h"

#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)

/* Apply defaults; false when a value is out of range. */
static bool config_fill(struct net_config *c)
{
#define DEF(f, v) do { if (!c->f) c->f = (v); } while (0)
	DEF(mtu, 1500);
	DEF(ttl, 64);
	DEF(max_conns, 1024);
	DEF(max_listeners, 8);
	DEF(sndbuf_bytes, 65536);
	DEF(rcvbuf_bytes, 65536);
	DEF(syn_backlog, 256);
	DEF(arp_entries, 64);
	DEF(arp_timeout_ms, 60000);
	DEF(arp_retry_ms, 1000);
	DEF(rto_init_ms, 1000);
	DEF(rto_min_ms, 200);
	DEF(rto_max_ms, 60000);
	DEF(syn_retries, 5);
	DEF(data_retries, 12);
	DEF(delack_ms, 40);
	DEF(time_wait_ms, 60000);
	DEF(fin_wait2_ms, 60000);
	DEF(keepalive_intvl_ms, 75000);
	DEF(keepalive_probes, 9);
	DEF(challenge_acks_per_s, 1000);
#undef DEF
	/* Half-open connections may take at most half the table: the rest stays
	 * for established ones, which a SYN flood must not lock out. */
	if (c->syn_backlog > c->max_conns / 2)
		c->syn_backlog = c->max_conns / 2 ? c->max_conns / 2 : 1;
	if (c->mtu < 576 || c->mtu > 9000)
		return false;
	if (c->max_conns > (1u << 20) || c->max_listeners > 1024 || c->arp_entries > 4096)
		return false;
	/* 1 GiB is the most a window scale of 14 can advertise (RFC 7323 2.3). */
	if (c->sndbuf_bytes < 1024 || c->sndbuf_bytes > (1u << 30) ||
	    c->rcvbuf_bytes < 1024 || c->rcvbuf_bytes > (1u << 30))
		return false;
	if (c->rto_min_ms > c->rto_max_ms || c->rto_init_ms > c->rto_max_ms)
		return false;
	return true;
}

static uint32_t hash_buckets(uint32_t conns)
{
	uint32_t n = 64;

	while (n < conns * 2)
		n <<= 1;
	return n;
}

/* Offsets of each table inside the region; returns the total size. */
struct layout {
	size_t socks, hash, listeners, arp, arp_bufs, sbufs, rbufs, total;
};

static size_t layout_of(const struct net_config *c, struct layout *l)
{
	size_t off = ALIGN64(sizeof(struct net_stack));

	l->socks = off;
	off = ALIGN64(off + (size_t)c->max_conns * sizeof(struct net_sock));
	l->hash = off;
	off = ALIGN64(off + (size_t)hash_buckets(c->max_conns) * sizeof(struct net_sock *));
	l->listeners = off;
	off = ALIGN64(off + (size_t)c->max_listeners * sizeof(struct net_listener));
	l->arp = off;
	off = ALIGN64(off + (size_t)c->arp_entries * sizeof(struct net_arp_entry));
	l->arp_bufs = off;
	off = ALIGN64(off + (size_t)c->arp_entries * ALIGN64(c->mtu + ETH_HLEN));
	l->sbufs = off;
	off = ALIGN64(off + (size_t)c->max_conns * c->sndbuf_bytes);
	l->rbufs = off;
	off = ALIGN64(off + (size_t)c->max_conns * c->rcvbuf_bytes);
	l->total = off;
	return off;
}

size_t net_mem_size(const struct net_config *cfg)
{
	struct net_config c = *cfg;
	struct layout l;

	if (!config_fill(&c))
		return 0;
	return layout_of(&c, &l);
}

struct net_stack *net_init(void *mem, size_t size, const struct net_config *cfg,
			   const struct net_ops *ops, void *ctx, uint64_t now_us)
{
	struct net_config c = *cfg;
	struct net_stack *st = mem;
	uint8_t *base = mem;
	struct layout l;

	if (!config_fill(&c) || !ops || !ops->tx || ((uintptr_t)mem & 63) ||
	    layout_of(&c, &l) > size || c.ip.s_addr == 0) {
		errno = EINVAL;
		return NULL;
	}
	memset(st, 0, sizeof(*st));
	st->cfg = c;
	st->ops = ops;
	st->ctx = ctx;
	st->now_us = now_us;
	st->now_ms = now_us / 1000;
	st->mss_local = c.mtu - IP_HLEN - TCP_HLEN;
	dp_timer_wheel_init(&st->wheel, st->now_ms);
	st->arp_due_ms = UINT64_MAX;

	st->socks = (struct net_sock *)(void *)(base + l.socks);
	memset(st->socks, 0, (size_t)c.max_conns * sizeof(struct net_sock));
	for (uint32_t i = c.max_conns; i-- > 0;) {
		struct net_sock *s = &st->socks[i];

		s->st = st;
		s->sbuf = base + l.sbufs + (size_t)i * c.sndbuf_bytes;
		s->rbuf = base + l.rbufs + (size_t)i * c.rcvbuf_bytes;
		dp_timer_init(&s->timer, tcp__timer_fire, s);
		s->hnext = st->free_socks;
		st->free_socks = s;
	}
	st->hash = (struct net_sock **)(void *)(base + l.hash);
	st->hash_mask = hash_buckets(c.max_conns) - 1;
	memset(st->hash, 0, (size_t)(st->hash_mask + 1) * sizeof(*st->hash));
	st->listeners = (struct net_listener *)(void *)(base + l.listeners);
	memset(st->listeners, 0, (size_t)c.max_listeners * sizeof(struct net_listener));
	st->arp = (struct net_arp_entry *)(void *)(base + l.arp);
	memset(st->arp, 0, (size_t)c.arp_entries * sizeof(struct net_arp_entry));
	for (uint32_t i = 0; i < c.arp_entries; i++)
		st->arp[i].pending = base + l.arp_bufs + (size_t)i * ALIGN64(c.mtu + ETH_HLEN);
	/* Ephemeral ports start at a keyed position in 49152-65535 (RFC 6056). */
	st->next_port = (uint16_t)(49152 + net__siphash(c.secret, "port", 4) % 16384);
	return st;
}

void net_start(struct net_stack *st, uint64_t now_us)
{
	st->now_us = now_us;
	st->now_ms = now_us / 1000;
	net__arp_announce(st);
}

int net_input(struct net_stack *st, const uint8_t *frame, uint32_t len, uint64_t now_us)
{
	static const uint8_t bcast[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t type;

	st->now_us = now_us;
	st->now_ms = now_us / 1000;
	st->stats.rx_frames++;
	if (len < ETH_HLEN) {
		st->stats.drop_short++;
		return NET_E_SHORT;
	}
	if (memcmp(frame, st->cfg.mac, NET_ETH_ALEN) && memcmp(frame, bcast, NET_ETH_ALEN)) {
		st->stats.drop_not_ours++;
		return NET_E_NOT_OURS;
	}
	type = rd16(frame + 12);
	if (type == ETHERTYPE_IP)
		return net__ipv4_input(st, frame, len);
	if (type == ETHERTYPE_ARP)
		return net__arp_input(st, frame, len);
	st->stats.drop_ethertype++;
	return NET_E_ETHERTYPE;
}

void net_poll(struct net_stack *st, uint64_t now_us)
{
	st->now_us = now_us;
	st->now_ms = now_us / 1000;
	tcp__run_work(st);
	dp_timer_wheel_run(&st->wheel, st->now_ms);
	net__arp_poll(st);
	tcp__run_work(st);
}

uint64_t net_next_timer_us(const struct net_stack *st, uint64_t now_us)
{
	uint64_t ms;

	if (st->work_head)
		return 0;
	ms = dp_timer_wheel_next(&st->wheel, now_us / 1000);
	if (st->arp_due_ms != UINT64_MAX) {
		uint64_t d = st->arp_due_ms <= now_us / 1000 ? 0 : st->arp_due_ms - now_us / 1000;

		if (d < ms)
			ms = d;
	}
	if (ms == UINT64_MAX)
		return UINT64_MAX;
	return ms * 1000;
}

const struct net_stats *net_stats(const struct net_stack *st)
{
	return &st->stats;
}
