/*
 * Strict UTF-8 validation: Markus Kuhn's stress-test cases, every error class
 * with its offset, the encoding-length boundaries, and a brute-force
 * comparison against a value-based reference decoder written here (all 1-,
 * 2- and 3-byte sequences, a large random sample of 4-byte ones, random
 * mixed strings), every input also placed to end at a PROT_NONE guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gateway/utf8.h"

/* ---- guard page: inputs end exactly where reading further would fault --- */

static uint8_t *guard_base;
static size_t page;

static int guard_setup(void **state)
{
	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED)
		return -1;
	return mprotect(guard_base + page, page, PROT_NONE);
}

static int guard_teardown(void **state)
{
	(void)state;
	return munmap(guard_base, 2 * page);
}

/* Copy @n bytes so they end at the guard page; returns the copy. */
static const uint8_t *at_guard(const void *s, size_t n)
{
	uint8_t *p = guard_base + page - n;

	memcpy(p, s, n);
	return p;
}

/* ---- reference decoder: by code point value, one byte at a time --------- */

/*
 * Independent of Table 3-7: decode the value and reject on its numeric
 * range, as early as the bytes seen so far prove it (after the second byte
 * the possible values form an interval [lo, hi]).
 */
static int ref_validate(const uint8_t *p, size_t n, size_t *out)
{
	static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t i = 0, cps = 0;

	while (i < n) {
		uint8_t b = p[i];
		int len;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			cps++;
			continue;
		}
		if (b < 0xC0) {
			*out = i;
			return UTF8_E_CONTINUATION;
		}
		len = b >= 0xF8 ? 5 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
		if (len == 5 || b >= 0xF5 || b == 0xC0 || b == 0xC1) {
			*out = i;
			return UTF8_E_BYTE;
		}
		cp = b & (0x7Fu >> len);
		for (int k = 1; k < len; k++) {
			if (i + (size_t)k >= n || (p[i + k] & 0xC0) != 0x80) {
				*out = i;
				return UTF8_E_TRUNCATED;
			}
			cp = cp << 6 | (p[i + k] & 0x3F);
			if (k == 1) {
				unsigned rest = 6u * (unsigned)(len - 2);
				uint32_t lo = cp << rest, hi = lo | ((1u << rest) - 1);
				int e = 0;

				if (hi < min_for_len[len])
					e = UTF8_E_OVERLONG;
				else if (lo >= 0xD800 && hi <= 0xDFFF)
					e = UTF8_E_SURROGATE;
				else if (lo > 0x10FFFF)
					e = UTF8_E_RANGE;
				if (e) {
					*out = i;
					return e;
				}
			}
		}
		/* The interval test is exact for these ranges: check anyway. */
		assert_true(cp >= min_for_len[len] && cp <= 0x10FFFF &&
			    (cp < 0xD800 || cp > 0xDFFF));
		i += (size_t)len;
		cps++;
	}
	*out = cps;
	return 0;
}

static void compare(const uint8_t *s, size_t n)
{
	size_t a = 12345, b = 54321;
	int ra = utf8_validate(s, n, &a), rb = ref_validate(s, n, &b);

	if (ra != rb || a != b) {
		print_error("input:");
		for (size_t i = 0; i < n; i++)
			print_error(" %02X", s[i]);
		print_error("\nutf8_validate %d/%zu, reference %d/%zu\n", ra, a, rb, b);
		fail();
	}
}

/* ---- table of stress-test cases ----------------------------------------- */

struct ucase {
	const char *s;
	size_t n;
	int want;   /* 0 or UTF8_E_* */
	size_t out; /* code points, or offset of the bad byte */
};

#define U(str, w, o) { str, sizeof(str) - 1, w, o }

