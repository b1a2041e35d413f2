/*
 * Unit tests of columba-memif-load's client connection (ml_conn.c) against a
 * real wolfSSL server session: the two are joined by in-memory pipes, the
 * server's side written out here (accept, read a request, write a canned
 * response), so every byte goes through real TLS.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench/dpdk/ml_conn.h"
#include "dataplane/tls/tls.h"

#define PIPE_CAP 262144u

struct pipe {
	uint8_t b[PIPE_CAP];
	size_t len;
};

struct srv {
	WOLFSSL *ssl;
	struct pipe in;       /* client -> server */
	bool accepted;
	char req[4096];
	size_t req_len;
};

static WOLFSSL_CTX *g_sctx, *g_cctx;
static char g_dir[] = "/tmp/test_ml_conn.XXXXXX";
static struct srv g_srv;
static int g_send_refuse; /* the transport refuses this many sends with -EAGAIN */
static bool g_closed;

static int srv_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct srv *s = ctx;
	size_t n = s->in.len < (size_t)sz ? s->in.len : (size_t)sz;

	(void)ssl;
	if (!n)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	memcpy(buf, s->in.b, n);
	memmove(s->in.b, s->in.b + n, s->in.len - n);
	s->in.len -= n;
	return (int)n;
}

/* The server's bytes go straight into the client connection passed as ctx
 * through wolfSSL's write context. */
static int srv_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	struct ml_conn *c = ctx;

	(void)ssl;
	return ml_conn_input(c, (const uint8_t *)buf, (size_t)sz) ? WOLFSSL_CBIO_ERR_WANT_WRITE : sz;
}

static int cli_send(struct ml_conn *c, const void *data, size_t len)
{
	(void)c;
	if (g_send_refuse > 0) {
		g_send_refuse--;
		return -EAGAIN;
	}
	if (g_srv.in.len + len > PIPE_CAP)
		return -EAGAIN;
	memcpy(g_srv.in.b + g_srv.in.len, data, len);
	g_srv.in.len += len;
	return 0;
}

static void cli_close(struct ml_conn *c)
{
	(void)c;
	g_closed = true;
}

static const struct ml_transport_ops ops = { .send = cli_send, .close = cli_close };

