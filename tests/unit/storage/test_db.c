/* Unit tests for storage/db: schema check, logged writes, idempotent apply, wal_seq, growth. */
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

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	return st_test_tmpdir(dir, sizeof(dir), "db");
}

static int teardown(void **state)
{
	(void)state;
	return st_test_rmrf(dir);
}

static void test_schema_mismatch(void **state)
{
	struct st_db db;
	MDB_txn *txn;
	uint32_t v = 99;
	(void)state;

	assert_int_equal(st_db_open(&db, dir, 1 << 20), 0);
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	assert_int_equal(st_db_put(&db, txn, NULL, ST_DB_META, "schema", 6, &v, sizeof(v)), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	st_db_close(&db);
	assert_int_equal(st_db_open(&db, dir, 1 << 20), -EPROTO);
	/* put it back: opens again */
	assert_int_equal(mdb_env_create(&db.env), 0);
	mdb_env_set_maxdbs(db.env, ST_DB_COUNT);
	assert_int_equal(mdb_env_open(db.env, dir, 0, 0600), 0);
	MDB_dbi meta;
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	v = ST_SCHEMA_VERSION;
	MDB_val k = { 6, "schema" }, d = { sizeof(v), &v };
	assert_int_equal(mdb_put(txn, meta, &k, &d, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(db.env);
	assert_int_equal(st_db_open(&db, dir, 1 << 20), 0);
	st_db_close(&db);
}

static void test_log_and_apply(void **state)
{
	struct st_db db;
	struct st_mutlog log = { 0 };
	MDB_txn *txn;
	MDB_val v;
	uint64_t seq;
	(void)state;

	assert_int_equal(st_db_open(&db, dir, 1 << 20), 0);
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	assert_int_equal(st_db_put(&db, txn, &log, ST_DB_MSG, "k1", 2, "v1", 2), 0);
	assert_int_equal(st_db_put(&db, txn, &log, ST_DB_RCPT, "k2", 2, "", 0), 0);
	assert_int_equal(st_db_del(&db, txn, &log, ST_DB_MSG, "k1", 2), 0);
	assert_int_equal(st_db_del(&db, txn, &log, ST_DB_MSG, "zz", 2), -ENOENT);
	assert_int_equal(st_db_put(&db, txn, &log, ST_DB_EXP, "k3", 2, "v3", 2), 0);
	assert_int_equal(log.count, 4);
	assert_int_equal(st_db_wal_seq(&db, txn, &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(st_db_set_wal_seq(&db, txn, 42), 0);
	mdb_txn_abort(txn); /* as if the process died after the WAL write */

	/* replaying the log twice gives the same state */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
		assert_int_equal(st_db_apply(&db, txn, log.buf, log.len), 0);
		assert_int_equal(mdb_txn_commit(txn), 0);
	}
	assert_int_equal(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(st_db_get(&db, txn, ST_DB_MSG, "k1", 2, &v), -ENOENT);
	assert_int_equal(st_db_get(&db, txn, ST_DB_RCPT, "k2", 2, &v), 0);
	assert_int_equal(st_db_get(&db, txn, ST_DB_EXP, "k3", 2, &v), 0);
	assert_memory_equal(v.mv_data, "v3", 2);
	mdb_txn_abort(txn);

	/* a damaged log is refused */
	log.buf[0] = 77;
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	assert_int_equal(st_db_apply(&db, txn, log.buf, log.len), -EBADMSG);
	mdb_txn_abort(txn);
	st_mutlog_free(&log);
	st_db_close(&db);
}

static void test_map_full_and_grow(void **state)
{
	struct st_db db;
	MDB_txn *txn;
	uint8_t key[16], val[1024];
	int rc = 0, i;
	(void)state;

	memset(val, 0xab, sizeof(val));
	assert_int_equal(st_db_open(&db, dir, 1 << 20), 0);
	size_t before = db.map_size;
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	for (i = 0; i < 4096 && rc == 0; i++) {
		memset(key, 0, sizeof(key));
		memcpy(key, &i, sizeof(i));
		rc = st_db_put(&db, txn, NULL, ST_DB_MSG, key, sizeof(key), val, sizeof(val));
	}
	assert_int_equal(rc, -EFBIG);
	mdb_txn_abort(txn);
	assert_int_equal(st_db_grow(&db), 0);
	assert_int_equal(st_db_grow(&db), 0);
	assert_int_equal(st_db_grow(&db), 0);
	assert_int_equal(st_db_grow(&db), 0);
	assert_int_equal(db.map_size, before * 16);
	assert_int_equal(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
	for (i = 0; i < 4096; i++) {
		memset(key, 0, sizeof(key));
		memcpy(key, &i, sizeof(i));
		assert_int_equal(st_db_put(&db, txn, NULL, ST_DB_MSG, key, sizeof(key), val, sizeof(val)), 0);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	st_db_close(&db);
}


/*
 * Reopened with a smaller map than the data file uses (it grew in an
 * earlier run), db.map_size is what LMDB really maps, so growing doubles
 * that rather than the stale configured value.
 */
static void test_reopen_reads_map_size(void **state)
{
	struct st_db db;
	MDB_envinfo info;
	(void)state;

	assert_int_equal(st_db_open(&db, dir, 1 << 20), 0); /* the previous test left > 4 MiB */
	assert_int_equal(mdb_env_info(db.env, &info), 0);
	assert_true(info.me_mapsize > (1u << 20));
	assert_int_equal(db.map_size, info.me_mapsize);
	size_t before = db.map_size;
	assert_int_equal(st_db_grow(&db), 0);
	assert_int_equal(mdb_env_info(db.env, &info), 0);
	assert_int_equal(db.map_size, info.me_mapsize);
	assert_int_equal(db.map_size, before * 2);
	st_db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_mismatch),
		cmocka_unit_test(test_log_and_apply),
		cmocka_unit_test(test_map_full_and_grow),
		cmocka_unit_test(test_reopen_reads_map_size),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
