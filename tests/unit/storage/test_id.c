/* Unit tests for storage/id: ordering, monotonic rule, Crockford base32 strictness. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "storage/id.h"

static const uint8_t rnd0[10] = { 0 };
static const uint8_t rndf[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void test_layout_and_text(void **state)
{
	struct st_idgen g;
	struct st_id id, back;
	char txt[ST_ID_TEXT_LEN + 1];
	const uint8_t r[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	(void)state;

	st_idgen_init(&g, NULL);
	id = st_id_next(&g, 0x0123456789ABull, r);
	assert_int_equal(st_id_ms(&id), 0x0123456789ABull);
	assert_memory_equal(id.b + 6, r, 10);
	st_id_encode(&id, txt);
	assert_int_equal(strlen(txt), 26);
	assert_int_equal(st_id_decode(txt, 26, &back), 0);
	assert_memory_equal(back.b, id.b, 16);

	/* all-zero and all-one ids: the extremes of the text space */
	memset(id.b, 0, 16);
	st_id_encode(&id, txt);
	assert_string_equal(txt, "00000000000000000000000000");
	memset(id.b, 0xff, 16);
	st_id_encode(&id, txt);
	assert_string_equal(txt, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
	assert_int_equal(st_id_decode(txt, 26, &back), 0);
	assert_memory_equal(back.b, id.b, 16);
	/* lower case is the same id */
	assert_int_equal(st_id_decode("7zzzzzzzzzzzzzzzzzzzzzzzzz", 26, &back), 0);
	assert_memory_equal(back.b, id.b, 16);
}

static void test_decode_strict(void **state)
{
	struct st_id id;
	(void)state;

	assert_int_equal(st_id_decode("0000000000000000000000000", 25, &id), -EINVAL);
	assert_int_equal(st_id_decode("000000000000000000000000000", 27, &id), -EINVAL);
	assert_int_equal(st_id_decode("8ZZZZZZZZZZZZZZZZZZZZZZZZZ", 26, &id), -ERANGE);
	assert_int_equal(st_id_decode("0000000000000000000000000O", 26, &id), -EILSEQ);
	assert_int_equal(st_id_decode("0000000000000000000000000I", 26, &id), -EILSEQ);
	assert_int_equal(st_id_decode("0000000000000000000000000L", 26, &id), -EILSEQ);
	assert_int_equal(st_id_decode("0000000000000000000000000U", 26, &id), -EILSEQ);
	assert_int_equal(st_id_decode("000000000000000000000000-0", 26, &id), -EILSEQ);
	char nul[26];
	memset(nul, '0', 26);
	nul[10] = '\0';
	assert_int_equal(st_id_decode(nul, 26, &id), -EILSEQ);
}

static void test_monotonic(void **state)
{
	struct st_idgen g;
	struct st_id prev, id;
	char a[27], b[27];
	(void)state;

	st_idgen_init(&g, NULL);
	prev = st_id_next(&g, 1000, rndf);
	/* same ms: previous + 1; the all-ones random part carries into the ms */
	id = st_id_next(&g, 1000, rnd0);
	assert_true(st_id_cmp(&id, &prev) > 0);
	assert_int_equal(st_id_ms(&id), 1001);
	/* clock going back: still increasing */
	prev = id;
	id = st_id_next(&g, 5, rnd0);
	assert_true(st_id_cmp(&id, &prev) > 0);
	/* text order equals byte order */
	for (int i = 0; i < 1000; i++) {
		uint8_t r[10];
		for (int k = 0; k < 10; k++)
			r[k] = (uint8_t)(i * 37 + k * 11);
		prev = id;
		id = st_id_next(&g, 2000 + (uint64_t)i / 3, r);
		assert_true(st_id_cmp(&id, &prev) > 0);
		st_id_encode(&prev, a);
		st_id_encode(&id, b);
		assert_true(strcmp(a, b) < 0);
	}
	/* a floor from the store: the next id is above it even at an earlier time */
	st_idgen_init(&g, &id);
	prev = id;
	id = st_id_next(&g, 10, rnd0);
	assert_true(st_id_cmp(&id, &prev) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_text),
		cmocka_unit_test(test_decode_strict),
		cmocka_unit_test(test_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
