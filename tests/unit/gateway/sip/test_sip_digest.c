/*
 * SIP digest authentication, server side: the RFC 7616 §3.9.1 example
 * responses, challenges parsed back with the real header parser, nonce
 * round trips, tampering, peer binding, expiry on a fake clock, nc replay
 * and eviction from the replay table, and every refusal the verifier has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gateway/sip/sip_digest.h"
#include "gateway/sip/sip_parse.h"

#define REALM "example.com"
#define USER  "alice"
#define RURI  "sips:example.com"
#define PEER  "tls-conn-17"
#define TTL   30000u
#define T0    1700000000000ull

static struct sip_str S(const char *s)
{
	struct sip_str r = { s, strlen(s) };
	return r;
}

static const uint8_t test_key[SIP_DIGEST_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static char ha1_sha[SIP_DIGEST_HEX_MAX + 1], ha1_md5[SIP_DIGEST_HEX_MAX + 1];

/* A client's Authorization value; NULL fields are left out. */
struct cli {
	const char *scheme;   /* NULL: "Digest" */
	const char *user, *realm, *nonce, *uri, *alg, *qop, *nc, *cnonce;
	const char *method;   /* for the response; NULL: REGISTER */
	const char *password; /* NULL: "secret" */
	const char *response; /* NULL: computed */
	const char *extra;    /* appended verbatim, e.g. ", userhash=false" */
	bool no_response;
};

/* Append ", " (unless first) and name=v or name="v"; nothing when @v is NULL. */
static void add(char *buf, size_t cap, size_t *o, const char *name, bool quote, const char *v)
{
	const char *q = quote ? "\"" : "";

	if (!v)
		return;
	*o += (size_t)snprintf(buf + *o, cap - *o, "%s%s=%s%s%s",
			       buf[*o - 1] == ' ' ? "" : ", ", name, q, v, q);
	assert_true(*o < cap);
}

static void authz(char *buf, size_t cap, const struct cli *c)
{
	enum sip_digest_alg alg = c->alg && strcmp(c->alg, "MD5") ? SIP_DIGEST_SHA256
								   : SIP_DIGEST_MD5;
	const char *user = c->user ? c->user : USER, *realm = c->realm ? c->realm : REALM;
	char a1[256], ha1[SIP_DIGEST_HEX_MAX + 1], resp[SIP_DIGEST_HEX_MAX + 1];
	size_t o;

	snprintf(a1, sizeof(a1), "%s:%s:%s", user, realm, c->password ? c->password : "secret");
	assert_true(sip_digest_hash_hex(alg, a1, strlen(a1), ha1) > 0);
	assert_true(sip_digest_response(alg, S(ha1), S(c->nonce ? c->nonce : ""),
					S(c->nc ? c->nc : ""), S(c->cnonce ? c->cnonce : ""),
					S(c->qop ? c->qop : ""),
					S(c->method ? c->method : "REGISTER"),
					S(c->uri ? c->uri : ""), resp) > 0);
	o = (size_t)snprintf(buf, cap, "%s ", c->scheme ? c->scheme : "Digest");
	add(buf, cap, &o, "username", true, c->user);
	add(buf, cap, &o, "realm", true, c->realm);
	add(buf, cap, &o, "nonce", true, c->nonce);
	add(buf, cap, &o, "uri", true, c->uri);
	if (!c->no_response)
		add(buf, cap, &o, "response", true, c->response ? c->response : resp);
	add(buf, cap, &o, "algorithm", false, c->alg);
	add(buf, cap, &o, "qop", false, c->qop);
	add(buf, cap, &o, "nc", false, c->nc);
	add(buf, cap, &o, "cnonce", true, c->cnonce);
	if (c->extra)
		snprintf(buf + o, cap - o, "%s", c->extra);
}

static struct sip_digest_expect expect(void)
{
	struct sip_digest_expect e = {
		.method = S("REGISTER"),
		.ruri = S(RURI),
		.username = S(USER),
		.realm = S(REALM),
		.ha1_sha256 = ha1_sha,
		.ha1_md5 = ha1_md5,
		.peer = PEER,
		.peer_len = sizeof(PEER) - 1,
	};
	return e;
}

/* A well-formed SHA-256 client answer for @nonce with @nc. */
static struct cli good(const char *nonce, const char *nc)
{
	struct cli c = {
		.user = USER, .realm = REALM, .nonce = nonce, .uri = RURI,
		.alg = "SHA-256", .qop = "auth", .nc = nc, .cnonce = "0a4f113b",
	};
	return c;
}

