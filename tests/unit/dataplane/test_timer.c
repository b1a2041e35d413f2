/*
 * Unit tests for dataplane/timer: arm/cancel/re-arm, firing order, timers
 * more than a revolution away, callbacks that arm and cancel, arming in the
 * past, long stalls, and a seeded property test of dp_timer_wheel_run() and
 * dp_timer_wheel_next() against a plain model.
 *
 * The clock is driven by hand; callbacks record (timer, now) into a log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/compiler.h"
#include "dataplane/timer.h"

#define MAX_FIRES 4096

static struct dp_timer_wheel wheel;

/* What fired, in order, and the run's now_ms when it did. */
static struct {
	struct dp_timer *t[MAX_FIRES];
	uint64_t at[MAX_FIRES];
	unsigned n;
} fires;

static uint64_t run_now; /* now_ms of the run in progress */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void record(struct dp_timer *t)
{
	BUG_ON(fires.n >= MAX_FIRES);
	fires.t[fires.n] = t;
	fires.at[fires.n] = run_now;
	fires.n++;
}

static void on_fire(struct dp_timer *t, void *arg)
{
	(void)arg;
	record(t);
}

static unsigned run(uint64_t now)
{
	run_now = now;
	return dp_timer_wheel_run(&wheel, now);
}

static int setup(void **state)
{
	(void)state;
	memset(&fires, 0, sizeof(fires));
	dp_timer_wheel_init(&wheel, 0);
	return 0;
}

static unsigned times_fired(const struct dp_timer *t)
{
	unsigned k = 0;

	for (unsigned i = 0; i < fires.n; i++)
		k += fires.t[i] == t;
	return k;
}

static void test_arm_cancel_rearm(void **state)
{
	struct dp_timer a, b;

	(void)state;
	dp_timer_init(&a, on_fire, NULL);
	dp_timer_init(&b, on_fire, NULL);
	assert_false(dp_timer_armed(&a));
	dp_timer_cancel(&wheel, &a); /* never armed: harmless */
	assert_int_equal(wheel.armed, 0);

	dp_timer_arm(&wheel, &a, 10);
	assert_true(dp_timer_armed(&a));
	assert_int_equal(wheel.armed, 1);
	assert_int_equal(run(9), 0);
	dp_timer_cancel(&wheel, &a);
	assert_false(dp_timer_armed(&a));
	dp_timer_cancel(&wheel, &a); /* twice: harmless */
	assert_int_equal(wheel.armed, 0);
	assert_int_equal(run(10), 0);

	/* Re-arm moves the timer; it stays counted once. */
	dp_timer_arm(&wheel, &a, 20);
	dp_timer_arm(&wheel, &b, 15);
	dp_timer_arm(&wheel, &a, 15);
	dp_timer_arm(&wheel, &a, 17);
	assert_int_equal(wheel.armed, 2);
	assert_int_equal(run(16), 1);
	assert_ptr_equal(fires.t[0], &b);
	assert_false(dp_timer_armed(&b));
	assert_int_equal(run(17), 1);
	assert_ptr_equal(fires.t[1], &a);
	assert_int_equal(fires.at[1], 17);
	assert_int_equal(run(30), 0); /* not at its old expiry either */
	assert_int_equal(wheel.armed, 0);
	assert_int_equal(dp_timer_wheel_next(&wheel, 30), UINT64_MAX);

	/* A fired timer can be armed again. */
	dp_timer_arm(&wheel, &a, 31);
	assert_int_equal(run(31), 1);
	assert_int_equal(times_fired(&a), 2);
}

/* Timers fire at their tick, in tick order, whatever the step of the clock. */
static void test_order_across_ticks(void **state)
{
	static const uint64_t steps[] = { 1, 3, 50, 1000, 4095, DP_TIMER_SLOTS };
	enum { N = 300 };
	static struct dp_timer t[N];
	uint64_t seed = 42;

	(void)state;
	for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
		uint64_t base = wheel.now_ms;

		fires.n = 0;
		for (int i = 0; i < N; i++) {
			dp_timer_init(&t[i], on_fire, NULL);
			/* Up to 3000 ms ahead, many sharing a tick. */
			dp_timer_arm(&wheel, &t[i], base + rng_next(&seed) % 3000);
		}
		for (uint64_t now = base; fires.n < N; now += steps[s])
			run(now);
		assert_int_equal(wheel.armed, 0);
		for (unsigned i = 0; i < fires.n; i++) {
			assert_true(fires.at[i] >= fires.t[i]->expires_ms);
			/* Fired on the first run at or after its expiry. */
			assert_true(fires.at[i] < fires.t[i]->expires_ms + steps[s]);
			if (i > 0)
				assert_true(fires.t[i - 1]->expires_ms <= fires.t[i]->expires_ms);
		}
		for (int i = 0; i < N; i++)
			assert_int_equal(times_fired(&t[i]), 1);
	}
}

