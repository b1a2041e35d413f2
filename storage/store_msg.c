/*
 * Message operations (enqueue, delivered/failed, stream, status,
 * notifications) and the request dispatcher. Each runs inside the batch's
 * write transaction; every write goes through st_db_put/del with the batch
 * log so it lands in the WAL record.
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

void st__status_encode(const struct st_status_rec *st, uint8_t out[ST_STATUS_LEN])
{
	memset(out, 0, ST_STATUS_LEN);
	out[0] = st->state;
	out[1] = st->reason;
	out[2] = st->flags;
	out[3] = 0;
	out[4] = (uint8_t)st->key_id;
	out[5] = (uint8_t)(st->key_id >> 8);
	le64_put(out + 8, st->created_ms);
	le64_put(out + 16, st->expires_ms);
	le64_put(out + 24, st->updated_ms);
	memcpy(out + 32, st->sender_tag, ST_TAG_LEN);
	memcpy(out + 48, st->idem_tag, ST_TAG_LEN);
}

int st__status_decode(const void *in, size_t len, struct st_status_rec *st)
{
	const uint8_t *p = in;

	if (len != ST_STATUS_LEN)
		return -EBADMSG;
	st->state = p[0];
	st->reason = p[1];
	st->flags = p[2];
	st->key_id = (uint16_t)(p[4] | p[5] << 8);
	st->created_ms = le64_get(p + 8);
	st->expires_ms = le64_get(p + 16);
	st->updated_ms = le64_get(p + 24);
	memcpy(st->sender_tag, p + 32, ST_TAG_LEN);
	memcpy(st->idem_tag, p + 48, ST_TAG_LEN);
	return 0;
}

int st__name_tag(struct st_store *s, uint16_t kid, const struct st_str *name, uint8_t out[ST_TAG_LEN])
{
	return st_tag(s->kr, kid, ST_TAG_NAME, name->p, name->len, NULL, 0, out);
}

bool st__name_ok(const struct st_str *n)
{
	return n->len > 0 && n->len <= ST_NAME_MAX && n->p;
}

/* exp key: expiry big-endian (so keys sort by time) then the id. */
static void exp_key(uint8_t out[24], uint64_t expires_ms, const struct st_id *id)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(expires_ms >> (8 * (7 - i)));
	memcpy(out + 8, id->b, ST_ID_LEN);
}

int st__user_find(struct st_store *s, MDB_txn *txn, const struct st_str *name, MDB_val *v,
		  uint8_t tag[ST_TAG_LEN], uint16_t *kid)
{
	for (unsigned i = 0; i < st_keyring_count(s->kr); i++) {
		uint16_t id = st_keyring_id_at(s->kr, i);
		int rc = st__name_tag(s, id, name, tag);
		if (rc)
			return rc;
		rc = st_db_get(&s->db, txn, ST_DB_USER, tag, ST_TAG_LEN, v);
		if (rc != -ENOENT) {
			if (kid)
				*kid = id;
			return rc;
		}
	}
	return -ENOENT;
}

int st__msg_open(struct st_store *s, const MDB_val *v, struct st_seal_hdr *hdr, uint8_t *pt,
		 size_t cap, struct st_str *sender, struct st_str *rcpt, struct st_str *text)
{
	int n = st_open(s->kr, v->mv_data, v->mv_size, hdr, pt, cap);
	size_t off = 0;

	if (n < 0)
		return n;
	if ((hdr->flags & ST_REC_KIND) != ST_REC_MSG)
		goto bad;
	if ((size_t)n < 1)
		goto bad;
	sender->len = pt[off++];
	sender->p = (const char *)pt + off;
	off += sender->len;
	if ((size_t)n < off + 1)
		goto bad;
	rcpt->len = pt[off++];
	rcpt->p = (const char *)pt + off;
	off += rcpt->len;
	if ((size_t)n < off + 2)
		goto bad;
	text->len = (uint32_t)(pt[off] | pt[off + 1] << 8);
	off += 2;
	text->p = (const char *)pt + off;
	if ((size_t)n != off + text->len)
		goto bad;
	return 0;
bad:
	st_wipe(pt, (size_t)n);
	return -EBADMSG;
}

