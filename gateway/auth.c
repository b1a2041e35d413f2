/*
 * Authentication primitives: Argon2id password hashes (libargon2), SIP
 * digest HA1 values, the user record codec, device tokens and the HTTP
 * Authorization parser. See auth.h for the contracts.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/md5.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "gateway/auth.h"

#include "base/b64.h"

#include <argon2.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "base/compiler.h"

const struct gw_argon2_params gw_argon2_owasp = { .m_kib = 19456, .t_cost = 2, .lanes = 1 };

/* ---- base64 (base/b64.h) ---- */

static long b64_decode_std(const char *s, size_t n, uint8_t *out, size_t cap)
{
	return b64_decode_nopad(s, n, out, cap, false);
}

/* Padded standard base64 (Basic credentials): length a multiple of 4, '=' only at the end. */
static long b64_decode_padded(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t pad = 0;

	if (n == 0 || n % 4)
		return -1;
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	return b64_decode_std(s, n - pad, out, cap);
}

static int random_bytes(uint8_t *out, size_t n)
{
	WC_RNG rng;
	int rc;

	if (wc_InitRng(&rng) != 0)
		return -EIO;
	rc = wc_RNG_GenerateBlock(&rng, out, (word32)n) == 0 ? 0 : -EIO;
	wc_FreeRng(&rng);
	return rc;
}

/* ---- Argon2id ---- */

bool gw_argon2_params_ok(const struct gw_argon2_params *p)
{
	return p->lanes >= 1 && p->lanes <= GW_ARGON2_P_MAX && p->t_cost >= 1 &&
	       p->t_cost <= GW_ARGON2_T_MAX && p->m_kib >= 8 * p->lanes && p->m_kib <= GW_ARGON2_M_MAX;
}

