/* Exactly-once accounting; see eb_track.h. */
#include "bench/e2e/eb_track.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ACCEPTED 0x80u
#define RECV_MAX 0x7fu

void eb_track_init(struct eb_track *t)
{
	memset(t, 0, sizeof(*t));
}

void eb_track_fini(struct eb_track *t)
{
	free(t->st);
	memset(t, 0, sizeof(*t));
}

int eb_track_new(struct eb_track *t, uint64_t *seq)
{
	if (t->next == t->cap) {
		uint64_t cap = t->cap ? t->cap * 2 : 1u << 16;
		uint8_t *p = realloc(t->st, cap);
		if (p == NULL)
			return -ENOMEM;
		memset(p + t->cap, 0, cap - t->cap);
		t->st = p;
		t->cap = cap;
	}
	*seq = t->next++;
	return 0;
}

void eb_track_accepted(struct eb_track *t, uint64_t seq)
{
	uint8_t s = t->st[seq];
	if (s & ACCEPTED)
		return;
	t->st[seq] = s | ACCEPTED;
	t->accepted++;
	if (s & RECV_MAX)
		t->done++;
}

int eb_track_received(struct eb_track *t, uint64_t seq)
{
	if (seq >= t->next)
		return -ERANGE;
	uint8_t s = t->st[seq];
	unsigned n = s & RECV_MAX;
	if (n < RECV_MAX)
		t->st[seq] = (uint8_t)((s & ACCEPTED) | (n + 1));
	if (n > 0) {
		t->dup_live++;
		return 0;
	}
	if (s & ACCEPTED)
		t->done++;
	return 1;
}

void eb_track_result(const struct eb_track *t, struct eb_track_result *r)
{
	memset(r, 0, sizeof(*r));
	r->dup = t->dup_live;
	for (uint64_t i = 0; i < t->next; i++) {
		uint8_t s = t->st[i];
		if ((s & ACCEPTED) && (s & RECV_MAX) == 0)
			r->lost++;
		if (!(s & ACCEPTED) && (s & RECV_MAX) != 0)
			r->unacked_received++;
	}
}
