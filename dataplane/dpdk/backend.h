/*
 * The dpdk backend: struct dp_conn over Columba's own TCP/IP stack
 * (dataplane/net) on one DPDK port. Nothing above the data plane knows it
 * from the uring backend (dataplane/dp.h).
 *
 * Per process: dpdk_backend_start() starts the EAL and opens the port with
 * one queue pair per worker, on the control thread, before the workers are
 * initialised; dpdk_backend_stop() closes the port and the EAL after every
 * worker was joined and finished.
 *
 * Per worker (dp_dpdk_ops): worker i polls queue i with its own mbuf pool,
 * TX batch and TCP/IP stack (same MAC and IPv4 address on every worker: the
 * device's RSS keeps a flow on one queue). A worker beyond the queues the
 * device gives polls nothing (port.h: "only worker 0 polls this port").
 * With several queues the stacks share what ARP teaches them
 * (dataplane/net/arp_share.h: an ARP frame reaches one queue only), only
 * queue 0's stack sends the gratuitous ARP, and every stack listens on
 * every port any worker opened (a flow's queue is the device's choice).
 *
 * The loop turn, in dp_dpdk_ops.poll: an RX burst into the stack with the
 * worker's clock, the stack's timers, the TX batch flushed, on_drain where
 * a send queue went down to a quarter; then, only when a turn found no
 * frame and the worker has nothing to do, a nap on the worker's bell of at
 * most idle_sleep_us (never longer than the timeout nor the stack's next
 * timer). idle_sleep_us 0 is pure poll mode: a worker core at 100%.
 *
 * Send queues behave as the uring backend's: dp_send() is all or nothing,
 * -EAGAIN once the queue holds bytes and would pass the limit (the smaller
 * of dp_limits.send_queue_bytes and sndbuf_bytes), on_drain at a quarter.
 * The stack's send buffer is the limit plus DPDK_BE_SEND_SLACK, so one send
 * into an empty queue may exceed the limit by that much (a TLS record);
 * a longer one gets -EMSGSIZE.
 */
#ifndef COLUMBA_DATAPLANE_DPDK_BACKEND_H
#define COLUMBA_DATAPLANE_DPDK_BACKEND_H

#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>

#include "dataplane/dpdk/port.h" /* base/compiler.h first, then DPDK */
#include "dataplane/worker.h"

/* What one dp_send() may add to an empty queue beyond the limit: a full
 * TLS record (16384 bytes of plaintext plus header, MAC and padding). */
#define DPDK_BE_SEND_SLACK 17408u

/* The `[dpdk]` section, as the backend needs it. */
struct dpdk_be_cfg {
	struct dpdk_cfg port;       /* eal_args, device, rings, pools (port.h) */
	struct in_addr ip, netmask, gateway; /* gateway 0: on-link peers only */
	uint32_t link_wait_ms;      /* at start: wait this long for the link (0: don't) */
	uint32_t max_conns;         /* stack connections per worker, TIME_WAIT included */
	uint32_t sndbuf_bytes;      /* send queue limit per connection (see above) */
	uint32_t rcvbuf_bytes;      /* receive window per connection */
	uint32_t idle_sleep_us;     /* longest nap of an idle worker; 0: never sleep */
};

extern const struct dp_backend_ops dp_dpdk_ops;

/*
 * dpdk_backend_start - start the EAL with cfg->port.eal_args, open the port
 * with cfg->port.workers queue pairs and wait up to link_wait_ms for its
 * link (a link still down is logged, not an error: the stack announces
 * itself once it is up). cfg is copied. It blocks dpdk_be_signals() in
 * the calling thread (net_tap signals its receive queue with one of them;
 * the EAL's threads and the caller's later ones inherit the mask, the
 * workers unblock them on their own thread): block them yourself before
 * starting threads of your own earlier. Call once, on the control thread,
 * before dp_worker_init() with dp_dpdk_ops.
 * Returns 0; -EINVAL (no IPv4 address, a bad netmask or a gateway outside
 * the subnet; a port setting the port layer rejects); -EALREADY (started
 * before in this process: the EAL cannot start twice); or the EAL's or the
 * port layer's error (dpdk_eal_init(), dpdk_port_open()), already logged.
 */
int dpdk_backend_start(const struct dpdk_be_cfg *cfg);

/* dpdk_be_signals - SIGIO and the real-time signals, into set: what only
 * the dpdk workers may take (net_tap's receive signal is one of them). */
void dpdk_be_signals(sigset_t *set);

/*
 * dpdk_backend_stop - close the port and release the EAL. Every worker on
 * dp_dpdk_ops must have been joined and finished (dp_worker_fini()) first.
 * Harmless when dpdk_backend_start() did not succeed.
 */
void dpdk_backend_stop(void);

#endif
