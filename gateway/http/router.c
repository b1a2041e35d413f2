/*
 * Router: a short array of patterns scanned linearly. The API has a
 * handful of paths, so a scan of a few cache lines beats any tree.
 */
#include "gateway/http/router.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"

static const char *const method_names[HTTP_M__COUNT] = {
	[HTTP_M_GET] = "GET",         [HTTP_M_HEAD] = "HEAD",
	[HTTP_M_POST] = "POST",       [HTTP_M_PUT] = "PUT",
	[HTTP_M_DELETE] = "DELETE",   [HTTP_M_OPTIONS] = "OPTIONS",
};

int http_router_init(struct http_router *r, size_t max_patterns)
{
	memset(r, 0, sizeof(*r));
	if (max_patterns == 0)
		return -EINVAL;
	r->routes = calloc(max_patterns, sizeof(*r->routes));
	if (!r->routes)
		return -ENOMEM;
	r->cap = max_patterns;
	return 0;
}

void http_router_free(struct http_router *r)
{
	free(r->routes);
	memset(r, 0, sizeof(*r));
}

/* Split @pattern into prefix and parameter flag; -EINVAL if malformed. */
static int parse_pattern(const char *pattern, size_t *prefix_len, bool *has_param)
{
	const char *brace = strchr(pattern, '{');
	size_t n = strlen(pattern);

	if (pattern[0] != '/' || strpbrk(pattern, "?# "))
		return -EINVAL;
	if (!brace) {
		if (strchr(pattern, '}'))
			return -EINVAL;
		*prefix_len = n;
		*has_param = false;
		return 0;
	}
	/* "{name}" must be the whole last segment. */
	if (brace[-1] != '/' || pattern[n - 1] != '}' || brace + 2 >= pattern + n ||
	    memchr(brace + 1, '{', (size_t)(pattern + n - brace - 1)) ||
	    memchr(brace + 1, '/', (size_t)(pattern + n - brace - 1)) ||
	    memchr(brace + 1, '}', (size_t)(pattern + n - brace - 2)))
		return -EINVAL;
	*prefix_len = (size_t)(brace - pattern);
	*has_param = true;
	return 0;
}

static void build_allow(struct http_route *rt)
{
	size_t n = 0;

	for (int m = 0; m < HTTP_M__COUNT; m++) {
		bool on = rt->fn[m] != NULL ||
			  (m == HTTP_M_HEAD && rt->fn[HTTP_M_GET] != NULL);
		size_t len;

		if (!on || !method_names[m])
			continue;
		len = strlen(method_names[m]);
		BUG_ON(n + len + 2 >= sizeof(rt->allow));
		if (n) {
			memcpy(rt->allow + n, ", ", 2);
			n += 2;
		}
		memcpy(rt->allow + n, method_names[m], len);
		n += len;
	}
	rt->allow[n] = '\0';
	rt->allow_len = n;
}

int http_router_add(struct http_router *r, enum http_method m, const char *pattern,
		    http_handler_fn fn, void *arg)
{
	struct http_route *rt = NULL;
	size_t prefix_len;
	bool has_param;

	if (m < 0 || m >= HTTP_M_OTHER || !fn || !pattern)
		return -EINVAL;
	if (parse_pattern(pattern, &prefix_len, &has_param))
		return -EINVAL;
	for (size_t i = 0; i < r->n; i++) {
		struct http_route *c = &r->routes[i];

		if (c->has_param == has_param && c->prefix_len == prefix_len &&
		    memcmp(c->prefix, pattern, prefix_len) == 0) {
			rt = c;
			break;
		}
	}
	if (!rt) {
		if (r->n == r->cap)
			return -ENOSPC;
		rt = &r->routes[r->n++];
		rt->prefix = pattern;
		rt->prefix_len = prefix_len;
		rt->has_param = has_param;
	}
	if (rt->fn[m])
		return -EEXIST;
	rt->fn[m] = fn;
	rt->arg[m] = arg;
	build_allow(rt);
	return 0;
}

static bool route_matches(const struct http_route *rt, struct http_str path,
			  struct http_str *param)
{
	if (!rt->has_param) {
		if (path.n != rt->prefix_len || memcmp(path.p, rt->prefix, path.n))
			return false;
		param->p = path.p + path.n;
		param->n = 0;
		return true;
	}
	if (path.n <= rt->prefix_len || memcmp(path.p, rt->prefix, rt->prefix_len))
		return false;
	param->p = path.p + rt->prefix_len;
	param->n = path.n - rt->prefix_len;
	return memchr(param->p, '/', param->n) == NULL;
}

int http_router_lookup(const struct http_router *r, enum http_method m,
		       struct http_str path, struct http_route_match *out)
{
	const struct http_route *rt = NULL;
	struct http_str param = { NULL, 0 };

	memset(out, 0, sizeof(*out));
	if (m < 0 || m >= HTTP_M_OTHER)
		return 501;
	/* Exact patterns first, then parameter patterns. */
	for (int pass = 0; pass < 2 && !rt; pass++)
		for (size_t i = 0; i < r->n; i++)
			if (r->routes[i].has_param == (pass == 1) &&
			    route_matches(&r->routes[i], path, &param)) {
				rt = &r->routes[i];
				break;
			}
	if (!rt)
		return 404;
	if (!rt->fn[m] && m == HTTP_M_HEAD && rt->fn[HTTP_M_GET]) {
		m = HTTP_M_GET;
		out->head_as_get = true;
	}
	if (!rt->fn[m]) {
		out->head_as_get = false;
		out->allow.p = rt->allow;
		out->allow.n = rt->allow_len;
		return 405;
	}
	out->fn = rt->fn[m];
	out->arg = rt->arg[m];
	out->param = param;
	return 0;
}
