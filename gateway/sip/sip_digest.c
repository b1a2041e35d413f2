/*
 * SIP digest authentication, server side: nonces, challenges, replay table,
 * Authorization check. Contract: sip_digest.h.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/md5.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "gateway/sip/sip_digest.h"

#include "base/b64.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"
#include "gateway/sip/sip_lex.h"

#define NONCE_RAW  32 /* ts 8 ‖ rnd 8 ‖ mac 16 */
#define NONCE_MAC  16
#define WAYS       4
#define SLOTS_MAX  (1u << 24)

struct sip_digest_seen {
	uint8_t mac[NONCE_MAC]; /* the nonce's MAC: unique per nonce and peer */
	uint64_t issued_ms;
	uint32_t nc_max;        /* 0: free; UINT32_MAX: consumed by a qop-less use */
};

struct sip_digest_set {
	struct sip_digest_seen way[WAYS];
	/* One past the newest issue time of a live nonce evicted from this set;
	 * 0 while none was. Unknown nonces issued before it are STALE. */
	uint64_t forgotten_before;
};

/* ---- hashing ---- */

struct hash {
	enum sip_digest_alg alg;
	union {
		wc_Sha256 sha256;
		wc_Md5 md5;
	} u;
};

static int hash_init(struct hash *h, enum sip_digest_alg alg)
{
	h->alg = alg;
	if (alg == SIP_DIGEST_SHA256)
		return wc_InitSha256(&h->u.sha256) ? -EIO : 0;
	if (alg == SIP_DIGEST_MD5)
		return wc_InitMd5(&h->u.md5) ? -EIO : 0;
	return -EINVAL;
}

static size_t hash_len(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_SHA256 ? WC_SHA256_DIGEST_SIZE : WC_MD5_DIGEST_SIZE;
}

static int hash_update(struct hash *h, const void *p, size_t n)
{
	if (h->alg == SIP_DIGEST_SHA256)
		return wc_Sha256Update(&h->u.sha256, p, (word32)n) ? -EIO : 0;
	return wc_Md5Update(&h->u.md5, p, (word32)n) ? -EIO : 0;
}

/* Finish @h as lowercase hex in @out; frees and wipes the state either way. */
static int hash_final_hex(struct hash *h, int rc, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[WC_SHA256_DIGEST_SIZE];
	size_t n = hash_len(h->alg);

	if (!rc) {
		if (h->alg == SIP_DIGEST_SHA256)
			rc = wc_Sha256Final(&h->u.sha256, d) ? -EIO : 0;
		else
			rc = wc_Md5Final(&h->u.md5, d) ? -EIO : 0;
	}
	if (h->alg == SIP_DIGEST_SHA256)
		wc_Sha256Free(&h->u.sha256);
	else
		wc_Md5Free(&h->u.md5);
	if (!rc) {
		for (size_t i = 0; i < n; i++) {
			out[2 * i] = hex[d[i] >> 4];
			out[2 * i + 1] = hex[d[i] & 15];
		}
		out[2 * n] = '\0';
	}
	explicit_bzero(d, sizeof(d));
	explicit_bzero(&h->u, sizeof(h->u));
	return rc ? rc : (int)(2 * n);
}

/* H(p[0] ":" p[1] ":" … p[n-1]) as hex. */
static int hash_parts_hex(enum sip_digest_alg alg, const struct sip_str *p, size_t n, char *out)
{
	struct hash h;
	int rc = hash_init(&h, alg);

	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		if (i)
			rc = hash_update(&h, ":", 1);
		if (!rc && p[i].n)
			rc = hash_update(&h, p[i].p, p[i].n);
	}
	return hash_final_hex(&h, rc, out);
}

int sip_digest_hash_hex(enum sip_digest_alg alg, const void *data, size_t len,
			char out[SIP_DIGEST_HEX_MAX + 1])
{
	struct sip_str s = { data, len };

	return hash_parts_hex(alg, &s, 1, out);
}

