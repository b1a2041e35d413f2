/* Unit tests of base/siphash.c: the reference vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/siphash.h"

/* Key 00..0f, message 00..(n-1): the paper's appendix A and its vector table. */
static void test_vectors(void **state)
{
	uint8_t key[16], msg[15];
	uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
	(void)state;

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	assert_true(siphash24(k0, k1, msg, 15) == 0xa129ca6149be45e5ull);
	assert_true(siphash24(k0, k1, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(siphash24(k0, k1, msg, 8) == 0x93f5f5799a932462ull);
	/* the byte-key form is the same function */
	assert_true(siphash24_key(key, msg, 15) == 0xa129ca6149be45e5ull);
	assert_true(siphash24_key(key, msg, 7) == siphash24(k0, k1, msg, 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
