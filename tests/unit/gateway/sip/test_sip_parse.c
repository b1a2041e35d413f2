/*
 * SIP message parser: valid messages, one case (at least) per malformed
 * class, each run whole, at every guard-page prefix, split at every byte and
 * byte by byte (sip_harness.h); then the extracted fields, the iterators,
 * keepalives and the error tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sip/sip_parse.h"
#include "sip_harness.h"

static const struct sip_limits small = {
	.line_max = 64, .headers_max = 8, .head_max = 512, .body_max = 100,
};

#define VIA  "Via: SIP/2.0/TLS h.example.com;branch=z9hG4bK1\r\n"
#define FROM "From: <sip:a@example.com>;tag=1\r\n"
#define TO   "To: <sip:b@example.com>\r\n"
#define CID  "Call-ID: c1@h\r\n"
#define CSEQ "CSeq: 1 OPTIONS\r\n"
#define HDRS VIA FROM TO CID CSEQ
#define RL   "OPTIONS sip:b@example.com SIP/2.0\r\n"
#define REQ  RL HDRS
#define CL0  "Content-Length: 0\r\n\r\n"
#define SL   "SIP/2.0 200 OK\r\n"

struct pcase {
	const char *in;
	ssize_t want; /* VALID (whole input is one message) or SIP_E_* */
	const struct sip_limits *lim;
	size_t cap;   /* 0: H_MAX_HDRS */
};

#define VALID 0

