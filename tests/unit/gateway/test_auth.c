/* Unit tests of gateway/auth.c: Argon2id, HA1, the user record, tokens, Authorization. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/auth.h"

/* Small parameters keep the suite fast; one test uses gw_argon2_owasp. */
static const struct gw_argon2_params test_prm = { .m_kib = 64, .t_cost = 1, .lanes = 1 };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- HA1: RFC 7616 §3.9.1 (expected values computed with sha256sum / md5sum) ---- */

static void test_ha1_rfc7616(void **state)
{
	static const char user[] = "Mufasa", realm[] = "http-auth@example.org",
			  pw[] = "Circle of Life";
	char sha[GW_HA1_SHA256_LEN + 1], md5[GW_HA1_MD5_LEN + 1];
	(void)state;

	assert_int_equal(gw_auth_ha1_sha256(user, 6, realm, strlen(realm), pw, strlen(pw), sha), 0);
	assert_string_equal(sha, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
	assert_int_equal(gw_auth_ha1_md5(user, 6, realm, strlen(realm), pw, strlen(pw), md5), 0);
	assert_string_equal(md5, "3d78807defe7de2157e2b0b6573a855f");
	/* The separator matters: "Mufasa:" + "http..." differs. */
	assert_int_equal(gw_auth_ha1_md5("Mufas", 5, realm, strlen(realm), pw, strlen(pw), md5), 0);
	assert_string_not_equal(md5, "3d78807defe7de2157e2b0b6573a855f");
}

/* ---- Argon2id ---- */

static void test_argon2_round_trip(void **state)
{
	char phc[GW_AUTH_PHC_MAX], phc2[GW_AUTH_PHC_MAX];
	struct gw_argon2_params got;
	(void)state;

	assert_int_equal(gw_auth_hash_password(&test_prm, "hunter2", 7, phc), 0);
	assert_true(strncmp(phc, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
	assert_int_equal(gw_auth_phc_parse(phc, &got), 0);
	assert_int_equal(got.m_kib, 64);
	assert_int_equal(got.t_cost, 1);
	assert_int_equal(got.lanes, 1);
	assert_int_equal(gw_auth_verify_password(phc, "hunter2", 7), 0);
	assert_int_equal(gw_auth_verify_password(phc, "hunter3", 7), -EACCES);
	assert_int_equal(gw_auth_verify_password(phc, "hunter", 6), -EACCES);
	assert_int_equal(gw_auth_verify_password(phc, "", 0), -EACCES);
	/* A fresh salt each time. */
	assert_int_equal(gw_auth_hash_password(&test_prm, "hunter2", 7, phc2), 0);
	assert_string_not_equal(phc, phc2);
	/* Binary passwords with NUL bytes are whole passwords. */
	assert_int_equal(gw_auth_hash_password(&test_prm, "a\0b", 3, phc), 0);
	assert_int_equal(gw_auth_verify_password(phc, "a\0b", 3), 0);
	assert_int_equal(gw_auth_verify_password(phc, "a\0c", 3), -EACCES);
}

static void test_argon2_limits(void **state)
{
	char phc[GW_AUTH_PHC_MAX], big[GW_AUTH_PASSWORD_MAX + 1];
	struct gw_argon2_params bad = { .m_kib = 4, .t_cost = 1, .lanes = 1 };
	(void)state;

	memset(big, 'x', sizeof(big));
	assert_int_equal(gw_auth_hash_password(&bad, "x", 1, phc), -EINVAL);
	bad = (struct gw_argon2_params){ .m_kib = 64, .t_cost = 0, .lanes = 1 };
	assert_int_equal(gw_auth_hash_password(&bad, "x", 1, phc), -EINVAL);
	bad = (struct gw_argon2_params){ .m_kib = GW_ARGON2_M_MAX + 1, .t_cost = 1, .lanes = 1 };
	assert_int_equal(gw_auth_hash_password(&bad, "x", 1, phc), -EINVAL);
	assert_int_equal(gw_auth_hash_password(&test_prm, big, sizeof(big), phc), -EINVAL);
	assert_int_equal(gw_auth_hash_password(&test_prm, big, sizeof(big) - 1, phc), 0);
	assert_int_equal(gw_auth_verify_password(phc, big, sizeof(big) - 1), 0);
	assert_int_equal(gw_auth_verify_password(phc, big, sizeof(big)), -EINVAL);
}

/* The real cost, measured (printed, never asserted). */
static void test_argon2_owasp(void **state)
{
	char phc[GW_AUTH_PHC_MAX];
	double t0, t1, t2;
	(void)state;

	t0 = now_s();
	assert_int_equal(gw_auth_hash_password(NULL, "correct horse", 13, phc), 0);
	t1 = now_s();
	assert_int_equal(gw_auth_verify_password(phc, "correct horse", 13), 0);
	t2 = now_s();
	assert_true(strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	assert_int_equal(gw_auth_verify_password(phc, "correct horsf", 13), -EACCES);
	assert_false(gw_auth_needs_rehash(phc, NULL));
	print_message("argon2id m=19456,t=2,p=1: hash %.1f ms, verify %.1f ms\n",
		      (t1 - t0) * 1e3, (t2 - t1) * 1e3);
}

static void test_needs_rehash(void **state)
{
	char phc[GW_AUTH_PHC_MAX];
	struct gw_argon2_params hi = { .m_kib = 128, .t_cost = 1, .lanes = 1 };
	(void)state;

	assert_int_equal(gw_auth_hash_password(&test_prm, "pw", 2, phc), 0);
	assert_true(gw_auth_needs_rehash(phc, NULL));       /* 64 KiB < 19 MiB */
	assert_false(gw_auth_needs_rehash(phc, &test_prm));  /* equal: fine */
	assert_true(gw_auth_needs_rehash(phc, &hi));
	hi = (struct gw_argon2_params){ .m_kib = 64, .t_cost = 2, .lanes = 1 };
	assert_true(gw_auth_needs_rehash(phc, &hi));
	hi = (struct gw_argon2_params){ .m_kib = 32, .t_cost = 1, .lanes = 1 };
	assert_false(gw_auth_needs_rehash(phc, &hi));        /* stored is stronger */
	assert_true(gw_auth_needs_rehash("garbage", NULL));  /* malformed: rehash */
	/* Lowered parameters written by hand (verification still uses them). */
	assert_true(gw_auth_needs_rehash(
		"$argon2id$v=19$m=19456,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
		"MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI", NULL));
	assert_false(gw_auth_needs_rehash(
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		"MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI", NULL));
}

static void test_phc_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=064,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=4,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=2097152,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=64,t=65,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=64,t=1,p=17$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=64,t=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$t=1,m=64,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZQ$MTIzNDU2Nzg5MDEyMzQ1Ng",          /* salt 4 bytes */
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIz",            /* hash 3 bytes */
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA==$MTIzNDU2Nzg5MDEyMzQ1Ng", /* padding */
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdB$MTIzNDU2Nzg5MDEyMzQ1Ng",  /* non-canonical */
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHR*b21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng$",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA",
		"$argon2id$v=19$m=64,t=1,p=1$$MTIzNDU2Nzg5MDEyMzQ1Ng",
	};
	char longer[GW_AUTH_PHC_MAX + 8];
	(void)state;

	assert_int_equal(gw_auth_phc_parse(
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MTIzNDU2Nzg5MDEyMzQ1Ng", NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gw_auth_phc_parse(bad[i], NULL) != -EINVAL)
			fail_msg("accepted bad PHC #%zu: %s", i, bad[i]);
		assert_int_equal(gw_auth_verify_password(bad[i], "x", 1), -EINVAL);
	}
	memset(longer, 'A', sizeof(longer));
	memcpy(longer, "$argon2id$v=19$m=64,t=1,p=1$", 28);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(gw_auth_phc_parse(longer, NULL), -EINVAL);
	assert_int_equal(gw_auth_phc_parse(NULL, NULL), -EINVAL);
}

/* ---- The user record ---- */

static void make_rec(struct gw_user_rec *rec)
{
	assert_int_equal(gw_user_rec_make(&test_prm, "alice", 5, "example.org", 11, "s3cret", 6,
					  1700000000123ull, rec), 0);
	rec->flags = GW_USER_F_DISABLED;
}

static void test_rec_round_trip(void **state)
{
	struct gw_user_rec rec, back;
	uint8_t buf[512];
	char ha1[GW_HA1_SHA256_LEN + 1];
	int n;
	(void)state;

	make_rec(&rec);
	assert_int_equal(gw_auth_verify_password(rec.phc, "s3cret", 6), 0);
	assert_int_equal(gw_auth_ha1_sha256("alice", 5, "example.org", 11, "s3cret", 6, ha1), 0);
	assert_string_equal(rec.ha1_sha256, ha1);
	n = gw_user_rec_encode(&rec, buf, sizeof(buf));
	assert_true(n > 0 && n <= GW_USER_REC_MAX && n <= 512);
	assert_int_equal(gw_user_rec_decode(buf, (size_t)n, &back), 0);
	assert_string_equal(back.phc, rec.phc);
	assert_string_equal(back.ha1_sha256, rec.ha1_sha256);
	assert_string_equal(back.ha1_md5, rec.ha1_md5);
	assert_true(back.created_ms == 1700000000123ull);
	assert_int_equal(back.flags, GW_USER_F_DISABLED);
	/* Exact capacity works, one byte less does not. */
	assert_int_equal(gw_user_rec_encode(&rec, buf, (size_t)n), n);
	assert_int_equal(gw_user_rec_encode(&rec, buf, (size_t)n - 1), -ENOSPC);
}

static void test_rec_encode_invalid(void **state)
{
	struct gw_user_rec rec, bad;
	uint8_t buf[512];
	(void)state;

	make_rec(&rec);
	bad = rec;
	bad.flags = 0x2;
	assert_int_equal(gw_user_rec_encode(&bad, buf, sizeof(buf)), -EINVAL);
	bad = rec;
	bad.ha1_md5[3] = 'A';
	assert_int_equal(gw_user_rec_encode(&bad, buf, sizeof(buf)), -EINVAL);
	bad = rec;
	bad.ha1_sha256[10] = '\0';
	assert_int_equal(gw_user_rec_encode(&bad, buf, sizeof(buf)), -EINVAL);
	bad = rec;
	bad.phc[1] = 'x';
	assert_int_equal(gw_user_rec_encode(&bad, buf, sizeof(buf)), -EINVAL);
}

/* Every malformation of a valid encoding is refused, and @rec comes back zeroed. */
static void test_rec_decode_malformed(void **state)
{
	static const struct gw_user_rec zero;
	struct gw_user_rec rec, out;
	uint8_t good[512], buf[600];
	size_t phc_len, off_sha, off_md5, off_flags;
	int n;
	(void)state;

	make_rec(&rec);
	n = gw_user_rec_encode(&rec, good, sizeof(good));
	assert_true(n > 0);
	phc_len = good[1];
	off_sha = 2 + phc_len;
	off_md5 = off_sha + GW_HA1_SHA256_LEN;
	off_flags = off_md5 + GW_HA1_MD5_LEN + 8;

	/* Every truncation, and one byte too many. */
	for (int len = 0; len < n; len++) {
		memset(&out, 0x55, sizeof(out));
		assert_int_equal(gw_user_rec_decode(good, (size_t)len, &out), -EINVAL);
		assert_memory_equal(&out, &zero, sizeof(out));
	}
	memcpy(buf, good, (size_t)n);
	buf[n] = 0;
	assert_int_equal(gw_user_rec_decode(buf, (size_t)n + 1, &out), -EINVAL);

#define MUTATE(off, val)                                                           \
	do {                                                                       \
		memcpy(buf, good, (size_t)n);                                      \
		buf[(off)] = (uint8_t)(val);                                       \
		memset(&out, 0x55, sizeof(out));                                   \
		assert_int_equal(gw_user_rec_decode(buf, (size_t)n, &out), -EINVAL); \
		assert_memory_equal(&out, &zero, sizeof(out));                     \
	} while (0)
	MUTATE(0, 2);                       /* version */
	MUTATE(0, 0);
	MUTATE(1, phc_len - 1);             /* phc length disagrees with total */
	MUTATE(1, phc_len + 1);
	MUTATE(1, 0);
	MUTATE(2, '#');                     /* PHC prefix */
	MUTATE(2 + 5, '\0');                /* NUL inside the PHC */
	MUTATE(2 + 17, 'x');                /* m=... not a number */
	MUTATE(off_sha - 1, '*');           /* hash base64 */
	MUTATE(off_sha, 'A');               /* HA1 uppercase */
	MUTATE(off_sha + 63, 'g');
	MUTATE(off_md5, '\0');
	MUTATE(off_md5 + 31, ' ');
	MUTATE(off_flags, 0x03);            /* unknown flag bit */
	MUTATE(off_flags + 3, 0x80);
#undef MUTATE
	/* Sanity: the unmutated buffer still decodes. */
	assert_int_equal(gw_user_rec_decode(good, (size_t)n, &out), 0);
	/* Oversized input is refused before anything else. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(gw_user_rec_decode(buf, sizeof(buf), &out), -EINVAL);
}

/* ---- Tokens ---- */

static int cmp_tok(const void *a, const void *b)
{
	return memcmp(a, b, GW_TOKEN_LEN);
}

static void test_tokens(void **state)
{
	enum { N = 10000 };
	char (*toks)[GW_TOKEN_LEN + 1] = calloc(N, sizeof(*toks));
	(void)state;

	assert_non_null(toks);
	for (int i = 0; i < N; i++) {
		assert_int_equal(gw_token_generate(toks[i]), 0);
		assert_int_equal(strlen(toks[i]), GW_TOKEN_LEN);
		for (int j = 0; j < GW_TOKEN_LEN; j++) {
			char c = toks[i][j];
			assert_true((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '-' || c == '_');
		}
		assert_true(gw_token_syntax_ok(toks[i], GW_TOKEN_LEN));
	}
	qsort(toks, N, sizeof(*toks), cmp_tok);
	for (int i = 1; i < N; i++)
		assert_int_not_equal(cmp_tok(toks[i - 1], toks[i]), 0);
	free(toks);
}

static void test_token_syntax(void **state)
{
	char t[GW_TOKEN_LEN + 2];
	(void)state;

	memset(t, 'A', GW_TOKEN_LEN);
	t[GW_TOKEN_LEN] = '\0';
	assert_true(gw_token_syntax_ok(t, GW_TOKEN_LEN));
	assert_false(gw_token_syntax_ok(t, GW_TOKEN_LEN - 1));
	t[GW_TOKEN_LEN] = 'A';
	assert_false(gw_token_syntax_ok(t, GW_TOKEN_LEN + 1));
	t[GW_TOKEN_LEN - 1] = 'E'; /* value 4: low 2 bits zero */
	assert_true(gw_token_syntax_ok(t, GW_TOKEN_LEN));
	t[GW_TOKEN_LEN - 1] = 'B'; /* value 1: non-canonical */
	assert_false(gw_token_syntax_ok(t, GW_TOKEN_LEN));
	t[GW_TOKEN_LEN - 1] = 'A';
	t[5] = '+';
	assert_false(gw_token_syntax_ok(t, GW_TOKEN_LEN));
	t[5] = '=';
	assert_false(gw_token_syntax_ok(t, GW_TOKEN_LEN));
	t[5] = '\0';
	assert_false(gw_token_syntax_ok(t, GW_TOKEN_LEN));
	t[5] = '_';
	assert_true(gw_token_syntax_ok(t, GW_TOKEN_LEN));
}

/* ---- Authorization; each input ends exactly at a PROT_NONE page ---- */

static char *guard_base;
static long page;

static const char *at_guard(const char *s, size_t n)
{
	char *p = guard_base + page - n;

	memcpy(p, s, n);
	return p;
}

static int parse(const char *s, struct gw_authz *a, char *buf, size_t cap)
{
	size_t n = strlen(s);

	return gw_authz_parse(at_guard(s, n), n, a, buf, cap);
}

static void test_authz_basic(void **state)
{
	struct gw_authz a;
	char buf[128];
	(void)state;

	/* RFC 7617 §2: Aladdin / open sesame. */
	assert_int_equal(parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &a, buf, sizeof(buf)), 0);
	assert_int_equal(a.scheme, GW_AUTHZ_BASIC);
	assert_int_equal(a.user_len, 7);
	assert_memory_equal(a.user, "Aladdin", 7);
	assert_int_equal(a.password_len, 11);
	assert_memory_equal(a.password, "open sesame", 11);
	/* Case-insensitive scheme; the password may contain ':' ("a:b:c" -> a / b:c). */
	assert_int_equal(parse("bAsIc YTpiOmM=", &a, buf, sizeof(buf)), 0);
	assert_int_equal(a.user_len, 1);
	assert_int_equal(a.password_len, 3);
	assert_memory_equal(a.password, "b:c", 3);
	/* Empty password is syntactically fine ("a:"). */
	assert_int_equal(parse("Basic YTo=", &a, buf, sizeof(buf)), 0);
	assert_int_equal(a.password_len, 0);

	assert_int_equal(parse("Basic YWJj", &a, buf, sizeof(buf)), GW_AUTHZ_E_NO_COLON); /* "abc" */
	assert_int_equal(parse("Basic OmI=", &a, buf, sizeof(buf)), GW_AUTHZ_E_NO_USER);  /* ":b" */
	assert_int_equal(parse("Basic YQpiOmM=", &a, buf, sizeof(buf)), GW_AUTHZ_E_CTL);  /* "a\nb:c" */
	assert_int_equal(parse("Basic YTpiAA==", &a, buf, sizeof(buf)), GW_AUTHZ_E_CTL);  /* "a:b\0" */
	assert_int_equal(parse("Basic YTpi", &a, buf, sizeof(buf)), 0);
	/* Bad base64: missing padding, bad char, padding in the middle, non-canonical, url alphabet. */
	assert_int_equal(parse("Basic YTo", &a, buf, sizeof(buf)), GW_AUTHZ_E_BASE64);
	assert_int_equal(parse("Basic YT*=", &a, buf, sizeof(buf)), GW_AUTHZ_E_BASE64);
	assert_int_equal(parse("Basic YT=6YTpi", &a, buf, sizeof(buf)), GW_AUTHZ_E_BASE64);
	assert_int_equal(parse("Basic YTp=", &a, buf, sizeof(buf)), GW_AUTHZ_E_BASE64);
	assert_int_equal(parse("Basic YTo_", &a, buf, sizeof(buf)), GW_AUTHZ_E_BASE64);
	assert_int_equal(parse("Basic ====", &a, buf, sizeof(buf)), GW_AUTHZ_E_BASE64);
	assert_int_equal(parse("Basic YQ===", &a, buf, sizeof(buf)), GW_AUTHZ_E_BASE64);
	/* Decoded does not fit the caller's buffer. */
	assert_int_equal(parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &a, buf, 8), GW_AUTHZ_E_TOO_LONG);
	/* Framing. */
	assert_int_equal(parse("Basic", &a, buf, sizeof(buf)), GW_AUTHZ_E_EMPTY);
	assert_int_equal(parse("Basic ", &a, buf, sizeof(buf)), GW_AUTHZ_E_EMPTY);
	assert_int_equal(parse("", &a, buf, sizeof(buf)), GW_AUTHZ_E_EMPTY);
	assert_int_equal(parse("Basic  YTpi", &a, buf, sizeof(buf)), GW_AUTHZ_E_SYNTAX);
	assert_int_equal(parse("Basic\tYTpi", &a, buf, sizeof(buf)), GW_AUTHZ_E_SYNTAX);
	assert_int_equal(parse("Basic YTpi ", &a, buf, sizeof(buf)), GW_AUTHZ_E_SYNTAX);
	assert_int_equal(parse(" Basic YTpi", &a, buf, sizeof(buf)), GW_AUTHZ_E_SYNTAX);
	assert_int_equal(parse("Basix YTpi", &a, buf, sizeof(buf)), GW_AUTHZ_E_SCHEME);
	assert_int_equal(parse("Digest username=\"a\"", &a, buf, sizeof(buf)), GW_AUTHZ_E_SCHEME);
	assert_int_equal(parse("BasicYTpi", &a, buf, sizeof(buf)), GW_AUTHZ_E_SCHEME);
}

static void test_authz_bearer(void **state)
{
	char tok[GW_TOKEN_LEN + 1], hdr[64];
	struct gw_authz a;
	char buf[16];
	(void)state;

	assert_int_equal(gw_token_generate(tok), 0);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	assert_int_equal(parse(hdr, &a, buf, sizeof(buf)), 0);
	assert_int_equal(a.scheme, GW_AUTHZ_BEARER);
	assert_int_equal(a.token_len, GW_TOKEN_LEN);
	assert_memory_equal(a.token, tok, GW_TOKEN_LEN);
	assert_true(gw_token_syntax_ok(a.token, a.token_len));
	assert_int_equal(parse("BEARER mF_9.B5f-4.1JqM", &a, buf, sizeof(buf)), 0); /* RFC 6750 §2.1 */
	assert_int_equal(a.token_len, 15);
	assert_int_equal(parse("bearer abc+/==", &a, buf, sizeof(buf)), 0);
	assert_int_equal(parse("Bearer abc=d", &a, buf, sizeof(buf)), GW_AUTHZ_E_TOKEN);
	assert_int_equal(parse("Bearer ==", &a, buf, sizeof(buf)), GW_AUTHZ_E_TOKEN);
	assert_int_equal(parse("Bearer ab,c", &a, buf, sizeof(buf)), GW_AUTHZ_E_TOKEN);
	assert_int_equal(parse("Bearer a b", &a, buf, sizeof(buf)), GW_AUTHZ_E_TOKEN);
	assert_int_equal(parse("Bearer", &a, buf, sizeof(buf)), GW_AUTHZ_E_EMPTY);
	assert_int_equal(parse("Bearer  abc", &a, buf, sizeof(buf)), GW_AUTHZ_E_SYNTAX);
	assert_int_equal(parse("Bear abc", &a, buf, sizeof(buf)), GW_AUTHZ_E_SCHEME);
	assert_int_equal(parse("Token abc", &a, buf, sizeof(buf)), GW_AUTHZ_E_SCHEME);
}

static void test_authz_too_long(void **state)
{
	static char v[GW_AUTHZ_VALUE_MAX + 1];
	struct gw_authz a;
	char buf[16];
	(void)state;

	memcpy(v, "Bearer ", 7);
	memset(v + 7, 'a', GW_AUTHZ_VALUE_MAX + 1 - 7);
	assert_int_equal(gw_authz_parse(at_guard(v, GW_AUTHZ_VALUE_MAX), GW_AUTHZ_VALUE_MAX, &a,
					buf, sizeof(buf)), 0);
	assert_int_equal(gw_authz_parse(at_guard(v, GW_AUTHZ_VALUE_MAX + 1), GW_AUTHZ_VALUE_MAX + 1,
					&a, buf, sizeof(buf)), GW_AUTHZ_E_TOO_LONG);
	assert_string_equal(gw_authz_err_name(GW_AUTHZ_E_TOO_LONG), "too_long");
	assert_string_equal(gw_authz_err_name(0), "unknown");
}

/* A failed Basic parse leaves nothing of the password in the buffer. */
static void test_authz_wipes(void **state)
{
	struct gw_authz a;
	char buf[32], zero[32] = { 0 };
	(void)state;

	memset(buf, 0x77, sizeof(buf));
	assert_int_equal(parse("Basic YQpiOmM=", &a, buf, sizeof(buf)), GW_AUTHZ_E_CTL);
	assert_memory_equal(buf, zero, sizeof(buf));
	assert_null(a.user);
}

static int guard_setup(void **state)
{
	(void)state;
	page = sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED)
		return -1;
	return mprotect(guard_base + page, (size_t)page, PROT_NONE);
}

static int guard_teardown(void **state)
{
	(void)state;
	return munmap(guard_base, (size_t)page * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ha1_rfc7616),
		cmocka_unit_test(test_argon2_round_trip),
		cmocka_unit_test(test_argon2_limits),
		cmocka_unit_test(test_argon2_owasp),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_phc_malformed),
		cmocka_unit_test(test_rec_round_trip),
		cmocka_unit_test(test_rec_encode_invalid),
		cmocka_unit_test(test_rec_decode_malformed),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_token_syntax),
		cmocka_unit_test(test_authz_basic),
		cmocka_unit_test(test_authz_bearer),
		cmocka_unit_test(test_authz_too_long),
		cmocka_unit_test(test_authz_wipes),
	};
	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
