/*
 * The data plane's connection API: ordered bytes in and out of one stream
 * connection on one worker. Two backends implement it — uring (kernel
 * sockets through io_uring) and dpdk (Columba's own TCP/IP stack) — and the
 * layers above (TLS, HTTP, SIP) never know which one runs.
 *
 * Threading: a connection lives and dies on the worker that accepted it;
 * every function here must be called on that worker's thread.
 *
 * Lifecycle, from the handler's point of view:
 *   on_open   once, after accept; return 0 to keep the connection or a
 *             negative errno to refuse it (it is closed, on_close follows).
 *   on_data   zero or more times with bytes in order; the handler consumes
 *             all of them (it copies what it must keep: the buffer is the
 *             backend's and is reused after the call returns).
 *   on_drain  after dp_send() returned -EAGAIN or dp_pause_recv(c, true),
 *             once the send queue has drained to a quarter of its limit.
 *   on_close  exactly once, last: after the peer closed (err 0), an error
 *             (negative errno) or dp_close(); the handler frees its state
 *             here. The struct dp_conn is invalid after it returns.
 */
#ifndef COLUMBA_DATAPLANE_DP_H
#define COLUMBA_DATAPLANE_DP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct dp_conn;
struct dp_worker;

struct dp_handler {
	int (*on_open)(struct dp_conn *c, void *listener_arg);
	void (*on_data)(struct dp_conn *c, const uint8_t *data, size_t len);
	void (*on_drain)(struct dp_conn *c);
	void (*on_close)(struct dp_conn *c, int err);
};

/* A peer or local address, IPv4 or IPv6 (port in host order). */
struct dp_addr {
	uint8_t family; /* AF_INET, AF_INET6, or AF_UNSPEC for "any" in a listen address */
	uint16_t port;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/*
 * dp_send - queue len bytes for sending, copying them.
 * Returns 0 when all were queued; -EAGAIN when the connection's send queue
 * is over its limit (nothing was queued: wait for on_drain); -EPIPE when the
 * connection is closing or closed.
 */
int dp_send(struct dp_conn *c, const void *data, size_t len);

/*
 * dp_close - close the connection. Bytes already queued are sent first
 * (graceful); with abort set the connection is reset at once and queued
 * bytes are dropped. on_close follows, from the worker loop, never from
 * inside this call. Calling it twice is harmless.
 */
void dp_close(struct dp_conn *c, bool abort);

/*
 * dp_pause_recv - stop (or resume) delivering on_data: receive backpressure.
 * Pausing also asks for on_drain once the send queue is down to a quarter of
 * its limit. Bytes that arrive while paused are kept and handed over on
 * resume in pieces of at most one receive buffer, stopping if the handler
 * pauses again.
 */
void dp_pause_recv(struct dp_conn *c, bool pause);

void dp_conn_set_udata(struct dp_conn *c, void *udata);
void *dp_conn_udata(const struct dp_conn *c);
const struct dp_addr *dp_conn_peer(const struct dp_conn *c);
struct dp_worker *dp_conn_worker(const struct dp_conn *c);

/* Bytes queued for sending and not yet handed to the network. */
size_t dp_conn_unsent(const struct dp_conn *c);

/*
 * dp_addr_format - "192.0.2.7:5061" or "[2001:db8::1]:5061" into buf.
 * Returns buf (always NUL-terminated; 48 bytes are enough).
 */
const char *dp_addr_format(const struct dp_addr *a, char *buf, size_t size);

/*
 * dp_addr_to_sockaddr - a's address as a socket address of @family
 * (AF_INET or AF_INET6; an AF_UNSPEC "any" address gives that family's
 * wildcard). Returns the length to pass to bind(2).
 */
socklen_t dp_addr_to_sockaddr(const struct dp_addr *a, int family, struct sockaddr_storage *ss);

/*
 * dp_addr_parse - parse "host:port", "[v6]:port" or "*:port" (any v4 and v6:
 * AF_UNSPEC, listen addresses only).
 * Returns 0, or -EINVAL with nothing written.
 */
int dp_addr_parse(const char *s, struct dp_addr *out);

#endif
