/*
 * A client TLS connection (wolfSSL over a non-blocking TCP socket) with a
 * deadline on every step: the 12 s "TLS timeout" of DESIGN.md §1 bounds
 * connect + handshake together.
 *
 * The server is authenticated one of two ways:
 *   - a CA file (PEM): the chain must verify and the certificate must name
 *     the host (DNS name, or IP address for a numeric host);
 *   - a pin: the SHA-256 of the server certificate (DER), 32 bytes. The
 *     chain is not checked; the certificate must be exactly that one.
 *
 * Return contract: 0 or a negative errno, one per kind of failure so the CLI
 * can say what went wrong:
 *   -EHOSTUNREACH  name not found, connection refused or unreachable
 *   -ETIMEDOUT     the deadline passed (connect, handshake, read, write)
 *   -EKEYREJECTED  the certificate does not verify / does not match the pin
 *   -EPROTO        TLS failed for another reason
 *   -ECONNRESET    the peer closed or reset an established connection
 *   -EINVAL, -ENOMEM, -EIO  bad arguments, memory, local errors
 */
#ifndef COLUMBA_CLIENT_TLSCONN_H
#define COLUMBA_CLIENT_TLSCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CL_PIN_LEN 32

struct cl_tls_cfg {
	const char *cafile;           /* PEM file of trusted certificates, or NULL */
	uint8_t pin[CL_PIN_LEN];      /* SHA-256 of the server certificate (DER) */
	bool has_pin;
};

struct cl_conn {
	int fd;
	void *ctx;  /* WOLFSSL_CTX * */
	void *ssl;  /* WOLFSSL * */
};

/*
 * cl_host_port_parse - split "host:port" or "[v6]:port" into @host (NUL-
 * terminated, brackets removed, at most @cap - 1 bytes) and *@port.
 * Returns 0 or -EINVAL (no port, port 0 or above 65535, host empty or too long).
 */
int cl_host_port_parse(const char *s, char *host, size_t cap, uint16_t *port);

/*
 * cl_pin_parse - 64 hex digits (colons between bytes allowed) into @pin.
 * Returns 0 or -EINVAL.
 */
int cl_pin_parse(const char *s, uint8_t pin[CL_PIN_LEN]);

/*
 * cl_conn_open - connect to @host:@port and complete a TLS handshake before
 * @deadline_ms (clock_mono_ms()), verifying the server per @tls (one of
 * cafile or pin must be set). @c is zeroed first; on failure nothing stays
 * open. Returns 0 or a code from the list above.
 */
int cl_conn_open(struct cl_conn *c, const char *host, uint16_t port,
		 const struct cl_tls_cfg *tls, uint64_t deadline_ms);

/*
 * cl_conn_write_all - write @n bytes before @deadline_ms.
 * Returns 0, -ETIMEDOUT, -ECONNRESET or -EIO.
 */
int cl_conn_write_all(struct cl_conn *c, const void *buf, size_t n, uint64_t deadline_ms);

/*
 * cl_conn_read - read what is available (at most @cap bytes), waiting until
 * @deadline_ms for the first byte. Returns the count (> 0), -ETIMEDOUT,
 * -ECONNRESET (closed by the peer) or -EIO.
 */
ssize_t cl_conn_read(struct cl_conn *c, void *buf, size_t cap, uint64_t deadline_ms);

/* cl_conn_pending - decrypted bytes already buffered (readable without waiting). */
bool cl_conn_pending(const struct cl_conn *c);

/* cl_conn_is_open - true between a successful open and close. */
bool cl_conn_is_open(const struct cl_conn *c);

/* cl_conn_close - send close_notify (best effort) and free; safe to repeat. */
void cl_conn_close(struct cl_conn *c);

/* cl_conn_strerror - a sentence for a code of the contract above. */
const char *cl_conn_strerror(int err);

#endif
