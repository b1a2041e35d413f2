#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include "client/store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

#define MAP_SIZE (64ull << 20) /* a client's history; grows with mdb_env_set_mapsize if needed */

static int random_bytes(void *buf, size_t n)
{
	WC_RNG rng;
	int rc;

	if (wc_InitRng(&rng) != 0)
		return -EIO;
	rc = wc_RNG_GenerateBlock(&rng, buf, (word32)n) == 0 ? 0 : -EIO;
	wc_FreeRng(&rng);
	return rc;
}

int cl_store_new_key(uint64_t now_ms, uint8_t key[CL_KEY_LEN])
{
	for (int i = 0; i < 8; i++)
		key[i] = (uint8_t)(now_ms >> (56 - 8 * i));
	return random_bytes(key + 8, CL_KEY_LEN - 8);
}

int cl_store_open(struct cl_store *s, const char *data_dir, const uint8_t master[CL_MASTER_LEN])
{
	char path[4096];
	MDB_txn *txn = NULL;
	MDB_env *env = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	s->slots_fd = -1;
	if (mkdir(data_dir, 0700) < 0 && errno != EEXIST)
		return -EIO;
	if ((size_t)snprintf(path, sizeof(path), "%s/slots", data_dir) >= sizeof(path))
		return -EINVAL;
	s->slots_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->slots_fd < 0)
		return -EIO;
	if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 4) ||
	    mdb_env_set_mapsize(env, MAP_SIZE))
		goto fail;
	rc = mdb_env_open(env, data_dir, MDB_NOTLS, 0600);
	if (rc) {
		log_error("client", "store_open_failed err=%d", rc);
		goto fail;
	}
	if (mdb_txn_begin(env, NULL, 0, &txn) ||
	    mdb_dbi_open(txn, "msg", MDB_CREATE, &s->dbi_msg) ||
	    mdb_dbi_open(txn, "outbox", MDB_CREATE, &s->dbi_outbox) ||
	    mdb_dbi_open(txn, "srv", MDB_CREATE, &s->dbi_srv) ||
	    mdb_dbi_open(txn, "meta", MDB_CREATE, &s->dbi_meta) || mdb_txn_commit(txn)) {
		if (txn)
			mdb_txn_abort(txn);
		goto fail;
	}
	s->env = env;
	memcpy(s->master, master, CL_MASTER_LEN);
	return 0;
fail:
	if (env)
		mdb_env_close(env);
	close(s->slots_fd);
	s->slots_fd = -1;
	return -EIO;
}

void cl_store_close(struct cl_store *s)
{
	if (s->env)
		mdb_env_close(s->env);
	s->env = NULL;
	if (s->slots_fd >= 0)
		close(s->slots_fd);
	s->slots_fd = -1;
	explicit_bzero(s->master, sizeof(s->master));
}

static int slot_read(struct cl_store *s, uint64_t slot, uint8_t key[CL_SLOT_LEN])
{
	ssize_t n = pread(s->slots_fd, key, CL_SLOT_LEN, (off_t)(slot * CL_SLOT_LEN));

	if (n != CL_SLOT_LEN)
		memset(key, 0, CL_SLOT_LEN);
	for (int i = 0; i < CL_SLOT_LEN; i++)
		if (key[i])
			return 0;
	return -ENOENT; /* never written, or erased */
}

static int slot_write(struct cl_store *s, uint64_t slot, const uint8_t key[CL_SLOT_LEN])
{
	if (pwrite(s->slots_fd, key, CL_SLOT_LEN, (off_t)(slot * CL_SLOT_LEN)) != CL_SLOT_LEN ||
	    fdatasync(s->slots_fd) < 0)
		return -EIO;
	return 0;
}

/* Serialise and put @m in an open write transaction. */
static int put_record(struct cl_store *s, MDB_txn *txn, const struct cl_msg *m)
{
	uint8_t rec[CL_REC_MAX], nonce[12], slot_key[CL_SLOT_LEN], text_key[32];
	MDB_val k = { CL_KEY_LEN, (void *)m->key }, v;
	bool has_text = !(m->flags & CL_F_ERASED) && m->text_len > 0;
	ssize_t n;
	int rc;

	if (has_text) {
		if (slot_read(s, m->slot, slot_key) < 0 || random_bytes(nonce, sizeof(nonce)) < 0 ||
		    cl_text_key(s->master, slot_key, m->key, text_key) < 0)
			return -EIO;
	}
	n = cl_msgrec_encode(m, has_text ? text_key : NULL, has_text ? nonce : NULL, rec,
			     sizeof(rec));
	explicit_bzero(text_key, sizeof(text_key));
	explicit_bzero(slot_key, sizeof(slot_key));
	if (n < 0)
		return (int)n;
	v.mv_size = (size_t)n;
	v.mv_data = rec;
	rc = mdb_put(txn, s->dbi_msg, &k, &v, 0);
	explicit_bzero(rec, sizeof(rec));
	return rc ? -EIO : 0;
}

