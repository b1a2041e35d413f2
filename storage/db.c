#include "storage/db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "storage/walrec.h"

static const char *const db_names[ST_DB_COUNT] = {
	"msg", "rcpt", "exp", "status", "idem", "user", "token", "meta",
};

int st_db_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
		return -EFBIG;
	case MDB_KEYEXIST:
		return -EEXIST;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

/* The map size LMDB really uses (@fallback if it cannot say). */
static size_t db_real_map_size(struct st_db *db, size_t fallback)
{
	MDB_envinfo info;

	if (mdb_env_info(db->env, &info) != 0 || info.me_mapsize == 0)
		return fallback;
	return info.me_mapsize;
}

int st_db_open(struct st_db *db, const char *dir, size_t map_size)
{
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint32_t schema;
	int rc;

	memset(db, 0, sizeof(*db));
	db->map_size = map_size;
	rc = mdb_env_create(&db->env);
	if (rc)
		return st_db_err(rc);
	if ((rc = mdb_env_set_maxdbs(db->env, ST_DB_COUNT)) ||
	    (rc = mdb_env_set_mapsize(db->env, map_size)) ||
	    (rc = mdb_env_open(db->env, dir, MDB_NOMETASYNC | MDB_NOTLS, 0600)))
		goto fail;
	/* LMDB maps at least what the file already uses: a store grown earlier is bigger than asked. */
	db->map_size = db_real_map_size(db, map_size);
	if ((rc = mdb_txn_begin(db->env, NULL, 0, &txn)))
		goto fail;
	for (int i = 0; i < ST_DB_COUNT; i++)
		if ((rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &db->dbi[i])))
			goto fail;
	k.mv_data = (void *)"schema";
	k.mv_size = 6;
	rc = mdb_get(txn, db->dbi[ST_DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		schema = ST_SCHEMA_VERSION;
		v.mv_data = &schema;
		v.mv_size = sizeof(schema);
		if ((rc = mdb_put(txn, db->dbi[ST_DB_META], &k, &v, 0)))
			goto fail;
	} else if (rc) {
		goto fail;
	} else {
		if (v.mv_size != sizeof(schema)) {
			schema = 0;
		} else {
			memcpy(&schema, v.mv_data, sizeof(schema));
		}
		if (schema != ST_SCHEMA_VERSION) {
			log_error("storage", "schema_mismatch dir=%s found=%u want=%u hint=\"migrate the "
				  "store or use another state directory\"",
				  dir, schema, ST_SCHEMA_VERSION);
			mdb_txn_abort(txn);
			mdb_env_close(db->env);
			db->env = NULL;
			return -EPROTO;
		}
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc)
		goto fail;
	return 0;
fail:
	if (txn)
		mdb_txn_abort(txn);
	mdb_env_close(db->env);
	db->env = NULL;
	return st_db_err(rc);
}

void st_db_close(struct st_db *db)
{
	if (!db->env)
		return;
	mdb_env_sync(db->env, 1);
	mdb_env_close(db->env);
	db->env = NULL;
}

int st_db_grow(struct st_db *db)
{
	size_t want = db->map_size * 2;
	int rc = mdb_env_set_mapsize(db->env, want);

	if (rc)
		return st_db_err(rc);
	db->map_size = db_real_map_size(db, want);
	log_info("storage", "map_grown bytes=%zu", db->map_size);
	return 0;
}

static int log_append(struct st_mutlog *log, const struct st_mut *m)
{
	size_t need = ST_MUT_HDR_LEN + m->klen + m->vlen;

	if (log->cap - log->len < need) {
		size_t cap = log->cap ? log->cap : 65536;
		while (cap - log->len < need)
			cap *= 2;
		uint8_t *nb = realloc(log->buf, cap);
		if (!nb)
			return -ENOMEM;
		log->buf = nb;
		log->cap = cap;
	}
	log->len += (size_t)st_mut_encode(log->buf + log->len, log->cap - log->len, m);
	log->count++;
	return 0;
}

int st_db_put(struct st_db *db, MDB_txn *txn, struct st_mutlog *log, enum st_dbi d,
	      const void *key, size_t klen, const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc = mdb_put(txn, db->dbi[d], &k, &v, 0);

	if (rc)
		return st_db_err(rc);
	if (log) {
		struct st_mut m = { ST_MUT_PUT, (uint8_t)d, (uint16_t)klen, (uint32_t)vlen, key, val };
		return log_append(log, &m);
	}
	return 0;
}

int st_db_del(struct st_db *db, MDB_txn *txn, struct st_mutlog *log, enum st_dbi d,
	      const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_del(txn, db->dbi[d], &k, NULL);

	if (rc)
		return st_db_err(rc);
	if (log) {
		struct st_mut m = { ST_MUT_DEL, (uint8_t)d, (uint16_t)klen, 0, key, NULL };
		return log_append(log, &m);
	}
	return 0;
}

int st_db_get(struct st_db *db, MDB_txn *txn, enum st_dbi d, const void *key, size_t klen,
	      MDB_val *val)
{
	MDB_val k = { klen, (void *)key };
	return st_db_err(mdb_get(txn, db->dbi[d], &k, val));
}

int st_db_apply(struct st_db *db, MDB_txn *txn, const uint8_t *p, size_t len)
{
	struct st_mut m;
	long n;
	int rc;

	while (len) {
		n = st_mut_decode(p, len, ST_DB_COUNT, &m);
		if (n < 0)
			return -EBADMSG;
		if (m.op == ST_MUT_PUT)
			rc = st_db_put(db, txn, NULL, m.dbi, m.key, m.klen, m.val, m.vlen);
		else
			rc = st_db_del(db, txn, NULL, m.dbi, m.key, m.klen);
		if (rc && rc != -ENOENT)
			return rc;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int st_db_wal_seq(struct st_db *db, MDB_txn *txn, uint64_t *seq)
{
	MDB_val v;
	int rc = st_db_get(db, txn, ST_DB_META, "wal_seq", 7, &v);

	if (rc == -ENOENT) {
		*seq = 0;
		return 0;
	}
	if (rc)
		return rc;
	if (v.mv_size != sizeof(*seq))
		return -EBADMSG;
	memcpy(seq, v.mv_data, sizeof(*seq));
	return 0;
}

int st_db_set_wal_seq(struct st_db *db, MDB_txn *txn, uint64_t seq)
{
	return st_db_put(db, txn, NULL, ST_DB_META, "wal_seq", 7, &seq, sizeof(seq));
}

void st_mutlog_reset(struct st_mutlog *log)
{
	log->len = 0;
	log->count = 0;
}

void st_mutlog_free(struct st_mutlog *log)
{
	free(log->buf);
	memset(log, 0, sizeof(*log));
}
