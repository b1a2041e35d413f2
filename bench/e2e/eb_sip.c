/* SIP receivers: framing, REGISTER with digest, answering MESSAGEs; see eb_sip.h. */
#include "bench/e2e/eb_sip.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "bench/e2e/eb_digest.h"

#define EB_SIP_MAX_BUF (1024 * 1024)

static bool name_is(const char *p, size_t n, const char *full, char compact)
{
	if (n == 1)
		return (p[0] | 0x20) == compact;
	return n == strlen(full) && strncasecmp(p, full, n) == 0;
}

static struct eb_str trim(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (struct eb_str){ p, (size_t)(end - p) };
}

/* The start line; returns 0 or -EBADMSG. */
static int parse_start(const char *p, const char *eol, struct eb_sip_msg *m)
{
	if (eol - p >= 12 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		m->is_response = true;
		m->status = 0;
		for (int i = 8; i < 11; i++) {
			if (p[i] < '0' || p[i] > '9')
				return -EBADMSG;
			m->status = m->status * 10 + (p[i] - '0');
		}
		return 0;
	}
	const char *sp = memchr(p, ' ', (size_t)(eol - p));
	if (sp == NULL || sp == p || eol - p < 8 || memcmp(eol - 8, " SIP/2.0", 8) != 0)
		return -EBADMSG;
	m->method = (struct eb_str){ p, (size_t)(sp - p) };
	return 0;
}

int eb_sip_parse(const char *buf, size_t len, struct eb_sip_msg *m, size_t *skipped)
{
	size_t off = 0;
	while (off + 1 < len && buf[off] == '\r' && buf[off + 1] == '\n')
		off += 2;
	*skipped = off;
	if (off == len)
		return 0;
	const char *start = buf + off, *end = buf + len;
	const char *hend = memmem(start, (size_t)(end - start), "\r\n\r\n", 4);
	if (hend == NULL)
		return len - off > EB_SIP_MAX_BUF / 2 ? -EBADMSG : -EAGAIN;

	memset(m, 0, sizeof(*m));
	const char *eol = memmem(start, (size_t)(hend + 2 - start), "\r\n", 2);
	if (parse_start(start, eol, m) != 0)
		return -EBADMSG;
	long clen = -1;
	for (const char *line = eol + 2; line < hend + 2; line = eol + 2) {
		eol = memmem(line, (size_t)(hend + 2 - line), "\r\n", 2);
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		if (colon == NULL)
			return -EBADMSG;
		struct eb_str name = trim(line, colon);
		struct eb_str val = trim(colon + 1, eol);
		if (name_is(name.p, name.n, "Via", 'v')) {
			if (m->n_via == EB_SIP_MAX_VIA)
				return -E2BIG;
			m->via[m->n_via++] = val;
		} else if (name_is(name.p, name.n, "From", 'f')) {
			m->from = val;
		} else if (name_is(name.p, name.n, "To", 't')) {
			m->to = val;
		} else if (name_is(name.p, name.n, "Call-ID", 'i')) {
			m->call_id = val;
		} else if (name_is(name.p, name.n, "CSeq", '\0')) {
			m->cseq = val;
		} else if (name_is(name.p, name.n, "Content-Type", 'c')) {
			m->ctype = val;
		} else if (name_is(name.p, name.n, "WWW-Authenticate", '\0')) {
			if (m->n_www_auth < EB_SIP_MAX_AUTH)
				m->www_auth[m->n_www_auth++] = val;
		} else if (name_is(name.p, name.n, "Content-Length", 'l')) {
			if (val.n == 0 || val.n > 7)
				return -EBADMSG;
			clen = 0;
			for (size_t i = 0; i < val.n; i++) {
				if (val.p[i] < '0' || val.p[i] > '9')
					return -EBADMSG;
				clen = clen * 10 + (val.p[i] - '0');
			}
		}
	}
	if (clen < 0)
		return -EBADMSG; /* required on a stream transport */
	const char *body = hend + 4;
	if ((size_t)(end - body) < (size_t)clen)
		return -EAGAIN;
	m->body = (struct eb_str){ body, (size_t)clen };
	return (int)(body + clen - start);
}

