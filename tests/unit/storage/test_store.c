/*
 * Unit tests for storage/store (+ store_ops, store_expiry, store_loc) through
 * the synchronous API and through a channel with the store thread running.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "st_test.h"

static char dir[64];
static struct st_fake_clock clk = { 1700000000000ull };

static struct st_store *open_store(struct st_keyring *kr, uint64_t map_size)
{
	struct st_store_cfg cfg = {
		.state_dir = dir,
		.keyring = kr,
		.map_size = map_size,
		.clock_ms = st_test_clock,
		.clock_ctx = &clk,
		.status_grace_ms = 60000,
	};
	struct st_store *s = NULL;
	assert_int_equal(st_store_open(&s, &cfg), 0);
	return s;
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	return st_test_tmpdir(dir, sizeof(dir), "store");
}

static int teardown(void **state)
{
	(void)state;
	return st_test_rmrf(dir);
}

static uint32_t stream(struct st_store *s, const char *who, struct st_msg *msgs, uint32_t max,
		       uint8_t *buf, uint32_t buf_len)
{
	struct st_req r = { .op = ST_OP_STREAM };
	r.stream.recipient = st_s(who);
	r.stream.msgs = msgs;
	r.stream.max = max;
	r.stream.buf = buf;
	r.stream.buf_len = buf_len;
	assert_int_equal(st_exec_sync(s, &r), 0);
	return r.stream.count;
}

/* queue_depth_max: the (N+1)th parked message for one recipient is refused
 * with -EDQUOT and nothing is stored; a delivery frees a place. */
static void test_queue_depth(void **state)
{
	struct st_store_cfg cfg = {
		.state_dir = dir,
		.keyring = st_test_keyring(1, 9),
		.clock_ms = st_test_clock,
		.clock_ctx = &clk,
		.queue_depth_max = 3,
	};
	struct st_store *s = NULL;
	struct st_id ids[3], extra;
	struct st_msg msgs[8];
	uint8_t buf[4096];
	(void)state;

	assert_int_equal(st_store_open(&s, &cfg), 0);
	assert_int_equal(st_test_user(s, "quinn"), 0);
	assert_int_equal(st_test_user(s, "rita"), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(st_test_enqueue(s, "rita", "quinn", "waiting", NULL, 0, &ids[i]), 0);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "one too many", NULL, 0, &extra),
			 -EDQUOT);
	assert_int_equal(stream(s, "quinn", msgs, 8, buf, sizeof(buf)), 3);
	/* Another recipient is not affected. */
	assert_int_equal(st_test_enqueue(s, "quinn", "rita", "hello", NULL, 0, NULL), 0);
	assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &ids[0], 0), 0);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "room again", NULL, 0, &extra), 0);
	assert_int_equal(stream(s, "quinn", msgs, 8, buf, sizeof(buf)), 3);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "full again", NULL, 0, NULL), -EDQUOT);
	/* A failure frees a place; an expiry too. */
	assert_int_equal(st_test_mark(s, ST_OP_FAILED, &ids[1], 1), 0);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "short-lived", NULL, 1000, NULL), 0);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "no room", NULL, 0, NULL), -EDQUOT);
	clk.now_ms += 1000;
	assert_int_equal(st_expire_run(s, 100), 1);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "in its place", NULL, 0, NULL), 0);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "no room", NULL, 0, NULL), -EDQUOT);
	assert_int_equal(stream(s, "quinn", msgs, 8, buf, sizeof(buf)), 3);
	/* After the first count, the checks used the cached depth. */
	struct st_stats st;
	st_store_stats(s, &st);
	assert_true(st.depth_cached >= 8);
	st_store_close(s);
	/* Reopened, the count starts from the database again. */
	cfg.keyring = st_test_keyring(1, 9); /* the store owned the first one */
	assert_int_equal(st_store_open(&s, &cfg), 0);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "still full", NULL, 0, NULL), -EDQUOT);
	st_store_stats(s, &st);
	assert_int_equal(st.depth_walks, 1);
	assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &ids[2], 0), 0);
	assert_int_equal(st_test_enqueue(s, "rita", "quinn", "after restart", NULL, 0, NULL), 0);
	assert_int_equal(stream(s, "quinn", msgs, 8, buf, sizeof(buf)), 3);
	st_store_close(s);
}

