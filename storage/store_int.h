/* Internals shared by the store_*.c files; not an API. */
#ifndef COLUMBA_STORAGE_STORE_INT_H
#define COLUMBA_STORAGE_STORE_INT_H

#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>

#include "storage/db.h"
#include "storage/id.h"
#include "storage/seal.h"
#include "storage/store.h"
#include "storage/wal.h"

/* Sealed record kinds (seal header flags, low nibble) and flags. */
#define ST_REC_MSG	0x01
#define ST_REC_USER	0x02
#define ST_REC_TOKEN	0x03
#define ST_REC_KIND	0x0f
#define ST_REC_F_NOTIFY 0x10

/* exp entry kinds */
#define ST_EXP_MSG    0 /* the message's ttl ends */
#define ST_EXP_STATUS 1 /* drop the status (and idem entry) of an expired message */

/* The status record, 64 bytes, little-endian. */
#define ST_STATUS_LEN	  64
#define ST_STATUS_F_IDEM  0x01
#define ST_STATUS_F_NOTIFY 0x02
struct st_status_rec {
	uint8_t state, reason, flags;
	uint16_t key_id;
	uint64_t created_ms, expires_ms, updated_ms;
	uint8_t sender_tag[ST_TAG_LEN];
	uint8_t idem_tag[ST_TAG_LEN];
};

/*
 * Parked entries per recipient tag, cached for the queue_depth_max check
 * (which otherwise walks up to queue_depth_max keys on every enqueue). Only
 * the store's thread touches it. It mirrors the parent transaction: the
 * puts and deletes of recipient index entries adjust it, and anything that
 * undoes or bypasses them (a rollback, a failed commit, a re-apply, WAL
 * replay) empties it, so a miss simply walks again. Direct-mapped: a tag is
 * a MAC, its first bytes are uniform.
 */
#define ST_DEPTH_SLOTS 1024
struct st_depth_slot {
	uint8_t tag[ST_TAG_LEN];
	uint32_t depth;            /* exact, or a lower bound when !exact */
	bool valid, exact;
};

/* Flows (devices) one user may have bound at once; a further one replaces
 * the binding that expires first. */
#define ST_LOC_PER_USER 8

struct st_loc_ent {
	uint8_t tag[ST_TAG_LEN];
	uint32_t worker;
	uint64_t flow;
	uint64_t expires_ms;
	bool used;
};

struct st_locmap {
	struct st_loc_ent *slots;
	uint32_t mask;
	uint32_t count;
	uint32_t sweep_pos; /* where the next st__loc_sweep starts */
};

struct st_chan {
	struct ring req;
	struct ring done;
	struct ring_bell *worker_bell;
	struct st_store *s;
	uint32_t inflight; /* worker side only */
	uint16_t idx;
	bool touched;      /* store side: completions pushed this batch */
	bool note_touched; /* store side: notices pushed by this flush */
	/* Delivery notices, store to worker: flow ids cast to pointers. */
	struct ring note;
	_Atomic bool note_lost; /* a notice did not fit: the worker rescans its flows */
};

/* Users to wake per flush before the rest are summed up as "every flow". */
#define ST_WAKE_MAX 1024

/* Largest sealed message: names, text, and the overhead. */
#define ST_MSG_PT_MAX  (1 + ST_NAME_MAX + 1 + ST_NAME_MAX + 2 + ST_TEXT_MAX)
#define ST_MSG_REC_MAX (ST_MSG_PT_MAX + ST_SEAL_OVERHEAD)

struct st_store {
	struct st_store_cfg cfg;
	char *state_dir;
	char *wal_dir;
	int lock_fd;
	struct st_db db;
	struct st_wal *wal;
	struct st_keyring *kr;
	struct st_idgen idgen;
	struct st_mutlog log;
	MDB_txn *ptxn;             /* parent txn: batches applied, not yet committed */
	uint64_t ptxn_start_ns;
	pthread_t ptxn_thread;     /* the thread that began ptxn: only it may commit or abort it */
	struct st_mutlog plog;     /* the logs of the batches in ptxn */
	uint64_t plog_seq;
	struct st_mutlog pending;  /* durable in the WAL, not yet in LMDB */
	uint64_t pending_seq;
	struct st_locmap loc;
	struct st_depth_slot depth[ST_DEPTH_SLOTS];
	/* Users with new parked messages since the last flush (their name
	 * tags under the current key); notices go out once that is durable. */
	uint8_t (*wake)[ST_TAG_LEN];
	uint32_t n_wake;
	bool wake_all;             /* more than ST_WAKE_MAX: notify every channel */

	struct st_chan **chans;
	struct ring_bell bell;     /* workers ring it */
	struct io_uring ring;      /* bell poll and timers */
	bool poll_armed, tick_armed;
	struct __kernel_timespec tick_ts;
	pthread_t thread;
	bool running;
	_Atomic bool stop;

	bool unavailable;
	uint64_t retry_at_ms;
	uint64_t next_expiry_ms;
	struct st_req **batch;
	struct st_stats stats;     /* written by whoever runs the store (the thread, or the caller) */
	/*
	 * What st_store_stats reads while the thread runs: a copy the thread
	 * publishes after each round, so readers never race its counters.
	 */
	pthread_mutex_t stats_lock;
	struct st_stats stats_pub;
};

static inline uint64_t st__now(struct st_store *s)
{
	return s->cfg.clock_ms(s->cfg.clock_ctx);
}