static int verify(struct sip_digest *d, const struct cli *c, uint64_t now)
{
	struct sip_digest_expect e = expect();
	char buf[1024];

	authz(buf, sizeof(buf), c);
	return sip_digest_verify_value(d, S(buf), &e, now);
}

static int setup(void **state)
{
	static struct sip_digest d;
	struct sip_digest_cfg cfg = { .nonce_ttl_ms = TTL, .replay_slots = 64, .key = test_key };
	const char *a1 = USER ":" REALM ":secret";

	assert_int_equal(sip_digest_hash_hex(SIP_DIGEST_SHA256, a1, strlen(a1), ha1_sha), 64);
	assert_int_equal(sip_digest_hash_hex(SIP_DIGEST_MD5, a1, strlen(a1), ha1_md5), 32);
	assert_int_equal(sip_digest_init(&d, &cfg), 0);
	*state = &d;
	return 0;
}

static int teardown(void **state)
{
	sip_digest_fini(*state);
	return 0;
}

static void issue(struct sip_digest *d, uint64_t now, char n[SIP_DIGEST_NONCE_LEN + 1])
{
	assert_int_equal(sip_digest_nonce(d, PEER, sizeof(PEER) - 1, now, n), 0);
	assert_int_equal(strlen(n), SIP_DIGEST_NONCE_LEN);
}

/* RFC 7616 §3.9.1, both algorithms, through the public response function. */
static void test_rfc7616_example(void **state)
{
	const char *a1 = "Mufasa:http-auth@example.org:Circle of Life";
	struct sip_str nonce = S("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
	struct sip_str cnonce = S("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
	char ha1[SIP_DIGEST_HEX_MAX + 1], out[SIP_DIGEST_HEX_MAX + 1];

	(void)state;
	assert_int_equal(sip_digest_hash_hex(SIP_DIGEST_MD5, a1, strlen(a1), ha1), 32);
	assert_int_equal(sip_digest_response(SIP_DIGEST_MD5, S(ha1), nonce, S("00000001"), cnonce,
					     S("auth"), S("GET"), S("/dir/index.html"), out), 32);
	assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
	assert_int_equal(sip_digest_hash_hex(SIP_DIGEST_SHA256, a1, strlen(a1), ha1), 64);
	assert_int_equal(sip_digest_response(SIP_DIGEST_SHA256, S(ha1), nonce, S("00000001"),
					     cnonce, S("auth"), S("GET"), S("/dir/index.html"),
					     out), 64);
	assert_string_equal(out,
		"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	/* An HA1 of the other hash's length is refused. */
	assert_int_equal(sip_digest_response(SIP_DIGEST_MD5, S(ha1), nonce, S("00000001"), cnonce,
					     S("auth"), S("GET"), S("/"), out), -EINVAL);
	assert_int_equal(sip_digest_hash_hex((enum sip_digest_alg)9, "x", 1, out), -EINVAL);
}

/* Challenges parse back with sip_auth_parse(); realm quoting; -ENOSPC at every short size. */
static void test_challenge(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1], buf[256];
	struct sip_auth a;
	ssize_t len;

	issue(*state, T0, n);
	len = sip_digest_challenge(SIP_DIGEST_SHA256, S(REALM), n, false, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(buf));
	assert_int_equal(sip_auth_parse(S(buf), &a), 0);
	assert_true(sip_str_eq(a.scheme, "Digest"));
	assert_true(sip_str_eq(a.realm, REALM));
	assert_true(sip_str_eq(a.nonce, n));
	assert_true(sip_str_eq(a.algorithm, "SHA-256"));
	assert_true(sip_str_eq(a.qop, "auth"));
	assert_false(a.stale);
	assert_true(strstr(buf, "qop=\"auth\"") != NULL);

	len = sip_digest_challenge(SIP_DIGEST_MD5, S("we \"q\" \\"), n, true, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(sip_auth_parse(S(buf), &a), 0);
	assert_true(sip_str_eq(a.algorithm, "MD5"));
	assert_true(a.stale);
	assert_true(sip_str_eq(a.realm, "we \\\"q\\\" \\\\"));
	for (size_t cap = 0; cap <= (size_t)len; cap++)
		assert_int_equal(sip_digest_challenge(SIP_DIGEST_MD5, S("we \"q\" \\"), n, true,
						      buf, cap), -ENOSPC);
	assert_int_equal(sip_digest_challenge(SIP_DIGEST_MD5, S("a\r\nb"), n, false, buf,
					      sizeof(buf)), -EINVAL);
	assert_int_equal(sip_digest_challenge(SIP_DIGEST_MD5, S(REALM), "short", false, buf,
					      sizeof(buf)), -EINVAL);
	assert_int_equal(sip_digest_challenge((enum sip_digest_alg)0, S(REALM), n, false, buf,
					      sizeof(buf)), -EINVAL);
}

/* Issue, answer as a client, verify: SHA-256, MD5 named and MD5 by default. */
static void test_round_trip(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1];
	struct cli c;

	issue(*state, T0, n);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0 + 5), SIP_DIGEST_OK);

	issue(*state, T0, n);
	c = good(n, "00000001");
	c.alg = "MD5";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);

	issue(*state, T0, n);
	c = good(n, "0000000a");
	c.alg = NULL; /* RFC 2617: absent means MD5 */
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);

	/* Upper-case hex in the response is the same response. */
	issue(*state, T0, n);
	c = good(n, "00000001");
	{
		char a1[] = USER ":" REALM ":secret", ha1[65], r[65];

		assert_int_equal(sip_digest_hash_hex(SIP_DIGEST_SHA256, a1, strlen(a1), ha1), 64);
		assert_int_equal(sip_digest_response(SIP_DIGEST_SHA256, S(ha1), S(n), S("00000001"),
						     S("0a4f113b"), S("auth"), S("REGISTER"),
						     S(RURI), r), 64);
		for (char *p = r; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		c.response = r;
		assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
	}

	/* Wrong password: BAD_RESPONSE, and nothing recorded for the nonce. */
	issue(*state, T0, n);
	c = good(n, "00000005");
	c.password = "guess";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_RESPONSE);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);

	/* Another method than the one answered for. */
	issue(*state, T0, n);
	c = good(n, "00000001");
	c.method = "MESSAGE";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_RESPONSE);
}