static void test_lock_and_schema(void **state)
{
	struct st_store *s = open_store(st_test_keyring(1, 9), 0), *t = NULL;
	struct st_keyring *kr = st_test_keyring(1, 9);
	struct st_store_cfg cfg = { .state_dir = dir, .keyring = kr };
	(void)state;

	assert_int_equal(st_store_open(&t, &cfg), -EBUSY);
	cfg.keyring = NULL;
	st_store_close(s);
	assert_int_equal(st_store_open(&t, &cfg), -EINVAL);
	cfg.keyring = kr;
	assert_int_equal(st_store_open(&t, &cfg), 0);
	st_store_close(t);
}

static void test_users_and_tokens(void **state)
{
	struct st_store *s = open_store(st_test_keyring(1, 9), 0);
	struct st_req r = { .op = ST_OP_USER_LOOKUP };
	uint8_t buf[64];
	(void)state;

	assert_int_equal(st_test_user(s, "alice"), 0);
	assert_int_equal(st_test_user(s, "alice"), -EEXIST);
	assert_int_equal(st_test_user(s, "bob"), 0);
	r.user.name = st_s("alice");
	r.user.buf = buf;
	r.user.buf_len = sizeof(buf);
	assert_int_equal(st_exec_sync(s, &r), 0);
	assert_int_equal(r.user.out_len, 7);
	assert_memory_equal(buf, "pw-hash", 7);
	r.user.buf_len = 3;
	assert_int_equal(st_exec_sync(s, &r), -ENOBUFS);
	r.user.name = st_s("carol");
	assert_int_equal(st_exec_sync(s, &r), -ENOENT);

	/* list, paged two at a time over three users */
	assert_int_equal(st_test_user(s, "carol"), 0);
	struct st_str names[2];
	uint8_t nbuf[128];
	struct st_req l = { .op = ST_OP_USER_LIST };
	l.user_list.names = names;
	l.user_list.max = 2;
	l.user_list.buf = nbuf;
	l.user_list.buf_len = sizeof(nbuf);
	unsigned total = 0, seen = 0;
	do {
		assert_int_equal(st_exec_sync(s, &l), 0);
		for (uint32_t i = 0; i < l.user_list.count; i++) {
			total++;
			for (int k = 0; k < 3; k++) {
				const char *n = (const char *[]){ "alice", "bob", "carol" }[k];
				if (names[i].len == strlen(n) && memcmp(names[i].p, n, names[i].len) == 0)
					seen |= 1u << k;
			}
		}
	} while (l.user_list.more);
	assert_int_equal(total, 3);
	assert_int_equal(seen, 7);

	/* tokens */
	const char *tok = "0123456789abcdef0123456789abcdef";
	struct st_req t = { .op = ST_OP_TOKEN_CREATE };
	t.token.token = st_s(tok);
	t.token.user = st_s("alice");
	t.token.expires_ms = clk.now_ms + 1000;
	assert_int_equal(st_exec_sync(s, &t), 0);
	assert_int_equal(st_exec_sync(s, &t), -EEXIST);
	t.token.token = st_s("short");
	assert_int_equal(st_exec_sync(s, &t), -EINVAL);
	t.token.token = st_s("0123456789abcdefXXXX");
	t.token.user = st_s("nobody");
	assert_int_equal(st_exec_sync(s, &t), -ENOENT);
	t.op = ST_OP_TOKEN_LOOKUP;
	t.token.token = st_s(tok);
	assert_int_equal(st_exec_sync(s, &t), 0);
	assert_int_equal(t.token.user_len, 5);
	assert_memory_equal(t.token.user_buf, "alice", 5);
	t.token.token = st_s("0123456789abcdef0123456789abcdeX");
	assert_int_equal(st_exec_sync(s, &t), -ENOENT);
	t.token.token = st_s(tok);
	clk.now_ms += 1000;
	assert_int_equal(st_exec_sync(s, &t), -EKEYEXPIRED);
	clk.now_ms -= 1000;
	t.op = ST_OP_TOKEN_REVOKE;
	assert_int_equal(st_exec_sync(s, &t), 0);
	t.op = ST_OP_TOKEN_LOOKUP;
	assert_int_equal(st_exec_sync(s, &t), -EKEYREVOKED);

	/* a deleted user's tokens stop working */
	t.op = ST_OP_TOKEN_CREATE;
	t.token.token = st_s("bob-token-0123456789");
	t.token.user = st_s("bob");
	assert_int_equal(st_exec_sync(s, &t), 0);
	struct st_req d = { .op = ST_OP_USER_DELETE };
	d.user.name = st_s("bob");
	assert_int_equal(st_exec_sync(s, &d), 0);
	assert_int_equal(st_exec_sync(s, &d), -ENOENT);
	t.op = ST_OP_TOKEN_LOOKUP;
	assert_int_equal(st_exec_sync(s, &t), -ENOENT);
	st_store_close(s);

	/* everything survives a reopen */
	s = open_store(st_test_keyring(1, 9), 0);
	r.user.name = st_s("alice");
	r.user.buf_len = sizeof(buf);
	assert_int_equal(st_exec_sync(s, &r), 0);
	assert_int_equal(st_test_user(s, "bob"), 0);
	st_store_close(s);
}

