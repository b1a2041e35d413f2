/*
 * HTTP/1.1 response writer (contract in http_write.h). Output goes through
 * a small bounded appender that remembers overflow, so each field is one
 * call and the -ENOSPC check happens once at the end.
 */
#include "gateway/http/http_write.h"
#include "gateway/http/http_chars.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/compiler.h"

struct wbuf {
	char *p;       /* NULL: count bytes, write nothing */
	size_t cap;
	size_t n;
	bool overflow;
};

static void put(struct wbuf *w, const void *s, size_t n)
{
	if (n == 0)
		return; /* s may be NULL (empty body) */
	if (w->overflow || n > w->cap - w->n) {
		w->overflow = true;
		return;
	}
	if (!w->p) {
		w->n += n; /* measuring only */
		return;
	}
	memcpy(w->p + w->n, s, n);
	w->n += n;
}

static void put_s(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, tmp + i, sizeof(tmp) - i);
}

void http_date_init(struct http_date_cache *dc)
{
	dc->sec = (time_t)-1;
	dc->text[0] = '\0';
}

static void two(char *d, int v)
{
	d[0] = (char)('0' + v / 10 % 10);
	d[1] = (char)('0' + v % 10);
}

const char *http_date_get(struct http_date_cache *dc, time_t now)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	char *d = dc->text;
	int year;

	if (dc->sec == now && d[0])
		return d;
	if (!gmtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm)); /* out of range: 1900-01-00 beats garbage */
	year = tm.tm_year + 1900;
	if (year < 0 || year > 9999)
		year = 0;
	memcpy(d, days + 3 * (tm.tm_wday % 7), 3);
	memcpy(d + 3, ", ", 2);
	two(d + 5, tm.tm_mday);
	d[7] = ' ';
	memcpy(d + 8, months + 3 * (tm.tm_mon % 12), 3);
	d[11] = ' ';
	two(d + 12, year / 100);
	two(d + 14, year % 100);
	d[16] = ' ';
	two(d + 17, tm.tm_hour);
	d[19] = ':';
	two(d + 20, tm.tm_min);
	d[22] = ':';
	two(d + 23, tm.tm_sec);
	memcpy(d + 25, " GMT", 4);
	d[HTTP_DATE_LEN] = '\0';
	dc->sec = now;
	return d;
}

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

/* An extra header must not be able to inject lines (response splitting). */
static bool header_safe(const struct http_header *h)
{
	if (h->name.n == 0)
		return false;
	for (size_t i = 0; i < h->name.n; i++)
		if (!http__is_tchar(h->name.p[i]))
			return false;
	for (size_t i = 0; i < h->value.n; i++) {
		char c = h->value.p[i];

		if (!http__is_vchar(c) && c != ' ' && c != '\t')
			return false;
	}
	return true;
}

/* Everything up to and including the empty line. */
static int write_head(struct wbuf *w, const struct http_response *rsp,
		      const char *content_type, size_t body_len,
		      struct http_date_cache *dc, time_t now)
{
	char code[3];

	if (rsp->status < 100 || rsp->status > 599)
		return -EINVAL;
	/* 1xx and 204 have no body and no Content-Length (RFC 9110 §8.6). */
	if ((rsp->status < 200 || rsp->status == 204) && body_len)
		return -EINVAL;
	for (size_t i = 0; i < rsp->n_extra; i++)
		if (!header_safe(&rsp->extra[i]))
			return -EINVAL;
	code[0] = (char)('0' + rsp->status / 100);
	two(code + 1, rsp->status % 100);
	put_s(w, "HTTP/1.1 ");
	put(w, code, 3);
	put_s(w, " ");
	put_s(w, http_reason(rsp->status));
	put_s(w, "\r\nDate: ");
	put(w, http_date_get(dc, now), HTTP_DATE_LEN);
	if (rsp->status >= 200 && rsp->status != 204) {
		put_s(w, "\r\nContent-Length: ");
		put_u64(w, body_len);
	}
	if (content_type) {
		put_s(w, "\r\nContent-Type: ");
		put_s(w, content_type);
	}
	put_s(w, rsp->keep_alive ? "\r\nConnection: keep-alive\r\n" :
				   "\r\nConnection: close\r\n");
	for (size_t i = 0; i < rsp->n_extra; i++) {
		put(w, rsp->extra[i].name.p, rsp->extra[i].name.n);
		put_s(w, ": ");
		put(w, rsp->extra[i].value.p, rsp->extra[i].value.n);
		put_s(w, "\r\n");
	}
	put_s(w, "\r\n");
	return 0;
}

