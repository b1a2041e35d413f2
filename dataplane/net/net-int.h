/*
 * Internals of dataplane/net shared by its files: the stack, the TCP
 * control block, wire-format helpers and the functions one file calls in
 * another (double underscore). Not for use outside dataplane/net.
 */
#ifndef COLUMBA_DATAPLANE_NET_NET_INT_H
#define COLUMBA_DATAPLANE_NET_NET_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/compiler.h"
#include "dataplane/net/net.h"
#include "dataplane/timer.h"

#define ETH_HLEN     14
#define IP_HLEN      20
#define TCP_HLEN     20
#define TCP_OPT_MAX  40
#define HDR_MAX      (ETH_HLEN + IP_HLEN + TCP_HLEN + TCP_OPT_MAX)
#define ETHERTYPE_IP  0x0800
#define ETHERTYPE_ARP 0x0806
#define IPPROTO_TCP_  6
#define IPPROTO_ICMP_ 1

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

#define NET_OOO_MAX   8   /* out-of-order ranges kept per connection */
#define TCP_WSCALE_MAX 14 /* RFC 7323 2.3 */

enum tcp_state {
	TCP_CLOSED = 0,
	TCP_LISTEN, /* listeners only: a table of its own */
	TCP_SYN_SENT,
	TCP_SYN_RCVD,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

/* Sequence arithmetic modulo 2^32 (RFC 9293 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* A parsed TCP segment (addresses and ports in host order). */
struct tcp_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint32_t wnd;      /* unscaled field */
	uint8_t flags;
	const uint8_t *data;
	uint32_t len;      /* payload bytes */
	bool has_mss, has_ws, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
};

struct net_ooo { uint32_t start, end; }; /* [start, end) held in the receive ring */

/* The TCP control block; struct net_sock is its public name. */
struct net_sock {
	struct net_sock *hnext;        /* hash chain, or free list */
	struct net_sock *tw_next;      /* TIME_WAIT FIFO */
	struct net_sock *work_next;    /* deferred-work list */
	struct net_stack *st;
	struct net_addr local, remote;
	uint8_t state;
	bool passive;                  /* from a listener (SYN-RCVD counts in the backlog) */
	bool attached;                 /* the caller holds the handle */
	bool in_hash, on_work, on_tw;
	bool paused, want_drain, eof_seen, eof_delivered, closed_queued;
	bool fin_queued;               /* the caller closed: FIN after the data */
	bool ts_ok, ws_ok;
	bool in_recovery, persist;
	bool rtt_active;
	int close_err;
	void *udata;
	void *listen_arg;

	/* send side */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, max_snd_wnd, snd_wl1, snd_wl2;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;                  /* peer's MSS (no options counted) */
	uint32_t cwnd, ssthresh, recover;
	uint32_t dupacks;
	uint8_t *sbuf;
	uint32_t s_seq;                /* sequence number of sbuf's first byte */
	uint32_t s_head, s_len;        /* ring: first byte's index, bytes queued */

	/* receive side */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge advertised */
	uint8_t *rbuf;
	uint32_t r_head, r_len;         /* ring: unread in-order bytes */
	uint32_t unacked_segs;          /* in-order segments since the last ACK sent */
	struct net_ooo ooo[NET_OOO_MAX];
	uint8_t n_ooo;

	/* timestamps (RFC 7323) */
	uint32_t ts_offset, ts_recent, last_ack_sent;

	/* RTT (RFC 6298), milliseconds scaled by 8 (srtt) and 4 (rttvar) */
	uint32_t srtt8, rttvar4, rto_ms, rtt_seq;
	uint64_t rtt_start_ms;
	uint32_t retries;              /* consecutive RTO / probe expiries */
	uint32_t ka_probes;

	/* deadlines in ms, 0 = off; one wheel timer at the earliest */
	uint64_t rto_at, dack_at, persist_at, ka_at, tw_at;
	struct dp_timer timer;
};

struct net_listener {
	uint16_t port; /* 0: free */
	void *arg;
};

enum arp_state { ARP_FREE = 0, ARP_PENDING, ARP_RESOLVED };

struct net_arp_entry {
	uint32_t ip;             /* host order, like every address inside the stack */
	uint8_t mac[NET_ETH_ALEN];
	uint8_t state, tries;
	uint64_t expires_ms;     /* RESOLVED: end of life; PENDING: next retry */
	uint32_t pending_len;    /* bytes of the frame waiting for resolution */
	unsigned pending_flags;  /* its NET_OFFLOAD_TX_* flags */
	uint8_t *pending;        /* mtu + ETH_HLEN bytes */
};