static const struct pcase cases[] = {
	{ REQ CL0, VALID, NULL, 0 },
	{ SL HDRS "Content-Length: 5\r\n\r\nhello", VALID, NULL, 0 },
	{ "\r\n\r\n" REQ CL0, VALID, NULL, 0 },
	{ "sip/2.0 404 \r\n" HDRS CL0, VALID, NULL, 0 },
	{ "OPTIONS sip:b@example.com sip/2.0\r\n" HDRS CL0, VALID, NULL, 0 },
	{ "OPTIONS sips:b@[2001:db8::1]:5061;transport=tls SIP/2.0\r\n" HDRS CL0, VALID, NULL, 0 },
	{ RL "v: SIP/2.0/TLS h.example.com\r\n ;branch=z9hG4bK1, SIP / 2.0 / TCP [::1]:5061\r\n"
	  "f: <sip:a@example.com>\r\n\t;tag=1\r\nt : sip:b@example.com\r\ni:c1\r\ncseq :\r\n 1\r\n OPTIONS\r\n"
	  "l:\r\n 0\r\n\r\n", VALID, NULL, 0 },
	{ "REGISTER sip:example.com SIP/2.0\r\n" VIA FROM TO CID "CSeq: 2 REGISTER\r\n"
	  "Contact: *\r\nExpires: 0\r\n" CL0, VALID, NULL, 0 },
	{ REQ "X-Q: \"a\\\x01\" \xe2\x82\xac\r\nSupported:\r\n" CL0, VALID, NULL, 0 },
	{ REQ "Content-Length: 100\r\n\r\n"
	  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
	  VALID, &small, 0 },
	{ REQ "X-Line: 12345678901234567890123456789012345678901234567890123456\r\n" CL0,
	  VALID, &small, 0 }, /* a line of exactly line_max bytes */
	{ REQ "XA: 1\r\nXB: 2\r\n" CL0, VALID, &small, 0 }, /* 8 headers */

	{ REQ "Content-Length: 0\n\r\n", SIP_E_BARE_LF, NULL, 0 },
	{ "\nOPTIONS sip:b@example.com SIP/2.0\r\n", SIP_E_BARE_LF, NULL, 0 },
	{ REQ CL0 "\n", VALID, NULL, 0 }, /* bytes after the message are not its business */
	{ "OPTIONS sip:b@example.com SIP/2.0\rX", SIP_E_BARE_CR, NULL, 0 },
	{ "\rOPTIONS", SIP_E_BARE_CR, NULL, 0 },
	{ REQ "Content-Length: 0\r\n\r\r", SIP_E_BARE_CR, NULL, 0 },
	{ RL " " HDRS CL0, SIP_E_START_FOLD, NULL, 0 },
	{ "OPTIONS  sip:b@example.com SIP/2.0\r\n" HDRS CL0, SIP_E_START_LINE, NULL, 0 },
	{ "OPTIONS sip:b@example.com  SIP/2.0\r\n" HDRS CL0, SIP_E_START_LINE, NULL, 0 },
	{ "OPTIONS sip:b@example.com SIP/2.0 \r\n" HDRS CL0, SIP_E_START_LINE, NULL, 0 },
	{ "OPTIONS\r\n" HDRS CL0, SIP_E_START_LINE, NULL, 0 },
	{ "OPTIONS sip:b@example.com\r\n" HDRS CL0, SIP_E_START_LINE, NULL, 0 },
	{ "OPT(ONS sip:b@example.com SIP/2.0\r\n" HDRS CL0, SIP_E_METHOD, NULL, 0 },
	{ " OPTIONS sip:b@example.com SIP/2.0\r\n" HDRS CL0, SIP_E_METHOD, NULL, 0 },
	{ "OPTIONS <sip:b@example.com> SIP/2.0\r\n" HDRS CL0, SIP_E_RURI, NULL, 0 },
	{ "OPTIONS sip:b@exa mple.com SIP/2.0\r\n" HDRS CL0, SIP_E_RURI, NULL, 0 },
	{ "OPTIONS sip:b@example.com?x=y SIP/2.0\r\n" HDRS CL0, SIP_E_RURI, NULL, 0 },
	{ "OPTIONS sip:b@-bad-.com SIP/2.0\r\n" HDRS CL0, SIP_E_RURI, NULL, 0 },
	{ "OPTIONS 1sip:b SIP/2.0\r\n" HDRS CL0, SIP_E_RURI, NULL, 0 },
	{ "OPTIONS tel:+15551234 SIP/2.0\r\n" HDRS CL0, SIP_E_URI_SCHEME, NULL, 0 },
	{ "OPTIONS http://example.com/ SIP/2.0\r\n" HDRS CL0, SIP_E_URI_SCHEME, NULL, 0 },
	{ "OPTIONS sip:b@example.com SIP/2.x\r\n" HDRS CL0, SIP_E_VERSION, NULL, 0 },
	{ "OPTIONS sip:b@example.com HTTP/1.1\r\n" HDRS CL0, SIP_E_VERSION, NULL, 0 },
	{ "SIP/2 200 OK\r\n" HDRS CL0, SIP_E_VERSION, NULL, 0 },
	{ "OPTIONS sip:b@example.com SIP/3.0\r\n" HDRS CL0, SIP_E_VERSION_UNSUPPORTED, NULL, 0 },
	{ "SIP/2.1 200 OK\r\n" HDRS CL0, SIP_E_VERSION_UNSUPPORTED, NULL, 0 },
	{ "SIP/2.0 99 Low\r\n" HDRS CL0, SIP_E_STATUS, NULL, 0 },
	{ "SIP/2.0 2000 OK\r\n" HDRS CL0, SIP_E_STATUS, NULL, 0 },
	{ "SIP/2.0 700 Hm\r\n" HDRS CL0, SIP_E_STATUS, NULL, 0 },
	{ "SIP/2.0 200\r\n" HDRS CL0, SIP_E_STATUS, NULL, 0 },
	{ "SIP/2.0 200 O\x01K\r\n" HDRS CL0, SIP_E_REASON, NULL, 0 },
	{ REQ "Fr om: x\r\n" CL0, SIP_E_HEADER_NAME, NULL, 0 },
	{ REQ ": x\r\n" CL0, SIP_E_HEADER_NAME, NULL, 0 },
	{ REQ "NoColon\r\n" CL0, SIP_E_HEADER_NAME, NULL, 0 },
	{ REQ "X(: 1\r\n" CL0, SIP_E_HEADER_NAME, NULL, 0 },
	{ REQ "X-A: a\x01" "b\r\n" CL0, SIP_E_HEADER_VALUE, NULL, 0 },
	{ REQ "X-A: \"a\x7f\"\r\n" CL0, SIP_E_HEADER_VALUE, NULL, 0 },
	{ REQ "Call-ID: c2@h\r\n" CL0, SIP_E_DUP_HEADER, NULL, 0 },
	{ REQ "Max-Forwards: 70\r\nMax-Forwards: 70\r\n" CL0, SIP_E_DUP_HEADER, NULL, 0 },
	{ RL FROM TO CID CSEQ CL0, SIP_E_MISSING_HEADER, NULL, 0 },
	{ RL VIA FROM TO CSEQ CL0, SIP_E_MISSING_HEADER, NULL, 0 },
	{ REQ "\r\n", SIP_E_NO_CL, NULL, 0 },
	{ REQ "Content-Length: 0\r\nl: 0\r\n\r\n", SIP_E_DUP_CL, NULL, 0 },
	{ REQ "Content-Length: 1a\r\n\r\n", SIP_E_BAD_CL, NULL, 0 },
	{ REQ "Content-Length: +1\r\n\r\n", SIP_E_BAD_CL, NULL, 0 },
	{ REQ "Content-Length:\r\n\r\n", SIP_E_BAD_CL, NULL, 0 },
	{ RL VIA FROM TO CID "CSeq: 2147483648 OPTIONS\r\n" CL0, SIP_E_CSEQ, NULL, 0 },
	{ RL VIA FROM TO CID "CSeq: OPTIONS\r\n" CL0, SIP_E_CSEQ, NULL, 0 },
	{ RL VIA FROM TO CID "CSeq: 1\r\n" CL0, SIP_E_CSEQ, NULL, 0 },
	{ RL VIA FROM TO CID "CSeq: 1 OPTIONS x\r\n" CL0, SIP_E_CSEQ, NULL, 0 },
	{ RL VIA FROM TO CID "CSeq: 1 INVITE\r\n" CL0, SIP_E_CSEQ_MISMATCH, NULL, 0 },
	{ RL VIA FROM TO CID "CSeq: 1 options\r\n" CL0, SIP_E_CSEQ_MISMATCH, NULL, 0 },
	{ RL VIA FROM TO "Call-ID: a b\r\n" CSEQ CL0, SIP_E_CALL_ID, NULL, 0 },
	{ RL VIA FROM TO "Call-ID: @b\r\n" CSEQ CL0, SIP_E_CALL_ID, NULL, 0 },
	{ RL VIA FROM TO "Call-ID: a@b@c\r\n" CSEQ CL0, SIP_E_CALL_ID, NULL, 0 },
	{ RL VIA FROM TO "Call-ID:\r\n" CSEQ CL0, SIP_E_CALL_ID, NULL, 0 },
	{ RL VIA FROM "To: <sip:b@example.com\r\n" CID CSEQ CL0, SIP_E_ADDR, NULL, 0 },
	{ RL VIA "From: sip:a@example.com;tag=\"1\"\r\n" TO CID CSEQ CL0, SIP_E_ADDR, NULL, 0 },
	{ RL VIA "From: sip:a@example.com;tag=1;tag=2\r\n" TO CID CSEQ CL0, SIP_E_ADDR, NULL, 0 },
	{ RL VIA FROM "To: sip:@example.com\r\n" CID CSEQ CL0, SIP_E_ADDR, NULL, 0 },
	{ RL VIA FROM "To: <sip:b@example.com> x\r\n" CID CSEQ CL0, SIP_E_ADDR, NULL, 0 },
	{ REQ "Contact: <sip:x@h>, \r\n" CL0, SIP_E_ADDR, NULL, 0 },
	{ REQ "Contact: *, <sip:x@h>\r\n" CL0, SIP_E_ADDR, NULL, 0 },
	{ REQ "Contact: <sip:x@h>;+sip.instance=abc\r\n" CL0, SIP_E_ADDR, NULL, 0 },
	{ RL "Via: SIP/2.0/TLS\r\n" FROM TO CID CSEQ CL0, SIP_E_VIA, NULL, 0 },
	{ RL "Via: SIP/3.0/TLS h\r\n" FROM TO CID CSEQ CL0, SIP_E_VIA, NULL, 0 },
	{ RL "Via: SIP/2.0/TLS h;branch\r\n" FROM TO CID CSEQ CL0, SIP_E_VIA, NULL, 0 },
	{ RL "Via: SIP/2.0/TLS h:99999\r\n" FROM TO CID CSEQ CL0, SIP_E_VIA, NULL, 0 },
	{ RL "Via: SIP/2.0/TLS h,\r\n" FROM TO CID CSEQ CL0, SIP_E_VIA, NULL, 0 },
	{ RL "Via: SIP/2.0/TLS h x\r\n" FROM TO CID CSEQ CL0, SIP_E_VIA, NULL, 0 },
	{ REQ "Max-Forwards: 256\r\n" CL0, SIP_E_NUMBER, NULL, 0 },
	{ REQ "Max-Forwards: -1\r\n" CL0, SIP_E_NUMBER, NULL, 0 },
	{ REQ "Expires: 4294967296\r\n" CL0, SIP_E_NUMBER, NULL, 0 },
	{ REQ "Flow-Timer: 1 2\r\n" CL0, SIP_E_NUMBER, NULL, 0 },
	{ REQ "Contact: <sip:x@h>;expires=4294967296\r\n" CL0, SIP_E_NUMBER, NULL, 0 },
	{ REQ "Contact: <sip:x@h>;q=1.5\r\n" CL0, SIP_E_NUMBER, NULL, 0 },
	{ REQ "Contact: <sip:x@h>;q=0.1234\r\n" CL0, SIP_E_NUMBER, NULL, 0 },
	{ REQ "Contact: <sip:x@h>;reg-id=0\r\n" CL0, SIP_E_NUMBER, NULL, 0 },
	{ REQ "Authorization: Digest\r\n" CL0, SIP_E_AUTH, NULL, 0 },
	{ REQ "Authorization: Digest username=\"a\", username=\"b\"\r\n" CL0, SIP_E_AUTH, NULL, 0 },
	{ REQ "Authorization: Digest realm=\"x\",\r\n" CL0, SIP_E_AUTH, NULL, 0 },
	{ REQ "Proxy-Authorization: Digest realm\r\n" CL0, SIP_E_AUTH, NULL, 0 },
	{ REQ "WWW-Authenticate: Digest realm=\"x\" nonce=\"y\"\r\n" CL0, SIP_E_AUTH, NULL, 0 },
	{ REQ "Date: Mon, 32 Jan 2024 00:00:00 GMT\r\n" CL0, SIP_E_DATE, NULL, 0 },
	{ REQ "Date: Mon, 01 Jan 2024 00:00:00 UTC\r\n" CL0, SIP_E_DATE, NULL, 0 },
	{ REQ "Content-Type: text\r\n" CL0, SIP_E_CONTENT_TYPE, NULL, 0 },
	{ REQ "c: text/plain;\r\n" CL0, SIP_E_CONTENT_TYPE, NULL, 0 },
	{ REQ "Supported: a b\r\n" CL0, SIP_E_OPTION_TAGS, NULL, 0 },
	{ REQ "Require: a,,b\r\n" CL0, SIP_E_OPTION_TAGS, NULL, 0 },
	{ REQ "X-Line: 123456789012345678901234567890123456789012345678901234567\r\n" CL0,
	  SIP_E_LINE_TOO_LONG, &small, 0 },
	{ "OPTIONS sip:b@example.com;x=1234567890123456789012345678901 SIP/2.0\r\n" HDRS CL0,
	  SIP_E_LINE_TOO_LONG, &small, 0 },
	{ REQ "XA: 1\r\nXB: 2\r\nXC: 3\r\n" CL0, SIP_E_TOO_MANY_HEADERS, &small, 0 },
	{ REQ CL0, SIP_E_TOO_MANY_HEADERS, NULL, 5 },
	{ REQ "X0: 1234567890123456789012345678901234567890123456789012345\r\n"
	  "X1: 1234567890123456789012345678901234567890123456789012345\r\n"
	  "X2: 1234567890123456789012345678901234567890123456789012345\r\n"
	  "X3: 1234567890123456789012345678901234567890123456789012345\r\n"
	  "X4: 1234567890123456789012345678901234567890123456789012345\r\n"
	  "X5: 1234567890123456789012345678901234567890123456789012345\r\n"
	  CL0,
	  SIP_E_HEAD_TOO_LARGE, &small, 0 },
	{ REQ "Content-Length: 101\r\n\r\n", SIP_E_BODY_TOO_LARGE, &small, 0 },
	{ REQ "Content-Length: 99999999999999999999999\r\n\r\n", SIP_E_BODY_TOO_LARGE, NULL, 0 },
};