static void test_messages(void **state)
{
	struct st_store *s = open_store(st_test_keyring(1, 9), 0);
	struct st_id id1, id2, id3, dup;
	struct st_msg msgs[8];
	uint8_t buf[4096], stv;
	char big[ST_TEXT_MAX + 2];
	(void)state;

	assert_int_equal(st_test_user(s, "dave"), 0);
	assert_int_equal(st_test_enqueue(s, "alice", "nobody", "hi", NULL, 0, &id1), -ENOENT);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(st_test_enqueue(s, "alice", "dave", big, NULL, 0, &id1), -E2BIG);
	big[ST_TEXT_MAX] = 0;
	assert_int_equal(st_test_enqueue(s, "alice", "dave", big, NULL, 0, &id1), 0);
	assert_int_equal(st_test_enqueue(s, "", "dave", "x", NULL, 0, &id1), -EINVAL);
	assert_int_equal(st_test_enqueue(s, "alice", "dave", "x", NULL, 73ull * 3600 * 1000, &id1), -EINVAL);

	assert_int_equal(st_test_enqueue(s, "alice", "dave", "first", "k1", 10000, &id1), 0);
	assert_int_equal(st_test_enqueue(s, "alice", "dave", "again", "k1", 10000, &dup), 0);
	assert_memory_equal(dup.b, id1.b, 16);
	assert_int_equal(st_test_enqueue(s, "bob", "dave", "second", "k1", 10000, &id2), 0);
	assert_memory_not_equal(id2.b, id1.b, 16);
	assert_int_equal(st_test_enqueue(s, "bob", "dave", "third", NULL, 5000, &id3), 0);

	/* stream in id order; max bounds the batch */
	assert_int_equal(stream(s, "dave", msgs, 8, buf, sizeof(buf)), 4);
	assert_int_equal(msgs[1].text.len, 5);
	assert_memory_equal(msgs[1].text.p, "first", 5);
	assert_memory_equal(msgs[1].sender.p, "alice", 5);
	assert_memory_equal(msgs[2].id.b, id2.b, 16);
	assert_memory_equal(msgs[3].text.p, "third", 5);
	assert_int_equal(stream(s, "dave", msgs, 2, buf, sizeof(buf)), 2);
	/* a buffer too small for the first message */
	struct st_req r = { .op = ST_OP_STREAM };
	r.stream.recipient = st_s("dave");
	r.stream.msgs = msgs;
	r.stream.max = 8;
	r.stream.buf = buf;
	r.stream.buf_len = 100;
	assert_int_equal(st_exec_sync(s, &r), -ENOBUFS);
	/* paging with after */
	r.stream.buf_len = sizeof(buf);
	r.stream.max = 8;
	r.stream.after = id1;
	assert_int_equal(st_exec_sync(s, &r), 0);
	assert_int_equal(r.stream.count, 2);
	assert_memory_equal(msgs[0].id.b, id2.b, 16);

	/* status only for the sender */
	assert_int_equal(st_test_status(s, "alice", &id1, &stv), 0);
	assert_int_equal(stv, ST_STATE_ENQUEUED);
	assert_int_equal(st_test_status(s, "bob", &id1, &stv), -ENOENT);

	/* delivered: gone from the stream, status kept, sender notified */
	assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &id1, 0), 0);
	assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &id1, 0), -ENOENT);
	assert_int_equal(st_test_status(s, "alice", &id1, &stv), 0);
	assert_int_equal(stv, ST_STATE_DELIVERED);
	assert_int_equal(st_test_mark(s, ST_OP_FAILED, &id2, 7), 0);
	assert_int_equal(st_test_status(s, "bob", &id2, &stv), 0);
	assert_int_equal(stv, ST_STATE_FAILED);
	assert_int_equal(stream(s, "dave", msgs, 8, buf, sizeof(buf)), 2);
	assert_int_equal(stream(s, "alice", msgs, 8, buf, sizeof(buf)), 1);
	assert_int_equal(msgs[0].flags, ST_MSG_F_NOTIFY);
	struct st_notify nt;
	assert_int_equal(st_notify_decode(&msgs[0].text, &nt), 0);
	assert_memory_equal(nt.id.b, id1.b, 16);
	assert_int_equal(nt.state, ST_STATE_DELIVERED);
	/* delivering the notification creates no notification */
	assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &msgs[0].id, 0), 0);
	assert_int_equal(stream(s, "alice", msgs, 8, buf, sizeof(buf)), 0);
	assert_int_equal(stream(s, "bob", msgs, 8, buf, sizeof(buf)), 1);
	assert_int_equal(st_notify_decode(&msgs[0].text, &nt), 0);
	assert_int_equal(nt.state, ST_STATE_FAILED);
	assert_int_equal(nt.reason, 7);

	/* expiry: id3 (5 s) expires, its status says so, bob is told */
	clk.now_ms += 5000;
	assert_true(st_expire_run(s, 100) >= 1);
	assert_int_equal(st_test_status(s, "bob", &id3, &stv), 0);
	assert_int_equal(stv, ST_STATE_EXPIRED);
	assert_int_equal(stream(s, "dave", msgs, 8, buf, sizeof(buf)), 1); /* the 640-byte one */
	assert_int_equal(stream(s, "bob", msgs, 8, buf, sizeof(buf)), 2);
	assert_int_equal(st_notify_decode(&msgs[1].text, &nt), 0);
	assert_int_equal(nt.state, ST_STATE_EXPIRED);
	assert_memory_equal(nt.id.b, id3.b, 16);
	/* original expiry of id1 (10 s): its status goes, and so does the idem key */
	clk.now_ms += 5000;
	assert_true(st_expire_run(s, 100) >= 1);
	assert_int_equal(st_test_status(s, "alice", &id1, &stv), -ENOENT);
	assert_int_equal(st_test_enqueue(s, "alice", "dave", "new", "k1", 10000, &dup), 0);
	assert_memory_not_equal(dup.b, id1.b, 16);
	/* the grace of id3's expired status (60 s) */
	assert_int_equal(st_test_status(s, "bob", &id3, &stv), 0);
	clk.now_ms += 60000;
	st_expire_run(s, 100);
	assert_int_equal(st_test_status(s, "bob", &id3, &stv), -ENOENT);
	st_store_close(s);
}

