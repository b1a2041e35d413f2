/*
 * Unit tests for storage/walrec: record and mutation codecs, each rejection
 * reason, and decoding of records that end exactly at a PROT_NONE guard page.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "storage/walrec.h"

static size_t make_rec(uint8_t *out, uint64_t seq, const char *payload, uint32_t pad)
{
	uint32_t len = (uint32_t)strlen(payload);
	st_wal_hdr_encode(out, seq, (const uint8_t *)payload, len, pad);
	memcpy(out + ST_WAL_HDR_LEN, payload, len);
	memset(out + ST_WAL_HDR_LEN + len, 0, pad);
	return ST_WAL_HDR_LEN + len + pad;
}

static void test_record_roundtrip_and_errors(void **state)
{
	uint8_t buf[256];
	struct st_wal_rec r;
	size_t n = make_rec(buf, 42, "payload-bytes", 5);
	(void)state;

	assert_int_equal(st_wal_decode(buf, n, &r), (long)n);
	assert_int_equal(r.seq, 42);
	assert_int_equal(r.len, 13);
	assert_int_equal(r.pad, 5);
	assert_memory_equal(r.payload, "payload-bytes", 13);
	assert_int_equal(st_wal_decode(buf, 0, &r), 0);
	for (size_t cut = 1; cut < n; cut++)
		assert_int_equal(st_wal_decode(buf, cut, &r), cut >= 12 || cut < 12 ? -EAGAIN : 0);
	/* each byte flipped: rejected, with the reason of the field it hit */
	for (size_t i = 0; i < n; i++) {
		buf[i] ^= 0x40;
		long rc = st_wal_decode(buf, n, &r);
		if (i >= 8 && i < 12)
			assert_int_equal(rc, -EPROTO);
		else if (i < 4 || (i >= 12 && i < 16))
			assert_true(rc == -EAGAIN || rc == -EMSGSIZE || rc == -EBADMSG);
		else
			assert_int_equal(rc, -EBADMSG);
		buf[i] ^= 0x40;
	}
	memset(buf, 0, 64);
	assert_int_equal(st_wal_decode(buf, 64, &r), -EPROTO);
	/* fewer zero bytes than the magic needs are zeroed space too, not a torn header */
	for (size_t len = 1; len < ST_WAL_HDR_LEN; len++)
		assert_int_equal(st_wal_decode(buf, len, &r), -EPROTO);
	n = make_rec(buf, 1, "x", 0);
	buf[12] = 0xff;
	buf[13] = 0xff;
	assert_int_equal(st_wal_decode(buf, n, &r), -EMSGSIZE);
}

static void test_mutations(void **state)
{
	uint8_t buf[128];
	struct st_mut m = { ST_MUT_PUT, 3, 4, 5, (const uint8_t *)"keyy", (const uint8_t *)"value" };
	struct st_mut d;
	long n;
	(void)state;

	n = st_mut_encode(buf, sizeof(buf), &m);
	assert_int_equal(n, ST_MUT_HDR_LEN + 9);
	assert_int_equal(st_mut_encode(buf, 10, &m), -ENOBUFS);
	assert_int_equal(st_mut_decode(buf, (size_t)n, 8, &d), n);
	assert_int_equal(d.op, ST_MUT_PUT);
	assert_int_equal(d.dbi, 3);
	assert_memory_equal(d.key, "keyy", 4);
	assert_memory_equal(d.val, "value", 5);
	for (long cut = 0; cut < n; cut++)
		assert_int_equal(st_mut_decode(buf, (size_t)cut, 8, &d), -EAGAIN);
	assert_int_equal(st_mut_decode(buf, (size_t)n, 3, &d), -EINVAL);
	buf[0] = 9;
	assert_int_equal(st_mut_decode(buf, (size_t)n, 8, &d), -EINVAL);
	buf[0] = ST_MUT_DEL; /* a delete with a value */
	assert_int_equal(st_mut_decode(buf, (size_t)n, 8, &d), -EMSGSIZE);
	buf[0] = ST_MUT_PUT;
	buf[2] = 0;
	buf[3] = 0; /* empty key */
	assert_int_equal(st_mut_decode(buf, (size_t)n, 8, &d), -EMSGSIZE);
}

static void test_guard_page(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t rec[64];
	struct st_wal_rec r;
	size_t n = make_rec(rec, 7, "guarded", 3);
	(void)state;

	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	/* the record ends exactly at the guard page, and every prefix of it does too */
	for (size_t len = 0; len <= n; len++) {
		uint8_t *p = map + pg - len;
		memcpy(p, rec, len);
		long rc = st_wal_decode(p, len, &r);
		assert_int_equal(rc, len == n ? (long)n : (len == 0 ? 0 : -EAGAIN));
	}
	munmap(map, (size_t)pg * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_roundtrip_and_errors),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_guard_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