static void test_all_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		size_t n = strlen(c->in);
		ssize_t want = c->want;

		if (want == VALID) {
			/* Trailing bytes after the message (the "\n" case) are not part of it. */
			want = (ssize_t)n - (c->in[n - 1] == '\n' && c->in[n - 2] == '\n' ? 1 : 0);
		}
		h_run(c->in, n, want, c->lim, c->cap ? c->cap : H_MAX_HDRS);
	}
}

static void test_every_class_covered(void **state)
{
	(void)state;
	for (int e = SIP_E__FIRST; e <= SIP_E__LAST; e++) {
		bool found = false;

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			found |= cases[i].want == e;
		if (!found)
			fail_msg("no case for %s", sip_perr_name(e));
		assert_int_equal(sip_perr_from_name(sip_perr_name(e)), e);
	}
	assert_string_equal(sip_perr_name(0), "unknown");
	assert_int_equal(sip_perr_from_name("nope"), 0);
	assert_int_equal(sip_perr_status(SIP_E_VERSION_UNSUPPORTED), 505);
	assert_int_equal(sip_perr_status(SIP_E_URI_SCHEME), 416);
	assert_int_equal(sip_perr_status(SIP_E_BODY_TOO_LARGE), 413);
	assert_int_equal(sip_perr_status(SIP_E_HEAD_TOO_LARGE), 513);
	assert_int_equal(sip_perr_status(SIP_E_LINE_TOO_LONG), 414);
	assert_int_equal(sip_perr_status(SIP_E_ADDR), 400);
}

