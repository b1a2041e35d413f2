/*
 * Unit tests for storage/wal: append and replay, replay after a sequence,
 * rotation, O_DIRECT padding, and the torn-WAL test: the last record cut at
 * every offset and corrupted at every byte keeps every earlier record.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "storage/wal.h"
#include "storage/walrec.h"

static char dir[64];

struct seen {
	unsigned n;
	uint64_t seqs[64];
	char payloads[64][32];
};

static int collect(void *ctx, uint64_t seq, const uint8_t *p, uint32_t len)
{
	struct seen *s = ctx;
	if (s->n == 64 || len >= 32)
		return -E2BIG;
	s->seqs[s->n] = seq;
	memcpy(s->payloads[s->n], p, len);
	s->payloads[s->n][len] = 0;
	s->n++;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/st-wal-XXXXXX");
	log_set_level(LOG_ERROR);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void write_records(const char *d, unsigned flags, unsigned n)
{
	struct st_wal *w;
	char p[32];
	uint64_t seq;

	assert_int_equal(st_wal_open(&w, d, 1, flags), 0);
	for (unsigned i = 0; i < n; i++) {
		int len = snprintf(p, sizeof(p), "record-%u", i);
		assert_int_equal(st_wal_append(w, (uint8_t *)p, (uint32_t)len, &seq), 0);
		assert_int_equal(seq, i + 1);
	}
	st_wal_close(w);
}

static void check_prefix(const char *d, unsigned expect)
{
	struct seen s = { 0 };
	uint64_t last;

	assert_int_equal(st_wal_replay(d, 0, collect, &s, &last), 0);
	assert_int_equal(s.n, expect);
	assert_int_equal(last, expect);
	for (unsigned i = 0; i < expect; i++) {
		char p[32];
		snprintf(p, sizeof(p), "record-%u", i);
		assert_string_equal(s.payloads[i], p);
		assert_int_equal(s.seqs[i], i + 1);
	}
}

static void test_append_replay(void **state)
{
	char d[128];
	struct seen s = { 0 };
	uint64_t last;
	(void)state;

	snprintf(d, sizeof(d), "%s/a", dir);
	write_records(d, 0, 10);
	check_prefix(d, 10);
	assert_int_equal(st_wal_replay(d, 7, collect, &s, &last), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seqs[0], 8);
	assert_int_equal(last, 10);
}

static void test_rotate(void **state)
{
	char d[128], p[160];
	struct st_wal *w;
	struct seen s = { 0 };
	uint64_t seq, last;
	struct stat st;
	(void)state;

	snprintf(d, sizeof(d), "%s/r", dir);
	assert_int_equal(st_wal_open(&w, d, 100, 0), 0);
	assert_int_equal(st_wal_append(w, (uint8_t *)"a", 1, &seq), 0);
	assert_int_equal(seq, 100);
	assert_int_equal(st_wal_rotate(w), 0);
	assert_int_equal(st_wal_append(w, (uint8_t *)"b", 1, &seq), 0);
	assert_int_equal(seq, 101);
	snprintf(p, sizeof(p), "%s/%016x.wal", d, 100);
	assert_int_equal(stat(p, &st), -1);
	snprintf(p, sizeof(p), "%s/%016x.wal", d, 101);
	assert_int_equal(stat(p, &st), 0);
	st_wal_close(w);
	assert_int_equal(st_wal_replay(d, 0, collect, &s, &last), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.payloads[0], "b");
	/* re-opening drops everything: the caller has applied it */
	assert_int_equal(st_wal_open(&w, d, 102, 0), 0);
	st_wal_close(w);
	s.n = 0;
	assert_int_equal(st_wal_replay(d, 0, collect, &s, &last), 0);
	assert_int_equal(s.n, 0);
}

static void test_direct(void **state)
{
	char d[128], p[160];
	struct st_wal *w;
	uint64_t seq;
	struct stat st;
	(void)state;

	snprintf(d, sizeof(d), "%s/d", dir);
	assert_int_equal(st_wal_open(&w, d, 1, ST_WAL_DIRECT), 0);
	bool direct = st_wal_is_direct(w);
	for (int i = 0; i < 3; i++)
		assert_int_equal(st_wal_append(w, (uint8_t *)"record-x", 8, &seq), 0);
	st_wal_close(w);
	snprintf(p, sizeof(p), "%s/%016x.wal", d, 1);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size % (1 << 20), 0); /* zero-filled ahead in 1 MiB chunks */
	if (direct) {
		/* each record padded to 4096 bytes */
		uint8_t *b = malloc((size_t)st.st_size);
		int fd = open(p, O_RDONLY);
		assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
		close(fd);
		for (int i = 0; i < 3; i++) {
			struct st_wal_rec r;
			assert_int_equal(st_wal_decode(b + i * 4096, 4096, &r), 4096);
			assert_int_equal(r.seq, (uint64_t)i + 1);
		}
		free(b);
	} else {
		print_message("O_DIRECT unsupported here; buffered fallback checked\n");
	}
	struct seen s = { 0 };
	uint64_t last;
	assert_int_equal(st_wal_replay(d, 0, collect, &s, &last), 0);
	assert_int_equal(s.n, 3);
}

