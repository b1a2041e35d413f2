/*
 * Unit tests of columba-bench's pieces that decide its figures: the histogram's buckets and
 * quantiles, the exactly-once tracker, the digest answer (checked against Python's
 * hashlib), and the SIP and HTTP framing the receivers and senders rely on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "bench/e2e/eb_conn.h"
#include "bench/e2e/eb_digest.h"
#include "bench/e2e/eb_hist.h"
#include "bench/e2e/eb_http.h"
#include "bench/e2e/eb_series.h"
#include "bench/e2e/eb_sip.h"
#include "bench/e2e/eb_track.h"
#include "bench/e2e/eb_user.h"

static void test_hist_buckets(void **state)
{
	(void)state;
	/* exact below 64; every value inside its bucket; resolution 1/64 */
	for (uint64_t v = 0; v < 64; v++)
		assert_int_equal(eb_hist_index(v), v);
	uint64_t vals[] = { 64, 65, 127, 128, 1000, 123456789, UINT64_MAX / 3, UINT64_MAX };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		unsigned b = eb_hist_index(vals[i]);
		assert_true(b < EB_HIST_BUCKETS);
		uint64_t up = eb_hist_upper(b);
		assert_true(up >= vals[i]);
		assert_true(up - vals[i] <= vals[i] / 64);
		if (b > 0)
			assert_true(eb_hist_upper(b - 1) < vals[i]);
	}
}

static void test_hist_quantiles(void **state)
{
	static struct eb_hist h;
	(void)state;
	eb_hist_init(&h);
	assert_int_equal(eb_hist_quantile(&h, 0.5), 0);
	for (uint64_t v = 1; v <= 1000; v++)
		eb_hist_record(&h, v * 1000); /* 1 µs .. 1 ms in ns */
	assert_int_equal(h.count, 1000);
	assert_int_equal(h.max, 1000000);
	assert_int_equal(h.min, 1000);
	uint64_t p50 = eb_hist_quantile(&h, 0.5), p99 = eb_hist_quantile(&h, 0.99);
	assert_true(p50 >= 500000 && p50 <= 500000 + 500000 / 64);
	assert_true(p99 >= 990000 && p99 <= 990000 + 990000 / 64);
	assert_int_equal(eb_hist_quantile(&h, 1.0), 1000000); /* clamped to the exact max */
	assert_true(eb_hist_quantile(&h, 0.0) <= 1000 + 1000 / 64);
}

static void test_track(void **state)
{
	struct eb_track t;
	struct eb_track_result r;
	uint64_t seq;
	(void)state;
	eb_track_init(&t);
	for (int i = 0; i < 70000; i++) { /* past the first allocation */
		assert_int_equal(eb_track_new(&t, &seq), 0);
		assert_int_equal(seq, (uint64_t)i);
	}
	eb_track_accepted(&t, 0);                       /* 202 then MESSAGE */
	assert_int_equal(eb_track_received(&t, 0), 1);
	assert_int_equal(eb_track_received(&t, 1), 1);  /* MESSAGE before its 202 */
	eb_track_accepted(&t, 1);
	eb_track_accepted(&t, 1);                       /* counted once */
	eb_track_accepted(&t, 2);                       /* lost */
	assert_int_equal(eb_track_received(&t, 3), 1);  /* received, never 202'd */
	eb_track_accepted(&t, 4);
	assert_int_equal(eb_track_received(&t, 4), 1);
	assert_int_equal(eb_track_received(&t, 4), 0);  /* duplicate */
	assert_int_equal(eb_track_received(&t, 70000), -ERANGE);
	assert_int_equal(t.accepted, 4);
	assert_int_equal(t.done, 3);
	eb_track_result(&t, &r);
	assert_int_equal(r.lost, 1);
	assert_int_equal(r.dup, 1);
	assert_int_equal(r.unacked_received, 1);
	eb_track_fini(&t);
}

