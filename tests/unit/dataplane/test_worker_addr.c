/*
 * The per-source-address connection table of dataplane/worker.c: limits per
 * address and per worker, and deletion that leaves no tombstones — churning
 * through far more distinct addresses than the table has slots must keep
 * every lookup right and every admission possible.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/log.h"
#include "dataplane/uring/uring.h"
#include "dataplane/worker.h"

static void addr_v4(struct dp_addr *a, uint32_t ip)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->v4.s_addr = htonl(ip);
}

static void addr_v6(struct dp_addr *a, uint64_t low)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	a->v6.s6_addr[0] = 0x20;
	a->v6.s6_addr[1] = 0x01;
	memcpy(&a->v6.s6_addr[8], &low, 8);
}

static void init_worker(struct dp_worker *w, uint32_t max_conns, uint32_t per_addr)
{
	struct dp_limits lim = { .max_conns = max_conns, .max_conns_per_addr = per_addr,
				 .send_queue_bytes = 65536, .drain_timeout_ms = 1000 };

	assert_int_equal(dp_worker_init(w, 0, -1, &dp_uring_ops, &lim, NULL), 0);
}

static void test_limits(void **state)
{
	struct dp_worker w;
	struct dp_addr a, b;
	(void)state;

	init_worker(&w, 8, 3);
	addr_v4(&a, 0x0a000001);
	addr_v4(&b, 0x0a000002);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dp__conn_admit(&w, &a), 0);
	assert_int_equal(dp__conn_admit(&w, &a), -EUSERS);
	assert_int_equal(w.stats.refused_per_addr, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dp__conn_admit(&w, &b), 0);
	dp__conn_release(&w, &a);
	assert_int_equal(dp__conn_admit(&w, &a), 0);
	addr_v6(&a, 7);
	assert_int_equal(dp__conn_admit(&w, &a), 0);
	assert_int_equal(dp__conn_admit(&w, &a), 0);
	assert_int_equal(dp__conn_admit(&w, &a), -EMFILE); /* 8 open */
	assert_int_equal(w.stats.refused_max_conns, 1);
	assert_int_equal(w.stats.conns_open, 8);
	dp_worker_fini(&w);
}

/* Random admits and releases over 200,000 distinct addresses through a
 * table of 256 slots, checked against a simple model. */
static void test_churn(void **state)
{
	enum { MAX = 128, LIVE = 48 };
	struct dp_worker w;
	struct { struct dp_addr a; int n; } live[LIVE];
	uint64_t seed = 12345, next_ip = 1;
	int nlive = 0;
	(void)state;

	init_worker(&w, MAX, 2);
	for (int step = 0; step < 400000; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned r = (unsigned)(seed >> 33);
		if (nlive < LIVE && (r & 1)) {
			struct dp_addr a;

			if ((r >> 1) & 1)
				addr_v4(&a, (uint32_t)next_ip++);
			else
				addr_v6(&a, next_ip++);
			assert_int_equal(dp__conn_admit(&w, &a), 0);
			live[nlive].a = a;
			live[nlive].n = 1;
			/* A second connection from the same address, sometimes. */
			if ((r >> 2) & 1) {
				assert_int_equal(dp__conn_admit(&w, &a), 0);
				live[nlive].n = 2;
				assert_int_equal(dp__conn_admit(&w, &a), -EUSERS);
			}
			nlive++;
		} else if (nlive > 0) {
			int k = (int)((r >> 3) % (unsigned)nlive);

			dp__conn_release(&w, &live[k].a);
			if (--live[k].n == 0)
				live[k] = live[--nlive];
		}
	}
	while (nlive > 0) {
		dp__conn_release(&w, &live[nlive - 1].a);
		if (--live[nlive - 1].n == 0)
			nlive--;
	}
	assert_int_equal(w.stats.conns_open, 0);
	assert_true(next_ip > 100000);
	dp_worker_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_churn),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
