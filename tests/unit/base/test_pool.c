/*
 * Unit tests for base/pool. They hold in both builds: the recycling pool and
 * -Dpool_malloc=true (COLUMBA_POOL_MALLOC), where get is malloc and put is
 * free; address reuse is only asserted for the recycling pool.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/pool.h"

static void test_init_einval(void **state)
{
	struct pool p;

	(void)state;
	assert_int_equal(pool_init(&p, "t", 0, 8), -EINVAL);
	pool_fini(&p); /* safe after a failed init */
	assert_int_equal(pool_init(&p, "t", 32, 0), -EINVAL);
	pool_fini(&p);
	/* Sizes whose rounding or total would wrap size_t must not succeed. */
	assert_true(pool_init(&p, "t", SIZE_MAX, 1) < 0);
	pool_fini(&p);
	assert_true(pool_init(&p, "t", SIZE_MAX - 15, 1) < 0);
	pool_fini(&p);
	assert_true(pool_init(&p, "t", SIZE_MAX / 4, 4) < 0);
	pool_fini(&p);
}

static void test_capacity_limit(void **state)
{
	enum { CAP = 5, SIZE = 40 };
	void *objs[CAP];
	struct pool p;

	(void)state;
	assert_int_equal(pool_init(&p, "t", SIZE, CAP), 0);
	assert_int_equal(pool_in_use(&p), 0);
	for (int i = 0; i < CAP; i++) {
		objs[i] = pool_get(&p);
		assert_non_null(objs[i]);
		assert_int_equal((uintptr_t)objs[i] % 16, 0);
		assert_int_equal(pool_in_use(&p), i + 1);
		/* Each object owns SIZE bytes: fill them all. */
		memset(objs[i], 0x10 + i, SIZE);
	}
	assert_null(pool_get(&p));
	assert_null(pool_get_zeroed(&p));
	assert_int_equal(pool_in_use(&p), CAP);

	/* No two objects overlap. */
	for (int i = 0; i < CAP; i++)
		for (int j = 0; j < SIZE; j++)
			assert_int_equal(((unsigned char *)objs[i])[j], 0x10 + i);

	pool_put(&p, objs[2]);
	assert_int_equal(pool_in_use(&p), CAP - 1);
	objs[2] = pool_get(&p);
	assert_non_null(objs[2]);
	assert_null(pool_get(&p));

	for (int i = 0; i < CAP; i++)
		pool_put(&p, objs[i]);
	assert_int_equal(pool_in_use(&p), 0);
	pool_fini(&p);
}

static void test_get_put_reuse(void **state)
{
	struct pool p;
	void *a, *b, *c;

	(void)state;
	assert_int_equal(pool_init(&p, "t", 24, 3), 0);
	a = pool_get(&p);
	b = pool_get(&p);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	pool_put(&p, a);
	assert_int_equal(pool_in_use(&p), 1);
	c = pool_get(&p);
	assert_non_null(c);
	assert_int_equal(pool_in_use(&p), 2);
#ifndef COLUMBA_POOL_MALLOC
	/* The free list is LIFO: the object just put back comes out next. */
	assert_ptr_equal(c, a);
#endif
	/* Many cycles never leak a slot. */
	for (int i = 0; i < 10000; i++) {
		void *x = pool_get(&p);

		assert_non_null(x);
		assert_null(pool_get(&p));
		pool_put(&p, x);
	}
	pool_put(&p, b);
	pool_put(&p, c);
	assert_int_equal(pool_in_use(&p), 0);
	pool_fini(&p);
}

static void test_get_zeroed(void **state)
{
	enum { SIZE = 100 };
	struct pool p;
	unsigned char *o;

	(void)state;
	assert_int_equal(pool_init(&p, "t", SIZE, 1), 0);
	o = pool_get(&p);
	assert_non_null(o);
	memset(o, 0xab, SIZE);
	pool_put(&p, o);
	o = pool_get_zeroed(&p);
	assert_non_null(o);
	for (int i = 0; i < SIZE; i++)
		assert_int_equal(o[i], 0);
	assert_int_equal(pool_in_use(&p), 1);
	pool_put(&p, o);
	pool_fini(&p);
}

static void test_put_null_ignored(void **state)
{
	struct pool p;
	void *a;

	(void)state;
	assert_int_equal(pool_init(&p, "t", 8, 2), 0);
	a = pool_get(&p);
	pool_put(&p, NULL);
	assert_int_equal(pool_in_use(&p), 1);
	pool_put(&p, a);
	pool_put(&p, NULL);
	assert_int_equal(pool_in_use(&p), 0);
	pool_fini(&p);
}

/* Putting back more than was taken is a BUG_ON: the process must abort. */
static void test_put_underflow_aborts(void **state)
{
	struct pool p;
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *a;

		/* Quiet the expected "BUG at" line. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(2);
		if (pool_init(&p, "t", 16, 2) != 0)
			_exit(3);
		a = pool_get(&p);
		pool_put(&p, a);
		pool_put(&p, a);
		_exit(0); /* not reached if BUG_ON fires */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_einval),
		cmocka_unit_test(test_capacity_limit),
		cmocka_unit_test(test_get_put_reuse),
		cmocka_unit_test(test_get_zeroed),
		cmocka_unit_test(test_put_null_ignored),
		cmocka_unit_test(test_put_underflow_aborts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