/* A full REGISTER through the real parser (folded Authorization). */
static void test_parsed_register(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1], value[1024], msg[2048];
	struct sip_header hdrs[16];
	struct sip_msg m;
	struct sip_parser ps;
	struct sip_auth a;
	struct sip_digest_expect e = expect();
	struct cli c;
	char *comma;

	issue(*state, T0, n);
	c = good(n, "00000001");
	authz(value, sizeof(value), &c);
	comma = strstr(value, ", uri=");
	assert_non_null(comma);
	memmove(comma + 3, comma + 1, strlen(comma + 1) + 1); /* fold before uri */
	memcpy(comma + 1, "\r\n\t", 3);
	snprintf(msg, sizeof(msg),
		 "REGISTER " RURI " SIP/2.0\r\n"
		 "Via: SIP/2.0/TLS 192.0.2.4:5061;branch=z9hG4bK776asdhds\r\n"
		 "Max-Forwards: 70\r\nTo: <sips:alice@example.com>\r\n"
		 "From: <sips:alice@example.com>;tag=1928301774\r\n"
		 "Call-ID: a84b4c76e66710\r\nCSeq: 2 REGISTER\r\n"
		 "Authorization: %s\r\nContent-Length: 0\r\n\r\n", value);
	memset(&m, 0, sizeof(m));
	m.headers = hdrs;
	m.headers_cap = 16;
	sip_parser_init(&ps, NULL);
	assert_int_equal(sip_parse_message(&ps, msg, strlen(msg), &m), (ssize_t)strlen(msg));
	assert_non_null(m.authorization);
	assert_int_equal(sip_auth_parse(m.authorization->value, &a), 0);
	e.method = m.method;
	e.ruri = m.ruri_text;
	assert_int_equal(sip_digest_verify(*state, &a, &e, T0 + 1), SIP_DIGEST_OK);
	assert_int_equal(sip_digest_verify(*state, &a, &e, T0 + 2), SIP_DIGEST_REPLAY);
}

/* Any changed character of the nonce breaks its MAC (the response is
 * recomputed for the tampered nonce, so only the MAC can refuse it). */
