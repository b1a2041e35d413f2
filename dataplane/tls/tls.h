/*
 * TLS termination with wolfSSL over the data plane's connections.
 *
 * wolfSSL never touches a socket: its I/O callbacks read from the chunk of
 * ciphertext the backend just delivered and write through dp_send(), so the
 * same code runs on the uring and the dpdk backends. TLS 1.3 is preferred,
 * 1.2 allowed, nothing older; X25519 and P-256 key exchange; ECDSA P-256 or
 * RSA certificates; stateless session tickets.
 *
 * Contexts are per worker (one WOLFSSL_CTX each, no lock shared on the
 * handshake path). A certificate reload builds new contexts; connections
 * keep the context they started with until they end (wolfSSL refcounts it).
 */
#ifndef COLUMBA_DATAPLANE_TLS_H
#define COLUMBA_DATAPLANE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"

struct tls_ctx;
struct WOLFSSL;

struct tls_config {
	const char *cert_file; /* PEM chain, leaf first */
	const char *key_file;  /* PEM private key */
	const char *alpn;      /* e.g. "http/1.1", or NULL */
	bool session_tickets;
};

/* Library-wide set-up and tear-down; call once per process. */
int tls_global_init(void);
void tls_global_fini(void);

/* Per-thread clean-up: call on each thread that ran handshakes, at its end. */
void tls_thread_fini(void);

/*
 * tls_ctx_new - a server context from cfg.
 * On failure returns NULL and writes one human-readable line into err
 * (which file, what is wrong).
 */
struct tls_ctx *tls_ctx_new(const struct tls_config *cfg, char *err, size_t errlen);

/* tls_ctx_put - drop the caller's reference; live connections keep theirs. */
void tls_ctx_put(struct tls_ctx *ctx);

/* "wolfSSL 5.5.4" and whether its assembly paths (AES-NI, SP x86_64) are on. */
const char *tls_library_version(void);
bool tls_library_asm(void);

/* Result codes of tls_conn_feed(), besides 0. */
enum {
	TLS_E_HANDSHAKE = -1000, /* handshake failed (bad client, protocol) */
	TLS_E_PROTOCOL = -1001,  /* fatal error after the handshake */
	TLS_E_CLOSED = -1002,    /* the peer sent close_notify */
	TLS_E_NOMEM = -1003,
};

struct tls_conn {
	struct WOLFSSL *ssl;
	struct dp_conn *dc;
	const uint8_t *in; /* ciphertext being fed, for the read callback */
	size_t in_len;
	bool handshake_done;
	bool failed;
};

typedef void (*tls_deliver_fn)(void *arg, const uint8_t *plain, size_t len);

/*
 * tls_conn_init - start the server side of a handshake on dc.
 * Returns 0 or TLS_E_NOMEM.
 */
int tls_conn_init(struct tls_conn *t, struct tls_ctx *ctx, struct dp_conn *dc);

/*
 * tls_conn_feed - give it ciphertext that arrived on dc. Drives the
 * handshake, then decrypts: every plaintext chunk goes to deliver(arg, ...)
 * in order, decrypted into scratch (caller-owned, >= 16 KiB is best).
 * Sets t->handshake_done when the handshake completes.
 * Returns 0, or TLS_E_HANDSHAKE / TLS_E_PROTOCOL / TLS_E_CLOSED: the caller
 * closes the connection (after tls_conn_free).
 */
int tls_conn_feed(struct tls_conn *t, const uint8_t *data, size_t len, uint8_t *scratch,
		  size_t scratch_len, tls_deliver_fn deliver, void *arg);

/*
 * tls_conn_write - encrypt and queue len bytes.
 * Returns 0; -EAGAIN when the connection's send queue is full (nothing or
 * part of a record may be held by wolfSSL: the caller closes the
 * connection, see docs/architecture.md); -EPIPE or TLS_E_PROTOCOL.
 */
int tls_conn_write(struct tls_conn *t, const void *data, size_t len);

/* tls_conn_close_notify - send close_notify (best effort). */
void tls_conn_close_notify(struct tls_conn *t);

/* tls_conn_free - release the session; safe on a zeroed struct. */
void tls_conn_free(struct tls_conn *t);

/* The negotiated version ("TLSv1.3") and group ("X25519"), for logs. */
const char *tls_conn_version(const struct tls_conn *t);
const char *tls_conn_group(const struct tls_conn *t);

/*
 * tls_make_dev_cert - create a self-signed ECDSA P-256 certificate for
 * "localhost" (SAN: DNS localhost, IP 127.0.0.1 and ::1), valid 825 days,
 * and its key, as PEM files (key mode 0600). fingerprint receives the
 * certificate's SHA-256 as colon-separated hex (96 bytes are enough).
 * Returns 0 or a negative errno, with a line in err.
 */
int tls_make_dev_cert(const char *cert_path, const char *key_path, char *fingerprint,
		      size_t fp_len, char *err, size_t errlen);

/*
 * tls_cert_fingerprint - SHA-256 of the first certificate in a PEM file,
 * colon-separated hex. Returns 0 or a negative errno.
 */
int tls_cert_fingerprint(const char *cert_path, char *fingerprint, size_t fp_len);

#endif