/*
 * Seal and store a new message with its recipient and expiry index entries.
 * @rcpt_tag: the recipient's tag under the current key if @tag_known (saves
 * an HMAC), else filled in here.
 */
static struct st_depth_slot *depth_slot(struct st_store *s, const uint8_t tag[ST_TAG_LEN])
{
	uint32_t h;

	memcpy(&h, tag, sizeof(h));
	return &s->depth[h & (ST_DEPTH_SLOTS - 1)];
}

/* A recipient index entry under @tag was added (@added) or removed. */
static void depth_note(struct st_store *s, const uint8_t tag[ST_TAG_LEN], bool added)
{
	struct st_depth_slot *d = depth_slot(s, tag);

	if (!d->valid || memcmp(d->tag, tag, ST_TAG_LEN) != 0)
		return;
	if (added)
		d->depth++;
	else if (d->exact && d->depth > 0)
		d->depth--;
	else
		d->valid = false; /* a lower bound minus one is no bound */
}

void st__depth_forget(struct st_store *s)
{
	for (uint32_t i = 0; i < ST_DEPTH_SLOTS; i++)
		s->depth[i].valid = false;
}

static int msg_put(struct st_store *s, MDB_txn *txn, struct st_mutlog *log, const struct st_id *id,
		   uint8_t rec_flags, const struct st_str *sender, const struct st_str *rcpt,
		   const struct st_str *text, uint64_t now, uint64_t expires, uint8_t rcpt_tag[ST_TAG_LEN],
		   bool tag_known)
{
	uint8_t pt[ST_MSG_PT_MAX], rec[ST_MSG_REC_MAX], key[32];
	struct st_seal_hdr h = { .flags = rec_flags, .created_ms = now, .expires_ms = expires };
	size_t off = 0;
	uint8_t kind = ST_EXP_MSG;
	int n, rc;

	pt[off++] = (uint8_t)sender->len;
	memcpy(pt + off, sender->p, sender->len);
	off += sender->len;
	pt[off++] = (uint8_t)rcpt->len;
	memcpy(pt + off, rcpt->p, rcpt->len);
	off += rcpt->len;
	pt[off++] = (uint8_t)text->len;
	pt[off++] = (uint8_t)(text->len >> 8);
	memcpy(pt + off, text->p, text->len);
	off += text->len;
	memcpy(h.id, id->b, ST_ID_LEN);
	n = st_seal(s->kr, &h, pt, off, rec, sizeof(rec));
	st_wipe(pt, off);
	if (n < 0)
		return n;
	if (!tag_known && (rc = st__name_tag(s, h.key_id, rcpt, rcpt_tag)))
		return rc;
	if ((rc = st_db_put(&s->db, txn, log, ST_DB_MSG, id->b, ST_ID_LEN, rec, (size_t)n)))
		return rc;
	memcpy(key, rcpt_tag, ST_TAG_LEN);
	memcpy(key + ST_TAG_LEN, id->b, ST_ID_LEN);
	if ((rc = st_db_put(&s->db, txn, log, ST_DB_RCPT, key, 32, "", 0)))
		return rc;
	depth_note(s, rcpt_tag, true);
	exp_key(key, expires, id);
	return st_db_put(&s->db, txn, log, ST_DB_EXP, key, 24, &kind, 1);
}

static struct st_id new_id(struct st_store *s, uint64_t now)
{
	uint8_t rnd[10];

	if (st_random(s->kr, rnd, sizeof(rnd)) != 0)
		memset(rnd, 0, sizeof(rnd)); /* still unique: the generator is monotonic */
	return st_id_next(&s->idgen, now, rnd);
}

