/*
 * Store-level torn-WAL test: an LMDB snapshot taken mid-run plus the WAL
 * written after it, with the WAL's last record cut at every offset and
 * corrupted at every byte. Each time the store must open, replay every
 * earlier record (the messages enqueued after the snapshot reappear, and
 * authenticate), and drop only the last batch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include "storage/walrec.h"
#include "st_test.h"

#define BEFORE 3 /* messages in the snapshot */
#define AFTER  5 /* messages only in the WAL; the last one is the torn batch */

static char dir[64], work[96];
static struct st_id ids[BEFORE + AFTER];
static uint8_t *snap, *wal;
static size_t snap_len, wal_len, prev_start, last_start, data_end;
static char wal_name[256];

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *b = malloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void spill(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *d)
{
	nftw(d, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static struct st_store *open_at(const char *d)
{
	struct st_store_cfg cfg = { .state_dir = d, .keyring = st_test_keyring(1, 0x7a) };
	struct st_store *s = NULL;
	assert_int_equal(st_store_open(&s, &cfg), 0);
	return s;
}

/* Build the state: snapshot after BEFORE messages, WAL after AFTER more. */
static void prepare(void)
{
	char p[512];
	struct st_store *s = open_at(dir);
	DIR *d;
	struct dirent *e;

	assert_int_equal(st_test_user(s, "torn-rcpt"), 0);
	for (int i = 0; i < BEFORE; i++)
		assert_int_equal(st_test_enqueue(s, "torn-sender", "torn-rcpt", "before the snapshot", NULL, 0,
						 &ids[i]), 0);
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	snap = slurp(p, &snap_len);
	for (int i = 0; i < AFTER; i++)
		assert_int_equal(st_test_enqueue(s, "torn-sender", "torn-rcpt", "only in the WAL", NULL, 0,
						 &ids[BEFORE + i]), 0);
	snprintf(p, sizeof(p), "%s/wal", dir);
	d = opendir(p);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".wal"))
			snprintf(wal_name, sizeof(wal_name), "%s", e->d_name);
	closedir(d);
	snprintf(p, sizeof(p), "%s/wal/%s", dir, wal_name);
	wal = slurp(p, &wal_len);
	st_store_close(s);

	/* find where the records end (zero-filled space follows) and the last starts */
	size_t off = 0;
	for (;;) {
		struct st_wal_rec r;
		long n = st_wal_decode(wal + off, wal_len - off, &r);
		if (n <= 0)
			break;
		prev_start = last_start;
		last_start = off;
		off += (size_t)n;
	}
	data_end = off;
	for (size_t i = off; i < wal_len; i++)
		assert_int_equal(wal[i], 0);
}

static void check_state(size_t wal_bytes, bool last_kept)
{
	char p[512];
	struct st_msg msgs[16];
	uint8_t buf[4096];

	rm_tree(work);
	assert_int_equal(mkdir(work, 0700), 0);
	snprintf(p, sizeof(p), "%s/data.mdb", work);
	spill(p, snap, snap_len);
	snprintf(p, sizeof(p), "%s/wal", work);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/wal/%s", work, wal_name);
	spill(p, wal, wal_bytes);

	struct st_store *s = open_at(work);
	struct st_req r = { .op = ST_OP_STREAM };
	r.stream.recipient = st_s("torn-rcpt");
	r.stream.msgs = msgs;
	r.stream.max = 16;
	r.stream.buf = buf;
	r.stream.buf_len = sizeof(buf);
	assert_int_equal(st_exec_sync(s, &r), 0);
	assert_int_equal(r.stream.skipped, 0);
	assert_int_equal(r.stream.count, BEFORE + AFTER - (last_kept ? 0 : 1));
	for (uint32_t i = 0; i < r.stream.count; i++)
		assert_memory_equal(msgs[i].id.b, ids[i].b, ST_ID_LEN);
	st_store_close(s);
}

/*
 * Damage in the middle (the record before the last, acknowledged and only in
 * the WAL): the open must fail with -EBADMSG instead of dropping the last
 * record, and leave the WAL byte for byte as it was.
 */
static void check_middle_refused(size_t at)
{
	char p[512];
	struct st_store_cfg cfg = { .state_dir = work, .keyring = st_test_keyring(1, 0x7a) };
	struct st_store *s = NULL;
	size_t len;

	rm_tree(work);
	assert_int_equal(mkdir(work, 0700), 0);
	snprintf(p, sizeof(p), "%s/data.mdb", work);
	spill(p, snap, snap_len);
	snprintf(p, sizeof(p), "%s/wal", work);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/wal/%s", work, wal_name);
	wal[at] ^= 0x20;
	spill(p, wal, wal_len);
	assert_int_equal(st_store_open(&s, &cfg), -EBADMSG);
	st_keyring_free(cfg.keyring); /* not taken over on failure */
	uint8_t *after = slurp(p, &len);
	assert_int_equal(len, wal_len);
	assert_memory_equal(after, wal, wal_len);
	free(after);
	wal[at] ^= 0x20;
}

static void test_torn_tail(void **state)
{
	(void)state;
	prepare();
	check_state(wal_len, true);
	check_state(data_end, true);
	for (size_t cut = last_start; cut < data_end; cut++)
		check_state(cut, false);
	for (size_t i = last_start; i < data_end; i++) {
		wal[i] ^= 0x20;
		check_state(data_end, false);
		wal[i] ^= 0x20;
	}
	for (size_t i = prev_start; i < last_start; i += 7)
		check_middle_refused(i);
	print_message("torn store: last record of %zu bytes cut at every offset and flipped at every byte\n",
		      data_end - last_start);
	free(snap);
	free(wal);
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	if (st_test_tmpdir(dir, sizeof(dir), "torn"))
		return -1;
	snprintf(work, sizeof(work), "%s-work", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	st_test_rmrf(work);
	return st_test_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torn_tail),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
