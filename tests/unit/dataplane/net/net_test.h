/*
 * Test harness for dataplane/net: a stack in malloc'd memory whose frames
 * are captured (and whose socket events are recorded), plus a crafter and
 * a parser of Ethernet/IPv4/TCP frames so tests play the peer by hand.
 */
#ifndef COLUMBA_TESTS_NET_TEST_H
#define COLUMBA_TESTS_NET_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/net/net.h"

#define NT_TX_MAX   1024
#define NT_FRAME_MAX 9100

#define NT_STACK_IP 0x0a000001u /* 10.0.0.1 */
#define NT_PEER_IP  0x0a000002u /* 10.0.0.2 */
#define NT_GW_IP    0x0a0000feu

extern const uint8_t nt_stack_mac[6], nt_peer_mac[6];

struct nt_frame {
	uint32_t len;
	uint8_t b[NT_FRAME_MAX];
};

struct nt_host;
typedef void (*nt_tx_hook)(struct nt_host *h, const uint8_t *frame, uint32_t len);

struct nt_host {
	struct net_stack *st;
	void *mem;
	struct net_config cfg;
	uint64_t now_us;
	/* captured frames (when no hook) */
	struct nt_frame *tx;
	unsigned ntx;
	nt_tx_hook hook;
	void *hook_arg;
	/* events */
	struct net_sock *sock;  /* last accepted or connected */
	unsigned accepts, connects, drains, closes, eofs;
	int accept_ret, close_err;
	bool pause_on_recv;
	uint8_t *rx;
	size_t rx_len, rx_cap;
};

/* The defaults tests start from: 10.0.0.1/24, small timers left at defaults. */
void nt_default_config(struct net_config *c);
/* Build a stack; cfg NULL for the defaults. Asserts on failure. */
void nt_host_init(struct nt_host *h, const struct net_config *cfg);
void nt_host_fini(struct nt_host *h);
/* Advance the fake clock by ms and run net_poll(). */
void nt_advance(struct nt_host *h, uint64_t ms);
/* Forget captured frames. */
void nt_clear(struct nt_host *h);
/* Teach the stack the peer's MAC (an ARP request from the peer). */
void nt_learn_peer(struct nt_host *h);

struct nt_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	int mss, ws;       /* -1: option absent */
	bool ts;
	uint32_t tsval, tsecr;
	const uint8_t *data;
	uint32_t len;
};

/* A segment with no options from the peer's port 40000 to the stack's 80. */
struct nt_seg nt_seg(uint32_t seq, uint32_t ack, uint8_t flags);
/* Frame for seg into buf (peer MAC -> stack MAC); returns its length. */
uint32_t nt_build_tcp(uint8_t *buf, const struct nt_seg *s);
/* Feed seg from the peer; returns net_input()'s result. */
int nt_send(struct nt_host *h, const struct nt_seg *s);
/* Parse a captured frame; false if it is not a valid IPv4/TCP frame
 * (checksums included). */
bool nt_parse(const struct nt_frame *f, struct nt_seg *out);
/* The i-th captured frame parsed as TCP (asserts it is one). */
struct nt_seg nt_tx_seg(struct nt_host *h, unsigned i);
/* Number of captured TCP frames. */
unsigned nt_tcp_count(struct nt_host *h);
/* Internet checksum helper for crafting. */
uint16_t nt_csum(const void *p, size_t n, uint32_t start);

/* Big-endian stores and loads for crafting and reading frames. */
static inline void nt_w16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void nt_w32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t nt_r16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t nt_r32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * An ARP frame to the stack, padded to the Ethernet minimum (60 bytes,
 * returned): a broadcast request (@op 1) or a reply to the stack's MAC
 * (@op 2) from @sha/@spa about @tpa.
 */
uint32_t nt_arp_frame(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa);


#endif
