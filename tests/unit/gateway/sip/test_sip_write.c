/*
 * SIP writer: requests and responses written, then parsed back with the
 * real parser; the dialog headers copied from a request (folds removed, To
 * tag added once); -ENOSPC at every too-small size; -EINVAL for bytes that
 * would break framing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/sip/sip_parse.h"
#include "gateway/sip/sip_write.h"

#define MAX_HDRS 32

static struct sip_str S(const char *s)
{
	struct sip_str r = { s, strlen(s) };
	return r;
}

static bool is(struct sip_str s, const char *lit)
{
	return sip_str_eq(s, lit);
}

static ssize_t parse(const char *buf, size_t n, struct sip_msg *m, struct sip_header *h)
{
	struct sip_parser ps;

	sip_parser_init(&ps, NULL);
	memset(m, 0, sizeof(*m));
	m->headers = h;
	m->headers_cap = MAX_HDRS;
	return sip_parse_message(&ps, buf, n, m);
}

static const char body[] = "Hello, Bob \xe2\x9c\x93";

static ssize_t write_message(char *buf, size_t cap)
{
	const struct sip_hdr_out hdrs[] = {
		{ "Via", S("SIP/2.0/TLS gw.example.com:5061;branch=z9hG4bKm1") },
		{ "Max-Forwards", S("70") },
		{ "From", S("<sips:alice@example.com>;tag=f1") },
		{ "To", S("<sips:bob@example.com>") },
		{ "Call-ID", S("msg-0001@gw.example.com") },
		{ "CSeq", S("1 MESSAGE") },
		{ "Content-Type", S("text/plain;charset=UTF-8") },
		{ "Date", S("Sat, 13 Nov 2010 23:29:00 GMT") },
	};

	return sip_write_request(buf, cap, "MESSAGE", S("sips:bob@192.0.2.7:50123;transport=tls"),
				 hdrs, sizeof(hdrs) / sizeof(hdrs[0]), body, sizeof(body) - 1);
}

static void test_request_roundtrip(void **state)
{
	char buf[1024];
	struct sip_header h[MAX_HDRS];
	struct sip_msg m;
	ssize_t n;

	(void)state;
	n = write_message(buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(parse(buf, (size_t)n, &m, h), n);
	assert_int_equal(m.method_id, SIP_M_MESSAGE);
	assert_true(is(m.ruri_text, "sips:bob@192.0.2.7:50123;transport=tls"));
	assert_int_equal(m.cseq_method_id, SIP_M_MESSAGE);
	assert_int_equal(m.content_length, sizeof(body) - 1);
	assert_true(is(m.body, body));
	assert_true(is(m.content_type, "text/plain;charset=UTF-8"));
	assert_true(is(m.call_id, "msg-0001@gw.example.com"));
	assert_true(is(m.from.tag, "f1"));
	assert_int_equal(m.max_forwards, 70);

	/* Every smaller buffer: -ENOSPC, never a partial success. */
	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(write_message(buf, cap), -ENOSPC);
	assert_int_equal(write_message(buf, (size_t)n), n);
}

static const char req_text[] =
	"MESSAGE sips:gw@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/TLS 192.0.2.7:50123\r\n ;branch=z9hG4bKa1;rport=50123 ,\r\n"
	" SIP/2.0/TLS 192.0.2.1;branch=z9hG4bKa0\r\n"
	"v: SIP/2.0/TLS 192.0.2.2;branch=z9hG4bKb0\r\n"
	"f: \"Alice\" <sips:alice@example.com>;tag=aa\r\n"
	"t: <sips:bob@example.com>\r\n"
	"i: abc@192.0.2.7\r\n"
	"CSeq: 7\r\n MESSAGE\r\n"
	"Max-Forwards: 70\r\n"
	"l: 2\r\n\r\nhi";

