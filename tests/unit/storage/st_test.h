/* Helpers shared by the storage tests (header-only, static). */
#ifndef COLUMBA_TESTS_ST_TEST_H
#define COLUMBA_TESTS_ST_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/seal.h"
#include "storage/store.h"

struct st_fake_clock {
	uint64_t now_ms;
};

static inline uint64_t st_test_clock(void *ctx)
{
	return ((struct st_fake_clock *)ctx)->now_ms;
}

static inline struct st_keyring *st_test_keyring(uint16_t id, uint8_t fill)
{
	uint8_t m[ST_MASTER_KEY_LEN];
	struct st_keyring *kr = st_keyring_new();

	if (!kr)
		return NULL;
	memset(m, fill, sizeof(m));
	if (st_keyring_add(kr, id, m) != 0) {
		st_keyring_free(kr);
		return NULL;
	}
	return kr;
}

static inline int st_test_tmpdir(char *out, size_t cap, const char *tag)
{
	snprintf(out, cap, "/tmp/st-%s-XXXXXX", tag);
	return mkdtemp(out) ? 0 : -errno;
}

static inline int st_test_rmrf(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static inline struct st_str st_s(const char *p)
{
	struct st_str s = { p, (uint32_t)strlen(p) };
	return s;
}

static inline int st_test_user(struct st_store *s, const char *name)
{
	struct st_req r = { .op = ST_OP_USER_CREATE };
	r.user.name = st_s(name);
	r.user.payload = (const uint8_t *)"pw-hash";
	r.user.payload_len = 7;
	return st_exec_sync(s, &r);
}

static inline int st_test_enqueue(struct st_store *s, const char *from, const char *to, const char *text,
				  const char *key, uint64_t ttl_ms, struct st_id *id)
{
	struct st_req r = { .op = ST_OP_ENQUEUE };
	r.enqueue.sender = st_s(from);
	r.enqueue.recipient = st_s(to);
	r.enqueue.text = st_s(text);
	if (key)
		r.enqueue.idem_key = st_s(key);
	r.enqueue.ttl_ms = ttl_ms;
	int rc = st_exec_sync(s, &r);
	if (rc == 0 && id)
		*id = r.enqueue.id;
	return rc;
}

static inline int st_test_mark(struct st_store *s, uint16_t op, const struct st_id *id, uint8_t reason)
{
	struct st_req r = { .op = op };
	r.mark.id = *id;
	r.mark.reason = reason;
	return st_exec_sync(s, &r);
}

static inline int st_test_status(struct st_store *s, const char *who, const struct st_id *id, uint8_t *state)
{
	struct st_req r = { .op = ST_OP_STATUS };
	r.status.requester = st_s(who);
	r.status.id = *id;
	int rc = st_exec_sync(s, &r);
	if (rc == 0 && state)
		*state = r.status.state;
	return rc;
}

#endif
