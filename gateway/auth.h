/*
 * Authentication primitives: password hashing (Argon2id), SIP digest HA1
 * values, the sealed user record, device tokens and HTTP Authorization
 * parsing. Pure functions, no global state; safe from any thread.
 *
 * Argon2id costs tens of milliseconds per call: workers never call
 * gw_auth_hash_password(), gw_auth_verify_password() or gw_user_rec_make()
 * themselves, they go through the password-check thread (gateway/authd.h).
 */
#ifndef COLUMBA_GATEWAY_AUTH_H
#define COLUMBA_GATEWAY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_AUTH_PHC_MAX	     128 /* PHC string incl. NUL */
#define GW_AUTH_PASSWORD_MAX 256 /* bytes; longer passwords are refused */
#define GW_AUTH_SALT_LEN     16
#define GW_AUTH_HASH_LEN     32
#define GW_HA1_SHA256_LEN    64  /* hex digits, without the NUL */
#define GW_HA1_MD5_LEN	     32
#define GW_TOKEN_LEN	     43  /* 256 bits in base64url without padding */

/*
 * Argon2id cost parameters. gw_argon2_owasp is what new hashes use: OWASP's
 * Password Storage Cheat Sheet minimum for Argon2id (19 MiB, 2 passes, 1 lane).
 * Anything else is for tests (speed) or for raising the cost later.
 */
struct gw_argon2_params {
	uint32_t m_kib;   /* memory, KiB: 8 * lanes .. GW_ARGON2_M_MAX */
	uint32_t t_cost;  /* passes: 1 .. GW_ARGON2_T_MAX */
	uint32_t lanes;   /* parallelism: 1 .. GW_ARGON2_P_MAX */
};

/*
 * Upper bounds accepted from a stored PHC string: a tampered or corrupt
 * record must not make the password thread allocate gigabytes or spin.
 */
#define GW_ARGON2_M_MAX (1u << 20) /* 1 GiB */
#define GW_ARGON2_T_MAX 64u
#define GW_ARGON2_P_MAX 16u

extern const struct gw_argon2_params gw_argon2_owasp;

/* gw_argon2_params_ok - every field of @p within the bounds above (m >= 8 KiB per lane). */
bool gw_argon2_params_ok(const struct gw_argon2_params *p);

/*
 * gw_auth_hash_password - hash @pw with Argon2id and a fresh 16-byte salt
 * from the wolfCrypt RNG into @phc as a PHC string
 * ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", NUL-terminated).
 * @prm: NULL for gw_argon2_owasp.
 * Returns 0, -EINVAL (parameters out of range, @pw_len above
 * GW_AUTH_PASSWORD_MAX), -ENOMEM, or -EIO (RNG or libargon2 failure).
 */
int gw_auth_hash_password(const struct gw_argon2_params *prm, const char *pw, size_t pw_len,
			  char phc[GW_AUTH_PHC_MAX]);

/*
 * gw_auth_verify_password - check @pw against the stored PHC string @phc in
 * constant time (argon2id_verify), with the parameters written in @phc.
 * Returns 0 on a match, -EACCES on a mismatch, -EINVAL when @phc is not a
 * well-formed Argon2id v=19 PHC string within the GW_ARGON2_*_MAX bounds or
 * @pw_len is above GW_AUTH_PASSWORD_MAX, -ENOMEM, -EIO (other libargon2 error).
 */
int gw_auth_verify_password(const char *phc, const char *pw, size_t pw_len);

/*
 * gw_auth_phc_parse - strict syntax check of an Argon2id PHC string (NUL-
 * terminated, shorter than GW_AUTH_PHC_MAX): "$argon2id$v=19$m=M,t=T,p=P$"
 * then unpadded canonical standard base64 salt (8..64 bytes) "$" and hash (16..64 bytes),
 * decimal numbers without leading zeros, M/T/P within the bounds above.
 * @out (may be NULL) receives the parameters. Returns 0 or -EINVAL.
 */
int gw_auth_phc_parse(const char *phc, struct gw_argon2_params *out);

/*
 * gw_auth_needs_rehash - true when @phc was made with any parameter below
 * @cur (NULL: gw_argon2_owasp), or is malformed: the caller re-hashes the
 * password at the next successful login.
 */
bool gw_auth_needs_rehash(const char *phc, const struct gw_argon2_params *cur);

/*
 * gw_auth_ha1_sha256 / gw_auth_ha1_md5 - SIP digest HA1 =
 * H(username ":" realm ":" password) as lowercase hex (RFC 8760 SHA-256,
 * RFC 2617 MD5), NUL-terminated in @out (GW_HA1_SHA256_LEN + 1 or
 * GW_HA1_MD5_LEN + 1 bytes). The realm is the configured domain.
 * Returns 0 or -EIO (wolfCrypt failure).
 */
int gw_auth_ha1_sha256(const char *user, size_t user_len, const char *realm, size_t realm_len,
		       const char *pw, size_t pw_len, char *out);
int gw_auth_ha1_md5(const char *user, size_t user_len, const char *realm, size_t realm_len,
		    const char *pw, size_t pw_len, char *out);

/* ---- The user record: the opaque payload the store seals per user name. ---- */

#define GW_USER_F_DISABLED 0x1u	 /* login refused (kept for `user list`) */
#define GW_USER_F__KNOWN   0x1u	 /* decode rejects any other bit */
#define GW_USER_REC_MAX	   256	 /* encoded size bound (<= ST_USER_PAYLOAD_MAX) */

