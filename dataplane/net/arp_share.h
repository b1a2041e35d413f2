/*
 * ARP shared by the stacks of one port. With several RX queues each worker
 * has its own stack, and an ARP frame reaches one queue only (a NIC steers
 * it to queue 0 or by its own hash; net_tap by the kernel's queue choice),
 * so a stack could wait for a reply another stack received. Here every
 * stack (a member) publishes what the wire taught it (net_ops.arp_learned)
 * and, once per loop turn, applies what the others published
 * (net_arp_learn()): a reply reaching worker A resolves worker B's pending
 * neighbour on B's next turn.
 *
 * Shape: one log per member, written by that member only (a ring of
 * NET_ARP_SHARE_SLOTS (ip, mac) pairs, each slot under a seqlock), read by
 * all the others, plus one port-wide generation counter the writers bump.
 * No locks: a publish is a few stores; a turn with nothing new costs one
 * load of the generation (a cache line written only when ARP frames
 * arrive). A reader more than NET_ARP_SHARE_SLOTS entries behind a writer
 * skips the overwritten ones (counted as missed): its own ARP retry, a
 * second later, covers them.
 *
 * Threads: net_arp_share_publish(sh, m, ...) and net_arp_share_apply(sh, m,
 * ...) run on member m's thread only; any number of members concurrently.
 */
#ifndef COLUMBA_DATAPLANE_NET_ARP_SHARE_H
#define COLUMBA_DATAPLANE_NET_ARP_SHARE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/net/net.h"

#define NET_ARP_SHARE_SLOTS 64u   /* entries a writer may be ahead of a reader */
#define NET_ARP_SHARE_MEMBERS_MAX 1024u

struct net_arp_share;

/* Per member: what it published and what it took from the others. */
struct net_arp_share_stats {
	uint64_t published; /* pairs this member wrote */
	uint64_t applied;   /* pairs from others that its stack stored or refreshed */
	uint64_t missed;    /* pairs overwritten before this member read them */
};

/*
 * net_arp_share_size - bytes net_arp_share_init() needs for members stacks.
 * Returns 0 when members is 0 or above NET_ARP_SHARE_MEMBERS_MAX.
 */
size_t net_arp_share_size(unsigned members);

/*
 * net_arp_share_init - an empty share for members stacks inside mem (size
 * bytes, 64-byte aligned, at least net_arp_share_size(members); the caller
 * frees it once no member uses it). Call before any member thread starts.
 * Returns the share, or NULL (errno EINVAL: bad members, size or alignment).
 */
struct net_arp_share *net_arp_share_init(void *mem, size_t size, unsigned members);

/*
 * net_arp_share_publish - member m heard that ip (network order) is at mac;
 * the other members take it on their next net_arp_share_apply(). Wire it to
 * member m's net_ops.arp_learned.
 */
void net_arp_share_publish(struct net_arp_share *sh, unsigned m, struct in_addr ip,
			   const uint8_t mac[NET_ETH_ALEN]);

/*
 * net_arp_share_apply - hand member m's stack st every pair the other
 * members published since m's last call (net_arp_learn() with now_us).
 * Returns how many the stack stored or refreshed (0 when nothing was new).
 */
unsigned net_arp_share_apply(struct net_arp_share *sh, unsigned m, struct net_stack *st,
			     uint64_t now_us);

/* net_arp_share_stats - member m's counters (any thread; relaxed reads). */
void net_arp_share_stats(const struct net_arp_share *sh, unsigned m,
			 struct net_arp_share_stats *out);

#endif