/* Expiry passes are bounded: each handles at most max entries. */
static void test_expiry_bounded(void **state)
{
	struct st_store *s = open_store(st_test_keyring(1, 9), 0);
	(void)state;

	assert_int_equal(st_test_user(s, "lena"), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(st_test_enqueue(s, "mike", "lena", "soon gone", NULL, 1000, NULL), 0);
	assert_int_equal(st_expire_run(s, 100), 0); /* nothing due yet */
	clk.now_ms += 1000;
	assert_int_equal(st_expire_run(s, 2), 2);
	assert_int_equal(st_expire_run(s, 2), 2);
	assert_int_equal(st_expire_run(s, 2), 1);
	assert_int_equal(st_expire_run(s, 2), 0);
	struct st_stats st;
	st_store_stats(s, &st);
	assert_int_equal(st.expired, 5);
	st_store_close(s);
}

static void test_rotation_and_growth(void **state)
{
	struct st_keyring *kr = st_test_keyring(1, 9);
	struct st_store *s = open_store(kr, 1 << 16);
	struct st_msg msgs[4];
	uint8_t buf[4096], m2[32];
	struct st_id id;
	struct st_stats stats;
	(void)state;

	assert_int_equal(st_test_user(s, "erin"), 0);
	assert_int_equal(st_test_enqueue(s, "frank", "erin", "under key one", NULL, 0, &id), 0);
	/* a tiny map: hundreds of messages make it grow */
	for (int i = 0; i < 600; i++)
		assert_int_equal(st_test_enqueue(s, "frank", "gina-not-a-user", "x", NULL, 0, NULL), -ENOENT);
	assert_int_equal(st_test_user(s, "gina"), 0);
	for (int i = 0; i < 600; i++)
		assert_int_equal(st_test_enqueue(s, "frank", "gina", "filler filler filler", NULL, 0, NULL), 0);
	st_store_stats(s, &stats);
	assert_true(stats.map_grows > 0);
	st_store_close(s);

	/* rotate: key 2 current, key 1 still readable */
	kr = st_test_keyring(1, 9);
	memset(m2, 0x77, sizeof(m2));
	assert_int_equal(st_keyring_add(kr, 2, m2), 0);
	assert_int_equal(st_keyring_set_current(kr, 2), 0);
	s = open_store(kr, 0);
	assert_int_equal(st_test_user(s, "erin"), -EEXIST); /* found under key 1 */
	assert_int_equal(st_test_enqueue(s, "frank", "erin", "under key two", NULL, 0, NULL), 0);
	assert_int_equal(stream(s, "erin", msgs, 4, buf, sizeof(buf)), 2);
	assert_memory_equal(msgs[0].text.p, "under key one", 13);
	assert_memory_equal(msgs[1].text.p, "under key two", 13);
	assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &id, 0), 0);
	assert_int_equal(stream(s, "erin", msgs, 4, buf, sizeof(buf)), 1);
	st_store_close(s);

	/* without key 1 the old records do not open: counted, skipped */
	kr = st_test_keyring(2, 0x77);
	s = open_store(kr, 0);
	/* only the key-2 message is reachable: the key-1 index tags cannot even be computed */
	assert_int_equal(stream(s, "erin", msgs, 4, buf, sizeof(buf)), 1);
	assert_memory_equal(msgs[0].text.p, "under key two", 13);
	assert_int_equal(st_test_user(s, "erin"), 0); /* the key-1 user record is invisible */
	st_store_close(s);
}

