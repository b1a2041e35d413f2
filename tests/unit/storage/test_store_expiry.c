/*
 * Unit tests for storage/store_expiry.c: the purge of an old message's
 * status must not delete an idempotency entry that now names a newer
 * message (review item: after a crash lost an unlogged purge, the replayed
 * re-enqueue's entry was deleted by the redone purge and a retry with the
 * same key enqueued a duplicate).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "st_test.h"

static char dir[64], work[96];
static struct st_fake_clock clk = { 1700000000000ull };

static struct st_store *open_at(const char *d)
{
	struct st_store_cfg cfg = {
		.state_dir = d,
		.keyring = st_test_keyring(1, 0x42),
		.clock_ms = st_test_clock,
		.clock_ctx = &clk,
		.status_grace_ms = 60000,
	};
	struct st_store *s = NULL;
	assert_int_equal(st_store_open(&s, &cfg), 0);
	return s;
}

static void copy_file(const char *from, const char *to)
{
	static uint8_t buf[1 << 20];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

static int enqueue_k(struct st_store *s, struct st_req *r)
{
	memset(r, 0, sizeof(*r));
	r->op = ST_OP_ENQUEUE;
	r->enqueue.sender = st_s("alice");
	r->enqueue.recipient = st_s("bob");
	r->enqueue.text = st_s("hi again");
	r->enqueue.idem_key = st_s("K");
	return st_exec_sync(s, r);
}

static void test_purge_keeps_newer_idem(void **state)
{
	char p[512], q[512], seg[256] = "";
	struct st_id m1;
	struct st_req r;
	struct st_store *s;
	DIR *d;
	struct dirent *e;
	(void)state;

	/* m1 with key K, delivered; its status (and K) are due at its original expiry */
	s = open_at(dir);
	assert_int_equal(st_test_user(s, "alice"), 0);
	assert_int_equal(st_test_user(s, "bob"), 0);
	assert_int_equal(st_test_enqueue(s, "alice", "bob", "hi", "K", 1000, &m1), 0);
	assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &m1, 0), 0);
	st_store_close(s);
	assert_int_equal(mkdir(work, 0700), 0);
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	snprintf(q, sizeof(q), "%s/data.mdb", work);
	copy_file(p, q); /* LMDB before the purge */

	/* the purge runs (unlogged), then K is used again for m2 (logged) */
	clk.now_ms += 5000;
	s = open_at(dir);
	assert_int_equal(st_expire_run(s, 128), 1);
	assert_int_equal(enqueue_k(s, &r), 0);
	assert_false(r.enqueue.duplicate);
	struct st_id m2 = r.enqueue.id;
	snprintf(p, sizeof(p), "%s/wal", dir);
	d = opendir(p);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".wal"))
			snprintf(seg, sizeof(seg), "%s", e->d_name);
	closedir(d);
	snprintf(q, sizeof(q), "%s/wal", work);
	assert_int_equal(mkdir(q, 0700), 0);
	snprintf(p, sizeof(p), "%s/wal/%s", dir, seg);
	snprintf(q, sizeof(q), "%s/wal/%s", work, seg);
	copy_file(p, q); /* the crash: LMDB lost the purge, the WAL has m2 */
	st_store_close(s);

	/* after the restart the purge is redone; K must still name m2 */
	s = open_at(work);
	assert_int_equal(st_expire_run(s, 128), 1);
	assert_int_equal(enqueue_k(s, &r), 0);
	assert_true(r.enqueue.duplicate);
	assert_memory_equal(r.enqueue.id.b, m2.b, ST_ID_LEN);
	st_store_close(s);
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	if (st_test_tmpdir(dir, sizeof(dir), "expiry"))
		return -1;
	snprintf(work, sizeof(work), "%s-work", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	st_test_rmrf(work);
	return st_test_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_purge_keeps_newer_idem),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
