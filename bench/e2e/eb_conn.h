/*
 * One non-blocking TLS client connection of the benchmark (wolfSSL over a TCP socket) with
 * a growable receive buffer and a send queue. Set-up (connect + handshake) waits with
 * poll(); afterwards the owner drives it from epoll with eb_conn_fill / eb_conn_flush.
 */
#ifndef COLUMBA_BENCH_E2E_EB_CONN_H
#define COLUMBA_BENCH_E2E_EB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

struct eb_conn {
	int fd;
	WOLFSSL *ssl;
	char *rbuf;          /* received plaintext, rbuf[0..rlen) not yet consumed */
	size_t rlen, rcap;
	char *wbuf;          /* plaintext to send, wbuf[woff..wlen) */
	size_t woff, wlen, wcap;
	size_t wtry;         /* length of a wolfSSL_write that wanted to write: retried as is */
	bool eof;            /* the peer closed (or an error): no more input */
	bool full;           /* the last eb_conn_fill stopped at max_buf: more may be waiting */
	bool connecting;     /* the TCP connect is still in progress */
	bool handshaking;    /* the TLS handshake is not done */
	bool want_write;     /* the handshake waits for the socket to be writable (else readable) */
	char err[96];        /* why it died, for the report */
};

/* Creates a client context for TLS 1.2/1.3 that verifies the server against the PEM file
 * @cafile. Returns the context, or NULL (the reason on stderr). */
WOLFSSL_CTX *eb_tls_ctx(const char *cafile);

/* Resolves @host:@port (numeric IPv4/IPv6 or a name) to its first address, into @ss and
 * @len. Returns 0, or -EHOSTUNREACH with the reason in @err (@errcap bytes). */
int eb_resolve(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len,
	       char *err, size_t errcap);

/* Starts a non-blocking TCP connect of @c to @sa and sets up a TLS client session on it
 * with SNI and certificate name check against @servername; eb_conn_handshake then drives
 * the connect and the handshake as the socket becomes ready. Returns 0, or a negative
 * errno (-ENOMEM, -EPROTO, or the socket's; c->err says more). On failure @c holds
 * nothing to release. */
int eb_conn_start(struct eb_conn *c, WOLFSSL_CTX *ctx, const struct sockaddr *sa,
		  socklen_t salen, const char *servername);

/* Advances the connect and the TLS handshake of a connection eb_conn_start began, without
 * blocking. Returns 1 when the connection is ready for eb_conn_flush / eb_conn_fill, 0 when
 * it waits for the socket (c->want_write says for which direction), or a negative errno
 * (the connect's, e.g. -ECONNREFUSED, or -EPROTO for a TLS failure; c->err says more; the
 * caller closes @c). */
int eb_conn_handshake(struct eb_conn *c);

/* Connects @c to @host:@port (numeric IPv4/IPv6 or a name), does the TLS handshake with
 * SNI and certificate name check against @servername, all within @timeout_ms.
 * Returns 0, or a negative errno (-ETIMEDOUT, -ECONNREFUSED, -EPROTO for TLS failures;
 * c->err says more). On failure @c holds nothing to release. */
int eb_conn_open(struct eb_conn *c, WOLFSSL_CTX *ctx, const char *host, const char *port,
		 const char *servername, int timeout_ms);

/* Closes the socket and frees everything @c holds; safe to call twice. */
void eb_conn_close(struct eb_conn *c);

/* Appends @n bytes to the send queue. Returns 0 or -ENOMEM. */
int eb_conn_queue(struct eb_conn *c, const void *data, size_t n);

/* Sends queued bytes until the queue is empty or the socket is full.
 * Returns 0 (sent, would block, or the handshake is not done: nothing sent), or a negative errno when the connection failed
 * (c->eof is then set). */
int eb_conn_flush(struct eb_conn *c);

/* Reads everything the socket has into rbuf (growing it up to @max_buf bytes; nothing,
 * returning 0, while the handshake is not done); when rbuf
 * fills up at @max_buf it stops and sets c->full (the caller consumes, then calls again:
 * with edge-triggered epoll no new event comes for those bytes). Returns the number of
 * bytes added (0 = nothing available), -ENOBUFS when rbuf is full at @max_buf with
 * nothing consumed, or another negative errno when the connection ended or failed
 * (-EPIPE for an orderly close); c->eof is then set. Bytes read before the end are kept. */
long eb_conn_fill(struct eb_conn *c, size_t max_buf);

/* Drops the first @n bytes of rbuf. */
void eb_conn_consume(struct eb_conn *c, size_t n);

/* True while bytes wait to be sent. */
bool eb_conn_pending(const struct eb_conn *c);

/* Waits until @c can read (or write, @want_write) or @timeout_ms passes.
 * Returns 1 when ready, 0 on timeout, a negative errno on failure. */
int eb_conn_wait(struct eb_conn *c, bool want_write, int timeout_ms);

#endif
