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

#include "base/log.h"
#include "storage/store_int.h"
#include "st_test.h"

/* A tag whose hash (first 4 bytes, little-endian) is @home, told apart by @n. */
static void tag_of(uint8_t t[ST_TAG_LEN], uint32_t home, uint8_t n)
{
	memset(t, 0, ST_TAG_LEN);
	memcpy(t, &home, sizeof(home));
	t[15] = n;
}

/* The first live binding of @t at @now, or NULL. */
static struct st_loc_ent *loc_get(struct st_locmap *m, const uint8_t t[ST_TAG_LEN], uint64_t now)
{
	struct st_loc_ent *e;

	return st__loc_all(m, t, now, &e, 1) ? e : NULL;
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
		assert_int_equal(st__loc_put(&m, t, i, i, 100, 0), 0);
	}
	tag_of(t, 6, 6);
	assert_int_equal(st__loc_put(&m, t, 6, 6, 100, 0), -ENOSPC); /* 75 % full */
	tag_of(t, 2, 2);
	flow = 2;
	assert_int_equal(st__loc_put(&m, t, 9, 2, 200, 0), 0); /* refresh: no new slot */
	struct st_loc_ent *e = loc_get(&m, t, 0);
	assert_non_null(e);
	assert_int_equal(e->worker, 9);
	assert_int_equal(e->expires_ms, 200);
	flow = 99;
	assert_int_equal(st__loc_del(&m, t, &flow), -ENOENT); /* another flow */
	flow = 2;
	assert_int_equal(st__loc_del(&m, t, &flow), 0);
	assert_null(loc_get(&m, t, 0));
	/* an expired binding is not returned; the sweep frees its slot */
	tag_of(t, 3, 3);
	assert_null(loc_get(&m, t, 100));
	assert_int_equal(m.count, 5);
	assert_int_equal(st__loc_sweep(&m, 100, 8), 5);
	assert_int_equal(m.count, 0);
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
		assert_int_equal(st__loc_put(&m, t[i], i, i, 1000, 0), 0);
	}
	/* one whose home is slot 0, pushed to 3 */
	tag_of(t[5], 0, 5);
	assert_int_equal(st__loc_put(&m, t[5], 5, 5, 1000, 0), 0);
	/* remove from the middle and the start of the chain; the rest stay reachable */
	assert_int_equal(st__loc_del(&m, t[1], NULL), 0);
	assert_int_equal(st__loc_del(&m, t[0], NULL), 0);
	for (uint8_t i = 2; i < 6; i++) {
		struct st_loc_ent *e = loc_get(&m, t[i], 0);
		assert_non_null(e);
		assert_int_equal(e->flow, i);
	}
	assert_null(loc_get(&m, t[0], 0));
	assert_null(loc_get(&m, t[1], 0));
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


/* Every used slot is reachable from its home with no free slot in between. */
static void check_runs(const struct st_locmap *m)
{
	for (uint32_t i = 0; i <= m->mask; i++) {
		if (!m->slots[i].used)
			continue;
		uint32_t h;
		memcpy(&h, m->slots[i].tag, 4);
		for (uint32_t j = h & m->mask; j != i; j = (j + 1) & m->mask)
			assert_true(m->slots[j].used);
	}
}

/* Expired bindings are taken over (or swept) by REGISTER: no -ENOSPC from dead entries. */
static void test_expired_reused(void **state)
{
	struct st_locmap m;
	uint8_t t[8][ST_TAG_LEN], x[ST_TAG_LEN];
	unsigned seen = 0;
	(void)state;

	assert_int_equal(st__loc_init(&m, 8), 0);
	/* a(home 6, expires 100) at 6, b(home 6, expires 1000) at 7 */
	tag_of(t[0], 6, 0);
	tag_of(t[1], 6, 1);
	assert_int_equal(st__loc_put(&m, t[0], 0, 1, 100, 0), 0);
	assert_int_equal(st__loc_put(&m, t[1], 0, 2, 1000, 0), 0);
	/* re-registering b at 200 updates b (found past the stale a), no duplicate */
	assert_int_equal(st__loc_put(&m, t[1], 1, 2, 2000, 200), 0);
	for (uint32_t i = 0; i <= m.mask; i++)
		if (m.slots[i].used && memcmp(m.slots[i].tag, t[1], ST_TAG_LEN) == 0)
			seen++;
	assert_int_equal(seen, 1);
	assert_int_equal(loc_get(&m, t[1], 200)->worker, 1);
	/* a new tag of the same home takes a's slot over */
	tag_of(x, 6, 9);
	assert_int_equal(st__loc_put(&m, x, 3, 33, 2000, 200), 0);
	assert_int_equal(m.count, 2);
	assert_true(m.slots[6].used && memcmp(m.slots[6].tag, x, ST_TAG_LEN) == 0);
	check_runs(&m);
	st__loc_fini(&m);

	/* full of expired bindings elsewhere: the put sweeps instead of failing */
	assert_int_equal(st__loc_init(&m, 8), 0);
	for (uint8_t i = 0; i < 6; i++) {
		tag_of(t[i], i, i);
		assert_int_equal(st__loc_put(&m, t[i], i, i, 100, 0), 0);
	}
	tag_of(x, 6, 6); /* home 6 is free: the probe meets no expired entry */
	assert_int_equal(st__loc_put(&m, x, 6, 6, 1000, 50), -ENOSPC); /* all still live */
	assert_int_equal(st__loc_put(&m, x, 6, 6, 1000, 100), 0);
	assert_int_equal(m.count, 1);
	assert_non_null(loc_get(&m, x, 100));
	check_runs(&m);
	st__loc_fini(&m);
}

