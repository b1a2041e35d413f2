/*
 * SIP digest authentication, server side (RFC 3261 §22.4, RFC 7616,
 * RFC 8760): challenges, stateless nonces, replay protection and the check
 * of an Authorization header. Pure code: the caller passes the clock, the
 * peer binding and the user's HA1 values; no transport, no store access.
 *
 * Nonce (43 characters, base64url without padding, of 32 bytes):
 *   ts_ms (8, big endian) ‖ rnd (8) ‖ HMAC-SHA-256(key, ts ‖ rnd ‖ peer)[0..16)
 * @peer is a caller-chosen byte string (the TLS connection's id): a nonce
 * issued on one flow fails its MAC on any other. Nothing is stored at issue.
 *
 * Replay table: one per worker (struct sip_digest is not thread-safe),
 * allocated by sip_digest_init() and never again. Each entry maps a nonce
 * that was used successfully to the highest nonce-count (nc) seen with it;
 * nc must strictly increase, and a nonce used without qop (RFC 2069 form)
 * is consumed by that one use. The table is 4-way set-associative (a nonce's
 * set comes from its MAC); a full set evicts its oldest nonce by issue time.
 * Evicting an expired nonce costs nothing (expiry is checked first). Evicting
 * a live one raises the set's low-water mark past its issue time: a nonce
 * not in the table and issued before that mark is answered STALE (the client
 * retries with a fresh nonce, RFC 7616 §3.3), so eviction never lets an old
 * nc be replayed. Size the table for (new nonces used per second) × ttl to
 * avoid live evictions; sip_digest.evicted_live counts them.
 *
 * Key material is wiped: the HMAC key at sip_digest_fini(), every hash and
 * HMAC state (they held an HA1 or the key) after use.
 */
#ifndef COLUMBA_GATEWAY_SIP_DIGEST_H
#define COLUMBA_GATEWAY_SIP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gateway/sip/sip_hdr.h"
#include "gateway/sip/sip_types.h"

#define SIP_DIGEST_KEY_LEN   32
#define SIP_DIGEST_NONCE_LEN 43  /* characters, without the NUL */
#define SIP_DIGEST_FIELD_MAX 512 /* unquoted username, realm, uri, cnonce */
#define SIP_DIGEST_HEX_MAX   64  /* hex digits of the longest hash (SHA-256) */
#define SIP_DIGEST_TTL_DEFAULT_MS (300u * 1000u)
#define SIP_DIGEST_SLOTS_DEFAULT  8192u /* 34 bytes each: 272 KiB per worker */

enum sip_digest_alg {
	SIP_DIGEST_MD5 = 1,    /* RFC 2617 / 3261; also when algorithm is absent */
	SIP_DIGEST_SHA256 = 2, /* RFC 7616 / 8760 "SHA-256" */
};

/*
 * Outcome of sip_digest_verify(): 0 or one negative code per reason, so
 * tests and logs can say why. How a registrar answers each:
 *   STALE              401 with fresh challenges carrying stale=true
 *   BAD_NONCE, BAD_RESPONSE, REPLAY   401 with fresh challenges
 *   WRONG_USER         403 (a user registers only as themselves)
 *   WRONG_REALM, UNSUPPORTED          401 with fresh challenges
 *   BAD_REQUEST        400
 */
enum sip_digest_result {
	SIP_DIGEST_OK = 0,
	SIP_DIGEST_STALE = -1500,   /* valid response, nonce expired or forgotten */
	SIP_DIGEST_REPLAY,          /* nc not above the highest seen, or a reused qop-less nonce */
	SIP_DIGEST_BAD_RESPONSE,    /* response differs from the one the HA1 gives */
	SIP_DIGEST_BAD_NONCE,       /* not a nonce of ours for this peer (syntax or MAC) */
	SIP_DIGEST_BAD_REQUEST,     /* missing/duplicate/malformed parameter, uri != Request-URI */
	SIP_DIGEST_WRONG_USER,      /* username is not the expected user */
	SIP_DIGEST_WRONG_REALM,     /* realm is not ours */
	SIP_DIGEST_UNSUPPORTED,     /* scheme, algorithm, qop or userhash we do not do */
	SIP_DIGEST__FIRST = SIP_DIGEST_STALE,
	SIP_DIGEST__LAST = SIP_DIGEST_UNSUPPORTED,
};

struct sip_digest_cfg {
	uint64_t nonce_ttl_ms;  /* 0: SIP_DIGEST_TTL_DEFAULT_MS */
	size_t replay_slots;    /* 0: SIP_DIGEST_SLOTS_DEFAULT; rounded up to a power of two, >= 4 */
	const uint8_t *key;     /* SIP_DIGEST_KEY_LEN bytes, copied; NULL: random */
};

struct sip_digest_set; /* replay-table set, private to sip_digest.c */

/* Per-worker context; treat as opaque except for the counter. */
struct sip_digest {
	uint8_t key[SIP_DIGEST_KEY_LEN];
	uint64_t ttl_ms;
	uint64_t evicted_live;          /* unexpired nonces evicted (table too small) */
	struct sip_digest_set *sets;
	size_t sets_mask;               /* sets - 1 */
	void *rng;                      /* WC_RNG, allocated at init */
};

/* What the caller expects of one Authorization header. */
struct sip_digest_expect {
	struct sip_str method;   /* the request's method, e.g. "REGISTER" */
	struct sip_str ruri;     /* the Request-URI as received */
	struct sip_str username; /* the user the request must authenticate as */
	struct sip_str realm;    /* our realm (the configured domain) */
	const char *ha1_sha256;  /* 64 lowercase hex digits, or NULL */
	const char *ha1_md5;     /* 32 lowercase hex digits, or NULL */
	const void *peer;        /* peer binding given when the nonce was issued */
	size_t peer_len;
};

