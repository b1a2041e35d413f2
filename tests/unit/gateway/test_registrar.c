/*
 * Unit tests of the registrar's pure helpers: gw_reg_expires() (which
 * lifetime a REGISTER asks for, 423 below the minimum, clamping) on
 * messages parsed by the real SIP parser, and gw_sip_flow_id().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/config.h"
#include "gateway/registrar.h"
#include "gateway/sip/sip_parse.h"

static struct sip_header hdrs[32];
static char text[2048];

/* Parse a REGISTER with the given extra header lines (each ending CRLF). */
static void parse_register(const char *extra, struct sip_msg *m)
{
	struct sip_parser ps;
	int n = snprintf(text, sizeof(text),
			 "REGISTER sips:localhost SIP/2.0\r\n"
			 "Via: SIP/2.0/TLS h.invalid;branch=z9hG4bK1\r\n"
			 "From: <sips:alice@localhost>;tag=1\r\n"
			 "To: <sips:alice@localhost>\r\n"
			 "Call-ID: c1@h\r\n"
			 "CSeq: 1 REGISTER\r\n"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 extra);

	assert_true(n > 0 && (size_t)n < sizeof(text));
	memset(m, 0, sizeof(*m));
	m->headers = hdrs;
	m->headers_cap = 32;
	sip_parser_init(&ps, NULL);
	assert_int_equal(sip_parse_message(&ps, text, (size_t)n, m), n);
}

static void cfg_init(struct gw_config *cfg)
{
	gw_config_defaults(cfg);
	cfg->sip_min_expires_s = 60;
	cfg->sip_max_expires_s = 3600;
	cfg->sip_default_expires_s = 600;
}

static void test_default_when_absent(void **state)
{
	struct gw_config cfg;
	struct sip_msg m;
	uint32_t e = 1;

	(void)state;
	cfg_init(&cfg);
	parse_register("Contact: <sips:alice@h.invalid>\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), 0);
	assert_int_equal(e, 600);
}

static void test_header_and_param(void **state)
{
	struct gw_config cfg;
	struct sip_msg m;
	uint32_t e = 0;

	(void)state;
	cfg_init(&cfg);
	parse_register("Contact: <sips:alice@h.invalid>\r\nExpires: 120\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), 0);
	assert_int_equal(e, 120);
	/* The Contact's expires parameter wins over the header (RFC 3261 §10.3 step 7). */
	parse_register("Contact: <sips:alice@h.invalid>;expires=300\r\nExpires: 120\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), 0);
	assert_int_equal(e, 300);
}

static void test_bounds(void **state)
{
	struct gw_config cfg;
	struct sip_msg m;
	uint32_t e = 0;

	(void)state;
	cfg_init(&cfg);
	parse_register("Contact: <sips:alice@h.invalid>\r\nExpires: 59\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), GW_REG_TOO_BRIEF);
	parse_register("Contact: <sips:alice@h.invalid>\r\nExpires: 60\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), 0);
	assert_int_equal(e, 60);
	parse_register("Contact: <sips:alice@h.invalid>;expires=4294967295\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), 0);
	assert_int_equal(e, 3600);
	parse_register("Contact: <sips:alice@h.invalid>;expires=1\r\nExpires: 600\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), GW_REG_TOO_BRIEF);
}

static void test_zero_removes(void **state)
{
	struct gw_config cfg;
	struct sip_msg m;
	uint32_t e = 7;

	(void)state;
	cfg_init(&cfg);
	parse_register("Contact: <sips:alice@h.invalid>\r\nExpires: 0\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), 0);
	assert_int_equal(e, 0);
	e = 7;
	parse_register("Contact: *\r\nExpires: 0\r\n", &m);
	assert_int_equal(gw_reg_expires(&m, &cfg, &e), 0);
	assert_int_equal(e, 0);
}

static void test_flow_id(void **state)
{
	(void)state;
	assert_int_equal(gw_sip_flow_id(0, 1), 1);
	assert_true(gw_sip_flow_id(3, 5) == ((3ull << 48) | 5));
	/* The counter never spills into the worker bits. */
	assert_true(gw_sip_flow_id(1, 1ull << 48) == (1ull << 48));
	assert_true(gw_sip_flow_id(2, 7) != gw_sip_flow_id(1, 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_when_absent),
		cmocka_unit_test(test_header_and_param),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_zero_removes),
		cmocka_unit_test(test_flow_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