/* The torn-WAL test. */
static void test_torn_tail(void **state)
{
	char d[128], p[160];
	struct stat st;
	off_t full, last_start;
	uint8_t *orig;
	int fd;
	(void)state;

	snprintf(d, sizeof(d), "%s/t", dir);
	write_records(d, 0, 5);
	snprintf(p, sizeof(p), "%s/%016x.wal", d, 1);
	assert_int_equal(stat(p, &st), 0);
	off_t size = st.st_size; /* records, then zero-filled space */
	full = 5 * ST_WAL_HDR_LEN + 5 * (off_t)strlen("record-0");
	last_start = full - (ST_WAL_HDR_LEN + (off_t)strlen("record-4"));
	orig = malloc((size_t)size);
	fd = open(p, O_RDWR);
	assert_int_equal(pread(fd, orig, (size_t)size, 0), size);
	static const uint8_t zeros[64];

	for (off_t cut = last_start; cut < full; cut++) {
		/* the file cut short */
		assert_int_equal(ftruncate(fd, cut), 0);
		check_prefix(d, 4);
		assert_int_equal(pwrite(fd, orig, (size_t)size, 0), size);
		/* the record's tail never written: zeros up to the zero-filled space */
		assert_int_equal(pwrite(fd, zeros, (size_t)(full - cut), cut), full - cut);
		check_prefix(d, 4);
		assert_int_equal(pwrite(fd, orig, (size_t)size, 0), size);
	}
	for (off_t i = last_start; i < full; i++) {
		uint8_t b = orig[i] ^ 0x01;
		assert_int_equal(pwrite(fd, &b, 1, i), 1);
		check_prefix(d, 4);
		assert_int_equal(pwrite(fd, orig + i, 1, i), 1);
	}
	/* garbage after intact records, in the zero-filled space, is ignored too */
	assert_int_equal(pwrite(fd, "garbage-garbage-garbage", 23, full + 100), 23);
	check_prefix(d, 5);
	close(fd);
	free(orig);
}


static void seg_file(char *out, size_t cap, const char *d, uint64_t seq)
{
	snprintf(out, cap, "%s/%016" PRIx64 ".wal", d, seq);
}

