/*
 * SIP message writer. Contract: sip_write.h.
 */
#include "gateway/sip/sip_write.h"
#include "gateway/sip/sip_lex.h"

#include <string.h>

void sip_wbuf_init(struct sip_wbuf *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->n = 0;
	w->err = 0;
}

static int fail(struct sip_wbuf *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

static int put(struct sip_wbuf *w, const char *p, size_t n)
{
	if (w->err)
		return w->err;
	if (w->cap - w->n < n)
		return fail(w, -ENOSPC);
	if (n)
		memcpy(w->buf + w->n, p, n);
	w->n += n;
	return 0;
}

static int puts_(struct sip_wbuf *w, const char *s)
{
	return put(w, s, strlen(s));
}

static int put_uint(struct sip_wbuf *w, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return put(w, tmp + i, sizeof(tmp) - i);
}

static bool name_ok(const char *name)
{
	return name && sip__is_token_str(sip__str(name, strlen(name)));
}

/* A value may hold any byte but CR, LF and the other controls (HTAB ok). */
static bool value_ok(struct sip_str v)
{
	for (size_t i = 0; i < v.n; i++)
		if (sip__is_ctl((unsigned char)v.p[i]))
			return false;
	return true;
}

int sip_write_request_line(struct sip_wbuf *w, const char *method, struct sip_str ruri)
{
	if (!name_ok(method) || ruri.n == 0 || !value_ok(ruri) || memchr(ruri.p, ' ', ruri.n) ||
	    memchr(ruri.p, '\t', ruri.n))
		return fail(w, -EINVAL);
	puts_(w, method);
	put(w, " ", 1);
	put(w, ruri.p, ruri.n);
	return puts_(w, " SIP/2.0\r\n");
}

int sip_write_status_line(struct sip_wbuf *w, int status, const char *reason)
{
	if (status < 100 || status > 699)
		return fail(w, -EINVAL);
	if (!reason)
		reason = sip_reason(status);
	if (!value_ok(sip__str(reason, strlen(reason))))
		return fail(w, -EINVAL);
	puts_(w, "SIP/2.0 ");
	put_uint(w, (uint64_t)status);
	put(w, " ", 1);
	puts_(w, reason);
	return put(w, "\r\n", 2);
}

int sip_write_header(struct sip_wbuf *w, const char *name, struct sip_str value)
{
	if (!name_ok(name) || !value_ok(value))
		return fail(w, -EINVAL);
	puts_(w, name);
	put(w, ": ", 2);
	put(w, value.p, value.n);
	return put(w, "\r\n", 2);
}

int sip_write_header_unfold(struct sip_wbuf *w, const char *name, struct sip_str value)
{
	size_t i = 0;

	/* Parsed values may hold control bytes inside quoted-pairs (RFC 4475
	 * intmeth); anything else that the parser would refuse is refused. */
	if (!name_ok(name) || sip__check_value(value))
		return fail(w, -EINVAL);
	puts_(w, name);
	put(w, ": ", 2);
	while (i < value.n) {
		size_t j = i;

		while (j < value.n && value.p[j] != '\r' && value.p[j] != '\n')
			j++;
		put(w, value.p + i, j - i);
		while (j < value.n && (value.p[j] == '\r' || value.p[j] == '\n'))
			j++;
		i = j;
	}
	return put(w, "\r\n", 2);
}

int sip_write_header_uint(struct sip_wbuf *w, const char *name, uint64_t value)
{
	if (!name_ok(name))
		return fail(w, -EINVAL);
	puts_(w, name);
	put(w, ": ", 2);
	put_uint(w, value);
	return put(w, "\r\n", 2);
}

int sip_write_dialog_headers(struct sip_wbuf *w, const struct sip_msg *req,
			     struct sip_str to_tag)
{
	const struct sip_header *to = NULL;

	if (to_tag.n && !sip__is_token_str(to_tag))
		return fail(w, -EINVAL);
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct sip_header *h = &req->headers[i];

		switch (h->id) {
		case SIP_H_VIA:
		case SIP_H_FROM:
		case SIP_H_CALL_ID:
		case SIP_H_CSEQ:
			sip_write_header_unfold(w, sip_header_name(h->id), h->value);
			break;
		case SIP_H_TO:
			to = h;
			sip_write_header_unfold(w, "To", h->value);
			if (!req->to.has_tag && to_tag.n && !w->err) {
				w->n -= 2; /* reopen the line to append the tag */
				puts_(w, ";tag=");
				put(w, to_tag.p, to_tag.n);
				put(w, "\r\n", 2);
			}
			break;
		default:
			break;
		}
	}
	if (!to)
		return fail(w, -EINVAL); /* not a parsed request */
	return w->err;
}

ssize_t sip_write_finish(struct sip_wbuf *w, const char *body, size_t body_len)
{
	sip_write_header_uint(w, "Content-Length", body_len);
	put(w, "\r\n", 2);
	put(w, body, body_len);
	return w->err ? w->err : (ssize_t)w->n;
}

ssize_t sip_write_response(char *buf, size_t cap, const struct sip_msg *req, int status,
			   const char *reason, struct sip_str to_tag,
			   const struct sip_hdr_out *extra, size_t n_extra,
			   const char *body, size_t body_len)
{
	struct sip_wbuf w;

	sip_wbuf_init(&w, buf, cap);
	sip_write_status_line(&w, status, reason);
	sip_write_dialog_headers(&w, req, to_tag);
	for (size_t i = 0; i < n_extra; i++)
		sip_write_header(&w, extra[i].name, extra[i].value);
	return sip_write_finish(&w, body, body_len);
}

ssize_t sip_write_request(char *buf, size_t cap, const char *method, struct sip_str ruri,
			  const struct sip_hdr_out *hdrs, size_t n_hdrs,
			  const char *body, size_t body_len)
{
	struct sip_wbuf w;

	sip_wbuf_init(&w, buf, cap);
	sip_write_request_line(&w, method, ruri);
	for (size_t i = 0; i < n_hdrs; i++)
		sip_write_header(&w, hdrs[i].name, hdrs[i].value);
	return sip_write_finish(&w, body, body_len);
}

const char *sip_reason(int status)
{
	switch (status) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 423: return "Interval Too Brief";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 483: return "Too Many Hops";
	case 486: return "Busy Here";
	case 488: return "Not Acceptable Here";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 603: return "Decline";
	default: break;
	}
	if (status >= 100 && status < 200)
		return "Provisional";
	if (status < 300)
		return "Success";
	if (status < 400)
		return "Redirection";
	if (status < 500)
		return "Client Error";
	if (status < 600)
		return "Server Error";
	return "Global Failure";
}