/* store_msg.c: forget every cached queue depth (the transaction was undone). */
void st__depth_forget(struct st_store *s);
/* store_msg.c: execute one request inside the batch transaction (dispatcher). */
int st__exec(struct st_store *s, MDB_txn *txn, struct st_req *req);
/* A user name of 1..ST_NAME_MAX bytes. */
bool st__name_ok(const struct st_str *n);
/*
 * Find a user record under any key id (current first); @tag and @kid (may
 * be NULL) receive the tag and key id it was found under.
 */
int st__user_find(struct st_store *s, MDB_txn *txn, const struct st_str *name, MDB_val *v,
		  uint8_t tag[ST_TAG_LEN], uint16_t *kid);

/* store_acct.c: users, tokens, locations (see the ops in store.h). */
int st__op_user_create(struct st_store *s, MDB_txn *txn, struct st_req *r);
int st__op_user_lookup(struct st_store *s, MDB_txn *txn, struct st_req *r);
int st__op_user_delete(struct st_store *s, MDB_txn *txn, struct st_req *r);
int st__op_user_list(struct st_store *s, MDB_txn *txn, struct st_req *r);
int st__op_token(struct st_store *s, MDB_txn *txn, struct st_req *r);
int st__op_loc(struct st_store *s, struct st_req *r);
/* Encode/decode a status record. */
void st__status_encode(const struct st_status_rec *st, uint8_t out[ST_STATUS_LEN]);
int st__status_decode(const void *in, size_t len, struct st_status_rec *st);
/* Tag a user name under @kid. */
int st__name_tag(struct st_store *s, uint16_t kid, const struct st_str *name, uint8_t out[ST_TAG_LEN]);
/* Queue a notification message for @sender about its message @id to @rcpt (logged in @log, may be NULL). */
int st__notify(struct st_store *s, MDB_txn *txn, struct st_mutlog *log, const struct st_str *sender,
	       const struct st_str *rcpt, const struct st_id *id, uint8_t state, uint8_t reason,
	       uint64_t now);
/*
 * Remove a parked message: content and recipient entry; its status becomes
 * @state and a notification is queued. Shared by delivered/failed and expiry
 * (which passes a NULL log). Returns 0, -ENOENT, -EIO (record does not
 * authenticate), or an LMDB error.
 */
int st__msg_finish(struct st_store *s, MDB_txn *txn, struct st_mutlog *log, const struct st_id *id,
		   uint8_t state, uint8_t reason, uint64_t now);
/* Open a message record; names and text point into @pt. Returns 0 or an error of st_open. */
int st__msg_open(struct st_store *s, const MDB_val *v, struct st_seal_hdr *hdr, uint8_t *pt,
		 size_t cap, struct st_str *sender, struct st_str *rcpt, struct st_str *text);

/* store.c: note that @user has a new parked message (no-op when nobody is registered). */
void st__wake(struct st_store *s, const struct st_str *user);
/* Forget the wakes gathered so far (their batch did not become durable). */
void st__wake_reset(struct st_store *s);
/* Send the gathered wakes to the workers that hold the users' flows. */
void st__wake_flush(struct st_store *s);

/* store_batch.c */
/* Run a batch up to its WAL append; true if it must be folded in by st__batch_commit. */
bool st__batch_run(struct st_store *s, struct st_req **reqs, uint32_t n);
/* Fold the last batch into the parent txn; commit it if @now or due. */
void st__batch_commit(struct st_store *s, bool now);
/* Commit the parent txn (no-op if none). Returns 0 or the commit error (then "pending"). */
int st__parent_commit(struct st_store *s);
/* Replay one WAL record at open (into the parent txn). Returns 0 or -errno. */
int st__replay_record(struct st_store *s, uint64_t seq, const uint8_t *payload, uint32_t len);
/* Re-apply the pending batches. Returns 0 or -errno. */
int st__apply_pending(struct st_store *s);
/* One expiry pass of at most @max entries. Returns the count or -errno. */
int st__expire_now(struct st_store *s, uint32_t max);

/* store_expiry.c: one bounded pass over exp (not logged; see docs/storage.md). */
int st__expire_pass(struct st_store *s, MDB_txn *txn, uint64_t now, uint32_t max);

/* store_loc.c */
int st__loc_init(struct st_locmap *m, uint32_t capacity);
void st__loc_fini(struct st_locmap *m);
/*
 * Bind (@tag, @flow) (refreshing it, else replacing the user's binding that
 * expires first when it has ST_LOC_PER_USER, else taking over an expired binding met
 * while probing, else a free slot). Returns 0 or -ENOSPC (75 % of the slots
 * hold bindings that are live at @now).
 */
int st__loc_put(struct st_locmap *m, const uint8_t tag[ST_TAG_LEN], uint32_t worker, uint64_t flow,
		uint64_t expires_ms, uint64_t now);
/*
 * Drop the bindings expired at @now among the next @max slots (round robin
 * over the map; the expiry tick calls it). Returns the number dropped.
 */
uint32_t st__loc_sweep(struct st_locmap *m, uint64_t now, uint32_t max);
/* Drop the binding of (@tag, *@flow), or with @flow NULL the first of @tag. Returns 0 or -ENOENT. */
int st__loc_del(struct st_locmap *m, const uint8_t tag[ST_TAG_LEN], const uint64_t *flow);
/* The live bindings of @tag at @now (at most @max) into @out. Returns the count. */
uint32_t st__loc_all(struct st_locmap *m, const uint8_t tag[ST_TAG_LEN], uint64_t now,
		     struct st_loc_ent **out, uint32_t max);

#endif