/* Bring the outbox and srv indexes in line with @m. */
static int put_indexes(struct cl_store *s, MDB_txn *txn, const struct cl_msg *m)
{
	MDB_val k = { CL_KEY_LEN, (void *)m->key }, empty = { 0, (void *)"" };
	int rc;

	if (m->dir == CL_OUT && m->status == CL_ST_SENDING)
		rc = mdb_put(txn, s->dbi_outbox, &k, &empty, 0);
	else
		rc = mdb_del(txn, s->dbi_outbox, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return -EIO;
	if (m->server_id[0]) {
		uint8_t sk[1 + CL_SRVID_LEN];
		MDB_val skv = { sizeof(sk), sk };

		sk[0] = m->dir;
		memcpy(sk + 1, m->server_id, CL_SRVID_LEN);
		if (mdb_put(txn, s->dbi_srv, &skv, &k, 0))
			return -EIO;
	}
	return 0;
}

int cl_store_add(struct cl_store *s, struct cl_msg *m)
{
	static const char next_name[] = "next_slot";
	MDB_val nk = { sizeof(next_name) - 1, (void *)next_name }, nv;
	uint8_t slot_key[CL_SLOT_LEN], buf[8];
	uint64_t slot = 1;
	MDB_txn *txn;
	int rc;

	if (mdb_txn_begin(s->env, NULL, 0, &txn))
		return -EIO;
	if (m->server_id[0]) {
		uint8_t sk[1 + CL_SRVID_LEN];
		MDB_val skv = { sizeof(sk), sk }, v;

		sk[0] = m->dir;
		memcpy(sk + 1, m->server_id, CL_SRVID_LEN);
		if (mdb_get(txn, s->dbi_srv, &skv, &v) == 0) {
			mdb_txn_abort(txn);
			return -EEXIST;
		}
	}
	if (mdb_get(txn, s->dbi_meta, &nk, &nv) == 0 && nv.mv_size == 8)
		memcpy(&slot, nv.mv_data, 8);
	m->slot = slot++;
	memcpy(buf, &slot, 8);
	nv.mv_size = 8;
	nv.mv_data = buf;
	/* The slot key is on disk before the record that needs it commits. */
	rc = random_bytes(slot_key, sizeof(slot_key));
	rc = rc ? rc : slot_write(s, m->slot, slot_key);
	explicit_bzero(slot_key, sizeof(slot_key));
	if (!rc && mdb_put(txn, s->dbi_meta, &nk, &nv, 0))
		rc = -EIO;
	rc = rc ? rc : put_record(s, txn, m);
	rc = rc ? rc : put_indexes(s, txn, m);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn) ? -EIO : 0;
}

static int open_record(struct cl_store *s, const MDB_val *v, struct cl_msg *m)
{
	uint8_t slot_key[CL_SLOT_LEN], text_key[32];
	uint64_t slot = cl_msgrec_slot(v->mv_data, v->mv_size);
	const uint8_t *tk = NULL;
	int rc;

	if (slot_read(s, slot, slot_key) == 0) {
		if (cl_text_key(s->master, slot_key, m->key, text_key) < 0)
			return -EIO;
		tk = text_key;
	}
	rc = cl_msgrec_decode(v->mv_data, v->mv_size, tk, m);
	explicit_bzero(text_key, sizeof(text_key));
	explicit_bzero(slot_key, sizeof(slot_key));
	return rc;
}

enum { SRV_PENDING = 3 };

/* Apply a pending notification to @m (Enqueued, with a server id) inside
 * @txn. Returns 1 if applied, 0 if none, -EIO. */
