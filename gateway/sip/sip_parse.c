/*
 * SIP message parser, framing half: a resumable scan of the line structure
 * (CRLF discipline, limits) up to the empty line, then one pass over the
 * complete head (start line, header lines) and the body length.
 * Contract and choices: sip_parse.h.
 */
#include "gateway/sip/sip_parse_int.h"
#include "gateway/sip/sip_lex.h"

#include <limits.h>
#include <string.h>

#include "base/compiler.h"

enum {
	S_LEAD = 0, /* before the start line: CRLFs skipped */
	S_LEAD_LF,
	S_LINE,     /* inside a line of the head */
	S_LINE_LF,  /* after a CR */
	S_BODY,     /* head parsed; waiting for the body */
	S_DONE,
	S_ERROR,
};

static const struct sip_limits default_limits = {
	.line_max = 8 * 1024,
	.headers_max = 96,
	.head_max = 32 * 1024,
	.body_max = 16 * 1024,
};

void sip_limits_default(struct sip_limits *lim)
{
	*lim = default_limits;
}

void sip_parser_init(struct sip_parser *ps, const struct sip_limits *lim)
{
	memset(ps, 0, sizeof(*ps));
	ps->limits = lim ? lim : &default_limits;
}

static void restart(struct sip_parser *ps, const char *buf, struct sip_msg *msg)
{
	const struct sip_limits *lim = ps->limits;

	memset(ps, 0, sizeof(*ps));
	ps->limits = lim;
	ps->base = buf;
	ps->started = true;
	sip__msg_reset(msg);
}

/* End of the logical line starting at @i: the CR of the first CRLF not
 * followed by SP/HTAB. The head always ends with CRLFCRLF. */
static size_t logical_end(const char *h, size_t i, size_t n)
{
	for (;;) {
		const char *cr = memchr(h + i, '\r', n - i);

		BUG_ON(!cr || (size_t)(cr - h) + 2 >= n);
		i = (size_t)(cr - h);
		if (h[i + 2] != ' ' && h[i + 2] != '\t')
			return i;
		i += 2;
	}
}

static int parse_header_line(struct sip_msg *msg, const struct sip_limits *lim,
			     const char *h, size_t i, size_t end, uint64_t *seen)
{
	size_t cap = msg->headers_cap < lim->headers_max ? msg->headers_cap : lim->headers_max;
	size_t t = sip__token_end(h, i, end), c;
	struct sip_header *hd;
	int rc;

	if (msg->n_headers >= cap)
		return SIP_E_TOO_MANY_HEADERS;
	for (c = t; c < end && (h[c] == ' ' || h[c] == '\t'); c++)
		;
	if (t == i || c == end || h[c] != ':')
		return SIP_E_HEADER_NAME;
	hd = &msg->headers[msg->n_headers];
	hd->name = sip__str(h + i, t - i);
	hd->value = sip__trim(sip__str(h + c + 1, end - c - 1));
	hd->id = sip_header_id(hd->name);
	rc = sip__check_value(hd->value);
	if (rc)
		return rc;
	msg->n_headers++;
	return sip__apply_header(msg, hd, lim, seen);
}

/* The complete head h[0..n), from the start line to the empty line's LF. */
static int parse_head(struct sip_msg *msg, const struct sip_limits *lim,
		      const char *h, size_t n)
{
	size_t eol = logical_end(h, 0, n), i;
	uint64_t seen = 0;
	int rc;

	/* The start line cannot be folded. */
	for (i = 0; i < eol; i++)
		if (h[i] == '\r')
			return SIP_E_START_FOLD;
	rc = sip__parse_start_line(msg, h, eol);
	if (rc)
		return rc;
	i = eol + 2;
	while (h[i] != '\r') {
		size_t end = logical_end(h, i, n);

		rc = parse_header_line(msg, lim, h, i, end, &seen);
		if (rc)
			return rc;
		i = end + 2;
	}
	return sip__finish_head(msg, seen);
}

