/*
 * Meaning of a parsed request head (RFC 9110/9112): the request target's
 * form, the framing headers (Content-Length, Transfer-Encoding), Host,
 * Connection and Expect. The byte-level grammar is in http_parse.c; the
 * choices are listed at the top of http_parse.h.
 */
#include "gateway/http/http_parse_int.h"
#include "gateway/http/http_chars.h"

#include <string.h>

bool http_str_eq_nocase(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (http__lower(s.p[i]) != http__lower(lit[i]))
			return false;
	return true;
}

/* %HH escapes must be complete and hexadecimal (RFC 3986 §2.1). */
static bool pct_valid(struct http_str s)
{
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] != '%')
			continue;
		if (i + 2 >= s.n || !http__is_hex(s.p[i + 1]) ||
		    !http__is_hex(s.p[i + 2]))
			return false;
		i += 2;
	}
	return true;
}

static bool host_valid(struct http_str h)
{
	for (size_t i = 0; i < h.n; i++)
		if (!http__is_host(h.p[i]))
			return false;
	return pct_valid(h);
}

/* Split "path?query" of an origin-form target (or the path part of one). */
static void split_path(struct http_request *req, struct http_str t)
{
	const char *q = memchr(t.p, '?', t.n);

	if (q) {
		req->path.p = t.p;
		req->path.n = (size_t)(q - t.p);
		req->query.p = q + 1;
		req->query.n = t.n - req->path.n - 1;
	} else {
		req->path = t;
		req->query.p = t.p + t.n;
		req->query.n = 0;
	}
}

/* Absolute-form "http[s]://authority[/path][?query]" (RFC 9112 §3.2.2). */
static int absolute_target(struct http_request *req, struct http_str t)
{
	static const char root[] = "/";
	const char *colon = memchr(t.p, ':', t.n);
	struct http_str scheme, rest, auth;
	size_t i;

	if (!colon)
		return HTTP_E_TARGET;
	scheme = http__slice(t.p, 0, (size_t)(colon - t.p));
	if (!http_str_eq_nocase(scheme, "http") &&
	    !http_str_eq_nocase(scheme, "https"))
		return HTTP_E_TARGET;
	rest = http__slice(t.p, scheme.n + 1, t.n);
	if (rest.n < 2 || rest.p[0] != '/' || rest.p[1] != '/')
		return HTTP_E_TARGET;
	rest.p += 2;
	rest.n -= 2;
	for (i = 0; i < rest.n && rest.p[i] != '/' && rest.p[i] != '?'; i++)
		;
	auth = http__slice(rest.p, 0, i);
	/* userinfo is forbidden in http(s) URIs (RFC 9110 §4.2.4). */
	if (auth.n == 0 || memchr(auth.p, '@', auth.n) || !host_valid(auth))
		return HTTP_E_TARGET;
	rest = http__slice(rest.p, i, rest.n);
	if (memchr(rest.p, '[', rest.n) || memchr(rest.p, ']', rest.n))
		return HTTP_E_TARGET;
	if (rest.n == 0 || rest.p[0] == '?') {
		/* An empty path means "/" (RFC 9112 §3.2.1). */
		req->path.p = root;
		req->path.n = 1;
		req->query.p = rest.n ? rest.p + 1 : rest.p;
		req->query.n = rest.n ? rest.n - 1 : 0;
	} else {
		split_path(req, rest);
	}
	req->host = auth;
	req->flags |= HTTP_F_ABSOLUTE;
	return 0;
}

int http__finish_target(struct http_request *req)
{
	struct http_str t = req->target;

	if (!pct_valid(t))
		return HTTP_E_TARGET;
	if (t.n == 1 && t.p[0] == '*') {
		/* asterisk-form is for server-wide OPTIONS only (§3.2.4). */
		if (req->method_id != HTTP_M_OPTIONS)
			return HTTP_E_TARGET;
		req->path = t;
		req->query.p = t.p + 1;
		req->query.n = 0;
		return 0;
	}
	if (t.p[0] == '/') {
		if (memchr(t.p, '[', t.n) || memchr(t.p, ']', t.n))
			return HTTP_E_TARGET;
		split_path(req, t);
		return 0;
	}
	return absolute_target(req, t);
}

