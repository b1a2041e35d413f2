/*
 * The store: one thread that owns LMDB, the WAL and the location map.
 *
 * Workers talk to it through a channel each (two base/ring.h SPSC rings:
 * requests in, completions out). A request is a caller-allocated struct
 * st_req that must stay valid, with every buffer it points to, until it comes
 * back from st_chan_poll(); the store never allocates per request.
 *
 * Group commit. The store thread takes up to batch_max requests, waiting at
 * most gather_us for more once it has one, executes them in the LMDB write
 * transaction while logging every mutation, appends that log to the WAL as
 * one record (io_uring write linked to fdatasync), pushes the completions
 * once that is durable and rings each worker's bell, then folds the batch
 * into the transaction, which is committed every commit_interval_us.
 * A request is therefore acknowledged only when it is
 * durable. Batches that only read skip the WAL.
 *
 * Errors (req->result): 0 or a negative errno listed per operation below, and
 * for every operation except the ST_OP_LOC_* ones:
 *   ST_E_UNAVAILABLE  the WAL (or the LMDB file behind it) could not be
 *                     written: disk full or I/O error. Nothing in the batch
 *                     happened; intake maps it to 503 + Retry-After. After a
 *                     failure the store answers this at once for
 *                     unavailable_retry_ms, then probes with the next batch.
 *   -EIO              an unexpected LMDB or wolfCrypt failure (logged).
 *
 * Files under state_dir: data.mdb, lock.mdb (LMDB), wal/ (segments), lock
 * (flock'd by whoever has the store open: the daemon or an admin command).
 */
#ifndef COLUMBA_STORAGE_STORE_H
#define COLUMBA_STORAGE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/ring.h"
#include "storage/id.h"

#define ST_NAME_MAX	    64  /* user names, bytes */
#define ST_TEXT_MAX	    640 /* message text, bytes (160 code points of UTF-8) */
#define ST_IDEM_MAX	    64  /* idempotency key, bytes */
#define ST_USER_PAYLOAD_MAX 512 /* opaque user record (password hash, HA1s) */
#define ST_TOKEN_MIN	    16
#define ST_TOKEN_MAX	    128
#define ST_NOTIFY_LEN	    26  /* fixed part of a notification's body, see st_notify_decode */

/* Distinct from every -errno: "the store cannot make anything durable now". */
#define ST_E_UNAVAILABLE (-10000)

struct st_store;
struct st_keyring;

enum st_op {
	ST_OP_ENQUEUE = 1,
	ST_OP_DELIVERED,
	ST_OP_FAILED,
	ST_OP_STREAM,
	ST_OP_STATUS,
	ST_OP_USER_CREATE,
	ST_OP_USER_LOOKUP,
	ST_OP_USER_DELETE,
	ST_OP_USER_LIST,
	ST_OP_TOKEN_CREATE,
	ST_OP_TOKEN_LOOKUP,
	ST_OP_TOKEN_REVOKE,
	ST_OP_LOC_REGISTER,
	ST_OP_LOC_UNREGISTER,
	ST_OP_LOC_LOOKUP,
	ST_OP__COUNT,
};

enum st_state {
	ST_STATE_ENQUEUED = 1,
	ST_STATE_DELIVERED = 2,
	ST_STATE_FAILED = 3,
	ST_STATE_EXPIRED = 4,
};

/* Message flags (struct st_msg.flags). */
#define ST_MSG_F_NOTIFY 0x01 /* a delivery notification for the recipient (text: see st_notify_decode) */

/* A byte slice; not NUL-terminated. */
struct st_str {
	const char *p;
	uint32_t len;
};

/* An opened message; the slices point into the stream request's buffer. */
struct st_msg {
	struct st_id id;
	uint64_t created_ms;
	uint64_t expires_ms;
	uint8_t flags;
	struct st_str sender;    /* empty for notifications */
	struct st_str recipient;
	struct st_str text;
};

/* A decoded notification body. */
struct st_notify {
	struct st_id id;     /* the message it is about */
	struct st_str recipient; /* whom that message was for (points into the text) */
	uint8_t state;       /* ST_STATE_DELIVERED, _FAILED or _EXPIRED */
	uint8_t reason;      /* the reason given to ST_OP_FAILED, else 0 */
	uint64_t at_ms;
};

