/*
 * Columba's per-worker TCP/IP stack: Ethernet II, ARP, IPv4, ICMP echo and
 * TCP (RFC 9293 with RFC 7323, 6298, 6582, 5961, 6528, 4987).
 *
 * Like iip, it is a library the worker loop drives; it owns no thread and no
 * allocator. The caller asks net_mem_size() how much memory a configuration
 * needs, hands one region to net_init(), and the stack carves every table and
 * buffer out of it once: nothing is allocated per packet or per connection.
 * Frames come in through net_input() and leave through ops->tx; time is the
 * caller's (microseconds of a monotonic clock passed to every entry point),
 * so tests drive it by hand. Everything runs on the caller's thread.
 *
 * Socket events (ops->accept, recv, drain, closed, connected) are called from
 * inside net_input() and net_poll() only, never from inside net_send(),
 * net_close() or net_pause_recv(): those queue work for the next net_poll().
 *
 * Addresses: IPv4 only for now, but every address carries a family so IPv6
 * can be added without changing the API.
 */
#ifndef COLUMBA_DATAPLANE_NET_NET_H
#define COLUMBA_DATAPLANE_NET_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_ALEN 6

struct net_stack;
struct net_sock; /* one TCP connection; opaque */

/* An IPv4 or IPv6 address and port (port in host order, address in network order). */
struct net_addr {
	uint8_t family; /* AF_INET (AF_INET6 later; AF_UNSPEC: any, listen only) */
	uint16_t port;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* One piece of an outgoing frame. */
struct net_iov {
	const void *base;
	uint32_t len;
};

/* Offload flags: in net_config.offload (what the port layer can do) and in
 * the flags of ops->tx (what this frame needs done). */
#define NET_OFFLOAD_TX_IP_CSUM  0x1u /* tx: IPv4 header checksum left 0 for the NIC */
#define NET_OFFLOAD_TX_TCP_CSUM 0x2u /* tx: TCP checksum field holds the pseudo-header sum */
#define NET_OFFLOAD_RX_CSUM     0x4u /* rx: the NIC verified IPv4 and TCP checksums */

struct net_ops {
	/*
	 * tx - send one Ethernet frame made of n pieces (n <= 4; the first
	 * holds at least the Ethernet, IPv4 and TCP headers). The pieces are
	 * only valid during the call: copy them (into an mbuf, say).
	 * @flags: NET_OFFLOAD_TX_* the frame needs from the NIC (l2 length 14,
	 * l3 length 20 bytes).
	 * Returns 0, or a negative errno when the frame was dropped (counted in
	 * tx_errors; TCP retransmits it like a loss). It must not call back
	 * into the stack (the headers live in the stack's scratch buffer).
	 */
	int (*tx)(void *ctx, const struct net_iov *iov, int n, unsigned flags);
	/*
	 * accept - a passive connection reached ESTABLISHED.
	 * @listen_arg: the argument given to net_listen().
	 * Returns 0 to keep it, or a negative errno to refuse it (it is reset;
	 * no other callback follows for it).
	 */
	int (*accept)(void *ctx, struct net_sock *s, void *listen_arg);
	/* connected - an active open (net_connect) reached ESTABLISHED. */
	void (*connected)(void *ctx, struct net_sock *s);
	/*
	 * recv - len bytes in order (the buffer is the stack's; copy what must
	 * be kept). len == 0 means the peer closed its side (FIN), once.
	 */
	void (*recv)(void *ctx, struct net_sock *s, const uint8_t *data, size_t len);
	/* drain - after net_send() returned -EAGAIN or net_pause_recv(s, true):
	 * the send queue is down to a quarter of the send buffer. */
	void (*drain)(void *ctx, struct net_sock *s);
	/*
	 * closed - exactly once, last: err 0 after net_close(), -ECONNRESET
	 * (peer reset), -ECONNREFUSED (active open refused), -ETIMEDOUT
	 * (retransmissions or keepalive exhausted). The handle is invalid
	 * after it returns (the stack may keep the connection internally to
	 * finish the close, detached from the caller).
	 */
	void (*closed)(void *ctx, struct net_sock *s, int err);
	/*
	 * arp_learned - optional (NULL: not told): an ARP frame taught the
	 * stack that ip (network order) is at mac, a new neighbour or a
	 * refreshed one. Called from inside net_input() only, never for what
	 * net_arp_learn() was given, so stacks that pass entries to each other
	 * (dataplane/net/arp_share.h) do not echo them back and forth.
	 */
	void (*arp_learned)(void *ctx, struct in_addr ip, const uint8_t mac[NET_ETH_ALEN]);
};

/* Sizes and timers; 0 in any field means the default shown. */
struct net_config {
	uint8_t mac[NET_ETH_ALEN];
	struct in_addr ip, netmask, gateway; /* gateway 0: on-link only */
	uint16_t mtu;               /* 1500; IPv4 MTU, MSS = mtu - 40 */
	uint8_t ttl;                /* 64 */
	unsigned offload;           /* NET_OFFLOAD_* the port layer does */
	uint8_t secret[16];         /* ISN, SYN-cookie and hash key: random per stack */

