/*
 * columba-bench-storage: the store's durable throughput and ack latency per
 * batch limit, LMDB apply and expiry scan rates, and this machine's ceilings
 * measured in the same run:
 *   - one 4 KB write + fdatasync (pwrite, io_uring write linked to fsync, and
 *     into zero-filled space as the WAL does)
 *   - LMDB with one synced commit per put
 *   - LMDB batches of 1000 puts with MDB_APPEND, one synced commit each
 *
 * Usage: columba-bench-storage [dir] [seconds per point]   (default /var/tmp, 2)
 * Prints a Markdown table (docs/storage.md keeps the last one).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <lmdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "storage/seal.h"
#include "storage/store.h"
#include "storage/wal.h"

static const char *base_dir = "/var/tmp";
static double secs = 2.0;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t i = (size_t)(p * (double)(n - 1));
	return v[i];
}

static char *mkdir_tmp(const char *tag)
{
	char *p = malloc(512);
	snprintf(p, 512, "%s/columba-bench-%s-XXXXXX", base_dir, tag);
	if (!mkdtemp(p)) {
		perror("mkdtemp");
		exit(1);
	}
	return p;
}

static void rmrf(const char *d)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", d);
}

/* Ceiling 1: 4 KB append + fdatasync, plain syscalls and io_uring linked. */
static void ceiling_fsync(uint64_t *p50_sys, uint64_t *p50_uring, uint64_t *p99_sys, uint64_t *p50_zeroed)
{
	enum { N = 300 };
	static uint64_t lat[N];
	static uint8_t buf[4096] __attribute__((aligned(4096)));
	char *d = mkdir_tmp("fsync"), path[600];
	struct io_uring ring;

	snprintf(path, sizeof(path), "%s/f", d);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < N; i++) {
		uint64_t t = clock_mono_ns();
		if (pwrite(fd, buf, sizeof(buf), (off_t)i * 4096) != 4096 || fdatasync(fd) != 0)
			perror("pwrite/fdatasync");
		lat[i] = clock_mono_ns() - t;
	}
	*p50_sys = pct(lat, N, 0.5);
	*p99_sys = pct(lat, N, 0.99);
	io_uring_queue_init(4, &ring, 0);
	for (int i = 0; i < N; i++) {
		struct io_uring_cqe *cqe;
		uint64_t t = clock_mono_ns();
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		io_uring_prep_write(sqe, fd, buf, sizeof(buf), (uint64_t)(N + i) * 4096);
		sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		io_uring_submit_and_wait(&ring, 2);
		for (int k = 0; k < 2; k++) {
			io_uring_wait_cqe(&ring, &cqe);
			io_uring_cqe_seen(&ring, cqe);
		}
		lat[i] = clock_mono_ns() - t;
	}
	*p50_uring = pct(lat, N, 0.5);
	io_uring_queue_exit(&ring);
	/* Into zero-filled space: the file size does not change (the WAL's way). */
	static uint8_t zero[1 << 20];
	for (int i = 0; i < 2; i++)
		if (pwrite(fd, zero, sizeof(zero), (off_t)(2 * N * 4096) + (off_t)i * (off_t)sizeof(zero)) < 0)
			perror("pwrite");
	fdatasync(fd);
	for (int i = 0; i < N; i++) {
		uint64_t t = clock_mono_ns();
		if (pwrite(fd, buf, sizeof(buf), (off_t)(2 * N + i) * 4096) != 4096 || fdatasync(fd) != 0)
			perror("pwrite/fdatasync");
		lat[i] = clock_mono_ns() - t;
	}
	*p50_zeroed = pct(lat, N, 0.5);
	close(fd);
	rmrf(d);
}

