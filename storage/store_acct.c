/*
 * Account operations: user records, tokens (both sealed, keyed by tags) and
 * the location requests. Run inside the batch's write transaction like the
 * message operations.
 */
#include "storage/store_int.h"

#include <errno.h>
#include <string.h>

#include "base/compiler.h"
#include "base/log.h"

static void le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* User record plaintext: u8 name len, name, u16 payload len, payload. */
static int user_open(struct st_store *s, const MDB_val *v, const uint8_t tag[ST_TAG_LEN], uint8_t *pt,
		     size_t cap, struct st_str *name, const uint8_t **payload, uint32_t *plen)
{
	struct st_seal_hdr h;
	int n = st_open(s->kr, v->mv_data, v->mv_size, &h, pt, cap);

	if (n < 0)
		return n;
	if ((h.flags & ST_REC_KIND) != ST_REC_USER || memcmp(h.id, tag, ST_TAG_LEN) != 0 || n < 3 ||
	    pt[0] + 3 > n || (size_t)pt[0] + 3 + (pt[1 + pt[0]] | pt[2 + pt[0]] << 8) != (size_t)n) {
		st_wipe(pt, (size_t)n);
		return -EBADMSG;
	}
	name->len = pt[0];
	name->p = (const char *)pt + 1;
	*plen = (uint32_t)(pt[1 + pt[0]] | pt[2 + pt[0]] << 8);
	*payload = pt + 3 + pt[0];
	return 0;
}

#define USER_PT_MAX (1 + ST_NAME_MAX + 2 + ST_USER_PAYLOAD_MAX)

int st__op_user_create(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	uint8_t tag[ST_TAG_LEN], pt[USER_PT_MAX], rec[USER_PT_MAX + ST_SEAL_OVERHEAD];
	struct st_seal_hdr h = { .flags = ST_REC_USER, .created_ms = st__now(s) };
	size_t off = 0;
	MDB_val v;
	int rc, n;

	if (r->user.name.len > ST_NAME_MAX || r->user.payload_len > ST_USER_PAYLOAD_MAX)
		return -E2BIG;
	if (!st__name_ok(&r->user.name) || (r->user.payload_len && !r->user.payload))
		return -EINVAL;
	rc = st__user_find(s, txn, &r->user.name, &v, tag, NULL);
	if (rc == 0) {
		if (!r->user.replace)
			return -EEXIST;
		/* Drop the entries under every key id; the new one uses the current key. */
		for (unsigned i = 0; i < st_keyring_count(s->kr); i++) {
			if ((rc = st__name_tag(s, st_keyring_id_at(s->kr, i), &r->user.name, tag)))
				return rc;
			rc = st_db_del(&s->db, txn, &s->log, ST_DB_USER, tag, ST_TAG_LEN);
			if (rc && rc != -ENOENT)
				return rc;
		}
	} else if (rc != -ENOENT) {
		return rc;
	}
	if ((rc = st__name_tag(s, st_keyring_id_at(s->kr, 0), &r->user.name, tag)))
		return rc;
	pt[off++] = (uint8_t)r->user.name.len;
	memcpy(pt + off, r->user.name.p, r->user.name.len);
	off += r->user.name.len;
	pt[off++] = (uint8_t)r->user.payload_len;
	pt[off++] = (uint8_t)(r->user.payload_len >> 8);
	if (r->user.payload_len)
		memcpy(pt + off, r->user.payload, r->user.payload_len);
	off += r->user.payload_len;
	memcpy(h.id, tag, ST_TAG_LEN);
	n = st_seal(s->kr, &h, pt, off, rec, sizeof(rec));
	st_wipe(pt, off);
	if (n < 0)
		return n;
	return st_db_put(&s->db, txn, &s->log, ST_DB_USER, tag, ST_TAG_LEN, rec, (size_t)n);
}