	uint32_t max_conns;         /* 1024 connections, TIME_WAIT included */
	uint32_t max_listeners;     /* 8 */
	uint32_t sndbuf_bytes;      /* 65536 per connection */
	uint32_t rcvbuf_bytes;      /* 65536 per connection */
	uint32_t syn_backlog;       /* 256 half-open connections (at most max_conns / 2);
				       beyond, or with the table full: SYN cookies */
	uint32_t arp_entries;       /* 64 */

	uint32_t arp_timeout_ms;    /* 60000: a resolved entry's life */
	uint32_t arp_retry_ms;      /* 1000: between requests (3 tries) */
	uint32_t rto_init_ms;       /* 1000 (RFC 6298 2.1) */
	uint32_t rto_min_ms;        /* 200 */
	uint32_t rto_max_ms;        /* 60000 */
	uint32_t syn_retries;       /* 5 */
	uint32_t data_retries;      /* 12 */
	uint32_t delack_ms;         /* 40 */
	uint32_t time_wait_ms;      /* 60000 (2 MSL) */
	uint32_t fin_wait2_ms;      /* 60000: FIN-WAIT-2 after the caller closed */
	uint32_t keepalive_idle_ms; /* 0: off */
	uint32_t keepalive_intvl_ms;/* 75000 */
	uint32_t keepalive_probes;  /* 9 */
	uint32_t challenge_acks_per_s; /* 1000 (RFC 5961 10) */
};

/* Counters; monotonically increasing. */
struct net_stats {
	uint64_t rx_frames, tx_frames, tx_errors;
	/* drops by reason */
	uint64_t drop_short, drop_not_ours, drop_ethertype, drop_ip_header, drop_ip_csum,
		drop_ip_fragment, drop_martian, drop_ip_proto;
	uint64_t arp_rx, arp_replies, arp_requests, arp_drop, arp_pending_dropped,
		arp_unresolved;
	uint64_t arp_learned_shared;   /* entries net_arp_learn() stored or refreshed */
	uint64_t icmp_echo_replies, icmp_drop;
	uint64_t tcp_rx_segs, tcp_tx_segs, tcp_drop_csum, tcp_drop_header, tcp_drop_no_conn,
		tcp_drop_out_of_window, tcp_drop_paws, tcp_drop_bad_ack, tcp_drop_ooo_full,
		tcp_drop_no_memory, tcp_drop_closed_data;
	uint64_t tcp_rst_rx, tcp_rst_tx, tcp_active_opens, tcp_passive_opens,
		tcp_established, tcp_resets, tcp_timeouts;
	uint64_t tcp_retransmits, tcp_rto_expired, tcp_fast_retransmits, tcp_partial_acks,
		tcp_dup_acks, tcp_ooo_segs, tcp_zero_window_probes, tcp_keepalives_sent,
		tcp_delayed_acks;
	uint64_t tcp_challenge_acks, tcp_challenge_acks_limited;
	uint64_t tcp_cookies_sent, tcp_cookies_accepted, tcp_cookies_rejected;
};

/* Negative codes net_input() returns, one per kind of rejected frame. */
#define NET_E_SHORT     (-1001) /* truncated header */
#define NET_E_NOT_OURS  (-1002) /* other MAC or IP address */
#define NET_E_ETHERTYPE (-1003) /* not IPv4 or ARP */
#define NET_E_IP_HEADER (-1004) /* bad version, length or source */
#define NET_E_IP_CSUM   (-1005)
#define NET_E_FRAGMENT  (-1006) /* IPv4 fragments are not reassembled */
#define NET_E_PROTO     (-1007) /* not TCP or ICMP, or ICMP other than echo */
#define NET_E_ARP       (-1008) /* malformed or unsupported ARP */
#define NET_E_TCP       (-1009) /* bad TCP header or checksum */

/*
 * net_mem_size - bytes of memory net_init() needs for cfg (defaults applied).
 * Returns 0 when cfg is invalid (a count or size out of range).
 */
size_t net_mem_size(const struct net_config *cfg);

/*
 * net_init - build a stack inside mem (size bytes, 64-byte aligned, at least
 * net_mem_size(cfg); the caller owns it and frees it after the stack is no
 * longer used: there is no net_fini). cfg is copied; ops and ctx must
 * outlive the stack. Sends nothing: call net_start() once the port is up.
 * Returns the stack, or NULL (errno EINVAL: bad cfg, alignment or size).
 */
struct net_stack *net_init(void *mem, size_t size, const struct net_config *cfg,
			   const struct net_ops *ops, void *ctx, uint64_t now_us);

/* net_start - announce the address with a gratuitous ARP request. Stacks
 * that share one port and address need only one of them to call it. */
void net_start(struct net_stack *st, uint64_t now_us);

/*
 * net_arp_learn - ip (network order) is at mac, as another stack of the
 * same port heard (ops->arp_learned there): refresh the entry for ip, or
 * resolve it if pending (its held frame leaves now), or store it in a free
 * (or expired) entry so a later frame to ip needs no request. An entry this
 * stack uses is never evicted for it.
 * Returns 1 when a pending resolution completed, 0 when stored or
 * refreshed; -ENOSPC when every entry is in use (not stored); -EINVAL for
 * address 0, our own address or a multicast or zero MAC.
 */
int net_arp_learn(struct net_stack *st, struct in_addr ip, const uint8_t mac[NET_ETH_ALEN],
		  uint64_t now_us);

/*
 * net_input - process one received Ethernet frame (len bytes, without FCS).
 * Returns 0 when the frame was used (that includes TCP segments a
 * connection discarded: those are counted in net_stats), or a NET_E_* code
 * saying why the frame was dropped (also counted).
 */
int net_input(struct net_stack *st, const uint8_t *frame, uint32_t len, uint64_t now_us);

/*
 * net_poll - run due timers (TCP retransmissions, delayed ACKs, probes,
 * TIME_WAIT, ARP retries) and queued socket work (deferred closed events,
 * resumed deliveries). Call it often: every loop iteration, or at least by
 * the deadline net_next_timer_us() gives.
 */
void net_poll(struct net_stack *st, uint64_t now_us);

/* net_next_timer_us - microseconds until net_poll() has work, 0 if now,
 * UINT64_MAX if nothing is pending. */
uint64_t net_next_timer_us(const struct net_stack *st, uint64_t now_us);

const struct net_stats *net_stats(const struct net_stack *st);

/*
 * net_listen - accept connections to local->port (local->family AF_UNSPEC
 * or the stack's own address). arg is passed to ops->accept.
 * Returns 0; -EADDRINUSE (port already listened on); -ENOSPC (max_listeners);
 * -EAFNOSUPPORT (an IPv6 or foreign address).
 */
int net_listen(struct net_stack *st, const struct net_addr *local, void *arg);

/* net_unlisten - stop accepting on port. Returns 0 or -ENOENT. */
int net_unlisten(struct net_stack *st, uint16_t port);

/*
 * net_connect - active open to remote from an ephemeral port; ops->connected
 * or ops->closed (-ECONNREFUSED, -ETIMEDOUT) follows.
 * Returns 0 and *out; -EAFNOSUPPORT; -ENOMEM (no free connection);
 * -EADDRNOTAVAIL (no free local port).
 */
int net_connect(struct net_stack *st, const struct net_addr *remote, void *udata,
		uint64_t now_us, struct net_sock **out);

/*
 * net_send - copy len bytes into the connection's send buffer and send what
 * the windows allow (at the time of the last net_input/net_poll).
 * Returns 0 when all were queued; -EAGAIN when they do not all fit (nothing
 * was queued; ops->drain follows); -EPIPE when the connection is closing or
 * closed; -ENOTCONN before ESTABLISHED; -EMSGSIZE if len exceeds the buffer.
 */
int net_send(struct net_sock *s, const void *data, size_t len);

/*
 * net_close - graceful: queued bytes are sent, then FIN; abort: RST at once,
 * queued bytes dropped. ops->closed(s, 0) follows from net_poll(), never from
 * this call. A second call is harmless (an abort after a graceful close
 * still resets).
 */
void net_close(struct net_sock *s, bool abort);

/*
 * net_pause_recv - stop (true) or resume (false) ops->recv. While paused,
 * arriving bytes are kept in the receive buffer and the advertised window
 * shrinks as it fills. On resume they are handed over from net_poll() in
 * pieces, stopping if the caller pauses again. Pausing also asks for
 * ops->drain once the send queue is down to a quarter.
 */
void net_pause_recv(struct net_sock *s, bool pause);

/* net_sock_set_udata - attach the caller's pointer to s (NULL at accept/connect
 * unless given to net_connect). */
void net_sock_set_udata(struct net_sock *s, void *udata);
/* net_sock_udata - the pointer set by net_sock_set_udata() or net_connect(). */
void *net_sock_udata(const struct net_sock *s);
/* net_sock_peer - the remote address and port (valid until ops->closed returns). */
const struct net_addr *net_sock_peer(const struct net_sock *s);
/* net_sock_local - the local address and port. */
const struct net_addr *net_sock_local(const struct net_sock *s);
/* net_sock_stack - the stack s belongs to. */
struct net_stack *net_sock_stack(const struct net_sock *s);
/* net_sock_unsent - bytes in the send buffer: queued by net_send() and not yet
 * acknowledged by the peer (what counts against sndbuf_bytes). */
size_t net_sock_unsent(const struct net_sock *s);

#endif
