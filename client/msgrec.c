#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "client/msgrec.h"

#include <errno.h>
#include <string.h>

enum { REC_VERSION = 1, HDR_LEN = 8 + 5 * 8 + CL_SRVID_LEN, NONCE_LEN = 12, TAG_LEN = 16 };

int cl_text_key(const uint8_t master[CL_MASTER_LEN], const uint8_t slot_key[CL_SLOT_LEN],
		const uint8_t key[CL_KEY_LEN], uint8_t out[32])
{
	Hmac h;
	int ok;

	ok = wc_HmacInit(&h, NULL, INVALID_DEVID) == 0;
	ok = ok && wc_HmacSetKey(&h, WC_SHA256, master, CL_MASTER_LEN) == 0 &&
	     wc_HmacUpdate(&h, slot_key, CL_SLOT_LEN) == 0 &&
	     wc_HmacUpdate(&h, key, CL_KEY_LEN) == 0 && wc_HmacFinal(&h, out) == 0;
	wc_HmacFree(&h);
	explicit_bzero(&h, sizeof(h));
	return ok ? 0 : -EIO;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

ssize_t cl_msgrec_encode(const struct cl_msg *m, const uint8_t text_key[32],
			 const uint8_t nonce[12], uint8_t *out, size_t cap)
{
	size_t peer_len = strlen(m->peer), err_len = strlen(m->error), pos;
	bool has_text = !(m->flags & CL_F_ERASED) && m->text_len > 0;
	const uint64_t t[5] = { m->created_ms, m->updated_ms, m->read_ms, m->sent_ms, m->slot };

	if (cap < CL_REC_MAX || peer_len > CL_PEER_MAX || err_len > CL_MERR_MAX ||
	    m->text_len > CL_TEXT_MAX || strlen(m->server_id) > CL_SRVID_LEN)
		return -EINVAL;
	out[0] = REC_VERSION;
	out[1] = m->dir;
	out[2] = m->status;
	out[3] = m->flags;
	out[4] = m->tries;
	out[5] = (uint8_t)peer_len;
	out[6] = (uint8_t)err_len;
	out[7] = has_text;
	for (int i = 0; i < 5; i++)
		put64(out + 8 + 8 * i, t[i]);
	memset(out + 48, 0, CL_SRVID_LEN);
	memcpy(out + 48, m->server_id, strlen(m->server_id));
	pos = HDR_LEN;
	memcpy(out + pos, m->peer, peer_len);
	pos += peer_len;
	memcpy(out + pos, m->error, err_len);
	pos += err_len;
	if (has_text) {
		Aes aes;
		int rc;

		memcpy(out + pos, nonce, NONCE_LEN);
		out[pos + NONCE_LEN + TAG_LEN] = (uint8_t)(m->text_len & 0xff);
		out[pos + NONCE_LEN + TAG_LEN + 1] = (uint8_t)(m->text_len >> 8);
		rc = wc_AesInit(&aes, NULL, INVALID_DEVID);
		rc = rc ? rc : wc_AesGcmSetKey(&aes, text_key, 32);
		/* The metadata header is the associated data: a record cannot be
		 * re-labelled (direction, status, peer) without breaking the tag. */
		rc = rc ? rc
			: wc_AesGcmEncrypt(&aes, out + pos + NONCE_LEN + TAG_LEN + 2,
					   (const uint8_t *)m->text, (word32)m->text_len, nonce,
					   NONCE_LEN, out + pos + NONCE_LEN, TAG_LEN, m->key,
					   CL_KEY_LEN);
		wc_AesFree(&aes);
		explicit_bzero(&aes, sizeof(aes));
		if (rc)
			return -EIO;
		pos += NONCE_LEN + TAG_LEN + 2 + m->text_len;
	}
	return (ssize_t)pos;
}

int cl_msgrec_decode(const uint8_t *rec, size_t len, const uint8_t *text_key, struct cl_msg *m)
{
	size_t pos = HDR_LEN, peer_len, err_len, tlen;
	uint8_t key[CL_KEY_LEN];

	memcpy(key, m->key, CL_KEY_LEN);
	memset(m, 0, sizeof(*m));
	memcpy(m->key, key, CL_KEY_LEN);
	if (len < HDR_LEN || rec[0] != REC_VERSION)
		return -EBADMSG;
	m->dir = rec[1];
	m->status = rec[2];
	m->flags = rec[3];
	m->tries = rec[4];
	peer_len = rec[5];
	err_len = rec[6];
	if (peer_len > CL_PEER_MAX || err_len > CL_MERR_MAX || pos + peer_len + err_len > len)
		return -EBADMSG;
	m->created_ms = get64(rec + 8);
	m->updated_ms = get64(rec + 16);
	m->read_ms = get64(rec + 24);
	m->sent_ms = get64(rec + 32);
	m->slot = get64(rec + 40);
	memcpy(m->server_id, rec + 48, CL_SRVID_LEN);
	m->server_id[CL_SRVID_LEN] = '\0';
	memcpy(m->peer, rec + pos, peer_len);
	pos += peer_len;
	memcpy(m->error, rec + pos, err_len);
	pos += err_len;
	if (!rec[7])
		return pos == len ? 0 : -EBADMSG;
	if (pos + NONCE_LEN + TAG_LEN + 2 > len)
		return -EBADMSG;
	tlen = rec[pos + NONCE_LEN + TAG_LEN] | (size_t)rec[pos + NONCE_LEN + TAG_LEN + 1] << 8;
	if (tlen == 0 || tlen > CL_TEXT_MAX || pos + NONCE_LEN + TAG_LEN + 2 + tlen != len)
		return -EBADMSG;
	if (text_key) {
		Aes aes;
		int rc;

		rc = wc_AesInit(&aes, NULL, INVALID_DEVID);
		rc = rc ? rc : wc_AesGcmSetKey(&aes, text_key, 32);
		rc = rc ? rc
			: wc_AesGcmDecrypt(&aes, (uint8_t *)m->text, rec + pos + NONCE_LEN + TAG_LEN + 2,
					   (word32)tlen, rec + pos, NONCE_LEN, rec + pos + NONCE_LEN,
					   TAG_LEN, m->key, CL_KEY_LEN);
		wc_AesFree(&aes);
		explicit_bzero(&aes, sizeof(aes));
		if (rc) {
			explicit_bzero(m->text, sizeof(m->text));
			return -EKEYREJECTED;
		}
		m->text_len = tlen;
		m->text[tlen] = '\0';
	}
	return 0;
}

uint64_t cl_msgrec_slot(const uint8_t *rec, size_t len)
{
	return len >= HDR_LEN && rec[0] == REC_VERSION ? get64(rec + 40) : 0;
}

void cl_key_hex(const uint8_t key[CL_KEY_LEN], char out[CL_KEY_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < CL_KEY_LEN; i++) {
		out[2 * i] = hex[key[i] >> 4];
		out[2 * i + 1] = hex[key[i] & 15];
	}
	out[CL_KEY_HEX] = '\0';
}

int cl_key_unhex(const char *s, uint8_t key[CL_KEY_LEN])
{
	if (strlen(s) != CL_KEY_HEX)
		return -EINVAL;
	for (int i = 0; i < CL_KEY_HEX; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -EINVAL;
		if (i % 2 == 0)
			key[i / 2] = (uint8_t)(v << 4);
		else
			key[i / 2] |= (uint8_t)v;
	}
	return 0;
}

int cl_text_check(const char *text, size_t len, size_t *chars)
{
	const uint8_t *p = (const uint8_t *)text;
	size_t n = 0, i = 0;

	if (len == 0)
		return -ENODATA;
	while (i < len) {
		uint32_t cp;
		size_t need;

		if (p[i] < 0x80) {
			cp = p[i];
			need = 0;
		} else if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			cp = p[i] & 0x1f;
			need = 1;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			cp = p[i] & 0x0f;
			need = 2;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			cp = p[i] & 0x07;
			need = 3;
		} else {
			return -EILSEQ;
		}
		if (need && i + need >= len)
			return -EILSEQ;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return -EILSEQ;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -EILSEQ;
		if ((cp < 0x20 && cp != '\n') || (cp >= 0x7f && cp <= 0x9f))
			return -EILSEQ;
		i += need + 1;
		n++;
	}
	if (chars)
		*chars = n;
	if (n > CL_TEXT_CHARS)
		return -EMSGSIZE;
	return (int)n;
}
