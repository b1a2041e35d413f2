/*
 * Unit tests for storage/store_msg.c: a stream only hands out messages
 * sealed for the requested recipient, whatever the rcpt index says (review
 * item: an index entry under the wrong tag leaked another user's message).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "base/log.h"
#include "storage/db.h"
#include "st_test.h"

static char dir[64];
static struct st_fake_clock clk = { 1700000000000ull };

static struct st_store *open_store(void)
{
	struct st_store_cfg cfg = {
		.state_dir = dir,
		.keyring = st_test_keyring(1, 0x42),
		.clock_ms = st_test_clock,
		.clock_ctx = &clk,
	};
	struct st_store *s = NULL;
	assert_int_equal(st_store_open(&s, &cfg), 0);
	return s;
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	return st_test_tmpdir(dir, sizeof(dir), "msg");
}

static int teardown(void **state)
{
	(void)state;
	return st_test_rmrf(dir);
}

/* The rcpt key (tag ‖ id) of message @id, copied into @key. */
static void rcpt_key_of(struct st_db *db, MDB_txn *txn, const struct st_id *id, uint8_t key[32])
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	assert_int_equal(mdb_cursor_open(txn, db->dbi[ST_DB_RCPT], &c), 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if (k.mv_size == 32 && memcmp((uint8_t *)k.mv_data + ST_TAG_LEN, id->b, ST_ID_LEN) == 0)
			break;
	assert_int_equal(rc, 0);
	memcpy(key, k.mv_data, 32);
	mdb_cursor_close(c);
}

