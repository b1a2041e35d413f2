/*
 * Per-worker hashed timer wheel: O(1) arm and cancel, run-to-completion.
 *
 * Time is in milliseconds of a caller-supplied monotonic clock (tests drive it
 * by hand). The wheel has DP_TIMER_SLOTS slots of one tick (1 ms) each; a
 * timer further away than one revolution waits in its slot for the right lap
 * (its absolute expiry is kept), so any delay is allowed. Timers are
 * intrusive: the owner embeds a struct dp_timer and the wheel never allocates.
 *
 * Callbacks may arm or cancel any timer, including the one running.
 */
#ifndef COLUMBA_DATAPLANE_TIMER_H
#define COLUMBA_DATAPLANE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define DP_TIMER_SLOTS 4096u /* power of two; 4 s per revolution at 1 ms */

struct dp_timer;
typedef void (*dp_timer_fn)(struct dp_timer *t, void *arg);

struct dp_timer {
	struct dp_timer *next, **pprev; /* pprev == NULL: not armed */
	uint64_t expires_ms;
	dp_timer_fn fn;
	void *arg;
};

struct dp_timer_wheel {
	struct dp_timer *slots[DP_TIMER_SLOTS];
	uint64_t now_ms;  /* every slot before this tick has been run */
	uint32_t armed;   /* number of armed timers */
};

/* dp_timer_wheel_init - an empty wheel whose clock starts at now_ms. */
void dp_timer_wheel_init(struct dp_timer_wheel *w, uint64_t now_ms);

/* dp_timer_init - prepare a timer (not armed) with its callback. */
void dp_timer_init(struct dp_timer *t, dp_timer_fn fn, void *arg);

/*
 * dp_timer_arm - (re)arm t to fire at expires_ms; an armed timer is moved.
 * A time in the past fires on the next dp_timer_wheel_run().
 */
void dp_timer_arm(struct dp_timer_wheel *w, struct dp_timer *t, uint64_t expires_ms);

/* dp_timer_cancel - disarm t; harmless if it is not armed. */
void dp_timer_cancel(struct dp_timer_wheel *w, struct dp_timer *t);

static inline bool dp_timer_armed(const struct dp_timer *t)
{
	return t->pprev != 0;
}

/*
 * dp_timer_wheel_run - fire every timer due at or before now_ms, in order of
 * ticks (timers of the same tick in no particular order).
 * Returns the number of callbacks run.
 */
unsigned dp_timer_wheel_run(struct dp_timer_wheel *w, uint64_t now_ms);

/*
 * dp_timer_wheel_next - milliseconds from now_ms until the earliest armed
 * timer may be due (0 if one is due), or UINT64_MAX when none is armed.
 * Bounded work: it scans at most one revolution of slots and may answer
 * early (never late), which only costs a spurious wake-up.
 */
uint64_t dp_timer_wheel_next(const struct dp_timer_wheel *w, uint64_t now_ms);

#endif
