/*
 * Group commit: a batch runs in the parent write transaction, goes to the
 * WAL as one record, is acknowledged, and joins the parent, which is
 * committed when the store is idle or on a timer. Plus the fault paths
 * (unavailable, pending re-apply, map growth), checkpoints, the synchronous
 * API and expiry passes.
 */
#include "storage/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "base/log.h"

static bool is_loc_op(const struct st_req *r)
{
	return r->op == ST_OP_LOC_REGISTER || r->op == ST_OP_LOC_UNREGISTER || r->op == ST_OP_LOC_LOOKUP;
}

/*
 * Location requests need no disk: they run first, exactly once, whatever
 * happens to the rest of the batch (a re-run after a full map must not
 * unregister twice).
 */
static uint32_t run_loc_ops(struct st_store *s, struct st_req **reqs, uint32_t n)
{
	uint32_t others = n;

	for (uint32_t i = 0; i < n; i++) {
		if (is_loc_op(reqs[i])) {
			reqs[i]->result = st__exec(s, NULL, reqs[i]);
			others--;
		}
	}
	return others;
}

/* Answer the batch "unavailable" (its location requests have their own answers). */
static void fail_batch(struct st_store *s, struct st_req **reqs, uint32_t n)
{
	(void)s;
	for (uint32_t i = 0; i < n; i++)
		if (!is_loc_op(reqs[i]))
			reqs[i]->result = ST_E_UNAVAILABLE;
}

/* Apply a batch that is in the WAL but whose LMDB commit failed. */
int st__apply_pending(struct st_store *s)
{
	MDB_txn *txn;
	int rc;

	st__depth_forget(s); /* LMDB gets what the cache never saw */
	for (;;) {
		if ((rc = st_db_err(mdb_txn_begin(s->db.env, NULL, 0, &txn))))
			return rc;
		rc = st_db_apply(&s->db, txn, s->pending.buf, s->pending.len);
		if (!rc)
			rc = st_db_set_wal_seq(&s->db, txn, s->pending_seq);
		if (!rc)
			rc = st_db_err(mdb_txn_commit(txn));
		else
			mdb_txn_abort(txn);
		if (rc != -EFBIG)
			break;
		if ((rc = st_db_grow(&s->db)))
			break;
		s->stats.map_grows++;
	}
	if (rc == 0) {
		st_mutlog_reset(&s->pending);
		log_info("storage", "pending_applied seq=%" PRIu64, s->pending_seq);
	}
	return rc;
}

static void mark_unavailable(struct st_store *s, uint64_t now, int err)
{
	if (!s->unavailable)
		log_error("storage", "store_unavailable err=%d retry_ms=%u", err, s->cfg.unavailable_retry_ms);
	s->unavailable = true;
	s->retry_at_ms = now + s->cfg.unavailable_retry_ms;
}

static int log_cat(struct st_mutlog *dst, const struct st_mutlog *src)
{
	if (dst->cap - dst->len < src->len) {
		size_t cap = dst->cap ? dst->cap : 65536;
		while (cap - dst->len < src->len)
			cap *= 2;
		uint8_t *nb = realloc(dst->buf, cap);
		if (!nb)
			return -ENOMEM;
		dst->buf = nb;
		dst->cap = cap;
	}
	memcpy(dst->buf + dst->len, src->buf, src->len);
	dst->len += src->len;
	dst->count += src->count;
	return 0;
}

/* The parent's batches could not reach LMDB: keep their log for a re-apply. */
static void to_pending(struct st_store *s)
{
	if (s->pending.count == 0) {
		struct st_mutlog tmp = s->pending;
		s->pending = s->plog;
		s->plog = tmp;
	} else if (log_cat(&s->pending, &s->plog) != 0) {
		/*
		 * Out of memory with acknowledged batches neither in LMDB nor in
		 * memory: only the WAL has them. Crash, so that the restart
		 * replays them (the path the kill -9 test exercises), rather
		 * than serve stale data or let a checkpoint drop that WAL.
		 */
		log_error("storage", "pending_oom seq=%" PRIu64 " action=abort", s->plog_seq);
		abort();
	}
	if (s->plog_seq > s->pending_seq)
		s->pending_seq = s->plog_seq;
	st_mutlog_reset(&s->plog);
}

