/* Unit tests of gateway/authd.c: the password thread with two fake worker channels. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/authd.h"

static const struct gw_argon2_params test_prm = { .m_kib = 64, .t_cost = 1, .lanes = 1 };
static const struct gw_argon2_params low_prm = { .m_kib = 32, .t_cost = 1, .lanes = 1 };

static const char realm[] = "example.org";

static void hash_of(const char *pw, const struct gw_argon2_params *p, char phc[GW_AUTH_PHC_MAX])
{
	assert_int_equal(gw_auth_hash_password(p, pw, strlen(pw), phc), 0);
}

static void set_verify(struct gw_auth_req *r, const char *pw, const char *phc, const char *user)
{
	assert_int_equal(gw_auth_req_set(r, GW_AUTH_VERIFY, pw, strlen(pw), phc, user,
					 user ? strlen(user) : 0, realm, strlen(realm)), 0);
}

static bool password_wiped(const struct gw_auth_req *r)
{
	for (size_t i = 0; i < sizeof(r->password); i++)
		if (r->password[i])
			return false;
	return r->password_len == 0;
}

/* A worker's wait: arm the bell, poll the channel, sleep on the eventfd. */
static uint32_t wait_poll(struct gw_authd_chan *c, struct ring_bell *b, struct gw_auth_req **out,
			  uint32_t n)
{
	struct pollfd pfd = { .fd = b->efd, .events = POLLIN };
	uint32_t got;

	for (int spins = 0; spins < 600; spins++) {
		if ((got = gw_authd_poll(c, out, n)))
			return got;
		ring_bell_arm(b);
		if ((got = gw_authd_poll(c, out, n))) {
			ring_bell_disarm(b);
			return got;
		}
		poll(&pfd, 1, 100);
		ring_bell_drain(b);
		ring_bell_disarm(b);
	}
	fail_msg("no completion");
	return 0;
}

struct fixture {
	struct ring_bell bells[2];
	struct gw_authd *d;
	struct gw_authd_chan *ch[2];
};

static void start(struct fixture *f, uint32_t ring_size, const struct gw_argon2_params *p)
{
	struct ring_bell *bp[2] = { &f->bells[0], &f->bells[1] };
	struct gw_authd_cfg cfg = { .ring_size = ring_size, .params = p };

	assert_int_equal(ring_bell_init(&f->bells[0]), 0);
	assert_int_equal(ring_bell_init(&f->bells[1]), 0);
	assert_int_equal(gw_authd_start(&f->d, 2, bp, &cfg), 0);
	f->ch[0] = gw_authd_chan(f->d, 0);
	f->ch[1] = gw_authd_chan(f->d, 1);
	assert_non_null(f->ch[0]);
	assert_non_null(f->ch[1]);
	assert_null(gw_authd_chan(f->d, 2));
}

static void finish(struct fixture *f)
{
	gw_authd_free(f->d);
	ring_bell_fini(&f->bells[0]);
	ring_bell_fini(&f->bells[1]);
}

