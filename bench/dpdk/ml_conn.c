/* A wolfSSL client connection in a closed request loop; see ml_conn.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "bench/dpdk/ml_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* wolfSSL's receive callback: from the bytes the transport pushed in. */
static int ml_io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct ml_conn *c = ctx;
	size_t n = c->in_len - c->in_off;

	(void)ssl;
	if (n == 0)
		return c->eof ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_WANT_READ;
	if (n > (size_t)sz)
		n = (size_t)sz;
	memcpy(buf, c->in + c->in_off, n);
	c->in_off += n;
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	return (int)n;
}

/* wolfSSL's send callback: all or nothing into the transport. */
static int ml_io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct ml_conn *c = ctx;
	int r;

	(void)ssl;
	r = c->ops->send(c, buf, (size_t)sz);
	if (r == 0)
		return sz;
	if (r == -EAGAIN)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	return WOLFSSL_CBIO_ERR_CONN_CLOSE;
}

WOLFSSL_CTX *ml_ctx_new(void)
{
	WOLFSSL_CTX *ctx;

	if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
		fprintf(stderr, "memif-load: wolfSSL_Init failed\n");
		return NULL;
	}
	ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	if (!ctx) {
		fprintf(stderr, "memif-load: wolfSSL_CTX_new failed\n");
		return NULL;
	}
	/* The dev certificate is self-signed; what is measured is the server. */
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
	wolfSSL_SetIORecv(ctx, ml_io_recv);
	wolfSSL_SetIOSend(ctx, ml_io_send);
	return ctx;
}

int ml_conn_start(struct ml_conn *c, WOLFSSL_CTX *ctx, const char *req, size_t req_len)
{
	c->ssl = wolfSSL_new(ctx);
	if (!c->ssl) {
		c->st = ML_FAILED;
		return -ENOMEM;
	}
	wolfSSL_SetIOReadCtx(c->ssl, c);
	wolfSSL_SetIOWriteCtx(c->ssl, c);
	c->req = req;
	c->req_len = req_len;
	c->sent = c->got = 0;
	c->in_off = c->in_len = 0;
	c->eof = false;
	c->st = ML_HANDSHAKE;
	return 0;
}

int ml_conn_input(struct ml_conn *c, const uint8_t *data, size_t len)
{
	if (c->in_len + len > ML_INBUF && c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len + len > ML_INBUF)
		return -ENOBUFS;
	memcpy(c->in + c->in_len, data, len);
	c->in_len += len;
	return 0;
}

void ml_conn_eof(struct ml_conn *c)
{
	c->eof = true;
}

/*
 * The response status once it is complete (its head, then Content-Length
 * bytes of body; got counts every byte, resp keeps the first ML_RESP).
 * Returns the status, 0 while incomplete, -1 for a malformed head.
 */
static int ml_resp_done(const struct ml_conn *c)
{
	size_t kept = c->got < ML_RESP ? c->got : ML_RESP;
	const char *end = memmem(c->resp, kept, "\r\n\r\n", 4);
	const char *cl;
	size_t head;
	int status;

	if (!end)
		return c->got >= ML_RESP ? -1 : 0;
	if (kept < 12 || strncmp(c->resp, "HTTP/1.1 ", 9))
		return -1;
	status = atoi(c->resp + 9);
	head = (size_t)(end - c->resp) + 4;
	cl = strcasestr(c->resp, "\r\ncontent-length:");
	if (!cl || cl > end)
		return status; /* no body (204, or the server closes) */
	return c->got >= head + strtoul(cl + 17, NULL, 10) ? status : 0;
}

static enum ml_state ml_fail(struct ml_conn *c)
{
	c->tot->errors++;
	c->st = ML_FAILED;
	return c->st;
}

/* A wolfSSL call returned r <= 0: waiting is fine, anything else fails c. */
static enum ml_state ml_want(struct ml_conn *c, int r)
{
	int e = wolfSSL_get_error(c->ssl, r);

	if ((e == WOLFSSL_ERROR_WANT_READ && !c->eof) || e == WOLFSSL_ERROR_WANT_WRITE)
		return c->st;
	return ml_fail(c);
}

enum ml_state ml_conn_step(struct ml_conn *c)
{
	int r;

	for (;;) {
		switch (c->st) {
		case ML_HANDSHAKE:
			r = wolfSSL_connect(c->ssl);
			if (r != WOLFSSL_SUCCESS)
				return ml_want(c, r);
			c->tot->handshakes++;
			c->st = ML_WRITE;
			c->sent = 0;
			break;
		case ML_WRITE:
			r = wolfSSL_write(c->ssl, c->req + c->sent, (int)(c->req_len - c->sent));
			if (r <= 0)
				return ml_want(c, r);
			c->sent += (size_t)r;
			if (c->sent == c->req_len) {
				c->st = ML_READ;
				c->got = 0;
			}
			break;
		case ML_READ: {
			char sink[4096];
			size_t room = c->got < ML_RESP ? ML_RESP - c->got : 0;
			char *dst = room ? c->resp + c->got : sink;
			int status;

			r = wolfSSL_read(c->ssl, dst, room ? (int)room : (int)sizeof(sink));
			if (r <= 0)
				return ml_want(c, r);
			if (room)
				c->resp[c->got + (size_t)r] = '\0';
			c->got += (size_t)r;
			status = ml_resp_done(c);
			if (status == 0)
				break;
			if (status < 200 || status > 299) {
				if (c->tot->bad_status++ < 3)
					fprintf(stderr, "memif-load: response status %d\n", status);
				return ml_fail(c);
			}
			c->tot->requests++;
			if (c->new_conn) {
				c->st = ML_CLOSING;
				return c->st;
			}
			c->st = ML_WRITE;
			c->sent = 0;
			break;
		}
		case ML_IDLE:
		case ML_CONNECTING:
		case ML_CLOSING:
		case ML_FAILED:
			return c->st;
		}
	}
}

void ml_conn_release(struct ml_conn *c)
{
	if (c->ssl)
		wolfSSL_free(c->ssl);
	c->ssl = NULL;
	c->st = ML_IDLE;
}