struct st_req {
	uint16_t op;         /* enum st_op */
	uint16_t chan;       /* set by st_chan_submit */
	int32_t result;      /* out: 0 or an error (see the op) */
	void *cookie;        /* the caller's, untouched */
	union {
		/*
		 * ST_OP_ENQUEUE: park text from sender to recipient for ttl_ms
		 * (0: the configured maximum). With an idempotency key, a
		 * repeat of (sender, key) while the first message's status is
		 * kept returns the first id and duplicate = true, and enqueues
		 * nothing. Out: the id, times, and where the recipient is
		 * registered (loc_worker -1 if nowhere) so the caller can
		 * deliver at once.
		 * Errors: -E2BIG (text > 640, name or key too long), -EINVAL
		 * (empty name, ttl above the maximum), -ENOENT (no such
		 * recipient user), -EDQUOT (the recipient already has
		 * queue_depth_max parked messages; nothing enqueued).
		 */
		struct {
			struct st_str sender, recipient, text, idem_key;
			uint64_t ttl_ms;
			struct st_id id;
			uint64_t created_ms, expires_ms;
			bool no_notify;
			bool duplicate;
		} enqueue;
		/*
		 * ST_OP_DELIVERED / ST_OP_FAILED: the message is gone (content,
		 * recipient index); its status becomes delivered / failed
		 * (with @reason) and stays until the original expiry; a
		 * notification for the sender is queued if it asked (none
		 * for a notification), with a delivery notice to the
		 * sender's flows. Errors: -ENOENT (no parked message with this id).
		 */
		struct {
			struct st_id id;
			uint8_t reason;
		} mark;
		/*
		 * ST_OP_STREAM: up to @max parked messages for @recipient with
		 * id > @after (zero id: from the start), in id order, opened
		 * into @buf. @more is set when more may follow: call again with
		 * after = @next_after (the last id looked at, returned or
		 * skipped). A record that fails to authenticate, or whose
		 * sealed recipient is not @recipient (an index entry under the
		 * wrong tag), is skipped, counted in @skipped (and
		 * st_stats.auth_failures) and logged by id; an index entry
		 * whose message is gone is counted in @skipped and dropped.
		 * Skipped entries count toward @max (count + skipped <= max),
		 * so @count may be 0 with @more set.
		 * Errors: -E2BIG (name too long), -ENOBUFS (@buf cannot hold
		 * even the first message).
		 */
		struct {
			struct st_str recipient;
			struct st_id after;
			struct st_msg *msgs;
			uint32_t max;
			uint8_t *buf;
			uint32_t buf_len;
			uint32_t count, skipped;
			bool more;
			struct st_id next_after;
		} stream;
		/*
		 * ST_OP_STATUS: the status of message @id if @requester sent it.
		 * Errors: -ENOENT (no such id, status dropped, or another
		 * user's message: indistinguishable on purpose).
		 */
		struct {
			struct st_str requester;
			struct st_id id;
			uint8_t state, reason;
			uint64_t created_ms, expires_ms, updated_ms;
		} status;
		/*
		 * ST_OP_USER_CREATE: store @payload (opaque, sealed) for @name;
		 * with @replace an existing record is overwritten.
		 * Errors: -EEXIST, -E2BIG, -EINVAL (empty name).
		 * ST_OP_USER_LOOKUP: copy the payload into @buf (@buf_len),
		 * length in @out_len. Errors: -ENOENT, -ENOBUFS.
		 * ST_OP_USER_DELETE: Errors: -ENOENT. The user's tokens stop
		 * working for good: a token is bound to the user record it
		 * was issued against, so a user created again under the same
		 * name does not inherit them. A replace (password change)
		 * writes a new record and so also ends every token of the
		 * user.
		 */
		struct {
			struct st_str name;
			const uint8_t *payload;
			uint32_t payload_len;
			bool replace;
			uint8_t *buf;
			uint32_t buf_len, out_len;
		} user;
		/*
		 * ST_OP_USER_LIST: up to @max user names after @cursor (start
		 * with has_cursor false), copied into @buf and sliced in
		 * @names, in tag order (not alphabetical). On return @cursor
		 * is where to continue, @more whether to. Records that do not
		 * open are skipped (logged) but count toward @max, so @count
		 * may be 0 with @more set.
		 * Errors: -ENOBUFS (@buf cannot hold the first name).
		 */
		struct {
			uint8_t cursor[16];
			bool has_cursor;
			struct st_str *names;
			uint32_t max;
			uint8_t *buf;
			uint32_t buf_len, count;
			bool more;
		} user_list;
		/*
		 * ST_OP_TOKEN_CREATE: remember @token (16..128 bytes, generated
		 * by the caller) for @user until @expires_ms (absolute).
		 * Errors: -ENOENT (no such user), -EEXIST, -EINVAL (bad length,
		 * expiry in the past).
		 * ST_OP_TOKEN_LOOKUP: the user of @token, copied into
		 * @user_buf (@user_len). Errors: -ENOENT (unknown token,
		 * deleted user, or a user record written after the token:
		 * re-created or password replaced), -EKEYREVOKED, -EKEYEXPIRED.
		 * ST_OP_TOKEN_REVOKE: Errors: -ENOENT.
		 */
		struct {
			struct st_str token, user;
			uint64_t expires_ms;
			char user_buf[ST_NAME_MAX];
			uint32_t user_len;
		} token;
		/*
		 * In memory only, never in the WAL, never ST_E_UNAVAILABLE; they
		 * run before the other requests of their batch.
		 * ST_OP_LOC_REGISTER: @user is reachable on @worker / @flow
		 * until @expires_ms (refreshes that flow's binding; a user
		 * may have up to 8 flows bound, one per device: a ninth
		 * replaces the binding that expires first). The worker that
		 * registered streams the user's parked messages itself; later
		 * ones reach it as delivery notices.
		 * Errors: -ENOSPC (location map full), -E2BIG, -EINVAL.
		 * ST_OP_LOC_UNREGISTER: drop the binding of @flow (the user's
		 * other flows keep theirs).
		 * Errors: -ENOENT.
		 * ST_OP_LOC_LOOKUP: out @worker, @flow, @expires_ms of one
		 * live binding of @user.
		 * Errors: -ENOENT (none, or expired).
		 */
		struct {
			struct st_str user;
			uint32_t worker;
			uint64_t flow;
			uint64_t expires_ms;
		} loc;
	};
};

