/*
 * Unit tests for base/ring: capacity bounds, burst semantics, free-running
 * counters across 2^32, a two-thread order/completeness stress test and the
 * bell's no-lost-wake-up protocol.
 *
 * Threads never call cmocka asserts (they longjmp on failure); they record
 * what went wrong and the main thread asserts after joining them.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/ring.h"

#define ITEM(i) ((void *)(uintptr_t)(i))

/* xorshift64*: deterministic, seeded per test so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void test_init_bounds(void **state)
{
	static const uint32_t bad[] = { 0, 1, 3, 6, 100, (1u << 30) + 1, 1u << 31,
					(1u << 31) + (1u << 30), UINT32_MAX };
	static const uint32_t good[] = { 2, 4, 1024, 1u << 16 };
	struct ring r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(ring_init(&r, bad[i]), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(ring_init(&r, good[i]), 0);
		assert_int_equal(ring_capacity(&r), good[i]);
		assert_int_equal(ring_count(&r), 0);
		ring_fini(&r);
		assert_null(r.slots);
	}
}

static void test_partial_bursts(void **state)
{
	void *in[6] = { ITEM(1), ITEM(2), ITEM(3), ITEM(4), ITEM(5), ITEM(6) };
	void *out[10];
	struct ring r;

	(void)state;
	assert_int_equal(ring_init(&r, 4), 0);
	assert_int_equal(ring_enqueue_burst(&r, in, 0), 0);
	assert_int_equal(ring_dequeue_burst(&r, out, 10), 0);

	/* A burst larger than the room is cut to the room. */
	assert_int_equal(ring_enqueue_burst(&r, in, 6), 4);
	assert_int_equal(ring_count(&r), 4);
	assert_int_equal(ring_enqueue_burst(&r, in + 4, 2), 0);

	/* Partial dequeue, then the rest; order is FIFO. */
	assert_int_equal(ring_dequeue_burst(&r, out, 1), 1);
	assert_ptr_equal(out[0], ITEM(1));
	assert_int_equal(ring_enqueue_burst(&r, in + 4, 2), 1);
	assert_int_equal(ring_dequeue_burst(&r, out, 10), 4);
	assert_ptr_equal(out[0], ITEM(2));
	assert_ptr_equal(out[1], ITEM(3));
	assert_ptr_equal(out[2], ITEM(4));
	assert_ptr_equal(out[3], ITEM(5));
	assert_int_equal(ring_dequeue_burst(&r, out, 10), 0);
	assert_int_equal(ring_count(&r), 0);
	ring_fini(&r);
}

/* Put all four counters at start, as if 2^32 - distance items had passed. */
static void ring_set_counters(struct ring *r, uint32_t start)
{
	atomic_store(&r->head, start);
	atomic_store(&r->tail, start);
	r->cached_head = start;
	r->cached_tail = start;
}

static void test_counter_wraparound(void **state)
{
	const uint32_t cap = 8;
	void *buf[16];
	uint32_t next_in = 1, next_out = 1;
	uint64_t seed = 0x5eed0001;
	struct ring r;

	(void)state;
	assert_int_equal(ring_init(&r, cap), 0);

	/* Full and empty exactly at the wrap point. */
	ring_set_counters(&r, UINT32_MAX - 3);
	for (uint32_t i = 0; i < cap; i++)
		buf[i] = ITEM(100 + i);
	assert_int_equal(ring_enqueue_burst(&r, buf, cap), cap);
	assert_int_equal(ring_count(&r), cap);
	assert_int_equal(atomic_load(&r.head), 4); /* wrapped */
	assert_int_equal(ring_enqueue_burst(&r, buf, 1), 0);
	assert_int_equal(ring_dequeue_burst(&r, buf, 16), cap);
	for (uint32_t i = 0; i < cap; i++)
		assert_ptr_equal(buf[i], ITEM(100 + i));
	assert_int_equal(ring_dequeue_burst(&r, buf, 16), 0);

	/* Random bursts straddling the wrap with the ring part full. */
	ring_set_counters(&r, UINT32_MAX - 100);
	for (int round = 0; round < 2000; round++) {
		uint32_t n = (uint32_t)(rng_next(&seed) % 12);
		uint32_t count = next_in - next_out;
		uint32_t room = cap - count;
		uint32_t want = n < room ? n : room;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = ITEM(next_in + i);
		assert_int_equal(ring_enqueue_burst(&r, buf, n), want);
		next_in += want;
		assert_int_equal(ring_count(&r), next_in - next_out);

		n = (uint32_t)(rng_next(&seed) % 12);
		count = next_in - next_out;
		want = n < count ? n : count;
		assert_int_equal(ring_dequeue_burst(&r, buf, n), want);
		for (uint32_t i = 0; i < want; i++)
			assert_ptr_equal(buf[i], ITEM(next_out + i));
		next_out += want;
	}
	/* The counters really crossed 2^32. */
	assert_true(atomic_load(&r.tail) < UINT32_MAX - 100);
	ring_fini(&r);
}

/*
 * Put the two threads on different CPUs when there are two, so the races
 * happen in parallel rather than only at preemption points. Best effort:
 * the test is correct (just less searching) without it.
 */
