/*
 * HTTP/1.1 request-head parser: a byte-at-a-time state machine (nginx style)
 * whose state survives between calls, so a head arriving in pieces is
 * scanned once. Contract and choices: http_parse.h.
 */
#include "gateway/http/http_parse_int.h"
#include "gateway/http/http_chars.h"

#include <string.h>

#include "base/compiler.h"

enum {
	S_START = 0, /* before the request line; empty lines skipped */
	S_START_LF,
	S_METHOD,
	S_TARGET_START,
	S_TARGET,
	S_VERSION,
	S_RL_LF,
	S_HDR_START,
	S_HDR_NAME,
	S_HDR_OWS,
	S_HDR_VALUE,
	S_HDR_LF,
	S_END_LF,
	S_DONE,
	S_ERROR,
};

void http_limits_default(struct http_limits *lim)
{
	lim->line_max = 8 * 1024;
	lim->headers_max = 64;
	lim->head_max = 16 * 1024;
	lim->body_max = 16 * 1024;
}

static const struct http_limits default_limits = {
	.line_max = 8 * 1024,
	.headers_max = 64,
	.head_max = 16 * 1024,
	.body_max = 16 * 1024,
};

void http_parser_init(struct http_parser *ps, const struct http_limits *lim)
{
	memset(ps, 0, sizeof(*ps));
	ps->limits = lim ? lim : &default_limits;
}

static void restart(struct http_parser *ps, const char *buf,
		    struct http_request *req)
{
	const struct http_limits *lim = ps->limits;
	struct http_header *headers = req->headers;
	size_t cap = req->headers_cap;

	memset(ps, 0, sizeof(*ps));
	ps->limits = lim;
	ps->base = buf;
	memset(req, 0, sizeof(*req));
	req->headers = headers;
	req->headers_cap = cap;
}

static bool str_eq(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static enum http_method method_id(struct http_str m)
{
	static const char *const names[] = {
		[HTTP_M_GET] = "GET",         [HTTP_M_HEAD] = "HEAD",
		[HTTP_M_POST] = "POST",       [HTTP_M_PUT] = "PUT",
		[HTTP_M_DELETE] = "DELETE",   [HTTP_M_OPTIONS] = "OPTIONS",
	};

	/* Methods are case-sensitive (RFC 9110 §9.1). */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i] && str_eq(m, names[i]))
			return (enum http_method)i;
	return HTTP_M_OTHER;
}