struct st_store_cfg {
	const char *state_dir;
	struct st_keyring *keyring; /* taken over by st_store_open on success */
	uint64_t map_size;          /* initial LMDB map; grows on demand. 0: 64 MiB */
	uint32_t batch_max;         /* B; 0: 128 */
	uint32_t gather_us;         /* T; 0: no waiting beyond what is queued */
	uint32_t ring_size;         /* per channel, power of two; 0: 1024 */
	uint32_t max_workers;       /* channels; 0: 64 */
	uint64_t max_ttl_ms;        /* 0: 72 h */
	uint64_t status_grace_ms;   /* how long an expired message's status stays; 0: 24 h */
	uint64_t notify_ttl_ms;     /* 0: 72 h */
	uint32_t expiry_interval_ms;/* 0: 1000 */
	uint32_t expiry_batch;      /* exp entries per pass (a full pass is followed by another
				       after the next batch); 0: 128 */
	uint64_t checkpoint_bytes;  /* WAL size that triggers a checkpoint; 0: 64 MiB */
	uint32_t unavailable_retry_ms; /* 0: 500 */
	uint32_t loc_capacity;      /* location map slots, power of two; 0: 65536 */
	uint32_t queue_depth_max;   /* parked messages per recipient; 0: no limit */
	bool wal_direct;            /* O_DIRECT WAL segments */
	/*
	 * LMDB commits (each one an fdatasync of data.mdb) are taken off the
	 * ack path: batches fold into a parent transaction that is committed
	 * commit_interval_us (0: 10 ms) after it began, busy or idle, or
	 * after every batch with commit_every_batch. The WAL covers what a
	 * crash loses in between.
	 */
	uint32_t commit_interval_us;
	bool commit_every_batch;
	/* Wall clock in ms; NULL: the real one. Tests inject time here. */
	uint64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
};