static int argon2_errno(int rc)
{
	switch (rc) {
	case ARGON2_OK:
		return 0;
	case ARGON2_VERIFY_MISMATCH:
		return -EACCES;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int gw_auth_hash_password(const struct gw_argon2_params *prm, const char *pw, size_t pw_len,
			  char phc[GW_AUTH_PHC_MAX])
{
	uint8_t salt[GW_AUTH_SALT_LEN];
	int rc;

	if (!prm)
		prm = &gw_argon2_owasp;
	if (!gw_argon2_params_ok(prm) || pw_len > GW_AUTH_PASSWORD_MAX)
		return -EINVAL;
	if (argon2_encodedlen(prm->t_cost, prm->m_kib, prm->lanes, GW_AUTH_SALT_LEN,
			      GW_AUTH_HASH_LEN, Argon2_id) > GW_AUTH_PHC_MAX)
		return -EINVAL;
	if ((rc = random_bytes(salt, sizeof(salt))))
		return rc;
	rc = argon2id_hash_encoded(prm->t_cost, prm->m_kib, prm->lanes, pw, pw_len, salt,
				   sizeof(salt), GW_AUTH_HASH_LEN, phc, GW_AUTH_PHC_MAX);
	explicit_bzero(salt, sizeof(salt));
	return argon2_errno(rc);
}

/* Parse a decimal u32 without leading zeros up to a char in @stop; advance *p. */
static int parse_u32(const char **p, char stop, uint32_t max, uint32_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		v = v * 10 + (uint64_t)(s[n] - '0');
		if (++n > 10 || v > max)
			return -EINVAL;
	}
	if (n == 0 || s[n] != stop || (n > 1 && s[0] == '0'))
		return -EINVAL;
	*out = (uint32_t)v;
	*p = s + n + 1;
	return 0;
}

/* A base64 field of the PHC string up to '$' or NUL: decodes to lo..hi bytes. */
static int phc_b64_field(const char **p, char stop, size_t lo, size_t hi)
{
	uint8_t tmp[64];
	const char *s = *p;
	size_t n = 0;
	long got;

	while (s[n] && s[n] != '$')
		n++;
	if (s[n] != stop)
		return -EINVAL;
	got = b64_decode_std(s, n, tmp, sizeof(tmp));
	if (got < 0 || (size_t)got < lo || (size_t)got > hi)
		return -EINVAL;
	*p = s + n + (stop ? 1 : 0);
	return 0;
}

int gw_auth_phc_parse(const char *phc, struct gw_argon2_params *out)
{
	static const char head[] = "$argon2id$v=19$m=";
	struct gw_argon2_params prm;
	const char *p = phc;

	if (!phc || strnlen(phc, GW_AUTH_PHC_MAX) >= GW_AUTH_PHC_MAX)
		return -EINVAL;
	if (strncmp(p, head, sizeof(head) - 1))
		return -EINVAL;
	p += sizeof(head) - 1;
	if (parse_u32(&p, ',', GW_ARGON2_M_MAX, &prm.m_kib) || strncmp(p, "t=", 2))
		return -EINVAL;
	p += 2;
	if (parse_u32(&p, ',', GW_ARGON2_T_MAX, &prm.t_cost) || strncmp(p, "p=", 2))
		return -EINVAL;
	p += 2;
	if (parse_u32(&p, '$', GW_ARGON2_P_MAX, &prm.lanes) || !gw_argon2_params_ok(&prm))
		return -EINVAL;
	if (phc_b64_field(&p, '$', 8, 64) || phc_b64_field(&p, '\0', 16, 64))
		return -EINVAL;
	if (out)
		*out = prm;
	return 0;
}

int gw_auth_verify_password(const char *phc, const char *pw, size_t pw_len)
{
	if (pw_len > GW_AUTH_PASSWORD_MAX || gw_auth_phc_parse(phc, NULL))
		return -EINVAL;
	return argon2_errno(argon2id_verify(phc, pw, pw_len));
}

bool gw_auth_needs_rehash(const char *phc, const struct gw_argon2_params *cur)
{
	struct gw_argon2_params have;

	if (!cur)
		cur = &gw_argon2_owasp;
	if (gw_auth_phc_parse(phc, &have))
		return true;
	return have.m_kib < cur->m_kib || have.t_cost < cur->t_cost || have.lanes < cur->lanes;
}

/* ---- SIP digest HA1 ---- */

static void hex_lower(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int gw_auth_ha1_sha256(const char *user, size_t user_len, const char *realm, size_t realm_len,
		       const char *pw, size_t pw_len, char *out)
{
	uint8_t d[WC_SHA256_DIGEST_SIZE];
	wc_Sha256 h;
	int rc = -EIO;

	/* Fed in pieces: no "user:realm:password" copy to wipe. */
	if (wc_InitSha256(&h))
		return -EIO;
	if (!wc_Sha256Update(&h, (const byte *)user, (word32)user_len) &&
	    !wc_Sha256Update(&h, (const byte *)":", 1) &&
	    !wc_Sha256Update(&h, (const byte *)realm, (word32)realm_len) &&
	    !wc_Sha256Update(&h, (const byte *)":", 1) &&
	    !wc_Sha256Update(&h, (const byte *)pw, (word32)pw_len) && !wc_Sha256Final(&h, d)) {
		hex_lower(d, sizeof(d), out);
		rc = 0;
	}
	wc_Sha256Free(&h);
	explicit_bzero(&h, sizeof(h));
	explicit_bzero(d, sizeof(d));
	return rc;
}

int gw_auth_ha1_md5(const char *user, size_t user_len, const char *realm, size_t realm_len,
		    const char *pw, size_t pw_len, char *out)
{
	uint8_t d[WC_MD5_DIGEST_SIZE];
	wc_Md5 h;
	int rc = -EIO;

	if (wc_InitMd5(&h))
		return -EIO;
	if (!wc_Md5Update(&h, (const byte *)user, (word32)user_len) &&
	    !wc_Md5Update(&h, (const byte *)":", 1) &&
	    !wc_Md5Update(&h, (const byte *)realm, (word32)realm_len) &&
	    !wc_Md5Update(&h, (const byte *)":", 1) &&
	    !wc_Md5Update(&h, (const byte *)pw, (word32)pw_len) && !wc_Md5Final(&h, d)) {
		hex_lower(d, sizeof(d), out);
		rc = 0;
	}
	wc_Md5Free(&h);
	explicit_bzero(&h, sizeof(h));
	explicit_bzero(d, sizeof(d));
	return rc;
}

/* ---- The user record ---- */

#define REC_VERSION 1
#define REC_FIXED   (2 + GW_HA1_SHA256_LEN + GW_HA1_MD5_LEN + 8 + 4)

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool rec_fields_ok(const struct gw_user_rec *rec)
{
	return !gw_auth_phc_parse(rec->phc, NULL) &&
	       strnlen(rec->ha1_sha256, sizeof(rec->ha1_sha256)) == GW_HA1_SHA256_LEN &&
	       is_lower_hex(rec->ha1_sha256, GW_HA1_SHA256_LEN) &&
	       strnlen(rec->ha1_md5, sizeof(rec->ha1_md5)) == GW_HA1_MD5_LEN &&
	       is_lower_hex(rec->ha1_md5, GW_HA1_MD5_LEN) && !(rec->flags & ~GW_USER_F__KNOWN);
}

int gw_user_rec_encode(const struct gw_user_rec *rec, uint8_t *buf, size_t cap)
{
	size_t phc_len, n;
	uint8_t *p = buf;

	if (!rec_fields_ok(rec))
		return -EINVAL;
	phc_len = strlen(rec->phc);
	n = REC_FIXED + phc_len;
	if (n > cap)
		return -ENOSPC;
	*p++ = REC_VERSION;
	*p++ = (uint8_t)phc_len;
	memcpy(p, rec->phc, phc_len);
	p += phc_len;
	memcpy(p, rec->ha1_sha256, GW_HA1_SHA256_LEN);
	p += GW_HA1_SHA256_LEN;
	memcpy(p, rec->ha1_md5, GW_HA1_MD5_LEN);
	p += GW_HA1_MD5_LEN;
	for (unsigned i = 0; i < 8; i++)
		*p++ = (uint8_t)(rec->created_ms >> (8 * i));
	for (unsigned i = 0; i < 4; i++)
		*p++ = (uint8_t)(rec->flags >> (8 * i));
	return (int)n;
}

int gw_user_rec_decode(const uint8_t *buf, size_t len, struct gw_user_rec *rec)
{
	const uint8_t *p = buf;
	size_t phc_len;

	memset(rec, 0, sizeof(*rec));
	if (len < REC_FIXED || len > GW_USER_REC_MAX || p[0] != REC_VERSION)
		goto fail;
	phc_len = p[1];
	if (phc_len == 0 || phc_len >= GW_AUTH_PHC_MAX || len != REC_FIXED + phc_len)
		goto fail;
	p += 2;
	if (memchr(p, '\0', phc_len))
		goto fail;
	memcpy(rec->phc, p, phc_len);
	p += phc_len;
	memcpy(rec->ha1_sha256, p, GW_HA1_SHA256_LEN);
	p += GW_HA1_SHA256_LEN;
	memcpy(rec->ha1_md5, p, GW_HA1_MD5_LEN);
	p += GW_HA1_MD5_LEN;
	for (unsigned i = 0; i < 8; i++)
		rec->created_ms |= (uint64_t)*p++ << (8 * i);
	for (unsigned i = 0; i < 4; i++)
		rec->flags |= (uint32_t)*p++ << (8 * i);
	if (!rec_fields_ok(rec))
		goto fail;
	return 0;
fail:
	memset(rec, 0, sizeof(*rec));
	return -EINVAL;
}

int gw_user_rec_make(const struct gw_argon2_params *prm, const char *user, size_t user_len,
		     const char *realm, size_t realm_len, const char *pw, size_t pw_len,
		     uint64_t created_ms, struct gw_user_rec *rec)
{
	int rc;

	memset(rec, 0, sizeof(*rec));
	if ((rc = gw_auth_hash_password(prm, pw, pw_len, rec->phc)) ||
	    (rc = gw_auth_ha1_sha256(user, user_len, realm, realm_len, pw, pw_len, rec->ha1_sha256)) ||
	    (rc = gw_auth_ha1_md5(user, user_len, realm, realm_len, pw, pw_len, rec->ha1_md5))) {
		memset(rec, 0, sizeof(*rec));
		return rc;
	}
	rec->created_ms = created_ms;
	return 0;
}

/* ---- Device tokens ---- */

int gw_token_generate(char out[GW_TOKEN_LEN + 1])
{
	uint8_t raw[32];
	int rc;

	if ((rc = random_bytes(raw, sizeof(raw))))
		return rc;
	b64_encode_nopad(raw, sizeof(raw), out, true);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

static int b64url_val(unsigned char c)
{
	return b64_digit(c, true);
}

bool gw_token_syntax_ok(const char *s, size_t len)
{
	if (len != GW_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (b64url_val((unsigned char)s[i]) < 0)
			return false;
	/* 256 = 42 * 6 + 4: the last digit carries 4 bits, its low 2 must be 0. */
	return (b64url_val((unsigned char)s[len - 1]) & 3) == 0;
}

/* ---- Authorization ---- */

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 6750 §2.1 b64token / RFC 9110 token68: 1*( ALPHA DIGIT - . _ ~ + / ) *"=" */
static bool is_token68(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] &&
	       ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		(s[i] >= 'A' && s[i] <= 'Z') || strchr("-._~+/", s[i])))
		i++;
	if (i == 0)
		return false;
	while (i < n && s[i] == '=')
		i++;
	return i == n;
}

static int parse_basic(const char *c, size_t n, struct gw_authz *out, char *buf, size_t cap)
{
	long got = b64_decode_padded(c, n, (uint8_t *)buf, cap);
	const char *colon;

	if (got < 0)
		return (n / 4 * 3 > cap) ? GW_AUTHZ_E_TOO_LONG : GW_AUTHZ_E_BASE64;
	colon = memchr(buf, ':', (size_t)got);
	if (!colon)
		return GW_AUTHZ_E_NO_COLON;
	for (long i = 0; i < got; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			return GW_AUTHZ_E_CTL;
	if (colon == buf)
		return GW_AUTHZ_E_NO_USER;
	out->scheme = GW_AUTHZ_BASIC;
	out->user = buf;
	out->user_len = (uint32_t)(colon - buf);
	out->password = colon + 1;
	out->password_len = (uint32_t)(got - (colon + 1 - buf));
	return 0;
}

int gw_authz_parse(const char *v, size_t len, struct gw_authz *out, char *buf, size_t cap)
{
	size_t sl = 0;
	const char *cred;
	size_t cn;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return GW_AUTHZ_E_EMPTY;
	if (len > GW_AUTHZ_VALUE_MAX)
		return GW_AUTHZ_E_TOO_LONG;
	while (sl < len && is_tchar((unsigned char)v[sl]))
		sl++;
	if (sl == 0)
		return GW_AUTHZ_E_SYNTAX;
	if (sl < len && v[sl] != ' ')
		return GW_AUTHZ_E_SYNTAX;
	if (!((sl == 5 && !strncasecmp(v, "basic", 5)) || (sl == 6 && !strncasecmp(v, "bearer", 6))))
		return GW_AUTHZ_E_SCHEME;
	if (sl == len || sl + 1 == len)
		return GW_AUTHZ_E_EMPTY;
	cred = v + sl + 1;
	cn = len - sl - 1;
	if (cred[0] == ' ' || cred[cn - 1] == ' ' || cred[cn - 1] == '\t')
		return GW_AUTHZ_E_SYNTAX;
	if (sl == 6) {
		if (!is_token68(cred, cn))
			return GW_AUTHZ_E_TOKEN;
		out->scheme = GW_AUTHZ_BEARER;
		out->token = cred;
		out->token_len = (uint32_t)cn;
		return 0;
	}
	rc = parse_basic(cred, cn, out, buf, cap);
	if (rc) {
		explicit_bzero(buf, cap);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

const char *gw_authz_err_name(int err)
{
	switch (err) {
	case GW_AUTHZ_E_EMPTY: return "empty";
	case GW_AUTHZ_E_SCHEME: return "scheme";
	case GW_AUTHZ_E_SYNTAX: return "syntax";
	case GW_AUTHZ_E_BASE64: return "base64";
	case GW_AUTHZ_E_NO_COLON: return "no_colon";
	case GW_AUTHZ_E_CTL: return "control_char";
	case GW_AUTHZ_E_NO_USER: return "no_user";
	case GW_AUTHZ_E_TOKEN: return "token";
	case GW_AUTHZ_E_TOO_LONG: return "too_long";
	default: return "unknown";
	}
}