static const struct ucase cases[] = {
	/* 1: correct text, "κόσμε" */
	U("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", 0, 5),
	U("", 0, 0),
	U("\x00", 0, 1),
	/* 2.1 first sequence of each length; 2.2 last; 2.3 other boundaries */
	U("\xC2\x80", 0, 1),
	U("\xE0\xA0\x80", 0, 1),
	U("\xF0\x90\x80\x80", 0, 1),
	U("\x7F", 0, 1),
	U("\xDF\xBF", 0, 1),
	U("\xEF\xBF\xBF", 0, 1),
	U("\xF4\x8F\xBF\xBF", 0, 1),
	U("\xF7\xBF\xBF\xBF", UTF8_E_BYTE, 0),
	U("\xF8\x88\x80\x80\x80", UTF8_E_BYTE, 0),
	U("\xFC\x84\x80\x80\x80\x80", UTF8_E_BYTE, 0),
	U("\xED\x9F\xBF", 0, 1),
	U("\xEE\x80\x80", 0, 1),
	U("\xEF\xBF\xBD", 0, 1),
	U("\xF4\x90\x80\x80", UTF8_E_RANGE, 0),
	/* 3.1 unexpected continuation bytes */
	U("\x80", UTF8_E_CONTINUATION, 0),
	U("\xBF", UTF8_E_CONTINUATION, 0),
	U("a\x80\xBF", UTF8_E_CONTINUATION, 1),
	U("\xC2\x80\x80", UTF8_E_CONTINUATION, 2),
	/* 3.2 lonely start characters followed by a space */
	U("\xC2 ", UTF8_E_TRUNCATED, 0),
	U("\xDF ", UTF8_E_TRUNCATED, 0),
	U("\xE0 ", UTF8_E_TRUNCATED, 0),
	U("\xEF ", UTF8_E_TRUNCATED, 0),
	U("\xF0 ", UTF8_E_TRUNCATED, 0),
	U("\xF4 ", UTF8_E_TRUNCATED, 0),
	U("\xF5 ", UTF8_E_BYTE, 0),
	/* 3.3/3.4 sequences with the last byte missing */
	U("\xC2", UTF8_E_TRUNCATED, 0),
	U("\xE0\xA0", UTF8_E_TRUNCATED, 0),
	U("\xF0\x90\x80", UTF8_E_TRUNCATED, 0),
	U("\xE2\x82", UTF8_E_TRUNCATED, 0),
	U("ab\xE2\x82" "c", UTF8_E_TRUNCATED, 2),
	U("\xF0\x9F\x98", UTF8_E_TRUNCATED, 0),
	U("\xF0\x9F\x98\x80\xF0\x9F\x98", UTF8_E_TRUNCATED, 4),
	/* 3.5 impossible bytes */
	U("\xFE", UTF8_E_BYTE, 0),
	U("\xFF", UTF8_E_BYTE, 0),
	U("\xFE\xFE\xFF\xFF", UTF8_E_BYTE, 0),
	/* 4 overlong forms: C0/C1 are never-valid bytes (utf8.h) */
	U("\xC0\xAF", UTF8_E_BYTE, 0),
	U("\xE0\x80\xAF", UTF8_E_OVERLONG, 0),
	U("\xF0\x80\x80\xAF", UTF8_E_OVERLONG, 0),
	U("\xF8\x80\x80\x80\xAF", UTF8_E_BYTE, 0),
	U("\xC1\xBF", UTF8_E_BYTE, 0),
	U("\xE0\x9F\xBF", UTF8_E_OVERLONG, 0),
	U("\xF0\x8F\xBF\xBF", UTF8_E_OVERLONG, 0),
	U("\xC0\x80", UTF8_E_BYTE, 0),
	U("\xE0\x80\x80", UTF8_E_OVERLONG, 0),
	U("\xF0\x80\x80\x80", UTF8_E_OVERLONG, 0),
	U("\xE0\x80", UTF8_E_OVERLONG, 0),  /* provably overlong already */
	/* 5.1 single surrogates, 5.2 paired surrogates */
	U("\xED\xA0\x80", UTF8_E_SURROGATE, 0),
	U("\xED\xAD\xBF", UTF8_E_SURROGATE, 0),
	U("\xED\xAE\x80", UTF8_E_SURROGATE, 0),
	U("\xED\xAF\xBF", UTF8_E_SURROGATE, 0),
	U("\xED\xB0\x80", UTF8_E_SURROGATE, 0),
	U("\xED\xBE\x80", UTF8_E_SURROGATE, 0),
	U("\xED\xBF\xBF", UTF8_E_SURROGATE, 0),
	U("\xED\xA0\x80\xED\xB0\x80", UTF8_E_SURROGATE, 0),
	U("\xED\xAF\xBF\xED\xBF\xBF", UTF8_E_SURROGATE, 0),
	/* 5.3 noncharacters are valid UTF-8 */
	U("\xEF\xBF\xBE", 0, 1),
	U("\xF4\x8F\xBF\xBE", 0, 1),
	/* above U+10FFFF */
	U("\xF4\xBF\xBF\xBF", UTF8_E_RANGE, 0),
	U("\xF4\x90", UTF8_E_RANGE, 0),
	/* the fast path: offsets after whole and partial 8-byte words */
	U("abcdefgh\x80", UTF8_E_CONTINUATION, 8),
	U("abcdefghi\xED\xA0\x80", UTF8_E_SURROGATE, 9),
	U("abcdefghijklmnop\xC0\xAF", UTF8_E_BYTE, 16),
	U("abcdefghijklmnopq\xF4\x90\x80\x80", UTF8_E_RANGE, 17),
	U("abcdefg\xC3\xA9" "abcdefghijklmnop\xC3\xA9xyz", 0, 28),
	U("abcdefghijklmnopqrstuvwxyz0123456789\x7F", 0, 37),
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ucase *c = &cases[i];
		size_t out = 999;
		int r = utf8_validate((const uint8_t *)c->s, c->n, &out);

		if (r != c->want || out != c->out) {
			print_error("case %zu: got %d/%zu, want %d/%zu\n", i, r, out,
				    c->want, c->out);
			fail();
		}
		/* Same answer at the guard page; the reference agrees too. */
		out = 999;
		assert_int_equal(utf8_validate(at_guard(c->s, c->n), c->n, &out), c->want);
		assert_int_equal(out, c->out);
		compare(at_guard(c->s, c->n), c->n);
	}
}