/*
 * Grow the map before it is full: a put that hits MDB_MAP_FULL costs a
 * re-run of the batch, a commit that hits it a re-apply. No txn may be open.
 */
static void grow_early(struct st_store *s)
{
	MDB_envinfo info;
	MDB_stat st;

	if (mdb_env_info(s->db.env, &info) || mdb_env_stat(s->db.env, &st))
		return;
	if ((uint64_t)(info.me_last_pgno + 1) * st.ms_psize > (uint64_t)s->db.map_size / 4 * 3 &&
	    st_db_grow(&s->db) == 0)
		s->stats.map_grows++;
}

/*
 * Commit the parent transaction: the batches applied since the last commit.
 * They are all in the WAL already; if the commit fails, their log becomes
 * "pending" and is re-applied before anything else runs.
 */
int st__parent_commit(struct st_store *s)
{
	uint64_t t0;
	int rc;

	if (!s->ptxn)
		return 0;
	/* A write txn belongs to the thread that began it (LMDB's writer lock). */
	BUG_ON(!pthread_equal(s->ptxn_thread, pthread_self()));
	t0 = clock_mono_ns();
	{
		/* Parked messages (and notifications) in all, for /metrics. */
		MDB_stat ms;

		if (mdb_stat(s->ptxn, s->db.dbi[ST_DB_MSG], &ms) == 0)
			s->stats.parked = ms.ms_entries;
	}
	rc = st_db_err(mdb_txn_commit(s->ptxn));
	s->ptxn = NULL;
	s->stats.commit_ns += clock_mono_ns() - t0;
	s->stats.commits++;
	if (rc == 0) {
		st_mutlog_reset(&s->plog);
		grow_early(s);
		if (s->wal && st_wal_bytes(s->wal) >= s->cfg.checkpoint_bytes)
			st_store_checkpoint(s);
		return 0;
	}
	st__depth_forget(s); /* LMDB is back where the parent began */
	to_pending(s);
	/* A full map just needs a bigger one and a re-apply. */
	if (rc == -EFBIG && st_db_grow(&s->db) == 0) {
		s->stats.map_grows++;
		if ((rc = st__apply_pending(s)) == 0)
			return 0;
	}
	log_error("storage", "lmdb_commit_failed err=%d", rc);
	mark_unavailable(s, st__now(s), rc);
	return rc;
}

/*
 * Undo the current batch: abort the parent and re-apply, in a new parent,
 * the batches it held (they are in the WAL and acknowledged). Needed after a
 * failed WAL append or a full map; both are rare, so the re-apply is cheap
 * on average, and it spares every batch a child transaction (LMDB gives
 * each child its own 2 MiB dirty list). If the re-apply fails, those
 * batches become "pending".
 */
static int parent_rollback(struct st_store *s, bool grow)
{
	int rc = 0;

	st__depth_forget(s); /* the counts included what is undone now */
	if (s->ptxn) {
		BUG_ON(!pthread_equal(s->ptxn_thread, pthread_self()));
		mdb_txn_abort(s->ptxn);
	}
	s->ptxn = NULL;
	if (grow) {
		if ((rc = st_db_grow(&s->db)))
			goto pend;
		s->stats.map_grows++;
	}
	if (!s->plog.count)
		return 0;
	for (;;) {
		if ((rc = st_db_err(mdb_txn_begin(s->db.env, NULL, 0, &s->ptxn)))) {
			s->ptxn = NULL;
			goto pend;
		}
		s->ptxn_start_ns = clock_mono_ns();
		s->ptxn_thread = pthread_self();
		rc = st_db_apply(&s->db, s->ptxn, s->plog.buf, s->plog.len);
		if (!rc)
			rc = st_db_set_wal_seq(&s->db, s->ptxn, s->plog_seq);
		if (rc == 0)
			return 0;
		mdb_txn_abort(s->ptxn);
		s->ptxn = NULL;
		if (rc != -EFBIG || st_db_grow(&s->db) != 0)
			goto pend;
		s->stats.map_grows++;
	}
pend:
	to_pending(s);
	return rc;
}

