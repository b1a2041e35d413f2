/*
 * Unit tests for storage/seal: key files (creation, refusal to overwrite,
 * permission and size checks), AEAD round trip, every tampered byte rejected,
 * unknown key ids, rotation, nonce uniqueness, tag domain separation.
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "storage/seal.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/st-seal-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void test_keygen_and_files(void **state)
{
	char p[128], q[128];
	struct stat st;
	struct st_keyring *kr = st_keyring_new();
	uint8_t buf[33];
	int fd;
	(void)state;

	assert_non_null(kr);
	path_of(p, sizeof(p), "master.key");
	assert_int_equal(st_seal_keygen(p), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st_seal_keygen(p), -EEXIST);
	assert_int_equal(st_keyring_add_file(kr, 1, p), 0);
	assert_int_equal(st_keyring_add_file(kr, 1, p), -EEXIST);

	/* group- or world-readable keys are refused */
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(st_keyring_add_file(kr, 2, p), -EPERM);
	assert_int_equal(chmod(p, 0604), 0);
	assert_int_equal(st_keyring_add_file(kr, 2, p), -EPERM);
	assert_int_equal(chmod(p, 0600), 0);

	/* wrong size */
	path_of(q, sizeof(q), "short.key");
	fd = open(q, O_WRONLY | O_CREAT, 0600);
	memset(buf, 7, sizeof(buf));
	assert_int_equal(write(fd, buf, 31), 31);
	close(fd);
	assert_int_equal(st_keyring_add_file(kr, 3, q), -EINVAL);
	fd = open(q, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, buf, 2), 2);
	close(fd);
	assert_int_equal(st_keyring_add_file(kr, 3, q), -EINVAL);
	path_of(q, sizeof(q), "missing.key");
	assert_int_equal(st_keyring_add_file(kr, 3, q), -ENOENT);
	assert_int_equal(st_keyring_count(kr), 1);
	st_keyring_free(kr);
}

static struct st_keyring *ring_with(uint16_t id, uint8_t fill)
{
	uint8_t m[32];
	struct st_keyring *kr = st_keyring_new();

	memset(m, fill, sizeof(m));
	assert_non_null(kr);
	assert_int_equal(st_keyring_add(kr, id, m), 0);
	return kr;
}

static void test_roundtrip_and_tamper(void **state)
{
	struct st_keyring *kr = ring_with(7, 0x42);
	struct st_seal_hdr h = { .flags = 3, .created_ms = 1234, .expires_ms = 99999 };
	uint8_t sealed[256], pt[256];
	const char msg[] = "meet me at the usual place";
	struct st_seal_hdr got;
	int n, m;
	(void)state;

	memset(h.id, 0xA5, sizeof(h.id));
	n = st_seal(kr, &h, msg, sizeof(msg), sealed, sizeof(sealed));
	assert_int_equal(n, (int)sizeof(msg) + ST_SEAL_OVERHEAD);
	assert_int_equal(h.key_id, 7);
	assert_null(memmem(sealed, (size_t)n, "usual", 5));
	m = st_open(kr, sealed, (size_t)n, &got, pt, sizeof(pt));
	assert_int_equal(m, (int)sizeof(msg));
	assert_memory_equal(pt, msg, sizeof(msg));
	assert_int_equal(got.flags, 3);
	assert_int_equal(got.created_ms, 1234);
	assert_int_equal(got.expires_ms, 99999);
	assert_memory_equal(got.id, h.id, 16);

	/* every single-bit change of every byte makes open fail */
	for (int i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			sealed[i] ^= (uint8_t)(1 << bit);
			m = st_open(kr, sealed, (size_t)n, &got, pt, sizeof(pt));
			assert_true(m < 0);
			if (i == 0)
				assert_int_equal(m, -EPROTO);
			else if (i == 2 || i == 3)
				assert_int_equal(m, -ENOKEY);
			else
				assert_int_equal(m, -EBADMSG);
			sealed[i] ^= (uint8_t)(1 << bit);
		}
	}
	/* truncation at every length */
	for (int len = 0; len < n; len++)
		assert_true(st_open(kr, sealed, (size_t)len, &got, pt, sizeof(pt)) < 0);
	/* output buffer too small */
	assert_int_equal(st_open(kr, sealed, (size_t)n, &got, pt, 3), -ENOBUFS);
	assert_int_equal(st_seal(kr, &h, msg, sizeof(msg), sealed, sizeof(msg) + 10), -ENOBUFS);
	/* empty plaintext is fine */
	n = st_seal(kr, &h, "", 0, sealed, sizeof(sealed));
	assert_int_equal(n, ST_SEAL_OVERHEAD);
	assert_int_equal(st_open(kr, sealed, (size_t)n, &got, pt, sizeof(pt)), 0);
	st_keyring_free(kr);
}

