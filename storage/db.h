/*
 * The LMDB schema (one environment, named databases; ids and tags are the
 * binary forms of storage/id.h and storage/seal.h):
 *
 *   msg    id(16)                      -> sealed message record
 *   rcpt   tag(recipient)(16) || id    -> empty            (parked, id order)
 *   exp    expires_ms be64 || id       -> u8 kind          (kind 0: message
 *          expires; kind 1: drop the status/idem entries of an expired one)
 *   status id(16)                      -> struct st_status_rec (no content)
 *   idem   tag(sender || key)(16)      -> id(16)
 *   user   tag(name)(16)               -> sealed {name, opaque payload}
 *   token  tag(sha256(token))(16)      -> sealed {user, expires, revoked}
 *   meta   "schema" -> u32 le, "wal_seq" -> u64 le
 *
 * The environment is opened with MDB_NOMETASYNC (each commit syncs the data
 * pages; a system crash can only lose the last commits, never corrupt the
 * tree, and the WAL covers what is lost). Every write made for a store batch
 * goes through st_db_put/st_db_del, which also append the mutation to the
 * batch's log: that log is the batch's WAL record.
 */
#ifndef COLUMBA_STORAGE_DB_H
#define COLUMBA_STORAGE_DB_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#define ST_SCHEMA_VERSION 1u

enum st_dbi {
	ST_DB_MSG = 0,
	ST_DB_RCPT,
	ST_DB_EXP,
	ST_DB_STATUS,
	ST_DB_IDEM,
	ST_DB_USER,
	ST_DB_TOKEN,
	ST_DB_META,
	ST_DB_COUNT,
};

struct st_db {
	MDB_env *env;
	MDB_dbi dbi[ST_DB_COUNT];
	size_t map_size;
};

/* A batch's mutation log (the payload of its WAL record); grown, never shrunk. */
struct st_mutlog {
	uint8_t *buf;
	size_t len;
	size_t cap;
	unsigned count;
};

/*
 * st_db_open - open (creating if needed) the environment in directory @dir
 * (files data.mdb, lock.mdb) with an initial map of @map_size bytes (or
 * what the file already uses, if more: db->map_size is read back from LMDB).
 * Returns 0, -EPROTO if the stored schema version is not ours (logged with
 * both versions: migrate or point at another state directory), or -errno.
 */
int st_db_open(struct st_db *db, const char *dir, size_t map_size);

/* st_db_close - close the environment (after a final sync). */
void st_db_close(struct st_db *db);

/*
 * st_db_grow - double the map size. No transaction may be open.
 * Returns 0 or -errno.
 */
int st_db_grow(struct st_db *db);

/* st_db_err - map an LMDB return code to 0 / -errno (MDB_MAP_FULL -> -EFBIG, MDB_NOTFOUND -> -ENOENT). */
int st_db_err(int mdb_rc);

/*
 * st_db_put / st_db_del - write in @txn and append the mutation to @log
 * (@log may be NULL: expiry writes and replay are not logged).
 * Returns 0, -EFBIG (map full: abort, grow, retry), -ENOMEM (log growth), or
 * -errno. st_db_del returns -ENOENT (and logs nothing) if the key is absent.
 */
int st_db_put(struct st_db *db, MDB_txn *txn, struct st_mutlog *log, enum st_dbi d,
	      const void *key, size_t klen, const void *val, size_t vlen);
int st_db_del(struct st_db *db, MDB_txn *txn, struct st_mutlog *log, enum st_dbi d,
	      const void *key, size_t klen);

/* st_db_get - read; *val points into the map until the txn ends. Returns 0, -ENOENT or -errno. */
int st_db_get(struct st_db *db, MDB_txn *txn, enum st_dbi d, const void *key, size_t klen,
	      MDB_val *val);

/*
 * st_db_apply - apply an encoded mutation list (a WAL payload) in @txn.
 * Returns 0, -EBADMSG if the payload does not decode, -EFBIG, or -errno.
 */
int st_db_apply(struct st_db *db, MDB_txn *txn, const uint8_t *payload, size_t len);

/* st_db_wal_seq / st_db_set_wal_seq - the last WAL sequence applied (0: none). */
int st_db_wal_seq(struct st_db *db, MDB_txn *txn, uint64_t *seq);
int st_db_set_wal_seq(struct st_db *db, MDB_txn *txn, uint64_t seq);

/* st_mutlog_reset / st_mutlog_free */
void st_mutlog_reset(struct st_mutlog *log);
void st_mutlog_free(struct st_mutlog *log);

#endif
