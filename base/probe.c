/* Backward-shift deletion for linear probing (probe.h). */
#include "base/probe.h"

#include <string.h>

static void *slot_at(const struct probe_table *t, uint32_t i)
{
	return (char *)t->slots + (size_t)i * t->slot_size;
}

void probe_remove(const struct probe_table *t, uint32_t hole)
{
	uint32_t i = hole;

	t->clear(slot_at(t, hole));
	for (;;) {
		void *s;
		uint32_t home;
		bool stays;

		i = (i + 1) & t->mask;
		s = slot_at(t, i);
		if (!t->used(s))
			return;
		home = t->home(s) & t->mask;
		/* s may fill the hole unless its home lies cyclically in (hole, i]. */
		stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (stays)
			continue;
		memcpy(slot_at(t, hole), s, t->slot_size);
		t->clear(s);
		hole = i;
	}
}