/* Ceilings 2 and 3: LMDB synced commits. Returns puts/s. */
static double ceiling_lmdb(unsigned per_txn, unsigned flags_put, double budget_s)
{
	char *d = mkdir_tmp("lmdb");
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *txn;
	uint8_t val[200];
	uint64_t key = 0, puts = 0, t0 = clock_mono_ns(), deadline = t0 + (uint64_t)(budget_s * 1e9);

	memset(val, 'v', sizeof(val));
	mdb_env_create(&env);
	mdb_env_set_mapsize(env, 1ull << 30);
	if (mdb_env_open(env, d, 0, 0600)) {
		fprintf(stderr, "mdb_env_open failed\n");
		exit(1);
	}
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, NULL, 0, &dbi);
	mdb_txn_commit(txn);
	while (clock_mono_ns() < deadline) {
		mdb_txn_begin(env, NULL, 0, &txn);
		for (unsigned i = 0; i < per_txn; i++) {
			uint64_t be = __builtin_bswap64(++key);
			MDB_val k = { sizeof(be), &be }, v = { sizeof(val), val };
			if (mdb_put(txn, dbi, &k, &v, flags_put)) {
				fprintf(stderr, "mdb_put failed\n");
				exit(1);
			}
		}
		mdb_txn_commit(txn);
		puts += per_txn;
	}
	double rate = (double)puts / ((double)(clock_mono_ns() - t0) / 1e9);
	mdb_env_close(env);
	rmrf(d);
	return rate;
}

static struct st_keyring *bench_keyring(void)
{
	uint8_t m[ST_MASTER_KEY_LEN];
	struct st_keyring *kr = st_keyring_new();
	memset(m, 0x42, sizeof(m));
	if (!kr || st_keyring_add(kr, 1, m) != 0)
		exit(1);
	return kr;
}

struct point {
	uint32_t batch;
	bool direct;
	uint32_t inflight;
	double rate;
	uint64_t p50_us, p99_us;
	double avg_batch;
	double apply_rate;  /* requests / (exec + commit time) */
	double wal_us;      /* mean WAL append (write + fdatasync) */
	bool really_direct;
};

static const char text[] = "a benchmark message of a typical length, about sixty bytes..";

/* Durable enqueues through a channel with the store thread running. */
static void run_point(struct point *pt)
{
	char *d = mkdir_tmp("store");
	struct st_store_cfg cfg = {
		.state_dir = d,
		.keyring = bench_keyring(),
		.batch_max = pt->batch,
		.gather_us = pt->batch > 1 ? 200 : 0,
		.ring_size = 4096,
		.map_size = 256ull << 20,
		.wal_direct = pt->direct,
	};
	struct st_store *s;
	struct ring_bell bell;
	uint32_t inflight = pt->inflight;
	struct st_req *reqs = calloc(inflight, sizeof(*reqs)), **done = calloc(inflight, sizeof(*done));
	struct st_req **freel = calloc(inflight, sizeof(*freel));
	uint64_t *sent_at = calloc(inflight, sizeof(*sent_at));
	size_t lat_cap = 4u << 20, nlat = 0;
	uint64_t *lat = malloc(lat_cap * sizeof(*lat));
	uint32_t nfree = inflight;
	uint64_t acked = 0;
	struct st_stats st;

	if (st_store_open(&s, &cfg) != 0) {
		fprintf(stderr, "st_store_open failed\n");
		exit(1);
	}
	struct st_req u = { .op = ST_OP_USER_CREATE };
	u.user.name = (struct st_str){ "bench-rcpt", 10 };
	st_exec_sync(s, &u);
	ring_bell_init(&bell);
	struct st_chan *c = st_store_chan(s, 0, &bell);
	st_store_start(s);
	for (uint32_t i = 0; i < inflight; i++)
		freel[i] = &reqs[i];
	uint64_t t0 = clock_mono_ns(), deadline = t0 + (uint64_t)(secs * 1e9);
	while (clock_mono_ns() < deadline || nfree < inflight) {
		bool more = clock_mono_ns() < deadline;
		while (more && nfree) {
			struct st_req *q = freel[--nfree];
			memset(q, 0, sizeof(*q));
			q->op = ST_OP_ENQUEUE;
			q->enqueue.sender = (struct st_str){ "bench-sender", 12 };
			q->enqueue.recipient = (struct st_str){ "bench-rcpt", 10 };
			q->enqueue.text = (struct st_str){ text, sizeof(text) - 1 };
			sent_at[q - reqs] = clock_mono_ns();
			if (st_chan_submit(c, &q, 1) != 1) {
				nfree++;
				break;
			}
		}
		ring_bell_arm(&bell);
		uint32_t n = st_chan_poll(c, done, inflight);
		if (n == 0) {
			struct pollfd p = { bell.efd, POLLIN, 0 };
			poll(&p, 1, 5);
			ring_bell_drain(&bell);
		}
		ring_bell_disarm(&bell);
		uint64_t now = clock_mono_ns();
		for (uint32_t i = 0; i < n; i++) {
			if (done[i]->result != 0) {
				fprintf(stderr, "enqueue failed: %d\n", done[i]->result);
				exit(1);
			}
			if (nlat < lat_cap)
				lat[nlat++] = now - sent_at[done[i] - reqs];
			freel[nfree++] = done[i];
			acked++;
		}
	}
	double el = (double)(clock_mono_ns() - t0) / 1e9;
	st_store_stats(s, &st);
	pt->rate = (double)acked / el;
	pt->p50_us = pct(lat, nlat, 0.5) / 1000;
	pt->p99_us = pct(lat, nlat, 0.99) / 1000;
	pt->avg_batch = st.batches ? (double)st.requests / (double)st.batches : 0;
	pt->apply_rate = (double)st.requests / ((double)(st.exec_ns + st.commit_ns) / 1e9);
	pt->wal_us = st.wal_records ? (double)st.wal_ns / (double)st.wal_records / 1000 : 0;
	/* Whether O_DIRECT took here (tmpfs refuses it and the WAL falls back). */
	pt->really_direct = false;
	if (pt->direct) {
		char path[600];
		struct st_wal *probe;
		snprintf(path, sizeof(path), "%s/probe-wal", d);
		if (st_wal_open(&probe, path, 1, ST_WAL_DIRECT) == 0) {
			pt->really_direct = st_wal_is_direct(probe);
			st_wal_close(probe);
		}
	}
	st_store_close(s);
	ring_bell_fini(&bell);
	free(reqs);
	free(done);
	free(freel);
	free(sent_at);
	free(lat);
	rmrf(d);
}

