/*
 * Message intake (gateway/intake.c): the happy path, every error class with
 * its code, status and detail (which never quotes the text), the 160 code
 * point limit in 1- to 4-byte UTF-8, invalid UTF-8 both raw and as \u
 * escapes, control characters, ttl bounds, the Idempotency-Key rule and the
 * JSON answers. Every body is parsed twice: as is, and copied so that it ends
 * exactly at a PROT_NONE guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gateway/intake.h"
#include "gateway/utf8.h"

static char *guard_base;
static size_t page_sz;

static int guard_setup(void **state)
{
	(void)state;
	page_sz = (size_t)sysconf(_SC_PAGESIZE);
	/* Room for the largest body (16 KiB + 1) before the guard page. */
	guard_base = mmap(NULL, 6 * page_sz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED)
		return -1;
	return mprotect(guard_base + 5 * page_sz, page_sz, PROT_NONE);
}

static int guard_teardown(void **state)
{
	(void)state;
	return munmap(guard_base, 6 * page_sz);
}

/* Parse @n bytes of @body, and the same bytes ending at the guard page;
 * both runs must agree. Returns the result; *out / *d from the first run. */
static int parse2(const char *body, size_t n, struct gw_submit *out, struct gw_intake_diag *d)
{
	struct gw_submit o2;
	struct gw_intake_diag d2;
	char *g = guard_base + 5 * page_sz - n;
	int r1, r2;

	assert_true(n <= 5 * page_sz);
	r1 = gw_intake_parse(body, n, out, d);
	memcpy(g, body, n);
	r2 = gw_intake_parse(g, n, &o2, &d2);
	assert_int_equal(r1, r2);
	if (r1 == 0) {
		assert_int_equal(out->to_len, o2.to_len);
		assert_int_equal(out->text_len, o2.text_len);
		assert_memory_equal(out->text, o2.text, out->text_len);
		assert_int_equal(out->ttl_s, o2.ttl_s);
	} else {
		assert_int_equal(d->offset, d2.offset);
		assert_int_equal(d->cause, d2.cause);
	}
	return r1;
}

/* The detail names a rule, is JSON-safe, never shows "SECRET". */
static void check_detail(int err, const struct gw_intake_diag *d)
{
	char buf[256];
	int n = gw_intake_detail(err, d, buf, sizeof(buf));

	assert_true(n > 10 && (size_t)n < sizeof(buf));
	assert_int_equal(strlen(buf), (size_t)n);
	assert_null(strchr(buf, '"'));
	assert_null(strchr(buf, '\\'));
	assert_null(strstr(buf, "SECRET"));
	for (int i = 0; i < n; i++)
		assert_true(buf[i] >= 0x20 && buf[i] < 0x7F);
}

/* Expect @body (NUL-terminated) to fail with @err and @status. */
static struct gw_intake_diag expect_n(const char *body, size_t n, int err, int status)
{
	struct gw_submit out;
	struct gw_intake_diag d;
	int r = parse2(body, n, &out, &d);

	if (r != err) {
		print_error("body %.*s: got %d (%s), want %d (%s)\n", (int)n, body, r,
			    gw_intake_code(r), err, gw_intake_code(err));
		fail();
	}
	assert_int_equal(gw_intake_status(r), status);
	check_detail(r, &d);
	return d;
}

static struct gw_intake_diag expect(const char *body, int err, int status)
{
	return expect_n(body, strlen(body), err, status);
}

static struct gw_submit accept_n(const char *body, size_t n)
{
	struct gw_submit out;
	struct gw_intake_diag d;
	int r = parse2(body, n, &out, &d);

	if (r != 0) {
		print_error("body %.*s: refused %d (%s)\n", (int)(n > 200 ? 200 : n), body,
			    r, gw_intake_code(r));
		fail();
	}
	assert_int_equal(out.to[out.to_len], '\0');
	assert_int_equal(out.text[out.text_len], '\0');
	return out;
}

