/*
 * Unit tests for storage/store_loc: the location map's capacity limit,
 * replacement, flow-checked removal, expiry on lookup, and backward-shift
 * deletion across the table's wrap-around (colliding tags forced).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "storage/store_int.h"

/* A tag whose hash (first 4 bytes, little-endian) is @home, told apart by @n. */
static void tag_of(uint8_t t[ST_TAG_LEN], uint32_t home, uint8_t n)
{
	memset(t, 0, ST_TAG_LEN);
	memcpy(t, &home, sizeof(home));
	t[15] = n;
}

static void test_basic(void **state)
{
	struct st_locmap m;
	uint8_t t[ST_TAG_LEN];
	uint64_t flow = 5;
	(void)state;

	assert_int_equal(st__loc_init(&m, 6), -EINVAL);
	assert_int_equal(st__loc_init(&m, 8), 0);
	for (uint8_t i = 0; i < 6; i++) {
		tag_of(t, i, i);
		assert_int_equal(st__loc_put(&m, t, i, i, 100), 0);
	}
	tag_of(t, 6, 6);
	assert_int_equal(st__loc_put(&m, t, 6, 6, 100), -ENOSPC); /* 75 % full */
	tag_of(t, 2, 2);
	assert_int_equal(st__loc_put(&m, t, 9, 99, 200), 0); /* replace: no new slot */
	struct st_loc_ent *e = st__loc_get(&m, t, 0);
	assert_non_null(e);
	assert_int_equal(e->worker, 9);
	assert_int_equal(e->flow, 99);
	assert_int_equal(st__loc_del(&m, t, &flow), -ENOENT); /* another flow */
	flow = 99;
	assert_int_equal(st__loc_del(&m, t, &flow), 0);
	assert_null(st__loc_get(&m, t, 0));
	/* expiry on lookup frees the slot */
	tag_of(t, 3, 3);
	assert_null(st__loc_get(&m, t, 100));
	assert_int_equal(m.count, 4);
	st__loc_fini(&m);
}

static void test_wraparound_collisions(void **state)
{
	struct st_locmap m;
	uint8_t t[6][ST_TAG_LEN];
	(void)state;

	assert_int_equal(st__loc_init(&m, 8), 0);
	/* five tags whose home is slot 6: they fill 6, 7, 0, 1, 2 */
	for (uint8_t i = 0; i < 5; i++) {
		tag_of(t[i], 6, i);
		assert_int_equal(st__loc_put(&m, t[i], i, i, 1000), 0);
	}
	/* one whose home is slot 0, pushed to 3 */
	tag_of(t[5], 0, 5);
	assert_int_equal(st__loc_put(&m, t[5], 5, 5, 1000), 0);
	/* remove from the middle and the start of the chain; the rest stay reachable */
	assert_int_equal(st__loc_del(&m, t[1], NULL), 0);
	assert_int_equal(st__loc_del(&m, t[0], NULL), 0);
	for (uint8_t i = 2; i < 6; i++) {
		struct st_loc_ent *e = st__loc_get(&m, t[i], 0);
		assert_non_null(e);
		assert_int_equal(e->flow, i);
	}
	assert_null(st__loc_get(&m, t[0], 0));
	assert_null(st__loc_get(&m, t[1], 0));
	/* no hole left in a chain: every used slot is reachable from its home */
	for (uint32_t i = 0; i <= m.mask; i++) {
		if (!m.slots[i].used)
			continue;
		uint32_t h;
		memcpy(&h, m.slots[i].tag, 4);
		for (uint32_t j = h & m.mask; j != i; j = (j + 1) & m.mask)
			assert_true(m.slots[j].used);
	}
	st__loc_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_wraparound_collisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
