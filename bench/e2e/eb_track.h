/*
 * Exactly-once accounting: for every sequence number sent, whether the server accepted
 * it (202) and how many times a receiver got it, so losses and duplicates are counted
 * no matter in which order the 202 and the MESSAGE arrive.
 */
#ifndef COLUMBA_BENCH_E2E_EB_TRACK_H
#define COLUMBA_BENCH_E2E_EB_TRACK_H

#include <stddef.h>
#include <stdint.h>

struct eb_track {
	uint8_t *st;           /* per seq: bit 7 accepted, bits 0-6 receipts (saturating) */
	uint64_t cap;          /* entries allocated */
	uint64_t next;         /* seqs handed out: 0..next-1 */
	uint64_t accepted;     /* seqs with a 202 */
	uint64_t done;         /* seqs both accepted and received at least once */
	uint64_t dup_live;     /* receipts beyond the first, as they happen */
};

struct eb_track_result {
	uint64_t lost;             /* accepted, never received */
	uint64_t dup;              /* receipts beyond the first */
	uint64_t unacked_received; /* received without a 202 (its answer lost or an error) */
};

/* Empties @t. */
void eb_track_init(struct eb_track *t);

/* Frees what @t holds. */
void eb_track_fini(struct eb_track *t);

/* Hands out the next sequence number into @seq. Returns 0 or -ENOMEM. */
int eb_track_new(struct eb_track *t, uint64_t *seq);

/* Records the 202 for @seq (< t->next; the caller checks). */
void eb_track_accepted(struct eb_track *t, uint64_t seq);

/* Records one receipt of @seq. Returns 1 for the first receipt, 0 for a duplicate,
 * -ERANGE when @seq was never handed out. */
int eb_track_received(struct eb_track *t, uint64_t seq);

/* Counts losses and duplicates over every seq handed out. */
void eb_track_result(const struct eb_track *t, struct eb_track_result *r);

#endif
