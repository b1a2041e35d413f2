/*
 * The store's life cycle (open: lock, schema, WAL replay; close), the
 * worker channels, and the thread: gather a batch (B requests or T µs),
 * run it (store_batch.c), push the completions, ring the bells; the expiry
 * timer is an io_uring timeout beside the poll on the store's bell.
 */
#include "storage/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "base/log.h"

#define UD_BELL 1
#define UD_TICK 2

static uint64_t real_clock(void *ctx)
{
	(void)ctx;
	return clock_wall_ms();
}

static void cfg_defaults(struct st_store_cfg *c)
{
	if (!c->map_size)
		c->map_size = 64ull << 20;
	if (!c->batch_max)
		c->batch_max = 128;
	if (!c->ring_size)
		c->ring_size = 1024;
	if (!c->max_workers)
		c->max_workers = 64;
	if (!c->max_ttl_ms)
		c->max_ttl_ms = 72ull * 3600 * 1000;
	if (!c->status_grace_ms)
		c->status_grace_ms = 24ull * 3600 * 1000;
	if (!c->notify_ttl_ms)
		c->notify_ttl_ms = 72ull * 3600 * 1000;
	if (!c->expiry_interval_ms)
		c->expiry_interval_ms = 1000;
	if (!c->expiry_batch)
		c->expiry_batch = 128;
	if (!c->checkpoint_bytes)
		c->checkpoint_bytes = 64ull << 20;
	if (!c->unavailable_retry_ms)
		c->unavailable_retry_ms = 500;
	if (!c->loc_capacity)
		c->loc_capacity = 65536;
	if (!c->commit_interval_us)
		c->commit_interval_us = 10000;
	if (!c->clock_ms)
		c->clock_ms = real_clock;
}

static int replay_one(void *ctx, uint64_t seq, const uint8_t *payload, uint32_t len)
{
	return st__replay_record(ctx, seq, payload, len);
}

/* The highest id in msg and status: new ids go above it even if the clock stepped back. */
static void idgen_floor(struct st_store *s)
{
	static const enum st_dbi dbs[] = { ST_DB_MSG, ST_DB_STATUS };
	struct st_id floor = { { 0 } };
	MDB_txn *txn;

	if (mdb_txn_begin(s->db.env, NULL, MDB_RDONLY, &txn) == 0) {
		for (unsigned i = 0; i < ARRAY_SIZE(dbs); i++) {
			MDB_cursor *c;
			MDB_val k, v;
			if (mdb_cursor_open(txn, s->db.dbi[dbs[i]], &c))
				continue;
			if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == ST_ID_LEN &&
			    memcmp(k.mv_data, floor.b, ST_ID_LEN) > 0)
				memcpy(floor.b, k.mv_data, ST_ID_LEN);
			mdb_cursor_close(c);
		}
		mdb_txn_abort(txn);
	}
	st_idgen_init(&s->idgen, &floor);
}

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

