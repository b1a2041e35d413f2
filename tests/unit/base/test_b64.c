/* base/b64: RFC 4648 §10 vectors in both alphabets, strictness, round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/b64.h"

static void test_rfc4648_vectors(void **state)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	char enc[16];
	uint8_t dec[16];
	(void)state;

	for (size_t i = 0; i < 7; i++) {
		size_t n = strlen(in[i]);

		assert_int_equal(b64_encode_nopad((const uint8_t *)in[i], n, enc, false), strlen(out[i]));
		assert_string_equal(enc, out[i]);
		assert_int_equal(b64_encoded_len(n), strlen(out[i]));
		assert_int_equal(b64_decode_nopad(out[i], strlen(out[i]), dec, sizeof(dec), true), (long)n);
		assert_memory_equal(dec, in[i], n);
	}
}

static void test_alphabets(void **state)
{
	const uint8_t b[3] = { 0xfb, 0xff, 0xbf };
	char enc[8];
	uint8_t dec[3];
	(void)state;

	b64_encode_nopad(b, 3, enc, false);
	assert_string_equal(enc, "+/+/");
	b64_encode_nopad(b, 3, enc, true);
	assert_string_equal(enc, "-_-_");
	assert_int_equal(b64_decode_nopad("-_-_", 4, dec, 3, false), -1);
	assert_int_equal(b64_decode_nopad("+/+/", 4, dec, 3, true), -1);
	assert_int_equal(b64_decode_nopad("-_-_", 4, dec, 3, true), 3);
	assert_memory_equal(dec, b, 3);
}

static void test_strict(void **state)
{
	uint8_t dec[8];
	(void)state;

	assert_int_equal(b64_decode_nopad("Zh", 2, dec, sizeof(dec), false), -1);  /* unused bits set */
	assert_int_equal(b64_decode_nopad("Zg", 2, dec, sizeof(dec), false), 1);
	assert_int_equal(b64_decode_nopad("Zm9", 3, dec, sizeof(dec), false), -1); /* 9: low bits */
	assert_int_equal(b64_decode_nopad("Z", 1, dec, sizeof(dec), false), -1);   /* 1 mod 4 */
	assert_int_equal(b64_decode_nopad("Zg==", 4, dec, sizeof(dec), false), -1); /* no padding */
	assert_int_equal(b64_decode_nopad("Zm9v", 4, dec, 2, false), -1);          /* too long */
	assert_int_equal(b64_decode_nopad("Zm 9", 4, dec, sizeof(dec), false), -1);
}

static void test_round_trip(void **state)
{
	uint8_t in[64], dec[64];
	char enc[100];
	uint32_t x = 1;
	(void)state;

	for (size_t n = 0; n <= sizeof(in); n++) {
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (uint8_t)(x >> 16);
		}
		for (int url = 0; url < 2; url++) {
			size_t e = b64_encode_nopad(in, n, enc, url);
			assert_int_equal(e, b64_encoded_len(n));
			assert_int_equal(b64_decode_nopad(enc, e, dec, sizeof(dec), url), (long)n);
			assert_memory_equal(dec, in, n);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_alphabets),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
