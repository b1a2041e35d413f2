/*
 * SIP message parser, semantic half: start line, the headers the gateway
 * relies on, and the whole-message checks. Contract: sip_parse.h.
 */
#include "gateway/sip/sip_parse_int.h"
#include "gateway/sip/sip_lex.h"

#include <string.h>

void sip__msg_reset(struct sip_msg *msg)
{
	struct sip_header *headers = msg->headers;
	size_t cap = msg->headers_cap;

	memset(msg, 0, sizeof(*msg));
	msg->headers = headers;
	msg->headers_cap = cap;
	msg->max_forwards = -1;
	msg->expires = msg->retry_after = msg->flow_timer = -1;
	msg->contact.expires = msg->contact.reg_id = -1;
	msg->contact.q = -1;
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; "SIP" case-insensitive (§7.1). */
static int parse_version(struct sip_str v)
{
	size_t i = 4, d;

	if (v.n < 4 || !sip__eq_lit(sip__str(v.p, 4), "SIP/"))
		return SIP_E_VERSION;
	for (d = i; i < v.n && sip__is_digit((unsigned char)v.p[i]); i++)
		;
	if (i == d || i == v.n || v.p[i] != '.')
		return SIP_E_VERSION;
	for (d = ++i; i < v.n && sip__is_digit((unsigned char)v.p[i]); i++)
		;
	if (i == d || i != v.n)
		return SIP_E_VERSION;
	return sip_str_eq(sip__str(v.p + 4, v.n - 4), "2.0") ? 0 : SIP_E_VERSION_UNSUPPORTED;
}

static int parse_status_line(struct sip_msg *msg, const char *h, size_t n)
{
	const char *sp = memchr(h, ' ', n);
	size_t i;
	int rc;

	if (!sp)
		return SIP_E_VERSION;
	rc = parse_version(sip__str(h, (size_t)(sp - h)));
	if (rc)
		return rc;
	i = (size_t)(sp - h) + 1;
	/* Status-Code = 3DIGIT, then SP (the reason phrase may be empty). */
	if (n - i < 4 || !sip__is_digit((unsigned char)h[i]) ||
	    !sip__is_digit((unsigned char)h[i + 1]) || !sip__is_digit((unsigned char)h[i + 2]) ||
	    h[i + 3] != ' ')
		return SIP_E_STATUS;
	msg->status = (h[i] - '0') * 100 + (h[i + 1] - '0') * 10 + (h[i + 2] - '0');
	if (msg->status < 100 || msg->status > 699)
		return SIP_E_STATUS;
	msg->reason = sip__str(h + i + 4, n - i - 4);
	for (size_t k = 0; k < msg->reason.n; k++)
		if (sip__is_ctl((unsigned char)msg->reason.p[k]))
			return SIP_E_REASON;
	msg->is_request = false;
	return 0;
}

static int check_ruri(struct sip_msg *msg)
{
	struct sip_str u = msg->ruri_text;
	size_t i = 0;
	int rc;

	for (size_t k = 0; k < u.n; k++)
		if (u.p[k] == ' ' || u.p[k] == '\t')
			return SIP_E_RURI; /* RFC 4475 lwsruri */
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (!sip__is_alpha((unsigned char)u.p[0]))
		return SIP_E_RURI;
	while (i < u.n && (sip__is_alnum((unsigned char)u.p[i]) || u.p[i] == '+' ||
			   u.p[i] == '-' || u.p[i] == '.'))
		i++;
	if (i == u.n || u.p[i] != ':')
		return SIP_E_RURI;
	rc = sip_uri_parse(u.p, u.n, &msg->ruri);
	if (rc == SIP_URI_E_SCHEME || rc == SIP_URI_E_TEL)
		return SIP_E_URI_SCHEME;
	if (rc)
		return SIP_E_RURI;
	/* §19.1.1: headers are not allowed in a Request-URI (RFC 4475 escruri). */
	return msg->ruri.headers.n ? SIP_E_RURI : 0;
}

static int parse_request_line(struct sip_msg *msg, const char *h, size_t n)
{
	const char *sp1 = memchr(h, ' ', n), *sp2;
	int rc;

	if (!sp1)
		return sip__token_end(h, 0, n) == n ? SIP_E_START_LINE : SIP_E_METHOD;
	msg->method = sip__str(h, (size_t)(sp1 - h));
	if (!sip__is_token_str(msg->method))
		return SIP_E_METHOD;
	msg->method_id = sip_method_id(msg->method);
	for (sp2 = h + n; sp2[-1] != ' '; sp2--)
		;
	sp2--;
	/* Exactly one SP between the three parts (RFC 4475 lwsstart, trws). */
	if (sp2 == sp1 || sp2 == sp1 + 1 || sp1[1] == ' ' || sp2[-1] == ' ' ||
	    sp2 + 1 == h + n)
		return SIP_E_START_LINE;
	rc = parse_version(sip__str(sp2 + 1, (size_t)(h + n - sp2 - 1)));
	if (rc)
		return rc;
	msg->ruri_text = sip__str(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	msg->is_request = true;
	return check_ruri(msg);
}

int sip__parse_start_line(struct sip_msg *msg, const char *h, size_t n)
{
	if (n >= 4 && sip__eq_lit(sip__str(h, 4), "SIP/"))
		return parse_status_line(msg, h, n);
	return parse_request_line(msg, h, n);
}

/* word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" /
 * "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" /
 * "{" / "}"); callid = word [ "@" word ] */
static int check_call_id(struct sip_str v)
{
	size_t at = v.n, i;

	if (v.n == 0)
		return SIP_E_CALL_ID;
	for (i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c == '@') {
			if (at != v.n || i == 0 || i + 1 == v.n)
				return SIP_E_CALL_ID;
			at = i;
			continue;
		}
		if (c == 0 || (!sip__is_token(c) && !strchr("()<>:\\\"/[]?{}", c)))
			return SIP_E_CALL_ID;
	}
	return 0;
}

/* CSeq = 1*DIGIT LWS Method */
static int parse_cseq(struct sip_msg *msg, struct sip_str v)
{
	size_t d = 0, m;
	uint64_t num;

	while (d < v.n && sip__is_digit((unsigned char)v.p[d]))
		d++;
	if (d == 0 || d == v.n || !sip__is_ws((unsigned char)v.p[d]))
		return SIP_E_CSEQ;
	/* §8.1.1.5: the sequence number MUST be less than 2**31. */
	if (sip__parse_uint(sip__str(v.p, d), INT32_MAX, &num))
		return SIP_E_CSEQ;
	m = sip__skip_ws(v.p, d, v.n);
	msg->cseq = (uint32_t)num;
	msg->cseq_method = sip__str(v.p + m, v.n - m);
	if (!sip__is_token_str(msg->cseq_method))
		return SIP_E_CSEQ;
	msg->cseq_method_id = sip_method_id(msg->cseq_method);
	return 0;
}

/* delta-seconds at the start of @v, then only a comment or parameters
 * (Retry-After) or nothing. */
static int parse_delta(struct sip_str v, bool allow_tail, int64_t *out)
{
	size_t d = 0;
	uint64_t num;

	while (d < v.n && sip__is_digit((unsigned char)v.p[d]))
		d++;
	if (d < v.n) {
		size_t t = sip__skip_ws(v.p, d, v.n);

		if (!allow_tail || t == v.n || (v.p[t] != '(' && v.p[t] != ';'))
			return SIP_E_NUMBER;
	}
	if (sip__parse_uint(sip__str(v.p, d), UINT32_MAX, &num))
		return SIP_E_NUMBER;
	*out = (int64_t)num;
	return 0;
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 §20.17). */
static int check_date(struct sip_str v)
{
	static const char wk[] = "MonTueWedThuFriSatSun";
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = v.p;
	bool ok = false;

	if (v.n != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' ||
	    p[16] != ' ' || p[19] != ':' || p[22] != ':' || p[25] != ' ')
		return SIP_E_DATE;
	for (size_t k = 0; k < 7; k++)
		ok |= memcmp(p, wk + 3 * k, 3) == 0;
	if (!ok)
		return SIP_E_DATE;
	ok = false;
	for (size_t k = 0; k < 12; k++)
		ok |= memcmp(p + 8, mon + 3 * k, 3) == 0;
	if (!ok || memcmp(p + 26, "GMT", 3) != 0)
		return SIP_E_DATE;
	static const unsigned digits[] = { 5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24 };
	for (size_t k = 0; k < sizeof(digits) / sizeof(digits[0]); k++)
		if (!sip__is_digit((unsigned char)p[digits[k]]))
			return SIP_E_DATE;
	if ((p[5] - '0') * 10 + (p[6] - '0') > 31 || (p[17] - '0') * 10 + (p[18] - '0') > 23 ||
	    (p[20] - '0') * 10 + (p[21] - '0') > 59 || (p[23] - '0') * 10 + (p[24] - '0') > 60)
		return SIP_E_DATE;
	return 0;
}

/* media-type = m-type SLASH m-subtype *(SEMI m-parameter) */
static int check_content_type(struct sip_str v)
{
	struct sip_param pr;
	struct sip_str rest;
	size_t t = sip__token_end(v.p, 0, v.n), i, s;
	int rc;

	if (t == 0)
		return SIP_E_CONTENT_TYPE;
	i = sip__skip_ws(v.p, t, v.n);
	if (i == v.n || v.p[i] != '/')
		return SIP_E_CONTENT_TYPE;
	i = sip__skip_ws(v.p, i + 1, v.n);
	s = sip__token_end(v.p, i, v.n);
	if (s == i)
		return SIP_E_CONTENT_TYPE;
	rest = sip__str(v.p + s, v.n - s);
	while ((rc = sip_param_next(&rest, &pr)) == 1)
		;
	return rc == 0 ? 0 : SIP_E_CONTENT_TYPE;
}

static int apply_contact(struct sip_msg *msg, struct sip_str v)
{
	struct sip_list_iter it;
	struct sip_contact c;
	struct sip_str item;
	int rc;

	if (sip_str_eq(v, "*")) {
		if (msg->contact_star || msg->n_contacts)
			return SIP_E_ADDR;
		msg->contact_star = true;
		return 0;
	}
	if (msg->contact_star)
		return SIP_E_ADDR;
	sip_list_init(&it, v);
	while (sip_list_next(&it, &item)) {
		rc = sip_contact_parse(item, msg->n_contacts ? &c : &msg->contact);
		if (rc)
			return rc;
		msg->n_contacts++;
	}
	return 0;
}

static int apply_via(struct sip_msg *msg, struct sip_str v)
{
	struct sip_list_iter it;
	struct sip_via via;
	struct sip_str item;

	sip_list_init(&it, v);
	while (sip_list_next(&it, &item)) {
		if (sip_via_parse(item, msg->n_via ? &via : &msg->via))
			return SIP_E_VIA;
		msg->n_via++;
	}
	return 0;
}

static int apply_auth(const struct sip_header *h, const struct sip_header **first)
{
	struct sip_auth a;

	if (sip_auth_parse(h->value, &a))
		return SIP_E_AUTH;
	if (!*first)
		*first = h;
	return 0;
}

/* Headers that may appear at most once. */
#define SINGLE_MASK ((1ull << SIP_H_FROM) | (1ull << SIP_H_TO) | (1ull << SIP_H_CALL_ID) | \
		     (1ull << SIP_H_CSEQ) | (1ull << SIP_H_MAX_FORWARDS) |                \
		     (1ull << SIP_H_CONTENT_TYPE) | (1ull << SIP_H_EXPIRES) |              \
		     (1ull << SIP_H_FLOW_TIMER) | (1ull << SIP_H_DATE) |                   \
		     (1ull << SIP_H_RETRY_AFTER))