int st_store_open(struct st_store **out, const struct st_store_cfg *cfg)
{
	struct st_store *s;
	char *lock_path = NULL;
	uint64_t applied = 0, last = 0;
	MDB_txn *txn;
	int rc;

	if (!cfg->keyring || st_keyring_count(cfg->keyring) == 0 || !cfg->state_dir)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	cfg_defaults(&s->cfg);
	s->lock_fd = -1;
	pthread_mutex_init(&s->stats_lock, NULL);
	s->bell.efd = -1;
	s->state_dir = strdup(cfg->state_dir);
	s->wal_dir = path_join(cfg->state_dir, "wal");
	lock_path = path_join(cfg->state_dir, "lock");
	s->chans = calloc(s->cfg.max_workers, sizeof(*s->chans));
	s->batch = calloc(s->cfg.batch_max, sizeof(*s->batch));
	s->wake = calloc(ST_WAKE_MAX, sizeof(*s->wake));
	if (!s->state_dir || !s->wal_dir || !lock_path || !s->chans || !s->batch || !s->wake) {
		rc = -ENOMEM;
		goto fail;
	}
	if (mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (rc == -EBUSY)
			log_error("storage", "store_locked dir=%s hint=\"columbad is running; stop it "
				  "or use the admin API\"", cfg->state_dir);
		goto fail;
	}
	if ((rc = st_db_open(&s->db, cfg->state_dir, s->cfg.map_size)))
		goto fail;
	s->kr = cfg->keyring;
	if ((rc = st_db_err(mdb_txn_begin(s->db.env, NULL, MDB_RDONLY, &txn))))
		goto fail_db;
	rc = st_db_wal_seq(&s->db, txn, &applied);
	mdb_txn_abort(txn);
	if (rc)
		goto fail_db;
	if ((rc = st_wal_replay(s->wal_dir, applied, replay_one, s, &last)) ||
	    (rc = st__parent_commit(s)) || (rc = s->pending.count ? -EIO : 0))
		goto fail_db;
	if (last > applied)
		log_info("storage", "wal_replayed from=%" PRIu64 " to=%" PRIu64, applied + 1, last);
	if ((rc = st_db_err(mdb_env_sync(s->db.env, 1))))
		goto fail_db;
	if ((rc = st_wal_open(&s->wal, s->wal_dir, last + 1, s->cfg.wal_direct ? ST_WAL_DIRECT : 0)))
		goto fail_db;
	idgen_floor(s);
	if ((rc = st__loc_init(&s->loc, s->cfg.loc_capacity)) || (rc = ring_bell_init(&s->bell)))
		goto fail_wal;
	if ((rc = io_uring_queue_init(8, &s->ring, 0)))
		goto fail_wal;
	s->next_expiry_ms = 0;
	free(lock_path);
	*out = s;
	return 0;
fail_wal:
	st_wal_close(s->wal);
fail_db:
	if (s->ptxn)
		mdb_txn_abort(s->ptxn);
	s->ptxn = NULL;
	s->kr = NULL;
	st_db_close(&s->db);
fail:
	st_mutlog_free(&s->plog);
	st_mutlog_free(&s->pending);
	st__loc_fini(&s->loc);
	if (s->bell.efd >= 0)
		ring_bell_fini(&s->bell);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	pthread_mutex_destroy(&s->stats_lock);
	free(lock_path);
	free(s->state_dir);
	free(s->wal_dir);
	free(s->chans);
	free(s->batch);
	free(s->wake);
	free(s);
	return rc;
}

struct st_chan *st_store_chan(struct st_store *s, unsigned idx, struct ring_bell *worker_bell)
{
	struct st_chan *c;

	if (idx >= s->cfg.max_workers || s->running)
		return NULL;
	if (s->chans[idx])
		return s->chans[idx];
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (ring_init(&c->req, s->cfg.ring_size) != 0) {
		free(c);
		return NULL;
	}
	if (ring_init(&c->done, s->cfg.ring_size) != 0) {
		ring_fini(&c->req);
		free(c);
		return NULL;
	}
	if (ring_init(&c->note, s->cfg.ring_size) != 0) {
		ring_fini(&c->req);
		ring_fini(&c->done);
		free(c);
		return NULL;
	}
	c->worker_bell = worker_bell;
	c->s = s;
	c->idx = (uint16_t)idx;
	s->chans[idx] = c;
	return c;
}

uint32_t st_chan_submit(struct st_chan *c, struct st_req *const *reqs, uint32_t n)
{
	uint32_t room = ring_capacity(&c->req) - c->inflight, done;

	if (n > room)
		n = room;
	for (uint32_t i = 0; i < n; i++)
		reqs[i]->chan = c->idx;
	done = ring_enqueue_burst(&c->req, (void *const *)reqs, n);
	c->inflight += done;
	if (done)
		ring_bell_ring(&c->s->bell);
	return done;
}

