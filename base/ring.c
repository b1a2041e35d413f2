#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

int ring_init(struct ring *r, uint32_t capacity)
{
	if (capacity < 2 || capacity > (1u << 30) || (capacity & (capacity - 1)))
		return -EINVAL;
	r->slots = calloc(capacity, sizeof(*r->slots));
	if (!r->slots)
		return -ENOMEM;
	r->mask = capacity - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->cached_head = 0;
	r->cached_tail = 0;
	return 0;
}

void ring_fini(struct ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

int ring_bell_init(struct ring_bell *b)
{
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd < 0)
		return -errno;
	atomic_init(&b->sleeping, 0);
	return 0;
}

void ring_bell_fini(struct ring_bell *b)
{
	if (b->efd >= 0)
		close(b->efd);
	b->efd = -1;
}

bool ring_bell_ring(struct ring_bell *b)
{
	/*
	 * seq_cst pairs with ring_bell_arm(): either the consumer sees our
	 * items on its re-check, or we see its flag and wake it.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&b->sleeping, memory_order_relaxed))
		return false;
	if (!atomic_exchange(&b->sleeping, 0))
		return false;
	uint64_t one = 1;
	ssize_t w = write(b->efd, &one, sizeof(one));
	(void)w; /* EAGAIN means the counter is already non-zero: awake anyway. */
	return true;
}

void ring_bell_drain(struct ring_bell *b)
{
	uint64_t v;
	ssize_t r = read(b->efd, &v, sizeof(v));
	(void)r;
}