struct st_stats {
	uint64_t batches, requests, wal_records, wal_bytes, wal_failures, commits;
	uint64_t expired, purged, checkpoints, map_grows, auth_failures;
	uint64_t parked; /* messages waiting for delivery, as of the last LMDB commit */
	/* queue_depth_max checks answered from the cached count / by a walk */
	uint64_t depth_cached, depth_walks;
	/* Time spent (ns): executing requests in the txn, in the WAL append
	 * (write + fdatasync), in the LMDB commit, in expiry passes. */
	uint64_t exec_ns, wal_ns, commit_ns, expiry_ns, expiry_max_pass_ns;
};

/*
 * st_store_open - lock <state_dir>/lock, open LMDB, replay the WAL, start a
 * fresh WAL segment. Does not start the thread (see st_store_start); until
 * then st_exec_sync may be used.
 * Returns 0, -EBUSY if another process holds the store ("columbad is
 * running; stop it or use the admin API"), -EPROTO on a schema mismatch,
 * -EINVAL (no keyring or no key in it), or -errno.
 */
int st_store_open(struct st_store **out, const struct st_store_cfg *cfg);

/*
 * st_store_chan - the channel of worker @idx (< max_workers), whose bell
 * the store rings after pushing completions. Call before st_store_start.
 * Returns the channel or NULL (-ENOMEM or bad index).
 */
struct st_chan *st_store_chan(struct st_store *s, unsigned idx, struct ring_bell *worker_bell);

/* st_store_start - start the store thread. Returns 0 or -errno. */
int st_store_start(struct st_store *s);

/*
 * st_store_close - stop the thread (after the requests already queued are
 * answered), commit, checkpoint, close everything, release the lock.
 * The channels are freed: call it once the workers have stopped submitting
 * and polling. NULL: no-op.
 */
void st_store_close(struct st_store *s);

/*
 * st_chan_submit - worker side: queue up to @n requests and ring the store's
 * bell. Returns how many were queued (fewer when the channel already has
 * ring_size requests in flight).
 */
uint32_t st_chan_submit(struct st_chan *c, struct st_req *const *reqs, uint32_t n);

/* st_chan_poll - worker side: take up to @n completed requests. Returns the count. */
uint32_t st_chan_poll(struct st_chan *c, struct st_req **out, uint32_t n);

/*
 * st_chan_notices - worker side: take up to @n delivery notices into @flows.
 * A notice names a flow this worker registered (ST_OP_LOC_REGISTER) whose
 * user has a new parked message — a message or a notification for it —
 * that is durable; the worker streams the user's queue (ST_OP_STREAM) after
 * what it has already seen. The store rings the worker's bell after
 * pushing notices. *@lost is set when notices were dropped (the ring was
 * full, or too many users woke at once): the worker must then treat every
 * bound flow as notified. Returns the count.
 */
uint32_t st_chan_notices(struct st_chan *c, uint64_t *flows, uint32_t n, bool *lost);

/* st_chan_inflight - requests submitted and not yet polled back. */
uint32_t st_chan_inflight(const struct st_chan *c);

/*
 * st_exec_sync - run one request in the calling thread as a batch of one
 * (same durability). Only while the store thread is not running (admin
 * commands, tests). Returns req->result.
 */
int st_exec_sync(struct st_store *s, struct st_req *req);

/*
 * st_expire_run - run one expiry pass of at most @max entries now (the store
 * thread does this on its timer). Only while the thread is not running.
 * Returns the number of exp entries handled, or -errno.
 */
int st_expire_run(struct st_store *s, uint32_t max);

/*
 * st_store_checkpoint - commit, sync LMDB and drop the WAL segments (thread
 * not running). Returns 0, -EAGAIN while batches wait to be re-applied
 * (the store is unavailable), or -errno.
 */
int st_store_checkpoint(struct st_store *s);

/*
 * st_store_stats - counters. Safe from any thread while the store thread
 * runs: it then returns the copy the thread published at the end of its
 * last round (a few ms old at most under load, up to one expiry interval
 * when idle).
 */
void st_store_stats(struct st_store *s, struct st_stats *out);

/*
 * st_notify_decode - decode the text of a ST_MSG_F_NOTIFY message: the id
 * (16 bytes), state, reason, time (le64), then the recipient's name.
 * Returns 0 or -EBADMSG.
 */
int st_notify_decode(const struct st_str *text, struct st_notify *out);

/* st_state_name - "enqueued", "delivered", "failed", "expired" or "unknown". */
const char *st_state_name(uint8_t state);

#endif