int st__op_user_lookup(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	uint8_t tag[ST_TAG_LEN], pt[USER_PT_MAX];
	const uint8_t *payload;
	struct st_str name;
	uint32_t plen;
	MDB_val v;
	int rc;

	if (!st__name_ok(&r->user.name))
		return -ENOENT;
	if ((rc = st__user_find(s, txn, &r->user.name, &v, tag, NULL)))
		return rc;
	rc = user_open(s, &v, tag, pt, sizeof(pt), &name, &payload, &plen);
	if (rc) {
		s->stats.auth_failures++;
		log_error("storage", "record_auth_failed db=user err=%d", rc);
		return -EIO;
	}
	if (name.len != r->user.name.len || memcmp(name.p, r->user.name.p, name.len) != 0)
		rc = -ENOENT;
	else if (plen > r->user.buf_len)
		rc = -ENOBUFS;
	else {
		memcpy(r->user.buf, payload, plen);
		r->user.out_len = plen;
	}
	st_wipe(pt, sizeof(pt));
	return rc;
}

int st__op_user_delete(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	uint8_t tag[ST_TAG_LEN];
	int rc, found = 0;

	if (!st__name_ok(&r->user.name))
		return -ENOENT;
	for (unsigned i = 0; i < st_keyring_count(s->kr); i++) {
		if ((rc = st__name_tag(s, st_keyring_id_at(s->kr, i), &r->user.name, tag)))
			return rc;
		rc = st_db_del(&s->db, txn, &s->log, ST_DB_USER, tag, ST_TAG_LEN);
		if (rc == 0)
			found = 1;
		else if (rc != -ENOENT)
			return rc;
	}
	return found ? 0 : -ENOENT;
}