static bool is(struct sip_str s, const char *lit)
{
	return sip_str_eq(s, lit);
}

static struct sip_header hd[H_MAX_HDRS];

static void test_register_fields(void **state)
{
	static const char in[] =
		"REGISTER sips:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/TLS 192.0.2.7:50123;branch=z9hG4bKnashds7;rport;received=192.0.2.9\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"Alice \\\"A\\\"\" <sips:alice@example.com>;tag=a73kszlfl\r\n"
		"To: Alice <sips:alice@example.com>\r\n"
		"Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.7\r\n"
		"CSeq: 2 REGISTER\r\n"
		"Supported: path, outbound\r\n"
		"k: gruu\r\n"
		"Require: outbound\r\n"
		"Contact: <sips:alice@192.0.2.7:50123;transport=tls;ob>;reg-id=1;q=0.7\r\n"
		" ;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";expires=3600,\r\n"
		" \"Second, device\" <sips:alice@192.0.2.8>;expires=60\r\n"
		"Expires: 7200\r\n"
		"Authorization: Digest username=\"alice\", realm=\"example.com\",\r\n"
		"  nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", uri=\"sips:example.com\",\r\n"
		"  response=\"dfe56131d1958046689d83306477ecc\", algorithm=SHA-256,\r\n"
		"  qop=auth, nc=00000001, cnonce=\"0a4f113b\", opaque=\"5ccc069c\"\r\n"
		"Flow-Timer: 120\r\n"
		"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg m;
	struct sip_auth a;
	struct sip_hdr_iter it;
	struct sip_contact c;
	struct sip_str v;
	char buf[64];
	size_t k = 0;

	(void)state;
	assert_int_equal(h_parse(NULL, in, sizeof(in) - 1, &m, hd, H_MAX_HDRS), sizeof(in) - 1);
	assert_true(m.is_request);
	assert_int_equal(m.method_id, SIP_M_REGISTER);
	assert_true(m.ruri.secure);
	assert_false(m.ruri.has_user);
	assert_true(is(m.ruri.host, "example.com"));
	assert_true(is(m.via.transport, "TLS"));
	assert_true(is(m.via.host, "192.0.2.7"));
	assert_int_equal(m.via.port, 50123);
	assert_true(is(m.via.branch, "z9hG4bKnashds7"));
	assert_true(is(m.via.received, "192.0.2.9"));
	assert_true(m.via.rport);
	assert_int_equal(m.max_forwards, 70);
	assert_true(is(m.from.display, "Alice \\\"A\\\""));
	assert_int_equal(sip_unquote(m.from.display, buf, sizeof(buf)), 9);
	assert_memory_equal(buf, "Alice \"A\"", 9);
	assert_int_equal(sip_unquote(m.from.display, buf, 3), -ENOSPC);
	assert_true(is(m.from.tag, "a73kszlfl"));
	assert_true(is(m.to.display, "Alice"));
	assert_false(m.to.has_tag);
	assert_true(is(m.call_id, "1j9FpLxk3uxtm8tn@192.0.2.7"));
	assert_int_equal(m.cseq, 2);
	assert_int_equal(m.cseq_method_id, SIP_M_REGISTER);
	assert_int_equal(m.expires, 7200);
	assert_int_equal(m.flow_timer, 120);
	assert_int_equal(m.retry_after, -1);
	assert_true(is(m.date, "Sat, 13 Nov 2010 23:29:00 GMT"));

	assert_int_equal(m.n_contacts, 2);
	assert_true(is(m.contact.addr.uri, "sips:alice@192.0.2.7:50123;transport=tls;ob"));
	assert_int_equal(m.contact.reg_id, 1);
	assert_int_equal(m.contact.q, 700);
	assert_int_equal(m.contact.expires, 3600);
	assert_true(is(m.contact.instance, "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"));
	sip_hdr_iter_init(&it, &m, SIP_H_CONTACT);
	while (sip_hdr_iter_next(&it, &v)) {
		assert_int_equal(sip_contact_parse(v, &c), 0);
		k++;
	}
	assert_int_equal(k, 2);
	assert_true(is(c.addr.display, "Second, device"));
	assert_int_equal(c.expires, 60);
	assert_int_equal(c.reg_id, -1);
	assert_int_equal(c.q, -1);

	assert_true(sip_msg_has_option(&m, SIP_H_SUPPORTED, "OUTBOUND"));
	assert_true(sip_msg_has_option(&m, SIP_H_SUPPORTED, "gruu"));
	assert_true(sip_msg_has_option(&m, SIP_H_REQUIRE, "outbound"));
	assert_false(sip_msg_has_option(&m, SIP_H_REQUIRE, "path"));
	assert_true(is(m.supported->value, "path, outbound"));

	assert_non_null(m.authorization);
	assert_int_equal(sip_auth_parse(m.authorization->value, &a), 0);
	assert_true(is(a.scheme, "Digest"));
	assert_true(is(a.username, "alice"));
	assert_true(is(a.realm, "example.com"));
	assert_true(is(a.nonce, "ea9c8e88df84f1cec4341ae6cbe5a359"));
	assert_true(is(a.uri, "sips:example.com"));
	assert_true(is(a.response, "dfe56131d1958046689d83306477ecc"));
	assert_true(is(a.algorithm, "SHA-256"));
	assert_true(is(a.qop, "auth"));
	assert_true(is(a.nc, "00000001"));
	assert_true(is(a.cnonce, "0a4f113b"));
	assert_true(is(a.opaque, "5ccc069c"));
	assert_false(a.stale);
	assert_null(m.proxy_authorization);
	assert_int_equal(m.body.n, 0);
}

