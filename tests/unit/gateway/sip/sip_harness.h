/*
 * Test harness shared by the SIP parser tests: runs one input through the
 * parser whole, at every prefix ending at a PROT_NONE guard page, split at
 * every byte on one resumed parser (also with the buffer moved in between),
 * and byte by byte; asserts every run agrees with the whole-input result.
 * Include after cmocka.h; everything is static.
 */
#ifndef COLUMBA_TESTS_SIP_HARNESS_H
#define COLUMBA_TESTS_SIP_HARNESS_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gateway/sip/sip_parse.h"

#define H_MAX_HDRS 128
#define H_FN static __attribute__((unused))

struct guard {
	char *map;
	size_t map_len;
	char *end;
};

H_FN void guard_init(struct guard *g, size_t max)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (max + page - 1) / page * page;

	if (data == 0)
		data = page;
	g->map_len = data + page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + data, page, PROT_NONE), 0);
	g->end = g->map + data;
}

H_FN void guard_free(struct guard *g)
{
	munmap(g->map, g->map_len);
}

H_FN ssize_t h_parse(const struct sip_limits *lim, const char *buf, size_t len,
		       struct sip_msg *msg, struct sip_header *hdrs, size_t cap)
{
	struct sip_parser ps;

	sip_parser_init(&ps, lim);
	memset(msg, 0, sizeof(*msg));
	msg->headers = hdrs;
	msg->headers_cap = cap;
	return sip_parse_message(&ps, buf, len, msg);
}

/* Expected result for a prefix of k bytes given the whole input's. */
H_FN void h_check_prefix(ssize_t want, size_t k, ssize_t rc, bool *seen_err)
{
	if (want > 0) {
		assert_int_equal(rc, (size_t)want <= k ? want : SIP_EAGAIN);
		return;
	}
	if (want == SIP_EAGAIN) {
		assert_int_equal(rc, SIP_EAGAIN);
		return;
	}
	if (*seen_err) {
		assert_int_equal(rc, want);
		return;
	}
	if (rc != SIP_EAGAIN) {
		assert_int_equal(rc, want);
		*seen_err = true;
	}
}

H_FN void h_str_same(struct sip_str a, const char *ab, struct sip_str b, const char *bb,
		       size_t n)
{
	assert_int_equal(a.n, b.n);
	if (a.p >= ab && a.p <= ab + n)
		assert_int_equal(a.p - ab, b.p - bb);
	else
		assert_ptr_equal(a.p, b.p);
}

H_FN void h_msg_same(const struct sip_msg *a, const char *ab, const struct sip_msg *b,
		       const char *bb, size_t n)
{
	assert_int_equal(a->n_headers, b->n_headers);
	assert_int_equal(a->is_request, b->is_request);
	assert_int_equal(a->method_id, b->method_id);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->cseq, b->cseq);
	assert_int_equal(a->n_via, b->n_via);
	assert_int_equal(a->n_contacts, b->n_contacts);
	assert_int_equal(a->max_forwards, b->max_forwards);
	assert_int_equal(a->content_length, b->content_length);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->head_len, b->head_len);
	h_str_same(a->method, ab, b->method, bb, n);
	h_str_same(a->ruri_text, ab, b->ruri_text, bb, n);
	h_str_same(a->ruri.host, ab, b->ruri.host, bb, n);
	h_str_same(a->call_id, ab, b->call_id, bb, n);
	h_str_same(a->from.uri, ab, b->from.uri, bb, n);
	h_str_same(a->to.tag, ab, b->to.tag, bb, n);
	h_str_same(a->via.branch, ab, b->via.branch, bb, n);
	h_str_same(a->contact.addr.uri, ab, b->contact.addr.uri, bb, n);
	h_str_same(a->body, ab, b->body, bb, n);
	for (size_t i = 0; i < a->n_headers; i++) {
		assert_int_equal(a->headers[i].id, b->headers[i].id);
		h_str_same(a->headers[i].name, ab, b->headers[i].name, bb, n);
		h_str_same(a->headers[i].value, ab, b->headers[i].value, bb, n);
	}
}

/*
 * Run @in (@n bytes) through every feeding pattern. @want is the expected
 * whole-input result. Returns nothing; asserts.
 */
H_FN void h_run(const char *in, size_t n, ssize_t want, const struct sip_limits *lim,
		  size_t cap)
{
	static struct sip_header h_ref[H_MAX_HDRS], h[H_MAX_HDRS];
	struct sip_msg ref, msg;
	struct sip_parser ps;
	struct guard g;
	char *heap = malloc(n ? n : 1), *moved = malloc(n ? n : 1);
	bool seen_err;
	ssize_t rc;

	assert_non_null(heap);
	assert_non_null(moved);
	memcpy(heap, in, n);
	memcpy(moved, in, n);

	rc = h_parse(lim, heap, n, &ref, h_ref, cap);
	if (rc != want)
		fail_msg("input \"%.50s\": got %zd (%s) want %zd (%s)", in, rc, sip_perr_name((int)rc),
			 want, sip_perr_name((int)want));

	guard_init(&g, n);
	seen_err = false;
	for (size_t k = 0; k <= n; k++) {
		memcpy(g.end - k, in, k);
		rc = h_parse(lim, g.end - k, k, &msg, h, cap);
		h_check_prefix(want, k, rc, &seen_err);
		if (k == n && rc > 0)
			h_msg_same(&ref, heap, &msg, g.end - k, n);
	}
	guard_free(&g);

	for (size_t k = 0; k <= n; k++) {
		seen_err = false;
		sip_parser_init(&ps, lim);
		memset(&msg, 0, sizeof(msg));
		msg.headers = h;
		msg.headers_cap = cap;
		rc = sip_parse_message(&ps, heap, k, &msg);
		h_check_prefix(want, k, rc, &seen_err);
		rc = sip_parse_message(&ps, heap, n, &msg);
		assert_int_equal(rc, want);
		if (rc > 0)
			h_msg_same(&ref, heap, &msg, heap, n);

		sip_parser_init(&ps, lim);
		(void)sip_parse_message(&ps, heap, k, &msg);
		rc = sip_parse_message(&ps, moved, n, &msg);
		assert_int_equal(rc, want);
		if (rc > 0)
			h_msg_same(&ref, heap, &msg, moved, n);
	}

	seen_err = false;
	sip_parser_init(&ps, lim);
	memset(&msg, 0, sizeof(msg));
	msg.headers = h;
	msg.headers_cap = cap;
	rc = SIP_EAGAIN;
	for (size_t k = 1; k <= n; k++) {
		rc = sip_parse_message(&ps, heap, k, &msg);
		h_check_prefix(want, k, rc, &seen_err);
	}
	if (n)
		assert_int_equal(rc, want);
	free(heap);
	free(moved);
}

#endif
