/*
 * No clear text at rest: after a run that stores users, tokens, messages
 * (with an idempotency key), deliveries, notifications and expiry, neither
 * the LMDB files, nor the WAL segments, nor the store's log output contain
 * any message text, user name, token or idempotency key. (A byte search,
 * stricter than strings(1), which only looks at printable runs of 4+.)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "st_test.h"

static char dir[64];
static struct st_fake_clock clk = { 1750000000000ull };

static const char *const secrets[] = {
	"Zelda-Recipient", "Yorick-Sender", "TOKEN-d41d8cd98f00b204e98", "Attack at dawn, bring snacks",
	"Second secret text body", "idem-key-9f86d081", "pw-hash",
};

static void scan_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	for (size_t i = 0; i < ARRAY_SIZE(secrets); i++) {
		/* whole secret, and its first 8 bytes */
		size_t n = strlen(secrets[i]);
		if (memmem(buf, (size_t)st.st_size, secrets[i], n) ||
		    memmem(buf, (size_t)st.st_size, secrets[i], n < 8 ? n : 8)) {
			fail_msg("found \"%s\" in %s", secrets[i], path);
		}
	}
	free(buf);
}

static unsigned scan_tree(const char *d)
{
	char path[512];
	unsigned files = 0;
	DIR *dp = opendir(d);
	struct dirent *e;

	assert_non_null(dp);
	while ((e = readdir(dp))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", d, e->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			files += scan_tree(path);
		} else {
			scan_file(path);
			files++;
		}
	}
	closedir(dp);
	return files;
}

static void test_no_clear_text(void **state)
{
	char logpath[128];
	struct st_store_cfg cfg = {
		.state_dir = dir, .keyring = st_test_keyring(1, 0x99), .clock_ms = st_test_clock,
		.clock_ctx = &clk, .status_grace_ms = 1000,
	};
	struct st_store *s;
	struct st_id id1, id2;
	(void)state;

	snprintf(logpath, sizeof(logpath), "%s.log", dir);
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(logfd >= 0);
	log_set_fd(logfd);
	log_set_level(LOG_DEBUG);

	assert_int_equal(st_store_open(&s, &cfg), 0);
	assert_int_equal(st_test_user(s, "Zelda-Recipient"), 0);
	assert_int_equal(st_test_user(s, "Yorick-Sender"), 0);
	struct st_req t = { .op = ST_OP_TOKEN_CREATE };
	t.token.token = st_s("TOKEN-d41d8cd98f00b204e98");
	t.token.user = st_s("Yorick-Sender");
	t.token.expires_ms = clk.now_ms + 100000;
	assert_int_equal(st_exec_sync(s, &t), 0);
	assert_int_equal(st_test_enqueue(s, "Yorick-Sender", "Zelda-Recipient", "Attack at dawn, bring snacks",
					 "idem-key-9f86d081", 5000, &id1), 0);
	assert_int_equal(st_test_enqueue(s, "Yorick-Sender", "Zelda-Recipient", "Second secret text body", NULL,
					 3000, &id2), 0);
	/* with the WAL still holding everything */
	assert_true(scan_tree(dir) >= 3);
	assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &id1, 0), 0);
	clk.now_ms += 4000;
	assert_true(st_expire_run(s, 100) > 0);
	scan_tree(dir);
	st_store_close(s);
	scan_tree(dir);
	close(logfd);
	log_set_fd(2);
	scan_file(logpath);
	unlink(logpath);
}

static int setup(void **state)
{
	(void)state;
	return st_test_tmpdir(dir, sizeof(dir), "strings");
}

static int teardown(void **state)
{
	(void)state;
	return st_test_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_clear_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
