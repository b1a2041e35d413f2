/*
 * Expiry: a bounded pass over `exp` (keys are expiry_ms big-endian || id, so
 * the due entries are a prefix). Each pass handles at most `max` entries so
 * intake never waits more than a few milliseconds behind it.
 *
 * Expiry writes are not put in the WAL: they are a pure function of the
 * stored state and the clock, so if a crash loses them the next pass simply
 * redoes them (a lost notification is re-queued, with a new id).
 */
#include "storage/store_int.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"

#define EXP_KEY_LEN 24

static uint64_t be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Drop a message's status and its idempotency entry, the latter only if it
 * still names this message: purges are not logged, so after a crash the
 * replayed WAL may hold a newer message under the same (sender, key) whose
 * entry must survive the redone purge of the old one.
 */
static int purge_status(struct st_store *s, MDB_txn *txn, const struct st_id *id)
{
	struct st_status_rec st;
	MDB_val v;
	int rc = st_db_get(&s->db, txn, ST_DB_STATUS, id->b, ST_ID_LEN, &v);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (st__status_decode(v.mv_data, v.mv_size, &st) == 0 && (st.flags & ST_STATUS_F_IDEM) &&
	    st_db_get(&s->db, txn, ST_DB_IDEM, st.idem_tag, ST_TAG_LEN, &v) == 0 &&
	    v.mv_size == ST_ID_LEN && memcmp(v.mv_data, id->b, ST_ID_LEN) == 0) {
		rc = st_db_del(&s->db, txn, NULL, ST_DB_IDEM, st.idem_tag, ST_TAG_LEN);
		if (rc && rc != -ENOENT)
			return rc;
	}
	rc = st_db_del(&s->db, txn, NULL, ST_DB_STATUS, id->b, ST_ID_LEN);
	if (rc == 0)
		s->stats.purged++;
	return rc == -ENOENT ? 0 : rc;
}

static int expire_one(struct st_store *s, MDB_txn *txn, const uint8_t key[EXP_KEY_LEN], uint8_t kind,
		      uint64_t now)
{
	struct st_id id;
	uint8_t nkey[EXP_KEY_LEN], nkind = ST_EXP_STATUS;
	MDB_val v;
	int rc;

	memcpy(id.b, key + 8, ST_ID_LEN);
	if (kind == ST_EXP_MSG &&
	    st_db_get(&s->db, txn, ST_DB_MSG, id.b, ST_ID_LEN, &v) == 0) {
		rc = st__msg_finish(s, txn, NULL, &id, ST_STATE_EXPIRED, 0, now);
		if (rc == -EIO) {
			/* Does not authenticate: drop it rather than retry forever. */
			rc = st_db_del(&s->db, txn, NULL, ST_DB_MSG, id.b, ST_ID_LEN);
		}
		if (rc)
			return rc;
		s->stats.expired++;
		if (st_db_get(&s->db, txn, ST_DB_STATUS, id.b, ST_ID_LEN, &v) == 0) {
			/* Keep the "expired" status a while so the sender can read it. */
			uint64_t until = now + s->cfg.status_grace_ms;
			for (int i = 0; i < 8; i++)
				nkey[i] = (uint8_t)(until >> (8 * (7 - i)));
			memcpy(nkey + 8, id.b, ST_ID_LEN);
			rc = st_db_put(&s->db, txn, NULL, ST_DB_EXP, nkey, EXP_KEY_LEN, &nkind, 1);
		}
	} else {
		/* Delivered or failed earlier (or an expired one's grace ended). */
		rc = purge_status(s, txn, &id);
	}
	if (rc)
		return rc;
	rc = st_db_del(&s->db, txn, NULL, ST_DB_EXP, key, EXP_KEY_LEN);
	return rc == -ENOENT ? 0 : rc;
}

int st__expire_pass(struct st_store *s, MDB_txn *txn, uint64_t now, uint32_t max)
{
	uint8_t keys[64][EXP_KEY_LEN], kinds[64];
	uint32_t done = 0;
	int rc;

	/* Collect a chunk first: the handling below writes to exp itself. */
	while (done < max) {
		MDB_cursor *c;
		MDB_val k, v;
		uint32_t n = 0, want = max - done < 64 ? max - done : 64;

		if ((rc = st_db_err(mdb_cursor_open(txn, s->db.dbi[ST_DB_EXP], &c))))
			return rc;
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		while (rc == 0 && n < want) {
			if (k.mv_size != EXP_KEY_LEN || be64_get(k.mv_data) > now)
				break;
			memcpy(keys[n], k.mv_data, EXP_KEY_LEN);
			kinds[n] = v.mv_size == 1 ? *(uint8_t *)v.mv_data : ST_EXP_MSG;
			n++;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(c);
		if (rc && rc != MDB_NOTFOUND)
			return st_db_err(rc);
		for (uint32_t i = 0; i < n; i++)
			if ((rc = expire_one(s, txn, keys[i], kinds[i], now)))
				return rc;
		done += n;
		if (n < want)
			break;
	}
	return (int)done;
}
