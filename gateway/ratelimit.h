/*
 * Token-bucket rate limiter over a fixed, per-worker table.
 *
 * Used for failed logins (per user name and per source address) and for
 * submits (per sender). One table per worker and per use: no locks, no
 * allocation after rl_init().
 *
 * Keys are 64-bit SipHash-2-4 values of the user name or address under a
 * random per-table key (rl_key), so a client cannot choose names that
 * collide in the table to evict someone's bucket or share it.
 *
 * Each slot keeps the bucket as GCRA's "theoretical arrival time" (tat),
 * which is the token bucket in one integer: the bucket is full when
 * tat <= now, and every token taken pushes tat one interval ahead. A slot
 * whose bucket is full carries no information and is free for any key.
 * Slots are grouped in windows of RL_WAYS (open addressing with a bounded
 * probe): a new key takes a free slot of its window, or when none is free
 * evicts the slot with the smallest tat, i.e. the bucket closest to full,
 * which loses the least (counted in rl_stats.evictions). A table that is
 * too small therefore fails open for the least-limited keys; size it for
 * the expected number of active keys (slots = 4x is plenty).
 */
#ifndef COLUMBA_GATEWAY_RATELIMIT_H
#define COLUMBA_GATEWAY_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RL_WAYS 8

struct rl_cfg {
	uint32_t rate;   /* tokens refilled per @per_ms; >= 1 */
	uint32_t per_ms; /* >= 1; rate / per_ms is at most 1000 tokens/ms */
	uint32_t burst;  /* bucket size, tokens; >= 1 */
	uint32_t slots;  /* table size, a power of two >= RL_WAYS */
};

struct rl_stats {
	uint64_t allowed, refused, evictions;
};

struct rl_slot {
	uint64_t key;    /* 0: never used */
	uint64_t tat_us; /* bucket full when tat_us <= now */
};

struct rl_table {
	struct rl_slot *slots;
	uint32_t mask;
	uint32_t burst;
	uint64_t interval_us; /* time to refill one token */
	uint64_t sip_k0, sip_k1;
	struct rl_stats stats;
};

/*
 * rl_init - allocate @cfg->slots slots and draw the hash key (getrandom).
 * Returns 0, -EINVAL (a bad field in @cfg), -ENOMEM, or -errno of getrandom.
 */
int rl_init(struct rl_table *t, const struct rl_cfg *cfg);

/* rl_fini - free the slots. Safe on a zeroed or already finished table. */
void rl_fini(struct rl_table *t);

/* rl_key - the table's keyed hash (SipHash-2-4) of @len bytes at @data; never 0. */
uint64_t rl_key(const struct rl_table *t, const void *data, size_t len);

/*
 * rl_take - take @cost tokens from @key's bucket at time @now_ms (any
 * monotonic millisecond clock, never going backwards for a table).
 * Returns 0 when taken; otherwise nothing is taken and the result is the
 * number of milliseconds (>= 1) until @cost tokens will be there, for
 * Retry-After. -E2BIG if @cost exceeds the burst (never possible).
 * @cost 0 returns 0.
 */
int64_t rl_take(struct rl_table *t, uint64_t key, uint64_t now_ms, uint32_t cost);

/*
 * rl_peek - what rl_take would return, without taking anything or
 * inserting @key (e.g. refuse a login before spending Argon2 on it, and
 * rl_take only when the password turns out wrong).
 */
int64_t rl_peek(const struct rl_table *t, uint64_t key, uint64_t now_ms, uint32_t cost);

/*
 * rl_refund - give back @cost tokens taken earlier from @key's bucket (e.g.
 * a login charged on admission that turned out to be right). Never raises
 * a bucket above full; unknown keys are ignored.
 */
void rl_refund(struct rl_table *t, uint64_t key, uint32_t cost);


#endif
