/*
 * base/probe: backward-shift deletion keeps every remaining key reachable
 * from its home slot, across the table's wrap-around, with no tombstones.
 * A 16-slot table under a seeded random mix of inserts and removals is
 * checked against a plain list of the keys it should hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/probe.h"

#define SLOTS 16u

struct slot {
	uint32_t key, home; /* home chosen by the test: collisions on purpose */
	uint8_t used;
};

static struct slot tab[SLOTS];

static bool used(const void *s)
{
	return ((const struct slot *)s)->used != 0;
}

static uint32_t home(const void *s)
{
	return ((const struct slot *)s)->home;
}

static void clear(void *s)
{
	((struct slot *)s)->used = 0;
}

static const struct probe_table table = {
	.slots = tab, .slot_size = sizeof(tab[0]), .mask = SLOTS - 1,
	.used = used, .home = home, .clear = clear,
};

static void insert(uint32_t key, uint32_t h)
{
	for (uint32_t i = h & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
		if (!tab[i].used) {
			tab[i] = (struct slot){ key, h, 1 };
			return;
		}
	}
}

/* The slot holding key, found by probing from its home; -1 if absent. */
static int find(uint32_t key, uint32_t h)
{
	for (uint32_t i = h & (SLOTS - 1), n = 0; n < SLOTS; i = (i + 1) & (SLOTS - 1), n++) {
		if (!tab[i].used)
			return -1;
		if (tab[i].key == key)
			return (int)i;
	}
	return -1;
}

static unsigned count_used(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SLOTS; i++)
		n += tab[i].used;
	return n;
}

/* A run that wraps from slot 15 to slot 0: removing its head shifts all. */
static void test_wraparound(void **state)
{
	(void)state;
	memset(tab, 0, sizeof(tab));
	insert(1, 14);
	insert(2, 14); /* slot 15 */
	insert(3, 15); /* slot 0 */
	insert(4, 0);  /* slot 1 */
	insert(5, 1);  /* slot 2 */
	probe_remove(&table, (uint32_t)find(1, 14));
	assert_int_equal(find(2, 14), 14);
	assert_int_equal(find(3, 15), 15);
	assert_int_equal(find(4, 0), 0);
	assert_int_equal(find(5, 1), 1);
	assert_int_equal(count_used(), 4);
	/* An entry already at home stays put. */
	memset(tab, 0, sizeof(tab));
	insert(1, 3);
	insert(2, 4);
	probe_remove(&table, 3);
	assert_int_equal(find(2, 4), 4);
	assert_false(tab[3].used);
}

static void test_random_mix(void **state)
{
	uint32_t keys[SLOTS], homes[SLOTS], n = 0, next = 1;
	unsigned seed = 12345;

	(void)state;
	memset(tab, 0, sizeof(tab));
	for (int step = 0; step < 200000; step++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t r = seed >> 8;

		if (n < SLOTS - 1 && (n == 0 || r % 3 != 0)) {
			keys[n] = next++;
			homes[n] = (r >> 4) % 5; /* five homes: long runs, wrap-around */
			if (r & 1)
				homes[n] += SLOTS - 3;
			insert(keys[n], homes[n]);
			n++;
		} else {
			uint32_t k = (r >> 4) % n;
			int at = find(keys[k], homes[k]);

			assert_true(at >= 0);
			probe_remove(&table, (uint32_t)at);
			keys[k] = keys[n - 1];
			homes[k] = homes[n - 1];
			n--;
		}
		assert_int_equal(count_used(), n);
		for (uint32_t i = 0; i < n; i++)
			assert_true(find(keys[i], homes[i]) >= 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_random_mix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