static void test_challenge_response(void **state)
{
	static const char in[] =
		"SIP/2.0 401 Unauthorized\r\n" HDRS
		"WWW-Authenticate: Digest realm=\"example.com\", algorithm=SHA-256,\r\n"
		" qop=\"auth\", nonce=\"n1\", stale=TRUE\r\n"
		"WWW-Authenticate: Digest realm=\"example.com\", algorithm=MD5, qop=\"auth\", nonce=\"n2\"\r\n"
		"Retry-After: 30 (later);duration=10\r\n"
		"Content-Length: 4\r\n\r\nbodyNEXT";
	struct sip_msg m;
	struct sip_auth a;
	struct sip_param p;
	struct sip_str rest;
	size_t n = sizeof(in) - 1, count = 0;

	(void)state;
	assert_int_equal(h_parse(NULL, in, n, &m, hd, H_MAX_HDRS), n - 4);
	assert_false(m.is_request);
	assert_int_equal(m.status, 401);
	assert_true(is(m.reason, "Unauthorized"));
	assert_int_equal(m.retry_after, 30);
	assert_true(is(m.body, "body"));
	assert_int_equal(sip_auth_parse(m.www_authenticate->value, &a), 0);
	assert_true(a.stale);
	assert_true(is(a.nonce, "n1"));
	assert_true(is(a.qop, "auth"));
	rest = a.params;
	while (sip_auth_param_next(&rest, &p) == 1)
		count++;
	assert_int_equal(count, 5);
	assert_ptr_equal(sip_find_header(&m, SIP_H_WWW_AUTHENTICATE, NULL), m.www_authenticate);
	assert_null(sip_find_header(&m, SIP_H_PROXY_AUTHENTICATE, NULL));
}

