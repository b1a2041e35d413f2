/*
 * Scanning helpers of gateway/sip: LWS, tokens, quoted strings, numbers and
 * hosts (RFC 3261 §25.1), plus the public slice comparisons.
 */
#include "gateway/sip/sip_lex.h"

#include <string.h>

bool sip_str_eq(struct sip_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

bool sip_str_eq_nocase(struct sip_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (sip__lower(s.p[i]) != sip__lower(lit[i]))
			return false;
	return true;
}

bool sip_str_eq2_nocase(struct sip_str a, struct sip_str b)
{
	if (a.n != b.n)
		return false;
	for (size_t i = 0; i < a.n; i++)
		if (sip__lower(a.p[i]) != sip__lower(b.p[i]))
			return false;
	return true;
}

size_t sip__skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && sip__is_ws((unsigned char)p[i]))
		i++;
	return i;
}

struct sip_str sip__trim(struct sip_str s)
{
	while (s.n && sip__is_ws((unsigned char)s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && sip__is_ws((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

size_t sip__token_end(const char *p, size_t i, size_t n)
{
	while (i < n && sip__is_token((unsigned char)p[i]))
		i++;
	return i;
}

bool sip__is_token_str(struct sip_str s)
{
	return s.n > 0 && sip__token_end(s.p, 0, s.n) == s.n;
}

size_t sip__quoted_end(const char *p, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"')
			return i + 1;
		if (c == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) */
			if (i + 1 >= n || p[i + 1] == '\r' || p[i + 1] == '\n' ||
			    (unsigned char)p[i + 1] > 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c == '\r' || c == '\n')
			continue; /* part of a fold: LWS inside qdtext */
		if (sip__is_ctl(c))
			return 0;
	}
	return 0;
}

int sip__parse_uint(struct sip_str s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s.n == 0)
		return -1;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!sip__is_digit(c))
			return -1;
		if (v > (max - (uint64_t)(c - '0')) / 10)
			goto overflow;
		v = v * 10 + (uint64_t)(c - '0');
	}
	*out = v;
	return 0;
overflow:
	/* Still report a non-digit after the overflow as a syntax error. */
	for (size_t i = 0; i < s.n; i++)
		if (!sip__is_digit((unsigned char)s.p[i]))
			return -1;
	return -2;
}

static bool is_ipv4(struct sip_str s)
{
	unsigned parts = 0, digits = 0, val = 0;

	for (size_t i = 0; i <= s.n; i++) {
		if (i == s.n || s.p[i] == '.') {
			if (digits == 0 || val > 255)
				return false;
			parts++;
			digits = val = 0;
			continue;
		}
		if (!sip__is_digit((unsigned char)s.p[i]) || ++digits > 3)
			return false;
		val = val * 10 + (unsigned)(s.p[i] - '0');
	}
	return parts == 4;
}

/* RFC 3261 §25.1 IPv6address (RFC 2373 text form), possibly with an
 * embedded IPv4 tail; at most one "::". */
static bool is_ipv6(struct sip_str s)
{
	unsigned groups = 0;
	bool dcolon = false;
	size_t i = 0;

	if (s.n < 2)
		return false;
	if (s.p[0] == ':') {
		if (s.p[1] != ':')
			return false;
		dcolon = true;
		i = 2;
		if (i == s.n)
			return true; /* "::" */
	}
	while (i < s.n) {
		size_t start = i;

		while (i < s.n && sip__is_hex((unsigned char)s.p[i]) && i - start < 4)
			i++;
		if (i < s.n && s.p[i] == '.') {
			/* IPv4 tail: counts as two groups. */
			if (!is_ipv4(sip__str(s.p + start, s.n - start)))
				return false;
			groups += 2;
			break;
		}
		if (i == start)
			return false;
		groups++;
		if (i == s.n)
			break;
		if (s.p[i] != ':')
			return false;
		i++;
		if (i < s.n && s.p[i] == ':') {
			if (dcolon)
				return false;
			dcolon = true;
			i++;
			if (i == s.n)
				break;
		} else if (i == s.n) {
			return false; /* trailing single ':' */
		}
	}
	return dcolon ? groups <= 7 : groups == 8;
}

/* hostname = *( domainlabel "." ) toplabel [ "." ]; labels alnum with
 * inner '-'; the top label starts with a letter. */
static bool is_hostname(struct sip_str s)
{
	size_t label_start = 0, last_label = 0;

	if (s.n == 0)
		return false;
	for (size_t i = 0; i <= s.n; i++) {
		if (i == s.n || s.p[i] == '.') {
			if (i == label_start) {
				/* Only a final "." may leave an empty label. */
				if (i == s.n && i > 0)
					break;
				return false;
			}
			if (s.p[i - 1] == '-')
				return false;
			last_label = label_start;
			label_start = i + 1;
			continue;
		}
		if (!sip__is_alnum((unsigned char)s.p[i]) && s.p[i] != '-')
			return false;
		if (i == label_start && s.p[i] == '-')
			return false;
	}
	return sip__is_alpha((unsigned char)s.p[last_label]);
}

bool sip__is_host(struct sip_str s)
{
	if (s.n >= 2 && s.p[0] == '[')
		return s.p[s.n - 1] == ']' && is_ipv6(sip__str(s.p + 1, s.n - 2));
	return is_ipv4(s) || is_hostname(s);
}

/* Is the value's quoting sound? Control bytes only inside a quoted-pair;
 * CR/LF only as part of a fold (already checked by the scan). An
 * unterminated quote is legal here (a Call-ID word may hold '"'); the
 * structured parsers reject it where the grammar does. */
int sip__check_value(struct sip_str v)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t i = 0, n = v.n;

	while (i < n) {
		unsigned char c;

		/* Fast path: bytes that are plain text outside quotes. */
		while (i < n && ((p[i] > '"' && p[i] != 0x7f) || p[i] == ' ' || p[i] == '!'))
			i++;
		if (i == n)
			break;
		c = p[i];
		if (c == '\r' || c == '\n' || c == '\t') {
			i++;
			continue;
		}
		if (c != '"')
			return SIP_E_HEADER_VALUE;
		for (i++; i < n; i++) {
			c = p[i];
			if (c == '"') {
				i++;
				break;
			}
			if (c == '\\' && i + 1 < n && p[i + 1] != '\r') {
				i++;
				continue;
			}
			if (c != '\r' && c != '\n' && sip__is_ctl(c))
				return SIP_E_HEADER_VALUE;
		}
	}
	return 0;
}
