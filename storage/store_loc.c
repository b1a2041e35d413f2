/*
 * The location map: (user name tag, flow) -> (worker, expiry), in memory
 * only, owned by the store thread; up to ST_LOC_PER_USER flows per user. Open addressing with linear probing and
 * backward-shift deletion (no tombstones); the tags are HMAC output, so
 * their first bytes are already a uniform hash. Allocated once at open.
 */
#include "storage/store_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/probe.h"

int st__loc_init(struct st_locmap *m, uint32_t capacity)
{
	if (capacity < 2 || (capacity & (capacity - 1)))
		return -EINVAL;
	m->slots = calloc(capacity, sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	m->mask = capacity - 1;
	m->count = 0;
	m->sweep_pos = 0;
	return 0;
}

void st__loc_fini(struct st_locmap *m)
{
	free(m->slots);
	m->slots = NULL;
}

static uint32_t loc_hash(const uint8_t tag[ST_TAG_LEN])
{
	uint32_t h;
	memcpy(&h, tag, sizeof(h));
	return h;
}

/* The slot of (@tag, @flow), or NULL; *pos: the slot, or the empty slot
 * that ends the tag's run. Every binding of a tag lies in the run that
 * starts at the tag's home slot (linear probing, backward-shift deletion). */
static struct st_loc_ent *loc_find(struct st_locmap *m, const uint8_t tag[ST_TAG_LEN],
				   const uint64_t *flow, uint32_t *pos)
{
	uint32_t i = loc_hash(tag) & m->mask;

	while (m->slots[i].used) {
		if (memcmp(m->slots[i].tag, tag, ST_TAG_LEN) == 0 &&
		    (!flow || m->slots[i].flow == *flow)) {
			*pos = i;
			return &m->slots[i];
		}
		i = (i + 1) & m->mask;
	}
	*pos = i;
	return NULL;
}

int st__loc_put(struct st_locmap *m, const uint8_t tag[ST_TAG_LEN], uint32_t worker, uint64_t flow,
		uint64_t expires_ms, uint64_t now)
{
	uint32_t i = loc_hash(tag) & m->mask, stale = UINT32_MAX, oldest = UINT32_MAX, live = 0;
	struct st_loc_ent *e = NULL;

	/*
	 * Probe the run from the tag's home: the binding itself if this flow
	 * is bound, the user's other live bindings (the one expiring first is
	 * replaced past ST_LOC_PER_USER), and the first expired binding on
	 * the way, which can be taken over in place (every slot between the
	 * home and it is in use, so the new entry is reachable).
	 */
	while (m->slots[i].used) {
		struct st_loc_ent *x = &m->slots[i];
		bool mine = memcmp(x->tag, tag, ST_TAG_LEN) == 0;

		if (mine && x->flow == flow) {
			e = x;
			break;
		}
		if (x->expires_ms <= now) {
			if (stale == UINT32_MAX)
				stale = i;
		} else if (mine) {
			live++;
			if (oldest == UINT32_MAX || x->expires_ms < m->slots[oldest].expires_ms)
				oldest = i;
		}
		i = (i + 1) & m->mask;
	}
	if (!e && live >= ST_LOC_PER_USER) {
		e = &m->slots[oldest]; /* same tag: stays in its run */
	} else if (!e && stale != UINT32_MAX) {
		e = &m->slots[stale];
		memcpy(e->tag, tag, ST_TAG_LEN);
	} else if (!e) {
		/* Keep a quarter free so probes stay short; clear out expired bindings first. */
		if (m->count + 1 > (m->mask + 1) / 4 * 3 && st__loc_sweep(m, now, m->mask + 1) == 0)
			return -ENOSPC;
		if (m->count + 1 > (m->mask + 1) / 4 * 3)
			return -ENOSPC;
		loc_find(m, tag, &flow, &i); /* the sweep may have shifted the run */
		e = &m->slots[i];
		memcpy(e->tag, tag, ST_TAG_LEN);
		e->used = true;
		m->count++;
	}
	e->worker = worker;
	e->flow = flow;
	e->expires_ms = expires_ms;
	return 0;
}

static bool loc_slot_used(const void *slot)
{
	return ((const struct st_loc_ent *)slot)->used;
}

static uint32_t loc_slot_home(const void *slot)
{
	return loc_hash(((const struct st_loc_ent *)slot)->tag);
}

static void loc_slot_clear(void *slot)
{
	((struct st_loc_ent *)slot)->used = false;
}

static void loc_remove_at(struct st_locmap *m, uint32_t hole)
{
	const struct probe_table t = {
		.slots = m->slots, .slot_size = sizeof(*m->slots), .mask = m->mask,
		.used = loc_slot_used, .home = loc_slot_home, .clear = loc_slot_clear,
	};

	probe_remove(&t, hole);
	m->count--;
}

int st__loc_del(struct st_locmap *m, const uint8_t tag[ST_TAG_LEN], const uint64_t *flow)
{
	uint32_t pos;
	struct st_loc_ent *e = loc_find(m, tag, flow, &pos);

	if (!e)
		return -ENOENT;
	loc_remove_at(m, pos);
	return 0;
}

uint32_t st__loc_all(struct st_locmap *m, const uint8_t tag[ST_TAG_LEN], uint64_t now,
		     struct st_loc_ent **out, uint32_t max)
{
	uint32_t i = loc_hash(tag) & m->mask, n = 0;

	while (m->slots[i].used && n < max) {
		struct st_loc_ent *x = &m->slots[i];

		if (x->expires_ms > now && memcmp(x->tag, tag, ST_TAG_LEN) == 0)
			out[n++] = x;
		i = (i + 1) & m->mask;
	}
	return n;
}

uint32_t st__loc_sweep(struct st_locmap *m, uint64_t now, uint32_t max)
{
	uint32_t removed = 0, cap = m->mask + 1;

	if (max > cap)
		max = cap;
	for (uint32_t n = 0; n < max;) {
		uint32_t i = m->sweep_pos;

		/*
		 * A removal shifts a later entry into slot i: look at it
		 * again. Bounded: @max slots passed plus at most one removal
		 * per binding.
		 */
		if (m->slots[i].used && m->slots[i].expires_ms <= now) {
			loc_remove_at(m, i);
			removed++;
			continue;
		}
		m->sweep_pos = (i + 1) & m->mask;
		n++;
	}
	return removed;
}