static void test_header_ids(void **state)
{
	static const struct {
		const char *name;
		enum sip_hdr id;
	} t[] = {
		{ "i", SIP_H_CALL_ID }, { "M", SIP_H_CONTACT }, { "e", SIP_H_CONTENT_ENCODING },
		{ "L", SIP_H_CONTENT_LENGTH }, { "c", SIP_H_CONTENT_TYPE }, { "f", SIP_H_FROM },
		{ "s", SIP_H_SUBJECT }, { "k", SIP_H_SUPPORTED }, { "t", SIP_H_TO },
		{ "v", SIP_H_VIA }, { "o", SIP_H_EVENT }, { "r", SIP_H_REFER_TO },
		{ "b", SIP_H_REFERRED_BY }, { "u", SIP_H_ALLOW_EVENTS }, { "x", SIP_H_SESSION_EXPIRES },
		{ "y", SIP_H_IDENTITY }, { "z", SIP_H_OTHER }, { "q", SIP_H_OTHER },
		{ "call-id", SIP_H_CALL_ID }, { "CSEQ", SIP_H_CSEQ }, { "www-authenticate", SIP_H_WWW_AUTHENTICATE },
		{ "Flow-Timer", SIP_H_FLOW_TIMER }, { "Via-X", SIP_H_OTHER }, { "", SIP_H_OTHER },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sip_str s = { t[i].name, strlen(t[i].name) };

		assert_int_equal(sip_header_id(s), t[i].id);
	}
	for (int id = 1; id < SIP_H__COUNT; id++) {
		const char *name = sip_header_name((enum sip_hdr)id);
		struct sip_str s = { name, strlen(name) };

		assert_int_equal(sip_header_id(s), id);
	}
	for (int id = 1; id < SIP_M__COUNT; id++) {
		const char *name = sip_method_name((enum sip_method)id);
		struct sip_str s = { name, strlen(name) };

		assert_int_equal(sip_method_id(s), id);
	}
	assert_string_equal(sip_header_name(SIP_H_OTHER), "");
}

