/* client/imdn.c: the notification bodies columbad writes, and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/imdn.h"
#include "tests/client/guard.h"

#define BODY(id, state)                                                              \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"                             \
	"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\" "                               \
	"xmlns:c=\"urn:columba:params:xml:ns:imdn\">\r\n"                            \
	"<message-id>" id "</message-id>\r\n"                                        \
	"<datetime>2026-11-27T15:20:00.123Z</datetime>\r\n"                          \
	"<recipient-uri>sips:bob@localhost</recipient-uri>\r\n"                      \
	"<delivery-notification><status><delivered/></status></delivery-notification>\r\n" \
	"<c:state>" state "</c:state>\r\n</imdn>\r\n"

static int parse(const char *s, char id[27], enum cl_imdn_state *st)
{
	return cl_imdn_parse(s, strlen(s), id, st);
}

static void test_states(void **state)
{
	enum cl_imdn_state st;
	char id[27];

	(void)state;
	assert_int_equal(parse(BODY("01M8ET0W45GWTYWQD3PYJKAFBG", "delivered"), id, &st), 0);
	assert_string_equal(id, "01M8ET0W45GWTYWQD3PYJKAFBG");
	assert_int_equal(st, CL_IMDN_DELIVERED);
	assert_int_equal(parse(BODY("01M8ET0W45GWTYWQD3PYJKAFBG", "failed"), id, &st), 0);
	assert_int_equal(st, CL_IMDN_FAILED);
	assert_int_equal(parse(BODY("01M8ET0W45GWTYWQD3PYJKAFBG", "expired"), id, &st), 0);
	assert_int_equal(st, CL_IMDN_EXPIRED);
}

static void test_refused(void **state)
{
	enum cl_imdn_state st;
	char id[27];

	(void)state;
	assert_int_equal(parse(BODY("01M8ET0W45GWTYWQD3PYJKAFB", "delivered"), id, &st), CL_IMDN_E_ID);
	assert_int_equal(parse(BODY("01M8ET0W45GWTYWQD3PYJKAFBU", "delivered"), id, &st), CL_IMDN_E_ID);
	assert_int_equal(parse(BODY("01M8ET0W45GWTYWQD3PYJKAFBG", "read"), id, &st), CL_IMDN_E_STATE);
	assert_int_equal(parse(BODY("01M8ET0W45GWTYWQD3PYJKAFBG", "deliv<x/>ered"), id, &st),
			 CL_IMDN_E_STATE);
	assert_int_equal(parse("<message-id>01M8ET0W45GWTYWQD3PYJKAFBG</message-id>", id, &st),
			 CL_IMDN_E_STATE);
	assert_int_equal(parse("<message-id>01M8ET0W45GWTYWQD3PYJKAFBG</message-id>"
			       "<message-id>01M8ET0W45GWTYWQD3PYJKAFBG</message-id>"
			       "<c:state>delivered</c:state>", id, &st), CL_IMDN_E_ID);
	assert_int_equal(parse("", id, &st), CL_IMDN_E_ID);
	/* a body cut inside the element */
	assert_int_equal(cl_imdn_parse("<message-id>01M8ET0W45GW", 24, id, &st), CL_IMDN_E_ID);
}

static void test_guard_page(void **state)
{
	static const char b[] = BODY("01M8ET0W45GWTYWQD3PYJKAFBG", "failed");
	enum cl_imdn_state st;
	char id[27];
	void *map = NULL;

	(void)state;
	for (size_t n = 0; n <= strlen(b); n++) {
		char *p = guard_copy(b, n, &map);
		int rc;

		assert_non_null(p);
		rc = cl_imdn_parse(p, n, id, &st);
		/* complete once "</c:state>" is in */
		assert_true(rc == 0 ? n >= strlen(b) - strlen("\r\n</imdn>\r\n")
				    : rc == CL_IMDN_E_ID || rc == CL_IMDN_E_STATE);
		guard_free(map);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_guard_page),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
