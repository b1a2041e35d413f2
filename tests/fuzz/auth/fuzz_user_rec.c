/*
 * libFuzzer driver for the user record codec and the PHC string parser in
 * gateway/auth.c. For each input:
 *   - gw_user_rec_decode(input): on success abort() unless the fields obey
 *     auth.h (NUL-terminated PHC of the stated length that parses, lowercase
 *     hex HA1 values, known flags) and gw_user_rec_encode() gives back exactly
 *     the input (one canonical encoding per record; the encoder is handed a
 *     heap buffer of exactly that size, and one byte less must be -ENOSPC);
 *     on failure abort() unless the record was zeroed;
 *   - the bytes up to the first NUL as a PHC string: gw_auth_phc_parse()
 *     must agree with an independent reference parser, and on success the
 *     parameters must lie within GW_ARGON2_*_MAX, the decimal spelling must
 *     be canonical, gw_auth_needs_rehash() must be false against the same
 *     parameters (true whenever parsing fails), and a record carrying that
 *     PHC string must encode and decode back to itself.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* u8 version, u8 phc_len, the two HA1 values, u64 created_ms, u32 flags. */
#define REC_FIXED (2 + GW_HA1_SHA256_LEN + GW_HA1_MD5_LEN + 8 + 4)
/* Longest PHC candidate taken from an input: well past GW_AUTH_PHC_MAX. */
#define PHC_TAKE_MAX 512