static void test_response_copies_dialog(void **state)
{
	struct sip_header h[MAX_HDRS], h2[MAX_HDRS];
	struct sip_msg req, rsp;
	const struct sip_hdr_out extra[] = { { "Server", S("Columba") } };
	char buf[1024];
	struct sip_hdr_iter it;
	struct sip_str v;
	ssize_t n;
	size_t k = 0;

	(void)state;
	assert_int_equal(parse(req_text, sizeof(req_text) - 1, &req, h), sizeof(req_text) - 1);
	n = sip_write_response(buf, sizeof(buf), &req, 202, NULL, S("t-42"), extra, 1, NULL, 0);
	assert_true(n > 0);
	assert_null(memmem(buf, (size_t)n, "\r\n ", 3)); /* folds removed */
	assert_int_equal(parse(buf, (size_t)n, &rsp, h2), n);
	assert_false(rsp.is_request);
	assert_int_equal(rsp.status, 202);
	assert_true(is(rsp.reason, "Accepted"));
	assert_int_equal(rsp.n_via, 3);
	assert_true(is(rsp.via.branch, "z9hG4bKa1"));
	sip_hdr_iter_init(&it, &rsp, SIP_H_VIA);
	while (sip_hdr_iter_next(&it, &v))
		k++;
	assert_int_equal(k, 3);
	assert_true(is(rsp.to.tag, "t-42"));
	assert_true(is(rsp.to.uri, "sips:bob@example.com"));
	assert_true(is(rsp.from.tag, "aa"));
	assert_true(is(rsp.call_id, "abc@192.0.2.7"));
	assert_int_equal(rsp.cseq, 7);
	assert_int_equal(rsp.cseq_method_id, SIP_M_MESSAGE);
	assert_int_equal(rsp.content_length, 0);
	assert_true(is(sip_find_header(&rsp, SIP_H_SERVER, NULL)->value, "Columba"));

	/* A To that has a tag keeps it; an empty to_tag adds none. */
	assert_true(parse(buf, (size_t)n, &rsp, h2) > 0);
	n = sip_write_response(buf, sizeof(buf), &req, 200, "Fine", S(""), NULL, 0, "x", 1);
	assert_int_equal(parse(buf, (size_t)n, &rsp, h2), n);
	assert_false(rsp.to.has_tag);
	assert_true(is(rsp.reason, "Fine"));
	assert_true(is(rsp.body, "x"));

	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(sip_write_response(buf, cap, &req, 200, "Fine", S(""), NULL, 0, "x", 1),
				 -ENOSPC);
}

static void test_invalid(void **state)
{
	struct sip_header h[MAX_HDRS];
	struct sip_msg req;
	struct sip_wbuf w;
	const struct sip_hdr_out crlf[] = { { "X", S("a\r\nInjected: 1") } };
	const struct sip_hdr_out badname[] = { { "X Y", S("a") } };
	char buf[512];

	(void)state;
	assert_true(parse(req_text, sizeof(req_text) - 1, &req, h) > 0);
	assert_int_equal(sip_write_request(buf, sizeof(buf), "MESSAGE", S("sip:a@h"), crlf, 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(sip_write_request(buf, sizeof(buf), "MESSAGE", S("sip:a@h"), badname, 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(sip_write_request(buf, sizeof(buf), "MES SAGE", S("sip:a@h"), NULL, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(sip_write_request(buf, sizeof(buf), "MESSAGE", S("sip:a@h x"), NULL, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(sip_write_request(buf, sizeof(buf), "MESSAGE", S(""), NULL, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(sip_write_response(buf, sizeof(buf), &req, 99, NULL, S(""), NULL, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(sip_write_response(buf, sizeof(buf), &req, 700, NULL, S(""), NULL, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(sip_write_response(buf, sizeof(buf), &req, 200, "O\nK", S(""), NULL, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(sip_write_response(buf, sizeof(buf), &req, 200, NULL, S("a;b"), NULL, 0, NULL, 0),
			 -EINVAL);

	/* The first error sticks, even when later calls would succeed. */
	sip_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(sip_write_status_line(&w, 200, NULL), 0);
	assert_int_equal(sip_write_header(&w, "X", S("a\x01")), -EINVAL);
	assert_int_equal(sip_write_header_uint(&w, "Y", 5), -EINVAL);
	assert_int_equal(sip_write_finish(&w, NULL, 0), -EINVAL);

	sip_wbuf_init(&w, buf, 10);
	assert_int_equal(sip_write_status_line(&w, 200, NULL), -ENOSPC);
	assert_int_equal(sip_write_finish(&w, NULL, 0), -ENOSPC);
}

static void test_builder(void **state)
{
	char buf[256];
	struct sip_wbuf w;
	ssize_t n;

	(void)state;
	sip_wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(sip_write_status_line(&w, 423, NULL), 0);
	assert_int_equal(sip_write_header_uint(&w, "Min-Expires", 3600), 0);
	assert_int_equal(sip_write_header_unfold(&w, "Via", S("SIP/2.0/TLS h\r\n ;branch=x")), 0);
	n = sip_write_finish(&w, NULL, 0);
	assert_int_equal(n, (ssize_t)strlen("SIP/2.0 423 Interval Too Brief\r\nMin-Expires: 3600\r\n"
					  "Via: SIP/2.0/TLS h ;branch=x\r\nContent-Length: 0\r\n\r\n"));
	assert_memory_equal(buf, "SIP/2.0 423 Interval Too Brief\r\nMin-Expires: 3600\r\n"
				 "Via: SIP/2.0/TLS h ;branch=x\r\nContent-Length: 0\r\n\r\n", (size_t)n);
	assert_string_equal(sip_reason(200), "OK");
	assert_string_equal(sip_reason(405), "Method Not Allowed");
	assert_string_equal(sip_reason(499), "Client Error");
	assert_string_equal(sip_reason(182), "Provisional");
	assert_string_equal(sip_reason(299), "Success");
	assert_string_equal(sip_reason(399), "Redirection");
	assert_string_equal(sip_reason(599), "Server Error");
	assert_string_equal(sip_reason(699), "Global Failure");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_response_copies_dialog),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_builder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