int sip__apply_header(struct sip_msg *msg, const struct sip_header *h,
		      const struct sip_limits *lim, uint64_t *seen)
{
	uint64_t bit = 1ull << h->id, num;
	struct sip_str v = h->value;
	int rc;

	if (h->id == SIP_H_CONTENT_LENGTH && (*seen & bit))
		return SIP_E_DUP_CL;
	if ((SINGLE_MASK & bit) && (*seen & bit))
		return SIP_E_DUP_HEADER;
	*seen |= bit;

	switch (h->id) {
	case SIP_H_VIA:
		return apply_via(msg, v);
	case SIP_H_FROM:
		return sip_addr_parse(v, &msg->from);
	case SIP_H_TO:
		return sip_addr_parse(v, &msg->to);
	case SIP_H_CALL_ID:
		msg->call_id = v;
		return check_call_id(v);
	case SIP_H_CSEQ:
		return parse_cseq(msg, v);
	case SIP_H_CONTACT:
		return apply_contact(msg, v);
	case SIP_H_MAX_FORWARDS:
		if (sip__parse_uint(v, 255, &num))
			return SIP_E_NUMBER;
		msg->max_forwards = (int)num;
		return 0;
	case SIP_H_CONTENT_LENGTH:
		rc = sip__parse_uint(v, lim->body_max, &num);
		if (rc == -1)
			return SIP_E_BAD_CL;
		if (rc == -2)
			return SIP_E_BODY_TOO_LARGE;
		msg->content_length = num;
		return 0;
	case SIP_H_CONTENT_TYPE:
		msg->content_type = v;
		return check_content_type(v);
	case SIP_H_EXPIRES:
		return parse_delta(v, false, &msg->expires);
	case SIP_H_RETRY_AFTER:
		return parse_delta(v, true, &msg->retry_after);
	case SIP_H_FLOW_TIMER:
		return parse_delta(v, false, &msg->flow_timer);
	case SIP_H_DATE:
		msg->date = v;
		return check_date(v);
	case SIP_H_AUTHORIZATION:
		return apply_auth(h, &msg->authorization);
	case SIP_H_PROXY_AUTHORIZATION:
		return apply_auth(h, &msg->proxy_authorization);
	case SIP_H_WWW_AUTHENTICATE:
		return apply_auth(h, &msg->www_authenticate);
	case SIP_H_PROXY_AUTHENTICATE:
		return apply_auth(h, &msg->proxy_authenticate);
	case SIP_H_SUPPORTED:
		if (!msg->supported)
			msg->supported = h;
		return sip_option_list_check(v);
	case SIP_H_REQUIRE:
		if (!msg->require)
			msg->require = h;
		return sip_option_list_check(v);
	case SIP_H_PROXY_REQUIRE:
		return sip_option_list_check(v);
	default:
		return 0;
	}
}

int sip__finish_head(struct sip_msg *msg, uint64_t seen)
{
	static const enum sip_hdr required[] = {
		SIP_H_VIA, SIP_H_FROM, SIP_H_TO, SIP_H_CALL_ID, SIP_H_CSEQ,
	};

	for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (!(seen & (1ull << required[k])))
			return SIP_E_MISSING_HEADER;
	if (msg->n_via == 0)
		return SIP_E_MISSING_HEADER;
	/* RFC 3261 §18.3 / §20.14: mandatory on stream transports. */
	if (!(seen & (1ull << SIP_H_CONTENT_LENGTH)))
		return SIP_E_NO_CL;
	/* RFC 3261 §8.1.1.5, RFC 4475 mismatch01/02: the CSeq method is the
	 * request's method. */
	if (msg->is_request && !sip_str_eq(msg->cseq_method, "") &&
	    (msg->cseq_method.n != msg->method.n ||
	     memcmp(msg->cseq_method.p, msg->method.p, msg->method.n) != 0))
		return SIP_E_CSEQ_MISMATCH;
	return 0;
}
