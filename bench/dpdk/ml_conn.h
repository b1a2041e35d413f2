/*
 * One client connection of columba-memif-load: a wolfSSL client session and
 * a closed loop of HTTP/1.1 requests (GET /healthz, or POST /v1/messages with
 * a bearer token), one in flight at a time, over a byte transport the caller
 * provides: Columba's TCP/IP stack on a DPDK port, or a kernel socket. The
 * same code runs on both, so the two backends are measured with the same
 * client logic.
 *
 * The transport pushes received bytes in with ml_conn_input() and reports
 * the peer's FIN with ml_conn_eof(); wolfSSL reads from that buffer and
 * writes through ml_transport_ops.send (all or nothing, like net_send()).
 */
#ifndef COLUMBA_BENCH_DPDK_ML_CONN_H
#define COLUMBA_BENCH_DPDK_ML_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#define ML_INBUF 65536u  /* received, not yet read by wolfSSL */
#define ML_RESP  4096u   /* response head and the start of its body */
#define ML_REQ   1024u

struct ml_conn;

struct ml_transport_ops {
	/* send - queue len bytes; 0, -EAGAIN (nothing queued, retry after
	 * ml_conn_step()), or another negative errno (the connection failed). */
	int (*send)(struct ml_conn *c, const void *data, size_t len);
	/* close - graceful close of the transport (the caller then forgets c's
	 * transport handle when its own close event comes). */
	void (*close)(struct ml_conn *c);
};

enum ml_state { ML_IDLE, ML_CONNECTING, ML_HANDSHAKE, ML_WRITE, ML_READ, ML_CLOSING, ML_FAILED };

/* What the whole run counts (one per process, shared by its connections). */
struct ml_totals {
	uint64_t requests;   /* responses 2xx received */
	uint64_t handshakes; /* TLS handshakes completed */
	uint64_t errors;     /* connections failed, non-2xx responses */
	uint64_t bad_status; /* of errors: non-2xx responses */
};

struct ml_conn {
	enum ml_state st;
	WOLFSSL *ssl;
	void *handle;         /* the transport's (struct net_sock *), or NULL */
	int fd;               /* kernel transport, or -1 */
	bool eof;             /* the peer's FIN arrived */
	bool new_conn;        /* one request per connection, then close */
	bool send_blocked;    /* the kernel transport's send got EAGAIN */
	const char *req;      /* the request (static, per run) */
	size_t req_len, sent;
	size_t in_off, in_len;
	size_t got;
	struct ml_totals *tot;
	const struct ml_transport_ops *ops;
	char resp[ML_RESP + 1];
	uint8_t in[ML_INBUF];
};

/*
 * ml_ctx_new - a TLS 1.2/1.3 client context without certificate checks (the
 * dev certificate is self-signed) and without session resumption, whose I/O
 * goes through ml_conn. Returns it, or NULL (the reason on stderr).
 */
WOLFSSL_CTX *ml_ctx_new(void);

/*
 * ml_conn_start - c's transport connected: start the TLS handshake and the
 * request loop. req/req_len: the request sent over and over (kept by the
 * caller). Returns 0, or -ENOMEM (c is ML_FAILED).
 */
int ml_conn_start(struct ml_conn *c, WOLFSSL_CTX *ctx, const char *req, size_t req_len);

/*
 * ml_conn_input - len received bytes for c. Returns 0, or -ENOBUFS when they
 * do not fit the input buffer (the caller pauses its receive side and offers
 * them again after ml_conn_step()).
 */
int ml_conn_input(struct ml_conn *c, const uint8_t *data, size_t len);

/* ml_conn_eof - the peer closed its side. */
void ml_conn_eof(struct ml_conn *c);

/*
 * ml_conn_step - advance c as far as its input allows: handshake, write the
 * request, read and check the response, start the next request (or close,
 * in new-connection mode). Returns the state afterwards; ML_FAILED and
 * ML_CLOSING mean the caller should close the transport and free the TLS
 * session with ml_conn_release().
 */
enum ml_state ml_conn_step(struct ml_conn *c);

/* ml_conn_release - free c's TLS session; c is ML_IDLE again. */
void ml_conn_release(struct ml_conn *c);

#endif
