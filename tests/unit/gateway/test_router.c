/*
 * Router: exact and parameter patterns, 404 / 405 (+Allow) / 501, HEAD
 * served by GET, precedence, and every http_router_add error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "gateway/http/router.h"

static int h_submit(void *conn, const struct http_request *req, struct http_str param, void *arg)
{
	(void)conn; (void)req; (void)param; (void)arg;
	return 1;
}

static int h_status(void *conn, const struct http_request *req, struct http_str param, void *arg)
{
	(void)conn; (void)req; (void)param; (void)arg;
	return 2;
}

static int h_stats(void *conn, const struct http_request *req, struct http_str param, void *arg)
{
	(void)conn; (void)req; (void)param; (void)arg;
	return 3;
}

static struct http_str S(const char *s)
{
	struct http_str r = { s, strlen(s) };
	return r;
}

static int tag_a, tag_b;

static void build(struct http_router *r)
{
	assert_int_equal(http_router_init(r, 4), 0);
	assert_int_equal(http_router_add(r, HTTP_M_POST, "/v1/messages", h_submit, &tag_a), 0);
	assert_int_equal(http_router_add(r, HTTP_M_GET, "/v1/messages/{id}", h_status, &tag_b), 0);
	assert_int_equal(http_router_add(r, HTTP_M_DELETE, "/v1/messages/{id}", h_status, &tag_b), 0);
	assert_int_equal(http_router_add(r, HTTP_M_GET, "/v1/messages/stats", h_stats, NULL), 0);
}

static void test_match(void **state)
{
	struct http_router r;
	struct http_route_match m;

	(void)state;
	build(&r);
	assert_int_equal(http_router_lookup(&r, HTTP_M_POST, S("/v1/messages"), &m), 0);
	assert_ptr_equal(m.fn, h_submit);
	assert_ptr_equal(m.arg, &tag_a);
	assert_int_equal(m.param.n, 0);

	assert_int_equal(http_router_lookup(&r, HTTP_M_GET, S("/v1/messages/01HX"), &m), 0);
	assert_ptr_equal(m.fn, h_status);
	assert_ptr_equal(m.arg, &tag_b);
	assert_int_equal(m.param.n, 4);
	assert_memory_equal(m.param.p, "01HX", 4);
	assert_false(m.head_as_get);

	/* Exact beats parameter whatever the registration order. */
	assert_int_equal(http_router_lookup(&r, HTTP_M_GET, S("/v1/messages/stats"), &m), 0);
	assert_ptr_equal(m.fn, h_stats);

	assert_int_equal(http_router_lookup(&r, HTTP_M_HEAD, S("/v1/messages/x"), &m), 0);
	assert_ptr_equal(m.fn, h_status);
	assert_true(m.head_as_get);
	http_router_free(&r);
}

static void test_not_found_and_not_allowed(void **state)
{
	struct http_router r;
	struct http_route_match m;

	(void)state;
	build(&r);
	assert_int_equal(http_router_lookup(&r, HTTP_M_GET, S("/v1/message"), &m), 404);
	assert_int_equal(http_router_lookup(&r, HTTP_M_GET, S("/v1/messages/"), &m), 404);
	assert_int_equal(http_router_lookup(&r, HTTP_M_GET, S("/v1/messages/a/b"), &m), 404);
	assert_int_equal(http_router_lookup(&r, HTTP_M_GET, S("/V1/messages"), &m), 404);
	assert_int_equal(http_router_lookup(&r, HTTP_M_POST, S("/v1/messagesx"), &m), 404);
	assert_int_equal(http_router_lookup(&r, HTTP_M_GET, S(""), &m), 404);

	assert_int_equal(http_router_lookup(&r, HTTP_M_GET, S("/v1/messages"), &m), 405);
	assert_null(m.fn);
	assert_int_equal(m.allow.n, 4);
	assert_memory_equal(m.allow.p, "POST", 4);
	assert_int_equal(http_router_lookup(&r, HTTP_M_PUT, S("/v1/messages/x"), &m), 405);
	assert_int_equal(m.allow.n, strlen("GET, HEAD, DELETE"));
	assert_memory_equal(m.allow.p, "GET, HEAD, DELETE", m.allow.n);

	assert_int_equal(http_router_lookup(&r, HTTP_M_OTHER, S("/v1/messages"), &m), 501);
	assert_int_equal(http_router_lookup(&r, HTTP_M_OTHER, S("/nowhere"), &m), 501);
	http_router_free(&r);
}

static void test_add_errors(void **state)
{
	struct http_router r;

	(void)state;
	assert_int_equal(http_router_init(&r, 0), -EINVAL);
	assert_int_equal(http_router_init(&r, 2), 0);
	assert_int_equal(http_router_add(&r, HTTP_M_OTHER, "/a", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a", NULL, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "a", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a?b", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a/{}", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a/{id}/b", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a/x{id}", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a/{i}d}", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a/{id", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a}", h_submit, NULL), -EINVAL);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a", h_submit, NULL), 0);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/a", h_stats, NULL), -EEXIST);
	assert_int_equal(http_router_add(&r, HTTP_M_POST, "/a", h_stats, NULL), 0);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/b/{x}", h_submit, NULL), 0);
	/* Same prefix, other parameter name: the same pattern. */
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/b/{y}", h_submit, NULL), -EEXIST);
	assert_int_equal(http_router_add(&r, HTTP_M_GET, "/c", h_submit, NULL), -ENOSPC);
	http_router_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_not_found_and_not_allowed),
		cmocka_unit_test(test_add_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