int st__notify(struct st_store *s, MDB_txn *txn, struct st_mutlog *log, const struct st_str *sender,
	       const struct st_str *rcpt, const struct st_id *about, uint8_t state, uint8_t reason,
	       uint64_t now)
{
	uint8_t body[ST_NOTIFY_LEN + ST_NAME_MAX], tag[ST_TAG_LEN];
	struct st_str none = { "", 0 }, text = { (const char *)body, ST_NOTIFY_LEN };
	struct st_id id;
	int rc;

	if (sender->len == 0 || rcpt->len > ST_NAME_MAX)
		return 0;
	memcpy(body, about->b, ST_ID_LEN);
	body[16] = state;
	body[17] = reason;
	le64_put(body + 18, now);
	memcpy(body + ST_NOTIFY_LEN, rcpt->p, rcpt->len);
	text.len += rcpt->len;
	id = new_id(s, now);
	rc = msg_put(s, txn, log, &id, ST_REC_MSG | ST_REC_F_NOTIFY, &none, sender, &text, now,
		     now + s->cfg.notify_ttl_ms, tag, false);
	if (rc == 0)
		st__wake(s, sender);
	return rc;
}

int st_notify_decode(const struct st_str *text, struct st_notify *out)
{
	const uint8_t *p = (const uint8_t *)text->p;

	if (text->len < ST_NOTIFY_LEN || text->len > ST_NOTIFY_LEN + ST_NAME_MAX ||
	    p[16] < ST_STATE_DELIVERED || p[16] > ST_STATE_EXPIRED)
		return -EBADMSG;
	out->recipient = (struct st_str){ text->p + ST_NOTIFY_LEN, text->len - ST_NOTIFY_LEN };
	memcpy(out->id.b, p, ST_ID_LEN);
	out->state = p[16];
	out->reason = p[17];
	out->at_ms = le64_get(p + 18);
	return 0;
}

/*
 * Parked messages for the recipient tag @rtag, counting at most @limit: the
 * cached count when there is one, otherwise a walk that stops at @limit (a
 * full queue then costs O(limit), an ordinary one O(its length)) and fills
 * the cache. Entries sealed under an older key id carry another tag and are
 * not counted: after a rotation a queue may briefly hold more.
 */