/* Timers one or more revolutions away wait for their lap. */
static void test_beyond_one_revolution(void **state)
{
	static const uint64_t when[] = { 5, DP_TIMER_SLOTS + 5, 2 * DP_TIMER_SLOTS + 5,
					 DP_TIMER_SLOTS - 1, DP_TIMER_SLOTS, DP_TIMER_SLOTS + 1,
					 3 * DP_TIMER_SLOTS + 4095, 10 * DP_TIMER_SLOTS };
	struct dp_timer t[ARRAY_SIZE(when)];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(when); i++) {
		dp_timer_init(&t[i], on_fire, NULL);
		dp_timer_arm(&wheel, &t[i], when[i]);
	}
	/* One millisecond at a time: each fires exactly at its tick. */
	for (uint64_t now = 0; now <= 10 * DP_TIMER_SLOTS + 1; now++)
		run(now);
	assert_int_equal(fires.n, ARRAY_SIZE(when));
	for (size_t i = 0; i < ARRAY_SIZE(when); i++) {
		assert_int_equal(times_fired(&t[i]), 1);
		for (unsigned k = 0; k < fires.n; k++)
			if (fires.t[k] == &t[i])
				assert_int_equal(fires.at[k], when[i]);
	}

	/* In big steps too: never a lap early. */
	setup(NULL);
	for (size_t i = 0; i < ARRAY_SIZE(when); i++)
		dp_timer_arm(&wheel, &t[i], when[i]);
	assert_int_equal(run(DP_TIMER_SLOTS - 1), 2); /* 5 and SLOTS-1 */
	assert_int_equal(run(DP_TIMER_SLOTS - 1), 0);
	assert_int_equal(run(2 * DP_TIMER_SLOTS + 4), 3); /* SLOTS, SLOTS+1, SLOTS+5 */
	assert_int_equal(run(3 * DP_TIMER_SLOTS + 4094), 1);
	assert_int_equal(run(10 * DP_TIMER_SLOTS - 1), 1);
	assert_int_equal(run(10 * DP_TIMER_SLOTS), 1);
	assert_int_equal(wheel.armed, 0);
}

/* ---- callbacks that arm and cancel ---- */

struct periodic {
	struct dp_timer t;
	uint64_t period;
};

static void on_periodic(struct dp_timer *t, void *arg)
{
	struct periodic *p = arg;

	record(t);
	dp_timer_arm(&wheel, t, run_now + p->period);
}

static void test_callback_rearms_itself(void **state)
{
	struct periodic p7 = { .period = 7 }, p0 = { .period = 0 },
			lap = { .period = DP_TIMER_SLOTS };

	(void)state;
	dp_timer_init(&p7.t, on_periodic, &p7);
	dp_timer_init(&p0.t, on_periodic, &p0);
	dp_timer_init(&lap.t, on_periodic, &lap);
	dp_timer_arm(&wheel, &p7.t, 7);
	dp_timer_arm(&wheel, &p0.t, 0);	 /* re-arms at "now": once per run, no loop */
	dp_timer_arm(&wheel, &lap.t, 3); /* re-arms into its own slot, next lap */
	for (uint64_t now = 0; now <= 100; now++) {
		unsigned before = times_fired(&p0.t);

		run(now);
		assert_int_equal(times_fired(&p0.t), before + 1);
	}
	assert_int_equal(times_fired(&p7.t), 14); /* 7, 14, ..., 98 */
	assert_int_equal(times_fired(&lap.t), 1);
	for (unsigned i = 0; i < fires.n; i++)
		if (fires.t[i] == &p7.t)
			assert_int_equal(fires.at[i] % 7, 0);
	assert_true(dp_timer_armed(&p7.t));
	assert_int_equal(p7.t.expires_ms, 105);

	/* A jump past several periods fires once, then keeps the period. */
	fires.n = 0;
	run(140);
	assert_int_equal(times_fired(&p7.t), 1);
	assert_int_equal(p7.t.expires_ms, 147);
	assert_int_equal(times_fired(&lap.t), 0);
	run(DP_TIMER_SLOTS + 3);
	assert_int_equal(times_fired(&lap.t), 1);
}

