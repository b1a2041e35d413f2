/*
 * SIP digest authentication for the benchmark's receivers: picking the SHA-256 challenge
 * out of WWW-Authenticate values and computing the RFC 7616 / RFC 8760 qop=auth answer.
 */
#ifndef COLUMBA_BENCH_E2E_EB_DIGEST_H
#define COLUMBA_BENCH_E2E_EB_DIGEST_H

#include <stddef.h>

struct eb_challenge {
	char realm[128];
	char nonce[128];
	int sha256; /* algorithm=SHA-256 */
	int qop_auth; /* qop lists "auth" */
};

/* Parses one WWW-Authenticate value @v (@n bytes) of the Digest scheme into @ch.
 * Returns 0, or -EINVAL if it is not Digest, lacks realm or nonce, or a parameter
 * does not fit. */
int eb_digest_parse(const char *v, size_t n, struct eb_challenge *ch);

/* Writes the Authorization value answering @ch for @user / @password, method @method and
 * request URI @uri, nonce count 1 and client nonce @cnonce, into @out (@cap bytes).
 * Returns its length, or -ENOSPC, or -EIO if wolfCrypt's SHA-256 failed. */
int eb_digest_authorization(const struct eb_challenge *ch, const char *user,
			    const char *password, const char *method, const char *uri,
			    const char *cnonce, char *out, size_t cap);

/* Lower-case hex SHA-256 of @n bytes at @data into @hex (65 bytes with the NUL).
 * Returns 0 or -EIO. */
int eb_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