static void test_location(void **state)
{
	struct st_store *s = open_store(st_test_keyring(1, 9), 0);
	struct st_req r = { .op = ST_OP_LOC_REGISTER };
	struct st_req e = { .op = ST_OP_ENQUEUE };
	struct st_chan *chan = st_store_chan(s, 3, NULL);
	(void)state;

	assert_non_null(chan);
	assert_int_equal(st_test_user(s, "hank"), 0);
	r.loc.user = st_s("hank");
	r.loc.worker = 3;
	r.loc.flow = 77;
	r.loc.expires_ms = clk.now_ms + 1000;
	assert_int_equal(st_exec_sync(s, &r), 0);
	e.enqueue.sender = st_s("ivy");
	e.enqueue.recipient = st_s("hank");
	e.enqueue.text = st_s("ping");
	assert_int_equal(st_exec_sync(s, &e), 0);
	/* the durable enqueue sends a notice to the worker holding the flow */
	uint64_t flows[4];
	bool lost = true;
	assert_int_equal(st_chan_notices(chan, flows, 4, &lost), 1);
	assert_false(lost);
	assert_int_equal(flows[0], 77);
	/* a second device: both flows are told, each once */
	r.loc.flow = 79;
	assert_int_equal(st_exec_sync(s, &r), 0);
	r.loc.flow = 77; /* a refresh does not add a binding */
	assert_int_equal(st_exec_sync(s, &r), 0);
	assert_int_equal(st_exec_sync(s, &e), 0);
	assert_int_equal(st_chan_notices(chan, flows, 4, &lost), 2);
	assert_true((flows[0] == 77 && flows[1] == 79) || (flows[0] == 79 && flows[1] == 77));
	/* delivered: the notification for ivy wakes nobody (ivy has no flow) */
	struct st_req d = { .op = ST_OP_DELIVERED };
	d.mark.id = e.enqueue.id;
	assert_int_equal(st_exec_sync(s, &d), 0);
	assert_int_equal(st_chan_notices(chan, flows, 4, &lost), 0);
	r.op = ST_OP_LOC_UNREGISTER;
	r.loc.flow = 79;
	assert_int_equal(st_exec_sync(s, &r), 0);
	r.loc.flow = 78; /* a flow that was never bound removes nothing */
	assert_int_equal(st_exec_sync(s, &r), -ENOENT);
	r.op = ST_OP_LOC_LOOKUP;
	assert_int_equal(st_exec_sync(s, &r), 0);
	assert_int_equal(r.loc.flow, 77);
	clk.now_ms += 1000;
	assert_int_equal(st_exec_sync(s, &r), -ENOENT);
	/* many users, then remove them all: backward-shift deletion keeps lookups right */
	char name[16];
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		struct st_req a = { .op = ST_OP_LOC_REGISTER };
		a.loc.user = st_s(name);
		a.loc.flow = (uint64_t)i;
		a.loc.expires_ms = clk.now_ms + 100000;
		assert_int_equal(st_exec_sync(s, &a), 0);
	}
	for (int i = 0; i < 2000; i += 2) {
		snprintf(name, sizeof(name), "u%d", i);
		struct st_req a = { .op = ST_OP_LOC_UNREGISTER };
		a.loc.user = st_s(name);
		a.loc.flow = (uint64_t)i;
		assert_int_equal(st_exec_sync(s, &a), 0);
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		struct st_req a = { .op = ST_OP_LOC_LOOKUP };
		a.loc.user = st_s(name);
		assert_int_equal(st_exec_sync(s, &a), (i % 2) ? 0 : -ENOENT);
		if (i % 2)
			assert_int_equal(a.loc.flow, (uint64_t)i);
	}
	st_store_close(s);
}

