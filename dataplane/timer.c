#include "timer.h"

#include <string.h>

#include "base/compiler.h"

#define SLOT_MASK (DP_TIMER_SLOTS - 1)

void dp_timer_wheel_init(struct dp_timer_wheel *w, uint64_t now_ms)
{
	memset(w, 0, sizeof(*w));
	w->now_ms = now_ms;
}

void dp_timer_init(struct dp_timer *t, dp_timer_fn fn, void *arg)
{
	t->next = NULL;
	t->pprev = NULL;
	t->expires_ms = 0;
	t->fn = fn;
	t->arg = arg;
}

static void unlink_timer(struct dp_timer *t)
{
	if (t->next)
		t->next->pprev = t->pprev;
	*t->pprev = t->next;
	t->next = NULL;
	t->pprev = NULL;
}

void dp_timer_arm(struct dp_timer_wheel *w, struct dp_timer *t, uint64_t expires_ms)
{
	struct dp_timer **head;

	if (t->pprev)
		unlink_timer(t);
	else
		w->armed++;
	/* A time already past goes to the current tick so the next run fires it. */
	if (expires_ms < w->now_ms)
		expires_ms = w->now_ms;
	t->expires_ms = expires_ms;
	head = &w->slots[expires_ms & SLOT_MASK];
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
}

void dp_timer_cancel(struct dp_timer_wheel *w, struct dp_timer *t)
{
	if (!t->pprev)
		return;
	unlink_timer(t);
	BUG_ON(w->armed == 0);
	w->armed--;
}

/*
 * Earliest expiry of any armed timer, given that none expires before
 * start_tick (UINT64_MAX if none is armed). Slot i ahead of start_tick holds
 * nothing earlier than start_tick + i, so the scan stops as soon as no slot
 * further on can beat the best seen; at worst it looks at one revolution.
 */
static uint64_t earliest_expiry(const struct dp_timer_wheel *w, uint64_t start_tick)
{
	uint64_t best = UINT64_MAX;

	for (uint32_t i = 0; i < DP_TIMER_SLOTS; i++) {
		const struct dp_timer *t = w->slots[(start_tick + i) & SLOT_MASK];

		for (; t; t = t->next)
			if (t->expires_ms < best)
				best = t->expires_ms;
		if (best <= start_tick + i)
			break;
	}
	return best;
}

unsigned dp_timer_wheel_run(struct dp_timer_wheel *w, uint64_t now_ms)
{
	unsigned fired = 0;
	uint64_t tick = w->now_ms, lap_end = tick + DP_TIMER_SLOTS;

	if (now_ms < tick)
		return 0;
	/*
	 * Advance the clock first: a callback that arms a timer at or before
	 * now_ms gets it clamped to now_ms + 1, a tick this walk does not
	 * visit, so it fires on the next run and the walk always ends.
	 */
	w->now_ms = now_ms + 1;
	/*
	 * Walk tick by tick, firing in each slot only the timers of that tick,
	 * so timers fire in tick order even after a stall. Every armed timer
	 * expires at or after the tick being walked; after a whole revolution
	 * (a stall) jump to the earliest one left instead of walking empty
	 * laps: the work stays bounded by (laps with due timers) x (one lap).
	 */
	for (; tick <= now_ms && w->armed; tick++) {
		struct dp_timer **pp;
		struct dp_timer *t;

		if (tick == lap_end) {
			uint64_t e = earliest_expiry(w, tick);

			if (e > now_ms)
				break;
			tick = e;
			lap_end = e + DP_TIMER_SLOTS;
		}
		pp = &w->slots[tick & SLOT_MASK];
		while ((t = *pp) != NULL) {
			if (t->expires_ms > tick) {
				pp = &t->next; /* a later lap */
				continue;
			}
			unlink_timer(t);
			w->armed--;
			fired++;
			t->fn(t, t->arg);
			/* The callback may have cancelled neighbours: restart
			 * from the head of the slot. */
			pp = &w->slots[tick & SLOT_MASK];
		}
	}
	return fired;
}

uint64_t dp_timer_wheel_next(const struct dp_timer_wheel *w, uint64_t now_ms)
{
	uint64_t best;

	if (!w->armed)
		return UINT64_MAX;
	/* Every armed timer expires at or after w->now_ms (run and arm keep it so). */
	best = earliest_expiry(w, w->now_ms);
	if (best == UINT64_MAX)
		return UINT64_MAX;
	/* Not clamping now_ms up to w->now_ms: after run(now), a timer armed
	 * at or before now waits for tick now + 1, and answering 0 here
	 * would make the caller spin until the clock ticks. */
	return best <= now_ms ? 0 : best - now_ms;
}