static struct st_fake_clock_ctx {
	uint64_t now;
} fclk;

static uint64_t fake_clock(void *ctx)
{
	return ((struct st_fake_clock_ctx *)ctx)->now;
}

/* Expiry: N parked messages all due; passes of 128 (the default) until none is left. */
static void run_expiry(unsigned n, double *rate, double *max_pass_ms)
{
	char *d = mkdir_tmp("expiry");
	struct st_store_cfg cfg = {
		.state_dir = d, .map_size = 256ull << 20, .clock_ms = fake_clock, .clock_ctx = &fclk,
		.batch_max = 1024, .ring_size = 1024,
	};
	struct st_store *s;
	struct st_stats st;
	struct ring_bell bell;
	struct st_req *reqs = calloc(n, sizeof(*reqs)), *done[256];

	fclk.now = 1700000000000ull;
	cfg.keyring = bench_keyring();
	if (!reqs || st_store_open(&s, &cfg) != 0)
		exit(1);
	struct st_req u = { .op = ST_OP_USER_CREATE };
	u.user.name = (struct st_str){ "bench-rcpt", 10 };
	st_exec_sync(s, &u);
	/* Fill through the store thread (batched), not one fsync per message. */
	ring_bell_init(&bell);
	struct st_chan *c = st_store_chan(s, 0, &bell);
	st_store_start(s);
	unsigned sent = 0, got = 0;
	while (got < n) {
		while (sent < n) {
			struct st_req *r = &reqs[sent];
			r->op = ST_OP_ENQUEUE;
			r->enqueue.sender = (struct st_str){ "bench-sender", 12 };
			r->enqueue.recipient = (struct st_str){ "bench-rcpt", 10 };
			r->enqueue.text = (struct st_str){ text, sizeof(text) - 1 };
			r->enqueue.ttl_ms = 1000;
			if (st_chan_submit(c, &r, 1) != 1)
				break;
			sent++;
		}
		ring_bell_arm(&bell);
		uint32_t k = st_chan_poll(c, done, 256);
		if (k == 0) {
			struct pollfd p = { bell.efd, POLLIN, 0 };
			poll(&p, 1, 5);
			ring_bell_drain(&bell);
		}
		ring_bell_disarm(&bell);
		for (uint32_t i = 0; i < k; i++)
			if (done[i]->result != 0)
				exit(1);
		got += k;
	}
	st_store_close(s);
	ring_bell_fini(&bell);
	free(reqs);

	cfg.keyring = bench_keyring();
	if (st_store_open(&s, &cfg) != 0)
		exit(1);
	fclk.now += 2000;
	unsigned total = 0;
	int k;
	while ((k = st_expire_run(s, 128)) > 0)
		total += (unsigned)k;
	st_store_stats(s, &st);
	*rate = (double)total / ((double)st.expiry_ns / 1e9);
	*max_pass_ms = (double)st.expiry_max_pass_ns / 1e6;
	st_store_close(s);
	rmrf(d);
}

