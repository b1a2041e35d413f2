/* Non-blocking TLS client connections; see eb_conn.h. */
#include "bench/e2e/eb_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/error-ssl.h>

#define EB_RBUF_INIT (64 * 1024)
#define EB_WRITE_CHUNK (16 * 1024) /* one TLS record */

WOLFSSL_CTX *eb_tls_ctx(const char *cafile)
{
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	if (ctx == NULL) {
		fprintf(stderr, "columba-bench: wolfSSL_CTX_new failed\n");
		return NULL;
	}
	if (wolfSSL_CTX_load_verify_locations(ctx, cafile, NULL) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "columba-bench: cannot load the CA file %s\n", cafile);
		wolfSSL_CTX_free(ctx);
		return NULL;
	}
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
	return ctx;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int eb_conn_wait(struct eb_conn *c, bool want_write, int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = want_write ? POLLOUT : POLLIN };
	int n = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n;
}

static void set_err(struct eb_conn *c, const char *what, int ret)
{
	int e = wolfSSL_get_error(c->ssl, ret);
	char msg[80];
	wolfSSL_ERR_error_string_n((unsigned long)e, msg, sizeof(msg));
	snprintf(c->err, sizeof(c->err), "%s: %s", what, msg);
}

int eb_resolve(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len,
	       char *err, size_t errcap)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || res->ai_addrlen > sizeof(*ss)) {
		snprintf(err, errcap, "%s:%s: %s", host, port,
			 rc != 0 ? gai_strerror(rc) : "address too long");
		if (res != NULL)
			freeaddrinfo(res);
		return -EHOSTUNREACH;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int eb_conn_start(struct eb_conn *c, WOLFSSL_CTX *ctx, const struct sockaddr *sa,
		  socklen_t salen, const char *servername)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		snprintf(c->err, sizeof(c->err), "socket: %s", strerror(-rc));
		goto fail;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, sa, salen) != 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			snprintf(c->err, sizeof(c->err), "connect: %s", strerror(-rc));
			goto fail;
		}
		c->connecting = true;
	}
	c->handshaking = true;
	c->want_write = true;
	c->rcap = EB_RBUF_INIT;
	c->rbuf = malloc(c->rcap);
	c->ssl = wolfSSL_new(ctx);
	if (c->rbuf == NULL || c->ssl == NULL) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	if (wolfSSL_set_fd(c->ssl, c->fd) != WOLFSSL_SUCCESS ||
	    wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, servername,
			   (unsigned short)strlen(servername)) != WOLFSSL_SUCCESS ||
	    wolfSSL_check_domain_name(c->ssl, servername) != WOLFSSL_SUCCESS) {
		snprintf(c->err, sizeof(c->err), "TLS set-up failed");
		rc = -EPROTO;
		goto fail;
	}
	return 0;
fail:
	{
		char err[sizeof(c->err)];
		memcpy(err, c->err, sizeof(err));
		eb_conn_close(c);
		memcpy(c->err, err, sizeof(err));
	}
	return rc;
}

int eb_conn_handshake(struct eb_conn *c)
{
	if (c->eof)
		return -EPIPE;
	if (c->connecting) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
			soerr = errno;
		if (soerr == 0 && getpeername(c->fd, (struct sockaddr *)&peer, &plen) != 0) {
			if (errno != ENOTCONN)
				soerr = errno;
			else
				return 0; /* still connecting: wait until writable */
		}
		if (soerr != 0) {
			snprintf(c->err, sizeof(c->err), "connect: %s", strerror(soerr));
			c->eof = true;
			return -soerr;
		}
		c->connecting = false;
	}
	if (!c->handshaking)
		return 1;
	int ret = wolfSSL_connect(c->ssl);
	if (ret == WOLFSSL_SUCCESS) {
		c->handshaking = false;
		return 1;
	}
	int e = wolfSSL_get_error(c->ssl, ret);
	if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE) {
		c->want_write = e == WOLFSSL_ERROR_WANT_WRITE;
		return 0;
	}
	set_err(c, "TLS handshake", ret);
	c->eof = true;
	return -EPROTO;
}