static int rcpt_depth(struct st_store *s, MDB_txn *txn, const uint8_t rtag[ST_TAG_LEN],
		      uint32_t limit, uint32_t *depth)
{
	struct st_depth_slot *slot = depth_slot(s, rtag);
	uint8_t key[32];
	MDB_cursor *c;
	MDB_val k, d;
	uint32_t n = 0;
	int rc;

	if (slot->valid && memcmp(slot->tag, rtag, ST_TAG_LEN) == 0) {
		s->stats.depth_cached++;
		*depth = slot->depth;
		return 0;
	}
	s->stats.depth_walks++;
	rc = st_db_err(mdb_cursor_open(txn, s->db.dbi[ST_DB_RCPT], &c));
	if (rc)
		return rc;
	memcpy(key, rtag, ST_TAG_LEN);
	memset(key + ST_TAG_LEN, 0, ST_ID_LEN);
	k.mv_data = key;
	k.mv_size = sizeof(key);
	rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	while (rc == 0 && n < limit && k.mv_size == 32 &&
	       memcmp(k.mv_data, rtag, ST_TAG_LEN) == 0) {
		n++;
		rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return st_db_err(rc);
	memcpy(slot->tag, rtag, ST_TAG_LEN);
	slot->depth = n;
	slot->exact = n < limit;
	slot->valid = true;
	*depth = n;
	return 0;
}

static int op_enqueue(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	uint8_t utag[ST_TAG_LEN], itag[ST_TAG_LEN], rtag[ST_TAG_LEN], sbuf[ST_STATUS_LEN];
	struct st_status_rec st = { 0 };
	uint64_t now = st__now(s), ttl = r->enqueue.ttl_ms;
	bool has_key = r->enqueue.idem_key.len > 0;
	uint16_t ukid = 0;
	MDB_val v;
	int rc;

	r->enqueue.duplicate = false;
	if (r->enqueue.text.len > ST_TEXT_MAX || r->enqueue.sender.len > ST_NAME_MAX ||
	    r->enqueue.recipient.len > ST_NAME_MAX || r->enqueue.idem_key.len > ST_IDEM_MAX)
		return -E2BIG;
	if (!st__name_ok(&r->enqueue.sender) || !st__name_ok(&r->enqueue.recipient) ||
	    ttl > s->cfg.max_ttl_ms || (r->enqueue.text.len && !r->enqueue.text.p))
		return -EINVAL;
	if (ttl == 0)
		ttl = s->cfg.max_ttl_ms;
	rc = st__user_find(s, txn, &r->enqueue.recipient, &v, utag, &ukid);
	if (rc)
		return rc;
	if (has_key) {
		/* A repeated (sender, key) under any key id returns the first id. */
		for (unsigned i = 0; i < st_keyring_count(s->kr); i++) {
			rc = st_tag(s->kr, st_keyring_id_at(s->kr, i), ST_TAG_IDEM, r->enqueue.sender.p,
				    r->enqueue.sender.len, r->enqueue.idem_key.p, r->enqueue.idem_key.len,
				    itag);
			if (rc)
				return rc;
			if (i == 0)
				memcpy(st.idem_tag, itag, ST_TAG_LEN); /* the tag a new entry gets */
			rc = st_db_get(&s->db, txn, ST_DB_IDEM, itag, ST_TAG_LEN, &v);
			if (rc == -ENOENT)
				continue;
			if (rc)
				return rc;
			if (v.mv_size != ST_ID_LEN)
				return -EIO;
			memcpy(r->enqueue.id.b, v.mv_data, ST_ID_LEN);
			r->enqueue.duplicate = true;
			if (st_db_get(&s->db, txn, ST_DB_STATUS, r->enqueue.id.b, ST_ID_LEN, &v) == 0 &&
			    st__status_decode(v.mv_data, v.mv_size, &st) == 0) {
				r->enqueue.created_ms = st.created_ms;
				r->enqueue.expires_ms = st.expires_ms;
			}
			return 0;
		}
	}
	if (s->cfg.queue_depth_max) {
		uint32_t depth = 0;

		if (ukid != st_keyring_id_at(s->kr, 0) &&
		    (rc = st__name_tag(s, st_keyring_id_at(s->kr, 0), &r->enqueue.recipient, utag)))
			return rc;
		ukid = st_keyring_id_at(s->kr, 0);
		if ((rc = rcpt_depth(s, txn, utag, s->cfg.queue_depth_max, &depth)))
			return rc;
		if (depth >= s->cfg.queue_depth_max)
			return -EDQUOT;
	}
	r->enqueue.id = new_id(s, now);
	r->enqueue.created_ms = now;
	r->enqueue.expires_ms = now + ttl;
	memcpy(rtag, utag, ST_TAG_LEN);
	rc = msg_put(s, txn, &s->log, &r->enqueue.id, ST_REC_MSG, &r->enqueue.sender,
		     &r->enqueue.recipient, &r->enqueue.text, now, now + ttl, rtag,
		     ukid == st_keyring_id_at(s->kr, 0));
	if (rc)
		return rc;
	st.state = ST_STATE_ENQUEUED;
	if (!r->enqueue.no_notify)
		st.flags |= ST_STATUS_F_NOTIFY;
	st.key_id = st_keyring_id_at(s->kr, 0);
	st.created_ms = now;
	st.expires_ms = now + ttl;
	st.updated_ms = now;
	if ((rc = st__name_tag(s, st.key_id, &r->enqueue.sender, st.sender_tag)))
		return rc;
	if (has_key) {
		st.flags |= ST_STATUS_F_IDEM;
		rc = st_db_put(&s->db, txn, &s->log, ST_DB_IDEM, st.idem_tag, ST_TAG_LEN,
			       r->enqueue.id.b, ST_ID_LEN);
		if (rc)
			return rc;
	}
	st__status_encode(&st, sbuf);
	rc = st_db_put(&s->db, txn, &s->log, ST_DB_STATUS, r->enqueue.id.b, ST_ID_LEN, sbuf, sizeof(sbuf));
	if (rc)
		return rc;
	st__wake(s, &r->enqueue.recipient);
	return 0;
}

int st__msg_finish(struct st_store *s, MDB_txn *txn, struct st_mutlog *log, const struct st_id *id,
		   uint8_t state, uint8_t reason, uint64_t now)
{
	uint8_t pt[ST_MSG_PT_MAX], key[32], sbuf[ST_STATUS_LEN];
	struct st_str snd, rcp, txt, sender, rcpt;
	char sender_copy[ST_NAME_MAX], rcpt_copy[ST_NAME_MAX];
	struct st_status_rec st;
	bool notify = false;
	struct st_seal_hdr h;
	MDB_val v;
	int rc;

	rc = st_db_get(&s->db, txn, ST_DB_MSG, id->b, ST_ID_LEN, &v);
	if (rc)
		return rc;
	rc = st__msg_open(s, &v, &h, pt, sizeof(pt), &snd, &rcp, &txt);
	if (rc) {
		s->stats.auth_failures++;
		log_error("storage", "record_auth_failed db=msg err=%d", rc);
		return -EIO;
	}
	if (memcmp(h.id, id->b, ST_ID_LEN) != 0) {
		st_wipe(pt, sizeof(pt));
		return -EIO;
	}
	memcpy(sender_copy, snd.p, snd.len);
	sender.p = sender_copy;
	sender.len = snd.len;
	memcpy(rcpt_copy, rcp.p, rcp.len);
	rcpt.p = rcpt_copy;
	rcpt.len = rcp.len;
	rc = st__name_tag(s, h.key_id, &rcp, key);
	st_wipe(pt, sizeof(pt));
	if (rc)
		goto out;
	memcpy(key + ST_TAG_LEN, id->b, ST_ID_LEN);
	if ((rc = st_db_del(&s->db, txn, log, ST_DB_MSG, id->b, ST_ID_LEN)) ||
	    ((rc = st_db_del(&s->db, txn, log, ST_DB_RCPT, key, 32)) && rc != -ENOENT))
		goto out;
	if (rc == 0)
		depth_note(s, key, false);
	rc = 0;
	if (h.flags & ST_REC_F_NOTIFY)
		goto out; /* notifications have no status and beget none */
	if (st_db_get(&s->db, txn, ST_DB_STATUS, id->b, ST_ID_LEN, &v) == 0 &&
	    st__status_decode(v.mv_data, v.mv_size, &st) == 0) {
		notify = st.flags & ST_STATUS_F_NOTIFY;
		st.state = state;
		st.reason = reason;
		st.updated_ms = now;
		st__status_encode(&st, sbuf);
		rc = st_db_put(&s->db, txn, log, ST_DB_STATUS, id->b, ST_ID_LEN, sbuf, sizeof(sbuf));
		if (rc)
			goto out;
	}
	if (notify)
		rc = st__notify(s, txn, log, &sender, &rcpt, id, state, reason, now);
out:
	st_wipe(sender_copy, sizeof(sender_copy));
	st_wipe(rcpt_copy, sizeof(rcpt_copy));
	return rc;
}

/* Index entries without a message dropped per stream request. */
#define STREAM_DANGLING_MAX 16

static int op_stream(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	struct {
		MDB_cursor *c;
		uint8_t tag[ST_TAG_LEN];
		MDB_val k;
		bool valid;
	} cur[ST_KEYRING_MAX];
	unsigned ncur = st_keyring_count(s->kr);
	uint8_t dangling[STREAM_DANGLING_MAX][32];
	uint32_t used = 0, ndangling = 0;
	int rc = 0;

	r->stream.count = 0;
	r->stream.skipped = 0;
	r->stream.more = false;
	r->stream.next_after = r->stream.after;
	if (r->stream.recipient.len > ST_NAME_MAX)
		return -E2BIG;
	if (!st__name_ok(&r->stream.recipient))
		return -EINVAL;
	memset(cur, 0, sizeof(cur));
	for (unsigned i = 0; i < ncur; i++) {
		uint8_t key[32];
		MDB_val d;
		if ((rc = st__name_tag(s, st_keyring_id_at(s->kr, i), &r->stream.recipient, cur[i].tag)))
			goto out;
		if ((rc = st_db_err(mdb_cursor_open(txn, s->db.dbi[ST_DB_RCPT], &cur[i].c))))
			goto out;
		memcpy(key, cur[i].tag, ST_TAG_LEN);
		memcpy(key + ST_TAG_LEN, r->stream.after.b, ST_ID_LEN);
		cur[i].k.mv_data = key;
		cur[i].k.mv_size = 32;
		rc = mdb_cursor_get(cur[i].c, &cur[i].k, &d, MDB_SET_RANGE);
		if (rc == 0 && cur[i].k.mv_size == 32 && memcmp(cur[i].k.mv_data, key, 32) == 0)
			rc = mdb_cursor_get(cur[i].c, &cur[i].k, &d, MDB_NEXT);
		cur[i].valid = rc == 0 && cur[i].k.mv_size == 32 &&
			       memcmp(cur[i].k.mv_data, cur[i].tag, ST_TAG_LEN) == 0;
		if (rc && rc != MDB_NOTFOUND) {
			rc = st_db_err(rc);
			goto out;
		}
		rc = 0;
	}
	for (;;) {
		int best = -1;
		MDB_val d, v;
		for (unsigned i = 0; i < ncur; i++)
			if (cur[i].valid &&
			    (best < 0 || memcmp((uint8_t *)cur[i].k.mv_data + ST_TAG_LEN,
						(uint8_t *)cur[best].k.mv_data + ST_TAG_LEN, ST_ID_LEN) < 0))
				best = (int)i;
		if (best < 0)
			break;
		/* Skipped entries count too, so a run of bad ones cannot hold the store thread. */
		if (r->stream.count + r->stream.skipped >= r->stream.max) {
			r->stream.more = true;
			break;
		}
		const uint8_t *idb = (uint8_t *)cur[best].k.mv_data + ST_TAG_LEN;
		rc = st_db_get(&s->db, txn, ST_DB_MSG, idb, ST_ID_LEN, &v);
		if (rc == -ENOENT) {
			/*
			 * An index entry whose message is gone (expiry drops a
			 * record that does not authenticate, and cannot tell
			 * whose index entry it had): drop it after the walk.
			 */
			if (ndangling < STREAM_DANGLING_MAX)
				memcpy(dangling[ndangling++], cur[best].k.mv_data, 32);
			r->stream.skipped++;
		} else if (rc) {
			goto out;
		} else {
			struct st_msg *m = &r->stream.msgs[r->stream.count];
			struct st_seal_hdr h;
			rc = st__msg_open(s, &v, &h, r->stream.buf + used, r->stream.buf_len - used,
					  &m->sender, &m->recipient, &m->text);
			if (rc == -ENOBUFS) {
				if (r->stream.count == 0)
					goto out;
				rc = 0;
				r->stream.more = true;
				break;
			}
			/*
			 * The rcpt entry is only an index: the sealed record says
			 * whom the message is for. An entry under another
			 * recipient's tag (damage, or a record moved) must not
			 * hand that message to this one.
			 */
			bool foreign = rc == 0 && memcmp(h.id, idb, ST_ID_LEN) == 0 &&
				       (m->recipient.len != r->stream.recipient.len ||
					memcmp(m->recipient.p, r->stream.recipient.p, m->recipient.len) != 0);
			if (rc || foreign || memcmp(h.id, idb, ST_ID_LEN) != 0) {
				char txt[ST_ID_TEXT_LEN + 1];
				struct st_id bad;
				if (rc == 0) /* opened into the caller's buffer: take it back */
					st_wipe(r->stream.buf + used, v.mv_size - ST_SEAL_OVERHEAD);
				memcpy(bad.b, idb, ST_ID_LEN);
				st_id_encode(&bad, txt);
				if (foreign)
					log_error("storage", "stream_recipient_mismatch id=%s", txt);
				else
					log_error("storage", "record_auth_failed db=msg id=%s err=%d", txt, rc);
				s->stats.auth_failures++;
				r->stream.skipped++;
				rc = 0;
			} else {
				memcpy(m->id.b, idb, ST_ID_LEN);
				m->created_ms = h.created_ms;
				m->expires_ms = h.expires_ms;
				m->flags = (h.flags & ST_REC_F_NOTIFY) ? ST_MSG_F_NOTIFY : 0;
				used += (uint32_t)(v.mv_size - ST_SEAL_OVERHEAD);
				r->stream.count++;
			}
		}
		memcpy(r->stream.next_after.b, idb, ST_ID_LEN);
		rc = mdb_cursor_get(cur[best].c, &cur[best].k, &d, MDB_NEXT);
		cur[best].valid = rc == 0 && cur[best].k.mv_size == 32 &&
				  memcmp(cur[best].k.mv_data, cur[best].tag, ST_TAG_LEN) == 0;
		if (rc && rc != MDB_NOTFOUND) {
			rc = st_db_err(rc);
			goto out;
		}
		rc = 0;
	}
out:
	for (unsigned i = 0; i < ncur; i++)
		if (cur[i].c)
			mdb_cursor_close(cur[i].c);
	/* Not logged, like expiry: a function of the state, redone if a crash loses it. */
	for (uint32_t i = 0; rc == 0 && i < ndangling; i++) {
		int drc = st_db_del(&s->db, txn, NULL, ST_DB_RCPT, dangling[i], 32);
		if (drc == 0)
			depth_note(s, dangling[i], false);
		else if (drc != -ENOENT)
			rc = drc;
	}
	return rc;
}

static int op_status(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	struct st_status_rec st;
	uint8_t tag[ST_TAG_LEN];
	MDB_val v;
	int rc;

	if (!st__name_ok(&r->status.requester))
		return -ENOENT;
	rc = st_db_get(&s->db, txn, ST_DB_STATUS, r->status.id.b, ST_ID_LEN, &v);
	if (rc)
		return rc;
	if (st__status_decode(v.mv_data, v.mv_size, &st) != 0)
		return -EIO;
	if (st__name_tag(s, st.key_id, &r->status.requester, tag) != 0 ||
	    !st_ct_equal(tag, st.sender_tag, ST_TAG_LEN))
		return -ENOENT;
	r->status.state = st.state;
	r->status.reason = st.reason;
	r->status.created_ms = st.created_ms;
	r->status.expires_ms = st.expires_ms;
	r->status.updated_ms = st.updated_ms;
	return 0;
}

int st__exec(struct st_store *s, MDB_txn *txn, struct st_req *r)
{
	switch (r->op) {
	case ST_OP_ENQUEUE:
		return op_enqueue(s, txn, r);
	case ST_OP_DELIVERED:
		return st__msg_finish(s, txn, &s->log, &r->mark.id, ST_STATE_DELIVERED, 0, st__now(s));
	case ST_OP_FAILED:
		return st__msg_finish(s, txn, &s->log, &r->mark.id, ST_STATE_FAILED, r->mark.reason,
				      st__now(s));
	case ST_OP_STREAM:
		return op_stream(s, txn, r);
	case ST_OP_STATUS:
		return op_status(s, txn, r);
	case ST_OP_USER_CREATE:
		return st__op_user_create(s, txn, r);
	case ST_OP_USER_LOOKUP:
		return st__op_user_lookup(s, txn, r);
	case ST_OP_USER_DELETE:
		return st__op_user_delete(s, txn, r);
	case ST_OP_USER_LIST:
		return st__op_user_list(s, txn, r);
	case ST_OP_TOKEN_CREATE:
	case ST_OP_TOKEN_LOOKUP:
	case ST_OP_TOKEN_REVOKE:
		return st__op_token(s, txn, r);
	case ST_OP_LOC_REGISTER:
	case ST_OP_LOC_UNREGISTER:
	case ST_OP_LOC_LOOKUP:
		return st__op_loc(s, r);
	default:
		return -EINVAL;
	}
}

const char *st_state_name(uint8_t state)
{
	switch (state) {
	case ST_STATE_ENQUEUED:
		return "enqueued";
	case ST_STATE_DELIVERED:
		return "delivered";
	case ST_STATE_FAILED:
		return "failed";
	case ST_STATE_EXPIRED:
		return "expired";
	default:
		return "unknown";
	}
}
