/*
 * SIP URI parser, unescaping and RFC 3261 §19.1.4 comparison (including the
 * RFC's own equivalent / not-equivalent examples). Each parse also runs on
 * a copy ending at a PROT_NONE guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/sip/sip_uri.h"
#include "sip_harness.h"

static int parse_guarded(const char *s, struct sip_uri *u)
{
	size_t n = strlen(s);
	struct guard g;
	struct sip_uri gu;
	int rc, grc;

	rc = sip_uri_parse(s, n, u);
	guard_init(&g, n);
	memcpy(g.end - n, s, n);
	grc = sip_uri_parse(g.end - n, n, &gu);
	guard_free(&g);
	assert_int_equal(rc, grc);
	return rc;
}

static bool is(struct sip_str s, const char *lit)
{
	return sip_str_eq(s, lit);
}

static void test_valid(void **state)
{
	struct sip_uri u;
	struct sip_str v;

	(void)state;
	assert_int_equal(parse_guarded("sips:alice:secret@[2001:db8::1]:5061;transport=TLS;lr;"
				       "ttl=15;maddr=239.255.255.1;method=REGISTER;user=phone;x=%41"
				       "?Subject=hi%20there&Priority=urgent", &u), 0);
	assert_true(u.secure);
	assert_true(u.has_user && u.has_password && u.has_port && u.has_ttl && u.lr);
	assert_true(is(u.user, "alice"));
	assert_true(is(u.password, "secret"));
	assert_true(is(u.host, "[2001:db8::1]"));
	assert_int_equal(u.host_kind, SIP_HOST_IPV6);
	assert_int_equal(u.port, 5061);
	assert_int_equal(u.ttl, 15);
	assert_true(is(u.transport, "TLS"));
	assert_true(is(u.maddr, "239.255.255.1"));
	assert_true(is(u.method, "REGISTER"));
	assert_true(is(u.user_param, "phone"));
	assert_true(is(u.headers, "Subject=hi%20there&Priority=urgent"));
	assert_true(sip_uri_find_param(&u, "X", &v));
	assert_true(is(v, "%41"));
	assert_true(sip_uri_find_param(&u, "lr", &v));
	assert_int_equal(v.n, 0);
	assert_false(sip_uri_find_param(&u, "nope", &v));

	assert_int_equal(parse_guarded("SIP:example.com", &u), 0);
	assert_false(u.secure);
	assert_false(u.has_user);
	assert_false(u.has_port);
	assert_int_equal(u.host_kind, SIP_HOST_NAME);
	assert_int_equal(u.params.n, 0);
	assert_int_equal(u.headers.n, 0);

	assert_int_equal(parse_guarded("sip:+1-555-1234;phone-context=x@192.0.2.1:0", &u), 0);
	assert_true(is(u.user, "+1-555-1234;phone-context=x"));
	assert_int_equal(u.host_kind, SIP_HOST_IPV4);
	assert_int_equal(u.port, 0);

	static const char *const ok[] = {
		"sip:a@example.com.", "sip:a@h", "sip:a@[::1]", "sip:a@[::]", "sip:a@[1::]",
		"sip:a@[::ffff:192.0.2.1]", "sip:a@[1:2:3:4:5:6:7:8]", "sip:a@x-y.example",
		"sip:a:@h", "sip:a@h?x=", "sip:%00@h", "sip:a@h;%6C%72", "sip:a@h:65535",
		"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (parse_guarded(ok[i], &u) != 0)
			fail_msg("%s rejected", ok[i]);
}

static void test_errors(void **state)
{
	static const struct {
		const char *in;
		int want;
	} t[] = {
		{ "example.com", SIP_URI_E_SCHEME },
		{ "http://example.com/", SIP_URI_E_SCHEME },
		{ "sipx:a@h", SIP_URI_E_SCHEME },
		{ "tel:+15551234", SIP_URI_E_TEL },
		{ "TEL:+15551234", SIP_URI_E_TEL },
		{ "sip:@h", SIP_URI_E_USER },
		{ "sip:a b@h", SIP_URI_E_USER },
		{ "sip:a<@h", SIP_URI_E_USER },
		{ "sip:a:p;w@h", SIP_URI_E_PASSWORD },
		{ "sip:a:p?@h", SIP_URI_E_PASSWORD },
		{ "sip:", SIP_URI_E_HOST },
		{ "sip:a@", SIP_URI_E_HOST },
		{ "sip:a@b@h", SIP_URI_E_HOST },
		{ "sip:a@-h.com", SIP_URI_E_HOST },
		{ "sip:a@h-.com", SIP_URI_E_HOST },
		{ "sip:a@h..com", SIP_URI_E_HOST },
		{ "sip:a@h_x.com", SIP_URI_E_HOST },
		{ "sip:a@1.2.3", SIP_URI_E_HOST },
		{ "sip:a@1.2.3.256", SIP_URI_E_HOST },
		{ "sip:a@[::1", SIP_URI_E_HOST },
		{ "sip:a@[1:2:3:4:5:6:7:8:9]", SIP_URI_E_HOST },
		{ "sip:a@[1::2::3]", SIP_URI_E_HOST },
		{ "sip:a@[12345::]", SIP_URI_E_HOST },
		{ "sip:a@[::1]x", SIP_URI_E_HOST },
		{ "sip:a@h:", SIP_URI_E_PORT },
		{ "sip:a@h:65536", SIP_URI_E_PORT },
		{ "sip:a@h:5x", SIP_URI_E_PORT },
		{ "sip:a@h;", SIP_URI_E_PARAM },
		{ "sip:a@h;;lr", SIP_URI_E_PARAM },
		{ "sip:a@h;x=", SIP_URI_E_PARAM },
		{ "sip:a@h;x=a b", SIP_URI_E_PARAM },
		{ "sip:a@h;ttl=256", SIP_URI_E_PARAM },
		{ "sip:a@h;ttl=0001", SIP_URI_E_PARAM },
		{ "sip:a@h;lr;LR", SIP_URI_E_PARAM },
		{ "sip:a@h;lr;%6Cr", SIP_URI_E_PARAM },
		{ "sip:a@h?", SIP_URI_E_HEADER },
		{ "sip:a@h?x", SIP_URI_E_HEADER },
		{ "sip:a@h?=y", SIP_URI_E_HEADER },
		{ "sip:a@h?x=y&", SIP_URI_E_HEADER },
		{ "sip:a@h?x=<y>", SIP_URI_E_HEADER },
		{ "sip:a%4@h", SIP_URI_E_ESCAPE },
		{ "sip:a%zz@h", SIP_URI_E_ESCAPE },
		{ "sip:a@h;x=%", SIP_URI_E_ESCAPE },
		{ "sip:a@h?x=%4", SIP_URI_E_ESCAPE },
	};
	struct sip_uri u;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse_guarded(t[i].in, &u);

		if (rc != t[i].want)
			fail_msg("%s: got %s want %s", t[i].in, sip_uri_err_name(rc),
				 sip_uri_err_name(t[i].want));
	}
	for (int e = SIP_URI_E__FIRST; e <= SIP_URI_E__LAST; e++) {
		bool found = false;

		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			found |= t[i].want == e;
		assert_true(found);
		assert_string_not_equal(sip_uri_err_name(e), "unknown");
	}
	assert_string_equal(sip_uri_err_name(0), "unknown");
}

static void test_unescape(void **state)
{
	struct sip_str s = { "a%20b%00%7e", 11 };
	char out[16];

	(void)state;
	assert_int_equal(sip_uri_unescape(s, out, sizeof(out)), 5);
	assert_memory_equal(out, "a b\0~", 5);
	assert_int_equal(sip_uri_unescape(s, out, 4), -ENOSPC);
	assert_int_equal(sip_uri_unescape(s, out, 5), 5);
	s.n = 10;
	assert_int_equal(sip_uri_unescape(s, out, sizeof(out)), SIP_URI_E_ESCAPE);
	s.p = "%G0";
	s.n = 3;
	assert_int_equal(sip_uri_unescape(s, out, sizeof(out)), SIP_URI_E_ESCAPE);
	s.n = 0;
	assert_int_equal(sip_uri_unescape(s, out, 0), 0);
}

static bool eq(const char *a, const char *b)
{
	struct sip_uri ua, ub;

	assert_int_equal(parse_guarded(a, &ua), 0);
	assert_int_equal(parse_guarded(b, &ub), 0);
	assert_true(sip_uri_equal(&ua, &ua));
	assert_true(sip_uri_equal(&ub, &ub));
	/* Symmetric. */
	assert_int_equal(sip_uri_equal(&ua, &ub), sip_uri_equal(&ub, &ua));
	return sip_uri_equal(&ua, &ub);
}

