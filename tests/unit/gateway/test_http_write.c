/*
 * HTTP response writer: exact bytes, Date caching, -ENOSPC at every
 * buffer size, header-injection refusal, JSON error escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "gateway/http/http_write.h"

/* 1994-11-06 08:49:37 UTC, the RFC 9110 example date. */
#define T0 ((time_t)784111777)

static void test_date(void **state)
{
	struct http_date_cache dc;

	(void)state;
	http_date_init(&dc);
	assert_string_equal(http_date_get(&dc, T0), "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_string_equal(http_date_get(&dc, T0), "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_string_equal(http_date_get(&dc, T0 + 86400 * 31 + 23),
			    "Wed, 07 Dec 1994 08:50:00 GMT");
	assert_string_equal(http_date_get(&dc, 0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

static void test_response_bytes(void **state)
{
	static const char want[] =
		"HTTP/1.1 202 Accepted\r\n"
		"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"Content-Length: 2\r\n"
		"Content-Type: application/json\r\n"
		"Connection: keep-alive\r\n"
		"Retry-After: 5\r\n"
		"\r\n"
		"{}";
	struct http_header extra[] = { { { "Retry-After", 11 }, { "5", 1 } } };
	struct http_response rsp = {
		.status = 202, .content_type = "application/json", .keep_alive = true,
		.extra = extra, .n_extra = 1, .body = "{}", .body_len = 2,
	};
	struct http_date_cache dc;
	char buf[512];
	size_t n = sizeof(want) - 1;

	(void)state;
	http_date_init(&dc);
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), n);
	assert_memory_equal(buf, want, n);

	/* Every smaller buffer fails cleanly, the exact size succeeds. */
	for (size_t cap = 0; cap < n; cap++)
		assert_int_equal(http_write_response(buf, cap, &rsp, &dc, T0), -ENOSPC);
	assert_int_equal(http_write_response(buf, n, &rsp, &dc, T0), n);

	/* HEAD: same Content-Length, no body. */
	rsp.head_only = true;
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), n - 2);
	assert_memory_equal(buf, want, n - 2);
}

static void test_close_and_no_type(void **state)
{
	static const char want[] =
		"HTTP/1.1 204 No Content\r\n"
		"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"Connection: close\r\n\r\n";
	struct http_response rsp = { .status = 204 };
	struct http_date_cache dc;
	char buf[256];

	(void)state;
	http_date_init(&dc);
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
	/* No body on a 204 (it would have no framing). */
	rsp.body = "x";
	rsp.body_len = 1;
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), -EINVAL);
	rsp.body = NULL;
	rsp.body_len = 0;
	rsp.status = 299; /* unknown status: empty reason phrase */
	assert_true(http_write_response(buf, sizeof(buf), &rsp, &dc, T0) > 0);
	assert_memory_equal(buf, "HTTP/1.1 299 \r\n", 15);
}

static void test_rejects_injection(void **state)
{
	struct http_header bad_value[] = { { { "X", 1 }, { "a\r\nSet-Cookie: x", 16 } } };
	struct http_header bad_name[] = { { { "X Y", 3 }, { "a", 1 } } };
	struct http_header empty_name[] = { { { "", 0 }, { "a", 1 } } };
	struct http_response rsp = { .status = 200, .extra = bad_value, .n_extra = 1 };
	struct http_date_cache dc;
	char buf[256];

	(void)state;
	http_date_init(&dc);
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), -EINVAL);
	rsp.extra = bad_name;
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), -EINVAL);
	rsp.extra = empty_name;
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), -EINVAL);
	rsp.n_extra = 0;
	rsp.content_type = "text/plain\r\nX: y";
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), -EINVAL);
	rsp.content_type = NULL;
	rsp.status = 99;
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), -EINVAL);
	rsp.status = 600;
	assert_int_equal(http_write_response(buf, sizeof(buf), &rsp, &dc, T0), -EINVAL);
}

static void test_json_escape(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} t[] = {
		{ "plain", 5, "plain" },
		{ "a\"b\\c", 5, "a\\\"b\\\\c" },
		{ "\n\r\t\x01\x1f\x7f", 6, "\\n\\r\\t\\u0001\\u001f\\u007f" },
		{ "nul\0x", 5, "nul\\u0000x" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "\xff", 1, "\\ufffd" },
		{ "\xc3", 1, "\\ufffd" },                  /* truncated */
		{ "\xc0\xaf", 2, "\\ufffd\\ufffd" },       /* overlong */
		{ "\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* > U+10FFFF */
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t want = strlen(t[i].out);

		assert_int_equal(http_json_escape(NULL, 0, t[i].in, t[i].n), want);
		assert_int_equal(http_json_escape(buf, sizeof(buf), t[i].in, t[i].n), want);
		assert_memory_equal(buf, t[i].out, want);
		if (want)
			assert_int_equal(http_json_escape(buf, want - 1, t[i].in, t[i].n), -ENOSPC);
	}
}

static void test_json_error(void **state)
{
	static const char want[] =
		"HTTP/1.1 429 Too Many Requests\r\n"
		"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"Content-Length: 49\r\n"
		"Content-Type: application/json\r\n"
		"Connection: close\r\n"
		"Retry-After: 30\r\n\r\n"
		"{\"error\":\"rate_limited\",\"detail\":\"slow \\\"down\\\"\"}";
	struct http_header extra[] = { { { "Retry-After", 11 }, { "30", 2 } } };
	struct http_response rsp = { .status = 429, .extra = extra, .n_extra = 1,
				     .content_type = "ignored", .body = "ignored", .body_len = 7 };
	struct http_date_cache dc;
	char buf[512];
	size_t n = sizeof(want) - 1;

	(void)state;
	http_date_init(&dc);
	assert_int_equal(http_write_json_error(buf, sizeof(buf), &rsp, "rate_limited",
					       "slow \"down\"", 11, &dc, T0), n);
	assert_memory_equal(buf, want, n);
	for (size_t cap = 0; cap < n; cap++)
		assert_int_equal(http_write_json_error(buf, cap, &rsp, "rate_limited",
						       "slow \"down\"", 11, &dc, T0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_response_bytes),
		cmocka_unit_test(test_close_and_no_type),
		cmocka_unit_test(test_rejects_injection),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
