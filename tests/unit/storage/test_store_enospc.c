/*
 * ENOSPC test: the store on a 4 MiB tmpfs. Enqueue until the disk is full:
 * acknowledgements stop with ST_E_UNAVAILABLE (not a generic error), every
 * acknowledged message is still there, and once space is freed the store
 * resumes by itself after its retry interval; a reopen finds everything.
 *
 * Needs root (mount -t tmpfs): otherwise it exits 77, which meson reports
 * as SKIP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "st_test.h"

#define MAX_IDS 20000

static char mnt[64], state_dir[96], ballast[96];
static struct st_fake_clock clk = { 1900000000000ull };
static struct st_id ids[MAX_IDS];
static unsigned nids;

static struct st_store *open_store(void)
{
	struct st_store_cfg cfg = {
		.state_dir = state_dir,
		.keyring = st_test_keyring(1, 0x11),
		.map_size = 1 << 20,
		.clock_ms = st_test_clock,
		.clock_ctx = &clk,
		.unavailable_retry_ms = 200,
		.checkpoint_bytes = 128 * 1024,
	};
	struct st_store *s = NULL;
	assert_int_equal(st_store_open(&s, &cfg), 0);
	return s;
}

static unsigned ndelivered; /* ids[0..ndelivered) were marked delivered */

static void verify_all(struct st_store *s)
{
	for (unsigned i = 0; i < nids; i++) {
		uint8_t st;
		assert_int_equal(st_test_status(s, "sender", &ids[i], &st), 0);
		assert_int_equal(st, i < ndelivered ? ST_STATE_DELIVERED : ST_STATE_ENQUEUED);
	}
}

/* Fill the file system to the last byte. */
static void fill(const char *path)
{
	static uint8_t junk[4096];
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	assert_true(fd >= 0);
	memset(junk, 2, sizeof(junk));
	while (write(fd, junk, sizeof(junk)) > 0)
		;
	while (write(fd, junk, 1) > 0)
		;
	close(fd);
}

static void test_enospc(void **state)
{
	char text[ST_TEXT_MAX + 1];
	struct st_store *s;
	int rc = 0, fd;
	(void)state;

	memset(text, 'z', ST_TEXT_MAX);
	text[ST_TEXT_MAX] = 0;
	/* Ballast: freed later to give the store room again. */
	fd = open(ballast, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	static uint8_t junk[1024 * 1024];
	memset(junk, 1, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);

	s = open_store();
	assert_int_equal(st_test_user(s, "receiver"), 0);
	while (nids < MAX_IDS) {
		rc = st_test_enqueue(s, "sender", "receiver", text, NULL, 0, &ids[nids]);
		if (rc != 0)
			break;
		nids++;
	}
	print_message("disk full after %u acknowledged enqueues\n", nids);
	assert_int_equal(rc, ST_E_UNAVAILABLE);
	assert_true(nids > 10);
	/* still full, inside the retry interval: answered at once, same error */
	assert_int_equal(st_test_enqueue(s, "sender", "receiver", "x", NULL, 0, NULL), ST_E_UNAVAILABLE);
	clk.now_ms += 1000;
	assert_int_equal(st_test_enqueue(s, "sender", "receiver", text, NULL, 0, NULL), ST_E_UNAVAILABLE);

	struct st_stats stats;
	st_store_stats(s, &stats);
	print_message("WAL append failures: %llu\n", (unsigned long long)stats.wal_failures);

	/* free space: the next probe after the interval succeeds */
	assert_int_equal(unlink(ballast), 0);
	clk.now_ms += 1000;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(st_test_enqueue(s, "sender", "receiver", "after", NULL, 0, &ids[nids]), 0);
		nids++;
	}
	verify_all(s);
	st_store_close(s);

	s = open_store();
	verify_all(s);

	/*
	 * Second round, aimed at the WAL itself: deliveries free LMDB pages,
	 * then a file takes every last byte, so the WAL append is what fails.
	 */
	for (ndelivered = 0; ndelivered < nids / 2; ndelivered++)
		assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &ids[ndelivered], 0), 0);
	/* their notifications went to "sender"; deliver them too, freeing more */
	struct st_msg out[64];
	static uint8_t buf[65536];
	struct st_req r = { .op = ST_OP_STREAM };
	r.stream.recipient = st_s("sender");
	r.stream.msgs = out;
	r.stream.max = 64;
	r.stream.buf = buf;
	r.stream.buf_len = sizeof(buf);
	do {
		assert_int_equal(st_exec_sync(s, &r), 0);
		for (uint32_t i = 0; i < r.stream.count; i++)
			assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &out[i].id, 0), 0);
	} while (r.stream.count);
	assert_int_equal(st_store_checkpoint(s), 0);
	fill(ballast);
	struct st_stats before, after;
	st_store_stats(s, &before);
	assert_int_equal(st_test_enqueue(s, "sender", "receiver", text, NULL, 0, NULL), ST_E_UNAVAILABLE);
	st_store_stats(s, &after);
	assert_int_equal(after.wal_failures, before.wal_failures + 1);
	clk.now_ms += 1000;
	assert_int_equal(st_test_enqueue(s, "sender", "receiver", text, NULL, 0, NULL), ST_E_UNAVAILABLE);
	assert_int_equal(unlink(ballast), 0);
	clk.now_ms += 1000;
	assert_int_equal(st_test_enqueue(s, "sender", "receiver", "back", NULL, 0, &ids[nids]), 0);
	nids++;
	verify_all(s);
	st_store_close(s);
	s = open_store();
	verify_all(s);
	st_store_close(s);
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	if (st_test_tmpdir(mnt, sizeof(mnt), "enospc"))
		return -1;
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=4m,mode=0700") != 0) {
		fprintf(stderr, "SKIP: cannot mount a tmpfs (%s); the ENOSPC test needs root\n",
			strerror(errno));
		rmdir(mnt);
		exit(77);
	}
	snprintf(state_dir, sizeof(state_dir), "%s/state", mnt);
	snprintf(ballast, sizeof(ballast), "%s/ballast", mnt);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* Lazy: a failed assertion can leave the store's files open. */
	umount2(mnt, MNT_DETACH);
	return rmdir(mnt);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the ENOSPC test mounts a tmpfs and needs root\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enospc),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