static int take_pending(struct cl_store *s, MDB_txn *txn, struct cl_msg *m)
{
	uint8_t sk[1 + CL_SRVID_LEN];
	MDB_val skv = { sizeof(sk), sk }, v;
	int rc;

	if (m->dir != CL_OUT || m->status != CL_ST_ENQUEUED || !m->server_id[0])
		return 0;
	sk[0] = SRV_PENDING;
	memcpy(sk + 1, m->server_id, CL_SRVID_LEN);
	rc = mdb_get(txn, s->dbi_srv, &skv, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc || v.mv_size < 1 || v.mv_size > 1 + CL_MERR_MAX)
		return -EIO;
	m->status = ((const uint8_t *)v.mv_data)[0];
	m->updated_ms = clock_wall_ms();
	memcpy(m->error, (const uint8_t *)v.mv_data + 1, v.mv_size - 1);
	m->error[v.mv_size - 1] = '\0';
	return mdb_del(txn, s->dbi_srv, &skv, NULL) ? -EIO : 1;
}

static unsigned status_rank(unsigned st)
{
	return st == CL_ST_SENDING ? 1 : st == CL_ST_ENQUEUED ? 2 : 3;
}

/*
 * Several processes write the same records (`listen` applies notifications
 * and flushes the outbox while `send` tries the same message): a write made
 * from an older read never moves a status back (Sending < Enqueued < final)
 * nor forgets that a text was read or erased.
 */
static int merge_stored(struct cl_store *s, MDB_txn *txn, struct cl_msg *m)
{
	MDB_val k = { CL_KEY_LEN, m->key }, v;
	struct cl_msg *old;
	int rc = mdb_get(txn, s->dbi_msg, &k, &v);

	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return -EIO;
	old = malloc(sizeof(*old));
	if (!old)
		return -ENOMEM;
	memcpy(old->key, m->key, CL_KEY_LEN);
	rc = cl_msgrec_decode(v.mv_data, v.mv_size, NULL, old);
	if (rc == 0 && status_rank(old->status) > status_rank(m->status)) {
		m->status = old->status;
		memcpy(m->error, old->error, sizeof(m->error));
		m->updated_ms = old->updated_ms;
	}
	if (rc == 0 && !m->server_id[0])
		memcpy(m->server_id, old->server_id, sizeof(m->server_id));
	if (rc == 0 && (old->flags & CL_F_READ) && !(m->flags & CL_F_READ)) {
		m->flags |= CL_F_READ;
		m->read_ms = old->read_ms;
	}
	if (rc == 0 && (old->flags & CL_F_ERASED)) {
		m->flags |= CL_F_ERASED;
		explicit_bzero(m->text, sizeof(m->text));
		m->text_len = 0;
	}
	free(old);
	return rc;
}

int cl_store_update(struct cl_store *s, struct cl_msg *m)
{
	MDB_txn *txn;
	int rc, taken;

	if (mdb_txn_begin(s->env, NULL, 0, &txn))
		return -EIO;
	rc = merge_stored(s, txn, m);
	taken = rc = rc < 0 ? rc : take_pending(s, txn, m);
	rc = rc < 0 ? rc : put_record(s, txn, m);
	rc = rc ? rc : put_indexes(s, txn, m);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn) ? -EIO : taken;
}

int cl_store_apply_remote(struct cl_store *s, const char *server_id, enum cl_status status,
			  const char *error, struct cl_msg *m)
{
	uint8_t sk[1 + CL_SRVID_LEN], pend[1 + CL_MERR_MAX];
	MDB_val skv = { sizeof(sk), sk }, v, k;
	size_t elen = strlen(error);
	MDB_txn *txn;
	int rc;

	if (strlen(server_id) != CL_SRVID_LEN || elen > CL_MERR_MAX)
		return -EINVAL;
	if (mdb_txn_begin(s->env, NULL, 0, &txn))
		return -EIO;
	sk[0] = CL_OUT;
	memcpy(sk + 1, server_id, CL_SRVID_LEN);
	rc = mdb_get(txn, s->dbi_srv, &skv, &k);
	if (rc == MDB_NOTFOUND) {
		sk[0] = SRV_PENDING;
		pend[0] = (uint8_t)status;
		memcpy(pend + 1, error, elen);
		v.mv_size = 1 + elen;
		v.mv_data = pend;
		rc = mdb_put(txn, s->dbi_srv, &skv, &v, 0) ? -EIO : -ENOENT;
		if (rc == -ENOENT && mdb_txn_commit(txn))
			return -EIO;
		if (rc == -EIO)
			mdb_txn_abort(txn);
		return rc;
	}
	if (rc || k.mv_size != CL_KEY_LEN || mdb_get(txn, s->dbi_msg, &k, &v)) {
		mdb_txn_abort(txn);
		return -EIO;
	}
	memcpy(m->key, k.mv_data, CL_KEY_LEN);
	rc = open_record(s, &v, m);
	if (rc == 0 && (m->status == CL_ST_SENDING || m->status == CL_ST_ENQUEUED)) {
		m->status = (uint8_t)status;
		m->updated_ms = clock_wall_ms();
		memcpy(m->error, error, elen + 1);
		rc = put_record(s, txn, m);
		rc = rc ? rc : put_indexes(s, txn, m);
		if (rc == 0)
			return mdb_txn_commit(txn) ? -EIO : 1;
	}
	mdb_txn_abort(txn);
	return rc;
}