static struct gw_submit accept(const char *body)
{
	return accept_n(body, strlen(body));
}

static void test_happy(void **state)
{
	struct gw_submit s;

	(void)state;
	s = accept("{\"to\":\"bob\",\"text\":\"hello\",\"ttl\":60}");
	assert_string_equal(s.to, "bob");
	assert_int_equal(s.to_len, 3);
	assert_string_equal(s.text, "hello");
	assert_int_equal(s.text_len, 5);
	assert_int_equal(s.ttl_s, 60);

	s = accept(" \r\n{ \"text\" : \"line 1\\nline \\\"2\\\" \\u00e9\\/\" ,\t\"to\":\"a.b_c-d9\" } \n");
	assert_string_equal(s.to, "a.b_c-d9");
	assert_string_equal(s.text, "line 1\nline \"2\" \xC3\xA9/");
	assert_int_equal(s.ttl_s, GW_TTL_MAX_S);

	/* NBSP (U+00A0) is the first non-control after C1; U+2028 is not Cc. */
	s = accept("{\"to\":\"x\",\"text\":\"\xC2\xA0\\u2028\xE2\x82\xAC\xF0\x9F\x98\x80\"}");
	assert_int_equal(s.text_len, 2 + 3 + 3 + 4);
}

/* Body {"to":"bob","text":"<k copies of @unit>"} into @buf. */
static size_t body_rep(char *buf, size_t cap, const char *unit, size_t k)
{
	size_t n = (size_t)snprintf(buf, cap, "{\"to\":\"bob\",\"text\":\"");

	for (size_t i = 0; i < k; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s", unit);
	n += (size_t)snprintf(buf + n, cap - n, "\"}");
	assert_true(n < cap);
	return n;
}

static void test_length_limits(void **state)
{
	static char buf[GW_BODY_MAX + 64];
	struct gw_submit s;
	struct gw_intake_diag d;
	size_t n;

	(void)state;
	/* 160 × U+1F600: 640 bytes, the largest text there is. */
	n = body_rep(buf, sizeof(buf), "\xF0\x9F\x98\x80", 160);
	s = accept_n(buf, n);
	assert_int_equal(s.text_len, 640);
	n = body_rep(buf, sizeof(buf), "\xF0\x9F\x98\x80", 161);
	d = expect_n(buf, n, GW_INTAKE_E_TEXT_TOO_LONG, 422);
	assert_int_equal(d.count, 161);
	assert_string_equal(d.field, "text");

	/* The same as surrogate-pair escapes. */
	n = body_rep(buf, sizeof(buf), "\\ud83d\\ude00", 160);
	s = accept_n(buf, n);
	assert_int_equal(s.text_len, 640);
	n = body_rep(buf, sizeof(buf), "\\ud83d\\ude00", 161);
	expect_n(buf, n, GW_INTAKE_E_TEXT_TOO_LONG, 422);

	/* 2- and 3-byte mixed: é€ × 80. */
	n = body_rep(buf, sizeof(buf), "\xC3\xA9\xE2\x82\xAC", 80);
	s = accept_n(buf, n);
	assert_int_equal(s.text_len, 400);
	n = body_rep(buf, sizeof(buf), "\xC3\xA9\xE2\x82\xAC", 80);
	memcpy(buf + n - 2, "a\"}", 4);
	d = expect_n(buf, n + 1, GW_INTAKE_E_TEXT_TOO_LONG, 422);
	assert_int_equal(d.count, 161);

	/* ASCII. */
	n = body_rep(buf, sizeof(buf), "a", 160);
	accept_n(buf, n);
	n = body_rep(buf, sizeof(buf), "a", 161);
	expect_n(buf, n, GW_INTAKE_E_TEXT_TOO_LONG, 422);

	expect("{\"to\":\"bob\",\"text\":\"\"}", GW_INTAKE_E_TEXT_EMPTY, 422);

	/* Body size: 16384 bytes (whitespace padding) parse, 16385 do not. */
	n = (size_t)snprintf(buf, sizeof(buf), "{\"to\":\"bob\",\"text\":\"hi\"}");
	memset(buf + n, ' ', GW_BODY_MAX - n);
	accept_n(buf, GW_BODY_MAX);
	buf[GW_BODY_MAX] = ' ';
	d = expect_n(buf, GW_BODY_MAX + 1, GW_INTAKE_E_TOO_LARGE, 413);
	assert_int_equal(d.count, GW_BODY_MAX + 1);
}

struct bad_text {
	const char *body;
	int cause;     /* UTF8_E_* or 1 for a lone surrogate escape */
	size_t offset; /* in the body */
};

static void test_text_utf8(void **state)
{
	static const struct bad_text cases[] = {
		/* offset 20 is the first byte of the text */
		{ "{\"to\":\"bob\",\"text\":\"\xC0\xAF SECRET\"}", UTF8_E_BYTE, 20 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\xE0\x80\xAF\"}", UTF8_E_OVERLONG, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\xF0\x80\x80\xAF\"}", UTF8_E_OVERLONG, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\xED\xA0\x80\"}", UTF8_E_SURROGATE, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\xED\xBF\xBF\"}", UTF8_E_SURROGATE, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\xF4\x90\x80\x80\"}", UTF8_E_RANGE, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\xE2\x82\"}", UTF8_E_TRUNCATED, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\xE2\x82", UTF8_E_TRUNCATED, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\x80\"}", UTF8_E_CONTINUATION, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\xFF\"}", UTF8_E_BYTE, 26 },
		{ "{\"text\":\"\xF5\x80\x80\x80\",\"to\":\"bob\"}", UTF8_E_BYTE, 9 },
		/* escapes: lone high, lone low, high + non-low, reversed pair */
		{ "{\"to\":\"bob\",\"text\":\"SECRET\\ud800\"}", 1, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\\uDC00x\"}", 1, 26 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\\ud800\\u0041\"}", 1, 26 },
		{ "{\"to\":\"bob\",\"text\":\"\\ude00\\ud83d SECRET\"}", 1, 20 },
		{ "{\"to\":\"bob\",\"text\":\"\\ud83d\\ude00\\uDBFF\"}", 1, 32 },
		{ "{\"to\":\"bob\",\"text\":\"SECRET\\ud800", 1, 26 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_intake_diag d = expect(cases[i].body, GW_INTAKE_E_TEXT_UTF8, 422);

		if (d.cause != cases[i].cause || d.offset != cases[i].offset) {
			print_error("case %zu: cause %d offset %zu\n", i, d.cause, d.offset);
			fail();
		}
		assert_string_equal(gw_intake_code(GW_INTAKE_E_TEXT_UTF8), "text_invalid_utf8");
	}
	/* Invalid UTF-8 outside the text is a JSON fault. */
	expect("{\"to\":\"b\xC0\xAF\",\"text\":\"hi\"}", GW_INTAKE_E_JSON, 400);
	expect("{\"to\":\"bob\",\"x\xFF\":1,\"text\":\"hi\"}", GW_INTAKE_E_JSON, 400);
	expect("{\"to\":\"bob\",\"text\":\"hi\",\"x\":\"\\ud800\"}", GW_INTAKE_E_JSON, 400);
	/* A syntax error before the text is blamed on the JSON, not the text. */
	expect("{\"to\":1x,\"text\":\"\xFF\"}", GW_INTAKE_E_JSON, 400);
	/* A key merely spelled "text" with escapes is still the text member. */
	expect("{\"to\":\"bob\",\"te\\u0078t\":\"\\u0001\"}", GW_INTAKE_E_TEXT_CONTROL, 422);
}

struct ctl {
	const char *body;
	uint32_t cp;
	size_t pos; /* code points before it */
};

static void test_text_control(void **state)
{
	static const struct ctl cases[] = {
		{ "{\"to\":\"bob\",\"text\":\"SECRET\\u0000x\"}", 0x00, 6 },
		{ "{\"to\":\"bob\",\"text\":\"\\u0000\"}", 0x00, 0 },
		{ "{\"to\":\"bob\",\"text\":\"a\\u0001\"}", 0x01, 1 },
		{ "{\"to\":\"bob\",\"text\":\"\xC3\xA9\\t\"}", 0x09, 1 },
		{ "{\"to\":\"bob\",\"text\":\"a\\r\\n\"}", 0x0D, 1 },
		{ "{\"to\":\"bob\",\"text\":\"a\\u001f\"}", 0x1F, 1 },
		{ "{\"to\":\"bob\",\"text\":\"\\u001B[31m\"}", 0x1B, 0 },
		{ "{\"to\":\"bob\",\"text\":\"\xF0\x9F\x98\x80\x7F\"}", 0x7F, 1 },
		{ "{\"to\":\"bob\",\"text\":\"a\\u007f\"}", 0x7F, 1 },
		{ "{\"to\":\"bob\",\"text\":\"ab\\u0080\"}", 0x80, 2 },
		{ "{\"to\":\"bob\",\"text\":\"ab\xC2\x85\"}", 0x85, 2 },
		{ "{\"to\":\"bob\",\"text\":\"\xC2\x9B" "31m\"}", 0x9B, 0 },
		{ "{\"to\":\"bob\",\"text\":\"\\u009f\"}", 0x9F, 0 },
		/* raw control bytes are invalid JSON, still reported as the text rule */
		{ "{\"to\":\"bob\",\"text\":\"SE\x01" "CRET\"}", 0x01, 2 },
		{ "{\"to\":\"bob\",\"text\":\"\\u00e9\\\"\tx\"}", 0x09, 2 },
		{ "{\"to\":\"bob\",\"text\":\"\xF0\x9F\x98\x80\\ud83d\\ude00\x01\"}", 0x01, 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_intake_diag d = expect(cases[i].body, GW_INTAKE_E_TEXT_CONTROL, 422);

		if (d.code_point != cases[i].cp || d.position != cases[i].pos) {
			print_error("case %zu: U+%04X at %zu\n", i, (unsigned)d.code_point, d.position);
			fail();
		}
	}
	/* LF alone is allowed, escaped or as U+000A; U+00A0 is not a control. */
	accept("{\"to\":\"bob\",\"text\":\"a\\nb\\u000a\\u00a0\"}");
	/* A raw LF byte inside a JSON string is a JSON fault, not a text one. */
	expect("{\"to\":\"bob\",\"text\":\"a\nb\"}", GW_INTAKE_E_JSON, 400);
}

static void test_ttl(void **state)
{
	(void)state;
	assert_int_equal(accept("{\"to\":\"b\",\"text\":\"x\",\"ttl\":1}").ttl_s, 1);
	assert_int_equal(accept("{\"to\":\"b\",\"text\":\"x\",\"ttl\":259200}").ttl_s, 259200);
	assert_int_equal(accept("{\"to\":\"b\",\"text\":\"x\"}").ttl_s, 259200);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":0}", GW_INTAKE_E_TTL_RANGE, 422);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":-1}", GW_INTAKE_E_TTL_RANGE, 422);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":-0}", GW_INTAKE_E_TTL_RANGE, 422);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":259201}", GW_INTAKE_E_TTL_RANGE, 422);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":9223372036854775807}", GW_INTAKE_E_TTL_RANGE, 422);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":1.5}", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":10.0}", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":1e2}", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":\"10\"}", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":true}", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":null}", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":[1]}", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("{\"to\":\"b\",\"text\":\"x\",\"ttl\":99999999999999999999}", GW_INTAKE_E_JSON, 400);
}

