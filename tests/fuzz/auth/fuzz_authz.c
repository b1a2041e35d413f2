/*
 * libFuzzer driver for the HTTP Authorization parser (gw_authz_parse). The
 * input is the field value. For each input:
 *   - parse with a zeroed decode buffer large enough for any value; compare
 *     accept/reject with an independent reference (scheme "Basic"/"Bearer"
 *     case-insensitive, one SP, then strict padded canonical base64 of
 *     "user:password" or a b64token) and abort() on a disagreement;
 *   - on success, abort() unless the slices lie inside the decode buffer
 *     (Basic) or the input (Bearer), the lengths add up, the decoded bytes
 *     equal the reference decoding, the user-id is non-empty without ':' and
 *     neither part holds a control character;
 *   - on error, abort() unless the code is a known GW_AUTHZ_E_* value and the
 *     decode buffer is all zero again (no partial password left behind);
 *   - for a Basic success of d decoded bytes, parse again with cap == d (must
 *     give the same result) and cap == d - 1 (must fail GW_AUTHZ_E_TOO_LONG
 *     with the buffer wiped).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest decode of a value within GW_AUTHZ_VALUE_MAX, plus slack. */
#define DEC_CAP (GW_AUTHZ_VALUE_MAX / 4 * 3 + 16)

static int ref_b64(unsigned char c)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *hit = c ? memchr(alpha, c, 64) : NULL;

	return hit ? (int)(hit - alpha) : -1;
}

/*
 * Reference RFC 4648 §4 decoder, quantum by quantum: @n a non-zero multiple
 * of 4, '=' only as the last one or two characters of the last quantum,
 * unused bits zero (canonical). Returns the decoded length or -1.
 */
static long ref_b64_decode(const char *s, size_t n, uint8_t *out)
{
	size_t o = 0;

	if (n == 0 || n % 4)
		return -1;
	for (size_t q = 0; q < n; q += 4) {
		bool last = q + 4 == n;
		int v[4], pad = 0;
		uint32_t w = 0;

		for (int k = 0; k < 4; k++) {
			v[k] = ref_b64((unsigned char)s[q + k]);
			if (v[k] < 0) {
				if (!last || k < 2 || s[q + k] != '=')
					return -1;
				pad++;
			} else if (pad) {
				return -1; /* a digit after '=' */
			}
		}
		for (int k = 0; k < 4 - pad; k++)
			w |= (uint32_t)v[k] << (18 - 6 * k);
		out[o++] = (uint8_t)(w >> 16);
		if (pad == 2) {
			if (w & 0xFFFF)
				return -1;
			continue;
		}
		out[o++] = (uint8_t)(w >> 8);
		if (pad == 1) {
			if (w & 0xFF)
				return -1;
			continue;
		}
		out[o++] = (uint8_t)w;
	}
	return (long)o;
}

/* RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool ref_b64token(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-._~+/", s[i]))
		i++;
	if (i == 0)
		return false;
	while (i < n && s[i] == '=')
		i++;
	return i == n;
}

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Reference verdict for a Basic credential string; @dec receives the decoding. */
static bool ref_basic(const char *c, size_t n, uint8_t *dec, long *dlen)
{
	long d = ref_b64_decode(c, n, dec);
	const uint8_t *colon;

	*dlen = d;
	if (d <= 0)
		return false;
	colon = memchr(dec, ':', (size_t)d);
	if (!colon || colon == dec)
		return false;
	for (long i = 0; i < d; i++)
		if (is_ctl(dec[i]))
			return false;
	return true;
}

static bool all_zero(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void check_error(int rc, const char *buf, size_t cap)
{
	if (rc > GW_AUTHZ_E_EMPTY || rc < GW_AUTHZ_E_TOO_LONG)
		abort();
	if (!strcmp(gw_authz_err_name(rc), "unknown"))
		abort();
	if (!all_zero(buf, cap))
		abort();
}

static void check_basic(const struct gw_authz *a, const char *buf, size_t cap, const uint8_t *ref,
			long rlen)
{
	size_t d = (size_t)a->user_len + 1 + a->password_len;

	if (a->scheme != GW_AUTHZ_BASIC || a->token || a->token_len)
		abort();
	if (a->user != buf || a->user_len == 0 || d > cap || (long)d != rlen)
		abort();
	if (a->password != buf + a->user_len + 1 || buf[a->user_len] != ':')
		abort();
	if (memchr(a->user, ':', a->user_len))
		abort();
	for (size_t i = 0; i < d; i++)
		if (is_ctl((unsigned char)buf[i]))
			abort();
	if (memcmp(buf, ref, d))
		abort();
}

static void check_bearer(const struct gw_authz *a, const char *v, size_t len)
{
	if (a->scheme != GW_AUTHZ_BEARER || a->user || a->user_len || a->password ||
	    a->password_len)
		abort();
	if (len < 8 || a->token != v + 7 || a->token_len != len - 7)
		abort();
	if (!ref_b64token(a->token, a->token_len))
		abort();
}

static void check_small_cap(const char *v, size_t size, const uint8_t *ref, long rlen, size_t cap)
{
	char *b = calloc(cap ? cap : 1, 1);
	struct gw_authz a;
	int rc;

	if (!b)
		abort();
	rc = gw_authz_parse(v, size, &a, b, cap);
	if (cap == (size_t)rlen) {
		if (rc)
			abort();
		check_basic(&a, b, cap, ref, rlen);
	} else {
		if (rc != GW_AUTHZ_E_TOO_LONG)
			abort();
		check_error(rc, b, cap);
	}
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[DEC_CAP];
	static uint8_t ref[DEC_CAP];
	const char *v = (const char *)data;
	struct gw_authz a;
	bool basic = false, bearer = false, ok = false;
	long rlen = -1;
	int rc;

	if (size >= 6 && size <= GW_AUTHZ_VALUE_MAX && !strncasecmp(v, "basic ", 6)) {
		basic = true;
		ok = ref_basic(v + 6, size - 6, ref, &rlen);
	} else if (size >= 7 && size <= GW_AUTHZ_VALUE_MAX && !strncasecmp(v, "bearer ", 7)) {
		bearer = true;
		ok = ref_b64token(v + 7, size - 7);
	}

	memset(buf, 0, sizeof(buf));
	rc = gw_authz_parse(v, size, &a, buf, sizeof(buf));
	if ((rc == 0) != ok)
		abort();
	if (size == 0 && rc != GW_AUTHZ_E_EMPTY)
		abort();
	if (size > GW_AUTHZ_VALUE_MAX && rc != GW_AUTHZ_E_TOO_LONG)
		abort();
	if (rc) {
		check_error(rc, buf, sizeof(buf));
		return 0;
	}
	if (bearer) {
		check_bearer(&a, v, size);
		return 0;
	}
	if (!basic)
		abort();
	check_basic(&a, buf, sizeof(buf), ref, rlen);

	/*
	 * The exact decoded size fits; one byte less is "too long", and wiped.
	 * Heap buffers of exactly @cap bytes, so ASan sees a write past the end.
	 */
	check_small_cap(v, size, ref, rlen, (size_t)rlen);
	check_small_cap(v, size, ref, rlen, (size_t)rlen - 1);
	return 0;
}