static void test_digest(void **state)
{
	char hex[65], out[1024];
	struct eb_challenge ch;
	(void)state;
	assert_int_equal(eb_sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	const char *md5 = "Digest realm=\"localhost\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"";
	assert_int_equal(eb_digest_parse(md5, strlen(md5), &ch), 0);
	assert_false(ch.sha256);
	const char *v = "Digest realm=\"localhost\",nonce=\"abc123nonce\", algorithm=SHA-256, "
			"qop=\"auth,auth-int\", stale=false";
	assert_int_equal(eb_digest_parse(v, strlen(v), &ch), 0);
	assert_true(ch.sha256);
	assert_true(ch.qop_auth);
	assert_string_equal(ch.realm, "localhost");
	assert_string_equal(ch.nonce, "abc123nonce");
	assert_int_equal(eb_digest_parse("Basic realm=\"x\"", 15, &ch), -EINVAL);
	assert_int_equal(eb_digest_parse("Digest realm=\"x\"", 16, &ch), -EINVAL); /* no nonce */

	/* hashlib: H(H(alice:localhost:secret):abc123nonce:00000001:0a1b2c3d:auth:
	 * H(REGISTER:sips:localhost)) */
	assert_int_equal(eb_digest_parse(v, strlen(v), &ch), 0);
	int n = eb_digest_authorization(&ch, "alice", "secret", "REGISTER", "sips:localhost",
					"0a1b2c3d", out, sizeof(out));
	assert_true(n > 0);
	assert_non_null(strstr(out, "response=\"327f096fda81004f4a9a3e061f7fd2e16f81cc01e1ff1742"
				    "cf77c8be8069d2f5\""));
	assert_non_null(strstr(out, "username=\"alice\""));
	assert_non_null(strstr(out, "nc=00000001, cnonce=\"0a1b2c3d\""));
	assert_int_equal(eb_digest_authorization(&ch, "alice", "secret", "REGISTER",
						 "sips:localhost", "0a1b2c3d", out, 40),
			 -ENOSPC);
}

static const char sip_msg[] =
	"\r\n\r\n"
	"MESSAGE sips:bob@client.invalid;transport=tls SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKa\r\n"
	"v: SIP/2.0/TLS proxy.invalid;branch=z9hG4bKb\r\n"
	"f: <sips:alice@localhost>;tag=1\r\n"
	"To: <sips:bob@localhost>\r\n"
	"i: 01ABC@localhost\r\n"
	"CSeq: 1 MESSAGE\r\n"
	"c: text/plain;charset=UTF-8\r\n"
	"l: 9\r\n"
	"\r\n"
	"b 12 3456";

static void test_sip_parse(void **state)
{
	struct eb_sip_msg m;
	size_t skip;
	(void)state;
	int n = eb_sip_parse(sip_msg, sizeof(sip_msg) - 1, &m, &skip);
	assert_int_equal(skip, 4);
	assert_int_equal(n, (int)(sizeof(sip_msg) - 1 - 4));
	assert_false(m.is_response);
	assert_int_equal(m.method.n, 7);
	assert_memory_equal(m.method.p, "MESSAGE", 7);
	assert_int_equal(m.n_via, 2);
	assert_int_equal(m.call_id.n, 15);
	assert_memory_equal(m.cseq.p, "1 MESSAGE", 9);
	assert_int_equal(m.body.n, 9);
	assert_memory_equal(m.body.p, "b 12 3456", 9);
	/* every shorter prefix needs more bytes (or is only the CRLFs) */
	for (size_t len = 5; len < sizeof(sip_msg) - 1; len++)
		assert_int_equal(eb_sip_parse(sip_msg, len, &m, &skip), -EAGAIN);
	assert_int_equal(eb_sip_parse(sip_msg, 4, &m, &skip), 0);

	const char resp[] = "SIP/2.0 401 Unauthorized\r\nVia: x\r\n"
			    "WWW-Authenticate: Digest realm=\"a\", nonce=\"b\", algorithm=SHA-256\r\n"
			    "WWW-Authenticate: Digest realm=\"a\", nonce=\"b\", algorithm=MD5\r\n"
			    "Content-Length: 0\r\n\r\n";
	assert_int_equal(eb_sip_parse(resp, sizeof(resp) - 1, &m, &skip), (int)sizeof(resp) - 1);
	assert_true(m.is_response);
	assert_int_equal(m.status, 401);
	assert_int_equal(m.n_www_auth, 2);

	const char nolen[] = "OPTIONS sips:x SIP/2.0\r\nVia: x\r\n\r\n";
	assert_int_equal(eb_sip_parse(nolen, sizeof(nolen) - 1, &m, &skip), -EBADMSG);
	const char badstart[] = "HELLO\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(eb_sip_parse(badstart, sizeof(badstart) - 1, &m, &skip), -EBADMSG);
	const char badlen[] = "OPTIONS sips:x SIP/2.0\r\nContent-Length: 1x\r\n\r\n";
	assert_int_equal(eb_sip_parse(badlen, sizeof(badlen) - 1, &m, &skip), -EBADMSG);
}

struct rcv_counts {
	int text, imdn, other;
	char last[32];
};

static void on_request(void *arg, enum eb_sip_in kind, const char *body, size_t n)
{
	struct rcv_counts *c = arg;
	if (kind == EB_SIP_IN_TEXT)
		c->text++;
	else if (kind == EB_SIP_IN_IMDN)
		c->imdn++;
	else
		c->other++;
	snprintf(c->last, sizeof(c->last), "%.*s", (int)n, body);
}

/* The receiver answers each request 200 with the dialog headers copied and a To tag, tells
 * text from notifications, and keeps an incomplete message for later. */
static void test_rcv_answers(void **state)
{
	static const char imdn[] = "MESSAGE sips:bob@x SIP/2.0\r\nVia: v1\r\nFrom: <sips:a@l>;tag=2\r\n"
				   "To: <sips:bob@l>;tag=old\r\nCall-ID: c2\r\nCSeq: 7 MESSAGE\r\n"
				   "Content-Type: message/imdn+xml\r\nContent-Length: 3\r\n\r\n<x>";
	static const char partial[] = "OPTIONS sips:bob@x SIP/2.0\r\nVia: v3\r\n";
	struct eb_rcv r;
	struct rcv_counts counts = { 0 };
	(void)state;
	memset(&r, 0, sizeof(r));
	r.c.fd = -1;
	snprintf(r.tag, sizeof(r.tag), "tagx");
	r.c.rcap = 4096;
	r.c.rbuf = malloc(r.c.rcap);
	assert_non_null(r.c.rbuf);
	size_t n1 = sizeof(sip_msg) - 1, n2 = sizeof(imdn) - 1, n3 = sizeof(partial) - 1;
	memcpy(r.c.rbuf, sip_msg, n1);
	memcpy(r.c.rbuf + n1, imdn, n2);
	memcpy(r.c.rbuf + n1 + n2, partial, n3);
	r.c.rlen = n1 + n2 + n3;

	assert_int_equal(eb_rcv_process(&r, on_request, &counts), 2);
	assert_int_equal(counts.text, 1);
	assert_int_equal(counts.imdn, 1);
	assert_int_equal(counts.other, 0);
	assert_string_equal(counts.last, "<x>");
	assert_int_equal(r.c.rlen, n3); /* the incomplete OPTIONS stays */
	assert_memory_equal(r.c.rbuf, partial, n3);

	static const char want[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKa\r\n"
		"Via: SIP/2.0/TLS proxy.invalid;branch=z9hG4bKb\r\n"
		"From: <sips:alice@localhost>;tag=1\r\n"
		"To: <sips:bob@localhost>;tag=tagx\r\n"
		"Call-ID: 01ABC@localhost\r\n"
		"CSeq: 1 MESSAGE\r\n"
		"Content-Length: 0\r\n\r\n"
		"SIP/2.0 200 OK\r\n"
		"Via: v1\r\n"
		"From: <sips:a@l>;tag=2\r\n"
		"To: <sips:bob@l>;tag=old\r\n" /* a To that has a tag keeps it */
		"Call-ID: c2\r\n"
		"CSeq: 7 MESSAGE\r\n"
		"Content-Length: 0\r\n\r\n";
	assert_int_equal(r.c.wlen - r.c.woff, sizeof(want) - 1);
	assert_memory_equal(r.c.wbuf + r.c.woff, want, sizeof(want) - 1);

	/* a request without its dialog headers makes the flow unusable */
	static const char bad[] = "MESSAGE sips:b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
	memcpy(r.c.rbuf, bad, sizeof(bad) - 1);
	r.c.rlen = sizeof(bad) - 1;
	assert_int_equal(eb_rcv_process(&r, on_request, &counts), -EBADMSG);
	eb_conn_close(&r.c);
}

static void test_http(void **state)
{
	char req[1024], code[40];
	struct eb_http_resp r;
	(void)state;
	int n = eb_http_post(req, sizeof(req), "127.0.0.1:8443", "TOKEN", "r0", "b 1 2", false);
	assert_true(n > 0);
	assert_null(strstr(req, "Connection:"));
	assert_non_null(strstr(req, "\r\n\r\n{\"to\":\"r0\",\"text\":\"b 1 2\",\"notify\":false}"));
	assert_non_null(strstr(req, "Content-Length: 41\r\n"));
	assert_non_null(strstr(req, "Authorization: Bearer TOKEN\r\n"));
	assert_int_equal(eb_http_post(req, 64, "h", "TOKEN", "r0", "b 1 2", false), -ENOSPC);
	n = eb_http_post(req, sizeof(req), "h", "TOKEN", "r0", "b 1 2", true);
	assert_true(n > 0);
	assert_non_null(strstr(req, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(req, "Content-Length: 41\r\n\r\n{"));

	const char two[] = "HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}"
			   "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 65\r\n"
			   "Connection: close\r\n\r\n"
			   "{\"error\":\"recipient_queue_full\",\"detail\":\"queue full for r0 now\"}";
	size_t first = strlen("HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}");
	assert_int_equal(eb_http_parse(two, sizeof(two) - 1, &r), (int)first);
	assert_int_equal(r.status, 202);
	assert_false(r.close);
	assert_int_equal(eb_http_error_code(&r, code, sizeof(code)), 0);
	for (size_t len = 0; len < first; len++)
		assert_int_equal(eb_http_parse(two, len, &r), -EAGAIN);
	n = eb_http_parse(two + first, sizeof(two) - 1 - first, &r);
	assert_int_equal(n, (int)(sizeof(two) - 1 - first));
	assert_int_equal(r.status, 503);
	assert_true(r.close);
	assert_int_equal(eb_http_error_code(&r, code, sizeof(code)), 20);
	assert_string_equal(code, "recipient_queue_full");

	const char nolen[] = "HTTP/1.1 200 OK\r\n\r\n";
	assert_int_equal(eb_http_parse(nolen, sizeof(nolen) - 1, &r), -EBADMSG);
	const char notit[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(eb_http_parse(notit, sizeof(notit) - 1, &r), -EBADMSG);
}

static void test_users(void **state)
{
	char path[] = "/tmp/eb-users-XXXXXX";
	struct eb_users u;
	(void)state;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char good[] = "# receivers first\nr0 pw0 -\n\nr1\tpw1 -\r\ns0 pw2 TOK\n";
	assert_int_equal(write(fd, good, sizeof(good) - 1), (ssize_t)sizeof(good) - 1);
	close(fd);
	assert_int_equal(eb_users_load(path, &u), 0);
	assert_int_equal(u.n, 3);
	assert_string_equal(u.v[1].name, "r1");
	assert_string_equal(u.v[1].password, "pw1");
	assert_string_equal(u.v[2].token, "TOK");
	eb_users_free(&u);

	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("r0 pw0\n", f);
	fclose(f);
	assert_int_equal(eb_users_load(path, &u), -EINVAL);
	unlink(path);
	assert_int_equal(eb_users_load(path, &u), -ENOENT);
	eb_users_free(&u);
}

static void test_series(void **state)
{
	static struct eb_series s;
	char path[] = "/tmp/eb-series-XXXXXX", got[1024];
	(void)state;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	memset(&s, 0, sizeof(s));
	assert_int_equal(eb_series_close(&s, 0, 0), 0); /* never opened: nothing to do */
	assert_int_equal(eb_series_open(&s, "/nonexistent-dir/x.csv"), -ENOENT);

	assert_int_equal(eb_series_open(&s, path), 0);
	eb_series_submit(&s, 1000000);
	eb_series_submit(&s, 1000000);
	eb_series_receipt(&s, 2000000);
	eb_series_tick(&s, 500000000, 0);     /* still in second 0 */
	eb_series_tick(&s, 2200000000LL, 3);  /* ends seconds 0 and 1 (the errors: second 0's) */
	eb_series_receipt(&s, 4000000);
	eb_series_receipt(&s, 4000000);
	assert_int_equal(eb_series_close(&s, 2500000000LL, 3), 0); /* 2 receipts in 0.5 s */

	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	unlink(path);
	got[n] = '\0';
	assert_string_equal(got, EB_SERIES_HEADER "\n"
				 "0,2.0,1.0,3,1.000,1.000,2.000,2.000,1.000\n"
				 "1,0.0,0.0,0,0.000,0.000,0.000,0.000,1.000\n"
				 "2,0.0,4.0,0,0.000,0.000,4.000,4.000,0.500\n");

	static struct eb_hist h;
	eb_hist_init(&h);
	assert_int_equal(eb_series_line(got, 16, 0, 1, 1, 1, 0, &h, &h), -ENOSPC);
}

/* A port bound but not listening refuses connections: the connect's error comes back as
 * is, through eb_conn_open and through eb_conn_start + eb_conn_handshake. */
static void test_conn_refused(void **state)
{
	(void)state;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	char port[16];
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));

	assert_int_equal(wolfSSL_Init(), WOLFSSL_SUCCESS);
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	assert_non_null(ctx);
	struct eb_conn c;
	assert_int_equal(eb_conn_open(&c, ctx, "127.0.0.1", port, "localhost", 5000), -ECONNREFUSED);
	assert_int_equal(c.fd, -1);
	assert_non_null(strstr(c.err, "connect"));

	struct sockaddr_storage ss;
	socklen_t sslen;
	char err[96];
	assert_int_equal(eb_resolve("127.0.0.1", port, &ss, &sslen, err, sizeof(err)), 0);
	assert_int_equal(eb_conn_start(&c, ctx, (struct sockaddr *)&ss, sslen, "localhost"), 0);
	int rc;
	while ((rc = eb_conn_handshake(&c)) == 0)
		assert_true(eb_conn_wait(&c, c.want_write, 5000) >= 0);
	assert_int_equal(rc, -ECONNREFUSED);
	assert_true(c.eof);
	eb_conn_close(&c);
	wolfSSL_CTX_free(ctx);
	wolfSSL_Cleanup();
	close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_buckets), cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_track),        cmocka_unit_test(test_digest),
		cmocka_unit_test(test_sip_parse),    cmocka_unit_test(test_rcv_answers),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_users),        cmocka_unit_test(test_series),
		cmocka_unit_test(test_conn_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