static int setup_all(void **state)
{
	char cert[64], key[64], fp[128], err[256];

	(void)state;
	if (!mkdtemp(g_dir))
		return -1;
	snprintf(cert, sizeof(cert), "%s/cert.pem", g_dir);
	snprintf(key, sizeof(key), "%s/key.pem", g_dir);
	if (wolfSSL_Init() != WOLFSSL_SUCCESS ||
	    tls_make_dev_cert(cert, key, fp, sizeof(fp), err, sizeof(err)))
		return -1;
	g_sctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
	if (!g_sctx ||
	    wolfSSL_CTX_use_certificate_file(g_sctx, cert, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_use_PrivateKey_file(g_sctx, key, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
		return -1;
	wolfSSL_SetIORecv(g_sctx, srv_recv);
	wolfSSL_SetIOSend(g_sctx, srv_send);
	unlink(cert);
	unlink(key);
	rmdir(g_dir);
	g_cctx = ml_ctx_new();
	return g_cctx ? 0 : -1;
}

static int teardown_all(void **state)
{
	(void)state;
	wolfSSL_CTX_free(g_cctx);
	wolfSSL_CTX_free(g_sctx);
	wolfSSL_Cleanup();
	return 0;
}

static struct ml_conn *conn_new(struct ml_totals *tot, bool new_conn, const char *req)
{
	struct ml_conn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->fd = -1;
	c->tot = tot;
	c->ops = &ops;
	c->new_conn = new_conn;
	g_srv.in.len = 0;
	g_srv.accepted = false;
	g_srv.req_len = 0;
	g_srv.ssl = wolfSSL_new(g_sctx);
	assert_non_null(g_srv.ssl);
	wolfSSL_SetIOReadCtx(g_srv.ssl, &g_srv);
	wolfSSL_SetIOWriteCtx(g_srv.ssl, c);
	g_send_refuse = 0;
	g_closed = false;
	assert_int_equal(ml_conn_start(c, g_cctx, req, strlen(req)), 0);
	return c;
}

static void conn_free(struct ml_conn *c)
{
	ml_conn_release(c);
	wolfSSL_free(g_srv.ssl);
	g_srv.ssl = NULL;
	free(c);
}

/* Run the server until it has a whole request ("\r\n\r\n"-terminated head plus
 * body of its Content-Length) or is blocked. Returns true with a request. */
static bool srv_step(void)
{
	if (!g_srv.accepted) {
		if (wolfSSL_accept(g_srv.ssl) != WOLFSSL_SUCCESS)
			return false;
		g_srv.accepted = true;
	}
	for (;;) {
		int r = wolfSSL_read(g_srv.ssl, g_srv.req + g_srv.req_len,
				     (int)(sizeof(g_srv.req) - 1 - g_srv.req_len));
		const char *end;

		if (r <= 0)
			return false;
		g_srv.req_len += (size_t)r;
		g_srv.req[g_srv.req_len] = '\0';
		end = strstr(g_srv.req, "\r\n\r\n");
		if (end) {
			const char *cl = strstr(g_srv.req, "Content-Length: ");
			size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;

			if (g_srv.req_len >= (size_t)(end - g_srv.req) + 4 + body)
				return true;
		}
	}
}

static void srv_write(const char *s)
{
	assert_int_equal(wolfSSL_write(g_srv.ssl, s, (int)strlen(s)), (int)strlen(s));
}

/* Alternate client and server until the server holds a request. */
static void until_request(struct ml_conn *c)
{
	for (int i = 0; i < 20; i++) {
		assert_true(ml_conn_step(c) != ML_FAILED);
		if (srv_step())
			return;
	}
	fail_msg("no request reached the server");
}

static const char *GET = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";

static void test_keep_alive_loop(void **state)
{
	struct ml_totals tot = { 0 };
	struct ml_conn *c = conn_new(&tot, false, GET);

	(void)state;
	for (int i = 0; i < 3; i++) {
		until_request(c);
		assert_int_equal(g_srv.req_len, strlen(GET));
		assert_memory_equal(g_srv.req, GET, strlen(GET));
		g_srv.req_len = 0;
		/* The head and the body in separate records, the body in two. */
		srv_write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
		assert_int_equal(ml_conn_step(c), ML_READ);
		srv_write("ok\r\n");
		assert_int_equal(ml_conn_step(c), ML_READ);
		assert_int_equal(tot.requests, (uint64_t)i);
		srv_write("123456");
		/* The response is complete: the next request goes out at once. */
		assert_int_equal(ml_conn_step(c), ML_READ);
		assert_int_equal(tot.requests, (uint64_t)i + 1);
	}
	assert_int_equal(tot.handshakes, 1);
	assert_int_equal(tot.errors, 0);
	conn_free(c);
}

static void test_new_conn_closes(void **state)
{
	struct ml_totals tot = { 0 };
	struct ml_conn *c = conn_new(&tot, true, GET);

	(void)state;
	until_request(c);
	srv_write("HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(ml_conn_step(c), ML_CLOSING);
	assert_int_equal(tot.requests, 1);
	assert_int_equal(tot.handshakes, 1);
	/* No second request was written. */
	g_srv.req_len = 0;
	assert_false(srv_step());
	assert_int_equal(g_srv.req_len, 0);
	conn_free(c);
}

static void test_post_body_and_bad_status(void **state)
{
	static const char *post = "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\n"
				  "Content-Length: 7\r\n\r\n{\"a\":1}";
	struct ml_totals tot = { 0 };
	struct ml_conn *c = conn_new(&tot, false, post);

	(void)state;
	until_request(c);
	assert_int_equal(g_srv.req_len, strlen(post));
	srv_write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(ml_conn_step(c), ML_FAILED);
	assert_int_equal(tot.requests, 0);
	assert_int_equal(tot.errors, 1);
	assert_int_equal(tot.bad_status, 1);
	conn_free(c);
}

static void test_eof_mid_response(void **state)
{
	struct ml_totals tot = { 0 };
	struct ml_conn *c = conn_new(&tot, false, GET);

	(void)state;
	until_request(c);
	srv_write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
	assert_int_equal(ml_conn_step(c), ML_READ);
	ml_conn_eof(c);
	assert_int_equal(ml_conn_step(c), ML_FAILED);
	assert_int_equal(tot.requests, 0);
	assert_int_equal(tot.errors, 1);
	conn_free(c);
}

static void test_send_eagain_then_retry(void **state)
{
	struct ml_totals tot = { 0 };
	struct ml_conn *c = conn_new(&tot, false, GET);

	(void)state;
	g_send_refuse = 2; /* the ClientHello is refused twice */
	assert_int_equal(ml_conn_step(c), ML_HANDSHAKE);
	assert_int_equal(g_srv.in.len, 0);
	assert_int_equal(ml_conn_step(c), ML_HANDSHAKE);
	assert_int_equal(g_srv.in.len, 0);
	until_request(c);
	srv_write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	assert_int_equal(ml_conn_step(c), ML_READ);
	assert_int_equal(tot.requests, 1);
	assert_int_equal(tot.errors, 0);
	conn_free(c);
}

static void test_input_overflow(void **state)
{
	static uint8_t big[ML_INBUF];
	struct ml_totals tot = { 0 };
	struct ml_conn *c = conn_new(&tot, false, GET);

	(void)state;
	assert_int_equal(ml_conn_input(c, big, ML_INBUF - 10), 0);
	assert_int_equal(ml_conn_input(c, big, 11), -ENOBUFS);
	assert_int_equal(ml_conn_input(c, big, 10), 0);
	assert_int_equal(ml_conn_input(c, big, 1), -ENOBUFS);
	conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_alive_loop),
		cmocka_unit_test(test_new_conn_closes),
		cmocka_unit_test(test_post_body_and_bad_status),
		cmocka_unit_test(test_eof_mid_response),
		cmocka_unit_test(test_send_eagain_then_retry),
		cmocka_unit_test(test_input_overflow),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