/*
 * sip_digest_init - set up @d: copy or draw the key, seed an RNG, allocate
 * the replay table. @cfg may be NULL for all defaults.
 * Returns 0, -EINVAL (replay_slots above 2**24), -ENOMEM or -EIO (RNG).
 */
int sip_digest_init(struct sip_digest *d, const struct sip_digest_cfg *cfg);

/*
 * sip_digest_fini - wipe the key and the table, free what init allocated.
 * Safe on a zeroed or already finished @d.
 */
void sip_digest_fini(struct sip_digest *d);

/*
 * sip_digest_nonce - issue a nonce bound to @peer (@peer_len bytes) at
 * @now_ms (the clock later given to sip_digest_verify()), NUL-terminated
 * in @out. Returns 0 or -EIO (RNG or HMAC failure).
 */
int sip_digest_nonce(struct sip_digest *d, const void *peer, size_t peer_len,
		     uint64_t now_ms, char out[SIP_DIGEST_NONCE_LEN + 1]);

/*
 * sip_digest_challenge - write one WWW-Authenticate value (no header name,
 * no CRLF), NUL-terminated:
 *   Digest realm="<realm>", nonce="<nonce>", algorithm=SHA-256, qop="auth"[, stale=true]
 * A registrar sends two headers with the same nonce, SHA-256 first and MD5
 * second (RFC 8760: most preferred on top; a client uses the topmost one
 * whose algorithm it supports).
 * @realm is quoted ('"' and '\' escaped). Returns the length written
 * (without the NUL), -EINVAL (@realm has a control byte, @nonce not
 * SIP_DIGEST_NONCE_LEN characters, unknown @alg) or -ENOSPC.
 */
ssize_t sip_digest_challenge(enum sip_digest_alg alg, struct sip_str realm,
			     const char *nonce, bool stale, char *out, size_t cap);

/*
 * sip_digest_verify - check the parsed Authorization value @a (from
 * sip_auth_parse()) against @exp at @now_ms. Checks, in this order:
 *   scheme "Digest", userhash absent or false        else UNSUPPORTED
 *   username, realm, nonce, uri, response present;
 *   with qop: cnonce and nc (8 hex, not 0); without qop: neither
 *                                                      else BAD_REQUEST
 *   algorithm MD5 (or absent) / SHA-256, qop "auth"    else UNSUPPORTED
 *   response is the hash's length of hex digits        else BAD_REQUEST
 *   username == exp->username (after unquoting)        else WRONG_USER
 *   realm == exp->realm                                else WRONG_REALM
 *   uri == exp->ruri, byte for byte (RFC 7616 §3.4.6)  else BAD_REQUEST
 *   an HA1 for the algorithm in @exp                   else UNSUPPORTED
 *   nonce ours, for exp->peer (MAC, constant time)     else BAD_NONCE
 *   response = KD(HA1, nonce:nc:cnonce:qop:HA2) with HA2 = H(method:uri),
 *     or KD(HA1, nonce:HA2) without qop (constant time) else BAD_RESPONSE
 *   nonce age <= ttl (and not from the future)         else STALE
 *   nc above the highest seen for the nonce            else REPLAY
 *     (a nonce not in the table but issued before its set's low-water
 *     mark: STALE)
 * Only SIP_DIGEST_OK records the use in the replay table.
 * Returns an enum sip_digest_result value.
 */
int sip_digest_verify(struct sip_digest *d, const struct sip_auth *a,
		      const struct sip_digest_expect *exp, uint64_t now_ms);

/*
 * sip_digest_verify_value - sip_auth_parse() of the header value @value
 * (a duplicate or malformed parameter: SIP_DIGEST_BAD_REQUEST), then
 * sip_digest_verify(). Returns an enum sip_digest_result value.
 */
int sip_digest_verify_value(struct sip_digest *d, struct sip_str value,
			    const struct sip_digest_expect *exp, uint64_t now_ms);

/*
 * sip_digest_hash_hex - H(@data) as lowercase hex, NUL-terminated in @out
 * (33 bytes for MD5, 65 for SHA-256). Returns the digit count, -EINVAL
 * (unknown @alg) or -EIO (wolfCrypt failure).
 */
int sip_digest_hash_hex(enum sip_digest_alg alg, const void *data, size_t len,
			char out[SIP_DIGEST_HEX_MAX + 1]);

/*
 * sip_digest_response - the request-digest (RFC 7616 §3.4.1) as lowercase
 * hex in @out: KD(@ha1_hex, nonce ":" nc ":" cnonce ":" qop ":" HA2) with
 * HA2 = H(method ":" uri), or KD(@ha1_hex, nonce ":" HA2) when @qop is
 * empty. Values are used exactly as given (already unquoted).
 * Returns the digit count, -EINVAL (unknown @alg, @ha1_hex not the hash's
 * length) or -EIO.
 */
int sip_digest_response(enum sip_digest_alg alg, struct sip_str ha1_hex,
			struct sip_str nonce, struct sip_str nc, struct sip_str cnonce,
			struct sip_str qop, struct sip_str method, struct sip_str uri,
			char out[SIP_DIGEST_HEX_MAX + 1]);

/*
 * sip_digest_result_name - "ok", "stale", "replay"… for logs; "unknown"
 * for other values.
 */
const char *sip_digest_result_name(int result);

#endif
