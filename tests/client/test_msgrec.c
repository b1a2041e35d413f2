/* client/msgrec.c: text rule, record round trip, sealing, tampering. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/msgrec.h"

static void test_text_check(void **state)
{
	char buf[1024];
	size_t chars = 0;

	(void)state;
	assert_int_equal(cl_text_check("hi", 2, &chars), 2);
	assert_int_equal(cl_text_check("", 0, &chars), -ENODATA);
	assert_int_equal(cl_text_check("a\nb", 3, NULL), 3);
	assert_int_equal(cl_text_check("a\tb", 3, NULL), -EILSEQ);
	assert_int_equal(cl_text_check("a\x7f", 2, NULL), -EILSEQ);
	assert_int_equal(cl_text_check("\xc2\x85", 2, NULL), -EILSEQ);     /* C1 NEL */
	assert_int_equal(cl_text_check("\xc0\xaf", 2, NULL), -EILSEQ);     /* overlong */
	assert_int_equal(cl_text_check("\xed\xa0\x80", 3, NULL), -EILSEQ); /* surrogate */
	assert_int_equal(cl_text_check("\xf4\x90\x80\x80", 4, NULL), -EILSEQ);
	assert_int_equal(cl_text_check("\xe2\x82", 2, NULL), -EILSEQ);     /* truncated */
	assert_int_equal(cl_text_check("\xff", 1, NULL), -EILSEQ);
	/* 160 four-byte code points are fine, 161 are not */
	for (int i = 0; i < 161; i++)
		memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
	assert_int_equal(cl_text_check(buf, 640, &chars), 160);
	assert_int_equal(cl_text_check(buf, 644, &chars), -EMSGSIZE);
	assert_int_equal(chars, 161);
	memset(buf, 'x', 161);
	assert_int_equal(cl_text_check(buf, 160, NULL), 160);
	assert_int_equal(cl_text_check(buf, 161, NULL), -EMSGSIZE);
}

static void fill(struct cl_msg *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < CL_KEY_LEN; i++)
		m->key[i] = (uint8_t)(i * 7 + 1);
	m->dir = CL_OUT;
	m->status = CL_ST_ENQUEUED;
	m->tries = 3;
	m->created_ms = 1795793383123ull;
	m->updated_ms = 1795793383999ull;
	m->sent_ms = 1795793384000ull;
	m->slot = 42;
	memcpy(m->server_id, "01M8ET0W45GWTYWQD3PYJKAFBG", 27);
	memcpy(m->peer, "bob", 4);
	memcpy(m->text, "See you at 8", 13);
	m->text_len = 12;
}

static void test_roundtrip_and_seal(void **state)
{
	uint8_t rec[CL_REC_MAX], tk[32], nonce[12] = { 1, 2, 3 };
	struct cl_msg m, out;
	ssize_t n;

	(void)state;
	memset(tk, 0x5a, sizeof(tk));
	fill(&m);
	n = cl_msgrec_encode(&m, tk, nonce, rec, sizeof(rec));
	assert_true(n > 0);
	assert_null(memmem(rec, (size_t)n, "See you", 7)); /* sealed */
	assert_int_equal(cl_msgrec_slot(rec, (size_t)n), 42);
	memcpy(out.key, m.key, CL_KEY_LEN);
	assert_int_equal(cl_msgrec_decode(rec, (size_t)n, tk, &out), 0);
	assert_string_equal(out.text, "See you at 8");
	assert_int_equal(out.text_len, 12);
	assert_string_equal(out.peer, "bob");
	assert_string_equal(out.server_id, "01M8ET0W45GWTYWQD3PYJKAFBG");
	assert_int_equal(out.created_ms, m.created_ms);
	assert_int_equal(out.tries, 3);
	/* metadata only */
	assert_int_equal(cl_msgrec_decode(rec, (size_t)n, NULL, &out), 0);
	assert_int_equal(out.text_len, 0);
	/* another key, another message key (AAD) or a flipped byte: refused */
	tk[0] ^= 1;
	assert_int_equal(cl_msgrec_decode(rec, (size_t)n, tk, &out), -EKEYREJECTED);
	tk[0] ^= 1;
	out.key[0] ^= 1;
	assert_int_equal(cl_msgrec_decode(rec, (size_t)n, tk, &out), -EKEYREJECTED);
	memcpy(out.key, m.key, CL_KEY_LEN);
	rec[n - 1] ^= 0x80;
	assert_int_equal(cl_msgrec_decode(rec, (size_t)n, tk, &out), -EKEYREJECTED);
	/* truncated or bad version */
	assert_int_equal(cl_msgrec_decode(rec, (size_t)n - 1, tk, &out), -EBADMSG);
	rec[0] = 9;
	assert_int_equal(cl_msgrec_decode(rec, (size_t)n, tk, &out), -EBADMSG);
}

static void test_erased_has_no_text(void **state)
{
	uint8_t rec[CL_REC_MAX], tk[32] = { 0 };
	struct cl_msg m, out;
	ssize_t n;

	(void)state;
	fill(&m);
	m.flags = CL_F_READ | CL_F_ERASED;
	n = cl_msgrec_encode(&m, NULL, NULL, rec, sizeof(rec));
	assert_true(n > 0);
	memcpy(out.key, m.key, CL_KEY_LEN);
	assert_int_equal(cl_msgrec_decode(rec, (size_t)n, tk, &out), 0);
	assert_int_equal(out.text_len, 0);
	assert_int_equal(out.flags, CL_F_READ | CL_F_ERASED);
}

static void test_key_hex(void **state)
{
	uint8_t k[CL_KEY_LEN], back[CL_KEY_LEN];
	char hex[CL_KEY_HEX + 1];

	(void)state;
	for (int i = 0; i < CL_KEY_LEN; i++)
		k[i] = (uint8_t)(0xf0 + i);
	cl_key_hex(k, hex);
	assert_string_equal(hex, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	assert_int_equal(cl_key_unhex(hex, back), 0);
	assert_memory_equal(k, back, CL_KEY_LEN);
	assert_int_equal(cl_key_unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF", back), -EINVAL);
	assert_int_equal(cl_key_unhex("f0", back), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_check),
		cmocka_unit_test(test_roundtrip_and_seal),
		cmocka_unit_test(test_erased_has_no_text),
		cmocka_unit_test(test_key_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
