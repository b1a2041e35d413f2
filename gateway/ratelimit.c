/* Token-bucket (GCRA) rate limiter over a fixed table; see ratelimit.h. */
#include "gateway/ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/compiler.h"
#include "base/siphash.h"

/* ---- The table ---- */

int rl_init(struct rl_table *t, const struct rl_cfg *cfg)
{
	uint64_t k[2];
	uint64_t interval_us;

	memset(t, 0, sizeof(*t));
	if (!cfg->rate || !cfg->per_ms || !cfg->burst || cfg->slots < RL_WAYS ||
	    (cfg->slots & (cfg->slots - 1)))
		return -EINVAL;
	interval_us = (uint64_t)cfg->per_ms * 1000 / cfg->rate;
	if (interval_us == 0)
		return -EINVAL;
	if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k))
		return errno ? -errno : -EIO;
	t->slots = calloc(cfg->slots, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = cfg->slots - 1;
	t->burst = cfg->burst;
	t->interval_us = interval_us;
	t->sip_k0 = k[0];
	t->sip_k1 = k[1];
	return 0;
}

void rl_fini(struct rl_table *t)
{
	free(t->slots);
	t->slots = NULL;
}

uint64_t rl_key(const struct rl_table *t, const void *data, size_t len)
{
	uint64_t h = siphash24(t->sip_k0, t->sip_k1, data, len);

	return h ? h : 1; /* 0 marks an unused slot */
}

/* The slot holding @key in its window, or NULL. */
static struct rl_slot *find(const struct rl_table *t, uint64_t key)
{
	struct rl_slot *w = &t->slots[key & t->mask & ~(uint32_t)(RL_WAYS - 1)];

	for (unsigned i = 0; i < RL_WAYS; i++)
		if (w[i].key == key)
			return &w[i];
	return NULL;
}

/*
 * GCRA: taking @cost moves tat to max(tat, now) + cost * interval; allowed
 * while that stays within burst * interval of now. Returns 0 or the wait in
 * ms, rounded up.
 */
static int64_t decide(const struct rl_table *t, uint64_t tat_us, uint64_t now_us, uint32_t cost,
		      uint64_t *new_tat)
{
	uint64_t base = tat_us > now_us ? tat_us : now_us;
	uint64_t next = base + (uint64_t)cost * t->interval_us;
	uint64_t limit = now_us + (uint64_t)t->burst * t->interval_us;

	if (next <= limit) {
		*new_tat = next;
		return 0;
	}
	return (int64_t)((next - limit + 999) / 1000);
}

int64_t rl_peek(const struct rl_table *t, uint64_t key, uint64_t now_ms, uint32_t cost)
{
	const struct rl_slot *s = find(t, key);
	uint64_t now_us = now_ms * 1000, unused = 0;

	if (cost > t->burst)
		return -E2BIG;
	return decide(t, s ? s->tat_us : 0, now_us, cost, &unused);
}

int64_t rl_take(struct rl_table *t, uint64_t key, uint64_t now_ms, uint32_t cost)
{
	uint64_t now_us = now_ms * 1000, new_tat = 0;
	struct rl_slot *s, *w, *victim;
	int64_t wait;

	DEBUG_BUG_ON(key == 0);
	if (cost > t->burst)
		return -E2BIG;
	if (cost == 0)
		return 0;
	s = find(t, key);
	wait = decide(t, s ? s->tat_us : 0, now_us, cost, &new_tat);
	if (wait) {
		t->stats.refused++;
		return wait;
	}
	t->stats.allowed++;
	if (!s) {
		/* A free slot (never used, or its bucket is full again), else the fullest bucket. */
		w = &t->slots[key & t->mask & ~(uint32_t)(RL_WAYS - 1)];
		victim = &w[0];
		for (unsigned i = 0; i < RL_WAYS; i++) {
			if (w[i].key == 0 || w[i].tat_us <= now_us) {
				victim = &w[i];
				goto claim;
			}
			if (w[i].tat_us < victim->tat_us)
				victim = &w[i];
		}
		t->stats.evictions++;
claim:
		s = victim;
		s->key = key;
	}
	s->tat_us = new_tat;
	return 0;
}

void rl_refund(struct rl_table *t, uint64_t key, uint32_t cost)
{
	struct rl_slot *s = find(t, key);
	uint64_t back = (uint64_t)cost * t->interval_us;

	if (!s)
		return;
	s->tat_us = s->tat_us > back ? s->tat_us - back : 0;
}