/* The threaded path: a worker thread submits over a channel and polls its bell. */
struct worker {
	struct st_chan *chan;
	struct ring_bell bell;
	unsigned n, ok, errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	static struct st_req reqs[3000];
	struct st_req *done[64];
	unsigned sent = 0, got = 0;

	while (got < w->n) {
		while (sent < w->n) {
			struct st_req *r = &reqs[sent];
			memset(r, 0, sizeof(*r));
			r->op = ST_OP_ENQUEUE;
			r->enqueue.sender = st_s("jack");
			r->enqueue.recipient = st_s("kim");
			r->enqueue.text = st_s("threaded hello");
			if (st_chan_submit(w->chan, &r, 1) != 1)
				break;
			sent++;
		}
		ring_bell_arm(&w->bell);
		uint32_t n = st_chan_poll(w->chan, done, 64);
		if (n == 0) {
			struct pollfd p = { w->bell.efd, POLLIN, 0 };
			poll(&p, 1, 100);
			ring_bell_drain(&w->bell);
		}
		ring_bell_disarm(&w->bell);
		for (uint32_t i = 0; i < n; i++) {
			if (done[i]->result == 0)
				w->ok++;
			else
				w->errors++;
		}
		got += n;
	}
	return NULL;
}

struct stats_reader {
	struct st_store *s;
	_Atomic bool stop;
	unsigned reads;
	bool monotonic;
};