static void test_tampered_nonce(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1], t[SIP_DIGEST_NONCE_LEN + 2];
	struct cli c;

	issue(*state, T0, n);
	for (size_t i = 0; i < SIP_DIGEST_NONCE_LEN; i++) {
		memcpy(t, n, sizeof(n));
		t[i] = t[i] == 'A' ? 'B' : 'A';
		c = good(t, "00000001");
		assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_NONCE);
	}
	/* Not base64url, one character short or long. */
	memcpy(t, n, sizeof(n));
	t[3] = '+';
	c = good(t, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_NONCE);
	memcpy(t, n, sizeof(n));
	t[SIP_DIGEST_NONCE_LEN - 1] = '\0';
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_NONCE);
	memcpy(t, n, sizeof(n));
	t[SIP_DIGEST_NONCE_LEN] = 'A';
	t[SIP_DIGEST_NONCE_LEN + 1] = '\0';
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_NONCE);
	/* The untouched nonce still works. */
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
}

/* A nonce issued on one flow is refused on another, and by another key. */
static void test_peer_binding(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1], buf[1024];
	struct sip_digest other;
	struct sip_digest_expect e = expect();
	struct cli c;

	assert_int_equal(sip_digest_nonce(*state, "tls-conn-18", 11, T0, n), 0);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_NONCE);
	authz(buf, sizeof(buf), &c);
	e.peer = "tls-conn-18";
	e.peer_len = 11;
	assert_int_equal(sip_digest_verify_value(*state, S(buf), &e, T0), SIP_DIGEST_OK);

	/* An empty binding is a binding too. */
	assert_int_equal(sip_digest_nonce(*state, NULL, 0, T0, n), 0);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_NONCE);

	/* Random keys (cfg NULL): one context's nonces fail on another. */
	assert_int_equal(sip_digest_init(&other, NULL), 0);
	assert_int_equal(sip_digest_nonce(&other, PEER, sizeof(PEER) - 1, T0, n), 0);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_NONCE);
	assert_int_equal(verify(&other, &c, T0), SIP_DIGEST_OK);
	sip_digest_fini(&other);
	sip_digest_fini(&other); /* idempotent */
}

/* Fake clock: age == ttl passes, ttl + 1 is STALE; STALE needs a right response. */
static void test_expiry(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1];
	struct cli c;

	issue(*state, T0, n);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0 + TTL), SIP_DIGEST_OK);
	c = good(n, "00000002");
	assert_int_equal(verify(*state, &c, T0 + TTL + 1), SIP_DIGEST_STALE);
	c.password = "guess";
	assert_int_equal(verify(*state, &c, T0 + TTL + 1), SIP_DIGEST_BAD_RESPONSE);

	/* A nonce from the future (the clock went back) is stale as well. */
	issue(*state, T0 + 1000, n);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0 + 999), SIP_DIGEST_STALE);
	assert_int_equal(verify(*state, &c, T0 + 1000), SIP_DIGEST_OK);
}

/* nc strictly increases per nonce; qop-less nonces are single use. */
static void test_replay(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1], n2[SIP_DIGEST_NONCE_LEN + 1];
	struct cli c;

	issue(*state, T0, n);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_REPLAY);
	c = good(n, "00000003");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
	c = good(n, "00000002");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_REPLAY);
	c = good(n, "00000003");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_REPLAY);
	c = good(n, "0000000A"); /* upper-case hex is the same number space */
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
	c = good(n, "0000000a");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_REPLAY);
	c = good(n, "ffffffff");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_REPLAY);

	/* RFC 2069 form: no qop, nc, cnonce; once only, then not with qop either. */
	issue(*state, T0, n2);
	c = good(n2, NULL);
	c.qop = NULL;
	c.cnonce = NULL;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_REPLAY);
	c = good(n2, "00000007");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_REPLAY);
	/* And a nonce used with qop cannot then be used without. */
	c = good(n, NULL);
	c.qop = NULL;
	c.cnonce = NULL;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_REPLAY);
}

/* A one-set table (4 entries): the oldest nonce is evicted, and a nonce the
 * table may have forgotten is STALE, never accepted again. */
