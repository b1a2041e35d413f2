/*
 * The keyed hash and the checksum helpers: SipHash-2-4 against the
 * reference vectors of its paper, the Internet checksum over pieces split
 * at odd offsets (as a payload wrapping the send ring is) against a plain
 * one-buffer sum, and the ISN clock of RFC 6528.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net_test.h"
#include "dataplane/net/net-int.h"

static void test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* SipHash-2-4 reference outputs (little-endian words), lengths 0, 1, 7, 8, 15 and 63 */
	assert_true(net__siphash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(net__siphash(key, msg, 1) == 0x74f839c593dc67fdull);
	assert_true(net__siphash(key, msg, 7) == 0xab0200f58b01d137ull);
	assert_true(net__siphash(key, msg, 8) == 0x93f5f5799a932462ull);
	assert_true(net__siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
	assert_true(net__siphash(key, msg, 63) == 0x958a324ceb064572ull);
}

static void test_checksum_pieces(void **state)
{
	uint8_t buf[1501];
	uint64_t r = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(r >> 56);
	}
	for (uint32_t len = 0; len <= sizeof(buf); len += 37) {
		uint16_t whole = nt_csum(buf, len, 0x1234);

		for (uint32_t cut1 = 0; cut1 <= len; cut1 += 13) {
			for (uint32_t cut2 = cut1; cut2 <= len; cut2 += 29) {
				struct net_iov iov[3] = {
					{ buf, cut1 }, { buf + cut1, cut2 - cut1 }, { buf + cut2, len - cut2 },
				};

				assert_int_equal(net__csum_fold(net__csum_iov(0x1234, iov, 3)), whole);
			}
		}
		assert_int_equal(net__csum_fold(net__csum_add(0x1234, buf, len)), whole);
	}
	/* An all-ones word sums to a zero checksum; the fold never yields 0x10000. */
	assert_int_equal(net__csum_fold(net__csum_add(0, "\xff\xff", 2)), 0);
	assert_int_equal(net__csum_fold(0x1fffe), 0);
}

static void test_isn_clock_and_key(void **state)
{
	struct nt_host h;
	uint32_t a, b, c;

	(void)state;
	nt_host_init(&h, NULL);
	a = tcp__isn(h.st, NT_STACK_IP, 80, NT_PEER_IP, 40000);
	h.st->now_us += 400;
	b = tcp__isn(h.st, NT_STACK_IP, 80, NT_PEER_IP, 40000);
	assert_int_equal(b - a, 100); /* the 4 us clock M of RFC 6528 */
	c = tcp__isn(h.st, NT_STACK_IP, 80, NT_PEER_IP, 40001);
	assert_int_not_equal(c, b); /* F differs per 4-tuple */
	h.st->cfg.secret[0] ^= 1;
	assert_int_not_equal(tcp__isn(h.st, NT_STACK_IP, 80, NT_PEER_IP, 40000), b); /* and per key */
	nt_host_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_checksum_pieces),
		cmocka_unit_test(test_isn_clock_and_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
