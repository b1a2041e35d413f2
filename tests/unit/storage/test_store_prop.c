/*
 * Property test for the store: random interleavings of enqueue (with and
 * without idempotency keys), delivered, failed, clock advances with expiry
 * passes, notification acknowledgements and close/reopen, checked against
 * a plain in-memory model after every batch: every recipient's stream
 * (messages and notifications) and every status the model knows.
 *
 * Seeded PRNG; the seed is printed; ST_PROP_SEED=<n> replays a run,
 * ST_PROP_STEPS=<n> changes its length.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "base/log.h"
#include "st_test.h"

#define MAX_MSGS  4096
#define NUSERS	  4
#define GRACE_MS  5000
#define MAX_NOTES 4096

static const char *const users[NUSERS] = { "u0", "u1", "u2", "u3" };
static const char *const senders[NUSERS + 1] = { "u0", "u1", "u2", "u3", "outsider" };

struct model_msg {
	struct st_id id;
	int sender, rcpt;
	char text[48];
	uint64_t expires;
	uint8_t state;      /* ST_STATE_* */
	bool content;       /* parked */
	bool status;        /* status still kept */
	uint64_t purge_at;  /* for expired: when the status goes */
	int key;            /* idempotency key number, -1 none */
};

struct model_note {
	int user;           /* index into senders */
	struct st_id about;
	uint8_t state;
	bool live;
};

static struct model_msg msgs[MAX_MSGS];
static unsigned nmsgs;
static struct model_note notes[MAX_NOTES];
static unsigned nnotes;
static char dir[64];
static struct st_fake_clock clk = { 1800000000000ull };
static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next_rand() % n);
}

static struct st_store *open_store(void)
{
	struct st_store_cfg cfg = {
		.state_dir = dir,
		.keyring = st_test_keyring(1, 0x3c),
		.clock_ms = st_test_clock,
		.clock_ctx = &clk,
		.status_grace_ms = GRACE_MS,
		.max_ttl_ms = 60000,
		.notify_ttl_ms = 1000ull * 3600 * 1000, /* outlives the test */
	};
	struct st_store *s = NULL;
	assert_int_equal(st_store_open(&s, &cfg), 0);
	return s;
}

static void add_note(int user, const struct st_id *about, uint8_t state)
{
	assert_true(nnotes < MAX_NOTES);
	notes[nnotes++] = (struct model_note){ user, *about, state, true };
}

static void op_enqueue(struct st_store *s)
{
	int from = (int)pick(NUSERS + 1), to = (int)pick(NUSERS), key = pick(3) == 0 ? (int)pick(4) : -1;
	char text[48], keybuf[8];
	uint64_t ttl = 1000 + pick(20) * 1000;
	struct st_id id;
	int rc;

	snprintf(text, sizeof(text), "secret-%08x", (unsigned)next_rand());
	snprintf(keybuf, sizeof(keybuf), "key%d", key);
	rc = st_test_enqueue(s, senders[from], users[to], text, key >= 0 ? keybuf : NULL, ttl, &id);
	assert_int_equal(rc, 0);
	if (key >= 0) {
		for (unsigned i = 0; i < nmsgs; i++) {
			if (msgs[i].status && msgs[i].sender == from && msgs[i].key == key) {
				assert_memory_equal(id.b, msgs[i].id.b, ST_ID_LEN);
				return;
			}
		}
	}
	for (unsigned i = 0; i < nmsgs; i++)
		assert_memory_not_equal(id.b, msgs[i].id.b, ST_ID_LEN);
	assert_true(nmsgs < MAX_MSGS);
	struct model_msg *m = &msgs[nmsgs++];
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->sender = from;
	m->rcpt = to;
	memcpy(m->text, text, sizeof(text));
	m->expires = clk.now_ms + ttl;
	m->state = ST_STATE_ENQUEUED;
	m->content = true;
	m->status = true;
	m->key = key;
}

static void op_mark(struct st_store *s, uint16_t op)
{
	struct st_id bogus;
	uint8_t reason = (uint8_t)pick(200);

	if (nmsgs == 0 || pick(10) == 0) {
		memset(bogus.b, 0x42, sizeof(bogus.b));
		assert_int_equal(st_test_mark(s, op, &bogus, reason), -ENOENT);
		return;
	}
	struct model_msg *m = &msgs[pick(nmsgs)];
	int rc = st_test_mark(s, op, &m->id, reason);
	if (!m->content) {
		assert_int_equal(rc, -ENOENT);
		return;
	}
	assert_int_equal(rc, 0);
	m->content = false;
	m->state = op == ST_OP_DELIVERED ? ST_STATE_DELIVERED : ST_STATE_FAILED;
	add_note(m->sender, &m->id, m->state);
}

static void op_advance(struct st_store *s)
{
	clk.now_ms += 1 + pick(4000);
	int n = st_expire_run(s, 100000);
	assert_true(n >= 0);
	/* The model's expiry, same rules: */
	for (unsigned i = 0; i < nmsgs; i++) {
		struct model_msg *m = &msgs[i];
		if (!m->status)
			continue;
		if (m->content && m->expires <= clk.now_ms) {
			m->content = false;
			m->state = ST_STATE_EXPIRED;
			m->purge_at = clk.now_ms + GRACE_MS;
			add_note(m->sender, &m->id, ST_STATE_EXPIRED);
		} else if (!m->content && m->state != ST_STATE_EXPIRED && m->expires <= clk.now_ms) {
			m->status = false;
		} else if (m->state == ST_STATE_EXPIRED && m->purge_at <= clk.now_ms) {
			m->status = false;
		}
	}
}