static void pin_to_cpu(pthread_t th, unsigned nth)
{
	cpu_set_t allowed, one;
	unsigned seen = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || CPU_COUNT(&allowed) < 2)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed) || seen++ != nth)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		(void)pthread_setaffinity_np(th, sizeof(one), &one);
		return;
	}
}

/* ---- two-thread stress: order and completeness ---- */

#define STRESS_N 2000000u
#define STRESS_BURST 64u

struct stress {
	struct ring ring;
	_Atomic bool stop;
	uint64_t bad_index; /* first out-of-order position, 0 if none */
	uintptr_t bad_value;
	uint64_t received;
};

static void *stress_producer(void *arg)
{
	struct stress *s = arg;
	uint64_t seed = 0xfeedface;
	void *buf[STRESS_BURST];
	uintptr_t next = 1;

	while (next <= STRESS_N && !atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		uint32_t n = 1 + (uint32_t)(rng_next(&seed) % STRESS_BURST);
		uint32_t done = 0;

		if (next + n - 1 > STRESS_N)
			n = (uint32_t)(STRESS_N - next + 1);
		for (uint32_t i = 0; i < n; i++)
			buf[i] = ITEM(next + i);
		while (done < n && !atomic_load_explicit(&s->stop, memory_order_relaxed)) {
			uint32_t k = ring_enqueue_burst(&s->ring, buf + done, n - done);

			done += k;
			if (k == 0)
				sched_yield();
		}
		next += done;
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress *s = arg;
	uint64_t seed = 0xdecafbad;
	void *buf[STRESS_BURST];
	uintptr_t expect = 1;

	while (expect <= STRESS_N) {
		uint32_t n = 1 + (uint32_t)(rng_next(&seed) % STRESS_BURST);
		uint32_t k = ring_dequeue_burst(&s->ring, buf, n);

		if (k == 0) {
			sched_yield();
			continue;
		}
		for (uint32_t i = 0; i < k; i++, expect++) {
			if (buf[i] != ITEM(expect)) {
				s->bad_index = expect;
				s->bad_value = (uintptr_t)buf[i];
				atomic_store(&s->stop, true);
				s->received = expect - 1;
				return NULL;
			}
		}
	}
	s->received = expect - 1;
	return NULL;
}

static void test_two_thread_stress(void **state)
{
	static struct stress s;
	pthread_t prod, cons;
	void *buf[1];

	(void)state;
	assert_int_equal(ring_init(&s.ring, 256), 0);
	atomic_init(&s.stop, false);
	assert_int_equal(pthread_create(&cons, NULL, stress_consumer, &s), 0);
	assert_int_equal(pthread_create(&prod, NULL, stress_producer, &s), 0);
	pin_to_cpu(cons, 0);
	pin_to_cpu(prod, 1);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	if (s.bad_index)
		fail_msg("position %llu: got %llu", (unsigned long long)s.bad_index,
			 (unsigned long long)s.bad_value);
	assert_int_equal(s.received, STRESS_N);
	assert_int_equal(ring_dequeue_burst(&s.ring, buf, 1), 0); /* nothing extra */
	ring_fini(&s.ring);
}

/* ---- the bell ---- */

static int poll_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms);
}

static void test_bell_single_thread(void **state)
{
	struct ring_bell b;

	(void)state;
	assert_int_equal(ring_bell_init(&b), 0);
	/* Not sleeping: producers never write. */
	assert_false(ring_bell_ring(&b));
	assert_int_equal(poll_readable(b.efd, 0), 0);

	ring_bell_arm(&b);
	assert_true(ring_bell_ring(&b));
	assert_false(ring_bell_ring(&b)); /* one write per sleep, not per burst */
	assert_int_equal(poll_readable(b.efd, 0), 1);
	ring_bell_drain(&b);
	assert_int_equal(poll_readable(b.efd, 0), 0);
	ring_bell_drain(&b); /* draining an empty bell does not block */

	/* Arm then disarm (the re-check found work): no write. */
	ring_bell_arm(&b);
	ring_bell_disarm(&b);
	assert_false(ring_bell_ring(&b));
	assert_int_equal(poll_readable(b.efd, 0), 0);

	ring_bell_fini(&b);
	assert_int_equal(b.efd, -1);
	ring_bell_fini(&b); /* twice is harmless */
}

/*
 * Ping-pong: the producer waits until the consumer has taken item i-1, so
 * the consumer goes to sleep on nearly every item and the arm / re-check /
 * enqueue / ring steps race in every interleaving. A lost wake-up is a
 * consumer blocked in poll() while its item sits in the ring and the
 * producer has already returned from ring_bell_ring(): the poll timeout is
 * only how we notice, so a slow machine cannot fail the test.
 */
#define BELL_ITERS 20000u
#define BELL_POLL_MS 2000

struct bell_test {
	struct ring ring;
	struct ring_bell bell;
	_Atomic uint32_t taken;	    /* consumer: items taken so far */
	_Atomic uint32_t rung;	    /* producer: items enqueued and rung */
	_Atomic bool stop;
	uint32_t lost_at;	    /* item a wake-up was lost for, 0 if none */
	uint32_t bad_value;
	uint32_t sleeps, rings, recheck_hits;
	int poll_err;
};

