/*
 * SIP digest (SHA-256, qop=auth) for the benchmark's receivers; see
 * eb_digest.h. Built on the same pieces as the reference client: the
 * challenge is parsed by gateway/sip's sip_auth_parse(), HA1 comes from
 * libcolumba's cl_sip_ha1() and the response from sip_digest_response().
 */
#include "bench/e2e/eb_digest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "client/sipua.h"
#include "gateway/sip/sip_digest.h"
#include "gateway/sip/sip_hdr.h"

int eb_sha256_hex(const void *data, size_t n, char hex[65])
{
	return sip_digest_hash_hex(SIP_DIGEST_SHA256, data, n, hex) == 64 ? 0 : -EIO;
}

/* A parameter value, quotes already removed by the parser, unescaped into @dst. */
static int copy_param(char *dst, size_t cap, struct sip_str v)
{
	ssize_t n = sip_unquote(v, dst, cap - 1);

	if (n < 0)
		return -EINVAL;
	dst[n] = '\0';
	return 0;
}

int eb_digest_parse(const char *v, size_t n, struct eb_challenge *ch)
{
	struct sip_auth a;
	struct sip_list_iter it;
	struct sip_str item;

	memset(ch, 0, sizeof(*ch));
	if (sip_auth_parse((struct sip_str){ v, n }, &a) != 0 || !sip_str_eq_nocase(a.scheme, "Digest"))
		return -EINVAL;
	if (!a.realm.n || !a.nonce.n || copy_param(ch->realm, sizeof(ch->realm), a.realm) ||
	    copy_param(ch->nonce, sizeof(ch->nonce), a.nonce))
		return -EINVAL;
	ch->sha256 = sip_str_eq_nocase(a.algorithm, "SHA-256");
	/* qop is a list: "auth,auth-int" */
	sip_list_init(&it, a.qop);
	while (sip_list_next(&it, &item))
		if (sip_str_eq_nocase(item, "auth"))
			ch->qop_auth = 1;
	return 0;
}

int eb_digest_authorization(const struct eb_challenge *ch, const char *user,
			    const char *password, const char *method, const char *uri,
			    const char *cnonce, char *out, size_t cap)
{
	char md5[33], ha1[65], resp[SIP_DIGEST_HEX_MAX + 1];
	int n, r;

	if (cl_sip_ha1(user, ch->realm, password, md5, ha1) != 0)
		return -EIO;
	r = sip_digest_response(SIP_DIGEST_SHA256, (struct sip_str){ ha1, 64 },
				(struct sip_str){ ch->nonce, strlen(ch->nonce) },
				(struct sip_str){ "00000001", 8 },
				(struct sip_str){ cnonce, strlen(cnonce) },
				(struct sip_str){ "auth", 4 },
				(struct sip_str){ method, strlen(method) },
				(struct sip_str){ uri, strlen(uri) }, resp);
	explicit_bzero(ha1, sizeof(ha1));
	explicit_bzero(md5, sizeof(md5));
	if (r != 64)
		return -EIO;
	n = snprintf(out, cap,
		     "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
		     "response=\"%s\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"%s\"",
		     user, ch->realm, ch->nonce, uri, resp, cnonce);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}
