/* Unit tests of gateway/ratelimit.c with a fake clock (plain integers). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/ratelimit.h"

static void test_init_bad(void **state)
{
	struct rl_table t;
	(void)state;

	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 0, .per_ms = 1000, .burst = 1, .slots = 8 }), -EINVAL);
	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 1, .per_ms = 0, .burst = 1, .slots = 8 }), -EINVAL);
	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 1, .per_ms = 1000, .burst = 0, .slots = 8 }), -EINVAL);
	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 1, .per_ms = 1000, .burst = 1, .slots = 4 }), -EINVAL);
	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 1, .per_ms = 1000, .burst = 1, .slots = 24 }), -EINVAL);
	/* Faster than 1 token per microsecond. */
	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 2000, .per_ms = 1, .burst = 1, .slots = 8 }), -EINVAL);
	rl_fini(&t);
}

/* 5 failed logins per minute, burst 5: five pass, the sixth waits 12 s. */
static void test_burst_then_refuse(void **state)
{
	struct rl_table t;
	uint64_t k, now = 1000000;
	(void)state;

	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 5, .per_ms = 60000, .burst = 5, .slots = 64 }), 0);
	k = rl_key(&t, "alice", 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(rl_take(&t, k, now, 1), 0);
	assert_int_equal(rl_peek(&t, k, now, 1), 12000);
	assert_int_equal(rl_take(&t, k, now, 1), 12000);
	assert_int_equal(rl_take(&t, k, now + 1, 1), 11999);
	assert_int_equal(rl_take(&t, k, now + 11999, 1), 1);
	/* Refusals take nothing: exactly at 12 s one token is back. */
	assert_int_equal(rl_take(&t, k, now + 12000, 1), 0);
	assert_int_equal(rl_take(&t, k, now + 12000, 1), 12000);
	/* Another key is independent. */
	assert_int_equal(rl_take(&t, rl_key(&t, "bob", 3), now, 1), 0);
	assert_true(t.stats.allowed == 7 && t.stats.refused == 4);
	rl_fini(&t);
}

static void test_refill_and_cost(void **state)
{
	struct rl_table t;
	uint64_t k, now = 50;
	(void)state;

	/* 10 per second (one per 100 ms), burst 3. */
	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 10, .per_ms = 1000, .burst = 3, .slots = 8 }), 0);
	k = rl_key(&t, "10.0.0.1", 8);
	assert_int_equal(rl_take(&t, k, now, 3), 0);
	assert_int_equal(rl_take(&t, k, now, 1), 100);
	/* After 250 ms two tokens are back (not three: partial tokens count as time). */
	assert_int_equal(rl_peek(&t, k, now + 250, 2), 0);
	assert_int_equal(rl_peek(&t, k, now + 250, 3), 50);
	/* Long idle: the bucket is full again, but never above the burst. */
	now += 10000;
	assert_int_equal(rl_take(&t, k, now, 3), 0);
	assert_int_equal(rl_take(&t, k, now, 1), 100);
	assert_int_equal(rl_take(&t, k, now, 4), -E2BIG);
	assert_int_equal(rl_peek(&t, k, now, 4), -E2BIG);
	assert_int_equal(rl_take(&t, k, now, 0), 0);
	/* Sub-ms intervals round the wait up: 3 per ms. */
	rl_fini(&t);
	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 3, .per_ms = 1, .burst = 1, .slots = 8 }), 0);
	k = rl_key(&t, "x", 1);
	assert_int_equal(rl_take(&t, k, 7, 1), 0);
	assert_int_equal(rl_take(&t, k, 7, 1), 1);
	assert_int_equal(rl_take(&t, k, 8, 1), 0);
	rl_fini(&t);
}

/* rl_peek never inserts: an unknown key reads as a full bucket and stays unknown. */
static void test_peek_no_insert(void **state)
{
	struct rl_table t;
	uint64_t k;
	(void)state;

	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 1, .per_ms = 1000, .burst = 1, .slots = 8 }), 0);
	k = rl_key(&t, "carol", 5);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rl_peek(&t, k, 100, 1), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_true(t.slots[i].key == 0);
	rl_fini(&t);
}

/*
 * Table full: with 8 slots (one window), 8 limited keys fill it; a 9th key
 * evicts the bucket closest to full; keys whose buckets refilled are reused
 * without counting as evictions.
 */
static void test_table_full(void **state)
{
	struct rl_table t;
	uint64_t keys[9], now = 1000;
	(void)state;

	assert_int_equal(rl_init(&t, &(struct rl_cfg){ .rate = 1, .per_ms = 1000, .burst = 2, .slots = 8 }), 0);
	for (unsigned i = 0; i < 9; i++)
		keys[i] = rl_key(&t, &i, sizeof(i));
	/* Keys 0..7 each take at a different time so their tat differ. */
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(rl_take(&t, keys[i], now + i * 10, 2), 0);
		assert_int_equal(rl_take(&t, keys[i], now + i * 10, 1), 1000);
	}
	assert_true(t.stats.evictions == 0);
	/* Key 8 must evict: key 0 (oldest, fullest bucket) goes. */
	assert_int_equal(rl_take(&t, keys[8], now + 100, 1), 0);
	assert_true(t.stats.evictions == 1);
	assert_int_equal(rl_peek(&t, keys[0], now + 100, 2), 0);    /* forgotten: full again */
	assert_int_equal(rl_peek(&t, keys[1], now + 100, 1), 910);  /* kept */
	assert_int_equal(rl_peek(&t, keys[7], now + 100, 1), 970);
	/* Later, every bucket has refilled: re-inserting key 0 evicts nothing. */
	assert_int_equal(rl_take(&t, keys[0], now + 5000, 2), 0);
	assert_true(t.stats.evictions == 1);
	assert_int_equal(rl_take(&t, keys[0], now + 5000, 1), 1000);
	/* No key is in two slots. */
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = i + 1; j < 8; j++)
			assert_true(t.slots[i].key == 0 || t.slots[i].key != t.slots[j].key);
	rl_fini(&t);
}

/* Keys are table-specific: a second table hashes the same name differently. */
static void test_keyed(void **state)
{
	struct rl_table a, b;
	const struct rl_cfg cfg = { .rate = 1, .per_ms = 1000, .burst = 1, .slots = 8 };
	(void)state;

	assert_int_equal(rl_init(&a, &cfg), 0);
	assert_int_equal(rl_init(&b, &cfg), 0);
	assert_true(rl_key(&a, "alice", 5) != rl_key(&b, "alice", 5));
	assert_true(rl_key(&a, "alice", 5) == rl_key(&a, "alice", 5));
	assert_true(rl_key(&a, "alice", 5) != rl_key(&a, "alicf", 5));
	rl_fini(&a);
	rl_fini(&b);
	rl_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
				cmocka_unit_test(test_init_bad),
		cmocka_unit_test(test_burst_then_refuse),
		cmocka_unit_test(test_refill_and_cost),
		cmocka_unit_test(test_peek_no_insert),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_keyed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