uint32_t st_chan_poll(struct st_chan *c, struct st_req **out, uint32_t n)
{
	uint32_t got = ring_dequeue_burst(&c->done, (void **)out, n);

	c->inflight -= got;
	return got;
}

uint32_t st_chan_inflight(const struct st_chan *c)
{
	return c->inflight;
}

uint32_t st_chan_notices(struct st_chan *c, uint64_t *flows, uint32_t n, bool *lost)
{
	void *v[64];
	uint32_t got = 0;

	/* Called every loop turn: read the shared flag, write it only when set. */
	*lost = atomic_load_explicit(&c->note_lost, memory_order_acquire) &&
		atomic_exchange_explicit(&c->note_lost, false, memory_order_acq_rel);
	while (got < n) {
		uint32_t want = n - got < ARRAY_SIZE(v) ? n - got : (uint32_t)ARRAY_SIZE(v);
		uint32_t k = ring_dequeue_burst(&c->note, v, want);

		for (uint32_t i = 0; i < k; i++)
			flows[got + i] = (uint64_t)(uintptr_t)v[i];
		got += k;
		if (k < want)
			break;
	}
	return got;
}

void st__wake(struct st_store *s, const struct st_str *user)
{
	if (s->loc.count == 0 || s->wake_all)
		return; /* nobody to tell */
	if (s->n_wake == ST_WAKE_MAX ||
	    st__name_tag(s, st_keyring_id_at(s->kr, 0), user, s->wake[s->n_wake]) != 0) {
		s->wake_all = true;
		return;
	}
	s->n_wake++;
}

void st__wake_reset(struct st_store *s)
{
	s->n_wake = 0;
	s->wake_all = false;
}

static void note_push(struct st_store *s, uint32_t worker, uint64_t flow)
{
	struct st_chan *c = worker < s->cfg.max_workers ? s->chans[worker] : NULL;
	void *v = (void *)(uintptr_t)flow;

	if (!c)
		return;
	if (ring_enqueue_burst(&c->note, &v, 1) != 1)
		atomic_store_explicit(&c->note_lost, true, memory_order_release);
	c->note_touched = true;
}

void st__wake_flush(struct st_store *s)
{
	uint64_t now;

	if (!s->n_wake && !s->wake_all)
		return;
	now = st__now(s);
	for (uint32_t i = 0; i < s->n_wake && !s->wake_all; i++) {
		struct st_loc_ent *e[ST_LOC_PER_USER];
		uint32_t n = st__loc_all(&s->loc, s->wake[i], now, e, ST_LOC_PER_USER);

		for (uint32_t j = 0; j < n; j++)
			note_push(s, e[j]->worker, e[j]->flow);
	}
	for (uint32_t i = 0; i < s->cfg.max_workers; i++) {
		struct st_chan *c = s->chans[i];

		if (!c)
			continue;
		if (s->wake_all) {
			atomic_store_explicit(&c->note_lost, true, memory_order_release);
			c->note_touched = true;
		}
		if (c->note_touched) {
			c->note_touched = false;
			if (c->worker_bell)
				ring_bell_ring(c->worker_bell);
		}
	}
	st__wake_reset(s);
}

/* Take up to @max requests from the channels, round robin. */
static uint32_t gather(struct st_store *s, uint32_t have, uint32_t max)
{
	for (uint32_t i = 0; i < s->cfg.max_workers && have < max; i++) {
		struct st_chan *c = s->chans[i];
		if (c)
			have += ring_dequeue_burst(&c->req, (void **)s->batch + have, max - have);
	}
	return have;
}

