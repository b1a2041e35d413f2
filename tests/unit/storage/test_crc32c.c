/* Unit tests for storage/crc32c: RFC 3720 B.4 vectors, hw == sw on random data. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "storage/crc32c.h"

static void test_rfc3720_vectors(void **state)
{
	uint8_t buf[48];
	(void)state;

	assert_int_equal(st_crc32c(0, "123456789", 9), 0xE3069283u);
	memset(buf, 0, 32);
	assert_int_equal(st_crc32c(0, buf, 32), 0x8A9136AAu);
	assert_int_equal(st_crc32c_sw(0, buf, 32), 0x8A9136AAu);
	memset(buf, 0xff, 32);
	assert_int_equal(st_crc32c(0, buf, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(st_crc32c(0, buf, 32), 0x46DD794Eu);
	assert_int_equal(st_crc32c_sw(0, buf, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(st_crc32c(0, buf, 32), 0x113FDB5Cu);
	/* iSCSI SCSI Read (10) command PDU */
	static const uint8_t pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	assert_int_equal(st_crc32c(0, pdu, 48), 0xD9963A56u);
	assert_int_equal(st_crc32c_sw(0, pdu, 48), 0xD9963A56u);
}

static void test_incremental_and_unaligned(void **state)
{
	uint8_t buf[1031];
	uint64_t s = 0x9E3779B97F4A7C15ull;
	(void)state;

	for (size_t i = 0; i < sizeof(buf); i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(s >> 56);
	}
	for (size_t off = 0; off < 9; off++) {
		for (size_t len = 0; len < 200; len += 7) {
			uint32_t whole = st_crc32c(0, buf + off, len);
			assert_int_equal(whole, st_crc32c_sw(0, buf + off, len));
			size_t cut = len / 3;
			uint32_t part = st_crc32c(st_crc32c(0, buf + off, cut), buf + off + cut, len - cut);
			assert_int_equal(whole, part);
		}
	}
	assert_int_equal(st_crc32c(0, buf, sizeof(buf)), st_crc32c_sw(0, buf, sizeof(buf)));
	print_message("crc32c hardware path: %s\n", st_crc32c_hw_available() ? "sse4.2" : "table");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3720_vectors),
		cmocka_unit_test(test_incremental_and_unaligned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
