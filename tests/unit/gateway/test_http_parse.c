/*
 * HTTP request parser: valid heads, one case per malformed class, and for
 * every case: every split position (fresh and resumed parser), byte-by-byte
 * feeding, a moved buffer, and every prefix ending at a PROT_NONE guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gateway/http/http_parse.h"

#define MAX_HDRS 80

/* Small limits so the limit classes are cheap to test at every split. */
static const struct http_limits small = {
	.line_max = 64, .headers_max = 4, .head_max = 256, .body_max = 100,
};

struct pcase {
	const char *in;
	ssize_t want; /* head length, or HTTP_E_*; VALID: computed */
	const struct http_limits *lim;
	size_t cap;   /* headers_cap; 0 means MAX_HDRS */
};

#define VALID 0

/* Head length of a valid input: up to the first CRLFCRLF after the request line. */
static ssize_t head_len(const char *in)
{
	size_t i = strspn(in, "\r\n");
	const char *e = strstr(in + i, "\r\n\r\n");

	assert_non_null(e);
	return (ssize_t)(e + 4 - in);
}

static const struct pcase cases[] = {
	{ "GET /v1/messages/abc?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", VALID, NULL, 0 },
	{ "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
	  "Content-Length: 12\r\n\r\n{\"to\":\"bob\"}", VALID, NULL, 0 },
	{ "GET / HTTP/1.0\r\n\r\n", VALID, NULL, 0 },
	{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", VALID, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", VALID, NULL, 0 },
	{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", VALID, NULL, 0 },
	{ "GET http://example.com:8443/v1/x?y=2 HTTP/1.1\r\nHost: other\r\n\r\n", VALID, NULL, 0 },
	{ "GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n", VALID, NULL, 0 },
	{ "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", VALID, NULL, 0 },
	{ "POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n", VALID, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX-A: \t v\xff a \t\r\nX-B:\r\nX-C: \r\n\r\n", VALID, NULL, 0 },
	{ "GET /%41b?q=%2f HTTP/1.2\r\nhost: [::1]:80\r\n\r\n", VALID, NULL, 0 },
	{ "PATCH /a HTTP/1.1\r\nHost: a\r\n\r\n", VALID, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", VALID, &small, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n", VALID, &small, 0 },
	{ "GET /23456789012345678901234567890123456789012345678901 HTTP/1.1\r\nHost: a\r\n\r\n",
	  VALID, &small, 0 }, /* request line exactly 64 bytes */

	{ "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_BARE_LF, NULL, 0 },
	{ "GET / HTTP/1.1\nHost: a\n\n", HTTP_E_BARE_LF, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\n\r\n", HTTP_E_BARE_LF, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\n", HTTP_E_BARE_LF, NULL, 0 },
	{ "GET / HTTP/1.1\r\nX:\n\r\n", HTTP_E_BARE_LF, NULL, 0 },
	{ "GET / HTTP/1.1\rHost: a\r\n\r\n", HTTP_E_BARE_CR, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", HTTP_E_BARE_CR, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\rX", HTTP_E_BARE_CR, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", HTTP_E_OBS_FOLD, NULL, 0 },
	{ "GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", HTTP_E_OBS_FOLD, NULL, 0 },
	{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_METHOD, NULL, 0 },
	{ "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_METHOD, NULL, 0 },
	{ " GET / HTTP/1.1\r\n\r\n", HTTP_E_METHOD, NULL, 0 },
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET ftp://h/x HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET http://u@h/x HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET http:/// HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_E_TARGET, NULL, 0 },
	{ "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", HTTP_E_VERSION, NULL, 0 },
	{ "GET / http/1.1\r\nHost: a\r\n\r\n", HTTP_E_VERSION, NULL, 0 },
	{ "GET /\r\n\r\n", HTTP_E_VERSION, NULL, 0 },
	{ "GET / HTTP/11\r\n\r\n", HTTP_E_VERSION, NULL, 0 },
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", HTTP_E_VERSION_UNSUPPORTED, NULL, 0 },
	{ "GET / HTTP/0.9\r\n\r\n", HTTP_E_VERSION_UNSUPPORTED, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", HTTP_E_HEADER_NAME, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", HTTP_E_HEADER_NAME, NULL, 0 },
	{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n", HTTP_E_HEADER_NAME, NULL, 0 },
	{ "GET / HTTP/1.1\r\n:a\r\n\r\n", HTTP_E_HEADER_NAME, NULL, 0 },
	{ "GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n", HTTP_E_HEADER_VALUE, NULL, 0 },
	{ "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", HTTP_E_HEADER_VALUE, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", HTTP_E_DUP_CL, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", HTTP_E_DUP_CL, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", HTTP_E_BAD_CL, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\n", HTTP_E_BAD_CL, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", HTTP_E_BAD_CL, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", HTTP_E_BAD_CL, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", HTTP_E_TE_AND_CL, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_E_TE_AND_CL, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", HTTP_E_TE_CHUNKED, NULL, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", HTTP_E_TE_UNSUPPORTED, NULL, 0 },
	{ "GET / HTTP/1.1\r\nX: a\r\n\r\n", HTTP_E_NO_HOST, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", HTTP_E_DUP_HOST, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", HTTP_E_BAD_HOST, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", HTTP_E_BAD_HOST, NULL, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", HTTP_E_EXPECT, NULL, 0 },
	{ "GET /234567890123456789012345678901234567890123456789012 HTTP/1.1\r\nHost: a\r\n\r\n",
	  HTTP_E_LINE_TOO_LONG, &small, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", HTTP_E_TOO_MANY_HEADERS, &small, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n", HTTP_E_TOO_MANY_HEADERS, NULL, 1 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: 12345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789012345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789012345678901234567890123456789012345678901234567890"
	  "12345678901234567890\r\n\r\n", HTTP_E_HEAD_TOO_LARGE, &small, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", HTTP_E_BODY_TOO_LARGE, &small, 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
	  HTTP_E_BODY_TOO_LARGE, NULL, 0 },
};

static ssize_t want_of(const struct pcase *c)
{
	return c->want == VALID ? head_len(c->in) : c->want;
}

/* Expected result for a prefix of k bytes, given the whole input's result. */
static void check_prefix(ssize_t want, size_t k, ssize_t rc, bool *seen_err)
{
	if (want > 0) {
		assert_int_equal(rc, (size_t)want <= k ? want : HTTP_EAGAIN);
		return;
	}
	if (*seen_err) {
		assert_int_equal(rc, want); /* an error never un-happens */
		return;
	}
	if (rc != HTTP_EAGAIN) {
		assert_int_equal(rc, want);
		*seen_err = true;
	}
}

static ssize_t parse_once(const struct pcase *c, const char *buf, size_t len,
			  struct http_request *req, struct http_header *hdrs)
{
	struct http_parser ps;

	http_parser_init(&ps, c->lim);
	memset(req, 0, sizeof(*req));
	req->headers = hdrs;
	req->headers_cap = c->cap ? c->cap : MAX_HDRS;
	return http_parse_request(&ps, buf, len, req);
}

/* Slices compared as offsets into their buffers (or identical if outside). */
static void assert_str_same(struct http_str a, const char *ab, struct http_str b,
			    const char *bb, size_t n)
{
	bool ain = a.p >= ab && a.p <= ab + n;

	assert_int_equal(a.n, b.n);
	if (ain)
		assert_int_equal(a.p - ab, b.p - bb);
	else
		assert_ptr_equal(a.p, b.p);
}

static void assert_req_same(const struct http_request *a, const char *ab,
			    const struct http_request *b, const char *bb, size_t n)
{
	assert_int_equal(a->n_headers, b->n_headers);
	assert_int_equal(a->method_id, b->method_id);
	assert_int_equal(a->version_minor, b->version_minor);
	assert_int_equal(a->keep_alive, b->keep_alive);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->content_length, b->content_length);
	assert_str_same(a->method, ab, b->method, bb, n);
	assert_str_same(a->target, ab, b->target, bb, n);
	assert_str_same(a->path, ab, b->path, bb, n);
	assert_str_same(a->query, ab, b->query, bb, n);
	assert_str_same(a->host, ab, b->host, bb, n);
	for (size_t i = 0; i < a->n_headers; i++) {
		assert_str_same(a->headers[i].name, ab, b->headers[i].name, bb, n);
		assert_str_same(a->headers[i].value, ab, b->headers[i].value, bb, n);
	}
}

/* A region whose end touches a PROT_NONE page: any over-read faults. */
struct guard {
	char *map;
	size_t map_len;
	char *end;
};

static void guard_init(struct guard *g, size_t max)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (max + page - 1) / page * page;

	if (data == 0)
		data = page;
	g->map_len = data + page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + data, page, PROT_NONE), 0);
	g->end = g->map + data;
}

static void guard_free(struct guard *g)
{
	munmap(g->map, g->map_len);
}

static void run_case(const struct pcase *c)
{
	size_t n = strlen(c->in);
	ssize_t want = want_of(c);
	struct http_header h_ref[MAX_HDRS], h[MAX_HDRS];
	struct http_request ref, req;
	struct http_parser ps;
	struct guard g;
	char *heap = malloc(n ? n : 1), *moved = malloc(n ? n : 1);
	bool seen_err;
	ssize_t rc;

	assert_non_null(heap);
	assert_non_null(moved);
	memcpy(heap, c->in, n);
	memcpy(moved, c->in, n);

	/* Whole input. */
	rc = parse_once(c, heap, n, &ref, h_ref);
	if (rc != want)
		fail_msg("case \"%.40s…\": got %zd want %zd", c->in, rc, want);

	/* Every prefix ending exactly at a guard page, fresh parser. */
	guard_init(&g, n);
	seen_err = false;
	for (size_t k = 0; k <= n; k++) {
		memcpy(g.end - k, c->in, k);
		rc = parse_once(c, g.end - k, k, &req, h);
		check_prefix(want, k, rc, &seen_err);
		if (k == n && rc > 0)
			assert_req_same(&ref, heap, &req, g.end - k, n);
	}
	guard_free(&g);

	/* Split at every k: prefix, then the whole, on one resumed parser. */
	for (size_t k = 0; k <= n; k++) {
		seen_err = false;
		http_parser_init(&ps, c->lim);
		memset(&req, 0, sizeof(req));
		req.headers = h;
		req.headers_cap = c->cap ? c->cap : MAX_HDRS;
		rc = http_parse_request(&ps, heap, k, &req);
		check_prefix(want, k, rc, &seen_err);
		if (rc == HTTP_EAGAIN)
			assert_int_equal(ps.pos, k); /* scanned once: linear */
		rc = http_parse_request(&ps, heap, n, &req);
		assert_int_equal(rc, want);
		if (rc > 0)
			assert_req_same(&ref, heap, &req, heap, n);

		/* Same split, but the bytes moved to another buffer in between. */
		http_parser_init(&ps, c->lim);
		(void)http_parse_request(&ps, heap, k, &req);
		rc = http_parse_request(&ps, moved, n, &req);
		assert_int_equal(rc, want);
		if (rc > 0)
			assert_req_same(&ref, heap, &req, moved, n);
	}

	/* Byte by byte on one parser. */
	seen_err = false;
	http_parser_init(&ps, c->lim);
	memset(&req, 0, sizeof(req));
	req.headers = h;
	req.headers_cap = c->cap ? c->cap : MAX_HDRS;
	for (size_t k = 1; k <= n; k++) {
		rc = http_parse_request(&ps, heap, k, &req);
		check_prefix(want, k, rc, &seen_err);
	}
	assert_int_equal(rc, want);
	free(heap);
	free(moved);
}

static void test_all_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Every malformed class has at least one case asserting its code. */
static void test_every_class_covered(void **state)
{
	(void)state;
	for (int e = HTTP_E__FIRST; e <= HTTP_E__LAST; e++) {
		bool found = false;

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			found |= cases[i].want == e;
		if (!found)
			fail_msg("no test case for error %d (%s)", e, http_perr_code(e));
	}
}



static ssize_t parse_str(const char *in, size_t len, struct http_request *req,
			 struct http_header *h, size_t cap, const struct http_limits *lim)
{
	struct http_parser ps;

	http_parser_init(&ps, lim);
	memset(req, 0, sizeof(*req));
	req->headers = h;
	req->headers_cap = cap;
	return http_parse_request(&ps, in, len, req);
}

static bool str_is(struct http_str s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static void test_get_fields(void **state)
{
	static const char in[] = "GET /v1/messages/abc?x=1 HTTP/1.1\r\nHost: example.com\r\n"
				 "X-A: \t v\xff a \t\r\nX-B:\r\n\r\n";
	struct http_header h[8];
	struct http_request req;

	(void)state;
	assert_int_equal(parse_str(in, sizeof(in) - 1, &req, h, 8, NULL), sizeof(in) - 1);
	assert_true(str_is(req.method, "GET"));
	assert_int_equal(req.method_id, HTTP_M_GET);
	assert_true(str_is(req.target, "/v1/messages/abc?x=1"));
	assert_true(str_is(req.path, "/v1/messages/abc"));
	assert_true(str_is(req.query, "x=1"));
	assert_true(str_is(req.host, "example.com"));
	assert_int_equal(req.version_minor, 1);
	assert_true(req.keep_alive);
	assert_int_equal(req.n_headers, 3);
	assert_true(str_is(h[1].name, "X-A"));
	assert_true(str_is(h[1].value, "v\xff a"));
	assert_true(str_is(h[2].value, ""));
	assert_int_equal(req.flags, HTTP_F_HAS_HOST);
	assert_ptr_equal(http_find_header(&req, "x-b"), &h[2]);
	assert_null(http_find_header(&req, "x-c"));
}

static void test_post_body_and_pipelining(void **state)
{
	static const char in[] = "POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
				 "Expect: 100-continue\r\n\r\nhello"
				 "GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	size_t n = sizeof(in) - 1;
	struct http_header h[8];
	struct http_request req;
	struct http_str body;
	ssize_t head, blen;

	(void)state;
	head = parse_str(in, n, &req, h, 8, NULL);
	assert_true(head > 0);
	assert_int_equal(req.method_id, HTTP_M_POST);
	assert_int_equal(req.content_length, 5);
	assert_int_equal(req.flags & (HTTP_F_HAS_CL | HTTP_F_EXPECT_100),
			 HTTP_F_HAS_CL | HTTP_F_EXPECT_100);
	assert_int_equal(http_body_frame(&req, in + head, 4, &body), HTTP_EAGAIN);
	blen = http_body_frame(&req, in + head, n - (size_t)head, &body);
	assert_int_equal(blen, 5);
	assert_true(str_is(body, "hello"));

	/* The next request starts right after the body. */
	const char *next = in + head + blen;
	size_t rest = n - (size_t)(head + blen);
	assert_int_equal(parse_str(next, rest, &req, h, 8, NULL), rest);
	assert_true(str_is(req.path, "/b"));
	assert_false(req.keep_alive);
	assert_int_equal(http_body_frame(&req, next + rest, 0, &body), 0);
	assert_int_equal(body.n, 0);
}

static void test_keep_alive_rules(void **state)
{
	static const struct {
		const char *in;
		bool keep;
	} t[] = {
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nConnection: CLOSE\r\n\r\n", false },
		{ "GET / HTTP/1.3\r\nHost: a\r\n\r\n", true },
	};
	static const char expect10[] = "POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n";
	struct http_header h[8];
	struct http_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_true(parse_str(t[i].in, strlen(t[i].in), &req, h, 8, NULL) > 0);
		assert_int_equal(req.keep_alive, t[i].keep);
	}
	assert_true(parse_str(expect10, sizeof(expect10) - 1, &req, h, 8, NULL) > 0);
	assert_int_equal(req.flags & HTTP_F_EXPECT_100, 0);
}

static void test_targets(void **state)
{
	static const char abs1[] = "GET http://example.com:8443/v1/x?y=2 HTTP/1.1\r\nHost: other\r\n\r\n";
	static const char abs2[] = "GET https://h?q HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char star[] = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char other[] = "PATCH /a HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_header h[8];
	struct http_request req;

	(void)state;
	assert_true(parse_str(abs1, sizeof(abs1) - 1, &req, h, 8, NULL) > 0);
	assert_true(str_is(req.host, "example.com:8443"));
	assert_true(str_is(req.path, "/v1/x"));
	assert_true(str_is(req.query, "y=2"));
	assert_true(req.flags & HTTP_F_ABSOLUTE);
	assert_true(parse_str(abs2, sizeof(abs2) - 1, &req, h, 8, NULL) > 0);
	assert_true(str_is(req.path, "/"));
	assert_true(str_is(req.query, "q"));
	assert_true(parse_str(star, sizeof(star) - 1, &req, h, 8, NULL) > 0);
	assert_int_equal(req.method_id, HTTP_M_OPTIONS);
	assert_true(str_is(req.path, "*"));
	assert_true(parse_str(other, sizeof(other) - 1, &req, h, 8, NULL) > 0);
	assert_int_equal(req.method_id, HTTP_M_OTHER);
	assert_true(str_is(req.method, "PATCH"));
}

/* Builds "GET /<pad> HTTP/1.1\r\nHost: a\r\n" + n headers + optional CL. */
static size_t build(char *buf, size_t cap, size_t target_len, size_t n_hdrs,
		    size_t value_len, const char *cl)
{
	size_t o = 0;

	o += (size_t)snprintf(buf + o, cap - o, "GET /");
	memset(buf + o, 'a', target_len - 1);
	o += target_len - 1;
	o += (size_t)snprintf(buf + o, cap - o, " HTTP/1.1\r\nHost: a\r\n");
	for (size_t i = 0; i < n_hdrs; i++)
		o += (size_t)snprintf(buf + o, cap - o, "H%zu: v\r\n", i);
	if (value_len) {
		o += (size_t)snprintf(buf + o, cap - o, "Big: ");
		memset(buf + o, 'v', value_len);
		o += value_len;
		o += (size_t)snprintf(buf + o, cap - o, "\r\n");
	}
	if (cl)
		o += (size_t)snprintf(buf + o, cap - o, "Content-Length: %s\r\n", cl);
	o += (size_t)snprintf(buf + o, cap - o, "\r\n");
	assert_true(o < cap);
	return o;
}

/* The documented defaults, each at its boundary. */
static void test_default_limits(void **state)
{
	size_t cap = 40000, n, base;
	char *buf = malloc(cap);
	struct http_header h[70];
	struct http_request req;
	struct http_limits lim;

	(void)state;
	assert_non_null(buf);
	http_limits_default(&lim);
	assert_int_equal(lim.line_max, 8192);
	assert_int_equal(lim.headers_max, 64);
	assert_int_equal(lim.head_max, 16384);
	assert_int_equal(lim.body_max, 16384);

	/* "GET " + target + " HTTP/1.1" = 8192 bytes */
	n = build(buf, cap, 8192 - 13, 0, 0, NULL);
	assert_int_equal(parse_str(buf, n, &req, h, 70, NULL), n);
	n = build(buf, cap, 8192 - 12, 0, 0, NULL);
	assert_int_equal(parse_str(buf, n, &req, h, 70, NULL), HTTP_E_LINE_TOO_LONG);

	n = build(buf, cap, 1, 63, 0, NULL); /* Host + 63 = 64 headers */
	assert_int_equal(parse_str(buf, n, &req, h, 70, NULL), n);
	assert_int_equal(req.n_headers, 64);
	n = build(buf, cap, 1, 64, 0, NULL);
	assert_int_equal(parse_str(buf, n, &req, h, 70, NULL), HTTP_E_TOO_MANY_HEADERS);

	/* Head of exactly 16384 bytes, then one more. */
	base = build(buf, cap, 1, 0, 1, NULL);
	n = build(buf, cap, 1, 0, 1 + 16384 - base, NULL);
	assert_int_equal(n, 16384);
	assert_int_equal(parse_str(buf, n, &req, h, 70, NULL), n);
	n = build(buf, cap, 1, 0, 2 + 16384 - base, NULL);
	assert_int_equal(parse_str(buf, n, &req, h, 70, NULL), HTTP_E_HEAD_TOO_LARGE);

	n = build(buf, cap, 1, 0, 0, "16384");
	assert_int_equal(parse_str(buf, n, &req, h, 70, NULL), n);
	assert_int_equal(req.content_length, 16384);
	n = build(buf, cap, 1, 0, 0, "16385");
	assert_int_equal(parse_str(buf, n, &req, h, 70, NULL), HTTP_E_BODY_TOO_LARGE);
	free(buf);
}

static void test_done_is_sticky(void **state)
{
	static const char in[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET";
	struct http_header h[4];
	struct http_request req = { .headers = h, .headers_cap = 4 };
	struct http_parser ps;

	(void)state;
	http_parser_init(&ps, NULL);
	assert_int_equal(http_parse_request(&ps, in, sizeof(in) - 1, &req), 27);
	assert_int_equal(http_parse_request(&ps, in, sizeof(in) - 1, &req), 27);
	http_parser_init(&ps, NULL);
	assert_int_equal(http_parse_request(&ps, "G\n", 2, &req), HTTP_E_METHOD);
	assert_int_equal(http_parse_request(&ps, "G\n", 2, &req), HTTP_E_METHOD);
}

static void test_error_mapping(void **state)
{
	(void)state;
	assert_int_equal(http_perr_status(HTTP_E_BARE_LF), 400);
	assert_string_equal(http_perr_code(HTTP_E_BARE_LF), "bare_lf");
	assert_int_equal(http_perr_status(HTTP_E_LINE_TOO_LONG), 414);
	assert_int_equal(http_perr_status(HTTP_E_TOO_MANY_HEADERS), 431);
	assert_int_equal(http_perr_status(HTTP_E_HEAD_TOO_LARGE), 431);
	assert_int_equal(http_perr_status(HTTP_E_BODY_TOO_LARGE), 413);
	assert_int_equal(http_perr_status(HTTP_E_TE_CHUNKED), 411);
	assert_int_equal(http_perr_status(HTTP_E_TE_UNSUPPORTED), 501);
	assert_int_equal(http_perr_status(HTTP_E_VERSION_UNSUPPORTED), 505);
	assert_int_equal(http_perr_status(HTTP_E_EXPECT), 417);
	assert_int_equal(http_perr_status(HTTP_EAGAIN), 400);
	assert_string_equal(http_perr_code(-5), "bad_request");
	/* Codes are distinct and non-empty; details exist. */
	for (int a = HTTP_E__FIRST; a <= HTTP_E__LAST; a++) {
		assert_true(strlen(http_perr_code(a)) > 0);
		assert_true(strlen(http_perr_detail(a)) > 0);
		for (int b = a + 1; b <= HTTP_E__LAST; b++)
			assert_string_not_equal(http_perr_code(a), http_perr_code(b));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_cases),
		cmocka_unit_test(test_every_class_covered),
		cmocka_unit_test(test_get_fields),
		cmocka_unit_test(test_post_body_and_pipelining),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_default_limits),
		cmocka_unit_test(test_done_is_sticky),
		cmocka_unit_test(test_error_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