struct canceller {
	struct dp_timer t;
	struct dp_timer *victim;
};

static void on_cancel_other(struct dp_timer *t, void *arg)
{
	struct canceller *c = arg;

	record(t);
	dp_timer_cancel(&wheel, c->victim);
}

static void test_callback_cancels_same_slot(void **state)
{
	struct canceller a, b;
	struct dp_timer later_lap, other;

	(void)state;
	/* a and b share tick 10 and cancel each other: exactly one fires. */
	dp_timer_init(&a.t, on_cancel_other, &a);
	dp_timer_init(&b.t, on_cancel_other, &b);
	a.victim = &b.t;
	b.victim = &a.t;
	dp_timer_arm(&wheel, &a.t, 10);
	dp_timer_arm(&wheel, &b.t, 10);
	assert_int_equal(run(10), 1);
	assert_int_equal(wheel.armed, 0);
	assert_false(dp_timer_armed(&a.t));
	assert_false(dp_timer_armed(&b.t));
	assert_int_equal(run(20), 0);

	/* The same with a next-lap timer in the slot: it stays armed. */
	setup(NULL);
	dp_timer_init(&later_lap, on_fire, NULL);
	dp_timer_arm(&wheel, &later_lap, 10 + DP_TIMER_SLOTS);
	dp_timer_arm(&wheel, &a.t, 10);
	dp_timer_arm(&wheel, &b.t, 10);
	assert_int_equal(run(10), 1);
	assert_true(dp_timer_armed(&later_lap));
	assert_int_equal(wheel.armed, 1);
	assert_int_equal(run(10 + DP_TIMER_SLOTS), 1);
	assert_int_equal(times_fired(&later_lap), 1);

	/* A fired timer cancels a next-lap timer of its own slot. */
	setup(NULL);
	dp_timer_arm(&wheel, &later_lap, 10 + DP_TIMER_SLOTS);
	dp_timer_arm(&wheel, &a.t, 10);
	a.victim = &later_lap;
	assert_int_equal(run(10), 1);
	assert_false(dp_timer_armed(&later_lap));
	assert_int_equal(wheel.armed, 0);
	assert_int_equal(run(10 + DP_TIMER_SLOTS), 0);

	/* Cancel a timer due later in the same run. */
	setup(NULL);
	dp_timer_init(&other, on_fire, NULL);
	a.victim = &other;
	dp_timer_arm(&wheel, &a.t, 10);
	dp_timer_arm(&wheel, &other, 12);
	assert_int_equal(run(20), 1);
	assert_int_equal(times_fired(&other), 0);
	assert_int_equal(wheel.armed, 0);
}

static void test_arm_in_the_past(void **state)
{
	struct dp_timer t, u;

	(void)state;
	dp_timer_wheel_init(&wheel, 1000);
	dp_timer_init(&t, on_fire, NULL);
	dp_timer_init(&u, on_fire, NULL);
	dp_timer_arm(&wheel, &t, 0); /* before the wheel's start */
	assert_int_equal(dp_timer_wheel_next(&wheel, 1000), 0);
	assert_int_equal(run(1000), 1);
	assert_int_equal(run(1000), 0); /* once */

	/* After run(2000), 1500 and 2000 are both past: fire on the next
	 * run with a later clock, and next() says when instead of spinning. */
	run(2000);
	dp_timer_arm(&wheel, &t, 1500);
	dp_timer_arm(&wheel, &u, 2000);
	assert_int_equal(dp_timer_wheel_next(&wheel, 2000), 1);
	assert_int_equal(dp_timer_wheel_next(&wheel, 2001), 0);
	assert_int_equal(run(2001), 2);
	assert_int_equal(times_fired(&t), 2);
	assert_int_equal(times_fired(&u), 1);

	/* A clock that goes backwards fires nothing and breaks nothing. */
	dp_timer_arm(&wheel, &t, 2010);
	assert_int_equal(run(1990), 0);
	assert_int_equal(dp_timer_wheel_next(&wheel, 2000), 10);
	assert_int_equal(run(2010), 1);
}

