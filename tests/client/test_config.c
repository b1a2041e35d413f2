/* client/config.c and client/timing.c: XDG paths, the 0600 files, the
 * refusal of files others can read, and the environment overrides. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/config.h"
#include "client/timing.h"

static char tmp[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/cl-config-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	setenv("HOME", tmp, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_paths(void **state)
{
	struct cl_paths p;
	char want[128];
	struct stat st;

	(void)state;
	assert_int_equal(cl_paths_get(&p), 0);
	snprintf(want, sizeof(want), "%s/.config/columba", tmp);
	assert_string_equal(p.config_dir, want);
	snprintf(want, sizeof(want), "%s/.local/share/columba", tmp);
	assert_string_equal(p.data_dir, want);
	assert_int_equal(stat(p.config_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(want, sizeof(want), "%s/xdg", tmp);
	setenv("XDG_DATA_HOME", want, 1);
	assert_int_equal(cl_paths_get(&p), 0);
	snprintf(want, sizeof(want), "%s/xdg/columba", tmp);
	assert_string_equal(p.data_dir, want);
}

static void test_save_load(void **state)
{
	struct cl_paths p;
	struct cl_config c, back;
	struct cl_tls_cfg tls;
	char path[CL_PATH_MAX + 16];
	struct stat st;

	(void)state;
	assert_int_equal(cl_paths_get(&p), 0);
	assert_int_equal(cl_config_load(&p, &back), -ENOENT);
	memset(&c, 0, sizeof(c));
	snprintf(c.server, sizeof(c.server), "gw.example:8443");
	snprintf(c.sip, sizeof(c.sip), "sip.example:5061");
	snprintf(c.user, sizeof(c.user), "alice");
	snprintf(c.token, sizeof(c.token), "CHiy0lHsoGHAmQVnzu1vM8ZPGnezyUPfBk2s1JGApHw");
	snprintf(c.pin, sizeof(c.pin), "%064d", 7);
	assert_int_equal(cl_config_save(&p, &c), 0);
	snprintf(path, sizeof(path), "%s/config", p.config_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cl_config_load(&p, &back), 0);
	assert_string_equal(back.token, c.token);
	assert_string_equal(back.domain, "sip.example"); /* default: the SIP host */
	assert_int_equal(cl_config_tls(&back, &tls), 0);
	assert_true(tls.has_pin);
	assert_int_equal(tls.pin[31], 0x07);
	/* readable by others: refused */
	chmod(path, 0644);
	assert_int_equal(cl_config_load(&p, &back), -EPERM);
}

static void test_master_key(void **state)
{
	struct cl_paths p;
	uint8_t k1[CL_MASTER_LEN], k2[CL_MASTER_LEN];
	char path[CL_PATH_MAX + 16];
	struct stat st;

	(void)state;
	assert_int_equal(cl_paths_get(&p), 0);
	assert_int_equal(cl_master_key(&p, false, k1), -ENOENT);
	assert_int_equal(cl_master_key(&p, true, k1), 0);
	assert_int_equal(cl_master_key(&p, true, k2), 0);
	assert_memory_equal(k1, k2, CL_MASTER_LEN);
	snprintf(path, sizeof(path), "%s/key", p.config_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, CL_MASTER_LEN);
	chmod(path, 0640);
	assert_int_equal(cl_master_key(&p, false, k2), -EPERM);
}

static void test_timing_env(void **state)
{
	struct cl_timing t;

	(void)state;
	unsetenv("COLUMBA_TEST_SEND_TIMEOUT_MS");
	unsetenv("COLUMBA_TEST_OUTBOX_EXPIRY_MS");
	cl_timing_load(&t);
	assert_int_equal(t.send_timeout_ms, 12000);
	assert_int_equal(t.send_tries, 5);
	assert_int_equal(t.outbox_expiry_ms, 12ull * 3600 * 1000);
	assert_int_equal(t.read_expiry_ms, 15ull * 60 * 1000);
	setenv("COLUMBA_TEST_SEND_TIMEOUT_MS", "250", 1);
	setenv("COLUMBA_TEST_OUTBOX_EXPIRY_MS", "12x", 1); /* ignored */
	setenv("COLUMBA_TEST_READ_EXPIRY_MS", "0", 1);     /* ignored */
	cl_timing_load(&t);
	assert_int_equal(t.send_timeout_ms, 250);
	assert_int_equal(t.outbox_expiry_ms, 12ull * 3600 * 1000);
	assert_int_equal(t.read_expiry_ms, 15ull * 60 * 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_master_key, setup, teardown),
		cmocka_unit_test(test_timing_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