static void push_completions(struct st_store *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct st_chan *c = s->chans[s->batch[i]->chan];
		void *r = s->batch[i];
		BUG_ON(ring_enqueue_burst(&c->done, &r, 1) != 1);
		c->touched = true;
	}
	for (uint32_t i = 0; i < s->cfg.max_workers; i++) {
		struct st_chan *c = s->chans[i];
		if (c && c->touched) {
			c->touched = false;
			if (c->worker_bell)
				ring_bell_ring(c->worker_bell);
		}
	}
}

/*
 * Nanoseconds until the open parent transaction is due for its commit; 0 if
 * due now; UINT64_MAX if there is none. Even an idle store waits for the
 * interval: committing at once would put LMDB's fsync back in front of the
 * next request under light load.
 */
static uint64_t commit_wait_ns(struct st_store *s)
{
	uint64_t due, now;

	if (!s->ptxn)
		return UINT64_MAX;
	due = s->ptxn_start_ns + (uint64_t)s->cfg.commit_interval_us * 1000;
	now = clock_mono_ns();
	return now >= due ? 0 : due - now;
}

/* Handle every completion on the store's own ring (bell poll, expiry tick). */
static void reap(struct st_store *s, bool *tick)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&s->ring, &cqe) == 0) {
		if (cqe->user_data == UD_BELL) {
			s->poll_armed = false;
			ring_bell_drain(&s->bell);
		} else if (cqe->user_data == UD_TICK) {
			s->tick_armed = false;
			*tick = true;
		}
		io_uring_cqe_seen(&s->ring, cqe);
	}
}

static void arm(struct st_store *s)
{
	struct io_uring_sqe *sqe;

	if (!s->poll_armed && (sqe = io_uring_get_sqe(&s->ring))) {
		io_uring_prep_poll_add(sqe, s->bell.efd, POLLIN);
		sqe->user_data = UD_BELL;
		s->poll_armed = true;
	}
	if (!s->tick_armed && (sqe = io_uring_get_sqe(&s->ring))) {
		s->tick_ts.tv_sec = s->cfg.expiry_interval_ms / 1000;
		s->tick_ts.tv_nsec = (long long)(s->cfg.expiry_interval_ms % 1000) * 1000000;
		io_uring_prep_timeout(sqe, &s->tick_ts, 0, 0);
		sqe->user_data = UD_TICK;
		s->tick_armed = true;
	}
	io_uring_submit(&s->ring);
}

/* Sleep until the bell, the expiry tick, or @timeout_ns (0: no limit). */
static void wait_events(struct st_store *s, uint64_t timeout_ns, bool *tick)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { (long long)(timeout_ns / 1000000000u),
					(long long)(timeout_ns % 1000000000u) };

	arm(s);
	if (timeout_ns)
		io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts);
	else
		io_uring_wait_cqe(&s->ring, &cqe);
	reap(s, tick);
}

/* Publish the counters for st_store_stats (store thread; a few hundred ns per round). */
static void stats_publish(struct st_store *s)
{
	pthread_mutex_lock(&s->stats_lock);
	s->stats_pub = s->stats;
	pthread_mutex_unlock(&s->stats_lock);
}