/* Encode @cp the standard way (the test's own encoder). */
static size_t enc(uint32_t cp, uint8_t *b)
{
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (uint8_t)(0xC0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (uint8_t)(0xE0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (uint8_t)(0xF0 | cp >> 18);
	b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
	b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
	b[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* Every scalar value encodes to valid UTF-8 of one code point; surrogates
 * and values past U+10FFFF (encoded the naive way) are refused. */
static void test_boundaries(void **state)
{
	static const uint32_t ok[] = { 0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000,
				       0xFFFF, 0x10000, 0x10FFFF };
	uint8_t b[4];
	size_t out, n;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = enc(ok[i], b);
		assert_int_equal(utf8_validate(at_guard(b, n), n, &out), 0);
		assert_int_equal(out, 1);
	}
	assert_int_equal(enc(0x7F, b), 1);
	assert_int_equal(enc(0x80, b), 2);
	assert_int_equal(enc(0x7FF, b), 2);
	assert_int_equal(enc(0x800, b), 3);
	assert_int_equal(enc(0xFFFF, b), 3);
	assert_int_equal(enc(0x10000, b), 4);
	n = enc(0x110000, b);
	assert_int_equal(utf8_validate(b, n, &out), UTF8_E_RANGE);
	n = enc(0x1FFFFF, b);
	assert_int_equal(utf8_validate(b, n, &out), UTF8_E_BYTE);
	for (uint32_t cp = 0xD800; cp <= 0xDFFF; cp++) {
		n = enc(cp, b);
		assert_int_equal(utf8_validate(b, n, &out), UTF8_E_SURROGATE);
		assert_int_equal(out, 0);
	}
	/* All scalar values, one at a time, counted right. */
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp == 0xD800)
			cp = 0xE000;
		n = enc(cp, b);
		assert_int_equal(utf8_validate(b, n, &out), 0);
		assert_int_equal(out, 1);
	}
}

static void test_null_and_no_count(void **state)
{
	size_t out = 7;

	(void)state;
	assert_int_equal(utf8_validate(NULL, 0, &out), 0);
	assert_int_equal(out, 0);
	assert_int_equal(utf8_validate((const uint8_t *)"ok", 2, NULL), 0);
	assert_int_equal(utf8_validate((const uint8_t *)"\xFF", 1, NULL), UTF8_E_BYTE);
	assert_string_equal(utf8_strerror(UTF8_E_SURROGATE), "encoded surrogate");
	assert_string_equal(utf8_strerror(0), "valid");
	assert_string_equal(utf8_strerror(-99), "invalid UTF-8");
}

/* All 1-, 2- and 3-byte sequences, each ending at the guard page. */
static void test_brute_short(void **state)
{
	uint8_t b[3];
	unsigned long valid3 = 0;

	(void)state;
	for (unsigned x = 0; x < 256; x++) {
		b[0] = (uint8_t)x;
		compare(at_guard(b, 1), 1);
		for (unsigned y = 0; y < 256; y++) {
			b[1] = (uint8_t)y;
			compare(at_guard(b, 2), 2);
			for (unsigned z = 0; z < 256; z++) {
				b[2] = (uint8_t)z;
				compare(at_guard(b, 3), 3);
				valid3 += utf8_validate(b, 3, NULL) == 0;
			}
		}
	}
	/* Count check, computed by hand: 3 ASCII (128^3) + ASCII & 2-byte in
	 * either order (2 * 128 * 30 * 64) + one 3-byte (16 * 64 * 64 - 2048
	 * overlong/surrogate: E0 and ED lose 32 * 64 each). */
	assert_int_equal(valid3, 128ul * 128 * 128 + 2ul * 128 * 30 * 64 +
			 (16ul * 64 * 64 - 2 * 32 * 64));
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next32(void)
{
	/* xorshift64*: deterministic, seeded above. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

/* A byte biased towards the interesting region: leads F0..F4, continuation
 * bytes and the boundaries of Table 3-7. */
static uint8_t biased_byte(int lead)
{
	uint32_t r = next32();

	switch (r & 3) {
	case 0:
		return (uint8_t)(r >> 8);
	case 1:
		return lead ? (uint8_t)(0xEC + (r >> 8) % 12) : (uint8_t)(0x80 + (r >> 8) % 64);
	default:
		return lead ? (uint8_t)(0xF0 + (r >> 8) % 5) : (uint8_t)(0x80 + (r >> 8) % 64);
	}
}

static void test_brute_four(void **state)
{
	uint8_t b[4];

	(void)state;
	/* Exhaustive over the 4-byte leads with any 2nd byte, sampled 3rd/4th. */
	for (unsigned x = 0xF0; x <= 0xFF; x++)
		for (unsigned y = 0; y < 256; y++)
			for (unsigned k = 0; k < 64; k++) {
				b[0] = (uint8_t)x;
				b[1] = (uint8_t)y;
				b[2] = biased_byte(0);
				b[3] = biased_byte(0);
				(void)k;
				compare(at_guard(b, 4), 4);
			}
	for (unsigned long i = 0; i < 4000000ul; i++) {
		for (int k = 0; k < 4; k++)
			b[k] = biased_byte(k == 0);
		compare(b, 4);
	}
}

/* Random strings mixing ASCII runs (fast path) and multi-byte sequences. */
static void test_random_strings(void **state)
{
	uint8_t s[80];

	(void)state;
	for (unsigned long i = 0; i < 300000ul; i++) {
		size_t n = 0, want = next32() % 64;

		while (n < want) {
			uint32_t r = next32();

			if (r % 8 < 5) {
				size_t run = 1 + (r >> 8) % 12;

				for (size_t k = 0; k < run && n < sizeof(s); k++)
					s[n++] = (uint8_t)('a' + k);
			} else if (r % 8 < 7 || n + 4 > sizeof(s)) {
				n += enc(next32() % 0x110000, s + n);
			} else {
				s[n++] = biased_byte((r >> 9) & 1);
			}
			if (n + 4 > sizeof(s))
				break;
		}
		compare(s, n);
		compare(at_guard(s, n), n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_null_and_no_count),
		cmocka_unit_test(test_brute_short),
		cmocka_unit_test(test_brute_four),
		cmocka_unit_test(test_random_strings),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
