/*
 * Single-producer single-consumer ring of pointers, lock-free.
 *
 * One thread enqueues, one thread dequeues; both sides work in bursts so a
 * cache line moves once per burst, not once per item (DPDK rte_ring's
 * discipline, reduced to the SPSC case). Capacity is a power of two; one slot
 * is not wasted: head and tail are free-running 32-bit counters.
 *
 * Wake-ups are separate (struct ring_bell below): a consumer that is about to
 * sleep rings its bell's "sleeping" flag; a producer that sees it after a
 * burst writes the bell's eventfd once for the whole burst.
 */
#ifndef COLUMBA_BASE_RING_H
#define COLUMBA_BASE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

struct ring {
	/* Producer side. */
	_Atomic uint32_t head __cache_aligned;
	uint32_t cached_tail;
	/* Consumer side. */
	_Atomic uint32_t tail __cache_aligned;
	uint32_t cached_head;
	/* Read-only after init. */
	uint32_t mask __cache_aligned;
	void **slots;
};

/*
 * ring_init - allocate a ring of capacity slots.
 * @capacity: a power of two, at least 2 and at most 2^30.
 * Returns 0, -EINVAL for a bad capacity or -ENOMEM.
 */
int ring_init(struct ring *r, uint32_t capacity);
void ring_fini(struct ring *r);

/*
 * ring_enqueue_burst - producer: append up to n pointers.
 * Returns how many were appended (0..n); fewer than n means the ring is full.
 */
static inline uint32_t ring_enqueue_burst(struct ring *r, void *const *objs, uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t room = r->mask + 1 - (head - r->cached_tail);

	if (room < n) {
		r->cached_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		room = r->mask + 1 - (head - r->cached_tail);
		if (room < n)
			n = room;
	}
	for (uint32_t i = 0; i < n; i++)
		r->slots[(head + i) & r->mask] = objs[i];
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

/*
 * ring_dequeue_burst - consumer: take up to n pointers into objs.
 * Returns how many were taken (0..n).
 */
static inline uint32_t ring_dequeue_burst(struct ring *r, void **objs, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t avail = r->cached_head - tail;

	if (avail < n) {
		r->cached_head = atomic_load_explicit(&r->head, memory_order_acquire);
		avail = r->cached_head - tail;
		if (avail < n)
			n = avail;
	}
	for (uint32_t i = 0; i < n; i++)
		objs[i] = r->slots[(tail + i) & r->mask];
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

/* Items currently queued; exact only when called by the producer or the consumer. */
static inline uint32_t ring_count(struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

static inline uint32_t ring_capacity(const struct ring *r)
{
	return r->mask + 1;
}

/*
 * A bell wakes one sleeping consumer thread that may drain several rings.
 * The consumer calls ring_bell_arm() before it sleeps, re-checks its rings,
 * then waits for the eventfd to become readable (poll, or an io_uring read);
 * producers call ring_bell_ring() after each burst. Only a consumer that is
 * actually asleep costs a write(2): a busy one is never signalled.
 */
struct ring_bell {
	_Atomic int sleeping;
	int efd;
};

/* Returns 0 or -errno from eventfd(2). */
int ring_bell_init(struct ring_bell *b);
void ring_bell_fini(struct ring_bell *b);

static inline void ring_bell_arm(struct ring_bell *b)
{
	atomic_store_explicit(&b->sleeping, 1, memory_order_seq_cst);
}

/* Consumer: awake again (after the eventfd fired or a re-check found work). */
static inline void ring_bell_disarm(struct ring_bell *b)
{
	atomic_store_explicit(&b->sleeping, 0, memory_order_relaxed);
}

/* Producer: wake the consumer if it is asleep. Returns true if it wrote. */
bool ring_bell_ring(struct ring_bell *b);

/* Consumer: clear the eventfd counter after a wake-up (non-blocking). */
void ring_bell_drain(struct ring_bell *b);

#endif