struct net_stack {
	struct dp_timer_wheel wheel; /* first: large and 64-aligned */
	struct net_config cfg;
	const struct net_ops *ops;
	void *ctx;
	struct net_stats stats;
	uint64_t now_us, now_ms;
	uint32_t mss_local;           /* mtu - 40 */

	struct net_sock *socks, *free_socks;
	uint32_t n_used, n_syn_rcvd;
	struct net_sock **hash;
	uint32_t hash_mask;
	struct net_sock *tw_head, *tw_tail;
	struct net_sock *work_head, *work_tail;

	struct net_listener *listeners;
	struct net_arp_entry *arp, *arp_last;
	uint64_t arp_due_ms;          /* earliest pending retry (UINT64_MAX: none) */
	uint16_t next_port;

	uint64_t cookie_last_ms;      /* last cookie SYN-ACK sent, +1 (0: never) */
	uint64_t chack_window_ms;     /* challenge-ACK rate limit window */
	uint32_t chack_count;

	uint8_t hdr[HDR_MAX];         /* scratch for the frame being built */
};

/* --- csum.c: the Internet checksum (RFC 1071) --- */
/* Add len bytes to a running sum; returns it folded to 16 bits (not complemented). */
uint32_t net__csum_add(uint32_t sum, const void *data, uint32_t len);
/* The checksum field value of a running sum (folded, complemented). */
uint16_t net__csum_fold(uint32_t sum);
/* Add pieces of any lengths (odd ones included) as one buffer. */
uint32_t net__csum_iov(uint32_t sum, const struct net_iov *iov, int n);
/* The IPv4 pseudo-header's sum (addresses in host order). */
uint32_t net__pseudo_sum(uint32_t saddr, uint32_t daddr, uint8_t proto, uint32_t len);

/* --- hash.c: SipHash-2-4 (keyed, for ISNs, cookies, the connection table) --- */
uint64_t net__siphash(const uint8_t key[16], const void *data, size_t len);

/* --- arp.c --- */
/* Send an IPv4 packet to dst via its next hop (iov[0]: writable, Ethernet
 * header room first); held as the entry's pending frame while ARP resolves. */
void net__ip_output(struct net_stack *st, uint32_t dst, struct net_iov *iov, int n,
		    unsigned flags);
/* Fill the Ethernet addresses in iov[0] and hand the frame to ops->tx. */
void net__eth_tx(struct net_stack *st, const uint8_t *dst_mac, struct net_iov *iov, int n,
		 unsigned flags);
/* An ARP frame; 0 or a NET_E_* code. */
int net__arp_input(struct net_stack *st, const uint8_t *frame, uint32_t len);
/* Retry or give up pending resolutions whose time has come. */
void net__arp_poll(struct net_stack *st);
/* The gratuitous ARP request for our own address. */
void net__arp_announce(struct net_stack *st);

/* --- ipv4.c --- */
/* An IPv4 frame (Ethernet header included); 0 or a NET_E_* code. */
int net__ipv4_input(struct net_stack *st, const uint8_t *frame, uint32_t len);
/* Fill an IPv4 header at p for payload_len bytes; checksum per offload. */
unsigned net__ipv4_header(struct net_stack *st, uint8_t *p, uint32_t dst, uint8_t proto,
			  uint32_t payload_len);

/* --- tcp_in.c --- */
/* A TCP segment in an IPv4 packet; 0 or NET_E_TCP (bad header or checksum). */
int tcp__input(struct net_stack *st, const uint8_t *ip, const uint8_t *tcp, uint32_t tcp_len);
/* A segment for an existing connection (RFC 9293 3.10.7.3-4). */
void tcp__conn_input(struct net_sock *s, struct tcp_seg *seg);
/* Feed one round-trip measurement to SRTT/RTTVAR/RTO (RFC 6298 2). */
void tcp__rtt_sample(struct net_sock *s, uint32_t r_ms);

/* --- tcp_open.c --- */
/* A segment for a listening port with no connection (SYN, cookie ACK). */
void tcp__listen_input(struct net_stack *st, struct net_listener *l, struct tcp_seg *seg);
/* A segment for a connection in SYN-SENT (RFC 9293 3.10.7.3). */
void tcp__syn_sent_input(struct net_sock *s, struct tcp_seg *seg);
/* Hand a connection that reached ESTABLISHED to the caller; false if it is gone. */
bool tcp__establish(struct net_sock *s);
/* Restart the keepalive idle clock (when keepalive is configured). */
void tcp__ka_reset(struct net_sock *s);

/* --- tcp_rcv.c --- */
/* In-window payload (trimmed to the window); false if the connection is gone. */
bool tcp__data_input(struct net_sock *s, const struct tcp_seg *seg);
/* The peer's FIN, in order; false if the connection is gone. */
bool tcp__fin_input(struct net_sock *s);

