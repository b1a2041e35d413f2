/*
 * SIP URI parser and comparison (RFC 3261 §19.1, §25.1). Contract and
 * choices: sip_uri.h.
 */
#include "gateway/sip/sip_uri.h"
#include "gateway/sip/sip_lex.h"

#include <string.h>

#include "base/compiler.h"

/* Character sets of §25.1 for each component (besides alphanum, which all
 * accept, and escaped, checked separately). */
#define SET_MARK     "-_.!~*'()"
#define SET_USER     SET_MARK "&=+$,;?/"
#define SET_PASSWORD SET_MARK "&=+$,"
#define SET_PARAM    SET_MARK "[]/:&+$"
#define SET_HNAME    SET_MARK "[]/?:+$"
#define SET_HVALUE   SET_HNAME

/* Check @s against alphanum / @set / escaped. Returns 0, -1 (bad byte) or
 * -2 (bad escape). */
static int check_chars(struct sip_str s, const char *set)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '%') {
			if (s.n - i < 3 || !sip__is_hex((unsigned char)s.p[i + 1]) ||
			    !sip__is_hex((unsigned char)s.p[i + 2]))
				return -2;
			i += 2;
			continue;
		}
		if (sip__is_alnum(c))
			continue;
		if (c == 0 || !strchr(set, c))
			return -1;
	}
	return 0;
}

static int check_part(struct sip_str s, const char *set, int err)
{
	int rc = check_chars(s, set);

	return rc == 0 ? 0 : rc == -2 ? SIP_URI_E_ESCAPE : err;
}

/*
 * Decode the next unit of @s at *i for comparisons: the byte itself, or
 * for %HH the decoded byte, or 0x100 | byte when the decoded byte is
 * "reserved" (RFC 2396 §2.2): those stay distinct from their literal form.
 */
static unsigned next_unit(struct sip_str s, size_t *i, bool fold)
{
	unsigned char c = (unsigned char)s.p[*i];

	if (c == '%' && s.n - *i >= 3 && sip__is_hex((unsigned char)s.p[*i + 1]) &&
	    sip__is_hex((unsigned char)s.p[*i + 2])) {
		unsigned v = (unsigned)(sip__hexval((unsigned char)s.p[*i + 1]) * 16 +
					sip__hexval((unsigned char)s.p[*i + 2]));
		*i += 3;
		if (v && strchr(";/?:@&=+$,", (int)v))
			return 0x100 | v;
		return fold ? (unsigned char)sip__lower((char)v) : v;
	}
	*i += 1;
	return fold ? (unsigned char)sip__lower((char)c) : c;
}

static bool units_equal(struct sip_str a, struct sip_str b, bool fold)
{
	size_t i = 0, j = 0;

	while (i < a.n && j < b.n)
		if (next_unit(a, &i, fold) != next_unit(b, &j, fold))
			return false;
	return i == a.n && j == b.n;
}

static bool name_is(struct sip_str name, const char *lit)
{
	return units_equal(name, sip__str(lit, strlen(lit)), true);
}

bool sip_uri_param_next(struct sip_str *rest, struct sip_str *name,
			struct sip_str *value, bool *has_value)
{
	const char *p = rest->p;
	size_t n = rest->n, end, eq;

	if (n == 0)
		return false;
	end = 0;
	while (end < n && p[end] != ';')
		end++;
	eq = 0;
	while (eq < end && p[eq] != '=')
		eq++;
	*name = sip__str(p, eq);
	if (eq < end)
		*value = sip__str(p + eq + 1, end - eq - 1);
	else
		*value = sip__str(p + end, 0);
	if (has_value)
		*has_value = eq < end;
	/* A trailing ';' leaves nothing: callers reject it beforehand. */
	rest->p = end < n ? p + end + 1 : p + n;
	rest->n = end < n ? n - end - 1 : 0;
	return true;
}

bool sip_uri_find_param(const struct sip_uri *u, const char *lit,
			struct sip_str *value)
{
	struct sip_str rest = u->params, name, val;

	while (sip_uri_param_next(&rest, &name, &val, NULL)) {
		if (name_is(name, lit)) {
			*value = val;
			return true;
		}
	}
	return false;
}