/* Scan new bytes; returns 0 (need more), 1 (head complete) or an error. */
static int scan(struct sip_parser *ps, const char *buf, size_t len)
{
	const struct sip_limits *lim = ps->limits;

	while (ps->pos < len) {
		unsigned char c;

		if (ps->state == S_LINE) {
			/* Fast path: bytes that cannot end or break the line. */
			size_t stop = len;

			if (stop > lim->head_max)
				stop = lim->head_max;
			if (stop > ps->line_start + lim->line_max)
				stop = ps->line_start + lim->line_max;
			while (ps->pos < stop && buf[ps->pos] != '\r' && buf[ps->pos] != '\n')
				ps->pos++;
			if (ps->pos >= len)
				break;
		}
		if (ps->pos >= lim->head_max)
			return SIP_E_HEAD_TOO_LARGE;
		c = (unsigned char)buf[ps->pos];
		switch (ps->state) {
		case S_LEAD:
			if (c == '\r') {
				ps->state = S_LEAD_LF;
			} else if (c == '\n') {
				return SIP_E_BARE_LF;
			} else {
				ps->msg_start = ps->line_start = ps->pos;
				ps->state = S_LINE;
				continue; /* this byte belongs to the line */
			}
			break;
		case S_LEAD_LF:
			if (c != '\n')
				return SIP_E_BARE_CR;
			ps->state = S_LEAD;
			break;
		case S_LINE:
			if (c == '\r')
				ps->state = S_LINE_LF;
			else if (c == '\n')
				return SIP_E_BARE_LF;
			else
				return SIP_E_LINE_TOO_LONG;
			break;
		case S_LINE_LF:
			if (c != '\n')
				return SIP_E_BARE_CR;
			if (ps->pos - 1 == ps->line_start) {
				ps->pos++;
				return 1;
			}
			ps->line_start = ps->pos + 1;
			ps->state = S_LINE;
			break;
		default:
			BUG_ON(1);
		}
		ps->pos++;
	}
	return 0;
}

ssize_t sip_parse_message(struct sip_parser *ps, const char *buf, size_t len,
			  struct sip_msg *msg)
{
	int rc;

	if (buf != ps->base || len < ps->pos || !ps->started)
		restart(ps, buf, msg);
	if (ps->state == S_DONE || ps->state == S_ERROR)
		return ps->result;
	if (ps->state != S_BODY) {
		rc = scan(ps, buf, len);
		if (rc == 0)
			return SIP_EAGAIN;
		if (rc == 1)
			rc = parse_head(msg, ps->limits, buf + ps->msg_start,
					ps->pos - ps->msg_start);
		if (rc) {
			ps->state = S_ERROR;
			ps->result = rc;
			return rc;
		}
		/* Only reachable with a body_max near SIZE_MAX: keep the sum
		 * representable. */
		if (msg->content_length > (uint64_t)(SSIZE_MAX - (ssize_t)ps->pos)) {
			ps->state = S_ERROR;
			ps->result = SIP_E_BODY_TOO_LARGE;
			return ps->result;
		}
		msg->head_len = ps->pos;
		ps->result = (ssize_t)(ps->pos + msg->content_length);
		ps->state = S_BODY;
	}
	if (len < (size_t)ps->result)
		return SIP_EAGAIN;
	msg->body = sip__str(buf + msg->head_len, (size_t)msg->content_length);
	ps->state = S_DONE;
	return ps->result;
}

ssize_t sip_keepalive(const char *buf, size_t len)
{
	static const char ping[] = "\r\n\r\n";
	size_t k;

	if (len == 0)
		return SIP_EAGAIN;
	if (buf[0] != '\r')
		return 0;
	for (k = 0; k < 4 && k < len; k++)
		if (buf[k] != ping[k])
			return k >= 2 ? 2 : 0;
	if (k == 4)
		return 4;
	return SIP_EAGAIN;
}
