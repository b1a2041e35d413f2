/*
 * Ethernet output and ARP (RFC 826): replies to requests for our address,
 * a cache of arp_entries entries that expire, one pending frame per
 * unresolved entry (a newer one replaces it: TCP retransmits), requests
 * retried three times, and a gratuitous ARP at start (RFC 5227 3).
 * Several stacks on one port (one per worker queue) each see only the ARP
 * frames of their queue: what one learns from the wire goes out through
 * ops->arp_learned and comes into the others through net_arp_learn().
 *
 * The cache is scanned linearly: a worker talks to its gateway and a few
 * on-link peers, so the table is small and a scan beats hashing.
 */
#include <errno.h>

#include "dataplane/net/net-int.h"

#define ARP_LEN   28
#define ARP_TRIES 3

static const uint8_t bcast[NET_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void net__eth_tx(struct net_stack *st, const uint8_t *dst_mac, struct net_iov *iov, int n,
		 unsigned flags)
{
	uint8_t *eth = (uint8_t *)(uintptr_t)iov[0].base; /* the caller's scratch buffer */

	memcpy(eth, dst_mac, NET_ETH_ALEN);
	memcpy(eth + 6, st->cfg.mac, NET_ETH_ALEN);
	if (st->ops->tx(st->ctx, iov, n, flags) < 0)
		st->stats.tx_errors++;
	else
		st->stats.tx_frames++;
}

static void arp_send(struct net_stack *st, uint16_t op, const uint8_t *tha, uint32_t tpa,
		     const uint8_t *dst_mac)
{
	uint8_t f[ETH_HLEN + ARP_LEN];
	struct net_iov iov = { f, sizeof(f) };

	wr16(f + 12, ETHERTYPE_ARP);
	wr16(f + 14, 1);            /* Ethernet */
	wr16(f + 16, ETHERTYPE_IP);
	f[18] = NET_ETH_ALEN;
	f[19] = 4;
	wr16(f + 20, op);
	memcpy(f + 22, st->cfg.mac, NET_ETH_ALEN);
	wr32(f + 28, ntohl(st->cfg.ip.s_addr));
	memcpy(f + 32, tha, NET_ETH_ALEN);
	wr32(f + 38, tpa);
	net__eth_tx(st, dst_mac, &iov, 1, 0);
}

static void arp_request(struct net_stack *st, uint32_t ip)
{
	static const uint8_t zero[NET_ETH_ALEN];

	st->stats.arp_requests++;
	arp_send(st, 1, zero, ip, bcast);
}

void net__arp_announce(struct net_stack *st)
{
	arp_request(st, ntohl(st->cfg.ip.s_addr));
}

static struct net_arp_entry *arp_find(struct net_stack *st, uint32_t ip)
{
	struct net_arp_entry *e = st->arp_last;

	/* Nearly every frame goes to the same next hop (the gateway). */
	if (e && e->state != ARP_FREE && e->ip == ip)
		return e;
	for (uint32_t i = 0; i < st->cfg.arp_entries; i++)
		if (st->arp[i].state != ARP_FREE && st->arp[i].ip == ip) {
			st->arp_last = &st->arp[i];
			return &st->arp[i];
		}
	return NULL;
}

/* A free entry, or the one closest to expiry (its pending frame is lost). */
static struct net_arp_entry *arp_take(struct net_stack *st, uint32_t ip)
{
	struct net_arp_entry *victim = NULL;

	for (uint32_t i = 0; i < st->cfg.arp_entries; i++) {
		struct net_arp_entry *e = &st->arp[i];

		if (e->state == ARP_FREE) {
			victim = e;
			break;
		}
		if (!victim || e->expires_ms < victim->expires_ms)
			victim = e;
	}
	if (victim->state == ARP_PENDING && victim->pending_len)
		st->stats.arp_pending_dropped++;
	victim->ip = ip;
	victim->state = ARP_FREE;
	victim->pending_len = 0;
	victim->tries = 0;
	return victim;
}

static void arp_learn(struct net_arp_entry *e, struct net_stack *st, const uint8_t *mac)
{
	memcpy(e->mac, mac, NET_ETH_ALEN);
	e->state = ARP_RESOLVED;
	e->expires_ms = st->now_ms + st->cfg.arp_timeout_ms;
	e->tries = 0;
	if (e->pending_len) {
		struct net_iov iov = { e->pending, e->pending_len };

		e->pending_len = 0;
		net__eth_tx(st, e->mac, &iov, 1, e->pending_flags);
	}
}

/* Tell the caller what the wire taught us (the other stacks of the port). */
static void arp_tell(struct net_stack *st, uint32_t ip, const uint8_t *mac)
{
	if (st->ops->arp_learned)
		st->ops->arp_learned(st->ctx, (struct in_addr){ .s_addr = htonl(ip) }, mac);
}

int net_arp_learn(struct net_stack *st, struct in_addr ip, const uint8_t mac[NET_ETH_ALEN],
		  uint64_t now_us)
{
	static const uint8_t zero[NET_ETH_ALEN];
	uint32_t a = ntohl(ip.s_addr);
	struct net_arp_entry *e;
	bool pending;

	if (a == 0 || a == ntohl(st->cfg.ip.s_addr) || (mac[0] & 1) ||
	    !memcmp(mac, zero, NET_ETH_ALEN))
		return -EINVAL;
	st->now_us = now_us;
	st->now_ms = now_us / 1000;
	e = arp_find(st, a);
	if (!e) {
		/* Only a free or expired entry: one this stack is using (or
		 * resolving) stays, since the shared one may never be needed. */
		for (uint32_t i = 0; i < st->cfg.arp_entries && !e; i++) {
			struct net_arp_entry *x = &st->arp[i];

			if (x->state == ARP_FREE ||
			    (x->state == ARP_RESOLVED && x->expires_ms <= st->now_ms))
				e = x;
		}
		if (!e)
			return -ENOSPC;
		e->ip = a;
		e->pending_len = 0;
		e->state = ARP_FREE;
	}
	pending = e->state == ARP_PENDING;
	arp_learn(e, st, mac);
	st->stats.arp_learned_shared++;
	return pending ? 1 : 0;
}

int net__arp_input(struct net_stack *st, const uint8_t *f, uint32_t len)
{
	uint32_t spa, tpa, me = ntohl(st->cfg.ip.s_addr);
	struct net_arp_entry *e;
	uint16_t op;

	st->stats.arp_rx++;
	if (len < ETH_HLEN + ARP_LEN || rd16(f + 14) != 1 || rd16(f + 16) != ETHERTYPE_IP ||
	    f[18] != NET_ETH_ALEN || f[19] != 4) {
		st->stats.arp_drop++;
		return NET_E_ARP;
	}
	op = rd16(f + 20);
	spa = rd32(f + 28);
	tpa = rd32(f + 38);
	if ((op != 1 && op != 2) || (f[22] & 1) || spa == me) {
		/* Unknown operation, a multicast sender, or someone claiming our address. */
		st->stats.arp_drop++;
		return NET_E_ARP;
	}
	/* RFC 826 "packet reception": merge first, then add only if it is for us. */
	e = spa ? arp_find(st, spa) : NULL;
	if (e)
		arp_learn(e, st, f + 22);
	if (tpa != me) {
		if (e) {
			arp_tell(st, spa, f + 22);
			return 0;
		}
		st->stats.drop_not_ours++;
		return NET_E_NOT_OURS;
	}
	if (!e && spa)
		arp_learn(arp_take(st, spa), st, f + 22);
	if (spa)
		arp_tell(st, spa, f + 22);
	if (op == 1) {
		st->stats.arp_replies++;
		arp_send(st, 2, f + 22, spa, f + 22);
	}
	return 0;
}

void net__ip_output(struct net_stack *st, uint32_t dst, struct net_iov *iov, int n,
		    unsigned flags)
{
	uint32_t me = ntohl(st->cfg.ip.s_addr), mask = ntohl(st->cfg.netmask.s_addr);
	uint32_t gw = ntohl(st->cfg.gateway.s_addr);
	uint32_t hop = ((dst ^ me) & mask) == 0 || gw == 0 ? dst : gw;
	struct net_arp_entry *e = arp_find(st, hop);
	uint32_t total = 0;

	if (e && e->state == ARP_RESOLVED && e->expires_ms > st->now_ms) {
		net__eth_tx(st, e->mac, iov, n, flags);
		return;
	}
	if (!e || e->state == ARP_RESOLVED) {
		/* Unknown or expired: ask again, and keep this frame until the answer. */
		if (!e)
			e = arp_take(st, hop);
		e->state = ARP_PENDING;
		e->tries = 1;
		e->expires_ms = st->now_ms + st->cfg.arp_retry_ms;
		if (e->expires_ms < st->arp_due_ms)
			st->arp_due_ms = e->expires_ms;
		arp_request(st, hop);
	} else if (e->pending_len) {
		st->stats.arp_pending_dropped++;
	}
	e->pending_len = 0;
	for (int i = 0; i < n; i++)
		total += iov[i].len;
	if (total > st->cfg.mtu + (uint32_t)ETH_HLEN) {
		st->stats.arp_pending_dropped++;
		return;
	}
	for (int i = 0; i < n; i++) {
		memcpy(e->pending + e->pending_len, iov[i].base, iov[i].len);
		e->pending_len += iov[i].len;
	}
	e->pending_flags = flags;
	memcpy(e->pending + 6, st->cfg.mac, NET_ETH_ALEN);
}

void net__arp_poll(struct net_stack *st)
{
	uint64_t due = UINT64_MAX;

	/* Called every loop iteration: scan only when a retry is due. */
	if (st->arp_due_ms > st->now_ms)
		return;
	for (uint32_t i = 0; i < st->cfg.arp_entries; i++) {
		struct net_arp_entry *e = &st->arp[i];

		if (e->state != ARP_PENDING)
			continue;
		if (e->expires_ms > st->now_ms) {
			if (e->expires_ms < due)
				due = e->expires_ms;
			continue;
		}
		if (e->tries >= ARP_TRIES) {
			st->stats.arp_unresolved++;
			if (e->pending_len)
				st->stats.arp_pending_dropped++;
			e->pending_len = 0;
			e->state = ARP_FREE;
			continue;
		}
		e->tries++;
		e->expires_ms = st->now_ms + st->cfg.arp_retry_ms;
		if (e->expires_ms < due)
			due = e->expires_ms;
		arp_request(st, e->ip);
	}
	st->arp_due_ms = due;
}