static void *store_thread(void *arg)
{
	struct st_store *s = arg;
	uint32_t B = s->cfg.batch_max;
	bool tick = true;

	for (;;) {
		uint32_t n = gather(s, 0, B);

		if (n == 0) {
			if (atomic_load(&s->stop)) {
				/* The parent txn is this thread's: commit it here, not in st_store_close. */
				st__parent_commit(s);
				stats_publish(s);
				break;
			}
			if (commit_wait_ns(s) == 0) {
				st__parent_commit(s); /* idle, and the commit is due */
				continue;
			}
			ring_bell_arm(&s->bell);
			n = gather(s, 0, B);
			if (n == 0 && !tick && !atomic_load(&s->stop)) {
				/* Due by now (time passed since the check above): commit, never wait unbounded. */
				uint64_t wait_ns = s->ptxn ? commit_wait_ns(s) : 0;
				if (s->ptxn && wait_ns == 0)
					st__parent_commit(s);
				else
					wait_events(s, wait_ns, &tick);
			}
			ring_bell_disarm(&s->bell);
		}
		if (n && n < B && s->cfg.gather_us) {
			uint64_t deadline = clock_mono_ns() + (uint64_t)s->cfg.gather_us * 1000;
			for (;;) {
				uint64_t now;
				n = gather(s, n, B);
				now = clock_mono_ns();
				if (n >= B || now >= deadline)
					break;
				ring_bell_arm(&s->bell);
				n = gather(s, n, B);
				if (n < B)
					wait_events(s, deadline - now, &tick);
				ring_bell_disarm(&s->bell);
			}
		}
		if (n) {
			bool wrote = st__batch_run(s, s->batch, n);
			push_completions(s, n);
			st__wake_flush(s);
			if (wrote)
				st__batch_commit(s, false);
			else if (commit_wait_ns(s) == 0)
				st__parent_commit(s);
		}
		reap(s, &tick);
		stats_publish(s);
		if (tick) {
			tick = false;
			arm(s);
			/* The timer also probes a store stuck with batches LMDB lacks. */
			if (s->unavailable && s->pending.count && st__now(s) >= s->retry_at_ms) {
				if (st__apply_pending(s) == 0) {
					s->unavailable = false;
					log_info("storage", "store_available_again");
				} else {
					s->retry_at_ms = st__now(s) + s->cfg.unavailable_retry_ms;
				}
			}
			/* A full pass means more is due: another one after the next batch. */
			if (!s->unavailable &&
			    st__expire_now(s, s->cfg.expiry_batch) == (int)s->cfg.expiry_batch)
				tick = true;
			st__wake_flush(s); /* expiry notifications */
		}
	}
	return NULL;
}

int st_store_start(struct st_store *s)
{
	int rc;

	/* The parent txn is bound to the thread that began it: leave none to the store thread. */
	if ((rc = st__parent_commit(s)))
		return rc;
	stats_publish(s);
	atomic_store(&s->stop, false);
	s->running = true;
	rc = pthread_create(&s->thread, NULL, store_thread, s);
	if (rc) {
		s->running = false;
		return -rc;
	}
	return 0;
}

void st_store_close(struct st_store *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (s->running) {
		atomic_store(&s->stop, true);
		if (write(s->bell.efd, &one, sizeof(one)) < 0)
			log_warn("storage", "bell_write_failed errno=%d", errno);
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	st__parent_commit(s);
	if (s->pending.count && st__apply_pending(s) != 0)
		log_error("storage", "close_with_pending seq=%" PRIu64 " note=\"replayed from the WAL "
			  "at the next open\"", s->pending_seq);
	else
		st_store_checkpoint(s);
	st_wal_close(s->wal);
	st_db_close(&s->db);
	st_keyring_free(s->kr);
	for (uint32_t i = 0; i < s->cfg.max_workers; i++) {
		if (s->chans[i]) {
			ring_fini(&s->chans[i]->req);
			ring_fini(&s->chans[i]->done);
			ring_fini(&s->chans[i]->note);
			free(s->chans[i]);
		}
	}
	io_uring_queue_exit(&s->ring);
	ring_bell_fini(&s->bell);
	st__loc_fini(&s->loc);
	st_mutlog_free(&s->log);
	st_mutlog_free(&s->pending);
	st_mutlog_free(&s->plog);
	close(s->lock_fd);
	pthread_mutex_destroy(&s->stats_lock);
	free(s->state_dir);
	free(s->wal_dir);
	free(s->chans);
	free(s->batch);
	free(s->wake);
	free(s);
}

void st_store_stats(struct st_store *s, struct st_stats *out)
{
	if (!s->running) {
		*out = s->stats;
		return;
	}
	pthread_mutex_lock(&s->stats_lock);
	*out = s->stats_pub;
	pthread_mutex_unlock(&s->stats_lock);
}