/*
 * Execute a batch in the parent transaction and make it durable (WAL).
 * Returns true if the batch wrote something that batch_commit must fold in;
 * false if there is nothing to commit (the results are already set).
 */
bool st__batch_run(struct st_store *s, struct st_req **reqs, uint32_t n)
{
	uint64_t now = st__now(s), seq;
	int rc;

	s->stats.batches++;
	s->stats.requests += n;
	st__wake_reset(s);
	if (run_loc_ops(s, reqs, n) == 0)
		return false; /* nothing for the disk */
	if (s->unavailable && now < s->retry_at_ms)
		goto unavailable;
	if (s->pending.count && (rc = st__apply_pending(s)) != 0)
		goto fail;
retry:
	if (!s->ptxn) {
		rc = st_db_err(mdb_txn_begin(s->db.env, NULL, 0, &s->ptxn));
		if (rc) {
			s->ptxn = NULL;
			goto fail;
		}
		s->ptxn_start_ns = clock_mono_ns();
		s->ptxn_thread = pthread_self();
	}
	st_mutlog_reset(&s->log);
	uint64_t t0 = clock_mono_ns();
	for (uint32_t i = 0; i < n; i++) {
		if (is_loc_op(reqs[i]))
			continue;
		reqs[i]->result = st__exec(s, s->ptxn, reqs[i]);
		if (reqs[i]->result == -EFBIG) {
			/* The map is full: undo, grow, run the batch again. */
			if ((rc = parent_rollback(s, true)))
				goto fail;
			goto retry;
		}
		if (reqs[i]->result == -ENOMEM) {
			log_error("storage", "batch_log_oom");
			reqs[i]->result = -EIO;
		}
	}
	uint64_t t1 = clock_mono_ns();
	s->stats.exec_ns += t1 - t0;
	if (s->log.count == 0)
		return false; /* read-only batch: nothing to make durable */
	rc = st_db_set_wal_seq(&s->db, s->ptxn, st_wal_next_seq(s->wal));
	if (rc == -EFBIG) {
		if ((rc = parent_rollback(s, true)))
			goto fail;
		goto retry;
	}
	if (!rc)
		rc = st_wal_append(s->wal, s->log.buf, (uint32_t)s->log.len, &seq);
	s->stats.wal_ns += clock_mono_ns() - t1;
	if (rc) {
		s->stats.wal_failures++;
		parent_rollback(s, false);
		goto fail;
	}
	s->stats.wal_records++;
	s->stats.wal_bytes += s->log.len;
	if (s->unavailable) {
		log_info("storage", "store_available_again");
		s->unavailable = false;
	}
	return true;
fail:
	mark_unavailable(s, now, rc);
unavailable:
	fail_batch(s, reqs, n);
	st__wake_reset(s); /* nothing of the batch happened */
	return false;
}

/*
 * After the completions are out: the batch joins the parent's log, and the
 * parent is committed if @now (the synchronous API), if commit_interval_us
 * has passed since it began, or if commit_every_batch is set.
 */
void st__batch_commit(struct st_store *s, bool now)
{
	if (log_cat(&s->plog, &s->log) != 0) {
		/* Cannot keep the log for a rollback: commit now instead. */
		if (st__parent_commit(s) != 0) {
			/* This batch is only in the WAL now: restart and replay it. */
			log_error("storage", "batch_log_oom action=abort");
			abort();
		}
		return;
	}
	s->plog_seq = st_wal_next_seq(s->wal) - 1;
	if (now || s->cfg.commit_every_batch ||
	    clock_mono_ns() - s->ptxn_start_ns >= (uint64_t)s->cfg.commit_interval_us * 1000 ||
	    s->plog.len >= (16u << 20))
		st__parent_commit(s);
}