static void test_wrong_key_and_rotation(void **state)
{
	struct st_keyring *a = ring_with(1, 0x11), *b = ring_with(1, 0x22), *c = ring_with(2, 0x11);
	struct st_seal_hdr h = { .created_ms = 1 }, got;
	uint8_t s1[128], s2[128], pt[128], m2[32];
	int n1, n2;
	(void)state;

	n1 = st_seal(a, &h, "hello", 5, s1, sizeof(s1));
	assert_true(n1 > 0);
	/* same id, different master: authentication fails */
	assert_int_equal(st_open(b, s1, (size_t)n1, &got, pt, sizeof(pt)), -EBADMSG);
	/* key id not in the ring */
	assert_int_equal(st_open(c, s1, (size_t)n1, &got, pt, sizeof(pt)), -ENOKEY);

	/* rotation: key 2 becomes current, key-1 records stay readable */
	memset(m2, 0x33, sizeof(m2));
	assert_int_equal(st_keyring_add(a, 2, m2), 0);
	assert_int_equal(st_keyring_id_at(a, 0), 1);
	assert_int_equal(st_keyring_set_current(a, 2), 0);
	assert_int_equal(st_keyring_set_current(a, 9), -ENOENT);
	assert_int_equal(st_keyring_id_at(a, 0), 2);
	assert_int_equal(st_keyring_id_at(a, 1), 1);
	n2 = st_seal(a, &h, "world", 5, s2, sizeof(s2));
	assert_int_equal(h.key_id, 2);
	assert_int_equal(st_open(a, s1, (size_t)n1, &got, pt, sizeof(pt)), 5);
	assert_int_equal(got.key_id, 1);
	assert_int_equal(st_open(a, s2, (size_t)n2, &got, pt, sizeof(pt)), 5);
	assert_memory_equal(pt, "world", 5);
	st_keyring_free(a);
	st_keyring_free(b);
	st_keyring_free(c);
}

static void test_nonces_unique(void **state)
{
	struct st_keyring *kr = ring_with(1, 0x5a);
	struct st_seal_hdr h = { 0 };
	static uint8_t nonces[2000][ST_SEAL_NONCE_LEN];
	uint8_t s[128];
	(void)state;

	for (int i = 0; i < 2000; i++) {
		assert_int_equal(st_seal(kr, &h, "x", 1, s, sizeof(s)), 1 + ST_SEAL_OVERHEAD);
		memcpy(nonces[i], s + ST_SEAL_HDR_LEN, ST_SEAL_NONCE_LEN);
	}
	for (int i = 1; i < 2000; i++)
		assert_memory_not_equal(nonces[i], nonces[i - 1], ST_SEAL_NONCE_LEN);
	st_keyring_free(kr);
}

static void test_tags(void **state)
{
	struct st_keyring *kr = ring_with(1, 0x01);
	uint8_t m[32], t1[16], t2[16], t3[16];
	(void)state;

	assert_int_equal(st_tag(kr, 1, ST_TAG_NAME, "alice", 5, NULL, 0, t1), 0);
	assert_int_equal(st_tag(kr, 1, ST_TAG_NAME, "alice", 5, NULL, 0, t2), 0);
	assert_memory_equal(t1, t2, 16);
	assert_int_equal(st_tag(kr, 1, ST_TAG_TOKEN, "alice", 5, NULL, 0, t3), 0);
	assert_memory_not_equal(t1, t3, 16);
	assert_int_equal(st_tag(kr, 1, ST_TAG_IDEM, "ab", 2, "c", 1, t1), 0);
	assert_int_equal(st_tag(kr, 1, ST_TAG_IDEM, "a", 1, "bc", 2, t2), 0);
	assert_memory_not_equal(t1, t2, 16);
	assert_int_equal(st_tag(kr, 5, ST_TAG_NAME, "alice", 5, NULL, 0, t1), -ENOENT);
	memset(m, 0x02, sizeof(m));
	assert_int_equal(st_keyring_add(kr, 2, m), 0);
	assert_int_equal(st_tag(kr, 1, ST_TAG_NAME, "alice", 5, NULL, 0, t1), 0);
	assert_int_equal(st_tag(kr, 2, ST_TAG_NAME, "alice", 5, NULL, 0, t2), 0);
	assert_memory_not_equal(t1, t2, 16);
	assert_true(st_ct_equal("abc", "abc", 3));
	assert_false(st_ct_equal("abc", "abd", 3));
	st_keyring_free(kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_and_files),
		cmocka_unit_test(test_roundtrip_and_tamper),
		cmocka_unit_test(test_wrong_key_and_rotation),
		cmocka_unit_test(test_nonces_unique),
		cmocka_unit_test(test_tags),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