int eb_conn_open(struct eb_conn *c, WOLFSSL_CTX *ctx, const char *host, const char *port,
		 const char *servername, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	rc = eb_resolve(host, port, &ss, &sslen, c->err, sizeof(c->err));
	if (rc < 0)
		return rc;
	rc = eb_conn_start(c, ctx, (const struct sockaddr *)&ss, sslen, servername);
	if (rc < 0)
		return rc;
	while ((rc = eb_conn_handshake(c)) == 0) {
		rc = eb_conn_wait(c, c->want_write, (int)(deadline - mono_ms()));
		if (rc <= 0) {
			rc = rc == 0 ? -ETIMEDOUT : rc;
			snprintf(c->err, sizeof(c->err), "%s: %s",
				 c->connecting ? "connect" : "TLS handshake", strerror(-rc));
			break;
		}
	}
	if (rc == 1)
		return 0;
	{
		char err[sizeof(c->err)];
		memcpy(err, c->err, sizeof(err));
		eb_conn_close(c);
		memcpy(c->err, err, sizeof(err));
	}
	return rc;
}

void eb_conn_close(struct eb_conn *c)
{
	if (c->ssl != NULL)
		wolfSSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->eof = true;
}

int eb_conn_queue(struct eb_conn *c, const void *data, size_t n)
{
	if (c->woff > 0 && c->wtry == 0 && c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->wlen + n > c->wcap) {
		/* Move the unsent bytes down first (same content, so a pending
		 * wolfSSL_write retry still sees what it wrote). */
		if (c->woff > 0) {
			memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
		}
		if (c->wlen + n > c->wcap) {
			size_t cap = c->wcap ? c->wcap : 16 * 1024;
			while (cap < c->wlen + n)
				cap *= 2;
			char *p = realloc(c->wbuf, cap);
			if (p == NULL)
				return -ENOMEM;
			c->wbuf = p;
			c->wcap = cap;
		}
	}
	memcpy(c->wbuf + c->wlen, data, n);
	c->wlen += n;
	return 0;
}

bool eb_conn_pending(const struct eb_conn *c)
{
	return c->woff < c->wlen;
}

int eb_conn_flush(struct eb_conn *c)
{
	if (c->eof)
		return -EPIPE;
	if (c->handshaking)
		return 0; /* sent once eb_conn_handshake is done */
	while (c->woff < c->wlen) {
		size_t n = c->wtry;
		if (n == 0) {
			n = c->wlen - c->woff;
			if (n > EB_WRITE_CHUNK)
				n = EB_WRITE_CHUNK;
		}
		int ret = wolfSSL_write(c->ssl, c->wbuf + c->woff, (int)n);
		if (ret > 0) {
			c->woff += (size_t)ret;
			c->wtry = 0;
			continue;
		}
		int e = wolfSSL_get_error(c->ssl, ret);
		if (e == WOLFSSL_ERROR_WANT_WRITE || e == WOLFSSL_ERROR_WANT_READ) {
			c->wtry = n; /* wolfSSL wants the same call again */
			return 0;
		}
		set_err(c, "TLS write", ret);
		c->eof = true;
		return -EPIPE;
	}
	c->woff = c->wlen = 0;
	return 0;
}

long eb_conn_fill(struct eb_conn *c, size_t max_buf)
{
	long added = 0;
	c->full = false;
	if (c->eof)
		return -EPIPE;
	if (c->handshaking)
		return 0;
	for (;;) {
		if (c->rlen == c->rcap) {
			if (c->rcap >= max_buf && added > 0) {
				c->full = true; /* the caller takes messages out, then calls again */
				return added;
			}
			if (c->rcap >= max_buf) {
				snprintf(c->err, sizeof(c->err), "receive buffer full (%zu bytes)", c->rcap);
				c->eof = true;
				return -ENOBUFS;
			}
			char *p = realloc(c->rbuf, c->rcap * 2);
			if (p == NULL)
				return -ENOMEM;
			c->rbuf = p;
			c->rcap *= 2;
		}
		int ret = wolfSSL_read(c->ssl, c->rbuf + c->rlen, (int)(c->rcap - c->rlen));
		if (ret > 0) {
			c->rlen += (size_t)ret;
			added += ret;
			continue;
		}
		int e = wolfSSL_get_error(c->ssl, ret);
		if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE)
			return added;
		c->eof = true;
		if (e == WOLFSSL_ERROR_ZERO_RETURN || e == SOCKET_PEER_CLOSED_E || ret == 0) {
			snprintf(c->err, sizeof(c->err), "closed by the server");
			return -EPIPE;
		}
		set_err(c, "TLS read", ret);
		return -ECONNRESET;
	}
}

void eb_conn_consume(struct eb_conn *c, size_t n)
{
	if (n >= c->rlen) {
		c->rlen = 0;
		return;
	}
	memmove(c->rbuf, c->rbuf + n, c->rlen - n);
	c->rlen -= n;
}