static void test_end_to_end(void **state)
{
	char alice[GW_AUTH_PHC_MAX], bob[GW_AUTH_PHC_MAX], old[GW_AUTH_PHC_MAX];
	struct gw_auth_req rq[6], *out[8];
	struct fixture f;
	unsigned seen = 0;
	(void)state;

	hash_of("alice-pw", &test_prm, alice);
	hash_of("bob-pw", &test_prm, bob);
	hash_of("old-pw", &low_prm, old);
	start(&f, 8, &test_prm);

	set_verify(&rq[0], "alice-pw", alice, NULL);
	set_verify(&rq[1], "wrong", alice, NULL);
	set_verify(&rq[2], "bob-pw", bob, "bob");
	assert_int_equal(gw_auth_req_set(&rq[3], GW_AUTH_HASH_NEW, "carol-pw", 8, NULL, "carol", 5,
					 realm, strlen(realm)), 0);
	rq[3].created_ms = 42;
	set_verify(&rq[4], "x", "$argon2id$v=19$m=64", NULL);
	set_verify(&rq[5], "old-pw", old, "dave");
	for (unsigned i = 0; i < 6; i++)
		rq[i].cookie = (void *)(uintptr_t)(i + 1);

	struct gw_auth_req *c0[] = { &rq[0], &rq[1], &rq[4] }, *c1[] = { &rq[2], &rq[3], &rq[5] };
	assert_int_equal(gw_authd_submit(f.ch[0], c0, 3), 3);
	assert_int_equal(gw_authd_submit(f.ch[1], c1, 3), 3);
	assert_int_equal(gw_authd_inflight(f.ch[0]), 3);

	for (unsigned w = 0; w < 2; w++) {
		unsigned got = 0;
		while (got < 3) {
			uint32_t n = wait_poll(f.ch[w], &f.bells[w], out, 8);
			for (uint32_t i = 0; i < n; i++) {
				assert_int_equal(out[i]->chan, w);
				assert_true(password_wiped(out[i]));
				seen |= 1u << ((uintptr_t)out[i]->cookie - 1);
			}
			got += n;
		}
		assert_int_equal(gw_authd_inflight(f.ch[w]), 0);
	}
	assert_int_equal(seen, 0x3f);
	assert_int_equal(rq[0].result, 0);
	assert_false(rq[0].rehashed);
	assert_int_equal(rq[1].result, -EACCES);
	assert_int_equal(rq[2].result, 0);
	assert_false(rq[2].rehashed);     /* already at the configured parameters */
	assert_int_equal(rq[3].result, 0);
	assert_int_equal(gw_auth_verify_password(rq[3].rec.phc, "carol-pw", 8), 0);
	assert_true(strncmp(rq[3].rec.phc, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
	assert_true(rq[3].rec.created_ms == 42);
	{
		char ha1[GW_HA1_MD5_LEN + 1];
		assert_int_equal(gw_auth_ha1_md5("carol", 5, realm, strlen(realm), "carol-pw", 8, ha1), 0);
		assert_string_equal(rq[3].rec.ha1_md5, ha1);
	}
	assert_int_equal(rq[4].result, -EINVAL);
	/* Below the configured parameters: verified and re-hashed at them. */
	assert_int_equal(rq[5].result, 0);
	assert_true(rq[5].rehashed);
	assert_false(gw_auth_needs_rehash(rq[5].rec.phc, &test_prm));
	assert_int_equal(gw_auth_verify_password(rq[5].rec.phc, "old-pw", 6), 0);
	finish(&f);
}

/* The queue is bounded by ring_size per channel; the rest is the caller's 503. */
static void test_bounded(void **state)
{
	char phc[GW_AUTH_PHC_MAX];
	struct gw_auth_req rq[6], *p[6], *out[8];
	struct fixture f;
	uint32_t got = 0;
	(void)state;

	hash_of("pw", &test_prm, phc);
	start(&f, 4, &test_prm);
	for (unsigned i = 0; i < 6; i++) {
		set_verify(&rq[i], "pw", phc, NULL);
		p[i] = &rq[i];
	}
	assert_int_equal(gw_authd_submit(f.ch[0], p, 6), 4);
	assert_int_equal(gw_authd_submit(f.ch[0], p + 4, 2), 0);
	while (got < 4)
		got += wait_poll(f.ch[0], &f.bells[0], out, 8);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(rq[i].result, 0);
	assert_int_equal(gw_authd_submit(f.ch[0], p + 4, 2), 2);
	got = 0;
	while (got < 2)
		got += wait_poll(f.ch[0], &f.bells[0], out, 8);
	finish(&f);
}

/*
 * Stop with requests pending: a slow verify (its PHC asks for 32 MiB, 4
 * passes) occupies the thread while ten light ones queue behind it on both
 * channels; it is finished, every light one comes back -ECANCELED, and
 * every password is wiped.
 */
static void test_stop_cancels(void **state)
{
	static const struct gw_argon2_params slow = { .m_kib = 32768, .t_cost = 4, .lanes = 1 };
	char heavy_phc[GW_AUTH_PHC_MAX], phc[GW_AUTH_PHC_MAX];
	struct gw_auth_req heavy, rq[10], *out[16], *hp = &heavy;
	struct fixture f;
	uint32_t got[2] = { 0, 0 };
	(void)state;

	hash_of("h", &slow, heavy_phc);
	hash_of("pw", &test_prm, phc);
	start(&f, 16, &test_prm);
	set_verify(&heavy, "wrong", heavy_phc, NULL);
	for (unsigned i = 0; i < 10; i++)
		set_verify(&rq[i], "pw", phc, NULL);
	assert_int_equal(gw_authd_submit(f.ch[0], &hp, 1), 1);
	/* Wait (no deadline: the test harness has one) until the thread holds it. */
	while (gw_authd_queued(f.ch[0]))
		sched_yield();
	for (unsigned i = 0; i < 10; i++) {
		struct gw_auth_req *r = &rq[i];
		assert_int_equal(gw_authd_submit(f.ch[i % 2], &r, 1), 1);
	}
	gw_authd_stop(f.d);
	gw_authd_stop(f.d); /* idempotent */
	{
		struct gw_auth_req *r = &rq[0];
		assert_int_equal(gw_authd_submit(f.ch[0], &r, 1), 0);
	}
	/* Everything is back already: stop pushed the cancellations before returning. */
	got[0] = gw_authd_poll(f.ch[0], out, 16);
	got[1] = gw_authd_poll(f.ch[1], out + got[0], 16);
	assert_int_equal(got[0], 6);
	assert_int_equal(got[1], 5);
	assert_int_equal(heavy.result, -EACCES); /* in progress at stop: finished */
	assert_true(password_wiped(&heavy));
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(rq[i].result, -ECANCELED);
		assert_true(password_wiped(&rq[i]));
	}
	finish(&f);
}

static void test_sync_exec(void **state)
{
	struct gw_auth_req r;
	char big[GW_AUTH_PASSWORD_MAX + 1];
	char name[GW_AUTH_USER_MAX + 1];
	(void)state;

	assert_int_equal(gw_auth_req_set(&r, GW_AUTH_HASH_NEW, "pw1", 3, NULL, "erin", 4, realm,
					 strlen(realm)), 0);
	assert_int_equal(gw_authd_exec(&r, &test_prm), 0);
	assert_true(password_wiped(&r));
	assert_int_equal(gw_auth_verify_password(r.rec.phc, "pw1", 3), 0);
	{
		uint8_t buf[512];
		struct gw_user_rec back;
		int n = gw_user_rec_encode(&r.rec, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(gw_user_rec_decode(buf, (size_t)n, &back), 0);
	}
	/* No user for HASH_NEW, unknown op. */
	assert_int_equal(gw_auth_req_set(&r, GW_AUTH_HASH_NEW, "pw1", 3, NULL, "", 0, realm,
					 strlen(realm)), 0);
	assert_int_equal(gw_authd_exec(&r, &test_prm), -EINVAL);
	r.op = 99;
	assert_int_equal(gw_authd_exec(&r, &test_prm), -EINVAL);
	/* Inputs that do not fit. */
	memset(big, 'p', sizeof(big));
	memset(name, 'n', sizeof(name));
	assert_int_equal(gw_auth_req_set(&r, GW_AUTH_VERIFY, big, sizeof(big), NULL, NULL, 0,
					 NULL, 0), -E2BIG);
	assert_int_equal(gw_auth_req_set(&r, GW_AUTH_HASH_NEW, "p", 1, NULL, name, sizeof(name),
					 NULL, 0), -E2BIG);
}

static void test_start_bad(void **state)
{
	struct gw_authd *d = (struct gw_authd *)1;
	struct gw_authd_cfg cfg = { .ring_size = 3 };
	struct gw_argon2_params bad = { .m_kib = 1, .t_cost = 1, .lanes = 1 };
	(void)state;

	assert_int_equal(gw_authd_start(&d, 0, NULL, NULL), -EINVAL);
	assert_null(d);
	assert_int_equal(gw_authd_start(&d, 1, NULL, &cfg), -EINVAL);
	cfg = (struct gw_authd_cfg){ .params = &bad };
	assert_int_equal(gw_authd_start(&d, 1, NULL, &cfg), -EINVAL);
	/* NULL bells and cfg are allowed; free without any request. */
	assert_int_equal(gw_authd_start(&d, 1, NULL, NULL), 0);
	gw_authd_free(d);
	gw_authd_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_to_end),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_stop_cancels),
		cmocka_unit_test(test_sync_exec),
		cmocka_unit_test(test_start_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
