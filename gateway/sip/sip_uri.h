/*
 * SIP and SIPS URIs (RFC 3261 §19.1, grammar §25.1): zero-copy parser,
 * escape decoding into a caller buffer, and the comparison of §19.1.4.
 *
 * sip_uri_parse() return contract: 0, or one SIP_URI_E_* code (from -1300
 * up, never an errno value) naming the first component found malformed.
 * All slices in struct sip_uri point into the parsed text; escapes (%HH)
 * are checked but not decoded (sip_uri_unescape() does that).
 *
 * Choices:
 *   - tel: URIs are SIP_URI_E_TEL, any other scheme SIP_URI_E_SCHEME; the
 *     scheme is case-insensitive.
 *   - userinfo ends at the only '@' (no component after it may hold one),
 *     so a user part may contain ';', '?' and '/' (RFC 4475 §3.1.1.9).
 *   - A uri-parameter name appearing twice (after unescaping, ignoring case)
 *     is SIP_URI_E_PARAM: §19.1.4 compares parameters by name, which a
 *     repeated name would make ambiguous. ttl must be 0..255.
 *   - An IPv6 host compares as text, ignoring case (not canonicalised).
 */
#ifndef COLUMBA_GATEWAY_SIP_URI_H
#define COLUMBA_GATEWAY_SIP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gateway/sip/sip_types.h"

enum sip_uri_err {
	SIP_URI_E_SCHEME = -1300, /* not "sip:"/"sips:" (or no scheme at all) */
	SIP_URI_E_TEL,            /* a tel: URI (RFC 3966): not handled here */
	SIP_URI_E_USER,           /* bad or empty user */
	SIP_URI_E_PASSWORD,       /* bad password */
	SIP_URI_E_HOST,           /* not hostname / IPv4 / [IPv6], or a second '@' */
	SIP_URI_E_PORT,           /* port not 1*DIGIT in 0..65535 */
	SIP_URI_E_PARAM,          /* bad, empty or repeated uri-parameter, bad ttl */
	SIP_URI_E_HEADER,         /* bad ?hname=hvalue&... */
	SIP_URI_E_ESCAPE,         /* '%' not followed by two hex digits */
	SIP_URI_E__FIRST = SIP_URI_E_SCHEME,
	SIP_URI_E__LAST = SIP_URI_E_ESCAPE,
};

enum sip_host_kind {
	SIP_HOST_NAME = 0,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6, /* host holds the brackets */
};

struct sip_uri {
	bool secure;                /* sips: */
	bool has_user;
	bool has_password;
	bool has_port;
	bool has_ttl;
	bool lr;                    /* ";lr" present */
	enum sip_host_kind host_kind;
	uint16_t port;              /* valid when has_port */
	uint8_t ttl;                /* valid when has_ttl */
	struct sip_str user;        /* escaped form, as received */
	struct sip_str password;
	struct sip_str host;
	struct sip_str params;      /* after the first ';' up to '?' or the end; may be empty */
	struct sip_str headers;     /* after '?'; empty when none */
	struct sip_str transport;   /* values of the well-known parameters (raw) */
	struct sip_str user_param;
	struct sip_str method;
	struct sip_str maddr;
};

/*
 * sip_uri_parse - parse the sip:/sips: URI in @p (@n bytes, nothing else:
 * no '<', no LWS around it).
 * Returns 0 and fills *u, or a SIP_URI_E_* code (*u is then undefined).
 */
int sip_uri_parse(const char *p, size_t n, struct sip_uri *u);

/*
 * sip_uri_unescape - decode the %HH escapes of @in into @out (@cap bytes;
 * the result is not NUL-terminated and may contain NUL bytes).
 * Returns the decoded length, -ENOSPC when it does not fit, or
 * SIP_URI_E_ESCAPE on a malformed escape.
 */
ssize_t sip_uri_unescape(struct sip_str in, char *out, size_t cap);

/*
 * sip_uri_param_next - iterate over ";name[=value]" items.
 * @rest:  in/out; start with u->params (no leading ';') and pass it back.
 * @name/@value: the next parameter (raw, escaped); value empty when absent.
 * @has_value:   whether an '=' was present (may be NULL).
 * Returns true with a parameter, false when @rest is exhausted.
 */
bool sip_uri_param_next(struct sip_str *rest, struct sip_str *name,
			struct sip_str *value, bool *has_value);

/*
 * sip_uri_find_param - value of parameter @name (ignoring case, escapes
 * decoded for the comparison) in u->params.
 * Returns true and sets *value (empty for a valueless one) when present.
 */
bool sip_uri_find_param(const struct sip_uri *u, const char *name,
			struct sip_str *value);

/*
 * sip_uri_equal - are @a and @b equivalent per RFC 3261 §19.1.4?
 * Scheme, user, password (case-sensitive) and host, port; user, ttl,
 * method, maddr and transport parameters must match when in either URI;
 * other parameters only when in both; headers must all match. Escaped
 * characters equal their unescaped form unless they are "reserved".
 * Returns true or false.
 */
bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);

/*
 * sip_uri_err_name - short name of a SIP_URI_E_* code ("host", "tel"…);
 * "unknown" for other values.
 */
const char *sip_uri_err_name(int err);

#endif