int main(int argc, char **argv)
{
	uint64_t f50, fu50, f99, fz50;
	double expiry_rate, expiry_pass_ms;

	if (argc > 1)
		base_dir = argv[1];
	if (argc > 2)
		secs = atof(argv[2]);
	log_set_level(LOG_WARN);

	ceiling_fsync(&f50, &fu50, &f99, &fz50);
	double one_per_commit = ceiling_lmdb(1, 0, 1.5);
	double append1000 = ceiling_lmdb(1000, MDB_APPEND, 2.0);

	struct point pts[] = {
		{ .batch = 1, .inflight = 2 },
		{ .batch = 16, .inflight = 32 },
		{ .batch = 128, .inflight = 256 },
		{ .batch = 1024, .inflight = 2048 },
		{ .batch = 1, .inflight = 2, .direct = true },
		{ .batch = 128, .inflight = 256, .direct = true },
		{ .batch = 1024, .inflight = 2048, .direct = true },
	};
	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++)
		run_point(&pts[i]);
	run_expiry(20000, &expiry_rate, &expiry_pass_ms);

	printf("## columba-bench-storage (dir %s, %.1f s per point)\n\n", base_dir, secs);
	printf("Machine ceilings (same run):\n\n");
	printf("| ceiling | value |\n|---|---|\n");
	printf("| 4 KB pwrite + fdatasync, p50 / p99 | %" PRIu64 " / %" PRIu64 " µs |\n", f50 / 1000, f99 / 1000);
	printf("| 4 KB io_uring write linked to fdatasync, p50 | %" PRIu64 " µs |\n", fu50 / 1000);
	printf("| 4 KB pwrite + fdatasync into zero-filled space, p50 | %" PRIu64 " µs |\n", fz50 / 1000);
	printf("| LMDB, one synced commit per put | %.0f puts/s |\n", one_per_commit);
	printf("| LMDB, batches of 1000 with MDB_APPEND, synced | %.0f puts/s |\n\n", append1000);
	printf("Store (one worker thread, closed loop, in-flight = 2 x B; gather T = 200 µs for B > 1):\n\n");
	printf("| B | WAL | in flight | durable enqueues/s | ack p50 | ack p99 | mean batch | WAL append | LMDB apply |\n");
	printf("|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		struct point *p = &pts[i];
		printf("| %u | %s | %u | %.0f | %" PRIu64 " µs | %" PRIu64 " µs | %.1f | %.0f µs | %.0f req/s |\n",
		       p->batch, p->direct ? (p->really_direct ? "O_DIRECT" : "O_DIRECT refused, buffered") : "buffered",
		       p->inflight, p->rate, p->p50_us, p->p99_us, p->avg_batch, p->wal_us, p->apply_rate);
	}
	printf("\nExpiry: %.0f messages/s in passes of 128, commit excluded (longest pass %.2f ms).\n", expiry_rate,
	       expiry_pass_ms);
	return 0;
}
