/*
 * Structured SIP header values (RFC 3261 §20, §25.1; RFC 5626 §4.2):
 * comma lists, generic parameters, name-addr/addr-spec (From, To, Contact),
 * Via, and the auth-param lists of Authorization, Proxy-Authorization,
 * WWW-Authenticate and Proxy-Authenticate.
 *
 * Inputs are header values as sip_parse_message() slices them: LWS
 * (including folds, CRLF followed by SP/HTAB) may surround every separator
 * ("a ; b = c", RFC 3261 §25.1 SEMI, EQUAL, SLASH, COMMA). Outputs are slices
 * of the input; quoted values are given without their quotes, escapes kept.
 */
#ifndef COLUMBA_GATEWAY_SIP_HDR_H
#define COLUMBA_GATEWAY_SIP_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gateway/sip/sip_types.h"

/* Iterator over the comma-separated items of one header value. */
struct sip_list_iter {
	struct sip_str rest;
	bool done;
};

struct sip_param {
	struct sip_str name;
	struct sip_str value;  /* without quotes when quoted; empty when absent */
	bool has_value;
	bool quoted;
};

/* name-addr / addr-spec followed by header parameters (From, To, Contact,
 * Route…). */
struct sip_addr {
	struct sip_str display; /* without quotes; empty when absent */
	bool display_quoted;
	bool angle;             /* URI was in <> */
	struct sip_str uri;     /* the URI, any scheme; sip/sips ones were checked */
	struct sip_str params;  /* from the first ';' after the address; may be empty */
	struct sip_str tag;     /* ;tag= value, empty when absent */
	bool has_tag;
};

struct sip_contact {
	struct sip_addr addr;
	int64_t expires;        /* ;expires=, -1 when absent */
	int q;                  /* ;q= in thousandths (0..1000), -1 when absent */
	struct sip_str instance; /* +sip.instance value without the quotes, e.g. "<urn:uuid:…>" */
	int64_t reg_id;         /* ;reg-id= (1..2**31-1), -1 when absent */
};

struct sip_via {
	struct sip_str transport; /* "TLS", "TCP", "UDP"… as received */
	struct sip_str host;      /* sent-by host, brackets kept for IPv6 */
	uint16_t port;            /* 0 when absent */
	struct sip_str params;    /* from the first ';'; may be empty */
	struct sip_str branch;    /* empty when absent (RFC 2543 peers) */
	struct sip_str received;
	bool has_branch;
	bool rport;               /* ;rport present (RFC 3581) */
};

/* Authorization-style value: scheme and auth-params (RFC 3261 §25.1,
 * RFC 7616/8760 digest parameters). */
struct sip_auth {
	struct sip_str scheme;    /* "Digest" or any other token */
	struct sip_str params;    /* the auth-param list after the scheme */
	struct sip_str username, realm, nonce, uri, response, algorithm;
	struct sip_str cnonce, opaque, qop, nc;
	bool stale;               /* stale=true (challenges) */
};

/*
 * sip_list_init - start iterating over the comma-separated items of @value.
 */
void sip_list_init(struct sip_list_iter *it, struct sip_str value);

/*
 * sip_list_next - next item, LWS-trimmed. Commas inside quoted strings and
 * inside <> do not split. An empty value yields one empty item, "a,,b" an
 * empty middle item and "a," an empty last one, so that callers can reject
 * them. Returns true with *item set, false when done.
 */
bool sip_list_next(struct sip_list_iter *it, struct sip_str *item);

/*
 * sip_param_next - next ";name[=value]" header parameter (generic-param).
 * @rest: in/out; empty or starting (after LWS) with ';'.
 * Returns 1 with *p set, 0 when only LWS is left, -1 on a syntax error
 * (no ';', empty name, '=' without a value, unterminated quoted string).
 */
int sip_param_next(struct sip_str *rest, struct sip_param *p);

/*
 * sip_addr_parse - parse one name-addr or addr-spec with its parameters.
 * The URI must be enclosed in <> if it contains ',', ';' or '?'; a
 * sip:/sips: URI must satisfy sip_uri_parse(). A tag must be a token.
 * Returns 0, or SIP_E_ADDR.
 */
int sip_addr_parse(struct sip_str item, struct sip_addr *a);

/*
 * sip_contact_parse - one Contact item (not "*"): sip_addr_parse() plus
 * expires, q, +sip.instance and reg-id.
 * Returns 0, SIP_E_ADDR (syntax) or SIP_E_NUMBER (expires above 2**32-1,
 * q not a qvalue, reg-id not in 1..2**31-1).
 */
int sip_contact_parse(struct sip_str item, struct sip_contact *c);

/*
 * sip_via_parse - one Via item: "SIP" / "2.0" / transport LWS sent-by
 * *(; via-params). The protocol must be SIP/2.0 (case-insensitive name).
 * Returns 0, or SIP_E_VIA.
 */
int sip_via_parse(struct sip_str item, struct sip_via *v);

/*
 * sip_auth_parse - scheme LWS auth-param *(COMMA auth-param), fills the
 * digest fields it knows; a known parameter twice is an error, and so is
 * a Digest value without parameters. Returns 0, or SIP_E_AUTH.
 */
int sip_auth_parse(struct sip_str value, struct sip_auth *a);

/*
 * sip_auth_param_next - iterate over an auth-param list (a->params).
 * @rest: in/out. Returns 1 with *p set, 0 at the end, -1 on a syntax error.
 */
int sip_auth_param_next(struct sip_str *rest, struct sip_param *p);

/*
 * sip_unquote - copy @in (the inside of a quoted string, as the parsers
 * return it) to @out with quoted-pairs decoded.
 * Returns the length, or -ENOSPC when @cap is too small.
 */
ssize_t sip_unquote(struct sip_str in, char *out, size_t cap);

/*
 * sip_option_list_check - is @value a comma list of option tags (tokens)?
 * An empty value is accepted (RFC 3261 §20.37 Supported may be empty).
 * Returns 0, or SIP_E_OPTION_TAGS.
 */
int sip_option_list_check(struct sip_str value);

/*
 * sip_option_list_has - does the option-tag list @value contain @tag
 * (case-insensitive)? Returns true or false.
 */
bool sip_option_list_has(struct sip_str value, const char *tag);

#endif