static void test_compare_rfc3261(void **state)
{
	(void)state;
	/* §19.1.4: equivalent. */
	assert_true(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
	assert_true(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
	assert_true(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
	assert_true(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
	assert_true(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		       "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
	assert_true(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		       "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
	/* §19.1.4: not equivalent. */
	assert_false(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
	assert_false(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
	assert_false(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
	assert_false(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
	assert_false(eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
	assert_false(eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
	assert_false(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
	/* Further rules. */
	assert_false(eq("sip:a@h", "sips:a@h"));
	assert_false(eq("sip:a@h", "sip:h"));
	assert_false(eq("sip:a:x@h", "sip:a@h"));
	assert_false(eq("sip:a:x@h", "sip:a:y@h"));
	assert_false(eq("sip:a%3Bb@h", "sip:a;b@h")); /* reserved: escaped != literal */
	assert_true(eq("sip:a%3bb@h", "sip:a%3Bb@h"));
	assert_true(eq("sip:a@h;%6Cr", "sip:a@h;lr"));
	assert_false(eq("sip:a@h;ttl=1", "sip:a@h"));
	assert_false(eq("sip:a@h;user=phone", "sip:a@h;user=ip"));
	assert_true(eq("sip:a@h;user=PHONE", "sip:a@h;user=phone"));
	assert_false(eq("sip:a@h;method=INVITE", "sip:a@h;method=invite"));
	assert_false(eq("sip:a@h;maddr=1.2.3.4", "sip:a@h"));
	assert_false(eq("sip:a@h;x", "sip:a@h;x=1"));
	assert_true(eq("sip:a@h;x", "sip:a@h;X"));
	assert_false(eq("sip:a@h?x=1", "sip:a@h?x=1&y=2"));
	assert_false(eq("sip:a@h?x=A", "sip:a@h?x=a"));
	assert_true(eq("sip:a@h?X=a", "sip:a@h?x=a"));
	assert_true(eq("sip:a@[2001:DB8::1]", "sip:a@[2001:db8::1]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_compare_rfc3261),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
