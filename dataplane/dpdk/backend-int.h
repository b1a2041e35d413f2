/*
 * The dpdk backend's insides, shared by backend.c (the port, the stacks and
 * the loop) and conn.c (struct dp_conn over the stack's sockets). Not for
 * use outside dataplane/dpdk.
 */
#ifndef COLUMBA_DATAPLANE_DPDK_BACKEND_INT_H
#define COLUMBA_DATAPLANE_DPDK_BACKEND_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pool.h"
#include "dataplane/dpdk/backend.h" /* base/compiler.h first, then DPDK */
#include "dataplane/dpdk/tx.h"
#include "dataplane/net/arp_share.h"
#include "dataplane/net/net.h"

enum {
	DK_CLOSING = 1u << 0,    /* dp_close() called: no more bytes from the app */
	DK_PAUSED = 1u << 1,
	DK_WANT_DRAIN = 1u << 2, /* on_drain owed once unsent <= limit / 4 */
	DK_ON_DRAIN_LIST = 1u << 3,
	DK_FIN_PENDING = 1u << 4, /* graceful dp_close(): FIN once the queue is empty */
};

struct dk_conn {
	struct dp_conn dc; /* first: dp_conn * <-> dk_conn * */
	struct net_sock *s;
	uint32_t flags;
	int close_err;  /* reported by on_close when the stack says 0 */
	struct dk_conn *next, *prev;  /* the worker's live connections */
	struct dk_conn *drain_next;   /* conns owed an on_drain */
};

struct dk_listener {
	uint16_t port;
	bool open;
	const struct dp_handler *h;
	void *arg;
};

#define DK_LISTENERS_MAX 8u

struct dk_worker {
	struct dp_worker *w;
	struct net_stack *st; /* NULL: this worker has no queue */
	void *mem;
	uint16_t q;
	bool registered, started;
	uint64_t rx_last_us;   /* when a burst last brought frames */
	/* Poll busyness: the time of loop turns that moved frames or
	 * completions (naps and empty turns excluded), since start_us. */
	uint64_t start_us, turn_us, busy_us;
	bool turn_busy;
	uint32_t limit;        /* send queue limit */
	struct dpdk_txq txq;
	struct pool conns;
	struct dk_conn *live;
	struct dk_conn *drain;
	struct dk_listener listeners[DK_LISTENERS_MAX];
	unsigned n_listeners;
	uint64_t rx_bad_cksum, rx_errors, tx_nombuf;
	uint64_t rx_bursts;     /* RX bursts that returned frames */
	uint8_t linear[RTE_MBUF_DEFAULT_BUF_SIZE]; /* a multi-segment frame, copied */
};

static inline struct dk_worker *dk_of(struct dp_worker *w)
{
	return w->be;
}

/* The stack's socket events (struct net_ops), ctx being the dk_worker. */
int dk__on_accept(void *ctx, struct net_sock *s, void *listen_arg);
void dk__on_recv(void *ctx, struct net_sock *s, const uint8_t *data, size_t len);
void dk__on_drain(void *ctx, struct net_sock *s);
void dk__on_closed(void *ctx, struct net_sock *s, int err);

/* struct dp_backend_ops' connection entries. */
int dk__send(struct dp_conn *dc, const void *data, size_t len);
void dk__close(struct dp_conn *dc, bool abort_conn);
void dk__pause_recv(struct dp_conn *dc, bool pause);
size_t dk__unsent(const struct dp_conn *dc);
void dk__abort_all(struct dp_worker *w);

/* The worker polling queue q, or NULL (none, or not running); for /metrics. */
struct dk_worker *dk__on_queue(unsigned q);
/* The port's queue count (0 before dpdk_backend_start()). */
unsigned dk__queues(void);
/* The port (NULL before dpdk_backend_start()). */
const struct dpdk_port *dk__port(void);
/* The stacks' shared ARP, or NULL (one queue). */
const struct net_arp_share *dk__arp(void);

/* dk__metrics - dp_dpdk_ops.metrics: the columba_net_* families. */
size_t dk__metrics(char *out, size_t cap);

/* dk__run_drains - on_drain for the connections owed one whose queue is
 * down to a quarter of the limit; the loop calls it each turn. */
void dk__run_drains(struct dk_worker *k);

#endif