static void test_list_iterator(void **state)
{
	static const char v[] = "\"a, b\" <sip:x@h;p=\"q\">, <sip:y@h?a=b,c>,z , ";
	static const char *const want[] = { "\"a, b\" <sip:x@h;p=\"q\">", "<sip:y@h?a=b,c>", "z", "" };
	struct sip_list_iter it;
	struct sip_str s = { v, sizeof(v) - 1 }, item;
	size_t k = 0;

	(void)state;
	sip_list_init(&it, s);
	while (sip_list_next(&it, &item)) {
		assert_true(k < 4);
		assert_true(is(item, want[k]));
		k++;
	}
	assert_int_equal(k, 4);
	assert_false(sip_list_next(&it, &item));
}

static void test_keepalive(void **state)
{
	(void)state;
	assert_int_equal(sip_keepalive("\r\n\r\n", 4), 4);
	assert_int_equal(sip_keepalive("\r\n\r\nOPTIONS", 11), 4);
	assert_int_equal(sip_keepalive("\r\nOPTIONS", 9), 2);
	assert_int_equal(sip_keepalive("\r\n\r", 3), SIP_EAGAIN);
	assert_int_equal(sip_keepalive("\r", 1), SIP_EAGAIN);
	assert_int_equal(sip_keepalive("", 0), SIP_EAGAIN);
	assert_int_equal(sip_keepalive("OPTIONS", 7), 0);
	assert_int_equal(sip_keepalive("\rX", 2), 0);
}