/* Comma-separated, case-insensitive tokens of Connection (RFC 9110 §7.6.1). */
static void connection_tokens(struct http_request *req, struct http_str v)
{
	size_t i = 0;

	while (i < v.n) {
		size_t b, e;

		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
			i++;
		b = i;
		while (i < v.n && v.p[i] != ',')
			i++;
		e = i;
		while (e > b && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
			e--;
		if (http_str_eq_nocase(http__slice(v.p, b, e), "close"))
			req->flags |= HTTP_F_CONN_CLOSE;
		else if (http_str_eq_nocase(http__slice(v.p, b, e), "keep-alive"))
			req->flags |= HTTP_F_CONN_KEEP;
	}
}

static int content_length(struct http_parser *ps, struct http_request *req,
			  struct http_str v)
{
	uint64_t n = 0;

	if (req->flags & HTTP_F_HAS_CL)
		return HTTP_E_DUP_CL;
	if (memchr(v.p, ',', v.n))
		return HTTP_E_DUP_CL; /* "5, 5": a combined duplicate */
	if (v.n == 0)
		return HTTP_E_BAD_CL;
	for (size_t i = 0; i < v.n; i++) {
		unsigned d = (unsigned char)v.p[i] - '0';

		if (d > 9)
			return HTTP_E_BAD_CL;
		/* Saturate: any huge value is simply over body_max. */
		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
	}
	if (req->flags & HTTP_F_HAS_TE)
		return HTTP_E_TE_AND_CL;
	if (n > ps->limits->body_max)
		return HTTP_E_BODY_TOO_LARGE;
	req->content_length = n;
	req->flags |= HTTP_F_HAS_CL;
	return 0;
}

static int transfer_encoding(struct http_parser *ps, struct http_request *req,
			     struct http_str v)
{
	size_t b = v.n;

	if (req->flags & HTTP_F_HAS_CL)
		return HTTP_E_TE_AND_CL;
	req->flags |= HTTP_F_HAS_TE;
	/* Only the last coding decides how the body ends (RFC 9112 §6.3). */
	while (b > 0 && v.p[b - 1] != ',')
		b--;
	while (b < v.n && (v.p[b] == ' ' || v.p[b] == '\t'))
		b++;
	ps->te_chunked = http_str_eq_nocase(http__slice(v.p, b, v.n), "chunked");
	return 0;
}

/* Semantics of the header line just completed. */
int http__finish_header(struct http_parser *ps, struct http_request *req,
			const struct http_header *h)
{
	struct http_str n = h->name;

	switch (n.n) {
	case 4:
		if (!http_str_eq_nocase(n, "host"))
			return 0;
		if (req->flags & HTTP_F_HAS_HOST)
			return HTTP_E_DUP_HOST; /* RFC 9112 §3.2 */
		if (!host_valid(h->value))
			return HTTP_E_BAD_HOST;
		req->flags |= HTTP_F_HAS_HOST;
		if (!(req->flags & HTTP_F_ABSOLUTE))
			req->host = h->value;
		return 0;
	case 6:
		if (!http_str_eq_nocase(n, "expect"))
			return 0;
		if (!http_str_eq_nocase(h->value, "100-continue"))
			return HTTP_E_EXPECT;
		/* An HTTP/1.0 client cannot handle 100 (RFC 9110 §10.1.1). */
		if (req->version_minor == 1)
			req->flags |= HTTP_F_EXPECT_100;
		return 0;
	case 10:
		if (http_str_eq_nocase(n, "connection"))
			connection_tokens(req, h->value);
		return 0;
	case 14:
		if (http_str_eq_nocase(n, "content-length"))
			return content_length(ps, req, h->value);
		return 0;
	case 17:
		if (http_str_eq_nocase(n, "transfer-encoding"))
			return transfer_encoding(ps, req, h->value);
		return 0;
	default:
		return 0;
	}
}

int http__finish_head(struct http_parser *ps, struct http_request *req)
{
	if (req->flags & HTTP_F_HAS_TE)
		return ps->te_chunked ? HTTP_E_TE_CHUNKED : HTTP_E_TE_UNSUPPORTED;
	if (req->version_minor == 1 && !(req->flags & HTTP_F_HAS_HOST))
		return HTTP_E_NO_HOST;
	if (req->flags & HTTP_F_CONN_CLOSE)
		req->keep_alive = false;
	else
		req->keep_alive = req->version_minor == 1 ||
				  (req->flags & HTTP_F_CONN_KEEP);
	return 0;
}

