/*
 * Unit tests for storage/store_acct.c: tokens are bound to the user record
 * they were issued against (review item: a deleted user's tokens worked
 * again for a new user of the same name).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "base/log.h"
#include "st_test.h"

static char dir[64];
static struct st_fake_clock clk = { 1700000000000ull };

static struct st_store *open_store(void)
{
	struct st_store_cfg cfg = {
		.state_dir = dir,
		.keyring = st_test_keyring(1, 0x42),
		.clock_ms = st_test_clock,
		.clock_ctx = &clk,
	};
	struct st_store *s = NULL;
	assert_int_equal(st_store_open(&s, &cfg), 0);
	return s;
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	return st_test_tmpdir(dir, sizeof(dir), "acct");
}

static int teardown(void **state)
{
	(void)state;
	return st_test_rmrf(dir);
}

static int token_op(struct st_store *s, uint16_t op, const char *tok, const char *user)
{
	struct st_req r = { .op = op };
	r.token.token = st_s(tok);
	if (user)
		r.token.user = st_s(user);
	r.token.expires_ms = clk.now_ms + 3600000;
	return st_exec_sync(s, &r);
}

static int user_set(struct st_store *s, const char *name, const char *pw, bool replace)
{
	struct st_req r = { .op = ST_OP_USER_CREATE };
	r.user.name = st_s(name);
	r.user.payload = (const uint8_t *)pw;
	r.user.payload_len = (uint32_t)strlen(pw);
	r.user.replace = replace;
	return st_exec_sync(s, &r);
}

/* Deleted and re-created in the same millisecond: the old token stays dead, also after a restart. */
static void test_token_dies_with_its_user(void **state)
{
	const char *old_tok = "0123456789abcdef-old-session";
	struct st_store *s = open_store();
	struct st_req d = { .op = ST_OP_USER_DELETE };

	(void)state;
	assert_int_equal(st_test_user(s, "bob"), 0);
	assert_int_equal(token_op(s, ST_OP_TOKEN_CREATE, old_tok, "bob"), 0);
	assert_int_equal(token_op(s, ST_OP_TOKEN_LOOKUP, old_tok, NULL), 0);
	d.user.name = st_s("bob");
	assert_int_equal(st_exec_sync(s, &d), 0);
	assert_int_equal(token_op(s, ST_OP_TOKEN_LOOKUP, old_tok, NULL), -ENOENT);
	assert_int_equal(st_test_user(s, "bob"), 0); /* a new account, same name, same ms */
	assert_int_equal(token_op(s, ST_OP_TOKEN_LOOKUP, old_tok, NULL), -ENOENT);
	/* the new account's own tokens work */
	assert_int_equal(token_op(s, ST_OP_TOKEN_CREATE, "0123456789abcdef-new-session", "bob"), 0);
	assert_int_equal(token_op(s, ST_OP_TOKEN_LOOKUP, "0123456789abcdef-new-session", NULL), 0);
	st_store_close(s);

	s = open_store(); /* replayed / committed state behaves the same */
	assert_int_equal(token_op(s, ST_OP_TOKEN_LOOKUP, old_tok, NULL), -ENOENT);
	assert_int_equal(token_op(s, ST_OP_TOKEN_LOOKUP, "0123456789abcdef-new-session", NULL), 0);
	/* revoking keeps the binding: still revoked, not resurrected */
	assert_int_equal(token_op(s, ST_OP_TOKEN_REVOKE, "0123456789abcdef-new-session", NULL), 0);
	assert_int_equal(token_op(s, ST_OP_TOKEN_LOOKUP, "0123456789abcdef-new-session", NULL), -EKEYREVOKED);
	st_store_close(s);
}

/* A password change (USER_CREATE with replace) ends the user's sessions, as store.h says. */
static void test_password_change_ends_sessions(void **state)
{
	const char *tok = "carol-session-0123456789";
	struct st_store *s = open_store();
	struct st_req l = { .op = ST_OP_TOKEN_LOOKUP };

	(void)state;
	assert_int_equal(user_set(s, "carol", "hash-1", false), 0);
	assert_int_equal(token_op(s, ST_OP_TOKEN_CREATE, tok, "carol"), 0);
	l.token.token = st_s(tok);
	assert_int_equal(st_exec_sync(s, &l), 0);
	assert_int_equal(l.token.user_len, 5);
	assert_memory_equal(l.token.user_buf, "carol", 5);
	assert_int_equal(user_set(s, "carol", "hash-2", true), 0);
	assert_int_equal(st_exec_sync(s, &l), -ENOENT);
	st_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_dies_with_its_user),
		cmocka_unit_test(test_password_change_ends_sessions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
