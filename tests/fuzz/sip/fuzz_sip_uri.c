/*
 * libFuzzer driver for the SIP URI parser and comparison. For each input:
 *   - parse it; every slice must stay inside it, and the code must be 0 or
 *     a SIP_URI_E_*;
 *   - on success: sip_uri_equal() is reflexive; a variant with the scheme
 *     and host upper-cased and every alphanumeric of the user and password
 *     written as %HH parses and compares equal, both ways; unescaping never
 *     overflows; the input split at a data-derived '|' gives two URIs whose
 *     comparison is symmetric.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "gateway/sip/sip_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct sip_str s, const char *base, size_t n)
{
	if (s.n && (s.p < base || s.p + s.n > base + n))
		abort();
}

static char up(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

/* Write the escaped/upper-cased variant of @u (parsed from @in) to @out. */
static size_t variant(const struct sip_uri *u, const char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *colon = memchr(in, ':', n);
	size_t scheme_end = colon ? (size_t)(colon - in) : 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = in + i;
		bool in_user = (u->has_user && p >= u->user.p && p < u->user.p + u->user.n) ||
			       (u->has_password && p >= u->password.p &&
				p < u->password.p + u->password.n);
		bool in_host = p >= u->host.p && p < u->host.p + u->host.n;
		bool in_scheme = i < scheme_end;
		unsigned char c = (unsigned char)*p;

		if (in_user && c == '%') {
			/* An existing escape is kept as it is. */
			memcpy(out + o, p, 3);
			o += 3;
			i += 2;
		} else if (in_user && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9'))) {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else if (in_host || in_scheme) {
			out[o++] = up((char)c);
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char var[3 * 4096], dec[4096];
	const char *in = (const char *)data;
	struct sip_uri u, v, a, b;
	const char *bar;
	int rc;

	if (size > 4096)
		return 0;
	rc = sip_uri_parse(in, size, &u);
	if (rc && (rc < SIP_URI_E__FIRST || rc > SIP_URI_E__LAST))
		abort();
	if (rc == 0) {
		size_t n;
		ssize_t d;

		inside(u.user, in, size);
		inside(u.password, in, size);
		inside(u.host, in, size);
		inside(u.params, in, size);
		inside(u.headers, in, size);
		inside(u.transport, in, size);
		inside(u.maddr, in, size);
		if (!sip_uri_equal(&u, &u))
			abort();
		d = sip_uri_unescape(u.user, dec, sizeof(dec));
		if (d < 0 || (size_t)d > u.user.n)
			abort();
		n = variant(&u, in, size, var);
		if (sip_uri_parse(var, n, &v) != 0)
			abort();
		if (!sip_uri_equal(&u, &v) || !sip_uri_equal(&v, &u))
			abort();
	}
	bar = memchr(in, '|', size);
	if (bar && sip_uri_parse(in, (size_t)(bar - in), &a) == 0 &&
	    sip_uri_parse(bar + 1, size - (size_t)(bar - in) - 1, &b) == 0) {
		if (sip_uri_equal(&a, &b) != sip_uri_equal(&b, &a))
			abort();
	}
	return 0;
}
