/* client/http.c: the answer parser's contract. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/http.h"
#include "tests/client/guard.h"

static ssize_t parse(const char *s, struct cl_http_resp *r)
{
	return cl_http_parse_response(s, strlen(s), r);
}

static void test_ok(void **state)
{
	static const char a[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
				"Content-Length: 7\r\n\r\n{\"a\":1}HTTP/1.1";
	struct cl_http_resp r;

	(void)state;
	assert_int_equal(parse(a, &r), (ssize_t)strlen(a) - 8);
	assert_int_equal(r.status, 202);
	assert_int_equal(r.body_len, 7);
	assert_memory_equal(r.body, "{\"a\":1}", 7);
	assert_int_equal(r.retry_after, -1);
	/* every prefix is "need more" */
	for (size_t n = 0; n < strlen(a) - 8; n++)
		assert_int_equal(cl_http_parse_response(a, n, &r), -EAGAIN);
}

static void test_retry_after_and_204(void **state)
{
	struct cl_http_resp r;

	(void)state;
	assert_true(parse("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"
			  "content-length: 0\r\n\r\n", &r) > 0);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.retry_after, 5);
	assert_true(parse("HTTP/1.1 204 No Content\r\n\r\n", &r) > 0);
	assert_int_equal(r.body_len, 0);
}

static void test_malformed(void **state)
{
	struct cl_http_resp r;
	char big[CL_HTTP_HEAD_MAX + 100];

	(void)state;
	assert_int_equal(parse("HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", &r), CL_HTTP_E_STATUS_LINE);
	assert_int_equal(parse("HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", &r), CL_HTTP_E_STATUS_LINE);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", &r), CL_HTTP_E_HEADER);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nA: b\nC: d\r\n\r\n", &r), CL_HTTP_E_HEADER);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\n\r\n", &r), CL_HTTP_E_LENGTH);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", &r),
			 CL_HTTP_E_LENGTH);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &r), CL_HTTP_E_LENGTH);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n", &r), CL_HTTP_E_LENGTH);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big, &r), CL_HTTP_E_TOO_LARGE);
}

static void test_guard_page(void **state)
{
	static const char a[] = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}";
	struct cl_http_resp r;
	void *map = NULL;

	(void)state;
	/* every prefix, each ending at the guard page */
	for (size_t n = 0; n <= strlen(a); n++) {
		char *p = guard_copy(a, n, &map);

		assert_non_null(p);
		assert_int_equal(cl_http_parse_response(p, n, &r), n == strlen(a) ? (ssize_t)n : -EAGAIN);
		guard_free(map);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_guard_page),
		cmocka_unit_test(test_retry_after_and_204),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
