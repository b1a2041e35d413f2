/*
 * Structured header values: lists, parameters, addresses, Via and
 * auth-params. Contract: sip_hdr.h.
 */
#include "gateway/sip/sip_hdr.h"
#include "gateway/sip/sip_lex.h"
#include "gateway/sip/sip_uri.h"

#include <string.h>

void sip_list_init(struct sip_list_iter *it, struct sip_str value)
{
	it->rest = value;
	it->done = false;
}

bool sip_list_next(struct sip_list_iter *it, struct sip_str *item)
{
	const char *p = it->rest.p;
	size_t n = it->rest.n, i = 0;

	if (it->done)
		return false;
	while (i < n && p[i] != ',') {
		if (p[i] == '"') {
			size_t e = sip__quoted_end(p, i, n);

			i = e ? e : n; /* unterminated: the rest is one item */
		} else if (p[i] == '<') {
			const char *gt = memchr(p + i, '>', n - i);

			i = gt ? (size_t)(gt - p) + 1 : n;
		} else {
			i++;
		}
	}
	*item = sip__trim(sip__str(p, i));
	if (i < n) {
		it->rest = sip__str(p + i + 1, n - i - 1);
	} else {
		it->rest = sip__str(p + n, 0);
		it->done = true;
	}
	return true;
}

/* gen-value = token / host / quoted-string: token bytes plus those of IPv6
 * references (':', '[', ']'). */
static bool is_gen_value(unsigned char c)
{
	return sip__is_token(c) || c == ':' || c == '[' || c == ']';
}

/* name [EQUAL (gen-value / quoted-string)] at p[i..n); returns the index
 * after it, or 0 on error. */
static size_t param_body(const char *p, size_t i, size_t n, struct sip_param *pr)
{
	size_t t = sip__token_end(p, i, n);

	memset(pr, 0, sizeof(*pr));
	if (t == i)
		return 0;
	pr->name = sip__str(p + i, t - i);
	i = sip__skip_ws(p, t, n);
	if (i >= n || p[i] != '=') {
		pr->value = sip__str(p + t, 0);
		return t;
	}
	i = sip__skip_ws(p, i + 1, n);
	pr->has_value = true;
	if (i < n && p[i] == '"') {
		size_t e = sip__quoted_end(p, i, n);

		if (!e)
			return 0;
		pr->quoted = true;
		pr->value = sip__str(p + i + 1, e - i - 2);
		return e;
	}
	t = i;
	while (t < n && is_gen_value((unsigned char)p[t]))
		t++;
	if (t == i)
		return 0;
	pr->value = sip__str(p + i, t - i);
	return t;
}

int sip_param_next(struct sip_str *rest, struct sip_param *pr)
{
	const char *p = rest->p;
	size_t n = rest->n, i = sip__skip_ws(p, 0, n), e;

	if (i == n)
		return 0;
	if (p[i] != ';')
		return -1;
	i = sip__skip_ws(p, i + 1, n);
	e = param_body(p, i, n, pr);
	if (!e)
		return -1;
	rest->p = p + e;
	rest->n = n - e;
	return 1;
}

int sip_auth_param_next(struct sip_str *rest, struct sip_param *pr)
{
	const char *p = rest->p;
	size_t n = rest->n, i = sip__skip_ws(p, 0, n), e;

	if (i == n)
		return 0;
	e = param_body(p, i, n, pr);
	/* auth-param = auth-param-name EQUAL ( token / quoted-string ) */
	if (!e || !pr->has_value)
		return -1;
	e = sip__skip_ws(p, e, n);
	if (e < n) {
		if (p[e] != ',')
			return -1;
		e = sip__skip_ws(p, e + 1, n);
		if (e == n)
			return -1; /* trailing comma */
	}
	rest->p = p + e;
	rest->n = n - e;
	return 1;
}

/* scheme ":" then bytes of an absoluteURI; sip/sips must parse fully. */
static bool uri_ok(struct sip_str u)
{
	size_t i = 0;

	if (u.n == 0 || !sip__is_alpha((unsigned char)u.p[0]))
		return false;
	while (i < u.n && (sip__is_alnum((unsigned char)u.p[i]) || u.p[i] == '+' ||
			   u.p[i] == '-' || u.p[i] == '.'))
		i++;
	if (i == u.n || u.p[i] != ':' || i + 1 == u.n)
		return false;
	for (size_t j = i + 1; j < u.n; j++) {
		unsigned char c = (unsigned char)u.p[j];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"')
			return false;
	}
	if (sip__eq_lit(sip__str(u.p, i), "sip") ||
	    sip__eq_lit(sip__str(u.p, i), "sips")) {
		struct sip_uri parsed;

		return sip_uri_parse(u.p, u.n, &parsed) == 0;
	}
	return true;
}

