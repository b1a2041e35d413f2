/* SIP digest (SHA-256, qop=auth); see eb_digest.h. */
#include "bench/e2e/eb_digest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

int eb_sha256_hex(const void *data, size_t n, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	wc_Sha256 sha;
	unsigned char d[WC_SHA256_DIGEST_SIZE];

	if (wc_InitSha256(&sha) != 0)
		return -EIO;
	int rc = wc_Sha256Update(&sha, data, (word32)n);
	if (rc == 0)
		rc = wc_Sha256Final(&sha, d);
	wc_Sha256Free(&sha);
	if (rc != 0)
		return -EIO;
	for (size_t i = 0; i < sizeof(d); i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
	return 0;
}

/* Copies a parameter value (quoted or token) of @n bytes into @dst. */
static int copy_param(char *dst, size_t cap, const char *v, size_t n)
{
	if (n + 1 > cap)
		return -EINVAL;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int eb_digest_parse(const char *v, size_t n, struct eb_challenge *ch)
{
	const char *p = v, *end = v + n;

	memset(ch, 0, sizeof(*ch));
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 7 || strncasecmp(p, "Digest", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return -EINVAL;
	p += 7;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		const char *name = p;
		while (p < end && *p != '=' && *p != ',' && *p != ' ')
			p++;
		size_t name_n = (size_t)(p - name);
		while (p < end && *p == ' ')
			p++;
		if (p >= end || *p != '=')
			return name_n == 0 ? 0 : -EINVAL;
		p++;
		while (p < end && *p == ' ')
			p++;
		const char *val;
		size_t val_n;
		if (p < end && *p == '"') {
			val = ++p;
			while (p < end && *p != '"')
				p += (*p == '\\' && p + 1 < end) ? 2 : 1;
			if (p >= end)
				return -EINVAL;
			val_n = (size_t)(p - val);
			p++;
		} else {
			val = p;
			while (p < end && *p != ',' && *p != ' ')
				p++;
			val_n = (size_t)(p - val);
		}
		if (name_n == 5 && strncasecmp(name, "realm", 5) == 0) {
			if (copy_param(ch->realm, sizeof(ch->realm), val, val_n) != 0)
				return -EINVAL;
		} else if (name_n == 5 && strncasecmp(name, "nonce", 5) == 0) {
			if (copy_param(ch->nonce, sizeof(ch->nonce), val, val_n) != 0)
				return -EINVAL;
		} else if (name_n == 9 && strncasecmp(name, "algorithm", 9) == 0) {
			ch->sha256 = val_n == 7 && strncasecmp(val, "SHA-256", 7) == 0;
		} else if (name_n == 3 && strncasecmp(name, "qop", 3) == 0) {
			/* a list: "auth,auth-int" */
			for (size_t i = 0; i + 4 <= val_n; i++)
				if (strncasecmp(val + i, "auth", 4) == 0 && (i == 0 || val[i - 1] == ',') &&
				    (i + 4 == val_n || val[i + 4] == ','))
					ch->qop_auth = 1;
		}
	}
	return ch->realm[0] && ch->nonce[0] ? 0 : -EINVAL;
}

int eb_digest_authorization(const struct eb_challenge *ch, const char *user,
			    const char *password, const char *method, const char *uri,
			    const char *cnonce, char *out, size_t cap)
{
	char buf[512], ha1[65], ha2[65], resp[65];
	int n;

	n = snprintf(buf, sizeof(buf), "%s:%s:%s", user, ch->realm, password);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENOSPC;
	if (eb_sha256_hex(buf, (size_t)n, ha1) != 0)
		return -EIO;
	n = snprintf(buf, sizeof(buf), "%s:%s", method, uri);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENOSPC;
	if (eb_sha256_hex(buf, (size_t)n, ha2) != 0)
		return -EIO;
	n = snprintf(buf, sizeof(buf), "%s:%s:00000001:%s:auth:%s", ha1, ch->nonce, cnonce, ha2);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENOSPC;
	if (eb_sha256_hex(buf, (size_t)n, resp) != 0)
		return -EIO;
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(ha1, sizeof(ha1));
	n = snprintf(out, cap,
		     "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		     "response=\"%s\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"%s\"",
		     user, ch->realm, ch->nonce, uri, resp, cnonce);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}