static void test_eviction(void **state)
{
	struct sip_digest d;
	struct sip_digest_cfg cfg = { .nonce_ttl_ms = TTL, .replay_slots = 1, .key = test_key };
	char n[7][SIP_DIGEST_NONCE_LEN + 1];
	struct cli c;

	(void)state;
	assert_int_equal(sip_digest_init(&d, &cfg), 0);
	for (int i = 0; i < 7; i++)
		issue(&d, T0 + (uint64_t)i, n[i]);
	/* Used out of issue order: n[3], n[1], n[2], n[4] fill the set. */
	const int order[] = { 3, 1, 2, 4 };
	for (size_t k = 0; k < 4; k++) {
		c = good(n[order[k]], "00000001");
		assert_int_equal(verify(&d, &c, T0 + 10), SIP_DIGEST_OK);
	}
	assert_int_equal(d.evicted_live, 0);
	c = good(n[5], "00000001");
	assert_int_equal(verify(&d, &c, T0 + 10), SIP_DIGEST_OK); /* evicts n[1] */
	assert_int_equal(d.evicted_live, 1);
	c = good(n[1], "00000002");
	assert_int_equal(verify(&d, &c, T0 + 10), SIP_DIGEST_STALE);
	c = good(n[0], "00000001"); /* never seen, but older than what was evicted */
	assert_int_equal(verify(&d, &c, T0 + 10), SIP_DIGEST_STALE);
	for (int i = 2; i <= 5; i++) {
		c = good(n[i], "00000001");
		assert_int_equal(verify(&d, &c, T0 + 10), SIP_DIGEST_REPLAY);
	}
	c = good(n[6], "00000001");
	assert_int_equal(verify(&d, &c, T0 + 10), SIP_DIGEST_OK); /* evicts n[2] */
	c = good(n[2], "00000002");
	assert_int_equal(verify(&d, &c, T0 + 10), SIP_DIGEST_STALE);
	c = good(n[3], "00000002");
	assert_int_equal(verify(&d, &c, T0 + 10), SIP_DIGEST_OK);
	assert_int_equal(d.evicted_live, 2);
	sip_digest_fini(&d);

	cfg.replay_slots = (1u << 24) + 1;
	assert_int_equal(sip_digest_init(&d, &cfg), -EINVAL);
	sip_digest_fini(&d);
}

/* Evicting expired nonces moves no mark: a nonce issued before them but
 * still within its ttl is accepted at its first use. */
static void test_eviction_expired(void **state)
{
	const uint64_t t1 = T0 + TTL + 100;
	struct sip_digest d;
	struct sip_digest_cfg cfg = { .nonce_ttl_ms = TTL, .replay_slots = 4, .key = test_key };
	char old[4][SIP_DIGEST_NONCE_LEN + 1], m[6][SIP_DIGEST_NONCE_LEN + 1];
	struct cli c;

	(void)state;
	assert_int_equal(sip_digest_init(&d, &cfg), 0);
	for (int i = 0; i < 4; i++) {
		issue(&d, T0, old[i]);
		c = good(old[i], "00000001");
		assert_int_equal(verify(&d, &c, T0), SIP_DIGEST_OK);
	}
	for (int i = 0; i < 6; i++)
		issue(&d, t1 - 60 + (uint64_t)i, m[i]);
	for (int i = 1; i <= 4; i++) { /* m[0], the oldest, stays unused for now */
		c = good(m[i], "00000001");
		assert_int_equal(verify(&d, &c, t1), SIP_DIGEST_OK);
	}
	assert_int_equal(d.evicted_live, 0);
	c = good(m[0], "00000001");
	assert_int_equal(verify(&d, &c, t1), SIP_DIGEST_OK); /* evicts m[1], live */
	assert_int_equal(d.evicted_live, 1);
	c = good(m[1], "00000002");
	assert_int_equal(verify(&d, &c, t1), SIP_DIGEST_STALE);
	c = good(m[5], "00000001");
	assert_int_equal(verify(&d, &c, t1), SIP_DIGEST_OK); /* newer than the mark */
	c = good(old[0], "00000002");
	assert_int_equal(verify(&d, &c, t1), SIP_DIGEST_STALE); /* expired anyway */
	sip_digest_fini(&d);
}