int sip_digest_response(enum sip_digest_alg alg, struct sip_str ha1_hex,
			struct sip_str nonce, struct sip_str nc, struct sip_str cnonce,
			struct sip_str qop, struct sip_str method, struct sip_str uri,
			char out[SIP_DIGEST_HEX_MAX + 1])
{
	char ha2[SIP_DIGEST_HEX_MAX + 1];
	struct sip_str a2[2] = { method, uri }, h2;
	int rc;

	if (alg != SIP_DIGEST_MD5 && alg != SIP_DIGEST_SHA256)
		return -EINVAL;
	if (ha1_hex.n != 2 * hash_len(alg))
		return -EINVAL;
	rc = hash_parts_hex(alg, a2, 2, ha2);
	if (rc < 0)
		return rc;
	h2 = sip__str(ha2, (size_t)rc);
	if (qop.n) {
		struct sip_str kd[6] = { ha1_hex, nonce, nc, cnonce, qop, h2 };

		return hash_parts_hex(alg, kd, 6, out);
	}
	struct sip_str kd2[3] = { ha1_hex, nonce, h2 };

	return hash_parts_hex(alg, kd2, 3, out);
}

/* ---- nonces ---- */

/* 32 bytes -> 43 characters (the last one carries 4 bits and 2 zero bits). */
static void nonce_encode(const uint8_t raw[NONCE_RAW], char *out)
{
	b64_encode_nopad(raw, NONCE_RAW, out, true);
}

/* Strict inverse of nonce_encode(): exactly one spelling per nonce. */
static bool nonce_decode(struct sip_str s, uint8_t raw[NONCE_RAW])
{
	return s.n == SIP_DIGEST_NONCE_LEN &&
	       b64_decode_nopad(s.p, s.n, raw, NONCE_RAW, true) == NONCE_RAW;
}

static int nonce_mac(const struct sip_digest *d, const uint8_t *ts_rnd, const void *peer,
		     size_t peer_len, uint8_t mac[NONCE_MAC])
{
	uint8_t full[WC_SHA256_DIGEST_SIZE];
	Hmac h;
	int rc = -EIO;

	if (wc_HmacInit(&h, NULL, INVALID_DEVID))
		return -EIO;
	if (!wc_HmacSetKey(&h, WC_SHA256, d->key, SIP_DIGEST_KEY_LEN) &&
	    !wc_HmacUpdate(&h, ts_rnd, 16) &&
	    (peer_len == 0 || !wc_HmacUpdate(&h, peer, (word32)peer_len)) &&
	    !wc_HmacFinal(&h, full)) {
		memcpy(mac, full, NONCE_MAC);
		rc = 0;
	}
	wc_HmacFree(&h);
	explicit_bzero(&h, sizeof(h));
	explicit_bzero(full, sizeof(full));
	return rc;
}

int sip_digest_nonce(struct sip_digest *d, const void *peer, size_t peer_len,
		     uint64_t now_ms, char out[SIP_DIGEST_NONCE_LEN + 1])
{
	uint8_t raw[NONCE_RAW];

	for (int i = 0; i < 8; i++)
		raw[i] = (uint8_t)(now_ms >> (56 - 8 * i));
	if (wc_RNG_GenerateBlock(d->rng, raw + 8, 8))
		return -EIO;
	if (nonce_mac(d, raw, peer, peer_len, raw + 16))
		return -EIO;
	nonce_encode(raw, out);
	return 0;
}

/* ---- set-up ---- */

