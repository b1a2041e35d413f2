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

/* A connected non-blocking TCP socket, or a negative errno. */
static int tcp_connect(struct eb_conn *c, const char *host, const char *port, int64_t deadline)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(c->err, sizeof(c->err), "%s:%s: %s", host, port, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) {
		rc = -errno;
		goto fail;
	}
	c->fd = fd;
	rc = eb_conn_wait(c, true, (int)(deadline - mono_ms()));
	if (rc <= 0) {
		rc = rc == 0 ? -ETIMEDOUT : rc;
		goto fail;
	}
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr != 0) {
		rc = -soerr;
		goto fail;
	}
	freeaddrinfo(res);
	return 0;
fail:
	snprintf(c->err, sizeof(c->err), "connect %s:%s: %s", host, port, strerror(-rc));
	if (fd >= 0)
		close(fd);
	c->fd = -1;
	freeaddrinfo(res);
	return rc;
}

int eb_conn_open(struct eb_conn *c, WOLFSSL_CTX *ctx, const char *host, const char *port,
		 const char *servername, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	rc = tcp_connect(c, host, port, deadline);
	if (rc < 0)
		return rc;
	c->rcap = EB_RBUF_INIT;
	c->rbuf = malloc(c->rcap);
	c->ssl = wolfSSL_new(ctx);
	if (c->rbuf == NULL || c->ssl == NULL) {
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
	for (;;) {
		int ret = wolfSSL_connect(c->ssl);
		if (ret == WOLFSSL_SUCCESS)
			break;
		int e = wolfSSL_get_error(c->ssl, ret);
		if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
			set_err(c, "TLS handshake", ret);
			rc = -EPROTO;
			goto fail;
		}
		rc = eb_conn_wait(c, e == WOLFSSL_ERROR_WANT_WRITE, (int)(deadline - mono_ms()));
		if (rc <= 0) {
			rc = rc == 0 ? -ETIMEDOUT : rc;
			snprintf(c->err, sizeof(c->err), "TLS handshake: %s", strerror(-rc));
			goto fail;
		}
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