/* Missing, duplicate and malformed parameters: BAD_REQUEST. */
static void test_bad_request(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1];
	struct cli c;

	issue(*state, T0, n);
	c = good(n, "00000001");
	c.user = NULL;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c = good(n, "00000001");
	c.realm = NULL;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c = good(NULL, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c = good(n, "00000001");
	c.uri = NULL;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c = good(n, "00000001");
	c.no_response = true;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c = good(n, "00000001");
	c.response = "0123456789abcdef0123456789abcdef"; /* MD5 length for SHA-256 */
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c.response = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	/* qop without nc or cnonce; nc or cnonce without qop; bad nc. */
	c = good(n, NULL);
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c = good(n, "00000001");
	c.cnonce = NULL;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c = good(n, "00000001");
	c.qop = NULL;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c.nc = NULL;
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST); /* cnonce alone */
	const char *bad_nc[] = { "0000001", "000000001", "00000000", "0000000g", "\"\"" };
	for (size_t i = 0; i < sizeof(bad_nc) / sizeof(bad_nc[0]); i++) {
		c = good(n, bad_nc[i]);
		assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	}
	/* Duplicate parameters are refused by the header parser. */
	c = good(n, "00000001");
	c.extra = ", realm=\"" REALM "\"";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c.extra = ", nc=00000002";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	/* Over SIP_DIGEST_FIELD_MAX after unquoting. */
	{
		char big[SIP_DIGEST_FIELD_MAX + 2];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		c = good(n, "00000001");
		c.cnonce = big;
		char buf[2048];
		struct sip_digest_expect e = expect();

		authz(buf, sizeof(buf), &c);
		assert_int_equal(sip_digest_verify_value(*state, S(buf), &e, T0),
				 SIP_DIGEST_BAD_REQUEST);
	}
	/* Nothing above consumed the nonce. */
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
}

/* Another user, realm or uri than expected. */
static void test_wrong_identity(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1], buf[1024];
	struct sip_digest_expect e = expect();
	struct cli c;

	issue(*state, T0, n);
	c = good(n, "00000001");
	c.user = "bob"; /* bob's own, correct, answer: still not alice */
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_WRONG_USER);
	c.user = "Alice";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_WRONG_USER);
	c.user = "alice\\\""; /* escapes are decoded before comparing */
	authz(buf, sizeof(buf), &c);
	e.username = S("alice\"");
	assert_int_equal(sip_digest_verify_value(*state, S(buf), &e, T0), SIP_DIGEST_BAD_RESPONSE);
	c = good(n, "00000001");
	c.realm = "example.org";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_WRONG_REALM);
	c = good(n, "00000001");
	c.uri = "sips:EXAMPLE.com"; /* equal as SIP URIs, not as strings */
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c.uri = "sips:example.com;transport=tls";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_BAD_REQUEST);
	c = good(n, "00000001");
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_OK);
}

/* Algorithms, qop values, schemes and userhash we do not do. */
static void test_unsupported(void **state)
{
	char n[SIP_DIGEST_NONCE_LEN + 1], buf[1024];
	struct sip_digest_expect e = expect();
	struct cli c;

	issue(*state, T0, n);
	const char *algs[] = { "SHA-512-256", "MD5-sess", "SHA-256-sess", "SHA256", "AKAv1-MD5" };
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		c = good(n, "00000001");
		c.alg = algs[i];
		assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_UNSUPPORTED);
	}
	c = good(n, "00000001");
	c.qop = "auth-int";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_UNSUPPORTED);
	c = good(n, "00000001");
	c.scheme = "Basic";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_UNSUPPORTED);
	c = good(n, "00000001");
	c.extra = ", userhash=true";
	assert_int_equal(verify(*state, &c, T0), SIP_DIGEST_UNSUPPORTED);
	/* No HA1 of that kind in the user record. */
	c = good(n, "00000001");
	authz(buf, sizeof(buf), &c);
	e.ha1_sha256 = NULL;
	assert_int_equal(sip_digest_verify_value(*state, S(buf), &e, T0), SIP_DIGEST_UNSUPPORTED);
	e = expect();
	c.extra = ", userhash=false";
	c.alg = "sha-256"; /* algorithm names compare case-insensitively */
	authz(buf, sizeof(buf), &c);
	assert_int_equal(sip_digest_verify_value(*state, S(buf), &e, T0), SIP_DIGEST_OK);
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(sip_digest_result_name(SIP_DIGEST_OK), "ok");
	assert_string_equal(sip_digest_result_name(SIP_DIGEST_STALE), "stale");
	assert_string_equal(sip_digest_result_name(SIP_DIGEST_BAD_NONCE), "bad_nonce");
	assert_string_equal(sip_digest_result_name(SIP_DIGEST_UNSUPPORTED), "unsupported");
	assert_string_equal(sip_digest_result_name(SIP_DIGEST__LAST + 1), "unknown");
	assert_string_equal(sip_digest_result_name(-EINVAL), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7616_example),
		cmocka_unit_test_setup_teardown(test_challenge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parsed_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction, setup, teardown),
		cmocka_unit_test(test_eviction_expired),
		cmocka_unit_test_setup_teardown(test_bad_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported, setup, teardown),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