int st__op_user_list(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	uint8_t pt[USER_PT_MAX];
	MDB_cursor *c;
	MDB_val k, v;
	uint32_t used = 0, seen = 0;
	int rc;

	r->user_list.count = 0;
	r->user_list.more = false;
	if ((rc = st_db_err(mdb_cursor_open(txn, s->db.dbi[ST_DB_USER], &c))))
		return rc;
	k.mv_data = r->user_list.cursor;
	k.mv_size = ST_TAG_LEN;
	rc = mdb_cursor_get(c, &k, &v, r->user_list.has_cursor ? MDB_SET_RANGE : MDB_FIRST);
	if (rc == 0 && r->user_list.has_cursor && k.mv_size == ST_TAG_LEN &&
	    memcmp(k.mv_data, r->user_list.cursor, ST_TAG_LEN) == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	while (rc == 0) {
		struct st_str name;
		const uint8_t *payload;
		uint32_t plen;

		/* Records that do not open count too: bounded work per request. */
		if (seen == r->user_list.max) {
			r->user_list.more = true;
			break;
		}
		seen++;
		if (k.mv_size != ST_TAG_LEN ||
		    user_open(s, &v, k.mv_data, pt, sizeof(pt), &name, &payload, &plen) != 0) {
			s->stats.auth_failures++;
			log_error("storage", "record_auth_failed db=user");
		} else {
			if (r->user_list.buf_len - used < name.len) {
				st_wipe(pt, sizeof(pt));
				if (r->user_list.count == 0) {
					mdb_cursor_close(c);
					return -ENOBUFS;
				}
				r->user_list.more = true;
				break;
			}
			memcpy(r->user_list.buf + used, name.p, name.len);
			r->user_list.names[r->user_list.count].p = (const char *)r->user_list.buf + used;
			r->user_list.names[r->user_list.count].len = name.len;
			used += name.len;
			r->user_list.count++;
			st_wipe(pt, sizeof(pt));
		}
		memcpy(r->user_list.cursor, k.mv_data, ST_TAG_LEN);
		r->user_list.has_cursor = true;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : st_db_err(rc);
}

/*
 * Token record plaintext: u8 user len, user, u64 expires, u8 revoked, then
 * the nonce of the user record the token was issued against (12 bytes).
 * Every seal draws a fresh nonce, so the nonce identifies one USER_CREATE:
 * a user deleted and created again under the same name (or given a new
 * password with replace) has another one and the old tokens stop working.
 * Records written before the binding existed (no nonce) never match.
 */
#define TOKEN_BIND_LEN ST_SEAL_NONCE_LEN
#define TOKEN_PT_OLD(ulen) ((size_t)(ulen) + 10)
#define TOKEN_PT_MAX (1 + ST_NAME_MAX + 9 + TOKEN_BIND_LEN)

struct token_rec {
	struct st_str user;
	uint64_t expires;
	uint8_t revoked;
	uint8_t bind[TOKEN_BIND_LEN]; /* all zero for an unbound (old) record */
};

/* The identity of a stored user record: its nonce. Returns 0 or -EBADMSG (too short). */
static int user_bind(const MDB_val *v, uint8_t bind[TOKEN_BIND_LEN])
{
	if (v->mv_size < ST_SEAL_OVERHEAD)
		return -EBADMSG;
	memcpy(bind, (const uint8_t *)v->mv_data + ST_SEAL_HDR_LEN, TOKEN_BIND_LEN);
	return 0;
}

static int token_tag(struct st_store *s, uint16_t kid, const struct st_str *tok, uint8_t tag[ST_TAG_LEN])
{
	uint8_t h[32];
	int rc = st_sha256(tok->p, tok->len, h);

	if (rc == 0)
		rc = st_tag(s->kr, kid, ST_TAG_TOKEN, h, sizeof(h), NULL, 0, tag);
	st_wipe(h, sizeof(h));
	return rc;
}

static int token_find(struct st_store *s, MDB_txn *txn, const struct st_str *tok, MDB_val *v,
		      uint8_t tag[ST_TAG_LEN])
{
	for (unsigned i = 0; i < st_keyring_count(s->kr); i++) {
		int rc = token_tag(s, st_keyring_id_at(s->kr, i), tok, tag);
		if (rc)
			return rc;
		rc = st_db_get(&s->db, txn, ST_DB_TOKEN, tag, ST_TAG_LEN, v);
		if (rc != -ENOENT)
			return rc;
	}
	return -ENOENT;
}

static int token_seal_put(struct st_store *s, MDB_txn *txn, const uint8_t tag[ST_TAG_LEN],
			  const struct token_rec *t)
{
	uint8_t pt[TOKEN_PT_MAX], rec[TOKEN_PT_MAX + ST_SEAL_OVERHEAD];
	struct st_seal_hdr h = { .flags = ST_REC_TOKEN, .created_ms = st__now(s), .expires_ms = t->expires };
	size_t off = 0;
	int n;

	pt[off++] = (uint8_t)t->user.len;
	memcpy(pt + off, t->user.p, t->user.len);
	off += t->user.len;
	le64_put(pt + off, t->expires);
	off += 8;
	pt[off++] = t->revoked;
	memcpy(pt + off, t->bind, TOKEN_BIND_LEN);
	off += TOKEN_BIND_LEN;
	memcpy(h.id, tag, ST_TAG_LEN);
	n = st_seal(s->kr, &h, pt, off, rec, sizeof(rec));
	st_wipe(pt, off);
	if (n < 0)
		return n;
	return st_db_put(&s->db, txn, &s->log, ST_DB_TOKEN, tag, ST_TAG_LEN, rec, (size_t)n);
}

static int token_open(struct st_store *s, const MDB_val *v, const uint8_t tag[ST_TAG_LEN], uint8_t *pt,
		      struct token_rec *t)
{
	struct st_seal_hdr h;
	int n = st_open(s->kr, v->mv_data, v->mv_size, &h, pt, TOKEN_PT_MAX);

	if (n < 0)
		return n;
	if ((h.flags & ST_REC_KIND) != ST_REC_TOKEN || memcmp(h.id, tag, ST_TAG_LEN) != 0 || n < 1 ||
	    ((size_t)n != TOKEN_PT_OLD(pt[0]) && (size_t)n != TOKEN_PT_OLD(pt[0]) + TOKEN_BIND_LEN)) {
		st_wipe(pt, (size_t)n);
		return -EBADMSG;
	}
	t->user.len = pt[0];
	t->user.p = (const char *)pt + 1;
	t->expires = le64_get(pt + 1 + pt[0]);
	t->revoked = pt[9 + pt[0]];
	memset(t->bind, 0, TOKEN_BIND_LEN);
	if ((size_t)n > TOKEN_PT_OLD(pt[0]))
		memcpy(t->bind, pt + TOKEN_PT_OLD(pt[0]), TOKEN_BIND_LEN);
	return 0;
}

/*
 * The user a token was issued for still exists as the same record: found,
 * authentic, of that name, with the nonce the token was bound to.
 * Returns 0, -ENOENT (gone or re-created), -EIO (does not authenticate).
 */
static int token_user_check(struct st_store *s, MDB_txn *txn, const struct token_rec *t)
{
	uint8_t utag[ST_TAG_LEN], upt[USER_PT_MAX], bind[TOKEN_BIND_LEN];
	const uint8_t *payload;
	struct st_str name;
	uint32_t plen;
	MDB_val v;
	int rc;

	if ((rc = st__user_find(s, txn, &t->user, &v, utag, NULL)))
		return rc;
	if ((rc = user_bind(&v, bind)) == 0)
		rc = user_open(s, &v, utag, upt, sizeof(upt), &name, &payload, &plen);
	if (rc) {
		s->stats.auth_failures++;
		log_error("storage", "record_auth_failed db=user err=%d", rc);
		return -EIO;
	}
	if (name.len != t->user.len || memcmp(name.p, t->user.p, name.len) != 0 ||
	    !st_ct_equal(bind, t->bind, TOKEN_BIND_LEN))
		rc = -ENOENT;
	st_wipe(upt, sizeof(upt));
	return rc;
}

int st__op_token(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	uint8_t tag[ST_TAG_LEN], utag[ST_TAG_LEN], pt[TOKEN_PT_MAX];
	struct token_rec t;
	MDB_val v;
	int rc;

	if (r->token.token.len < ST_TOKEN_MIN || r->token.token.len > ST_TOKEN_MAX || !r->token.token.p)
		return r->op == ST_OP_TOKEN_CREATE ? -EINVAL : -ENOENT;
	rc = token_find(s, txn, &r->token.token, &v, tag);
	if (r->op == ST_OP_TOKEN_CREATE) {
		if (rc == 0)
			return -EEXIST;
		if (rc != -ENOENT)
			return rc;
		if (!st__name_ok(&r->token.user) || r->token.expires_ms <= st__now(s))
			return -EINVAL;
		if ((rc = st__user_find(s, txn, &r->token.user, &v, utag, NULL)))
			return rc;
		t.user = r->token.user;
		t.expires = r->token.expires_ms;
		t.revoked = 0;
		if ((rc = user_bind(&v, t.bind))) {
			s->stats.auth_failures++;
			log_error("storage", "record_auth_failed db=user err=%d", rc);
			return -EIO;
		}
		if ((rc = token_tag(s, st_keyring_id_at(s->kr, 0), &r->token.token, tag)))
			return rc;
		return token_seal_put(s, txn, tag, &t);
	}
	if (rc)
		return rc;
	if ((rc = token_open(s, &v, tag, pt, &t))) {
		s->stats.auth_failures++;
		log_error("storage", "record_auth_failed db=token err=%d", rc);
		return -EIO;
	}
	if (r->op == ST_OP_TOKEN_REVOKE) {
		if (!t.revoked) {
			t.revoked = 1;
			rc = token_seal_put(s, txn, tag, &t);
		}
	} else if (t.revoked) {
		rc = -EKEYREVOKED;
	} else if (t.expires <= st__now(s)) {
		rc = -EKEYEXPIRED;
	} else if ((rc = token_user_check(s, txn, &t)) == 0) {
		memcpy(r->token.user_buf, t.user.p, t.user.len);
		r->token.user_len = t.user.len;
	}
	st_wipe(pt, sizeof(pt));
	return rc;
}

int st__op_loc(struct st_store *s, struct st_req *r)
{
	uint8_t tag[ST_TAG_LEN];
	struct st_loc_ent *e;
	int rc;

	if (r->loc.user.len > ST_NAME_MAX)
		return -E2BIG;
	if (!st__name_ok(&r->loc.user))
		return r->op == ST_OP_LOC_REGISTER ? -EINVAL : -ENOENT;
	if ((rc = st__name_tag(s, st_keyring_id_at(s->kr, 0), &r->loc.user, tag)))
		return rc;
	switch (r->op) {
	case ST_OP_LOC_REGISTER:
		return st__loc_put(&s->loc, tag, r->loc.worker, r->loc.flow, r->loc.expires_ms, st__now(s));
	case ST_OP_LOC_UNREGISTER:
		return st__loc_del(&s->loc, tag, &r->loc.flow);
	default:
		if (st__loc_all(&s->loc, tag, st__now(s), &e, 1) == 0)
			return -ENOENT;
		r->loc.worker = e->worker;
		r->loc.flow = e->flow;
		r->loc.expires_ms = e->expires_ms;
		return 0;
	}
}