static int parse_params(struct sip_uri *u)
{
	struct sip_str rest = u->params, name, val, rest2, name2, val2;
	bool has_val;
	uint64_t ttl;

	if (u->params.n && u->params.p[u->params.n - 1] == ';')
		return SIP_URI_E_PARAM; /* empty last parameter */
	while (sip_uri_param_next(&rest, &name, &val, &has_val)) {
		int rc;

		if (name.n == 0 || (has_val && val.n == 0))
			return SIP_URI_E_PARAM;
		rc = check_part(name, SET_PARAM, SIP_URI_E_PARAM);
		if (rc == 0)
			rc = check_part(val, SET_PARAM, SIP_URI_E_PARAM);
		if (rc)
			return rc;
		/* Repeated names: compare with the ones already seen. */
		rest2 = u->params;
		while (sip_uri_param_next(&rest2, &name2, &val2, NULL) && name2.p != name.p)
			if (units_equal(name, name2, true))
				return SIP_URI_E_PARAM;
		if (sip__eq_lit(name, "transport")) {
			u->transport = val;
		} else if (sip__eq_lit(name, "user")) {
			u->user_param = val;
		} else if (sip__eq_lit(name, "method")) {
			u->method = val;
		} else if (sip__eq_lit(name, "maddr")) {
			u->maddr = val;
		} else if (sip__eq_lit(name, "lr")) {
			u->lr = true;
		} else if (sip__eq_lit(name, "ttl")) {
			if (val.n > 3 || sip__parse_uint(val, 255, &ttl))
				return SIP_URI_E_PARAM;
			u->has_ttl = true;
			u->ttl = (uint8_t)ttl;
		}
	}
	return 0;
}

static int parse_headers(struct sip_str h)
{
	size_t i = 0;

	if (h.n == 0)
		return SIP_URI_E_HEADER; /* "?" with nothing after it */
	while (i <= h.n) {
		size_t end = i, eq;
		int rc;

		while (end < h.n && h.p[end] != '&')
			end++;
		eq = i;
		while (eq < end && h.p[eq] != '=')
			eq++;
		/* header = hname "=" hvalue; hvalue may be empty. */
		if (eq == i || eq == end)
			return SIP_URI_E_HEADER;
		rc = check_part(sip__str(h.p + i, eq - i), SET_HNAME, SIP_URI_E_HEADER);
		if (rc == 0)
			rc = check_part(sip__str(h.p + eq + 1, end - eq - 1), SET_HVALUE,
					SIP_URI_E_HEADER);
		if (rc)
			return rc;
		i = end + 1;
	}
	return 0;
}

static int parse_hostport(struct sip_uri *u, struct sip_str hp)
{
	size_t hend = 0;
	uint64_t port;

	if (hp.n && hp.p[0] == '[') {
		while (hend < hp.n && hp.p[hend] != ']')
			hend++;
		if (hend == hp.n)
			return SIP_URI_E_HOST;
		hend++;
	} else {
		while (hend < hp.n && hp.p[hend] != ':')
			hend++;
	}
	u->host = sip__str(hp.p, hend);
	if (!sip__is_host(u->host))
		return SIP_URI_E_HOST;
	u->host_kind = hp.p[0] == '[' ? SIP_HOST_IPV6 :
		       sip__is_digit((unsigned char)hp.p[hend - 1]) ? SIP_HOST_IPV4 :
								       SIP_HOST_NAME;
	if (hend == hp.n)
		return 0;
	if (hp.p[hend] != ':')
		return SIP_URI_E_HOST;
	if (sip__parse_uint(sip__str(hp.p + hend + 1, hp.n - hend - 1), 65535, &port))
		return SIP_URI_E_PORT;
	u->has_port = true;
	u->port = (uint16_t)port;
	return 0;
}

int sip_uri_parse(const char *p, size_t n, struct sip_uri *u)
{
	const char *colon = memchr(p, ':', n);
	const char *at, *end = p + n;
	struct sip_str scheme, hp;
	size_t i;
	int rc;

	memset(u, 0, sizeof(*u));
	if (!colon)
		return SIP_URI_E_SCHEME;
	scheme = sip__str(p, (size_t)(colon - p));
	if (sip__eq_lit(scheme, "sips"))
		u->secure = true;
	else if (sip__eq_lit(scheme, "tel"))
		return SIP_URI_E_TEL;
	else if (!sip__eq_lit(scheme, "sip"))
		return SIP_URI_E_SCHEME;
	p = colon + 1;
	n = (size_t)(end - p);

	at = memchr(p, '@', n);
	if (at) {
		struct sip_str ui = sip__str(p, (size_t)(at - p));
		const char *pc = memchr(ui.p, ':', ui.n);

		if (memchr(at + 1, '@', (size_t)(end - at - 1)))
			return SIP_URI_E_HOST;
		u->has_user = true;
		u->user = pc ? sip__str(ui.p, (size_t)(pc - ui.p)) : ui;
		if (u->user.n == 0)
			return SIP_URI_E_USER;
		rc = check_part(u->user, SET_USER, SIP_URI_E_USER);
		if (rc)
			return rc;
		if (pc) {
			u->has_password = true;
			u->password = sip__str(pc + 1, (size_t)(at - pc - 1));
			rc = check_part(u->password, SET_PASSWORD, SIP_URI_E_PASSWORD);
			if (rc)
				return rc;
		}
		p = at + 1;
		n = (size_t)(end - p);
	}

	/* hostport ends at the first ';' or '?'. */
	for (i = 0; i < n && p[i] != ';' && p[i] != '?'; i++)
		;
	hp = sip__str(p, i);
	rc = parse_hostport(u, hp);
	if (rc)
		return rc;
	if (i < n && p[i] == ';') {
		size_t j = i + 1;

		while (j < n && p[j] != '?')
			j++;
		u->params = sip__str(p + i + 1, j - i - 1);
		if (u->params.n == 0)
			return SIP_URI_E_PARAM;
		rc = parse_params(u);
		if (rc)
			return rc;
		i = j;
	} else {
		u->params = sip__str(p + i, 0);
	}
	if (i < n) {
		u->headers = sip__str(p + i + 1, n - i - 1);
		return parse_headers(u->headers);
	}
	u->headers = sip__str(p + n, 0);
	return 0;
}