int sip_digest_init(struct sip_digest *d, const struct sip_digest_cfg *cfg)
{
	size_t slots = cfg && cfg->replay_slots ? cfg->replay_slots : SIP_DIGEST_SLOTS_DEFAULT;
	size_t n = WAYS;

	memset(d, 0, sizeof(*d));
	if (slots > SLOTS_MAX)
		return -EINVAL;
	while (n < slots)
		n <<= 1;
	d->ttl_ms = cfg && cfg->nonce_ttl_ms ? cfg->nonce_ttl_ms : SIP_DIGEST_TTL_DEFAULT_MS;
	d->sets_mask = n / WAYS - 1;
	d->sets = calloc(n / WAYS, sizeof(*d->sets));
	if (!d->sets)
		return -ENOMEM;
	d->rng = calloc(1, sizeof(WC_RNG));
	if (!d->rng)
		goto fail_nomem;
	if (wc_InitRng(d->rng))
		goto fail_rng;
	if (cfg && cfg->key)
		memcpy(d->key, cfg->key, SIP_DIGEST_KEY_LEN);
	else if (wc_RNG_GenerateBlock(d->rng, d->key, SIP_DIGEST_KEY_LEN))
		goto fail_key;
	return 0;

fail_key:
	wc_FreeRng(d->rng);
fail_rng:
	free(d->rng);
	free(d->sets);
	memset(d, 0, sizeof(*d));
	return -EIO;
fail_nomem:
	free(d->sets);
	memset(d, 0, sizeof(*d));
	return -ENOMEM;
}

void sip_digest_fini(struct sip_digest *d)
{
	if (d->sets) {
		explicit_bzero(d->sets, (d->sets_mask + 1) * sizeof(*d->sets));
		free(d->sets);
	}
	if (d->rng) {
		wc_FreeRng(d->rng);
		free(d->rng);
	}
	explicit_bzero(d, sizeof(*d));
}

/* ---- challenges ---- */

ssize_t sip_digest_challenge(enum sip_digest_alg alg, struct sip_str realm,
			     const char *nonce, bool stale, char *out, size_t cap)
{
	const char *name = alg == SIP_DIGEST_SHA256 ? "SHA-256" : alg == SIP_DIGEST_MD5 ? "MD5" : NULL;
	const char *parts[] = { "\", nonce=\"", nonce, "\", algorithm=", name, ", qop=\"auth\"",
				stale ? ", stale=true" : "" };
	size_t o = 0;

	if (!name || !nonce || strnlen(nonce, SIP_DIGEST_NONCE_LEN + 1) != SIP_DIGEST_NONCE_LEN)
		return -EINVAL;
#define PUT(c)                          \
	do {                            \
		if (o + 1 >= cap)       \
			return -ENOSPC; \
		out[o++] = (c);         \
	} while (0)
	for (const char *s = "Digest realm=\""; *s; s++)
		PUT(*s);
	for (size_t i = 0; i < realm.n; i++) {
		unsigned char c = (unsigned char)realm.p[i];

		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
		if (c == '"' || c == '\\')
			PUT('\\');
		PUT((char)c);
	}
	for (size_t k = 0; k < ARRAY_SIZE(parts); k++)
		for (const char *s = parts[k]; *s; s++)
			PUT(*s);
#undef PUT
	out[o] = '\0';
	return (ssize_t)o;
}

/* ---- verification ---- */

/* Unquote @in into @buf; false when it does not fit. */
static bool unquote(struct sip_str in, char *buf, struct sip_str *out)
{
	ssize_t n = sip_unquote(in, buf, SIP_DIGEST_FIELD_MAX);

	if (n < 0)
		return false;
	out->p = buf;
	out->n = (size_t)n;
	return true;
}

static bool is_hex_str(struct sip_str s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!sip__is_hex((unsigned char)s.p[i]))
			return false;
	return true;
}

static bool str_same(struct sip_str a, struct sip_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Constant-time equality of two equally long hex strings; @got may be
 * upper case (validated hex: OR 0x20 lower-cases A-F, leaves digits). */
static bool hex_eq_ct(const char *want, const char *got, size_t n)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(want[i] ^ (got[i] | 0x20));
	return diff == 0;
}

