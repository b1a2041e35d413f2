#include "client/http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool parse_uint(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

ssize_t cl_http_parse_response(const char *buf, size_t len, struct cl_http_resp *r)
{
	const char *end = NULL, *line, *eol;
	uint64_t clen = 0, v;
	bool have_len = false;
	size_t head_len;

	for (size_t i = 0; i + 3 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
			end = buf + i;
			break;
		}
	}
	if (!end)
		return len > CL_HTTP_HEAD_MAX ? CL_HTTP_E_TOO_LARGE : -EAGAIN;
	head_len = (size_t)(end - buf) + 4;
	if (head_len > CL_HTTP_HEAD_MAX)
		return CL_HTTP_E_TOO_LARGE;
	/* Status line: HTTP/1.x SP 3DIGIT SP reason */
	eol = memchr(buf, '\r', (size_t)(end - buf) + 1);
	if (!eol || eol - buf < 12 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
	    !parse_uint(buf + 9, 3, 599, &v) || v < 100 || buf[12] != ' ')
		return CL_HTTP_E_STATUS_LINE;
	memset(r, 0, sizeof(*r));
	r->status = (int)v;
	r->retry_after = -1;
	for (line = eol + 2; line < end; line = eol + 2) {
		const char *colon, *val;
		size_t name_len, val_len;

		eol = memchr(line, '\r', (size_t)(end - line) + 1);
		if (!eol || eol[1] != '\n' || memchr(line, '\n', (size_t)(eol - line)))
			return CL_HTTP_E_HEADER;
		colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon || colon == line)
			return CL_HTTP_E_HEADER;
		name_len = (size_t)(colon - line);
		val = colon + 1;
		val_len = (size_t)(eol - val);
		trim(&val, &val_len);
		if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
			if (have_len || !parse_uint(val, val_len, CL_HTTP_BUF, &clen))
				return CL_HTTP_E_LENGTH;
			have_len = true;
		} else if (name_len == 11 && strncasecmp(line, "Retry-After", 11) == 0) {
			if (parse_uint(val, val_len, 86400, &v))
				r->retry_after = (int64_t)v;
		}
	}
	if (!have_len && r->status != 204 && r->status != 304 && r->status >= 200)
		return CL_HTTP_E_LENGTH;
	if (head_len + clen > CL_HTTP_BUF)
		return CL_HTTP_E_TOO_LARGE;
	if (len < head_len + clen)
		return -EAGAIN;
	r->body = buf + head_len;
	r->body_len = (size_t)clen;
	return (ssize_t)(head_len + clen);
}

int cl_http_roundtrip(struct cl_http *h, const char *method, const char *host, const char *path,
		      const char *const *headers, const char *body, size_t body_len,
		      struct cl_http_resp *r, uint64_t deadline_ms)
{
	char head[4096];
	size_t n;
	int w, rc;

	if (h->consumed) {
		memmove(h->buf, h->buf + h->consumed, h->len - h->consumed);
		h->len -= h->consumed;
		h->consumed = 0;
	}
	w = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: columba/1\r\n",
		     method, path, host);
	if (w < 0 || (size_t)w >= sizeof(head))
		return -EINVAL;
	n = (size_t)w;
	for (size_t i = 0; headers && headers[i]; i++) {
		w = snprintf(head + n, sizeof(head) - n, "%s\r\n", headers[i]);
		if (w < 0 || (size_t)w >= sizeof(head) - n)
			return -EINVAL;
		n += (size_t)w;
	}
	if (body)
		w = snprintf(head + n, sizeof(head) - n,
			     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", body_len);
	else
		w = snprintf(head + n, sizeof(head) - n, "\r\n");
	if (w < 0 || (size_t)w >= sizeof(head) - n)
		return -EINVAL;
	n += (size_t)w;
	rc = cl_conn_write_all(h->conn, head, n, deadline_ms);
	if (rc == 0 && body && body_len)
		rc = cl_conn_write_all(h->conn, body, body_len, deadline_ms);
	explicit_bzero(head, sizeof(head)); /* it held a token or a password */
	if (rc < 0)
		return rc;
	for (;;) {
		ssize_t got, p = cl_http_parse_response(h->buf, h->len, r);

		if (p > 0) {
			h->consumed = (size_t)p;
			return 0;
		}
		if (p != -EAGAIN)
			return (int)p;
		if (h->len == sizeof(h->buf))
			return CL_HTTP_E_TOO_LARGE;
		got = cl_conn_read(h->conn, h->buf + h->len, sizeof(h->buf) - h->len, deadline_ms);
		if (got < 0)
			return (int)got;
		h->len += (size_t)got;
	}
}