/* Busy-wait a random while: none, or up to ~10, ~100 or ~1000 loop turns. */
static void spin_random(uint64_t *seed)
{
	static const unsigned scale[] = { 1, 16, 128, 1024 };
	uint64_t r = rng_next(seed);

	for (volatile unsigned k = (unsigned)(r % scale[(r >> 32) % 4]); k > 0; k--)
		;
}

static void *bell_producer(void *arg)
{
	struct bell_test *t = arg;
	uint64_t seed = 0xbe11;

	for (uint32_t i = 1; i <= BELL_ITERS; i++) {
		void *item = ITEM(i);
		/* Spin (yielding now and then) so the enqueue follows the
		 * consumer's ack closely, then vary where it lands in the
		 * consumer's dequeue / arm / re-check / poll sequence. */
		for (unsigned k = 0; atomic_load_explicit(&t->taken, memory_order_acquire) < i - 1; k++) {
			if (atomic_load_explicit(&t->stop, memory_order_relaxed))
				return NULL;
			if (k % 4096 == 4095)
				sched_yield();
		}
		spin_random(&seed);
		while (ring_enqueue_burst(&t->ring, &item, 1) == 0)
			sched_yield();
		if (ring_bell_ring(&t->bell))
			t->rings++;
		atomic_store_explicit(&t->rung, i, memory_order_release);
	}
	return NULL;
}

/* Take what is queued; returns how many, or -1 on an out-of-order item. */
static int bell_take(struct bell_test *t)
{
	void *buf[8];
	uint32_t k = ring_dequeue_burst(&t->ring, buf, ARRAY_SIZE(buf));
	uint32_t taken = atomic_load_explicit(&t->taken, memory_order_relaxed);

	for (uint32_t i = 0; i < k; i++) {
		if (buf[i] != ITEM(taken + 1)) {
			t->bad_value = (uint32_t)(uintptr_t)buf[i];
			return -1;
		}
		taken++;
	}
	atomic_store_explicit(&t->taken, taken, memory_order_release);
	return (int)k;
}

static void *bell_consumer(void *arg)
{
	struct bell_test *t = arg;
	uint64_t seed = 0xc045;

	while (atomic_load_explicit(&t->taken, memory_order_relaxed) < BELL_ITERS) {
		int k = bell_take(t);

		if (k < 0)
			goto stop;
		if (k > 0)
			continue;
		ring_bell_arm(&t->bell);
		/* Random gaps widen each window the producer can land in. */
		spin_random(&seed);
		k = bell_take(t); /* the re-check */
		if (k < 0)
			goto stop;
		if (k > 0) {
			t->recheck_hits++;
			ring_bell_disarm(&t->bell);
			continue;
		}
		spin_random(&seed);
		for (;;) {
			int r = poll_readable(t->bell.efd, BELL_POLL_MS);

			if (r > 0)
				break;
			if (r < 0 && errno != EINTR) {
				t->poll_err = errno;
				goto stop;
			}
			if (r == 0) {
				uint32_t want = atomic_load(&t->taken) + 1;

				if (atomic_load(&t->rung) >= want) {
					t->lost_at = want;
					goto stop;
				}
				/* Producer merely slow: keep sleeping. */
			}
		}
		t->sleeps++;
		ring_bell_drain(&t->bell);
		ring_bell_disarm(&t->bell);
	}
	return NULL;
stop:
	atomic_store(&t->stop, true);
	return NULL;
}

static void test_bell_no_lost_wakeup(void **state)
{
	static struct bell_test t;
	pthread_t prod, cons;

	(void)state;
	assert_int_equal(ring_init(&t.ring, 16), 0);
	assert_int_equal(ring_bell_init(&t.bell), 0);
	assert_int_equal(pthread_create(&cons, NULL, bell_consumer, &t), 0);
	assert_int_equal(pthread_create(&prod, NULL, bell_producer, &t), 0);
	pin_to_cpu(cons, 0);
	pin_to_cpu(prod, 1);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	if (t.lost_at)
		fail_msg("lost wake-up for item %u (consumer slept %u times)", t.lost_at,
			 t.sleeps);
	if (t.bad_value)
		fail_msg("out of order: got %u", t.bad_value);
	assert_int_equal(t.poll_err, 0);
	assert_int_equal(atomic_load(&t.taken), BELL_ITERS);
	/* The protocol was exercised, not bypassed by a consumer that never slept. */
	assert_true(t.rings > 0);
	assert_true(t.sleeps > 0);
	print_message("bell: %u items, %u sleeps, %u eventfd writes, %u found by the re-check\n",
		      BELL_ITERS, t.sleeps, t.rings, t.recheck_hits);
	ring_bell_fini(&t.bell);
	ring_fini(&t.ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_partial_bursts),
		cmocka_unit_test(test_counter_wraparound),
		cmocka_unit_test(test_two_thread_stress),
		cmocka_unit_test(test_bell_single_thread),
		cmocka_unit_test(test_bell_no_lost_wakeup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