static void flip_byte(const char *path, off_t at)
{
	uint8_t b;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

/*
 * One damaged record in the middle: the intact, acknowledged ones after it
 * must not be dropped silently. Replay fails with -EBADMSG and leaves the
 * files as they were; the records before it were offered.
 */
static void test_corrupt_middle(void **state)
{
	char d[128], p[160];
	struct stat before, after;
	struct seen s = { 0 };
	uint64_t last;
	off_t rec = ST_WAL_HDR_LEN + (off_t)strlen("record-0");
	(void)state;

	snprintf(d, sizeof(d), "%s/m", dir);
	write_records(d, 0, 5);
	seg_file(p, sizeof(p), d, 1);
	for (off_t at = rec; at < 2 * rec; at++) { /* every byte of record 2 */
		flip_byte(p, at);
		memset(&s, 0, sizeof(s));
		assert_int_equal(stat(p, &before), 0);
		assert_int_equal(st_wal_replay(d, 0, collect, &s, &last), -EBADMSG);
		assert_int_equal(s.n, 1);
		assert_int_equal(stat(p, &after), 0);
		assert_int_equal(after.st_size, before.st_size);
		flip_byte(p, at);
	}
	/* the same damage in records LMDB already holds is not a loss */
	flip_byte(p, rec + 30);
	memset(&s, 0, sizeof(s));
	assert_int_equal(st_wal_replay(d, 5, collect, &s, &last), 0);
	assert_int_equal(last, 5);
	flip_byte(p, rec + 30);
	check_prefix(d, 5);
}

/* Sequences run on across segments: a missing range before a later segment is damage too. */
static void test_segment_gap(void **state)
{
	char d[128], d2[128], from[160], to[160];
	struct st_wal *w;
	struct seen s = { 0 };
	uint64_t last, seq;
	(void)state;

	snprintf(d, sizeof(d), "%s/g", dir);
	snprintf(d2, sizeof(d2), "%s/g2", dir);
	write_records(d, 0, 3); /* 1..3 */
	assert_int_equal(st_wal_open(&w, d2, 5, 0), 0); /* 5..6: record 4 is missing */
	assert_int_equal(st_wal_append(w, (const uint8_t *)"record-4", 8, &seq), 0);
	assert_int_equal(st_wal_append(w, (const uint8_t *)"record-5", 8, &seq), 0);
	st_wal_close(w);
	seg_file(from, sizeof(from), d2, 5);
	seg_file(to, sizeof(to), d, 5);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(st_wal_replay(d, 0, collect, &s, &last), -EBADMSG);
	assert_int_equal(s.n, 3);
	/* named right (4) it is a continuation */
	seg_file(from, sizeof(from), d, 4);
	assert_int_equal(rename(to, from), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(st_wal_replay(d, 0, collect, &s, &last), -EBADMSG); /* records inside say 5, 6 */
	assert_int_equal(s.n, 3);
	/* already in LMDB (after_seq 6): nothing is lost */
	memset(&s, 0, sizeof(s));
	assert_int_equal(st_wal_replay(d, 6, collect, &s, &last), 0);
	assert_int_equal(last, 6);
}

/* A torn last record followed by an empty later segment (crash right after a rotation) is the end. */
static void test_torn_then_empty_segment(void **state)
{
	char d[128], p[160];
	int fd;
	(void)state;

	snprintf(d, sizeof(d), "%s/e", dir);
	write_records(d, 0, 3);
	seg_file(p, sizeof(p), d, 1);
	fd = open(p, O_RDWR);
	assert_int_equal(ftruncate(fd, 3 * (ST_WAL_HDR_LEN + 8) - 5), 0);
	close(fd);
	seg_file(p, sizeof(p), d, 3);
	fd = open(p, O_RDWR | O_CREAT, 0600);
	close(fd);
	check_prefix(d, 2);
	/* a short all-zero tail (less than a header) is the end, not a torn record */
	seg_file(p, sizeof(p), d, 1);
	fd = open(p, O_RDWR);
	assert_int_equal(ftruncate(fd, 2 * (ST_WAL_HDR_LEN + 8) + 7), 0);
	close(fd);
	check_prefix(d, 2);
}


#define SIG_APPENDS 2000

struct sig_run {
	struct st_wal *w;
	int failures;
	bool seq_ok;
	_Atomic bool done;
};

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void *sig_appender(void *arg)
{
	struct sig_run *r = arg;
	uint8_t p[4000];
	uint64_t seq;

	r->seq_ok = true;
	for (unsigned i = 0; i < SIG_APPENDS; i++) {
		memset(p, (int)(i & 0xff), sizeof(p));
		if (st_wal_append(r->w, p, sizeof(p), &seq) != 0)
			r->failures++;
		else if (seq != (uint64_t)i + 1 - (uint64_t)r->failures)
			r->seq_ok = false;
	}
	r->done = true;
	return NULL;
}

static int count_intact(void *ctx, uint64_t seq, const uint8_t *p, uint32_t len)
{
	unsigned *n = ctx;
	(void)seq;
	if (len != 4000 || p[0] != p[len - 1])
		return -EBADMSG;
	(*n)++;
	return 0;
}

/*
 * A signal (no SA_RESTART) hitting the appending thread must not fail an
 * append, nor leave completions behind for the next one (which then read
 * the previous record's results: spurious -ENOSPC, -EINTR).
 */
static void test_signals(void **state)
{
	char d[128];
	struct sigaction sa;
	struct sig_run r = { 0 };
	pthread_t t;
	unsigned n = 0;
	uint64_t last;
	(void)state;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1; /* no SA_RESTART */
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	snprintf(d, sizeof(d), "%s/sig", dir);
	assert_int_equal(st_wal_open(&r.w, d, 1, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, sig_appender, &r), 0);
	while (!r.done) {
		pthread_kill(t, SIGUSR1);
		usleep(50);
	}
	pthread_join(t, NULL);
	assert_int_equal(r.failures, 0);
	assert_true(r.seq_ok);
	assert_int_equal(st_wal_next_seq(r.w), SIG_APPENDS + 1);
	st_wal_close(r.w);
	assert_int_equal(st_wal_replay(d, 0, count_intact, &n, &last), 0);
	assert_int_equal(n, SIG_APPENDS);
	assert_int_equal(last, SIG_APPENDS);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_replay),
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_direct),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_corrupt_middle),
		cmocka_unit_test(test_segment_gap),
		cmocka_unit_test(test_torn_then_empty_segment),
		cmocka_unit_test(test_signals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