int sip_addr_parse(struct sip_str item, struct sip_addr *a)
{
	struct sip_str v = sip__trim(item), rest;
	struct sip_param pr;
	const char *p = v.p;
	size_t n = v.n, i, j;
	int rc;

	memset(a, 0, sizeof(*a));
	if (n == 0)
		return SIP_E_ADDR;
	if (p[0] == '"') {
		size_t e = sip__quoted_end(p, 0, n);

		if (!e)
			return SIP_E_ADDR;
		a->display = sip__str(p + 1, e - 2);
		a->display_quoted = true;
		j = sip__skip_ws(p, e, n);
		if (j >= n || p[j] != '<')
			return SIP_E_ADDR;
	} else {
		/* display-name = *(token LWS): tokens until '<', or an addr-spec. */
		j = 0;
		for (;;) {
			size_t t;

			j = sip__skip_ws(p, j, n);
			if (j < n && p[j] == '<')
				break;
			t = sip__token_end(p, j, n);
			if (t == j || t == n) {
				j = n; /* not a display name: addr-spec form */
				break;
			}
			j = t;
		}
		if (j < n)
			a->display = sip__trim(sip__str(p, j));
	}
	if (j < n) {
		const char *gt = memchr(p + j, '>', n - j);

		if (!gt)
			return SIP_E_ADDR;
		a->angle = true;
		a->uri = sip__str(p + j + 1, (size_t)(gt - p) - j - 1);
		i = (size_t)(gt - p) + 1;
	} else {
		/* addr-spec: the URI ends at LWS or ';' and may hold no ',' or '?'
		 * (RFC 3261 §20: those force the name-addr form). */
		for (i = 0; i < n && p[i] != ';' && !sip__is_ws((unsigned char)p[i]); i++)
			if (p[i] == ',' || p[i] == '?')
				return SIP_E_ADDR;
		a->uri = sip__str(p, i);
	}
	if (!uri_ok(a->uri))
		return SIP_E_ADDR;
	a->params = sip__str(p + i, n - i);
	rest = a->params;
	while ((rc = sip_param_next(&rest, &pr)) == 1) {
		if (!sip__eq_lit(pr.name, "tag"))
			continue;
		if (a->has_tag || !pr.has_value || pr.quoted)
			return SIP_E_ADDR;
		a->has_tag = true;
		a->tag = pr.value;
		if (!sip__is_token_str(a->tag))
			return SIP_E_ADDR;
	}
	return rc == 0 ? 0 : SIP_E_ADDR;
}

/* qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")]), in thousandths. */
static int parse_qvalue(struct sip_str s)
{
	int v, scale = 100;

	if (s.n == 0 || s.n > 5 || (s.p[0] != '0' && s.p[0] != '1'))
		return -1;
	v = (s.p[0] - '0') * 1000;
	if (s.n == 1)
		return v;
	if (s.p[1] != '.')
		return -1;
	for (size_t i = 2; i < s.n; i++, scale /= 10) {
		if (!sip__is_digit((unsigned char)s.p[i]))
			return -1;
		v += (s.p[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

int sip_contact_parse(struct sip_str item, struct sip_contact *c)
{
	struct sip_str rest;
	struct sip_param pr;
	uint64_t v;
	int rc;

	c->expires = c->reg_id = -1;
	c->q = -1;
	c->instance = sip__str(item.p, 0);
	rc = sip_addr_parse(item, &c->addr);
	if (rc)
		return rc;
	rest = c->addr.params;
	while (sip_param_next(&rest, &pr) == 1) {
		if (sip__eq_lit(pr.name, "expires")) {
			if (pr.quoted || sip__parse_uint(pr.value, UINT32_MAX, &v))
				return SIP_E_NUMBER;
			c->expires = (int64_t)v;
		} else if (sip__eq_lit(pr.name, "q")) {
			c->q = pr.quoted ? -1 : parse_qvalue(pr.value);
			if (c->q < 0)
				return SIP_E_NUMBER;
		} else if (sip__eq_lit(pr.name, "+sip.instance")) {
			if (!pr.quoted || pr.value.n == 0)
				return SIP_E_ADDR;
			c->instance = pr.value;
		} else if (sip__eq_lit(pr.name, "reg-id")) {
			if (pr.quoted || sip__parse_uint(pr.value, INT32_MAX, &v) || v == 0)
				return SIP_E_NUMBER;
			c->reg_id = (int64_t)v;
		}
	}
	return 0;
}

/* SWS "/" SWS at *i; returns false when absent. */
static bool slash(const char *p, size_t *i, size_t n)
{
	size_t j = sip__skip_ws(p, *i, n);

	if (j >= n || p[j] != '/')
		return false;
	*i = sip__skip_ws(p, j + 1, n);
	return true;
}

int sip_via_parse(struct sip_str item, struct sip_via *v)
{
	struct sip_str s = sip__trim(item), rest;
	struct sip_param pr;
	const char *p = s.p;
	size_t n = s.n, i, t, h;
	uint64_t port;
	int rc;

	memset(v, 0, sizeof(*v));
	t = sip__token_end(p, 0, n);
	if (!sip__eq_lit(sip__str(p, t), "SIP"))
		return SIP_E_VIA;
	i = t;
	if (!slash(p, &i, n))
		return SIP_E_VIA;
	t = sip__token_end(p, i, n);
	if (!sip_str_eq(sip__str(p + i, t - i), "2.0"))
		return SIP_E_VIA;
	i = t;
	if (!slash(p, &i, n))
		return SIP_E_VIA;
	t = sip__token_end(p, i, n);
	if (t == i || t == n || !sip__is_ws((unsigned char)p[t]))
		return SIP_E_VIA;
	v->transport = sip__str(p + i, t - i);
	i = sip__skip_ws(p, t, n);

	/* sent-by = host [ COLON port ] */
	h = i;
	if (i < n && p[i] == '[') {
		while (i < n && p[i] != ']')
			i++;
		if (i < n)
			i++;
	} else {
		while (i < n && (sip__is_alnum((unsigned char)p[i]) || p[i] == '.' || p[i] == '-'))
			i++;
	}
	v->host = sip__str(p + h, i - h);
	if (!sip__is_host(v->host))
		return SIP_E_VIA;
	t = sip__skip_ws(p, i, n);
	if (t < n && p[t] == ':') {
		i = sip__skip_ws(p, t + 1, n);
		for (t = i; t < n && sip__is_digit((unsigned char)p[t]); t++)
			;
		if (sip__parse_uint(sip__str(p + i, t - i), 65535, &port) || port == 0)
			return SIP_E_VIA;
		v->port = (uint16_t)port;
		i = t;
	}
	v->params = sip__str(p + i, n - i);
	rest = v->params;
	while ((rc = sip_param_next(&rest, &pr)) == 1) {
		if (sip__eq_lit(pr.name, "branch")) {
			if (v->has_branch || !pr.has_value || pr.quoted ||
			    !sip__is_token_str(pr.value))
				return SIP_E_VIA;
			v->has_branch = true;
			v->branch = pr.value;
		} else if (sip__eq_lit(pr.name, "received")) {
			if (!pr.has_value || pr.quoted)
				return SIP_E_VIA;
			v->received = pr.value;
		} else if (sip__eq_lit(pr.name, "rport")) {
			if (pr.has_value &&
			    (pr.quoted || sip__parse_uint(pr.value, 65535, &port)))
				return SIP_E_VIA;
			v->rport = true;
		}
	}
	return rc == 0 ? 0 : SIP_E_VIA;
}

int sip_auth_parse(struct sip_str value, struct sip_auth *a)
{
#define KNOWN(f) { #f, sizeof(#f) - 1, offsetof(struct sip_auth, f) }
	static const struct {
		const char *name;
		size_t len;
		size_t off;
	} known[] = {
		KNOWN(username),
		KNOWN(realm),
		KNOWN(nonce),
		KNOWN(uri),
		KNOWN(response),
		KNOWN(algorithm),
		KNOWN(cnonce),
		KNOWN(opaque),
		KNOWN(qop),
		KNOWN(nc),
	};
#undef KNOWN
	struct sip_str v = sip__trim(value), rest;
	struct sip_param pr;
	unsigned seen = 0, stale_seen = 0, count = 0;
	size_t t;
	int rc;

	memset(a, 0, sizeof(*a));
	t = sip__token_end(v.p, 0, v.n);
	if (t == 0 || (t < v.n && !sip__is_ws((unsigned char)v.p[t])))
		return SIP_E_AUTH;
	a->scheme = sip__str(v.p, t);
	a->params = sip__trim(sip__str(v.p + t, v.n - t));
	rest = a->params;
	while ((rc = sip_auth_param_next(&rest, &pr)) == 1) {
		count++;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			if (!sip__eq_nocase_n(pr.name, known[k].name, known[k].len))
				continue;
			if (seen & (1u << k))
				return SIP_E_AUTH;
			seen |= 1u << k;
			*(struct sip_str *)(void *)((char *)a + known[k].off) = pr.value;
		}
		if (sip__eq_lit(pr.name, "stale")) {
			if (stale_seen++)
				return SIP_E_AUTH;
			a->stale = sip__eq_lit(pr.value, "true");
		}
	}
	if (rc < 0 || (count == 0 && sip__eq_lit(a->scheme, "Digest")))
		return SIP_E_AUTH;
	return 0;
}

ssize_t sip_unquote(struct sip_str in, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < in.n; i++) {
		char c = in.p[i];

		if (c == '\\' && i + 1 < in.n)
			c = in.p[++i];
		if (o == cap)
			return -ENOSPC;
		out[o++] = c;
	}
	return (ssize_t)o;
}

int sip_option_list_check(struct sip_str value)
{
	struct sip_list_iter it;
	struct sip_str item;

	if (sip__trim(value).n == 0)
		return 0;
	sip_list_init(&it, value);
	while (sip_list_next(&it, &item))
		if (!sip__is_token_str(item))
			return SIP_E_OPTION_TAGS;
	return 0;
}

bool sip_option_list_has(struct sip_str value, const char *tag)
{
	struct sip_list_iter it;
	struct sip_str item;

	sip_list_init(&it, value);
	while (sip_list_next(&it, &item))
		if (sip_str_eq_nocase(item, tag))
			return true;
	return false;
}