static bool lower_hex_str(const char *s, size_t n)
{
	if (s[n] != '\0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return false;
	return true;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void check_encode(const struct gw_user_rec *rec, const uint8_t *want, size_t size)
{
	uint8_t *out = malloc(size);
	int n;

	if (!out)
		abort();
	n = gw_user_rec_encode(rec, out, size);
	if (n < 0 || (size_t)n != size || memcmp(out, want, size))
		abort();
	if (gw_user_rec_encode(rec, out, size - 1) != -ENOSPC)
		abort();
	free(out);
}

static void check_record(const uint8_t *data, size_t size)
{
	struct gw_user_rec rec;
	uint64_t created = 0;
	uint32_t flags = 0;
	size_t phc_len;
	int rc;

	memset(&rec, 0xA5, sizeof(rec));
	rc = gw_user_rec_decode(data, size, &rec);
	if (rc == -EINVAL) {
		if (!all_zero(&rec, sizeof(rec)))
			abort();
		return;
	}
	if (rc != 0 || size < REC_FIXED || size > GW_USER_REC_MAX || data[0] != 1)
		abort();
	phc_len = data[1];
	if (size != REC_FIXED + phc_len || strnlen(rec.phc, sizeof(rec.phc)) != phc_len ||
	    memcmp(rec.phc, data + 2, phc_len))
		abort();
	if (gw_auth_phc_parse(rec.phc, NULL) != 0)
		abort();
	if (!lower_hex_str(rec.ha1_sha256, GW_HA1_SHA256_LEN) ||
	    !lower_hex_str(rec.ha1_md5, GW_HA1_MD5_LEN))
		abort();
	for (unsigned i = 0; i < 8; i++)
		created |= (uint64_t)data[2 + phc_len + 96 + i] << (8 * i);
	for (unsigned i = 0; i < 4; i++)
		flags |= (uint32_t)data[2 + phc_len + 104 + i] << (8 * i);
	if (rec.created_ms != created || rec.flags != flags || (flags & ~GW_USER_F__KNOWN))
		abort();
	check_encode(&rec, data, size);
}

/* ---- reference PHC parser (field splitting, unlike auth.c's cursor) ---- */

static int ref_b64(unsigned char c)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *hit = c ? memchr(alpha, c, 64) : NULL;

	return hit ? (int)(hit - alpha) : -1;
}

/* Length decoded from unpadded canonical standard base64 of @n chars, or -1. */
static long ref_b64_nopad_len(const char *s, size_t n)
{
	size_t rem = n % 4;
	int last = -1;

	for (size_t i = 0; i < n; i++)
		if ((last = ref_b64((unsigned char)s[i])) < 0)
			return -1;
	if (rem == 1)
		return -1;
	if ((rem == 2 && (last & 0xF)) || (rem == 3 && (last & 0x3)))
		return -1;
	return (long)(n / 4 * 3 + (rem ? rem - 1 : 0));
}

/* "<key>=<decimal>" without leading zeros, value in 1..@max. */
static bool ref_kv(const char *s, size_t n, char key, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (n < 3 || n > 2 + 10 || s[0] != key || s[1] != '=' || (s[2] == '0' && n > 3))
		return false;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < 1 || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool ref_phc(const char *s, struct gw_argon2_params *p)
{
	const char *f[6], *c;
	size_t fl[6], nf = 0, len = strlen(s);
	const char *e1, *e2;
	long salt, hash;

	if (len >= GW_AUTH_PHC_MAX || s[0] != '$')
		return false;
	for (c = s + 1; nf < 6; nf++) {
		const char *d = strchr(c, '$');

		f[nf] = c;
		fl[nf] = d ? (size_t)(d - c) : strlen(c);
		if (!d) {
			nf++;
			break;
		}
		c = d + 1;
	}
	if (nf != 5)
		return false;
	if (fl[0] != 8 || memcmp(f[0], "argon2id", 8) || fl[1] != 4 || memcmp(f[1], "v=19", 4))
		return false;
	e1 = memchr(f[2], ',', fl[2]);
	e2 = e1 ? memchr(e1 + 1, ',', fl[2] - (size_t)(e1 + 1 - f[2])) : NULL;
	if (!e2 || !ref_kv(f[2], (size_t)(e1 - f[2]), 'm', GW_ARGON2_M_MAX, &p->m_kib) ||
	    !ref_kv(e1 + 1, (size_t)(e2 - e1 - 1), 't', GW_ARGON2_T_MAX, &p->t_cost) ||
	    !ref_kv(e2 + 1, fl[2] - (size_t)(e2 + 1 - f[2]), 'p', GW_ARGON2_P_MAX, &p->lanes))
		return false;
	if (p->m_kib < 8 * p->lanes)
		return false;
	salt = ref_b64_nopad_len(f[3], fl[3]);
	hash = ref_b64_nopad_len(f[4], fl[4]);
	return salt >= 8 && salt <= 64 && hash >= 16 && hash <= 64;
}

static void check_phc_record(const char *phc, uint64_t created)
{
	static const char sha[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char md5[] = "fedcba9876543210fedcba9876543210";
	struct gw_user_rec rec, back;
	uint8_t enc[GW_USER_REC_MAX];
	int n;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.phc, phc, strlen(phc) + 1);
	memcpy(rec.ha1_sha256, sha, sizeof(sha));
	memcpy(rec.ha1_md5, md5, sizeof(md5));
	rec.created_ms = created;
	rec.flags = GW_USER_F_DISABLED;
	n = gw_user_rec_encode(&rec, enc, sizeof(enc));
	if (n < 0 || (size_t)n != REC_FIXED + strlen(phc))
		abort();
	if (gw_user_rec_decode(enc, (size_t)n, &back) || memcmp(&rec, &back, sizeof(rec)))
		abort();
}

static void check_phc(const uint8_t *data, size_t size)
{
	size_t take = size < PHC_TAKE_MAX ? size : PHC_TAKE_MAX;
	const uint8_t *nul = memchr(data, '\0', take);
	size_t n = nul ? (size_t)(nul - data) : take;
	struct gw_argon2_params got = { 0, 0, 0 }, want = { 0, 0, 0 };
	char head[64];
	char *s = malloc(n + 1);
	bool ok;
	int rc, hl;

	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	rc = gw_auth_phc_parse(s, &got);
	ok = ref_phc(s, &want);
	if ((rc != 0 && rc != -EINVAL) || (rc == 0) != ok || gw_auth_phc_parse(s, NULL) != rc)
		abort();
	if (rc) {
		if (!gw_auth_needs_rehash(s, NULL))
			abort();
		free(s);
		return;
	}
	if (got.m_kib != want.m_kib || got.t_cost != want.t_cost || got.lanes != want.lanes)
		abort();
	if (got.lanes < 1 || got.lanes > GW_ARGON2_P_MAX || got.t_cost < 1 ||
	    got.t_cost > GW_ARGON2_T_MAX || got.m_kib < 8 * got.lanes ||
	    got.m_kib > GW_ARGON2_M_MAX || !gw_argon2_params_ok(&got))
		abort();
	hl = snprintf(head, sizeof(head), "$argon2id$v=19$m=%u,t=%u,p=%u$", got.m_kib, got.t_cost,
		      got.lanes);
	if (hl <= 0 || (size_t)hl >= sizeof(head) || strncmp(s, head, (size_t)hl))
		abort();
	if (gw_auth_needs_rehash(s, &got))
		abort();
	check_phc_record(s, size);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_record(data, size);
	check_phc(data, size);
	return 0;
}