ssize_t http_write_response(char *buf, size_t cap, const struct http_response *rsp,
			    struct http_date_cache *dc, time_t now)
{
	struct wbuf w = { buf, cap, 0, false };
	int rc;

	if (rsp->content_type) {
		struct http_header ct = { { "Content-Type", 12 },
					  { rsp->content_type, strlen(rsp->content_type) } };
		if (!header_safe(&ct))
			return -EINVAL;
	}
	rc = write_head(&w, rsp, rsp->content_type, rsp->body_len, dc, now);
	if (rc)
		return rc;
	if (!rsp->head_only)
		put(&w, rsp->body, rsp->body_len);
	return w.overflow ? -ENOSPC : (ssize_t)w.n;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (RFC 3629 §4). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char b = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4;
	else
		return 0;
	if (b == 0xe0)
		lo = 0xa0; /* overlong */
	else if (b == 0xed)
		hi = 0x9f; /* surrogates */
	else if (b == 0xf0)
		lo = 0x90; /* overlong */
	else if (b == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static void escape_into(struct wbuf *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
		size_t len;

		if (c >= 0x80) {
			len = utf8_seq(s + i, n - i);
			if (len) {
				put(w, s + i, len);
				i += len;
			} else {
				put_s(w, "\\ufffd");
				i++;
			}
			continue;
		}
		i++;
		switch (c) {
		case '"': put_s(w, "\\\""); continue;
		case '\\': put_s(w, "\\\\"); continue;
		case '\n': put_s(w, "\\n"); continue;
		case '\r': put_s(w, "\\r"); continue;
		case '\t': put_s(w, "\\t"); continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(w, esc, sizeof(esc));
		} else {
			put(w, &c, 1);
		}
	}
}

ssize_t http_json_escape(char *dst, size_t cap, const char *s, size_t n)
{
	/* With dst NULL the appender only counts. */
	struct wbuf w = { dst, dst ? cap : SIZE_MAX, 0, false };

	escape_into(&w, s, n);
	return w.overflow ? -ENOSPC : (ssize_t)w.n;
}

ssize_t http_write_json_error(char *buf, size_t cap, const struct http_response *rsp,
			      const char *code, const char *detail, size_t detail_len,
			      struct http_date_cache *dc, time_t now)
{
	static const char p1[] = "{\"error\":\"", p2[] = "\",\"detail\":\"", p3[] = "\"}";
	struct wbuf w = { buf, cap, 0, false };
	ssize_t code_len = http_json_escape(NULL, 0, code, strlen(code));
	ssize_t detail_esc = http_json_escape(NULL, 0, detail, detail_len);
	size_t body_len = sizeof(p1) - 1 + (size_t)code_len + sizeof(p2) - 1 +
			  (size_t)detail_esc + sizeof(p3) - 1;
	int rc;

	rc = write_head(&w, rsp, "application/json", body_len, dc, now);
	if (rc)
		return rc;
	if (!rsp->head_only) {
		put_s(&w, p1);
		escape_into(&w, code, strlen(code));
		put_s(&w, p2);
		escape_into(&w, detail, detail_len);
		put_s(&w, p3);
	}
	return w.overflow ? -ENOSPC : (ssize_t)w.n;
}