static void rand_hex(char *out, size_t nbytes)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[16];
	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	if (getrandom(b, nbytes, 0) != (ssize_t)nbytes) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (size_t i = 0; i < nbytes; i++)
			b[i] = (unsigned char)(ts.tv_nsec >> (i % 4 * 8)) ^ (unsigned char)i;
	}
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends one REGISTER (with @auth when not NULL). */
static int send_register(struct eb_rcv *r, unsigned expires_s, const char *auth)
{
	char req[2048], branch[25];
	rand_hex(branch, 12);
	int n = snprintf(req, sizeof(req),
			 "REGISTER sips:%s SIP/2.0\r\n"
			 "Via: SIP/2.0/TLS bench.invalid;branch=z9hG4bK%s\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sips:%s@%s>;tag=%s\r\n"
			 "To: <sips:%s@%s>\r\n"
			 "Call-ID: reg-%s@bench.invalid\r\n"
			 "CSeq: %u REGISTER\r\n"
			 "Contact: <sips:%s@bench.invalid;transport=tls>\r\n"
			 "Expires: %u\r\n"
			 "%s%s%s"
			 "Content-Length: 0\r\n\r\n",
			 r->domain, branch, r->user, r->domain, r->tag, r->user, r->domain, r->tag,
			 ++r->cseq, r->user, expires_s, auth ? "Authorization: " : "", auth ? auth : "",
			 auth ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return -ENOSPC;
	int rc = eb_conn_queue(&r->c, req, (size_t)n);
	explicit_bzero(req, sizeof(req));
	return rc;
}

/* Sends what is queued and waits for the next response; leaves it parsed in @m with its
 * length in @used (the caller consumes it). */
static int await_response(struct eb_rcv *r, struct eb_sip_msg *m, size_t *used, int64_t deadline)
{
	int rc;
	while (eb_conn_pending(&r->c)) {
		rc = eb_conn_flush(&r->c);
		if (rc < 0)
			return rc;
		if (eb_conn_pending(&r->c) &&
		    (rc = eb_conn_wait(&r->c, true, (int)(deadline - mono_ms()))) <= 0)
			return rc == 0 ? -ETIMEDOUT : rc;
	}
	for (;;) {
		size_t skip;
		int n = eb_sip_parse(r->c.rbuf, r->c.rlen, m, &skip);
		if (n > 0 && m->is_response) {
			*used = skip + (size_t)n;
			return 0;
		}
		if (n > 0 || n == 0) { /* a request before we are registered: not expected */
			if (n > 0) {
				snprintf(r->c.err, sizeof(r->c.err), "request before registration");
				return -EPROTO;
			}
			eb_conn_consume(&r->c, skip);
		} else if (n != -EAGAIN) {
			snprintf(r->c.err, sizeof(r->c.err), "unreadable SIP response");
			return n;
		}
		long got = eb_conn_fill(&r->c, EB_SIP_MAX_BUF);
		if (got < 0)
			return (int)got;
		if (got == 0 && (rc = eb_conn_wait(&r->c, false, (int)(deadline - mono_ms()))) <= 0)
			return rc == 0 ? -ETIMEDOUT : rc;
	}
}

int eb_rcv_register(struct eb_rcv *r, unsigned expires_s, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	struct eb_sip_msg m;
	struct eb_challenge ch;
	char auth[1024], cnonce[17], uri[300];
	size_t used;
	int rc;

	if (r->tag[0] == '\0')
		rand_hex(r->tag, 8);
	rc = send_register(r, expires_s, NULL);
	if (rc == 0)
		rc = await_response(r, &m, &used, deadline);
	if (rc < 0)
		return rc;
	if (m.status != 401) {
		snprintf(r->c.err, sizeof(r->c.err), "REGISTER without credentials: %d", m.status);
		eb_conn_consume(&r->c, used);
		return m.status == 200 ? -EPROTO : -EACCES;
	}
	rc = -EPROTO;
	for (unsigned i = 0; i < m.n_www_auth; i++) {
		if (eb_digest_parse(m.www_auth[i].p, m.www_auth[i].n, &ch) == 0 && ch.sha256) {
			rc = 0;
			break;
		}
	}
	eb_conn_consume(&r->c, used);
	if (rc < 0) {
		snprintf(r->c.err, sizeof(r->c.err), "no SHA-256 digest challenge");
		return rc;
	}
	rand_hex(cnonce, 8);
	snprintf(uri, sizeof(uri), "sips:%s", r->domain);
	rc = eb_digest_authorization(&ch, r->user, r->password, "REGISTER", uri, cnonce, auth,
				     sizeof(auth));
	if (rc < 0)
		return rc;
	rc = send_register(r, expires_s, auth);
	explicit_bzero(auth, sizeof(auth));
	if (rc == 0)
		rc = await_response(r, &m, &used, deadline);
	if (rc < 0)
		return rc;
	int status = m.status;
	eb_conn_consume(&r->c, used);
	if (status != 200) {
		snprintf(r->c.err, sizeof(r->c.err), "REGISTER with credentials: %d", status);
		return -EACCES;
	}
	return 0;
}

/* Appends "Name: value\r\n" to @out at *@off. */
static int put_hdr(char *out, size_t cap, size_t *off, const char *name, struct eb_str v,
		   const char *suffix)
{
	int n = snprintf(out + *off, cap - *off, "%s: %.*s%s\r\n", name, (int)v.n, v.p, suffix);
	if (n < 0 || (size_t)n >= cap - *off)
		return -EBADMSG;
	*off += (size_t)n;
	return 0;
}

/* Queues 200 OK for request @m (the dialog headers copied, a To tag added). */
static int answer_ok(struct eb_rcv *r, const struct eb_sip_msg *m)
{
	char out[4096], tag[40];
	size_t off = 0;
	int rc = 0;

	memcpy(out, "SIP/2.0 200 OK\r\n", 16);
	off = 16;
	for (unsigned i = 0; i < m->n_via && rc == 0; i++)
		rc = put_hdr(out, sizeof(out), &off, "Via", m->via[i], "");
	snprintf(tag, sizeof(tag), ";tag=%s", r->tag);
	bool has_tag = memmem(m->to.p, m->to.n, ";tag=", 5) != NULL;
	if (rc == 0)
		rc = put_hdr(out, sizeof(out), &off, "From", m->from, "");
	if (rc == 0)
		rc = put_hdr(out, sizeof(out), &off, "To", m->to, has_tag ? "" : tag);
	if (rc == 0)
		rc = put_hdr(out, sizeof(out), &off, "Call-ID", m->call_id, "");
	if (rc == 0)
		rc = put_hdr(out, sizeof(out), &off, "CSeq", m->cseq, "");
	if (rc == 0)
		rc = put_hdr(out, sizeof(out), &off, "Content-Length", (struct eb_str){ "0", 1 }, "\r\n");
	if (rc != 0)
		return rc;
	return eb_conn_queue(&r->c, out, off);
}

int eb_rcv_process(struct eb_rcv *r, eb_sip_in_fn fn, void *arg)
{
	size_t off = 0;
	int handled = 0, rc = 0;

	for (;;) {
		struct eb_sip_msg m;
		size_t skip;
		int n = eb_sip_parse(r->c.rbuf + off, r->c.rlen - off, &m, &skip);
		off += skip;
		if (n == 0 || n == -EAGAIN)
			break;
		if (n < 0) {
			snprintf(r->c.err, sizeof(r->c.err), "unreadable SIP message");
			rc = -EBADMSG;
			break;
		}
		off += (size_t)n;
		if (m.is_response)
			continue;
		if (m.from.n == 0 || m.to.n == 0 || m.call_id.n == 0 || m.cseq.n == 0 || m.n_via == 0) {
			snprintf(r->c.err, sizeof(r->c.err), "request without dialog headers");
			rc = -EBADMSG;
			break;
		}
		rc = answer_ok(r, &m);
		if (rc < 0)
			break;
		enum eb_sip_in kind = EB_SIP_IN_OTHER;
		if (m.method.n == 7 && memcmp(m.method.p, "MESSAGE", 7) == 0) {
			static const char imdn[] = "message/imdn+xml";
			bool is_imdn = m.ctype.n >= sizeof(imdn) - 1 &&
				       strncasecmp(m.ctype.p, imdn, sizeof(imdn) - 1) == 0;
			kind = is_imdn ? EB_SIP_IN_IMDN : EB_SIP_IN_TEXT;
		}
		fn(arg, kind, m.body.p, m.body.n);
		handled++;
	}
	eb_conn_consume(&r->c, off);
	return rc < 0 ? rc : handled;
}