int st_store_checkpoint(struct st_store *s)
{
	int rc = st__parent_commit(s);

	if (rc)
		return rc;
	if (s->pending.count)
		return -EAGAIN; /* the WAL still holds batches LMDB lacks: keep it */
	rc = st_db_err(mdb_env_sync(s->db.env, 1));

	if (rc == 0)
		rc = st_wal_rotate(s->wal);
	if (rc)
		log_warn("storage", "checkpoint_failed err=%d", rc);
	else
		s->stats.checkpoints++;
	return rc;
}

int st_exec_sync(struct st_store *s, struct st_req *req)
{
	BUG_ON(s->running);
	if (st__batch_run(s, &req, 1))
		st__batch_commit(s, true);
	else
		st__parent_commit(s);
	st__wake_flush(s);
	return req->result;
}

/*
 * Replay (at open): records join the parent transaction like batches, and
 * the parent is committed every 16 MiB of records and at the end, instead
 * of one synced commit per record.
 */
int st__replay_record(struct st_store *s, uint64_t seq, const uint8_t *payload, uint32_t len)
{
	struct st_mutlog rec = { .buf = (uint8_t *)payload, .len = len, .cap = len, .count = 1 };
	int rc;

	st__depth_forget(s); /* the record's changes bypass the cache */

	for (;;) {
		if (!s->ptxn) {
			if ((rc = st_db_err(mdb_txn_begin(s->db.env, NULL, 0, &s->ptxn)))) {
				s->ptxn = NULL;
				return rc;
			}
			s->ptxn_start_ns = clock_mono_ns();
			s->ptxn_thread = pthread_self();
		}
		rc = st_db_apply(&s->db, s->ptxn, payload, len);
		if (!rc)
			rc = st_db_set_wal_seq(&s->db, s->ptxn, seq);
		if (rc != -EFBIG)
			break;
		if ((rc = parent_rollback(s, true)))
			return rc;
	}
	if (rc)
		return rc;
	if ((rc = log_cat(&s->plog, &rec)))
		return rc;
	s->plog_seq = seq;
	return s->plog.len >= (16u << 20) ? st__parent_commit(s) : 0;
}

/*
 * An expiry pass runs in the parent transaction, so it costs no fsync of its
 * own: its writes are committed with the next batches. They are not in the
 * WAL or the parent's log, so a rollback or a crash drops them, and the next
 * pass does them again (expiry is a function of the state and the clock).
 */
/*
 * Location slots swept per expiry pass: a 65536-slot map is covered every
 * 16 passes, a few microseconds each (REGISTER also takes over expired
 * bindings it meets while probing, and sweeps everything before -ENOSPC).
 */
#define LOC_SWEEP_SLOTS 4096

int st__expire_now(struct st_store *s, uint32_t max)
{
	uint64_t t0 = clock_mono_ns();
	int n, rc;

	st__loc_sweep(&s->loc, st__now(s), LOC_SWEEP_SLOTS);
	if (s->pending.count)
		return -EAGAIN;
retry:
	if (!s->ptxn) {
		if ((rc = st_db_err(mdb_txn_begin(s->db.env, NULL, 0, &s->ptxn)))) {
			s->ptxn = NULL;
			return rc;
		}
		s->ptxn_start_ns = clock_mono_ns();
		s->ptxn_thread = pthread_self();
	}
	n = st__expire_pass(s, s->ptxn, st__now(s), max);
	if (n == -EFBIG) {
		if ((rc = parent_rollback(s, true)))
			return rc;
		goto retry;
	}
	if (n < 0)
		parent_rollback(s, false); /* drop a half-done pass */
	uint64_t dt = clock_mono_ns() - t0;
	s->stats.expiry_ns += dt;
	if (dt > s->stats.expiry_max_pass_ns)
		s->stats.expiry_max_pass_ns = dt;
	return n;
}

int st_expire_run(struct st_store *s, uint32_t max)
{
	BUG_ON(s->running);
	int n = st__expire_now(s, max);
	int rc = st__parent_commit(s);

	st__wake_flush(s);
	return n < 0 ? n : (rc ? rc : n);
}