struct gw_user_rec {
	char phc[GW_AUTH_PHC_MAX];
	char ha1_sha256[GW_HA1_SHA256_LEN + 1];
	char ha1_md5[GW_HA1_MD5_LEN + 1];
	uint64_t created_ms;
	uint32_t flags;
};

/*
 * gw_user_rec_encode - serialize @rec into @buf. Format (version 1, little
 * endian): u8 version = 1, u8 phc_len, phc, 64 hex digits SHA-256 HA1,
 * 32 hex digits MD5 HA1, u64 created_ms, u32 flags; at most GW_USER_REC_MAX
 * bytes. Returns the length written, -EINVAL if @rec would not decode
 * (bad PHC, HA1 not lowercase hex, unknown flags), or -ENOSPC (@cap too small).
 */
int gw_user_rec_encode(const struct gw_user_rec *rec, uint8_t *buf, size_t cap);

/*
 * gw_user_rec_decode - parse a version-1 record of exactly @len bytes into
 * @rec (NUL-terminated strings). Returns 0 or -EINVAL for anything
 * malformed: short or long input, another version, a PHC string that
 * gw_auth_phc_parse() refuses, an HA1 that is not lowercase hex, unknown
 * flag bits. @rec is zeroed on failure.
 */
int gw_user_rec_decode(const uint8_t *buf, size_t len, struct gw_user_rec *rec);

/*
 * gw_user_rec_make - the whole record for a new or changed password: the
 * Argon2id hash with @prm (NULL: gw_argon2_owasp) and both HA1 values for
 * @user at @realm. Synchronous (the CLI uses it inline; workers go through
 * authd). Returns 0 or an error of gw_auth_hash_password() / the HA1 functions.
 */
int gw_user_rec_make(const struct gw_argon2_params *prm, const char *user, size_t user_len,
		     const char *realm, size_t realm_len, const char *pw, size_t pw_len,
		     uint64_t created_ms, struct gw_user_rec *rec);

/* ---- Device tokens ---- */

/*
 * gw_token_generate - 256 random bits (wolfCrypt RNG) as 43 base64url
 * characters without padding, NUL-terminated in @out.
 * Returns 0 or -EIO.
 */
int gw_token_generate(char out[GW_TOKEN_LEN + 1]);

/*
 * gw_token_syntax_ok - @len == 43, only base64url characters, and the last
 * character canonical (its two unused low bits zero), so each token has
 * exactly one spelling.
 */
bool gw_token_syntax_ok(const char *s, size_t len);

/* ---- HTTP Authorization (RFC 9110 §11.6.2, RFC 7617, RFC 6750) ---- */

enum gw_authz_scheme {
	GW_AUTHZ_BASIC = 1,
	GW_AUTHZ_BEARER = 2,
};

/*
 * Parse errors, one per kind (never an errno value). The HTTP layer answers
 * all of them with 401 and a WWW-Authenticate challenge; they differ only
 * so tests (and logs) can say why.
 */
enum gw_authz_err {
	GW_AUTHZ_E_EMPTY = -1400,   /* empty value or empty credentials after the scheme */
	GW_AUTHZ_E_SCHEME = -1401,  /* a scheme other than Basic / Bearer */
	GW_AUTHZ_E_SYNTAX = -1402,  /* no single SP between scheme and credentials, trailing junk */
	GW_AUTHZ_E_BASE64 = -1403,  /* Basic: not strict, canonical, padded base64 */
	GW_AUTHZ_E_NO_COLON = -1404,/* Basic: decoded text has no ':' */
	GW_AUTHZ_E_CTL = -1405,     /* Basic: a control character in user-id or password */
	GW_AUTHZ_E_NO_USER = -1406, /* Basic: empty user-id */
	GW_AUTHZ_E_TOKEN = -1407,   /* Bearer: not b64token syntax */
	GW_AUTHZ_E_TOO_LONG = -1408,/* over GW_AUTHZ_VALUE_MAX, or decoded over the buffer */
};

#define GW_AUTHZ_VALUE_MAX 1024

struct gw_authz {
	enum gw_authz_scheme scheme;
	/* Basic: slices of the caller's decode buffer. */
	const char *user;
	uint32_t user_len;
	const char *password;
	uint32_t password_len;
	/* Bearer: a slice of the header value (zero copy). */
	const char *token;
	uint32_t token_len;
};

/*
 * gw_authz_parse - parse an Authorization field value @v (@len bytes, OWS
 * already trimmed by the HTTP parser): scheme (case-insensitive), one SP,
 * then for Basic strict base64 of "user-id:password" (split at the first
 * ':', RFC 7617 §2), decoded into @buf (@cap bytes), and for Bearer a
 * b64token (RFC 6750 §2.1). The caller must explicit_bzero(@buf) after use:
 * it holds the password. A Bearer token is not checked against
 * gw_token_syntax_ok(); the caller does that before a store lookup.
 * Returns 0 or a GW_AUTHZ_E_* code (@buf is wiped on error).
 */
int gw_authz_parse(const char *v, size_t len, struct gw_authz *out, char *buf, size_t cap);

/* gw_authz_err_name - a short name for a GW_AUTHZ_E_* code (for logs), "unknown" otherwise. */
const char *gw_authz_err_name(int err);

#endif
