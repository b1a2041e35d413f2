#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include "client/sipua.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "gateway/sip/sip_digest.h"
#include "gateway/sip/sip_parse.h"
#include "gateway/sip/sip_write.h"

enum { MAX_HEADERS = 96 };

/* What a REGISTER's answer told us, copied out of the receive buffer. */
struct reg_answer {
	int status;
	int64_t expires;
	uint64_t min_expires;     /* 423: the server's Min-Expires, 0 if none */
	char realm[256], nonce[256], qop[32];
	enum sip_digest_alg alg;  /* 0: no usable challenge */
};

static void random_hex(char *out, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[32];
	WC_RNG rng;

	if (bytes > sizeof(r))
		bytes = sizeof(r);
	memset(r, 0, sizeof(r));
	if (wc_InitRng(&rng) == 0) {
		wc_RNG_GenerateBlock(&rng, r, (word32)bytes);
		wc_FreeRng(&rng);
	}
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * bytes] = '\0';
}

int cl_sip_ha1(const char *user, const char *realm, const char *password,
	       char md5[33], char sha256[65])
{
	char in[1024], out[SIP_DIGEST_HEX_MAX + 1];
	int n = snprintf(in, sizeof(in), "%s:%s:%s", user, realm, password), rc = 0;

	if (n < 0 || (size_t)n >= sizeof(in))
		return -EINVAL;
	if (sip_digest_hash_hex(SIP_DIGEST_MD5, in, (size_t)n, out) != 32)
		rc = -EIO;
	else
		memcpy(md5, out, 33);
	if (!rc && sip_digest_hash_hex(SIP_DIGEST_SHA256, in, (size_t)n, out) != 64)
		rc = -EIO;
	else if (!rc)
		memcpy(sha256, out, 65);
	explicit_bzero(in, sizeof(in));
	return rc;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

int cl_sip_init(struct cl_sip *s, const char *server, const struct cl_tls_cfg *tls,
		const char *user, const char *domain, const char *ha1_md5,
		const char *ha1_sha256, cl_sip_handler_fn handler, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->conn.fd = -1;
	if (cl_host_port_parse(server, s->host, sizeof(s->host), &s->port) < 0 ||
	    copy_str(s->user, sizeof(s->user), user) || copy_str(s->domain, sizeof(s->domain), domain) ||
	    copy_str(s->ha1_md5, sizeof(s->ha1_md5), ha1_md5 ? ha1_md5 : "") ||
	    copy_str(s->ha1_sha256, sizeof(s->ha1_sha256), ha1_sha256 ? ha1_sha256 : ""))
		return -EINVAL;
	s->tls = *tls;
	if (tls->cafile) {
		if (copy_str(s->cafile, sizeof(s->cafile), tls->cafile))
			return -EINVAL;
		s->tls.cafile = s->cafile;
	}
	s->handler = handler;
	s->handler_arg = arg;
	s->expires_s = 600;
	s->buf = malloc(CL_SIP_BUF);
	if (!s->buf)
		return -ENOMEM;
	random_hex(s->tag, 8);
	return 0;
}

void cl_sip_close(struct cl_sip *s)
{
	cl_conn_close(&s->conn);
	s->len = 0;
	s->registered_until_ms = 0;
}

void cl_sip_fini(struct cl_sip *s)
{
	cl_sip_close(s);
	free(s->buf);
	s->buf = NULL;
	explicit_bzero(s->ha1_md5, sizeof(s->ha1_md5));
	explicit_bzero(s->ha1_sha256, sizeof(s->ha1_sha256));
}

static int send_bytes(struct cl_sip *s, const char *p, size_t n)
{
	int rc = cl_conn_write_all(&s->conn, p, n, clock_mono_ms() + 10000);

	if (rc < 0)
		cl_sip_close(s);
	return rc;
}

int cl_sip_keepalive(struct cl_sip *s)
{
	return send_bytes(s, "\r\n\r\n", 4);
}

/* The user part of a From URI (a Columba user name) into @out. */
static void from_user(const struct sip_msg *m, char out[CL_PEER_MAX + 1])
{
	struct sip_uri u;

	out[0] = '\0';
	if (sip_uri_parse(m->from.uri.p, m->from.uri.n, &u) == 0 && u.has_user &&
	    u.user.n <= CL_PEER_MAX) {
		memcpy(out, u.user.p, u.user.n);
		out[u.user.n] = '\0';
	}
}

static int answer(struct cl_sip *s, const struct sip_msg *req, int status)
{
	static const char allow[] = "MESSAGE, OPTIONS";
	struct sip_hdr_out extra[1] = { { "Allow", { allow, sizeof(allow) - 1 } } };
	struct sip_str tag = { s->tag, strlen(s->tag) };
	char out[4096];
	ssize_t n = sip_write_response(out, sizeof(out), req, status, NULL, tag, extra,
				       status == 405 || req->method_id == SIP_M_OPTIONS ? 1 : 0,
				       NULL, 0);

	if (n < 0)
		return -EPROTO;
	return send_bytes(s, out, (size_t)n);
}

static bool ctype_is(struct sip_str ct, const char *type)
{
	size_t n = strlen(type);

	return ct.n >= n && strncasecmp(ct.p, type, n) == 0 &&
	       (ct.n == n || ct.p[n] == ';' || ct.p[n] == ' ' || ct.p[n] == '\t');
}

/* A MESSAGE from the server: build the event, let the handler decide. */
static int on_message(struct cl_sip *s, const struct sip_msg *m)
{
	struct cl_sip_event ev;
	const char *at = memchr(m->call_id.p, '@', m->call_id.n);
	size_t idn = at ? (size_t)(at - m->call_id.p) : m->call_id.n;
	int status;

	memset(&ev, 0, sizeof(ev));
	from_user(m, ev.from);
	if (idn == CL_SRVID_LEN) {
		memcpy(ev.server_id, m->call_id.p, idn);
		ev.server_id[idn] = '\0';
	}
	if (ctype_is(m->content_type, "message/imdn+xml")) {
		ev.kind = CL_SIP_EV_IMDN;
		if (cl_imdn_parse(m->body.p, m->body.n, ev.about, &ev.state) < 0) {
			log_warn("client", "imdn_unparsable call_id_len=%zu", m->call_id.n);
			return answer(s, m, 400);
		}
	} else if (ctype_is(m->content_type, "text/plain")) {
		ev.kind = CL_SIP_EV_MESSAGE;
		ev.text = m->body.p;
		ev.text_len = m->body.n;
	} else {
		return answer(s, m, 415);
	}
	status = s->handler ? s->handler(&ev, s->handler_arg) : 200;
	return answer(s, m, status);
}

static void take_challenge(const struct sip_msg *m, struct reg_answer *ra, bool have_sha256,
			   bool have_md5)
{
	enum sip_digest_alg best = 0;

	for (size_t i = 0; i < m->n_headers; i++) {
		const struct sip_header *h = &m->headers[i];
		enum sip_digest_alg alg;
		struct sip_auth a;

		if (h->id != SIP_H_WWW_AUTHENTICATE || sip_auth_parse(h->value, &a) != 0 ||
		    !sip_str_eq_nocase(a.scheme, "Digest"))
			continue;
		if (a.algorithm.n == 0 || sip_str_eq_nocase(a.algorithm, "MD5"))
			alg = SIP_DIGEST_MD5;
		else if (sip_str_eq_nocase(a.algorithm, "SHA-256"))
			alg = SIP_DIGEST_SHA256;
		else
			continue;
		if ((alg == SIP_DIGEST_SHA256 && !have_sha256) || (alg == SIP_DIGEST_MD5 && !have_md5))
			continue;
		/* RFC 8760 §2.4: the topmost supported one, SHA-256 preferred. */
		if (best == SIP_DIGEST_SHA256 || (best && alg == SIP_DIGEST_MD5))
			continue;
		if (a.realm.n >= sizeof(ra->realm) || a.nonce.n >= sizeof(ra->nonce) ||
		    a.qop.n >= sizeof(ra->qop))
			continue;
		memcpy(ra->realm, a.realm.p, a.realm.n);
		ra->realm[a.realm.n] = '\0';
		memcpy(ra->nonce, a.nonce.p, a.nonce.n);
		ra->nonce[a.nonce.n] = '\0';
		memcpy(ra->qop, a.qop.p, a.qop.n);
		ra->qop[a.qop.n] = '\0';
		best = alg;
	}
	ra->alg = best;
}

/* The Min-Expires of a 423 answer (RFC 3261 §10.3 step 7), 0 if unusable. */
static uint64_t min_expires(const struct sip_msg *m)
{
	const struct sip_header *h = sip_find_header(m, SIP_H_MIN_EXPIRES, NULL);
	uint64_t v = 0;

	if (!h || h->value.n == 0 || h->value.n > 9)
		return 0;
	for (size_t i = 0; i < h->value.n; i++) {
		if (h->value.p[i] < '0' || h->value.p[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(h->value.p[i] - '0');
	}
	return v;
}

/*
 * Read and handle messages until @deadline_ms, or (with @want_cseq) until
 * the answer to our request @want_cseq arrives (returns 1 with @ra filled).
 */
static int pump(struct cl_sip *s, uint64_t deadline_ms, uint32_t want_cseq, struct reg_answer *ra)
{
	struct sip_header hdrs[MAX_HEADERS];

	for (;;) {
		size_t off = 0;
		int rc = 0;

		while (off < s->len) {
			struct sip_parser ps;
			struct sip_msg m = { .headers = hdrs, .headers_cap = MAX_HEADERS };
			ssize_t n;

			/* From the server a CRLF is a keepalive pong (RFC 5626 §4.4.1:
			 * pings go the other way); count each one as it comes. */
			if (s->len - off >= 2 && s->buf[off] == '\r' && s->buf[off + 1] == '\n') {
				s->pongs++;
				off += 2;
				continue;
			}
			if (s->len - off == 1 && s->buf[off] == '\r')
				break;
			sip_parser_init(&ps, NULL);
			n = sip_parse_message(&ps, s->buf + off, s->len - off, &m);
			if (n == SIP_EAGAIN)
				break;
			if (n < 0) {
				log_warn("client", "sip_unparsable err=%zd", n);
				cl_sip_close(s);
				return -EPROTO;
			}
			off += (size_t)n;
			if (m.is_request) {
				if (m.method_id == SIP_M_MESSAGE)
					rc = on_message(s, &m);
				else if (m.method_id == SIP_M_OPTIONS)
					rc = answer(s, &m, 200);
				else if (m.method_id != SIP_M_ACK)
					rc = answer(s, &m, 405);
			} else if (want_cseq && m.cseq == want_cseq &&
				   m.cseq_method_id == SIP_M_REGISTER && m.status >= 200) {
				ra->status = m.status;
				ra->expires = m.n_contacts && m.contact.addr.uri.n ? m.contact.expires : -1;
				if (ra->expires < 0)
					ra->expires = m.expires;
				take_challenge(&m, ra, s->ha1_sha256[0] != '\0', s->ha1_md5[0] != '\0');
				if (m.status == 423)
					ra->min_expires = min_expires(&m);
				rc = 1;
			}
			if (rc != 0)
				break;
		}
		memmove(s->buf, s->buf + off, s->len - off);
		s->len -= off;
		if (rc != 0)
			return rc;
		if (s->len == CL_SIP_BUF) {
			cl_sip_close(s);
			return -EPROTO;
		}
		if (!cl_conn_pending(&s->conn) && clock_mono_ms() >= deadline_ms)
			return 0;
		ssize_t got = cl_conn_read(&s->conn, s->buf + s->len, CL_SIP_BUF - s->len, deadline_ms);
		if (got == -ETIMEDOUT)
			return want_cseq ? -ETIMEDOUT : 0;
		if (got < 0) {
			cl_sip_close(s);
			return (int)got;
		}
		s->len += (size_t)got;
	}
}

static int send_register(struct cl_sip *s, const struct reg_answer *ch, uint32_t *cseq)
{
	char req[4096], auth[1024] = "", branch[33], uri[300];
	int n;

	snprintf(uri, sizeof(uri), "sips:%s", s->domain);
	if (ch && ch->alg) {
		const char *ha1 = ch->alg == SIP_DIGEST_SHA256 ? s->ha1_sha256 : s->ha1_md5;
		char cnonce[33], nc[9], resp[SIP_DIGEST_HEX_MAX + 1];
		const char *qop = ch->qop[0] ? "auth" : "";
		struct sip_str q = { qop, strlen(qop) };
		int r;

		random_hex(cnonce, 8);
		snprintf(nc, sizeof(nc), "%08x", ++s->nc);
		r = sip_digest_response(ch->alg, (struct sip_str){ ha1, strlen(ha1) },
					(struct sip_str){ ch->nonce, strlen(ch->nonce) },
					(struct sip_str){ nc, 8 }, (struct sip_str){ cnonce, strlen(cnonce) },
					q, (struct sip_str){ "REGISTER", 8 },
					(struct sip_str){ uri, strlen(uri) }, resp);
		if (r < 0)
			return -EIO;
		if (q.n)
			n = snprintf(auth, sizeof(auth),
				     "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
				     "uri=\"%s\", response=\"%s\", algorithm=%s, qop=auth, nc=%s, "
				     "cnonce=\"%s\"\r\n",
				     s->user, ch->realm, ch->nonce, uri, resp,
				     ch->alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5", nc, cnonce);
		else
			n = snprintf(auth, sizeof(auth),
				     "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
				     "uri=\"%s\", response=\"%s\", algorithm=%s\r\n",
				     s->user, ch->realm, ch->nonce, uri, resp,
				     ch->alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5");
		if (n < 0 || (size_t)n >= sizeof(auth))
			return -EINVAL;
	}
	random_hex(branch, 8);
	*cseq = ++s->cseq;
	n = snprintf(req, sizeof(req),
		     "REGISTER %s SIP/2.0\r\n"
		     "Via: SIP/2.0/TLS client.invalid;branch=z9hG4bK%s\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sips:%s@%s>;tag=%s\r\n"
		     "To: <sips:%s@%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "Contact: <sips:%s@client.invalid;transport=tls>\r\n"
		     "Expires: %u\r\n"
		     "User-Agent: columba/1\r\n"
		     "%s"
		     "Content-Length: 0\r\n\r\n",
		     uri, branch, s->user, s->domain, s->tag, s->user, s->domain, s->call_id,
		     *cseq, s->user, s->expires_s, auth);
	if (n < 0 || (size_t)n >= sizeof(req))
		return -EINVAL;
	return send_bytes(s, req, (size_t)n);
}

static int do_register(struct cl_sip *s, uint64_t deadline_ms)
{
	struct reg_answer ra;
	uint32_t cseq;
	int rc;

	for (int round = 0; round < 3; round++) {
		memset(&ra, 0, sizeof(ra));
		rc = send_register(s, NULL, &cseq);
		if (rc == 0)
			rc = pump(s, deadline_ms, cseq, &ra);
		if (rc < 0)
			return rc;
		if (ra.status == 401 && ra.alg) {
			if (strcmp(ra.realm, s->domain) != 0)
				return -EREMCHG;
			struct reg_answer ch = ra;

			memset(&ra, 0, sizeof(ra));
			rc = send_register(s, &ch, &cseq);
			if (rc == 0)
				rc = pump(s, deadline_ms, cseq, &ra);
			if (rc < 0)
				return rc;
		}
		if (ra.status >= 200 && ra.status < 300) {
			uint64_t secs = ra.expires > 0 ? (uint64_t)ra.expires : s->expires_s;

			s->registered_until_ms = clock_mono_ms() + secs * 1000;
			log_info("client", "registered user=%s expires_s=%llu", s->user,
				 (unsigned long long)secs);
			return 0;
		}
		if (ra.status == 423 && ra.min_expires > s->expires_s && ra.min_expires <= 86400) {
			/* Interval Too Brief: ask for the shortest the server takes. */
			s->expires_s = (unsigned)ra.min_expires;
			continue;
		}
		if (ra.status == 403 || (ra.status == 401 && !ra.alg))
			return -EACCES;
		if (ra.status != 401)
			break;
		/* 401 to our answer: a stale nonce gets one more round; else refused. */
	}
	return ra.status == 401 ? -EACCES : -EPROTO;
}

int cl_sip_connect(struct cl_sip *s, uint64_t deadline_ms)
{
	int rc;

	cl_sip_close(s);
	rc = cl_conn_open(&s->conn, s->host, s->port, &s->tls, deadline_ms);
	if (rc < 0)
		return rc;
	random_hex(s->call_id, 12);
	s->nc = 0;
	rc = do_register(s, deadline_ms);
	if (rc < 0)
		cl_sip_close(s);
	return rc;
}

int cl_sip_reregister(struct cl_sip *s, uint64_t deadline_ms)
{
	int rc;

	if (!cl_conn_is_open(&s->conn))
		return -ECONNRESET;
	rc = do_register(s, deadline_ms);
	if (rc < 0)
		cl_sip_close(s);
	return rc;
}

int cl_sip_poll(struct cl_sip *s, uint64_t deadline_ms)
{
	if (!cl_conn_is_open(&s->conn))
		return -ECONNRESET;
	return pump(s, deadline_ms, 0, NULL);
}
