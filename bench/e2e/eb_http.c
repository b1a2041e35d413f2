/* HTTP/1.1 requests and responses for the senders; see eb_http.h. */
#include "bench/e2e/eb_http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int eb_http_post(char *out, size_t cap, const char *host, const char *token, const char *to,
		 const char *text, bool close)
{
	char body[512];
	int bn = snprintf(body, sizeof(body), "{\"to\":\"%s\",\"text\":\"%s\",\"notify\":false}", to,
			  text);
	if (bn < 0 || (size_t)bn >= sizeof(body))
		return -ENOSPC;
	int n = snprintf(out, cap,
			 "POST /v1/messages HTTP/1.1\r\n"
			 "Host: %s\r\n"
			 "Authorization: Bearer %s\r\n"
			 "Content-Type: application/json\r\n"
			 "%s"
			 "Content-Length: %d\r\n\r\n%s",
			 host, token, close ? "Connection: close\r\n" : "", bn, body);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int eb_http_parse(const char *buf, size_t len, struct eb_http_resp *r)
{
	const char *hend = memmem(buf, len, "\r\n\r\n", 4);
	if (hend == NULL)
		return len > 65536 ? -EBADMSG : -EAGAIN;
	if (hend - buf < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return -EBADMSG;
	int st = 0;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EBADMSG;
		st = st * 10 + (buf[i] - '0');
	}
	long clen = (st == 204 || st == 304 || st < 200) ? 0 : -1;
	bool cl = false;
	const char *line = memmem(buf, (size_t)(hend + 2 - buf), "\r\n", 2) + 2;
	while (line < hend + 2) {
		const char *eol = memmem(line, (size_t)(hend + 2 - line), "\r\n", 2);
		size_t n = (size_t)(eol - line);
		if (n > 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
			const char *p = line + 15;
			while (p < eol && *p == ' ')
				p++;
			clen = 0;
			for (; p < eol && *p >= '0' && *p <= '9'; p++)
				clen = clen * 10 + (*p - '0');
			if (p < eol && *p != ' ')
				return -EBADMSG;
		} else if (n > 11 && strncasecmp(line, "Connection:", 11) == 0) {
			const char *p = line + 11;
			while (p < eol && *p == ' ')
				p++;
			if ((size_t)(eol - p) >= 5 && strncasecmp(p, "close", 5) == 0)
				cl = true;
		}
		line = eol + 2;
	}
	if (clen < 0)
		return -EBADMSG;
	size_t total = (size_t)(hend + 4 - buf) + (size_t)clen;
	if (len < total)
		return -EAGAIN;
	r->status = st;
	r->close = cl;
	r->body = hend + 4;
	r->body_len = (size_t)clen;
	return (int)total;
}

size_t eb_http_error_code(const struct eb_http_resp *r, char *out, size_t cap)
{
	static const char key[] = "\"error\":\"";
	const char *p = memmem(r->body, r->body_len, key, sizeof(key) - 1);
	size_t n = 0;
	if (p == NULL || cap == 0)
		return 0;
	p += sizeof(key) - 1;
	const char *end = r->body + r->body_len;
	while (p < end && n + 1 < cap &&
	       ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
		out[n++] = *p++;
	if (p >= end || *p != '"')
		n = 0;
	out[n] = '\0';
	return n;
}