/* Deliver every notification parked for one user. */
static void op_ack_notes(struct st_store *s)
{
	int u = (int)pick(NUSERS + 1);
	struct st_msg out[64];
	uint8_t buf[8192];
	struct st_req r = { .op = ST_OP_STREAM };
	r.stream.recipient = st_s(senders[u]);
	r.stream.msgs = out;
	r.stream.max = 64;
	r.stream.buf = buf;
	r.stream.buf_len = sizeof(buf);
	assert_int_equal(st_exec_sync(s, &r), 0);
	for (uint32_t i = 0; i < r.stream.count; i++) {
		struct st_notify nt;
		if (!(out[i].flags & ST_MSG_F_NOTIFY))
			continue;
		assert_int_equal(st_notify_decode(&out[i].text, &nt), 0);
		assert_int_equal(st_test_mark(s, ST_OP_DELIVERED, &out[i].id, 0), 0);
		for (unsigned k = 0; k < nnotes; k++) {
			if (notes[k].live && notes[k].user == u && st_id_cmp(&notes[k].about, &nt.id) == 0 &&
			    notes[k].state == nt.state) {
				notes[k].live = false;
				break;
			}
		}
	}
}

/* Compare every stream and status with the model. */
static void check(struct st_store *s)
{
	static struct st_msg out[MAX_MSGS];
	static uint8_t buf[1 << 20];

	for (int u = 0; u < NUSERS + 1; u++) {
		struct st_req r = { .op = ST_OP_STREAM };
		unsigned mi = 0, notes_seen = 0, notes_want = 0;
		r.stream.recipient = st_s(senders[u]);
		r.stream.msgs = out;
		r.stream.max = MAX_MSGS;
		r.stream.buf = buf;
		r.stream.buf_len = sizeof(buf);
		assert_int_equal(st_exec_sync(s, &r), 0);
		assert_false(r.stream.more);
		assert_int_equal(r.stream.skipped, 0);
		for (uint32_t i = 0; i < r.stream.count; i++) {
			if (i)
				assert_true(st_id_cmp(&out[i - 1].id, &out[i].id) < 0);
			if (out[i].flags & ST_MSG_F_NOTIFY) {
				struct st_notify nt;
				bool found = false;
				assert_int_equal(st_notify_decode(&out[i].text, &nt), 0);
				for (unsigned k = 0; k < nnotes && !found; k++)
					found = notes[k].live && notes[k].user == u &&
						st_id_cmp(&notes[k].about, &nt.id) == 0 && notes[k].state == nt.state;
				assert_true(found);
				notes_seen++;
				continue;
			}
			while (mi < nmsgs && !(msgs[mi].content && msgs[mi].rcpt == u))
				mi++;
			assert_true(mi < nmsgs);
			assert_memory_equal(out[i].id.b, msgs[mi].id.b, ST_ID_LEN);
			assert_int_equal(out[i].text.len, strlen(msgs[mi].text));
			assert_memory_equal(out[i].text.p, msgs[mi].text, out[i].text.len);
			assert_int_equal(out[i].sender.len, strlen(senders[msgs[mi].sender]));
			assert_int_equal(out[i].expires_ms, msgs[mi].expires);
			mi++;
		}
		for (; mi < nmsgs; mi++)
			assert_false(msgs[mi].content && msgs[mi].rcpt == u);
		for (unsigned k = 0; k < nnotes; k++)
			notes_want += notes[k].live && notes[k].user == u;
		assert_int_equal(notes_seen, notes_want);
	}
	for (unsigned i = 0; i < nmsgs; i++) {
		uint8_t st;
		int rc = st_test_status(s, senders[msgs[i].sender], &msgs[i].id, &st);
		if (!msgs[i].status) {
			assert_int_equal(rc, -ENOENT);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(st, msgs[i].state);
		/* and nobody else sees it */
		assert_int_equal(st_test_status(s, senders[(msgs[i].sender + 1) % (NUSERS + 1)], &msgs[i].id, &st),
				 -ENOENT);
	}
}

static void test_property(void **state)
{
	const char *env = getenv("ST_PROP_SEED"), *steps_env = getenv("ST_PROP_STEPS");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	unsigned steps = steps_env ? (unsigned)atoi(steps_env) : 600;
	struct st_store *s;
	(void)state;

	print_message("property seed=%" PRIu64 " steps=%u (ST_PROP_SEED=%" PRIu64 " to replay)\n", seed,
		      steps, seed);
	rng = seed * 2654435761u + 1;
	s = open_store();
	for (int u = 0; u < NUSERS; u++)
		assert_int_equal(st_test_user(s, users[u]), 0);
	for (unsigned step = 0; step < steps; step++) {
		unsigned r = pick(100);
		if (r < 45)
			op_enqueue(s);
		else if (r < 60)
			op_mark(s, ST_OP_DELIVERED);
		else if (r < 68)
			op_mark(s, ST_OP_FAILED);
		else if (r < 88)
			op_advance(s);
		else if (r < 95)
			op_ack_notes(s);
		else {
			st_store_close(s);
			s = open_store();
		}
		check(s);
	}
	st_store_close(s);
	print_message("property: %u messages, %u notifications\n", nmsgs, nnotes);
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	return st_test_tmpdir(dir, sizeof(dir), "prop");
}

static int teardown(void **state)
{
	(void)state;
	return st_test_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_property),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