/* Reads the counters while the store thread runs (the metrics endpoint does). */
static void *stats_reader_main(void *arg)
{
	struct stats_reader *rd = arg;
	struct st_stats prev = { 0 }, cur;

	rd->monotonic = true;
	while (!rd->stop) {
		st_store_stats(rd->s, &cur);
		if (cur.requests < prev.requests || cur.batches < prev.batches || cur.batches > cur.requests)
			rd->monotonic = false;
		prev = cur;
		rd->reads++;
		usleep(100);
	}
	return NULL;
}

static void test_threaded(void **state)
{
	struct st_keyring *kr = st_test_keyring(1, 9);
	struct st_store_cfg cfg = {
		.state_dir = dir, .keyring = kr, .batch_max = 64, .gather_us = 100, .ring_size = 256,
	};
	struct st_store *s;
	struct worker w = { .n = 3000 };
	pthread_t t;
	struct st_stats stats;
	(void)state;

	assert_int_equal(st_store_open(&s, &cfg), 0);
	assert_int_equal(st_test_user(s, "kim"), 0);
	assert_int_equal(ring_bell_init(&w.bell), 0);
	w.chan = st_store_chan(s, 0, &w.bell);
	assert_non_null(w.chan);
	assert_int_equal(st_store_start(s), 0);
	struct stats_reader rd = { .s = s };
	pthread_t rt;
	assert_int_equal(pthread_create(&rt, NULL, stats_reader_main, &rd), 0);
	assert_int_equal(pthread_create(&t, NULL, worker_main, &w), 0);
	pthread_join(t, NULL);
	rd.stop = true;
	pthread_join(rt, NULL);
	assert_true(rd.monotonic);
	assert_true(rd.reads > 0);
	assert_int_equal(w.ok, 3000);
	assert_int_equal(w.errors, 0);
	st_store_stats(s, &stats);
	print_message("3000 enqueues in %" PRIu64 " batches\n", stats.batches);
	st_store_close(s);
	ring_bell_fini(&w.bell);
}

/* Submit one request on @c and wait for it (worker side). */
static int roundtrip(struct st_chan *c, struct ring_bell *bell, struct st_req *r)
{
	struct st_req *done;

	assert_int_equal(st_chan_submit(c, &r, 1), 1);
	for (;;) {
		ring_bell_arm(bell);
		if (st_chan_poll(c, &done, 1) == 1) {
			ring_bell_disarm(bell);
			assert_ptr_equal(done, r);
			return r->result;
		}
		struct pollfd p = { bell->efd, POLLIN, 0 };
		poll(&p, 1, 100);
		ring_bell_drain(bell);
		ring_bell_disarm(bell);
	}
}

/*
 * Two workers on their own channels; the store thread's io_uring timer
 * expires a message by itself (real clock: ttl 30 ms, ticks every 10 ms;
 * the loop waits for the outcome, it asserts no timing).
 */