/* A stall of 10^6 ms fires everything due exactly once, nothing early. */
static void test_long_stall(void **state)
{
	enum { N = 1000 };
	static struct dp_timer t[N];
	const uint64_t stall = 1000000;
	uint64_t seed = 7;
	unsigned due = 0;

	(void)state;
	run(0);
	for (int i = 0; i < N; i++) {
		uint64_t e = 1 + rng_next(&seed) % (2 * stall);

		dp_timer_init(&t[i], on_fire, NULL);
		dp_timer_arm(&wheel, &t[i], e);
		due += e <= stall;
	}
	assert_int_equal(run(stall), due);
	for (int i = 0; i < N; i++) {
		assert_int_equal(times_fired(&t[i]), t[i].expires_ms <= stall);
		assert_int_equal(dp_timer_armed(&t[i]), t[i].expires_ms > stall);
	}
	assert_int_equal(run(stall), 0);
	due = 0;
	for (int i = 0; i < N; i++)
		due += t[i].expires_ms > stall && t[i].expires_ms <= stall + 3000;
	assert_int_equal(run(stall + 3000), due);
	due = N - fires.n; /* the rest */
	assert_int_equal(run(3 * stall), due);
	assert_int_equal(fires.n, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(times_fired(&t[i]), 1);
	for (unsigned k = 0; k < fires.n; k++)
		assert_true(fires.at[k] >= fires.t[k]->expires_ms);
	assert_int_equal(wheel.armed, 0);
}

/*
 * The header promises tick order for every run. After a stall longer than
 * a revolution, a timer of a later lap must not fire before an earlier one.
 */
static void test_long_stall_keeps_tick_order(void **state)
{
	struct dp_timer early, late;

	(void)state;
	dp_timer_init(&early, on_fire, NULL);
	dp_timer_init(&late, on_fire, NULL);
	dp_timer_arm(&wheel, &late, DP_TIMER_SLOTS + 10); /* slot 10 */
	dp_timer_arm(&wheel, &early, 20);		   /* slot 20 */
	assert_int_equal(run(2 * DP_TIMER_SLOTS), 2);
	if (fires.t[0] != &early)
		fail_msg("after a %u ms stall the timer due at %llu fired before the one due at %llu",
			 2 * DP_TIMER_SLOTS, (unsigned long long)fires.t[0]->expires_ms,
			 (unsigned long long)fires.t[1]->expires_ms);
	assert_ptr_equal(fires.t[1], &late);
}

/* next() must never be later than the earliest armed timer. */
static void test_next_not_late(void **state)
{
	struct dp_timer near, far;

	(void)state;
	assert_int_equal(dp_timer_wheel_next(&wheel, 0), UINT64_MAX);
	dp_timer_init(&near, on_fire, NULL);
	dp_timer_init(&far, on_fire, NULL);
	/* far sits in an earlier slot than near, one lap later. */
	dp_timer_arm(&wheel, &far, DP_TIMER_SLOTS + 5);
	dp_timer_arm(&wheel, &near, 10);
	assert_true(dp_timer_wheel_next(&wheel, 0) <= 10);
	assert_true(dp_timer_wheel_next(&wheel, 3) <= 7);
	dp_timer_cancel(&wheel, &near);
	assert_true(dp_timer_wheel_next(&wheel, 0) <= DP_TIMER_SLOTS + 5);
	assert_true(dp_timer_wheel_next(&wheel, 0) > 0);
	assert_int_equal(dp_timer_wheel_next(&wheel, DP_TIMER_SLOTS + 5), 0);
}

/* ---- property test against a model ---- */

#define P_TIMERS 64
#define P_STEPS 200000

static struct dp_timer p_t[P_TIMERS];
static struct {
	bool armed;
	uint64_t expires; /* as requested (may be in the past) */
} model[P_TIMERS];

static void test_property_vs_model(void **state)
{
	uint64_t seed = 0xC0FFEE;
	uint64_t now = 1000;
	uint64_t floor_ms = now; /* no timer can be due before this (the wheel's tick) */
	unsigned advances = 0, fired_total = 0;

	(void)state;
	dp_timer_wheel_init(&wheel, now);
	for (int i = 0; i < P_TIMERS; i++) {
		dp_timer_init(&p_t[i], on_fire, NULL);
		model[i].armed = false;
	}
	for (int step = 0; step < P_STEPS; step++) {
		uint64_t r = rng_next(&seed);
		unsigned i = (unsigned)(r >> 32) % P_TIMERS;
		unsigned op = (unsigned)(r % 100);

		if (op < 45) {
			/* Arm: mostly soon, some a lap or more away, some past. */
			uint64_t d = rng_next(&seed), e;

			switch (d % 8) {
			case 0:
				e = now - (d >> 8) % 500;
				break;
			case 1:
				e = now + (d >> 8) % (4 * DP_TIMER_SLOTS);
				break;
			case 2:
				e = now + DP_TIMER_SLOTS + (d >> 8) % 3 - 1;
				break;
			default:
				e = now + (d >> 8) % 64;
				break;
			}
			dp_timer_arm(&wheel, &p_t[i], e);
			model[i].armed = true;
			/* A time at or before the last run's now counts as the
			 * first tick not yet run (timer.h: fires on the next run). */
			model[i].expires = e < floor_ms ? floor_ms : e;
		} else if (op < 60) {
			dp_timer_cancel(&wheel, &p_t[i]);
			model[i].armed = false;
		} else {
			/* Check next() against the model, then advance and run. */
			uint64_t earliest = UINT64_MAX, next, d = rng_next(&seed), adv;

			for (int k = 0; k < P_TIMERS; k++)
				if (model[k].armed && model[k].expires < earliest)
					earliest = model[k].expires;
			next = dp_timer_wheel_next(&wheel, now);
			if (earliest == UINT64_MAX) {
				assert_int_equal(next, UINT64_MAX);
			} else {
				uint64_t exact = earliest <= now ? 0 : earliest - now;

				if (next > exact)
					fail_msg("step %d now %llu: next() %llu later than earliest "
						 "expiry in %llu", step, (unsigned long long)now,
						 (unsigned long long)next, (unsigned long long)exact);
				/* 0 must mean work to do: else the worker loop spins. */
				assert_true(next > 0 || exact == 0);
			}

			switch (d % 16) {
			case 0:
				adv = 0;
				break;
			case 1:
				adv = DP_TIMER_SLOTS - 1 + (d >> 8) % 3;
				break;
			case 2:
				adv = (d >> 8) % 100000;
				break;
			default:
				adv = (d >> 8) % 20;
				break;
			}
			now += adv;
			fires.n = 0;
			run(now);
			advances++;
			if (now + 1 > floor_ms)
				floor_ms = now + 1;

			for (int k = 0; k < P_TIMERS; k++) {
				bool is_due = model[k].armed && model[k].expires <= now;
				unsigned f = times_fired(&p_t[k]);

				if (f != (is_due ? 1u : 0u))
					fail_msg("step %d now %llu timer %d: fired %u, model due %d "
						 "(armed %d expires %llu)",
						 step, (unsigned long long)now, k, f, is_due,
						 model[k].armed, (unsigned long long)model[k].expires);
				if (is_due)
					model[k].armed = false;
				assert_int_equal(dp_timer_armed(&p_t[k]), model[k].armed);
			}
			/* Tick order within a run of at most one revolution. */
			if (adv <= DP_TIMER_SLOTS)
				for (unsigned k = 1; k < fires.n; k++)
					assert_true(fires.t[k - 1]->expires_ms <= fires.t[k]->expires_ms);
			fired_total += fires.n;
		}
	}
	print_message("property: %d steps, %u runs, %u fired\n", P_STEPS, advances, fired_total);
	assert_true(fired_total > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_arm_cancel_rearm, setup),
		cmocka_unit_test_setup(test_order_across_ticks, setup),
		cmocka_unit_test_setup(test_beyond_one_revolution, setup),
		cmocka_unit_test_setup(test_callback_rearms_itself, setup),
		cmocka_unit_test_setup(test_callback_cancels_same_slot, setup),
		cmocka_unit_test_setup(test_arm_in_the_past, setup),
		cmocka_unit_test_setup(test_long_stall, setup),
		cmocka_unit_test_setup(test_long_stall_keeps_tick_order, setup),
		cmocka_unit_test_setup(test_next_not_late, setup),
		cmocka_unit_test_setup(test_property_vs_model, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
