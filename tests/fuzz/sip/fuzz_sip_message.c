/*
 * libFuzzer driver for the SIP message parser. For each input:
 *   - parse it whole;
 *   - parse a data-derived prefix then the whole on one resumed parser and
 *     abort() unless the result and the slices equal the unsplit run (and
 *     the prefix gave SIP_EAGAIN or the same early error);
 *   - on success: every slice stays inside the input, the header parsers
 *     run on every Via/Contact/auth/list value, and a response written with
 *     the dialog headers parses back with the same Call-ID, CSeq and Vias;
 *   - on error: the code is a SIP_E_* with a name and a status.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sip/sip_parse.h"
#include "gateway/sip/sip_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HDRS 64

static const struct sip_limits small = {
	.line_max = 80, .headers_max = 12, .head_max = 700, .body_max = 100,
};

static const char *g_base;
static size_t g_size;

static void inside(struct sip_str s)
{
	if (s.n == 0)
		return;
	if (s.p < g_base || s.p + s.n > g_base + g_size)
		abort();
}

static void same(struct sip_str a, struct sip_str b)
{
	if (a.n != b.n || (a.n && a.p != b.p))
		abort();
}

static void exercise_values(const struct sip_msg *m)
{
	static const enum sip_hdr ids[] = {
		SIP_H_VIA, SIP_H_CONTACT, SIP_H_ROUTE, SIP_H_RECORD_ROUTE, SIP_H_SUPPORTED,
		SIP_H_AUTHORIZATION, SIP_H_WWW_AUTHENTICATE,
	};
	struct sip_hdr_iter it;
	struct sip_str v, rest;
	struct sip_param p;
	size_t vias = 0;

	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		sip_hdr_iter_init(&it, m, ids[k]);
		while (sip_hdr_iter_next(&it, &v)) {
			struct sip_via via;
			struct sip_contact c;
			struct sip_addr a;
			struct sip_auth au;

			inside(v);
			switch (ids[k]) {
			case SIP_H_VIA:
				/* The parser accepted it: every Via value parses. */
				if (sip_via_parse(v, &via))
					abort();
				inside(via.host);
				inside(via.branch);
				vias++;
				break;
			case SIP_H_CONTACT:
				if (!sip_str_eq(v, "*") && sip_contact_parse(v, &c))
					abort();
				break;
			case SIP_H_AUTHORIZATION:
			case SIP_H_WWW_AUTHENTICATE:
				break;
			default:
				if (sip_addr_parse(v, &a) == 0) {
					inside(a.uri);
					rest = a.params;
					while (sip_param_next(&rest, &p) == 1)
						inside(p.value);
				}
				(void)sip_auth_parse(v, &au);
				break;
			}
		}
	}
	if (vias != m->n_via)
		abort();
	if (m->authorization) {
		struct sip_auth au;

		if (sip_auth_parse(m->authorization->value, &au))
			abort();
		rest = au.params;
		while (sip_auth_param_next(&rest, &p) == 1)
			inside(p.value);
	}
}

static void check_response(const struct sip_msg *req)
{
	static char out[8192];
	struct sip_header h[MAX_HDRS];
	struct sip_msg rsp = { .headers = h, .headers_cap = MAX_HDRS };
	struct sip_parser ps;
	struct sip_str tag = { "fz1", 3 };
	ssize_t n, rc;

	n = sip_write_response(out, sizeof(out), req, 200, NULL, tag, NULL, 0, "ok", 2);
	if (n == -ENOSPC)
		return;
	if (n < 0)
		abort(); /* a parsed request's dialog headers are always writable */
	sip_parser_init(&ps, NULL);
	rc = sip_parse_message(&ps, out, (size_t)n, &rsp);
	if (rc != n || rsp.status != 200 || rsp.cseq != req->cseq || rsp.n_via != req->n_via ||
	    rsp.call_id.n != req->call_id.n || memcmp(rsp.call_id.p, req->call_id.p, req->call_id.n) ||
	    !rsp.to.has_tag || rsp.body.n != 2)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const struct sip_limits *lim = size && (data[size - 1] & 1) ? &small : NULL;
	static struct sip_header h1[MAX_HDRS], h2[MAX_HDRS];
	struct sip_msg m1 = { .headers = h1, .headers_cap = MAX_HDRS };
	struct sip_msg m2 = { .headers = h2, .headers_cap = MAX_HDRS };
	struct sip_parser p1, p2;
	size_t split = size ? ((size_t)data[0] * 131 + data[size / 2]) % (size + 1) : 0;
	ssize_t rc1, rc2, pre;

	g_base = buf;
	g_size = size;
	sip_parser_init(&p1, lim);
	rc1 = sip_parse_message(&p1, buf, size, &m1);

	sip_parser_init(&p2, lim);
	pre = sip_parse_message(&p2, buf, split, &m2);
	if (pre != SIP_EAGAIN && pre != rc1)
		abort();
	rc2 = sip_parse_message(&p2, buf, size, &m2);
	if (rc1 != rc2)
		abort();

	if (rc1 > 0) {
		if ((size_t)rc1 > size || m1.n_headers != m2.n_headers || m1.cseq != m2.cseq ||
		    m1.status != m2.status || m1.n_via != m2.n_via ||
		    m1.content_length != m2.content_length || m1.head_len != m2.head_len)
			abort();
		same(m1.method, m2.method);
		same(m1.ruri_text, m2.ruri_text);
		same(m1.call_id, m2.call_id);
		same(m1.body, m2.body);
		same(m1.to.tag, m2.to.tag);
		for (size_t i = 0; i < m1.n_headers; i++) {
			same(h1[i].name, h2[i].name);
			same(h1[i].value, h2[i].value);
			inside(h1[i].name);
			inside(h1[i].value);
		}
		inside(m1.body);
		inside(m1.from.uri);
		inside(m1.contact.addr.uri);
		exercise_values(&m1);
		if (m1.is_request)
			check_response(&m1);
	} else if (rc1 != SIP_EAGAIN) {
		if (rc1 < SIP_E__FIRST || rc1 > SIP_E__LAST)
			abort();
		if (!strcmp(sip_perr_name((int)rc1), "unknown") || sip_perr_status((int)rc1) < 400)
			abort();
	}
	return 0;
}