static void test_stream_checks_recipient(void **state)
{
	struct st_id for_alice, for_bob;
	struct st_db db;
	MDB_txn *txn;
	uint8_t ka[32], kb[32], forged[32], buf[4096];
	struct st_msg msgs[8];
	struct st_store *s = open_store();
	(void)state;

	assert_int_equal(st_test_user(s, "alice"), 0);
	assert_int_equal(st_test_user(s, "bob"), 0);
	assert_int_equal(st_test_enqueue(s, "carol", "alice", "for alice only", NULL, 0, &for_alice), 0);
	assert_int_equal(st_test_enqueue(s, "carol", "bob", "for bob", NULL, 0, &for_bob), 0);
	st_store_close(s);

	/* an index entry filing alice's message under bob's tag */
	assert_int_equal(st_db_open(&db, dir, 0), 0);
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	rcpt_key_of(&db, txn, &for_alice, ka);
	rcpt_key_of(&db, txn, &for_bob, kb);
	memcpy(forged, kb, ST_TAG_LEN);
	memcpy(forged + ST_TAG_LEN, for_alice.b, ST_ID_LEN);
	assert_int_equal(st_db_put(&db, txn, NULL, ST_DB_RCPT, forged, 32, "", 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	st_db_close(&db);

	s = open_store();
	struct st_req r = { .op = ST_OP_STREAM };
	r.stream.recipient = st_s("bob");
	r.stream.msgs = msgs;
	r.stream.max = 8;
	r.stream.buf = buf;
	r.stream.buf_len = sizeof(buf);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(st_exec_sync(s, &r), 0);
	assert_int_equal(r.stream.count, 1);
	assert_int_equal(r.stream.skipped, 1);
	assert_memory_equal(msgs[0].id.b, for_bob.b, ST_ID_LEN);
	assert_null(memmem(buf, sizeof(buf), "for alice only", 14)); /* not left in the buffer */
	struct st_stats st;
	st_store_stats(s, &st);
	assert_int_equal(st.auth_failures, 1);
	/* alice still gets hers */
	r.stream.recipient = st_s("alice");
	assert_int_equal(st_exec_sync(s, &r), 0);
	assert_int_equal(r.stream.count, 1);
	assert_memory_equal(msgs[0].id.b, for_alice.b, ST_ID_LEN);
	st_store_close(s);
}


static uint32_t stream_all(struct st_store *s, const char *who, uint32_t max, uint32_t *count,
			   uint32_t *skipped, struct st_id *got)
{
	struct st_msg msgs[8];
	uint8_t buf[4096];
	struct st_req r = { .op = ST_OP_STREAM };
	uint32_t calls = 0;

	*count = *skipped = 0;
	r.stream.recipient = st_s(who);
	r.stream.msgs = msgs;
	r.stream.max = max;
	r.stream.buf = buf;
	r.stream.buf_len = sizeof(buf);
	do {
		assert_int_equal(st_exec_sync(s, &r), 0);
		assert_true(r.stream.count + r.stream.skipped <= max);
		for (uint32_t i = 0; i < r.stream.count; i++)
			got[*count + i] = msgs[i].id;
		*count += r.stream.count;
		*skipped += r.stream.skipped;
		r.stream.after = r.stream.next_after;
		calls++;
		assert_true(calls < 100);
	} while (r.stream.more);
	return calls;
}

/*
 * Skipped entries count toward @max (a run of bad entries cannot hold the
 * store thread), @next_after moves past them, and index entries whose
 * message is gone are dropped.
 */
static void test_stream_bounds_and_dangling(void **state)
{
	struct st_id to_alice[4], for_bob, got[16], ghost;
	struct st_db db;
	MDB_txn *txn;
	uint8_t kb[32], forged[32];
	uint32_t count, skipped, calls;
	struct st_store *s;
	(void)state;

	/* a fresh directory: the previous test left its own entries */
	st_test_rmrf(dir);
	assert_int_equal(st_test_tmpdir(dir, sizeof(dir), "msg"), 0);
	s = open_store();
	assert_int_equal(st_test_user(s, "alice"), 0);
	assert_int_equal(st_test_user(s, "bob"), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(st_test_enqueue(s, "carol", "alice", "not bob's", NULL, 0, &to_alice[i]), 0);
	assert_int_equal(st_test_enqueue(s, "carol", "bob", "bob's", NULL, 0, &for_bob), 0);
	st_store_close(s);

	assert_int_equal(st_db_open(&db, dir, 0), 0);
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	rcpt_key_of(&db, txn, &for_bob, kb);
	for (int i = 0; i < 4; i++) { /* four foreign entries before bob's own */
		memcpy(forged, kb, ST_TAG_LEN);
		memcpy(forged + ST_TAG_LEN, to_alice[i].b, ST_ID_LEN);
		assert_int_equal(st_db_put(&db, txn, NULL, ST_DB_RCPT, forged, 32, "", 0), 0);
	}
	memset(ghost.b, 0xee, ST_ID_LEN); /* and one whose message does not exist, after it */
	ghost.b[0] = 0x7f;
	memcpy(forged + ST_TAG_LEN, ghost.b, ST_ID_LEN);
	assert_int_equal(st_db_put(&db, txn, NULL, ST_DB_RCPT, forged, 32, "", 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	st_db_close(&db);

	s = open_store();
	calls = stream_all(s, "bob", 2, &count, &skipped, got);
	assert_int_equal(count, 1);
	assert_memory_equal(got[0].b, for_bob.b, ST_ID_LEN);
	assert_int_equal(skipped, 5);
	assert_true(calls >= 3); /* 6 entries, 2 per call */
	/* the dangling entry is gone, the foreign ones stay skipped (and logged) */
	stream_all(s, "bob", 8, &count, &skipped, got);
	assert_int_equal(count, 1);
	assert_int_equal(skipped, 4);
	st_store_close(s);
}

/* User records that do not open count toward max too; the cursor moves past them. */
static void test_user_list_bounds_bad_records(void **state)
{
	struct st_db db;
	MDB_txn *txn;
	uint8_t key[16], junk[80];
	struct st_str names[4];
	uint8_t nbuf[256];
	struct st_store *s;
	uint32_t total = 0, calls = 0;
	(void)state;

	st_test_rmrf(dir);
	assert_int_equal(st_test_tmpdir(dir, sizeof(dir), "msg"), 0);
	s = open_store();
	assert_int_equal(st_test_user(s, "dora"), 0);
	st_store_close(s);
	assert_int_equal(st_db_open(&db, dir, 0), 0);
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	memset(junk, 0x5a, sizeof(junk));
	for (int i = 0; i < 3; i++) {
		memset(key, 0x10 * (i + 1), sizeof(key));
		assert_int_equal(st_db_put(&db, txn, NULL, ST_DB_USER, key, sizeof(key), junk, sizeof(junk)), 0);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	st_db_close(&db);

	s = open_store();
	struct st_req l = { .op = ST_OP_USER_LIST };
	l.user_list.names = names;
	l.user_list.max = 1;
	l.user_list.buf = nbuf;
	l.user_list.buf_len = sizeof(nbuf);
	do {
		assert_int_equal(st_exec_sync(s, &l), 0);
		total += l.user_list.count;
		calls++;
		assert_true(calls < 20);
	} while (l.user_list.more);
	assert_int_equal(total, 1);
	assert_true(calls >= 4); /* one entry looked at per call */
	st_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_checks_recipient),
		cmocka_unit_test(test_stream_bounds_and_dangling),
		cmocka_unit_test(test_user_list_bounds_bad_records),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
