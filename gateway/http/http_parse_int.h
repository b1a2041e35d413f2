/*
 * Internal to gateway/http: what the byte-level parser (http_parse.c)
 * calls in the semantic layer (http_semantics.c). Each returns 0 or an
 * HTTP_E_* code.
 */
#ifndef COLUMBA_GATEWAY_HTTP_PARSE_INT_H
#define COLUMBA_GATEWAY_HTTP_PARSE_INT_H

#include "gateway/http/http_parse.h"

static inline struct http_str http__slice(const char *buf, size_t from, size_t to)
{
	struct http_str s = { buf + from, to - from };
	return s;
}

/* req->target is set and method_id known: check its form, fill path/query
 * (and host for absolute-form). */
int http__finish_target(struct http_request *req);

/* Header line @h complete: apply Content-Length, Transfer-Encoding, Host,
 * Connection, Expect. */
int http__finish_header(struct http_parser *ps, struct http_request *req,
			const struct http_header *h);

/* Empty line seen: final framing checks and keep_alive. */
int http__finish_head(struct http_parser *ps, struct http_request *req);

#endif