static bool mac_eq_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* Parse 8LHEX into *nc; false unless exactly 8 hex digits and not zero. */
static bool parse_nc(struct sip_str s, uint32_t *nc)
{
	uint32_t v = 0;

	if (s.n != 8 || !is_hex_str(s))
		return false;
	for (size_t i = 0; i < 8; i++) {
		unsigned char c = (unsigned char)s.p[i];

		v = (v << 4) | (uint32_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	*nc = v;
	return v != 0;
}

static bool userhash_on(const struct sip_auth *a)
{
	struct sip_str rest = a->params;
	struct sip_param p;

	while (sip_auth_param_next(&rest, &p) == 1)
		if (sip__eq_lit(p.name, "userhash") && !sip__eq_lit(p.value, "false"))
			return true;
	return false;
}

static uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Replay check of a nonce whose MAC, response and age passed; records the
 * use when it is fresh. Returns OK, REPLAY or STALE. */
static int replay_check(struct sip_digest *d, const uint8_t raw[NONCE_RAW], uint64_t issued,
			bool has_qop, uint32_t nc, uint64_t now_ms)
{
	const uint8_t *mac = raw + 16;
	struct sip_digest_set *set = &d->sets[load32(mac) & d->sets_mask];
	struct sip_digest_seen *victim = &set->way[0];

	for (size_t w = 0; w < WAYS; w++) {
		struct sip_digest_seen *e = &set->way[w];

		if (e->nc_max && memcmp(e->mac, mac, NONCE_MAC) == 0) {
			/* Strictly increasing nc; a qop-less use consumes the nonce. */
			if (!has_qop || e->nc_max == UINT32_MAX || nc <= e->nc_max)
				return SIP_DIGEST_REPLAY;
			e->nc_max = nc;
			return SIP_DIGEST_OK;
		}
		/* Victim: a free way, else the oldest issued nonce of the set. */
		if (victim->nc_max && (!e->nc_max || e->issued_ms < victim->issued_ms))
			victim = e;
	}
	/* Unknown nonce: fresh, unless this set may have forgotten it. */
	if (issued < set->forgotten_before)
		return SIP_DIGEST_STALE;
	if (victim->nc_max && victim->issued_ms + d->ttl_ms >= now_ms) {
		d->evicted_live++;
		if (victim->issued_ms + 1 > set->forgotten_before)
			set->forgotten_before = victim->issued_ms + 1;
	}
	memcpy(victim->mac, mac, NONCE_MAC);
	victim->issued_ms = issued;
	victim->nc_max = has_qop ? nc : UINT32_MAX;
	return SIP_DIGEST_OK;
}

struct fields {
	enum sip_digest_alg alg;
	bool has_qop;
	uint32_t nc;
	struct sip_str username, realm, uri, cnonce;
	char ubuf[SIP_DIGEST_FIELD_MAX], rbuf[SIP_DIGEST_FIELD_MAX];
	char uribuf[SIP_DIGEST_FIELD_MAX], cbuf[SIP_DIGEST_FIELD_MAX];
};

/* Every check that needs neither the key nor the HA1. */
static int check_syntax(const struct sip_auth *a, const struct sip_digest_expect *exp,
			struct fields *f)
{
	if (!sip__eq_lit(a->scheme, "Digest") || userhash_on(a))
		return SIP_DIGEST_UNSUPPORTED;
	if (!a->username.n || !a->realm.p || !a->nonce.n || !a->uri.n || !a->response.n)
		return SIP_DIGEST_BAD_REQUEST;
	f->has_qop = a->qop.p != NULL;
	if (f->has_qop ? (!a->cnonce.n || !parse_nc(a->nc, &f->nc)) : (a->cnonce.p || a->nc.p))
		return SIP_DIGEST_BAD_REQUEST;
	if (!a->algorithm.p || sip__eq_lit(a->algorithm, "MD5"))
		f->alg = SIP_DIGEST_MD5;
	else if (sip__eq_lit(a->algorithm, "SHA-256"))
		f->alg = SIP_DIGEST_SHA256;
	else
		return SIP_DIGEST_UNSUPPORTED;
	if (f->has_qop && !sip__eq_lit(a->qop, "auth"))
		return SIP_DIGEST_UNSUPPORTED;
	if (a->response.n != 2 * hash_len(f->alg) || !is_hex_str(a->response))
		return SIP_DIGEST_BAD_REQUEST;
	if (!unquote(a->username, f->ubuf, &f->username) ||
	    !unquote(a->realm, f->rbuf, &f->realm) || !unquote(a->uri, f->uribuf, &f->uri) ||
	    !unquote(a->cnonce, f->cbuf, &f->cnonce))
		return SIP_DIGEST_BAD_REQUEST;
	if (!str_same(f->username, exp->username))
		return SIP_DIGEST_WRONG_USER;
	if (!str_same(f->realm, exp->realm))
		return SIP_DIGEST_WRONG_REALM;
	if (!str_same(f->uri, exp->ruri))
		return SIP_DIGEST_BAD_REQUEST;
	return SIP_DIGEST_OK;
}

int sip_digest_verify(struct sip_digest *d, const struct sip_auth *a,
		      const struct sip_digest_expect *exp, uint64_t now_ms)
{
	struct fields f;
	uint8_t raw[NONCE_RAW], mac[NONCE_MAC];
	char want[SIP_DIGEST_HEX_MAX + 1];
	struct sip_str h1, qop;
	const char *ha1;
	uint64_t issued = 0;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = check_syntax(a, exp, &f);
	if (rc)
		goto out;
	ha1 = f.alg == SIP_DIGEST_SHA256 ? exp->ha1_sha256 : exp->ha1_md5;
	rc = SIP_DIGEST_UNSUPPORTED;
	if (!ha1 || strnlen(ha1, 2 * hash_len(f.alg) + 1) != 2 * hash_len(f.alg))
		goto out;
	rc = SIP_DIGEST_BAD_NONCE;
	if (!nonce_decode(a->nonce, raw) || nonce_mac(d, raw, exp->peer, exp->peer_len, mac) ||
	    !mac_eq_ct(mac, raw + 16, NONCE_MAC))
		goto out;
	h1 = sip__str(ha1, 2 * hash_len(f.alg));
	qop = f.has_qop ? a->qop : sip__str("", 0);
	rc = sip_digest_response(f.alg, h1, a->nonce, a->nc, f.cnonce, qop, exp->method, f.uri,
				 want);
	if (rc < 0) {
		rc = SIP_DIGEST_BAD_RESPONSE; /* wolfCrypt failure: refuse */
		goto out;
	}
	rc = SIP_DIGEST_BAD_RESPONSE;
	if (!hex_eq_ct(want, a->response.p, a->response.n))
		goto out;
	for (int i = 0; i < 8; i++)
		issued = issued << 8 | raw[i];
	/* RFC 7616 §3.3: stale only once the response proved the password. */
	rc = SIP_DIGEST_STALE;
	if (issued > now_ms || now_ms - issued > d->ttl_ms)
		goto out;
	rc = replay_check(d, raw, issued, f.has_qop, f.nc, now_ms);
out:
	explicit_bzero(want, sizeof(want));
	explicit_bzero(&f, sizeof(f));
	return rc;
}

int sip_digest_verify_value(struct sip_digest *d, struct sip_str value,
			    const struct sip_digest_expect *exp, uint64_t now_ms)
{
	struct sip_auth a;

	if (sip_auth_parse(value, &a))
		return SIP_DIGEST_BAD_REQUEST;
	return sip_digest_verify(d, &a, exp, now_ms);
}

const char *sip_digest_result_name(int result)
{
	static const char *const names[] = {
		"stale", "replay", "bad_response", "bad_nonce", "bad_request",
		"wrong_user", "wrong_realm", "unsupported",
	};

	if (result == SIP_DIGEST_OK)
		return "ok";
	if (result < SIP_DIGEST__FIRST || result > SIP_DIGEST__LAST)
		return "unknown";
	return names[result - SIP_DIGEST__FIRST];
}