/* --- tcp_out.c --- */
/* Send what the send and congestion windows allow (and a FIN when due);
 * enter persist on a zero window; re-arm the connection's timer. */
void tcp__output(struct net_sock *s);
/* RFC 5681 3.1's initial window for a sender MSS. */
uint32_t tcp__initial_cwnd(uint32_t smss);
/* A segment without data (RST, ACK) at seq. */
void tcp__send_ctl(struct net_sock *s, uint8_t flags, uint32_t seq);
/* A pure ACK now (at SND.MAX). */
void tcp__send_ack(struct net_sock *s);
/* Our SYN (SYN-SENT) or SYN-ACK (SYN-RCVD), arming the RTO. */
void tcp__send_syn(struct net_sock *s);
/* An ACK under RFC 5961 7's per-second budget; false when over it. */
bool tcp__send_challenge_ack(struct net_sock *s);
/* The RST answering seg when no connection takes it (RFC 9293 3.10.7.1). */
void tcp__send_rst_reply(struct net_stack *st, const struct tcp_seg *seg);
/* Build and send one segment; data from the send ring at seq. */
void tcp__send_segment(struct net_sock *s, uint32_t seq, uint32_t len, uint8_t flags);
/* The window field to advertise now (scaled), moving RCV.ADV forward. */
uint32_t tcp__rcv_window(struct net_sock *s);
/* Sender MSS: the peer's MSS less our options. */
uint32_t tcp__smss(const struct net_sock *s);
/* Arm the connection's wheel timer at its earliest deadline. */
void tcp__timer_update(struct net_sock *s);
/* The wheel callback: runs every due deadline of one connection. */
void tcp__timer_fire(struct dp_timer *t, void *arg);
/* RFC 6298 5.2/5.3: stop or restart the RTO after an ACK. */
void tcp__rto_restart(struct net_sock *s);
/* Our TSval now (1 ms clock plus the connection's offset). */
uint32_t tcp__tsval(const struct net_sock *s);

/* --- tcp_conn.c --- */
/* The connection of a 4-tuple (host order), or NULL. */
struct net_sock *tcp__lookup(struct net_stack *st, uint32_t laddr, uint16_t lport,
			     uint32_t raddr, uint16_t rport);
/* The listener on port (0: a free slot), or NULL. */
struct net_listener *tcp__listener(struct net_stack *st, uint16_t port);
/* A zeroed, hashed control block (reusing the oldest reclaimable
 * TIME_WAIT one when the pool is empty), or NULL (counted). */
struct net_sock *tcp__alloc(struct net_stack *st, uint32_t laddr, uint16_t lport,
			    uint32_t raddr, uint16_t rport);
/* CLOSED: unhashed at once; back to the pool now, or after the queued
 * closed event when the caller still holds it. */
void tcp__free(struct net_sock *s);
/* Change state, keeping the SYN backlog count. */
void tcp__set_state(struct net_sock *s, enum tcp_state state);
/* TIME-WAIT (re)started for time_wait_ms. */
void tcp__enter_time_wait(struct net_sock *s);
/* The connection dies: ops->closed(err) if the caller holds it, then free. */
void tcp__drop(struct net_sock *s, int err);
/* Ask net_poll() to look at s (closed event, resumed delivery, drain). */
void tcp__queue_work(struct net_sock *s);
/* Run the queued socket work. */
void tcp__run_work(struct net_stack *st);
/* ops->drain if asked for and the send queue is down to a quarter. */
void tcp__maybe_drain(struct net_sock *s);
/* Hand buffered bytes (then the EOF) to an unpaused caller; window update. */
void tcp__deliver(struct net_sock *s);

/* --- tcp_cookie.c: ISNs (RFC 6528) and SYN cookies (RFC 4987) --- */
uint32_t tcp__isn(struct net_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		  uint16_t rport);
uint32_t tcp__ts_offset(struct net_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			uint16_t rport);
void tcp__cookie_synack(struct net_stack *st, const struct tcp_seg *seg);
/* Returns the MSS the cookie in seg->ack carries, or -1; *peer_ws gets the
 * peer's window scale echoed in its timestamp, or -1. */
int tcp__cookie_check(struct net_stack *st, const struct tcp_seg *seg, int *peer_ws);
uint32_t tcp__hash(struct net_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		   uint16_t rport);

/* The smallest window scale that lets a window of bytes be advertised. */
static inline uint8_t tcp__wscale_for(uint32_t bytes)
{
	uint8_t ws = 0;

	while (ws < TCP_WSCALE_MAX && (bytes >> ws) > 65535)
		ws++;
	return ws;
}

static inline uint32_t net__min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static inline uint32_t net__max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

#endif
