/*
 * ARP shared by the stacks of one port (arp_share.h): one single-writer log
 * per member, slots under seqlocks (the C11 form: relaxed atomic data
 * between a release fence and an acquire fence, as in Boehm's "Can seqlocks
 * get along with programming language memory models?"), and a generation
 * counter so an idle turn costs one load.
 */
#include "dataplane/net/arp_share.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "base/compiler.h"

#define READ_TRIES 4 /* a torn slot is re-read; a writer holds it for a few stores */

struct share_slot {
	_Atomic uint32_t seq; /* odd while its writer is storing */
	_Atomic uint32_t ip;  /* network order */
	_Atomic uint64_t mac; /* six bytes, big-endian in the low 48 bits */
};

struct share_member {
	/* Writer side: this member's log, read by the others. */
	_Atomic uint64_t head __cache_aligned; /* pairs ever published */
	struct share_slot slot[NET_ARP_SHARE_SLOTS];
	/* Reader side: this member's own bookkeeping. */
	uint64_t seen_gen __cache_aligned;
	uint64_t *cursor; /* per other member: pairs of its log already read */
	_Atomic uint64_t published, applied, missed;
};

struct net_arp_share {
	unsigned members;
	_Atomic uint64_t gen __cache_aligned; /* bumped after every publish */
	struct share_member m[] __cache_aligned;
};

static size_t align64(size_t x)
{
	return (x + 63u) & ~(size_t)63u;
}

size_t net_arp_share_size(unsigned members)
{
	if (members == 0 || members > NET_ARP_SHARE_MEMBERS_MAX)
		return 0;
	return align64(sizeof(struct net_arp_share) + members * sizeof(struct share_member)) +
	       (size_t)members * members * sizeof(uint64_t);
}

struct net_arp_share *net_arp_share_init(void *mem, size_t size, unsigned members)
{
	struct net_arp_share *sh = mem;
	size_t need = net_arp_share_size(members);
	uint64_t *cursors;

	if (need == 0 || size < need || ((uintptr_t)mem & 63)) {
		errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, need);
	sh->members = members;
	cursors = (uint64_t *)(void *)((uint8_t *)mem +
				       align64(sizeof(*sh) + members * sizeof(struct share_member)));
	for (unsigned i = 0; i < members; i++)
		sh->m[i].cursor = cursors + (size_t)i * members;
	atomic_thread_fence(memory_order_release);
	return sh;
}

static uint64_t mac_pack(const uint8_t *mac)
{
	uint64_t v = 0;

	for (int i = 0; i < NET_ETH_ALEN; i++)
		v = v << 8 | mac[i];
	return v;
}

static void mac_unpack(uint64_t v, uint8_t *mac)
{
	for (int i = NET_ETH_ALEN - 1; i >= 0; i--) {
		mac[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* A counter only its member writes, read by /metrics from elsewhere. */
static void bump(_Atomic uint64_t *c, uint64_t by)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
			      memory_order_relaxed);
}

void net_arp_share_publish(struct net_arp_share *sh, unsigned m, struct in_addr ip,
			   const uint8_t mac[NET_ETH_ALEN])
{
	struct share_member *w;
	struct share_slot *s;
	uint64_t h;
	uint32_t q;

	BUG_ON(m >= sh->members);
	w = &sh->m[m];
	h = atomic_load_explicit(&w->head, memory_order_relaxed);
	s = &w->slot[h % NET_ARP_SHARE_SLOTS];
	q = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->ip, ip.s_addr, memory_order_relaxed);
	atomic_store_explicit(&s->mac, mac_pack(mac), memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 2, memory_order_release);
	atomic_store_explicit(&w->head, h + 1, memory_order_release);
	atomic_fetch_add_explicit(&sh->gen, 1, memory_order_release);
	bump(&w->published, 1);
}

/* A consistent copy of slot s; false if its writer kept it torn. */
static bool slot_read(const struct share_slot *s, uint32_t *ip, uint8_t *mac)
{
	for (int t = 0; t < READ_TRIES; t++) {
		uint32_t q1 = atomic_load_explicit(&s->seq, memory_order_acquire);
		uint32_t a = atomic_load_explicit(&s->ip, memory_order_relaxed);
		uint64_t v = atomic_load_explicit(&s->mac, memory_order_relaxed);

		atomic_thread_fence(memory_order_acquire);
		if ((q1 & 1) == 0 && atomic_load_explicit(&s->seq, memory_order_relaxed) == q1) {
			*ip = a;
			mac_unpack(v, mac);
			return true;
		}
	}
	return false;
}

unsigned net_arp_share_apply(struct net_arp_share *sh, unsigned m, struct net_stack *st,
			     uint64_t now_us)
{
	struct share_member *me = &sh->m[m];
	uint64_t g = atomic_load_explicit(&sh->gen, memory_order_acquire);
	unsigned applied = 0;
	uint64_t missed = 0;

	DEBUG_BUG_ON(m >= sh->members);
	if (g == me->seen_gen)
		return 0;
	me->seen_gen = g;
	for (unsigned o = 0; o < sh->members; o++) {
		const struct share_member *w = &sh->m[o];
		uint64_t head, c;

		if (o == m)
			continue;
		head = atomic_load_explicit(&w->head, memory_order_acquire);
		c = me->cursor[o];
		if (head - c > NET_ARP_SHARE_SLOTS) {
			missed += head - NET_ARP_SHARE_SLOTS - c;
			c = head - NET_ARP_SHARE_SLOTS;
		}
		for (; c < head; c++) {
			uint8_t mac[NET_ETH_ALEN];
			uint32_t ip;

			/* A writer that lapped us since the head was read has
			 * overwritten the slot with a newer pair, which is as
			 * good; a slot still torn is left to the ARP retry. */
			if (!slot_read(&w->slot[c % NET_ARP_SHARE_SLOTS], &ip, mac)) {
				missed++;
				continue;
			}
			if (net_arp_learn(st, (struct in_addr){ .s_addr = ip }, mac, now_us) >= 0)
				applied++;
		}
		me->cursor[o] = head;
	}
	if (applied)
		bump(&me->applied, applied);
	if (missed)
		bump(&me->missed, missed);
	return applied;
}

void net_arp_share_stats(const struct net_arp_share *sh, unsigned m,
			 struct net_arp_share_stats *out)
{
	const struct share_member *me = &sh->m[m];

	out->published = atomic_load_explicit(&me->published, memory_order_relaxed);
	out->applied = atomic_load_explicit(&me->applied, memory_order_relaxed);
	out->missed = atomic_load_explicit(&me->missed, memory_order_relaxed);
}