/* Several devices: one binding per flow, all listed, the ninth replaces the one expiring first. */
static void test_devices(void **state)
{
	struct st_locmap m;
	struct st_loc_ent *e[16];
	uint8_t t[ST_TAG_LEN], o[ST_TAG_LEN];
	uint64_t flow;
	(void)state;

	assert_int_equal(st__loc_init(&m, 64), 0);
	tag_of(t, 5, 1);
	tag_of(o, 5, 2); /* another user in the same run */
	assert_int_equal(st__loc_put(&m, o, 0, 1000, 500, 0), 0);
	for (uint64_t f = 1; f <= ST_LOC_PER_USER; f++)
		assert_int_equal(st__loc_put(&m, t, 0, f, 100 + f, 0), 0);
	assert_int_equal(st__loc_all(&m, t, 0, e, 16), ST_LOC_PER_USER);
	assert_int_equal(st__loc_all(&m, o, 0, e, 16), 1);
	assert_int_equal(e[0]->flow, 1000);
	/* a ninth flow takes the place of flow 1 (expires first) */
	assert_int_equal(st__loc_put(&m, t, 0, 50, 1000, 0), 0);
	assert_int_equal(m.count, ST_LOC_PER_USER + 1);
	uint32_t n = st__loc_all(&m, t, 0, e, 16);
	assert_int_equal(n, ST_LOC_PER_USER);
	for (uint32_t i = 0; i < n; i++)
		assert_int_not_equal(e[i]->flow, 1);
	/* at 102 flows 1..2 are gone (1 replaced, 2 expired): 7 live */
	assert_int_equal(st__loc_all(&m, t, 102, e, 16), ST_LOC_PER_USER - 1);
	/* removal is per flow */
	flow = 50;
	assert_int_equal(st__loc_del(&m, t, &flow), 0);
	assert_int_equal(st__loc_del(&m, t, &flow), -ENOENT);
	assert_int_equal(st__loc_all(&m, t, 0, e, 16), ST_LOC_PER_USER - 1);
	assert_int_equal(st__loc_all(&m, o, 0, e, 16), 1);
	check_runs(&m);
	st__loc_fini(&m);
}

/* The per-tick sweep is bounded, removes only expired bindings, and keeps every run intact. */
static void test_sweep(void **state)
{
	struct st_locmap m;
	uint8_t t[6][ST_TAG_LEN];
	uint32_t total = 0;
	(void)state;

	assert_int_equal(st__loc_init(&m, 8), 0);
	/* a wrapping run at 6, 7, 0, 1, 2; the odd ones live */
	for (uint8_t i = 0; i < 5; i++) {
		tag_of(t[i], 6, i);
		assert_int_equal(st__loc_put(&m, t[i], i, i, (i & 1) ? 1000 : 100, 0), 0);
	}
	assert_int_equal(st__loc_sweep(&m, 50, 8), 0);
	for (int pass = 0; pass < 8; pass++) {
		uint32_t n = st__loc_sweep(&m, 100, 2);
		total += n;
		check_runs(&m);
	}
	assert_int_equal(total, 3);
	assert_int_equal(m.count, 2);
	assert_non_null(loc_get(&m, t[1], 100));
	assert_non_null(loc_get(&m, t[3], 100));
	st__loc_fini(&m);
}

/* Through the store: the map fills with registrations that then expire. */
static void test_store_register_after_expiry(void **state)
{
	char dir[64], name[16];
	struct st_fake_clock clk = { 1000000 };
	struct st_store_cfg c = { 0 };
	struct st_store *s;
	(void)state;

	log_set_level(LOG_ERROR);
	assert_int_equal(st_test_tmpdir(dir, sizeof(dir), "loc"), 0);
	c.state_dir = dir;
	c.keyring = st_test_keyring(1, 0x42);
	c.clock_ms = st_test_clock;
	c.clock_ctx = &clk;
	c.loc_capacity = 8;
	assert_int_equal(st_store_open(&s, &c), 0);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 6; i++) {
			struct st_req r = { .op = ST_OP_LOC_REGISTER };
			snprintf(name, sizeof(name), "r%du%d", round, i);
			r.loc.user = st_s(name);
			r.loc.flow = (uint64_t)i + 1;
			r.loc.expires_ms = clk.now_ms + 1000;
			assert_int_equal(st_exec_sync(s, &r), 0);
		}
		clk.now_ms += 60000; /* every binding of this round has expired */
		if (round & 1)
			assert_true(st_expire_run(s, 128) >= 0); /* the tick sweeps them */
	}
	st_store_close(s);
	st_test_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_wraparound_collisions),
		cmocka_unit_test(test_expired_reused),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_store_register_after_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