ssize_t sip_uri_unescape(struct sip_str in, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < in.n; i++) {
		unsigned char c = (unsigned char)in.p[i];

		if (c == '%') {
			if (in.n - i < 3 || !sip__is_hex((unsigned char)in.p[i + 1]) ||
			    !sip__is_hex((unsigned char)in.p[i + 2]))
				return SIP_URI_E_ESCAPE;
			c = (unsigned char)(sip__hexval((unsigned char)in.p[i + 1]) * 16 +
					    sip__hexval((unsigned char)in.p[i + 2]));
			i += 2;
		}
		if (o == cap)
			return -ENOSPC;
		out[o++] = (char)c;
	}
	return (ssize_t)o;
}

/* Parameters that must match when present in either URI (§19.1.4). */
static const char *const strict_params[] = { "user", "ttl", "method", "maddr", "transport" };

static bool find_param_units(struct sip_str params, struct sip_str name,
			     struct sip_str *value, bool *has_value)
{
	struct sip_str rest = params, n2, v2;
	bool hv;

	while (sip_uri_param_next(&rest, &n2, &v2, &hv)) {
		if (units_equal(name, n2, true)) {
			*value = v2;
			*has_value = hv;
			return true;
		}
	}
	return false;
}

static bool params_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	struct sip_str rest = a->params, name, va, vb;
	bool hva, hvb;

	for (size_t k = 0; k < ARRAY_SIZE(strict_params); k++) {
		struct sip_str lit = sip__str(strict_params[k], strlen(strict_params[k]));
		bool ina = find_param_units(a->params, lit, &va, &hva);
		bool inb = find_param_units(b->params, lit, &vb, &hvb);

		if (ina != inb)
			return false;
		/* method is case-sensitive (§7.1); the others are not. */
		if (ina && !units_equal(va, vb, k != 2))
			return false;
	}
	/* Any other parameter present in both must match. */
	while (sip_uri_param_next(&rest, &name, &va, &hva)) {
		if (!find_param_units(b->params, name, &vb, &hvb))
			continue;
		if (hva != hvb || !units_equal(va, vb, true))
			return false;
	}
	return true;
}

/* Is each header of @a also, with the same value, in @b? */
static bool headers_in(struct sip_str a, struct sip_str b, size_t *count)
{
	size_t i = 0;

	*count = 0;
	while (i < a.n) {
		size_t end = i, eq;
		size_t j = 0;
		bool found = false;

		while (end < a.n && a.p[end] != '&')
			end++;
		for (eq = i; eq < end && a.p[eq] != '='; eq++)
			;
		while (j < b.n && !found) {
			size_t e2 = j, q2;

			while (e2 < b.n && b.p[e2] != '&')
				e2++;
			for (q2 = j; q2 < e2 && b.p[q2] != '='; q2++)
				;
			found = units_equal(sip__str(a.p + i, eq - i), sip__str(b.p + j, q2 - j), true) &&
				units_equal(sip__str(a.p + eq, end - eq), sip__str(b.p + q2, e2 - q2), false);
			j = e2 + 1;
		}
		if (!found)
			return false;
		(*count)++;
		i = end + 1;
	}
	return true;
}

bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	size_t ca, cb;

	if (a->secure != b->secure || a->has_user != b->has_user ||
	    a->has_password != b->has_password || a->has_port != b->has_port)
		return false;
	if (!units_equal(a->user, b->user, false) ||
	    !units_equal(a->password, b->password, false) ||
	    !units_equal(a->host, b->host, true))
		return false;
	if (a->has_port && a->port != b->port)
		return false;
	if (!params_equal(a, b))
		return false;
	return headers_in(a->headers, b->headers, &ca) &&
	       headers_in(b->headers, a->headers, &cb) && ca == cb;
}

const char *sip_uri_err_name(int err)
{
	static const char *const names[] = {
		"scheme", "tel", "user", "password", "host", "port", "param", "header", "escape",
	};

	if (err < SIP_URI_E__FIRST || err > SIP_URI_E__LAST)
		return "unknown";
	return names[err - SIP_URI_E__FIRST];
}