int cl_store_get(struct cl_store *s, const uint8_t key[CL_KEY_LEN], struct cl_msg *m)
{
	MDB_val k = { CL_KEY_LEN, (void *)key }, v;
	MDB_txn *txn;
	int rc;

	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))
		return -EIO;
	rc = mdb_get(txn, s->dbi_msg, &k, &v);
	if (rc) {
		mdb_txn_abort(txn);
		return rc == MDB_NOTFOUND ? -ENOENT : -EIO;
	}
	memcpy(m->key, key, CL_KEY_LEN);
	rc = open_record(s, &v, m);
	mdb_txn_abort(txn);
	return rc;
}

int cl_store_find(struct cl_store *s, enum cl_dir dir, const char *server_id, struct cl_msg *m)
{
	uint8_t sk[1 + CL_SRVID_LEN], key[CL_KEY_LEN];
	MDB_val skv = { sizeof(sk), sk }, v;
	MDB_txn *txn;
	int rc;

	if (strlen(server_id) != CL_SRVID_LEN)
		return -ENOENT;
	sk[0] = (uint8_t)dir;
	memcpy(sk + 1, server_id, CL_SRVID_LEN);
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))
		return -EIO;
	rc = mdb_get(txn, s->dbi_srv, &skv, &v);
	if (rc == 0 && v.mv_size == CL_KEY_LEN)
		memcpy(key, v.mv_data, CL_KEY_LEN);
	mdb_txn_abort(txn);
	if (rc)
		return rc == MDB_NOTFOUND ? -ENOENT : -EIO;
	return cl_store_get(s, key, m);
}

int cl_store_erase_text(struct cl_store *s, struct cl_msg *m)
{
	static const uint8_t zero[CL_SLOT_LEN];
	int rc = slot_write(s, m->slot, zero);

	if (rc < 0)
		return rc;
	m->flags |= CL_F_ERASED;
	explicit_bzero(m->text, sizeof(m->text));
	m->text_len = 0;
	rc = cl_store_update(s, m);
	return rc < 0 ? rc : 0;
}

int cl_store_list(struct cl_store *s, bool outbox_only, cl_store_visit_fn fn, void *arg)
{
	uint8_t (*keys)[CL_KEY_LEN] = NULL;
	size_t n = 0, cap = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_txn *txn;
	int rc = 0;

	/* Keys first, then one read per message, so @fn may write. */
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))
		return -EIO;
	if (mdb_cursor_open(txn, outbox_only ? s->dbi_outbox : s->dbi_msg, &cur)) {
		mdb_txn_abort(txn);
		return -EIO;
	}
	for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op) == 0; op = MDB_NEXT) {
		if (k.mv_size != CL_KEY_LEN)
			continue;
		if (n == cap) {
			void *nk = realloc(keys, (cap ? cap * 2 : 64) * CL_KEY_LEN);

			if (!nk) {
				rc = -ENOMEM;
				break;
			}
			keys = nk;
			cap = cap ? cap * 2 : 64;
		}
		memcpy(keys[n++], k.mv_data, CL_KEY_LEN);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct cl_msg *m = malloc(sizeof(*m));

		if (!m) {
			rc = -ENOMEM;
			break;
		}
		if (cl_store_get(s, keys[i], m) == 0)
			rc = fn(m, arg);
		explicit_bzero(m, sizeof(*m));
		free(m);
	}
	free(keys);
	return rc;
}