/* "HTTP/d.d" at buf[from..from+8); called at the CR ending the line. */
static int finish_version(struct http_request *req, const char *v)
{
	if (v[5] != '1')
		return HTTP_E_VERSION_UNSUPPORTED;
	/* 1.2 .. 1.9 are served as 1.1 (RFC 9110 §6.2). */
	req->version_minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/* One byte of the state machine. Returns 0, 1 (head complete) or an error. */
static int step(struct http_parser *ps, const char *buf, struct http_request *req,
		unsigned char c)
{
	size_t pos = ps->pos;
	size_t cap;
	int rc;

	switch (ps->state) {
	case S_START:
		if (c == '\r') {
			ps->state = S_START_LF;
			return 0;
		}
		if (c == '\n')
			return HTTP_E_BARE_LF;
		if (!http__is_tchar(c))
			return HTTP_E_METHOD;
		ps->line_start = ps->mark = pos;
		ps->state = S_METHOD;
		return 0;
	case S_START_LF:
		if (c != '\n')
			return HTTP_E_BARE_CR;
		ps->state = S_START;
		return 0;
	case S_RL_LF:
	case S_HDR_LF:
	case S_END_LF:
		break;
	case S_HDR_START:
		if (c == '\r') {
			ps->state = S_END_LF;
			return 0;
		}
		if (c == '\n')
			return HTTP_E_BARE_LF;
		if (c == ' ' || c == '\t')
			return HTTP_E_OBS_FOLD; /* RFC 9112 §5.2, §2.2 */
		if (!http__is_tchar(c))
			return HTTP_E_HEADER_NAME;
		cap = req->headers_cap < ps->limits->headers_max ?
			      req->headers_cap : ps->limits->headers_max;
		if (req->n_headers >= cap)
			return HTTP_E_TOO_MANY_HEADERS;
		ps->line_start = ps->mark = pos;
		ps->state = S_HDR_NAME;
		return 0;
	case S_HDR_NAME:
		if (http__is_tchar(c))
			return 0;
		/* Also whitespace before the colon (RFC 9112 §5.1). */
		if (c != ':')
			return HTTP_E_HEADER_NAME;
		req->headers[req->n_headers].name = http__slice(buf, ps->mark, pos);
		ps->state = S_HDR_OWS;
		return 0;
	case S_HDR_OWS:
		if (c == ' ' || c == '\t')
			return 0;
		ps->mark = ps->value_end = pos;
		if (c == '\r') {
			ps->state = S_HDR_LF;
			return 0;
		}
		if (c == '\n')
			return HTTP_E_BARE_LF;
		if (!http__is_vchar(c))
			return HTTP_E_HEADER_VALUE;
		ps->value_end = pos + 1;
		ps->state = S_HDR_VALUE;
		return 0;
	case S_HDR_VALUE:
		if (http__is_vchar(c)) {
			ps->value_end = pos + 1;
			return 0;
		}
		if (c == ' ' || c == '\t')
			return 0;
		if (c == '\r') {
			ps->state = S_HDR_LF;
			return 0;
		}
		return c == '\n' ? HTTP_E_BARE_LF : HTTP_E_HEADER_VALUE;
	default:
		/* Request-line states, bounded by line_max (CRLF excluded). */
		if (pos - ps->line_start >= ps->limits->line_max && c != '\r')
			return HTTP_E_LINE_TOO_LONG;
		switch (ps->state) {
		case S_METHOD:
			if (http__is_tchar(c))
				return 0;
			if (c != ' ')
				return HTTP_E_METHOD;
			req->method = http__slice(buf, ps->mark, pos);
			req->method_id = method_id(req->method);
			ps->state = S_TARGET_START;
			return 0;
		case S_TARGET_START:
			if (c != '/' && c != '*' && !http__is_alpha(c))
				return HTTP_E_TARGET;
			ps->mark = pos;
			ps->state = S_TARGET;
			return 0;
		case S_TARGET:
			if (http__is_target(c))
				return 0;
			if (c != ' ')
				return c == '\r' || c == '\n' ? HTTP_E_VERSION :
								HTTP_E_TARGET;
			req->target = http__slice(buf, ps->mark, pos);
			rc = http__finish_target(req);
			if (rc)
				return rc;
			ps->mark = pos + 1;
			ps->aux = 0;
			ps->state = S_VERSION;
			return 0;
		case S_VERSION:
			if (ps->aux < 8) {
				static const char want[] = "HTTP/D.D";
				char w = want[ps->aux++];
				bool ok = w == 'D' ? http__is_digit(c) : c == (unsigned char)w;

				if (c == '\n')
					return HTTP_E_BARE_LF;
				return ok ? 0 : HTTP_E_VERSION;
			}
			if (c == '\n')
				return HTTP_E_BARE_LF;
			if (c != '\r')
				return HTTP_E_VERSION;
			rc = finish_version(req, buf + ps->mark);
			if (rc)
				return rc;
			ps->state = S_RL_LF;
			return 0;
		default:
			BUG_ON(1);
		}
	}

	/* The LF after a CR. */
	if (c != '\n')
		return HTTP_E_BARE_CR;
	switch (ps->state) {
	case S_RL_LF:
		ps->state = S_HDR_START;
		return 0;
	case S_HDR_LF:
		req->headers[req->n_headers].value = http__slice(buf, ps->mark, ps->value_end);
		rc = http__finish_header(ps, req, &req->headers[req->n_headers]);
		if (rc)
			return rc;
		req->n_headers++;
		ps->state = S_HDR_START;
		return 0;
	default: /* S_END_LF */
		rc = http__finish_head(ps, req);
		return rc ? rc : 1;
	}
}

/*
 * Fast path: skip a run of bytes that cannot change the state (target,
 * header-name and header-value characters) in a tight loop instead of one
 * trip through step() each; this halves the cost of a typical head.
 * Stops before @end, at the line limit, or at the first other byte.
 */
static void skip_run(struct http_parser *ps, const char *buf, size_t end)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = ps->pos;

	switch (ps->state) {
	case S_HDR_VALUE:
		while (i < end && http__is_field(p[i]))
			i++;
		/* Trailing OWS is not part of the value; look back only over
		 * this run so resumed calls stay linear. */
		for (size_t j = i; j > ps->pos; j--) {
			if (p[j - 1] != ' ' && p[j - 1] != '\t') {
				ps->value_end = j;
				break;
			}
		}
		break;
	case S_HDR_NAME:
		while (i < end && http__is_tchar(p[i]))
			i++;
		break;
	case S_TARGET:
		if (end - ps->line_start > ps->limits->line_max)
			end = ps->line_start + ps->limits->line_max;
		while (i < end && http__is_target(p[i]))
			i++;
		break;
	default:
		return;
	}
	if (i > ps->pos)
		ps->pos = i;
}

ssize_t http_parse_request(struct http_parser *ps, const char *buf, size_t len,
			   struct http_request *req)
{
	size_t head_max = ps->limits->head_max;
	size_t end = len < head_max ? len : head_max;

	if (buf != ps->base || len < ps->pos)
		restart(ps, buf, req);
	if (ps->state == S_DONE || ps->state == S_ERROR)
		return ps->result;

	for (; ps->pos < len; ps->pos++) {
		int rc;

		if (ps->pos < end) {
			skip_run(ps, buf, end);
			if (ps->pos >= len)
				break;
		}
		if (ps->pos >= head_max) {
			rc = HTTP_E_HEAD_TOO_LARGE;
		} else {
			rc = step(ps, buf, req, (unsigned char)buf[ps->pos]);
			if (rc == 0)
				continue;
		}
		if (rc == 1) {
			ps->state = S_DONE;
			ps->result = (ssize_t)(ps->pos + 1);
		} else {
			ps->state = S_ERROR;
			ps->result = rc;
		}
		return ps->result;
	}
	return HTTP_EAGAIN;
}

ssize_t http_body_frame(const struct http_request *req, const char *after,
			size_t avail, struct http_str *body)
{
	if (avail < req->content_length)
		return HTTP_EAGAIN;
	if (body) {
		body->p = after;
		body->n = (size_t)req->content_length;
	}
	return (ssize_t)req->content_length;
}

const struct http_header *http_find_header(const struct http_request *req,
					   const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (http_str_eq_nocase(req->headers[i].name, name))
			return &req->headers[i];
	return NULL;
}
