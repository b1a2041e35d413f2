/*
 * Request router: (method, path) -> handler. Built once at start-up
 * (http_router_init + http_router_add, which may allocate); lookups
 * allocate nothing and touch only the route table.
 *
 * Patterns are exact paths ("/v1/messages") or an exact prefix followed by
 * one final parameter segment ("/v1/messages/{id}"): the parameter matches
 * one non-empty segment (no '/'), handed to the handler raw (still
 * percent-encoded). Exact patterns win over parameter patterns. A GET
 * route also answers HEAD unless a HEAD route is registered. Paths are
 * compared byte for byte (case-sensitive, no normalisation).
 */
#ifndef COLUMBA_GATEWAY_HTTP_ROUTER_H
#define COLUMBA_GATEWAY_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/http/http_parse.h"

/*
 * A handler. @conn is the connection layer's context, @param the
 * "{…}" segment (empty for exact routes), @arg what was given to
 * http_router_add. The return value belongs to the connection layer.
 */
typedef int (*http_handler_fn)(void *conn, const struct http_request *req,
			       struct http_str param, void *arg);

#define HTTP_ALLOW_MAX 48 /* "GET, HEAD, POST, PUT, DELETE, OPTIONS" fits */

struct http_route {
	const char *prefix;   /* pattern up to "{" (or the whole exact path) */
	size_t prefix_len;
	bool has_param;
	http_handler_fn fn[HTTP_M__COUNT];
	void *arg[HTTP_M__COUNT];
	char allow[HTTP_ALLOW_MAX];
	size_t allow_len;
};

struct http_router {
	struct http_route *routes;
	size_t n;
	size_t cap;
};

struct http_route_match {
	http_handler_fn fn;       /* set when the lookup returned 0 */
	void *arg;
	struct http_str param;
	bool head_as_get;         /* HEAD served by the GET handler */
	struct http_str allow;    /* Allow value when the lookup returned 405 */
};

/*
 * http_router_init - allocate room for @max_patterns distinct patterns.
 * Returns 0, -EINVAL if @max_patterns is 0, or -ENOMEM.
 */
int http_router_init(struct http_router *r, size_t max_patterns);

/*
 * http_router_free - release the table; *r may be reused after init.
 */
void http_router_free(struct http_router *r);

/*
 * http_router_add - route @m on @pattern to @fn(…, @arg).
 * @pattern: "/…" exact, or "/…/{name}" with the parameter as the last
 *           segment; not copied, must outlive the router (use literals).
 * Returns 0; -EINVAL for HTTP_M_OTHER, a NULL @fn or a bad pattern
 * (not starting with '/', a '{' that is not one whole final segment, or
 * '?' / '#'); -EEXIST if @m is already routed on @pattern; -ENOSPC when
 * @max_patterns distinct patterns are already registered.
 */
int http_router_add(struct http_router *r, enum http_method m, const char *pattern,
		    http_handler_fn fn, void *arg);

/*
 * http_router_lookup - find the handler for @m on @path (req->path).
 * Returns 0 (out->fn, arg, param set), 404 (no pattern matches the path),
 * 405 (the path matches but not the method; out->allow holds the Allow
 * header value) or 501 (HTTP_M_OTHER: a method this server never serves).
 */
int http_router_lookup(const struct http_router *r, enum http_method m,
		       struct http_str path, struct http_route_match *out);

#endif
