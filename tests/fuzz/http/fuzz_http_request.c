/*
 * libFuzzer driver for the HTTP request parser. For each input:
 *   - parse it whole;
 *   - parse a data-derived prefix then the whole on one resumed parser,
 *     and abort() unless the result and every slice equal the unsplit run
 *     (and unless the prefix gave HTTP_EAGAIN or the same early error);
 *   - on success, frame the body and route the path; on error, write the
 *     JSON error answer (detail = raw input bytes) and check with jansson
 *     that its body is valid JSON carrying the expected code.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/http/http_parse.h"
#include "gateway/http/http_write.h"
#include "gateway/http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HDRS 64

static const struct http_limits small = {
	.line_max = 64, .headers_max = 8, .head_max = 512, .body_max = 100,
};

static int h_any(void *conn, const struct http_request *req, struct http_str param, void *arg)
{
	(void)conn; (void)req; (void)param; (void)arg;
	return 0;
}

static void check_same(struct http_str a, struct http_str b, const char *base, size_t n)
{
	bool in = a.p >= base && a.p <= base + n;

	/* Both runs parsed the same buffer: slices must be identical. */
	if (a.n != b.n || a.p != b.p)
		abort();
	if (in && (a.p + a.n > base + n))
		abort(); /* a slice must stay inside the input */
}

static void check_error_answer(int err, const char *detail, size_t n)
{
	static char out[4096];
	struct http_date_cache dc;
	struct http_response rsp = { .status = http_perr_status(err) };
	ssize_t w;
	const char *body;
	json_t *j;
	json_error_t je;

	http_date_init(&dc);
	w = http_write_json_error(out, sizeof(out), &rsp, http_perr_code(err),
				  detail, n, &dc, 1700000000);
	if (w < 0)
		return; /* a long detail may not fit: -ENOSPC is the contract */
	body = memmem(out, (size_t)w, "\r\n\r\n", 4);
	if (!body)
		abort();
	body += 4;
	j = json_loadb(body, (size_t)(out + w - body), JSON_ALLOW_NUL, &je);
	if (!j || strcmp(json_string_value(json_object_get(j, "error")), http_perr_code(err)))
		abort();
	if (json_string_length(json_object_get(j, "detail")) < n)
		abort();
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_router router;
	static bool router_ready;
	const char *buf = (const char *)data;
	const struct http_limits *lim = size && (data[size - 1] & 1) ? &small : NULL;
	struct http_header h1[MAX_HDRS], h2[MAX_HDRS];
	struct http_request r1 = { .headers = h1, .headers_cap = MAX_HDRS };
	struct http_request r2 = { .headers = h2, .headers_cap = MAX_HDRS };
	struct http_parser p1, p2;
	size_t split = size ? ((size_t)data[0] * 131 + data[size / 2]) % (size + 1) : 0;
	ssize_t rc1, rc2, pre;

	if (!router_ready) {
		if (http_router_init(&router, 4) ||
		    http_router_add(&router, HTTP_M_POST, "/v1/messages", h_any, NULL) ||
		    http_router_add(&router, HTTP_M_GET, "/v1/messages/{id}", h_any, NULL))
			abort();
		router_ready = true;
	}

	http_parser_init(&p1, lim);
	rc1 = http_parse_request(&p1, buf, size, &r1);

	http_parser_init(&p2, lim);
	pre = http_parse_request(&p2, buf, split, &r2);
	if (pre != HTTP_EAGAIN && pre != rc1)
		abort();
	rc2 = http_parse_request(&p2, buf, size, &r2);
	if (rc1 != rc2)
		abort();

	if (rc1 > 0) {
		struct http_route_match m;
		struct http_str body;

		if (r1.n_headers != r2.n_headers || r1.flags != r2.flags ||
		    r1.keep_alive != r2.keep_alive || r1.method_id != r2.method_id ||
		    r1.content_length != r2.content_length ||
		    r1.version_minor != r2.version_minor)
			abort();
		check_same(r1.method, r2.method, buf, size);
		check_same(r1.target, r2.target, buf, size);
		check_same(r1.path, r2.path, buf, size);
		check_same(r1.query, r2.query, buf, size);
		check_same(r1.host, r2.host, buf, size);
		for (size_t i = 0; i < r1.n_headers; i++) {
			check_same(h1[i].name, h2[i].name, buf, size);
			check_same(h1[i].value, h2[i].value, buf, size);
		}
		(void)http_body_frame(&r1, buf + rc1, size - (size_t)rc1, &body);
		(void)http_router_lookup(&router, r1.method_id, r1.path, &m);
	} else if (rc1 != HTTP_EAGAIN) {
		if (rc1 < HTTP_E__FIRST || rc1 > HTTP_E__LAST)
			abort();
		check_error_answer((int)rc1, buf, size < 512 ? size : 512);
	}
	return 0;
}