static void test_threaded_timer_expiry(void **state)
{
	struct st_keyring *kr = st_test_keyring(1, 9);
	struct st_store_cfg cfg = {
		.state_dir = dir, .keyring = kr, .expiry_interval_ms = 10, .status_grace_ms = 600000,
	};
	struct st_store *s;
	struct ring_bell b0, b1;
	struct st_req r;
	(void)state;

	assert_int_equal(st_store_open(&s, &cfg), 0);
	assert_int_equal(st_test_user(s, "nora"), 0);
	assert_int_equal(ring_bell_init(&b0), 0);
	assert_int_equal(ring_bell_init(&b1), 0);
	struct st_chan *c0 = st_store_chan(s, 0, &b0), *c1 = st_store_chan(s, 5, &b1);
	assert_non_null(c0);
	assert_non_null(c1);
	assert_null(st_store_chan(s, 64, &b1));
	assert_int_equal(st_store_start(s), 0);
	assert_null(st_store_chan(s, 6, &b1)); /* too late once running */

	memset(&r, 0, sizeof(r));
	r.op = ST_OP_ENQUEUE;
	r.enqueue.sender = st_s("oscar");
	r.enqueue.recipient = st_s("nora");
	r.enqueue.text = st_s("short-lived");
	r.enqueue.ttl_ms = 30;
	assert_int_equal(roundtrip(c0, &b0, &r), 0);
	struct st_id id = r.enqueue.id;
	uint8_t state_seen = 0;
	for (int i = 0; i < 3000 && state_seen != ST_STATE_EXPIRED; i++) {
		memset(&r, 0, sizeof(r));
		r.op = ST_OP_STATUS;
		r.status.requester = st_s("oscar");
		r.status.id = id;
		assert_int_equal(roundtrip(c1, &b1, &r), 0);
		state_seen = r.status.state;
		if (state_seen != ST_STATE_EXPIRED)
			usleep(10000);
	}
	assert_int_equal(state_seen, ST_STATE_EXPIRED);
	st_store_close(s);
	ring_bell_fini(&b0);
	ring_bell_fini(&b1);
}


/*
 * With a long commit interval the parent txn is still open when the store
 * is closed: the store thread must commit it before it exits (an LMDB write
 * txn belongs to its thread; st__parent_commit checks that with BUG_ON).
 */
static void test_close_commits_in_store_thread(void **state)
{
	struct st_store_cfg cfg = {
		.state_dir = dir, .keyring = st_test_keyring(1, 9), .commit_interval_us = 60u * 1000 * 1000,
		.expiry_interval_ms = 600000,
	};
	struct st_store *s;
	struct ring_bell b;
	struct st_chan *c;
	struct st_req r = { .op = ST_OP_USER_CREATE };
	uint8_t out[16];
	(void)state;

	assert_int_equal(st_store_open(&s, &cfg), 0);
	assert_int_equal(st_test_user(s, "olga"), 0); /* a sync batch first: committed in this thread */
	assert_int_equal(ring_bell_init(&b), 0);
	c = st_store_chan(s, 0, &b);
	assert_non_null(c);
	assert_int_equal(st_store_start(s), 0);
	r.user.name = st_s("pia");
	r.user.payload = (const uint8_t *)"h";
	r.user.payload_len = 1;
	assert_int_equal(roundtrip(c, &b, &r), 0);
	st_store_close(s); /* the batch is in the store thread's parent txn */
	ring_bell_fini(&b);

	cfg.keyring = st_test_keyring(1, 9);
	assert_int_equal(st_store_open(&s, &cfg), 0);
	memset(&r, 0, sizeof(r));
	r.op = ST_OP_USER_LOOKUP;
	r.user.name = st_s("pia");
	r.user.buf = out;
	r.user.buf_len = sizeof(out);
	assert_int_equal(st_exec_sync(s, &r), 0);
	st_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_and_schema),
		cmocka_unit_test(test_users_and_tokens),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_queue_depth),
		cmocka_unit_test(test_expiry_bounded),
		cmocka_unit_test(test_rotation_and_growth),
		cmocka_unit_test(test_location),
		cmocka_unit_test(test_threaded),
		cmocka_unit_test(test_threaded_timer_expiry),
		cmocka_unit_test(test_close_commits_in_store_thread),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