static void test_structure(void **state)
{
	struct gw_intake_diag d;

	(void)state;
	expect_n("", 0, GW_INTAKE_E_JSON, 400);
	expect("{", GW_INTAKE_E_JSON, 400);
	expect("{\"to\":\"bob\",\"text\":\"SECRET", GW_INTAKE_E_JSON, 400);
	d = expect("{\"to\":\"bob\",\"text\":\"hi\"} x", GW_INTAKE_E_JSON, 400);
	assert_string_equal(d.field, "body");
	assert_true(d.offset >= 25);
	expect("{\"to\":\"bob\",\"text\":\"hi\"}{}", GW_INTAKE_E_JSON, 400);
	expect("{\"to\":\"bob\",\"text\":\"hi\",}", GW_INTAKE_E_JSON, 400);
	expect("{'to':'bob'}", GW_INTAKE_E_JSON, 400);
	expect("{\"a\\u0000\":1,\"to\":\"bob\",\"text\":\"hi\"}", GW_INTAKE_E_JSON, 400);
	expect_n("{\"to\":\"bob\",\"text\":\"hi\"}\0", 26, GW_INTAKE_E_JSON, 400);
	expect("[]", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("\"SECRET\"", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("null", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("42", GW_INTAKE_E_WRONG_TYPE, 400);
	expect("{\"to\":\"bob\",\"to\":\"bob\",\"text\":\"hi\"}", GW_INTAKE_E_DUPLICATE, 400);
	expect("{\"to\":\"bob\",\"text\":\"SECRET\",\"text\":\"hi\"}", GW_INTAKE_E_DUPLICATE, 400);
	expect("{\"to\":\"bob\",\"text\":\"hi\",\"x\":{\"a\":1,\"a\":2}}", GW_INTAKE_E_DUPLICATE, 400);

	d = expect("{\"to\":\"bob\",\"text\":\"hi\",\"cc\":\"eve\"}", GW_INTAKE_E_UNKNOWN_FIELD, 400);
	assert_string_equal(d.name, "cc");
	d = expect("{\"to\":\"bob\",\"text\":\"hi\",\"SECRET but with spaces\":1}",
		   GW_INTAKE_E_UNKNOWN_FIELD, 400);
	assert_string_equal(d.name, "");
	d = expect("{\"to\":\"bob\",\"text\":\"hi\",\"TTL\":1}", GW_INTAKE_E_UNKNOWN_FIELD, 400);
	assert_string_equal(d.name, "TTL");
	/* Unknown members are reported before any rule of the known ones. */
	expect("{\"to\":\"BOB\",\"text\":\"\",\"id\":1}", GW_INTAKE_E_UNKNOWN_FIELD, 400);

	d = expect("{\"text\":\"hi\"}", GW_INTAKE_E_MISSING_FIELD, 400);
	assert_string_equal(d.field, "to");
	d = expect("{\"to\":\"bob\"}", GW_INTAKE_E_MISSING_FIELD, 400);
	assert_string_equal(d.field, "text");
	expect("{}", GW_INTAKE_E_MISSING_FIELD, 400);
	d = expect("{\"to\":7,\"text\":\"hi\"}", GW_INTAKE_E_WRONG_TYPE, 400);
	assert_string_equal(d.field, "to");
	d = expect("{\"to\":\"bob\",\"text\":[\"hi\"]}", GW_INTAKE_E_WRONG_TYPE, 400);
	assert_string_equal(d.field, "text");
	expect("{\"to\":\"bob\",\"text\":null}", GW_INTAKE_E_WRONG_TYPE, 400);
}

static void test_recipient(void **state)
{
	static const char *bad[] = {
		"", "Bob", "bob@example.com", "sips:bob@example.com", "bo b", "bob\\u0000",
		"b\\u00e9", "bob/..", "bob+x", "\\u0062ob\\u000a",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char body[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gw_intake_diag d;

		snprintf(body, sizeof(body), "{\"to\":\"%s\",\"text\":\"hi\"}", bad[i]);
		d = expect(body, GW_INTAKE_E_RECIPIENT, 422);
		assert_string_equal(d.field, "to");
	}
	snprintf(body, sizeof(body), "{\"to\":\"%s\",\"text\":\"hi\"}",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa9");
	assert_int_equal(accept(body).to_len, 64);
	assert_string_equal(accept("{\"to\":\"\\u0062ob\",\"text\":\"hi\"}").to, "bob");
	assert_int_equal(gw_user_name_check("a", 1), 0);
	assert_int_equal(gw_user_name_check("-._", 3), 0);
	assert_int_equal(gw_user_name_check("a", 0), GW_INTAKE_E_RECIPIENT);
	assert_int_equal(gw_user_name_check("aZ", 2), GW_INTAKE_E_RECIPIENT);
}

static void test_idem_key(void **state)
{
	char k[80];

	(void)state;
	memset(k, '!', sizeof(k));
	assert_int_equal(gw_idem_key_check(k, 64), 0);
	assert_int_equal(gw_idem_key_check(k, 65), GW_INTAKE_E_IDEM_KEY);
	assert_int_equal(gw_idem_key_check(k, 0), GW_INTAKE_E_IDEM_KEY);
	assert_int_equal(gw_idem_key_check("~abc-123_XYZ", 12), 0);
	assert_int_equal(gw_idem_key_check("ab c", 4), GW_INTAKE_E_IDEM_KEY);
	assert_int_equal(gw_idem_key_check("ab\x7F", 3), GW_INTAKE_E_IDEM_KEY);
	assert_int_equal(gw_idem_key_check("ab\x1F", 3), GW_INTAKE_E_IDEM_KEY);
	assert_int_equal(gw_idem_key_check("\xC3\xA9", 2), GW_INTAKE_E_IDEM_KEY);
	assert_int_equal(gw_idem_key_check("a\0b", 3), GW_INTAKE_E_IDEM_KEY);
	assert_int_equal(gw_intake_status(GW_INTAKE_E_IDEM_KEY), 400);
	assert_string_equal(gw_intake_code(GW_INTAKE_E_IDEM_KEY), "bad_idempotency_key");
	check_detail(GW_INTAKE_E_IDEM_KEY, NULL);
}

static void test_codes(void **state)
{
	static const struct { int err, status; const char *code; } want[] = {
		{ GW_INTAKE_E_TOO_LARGE, 413, "body_too_large" },
		{ GW_INTAKE_E_JSON, 400, "invalid_json" },
		{ GW_INTAKE_E_DUPLICATE, 400, "duplicate_field" },
		{ GW_INTAKE_E_UNKNOWN_FIELD, 400, "unknown_field" },
		{ GW_INTAKE_E_MISSING_FIELD, 400, "missing_field" },
		{ GW_INTAKE_E_WRONG_TYPE, 400, "wrong_type" },
		{ GW_INTAKE_E_RECIPIENT, 422, "bad_recipient" },
		{ GW_INTAKE_E_TEXT_EMPTY, 422, "text_empty" },
		{ GW_INTAKE_E_TEXT_TOO_LONG, 422, "text_too_long" },
		{ GW_INTAKE_E_TEXT_UTF8, 422, "text_invalid_utf8" },
		{ GW_INTAKE_E_TEXT_CONTROL, 422, "text_control_char" },
		{ GW_INTAKE_E_TTL_RANGE, 422, "ttl_out_of_range" },
		{ GW_INTAKE_E_IDEM_KEY, 400, "bad_idempotency_key" },
	};
	char small[8];

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), (size_t)-GW_INTAKE_E__LAST);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(gw_intake_status(want[i].err), want[i].status);
		assert_string_equal(gw_intake_code(want[i].err), want[i].code);
		check_detail(want[i].err, NULL);
	}
	assert_int_equal(gw_intake_status(0), 400);
	assert_int_equal(gw_intake_status(GW_INTAKE_E__LAST - 1), 400);
	assert_string_equal(gw_intake_code(-100), "bad_request");
	assert_string_equal(gw_intake_code(5), "bad_request");
	/* Truncation follows snprintf: full length returned, buffer terminated. */
	assert_int_equal(gw_intake_detail(GW_INTAKE_E_TEXT_EMPTY, NULL, small, sizeof(small)),
			 (int)strlen("text: must not be empty"));
	assert_string_equal(small, "text: m");
	assert_int_equal(gw_intake_detail(GW_INTAKE_E_TEXT_EMPTY, NULL, NULL, 0), 23);
}

static void test_detail_text(void **state)
{
	char buf[200];
	struct gw_intake_diag d;
	struct gw_submit s;

	(void)state;
	assert_int_equal(gw_intake_parse("{\"to\":\"bob\",\"text\":\"\\u0007\"}", 28, &s, &d),
			 GW_INTAKE_E_TEXT_CONTROL);
	gw_intake_detail(GW_INTAKE_E_TEXT_CONTROL, &d, buf, sizeof(buf));
	assert_string_equal(buf, "text: control character U+0007 at character 0; "
			    "only LF (U+000A) is allowed");
	assert_int_equal(gw_intake_parse("{\"to\":\"bob\",\"text\":\"\xED\xA0\x80\"}", 25, &s, &d),
			 GW_INTAKE_E_TEXT_UTF8);
	gw_intake_detail(GW_INTAKE_E_TEXT_UTF8, &d, buf, sizeof(buf));
	assert_string_equal(buf, "text: not valid UTF-8 (encoded surrogate) at byte 20");
	assert_int_equal(gw_intake_parse("{\"to\":\"bob\",\"text\":\"x\",\"ttl\":0}", 31, &s, &d),
			 GW_INTAKE_E_TTL_RANGE);
	gw_intake_detail(GW_INTAKE_E_TTL_RANGE, &d, buf, sizeof(buf));
	assert_string_equal(buf, "ttl: must be 1 to 259200 seconds");
	assert_int_equal(gw_intake_parse("{\"to\":\"bob\",\"text\":\"hi\",\"cc\":1}", 31, &s, &d),
			 GW_INTAKE_E_UNKNOWN_FIELD);
	gw_intake_detail(GW_INTAKE_E_UNKNOWN_FIELD, &d, buf, sizeof(buf));
	assert_string_equal(buf, "body: unknown member 'cc'; allowed: to, text, ttl");
	/* jansson's own message would quote the input; ours never does. */
	assert_int_equal(gw_intake_parse("{\"text\":\"SECRET", 15, &s, &d), GW_INTAKE_E_JSON);
	gw_intake_detail(GW_INTAKE_E_JSON, &d, buf, sizeof(buf));
	assert_string_equal(buf, "body: not valid JSON (premature end of input) at byte 15");
	/* A NULL diag is allowed. */
	assert_int_equal(gw_intake_parse("{}", 2, &s, NULL), GW_INTAKE_E_MISSING_FIELD);
}

#define ID "01HZX3Q8V4M6N7P9R0STVWXYZA"

static void test_write_accepted(void **state)
{
	char buf[128];
	const char *want = "{\"id\":\"" ID "\",\"status\":\"enqueued\",\"expires_at\":1700259200}";
	size_t wn = strlen(want);

	(void)state;
	assert_int_equal(gw_intake_write_accepted(buf, sizeof(buf), ID, 1700259200, false),
			 (ssize_t)wn);
	assert_string_equal(buf, want);
	assert_int_equal(gw_intake_write_accepted(buf, sizeof(buf), ID, 5, true),
			 (ssize_t)strlen("{\"id\":\"" ID "\",\"status\":\"enqueued\","
					 "\"expires_at\":5,\"duplicate\":true}"));
	assert_string_equal(buf, "{\"id\":\"" ID "\",\"status\":\"enqueued\","
			    "\"expires_at\":5,\"duplicate\":true}");
	assert_int_equal(gw_intake_write_accepted(buf, wn + 1, ID, 1700259200, false), (ssize_t)wn);
	assert_int_equal(gw_intake_write_accepted(buf, wn, ID, 1700259200, false), -ENOSPC);
	assert_int_equal(gw_intake_write_accepted(NULL, 0, ID, 1, false), -ENOSPC);
	assert_int_equal(gw_intake_write_accepted(buf, sizeof(buf), "01hzx3q8v4m6n7p9r0stvwxyza", 1,
						  false), -EINVAL);
	assert_int_equal(gw_intake_write_accepted(buf, sizeof(buf), "01HZX3Q8V4M6N7P9R0STVWXYZI", 1,
						  false), -EINVAL);
	assert_int_equal(gw_intake_write_accepted(buf, sizeof(buf), "01HZX3Q8V4M6N7P9R0STVWXYZ", 1,
						  false), -EINVAL);
	assert_int_equal(gw_intake_write_accepted(buf, sizeof(buf), ID "0", 1, false), -EINVAL);
	assert_int_equal(gw_intake_write_accepted(buf, sizeof(buf), "01HZX3Q8V4M6N7P9R0S\"VWXYZA", 1,
						  false), -EINVAL);
	assert_int_equal(gw_intake_write_accepted(buf, sizeof(buf), NULL, 1, false), -EINVAL);
}

static void test_write_status(void **state)
{
	char buf[200];
	const char *w1 = "{\"id\":\"" ID "\",\"status\":\"delivered\",\"created_at\":1700000000,"
			 "\"expires_at\":1700259200,\"updated_at\":1700000005}";
	const char *w2 = "{\"id\":\"" ID "\",\"status\":\"enqueued\",\"created_at\":1,"
			 "\"expires_at\":18446744073709551615,\"updated_at\":null}";

	(void)state;
	assert_int_equal(gw_intake_write_status(buf, sizeof(buf), ID, "delivered", 1700000000,
						1700259200, 1700000005), (ssize_t)strlen(w1));
	assert_string_equal(buf, w1);
	assert_int_equal(gw_intake_write_status(buf, sizeof(buf), ID, "enqueued", 1, UINT64_MAX, 0),
			 (ssize_t)strlen(w2));
	assert_string_equal(buf, w2);
	assert_int_equal(gw_intake_write_status(buf, strlen(w2), ID, "enqueued", 1, UINT64_MAX, 0),
			 -ENOSPC);
	assert_int_equal(gw_intake_write_status(buf, sizeof(buf), ID, "Enqueued", 1, 2, 0), -EINVAL);
	assert_int_equal(gw_intake_write_status(buf, sizeof(buf), ID, "", 1, 2, 0), -EINVAL);
	assert_int_equal(gw_intake_write_status(buf, sizeof(buf), ID, "a\"b", 1, 2, 0), -EINVAL);
	assert_int_equal(gw_intake_write_status(buf, sizeof(buf), ID,
						"abcdefghijklmnopqrstuvwxyzabcdefg", 1, 2, 0), -EINVAL);
	assert_true(gw_intake_write_status(buf, sizeof(buf), ID,
					   "abcdefghijklmnopqrstuvwxyzabcdef", 1, 2, 0) > 0);
	assert_non_null(strstr(buf, "\"status\":\"abcdefghijklmnopqrstuvwxyzabcdef\","));
	assert_int_equal(gw_intake_write_status(buf, sizeof(buf), "x", "error", 1, 2, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_text_utf8),
		cmocka_unit_test(test_text_control),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_recipient),
		cmocka_unit_test(test_idem_key),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_detail_text),
		cmocka_unit_test(test_write_accepted),
		cmocka_unit_test(test_write_status),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