static void test_pipelined(void **state)
{
	static const char in[] = REQ "Content-Length: 3\r\n\r\nabc" "\r\n\r\n"
				 SL HDRS "Content-Length: 2\r\n\r\nhi";
	struct sip_msg m;
	ssize_t a, b;

	(void)state;
	a = h_parse(NULL, in, sizeof(in) - 1, &m, hd, H_MAX_HDRS);
	assert_true(a > 0);
	assert_true(is(m.body, "abc"));
	b = h_parse(NULL, in + a, sizeof(in) - 1 - (size_t)a, &m, hd, H_MAX_HDRS);
	assert_int_equal(a + b, sizeof(in) - 1);
	assert_int_equal(m.status, 200);
	assert_true(is(m.body, "hi"));
	assert_int_equal(m.head_len, (size_t)b - 2);
}

/* A caller's huge body_max still cannot overflow the returned length. */
static void test_huge_body_limit(void **state)
{
	static const char in[] = REQ "Content-Length: 18446744073709551615\r\n\r\n";
	static const char in2[] = REQ "Content-Length: 18446744073709551616\r\n\r\n";
	struct sip_limits lim;
	struct sip_msg m;

	(void)state;
	sip_limits_default(&lim);
	lim.body_max = UINT64_MAX;
	assert_int_equal(h_parse(&lim, in, sizeof(in) - 1, &m, hd, H_MAX_HDRS), SIP_E_BODY_TOO_LARGE);
	assert_int_equal(h_parse(&lim, in2, sizeof(in2) - 1, &m, hd, H_MAX_HDRS), SIP_E_BODY_TOO_LARGE);
	lim.body_max = 1u << 30;
	assert_int_equal(h_parse(&lim, in, 40, &m, hd, H_MAX_HDRS), SIP_EAGAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_cases),
		cmocka_unit_test(test_every_class_covered),
		cmocka_unit_test(test_register_fields),
		cmocka_unit_test(test_challenge_response),
		cmocka_unit_test(test_header_ids),
		cmocka_unit_test(test_list_iterator),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_huge_body_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
